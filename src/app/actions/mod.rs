//! Action plans: a dealer's countermeasures against its KPI and target gaps, who may
//! create, change, follow up and verify them, and their measured effect.

mod effect;

pub use effect::Measured;

use rust_decimal::Decimal;

use super::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::actions::{ActionStatus, Refusal};
use crate::domain::kpi::{self, KpiDef};
use crate::domain::network::region_at;
use crate::domain::targets::{Actor, TargetItem};
use crate::domain::text::check_text;
use crate::domain::{Month, MonthRange};
use crate::store::{ActionFilter, ActionRecord, ActionRevision, ActionState, FollowUp, NewAction};

/// Longest problem, cause, countermeasure or note kept.
const MAX_TEXT: usize = 2000;
/// Longest owner or department name.
const MAX_NAME: usize = 100;
/// How far ahead a due month may be.
const MAX_DUE_MONTHS_AHEAD: i32 = 24;

/// A new action item, as asked.
pub struct ActionInput {
    pub dealer_code: String,
    /// A KPI code, or a target item code (its achievement is measured).
    pub subject: String,
    pub problem: String,
    pub cause: String,
    pub countermeasure: String,
    pub owner: String,
    pub department: String,
    pub due_month: Month,
    /// The baseline period (default: the last month).
    pub baseline: Option<MonthRange>,
    /// The value aimed at, in the KPI's display unit.
    pub expected: Option<Decimal>,
}

/// Changes to an action item; `None` keeps a field.
#[derive(Default)]
pub struct ActionPatch {
    pub problem: Option<String>,
    pub cause: Option<String>,
    pub countermeasure: Option<String>,
    pub owner: Option<String>,
    pub department: Option<String>,
    pub due_month: Option<Month>,
    pub status: Option<ActionStatus>,
    pub expected: Option<Decimal>,
}

/// The KPI an action item's subject is measured by: the KPI itself, or a target item's
/// achievement.
pub fn subject_kpi(subject: &str) -> AppResult<&'static KpiDef> {
    if let Some(item) = TargetItem::parse(subject) {
        return Ok(kpi::achievement(item));
    }
    kpi::by_code(subject).ok_or_else(|| {
        AppError::invalid(
            "subject",
            format!(
                "unknown subject `{}`: a KPI code of kpiCatalog or a target item of targetItems",
                crate::domain::text::excerpt(subject)
            ),
        )
    })
}

fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    check_text(field, value, max).map_err(|m| AppError::invalid(field, m))?;
    Ok(value.trim().to_string())
}

/// A value in the KPI's display unit, stored in hundredths.
fn hundredths(field: &str, v: Decimal) -> AppResult<i64> {
    if v.normalize().scale() > 2 {
        return Err(AppError::invalid(
            field,
            format!("at most 2 decimals, got {v}"),
        ));
    }
    (v * Decimal::from(100))
        .try_into()
        .ok()
        .filter(|x: &i64| x.abs() <= 1_000_000_000_000_000)
        .ok_or_else(|| AppError::invalid(field, format!("{v} is beyond any plausible value")))
}

impl App {
    fn actor(who: &Principal) -> Actor {
        if who.role == Role::Dealer {
            Actor::Dealer
        } else {
            Actor::Manager
        }
    }

    /// The region dealer `code` is in now.
    async fn region_now(&self, code: &str) -> AppResult<Option<String>> {
        let histories = self
            .store
            .region_histories(Some(&[code.to_string()]))
            .await?;
        let now = self.current_month();
        Ok(histories
            .first()
            .and_then(|(_, h)| region_at(h, now))
            .map(str::to_string))
    }

    /// Whether `who` may create, change and follow up the action items of dealer `code`:
    /// the dealer itself, the manager of its region now, the OEM.
    pub async fn may_manage_dealer(&self, who: &Principal, code: &str) -> AppResult<bool> {
        Ok(match who.role {
            Role::OemAdmin => true,
            Role::BiReader => false,
            Role::Dealer => who.dealer.as_deref() == Some(code),
            Role::RegionalManager => self
                .region_now(code)
                .await?
                .is_some_and(|r| who.regions.contains(&r)),
        })
    }

    /// Whether `who` may read them: those who manage, and BI readers.
    async fn may_read_actions(&self, who: &Principal, code: &str) -> AppResult<bool> {
        Ok(who.role == Role::BiReader || self.may_manage_dealer(who, code).await?)
    }

