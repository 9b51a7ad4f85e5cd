//! Fact pulls for BI tools: `kpiFacts` (a connection) and `kpiFactTable` (compact rows or
//! CSV), with their cursors.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::super::error::{to_gql, GqlResult};
use super::super::guards::principal;
use super::super::report::time;
use super::types::UnavailableReason;
use crate::app::{App, AppError};
use crate::domain::kpi::{self, KPIS};
use crate::domain::period::MAX_PERIOD_MONTHS;
use crate::domain::{Month, MonthRange};
use crate::store::{FactCursor, FactPage, FactQuery, FactRow};

/// One KPI of one dealer-month, for BI tools.
#[derive(SimpleObject)]
pub struct KpiFact {
    pub dealer_code: String,
    /// The dealer's region in that month.
    pub region_code: String,
    pub month: Month,
    pub kpi: String,
    /// In storage units (money in fen, hours in hundredths); empty when unavailable.
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    /// numerator / denominator × the KPI's scale.
    pub value: Option<f64>,
    pub unavailable_reason: Option<UnavailableReason>,
    pub updated_at: DateTime<Utc>,
}

impl From<FactRow> for KpiFact {
    fn from(f: FactRow) -> Self {
        let def = kpi::by_id(f.kpi);
        let (numerator, denominator, value, reason) = match f.value {
            Ok((n, d)) => (
                Some(n.to_string()),
                Some(d.to_string()),
                def.and_then(|k| k.value(n, d)),
                None,
            ),
            Err(u) => (None, None, None, Some(u.into())),
        };
        KpiFact {
            dealer_code: f.dealer_code,
            region_code: f.region_code,
            month: f.month,
            kpi: def.map_or_else(|| f.kpi.to_string(), |k| k.code.to_string()),
            numerator,
            denominator,
            value,
            unavailable_reason: reason,
            updated_at: time(f.updated_at),
        }
    }
}

/// An edge in a connection.
#[derive(SimpleObject)]
pub struct KpiFactEdge {
    /// A cursor for use in pagination
    pub cursor: String,
    /// The item at the end of the edge
    pub node: KpiFact,
}

/// A page of `kpiFacts`. Written out (not async-graphql's `Connection`) because a page cut
/// short by its database budget must still carry the cursor to resume at, even when it
/// holds no fact.
pub struct KpiFactConnection {
    edges: Vec<KpiFactEdge>,
    page_info: PageInfo,
}

#[Object]
impl KpiFactConnection {
    /// A list of edges.
    async fn edges(&self) -> &[KpiFactEdge] {
        &self.edges
    }

    /// A list of nodes.
    async fn nodes(&self) -> Vec<&KpiFact> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Information to aid in pagination.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
}

impl KpiFactConnection {
    /// A page of facts; `resumed`: whether it follows another.
    pub fn new(page: FactPage, resumed: bool) -> KpiFactConnection {
        let edges: Vec<KpiFactEdge> = page
            .rows
            .into_iter()
            .map(|f| KpiFactEdge {
                cursor: fact_cursor(&f),
                node: KpiFact::from(f),
            })
            .collect();
        KpiFactConnection {
            page_info: PageInfo {
                has_previous_page: resumed,
                has_next_page: page.next.is_some(),
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: page.next.as_ref().map(cursor_text),
            },
            edges,
        }
    }
}

/// Largest page of `kpiFacts`.
pub const MAX_FACT_PAGE: usize = 10_000;

pub fn fact_cursor(f: &FactRow) -> String {
    cursor_text(&(f.kpi, f.month, f.dealer_code.clone()))
}

/// A cursor as text: `kpi:month index:dealer`.
pub fn cursor_text(c: &FactCursor) -> String {
    format!("{}:{}:{}", c.0, c.1.index(), c.2)
}

fn parse_fact_cursor(s: &str) -> async_graphql::Result<(i16, Month, String)> {
    let bad = || {
        to_gql(AppError::invalid(
            "after",
            "not a cursor returned by kpiFacts",
        ))
    };
    let mut it = s.splitn(3, ':');
    let kpi = it.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let month = it
        .next()
        .and_then(|x| x.parse().ok())
        .and_then(Month::from_index)
        .ok_or_else(bad)?;
    let dealer = it.next().ok_or_else(bad)?.to_string();
    // Empty (the start of a KPI-month) or a dealer code.
    if !dealer.is_empty() && crate::domain::network::check_code("after", &dealer).is_err() {
        return Err(bad());
    }
    Ok((kpi, month, dealer))
}

/// Columns of `kpiFactTable` rows.
const FACT_COLUMNS: [&str; 9] = [
    "dealerCode",
    "regionCode",
    "month",
    "kpi",
    "numerator",
    "denominator",
    "value",
    "unavailableReason",
    "updatedAt",
];

/// A fact's columns in display form, in the order of [`FACT_COLUMNS`].
struct FactCells<'a> {
    dealer: &'a str,
    region: &'a str,
    kpi: &'static str,
    pair: Option<(i64, i64)>,
    value: Option<f64>,
    reason: Option<&'static str>,
}

