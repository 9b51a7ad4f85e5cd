//! Keeping stored facts in step with this build's KPI catalog.

use std::time::Instant;

use super::{App, AppResult};
use crate::domain::kpi;

/// Settings key of the catalog fingerprint the stored facts were computed under.
const CATALOG_KEY: &str = "kpi_catalog";

/// What an upgrade did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CatalogUpgrade {
    /// Dealers whose facts were recomputed.
    pub dealers: usize,
    /// Facts written or deleted because their value changed.
    pub facts_changed: u64,
}

impl App {
    /// Recomputes every stored fact when the catalog changed since the facts were written
    /// (a database of an earlier build), dealer by dealer, each in its own transaction, so
    /// that an interrupted upgrade resumes where it stopped: the fingerprint is recorded
    /// only at the end. Only changed facts are written, so incremental pulls see exactly
    /// those as updated. A database without the fingerprint (before it was kept) is
    /// upgraded too; a new one has nothing to recompute.
    pub async fn upgrade_catalog(&self) -> AppResult<Option<CatalogUpgrade>> {
        let current = kpi::fingerprint();
        let stored = self.store.setting(CATALOG_KEY).await?;
        if stored.as_deref() == Some(current.as_str()) {
            return Ok(None);
        }
        let dealers = self.store.reporting_dealers().await?;
        let started = Instant::now();
        let mut last_log = started;
        let mut done = CatalogUpgrade::default();
        if !dealers.is_empty() {
            tracing::info!(
                from = stored.as_deref().unwrap_or("unknown"),
                to = %current,
                dealers = dealers.len(),
                "the KPI catalog changed: recomputing every dealer's facts"
            );
        }
        for (i, dealer) in dealers.iter().enumerate() {
            done.facts_changed += self.store.recompute_dealer(dealer, self.wall_ms()).await?;
            done.dealers += 1;
            if last_log.elapsed().as_secs() >= 10 {
                last_log = Instant::now();
                tracing::info!(
                    done = i + 1,
                    of = dealers.len(),
                    facts_changed = done.facts_changed,
                    "recomputing facts for the new KPI catalog"
                );
            }
        }
        self.store.put_setting(CATALOG_KEY, &current).await?;
        if !dealers.is_empty() {
            tracing::info!(
                dealers = done.dealers,
                facts_changed = done.facts_changed,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "facts recomputed for the new KPI catalog"
            );
        }
        Ok(Some(done))
    }
}
