//! Target management: the yearly cycle of a dealer's targets (draft, proposal, approval or
//! return), the OEM's regional targets and phasing profiles, and progress against them.

mod progress;

pub use progress::{ItemProgress, RegionProgress};

use rust_decimal::Decimal;

use super::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::targets::{
    next, phase, weights, Actor, PhasingBasis, Refusal, TargetAction, TargetItem, TargetStatus,
    TargetSubject,
};
use crate::domain::text::check_text;
use crate::domain::Month;
use crate::store::{TargetKey, TargetRecord, TargetRevision, TargetScope, TargetWrite};

/// Longest reason or comment kept.
const MAX_REASON_CHARS: usize = 1000;

/// A change to a target, as asked.
pub struct TargetChange<'a> {
    pub scope: TargetScope,
    pub code: &'a str,
    pub year: i32,
    pub item: &'a str,
    pub action: TargetAction,
    /// The value to save (display units: repair orders, yuan, a KPI's value).
    pub value: Option<Decimal>,
    pub expected_revision: i32,
    pub reason: Option<&'a str>,
}

impl App {
    /// A year the cycle can concern: from 2000 up to next year (planned at year end).
    fn target_year(&self, year: i32) -> AppResult<()> {
        let next_year = self.current_month().year() + 1;
        if !(2000..=next_year).contains(&year) {
            return Err(AppError::invalid(
                "year",
                format!("must be between 2000 and {next_year} (next year), got {year}"),
            ));
        }
        Ok(())
    }

    fn subject(item: &str) -> AppResult<TargetSubject> {
        TargetSubject::parse(item).map_err(|m| AppError::invalid("item", m))
    }

    /// A dealer's targets for a year (the guard has checked who may read them).
    pub async fn dealer_targets(&self, dealer: &str, year: i32) -> AppResult<Vec<TargetRecord>> {
        self.require_dealer(dealer).await?;
        Ok(self
            .store
            .targets(TargetScope::Dealer, dealer, year)
            .await?)
    }

    /// A region's targets for a year (set by the OEM).
    pub async fn region_targets(&self, region: &str, year: i32) -> AppResult<Vec<TargetRecord>> {
        self.require_region(region).await?;
        Ok(self
            .store
            .targets(TargetScope::Region, region, year)
            .await?)
    }

    /// Every revision of a target, oldest first.
    pub async fn target_revisions(
        &self,
        scope: TargetScope,
        code: &str,
        year: i32,
        item: &str,
    ) -> AppResult<Vec<TargetRevision>> {
        let subject = Self::subject(item)?;
        let key = TargetKey {
            scope,
            code: code.to_string(),
            year,
            item: subject.code(),
        };
        Ok(self.store.target_revisions(&key).await?)
    }

    /// Saves, proposes, approves or returns a target. Dealer targets follow the yearly
    /// cycle (`domain::targets::next`); a regional target is the OEM's and is in force as
    /// soon as it is saved. Approving a dealer's target on an item phases it over the
    /// months and recomputes its achievement facts.
    pub async fn change_target(
        &self,
        who: &Principal,
        c: TargetChange<'_>,
    ) -> AppResult<TargetRecord> {
        self.target_year(c.year)?;
        let subject = Self::subject(c.item)?;
        match c.scope {
            TargetScope::Dealer => {
                self.require_dealer(c.code).await?;
            }
            TargetScope::Region => self.require_region(c.code).await?,
        }
        let key = TargetKey {
            scope: c.scope,
            code: c.code.to_string(),
            year: c.year,
            item: subject.code(),
        };
        let current = self.store.target(&key).await?;
        let current_revision = current.as_ref().map_or(0, |t| t.revision);
        if c.expected_revision != current_revision {
            return Err(AppError::Conflict {
                message: format!(
                    "expectedRevision {} is stale: the target is at revision {current_revision}; reload it and apply your change again",
                    c.expected_revision
                ),
                current_revision: Some(current_revision),
            });
        }
        let actor = if who.role == Role::Dealer {
            Actor::Dealer
        } else {
            Actor::Manager
        };
        let status = match c.scope {
            // The OEM's own figure: no cycle.
            TargetScope::Region => match c.action {
                TargetAction::Save => TargetStatus::Approved,
                _ => {
                    return Err(AppError::invalid(
                        "action",
                        "a regional target is in force when the OEM saves it: there is nothing to propose, approve or return",
                    ))
                }
            },
            TargetScope::Dealer => next(current.as_ref().map(|t| t.status), c.action, actor)
                .map_err(|r| match r {
                    Refusal::NotYours(m) => AppError::Forbidden(m),
                    Refusal::NotNow(m) => AppError::Conflict {
                        message: m,
                        current_revision: Some(current_revision),
                    },
                })?,
        };
        let value = match (c.action, c.value, &current) {
            (TargetAction::Save, Some(v), _) => subject
                .stored(v)
                .map_err(|m| AppError::invalid("value", m))?,
            (TargetAction::Save, None, _) => {
                return Err(AppError::invalid(
                    "value",
                    "a value is required to save a target",
                ))
            }
            (_, Some(_), _) => {
                return Err(AppError::invalid(
                    "value",
                    "only saving sets a value: propose, approve and return keep the saved one",
                ))
            }
            (_, None, Some(t)) => t.value,
            (_, None, None) => unreachable!("the cycle refuses steps on a missing target"),
        };
        let reason = c.reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason {
            check_text("reason", r, MAX_REASON_CHARS)
                .map_err(|m| AppError::invalid("reason", m))?;
        }
        let changing_approved = current
            .as_ref()
            .is_some_and(|t| t.status == TargetStatus::Approved)
            && c.action == TargetAction::Save;
        if reason.is_none() && (changing_approved || c.action == TargetAction::Return) {
            return Err(AppError::invalid(
                "reason",
                if c.action == TargetAction::Return {
                    "returning a target needs a comment saying what to change"
                } else {
                    "changing an approved target needs a reason"
                },
            ));
        }
        // Approved dealer targets on items are phased now, and stay so phased.
        let (phasing, months) = match (c.scope, subject, status) {
            (TargetScope::Dealer, TargetSubject::Item(item), TargetStatus::Approved) => {
                let (p, m) = self
                    .phase_dealer_target(c.code, c.year, item, value)
                    .await?;
                (Some(p), Some(m))
            }
            _ => (None, None),
        };
        let w = TargetWrite {
            key,
            expected_revision: c.expected_revision,
            value,
            status,
            phasing,
            reason: reason.map(str::to_string),
            author: who.sub.clone(),
            now: self.now_ms(),
            months,
            facts_at: self.wall_ms(),
        };
        Ok(self.store.write_target(&w).await?)
    }

