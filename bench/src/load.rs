//! Load generation: concurrent clients sending one request-response scenario back to back.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::cli::Cfg;
use crate::client::Gql;
use crate::measure::{Outcome, Tally};
use crate::server::cpu_time;

/// Checks the `data` of request `i`.
pub type Check = Box<dyn Fn(usize, &Value) -> Result<(), String> + Send + Sync>;

/// One request-response scenario: the query, who asks, the variables of request `i`,
/// and the check of its `data`.
pub struct Load {
    pub query: String,
    /// Request `i` is sent with `tokens[i % tokens.len()]`: one token, or one per caller
    /// when each caller may only ask about itself (a dealer user).
    pub tokens: Vec<String>,
    pub vars: Box<dyn Fn(usize) -> Value + Send + Sync>,
    pub check: Check,
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
                let token = &load.tokens[i % load.tokens.len()];
                let (took, answer) = gql.timed(token, &load.query, &vars).await;
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

pub async fn measure(name: &str, gql: &Arc<Gql>, load: Load, cfg: &Cfg) -> Outcome {
    eprintln!(
        "msi-bench: {name}: {} warmup + {} requests, {} clients",
        cfg.warmup, cfg.requests, cfg.clients
    );
    let load = Arc::new(load);
    let warm = drive(gql, &load, cfg.clients, 0, cfg.warmup).await;
    let cpu = || cfg.server_pid.and_then(cpu_time);
    const LOG_READS: &str = "msi_change_log_reads_total";
    const LOG_SECONDS: &str = "msi_change_log_read_seconds_total";
    let reads_before = (gql.counter(LOG_READS).await, gql.counter(LOG_SECONDS).await);
    let (start, cpu_before) = (Instant::now(), cpu());
    let measured = drive(
        gql,
        &load,
        cfg.clients,
        cfg.warmup,
        cfg.warmup + cfg.requests,
    )
    .await;
    let mut o = Outcome::new(name, measured, warm, start.elapsed());
    if let (Some(a), Some(b)) = (cpu_before, cpu()) {
        o.server_cpu_ms = Some((b - a).as_secs_f64() * 1000.0 / cfg.requests.max(1) as f64);
    }
    let per_request = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / cfg.requests.max(1) as f64);
    o.log_reads = per_request(reads_before.0, gql.counter(LOG_READS).await);
    o.log_read_ms = per_request(reads_before.1, gql.counter(LOG_SECONDS).await).map(|s| s * 1000.0);
    o
}
