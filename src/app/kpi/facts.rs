//! Fact pulls for BI tools: pages of facts in a stable order (KPI, month, dealer), each
//! KPI-month from memory when the month is loaded, else from the database.

use crate::app::{App, AppError, AppResult};
use crate::auth::Principal;
use crate::domain::kpi::KPIS;
use crate::domain::period::MAX_PERIOD_MONTHS;
use crate::domain::{Month, MonthRange};
use crate::store::{FactCursor, FactPage, FactProbe, FactQuery, FactRow};

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
    pub before: Option<FactCursor>,
    /// The last `limit` facts before `before` rather than the first after `after`.
    pub from_end: bool,
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
            before: ask.before,
            from_end: ask.from_end,
            limit: ask.limit,
        })
    }

    /// A page of at most `q.limit` facts (see [`FactQuery`]): the first after `q.after`, or
    /// (`q.from_end`) the last before `q.before`; and where the pages beside it start.
    pub async fn facts(&self, q: &FactQuery) -> AppResult<FactPage> {
        self.refresh_kpis().await?;
        let Some(range) = MonthRange::new(q.from, q.to) else {
            return Ok(FactPage {
                rows: Vec::new(),
                next: None,
                previous: None,
            });
        };
        // The KPI-months in the order of the facts, within the cursors' bounds.
        let pairs: Vec<(i16, Month)> = q
            .kpis
            .iter()
            .flat_map(|&k| range.months().map(move |m| (k, m)))
            .filter(|p| q.after.as_ref().is_none_or(|(k, m, _)| *p >= (*k, *m)))
            .filter(|p| q.before.as_ref().is_none_or(|(k, m, _)| *p <= (*k, *m)))
            .collect();
        if q.from_end {
            self.facts_backward(q, &pairs).await
        } else {
            self.facts_forward(q, &pairs).await
        }
    }

    /// How many facts `q` covers, all pages (one counting query).
    pub async fn fact_total(&self, q: &FactQuery) -> AppResult<i64> {
        Ok(self.store.count_facts(q).await?)
    }

    /// The probe of one KPI-month of a query: its dealers within the cursors' bounds.
    fn probe<'a>(q: &'a FactQuery, (kpi, month): (i16, Month), limit: usize) -> FactProbe<'a> {
        let bound = |c: &'a Option<FactCursor>| match c {
            Some((k, m, d)) if (kpi, month) == (*k, *m) => Some(d.as_str()),
            _ => None,
        };
        FactProbe {
            kpi,
            month,
            after: bound(&q.after),
            before: bound(&q.before),
            from_end: q.from_end,
            updated_since: q.updated_since,
            regions: q.regions.as_deref(),
            dealer: q.dealer.as_deref(),
            limit,
        }
    }

    /// One KPI-month's facts, from memory or (while `probes` lasts) the database; `None`
    /// when the budget is spent.
    async fn probe_facts(
        &self,
        probe: &FactProbe<'_>,
        probes: &mut usize,
    ) -> AppResult<Option<Vec<FactRow>>> {
        if let Some(found) = self.cache.fact_rows(probe) {
            return Ok(Some(found));
        }
        if *probes == MAX_DATABASE_PROBES {
            return Ok(None);
        }
        *probes += 1;
        Ok(Some(self.store.fact_rows(probe).await?))
    }

    async fn facts_forward(&self, q: &FactQuery, pairs: &[(i16, Month)]) -> AppResult<FactPage> {
        let mut rows = Vec::new();
        let mut probes = 0;
        for &pair in pairs {
            // One more than asked: whether another page follows.
            let probe = Self::probe(q, pair, q.limit + 1 - rows.len());
            let Some(found) = self.probe_facts(&probe, &mut probes).await? else {
                // The database budget is spent: the next page starts with this KPI-month.
                let next = Some((pair.0, pair.1, probe.after.unwrap_or_default().to_string()));
                return Ok(FactPage {
                    rows,
                    next,
                    previous: None,
                });
            };
            rows.extend(found);
            if rows.len() > q.limit {
                rows.truncate(q.limit);
                let next = rows.last().map(cursor_of);
                return Ok(FactPage {
                    rows,
                    next,
                    previous: None,
                });
            }
        }
        Ok(FactPage {
            rows,
            next: None,
            previous: None,
        })
    }

    async fn facts_backward(&self, q: &FactQuery, pairs: &[(i16, Month)]) -> AppResult<FactPage> {
        let mut rows: Vec<FactRow> = Vec::new();
        let mut probes = 0;
        for (at, &pair) in pairs.iter().enumerate().rev() {
            let probe = Self::probe(q, pair, q.limit + 1 - rows.len());
            let Some(found) = self.probe_facts(&probe, &mut probes).await? else {
                // The budget is spent: the page before ends with this KPI-month, that is
                // before the start of the one after it (read already).
                let (k, m) = pairs[at + 1];
                return Ok(FactPage {
                    rows,
                    next: None,
                    previous: Some((k, m, String::new())),
                });
            };
            rows.splice(0..0, found);
            if rows.len() > q.limit {
                rows.drain(..rows.len() - q.limit);
                let previous = rows.first().map(cursor_of);
                return Ok(FactPage {
                    rows,
                    next: None,
                    previous,
                });
            }
        }
        Ok(FactPage {
            rows,
            next: None,
            previous: None,
        })
    }
}

/// The cursor of a fact: its `(kpi, month, dealer)`.
fn cursor_of(f: &FactRow) -> FactCursor {
    (f.kpi, f.month, f.dealer_code.clone())
}
