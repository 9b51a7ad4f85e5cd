//! Who sees what of KPI figures, in one place.
//!
//! - OEM administrators and BI readers: everything, live.
//! - Regional managers: live figures; a dealer's own values only for the months it was in
//!   one of their regions (other dealers: aggregates only).
//! - Dealers: their own values, live; other dealers only as published group values (see
//!   `domain::disclosure`), for their own region, their peer group and the nation.

use super::cache::{Directory, View};
use super::{AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::disclosure::{Disclosure, Rules};
use crate::domain::stats::Aggregate;
use crate::domain::{Group, Month, MonthRange};

/// The caller, with the disclosure rules in force.
pub struct Viewer<'a> {
    pub who: &'a Principal,
    pub rules: Rules,
}

/// A group's figures as a viewer may see them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFigures {
    pub disclosure: Disclosure,
    /// Empty when withheld.
    pub aggregate: Option<Aggregate>,
    /// Dealers with a value (0 when not yet published).
    pub count: usize,
    pub missing: usize,
    /// Σ numerators and denominators (other dealers' figures: never for dealer users).
    pub show_sums: bool,
    /// Min and max (one dealer's value each: never for dealer users).
    pub show_extremes: bool,
}

impl GroupFigures {
    /// Nothing to show yet.
    pub fn not_published() -> GroupFigures {
        GroupFigures {
            disclosure: Disclosure::NotYetPublished,
            aggregate: None,
            count: 0,
            missing: 0,
            show_sums: false,
            show_extremes: false,
        }
    }

    /// The pooled value, when shown.
    pub fn pooled(&self) -> Option<f64> {
        self.aggregate.as_ref().and_then(|a| a.pooled)
    }
}

/// A dealer's groups as far as its own comparisons go (its region at the period's end, its
/// peer group).
pub struct OwnGroups {
    pub region: Option<String>,
    pub peer: Group,
}

impl OwnGroups {
    pub fn of(directory: &Directory, i: usize, month: Month) -> OwnGroups {
        let d = &directory.dealers[i];
        OwnGroups {
            region: directory.region_at(i, month).map(str::to_string),
            peer: Group::peer(&d.brand, d.size_tier),
        }
    }
}

impl Viewer<'_> {
    pub fn is_dealer(&self) -> bool {
        self.who.role == Role::Dealer
    }

    /// Live figures, or the published snapshot (dealer users).
    pub fn view(&self) -> View {
        if self.is_dealer() {
            View::Published
        } else {
            View::Live
        }
    }

    /// The caller's own dealer code (dealer users).
    pub fn own_dealer(&self) -> Option<&str> {
        self.who.dealer.as_deref().filter(|_| self.is_dealer())
    }

    /// Dealer users may look at their own region, their peer group and the nation only.
    pub fn check_group(&self, group: &Group, own: Option<&OwnGroups>) -> AppResult<()> {
        if !self.is_dealer() {
            return Ok(());
        }
        let ok = match (group, own) {
            (Group::Nation, _) => true,
            (Group::Region(r), Some(o)) => o.region.as_ref() == Some(r),
            (peer @ Group::Peer { .. }, Some(o)) => &o.peer == peer,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "a dealer compares itself with its own region, its peer group and the nation only, not {group}"
            )))
        }
    }

    /// A group's figures as this caller may see them (`None`: not yet published).
    pub fn figures(&self, aggregate: Option<&Aggregate>) -> GroupFigures {
        let Some(a) = aggregate else {
            return GroupFigures::not_published();
        };
        if !self.is_dealer() {
            return GroupFigures {
                disclosure: Disclosure::Live,
                aggregate: Some(a.clone()),
                count: a.count,
                missing: a.missing,
                show_sums: true,
                show_extremes: true,
            };
        }
        let disclosure = self.rules.judge(a);
        GroupFigures {
            disclosure,
            aggregate: disclosure.shown().then(|| a.clone()),
            count: a.count,
            missing: a.missing,
            show_sums: false,
            show_extremes: false,
        }
    }

    /// A group's pooled value as this caller may see it (what [`Viewer::figures`] shows),
    /// from its sums alone.
    pub fn pooled(&self, sums: &Aggregate) -> Option<f64> {
        if self.is_dealer() && !self.rules.judge(sums).shown() {
            return None;
        }
        sums.pooled
    }

    /// Whether the caller sees dealer `i`'s own figures in `group` over `range` (for a
    /// region, its months there; otherwise all its months of the range).
    pub fn sees_dealer(
        &self,
        directory: &Directory,
        i: usize,
        range: MonthRange,
        group: &Group,
    ) -> bool {
        match self.who.role {
            Role::OemAdmin | Role::BiReader => true,
            Role::Dealer => self.who.dealer.as_deref() == Some(&directory.dealers[i].code),
            Role::RegionalManager => match group {
                Group::Region(r) => self.who.regions.contains(r),
                _ => range
                    .months()
                    .all(|m| self.sees_dealer_month(directory, i, m)),
            },
        }
    }

    /// Whether the caller sees dealer `i`'s own figures of `month` (a regional manager: the
    /// dealer was in one of its regions then, or in none yet).
    pub fn sees_dealer_month(&self, directory: &Directory, i: usize, month: Month) -> bool {
        match self.who.role {
            Role::OemAdmin | Role::BiReader => true,
            Role::Dealer => self.who.dealer.as_deref() == Some(&directory.dealers[i].code),
            Role::RegionalManager => directory
                .region_at(i, month)
                .is_none_or(|r| self.who.regions.iter().any(|x| x == r)),
        }
    }

    /// Whether the caller may know who dealer `i` is (in `month`'s terms).
    pub fn sees_identity(&self, directory: &Directory, i: usize, month: Month) -> bool {
        match self.who.role {
            Role::RegionalManager => directory
                .region_at(i, month)
                .is_some_and(|r| self.who.regions.iter().any(|x| x == r)),
            _ => self.sees_dealer_month(directory, i, month),
        }
    }
}

/// The dealers of a status list `who` may see: those of `region` (checked against its
/// regions for a manager), its regions, or (a dealer) its own line.
pub fn status_filter(
    who: &Principal,
    region: Option<String>,
) -> AppResult<crate::store::DealerFilter> {
    use crate::auth::Scope;
    if let Some(r) = &region {
        crate::domain::network::check_code("regionCode", r)
            .map_err(|m| AppError::invalid("regionCode", m))?;
    }
    let mut f = crate::store::DealerFilter::default();
    match who.scope() {
        Scope::All => f.regions = region.map(|r| vec![r]),
        Scope::Regions(mine) => match region {
            Some(r) if mine.contains(&r) => f.regions = Some(vec![r]),
            Some(r) => {
                return Err(AppError::Forbidden(format!(
                    "region {r} is not one of your regions ({})",
                    mine.join(", ")
                )))
            }
            None => f.regions = Some(mine),
        },
        Scope::Dealer(d) => {
            f.dealer = Some(d);
            f.regions = region.map(|r| vec![r]);
        }
    }
    Ok(f)
}
