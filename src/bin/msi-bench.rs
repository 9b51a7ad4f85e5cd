//! `msi-bench`: the benchmark harness of MSI Hub.
//!
//! It starts the real service (`msi-hub serve`) on a database, signs its own HS256 tokens
//! with the secret it gives the service, finds the data (the latest fully submitted month
//! M, the first dealers, the regions and the KPI catalog) and measures, one scenario at a
//! time, with `--clients` concurrent clients sharing one HTTP client:
//!
//! | scenario            | what                                                                 |
//! |---------------------|----------------------------------------------------------------------|
//! | `ranking`           | national ranking of `first_time_fix` for M, first page of 50         |
//! | `ranking_rolling12` | the same over the 12 months ending with M                            |
//! | `scorecard`         | every KPI of one dealer for M (dealers vary among the first 100)     |
//! | `trend`             | three KPIs of one dealer over the 36 months ending with M            |
//! | `benchmarks`        | one KPI for M, the nation and every region                           |
//! | `facts`             | a whole month of KPI facts (`kpiFactTable` as CSV), pages of 10,000, one client, `--fact-pulls` times |
//! | `submit`            | `submitMonthlyReport` throughput: first submissions for the current month by dealers that have none yet (each with its own token, content copied from its report of M), then the first ranking after a submission, checked to reflect it (`ranking_after_submit`) |
//! | `amend`             | `amendMonthlyReport` throughput (each client amends its own dealer), then the first ranking after an amendment, checked to reflect it (`ranking_after_amend`) |
//!
//! Latency is measured by the client, from sending a request to the last byte of its
//! answer; throughput is the measured requests over the measured window (warmup excluded).
//! Every answer is checked (HTTP 200, no `errors`, the expected shape); a failed check is
//! an error of its scenario and makes the run exit with status 1. Results go to `--out`
//! (JSON) and to standard output as a Markdown table, with the server's peak RSS.
//!
//! ```sh
//! cargo build --release
//! # SQLite, generating a small network first (seed 42) and measuring 50 requests per scenario
//! target/release/msi-bench --database-url sqlite:///tmp/bench-small.db --generate 300x36 --requests 50
//! # PostgreSQL (the database must exist)
//! psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_small'
//! target/release/msi-bench --database-url postgres://postgres@127.0.0.1:5432/bench_small \
//!     --generate 300x36 --label "postgres 300x36"
//! # a subset, on an existing database
//! cargo run --release --bin msi-bench -- --scenarios ranking,facts --clients 8
//! ```
//!
//! Only the loopback address is contacted; the whole run is bounded by `--timeout-secs`,
//! and the server (and a running `generate`) is stopped on every exit path.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use msi_hub::auth::{JwtIssuer, Principal, Role};
use msi_hub::domain::{Month, FIELDS};
use msi_hub::graphql::report::field_path;
use serde_json::{json, Map, Value};

/// Every scenario, in the order they run.
const SCENARIOS: [&str; 8] = [
    "ranking",
    "ranking_rolling12",
    "scorecard",
    "trend",
    "benchmarks",
    "facts",
    "submit",
    "amend",
];

/// KPI of the ranking scenarios.
const RANKING_KPI: &str = "first_time_fix";
/// KPIs of one trend request (a dashboard panel).
const TREND_KPIS: [&str; 3] = ["first_time_fix", "absorption", "technician_productivity"];
/// Months of a trend.
const TREND_MONTHS: i32 = 36;
/// KPI of the benchmarks scenario.
const BENCHMARK_KPI: &str = "technician_productivity";
/// KPI read back after an amendment (it reads `ro_washed`, which the amendments change).
const FRESHNESS_KPI: &str = "washes_per_washer_day";
/// Ranking page size.
const PAGE: usize = 50;
/// Fact page size (the service's maximum).
const FACT_PAGE: usize = 10_000;
/// Error messages kept per scenario.
const MAX_ERROR_SAMPLES: usize = 5;

#[derive(Parser, Debug)]
#[command(
    name = "msi-bench",
    version,
    about = "Benchmark harness of MSI Hub: starts the service, runs GraphQL scenarios, reports latencies"
)]
struct Cli {
    /// Database of the service: `sqlite://FILE` or `postgres://user@host/db`.
    #[arg(long, default_value = "sqlite://bench.db")]
    database_url: String,
    /// The `msi-hub` executable (default: `msi-hub` next to this executable).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Address the service listens on (loopback only).
    #[arg(long, default_value = "127.0.0.1:18400")]
    listen: SocketAddr,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    clients: u32,
    /// Measured requests per scenario.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    requests: u32,
    /// Requests per scenario before measuring.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    warmup: u32,
    /// Generate a network first: DEALERSxMONTHS, e.g. 10000x36 (`msi-hub generate`, seed `--seed`).
    #[arg(long, value_parser = parse_generate)]
    generate: Option<(usize, usize)>,
    /// Seed of `--generate`.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Scenarios to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SCENARIOS))]
    scenarios: Vec<String>,
    /// Whole-month fact pulls of the `facts` scenario.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    fact_pulls: u32,
    /// Amend-then-rank rounds after the `amend` scenario.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    freshness_rounds: u32,
    /// JSON results file.
    #[arg(long, default_value = "bench-results.json")]
    out: PathBuf,
    /// Free text stored with the results, e.g. "sqlite 10000x36".
    #[arg(long, default_value = "")]
    label: String,
    /// Bound of the whole run, generation included.
    #[arg(long, default_value_t = 1800)]
    timeout_secs: u64,
}

