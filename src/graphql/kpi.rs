//! GraphQL types and resolvers of the KPI engine: catalog, rankings, scorecards, trends,
//! benchmarks, fact pulls and OEM parameters, with the visibility rules of each role.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::{forbidden, to_gql, GqlResult};
use super::guards::{principal, DealerRead, OEM_ADMIN};
use super::network::SizeTier;
use super::report::time;
use super::scalars::Decimal;
use crate::app::{dealer_value, App, AppError, KpiPeriod, Member, Scope};
use crate::auth::{Principal, Role};
use crate::domain::kpi::{self, KpiDef, ParamValue, KPIS};
use crate::domain::stats::Aggregate;
use crate::domain::{self, Month, MonthRange};
use crate::store::{FactQuery, FactRow};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::Category")]
pub enum KpiCategory {
    /// 售后服务业绩管理指标
    Performance,
    /// 工作效率管理指标 (per person or bay per day)
    Efficiency,
    /// 经营管理指标
    Operating,
    /// Productivity, workshop and parts
    Productivity,
    /// Revenue mix
    RevenueMix,
    /// Repair-order mix
    RoMix,
    /// Labor sales mix
    LaborMix,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::Unit")]
pub enum KpiUnit {
    Percent,
    Ratio,
    RosPerDay,
    YuanPerDay,
    YuanPerRo,
    YuanPerPerson,
    RosPerPerson,
    Score,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::Direction")]
pub enum KpiDirection {
    HigherIsBetter,
    LowerIsBetter,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::GuidelineStatus")]
pub enum GuidelineStatus {
    Below,
    Within,
    Above,
}

/// Why a KPI has no value.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::Unavailable")]
pub enum UnavailableReason {
    MissingReport,
    MissingInput,
    MissingParameter,
    ZeroDenominator,
    NegativeDenominator,
    Overflow,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::PeriodKind")]
pub enum PeriodKind {
    Month,
    Quarter,
    YearToDate,
    Rolling12,
    Range,
}

/// A guideline band (指导值); either end may be open.
#[derive(SimpleObject)]
pub struct Guideline {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A KPI of the catalog.
pub struct Kpi(pub &'static KpiDef);

#[Object]
impl Kpi {
    async fn code(&self) -> &str {
        self.0.code
    }

    /// Chinese name.
    async fn name_zh(&self) -> &str {
        self.0.zh
    }

    async fn name_en(&self) -> &str {
        self.0.en
    }

    async fn category(&self) -> KpiCategory {
        self.0.category.into()
    }

    async fn unit(&self) -> KpiUnit {
        self.0.unit.into()
    }

    async fn direction(&self) -> KpiDirection {
        self.0.direction.into()
    }

    async fn guideline(&self) -> Option<Guideline> {
        self.0.guideline.map(|g| Guideline {
            low: g.low,
            high: g.high,
        })
    }

    /// The numerator as a formula over report fields (`[N-k]` is k months earlier).
    async fn numerator(&self) -> String {
        self.0.num.describe()
    }

    async fn denominator(&self) -> String {
        self.0.den.describe()
    }

    /// value = numerator / denominator × scale, numerator and denominator in storage units
    /// (money in fen, hours in hundredths, parameters in thousandths).
    async fn scale(&self) -> f64 {
        self.0.scale.0 as f64 / self.0.scale.1 as f64
    }

    /// Months before the reported month the KPI reads (0 for this month only).
    async fn window_months(&self) -> i32 {
        i32::from(self.0.max_lag())
    }

    /// Whether it reads an OEM parameter (annual visits per vehicle).
    async fn uses_parameter(&self) -> bool {
        kpi::uses_param(self.0)
    }

    async fn explanation(&self) -> &str {
        self.0.explain
    }
}

/// A reporting period. `kind` builds it from `month`: MONTH, QUARTER (containing it),
/// YEAR_TO_DATE (January to it), ROLLING_12 (12 months ending with it), RANGE (`month` to `to`).
#[derive(InputObject, Clone, Copy)]
#[graphql(name = "ReportingPeriod")]
pub struct PeriodInput {
    #[graphql(default_with = "PeriodKind::Month")]
    pub kind: PeriodKind,
    pub month: Month,
    pub to: Option<Month>,
}

impl PeriodInput {
    /// The period's last month (the month whose region membership decides access).
    pub fn last_month(&self) -> Month {
        self.period().map_or(self.month, |p| p.range.to)
    }

    fn period(self) -> async_graphql::Result<domain::Period> {
        domain::Period::new(self.kind.into(), self.month, self.to)
            .map_err(|m| to_gql(AppError::invalid("period", m)))
    }
}

/// The months a period covers.
#[derive(SimpleObject)]
pub struct PeriodInfo {
    pub kind: PeriodKind,
    pub from: Month,
    pub to: Month,
}

impl From<domain::Period> for PeriodInfo {
    fn from(p: domain::Period) -> Self {
        PeriodInfo {
            kind: p.kind.into(),
            from: p.range.from,
            to: p.range.to,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Nation,
    Region,
    /// Dealers of one brand and size tier.
    PeerGroup,
}

/// A group of dealers: the nation, a region (`regionCode`), or a peer group (`brand` and `sizeTier`).
#[derive(InputObject, Clone)]
pub struct ScopeInput {
    pub kind: ScopeKind,
    pub region_code: Option<String>,
    pub brand: Option<String>,
    pub size_tier: Option<SizeTier>,
}

impl ScopeInput {
    fn scope(&self) -> async_graphql::Result<Scope> {
        let need = |field: &str| {
            to_gql(AppError::invalid(
                field,
                format!(
                    "is required for a {} scope",
                    if field == "regionCode" {
                        "REGION"
                    } else {
                        "PEER_GROUP"
                    }
                ),
            ))
        };
        Ok(match self.kind {
            ScopeKind::Nation => Scope::Nation,
            ScopeKind::Region => {
                Scope::Region(self.region_code.clone().ok_or_else(|| need("regionCode"))?)
            }
            ScopeKind::PeerGroup => Scope::Peer {
                brand: self.brand.clone().ok_or_else(|| need("brand"))?,
                size_tier: self.size_tier.ok_or_else(|| need("sizeTier"))?.into(),
            },
        })
    }
}

/// A KPI over a group of dealers. `pooled` is Σ numerators / Σ denominators (the group's own
/// ratio); `mean`, `median` and the quartiles are of the dealers' values, each counting once.
#[derive(SimpleObject, Default)]
pub struct KpiAggregate {
    pub pooled: Option<f64>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
    /// Hidden from dealer users (it is one dealer's value).
    pub min: Option<f64>,
    /// Hidden from dealer users (it is one dealer's value).
    pub max: Option<f64>,
    /// Σ numerators, in storage units.
    pub numerator: Option<String>,
    /// Σ denominators, in storage units.
    pub denominator: Option<String>,
    pub dealers_with_value: i32,
    pub dealers_missing: i32,
    /// True when the group is too small to be shown to you (fewer dealers with a value than
    /// the minimum group size): every figure is then empty.
    pub withheld: bool,
}

/// What the caller may see of groups and dealers.
struct Visibility<'a> {
    who: &'a Principal,
    min_group: usize,
}

impl<'a> Visibility<'a> {
    fn new(ctx: &'a Context<'_>) -> async_graphql::Result<Visibility<'a>> {
        Ok(Visibility {
            who: principal(ctx)?,
            min_group: super::app(ctx).settings.min_group_size as usize,
        })
    }

    fn is_dealer(&self) -> bool {
        self.who.role == Role::Dealer
    }

    fn aggregate(&self, a: &Aggregate) -> KpiAggregate {
        if self.is_dealer() && a.count < self.min_group {
            return KpiAggregate {
                dealers_with_value: a.count as i32,
                dealers_missing: a.missing as i32,
                withheld: true,
                ..Default::default()
            };
        }
        let own = !self.is_dealer();
        KpiAggregate {
            pooled: a.pooled,
            mean: a.mean,
            median: a.median,
            p25: a.p25,
            p75: a.p75,
            min: a.min.filter(|_| own),
            max: a.max.filter(|_| own),
            numerator: (a.denominator > 0).then(|| a.numerator.to_string()),
            denominator: (a.denominator > 0).then(|| a.denominator.to_string()),
            dealers_with_value: a.count as i32,
            dealers_missing: a.missing as i32,
            withheld: false,
        }
    }

    /// Whether the dealer's identity may be shown.
    fn identity(&self, m: &Member) -> bool {
        match self.who.role {
            Role::OemAdmin | Role::BiReader => true,
            Role::RegionalManager => m
                .region_code
                .as_ref()
                .is_some_and(|r| self.who.regions.contains(r)),
            Role::Dealer => self.who.dealer.as_deref() == Some(&m.code),
        }
    }

    /// Whether the dealer's value may be shown at all (dealers see only their own).
    fn value(&self, m: &Member) -> bool {
        !self.is_dealer() || self.identity(m)
    }

    /// Dealer users may look at their own region, their peer group and the nation only.
    fn check_scope(&self, scope: &Scope, own: Option<&Member>) -> async_graphql::Result<()> {
        if !self.is_dealer() {
            return Ok(());
        }
        let ok = match (scope, own) {
            (Scope::Nation, _) => true,
            (Scope::Region(r), Some(m)) => m.region_code.as_ref() == Some(r),
            (Scope::Peer { brand, size_tier }, Some(m)) => {
                &m.brand == brand && m.size_tier == *size_tier
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(forbidden("a dealer may compare itself with its own region, its peer group and the nation only"))
        }
    }
}

/// A dealer's line in a ranking. Identity is empty where you may not see it.
#[derive(SimpleObject)]
pub struct RankingEntry {
    /// 1 is best in the KPI's direction; ties share a rank.
    pub rank: i32,
    /// Share of the scope's other dealers with a worse value (0–100).
    pub percentile: f64,
    pub value: f64,
    pub numerator: String,
    pub denominator: String,
    pub dealer_code: Option<String>,
    pub dealer_name: Option<String>,
    pub region_code: Option<String>,
    /// value − the pooled value of the dealer's region.
    pub delta_to_region: Option<f64>,
    /// value − the pooled value of the nation.
    pub delta_to_nation: Option<f64>,
}

/// The dealers of a scope ordered by a KPI, and the scope's aggregates.
#[derive(SimpleObject)]
pub struct Ranking {
    pub kpi: Kpi,
    pub period: PeriodInfo,
    /// The scope's aggregate.
    pub aggregate: KpiAggregate,
    /// The nation's aggregate.
    pub nation: KpiAggregate,
    pub entries: Connection<String, RankingEntry>,
    /// Codes of the scope's dealers without a value (those you may see).
    pub missing_dealers: Vec<String>,
}

/// One KPI in a dealer's scorecard.
#[derive(SimpleObject)]
pub struct ScorecardKpi {
    pub kpi: Kpi,
    pub value: Option<f64>,
    pub unavailable_reason: Option<UnavailableReason>,
    pub rank_in_region: Option<i32>,
    pub rank_in_nation: Option<i32>,
    /// Dealers of the region with a value.
    pub region_dealers: i32,
    /// Dealers of the nation with a value.
    pub nation_dealers: i32,
    pub percentile_in_nation: Option<f64>,
    /// For a radar chart (雷达图): the percentile in the nation, 0–100, 100 best.
    pub radar_score: Option<f64>,
    pub region: KpiAggregate,
    pub nation: KpiAggregate,
    pub peer_group: KpiAggregate,
    pub guideline_status: Option<GuidelineStatus>,
    /// The value of the period just before (same length).
    pub previous_value: Option<f64>,
    pub change_vs_previous: Option<f64>,
    /// The value of the same period a year before.
    pub year_ago_value: Option<f64>,
    pub change_vs_year_ago: Option<f64>,
}

/// Every KPI of one dealer for a period, against its region and the nation.
#[derive(SimpleObject)]
pub struct Scorecard {
    pub dealer_code: String,
    pub dealer_name: String,
    pub region_code: Option<String>,
    pub period: PeriodInfo,
    pub kpis: Vec<ScorecardKpi>,
}

/// One month of a dealer's KPI series with its region's and the nation's pooled values.
#[derive(SimpleObject)]
pub struct TrendPoint {
    pub month: Month,
    pub value: Option<f64>,
    pub unavailable_reason: Option<UnavailableReason>,
    pub region_code: Option<String>,
    /// Empty when withheld (a group smaller than the minimum, for dealer users).
    pub region_value: Option<f64>,
    pub region_dealers: i32,
    pub nation_value: Option<f64>,
    pub nation_dealers: i32,
}

/// A region's aggregate in `benchmarks`.
#[derive(SimpleObject)]
pub struct RegionBenchmark {
    pub region_code: String,
    pub region_name: String,
    pub aggregate: KpiAggregate,
}

/// A KPI for a period: every region and the nation side by side.
#[derive(SimpleObject)]
pub struct Benchmarks {
    pub kpi: Kpi,
    pub period: PeriodInfo,
    pub nation: KpiAggregate,
    pub regions: Vec<RegionBenchmark>,
}

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

/// An OEM parameter value in force.
#[derive(SimpleObject)]
pub struct OemParameter {
    /// `annual_visits_per_vehicle` (年度平均来店次数).
    pub name: String,
    pub year: i32,
    /// Empty for the whole network.
    pub region_code: Option<String>,
    pub value: Decimal,
}

impl From<ParamValue> for OemParameter {
    fn from(p: ParamValue) -> Self {
        OemParameter {
            name: p.param.code().to_string(),
            year: p.year,
            region_code: Some(p.region_code).filter(|r| !r.is_empty()),
            value: Decimal(rust_decimal::Decimal::new(p.value, 3).normalize()),
        }
    }
}

/// Largest page of `kpiFacts`.
pub const MAX_FACT_PAGE: usize = 10_000;

fn fact_cursor(f: &FactRow) -> String {
    format!("{}:{}:{}", f.kpi, f.month.index(), f.dealer_code)
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
    Ok((kpi, month, dealer))
}

fn offset_cursor(after: Option<&str>) -> async_graphql::Result<usize> {
    match after {
        None => Ok(0),
        Some(a) => a.parse::<usize>().map(|n| n + 1).map_err(|_| {
            to_gql(AppError::invalid(
                "after",
                "not a cursor returned by this list",
            ))
        }),
    }
}

/// The dealer the caller is, as a member of the period (dealer users only).
fn own_member<'a>(who: &Principal, p: &'a KpiPeriod) -> Option<&'a Member> {
    who.dealer
        .as_deref()
        .and_then(|d| p.index_of(d))
        .map(|i| &p.members[i])
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
    facts: Vec<FactRow>,
    more: bool,
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
        self.more
    }

