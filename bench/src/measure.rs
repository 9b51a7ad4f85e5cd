//! Latency statistics: what a scenario's requests took and how many failed.

use std::time::Duration;

use serde_json::{json, Value};

/// Error messages kept per scenario.
const MAX_ERROR_SAMPLES: usize = 5;

#[derive(Default)]
pub struct Tally {
    latencies_ms: Vec<f64>,
    errors: u64,
    samples: Vec<String>,
}

impl Tally {
    pub fn record(&mut self, took: Duration, outcome: Result<(), String>) {
        self.latencies_ms.push(took.as_secs_f64() * 1000.0);
        if let Err(e) = outcome {
            self.fail(e);
        }
    }

    pub fn fail(&mut self, e: String) {
        self.errors += 1;
        if self.samples.len() < MAX_ERROR_SAMPLES {
            self.samples.push(e);
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.latencies_ms.extend(other.latencies_ms);
        self.errors += other.errors;
        for s in other.samples {
            if self.samples.len() < MAX_ERROR_SAMPLES {
                self.samples.push(s);
            }
        }
    }
}

/// The result of one scenario.
pub struct Outcome {
    pub name: String,
    pub requests: usize,
    pub errors: u64,
    pub warmup: usize,
    pub warmup_errors: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
    pub throughput: f64,
    pub window_s: f64,
    pub samples: Vec<String>,
    pub notes: String,
    pub extra: Value,
    /// The server's CPU time per measured request (user and system), in ms.
    pub server_cpu_ms: Option<f64>,
    /// Reads of the change log per measured request (following other replicas' writes),
    /// and their time per request (ms).
    pub log_reads: Option<f64>,
    pub log_read_ms: Option<f64>,
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Outcome {
    pub fn new(name: &str, measured: Tally, warm: Tally, window: Duration) -> Outcome {
        let mut l = measured.latencies_ms;
        l.sort_by(f64::total_cmp);
        let n = l.len();
        let mut samples = warm
            .samples
            .into_iter()
            .map(|s| format!("(warmup) {s}"))
            .collect::<Vec<_>>();
        samples.extend(measured.samples);
        samples.truncate(MAX_ERROR_SAMPLES);
        Outcome {
            name: name.to_string(),
            requests: n,
            errors: measured.errors,
            warmup: warm.latencies_ms.len(),
            warmup_errors: warm.errors,
            p50: percentile(&l, 50.0),
            p90: percentile(&l, 90.0),
            p99: percentile(&l, 99.0),
            max: l.last().copied().unwrap_or(0.0),
            mean: if n == 0 {
                0.0
            } else {
                l.iter().sum::<f64>() / n as f64
            },
            throughput: if window.is_zero() {
                0.0
            } else {
                n as f64 / window.as_secs_f64()
            },
            window_s: window.as_secs_f64(),
            samples,
            notes: String::new(),
            extra: json!({}),
            server_cpu_ms: None,
            log_reads: None,
            log_read_ms: None,
        }
    }

    pub fn failed(&self) -> bool {
        self.errors > 0 || self.warmup_errors > 0
    }

    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "requests": self.requests,
            "errors": self.errors,
            "warmup_requests": self.warmup,
            "warmup_errors": self.warmup_errors,
            "p50_ms": round2(self.p50),
            "p90_ms": round2(self.p90),
            "p99_ms": round2(self.p99),
            "max_ms": round2(self.max),
            "mean_ms": round2(self.mean),
            "throughput_rps": round2(self.throughput),
            "window_s": round2(self.window_s),
            "error_samples": self.samples,
            "notes": self.notes,
            "server_cpu_ms_per_request": self.server_cpu_ms.map(round2),
            "change_log_reads_per_request": self.log_reads.map(round2),
            "change_log_read_ms_per_request": self.log_read_ms.map(|x| (x * 1000.0).round() / 1000.0),
            "extra": self.extra,
        })
    }
}

/// The outcome of a write scenario, with the accepted writes per second in its notes.
pub fn write_outcome(
    name: &str,
    measured: Tally,
    warm: Tally,
    window: Duration,
    what: &str,
) -> Outcome {
    let mut o = Outcome::new(name, measured, warm, window);
    let accepted = o.requests as u64 - o.errors.min(o.requests as u64);
    o.notes = format!(
        "{accepted} {what} accepted: {:.1} reports/s",
        accepted as f64 / o.window_s.max(1e-9)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let l: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&l, 50.0), 5.0);
        assert_eq!(percentile(&l, 90.0), 9.0);
        assert_eq!(percentile(&l, 99.0), 10.0);
        assert_eq!(percentile(&l, 0.0), 1.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn outcome_of_a_tally() {
        let mut measured = Tally::default();
        // Whole seconds, so that every figure is exact in binary.
        for s in [3, 1, 2, 4] {
            measured.record(Duration::from_secs(s), Ok(()));
        }
        measured.record(Duration::from_secs(5), Err("bad".into()));
        let mut warm = Tally::default();
        warm.record(Duration::from_secs(9), Err("cold".into()));
        let o = Outcome::new("x", measured, warm, Duration::from_secs(2));
        assert_eq!(
            (o.requests, o.errors, o.warmup, o.warmup_errors),
            (5, 1, 1, 1)
        );
        assert_eq!((o.p50, o.max, o.mean), (3000.0, 5000.0, 3000.0));
        assert_eq!((o.throughput, o.window_s), (2.5, 2.0));
        assert_eq!(o.samples, ["(warmup) cold", "bad"]);
        assert!(o.failed());
    }

    #[test]
    fn error_samples_are_bounded() {
        let mut a = Tally::default();
        for i in 0..4 {
            a.fail(format!("a{i}"));
        }
        let mut b = Tally::default();
        for i in 0..4 {
            b.fail(format!("b{i}"));
        }
        a.merge(b);
        assert_eq!(a.errors, 8);
        assert_eq!(a.samples, ["a0", "a1", "a2", "a3", "b0"]);
    }
}
