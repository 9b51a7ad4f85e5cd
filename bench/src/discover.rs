//! What the database holds: the months with reports, the dealers, the regions, the KPI
//! catalog, and which months are published to dealers.

use anyhow::{anyhow, bail};
use msi_hub::domain::Month;
use serde_json::{json, Value};

use crate::client::Gql;
use crate::scenarios::{BENCHMARK_KPI, FRESHNESS_KPI, RANKING_KPI, TREND_KPIS};

pub struct Data {
    /// The latest month every active dealer reported.
    pub month: Month,
    /// Latest month with any report.
    pub last: Month,
    /// Months with reports (first to last).
    pub months: i32,
    /// Dealers active in `month`, and of those, how many reported.
    pub active: i64,
    pub submitted: i64,
    /// Up to 100 dealers active in `month`: (code, region).
    pub dealers: Vec<(String, String)>,
    pub regions: usize,
    pub catalog: Vec<String>,
}

impl Data {
    /// The first month with reports.
    pub fn first(&self) -> Month {
        self.last.plus(1 - self.months)
    }
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

pub fn current_month() -> Month {
    // The service reckons months in the OEM's time zone (UTC+8 by default); one month
    // of slack either way is harmless as the search below walks back.
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    Month::of_date(now.date_naive())
}

pub async fn discover(gql: &Gql, admin: &str) -> anyhow::Result<Data> {
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

/// Months one `publications` query may span.
const PUBLICATIONS_SPAN: i32 = 120;

/// The latest month of `first..=upto` published to dealer users, if any.
pub async fn latest_published(
    gql: &Gql,
    admin: &str,
    first: Month,
    upto: Month,
) -> anyhow::Result<Option<Month>> {
    let query =
        "query($from: Month!, $to: Month!) { publications(from: $from, to: $to) { month state } }";
    // Newest windows first: the month wanted is usually among the last few.
    let mut to = upto;
    while to >= first {
        let from = to.plus(1 - PUBLICATIONS_SPAN).max(first);
        let d = gql
            .ok(
                admin,
                query,
                json!({ "from": from.to_string(), "to": to.to_string() }),
            )
            .await?;
        let list = d["publications"]
            .as_array()
            .ok_or_else(|| anyhow!("no publications list: {d}"))?;
        let mut latest: Option<Month> = None;
        for p in list {
            if p["state"] != "PUBLISHED" {
                continue;
            }
            let m: Month = p["month"]
                .as_str()
                .and_then(|m| m.parse().ok())
                .ok_or_else(|| anyhow!("a publication without a month: {p}"))?;
            latest = latest.max(Some(m));
        }
        if latest.is_some() {
            return Ok(latest);
        }
        to = from.plus(-1);
    }
    Ok(None)
}

/// Up to 100 dealers with a submitted report for `month`, by code (a month before the
/// complete one may have dealers that never reported it, with nothing to show).
pub async fn reported_dealers(gql: &Gql, admin: &str, month: Month) -> anyhow::Result<Vec<String>> {
    let d = gql
        .ok(
            admin,
            "query($m: Month!) { submissionStatus(month: $m) { entries(first: 200) { edges { node { dealerCode status } } } } }",
            json!({ "m": month.to_string() }),
        )
        .await?;
    let dealers: Vec<String> = d["submissionStatus"]["entries"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .filter(|n| !matches!(n["status"].as_str(), Some("MISSING" | "DRAFT") | None))
        .filter_map(|n| n["dealerCode"].as_str().map(str::to_string))
        .take(100)
        .collect();
    if dealers.is_empty() {
        bail!("no dealer reported {month}");
    }
    Ok(dealers)
}

const MISSING: &str = r#"query($m: Month!, $after: String) { submissionStatus(month: $m) {
  entries(first: 500, after: $after, status: MISSING) { edges { node { dealerCode } } pageInfo { hasNextPage endCursor } } } }"#;

/// The active dealers without a report for `target`, up to `n`, in code order.
pub async fn missing(
    gql: &Gql,
    admin: &str,
    target: Month,
    n: usize,
) -> anyhow::Result<Vec<String>> {
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
            if let (Some(code), true) = (e["node"]["dealerCode"].as_str(), out.len() < n) {
                out.push(code.to_string());
            }
        }
        if entries["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = entries["pageInfo"]["endCursor"].clone();
    }
    Ok(out)
}
