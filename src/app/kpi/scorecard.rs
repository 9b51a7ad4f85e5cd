//! Scorecards: every KPI of one dealer for a period, against its region, its peer group
//! and the nation.

use crate::app::cache::{DigestGroup, Digested, View};
use crate::app::visibility::{GroupFigures, OwnGroups};
use crate::app::{App, AppResult};
use crate::auth::Principal;
use crate::domain::kpi::{GuidelineStatus, KpiDef, Unavailable, KPIS};
use crate::domain::standing::Standing;
use crate::domain::stats::Pair;
use crate::domain::{Dealer, Group, Period};

/// A dealer's own value as the caller may see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OwnValue {
    Value(f64),
    Unavailable(Unavailable),
    /// The caller may not see it (a regional manager, for months the dealer spent in
    /// another region).
    Hidden,
}

impl OwnValue {
    pub fn value(self) -> Option<f64> {
        match self {
            OwnValue::Value(v) => Some(v),
            _ => None,
        }
    }

    fn of(kpi: &KpiDef, figures: Result<Pair, Unavailable>, visible: bool) -> OwnValue {
        if !visible {
            return OwnValue::Hidden;
        }
        match figures {
            Ok(p) => kpi.value(p.num, p.den).map_or(
                OwnValue::Unavailable(Unavailable::ZeroDenominator),
                OwnValue::Value,
            ),
            Err(u) => OwnValue::Unavailable(u),
        }
    }
}

/// One KPI of a scorecard.
pub struct ScorecardLine {
    pub kpi: &'static KpiDef,
    pub value: OwnValue,
    pub rank_in_region: Option<usize>,
    pub rank_in_nation: Option<usize>,
    pub percentile_in_nation: Option<f64>,
    pub region: GroupFigures,
    pub nation: GroupFigures,
    pub peer: GroupFigures,
    pub guideline_status: Option<GuidelineStatus>,
    /// The value of the period just before (same length).
    pub previous: OwnValue,
    /// The value of the same period a year before.
    pub year_ago: OwnValue,
}

/// Every KPI of one dealer.
pub struct ScorecardView {
    pub dealer: Dealer,
    pub region_code: Option<String>,
    pub period: Period,
    pub lines: Vec<ScorecardLine>,
}

impl App {
    /// Every KPI of `dealer` over `period`: its own values (live), its standings and the
    /// groups' figures (the published snapshot for dealer users), and its changes.
    pub async fn scorecard(
        &self,
        who: &Principal,
        dealer: &str,
        period: Period,
    ) -> AppResult<ScorecardView> {
        let viewer = self.viewer(who);
        self.refresh_kpis().await?;
        let (directory, i) = self.dealer_slot(dealer).await?;
        let own = OwnGroups::of(&directory, i, period.range.to);
        let ranges = [
            period.range,
            period.previous().range,
            period.year_before().range,
        ];
        let mut figures = Vec::with_capacity(3);
        let mut visible = Vec::with_capacity(3);
        for range in ranges {
            let f = self
                .cache
                .own_figures(self.store.as_ref(), dealer, range)
                .await?
                .unwrap_or_else(|| vec![Err(Unavailable::MissingReport); KPIS.len()]);
            figures.push(f);
            visible.push(viewer.sees_dealer(&directory, i, range, &Group::Nation));
        }
        let region = own.region.clone().map(Group::Region);
        // The groups' figures and the standings of every KPI, digested once per period.
        let view = viewer.view();
        let digest = self
            .cache
            .period_digest(self.store.as_ref(), period, view)
            .await?;
        // The groups as the digest knows them: looked up once, not per KPI.
        let region_group = digest
            .as_ref()
            .zip(region.as_ref())
            .map(|(d, g)| d.group(g));
        let nation_group = digest.as_ref().map(|d| d.group(&Group::Nation));
        let peer_group = digest.as_ref().map(|d| d.group(&own.peer));
        let region_id = region_group.and_then(DigestGroup::region);
        // The dealer's place in the digest's directory (the network may have changed since
        // `directory` was read).
        let at = digest
            .as_ref()
            .and_then(|d| d.directory.index.get(dealer).copied());
        let mut lines = Vec::with_capacity(KPIS.len());
        for (k, def) in KPIS.iter().enumerate() {
            let value = OwnValue::of(def, figures[0][k], visible[0]);
            // Not yet published without a digest; no region's without a region.
            let figures_of = |g: Option<DigestGroup>| {
                let aggregate = digest.as_ref().zip(g).map(|(d, g)| d.aggregate(k, g));
                viewer.figures(aggregate.as_ref())
            };
            let region_figures = figures_of(region_group);
            let nation = figures_of(nation_group);
            let peer = figures_of(peer_group);
            // Standings only where the group's figures are shown, and the value is.
            let digested = digest
                .as_ref()
                .zip(at)
                .and_then(|(d, at)| Some((d, d.kpis.get(k)?, at)))
                .filter(|_| visible[0]);
            let in_nation = match digested.filter(|_| nation.disclosure.shown()) {
                None => None,
                Some((_, kd, at)) => match kd.nation_standing(at) {
                    Digested::Known(s) => s,
                    Digested::Unknown => {
                        self.standing(def, period, view, i, &Group::Nation).await?
                    }
                },
            };
            let in_region = match (
                digested.filter(|_| region_figures.disclosure.shown()),
                &region,
                region_id,
            ) {
                (Some((d, kd, at)), Some(g), Some(id)) => {
                    match kd.region_rank(at, id, &d.membership) {
                        Digested::Known(r) => r,
                        Digested::Unknown => self
                            .standing(def, period, view, i, g)
                            .await?
                            .map(|s| s.rank),
                    }
                }
                _ => None,
            };
            lines.push(ScorecardLine {
                kpi: def,
                value,
                rank_in_region: in_region,
                rank_in_nation: in_nation.map(|s| s.rank),
                percentile_in_nation: in_nation.map(|s| s.percentile),
                region: region_figures,
                nation,
                peer,
                guideline_status: value
                    .value()
                    .and_then(|x| def.guideline.map(|g| g.status(x))),
                previous: OwnValue::of(def, figures[1][k], visible[1]),
                year_ago: OwnValue::of(def, figures[2][k], visible[2]),
            });
        }
        Ok(ScorecardView {
            dealer: directory.dealers[i].clone(),
            region_code: own.region,
            period,
            lines,
        })
    }

    /// Dealer `i`'s standing in `group`, from the KPI's sums over the period (what a
    /// digest does not keep: a dealer that moved, a very large network).
    async fn standing(
        &self,
        def: &'static KpiDef,
        period: Period,
        view: View,
        i: usize,
        group: &Group,
    ) -> AppResult<Option<Standing>> {
        let p = self.kpi_period(def, period, view).await?;
        Ok(p.and_then(|p| p.standing(i, group)))
    }
}
