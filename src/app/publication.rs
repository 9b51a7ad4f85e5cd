//! Publishing months to dealer users: the schedule (each month closes at its deadline plus
//! a grace period), the OEM's "publish now" and rescheduling, republication of late
//! submissions and amendments in batches that satisfy the disclosure rules, and the yearly
//! restatement.

use chrono::{DateTime, Duration, Utc};

use super::{App, AppError, AppResult};
use crate::domain::disclosure::republishable;
use crate::domain::{Group, Month};
use crate::store::{
    MemberGroups, PendingChange, PublicationEvent, PublicationKind, RepublishOutcome,
};

/// Where a month stands in publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationState {
    /// Dealers see its snapshot.
    Published,
    /// Closed (or due by the OEM's schedule): the scheduler publishes it at its next run.
    Due,
    /// To be published at `due_at`.
    Scheduled,
}

/// A month's publication as the API shows it.
#[derive(Debug, Clone)]
pub struct MonthPublication {
    pub month: Month,
    pub state: PublicationState,
    /// 0 while not published; +1 per republication.
    pub version: i32,
    /// When it is (or was) due: the OEM's schedule, or the month's close.
    pub due_at: DateTime<Utc>,
    /// The OEM set `due_at` (otherwise the deadline plus the grace period).
    pub scheduled_by_oem: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The groups a pending change touches, before and after.
fn touched(p: &PendingChange) -> Vec<Group> {
    let mut groups = vec![Group::Nation];
    for g in [&p.published, &p.live].into_iter().flatten() {
        let MemberGroups {
            region_code,
            brand,
            size_tier,
        } = g;
        groups.push(Group::Region(region_code.clone()));
        groups.push(Group::peer(brand, *size_tier));
    }
    groups.sort();
    groups.dedup();
    groups
}

impl App {
    /// When `month` closes by default: the end of its deadline day plus the grace period.
    pub fn close_of(&self, month: Month) -> DateTime<Utc> {
        self.deadline(month) + Duration::days(i64::from(self.settings.publication_grace_days))
    }

