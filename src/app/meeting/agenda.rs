//! The monthly meeting in one answer: open items carried over (overdue first), items due
//! this month with their measured effect, and new exceptions without an item.

use crate::app::{App, AppResult};
use crate::auth::Principal;
use crate::domain::actions::ActionStatus;
use crate::domain::{Group, Month, MonthRange, Period, PeriodKind};
use crate::store::ActionRecord;

use super::exceptions::DealerExceptions;

/// A meeting's agenda.
#[derive(Debug, Clone)]
pub struct Agenda {
    pub month: Month,
    /// Open items not due in the month: overdue first, then by due month.
    pub carried_over: Vec<ActionRecord>,
    /// Items due this month, whatever their status.
    pub due: Vec<ActionRecord>,
    /// The month's exceptions that no open item answers, worst dealers first.
    pub uncovered: Vec<DealerExceptions>,
}

impl App {
    /// The agenda of the meeting that reviews `month` (held the month after) for `group`,
    /// or one dealer (`dealer`).
    pub async fn agenda(
        &self,
        who: &Principal,
        group: Group,
        dealer: Option<&str>,
        month: Month,
    ) -> AppResult<Agenda> {
        let region = match &group {
            Group::Region(r) => Some(r.as_str()),
            _ => None,
        };
        let scope = self.action_scope(who, dealer, region).await?;
        let items = self
            .action_items(
                scope,
                vec![
                    ActionStatus::Open,
                    ActionStatus::InProgress,
                    ActionStatus::Done,
                ],
                None,
                None,
                i64::MAX,
            )
            .await?;
        let (mut due, mut carried_over): (Vec<_>, Vec<_>) =
            items.into_iter().partition(|a| a.state.due_month == month);
        carried_over.sort_by_key(|a| (a.state.due_month >= month, a.state.due_month, a.id));
        due.sort_by_key(|a| a.id);
        let period = Period {
            kind: PeriodKind::Month,
            range: MonthRange::new(month, month).expect("one month"),
        };
        let view = self.exceptions(who, group, period).await?;
        let mut uncovered = view.page(dealer, 0, usize::MAX);
        for line in &mut uncovered {
            line.exceptions.retain(|e| e.uncovered);
        }
        uncovered.retain(|l| !l.exceptions.is_empty());
        Ok(Agenda {
            month,
            carried_over,
            due,
            uncovered,
        })
    }
}
