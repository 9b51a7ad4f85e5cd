//! Health of a replica: whether it can serve (`/readyz`), and warming its KPI cache.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::App;
use crate::domain::MonthRange;

impl App {
    /// The metrics as Prometheus scrapes them, the gauges read now (the change log's last
    /// number is one small query).
    pub async fn metrics_text(&self) -> String {
        let pool = self.store.pool_use();
        let followed = self.cache.followed_change();
        let (log_reads, log_read_micros) = self.cache.log_reads();
        let lag = match self.store.last_change().await {
            Ok(last) => (last - followed).max(0) as u64,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the change log could not be read");
                0
            }
        };
        self.metrics.encode(crate::metrics::Gauges {
            kpi_cache_bytes: self.cache.bytes() as u64,
            months_loaded: self.cache.months_loaded() as u64,
            change_log_lag: lag,
            change_log_reads: log_reads,
            change_log_read_micros: log_read_micros,
            pool_open: pool.open as u64,
            pool_idle: pool.idle as u64,
            pool_max: pool.max as u64,
            subscriptions: self.subscribers() as u64,
        })
    }

    /// Whether this replica can serve, or why not: the KPI cache warmed, the database
    /// answering, at the schema version this build expects.
    pub async fn readiness(&self) -> Result<String, String> {
        if !self.ready.load(Ordering::SeqCst) {
            return Err("warming the KPI cache".into());
        }
        match self.store.schema_version().await {
            Ok((applied, expected)) if applied == expected => {}
            Ok((applied, expected)) => {
                return Err(format!(
                    "the database schema is at version {applied}, this build needs {expected}"
                ))
            }
            Err(e) => {
                tracing::warn!(error = %e, "database not reachable");
                return Err("database not reachable".into());
            }
        }
        tracing::debug!(cache = %self.cache.describe(), "ready");
        Ok(match self.cache.warming() {
            Some((done, total)) => {
                format!("ready (warming the KPI cache: {done} of {total} months loaded)")
            }
            None => "ready".into(),
        })
    }

    /// Readies the KPI cache: the directory and the publications first (the replica is
    /// ready then: a query loads the months it needs), then the last `MSI_WARM_MONTHS`
    /// months in the background, oldest first.
    pub async fn warm_kpis(&self) {
        let started = Instant::now();
        let store = self.store.as_ref();
        let first = async {
            self.cache.refresh(store).await?;
            self.cache.directory(store).await?;
            self.cache.publications(store).await?;
            Ok::<(), crate::store::StoreError>(())
        };
        if let Err(e) = first.await {
            tracing::warn!(error = %e, "KPI cache start failed; it loads on first use");
        }
        let months = self.settings.warm_months as i32;
        let last = self.current_month().plus(-1);
        let range = MonthRange::new(last.plus(1 - months), last);
        // Before the replica is ready: `/readyz` tells a warm-up under way from one done.
        if let Some(range) = range {
            self.cache.will_warm(range.months().count());
        }
        self.ready.store(true, Ordering::SeqCst);
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ready: KPI months load on first use while the cache warms"
        );
        let Some(range) = range else {
            return;
        };
        match self.cache.warm(store, range).await {
            Ok(()) => tracing::info!(
                months,
                elapsed_ms = started.elapsed().as_millis() as u64,
                cache = %self.cache.describe(),
                "KPI cache warmed"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "KPI cache warm-up failed; months load on first use")
            }
        }
    }
}
