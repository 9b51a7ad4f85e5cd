//! The service's Prometheus metrics (OpenMetrics text at `GET /metrics`): requests and
//! their latency per operation and outcome, GraphQL errors by code, reports stored, and
//! gauges read at scrape time (KPI cache, change-log lag, database pool).
//!
//! Label values come from clients (operation names), so they are bounded: a name that is
//! not a plain GraphQL name, or beyond the first [`MAX_OPERATIONS`] seen, counts as `other`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Distinct operation names that get a label of their own.
pub const MAX_OPERATIONS: usize = 200;
/// Longest operation name that gets a label of its own.
const MAX_NAME_CHARS: usize = 64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// How a GraphQL request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Data and no error.
    Ok,
    /// Data with errors (some fields failed).
    Partial,
    /// Errors and no data.
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Error => "error",
        }
    }
}

/// What the gauges show, read when `/metrics` is scraped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub kpi_cache_bytes: u64,
    pub months_loaded: u64,
    /// Changes in the database's log this replica has not followed yet.
    pub change_log_lag: u64,
    /// Reads of the change log since start, and their time in all (µs).
    pub change_log_reads: u64,
    pub change_log_read_micros: u64,
    pub pool_open: u64,
    pub pool_idle: u64,
    pub pool_max: u64,
    /// Subscriptions open on this replica.
    pub subscriptions: u64,
}

