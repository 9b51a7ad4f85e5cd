//! KPI queries: rankings, scorecards, trends, benchmarks and fact pulls, all built from the
//! stored per dealer-month numerators and denominators (never from raw reports), with the
//! caller's visibility applied (see [`super::visibility`]).

mod benchmarks;
mod facts;
mod params;
mod ranking;
mod scorecard;
mod trend;

pub use benchmarks::BenchmarksView;
pub use facts::FactAsk;
pub use ranking::{RankingLine, RankingView};
pub use scorecard::{OwnValue, ScorecardLine, ScorecardView};
pub use trend::{GroupValue, TrendPoint};

use std::sync::Arc;

use super::cache::{Directory, KpiPeriod, View};
use super::visibility::Viewer;
use super::{App, AppError, AppResult};
use crate::auth::Principal;
use crate::domain::disclosure::Rules;
use crate::domain::kpi::{self, KpiDef};
use crate::domain::Period;

impl App {
    /// The KPI named `code`, or a BAD_USER_INPUT error naming the argument.
    pub fn kpi(&self, code: &str) -> AppResult<&'static KpiDef> {
        kpi::by_code(code).ok_or_else(|| {
            AppError::invalid(
                "kpi",
                format!(
                    "unknown KPI `{}`: see kpiCatalog for the codes",
                    crate::domain::text::excerpt(code)
                ),
            )
        })
    }

    /// The disclosure rules in force.
    pub fn disclosure_rules(&self) -> Rules {
        Rules {
            min_group: self.settings.min_group_size as usize,
            max_share: self.settings.dominance_share,
        }
    }

    /// The caller with the rules it is seen under.
    pub fn viewer<'a>(&self, who: &'a Principal) -> Viewer<'a> {
        Viewer {
            who,
            rules: self.disclosure_rules(),
        }
    }

    /// Brings the KPI cache up to date with every write so far, by any replica. Once per
    /// request, before [`App::kpi_period`].
    pub async fn refresh_kpis(&self) -> AppResult<()> {
        Ok(self.cache.refresh(self.store.as_ref()).await?)
    }

    /// Brings the cache's directory, publications and parameters up to date with every
    /// write so far (not the dealers' facts, which a write does not read): cheaper than
    /// [`App::refresh_kpis`] while others write.
    pub async fn refresh_directory(&self) -> AppResult<()> {
        Ok(self.cache.refresh_shared(self.store.as_ref()).await?)
    }

    /// One KPI over one period for the whole network, live or as published (`None`: a
    /// month of it is not published yet).
    pub async fn kpi_period(
        &self,
        kpi: &'static KpiDef,
        period: Period,
        view: View,
    ) -> AppResult<Option<Arc<KpiPeriod>>> {
        Ok(self
            .cache
            .period(self.store.as_ref(), kpi, period, view)
            .await?)
    }

    /// Every dealer, in cache order.
    pub(in crate::app) async fn directory(&self) -> AppResult<Arc<Directory>> {
        Ok(self.cache.directory(self.store.as_ref()).await?)
    }

    /// A dealer's slot in the directory, or NOT_FOUND.
    pub(in crate::app) async fn dealer_slot(
        &self,
        code: &str,
    ) -> AppResult<(Arc<Directory>, usize)> {
        let directory = self.directory().await?;
        match directory.index.get(code) {
            Some(&i) => Ok((directory, i)),
            None => Err(AppError::NotFound(format!("dealer {code} not found"))),
        }
    }
}
