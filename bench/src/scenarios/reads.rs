//! The read scenarios: rankings, scorecards (as the OEM and as dealer users), trends, benchmarks.

use std::sync::Arc;

use anyhow::anyhow;
use msi_hub::auth::JwtIssuer;
use msi_hub::domain::Month;
use serde_json::{json, Value};

use super::{BENCHMARK_KPI, PAGE, TREND_KPIS, TREND_MONTHS};
use crate::cli::Cfg;
use crate::client::Gql;
use crate::discover::{latest_published, reported_dealers, Data};
use crate::load::{measure, Load};
use crate::measure::Outcome;
use crate::tokens::dealer_token;

pub const RANKING: &str = r#"query($k: String!, $p: ReportingPeriod!, $s: ScopeInput, $first: Int) {
  ranking(kpi: $k, period: $p, scope: $s, first: $first) {
    period { from to }
    aggregate { pooled mean median p25 p75 min max numerator denominator dealersWithValue dealersMissing }
    nation { pooled dealersWithValue }
    missingDealers
    entries { edges { cursor node { rank percentile value dealerCode dealerName regionCode deltaToRegion deltaToNation } }
              pageInfo { hasNextPage endCursor } } } }"#;

/// Checks a ranking: the period, a full first page (or every dealer with a value), ranks in order.
pub fn check_ranking(d: &Value, from: Month, to: Month) -> Result<(), String> {
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

pub fn ranking_load(token: &str, kpi: &str, period: Value, from: Month, to: Month) -> Load {
    let vars = json!({ "k": kpi, "p": period, "first": PAGE });
    Load {
        query: RANKING.into(),
        tokens: vec![token.into()],
        vars: Box::new(move |_| vars.clone()),
        check: Box::new(move |_, d| check_ranking(d, from, to)),
    }
}

const SCORECARD: &str = r#"query($d: String!, $p: ReportingPeriod!) {
  scorecard(dealerCode: $d, period: $p) { dealerCode regionCode
    kpis { kpi { code } value unavailableReason rankInRegion rankInNation percentileInNation radarScore guidelineStatus
           region { pooled median } nation { pooled median } peerGroup { pooled }
           previousValue changeVsPrevious yearAgoValue changeVsYearAgo } } }"#;

/// The same, with each KPI's nation disclosure (what a dealer user is shown, and why).
const SCORECARD_DEALER: &str = r#"query($d: String!, $p: ReportingPeriod!) {
  scorecard(dealerCode: $d, period: $p) { dealerCode regionCode
    kpis { kpi { code } value unavailableReason rankInRegion rankInNation percentileInNation radarScore guidelineStatus
           region { pooled median } nation { pooled median disclosure } peerGroup { pooled }
           previousValue changeVsPrevious yearAgoValue changeVsYearAgo } } }"#;

pub fn scorecard_load(token: &str, data: &Data) -> Load {
    let dealers: Vec<String> = data.dealers.iter().map(|d| d.0.clone()).collect();
    scorecards(
        SCORECARD,
        vec![token.into()],
        dealers,
        data.month,
        data.catalog.len(),
        false,
    )
}

/// Scorecards of `dealers` in turn for `month`; request `i` is sent with
/// `tokens[i % tokens.len()]`, so one token per dealer makes each dealer ask its own.
/// Each must be the dealer's, with every KPI of the catalog and some value, and, when
/// `published`, some KPI's nation aggregate from the published snapshot.
fn scorecards(
    query: &str,
    tokens: Vec<String>,
    dealers: Vec<String>,
    month: Month,
    catalog: usize,
    published: bool,
) -> Load {
    let dealers2 = dealers.clone();
    let m = month.to_string();
    Load {
        query: query.into(),
        tokens,
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
            if published
                && !kpis
                    .iter()
                    .any(|k| k["nation"]["disclosure"] == "PUBLISHED")
            {
                return Err(format!(
                    "{want}: no KPI's nation aggregate is PUBLISHED (disclosures: {})",
                    disclosures(kpis)
                ));
            }
            Ok(())
        }),
    }
}

/// The distinct nation disclosures of a scorecard, for an error message.
fn disclosures(kpis: &[Value]) -> String {
    let mut seen: Vec<String> = kpis
        .iter()
        .map(|k| k["nation"]["disclosure"].to_string())
        .collect();
    seen.sort();
    seen.dedup();
    seen.join(", ")
}

/// Scorecards as dealer users ask for them: each dealer its own, with its own token, for
/// the latest month published to dealers (dealer users are answered from its snapshot).
pub async fn scorecard_dealer_scenario(
    gql: &Arc<Gql>,
    admin: &str,
    issuer: &JwtIssuer,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Outcome> {
    let (first, m) = (data.first(), data.month);
    let month = latest_published(gql, admin, first, m)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "scorecard_dealer: no month from {first} to {m} is published to dealers (see the `publications` query): dealer users have no snapshot to read"
            )
        })?;
    let dealers = reported_dealers(gql, admin, month).await?;
    let tokens = dealers.iter().map(|c| dealer_token(issuer, c)).collect();
    eprintln!(
        "msi-bench: scorecard_dealer: {month}, the latest month published to dealers; {} dealers, each with its own token",
        dealers.len()
    );
    let n = dealers.len();
    let load = scorecards(
        SCORECARD_DEALER,
        tokens,
        dealers,
        month,
        data.catalog.len(),
        true,
    );
    let mut o = measure("scorecard_dealer", gql, load, cfg).await;
    o.notes = format!("published month {month}, {n} dealers, each with its own token");
    o.extra = json!({ "month": month.to_string(), "dealers": n });
    Ok(o)
}

/// One `kpiTrend` per request (36 months), the KPI rotating over `TREND_KPIS` and the
/// dealer over the first dealers.
pub fn trend_load(token: &str, data: &Data) -> Load {
    let selection = "month value unavailableReason regionCode regionValue regionDealers nationValue nationDealers";
    let query = format!("query($d: String!, $k: String!, $from: Month!, $to: Month!) {{ kpiTrend(dealerCode: $d, kpi: $k, from: $from, to: $to) {{ {selection} }} }}");
    let dealers: Vec<String> = data.dealers.iter().map(|d| d.0.clone()).collect();
    let (from, to) = (data.month.plus(1 - TREND_MONTHS), data.month);
    Load {
        query,
        tokens: vec![token.into()],
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

pub fn benchmarks_load(token: &str, data: &Data) -> Load {
    let vars =
        json!({ "k": BENCHMARK_KPI, "p": { "kind": "MONTH", "month": data.month.to_string() } });
    let regions = data.regions;
    Load {
        query: r#"query($k: String!, $p: ReportingPeriod!) { benchmarks(kpi: $k, period: $p) {
            nation { pooled median p25 p75 dealersWithValue }
            regions { regionCode regionName aggregate { pooled mean median p25 p75 min max dealersWithValue dealersMissing } } } }"#
            .into(),
        tokens: vec![token.into()],
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

/// Σ numerators of a ranking's scope, exact: a write moves it by a known amount.
pub fn numerator(d: &Value) -> Result<i128, String> {
    d["ranking"]["aggregate"]["numerator"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no aggregate.numerator: {}", d["ranking"]["aggregate"]))
}
