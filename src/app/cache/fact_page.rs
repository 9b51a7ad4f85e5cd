//! BI fact pages served from memory, one KPI and month at a time, in the order of the
//! stored facts.

use super::KpiCache;
use crate::domain::kpi::KPIS;
use crate::store::{FactProbe, FactRow};

impl KpiCache {
    /// The facts of one KPI and month from memory, in dealer-code order (what the stored
    /// facts give for the same probe); `None` when the month is not loaded. As of the last
    /// [`KpiCache::refresh`].
    pub fn fact_rows(&self, p: &FactProbe<'_>) -> Option<Vec<FactRow>> {
        let (directory, slab) = {
            let s = self.read();
            let e = s.months.get(&p.month)?;
            e.used
                .store(self.now(), std::sync::atomic::Ordering::Relaxed);
            (s.directory.clone()?, e.slab.clone())
        };
        let k = KPIS.iter().position(|d| d.id == p.kpi)?;
        let mut out = Vec::new();
        if slab.is_empty() || p.limit == 0 {
            return Some(out);
        }
        let n = directory.len();
        let only = match p.dealer {
            Some(d) => match directory.index.get(d) {
                Some(&i) => Some(i),
                None => return Some(out),
            },
            None => None,
        };
        let code = |i: usize| directory.dealers[i].code.as_str();
        let first = match p.after {
            Some(after) => directory.by_code.partition_point(|&i| code(i) <= after),
            None => 0,
        };
        let end = match p.before {
            Some(before) => directory.by_code.partition_point(|&i| code(i) < before),
            None => directory.by_code.len(),
        };
        let span = &directory.by_code[first..end.max(first)];
        let order: Box<dyn Iterator<Item = &usize>> = if p.from_end {
            Box::new(span.iter().rev())
        } else {
            Box::new(span.iter())
        };
        for &i in order {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            let Some((value, updated_at)) = slab.fact(k * n + i) else {
                continue;
            };
            // The region the stored fact carries: the dealer's in that month.
            let Some(region) = directory.region_at(i, p.month) else {
                continue;
            };
            if p.regions.is_some_and(|rs| !rs.iter().any(|r| r == region)) {
                continue;
            }
            if p.updated_since.is_some_and(|t| updated_at < t) {
                continue;
            }
            out.push(FactRow {
                kpi: p.kpi,
                month: p.month,
                dealer_code: directory.dealers[i].code.clone(),
                region_code: region.to_string(),
                value,
                updated_at,
            });
            if out.len() >= p.limit {
                break;
            }
        }
        if p.from_end {
            out.reverse();
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testnet::{month, network};
    use super::*;
    use crate::store::prelude::*;

    /// Every probe of the network, from memory and from the database, with every filter and
    /// resumed at every dealer: the same rows.
    #[tokio::test]
    async fn fact_rows_from_memory_equal_those_of_the_database() {
        let (_dir, store) = network().await;
        let cache = KpiCache::default();
        cache.refresh(&store).await.unwrap();
        let probe = |kpi: i16, m: &str| FactProbe {
            kpi,
            month: month(m),
            after: None,
            before: None,
            from_end: false,
            updated_since: None,
            regions: None,
            dealer: None,
            limit: 100,
        };
        // Not loaded yet: the caller must read the database.
        assert!(cache.fact_rows(&probe(KPIS[0].id, "2024-01")).is_none());
        let range = crate::domain::MonthRange::new(month("2024-01"), month("2024-03")).unwrap();
        cache.warm(&store, range).await.unwrap();
        let r1 = vec!["R1".to_string()];
        let none: Vec<String> = vec![];
        let mut total = 0;
        for m in ["2024-01", "2024-02", "2024-03"] {
            for def in KPIS.iter().take(3) {
                let base = probe(def.id, m);
                let mut variants = vec![base];
                variants.push(FactProbe {
                    regions: Some(&r1),
                    ..base
                });
                variants.push(FactProbe {
                    regions: Some(&none),
                    ..base
                });
                variants.push(FactProbe {
                    dealer: Some("D3"),
                    ..base
                });
                variants.push(FactProbe {
                    updated_since: Some(1002),
                    ..base
                });
                variants.push(FactProbe { limit: 2, ..base });
                for after in ["D1", "D2", "D4", "D5", "~", "0"] {
                    variants.push(FactProbe {
                        after: Some(after),
                        ..base
                    });
                }
                for before in ["D1", "D3", "D5", "~", "0"] {
                    variants.push(FactProbe {
                        before: Some(before),
                        ..base
                    });
                    variants.push(FactProbe {
                        before: Some(before),
                        from_end: true,
                        limit: 2,
                        ..base
                    });
                    variants.push(FactProbe {
                        after: Some("D1"),
                        before: Some(before),
                        from_end: true,
                        limit: 1,
                        ..base
                    });
                }
                variants.push(FactProbe {
                    from_end: true,
                    limit: 2,
                    regions: Some(&r1),
                    ..base
                });
                for p in variants {
                    let memory = cache.fact_rows(&p).expect("the month is loaded");
                    let stored = store.fact_rows(&p).await.unwrap();
                    assert_eq!(memory, stored, "{p:?}");
                    if p.after.is_none()
                        && p.before.is_none()
                        && p.regions.is_none()
                        && p.dealer.is_none()
                        && p.updated_since.is_none()
                        && p.limit == 100
                    {
                        total += memory.len();
                        // D3 counts in R2 until March, in R1 from then on
                        assert!(memory.iter().all(|f| f.dealer_code != "D3"
                            || f.region_code == if m == "2024-03" { "R1" } else { "R2" }));
                    }
                }
            }
        }
        assert_eq!(total, 39);
    }
}