fn parse_generate(s: &str) -> Result<(usize, usize), String> {
    let err = || format!("`{s}` is not DEALERSxMONTHS, e.g. 10000x36");
    let (d, m) = s.split_once(['x', 'X']).ok_or_else(err)?;
    let (d, m): (usize, usize) = (
        d.trim().parse().map_err(|_| err())?,
        m.trim().parse().map_err(|_| err())?,
    );
    if d == 0 || m == 0 {
        return Err(err());
    }
    Ok((d, m))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let limit = Duration::from_secs(cli.timeout_secs);
    let outcome = tokio::select! {
        r = tokio::time::timeout(limit, run(cli)) => match r {
            Ok(r) => r,
            Err(_) => Err(anyhow!("the run took longer than {} s: stopped", limit.as_secs())),
        },
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
    };
    // By now the server guard has been dropped: the server is stopped.
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("msi-bench: some scenarios had errors (see above)");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("msi-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

// --- child processes ---

/// A child process stopped when dropped: SIGTERM, then SIGKILL after 10 s.
struct ChildGuard {
    child: Child,
    what: &'static str,
}

impl ChildGuard {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status, if it has exited.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        // A graceful stop first (the service drains and closes its database).
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "msi-bench: {} did not stop on SIGTERM: killing it",
            self.what
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes settings from the environment that would make the service differ from what
/// the bench expects (RS256 tokens, a required issuer or audience, a pretend clock...).
fn clean_env(cmd: &mut Command) -> &mut Command {
    for v in [
        "MSI_JWT_PUBLIC_KEY",
        "MSI_JWT_ISSUER",
        "MSI_JWT_AUDIENCE",
        "MSI_NOW",
        "MSI_DEMO",
        "MSI_LISTEN",
        "MSI_JWT_SECRET",
        "DATABASE_URL",
    ] {
        cmd.env_remove(v);
    }
    cmd
}

/// Runs `msi-hub generate`, showing its progress; returns its duration.
async fn generate(
    bin: &PathBuf,
    database_url: &str,
    (dealers, months): (usize, usize),
    seed: u64,
    secret: &str,
) -> anyhow::Result<Duration> {
    eprintln!("msi-bench: generating {dealers} dealers × {months} months (seed {seed})…");
    let start = Instant::now();
    let child = clean_env(&mut Command::new(bin))
        .args([
            "generate",
            "--dealers",
            &dealers.to_string(),
            "--months",
            &months.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .env("DATABASE_URL", database_url)
        // With a secret, the service does not create and keep a development one.
        .env("MSI_JWT_SECRET", secret)
        .env("MSI_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut guard = ChildGuard {
        child,
        what: "msi-hub generate",
    };
    let status = loop {
        if let Some(s) = guard.exited() {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if !status.success() {
        bail!("msi-hub generate failed: {status}");
    }
    let took = start.elapsed();
    eprintln!("msi-bench: generated in {:.1} s", took.as_secs_f64());
    Ok(took)
}

/// Starts `msi-hub serve` and waits until `/readyz` answers 200.
async fn start_server(
    bin: &PathBuf,
    database_url: &str,
    listen: SocketAddr,
    secret: &str,
    http: &reqwest::Client,
) -> anyhow::Result<ChildGuard> {
    // Make sure nothing else answers on that address (we would measure it instead).
    std::net::TcpListener::bind(listen)
        .with_context(|| format!("{listen} is in use: stop what listens there or pass --listen"))?;
    let child = clean_env(&mut Command::new(bin))
        .args(["serve", "--listen", &listen.to_string()])
        .env("DATABASE_URL", database_url)
        .env("MSI_JWT_SECRET", secret)
        .env("MSI_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut guard = ChildGuard {
        child,
        what: "msi-hub serve",
    };
    let url = format!("http://{listen}/readyz");
    let start = Instant::now();
    loop {
        if let Some(s) = guard.exited() {
            bail!("msi-hub serve exited before it was ready: {s}");
        }
        if let Ok(r) = http.get(&url).timeout(Duration::from_secs(5)).send().await {
            if r.status() == 200 {
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(900) {
            bail!("msi-hub serve was not ready after 900 s (it warms its KPI cache first)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "msi-bench: server ready in {:.1} s (pid {})",
        start.elapsed().as_secs_f64(),
        guard.pid()
    );
    Ok(guard)
}

/// A `Vm…:` line of `/proc/<pid>/status`, in KiB.
fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

// --- GraphQL over HTTP ---

struct Gql {
    http: reqwest::Client,
    url: String,
}

/// A response's `data`, or why it failed.
type Answer = Result<Value, String>;

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

impl Gql {
    /// Posts a request; returns the time until the whole body arrived, and its `data`
    /// (HTTP 200 and no `errors`, or an error).
    async fn timed(&self, token: &str, query: &str, variables: &Value) -> (Duration, Answer) {
        let start = Instant::now();
        let sent = self
            .http
            .post(&self.url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await;
        let (status, body) = match sent {
            Ok(resp) => {
                let status = resp.status();
                match resp.bytes().await {
                    Ok(b) => (status, b),
                    Err(e) => return (start.elapsed(), Err(format!("reading the body: {e}"))),
                }
            }
            Err(e) => return (start.elapsed(), Err(format!("request failed: {e}"))),
        };
        let took = start.elapsed();
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body);
            return (took, Err(format!("HTTP {status}: {}", clip(&text, 300))));
        }
        let mut v: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return (took, Err(format!("the body is not JSON: {e}"))),
        };
        if let Some(errors) = v.get("errors") {
            return (
                took,
                Err(format!(
                    "GraphQL errors: {}",
                    clip(&errors.to_string(), 400)
                )),
            );
        }
        match v.get_mut("data").map(Value::take) {
            Some(d) if d.is_object() => (took, Ok(d)),
            _ => (took, Err("no `data` in the answer".into())),
        }
    }

    async fn ok(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.timed(token, query, &variables)
            .await
            .1
            .map_err(|e| anyhow!("{e}\n  query: {}", clip(query, 200)))
    }
}

// --- latency statistics ---

#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    errors: u64,
    samples: Vec<String>,
}

impl Tally {
    fn record(&mut self, took: Duration, outcome: Result<(), String>) {
        self.latencies_ms.push(took.as_secs_f64() * 1000.0);
        if let Err(e) = outcome {
            self.fail(e);
        }
    }

    fn fail(&mut self, e: String) {
        self.errors += 1;
        if self.samples.len() < MAX_ERROR_SAMPLES {
            self.samples.push(e);
        }
    }

    fn merge(&mut self, other: Tally) {
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
struct Outcome {
    name: String,
    requests: usize,
    errors: u64,
    warmup: usize,
    warmup_errors: u64,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
    throughput: f64,
    window_s: f64,
    samples: Vec<String>,
    notes: String,
    extra: Value,
}

fn round2(x: f64) -> f64 {
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
    fn new(name: &str, measured: Tally, warm: Tally, window: Duration) -> Outcome {
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
        }
    }

    fn failed(&self) -> bool {
        self.errors > 0 || self.warmup_errors > 0
    }

    fn json(&self) -> Value {
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
            "extra": self.extra,
        })
    }
}

// --- load generation ---

/// Checks the `data` of request `i`.
type Check = Box<dyn Fn(usize, &Value) -> Result<(), String> + Send + Sync>;

/// One request-response scenario: the query, who asks, the variables of request `i`,
/// and the check of its `data`.
struct Load {
    query: String,
    token: String,
    vars: Box<dyn Fn(usize) -> Value + Send + Sync>,
    check: Check,
}

/// Requests `from..to` of `load` over `clients` concurrent clients (client `c` sends
/// `from + c`, `from + c + clients`…, back to back).
async fn drive(gql: &Arc<Gql>, load: &Arc<Load>, clients: usize, from: usize, to: usize) -> Tally {
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (gql, load) = (gql.clone(), load.clone());
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            for i in (from + c..to).step_by(clients) {
                let vars = (load.vars)(i);
                let (took, answer) = gql.timed(&load.token, &load.query, &vars).await;
                t.record(took, answer.and_then(|d| (load.check)(i, &d)));
            }
            t
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        match task.await {
            Ok(t) => all.merge(t),
            Err(e) => all.fail(format!("client task failed: {e}")),
        }
    }
    all
}

async fn measure(name: &str, gql: &Arc<Gql>, load: Load, cfg: &Cfg) -> Outcome {
    eprintln!(
        "msi-bench: {name}: {} warmup + {} requests, {} clients",
        cfg.warmup, cfg.requests, cfg.clients
    );
    let load = Arc::new(load);
    let warm = drive(gql, &load, cfg.clients, 0, cfg.warmup).await;
    let start = Instant::now();
    let measured = drive(
        gql,
        &load,
        cfg.clients,
        cfg.warmup,
        cfg.warmup + cfg.requests,
    )
    .await;
    Outcome::new(name, measured, warm, start.elapsed())
}

struct Cfg {
    clients: usize,
    requests: usize,
    warmup: usize,
    fact_pulls: usize,
    freshness_rounds: usize,
}

// --- what the database holds ---

struct Data {
    /// The latest month every active dealer reported.
    month: Month,
    /// Latest month with any report.
    last: Month,
    /// Months with reports (first to last).
    months: i32,
    /// Dealers active in `month`, and of those, how many reported.
    active: i64,
    submitted: i64,
    /// Up to 100 dealers active in `month`: (code, region).
    dealers: Vec<(String, String)>,
    regions: usize,
    catalog: Vec<String>,
}

const STATUS: &str = "query($m: Month!) { submissionStatus(month: $m) { counts { total missing draft accepted acceptedWithWarnings late } } }";

/// (active dealers, reported, missing or draft) in a month.
async fn counts(gql: &Gql, admin: &str, m: Month) -> anyhow::Result<(i64, i64, i64)> {
    let d = gql.ok(admin, STATUS, json!({ "m": m.to_string() })).await?;
    let c = &d["submissionStatus"]["counts"];
    let n = |k: &str| {
        c[k].as_i64()
            .ok_or_else(|| anyhow!("submissionStatus.counts.{k} missing: {c}"))
    };
    let (total, missing, draft) = (n("total")?, n("missing")?, n("draft")?);
    Ok((total, total - missing - draft, missing + draft))
}

fn current_month() -> Month {
    // The service reckons months in the OEM's time zone (UTC+8 by default); one month
    // of slack either way is harmless as the search below walks back.
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    Month::of_date(now.date_naive())
}

async fn discover(gql: &Gql, admin: &str) -> anyhow::Result<Data> {
    // The latest month with reports: walk back from next month, at most 20 years.
    let top = current_month().plus(1);
    let mut last = None;
    for k in 0..240 {
        let m = top.plus(-k);
        if counts(gql, admin, m).await?.1 > 0 {
            last = Some(m);
            break;
        }
    }
    let last = last.ok_or_else(|| {
        anyhow!("no reports in the last 20 years: generate data first (--generate 300x36)")
    })?;
    // The latest complete month: every active dealer reported (at most 2 years back).
    let mut month = None;
    for k in 0..24 {
        let m = last.plus(-k);
        let (total, reported, open) = counts(gql, admin, m).await?;
        if total > 0 && reported > 0 && open == 0 {
            month = Some(m);
            break;
        }
    }
    let month = match month {
        Some(m) => m,
        None => {
            let m = last.plus(-1);
            eprintln!("msi-bench: warning: no fully submitted month found; using {m}");
            m
        }
    };
    // The first month with reports (months with reports are contiguous): binary search.
    let (mut lo, mut hi) = (last.plus(-600), last);
    while lo < hi {
        let mid = lo.plus(hi.since(lo) / 2);
        if counts(gql, admin, mid).await?.1 > 0 {
            hi = mid;
        } else {
            lo = mid.plus(1);
        }
    }
    let (active, submitted, _) = counts(gql, admin, month).await?;
    let d = gql
        .ok(
            admin,
            "query($m: Month!) { dealers(first: 100, month: $m, activeOnly: true) { edges { node { code regionCode } } } }",
            json!({ "m": month.to_string() }),
        )
        .await?;
    let dealers: Vec<(String, String)> = d["dealers"]["edges"]
        .as_array()
        .map(|es| {
            es.iter()
                .filter_map(|e| {
                    Some((
                        e["node"]["code"].as_str()?.to_string(),
                        e["node"]["regionCode"].as_str().unwrap_or("").to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    if dealers.is_empty() {
        bail!("no dealer active in {month}");
    }
    let meta = gql
        .ok(admin, "{ regions { code } kpiCatalog { code } }", json!({}))
        .await?;
    let regions = meta["regions"].as_array().map_or(0, Vec::len);
    let catalog: Vec<String> = meta["kpiCatalog"]
        .as_array()
        .map(|ks| {
            ks.iter()
                .filter_map(|k| k["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for k in TREND_KPIS
        .iter()
        .chain([&RANKING_KPI, &BENCHMARK_KPI, &FRESHNESS_KPI])
    {
        if !catalog.iter().any(|c| c == k) {
            bail!("the KPI catalog has no `{k}`");
        }
    }
    Ok(Data {
        month,
        last,
        months: last.since(lo) + 1,
        active,
        submitted,
        dealers,
        regions,
        catalog,
    })
}

// --- the scenarios ---

const RANKING: &str = r#"query($k: String!, $p: ReportingPeriod!, $s: ScopeInput, $first: Int) {
  ranking(kpi: $k, period: $p, scope: $s, first: $first) {
    period { from to }
    aggregate { pooled mean median p25 p75 min max numerator denominator dealersWithValue dealersMissing }
    nation { pooled dealersWithValue }
    missingDealers
    entries { edges { cursor node { rank percentile value dealerCode dealerName regionCode deltaToRegion deltaToNation } }
              pageInfo { hasNextPage endCursor } } } }"#;

/// Checks a ranking: the period, a full first page (or every dealer with a value), ranks in order.
fn check_ranking(d: &Value, from: Month, to: Month) -> Result<(), String> {
    let r = &d["ranking"];
    let period = (r["period"]["from"].as_str(), r["period"]["to"].as_str());
    if period != (Some(&*from.to_string()), Some(&*to.to_string())) {
        return Err(format!("period {} instead of {from}..{to}", r["period"]));
    }
    let with_value = r["aggregate"]["dealersWithValue"]
        .as_u64()
        .ok_or("no aggregate.dealersWithValue")? as usize;
    let edges = r["entries"]["edges"].as_array().ok_or("no entries.edges")?;
    if edges.is_empty() || edges.len() != with_value.min(PAGE) {
        return Err(format!(
            "{} entries for {with_value} dealers with a value (page of {PAGE})",
            edges.len()
        ));
    }
    let mut previous = 0;
    for e in edges {
        let n = &e["node"];
        let rank = n["rank"].as_i64().ok_or("an entry without rank")?;
        if rank < previous || n["dealerCode"].as_str().is_none() || n["value"].as_f64().is_none() {
            return Err(format!("bad entry after rank {previous}: {n}"));
        }
        previous = rank;
    }
    Ok(())
}

fn ranking_load(token: &str, kpi: &str, period: Value, from: Month, to: Month) -> Load {
    let vars = json!({ "k": kpi, "p": period, "first": PAGE });
    Load {
        query: RANKING.into(),
        token: token.into(),
        vars: Box::new(move |_| vars.clone()),
        check: Box::new(move |_, d| check_ranking(d, from, to)),
    }
}

const SCORECARD: &str = r#"query($d: String!, $p: ReportingPeriod!) {
  scorecard(dealerCode: $d, period: $p) { dealerCode regionCode
    kpis { kpi { code } value unavailableReason rankInRegion rankInNation percentileInNation radarScore guidelineStatus
           region { pooled median } nation { pooled median } peerGroup { pooled }
           previousValue changeVsPrevious yearAgoValue changeVsYearAgo } } }"#;

fn scorecard_load(token: &str, data: &Data) -> Load {
    let dealers: Vec<String> = data.dealers.iter().map(|d| d.0.clone()).collect();
    let dealers2 = dealers.clone();
    let m = data.month.to_string();
    let catalog = data.catalog.len();
    Load {
        query: SCORECARD.into(),
        token: token.into(),
        vars: Box::new(
            move |i| json!({ "d": dealers[i % dealers.len()], "p": { "kind": "MONTH", "month": m } }),
        ),
        check: Box::new(move |i, d| {
            let s = &d["scorecard"];
            let want = &dealers2[i % dealers2.len()];
            if s["dealerCode"].as_str() != Some(want) {
                return Err(format!(
                    "scorecard of {} instead of {want}",
                    s["dealerCode"]
                ));
            }
            let kpis = s["kpis"].as_array().ok_or("no kpis")?;
            if kpis.len() != catalog {
                return Err(format!("{} KPIs instead of {catalog}", kpis.len()));
            }
            if !kpis.iter().any(|k| k["value"].is_number()) {
                return Err(format!("{want}: no KPI has a value"));
            }
            Ok(())
        }),
    }
}

/// One `kpiTrend` per request (36 months), the KPI rotating over `TREND_KPIS` and the
/// dealer over the first dealers.
fn trend_load(token: &str, data: &Data) -> Load {
    let selection = "month value unavailableReason regionCode regionValue regionDealers nationValue nationDealers";
    let query = format!("query($d: String!, $k: String!, $from: Month!, $to: Month!) {{ kpiTrend(dealerCode: $d, kpi: $k, from: $from, to: $to) {{ {selection} }} }}");
    let dealers: Vec<String> = data.dealers.iter().map(|d| d.0.clone()).collect();
    let (from, to) = (data.month.plus(1 - TREND_MONTHS), data.month);
    Load {
        query,
        token: token.into(),
        vars: Box::new(
            move |i| json!({ "d": dealers[i % dealers.len()], "k": TREND_KPIS[i % TREND_KPIS.len()], "from": from.to_string(), "to": to.to_string() }),
        ),
        check: Box::new(move |_, d| {
            let s = d["kpiTrend"].as_array().ok_or("no series")?;
            let ends = (
                s.first().and_then(|p| p["month"].as_str()),
                s.last().and_then(|p| p["month"].as_str()),
            );
            if s.len() != TREND_MONTHS as usize
                || ends != (Some(&*from.to_string()), Some(&*to.to_string()))
            {
                return Err(format!(
                    "{} points, {ends:?} instead of {TREND_MONTHS} from {from} to {to}",
                    s.len()
                ));
            }
            if !s.iter().any(|p| p["nationValue"].is_number()) {
                return Err("no nation value in the series".into());
            }
            Ok(())
        }),
    }
}

fn benchmarks_load(token: &str, data: &Data) -> Load {
    let vars =
        json!({ "k": BENCHMARK_KPI, "p": { "kind": "MONTH", "month": data.month.to_string() } });
    let regions = data.regions;
    Load {
        query: r#"query($k: String!, $p: ReportingPeriod!) { benchmarks(kpi: $k, period: $p) {
            nation { pooled median p25 p75 dealersWithValue }
            regions { regionCode regionName aggregate { pooled mean median p25 p75 min max dealersWithValue dealersMissing } } } }"#
            .into(),
        token: token.into(),
        vars: Box::new(move |_| vars.clone()),
        check: Box::new(move |_, d| {
            let b = &d["benchmarks"];
            let rs = b["regions"].as_array().ok_or("no regions")?;
            if rs.is_empty() || rs.len() != regions {
                return Err(format!("{} regions instead of {regions}", rs.len()));
            }
            if b["nation"]["dealersWithValue"].as_i64().unwrap_or(0) <= 0 {
                return Err(format!("no dealer with a value in the nation: {}", b["nation"]));
            }
            Ok(())
        }),
    }
}

/// The bulk form of the facts (`kpiFactTable`): one CSV line per fact, columns named once.
const FACTS: &str = r#"query($m: Month!, $after: String) {
  kpiFactTable(from: $m, to: $m, first: 10000, after: $after) { columns csv count hasNextPage endCursor } }"#;

/// The facts of a pull seen so far: pages come in (KPI, month, dealer) order, so a fact
/// seen twice shows as a key that does not increase, without keeping every key.
#[derive(Default)]
struct FactOrder {
    facts: usize,
    kpis_done: HashSet<String>,
    kpi: String,
    dealer: String,
}

impl FactOrder {
    fn add(&mut self, kpi: &str, dealer: &str, line: &str) -> Result<(), String> {
        if kpi == self.kpi {
            if dealer <= self.dealer.as_str() {
                return Err(format!("a fact twice or out of order: {line}"));
            }
        } else {
            if self.kpis_done.contains(kpi) {
                return Err(format!("KPI {kpi} again after other KPIs: {line}"));
            }
            self.kpis_done.insert(std::mem::take(&mut self.kpi));
            self.kpi.push_str(kpi);
        }
        self.dealer.clear();
        self.dealer.push_str(dealer);
        self.facts += 1;
        Ok(())
    }
}

/// Checks one CSV page of `month`; returns its facts and the cursor of the next page.
fn check_fact_page(c: &Value, month: &str, seen: &mut FactOrder) -> Result<Option<Value>, String> {
    let csv = c["csv"].as_str().ok_or("no csv")?;
    let more = c["hasNextPage"].as_bool().ok_or("no hasNextPage")?;
    let col = |name: &str| {
        c["columns"]
            .as_array()
            .and_then(|cs| cs.iter().position(|x| x == name))
            .ok_or(format!("no {name} column"))
    };
    let (month_at, kpi_at, dealer_at) = (col("month")?, col("kpi")?, col("dealerCode")?);
    let columns = c["columns"].as_array().map_or(0, Vec::len);
    let mut lines = 0;
    for line in csv.lines() {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != columns {
            return Err(format!(
                "{} cells instead of {columns}: {line}",
                cells.len()
            ));
        }
        if cells[month_at] != month {
            return Err(format!("a fact of another month: {line}"));
        }
        seen.add(cells[kpi_at], cells[dealer_at], line)?;
        lines += 1;
    }
    if c["count"].as_u64() != Some(lines as u64) {
        return Err(format!("count {} but {lines} lines", c["count"]));
    }
    if lines > FACT_PAGE || (more && lines != FACT_PAGE) {
        return Err(format!("a page of {lines} facts (hasNextPage {more})"));
    }
    Ok(more.then(|| c["endCursor"].clone()))
}

/// One whole-month pull: (facts, pages, wall time), recording every page in `tally`.
async fn pull_facts(
    gql: &Gql,
    token: &str,
    data: &Data,
    tally: &mut Tally,
) -> Result<(usize, usize, Duration), String> {
    let m = data.month.to_string();
    let expected = (data.submitted as usize) * data.catalog.len();
    let max_pages = expected / FACT_PAGE + 10;
    let mut seen = FactOrder::default();
    let mut after = Value::Null;
    let start = Instant::now();
    let mut pages = 0;
    loop {
        if pages == max_pages {
            return Err(format!("more than {max_pages} pages for {expected} facts"));
        }
        let (took, answer) = gql
            .timed(token, FACTS, &json!({ "m": m, "after": after }))
            .await;
        pages += 1;
        let page = answer.and_then(|d| check_fact_page(&d["kpiFactTable"], &m, &mut seen));
        let failed = page.as_ref().err().cloned();
        tally.record(took, page.as_ref().map(|_| ()).map_err(Clone::clone));
        if let Some(e) = failed {
            return Err(e);
        }
        match page {
            Ok(Some(cursor)) if cursor.is_string() => after = cursor,
            Ok(Some(_)) => return Err("hasNextPage without endCursor".into()),
            _ => break,
        }
    }
    let wall = start.elapsed();
    if seen.facts != expected {
        let e = format!(
            "{} facts instead of {expected} ({} reports × {} KPIs)",
            seen.facts,
            data.submitted,
            data.catalog.len()
        );
        tally.fail(e.clone());
        return Err(e);
    }
    Ok((seen.facts, pages, wall))
}

async fn facts_scenario(gql: &Gql, token: &str, data: &Data, cfg: &Cfg) -> Outcome {
    eprintln!(
        "msi-bench: facts: {} whole-month pulls of {} (one client)",
        cfg.fact_pulls, data.month
    );
    let mut warm = Tally::default();
    if cfg.warmup > 0 {
        // One first page, so that the first pull is not the one that warms the caches.
        let (took, answer) = gql
            .timed(token, FACTS, &json!({ "m": data.month.to_string() }))
            .await;
        warm.record(took, answer.map(|_| ()));
    }
    let mut tally = Tally::default();
    let mut pulls = Vec::new();
    let start = Instant::now();
    for _ in 0..cfg.fact_pulls {
        if let Ok((facts, pages, wall)) = pull_facts(gql, token, data, &mut tally).await {
            pulls.push(json!({
                "facts": facts,
                "pages": pages,
                "ms": round2(wall.as_secs_f64() * 1000.0),
                "facts_per_s": round2(facts as f64 / wall.as_secs_f64()),
            }));
        }
    }
    let mut o = Outcome::new("facts", tally, warm, start.elapsed());
    let rates: Vec<f64> = pulls
        .iter()
        .filter_map(|p| p["facts_per_s"].as_f64())
        .collect();
    if let Some(p) = pulls.first() {
        let best = rates.iter().copied().fold(0.0, f64::max);
        o.notes = format!(
            "{} facts in {} pages per pull; {:.0} facts/s (best of {} pulls)",
            p["facts"],
            p["pages"],
            best,
            pulls.len()
        );
        o.extra = json!({ "pulls": pulls, "best_facts_per_s": round2(best) });
    }
    o
}

// --- amendments ---

/// The selection of every report field, by section.
fn values_selection() -> anyhow::Result<String> {
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for def in FIELDS {
        let path = field_path(def.name);
        let (s, f) = path
            .split_once('.')
            .ok_or_else(|| anyhow!("no section for field {}", def.name))?;
        sections.entry(s.into()).or_default().push(f.into());
    }
    Ok(sections
        .iter()
        .map(|(s, fs)| format!("{s} {{ {} }}", fs.join(" ")))
        .collect::<Vec<_>>()
        .join(" "))
}

/// A `section.field` path as two strings.
fn split_path(name: &str) -> (String, String) {
    let p = field_path(name);
    let (s, f) = p.split_once('.').unwrap_or(("", &p));
    (s.to_string(), f.to_string())
}

/// The `ReportInput` of a report's `values` (empty fields left out).
fn input_of(values: &Value) -> Value {
    let mut input = Map::new();
    if let Some(sections) = values.as_object() {
        for (s, fields) in sections {
            let kept: Map<String, Value> = fields
                .as_object()
                .map(|f| {
                    f.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            input.insert(s.clone(), Value::Object(kept));
        }
    }
    Value::Object(input)
}

fn int_at(input: &Value, (s, f): &(String, String)) -> Option<i64> {
    input[s][f].as_i64()
}

/// A dealer user's token, as the service's dealers get them.
fn dealer_token(issuer: &JwtIssuer, code: &str) -> String {
    let principal = Principal {
        sub: format!("msi-bench:{code}"),
        role: Role::Dealer,
        regions: vec![],
        dealer: Some(code.to_string()),
    };
    issuer.issue(&principal, 7200)
}

/// The outcome of a write scenario, with the accepted writes per second in its notes.
fn write_outcome(
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

/// A dealer whose report of the month the bench amends, with its own token.
struct Amended {
    code: String,
    token: String,
    revision: i64,
    input: Value,
}

const AMEND: &str = r#"mutation($d: String!, $m: Month!, $i: ReportInput!, $e: Int!, $r: String!) {
  amendMonthlyReport(dealerCode: $d, month: $m, input: $i, expectedRevision: $e, reason: $r) {
    outcome message violations { field rule message } warnings { field rule } report { revision } } }"#;

impl Amended {
    /// Adds `delta` to `ro_washed` and amends; returns the latency and whether it was accepted.
    async fn amend(
        &mut self,
        gql: &Gql,
        month: Month,
        washed: &(String, String),
    ) -> (Duration, Result<(), String>) {
        let current = int_at(&self.input, washed).unwrap_or(0);
        let mut input = self.input.clone();
        input[&washed.0][&washed.1] = json!(current + 1);
        let vars = json!({ "d": self.code, "m": month.to_string(), "i": input, "e": self.revision, "r": "msi-bench: ro_washed + 1" });
        let (took, answer) = gql.timed(&self.token, AMEND, &vars).await;
        let r = answer.and_then(|d| {
            let a = &d["amendMonthlyReport"];
            let outcome = a["outcome"].as_str().unwrap_or_default();
            if !matches!(outcome, "ACCEPTED" | "ACCEPTED_WITH_WARNINGS") {
                return Err(format!("{}: outcome {outcome}: {a}", self.code));
            }
            let rev = a["report"]["revision"].as_i64().unwrap_or(0);
            if rev != self.revision + 1 {
                return Err(format!(
                    "{}: revision {rev} after amending revision {}",
                    self.code, self.revision
                ));
            }
            Ok(rev)
        });
        match r {
            Ok(rev) => {
                self.revision = rev;
                self.input = input;
                (took, Ok(()))
            }
            Err(e) => (took, Err(e)),
        }
    }

    /// Reads the stored report again (after a failure).
    async fn resync(
        &mut self,
        gql: &Gql,
        admin: &str,
        month: Month,
        selection: &str,
    ) -> anyhow::Result<()> {
        let (rev, input) = read_report(gql, admin, &self.code, month, selection)
            .await?
            .ok_or_else(|| anyhow!("{}: no report for {month}", self.code))?;
        self.revision = rev;
        self.input = input;
        Ok(())
    }
}

/// A dealer's report of a month: revision and complete input.
async fn read_report(
    gql: &Gql,
    admin: &str,
    code: &str,
    month: Month,
    selection: &str,
) -> anyhow::Result<Option<(i64, Value)>> {
    let q = format!(
        "query($d: String!, $m: Month!) {{ report(dealerCode: $d, month: $m) {{ revision status values {{ {selection} }} }} }}"
    );
    let d = gql
        .ok(admin, &q, json!({ "d": code, "m": month.to_string() }))
        .await?;
    let r = &d["report"];
    if r.is_null() || r["status"] == "DRAFT" {
        return Ok(None);
    }
    let rev = r["revision"]
        .as_i64()
        .ok_or_else(|| anyhow!("report without revision: {r}"))?;
    Ok(Some((rev, input_of(&r["values"]))))
}

/// A dealer's value of `FRESHNESS_KPI` for the month, from its scorecard.
async fn scorecard_value(gql: &Gql, admin: &str, code: &str, month: Month) -> Result<f64, String> {
    let q = r#"query($d: String!, $m: Month!) { scorecard(dealerCode: $d, period: { month: $m }) { kpis { kpi { code } value } } }"#;
    let (_, answer) = gql
        .timed(admin, q, &json!({ "d": code, "m": month.to_string() }))
        .await;
    let d = answer?;
    d["scorecard"]["kpis"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kpi"]["code"] == FRESHNESS_KPI))
        .and_then(|k| k["value"].as_f64())
        .ok_or_else(|| format!("{code}: no {FRESHNESS_KPI} in its scorecard"))
}

fn numerator(d: &Value) -> Result<i128, String> {
    d["ranking"]["aggregate"]["numerator"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no aggregate.numerator: {}", d["ranking"]["aggregate"]))
}

async fn amend_scenario(
    gql: &Arc<Gql>,
    admin: &str,
    issuer: &JwtIssuer,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Vec<Outcome>> {
    let month = data.month;
    let selection = values_selection()?;
    let washed = split_path("ro_washed");
    let washers = split_path("washers");
    let days = split_path("working_days");
    // One dealer per client, with a submitted report and a washes-per-washer-day value.
    let mut chosen = Vec::new();
    for (code, _) in &data.dealers {
        if chosen.len() == cfg.clients {
            break;
        }
        let Some((revision, input)) = read_report(gql, admin, code, month, &selection).await?
        else {
            continue;
        };
        if int_at(&input, &washers).unwrap_or(0) <= 0 || int_at(&input, &days).unwrap_or(0) <= 0 {
            continue;
        }
        let token = dealer_token(issuer, code);
        chosen.push(Amended {
            code: code.clone(),
            token,
            revision,
            input,
        });
    }
    if chosen.len() < cfg.clients {
        bail!(
            "only {} of the first {} dealers have a report for {month} with washers: need {} (one per client)",
            chosen.len(),
            data.dealers.len(),
            cfg.clients
        );
    }
    eprintln!(
        "msi-bench: amend: {} warmup + {} amendments of {month} by {} dealers ({})",
        cfg.warmup,
        cfg.requests,
        cfg.clients,
        chosen
            .iter()
            .map(|a| a.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Client c amends its own dealer: its share of the warmup, then of the measured requests.
    let share = |n: usize, c: usize| n / cfg.clients + usize::from(c < n % cfg.clients);
    let mut warm = Tally::default();
    let mut measured = Tally::default();
    let mut window = Duration::ZERO;
    for phase in 0..2 {
        let n = if phase == 0 { cfg.warmup } else { cfg.requests };
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (c, mut a) in chosen.drain(..).enumerate() {
            let (gql, admin, selection, washed) = (
                gql.clone(),
                admin.to_string(),
                selection.clone(),
                washed.clone(),
            );
            let count = share(n, c);
            tasks.push(tokio::spawn(async move {
                let mut t = Tally::default();
                for _ in 0..count {
                    let (took, r) = a.amend(&gql, month, &washed).await;
                    let failed = r.is_err();
                    t.record(took, r);
                    if failed {
                        if let Err(e) = a.resync(&gql, &admin, month, &selection).await {
                            t.fail(format!("resync: {e:#}"));
                        }
                    }
                }
                (a, t)
            }));
        }
        for task in tasks {
            let (a, t) = task.await.context("an amending client failed")?;
            chosen.push(a);
            if phase == 0 {
                warm.merge(t);
            } else {
                measured.merge(t);
            }
        }
        if phase == 1 {
            window = start.elapsed();
        }
    }
    let o = write_outcome("amend", measured, warm, window, "amendments");

    // The first ranking after an amendment must reflect it.
    eprintln!(
        "msi-bench: ranking_after_amend: {} rounds (amend {}, then rank {FRESHNESS_KPI})",
        cfg.freshness_rounds, chosen[0].code
    );
    let a = &mut chosen[0];
    let vars = json!({ "k": FRESHNESS_KPI, "p": { "kind": "MONTH", "month": month.to_string() }, "first": PAGE });
    let mut fresh = Tally::default();
    let mut amend_ms = Vec::new();
    let start = Instant::now();
    for _ in 0..cfg.freshness_rounds {
        // Before: the same ranking (which also warms any cache) and the dealer's own value.
        let before = gql.ok(admin, RANKING, vars.clone()).await.and_then(|d| {
            check_ranking(&d, month, month).map_err(|e| anyhow!(e))?;
            numerator(&d).map_err(|e| anyhow!(e))
        });
        let value_before = scorecard_value(gql, admin, &a.code, month).await;
        let (before, value_before) = match (before, value_before) {
            (Ok(b), Ok(v)) => (b, v),
            (Err(e), _) => {
                fresh.fail(format!("ranking before: {e:#}"));
                continue;
            }
            (_, Err(e)) => {
                fresh.fail(format!("scorecard before: {e}"));
                continue;
            }
        };
        let (took, r) = a.amend(gql, month, &washed).await;
        amend_ms.push(took.as_secs_f64() * 1000.0);
        if let Err(e) = r {
            fresh.fail(format!("amendment: {e}"));
            if let Err(e) = a.resync(gql, admin, month, &selection).await {
                fresh.fail(format!("resync: {e:#}"));
            }
            continue;
        }
        // The timed request: the first ranking after the amendment.
        let (took, answer) = gql.timed(admin, RANKING, &vars).await;
        let check = answer.and_then(|d| {
            check_ranking(&d, month, month)?;
            let after = numerator(&d)?;
            if after != before + 1 {
                return Err(format!(
                    "the ranking does not reflect the amendment: Σ ro_washed {before} before, {after} after (expected {})",
                    before + 1
                ));
            }
            Ok(())
        });
        fresh.record(took, check);
        // And the dealer's own value moved by exactly 1 / (washers × working days).
        let per =
            (int_at(&a.input, &washers).unwrap_or(1) * int_at(&a.input, &days).unwrap_or(1)) as f64;
        match scorecard_value(gql, admin, &a.code, month).await {
            Ok(v) if (v - value_before - 1.0 / per).abs() <= 1e-9 * v.abs().max(1.0) => {}
            Ok(v) => fresh.fail(format!(
                "{}: {FRESHNESS_KPI} {value_before} before, {v} after; expected + 1/{per}",
                a.code
            )),
            Err(e) => fresh.fail(format!("scorecard after: {e}")),
        }
    }
    let mut f = Outcome::new(
        "ranking_after_amend",
        fresh,
        Tally::default(),
        start.elapsed(),
    );
    f.throughput = 0.0;
    let mean_amend = amend_ms.iter().sum::<f64>() / amend_ms.len().max(1) as f64;
    f.notes = format!(
        "first national {FRESHNESS_KPI} ranking after an amendment, checked; amendments {mean_amend:.2} ms mean"
    );
    f.extra = json!({ "dealer": a.code, "amend_mean_ms": round2(mean_amend), "rounds": cfg.freshness_rounds });
    Ok(vec![o, f])
}

// --- first submissions ---

const SUBMIT: &str = r#"mutation($d: String!, $m: Month!, $i: ReportInput!) {
  submitMonthlyReport(dealerCode: $d, month: $m, input: $i) {
    outcome message violations { field rule message } report { revision } } }"#;

const MISSING: &str = r#"query($m: Month!, $after: String) { submissionStatus(month: $m) {
  entries(first: 500, after: $after, status: MISSING) { edges { node { dealerCode } } pageInfo { hasNextPage endCursor } } } }"#;

/// A dealer about to submit its first report of a month, with its own token.
struct Submitter {
    code: String,
    token: String,
    input: Value,
}

impl Submitter {
    async fn submit(&self, gql: &Gql, month: Month) -> (Duration, Result<(), String>) {
        let vars = json!({ "d": self.code, "m": month.to_string(), "i": self.input });
        let (took, answer) = gql.timed(&self.token, SUBMIT, &vars).await;
        let r = answer.and_then(|d| {
            let a = &d["submitMonthlyReport"];
            let outcome = a["outcome"].as_str().unwrap_or_default();
            if !matches!(outcome, "ACCEPTED" | "ACCEPTED_WITH_WARNINGS") {
                return Err(format!("{}: outcome {outcome}: {a}", self.code));
            }
            match a["report"]["revision"].as_i64() {
                Some(1) => Ok(()),
                r => Err(format!(
                    "{}: revision {r:?} after a first submission",
                    self.code
                )),
            }
        });
        (took, r)
    }
}

/// Up to `n` dealers without a report for `target` that have one for `source` (whose content
/// they submit), each with a dealer token.
async fn submitters(
    gql: &Gql,
    admin: &str,
    issuer: &JwtIssuer,
    (source, target): (Month, Month),
    n: usize,
) -> anyhow::Result<Vec<Submitter>> {
    let selection = values_selection()?;
    let mut out = Vec::new();
    let mut after = Value::Null;
    while out.len() < n {
        let d = gql
            .ok(
                admin,
                MISSING,
                json!({ "m": target.to_string(), "after": after }),
            )
            .await?;
        let entries = &d["submissionStatus"]["entries"];
        for e in entries["edges"].as_array().into_iter().flatten() {
            if out.len() == n {
                break;
            }
            let Some(code) = e["node"]["dealerCode"].as_str() else {
                continue;
            };
            let Some((_, input)) = read_report(gql, admin, code, source, &selection).await? else {
                continue;
            };
            let token = dealer_token(issuer, code);
            out.push(Submitter {
                code: code.to_string(),
                token,
                input,
            });
        }
        if entries["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = entries["pageInfo"]["endCursor"].clone();
    }
    Ok(out)
}

async fn submit_scenario(
    gql: &Arc<Gql>,
    admin: &str,
    issuer: &JwtIssuer,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Vec<Outcome>> {
    // The current month of the service: nobody has reported it in generated data.
    let target = current_month();
    let needed = cfg.warmup + cfg.requests + cfg.freshness_rounds;
    let mut all = submitters(gql, admin, issuer, (data.month, target), needed).await?;
    if all.len() < needed {
        bail!(
            "only {} dealers without a report for {target} have one for {}: need {needed} (warmup + requests + freshness rounds)",
            all.len(),
            data.month
        );
    }
    eprintln!(
        "msi-bench: submit: {} warmup + {} first submissions for {target} by {} clients (content of {})",
        cfg.warmup, cfg.requests, cfg.clients, data.month
    );
    let fresh_ones = all.split_off(cfg.warmup + cfg.requests);
    let measured_ones = all.split_off(cfg.warmup);
    let mut warm = Tally::default();
    let mut measured = Tally::default();
    let mut window = Duration::ZERO;
    for (phase, ones) in [all, measured_ones].into_iter().enumerate() {
        let start = Instant::now();
        // Client c submits every `clients`-th report of the phase.
        let mut queues: Vec<Vec<Submitter>> = (0..cfg.clients).map(|_| Vec::new()).collect();
        for (i, s) in ones.into_iter().enumerate() {
            queues[i % cfg.clients].push(s);
        }
        let mut tasks = Vec::new();
        for queue in queues {
            let gql = gql.clone();
            tasks.push(tokio::spawn(async move {
                let mut t = Tally::default();
                for s in &queue {
                    let (took, r) = s.submit(&gql, target).await;
                    t.record(took, r);
                }
                t
            }));
        }
        for task in tasks {
            let t = task.await.context("a submitting client failed")?;
            if phase == 0 {
                warm.merge(t);
            } else {
                measured.merge(t);
            }
        }
        if phase == 1 {
            window = start.elapsed();
        }
    }
    let what = format!("first submissions for {target}");
    let o = write_outcome("submit", measured, warm, window, &what);

    // The first ranking after a submission must count it: Σ ro_washed grows by its ro_washed.
    eprintln!(
        "msi-bench: ranking_after_submit: {} rounds (submit, then rank {FRESHNESS_KPI} for {target})",
        cfg.freshness_rounds
    );
    let washed = split_path("ro_washed");
    let (washers, days) = (split_path("washers"), split_path("working_days"));
    let vars = json!({ "k": FRESHNESS_KPI, "p": { "kind": "MONTH", "month": target.to_string() }, "first": PAGE });
    let mut fresh = Tally::default();
    let start = Instant::now();
    for s in &fresh_ones {
        let before = gql
            .ok(admin, RANKING, vars.clone())
            .await
            .and_then(|d| numerator(&d).map_err(|e| anyhow!(e)))
            .unwrap_or(0);
        let (_, r) = s.submit(gql, target).await;
        if let Err(e) = r {
            fresh.fail(format!("submission: {e}"));
            continue;
        }
        let counts =
            int_at(&s.input, &washers).unwrap_or(0) > 0 && int_at(&s.input, &days).unwrap_or(0) > 0;
        let expected = before
            + if counts {
                i128::from(int_at(&s.input, &washed).unwrap_or(0))
            } else {
                0
            };
        // The timed request: the first ranking after the submission.
        let (took, answer) = gql.timed(admin, RANKING, &vars).await;
        let check = answer.and_then(|d| {
            check_ranking(&d, target, target)?;
            let after = numerator(&d)?;
            if after != expected {
                return Err(format!(
                    "the ranking does not reflect {}'s submission: Σ ro_washed {before} before, {after} after (expected {expected})",
                    s.code
                ));
            }
            Ok(())
        });
        fresh.record(took, check);
    }
    let mut f = Outcome::new(
        "ranking_after_submit",
        fresh,
        Tally::default(),
        start.elapsed(),
    );
    f.throughput = 0.0;
    f.notes = format!(
        "first national {FRESHNESS_KPI} ranking of {target} after a first submission, checked"
    );
    Ok(vec![o, f])
}

// --- the run ---

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

fn random_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn markdown(outcomes: &[Outcome]) -> String {
    let mut s = String::from(
        "| scenario | requests | errors | p50 ms | p90 ms | p99 ms | max ms | req/s | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
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
        s.push_str(&format!(
            "| {} | {} | {errors} | {:.2} | {:.2} | {:.2} | {:.2} | {rps} | {} |\n",
            o.name, o.requests, o.p50, o.p90, o.p99, o.max, o.notes
        ));
    }
    s
}

async fn run(cli: Cli) -> anyhow::Result<bool> {
    if !cli.listen.ip().is_loopback() || cli.listen.port() == 0 {
        bail!("--listen must be a loopback address with a port, e.g. 127.0.0.1:18400");
    }
    let server_bin = match &cli.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .context("cannot locate this executable")?
            .parent()
            .ok_or_else(|| anyhow!("this executable has no directory"))?
            .join("msi-hub"),
    };
    if !server_bin.is_file() {
        bail!(
            "{} not found: run `cargo build --release` or pass --server-bin",
            server_bin.display()
        );
    }
    let selected: Vec<&str> = SCENARIOS
        .into_iter()
        .filter(|s| cli.scenarios.is_empty() || cli.scenarios.iter().any(|x| x == s))
        .collect();
    let cfg = Cfg {
        clients: cli.clients as usize,
        requests: cli.requests as usize,
        warmup: cli.warmup as usize,
        fact_pulls: cli.fact_pulls as usize,
        freshness_rounds: cli.freshness_rounds as usize,
    };
    let date = chrono::Utc::now().to_rfc3339();
    let secret = random_secret();
    let generated = match cli.generate {
        Some(spec) => Some((
            spec,
            generate(&server_bin, &cli.database_url, spec, cli.seed, &secret).await?,
        )),
        None => None,
    };

    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(cfg.clients + 2)
        .build()
        .context("HTTP client")?;
    let server = start_server(&server_bin, &cli.database_url, cli.listen, &secret, &http).await?;
    let pid = server.pid();
    // Sample the server's resident set every 100 ms.
    let max_rss = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (max_rss, stop) = (max_rss.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some(kib) = proc_status_kib(pid, "VmRSS") {
                    max_rss.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let gql = Arc::new(Gql {
        http,
        url: format!("http://{}/graphql", cli.listen),
    });
    let issuer = JwtIssuer::hs256(secret.as_bytes(), None, None);
    let admin = issuer.issue(
        &Principal {
            sub: "msi-bench".into(),
            role: Role::OemAdmin,
            regions: vec![],
            dealer: None,
        },
        7200,
    );
    let data = discover(&gql, &admin).await?;
    eprintln!(
        "msi-bench: month {} ({} dealers active, {} reported); reports from {} to {} ({} months); {} regions, {} KPIs",
        data.month,
        data.active,
        data.submitted,
        data.last.plus(1 - data.months),
        data.last,
        data.months,
        data.regions,
        data.catalog.len()
    );

    let m = data.month;
    let mut outcomes = Vec::new();
    for s in &selected {
        match *s {
            "ranking" => {
                let load = ranking_load(
                    &admin,
                    RANKING_KPI,
                    json!({ "kind": "MONTH", "month": m.to_string() }),
                    m,
                    m,
                );
                outcomes.push(measure(s, &gql, load, &cfg).await);
            }
            "ranking_rolling12" => {
                let load = ranking_load(
                    &admin,
                    RANKING_KPI,
                    json!({ "kind": "ROLLING_12", "month": m.to_string() }),
                    m.plus(-11),
                    m,
                );
                outcomes.push(measure(s, &gql, load, &cfg).await);
            }
            "scorecard" => {
                outcomes.push(measure(s, &gql, scorecard_load(&admin, &data), &cfg).await)
            }
            "trend" => outcomes.push(measure(s, &gql, trend_load(&admin, &data), &cfg).await),
            "benchmarks" => {
                outcomes.push(measure(s, &gql, benchmarks_load(&admin, &data), &cfg).await)
            }
            "facts" => outcomes.push(facts_scenario(&gql, &admin, &data, &cfg).await),
            "submit" => outcomes.extend(submit_scenario(&gql, &admin, &issuer, &data, &cfg).await?),
            "amend" => outcomes.extend(amend_scenario(&gql, &admin, &issuer, &data, &cfg).await?),
            other => unreachable!("unknown scenario {other}"),
        }
        if let Some(o) = outcomes.last() {
            eprintln!(
                "msi-bench:   {}: {} requests, {} errors, p50 {:.2} ms, p99 {:.2} ms",
                o.name, o.requests, o.errors, o.p50, o.p99
            );
            for e in &o.samples {
                eprintln!("msi-bench:     error: {e}");
            }
        }
    }

    // The server's memory, before stopping it.
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let vm_hwm = proc_status_kib(pid, "VmHWM");
    let vm_rss_max = Some(max_rss.load(Ordering::Relaxed)).filter(|&k| k > 0);
    drop(server);

    let ok = !outcomes.iter().any(Outcome::failed);
    let mib = |k: Option<u64>| k.map(|k| round2(k as f64 / 1024.0));
    let results = json!({
        "label": cli.label,
        "date": date,
        "git_commit": git(&["rev-parse", "--short", "HEAD"]),
        "git_dirty": git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty()),
        "database_url": msi_hub::config::redact(&cli.database_url),
        "dealers": data.active,
        "dealers_reported": data.submitted,
        "months": data.months,
        "month": data.month.to_string(),
        "last_month_with_reports": data.last.to_string(),
        "regions": data.regions,
        "kpis": data.catalog.len(),
        "generate": generated.map(|((d, mo), took)| json!({
            "dealers": d, "months": mo, "seed": cli.seed, "seconds": round2(took.as_secs_f64())
        })),
        "settings": {
            "clients": cfg.clients, "requests": cfg.requests, "warmup": cfg.warmup,
            "fact_pulls": cfg.fact_pulls, "freshness_rounds": cfg.freshness_rounds,
            "scenarios": selected,
        },
        "scenarios": outcomes.iter().map(Outcome::json).collect::<Vec<_>>(),
        "server": {
            "pid": pid,
            "peak_rss_vmhwm_kib": vm_hwm,
            "peak_rss_vmhwm_mib": mib(vm_hwm),
            "max_sampled_vmrss_kib": vm_rss_max,
            "max_sampled_vmrss_mib": mib(vm_rss_max),
        },
        "ok": ok,
    });
    std::fs::write(&cli.out, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("cannot write {}", cli.out.display()))?;

    let label = if cli.label.is_empty() {
        String::new()
    } else {
        format!(" — {}", cli.label)
    };
    println!(
        "## MSI Hub benchmark{label}\n\n{} · {} · {} dealers active in {}, {} months of reports · {} clients · commit {}\n",
        date,
        msi_hub::config::redact(&cli.database_url),
        data.active,
        data.month,
        data.months,
        cfg.clients,
        results["git_commit"].as_str().unwrap_or("?"),
    );
    if let Some(g) = results["generate"].as_object() {
        println!(
            "generate {}x{}: {} s\n",
            g["dealers"], g["months"], g["seconds"]
        );
    }
    print!("{}", markdown(&outcomes));
    let show = |k: Option<f64>| k.map_or("?".to_string(), |m| format!("{m:.1} MiB"));
    println!(
        "\nserver peak RSS (VmHWM): {} · max sampled VmRSS: {}\n\nresults: {}",
        show(mib(vm_hwm)),
        show(mib(vm_rss_max)),
        cli.out.display()
    );
    Ok(ok)
}