    /// Publishes every ended month that has reports and is due (its close, or the OEM's
    /// schedule, has passed); returns the months published. The scheduler runs it every
    /// minute; several replicas may run it at once (a month is published once).
    pub async fn publish_due(&self) -> AppResult<Vec<Month>> {
        let now = self.now();
        let schedules: std::collections::HashMap<Month, i64> = self
            .store
            .publications()
            .await?
            .into_iter()
            .filter(|p| p.version == 0)
            .filter_map(|p| Some((p.month, p.scheduled_at?)))
            .collect();
        let mut done = Vec::new();
        for month in self
            .store
            .unpublished_months(self.current_month().plus(-1))
            .await?
        {
            let due = schedules
                .get(&month)
                .map_or_else(|| self.close_of(month), |&ms| time(ms));
            if due > now {
                continue;
            }
            match self
                .store
                .publish(
                    month,
                    PublicationKind::Scheduled,
                    self.now_ms(),
                    "scheduler",
                )
                .await
            {
                Ok(members) => {
                    tracing::info!(%month, members, "month published");
                    done.push(month);
                }
                // Another replica was first.
                Err(crate::store::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }

    /// Publishes an ended month now, before its close (the OEM); returns its members.
    pub async fn publish_month(&self, month: Month, author: &str) -> AppResult<u64> {
        if month >= self.current_month() {
            return Err(AppError::invalid(
                "month",
                format!("{month} has not ended: only ended months are published"),
            ));
        }
        Ok(self
            .store
            .publish(month, PublicationKind::Early, self.now_ms(), author)
            .await?)
    }

    /// Republishes the late submissions and amendments of a published month that may be
    /// shown together: at least the minimum group size of changed dealers in every group
    /// they touch. The others wait for more changes, or for the yearly restatement.
    pub async fn republish_month(&self, month: Month, author: &str) -> AppResult<RepublishOutcome> {
        let min_group = self.disclosure_rules().min_group;
        let choose = move |pending: &[PendingChange]| -> Vec<String> {
            let touches: Vec<Vec<Group>> = pending.iter().map(touched).collect();
            republishable(&touches, min_group)
                .into_iter()
                .map(|i| pending[i].dealer_code.clone())
                .collect()
        };
        Ok(self
            .store
            .republish(
                month,
                PublicationKind::Republication,
                self.now_ms(),
                author,
                &choose,
            )
            .await?)
    }

    /// Restates a year that has ended: every month of it shows every change made since it
    /// was published (and months never published are published). Returns what each month
    /// republished.
    pub async fn restate_year(
        &self,
        year: i32,
        author: &str,
    ) -> AppResult<Vec<(Month, RepublishOutcome)>> {
        let december = Month::new(year, 12)
            .ok_or_else(|| AppError::invalid("year", format!("{year} is not a year")))?;
        if december >= self.current_month() {
            return Err(AppError::invalid(
                "year",
                format!("{year} has not ended: a year is restated once it is over"),
            ));
        }
        let january = december.plus(-11);
        let published: std::collections::HashSet<Month> = self
            .store
            .publications()
            .await?
            .into_iter()
            .filter(|p| p.version > 0)
            .map(|p| p.month)
            .collect();
        let at = self.now_ms();
        for month in self.store.unpublished_months(december).await? {
            if month >= january {
                self.store
                    .publish(month, PublicationKind::Restatement, at, author)
                    .await?;
            }
        }
        let all = |pending: &[PendingChange]| -> Vec<String> {
            pending.iter().map(|p| p.dealer_code.clone()).collect()
        };
        let mut out = Vec::new();
        for month in (0..12).map(|k| january.plus(k)) {
            if published.contains(&month) {
                let r = self
                    .store
                    .republish(month, PublicationKind::Restatement, at, author, &all)
                    .await?;
                out.push((month, r));
            }
        }
        Ok(out)
    }

    /// Sets when an unpublished month is published (or with `None`, back to its close).
    pub async fn schedule_publication(
        &self,
        month: Month,
        at: Option<DateTime<Utc>>,
    ) -> AppResult<()> {
        Ok(self
            .store
            .schedule_publication(month, at.map(|t| t.timestamp_millis()))
            .await?)
    }

    /// The publication of every month of `from..=to`.
    pub async fn publication_status(
        &self,
        from: Month,
        to: Month,
    ) -> AppResult<Vec<MonthPublication>> {
        let records: std::collections::HashMap<Month, _> = self
            .store
            .publications()
            .await?
            .into_iter()
            .map(|p| (p.month, p))
            .collect();
        let now = self.now();
        let mut out = Vec::new();
        let mut month = from;
        while month <= to {
            let r = records.get(&month);
            let scheduled = r
                .and_then(|r| r.scheduled_at)
                .filter(|_| r.is_some_and(|r| r.version == 0));
            let due_at = scheduled.map_or_else(|| self.close_of(month), time);
            let version = r.map_or(0, |r| r.version);
            let state = if version > 0 {
                PublicationState::Published
            } else if due_at <= now && month < self.current_month() {
                PublicationState::Due
            } else {
                PublicationState::Scheduled
            };
            out.push(MonthPublication {
                month,
                state,
                version,
                due_at,
                scheduled_by_oem: scheduled.is_some(),
                published_at: r.and_then(|r| r.published_at).map(time),
                updated_at: r.and_then(|r| r.updated_at).map(time),
            });
            month = month.plus(1);
        }
        Ok(out)
    }

    /// The dealers of a published month whose changes wait for republication.
    pub async fn pending_changes(&self, month: Month) -> AppResult<Vec<PendingChange>> {
        Ok(self.store.pending_changes(month).await?)
    }

    /// Every (re)publication of a month.
    pub async fn publication_events(&self, month: Month) -> AppResult<Vec<PublicationEvent>> {
        Ok(self.store.publication_events(month).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SizeTier;

    #[test]
    fn a_move_touches_both_regions_and_the_nation() {
        let g = |r: &str| MemberGroups {
            region_code: r.into(),
            brand: "B".into(),
            size_tier: SizeTier::Small,
        };
        let p = PendingChange {
            dealer_code: "D1".into(),
            published: Some(g("R1")),
            live: Some(g("R2")),
            facts_changed: false,
        };
        assert_eq!(
            touched(&p),
            vec![
                Group::Nation,
                Group::Region("R1".into()),
                Group::Region("R2".into()),
                Group::peer("B", SizeTier::Small)
            ]
        );
    }
}
