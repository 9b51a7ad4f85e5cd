//! The `facts_csv` scenario: whole months of KPI facts pulled as one streamed CSV
//! (`GET /facts.csv`), as a BI tool reading a URL does; every line counted and its order
//! checked.

use std::time::{Duration, Instant};

use serde_json::json;

use super::facts::FactOrder;
use crate::cli::Cfg;
use crate::client::Gql;
use crate::discover::Data;
use crate::measure::{round2, Outcome, Tally};

/// Reads one pull: (facts, bytes), checking the header, every line's month and the order.
async fn pull(gql: &Gql, token: &str, data: &Data) -> Result<(usize, usize), String> {
    let m = data.month.to_string();
    let base = gql.url.trim_end_matches("/graphql");
    let mut resp = gql
        .http
        .get(format!("{base}/facts.csv?from={m}&to={m}"))
        .bearer_auth(token)
        .header("accept-encoding", "identity")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let mut seen = FactOrder::default();
    let (mut bytes, mut header) = (0usize, true);
    let mut rest: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        bytes += chunk.len();
        rest.extend_from_slice(&chunk);
        let Some(end) = rest.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let text = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
        for line in text.split('\n') {
            if header {
                if !line.starts_with("dealerCode,regionCode,month,kpi,") {
                    return Err(format!("no header line: {line}"));
                }
                header = false;
                continue;
            }
            let mut cells = line.split(',');
            let (dealer, _, month, kpi) = (cells.next(), cells.next(), cells.next(), cells.next());
            match (dealer, month, kpi) {
                (Some(d), Some(month), Some(k)) if month == m && cells.count() == 5 => {
                    seen.add(k, d, line)?
                }
                _ => return Err(format!("not a fact of {m}: {line}")),
            }
        }
        rest.drain(..=end);
    }
    if !rest.is_empty() {
        return Err("the stream ends inside a line".into());
    }
    let expected = (data.submitted as usize) * data.catalog.len();
    if seen.facts != expected {
        return Err(format!("{} facts instead of {expected}", seen.facts));
    }
    Ok((seen.facts, bytes))
}

pub async fn facts_csv_scenario(gql: &Gql, token: &str, data: &Data, cfg: &Cfg) -> Outcome {
    eprintln!(
        "msi-bench: facts_csv: {} whole-month CSV pulls of {} (one client)",
        cfg.fact_pulls, data.month
    );
    let mut warm = Tally::default();
    if cfg.warmup > 0 {
        let started = Instant::now();
        let r = pull(gql, token, data).await.map(|_| ());
        warm.record(started.elapsed(), r);
    }
    let mut tally = Tally::default();
    let mut pulls = Vec::new();
    let start = Instant::now();
    for _ in 0..cfg.fact_pulls {
        let started = Instant::now();
        let r = pull(gql, token, data).await;
        let wall: Duration = started.elapsed();
        if let Ok((facts, bytes)) = &r {
            pulls.push(json!({
                "facts": facts,
                "bytes": bytes,
                "ms": round2(wall.as_secs_f64() * 1000.0),
                "facts_per_s": round2(*facts as f64 / wall.as_secs_f64()),
            }));
        }
        tally.record(wall, r.map(|_| ()));
    }
    let mut o = Outcome::new("facts_csv", tally, warm, start.elapsed());
    let best = pulls
        .iter()
        .filter_map(|p| p["facts_per_s"].as_f64())
        .fold(0.0, f64::max);
    if let Some(p) = pulls.first() {
        o.notes = format!(
            "{} facts ({} bytes) per pull; {:.0} facts/s (best of {} pulls)",
            p["facts"],
            p["bytes"],
            best,
            pulls.len()
        );
        o.extra = json!({ "pulls": pulls, "best_facts_per_s": round2(best) });
    }
    o
}
