//! BI fact pages served from memory, in the order of the stored pages.

use std::sync::Arc;

use super::KpiCache;
use crate::domain::kpi::KPIS;
use crate::domain::MonthRange;
use crate::store::{FactQuery, FactRow};

impl KpiCache {
    /// A page of facts from memory, in the order of the stored pages (KPI id, month, dealer
    /// code), when every month of the query is loaded; `None` otherwise (read the database).
    /// As of the last [`KpiCache::refresh`].
    pub fn fact_page(&self, q: &FactQuery) -> Option<Vec<FactRow>> {
        let range = MonthRange::new(q.from, q.to)?;
        let (directory, slabs) = {
            let s = self.read();
            let directory = s.directory.clone()?;
            let mut slabs = Vec::with_capacity(range.len());
            for m in range.months() {
                slabs.push(s.slabs.get(&m)?.clone());
            }
            (directory, slabs)
        };
        let n = directory.len();
        // Each dealer's region in each month, as the stored facts carry it.
        let regions: Vec<Vec<Option<&str>>> = range
            .months()
            .map(|m| (0..n).map(|i| directory.region_at(i, m)).collect())
            .collect();
        let only = match &q.dealer {
            Some(d) => Some(directory.index.get(d).copied()?),
            None => None,
        };
        let mut out = Vec::new();
        let (start_kpi, start_month, start_dealer) = match &q.after {
            Some((k, m, d)) => (*k, *m, Some(d.as_str())),
            None => (i16::MIN, q.from, None),
        };
        for &kpi in q.kpis.iter().filter(|&&k| k >= start_kpi) {
            let Some(k) = KPIS.iter().position(|d| d.id == kpi) else {
                continue;
            };
            for (step, month) in range.months().enumerate() {
                let resume = kpi == start_kpi && month <= start_month;
                if resume && month < start_month {
                    continue;
                }
                let slab: &Arc<_> = &slabs[step];
                if slab.is_empty() {
                    continue;
                }
                let first = match (resume, start_dealer) {
                    (true, Some(after)) => directory
                        .by_code
                        .partition_point(|&i| directory.dealers[i].code.as_str() <= after),
                    _ => 0,
                };
                for &i in &directory.by_code[first..] {
                    if only.is_some_and(|o| o != i) {
                        continue;
                    }
                    let Some(region) = regions[step][i] else {
                        continue;
                    };
                    if q.regions
                        .as_ref()
                        .is_some_and(|rs| !rs.iter().any(|r| r == region))
                    {
                        continue;
                    }
                    let Some((value, updated_at)) = slab.fact(k * n + i) else {
                        continue;
                    };
                    if q.updated_since.is_some_and(|t| updated_at < t) {
                        continue;
                    }
                    out.push(FactRow {
                        kpi,
                        month,
                        dealer_code: directory.dealers[i].code.clone(),
                        region_code: region.to_string(),
                        value,
                        updated_at,
                    });
                    if out.len() >= q.limit {
                        return Some(out);
                    }
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::kpi::Unavailable;
    use crate::domain::network::region_at;
    use crate::domain::{Dealer, Month, Region, RegionAssignment, SizeTier};
    use crate::store::prelude::*;
    use crate::store::{NewDealer, SqliteStore};

    fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// Five dealers in two regions (D3 moves to R2 in March), three months, three KPIs, with
    /// values, reasons, missing facts and several write times.
    async fn network() -> (tempfile::TempDir, SqliteStore) {
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

    fn query(from: &str, to: &str, limit: usize) -> FactQuery {
        FactQuery {
            from: month(from),
            to: month(to),
            updated_since: None,
            kpis: KPIS.iter().take(3).map(|k| k.id).collect(),
            regions: None,
            dealer: None,
            after: None,
            limit,
        }
    }

    /// Every page of `q` from memory and from the database, following the cursors.
    async fn both(cache: &KpiCache, store: &SqliteStore, mut q: FactQuery) -> Vec<FactRow> {
        let mut all = Vec::new();
        loop {
            let memory = cache.fact_page(&q).expect("months are cached");
            let stored = store.fact_page(&q).await.unwrap();
            assert_eq!(memory, stored, "after {:?}", q.after);
            let Some(last) = memory.last() else { break };
            q.after = Some((last.kpi, last.month, last.dealer_code.clone()));
            let full = memory.len() == q.limit;
            all.extend(memory);
            if !full {
                break;
            }
        }
        all
    }

    #[tokio::test]
    async fn fact_pages_from_memory_equal_those_of_the_database() {
        let (_dir, store) = network().await;
        let cache = KpiCache::default();
        cache.refresh(&store).await.unwrap();
        // Not loaded yet: the caller must read the database.
        assert!(cache.fact_page(&query("2024-01", "2024-03", 10)).is_none());
        let range = MonthRange::new(month("2024-01"), month("2024-03")).unwrap();
        cache.warm(&store, range).await.unwrap();

        let everything = both(&cache, &store, query("2024-01", "2024-03", 1000)).await;
        assert_eq!(everything.len(), 39);
        assert!(everything.iter().any(|f| f.value.is_err()));
        // Small pages resume exactly where the cursor says.
        assert_eq!(
            both(&cache, &store, query("2024-01", "2024-03", 4)).await,
            everything
        );
        assert_eq!(
            both(&cache, &store, query("2024-01", "2024-03", 7)).await,
            everything
        );
        // One month, one region (D3 counts in R1 only from March), one dealer, recent writes.
        both(&cache, &store, query("2024-02", "2024-02", 3)).await;
        let mut q = query("2024-01", "2024-03", 5);
        q.regions = Some(vec!["R1".into()]);
        let r1 = both(&cache, &store, q).await;
        assert!(r1.iter().all(|f| f.region_code == "R1"));
        assert!(r1.iter().any(|f| f.dealer_code == "D3"));
        let mut q = query("2024-01", "2024-03", 5);
        q.regions = Some(vec![]);
        assert!(both(&cache, &store, q).await.is_empty());
        let mut q = query("2024-01", "2024-03", 5);
        q.dealer = Some("D3".into());
        let d3 = both(&cache, &store, q).await;
        assert!(!d3.is_empty() && d3.iter().all(|f| f.dealer_code == "D3"));
        let mut q = query("2024-01", "2024-03", 6);
        q.updated_since = Some(1002);
        let recent = both(&cache, &store, q).await;
        assert!(!recent.is_empty() && recent.iter().all(|f| f.updated_at >= 1002));
        let mut q = query("2024-01", "2024-03", 6);
        q.kpis = vec![KPIS[1].id];
        both(&cache, &store, q).await;
    }
}
