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
//! | `ranking_achievement` | national ranking by achievement of the brand-RO target (`achievement_brand_ros`), year to date at M, first page of 50 |
//! | `exceptions`        | the exceptions of one region for M (regions in turn, first page of 50 dealers, with the action items answering each) |
//! | `scorecard`         | every KPI of one dealer for M (dealers vary among the first 100)     |
//! | `scorecard_dealer`  | the same asked by dealer users, each of its own scorecard with its own token, for the latest month ≤ M published to dealers (dealers vary among the first 100 that reported it); checked to be answered from the published snapshot |
//! | `trend`             | three KPIs of one dealer over the 36 months ending with M            |
//! | `benchmarks`        | one KPI for M, the nation and every region                           |
//! | `facts`             | a whole month of KPI facts (`kpiFactTable` as CSV), pages of 10,000, one client, `--fact-pulls` times |
//! | `facts_csv`         | the same month as one streamed CSV (`GET /facts.csv`), every line checked, one client, `--fact-pulls` times |
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

mod cli;
mod client;
mod discover;
mod load;
mod measure;
mod report;
mod scenarios;
mod server;
mod tokens;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use msi_hub::auth::JwtIssuer;

use crate::cli::Cli;
use crate::client::Gql;
use crate::discover::discover;
use crate::scenarios::SCENARIOS;
use crate::server::{generate, proc_status_kib, start_server, RssSampler};

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
    let mut cfg = cli.cfg();
    let date = chrono::Utc::now().to_rfc3339();
    let secret = tokens::random_secret();
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
    let (server, ready, warm) =
        start_server(&server_bin, &cli.database_url, cli.listen, &secret, &http).await?;
    let pid = server.pid();
    cfg.server_pid = Some(pid);
    let sampler = RssSampler::start(pid);

    let gql = Arc::new(Gql {
        http,
        url: format!("http://{}/graphql", cli.listen),
    });
    let issuer = JwtIssuer::hs256(secret.as_bytes(), None, None);
    let admin = tokens::admin_token(&issuer);
    let data = discover(&gql, &admin).await?;
    eprintln!(
        "msi-bench: month {} ({} dealers active, {} reported); reports from {} to {} ({} months); {} regions, {} KPIs",
        data.month,
        data.active,
        data.submitted,
        data.first(),
        data.last,
        data.months,
        data.regions,
        data.catalog.len()
    );

    let mut outcomes = Vec::new();
    for s in &selected {
        outcomes.extend(scenarios::run(s, &gql, &admin, &issuer, &data, &cfg).await?);
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
    let vm_rss_max = sampler.stop().await;
    let vm_hwm = proc_status_kib(pid, "VmHWM");
    drop(server);

    let run = report::Run {
        label: &cli.label,
        date: &date,
        database_url: &cli.database_url,
        seed: cli.seed,
        data: &data,
        generated,
        cfg: &cfg,
        selected: &selected,
        outcomes: &outcomes,
        server_pid: pid,
        ready,
        warm,
        vm_hwm,
        vm_rss_max,
    };
    let results = run.json();
    std::fs::write(&cli.out, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("cannot write {}", cli.out.display()))?;
    run.print(&results, &cli.out);
    Ok(run.ok())
}
