//! A small network for the cache's tests: five dealers in two regions, three months.

use std::collections::HashMap;

use crate::domain::kpi::{Unavailable, KPIS};
use crate::domain::network::region_at;
use crate::domain::{Dealer, Month, Region, RegionAssignment, SizeTier};
use crate::store::prelude::*;
use crate::store::{FactRow, NewDealer, SqliteStore};

pub fn month(s: &str) -> Month {
    s.parse().unwrap()
}

/// Five dealers in two regions (D3 moves to R2 in March), three months, three KPIs, with
/// values, reasons, missing facts and several write times.
pub async fn network() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cache.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let regions: Vec<Region> = ["R1", "R2"]
        .iter()
        .map(|r| Region {
            code: r.to_string(),
            name: r.to_string(),
        })
        .collect();
    // Created out of code order: the cache must still page in code order.
    let dealers: Vec<NewDealer> = ["D5", "D1", "D4", "D3", "D2"]
        .iter()
        .enumerate()
        .map(|(i, code)| NewDealer {
            dealer: Dealer {
                code: code.to_string(),
                name: format!("Dealer {code}"),
                brand: "B".into(),
                province: "P".into(),
                city: "C".into(),
                size_tier: SizeTier::Medium,
                opened: month("2023-01"),
                closed: None,
            },
            region_code: if i % 2 == 0 { "R1" } else { "R2" }.into(),
        })
        .collect();
    let moves = [("D3".to_string(), "R1".to_string(), month("2024-03"))];
    store
        .load_network(&regions, &dealers, &moves)
        .await
        .unwrap();
    let histories: HashMap<String, Vec<RegionAssignment>> = store
        .region_histories(None)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut facts = Vec::new();
    for (m, name) in ["2024-01", "2024-02", "2024-03"].iter().enumerate() {
        for (k, def) in KPIS.iter().take(3).enumerate() {
            for (d, code) in ["D1", "D2", "D3", "D4", "D5"].iter().enumerate() {
                let seed = (m * 15 + k * 5 + d) as i64;
                if seed % 7 == 3 {
                    continue; // no fact: no report that month
                }
                let value = if seed % 5 == 1 {
                    Err(Unavailable::ALL[(seed as usize) % Unavailable::ALL.len()])
                } else {
                    Ok((seed * 10, seed + 1))
                };
                let region = region_at(&histories[*code], month(name)).unwrap();
                facts.push(FactRow {
                    kpi: def.id,
                    month: month(name),
                    dealer_code: code.to_string(),
                    region_code: region.to_string(),
                    value,
                    updated_at: 1000 + seed % 4,
                });
            }
        }
    }
    store.load_facts(&facts).await.unwrap();
    (dir, store)
}
