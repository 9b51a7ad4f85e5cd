//! Benchmarks: a KPI for a period, the nation and the regions side by side.

use crate::app::visibility::{GroupFigures, OwnGroups};
use crate::app::{App, AppResult};
use crate::auth::Principal;
use crate::domain::kpi::KpiDef;
use crate::domain::{Group, Period, Region};

/// The nation and the regions the caller may compare.
pub struct BenchmarksView {
    pub kpi: &'static KpiDef,
    pub period: Period,
    pub nation: GroupFigures,
    pub regions: Vec<(Region, GroupFigures)>,
}

impl App {
    /// `kpi` over `period` for the nation and every region; a dealer user gets its own
    /// region only, as published.
    pub async fn benchmarks(
        &self,
        who: &Principal,
        kpi: &'static KpiDef,
        period: Period,
    ) -> AppResult<BenchmarksView> {
        let viewer = self.viewer(who);
        self.refresh_kpis().await?;
        let directory = self.directory().await?;
        let own = viewer
            .own_dealer()
            .and_then(|d| directory.index.get(d).copied())
            .map(|i| OwnGroups::of(&directory, i, period.range.to));
        let p = self.kpi_period(kpi, period, viewer.view()).await?;
        let figures = |g: &Group| {
            let stats = p.as_ref().map(|p| p.stats(g));
            viewer.figures(stats.as_ref().map(|s| &s.aggregate))
        };
        let regions = self
            .store
            .regions()
            .await?
            .into_iter()
            .filter(|r| {
                !viewer.is_dealer() || own.as_ref().and_then(|o| o.region.as_ref()) == Some(&r.code)
            })
            .map(|r| {
                let f = figures(&Group::Region(r.code.clone()));
                (r, f)
            })
            .collect();
        Ok(BenchmarksView {
            kpi,
            period,
            nation: figures(&Group::Nation),
            regions,
        })
    }
}