impl<'a> FactCells<'a> {
    fn of(f: &'a FactRow) -> FactCells<'a> {
        let def = kpi::by_id(f.kpi);
        let (pair, value, reason) = match f.value {
            Ok((n, d)) => (Some((n, d)), def.and_then(|k| k.value(n, d)), None),
            Err(u) => (None, None, Some(u.code())),
        };
        FactCells {
            dealer: &f.dealer_code,
            region: &f.region_code,
            kpi: def.map_or("?", |k| k.code),
            pair,
            value,
            reason,
        }
    }
}

/// A row of `kpiFactTable`, in the order of [`FACT_COLUMNS`].
type FactTuple<'a> = (
    &'a str,
    &'a str,
    String,
    &'static str,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<&'static str>,
    String,
);

/// RFC 3339 timestamps of a page: facts written together share one, so format it once.
#[derive(Default)]
struct Stamps(Option<(i64, String)>);

impl Stamps {
    fn get(&mut self, ms: i64) -> &str {
        if self.0.as_ref().is_none_or(|(at, _)| *at != ms) {
            self.0 = Some((ms, time(ms).to_rfc3339()));
        }
        self.0.as_ref().map_or("", |(_, s)| s.as_str())
    }
}

/// A page of `kpiFactTable`.
pub struct FactTable {
    pub facts: Vec<FactRow>,
    pub next: Option<FactCursor>,
}

/// A page of `kpiFactTable`: select `rows` (JSON arrays) or `csv` (one text).
#[Object]
impl FactTable {
    /// Names of the row positions (and of the CSV columns).
    async fn columns(&self) -> Vec<&'static str> {
        FACT_COLUMNS.to_vec()
    }

    /// One array per fact, in the order of `columns` (numerator and denominator in storage
    /// units, as strings; value a number; empty cells null).
    async fn rows(&self) -> async_graphql::Json<Vec<FactTuple<'_>>> {
        let mut stamps = Stamps::default();
        let rows = self
            .facts
            .iter()
            .map(|f| {
                let c = FactCells::of(f);
                (
                    c.dealer,
                    c.region,
                    f.month.to_string(),
                    c.kpi,
                    c.pair.map(|p| p.0.to_string()),
                    c.pair.map(|p| p.1.to_string()),
                    c.value,
                    c.reason,
                    stamps.get(f.updated_at).to_string(),
                )
            })
            .collect();
        async_graphql::Json(rows)
    }

    /// The same rows as CSV text (RFC 4180, `\n` line ends, no header line, so that pages
    /// concatenate; columns as in `columns`; empty cells empty). No cell ever needs quoting:
    /// codes are `A-Z 0-9 _ -`. The fastest form for bulk pulls.
    async fn csv(&self) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(self.facts.len() * 96);
        let mut stamps = Stamps::default();
        for f in &self.facts {
            let c = FactCells::of(f);
            let _ = write!(out, "{},{},{},{},", c.dealer, c.region, f.month, c.kpi);
            if let Some((n, d)) = c.pair {
                let _ = write!(out, "{n},{d},");
            } else {
                out.push_str(",,");
            }
            if let Some(v) = c.value {
                let _ = write!(out, "{v}");
            }
            out.push(',');
            out.push_str(c.reason.unwrap_or_default());
            out.push(',');
            out.push_str(stamps.get(f.updated_at));
            out.push('\n');
        }
        out
    }

    /// Facts on this page.
    async fn count(&self) -> i32 {
        self.facts.len() as i32
    }

    async fn has_next_page(&self) -> bool {
        self.next.is_some()
    }

    /// Pass as `after` for the next page. A page may hold fewer facts than asked (when it
    /// reads months not in memory, it stops after a bounded amount of database work):
    /// follow the cursor while `hasNextPage`.
    async fn end_cursor(&self) -> Option<String> {
        self.next.as_ref().map(cursor_text)
    }
}

/// One page of facts in the caller's scope, and the cursor of the next (`None`: the last).
pub async fn fact_page(
    ctx: &Context<'_>,
    from: Month,
    to: Month,
    kpis: Option<Vec<String>>,
    updated_since: Option<DateTime<Utc>>,
    first: Option<i32>,
    after: Option<&str>,
) -> async_graphql::Result<FactPage> {
    let who = principal(ctx)?;
    let app: &App = super::super::app(ctx);
    let first = match first {
        None => 1000,
        Some(n) if (1..=MAX_FACT_PAGE as i32).contains(&n) => n as usize,
        Some(n) => {
            return Err(to_gql(AppError::invalid(
                "first",
                format!("must be between 1 and {MAX_FACT_PAGE}, got {n}"),
            )))
        }
    };
    let range = MonthRange::new(from, to)
        .filter(|r| r.len() <= MAX_PERIOD_MONTHS)
        .ok_or_else(|| {
            to_gql(AppError::invalid(
                "to",
                format!(
                    "must not be before `from`, and at most {MAX_PERIOD_MONTHS} months from it"
                ),
            ))
        })?;
    let mut ids: Vec<i16> = match kpis {
        None => KPIS.iter().map(|k| k.id).collect(),
        Some(codes) => codes
            .iter()
            .map(|c| app.kpi(c).map(|k| k.id))
            .collect::<Result<_, _>>()
            .gql()?,
    };
    ids.sort_unstable();
    ids.dedup();
    let scoped = super::super::query::scoped_filter(who, None)?;
    let q = FactQuery {
        from: range.from,
        to: range.to,
        updated_since: updated_since.map(|t| t.timestamp_millis()),
        kpis: ids,
        regions: scoped.regions,
        dealer: scoped.dealer,
        after: after.map(parse_fact_cursor).transpose()?,
        limit: first,
    };
    app.facts(&q).await.gql()
}
