//! The results of a run: the JSON file and the Markdown summary on standard output.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::Cfg;
use crate::discover::Data;
use crate::measure::{round2, Outcome};

/// Everything a run reports.
pub struct Run<'a> {
    pub label: &'a str,
    pub date: &'a str,
    pub database_url: &'a str,
    pub seed: u64,
    pub data: &'a Data,
    /// `--generate` (dealers, months) and how long it took.
    pub generated: Option<((usize, usize), Duration)>,
    pub cfg: &'a Cfg,
    pub selected: &'a [&'a str],
    pub outcomes: &'a [Outcome],
    pub server_pid: u32,
    /// From starting the server to its `/readyz` answering 200.
    pub ready: Duration,
    /// From starting the server to its KPI cache being warm (scenarios run after).
    pub warm: Duration,
    /// The server's `VmHWM` and largest sampled `VmRSS`, in KiB.
    pub vm_hwm: Option<u64>,
    pub vm_rss_max: Option<u64>,
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn mib(k: Option<u64>) -> Option<f64> {
    k.map(|k| round2(k as f64 / 1024.0))
}

impl Run<'_> {
    /// Whether every scenario was free of errors.
    pub fn ok(&self) -> bool {
        !self.outcomes.iter().any(Outcome::failed)
    }

    /// What `--out` holds.
    pub fn json(&self) -> Value {
        let (data, cfg) = (self.data, self.cfg);
        json!({
            "label": self.label,
            "date": self.date,
            "git_commit": git(&["rev-parse", "--short", "HEAD"]),
            "git_dirty": git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty()),
            "database_url": msi_hub::config::redact(self.database_url),
            "dealers": data.active,
            "dealers_reported": data.submitted,
            "months": data.months,
            "month": data.month.to_string(),
            "last_month_with_reports": data.last.to_string(),
            "regions": data.regions,
            "kpis": data.catalog.len(),
            "generate": self.generated.map(|((d, mo), took)| json!({
                "dealers": d, "months": mo, "seed": self.seed, "seconds": round2(took.as_secs_f64())
            })),
            "settings": {
                "clients": cfg.clients, "requests": cfg.requests, "warmup": cfg.warmup,
                "fact_pulls": cfg.fact_pulls, "freshness_rounds": cfg.freshness_rounds,
                "scenarios": self.selected,
            },
            "scenarios": self.outcomes.iter().map(Outcome::json).collect::<Vec<_>>(),
            "server": {
                "pid": self.server_pid,
                "ready_secs": round2(self.ready.as_secs_f64()),
                "warm_secs": round2(self.warm.as_secs_f64()),
                "peak_rss_vmhwm_kib": self.vm_hwm,
                "peak_rss_vmhwm_mib": mib(self.vm_hwm),
                "max_sampled_vmrss_kib": self.vm_rss_max,
                "max_sampled_vmrss_mib": mib(self.vm_rss_max),
            },
            "ok": self.ok(),
        })
    }

    /// The summary on standard output; `results` is what `json` gave (written to `out`).
    pub fn print(&self, results: &Value, out: &Path) {
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!(" — {}", self.label)
        };
        println!(
            "## MSI Hub benchmark{label}\n\n{} · {} · {} dealers active in {}, {} months of reports · {} clients · commit {}\n",
            self.date,
            msi_hub::config::redact(self.database_url),
            self.data.active,
            self.data.month,
            self.data.months,
            self.cfg.clients,
            results["git_commit"].as_str().unwrap_or("?"),
        );
        if let Some(g) = results["generate"].as_object() {
            println!(
                "generate {}x{}: {} s\n",
                g["dealers"], g["months"], g["seconds"]
            );
        }
        print!("{}", markdown(self.outcomes));
        let show = |k: Option<f64>| k.map_or("?".to_string(), |m| format!("{m:.1} MiB"));
        println!(
            "\nserver ready in {:.1} s, KPI cache warm in {:.1} s · peak RSS (VmHWM): {} · max sampled VmRSS: {}\n\nresults: {}",
            self.ready.as_secs_f64(),
            self.warm.as_secs_f64(),
            show(mib(self.vm_hwm)),
            show(mib(self.vm_rss_max)),
            out.display()
        );
    }
}

fn markdown(outcomes: &[Outcome]) -> String {
    let mut s = String::from(
        "| scenario | requests | errors | p50 ms | p90 ms | p99 ms | max ms | req/s | server CPU ms/req | log reads/req (ms/req) | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for o in outcomes {
        let errors = if o.warmup_errors > 0 {
            format!("{} (+{} in warmup)", o.errors, o.warmup_errors)
        } else {
            o.errors.to_string()
        };
        let rps = if o.throughput > 0.0 {
            format!("{:.2}", o.throughput)
        } else {
            "—".into()
        };
        let cpu = o.server_cpu_ms.map_or("—".into(), |c| format!("{c:.2}"));
        let reads = match (o.log_reads, o.log_read_ms) {
            (Some(r), Some(ms)) => format!("{r:.2} ({ms:.3})"),
            (Some(r), None) => format!("{r:.2}"),
            _ => "—".into(),
        };
        s.push_str(&format!(
            "| {} | {} | {errors} | {:.2} | {:.2} | {:.2} | {:.2} | {rps} | {cpu} | {reads} | {} |\n",
            o.name, o.requests, o.p50, o.p90, o.p99, o.max, o.notes
        ));
    }
    s
}
