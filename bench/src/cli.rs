//! The command line, and the settings the scenarios share.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::scenarios::SCENARIOS;

#[derive(Parser, Debug)]
#[command(
    name = "msi-bench",
    version,
    about = "Benchmark harness of MSI Hub: starts the service, runs GraphQL scenarios, reports latencies"
)]
pub struct Cli {
    /// Database of the service: `sqlite://FILE` or `postgres://user@host/db`.
    #[arg(long, default_value = "sqlite://bench.db")]
    pub database_url: String,
    /// The `msi-hub` executable (default: `msi-hub` next to this executable).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Address the service listens on (loopback only).
    #[arg(long, default_value = "127.0.0.1:18400")]
    pub listen: SocketAddr,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub clients: u32,
    /// Measured requests per scenario.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub requests: u32,
    /// Requests per scenario before measuring.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub warmup: u32,
    /// Generate a network first: DEALERSxMONTHS, e.g. 10000x36 (`msi-hub generate`, seed `--seed`).
    #[arg(long, value_parser = parse_generate)]
    pub generate: Option<(usize, usize)>,
    /// Seed of `--generate`.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Scenarios to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SCENARIOS))]
    pub scenarios: Vec<String>,
    /// Whole-month fact pulls of the `facts` and `facts_csv` scenarios.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub fact_pulls: u32,
    /// Dealers per page of the `exceptions` scenario (default: the service's default page).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub exceptions_page: Option<u32>,
    /// Most rows of the `import` scenario's file (one per dealer without a report for the
    /// current month).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub import_rows: u32,
    /// Amend-then-rank rounds after the `amend` scenario.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub freshness_rounds: u32,
    /// JSON results file.
    #[arg(long, default_value = "bench-results.json")]
    pub out: PathBuf,
    /// Free text stored with the results, e.g. "sqlite 10000x36".
    #[arg(long, default_value = "")]
    pub label: String,
    /// Bound of the whole run, generation included.
    #[arg(long, default_value_t = 1800)]
    pub timeout_secs: u64,
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

/// What every scenario reads of the command line.
pub struct Cfg {
    pub clients: usize,
    pub requests: usize,
    pub warmup: usize,
    pub fact_pulls: usize,
    pub exceptions_page: Option<usize>,
    pub import_rows: usize,
    pub freshness_rounds: usize,
    /// The service under test, whose CPU time the measured phases read.
    pub server_pid: Option<u32>,
}

impl Cli {
    pub fn cfg(&self) -> Cfg {
        Cfg {
            clients: self.clients as usize,
            requests: self.requests as usize,
            warmup: self.warmup as usize,
            fact_pulls: self.fact_pulls as usize,
            exceptions_page: self.exceptions_page.map(|n| n as usize),
            import_rows: self.import_rows as usize,
            freshness_rounds: self.freshness_rounds as usize,
            server_pid: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_generate;

    #[test]
    fn generate_spec() {
        assert_eq!(parse_generate("10000x36"), Ok((10_000, 36)));
        assert_eq!(parse_generate(" 300 X 12 "), Ok((300, 12)));
        for bad in ["", "300", "x36", "300x", "0x36", "300x0", "-1x3", "3x4x5"] {
            assert!(parse_generate(bad).is_err(), "{bad}");
        }
    }
}