    /// Pass as `after` for the next page.
    async fn end_cursor(&self) -> Option<String> {
        self.facts.last().map(fact_cursor)
    }
}

/// One page of facts in the caller's scope, and whether more follow.
async fn fact_page(
    ctx: &Context<'_>,
    from: Month,
    to: Month,
    kpis: Option<Vec<String>>,
    updated_since: Option<DateTime<Utc>>,
    first: Option<i32>,
    after: Option<&str>,
) -> async_graphql::Result<(Vec<FactRow>, bool)> {
    let who = principal(ctx)?;
    let app: &App = super::app(ctx);
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
        .ok_or_else(|| to_gql(AppError::invalid("to", "must not be before `from`")))?;
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
    let scoped = super::query::scoped_filter(who, None)?;
    let q = FactQuery {
        from: range.from,
        to: range.to,
        updated_since: updated_since.map(|t| t.timestamp_millis()),
        kpis: ids,
        regions: scoped.regions,
        dealer: scoped.dealer,
        after: after.map(parse_fact_cursor).transpose()?,
        limit: first + 1,
    };
    let mut rows = app.facts(&q).await.gql()?;
    let more = rows.len() > first;
    rows.truncate(first);
    Ok((rows, more))
}

#[derive(Default)]
pub struct KpiQuery;

#[Object]
impl KpiQuery {
    /// Every KPI: codes, names, units, directions, guidelines and formulas.
    async fn kpi_catalog(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Kpi>> {
        principal(ctx)?;
        Ok(KPIS.iter().map(Kpi).collect())
    }

    /// The dealers of a scope (default: the nation) ordered by a KPI in its good direction,
    /// with ranks, percentiles, deltas and the scope's aggregates. Regional managers see
    /// other regions' dealers without identities; dealer users see only their own line.
    async fn ranking(
        &self,
        ctx: &Context<'_>,
        kpi: String,
        period: PeriodInput,
        scope: Option<ScopeInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Ranking> {
        let vis = Visibility::new(ctx)?;
        let app: &App = super::app(ctx);
        let def = app.kpi(&kpi).gql()?;
        let period = period.period()?;
        let scope = scope
            .map(|s| s.scope())
            .transpose()?
            .unwrap_or(Scope::Nation);
        let first = super::query::page_size(first)?;
        let start = offset_cursor(after.as_deref())?;
        app.refresh_kpis().await.gql()?;
        let p = app.kpi_period(def, period).await.gql()?;
        vis.check_scope(&scope, own_member(vis.who, &p))?;
        let nation = p.aggregate(&Scope::Nation);
        let region_pooled = |r: &Option<String>| {
            r.as_ref()
                .and_then(|r| p.aggregate(&Scope::Region(r.clone())).pooled)
        };
        let ranked = p.ranked(&scope);
        let visible: Vec<_> = ranked
            .iter()
            .filter(|r| vis.value(&p.members[r.index]))
            .collect();
        let mut entries = Connection::new(start > 0, visible.len() > start + first);
        for (i, r) in visible.iter().enumerate().skip(start).take(first) {
            let member = &p.members[r.index];
            let shown = vis.identity(member);
            entries.edges.push(Edge::new(
                i.to_string(),
                RankingEntry {
                    rank: r.standing.rank as i32,
                    percentile: r.standing.percentile,
                    value: r.value,
                    numerator: r.pair.num.to_string(),
                    denominator: r.pair.den.to_string(),
                    dealer_code: shown.then(|| member.code.clone()),
                    dealer_name: shown.then(|| member.name.clone()),
                    region_code: member.region_code.clone(),
                    delta_to_region: region_pooled(&member.region_code).map(|x| r.value - x),
                    delta_to_nation: nation.pooled.map(|x| r.value - x),
                },
            ));
        }
        Ok(Ranking {
            kpi: Kpi(def),
            period: period.into(),
            aggregate: vis.aggregate(&p.aggregate(&scope)),
            nation: vis.aggregate(&nation),
            entries,
            missing_dealers: p
                .missing(&scope)
                .into_iter()
                .map(|i| &p.members[i])
                .filter(|m| vis.identity(m))
                .map(|m| m.code.clone())
                .collect(),
        })
    }

    /// Every KPI of one dealer for a period: value, ranks, the region's, peer group's and
    /// nation's aggregates, guideline status, changes, and a radar score.
    #[graphql(guard = "DealerRead::new(&dealer_code, Some(period.last_month()))")]
    async fn scorecard(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        period: PeriodInput,
    ) -> async_graphql::Result<Scorecard> {
        let vis = Visibility::new(ctx)?;
        let app: &App = super::app(ctx);
        let period = period.period()?;
        let dealer = app.require_dealer(&dealer_code).await.gql()?;
        let (prev, year_ago) = (period.previous(), period.year_before());
        app.refresh_kpis().await.gql()?;
        let cache = &app.cache;
        let store = app.store.as_ref();
        let previous = cache
            .dealer_pairs(store, &dealer_code, prev.range)
            .await
            .gql()?;
        let year_before = cache
            .dealer_pairs(store, &dealer_code, year_ago.range)
            .await
            .gql()?;
        let mut kpis = Vec::with_capacity(KPIS.len());
        let mut region_code = None;
        let mut reasons: Option<Vec<FactRow>> = None;
        for (k, def) in KPIS.iter().enumerate() {
            let p = app.kpi_period(def, period).await.gql()?;
            let idx = p.index_of(&dealer_code);
            let me = idx.map(|i| &p.members[i]);
            region_code = me.and_then(|m| m.region_code.clone());
            let region_scope = region_code.clone().map(Scope::Region);
            let v = idx.and_then(|i| p.values[i]);
            // Why there is no value comes from the dealer's stored facts (fetched once, if needed).
            let reason = match v {
                Some(_) => None,
                None => {
                    if reasons.is_none() {
                        reasons = Some(
                            app.store
                                .dealer_facts(&dealer_code, period.range.from, period.range.to)
                                .await
                                .gql()?,
                        );
                    }
                    let own: Vec<&FactRow> = reasons
                        .iter()
                        .flatten()
                        .filter(|f| f.kpi == def.id)
                        .collect();
                    dealer_value(def, &own, period.range).err()
                }
            };
            let nation_standing = idx.and_then(|i| p.standing(i, &Scope::Nation));
            let region_standing = idx
                .zip(region_scope.as_ref())
                .and_then(|(i, s)| p.standing(i, s));
            let region_agg = region_scope.as_ref().map(|s| p.aggregate(s));
            let nation_agg = p.aggregate(&Scope::Nation);
            let peer_agg = me.map(|m| {
                p.aggregate(&Scope::Peer {
                    brand: m.brand.clone(),
                    size_tier: m.size_tier,
                })
            });
            let value_of =
                |pair: Option<domain::stats::Pair>| pair.and_then(|x| def.value(x.num, x.den));
            let (previous, year_before) = (value_of(previous[k]), value_of(year_before[k]));
            kpis.push(ScorecardKpi {
                kpi: Kpi(def),
                value: v,
                unavailable_reason: reason.map(Into::into),
                rank_in_region: region_standing.map(|s| s.rank as i32),
                rank_in_nation: nation_standing.map(|s| s.rank as i32),
                region_dealers: region_agg.as_ref().map_or(0, |a| a.count as i32),
                nation_dealers: nation_agg.count as i32,
                percentile_in_nation: nation_standing.map(|s| s.percentile),
                radar_score: nation_standing.map(|s| s.percentile),
                region: region_agg
                    .as_ref()
                    .map(|a| vis.aggregate(a))
                    .unwrap_or_default(),
                nation: vis.aggregate(&nation_agg),
                peer_group: peer_agg
                    .as_ref()
                    .map(|a| vis.aggregate(a))
                    .unwrap_or_default(),
                guideline_status: v.and_then(|x| def.guideline.map(|g| g.status(x).into())),
                previous_value: previous,
                change_vs_previous: v.zip(previous).map(|(a, b)| a - b),
                year_ago_value: year_before,
                change_vs_year_ago: v.zip(year_before).map(|(a, b)| a - b),
            });
        }
        Ok(Scorecard {
            dealer_code: dealer.code,
            dealer_name: dealer.name,
            region_code,
            period: period.into(),
            kpis,
        })
    }

    /// A dealer's monthly series of a KPI with its region's and the nation's pooled values.
    #[graphql(guard = "DealerRead::new(&dealer_code, Some(to))")]
    async fn kpi_trend(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        kpi: String,
        from: Month,
        to: Month,
    ) -> async_graphql::Result<Vec<TrendPoint>> {
        let vis = Visibility::new(ctx)?;
        let app: &App = super::app(ctx);
        let def = app.kpi(&kpi).gql()?;
        let range = MonthRange::new(from, to)
            .filter(|r| r.len() <= domain::period::MAX_PERIOD_MONTHS)
            .ok_or_else(|| {
                to_gql(AppError::invalid(
                    "to",
                    "must not be before `from`, and the series at most 120 months",
                ))
            })?;
        let points = app.trend(&dealer_code, def, range).await.gql()?;
        let shown = |g: Option<crate::app::GroupValue>| {
            g.filter(|g| !vis.is_dealer() || g.dealers as usize >= vis.min_group)
                .map(|g| g.pooled)
        };
        Ok(points
            .into_iter()
            .map(|p| TrendPoint {
                month: p.month,
                value: p.value.ok(),
                unavailable_reason: p.value.err().map(Into::into),
                region_code: p.region_code,
                region_value: shown(p.region),
                region_dealers: p.region.map_or(0, |g| g.dealers as i32),
                nation_value: shown(p.nation),
                nation_dealers: p.nation.map_or(0, |g| g.dealers as i32),
            })
            .collect())
    }

    /// A KPI for a period: the nation and every region side by side.
    async fn benchmarks(
        &self,
        ctx: &Context<'_>,
        kpi: String,
        period: PeriodInput,
    ) -> async_graphql::Result<Benchmarks> {
        let vis = Visibility::new(ctx)?;
        let app: &App = super::app(ctx);
        let def = app.kpi(&kpi).gql()?;
        let period = period.period()?;
        app.refresh_kpis().await.gql()?;
        let values = app.kpi_period(def, period).await.gql()?;
        let regions = app.store.regions().await.gql()?;
        Ok(Benchmarks {
            kpi: Kpi(def),
            period: period.into(),
            nation: vis.aggregate(&values.aggregate(&Scope::Nation)),
            regions: regions
                .into_iter()
                .map(|r| RegionBenchmark {
                    aggregate: vis.aggregate(&values.aggregate(&Scope::Region(r.code.clone()))),
                    region_code: r.code,
                    region_name: r.name,
                })
                .collect(),
        })
    }

    /// KPI facts (dealer, region at that month, month, KPI, numerator, denominator, value) for
    /// BI pulls, in a stable order (KPI, month, dealer): pages stay correct while reports
    /// arrive. `updatedSince` returns only facts (re)computed since then, for incremental pulls.
    async fn kpi_facts(
        &self,
        ctx: &Context<'_>,
        from: Month,
        to: Month,
        #[graphql(desc = "Only these KPI codes (default: all)")] kpis: Option<Vec<String>>,
        updated_since: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, default 1000, at most 10000")] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, KpiFact>> {
        let (rows, more) =
            fact_page(ctx, from, to, kpis, updated_since, first, after.as_deref()).await?;
        let mut conn = Connection::new(after.is_some(), more);
        conn.edges.extend(
            rows.into_iter()
                .map(|f| Edge::new(fact_cursor(&f), KpiFact::from(f))),
        );
        Ok(conn)
    }

    /// The same facts as `kpiFacts`, as a compact table for bulk pulls: one array (`rows`) or
    /// one CSV line (`csv`) per fact, in the order of `columns`, without per-field overhead.
    /// Follow `endCursor` while `hasNextPage`.
    async fn kpi_fact_table(
        &self,
        ctx: &Context<'_>,
        from: Month,
        to: Month,
        kpis: Option<Vec<String>>,
        updated_since: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, default 1000, at most 10000")] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<FactTable> {
        let (rows, more) =
            fact_page(ctx, from, to, kpis, updated_since, first, after.as_deref()).await?;
        Ok(FactTable { facts: rows, more })
    }

    /// OEM parameters in force (annual visits per vehicle, by year and region).
    async fn oem_parameters(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OemParameter>> {
        principal(ctx)?;
        Ok(super::app(ctx)
            .params()
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// The answer to `setOemParameter`.
#[derive(SimpleObject)]
pub struct SetParameterResult {
    pub parameter: OemParameter,
    /// KPI facts the new value changed (facts that come out the same are not rewritten).
    pub facts_recomputed: i32,
}

#[derive(Default)]
pub struct KpiMutation;

#[Object]
impl KpiMutation {
    /// Sets an OEM parameter for a year, nationally or for one region (oem_admin); the KPIs
    /// that read it are recomputed for that year.
    #[graphql(guard = "OEM_ADMIN")]
    async fn set_oem_parameter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "annual_visits_per_vehicle")] name: String,
        year: i32,
        region_code: Option<String>,
        value: Decimal,
    ) -> async_graphql::Result<SetParameterResult> {
        let who = principal(ctx)?;
        let param = kpi::Param::parse(&name).ok_or_else(|| {
            to_gql(AppError::invalid(
                "name",
                format!("unknown parameter `{name}`: use annual_visits_per_vehicle"),
            ))
        })?;
        let scaled = value.0 * rust_decimal::Decimal::from(param.unit());
        if scaled.fract() != rust_decimal::Decimal::ZERO {
            return Err(to_gql(AppError::invalid(
                "value",
                "at most 3 decimal places",
            )));
        }
        let stored: i64 = scaled
            .try_into()
            .map_err(|_| to_gql(AppError::invalid("value", "out of range")))?;
        let pv = ParamValue {
            param,
            year,
            region_code: region_code.unwrap_or_default(),
            value: stored,
        };
        let n = super::app(ctx)
            .set_param(pv.clone(), &who.sub)
            .await
            .gql()?;
        Ok(SetParameterResult {
            parameter: pv.into(),
            facts_recomputed: n as i32,
        })
    }
}
