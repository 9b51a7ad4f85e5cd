//! Loading generated networks (the demo, benchmark data) through the store, with progress.

use std::time::Instant;

use super::App;
use crate::generator::{self, Spec};

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    pub dealers: usize,
    /// Reports inserted now (those already present are skipped, so a second load inserts 0).
    pub reports_inserted: u64,
    pub months: usize,
}

impl App {
    /// Loads the generated network and its reports month by month; idempotent.
    /// `progress` is told `(months done, months in all, reports inserted so far)`.
    pub async fn load_generated(
        &self,
        spec: &Spec,
        mut progress: impl FnMut(usize, usize, u64),
    ) -> anyhow::Result<LoadSummary> {
        let started = Instant::now();
        let network = generator::network(spec);
        self.store
            .load_network(&network.regions, &network.dealers, &network.moves)
            .await?;
        let months: Vec<_> = generator::months(spec).collect();
        let mut summary = LoadSummary {
            dealers: network.dealers.len(),
            reports_inserted: 0,
            months: months.len(),
        };
        for (i, month) in months.iter().enumerate() {
            let reports = generator::reports_for_month(spec, &network, *month);
            summary.reports_inserted += self.store.load_reports(&reports).await?;
            progress(i + 1, months.len(), summary.reports_inserted);
        }
        tracing::info!(
            dealers = summary.dealers,
            reports = summary.reports_inserted,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "network loaded"
        );
        Ok(summary)
    }

    /// The demo network (8 regions, 240 dealers, 24 months ending last month), unless
    /// the database already holds dealers and `only_if_empty` is set.
    pub async fn load_demo(&self, only_if_empty: bool) -> anyhow::Result<Option<LoadSummary>> {
        if only_if_empty && self.store.count_dealers().await? > 0 {
            return Ok(None);
        }
        let spec = Spec::demo(self.current_month().plus(-1), self.now_ms());
        Ok(Some(self.load_generated(&spec, |_, _, _| {}).await?))
    }
}