/// Every metric of the service, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    errors: Family<CodeLabels, Counter>,
    reports: Family<KindLabels, Counter>,
    kpi_cache_bytes: Gauge<u64, AtomicU64>,
    months_loaded: Gauge<u64, AtomicU64>,
    change_log_lag: Gauge<u64, AtomicU64>,
    change_log_reads: Counter,
    change_log_reads_seen: AtomicU64,
    change_log_read_seconds: Counter<f64, AtomicU64>,
    change_log_read_micros_seen: AtomicU64,
    pool_open: Gauge<u64, AtomicU64>,
    pool_idle: Gauge<u64, AtomicU64>,
    pool_max: Gauge<u64, AtomicU64>,
    subscriptions: Gauge<u64, AtomicU64>,
    operations: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("msi");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            // 0.5 ms to about 16 s.
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let errors = Family::<CodeLabels, Counter>::default();
        let reports = Family::<KindLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL operations answered, by operation name and outcome (ok, partial, error)",
            requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL operation, by operation name and outcome",
            latency.clone(),
        );
        registry.register(
            "graphql_errors",
            "GraphQL errors returned, by extensions.code",
            errors.clone(),
        );
        registry.register(
            "reports_stored",
            "Report revisions stored: first submissions (submitted) and amendments (amended)",
            reports.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::<u64, AtomicU64>::default();
            registry.register(name, help, g.clone());
            g
        };
        let kpi_cache_bytes = gauge(
            &mut registry,
            "kpi_cache_bytes",
            "Bytes held by the KPI cache (months of facts and computed results)",
        );
        let months_loaded = gauge(
            &mut registry,
            "kpi_cache_months",
            "Months of KPI facts held in memory",
        );
        let change_log_lag = gauge(
            &mut registry,
            "change_log_lag",
            "Changes in the database's change log this replica has not applied yet",
        );
        let change_log_reads = Counter::default();
        registry.register(
            "change_log_reads",
            "Reads of the change log by this replica's KPI cache (at most one per KPI query, shared by the queries that arrive while one runs)",
            change_log_reads.clone(),
        );
        let change_log_read_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "change_log_read_seconds",
            "Time this replica's KPI cache has spent reading the change log (waiting for the database included)",
            change_log_read_seconds.clone(),
        );
        let pool_open = gauge(
            &mut registry,
            "db_pool_connections",
            "Database connections open",
        );
        let pool_idle = gauge(
            &mut registry,
            "db_pool_idle_connections",
            "Database connections open and idle",
        );
        let pool_max = gauge(
            &mut registry,
            "db_pool_max_connections",
            "Most database connections the pool opens",
        );
        let subscriptions = gauge(
            &mut registry,
            "subscriptions",
            "Subscriptions to submission events open on this replica",
        );
        Metrics {
            registry,
            requests,
            latency,
            errors,
            reports,
            kpi_cache_bytes,
            months_loaded,
            change_log_lag,
            change_log_reads,
            change_log_reads_seen: AtomicU64::new(0),
            change_log_read_seconds,
            change_log_read_micros_seen: AtomicU64::new(0),
            pool_open,
            pool_idle,
            pool_max,
            subscriptions,
            operations: Mutex::new(HashSet::new()),
        }
    }

    /// The label of an operation name: itself while names stay few and plain.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".into();
        };
        let plain = !name.is_empty()
            && name.len() <= MAX_NAME_CHARS
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return "other".into();
        }
        let mut known = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        if known.contains(name) {
            return name.to_string();
        }
        if known.len() < MAX_OPERATIONS {
            known.insert(name.to_string());
            return name.to_string();
        }
        "other".into()
    }

    /// One GraphQL operation answered.
    pub fn request(&self, operation: String, outcome: Outcome, seconds: f64, codes: &[&str]) {
        let labels = RequestLabels {
            operation,
            outcome: outcome.as_str(),
        };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
        for code in codes {
            // Codes are the service's own (a fixed set), but an unknown one stays bounded.
            let code = if code.len() <= 40
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            {
                code.to_string()
            } else {
                "OTHER".into()
            };
            self.errors.get_or_create(&CodeLabels { code }).inc();
        }
    }

    /// Report revisions stored: first submissions and amendments.
    pub fn reports_stored(&self, submitted: u64, amended: u64) {
        if submitted > 0 {
            self.reports
                .get_or_create(&KindLabels { kind: "submitted" })
                .inc_by(submitted);
        }
        if amended > 0 {
            self.reports
                .get_or_create(&KindLabels { kind: "amended" })
                .inc_by(amended);
        }
    }

    /// The OpenMetrics text of every metric, the gauges set to `gauges`.
    pub fn encode(&self, gauges: Gauges) -> String {
        self.kpi_cache_bytes.set(gauges.kpi_cache_bytes);
        self.months_loaded.set(gauges.months_loaded);
        self.change_log_lag.set(gauges.change_log_lag);
        // A counter moves by what was read since the last scrape (scrapes may overlap).
        let seen = self
            .change_log_reads_seen
            .fetch_max(gauges.change_log_reads, Ordering::Relaxed);
        if gauges.change_log_reads > seen {
            self.change_log_reads.inc_by(gauges.change_log_reads - seen);
        }
        let seen = self
            .change_log_read_micros_seen
            .fetch_max(gauges.change_log_read_micros, Ordering::Relaxed);
        if gauges.change_log_read_micros > seen {
            self.change_log_read_seconds
                .inc_by((gauges.change_log_read_micros - seen) as f64 / 1e6);
        }
        self.pool_open.set(gauges.pool_open);
        self.pool_idle.set(gauges.pool_idle);
        self.pool_max.set(gauges.pool_max);
        self.subscriptions.set(gauges.subscriptions);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        let m = Metrics::new();
        assert_eq!(m.operation_label(None), "anonymous");
        assert_eq!(m.operation_label(Some("Ranking")), "Ranking");
        assert_eq!(m.operation_label(Some("a b")), "other");
        assert_eq!(m.operation_label(Some(&"x".repeat(65))), "other");
        for i in 0..MAX_OPERATIONS {
            m.operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(m.operation_label(Some("OneMore")), "other");
        assert_eq!(m.operation_label(Some("Ranking")), "Ranking");
    }

    #[test]
    fn the_text_holds_every_family() {
        let m = Metrics::new();
        m.request("Ranking".into(), Outcome::Ok, 0.002, &[]);
        m.request("anonymous".into(), Outcome::Error, 0.001, &["FORBIDDEN"]);
        m.reports_stored(3, 1);
        m.encode(Gauges {
            change_log_reads: 5,
            ..Default::default()
        });
        let text = m.encode(Gauges {
            months_loaded: 36,
            change_log_reads: 7,
            change_log_read_micros: 2500,
            ..Default::default()
        });
        for line in [
            "msi_graphql_requests_total{operation=\"Ranking\",outcome=\"ok\"} 1",
            "msi_graphql_errors_total{code=\"FORBIDDEN\"} 1",
            "msi_reports_stored_total{kind=\"submitted\"} 3",
            "msi_reports_stored_total{kind=\"amended\"} 1",
            "msi_kpi_cache_months 36",
            "msi_change_log_reads_total 7",
            "msi_change_log_read_seconds_total 0.0025",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(text.contains("msi_graphql_request_duration_seconds_bucket"));
        assert!(text.ends_with("# EOF\n"));
    }
}