    /// An item `who` may read (or manage), else FORBIDDEN / NOT_FOUND.
    async fn visible_action(
        &self,
        who: &Principal,
        id: i64,
        manage: bool,
    ) -> AppResult<ActionRecord> {
        let item = self
            .store
            .action(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("action item {id} not found")))?;
        let ok = if manage {
            self.may_manage_dealer(who, &item.dealer_code).await?
        } else {
            self.may_read_actions(who, &item.dealer_code).await?
        };
        if ok {
            Ok(item)
        } else {
            Err(AppError::Forbidden(format!(
                "{} {} may not {} the action items of dealer {}",
                who.role.as_str(),
                who.sub,
                if manage { "change" } else { "read" },
                item.dealer_code
            )))
        }
    }

    fn check_due(&self, due: Month, baseline_to: Month) -> AppResult<()> {
        let latest = self.current_month().plus(MAX_DUE_MONTHS_AHEAD);
        if due <= baseline_to || due > latest {
            return Err(AppError::invalid(
                "dueMonth",
                format!("must be after the baseline period (which ends {baseline_to}) and at most {latest}, got {due}"),
            ));
        }
        Ok(())
    }

    /// Creates an action item against a dealer's KPI or target item, recording the KPI's
    /// value over the baseline period (default: last month) as its baseline.
    pub async fn create_action(
        &self,
        who: &Principal,
        input: ActionInput,
    ) -> AppResult<ActionRecord> {
        self.require_dealer(&input.dealer_code).await?;
        if !self.may_manage_dealer(who, &input.dealer_code).await? {
            return Err(AppError::Forbidden(format!(
                "{} {} may not create action items for dealer {}",
                who.role.as_str(),
                who.sub,
                input.dealer_code
            )));
        }
        let kpi = subject_kpi(&input.subject)?;
        let last = self.current_month().plus(-1);
        let baseline = input
            .baseline
            .unwrap_or_else(|| MonthRange::new(last, last).expect("one month"));
        if baseline.to > last || baseline.len() > 36 {
            return Err(AppError::invalid(
                "baseline",
                format!(
                    "a period of at most 36 months ending by {last} (the last month), got {}..{}",
                    baseline.from, baseline.to
                ),
            ));
        }
        self.check_due(input.due_month, baseline.to)?;
        let state = ActionState {
            problem: text("problem", &input.problem, MAX_TEXT)?,
            cause: text("cause", &input.cause, MAX_TEXT)?,
            countermeasure: text("countermeasure", &input.countermeasure, MAX_TEXT)?,
            owner: text("owner", &input.owner, MAX_NAME)?,
            department: text("department", &input.department, MAX_NAME)?,
            due_month: input.due_month,
            status: ActionStatus::Open,
            expected: input
                .expected
                .map(|v| hundredths("expectedValue", v))
                .transpose()?,
        };
        let pair = self.dealer_pair(&input.dealer_code, kpi, baseline).await?;
        let new = NewAction {
            dealer_code: input.dealer_code,
            subject: input.subject,
            state,
            baseline_from: baseline.from,
            baseline_to: baseline.to,
            baseline: pair,
            author: who.sub.clone(),
            now: self.now_ms(),
        };
        Ok(self.store.create_action(&new).await?)
    }

    /// Changes an action item: its texts, due month, expected value or status. Only a
    /// manager verifies; a verified item is closed.
    pub async fn update_action(
        &self,
        who: &Principal,
        id: i64,
        expected_revision: i32,
        patch: ActionPatch,
        reason: Option<&str>,
    ) -> AppResult<ActionRecord> {
        let item = self.visible_action(who, id, true).await?;
        let mut s = item.state.clone();
        if let Some(to) = patch.status {
            s.status = s.status.change(to, Self::actor(who)).map_err(|r| match r {
                Refusal::NotYours(m) => AppError::Forbidden(m),
                Refusal::NotNow(m) => AppError::Conflict {
                    message: m,
                    current_revision: Some(item.revision),
                },
            })?;
        } else if s.status == ActionStatus::Verified {
            return Err(AppError::Conflict {
                message: "the item is verified: it is closed".into(),
                current_revision: Some(item.revision),
            });
        }
        if let Some(v) = patch.problem {
            s.problem = text("problem", &v, MAX_TEXT)?;
        }
        if let Some(v) = patch.cause {
            s.cause = text("cause", &v, MAX_TEXT)?;
        }
        if let Some(v) = patch.countermeasure {
            s.countermeasure = text("countermeasure", &v, MAX_TEXT)?;
        }
        if let Some(v) = patch.owner {
            s.owner = text("owner", &v, MAX_NAME)?;
        }
        if let Some(v) = patch.department {
            s.department = text("department", &v, MAX_NAME)?;
        }
        if let Some(m) = patch.due_month {
            self.check_due(m, item.baseline_to)?;
            s.due_month = m;
        }
        if let Some(v) = patch.expected {
            s.expected = Some(hundredths("expectedValue", v)?);
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason {
            check_text("reason", r, MAX_TEXT).map_err(|m| AppError::invalid("reason", m))?;
        }
        if s == item.state {
            return Ok(item);
        }
        Ok(self
            .store
            .update_action(id, expected_revision, &s, reason, &who.sub, self.now_ms())
            .await?)
    }

    /// Appends a follow-up note (those who manage the dealer's items).
    pub async fn add_followup(&self, who: &Principal, id: i64, note: &str) -> AppResult<FollowUp> {
        self.visible_action(who, id, true).await?;
        let note = text("note", note, MAX_TEXT)?;
        Ok(self
            .store
            .add_followup(id, &who.sub, &note, self.now_ms())
            .await?)
    }

    /// One item, if `who` may read it.
    pub async fn action_item(&self, who: &Principal, id: i64) -> AppResult<ActionRecord> {
        self.visible_action(who, id, false).await
    }

    /// Its revisions (after the caller read the item).
    pub async fn action_revisions(&self, id: i64) -> AppResult<Vec<ActionRevision>> {
        Ok(self.store.action_revisions(id).await?)
    }

    /// The follow-ups of items (after the caller read them).
    pub async fn followups(&self, ids: &[i64]) -> AppResult<Vec<FollowUp>> {
        Ok(self.store.followups(ids).await?)
    }

    /// The dealers whose items `who` may read among `dealer` / `region` (`None`: all).
    pub async fn action_scope(
        &self,
        who: &Principal,
        dealer: Option<&str>,
        region: Option<&str>,
    ) -> AppResult<Option<Vec<String>>> {
        if let Some(d) = dealer {
            self.require_dealer(d).await?;
            if !self.may_read_actions(who, d).await? {
                return Err(AppError::Forbidden(format!(
                    "{} {} may not read the action items of dealer {d}",
                    who.role.as_str(),
                    who.sub
                )));
            }
            return Ok(Some(vec![d.to_string()]));
        }
        let directory = self.directory().await?;
        let now = self.current_month();
        let in_region = |i: usize, r: &str| directory.region_at(i, now) == Some(r);
        let regions: Option<Vec<String>> = match who.role {
            Role::OemAdmin | Role::BiReader => region.map(|r| vec![r.to_string()]),
            Role::RegionalManager => match region {
                Some(r) if !who.regions.iter().any(|x| x == r) => {
                    return Err(AppError::Forbidden(format!(
                        "regional manager {} does not manage region {}",
                        who.sub,
                        crate::domain::text::excerpt(r)
                    )))
                }
                Some(r) => Some(vec![r.to_string()]),
                None => Some(who.regions.clone()),
            },
            Role::Dealer => {
                let own = who.dealer.clone().unwrap_or_default();
                return Ok(Some(vec![own]));
            }
        };
        Ok(regions.map(|rs| {
            (0..directory.len())
                .filter(|&i| rs.iter().any(|r| in_region(i, r)))
                .map(|i| directory.dealers[i].code.clone())
                .collect()
        }))
    }

    /// Items of the dealers `scope` allows (see [`App::action_scope`]) by filter, in id
    /// order after `after`, at most `limit`.
    pub async fn action_items(
        &self,
        scope: Option<Vec<String>>,
        statuses: Vec<ActionStatus>,
        due: Option<MonthRange>,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<ActionRecord>> {
        let f = ActionFilter {
            dealers: scope,
            statuses,
            due_from: due.map(|d| d.from),
            due_to: due.map(|d| d.to),
            after,
            limit,
            ..Default::default()
        };
        self.action_page(&f).await
    }

    /// A page of items by filter; its `dealers` is the caller's scope (see
    /// [`App::action_scope`]).
    pub async fn action_page(&self, filter: &ActionFilter) -> AppResult<Vec<ActionRecord>> {
        Ok(self.store.actions(filter).await?)
    }

    /// How many items match `filter` (all pages).
    pub async fn action_total(&self, filter: &ActionFilter) -> AppResult<i64> {
        Ok(self.store.count_actions(filter).await?)
    }
}
