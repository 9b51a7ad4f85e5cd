//! The `import` scenario: a CSV of first submissions of the current month, one row for
//! every dealer still missing it (up to `--import-rows`), uploaded through `importReports`
//! as the OEM; then the same file again, which must change nothing. Throughput is rows
//! per second of the whole upload, as the client sees it.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use msi_hub::domain::FIELDS;
use serde_json::{json, Value};

use super::report_input::{read_report, split_path, values_selection};
use crate::cli::Cfg;
use crate::client::Gql;
use crate::discover::{current_month, missing, Data};
use crate::measure::{Outcome, Tally};

const IMPORT: &str = "mutation($f: Upload!) { importReports(file: $f) {
  counts { rows accepted acceptedWithWarnings unchanged rejected conflict } rejectedCsv } }";

/// Reports whose contents the rows take in turn (their dealers' last month).
const SOURCES: usize = 20;

/// One CSV cell of a `ReportInput` value.
fn cell(input: &Value, name: &str) -> String {
    let (s, f) = split_path(name);
    match &input[&s][&f] {
        Value::Null => String::new(),
        Value::String(x) => x.clone(),
        other => other.to_string(),
    }
}

/// Uploads `csv`; the time, and the counts.
async fn upload(gql: &Gql, admin: &str, csv: &[u8]) -> anyhow::Result<(Duration, Value)> {
    let form = reqwest::multipart::Form::new()
        .text(
            "operations",
            json!({ "query": IMPORT, "variables": { "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(csv.to_vec()).file_name("feed.csv"),
        );
    let start = Instant::now();
    let resp = gql
        .http
        .post(&gql.url)
        .bearer_auth(admin)
        .multipart(form)
        .send()
        .await
        .context("the upload failed")?;
    let status = resp.status();
    let body: Value = resp.json().await.context("the answer is not JSON")?;
    let took = start.elapsed();
    if status != 200 || body.get("errors").is_some() {
        bail!("importReports: HTTP {status}: {body}");
    }
    Ok((took, body["data"]["importReports"].clone()))
}

fn outcome(
    name: &str,
    took: Duration,
    rows: usize,
    check: Result<(), String>,
    what: &str,
) -> Outcome {
    let mut t = Tally::default();
    t.record(took, check);
    let mut o = Outcome::new(name, t, Tally::default(), took);
    o.notes = format!(
        "{rows} rows {what} in {:.1} s: {:.0} reports/s",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64().max(1e-9)
    );
    o
}

pub async fn import_scenario(
    gql: &Gql,
    admin: &str,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Vec<Outcome>> {
    let target = current_month();
    let dealers = missing(gql, admin, target, cfg.import_rows).await?;
    if dealers.is_empty() {
        bail!("every dealer has a report for {target}: generate the database again");
    }
    let selection = values_selection()?;
    let mut sources = Vec::new();
    for code in dealers.iter().take(SOURCES * 2) {
        if let Some((_, input)) = read_report(gql, admin, code, data.month, &selection).await? {
            sources.push(input);
        }
        if sources.len() == SOURCES {
            break;
        }
    }
    if sources.is_empty() {
        bail!("no report of {} to take contents from", data.month);
    }
    let mut csv = String::from("dealer_code,month");
    for def in FIELDS {
        csv.push(',');
        csv.push_str(def.name);
    }
    csv.push('\n');
    for (i, code) in dealers.iter().enumerate() {
        let input = &sources[i % sources.len()];
        csv.push_str(&format!("{code},{target}"));
        for def in FIELDS {
            csv.push(',');
            csv.push_str(&cell(input, def.name));
        }
        csv.push('\n');
    }
    let rows = dealers.len();
    eprintln!(
        "msi-bench: import: {rows} first submissions for {target} in one CSV of {} KB (contents of {} reports of {}), then the same file again",
        csv.len() / 1024,
        sources.len(),
        data.month
    );
    let (took, counts) = upload(gql, admin, csv.as_bytes()).await?;
    let c = &counts["counts"];
    let stored =
        c["accepted"].as_u64().unwrap_or(0) + c["acceptedWithWarnings"].as_u64().unwrap_or(0);
    let first = if stored == rows as u64 {
        Ok(())
    } else {
        Err(format!(
            "{stored} of {rows} rows stored: {c} {}",
            counts["rejectedCsv"]
        ))
    };
    let (again, counts) = upload(gql, admin, csv.as_bytes()).await?;
    let unchanged = counts["counts"]["unchanged"].as_u64().unwrap_or(0);
    let second = if unchanged == rows as u64 {
        Ok(())
    } else {
        Err(format!(
            "{unchanged} of {rows} rows unchanged on the second import: {}",
            counts["counts"]
        ))
    };
    Ok(vec![
        outcome("import", took, rows, first, "imported"),
        outcome("import_again", again, rows, second, "found unchanged"),
    ])
}
