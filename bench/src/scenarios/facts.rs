//! The `facts` scenario: whole months of KPI facts pulled page by page, as BI tools do.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::Cfg;
use crate::client::Gql;
use crate::discover::Data;
use crate::measure::{round2, Outcome, Tally};

/// Fact page size (the service's maximum).
const FACT_PAGE: usize = 10_000;

/// The bulk form of the facts (`kpiFactTable`): one CSV line per fact, columns named once.
const FACTS: &str = r#"query($m: Month!, $after: String) {
  kpiFactTable(from: $m, to: $m, first: 10000, after: $after) { columns csv count hasNextPage endCursor } }"#;

/// The facts of a pull seen so far: pages come in (KPI, month, dealer) order, so a fact
/// seen twice shows as a key that does not increase, without keeping every key.
#[derive(Default)]
pub struct FactOrder {
    pub facts: usize,
    kpis_done: HashSet<String>,
    kpi: String,
    dealer: String,
}

impl FactOrder {
    pub fn add(&mut self, kpi: &str, dealer: &str, line: &str) -> Result<(), String> {
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

pub async fn facts_scenario(gql: &Gql, token: &str, data: &Data, cfg: &Cfg) -> Outcome {
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
