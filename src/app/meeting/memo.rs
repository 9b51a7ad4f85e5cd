//! What the meeting views read from the database, kept between requests while it cannot
//! have changed: a month's report states (valid while the KPI cache has applied no new
//! change of the log: every submission, amendment and network change is one) and the open
//! action items (valid while the action table's version stays).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::app::{App, AppResult};
use crate::domain::actions::ActionStatus;
use crate::domain::{Group, Month};

use super::exceptions::Ordered;
use crate::store::{ActionFilter, ActionRecord, DealerFilter, StatusRow};

/// Months × scopes of report states kept; past it the memo starts afresh.
const MAX_REPORT_ENTRIES: usize = 64;
/// Orders of exceptions kept (each a few tens of KB at 10,000 dealers).
const MAX_ORDER_ENTRIES: usize = 64;

/// What an order of exceptions depends on besides the data: the scope, the period's
/// months, who asks (role, regions, dealer), the current month and which of the period's
/// months are past their deadline.
pub(super) type OrderKey = (
    Group,
    Month,
    Month,
    (&'static str, Vec<String>, Option<String>),
    Month,
    Vec<bool>,
);
/// The data an order was computed from: the KPI cache's applied changes and the action
/// table's version.
pub(super) type Validity = (u64, (i64, i64));

type ReportKey = (Month, Option<String>);
/// The KPI cache's applied changes when read, and the rows.
type ReportEntry = (u64, Arc<Vec<StatusRow>>);
/// The action table's version when read, and the items.
type ActionsEntry = ((i64, i64), Arc<OpenActions>);
/// Open action items by dealer.
pub type OpenActions = HashMap<String, Vec<ActionRecord>>;

/// The memo (one per process).
#[derive(Default)]
pub struct MeetingMemo {
    reports: Mutex<HashMap<ReportKey, ReportEntry>>,
    actions: Mutex<Option<ActionsEntry>>,
    orders: Mutex<HashMap<OrderKey, (Validity, Arc<Ordered>)>>,
}

impl App {
    /// The report states of the active dealers of `region` (`None`: all) in `month`, after
    /// a refresh of the KPI cache.
    pub(super) async fn report_states(
        &self,
        month: Month,
        region: Option<&str>,
    ) -> AppResult<Arc<Vec<StatusRow>>> {
        let key = (month, region.map(str::to_string));
        let version = self.cache.changes_applied();
        let lock = || {
            self.meeting
                .reports
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some((v, rows)) = lock().get(&key) {
            if *v == version {
                return Ok(rows.clone());
            }
        }
        let filter = DealerFilter {
            month: Some(month),
            regions: region.map(|r| vec![r.to_string()]),
            active_only: true,
            ..Default::default()
        };
        let rows = Arc::new(self.store.submission_status(month, &filter).await?);
        let mut memo = lock();
        if memo.len() >= MAX_REPORT_ENTRIES {
            memo.clear();
        }
        memo.insert(key, (version, rows.clone()));
        Ok(rows)
    }

    /// The open action items (open, in progress, done but not verified) by dealer, with the
    /// action table's version they were read at.
    pub(super) async fn open_actions(&self) -> AppResult<((i64, i64), Arc<OpenActions>)> {
        let version = self.store.actions_version().await?;
        let lock = || {
            self.meeting
                .actions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some((v, items)) = lock().as_ref() {
            if *v == version {
                return Ok((version, items.clone()));
            }
        }
        let filter = ActionFilter {
            dealers: None,
            statuses: vec![
                ActionStatus::Open,
                ActionStatus::InProgress,
                ActionStatus::Done,
            ],
            limit: i64::MAX,
            ..Default::default()
        };
        let mut open = OpenActions::new();
        for a in self.store.actions(&filter).await? {
            open.entry(a.dealer_code.clone()).or_default().push(a);
        }
        let open = Arc::new(open);
        *lock() = Some((version, open.clone()));
        Ok((version, open))
    }

    /// The order of a scope's dealers by their exceptions, kept while valid.
    pub(super) fn recall_order(&self, key: &OrderKey, validity: Validity) -> Option<Arc<Ordered>> {
        let memo = self
            .meeting
            .orders
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        memo.get(key)
            .filter(|(v, _)| *v == validity)
            .map(|(_, o)| o.clone())
    }

    /// Keeps an order (the memo starts afresh past its bound).
    pub(super) fn remember_order(&self, key: OrderKey, validity: Validity, order: Arc<Ordered>) {
        let mut memo = self
            .meeting
            .orders
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if memo.len() >= MAX_ORDER_ENTRIES {
            memo.clear();
        }
        memo.insert(key, (validity, order));
    }
}
