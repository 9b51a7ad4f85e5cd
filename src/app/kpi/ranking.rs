//! Rankings: a group's dealers ordered by a KPI, with the group's and the nation's figures.

use crate::app::cache::Directory;
use crate::app::visibility::{GroupFigures, OwnGroups};
use crate::app::{App, AppResult};
use crate::auth::Principal;
use crate::domain::kpi::KpiDef;
use crate::domain::paging::Window;
use crate::domain::stats::Pair;
use crate::domain::{Group, Period};

/// A dealer's line in a ranking.
#[derive(Debug, Clone)]
pub struct RankingLine {
    /// Position in the caller's list (for cursors).
    pub position: usize,
    pub rank: usize,
    pub percentile: f64,
    pub value: f64,
    pub pair: Pair,
    pub dealer_code: String,
    pub dealer_name: String,
    /// The dealer's region in the period's last month.
    pub region_code: Option<String>,
    pub delta_to_region: Option<f64>,
    pub delta_to_nation: Option<f64>,
}

/// A ranking as the caller may see it.
pub struct RankingView {
    pub kpi: &'static KpiDef,
    pub period: Period,
    pub aggregate: GroupFigures,
    pub nation: GroupFigures,
    pub lines: Vec<RankingLine>,
    pub has_previous: bool,
    pub has_next: bool,
    /// Lines the caller may see in all (every page).
    pub total: usize,
    /// Codes of the group's dealers without a value that the caller may know.
    pub missing: Vec<String>,
}

impl App {
    /// The dealers of `group` ordered by `kpi` over `period`: the page `window` of the lines
    /// the caller may see. Dealer users see their own line against the published
    /// snapshot, when the group's figures may be shown to them.
    pub async fn ranking(
        &self,
        who: &Principal,
        kpi: &'static KpiDef,
        period: Period,
        group: Group,
        window: Window,
    ) -> AppResult<RankingView> {
        let viewer = self.viewer(who);
        self.refresh_kpis().await?;
        let directory = self.directory().await?;
        let own = viewer
            .own_dealer()
            .and_then(|d| directory.index.get(d).copied())
            .map(|i| OwnGroups::of(&directory, i, period.range.to));
        viewer.check_group(&group, own.as_ref())?;
        let mut view = RankingView {
            kpi,
            period,
            aggregate: GroupFigures::not_published(),
            nation: GroupFigures::not_published(),
            lines: vec![],
            has_previous: window.after.is_some(),
            has_next: false,
            total: 0,
            missing: vec![],
        };
        let Some(p) = self.kpi_period(kpi, period, viewer.view()).await? else {
            return Ok(view);
        };
        let directory: &Directory = &p.directory;
        // The group's and the nation's statistics in one pass.
        let stats = p.stats_of(&[&group, &Group::Nation]);
        view.aggregate = viewer.figures(Some(&stats[0].aggregate));
        view.nation = viewer.figures(Some(&stats[1].aggregate));
        let last = period.range.to;
        let region_pooled = |r: &Option<String>| {
            r.as_ref()
                .and_then(|r| viewer.pooled(&p.sums(&Group::Region(r.clone()))))
        };
        // A withheld group shows no rank or percentile in it.
        let shown = view.aggregate.disclosure.shown();
        let page = p.ranking(
            &group,
            |i| shown && viewer.sees_dealer(directory, i, period.range, &group),
            &window,
        );
        (view.has_previous, view.has_next, view.total) =
            (page.bounds.has_previous, page.bounds.has_next, page.total);
        for (position, r) in (page.bounds.lo..).zip(page.lines) {
            let d = &directory.dealers[r.index];
            let region_code = directory.region_at(r.index, last).map(str::to_string);
            view.lines.push(RankingLine {
                position,
                rank: r.standing.rank,
                percentile: r.standing.percentile,
                value: r.value,
                pair: r.pair,
                dealer_code: d.code.clone(),
                dealer_name: d.name.clone(),
                delta_to_region: region_pooled(&region_code).map(|x| r.value - x),
                delta_to_nation: view.nation.pooled().map(|x| r.value - x),
                region_code,
            });
        }
        view.missing = p
            .missing(&group)
            .into_iter()
            .filter(|&i| viewer.sees_identity(directory, i, last))
            .map(|i| directory.dealers[i].code.clone())
            .collect();
        Ok(view)
    }
}
