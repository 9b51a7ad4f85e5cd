//! Scenarios where no two consecutive requests ask the same thing: every KPI of every
//! month of the last twelve in every scope (`ranking_rotating`), scorecards of different
//! dealers and period kinds (`scorecard_rotating`), trends of different dealers and KPIs
//! over 36 months (`trend_rotating`). Each list is shuffled with a fixed seed, so two runs
//! ask the same questions in the same order; what a memo of answers holds is of no help.

use std::collections::BTreeSet;

use anyhow::anyhow;
use msi_hub::domain::Month;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::{json, Value};

use super::reads::RANKING;
use super::{PAGE, TREND_MONTHS};
use crate::client::Gql;
use crate::discover::Data;
use crate::load::Load;

/// Seed of the shuffles.
const SEED: u64 = 13;
/// Months the rotating rankings and scorecards go back over.
const MONTHS: i32 = 12;

fn shuffled<T>(mut items: Vec<T>) -> Vec<T> {
    items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(SEED));
    items
}

/// The peer groups (brand, size tier) of the first dealers.
async fn peer_groups(
    gql: &Gql,
    admin: &str,
    month: Month,
) -> anyhow::Result<Vec<(String, String)>> {
    let d = gql
        .ok(
            admin,
            "query($m: Month!) { dealers(first: 200, month: $m, activeOnly: true) { nodes { brand sizeTier } } }",
            json!({ "m": month.to_string() }),
        )
        .await?;
    let groups: BTreeSet<(String, String)> = d["dealers"]["nodes"]
        .as_array()
        .ok_or_else(|| anyhow!("no dealers: {d}"))?
        .iter()
        .filter_map(|n| {
            Some((
                n["brand"].as_str()?.to_string(),
                n["sizeTier"].as_str()?.to_string(),
            ))
        })
        .collect();
    Ok(groups.into_iter().collect())
}

/// Every KPI × the last twelve months × scopes: the nation, each region, each peer group
/// of the first dealers (taken in turn, so that each (KPI, month) is asked in three scopes).
pub async fn ranking_rotating(gql: &Gql, admin: &str, data: &Data) -> anyhow::Result<Load> {
    let peers = peer_groups(gql, admin, data.month).await?;
    let regions: BTreeSet<String> = data.dealers.iter().map(|d| d.1.clone()).collect();
    let regions: Vec<String> = regions.into_iter().collect();
    let mut asks = Vec::new();
    let mut turn = 0usize;
    for k in &data.catalog {
        for back in 0..MONTHS {
            let m = data.month.plus(-back);
            let region = &regions[turn % regions.len()];
            let (brand, tier) = &peers[turn % peers.len()];
            turn += 1;
            for scope in [
                json!({ "kind": "NATION" }),
                json!({ "kind": "REGION", "regionCode": region }),
                json!({ "kind": "PEER_GROUP", "brand": brand, "sizeTier": tier }),
            ] {
                let vars = json!({ "k": k, "p": { "kind": "MONTH", "month": m.to_string() }, "s": scope, "first": PAGE });
                asks.push((vars, m.to_string()));
            }
        }
    }
    let asks = shuffled(asks);
    let asks2 = asks.clone();
    eprintln!(
        "msi-bench: ranking_rotating: {} KPIs x {MONTHS} months x 3 scopes = {} distinct rankings",
        data.catalog.len(),
        asks.len()
    );
    Ok(Load {
        query: RANKING.into(),
        tokens: vec![admin.into()],
        vars: Box::new(move |i| asks[i % asks.len()].0.clone()),
        check: Box::new(move |i, d| check_rotating_ranking(d, &asks2[i % asks2.len()].1)),
    })
}

