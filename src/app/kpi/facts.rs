//! Fact pulls for BI tools: pages of facts in a stable order (KPI, month, dealer), each
//! KPI-month from memory when the month is loaded, else from the database.

use crate::app::{App, AppResult};
use crate::domain::MonthRange;
use crate::store::{FactPage, FactProbe, FactQuery};

/// Most KPI-months a page reads from the database: a page over months not in memory costs
/// at most this many indexed queries, and ends early (with a cursor) when they are spent.
pub const MAX_DATABASE_PROBES: usize = 64;

impl App {
    /// A page of at most `q.limit` facts (see [`FactQuery`]) and where the next starts.
    pub async fn facts(&self, q: &FactQuery) -> AppResult<FactPage> {
        self.refresh_kpis().await?;
        let mut rows = Vec::new();
        let Some(range) = MonthRange::new(q.from, q.to) else {
            return Ok(FactPage { rows, next: None });
        };
        let mut probes = 0;
        for &kpi in &q.kpis {
            for month in range.months() {
                let after = match &q.after {
                    Some((k, m, _)) if (kpi, month) < (*k, *m) => continue,
                    Some((k, m, d)) if (kpi, month) == (*k, *m) => Some(d.as_str()),
                    _ => None,
                };
                // One more than asked: whether another page follows.
                let probe = FactProbe {
                    kpi,
                    month,
                    after,
                    updated_since: q.updated_since,
                    regions: q.regions.as_deref(),
                    dealer: q.dealer.as_deref(),
                    limit: q.limit + 1 - rows.len(),
                };
                let found = match self.cache.fact_rows(&probe) {
                    Some(found) => found,
                    // The database budget is spent: the next page starts with this KPI-month.
                    None if probes == MAX_DATABASE_PROBES => {
                        let next = Some((kpi, month, after.unwrap_or_default().to_string()));
                        return Ok(FactPage { rows, next });
                    }
                    None => {
                        probes += 1;
                        self.store.fact_rows(&probe).await?
                    }
                };
                rows.extend(found);
                if rows.len() > q.limit {
                    rows.truncate(q.limit);
                    let next = rows.last().map(|f| (f.kpi, f.month, f.dealer_code.clone()));
                    return Ok(FactPage { rows, next });
                }
            }
        }
        Ok(FactPage { rows, next: None })
    }
}
