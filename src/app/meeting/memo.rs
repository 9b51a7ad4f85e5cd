//! What the meeting views read from the database, kept between requests while it cannot
//! have changed: a month's report states (valid while the KPI cache has applied no new
//! change of the log: every submission, amendment and network change is one) and the open
//! action items (valid while the action table's version stays).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::app::{App, AppResult};
use crate::domain::actions::ActionStatus;
use crate::domain::Month;
use crate::store::{ActionFilter, ActionRecord, DealerFilter, StatusRow};

/// Months × scopes of report states kept; past it the memo starts afresh.
const MAX_REPORT_ENTRIES: usize = 64;

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

    /// The open action items (open, in progress, done but not verified) by dealer.
    pub(super) async fn open_actions(&self) -> AppResult<Arc<OpenActions>> {
        let version = self.store.actions_version().await?;
        let lock = || {
            self.meeting
                .actions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some((v, items)) = lock().as_ref() {
            if *v == version {
                return Ok(items.clone());
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
        Ok(open)
    }
}
