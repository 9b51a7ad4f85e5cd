//! Plausibility against peers at submission: the dealer's key figures of the month against
//! its peer group's median of the latest published month (see `domain::report::peers`).

use std::collections::BTreeMap;

use super::cache::View;
use super::{App, AppError, AppResult};
use crate::domain::kpi::{param_for, DealerMonths, KpiDef, Param, ParamValue, KPIS};
use crate::domain::report::{is_key_figure, peer_warning, PeerMedian};
use crate::domain::{Dealer, Group, Month, Period, Values, Violation};

impl App {
    /// Warnings for the key figures of `values` (the dealer's report of `month`) beyond
    /// 5× or 1/5 of its peer group's median. The median is the one the group's dealers are
    /// shown, of the latest month published before `month`: none when the group is too
    /// small or too dominated to be shown, so a warning discloses nothing a dealer of the
    /// group could not read in its own scorecard.
    ///
    /// `params` are the OEM's parameters; the KPI cache is read as it stands (its callers
    /// refresh it: an import once per chunk of rows, not once per row).
    pub(super) async fn peer_warnings(
        &self,
        dealer: &Dealer,
        month: Month,
        values: &Values,
        params: &[ParamValue],
    ) -> AppResult<Vec<Violation>> {
        let publications = self.cache.publications(self.store.as_ref()).await?;
        let Some((&published, _)) = publications.range(..month).next_back() else {
            return Ok(vec![]);
        };
        // The region picks the regional parameter value, where the OEM set one.
        let region = match self.dealer_slot(&dealer.code).await {
            Ok((directory, i)) => directory.region_at(i, month).map(str::to_string),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        // The dealer's key figures of the month (they read this month only).
        let figures: Vec<(&'static KpiDef, f64)> = {
            let lookup = |p: Param| param_for(params, p, month.year(), region.as_deref());
            let reports = BTreeMap::from([(month, values.clone())]);
            let inputs = DealerMonths {
                reports: &reports,
                n: month,
                params: &lookup,
                targets: &|_| None,
            };
            KPIS.iter()
                .filter(|k| is_key_figure(k))
                .filter_map(|k| {
                    let (n, d) = k.eval(&inputs).ok()?;
                    Some((k, k.value(n, d)?))
                })
                .collect()
        };
        let group = Group::peer(&dealer.brand, dealer.size_tier);
        let rules = self.disclosure_rules();
        let mut warnings = Vec::new();
        for (k, value) in figures {
            let Some(p) = self
                .kpi_period(k, Period::month(published), View::Published)
                .await?
            else {
                continue;
            };
            let stats = p.stats(&group);
            let a = &stats.aggregate;
            let Some(median) = a.median.filter(|_| rules.judge(a).shown()) else {
                continue;
            };
            let peers = PeerMedian {
                month: published,
                group: group.to_string(),
                median,
                dealers: a.count,
            };
            warnings.extend(peer_warning(k, value, &peers));
        }
        Ok(warnings)
    }
}