/// A ranking of the month asked: its period, a page as full as the scope allows (a KPI
/// may have no value in a scope), ranks in order.
fn check_rotating_ranking(d: &Value, month: &str) -> Result<(), String> {
    let r = &d["ranking"];
    if r["period"]["from"].as_str() != Some(month) || r["period"]["to"].as_str() != Some(month) {
        return Err(format!("period {} instead of {month}", r["period"]));
    }
    let with_value = r["aggregate"]["dealersWithValue"]
        .as_u64()
        .ok_or("no aggregate.dealersWithValue")? as usize;
    let edges = r["entries"]["edges"].as_array().ok_or("no entries.edges")?;
    if edges.len() != with_value.min(PAGE) {
        return Err(format!(
            "{} entries for {with_value} dealers with a value",
            edges.len()
        ));
    }
    let mut previous = 0;
    for e in edges {
        let rank = e["node"]["rank"].as_i64().ok_or("an entry without rank")?;
        if rank < previous {
            return Err(format!("rank {rank} after {previous}"));
        }
        previous = rank;
    }
    Ok(())
}

const SCORECARD: &str = r#"query($d: String!, $p: ReportingPeriod!) {
  scorecard(dealerCode: $d, period: $p) { dealerCode
    kpis { kpi { code } value rankInRegion rankInNation percentileInNation guidelineStatus
           region { pooled median } nation { pooled median } previousValue yearAgoValue } } }"#;

/// Scorecards of different dealers, months and period kinds in turn.
pub fn scorecard_rotating(admin: &str, data: &Data) -> Load {
    let kinds = ["MONTH", "QUARTER", "YEAR_TO_DATE", "ROLLING_12"];
    let mut asks = Vec::new();
    for (i, (dealer, _)) in data.dealers.iter().enumerate() {
        for back in 0..MONTHS {
            let kind = kinds[(i + back as usize) % kinds.len()];
            let m = data.month.plus(-back);
            asks.push(json!({ "d": dealer, "p": { "kind": kind, "month": m.to_string() } }));
        }
    }
    let asks = shuffled(asks);
    let asks2 = asks.clone();
    let catalog = data.catalog.len();
    Load {
        query: SCORECARD.into(),
        tokens: vec![admin.into()],
        vars: Box::new(move |i| asks[i % asks.len()].clone()),
        check: Box::new(move |i, d| {
            let want = asks2[i % asks2.len()]["d"].as_str().unwrap_or_default();
            let s = &d["scorecard"];
            if s["dealerCode"].as_str() != Some(want) {
                return Err(format!(
                    "scorecard of {} instead of {want}",
                    s["dealerCode"]
                ));
            }
            let kpis = s["kpis"].as_array().ok_or("no kpis")?;
            if kpis.len() != catalog || !kpis.iter().any(|k| k["value"].is_number()) {
                return Err(format!("{want}: {} KPIs, none with a value?", kpis.len()));
            }
            Ok(())
        }),
    }
}

/// Trends of 36 months, a different (dealer, KPI) each time.
pub fn trend_rotating(admin: &str, data: &Data) -> Load {
    let mut asks = Vec::new();
    for (i, (dealer, _)) in data.dealers.iter().enumerate() {
        for j in 0..4 {
            let k = &data.catalog[(i * 7 + j * 17) % data.catalog.len()];
            asks.push((dealer.clone(), k.clone()));
        }
    }
    let asks = shuffled(asks);
    let asks2 = asks.clone();
    let (from, to) = (data.month.plus(1 - TREND_MONTHS), data.month);
    Load {
        query: "query($d: String!, $k: String!, $from: Month!, $to: Month!) { kpiTrend(dealerCode: $d, kpi: $k, from: $from, to: $to) { month value regionValue nationValue } }".into(),
        tokens: vec![admin.into()],
        vars: Box::new(move |i| {
            let (d, k) = &asks[i % asks.len()];
            json!({ "d": d, "k": k, "from": from.to_string(), "to": to.to_string() })
        }),
        check: Box::new(move |i, d| {
            let s = d["kpiTrend"].as_array().ok_or("no series")?;
            if s.len() != TREND_MONTHS as usize {
                let (dealer, k) = &asks2[i % asks2.len()];
                return Err(format!("{dealer} {k}: {} points instead of {TREND_MONTHS}", s.len()));
            }
            Ok(())
        }),
    }
}
