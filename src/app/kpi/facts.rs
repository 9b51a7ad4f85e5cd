//! Fact pulls for BI tools: pages of facts in a stable order (KPI, month, dealer), each
//! KPI-month from memory when the month is loaded, else from the database.

use crate::app::{App, AppError, AppResult};
use crate::auth::Principal;
use crate::domain::kpi::KPIS;
use crate::domain::period::MAX_PERIOD_MONTHS;
use crate::domain::{Month, MonthRange};
use crate::store::{FactCursor, FactPage, FactProbe, FactQuery};

/// Most KPI-months a page reads from the database: a page over months not in memory costs
/// at most this many indexed queries, and ends early (with a cursor) when they are spent.
pub const MAX_DATABASE_PROBES: usize = 64;

/// What a fact pull asks, as a client sends it (GraphQL `kpiFacts`, `GET /facts.csv`).
#[derive(Debug, Clone, Default)]
pub struct FactAsk {
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// KPI codes (default: every KPI).
    pub kpis: Option<Vec<String>>,
    /// Only facts (re)computed at or after this time (epoch ms).
    pub updated_since: Option<i64>,
    pub after: Option<FactCursor>,
    pub limit: usize,
}

impl App {
    /// The query of a fact pull in `who`'s scope (a dealer user: its own facts; a regional
    /// manager: its regions' dealers in each month), its arguments checked.
    pub fn fact_query(&self, who: &Principal, ask: FactAsk) -> AppResult<FactQuery> {
        let from = ask
            .from
            .ok_or_else(|| AppError::invalid("from", "required: the first month (YYYY-MM)"))?;
        let to = ask
            .to
            .ok_or_else(|| AppError::invalid("to", "required: the last month (YYYY-MM)"))?;
        let range = MonthRange::new(from, to)
            .filter(|r| r.len() <= MAX_PERIOD_MONTHS)
            .ok_or_else(|| {
                AppError::invalid(
                    "to",
                    format!(
                        "must not be before `from`, and at most {MAX_PERIOD_MONTHS} months from it"
                    ),
                )
            })?;
        let mut ids: Vec<i16> = match ask.kpis {
            None => KPIS.iter().map(|k| k.id).collect(),
            Some(codes) => codes
                .iter()
                .map(|c| self.kpi(c).map(|k| k.id))
                .collect::<Result<_, _>>()?,
        };
        ids.sort_unstable();
        ids.dedup();
        let scoped = crate::app::status_filter(who, None)?;
        Ok(FactQuery {
            from: range.from,
            to: range.to,
            updated_since: ask.updated_since,
            kpis: ids,
            regions: scoped.regions,
            dealer: scoped.dealer,
            after: ask.after,
            limit: ask.limit,
        })
    }

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
