//! Fact pulls for BI tools: `kpiFacts` (a connection) and `kpiFactTable` (compact rows or
//! CSV), with their cursors.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::super::error::{to_gql, GqlResult};
use super::super::guards::principal;
use super::super::paging::PageArgs;
use super::super::report::time;
use super::types::UnavailableReason;
use crate::app::{App, AppError};
use crate::domain::kpi;
use crate::domain::paging::Take;
use crate::domain::Month;
use crate::files::fact_csv::{self, FactCells, Stamps, FACT_COLUMNS};
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
    query: FactQuery,
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

    /// Facts of the whole pull (all pages): one counting query, run only when asked.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let n = super::super::app(ctx).fact_total(&self.query).await.gql()?;
        Ok(n.min(i32::MAX as i64) as i32)
    }
}

impl KpiFactConnection {
    /// A page of facts of `query`. Its start and end cursors are where the pages beside it
    /// resume (`before: startCursor`, `after: endCursor`), which a page cut short by its
    /// database budget needs though it may hold no fact.
    pub fn new(page: FactPage, query: FactQuery) -> KpiFactConnection {
        let edges: Vec<KpiFactEdge> = page
            .rows
            .into_iter()
            .map(|f| KpiFactEdge {
                cursor: fact_cursor(&f),
                node: KpiFact::from(f),
            })
            .collect();
        let page_info = if query.from_end {
            PageInfo {
                has_previous_page: page.previous.is_some(),
                has_next_page: query.before.is_some(),
                start_cursor: page.previous.as_ref().map(cursor_text),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            }
        } else {
            PageInfo {
                has_previous_page: query.after.is_some(),
                has_next_page: page.next.is_some(),
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: page.next.as_ref().map(cursor_text),
            }
        };
        KpiFactConnection {
            page_info,
            edges,
            query,
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

fn parse_fact_cursor(field: &str, s: &str) -> async_graphql::Result<(i16, Month, String)> {
    let bad = || {
        to_gql(AppError::invalid(
            field,
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
    if !dealer.is_empty() && crate::domain::network::check_code(field, &dealer).is_err() {
        return Err(bad());
    }
    Ok((kpi, month, dealer))
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
        let mut out = String::new();
        fact_csv::push_lines(&mut out, &self.facts, &mut Stamps::default());
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

/// The query of a page of facts in the caller's scope.
pub fn fact_query(
    ctx: &Context<'_>,
    from: Month,
    to: Month,
    kpis: Option<Vec<String>>,
    updated_since: Option<DateTime<Utc>>,
    page: &PageArgs,
) -> async_graphql::Result<FactQuery> {
    let who = principal(ctx)?;
    let app: &App = super::super::app(ctx);
    let ask = crate::app::FactAsk {
        from: Some(from),
        to: Some(to),
        kpis,
        updated_since: updated_since.map(|t| t.timestamp_millis()),
        after: page
            .after
            .as_deref()
            .map(|c| parse_fact_cursor("after", c))
            .transpose()?,
        before: page
            .before
            .as_deref()
            .map(|c| parse_fact_cursor("before", c))
            .transpose()?,
        from_end: matches!(page.take, Take::Last(_)),
        limit: page.size(),
    };
    app.fact_query(who, ask).gql()
}