    /// The months of a dealer's annual target on an item: the OEM's national profile, else
    /// the dealer's own previous year, else even.
    pub(super) async fn phase_dealer_target(
        &self,
        dealer: &str,
        year: i32,
        item: TargetItem,
        value: i64,
    ) -> AppResult<(PhasingBasis, [i64; 12])> {
        let profile = self.store.phasing_profile(year, item.code()).await?;
        let previous = self.item_months(dealer, year - 1, item).await?;
        let (w, basis) = weights(profile.as_ref(), &previous);
        Ok((basis, phase(value, &w)))
    }

    /// A dealer's monthly actuals of an item for a year (`None`: not reported).
    pub(super) async fn item_months(
        &self,
        dealer: &str,
        year: i32,
        item: TargetItem,
    ) -> AppResult<[Option<i64>; 12]> {
        let mut out = [None; 12];
        let (Some(jan), Some(dec)) = (Month::new(year, 1), Month::new(year, 12)) else {
            return Ok(out);
        };
        for (m, v) in self.store.submitted_values(dealer, jan, dec).await? {
            out[(m.month() - 1) as usize] = item.actual(&v);
        }
        Ok(out)
    }

    /// Sets (or with `None` removes) the OEM's national phasing profile of an item for a
    /// year: twelve non-negative weights, not all zero. Targets approved later use it.
    pub async fn set_phasing_profile(
        &self,
        who: &Principal,
        year: i32,
        item: &str,
        weights: Option<Vec<i64>>,
    ) -> AppResult<()> {
        self.target_year(year)?;
        let item = TargetItem::parse(item).ok_or_else(|| {
            AppError::invalid(
                "item",
                format!(
                    "unknown target item `{}`",
                    crate::domain::text::excerpt(item)
                ),
            )
        })?;
        let weights = match weights {
            None => None,
            Some(w) => {
                let w: [i64; 12] = w.try_into().map_err(|w: Vec<i64>| {
                    AppError::invalid(
                        "weights",
                        format!("twelve weights, one per month, got {}", w.len()),
                    )
                })?;
                if w.iter().any(|x| !(0..=1_000_000).contains(x)) || w.iter().all(|x| *x == 0) {
                    return Err(AppError::invalid(
                        "weights",
                        "each weight must be between 0 and 1000000, and not all zero",
                    ));
                }
                Some(w)
            }
        };
        Ok(self
            .store
            .set_phasing_profile(year, item.code(), weights, &who.sub, self.now_ms())
            .await?)
    }

    /// The OEM's phasing profile of an item for a year, if set.
    pub async fn phasing_profile(
        &self,
        year: i32,
        item: TargetItem,
    ) -> AppResult<Option<[i64; 12]>> {
        Ok(self.store.phasing_profile(year, item.code()).await?)
    }
}
