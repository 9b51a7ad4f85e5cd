//! GraphQL types of the KPI engine: the catalog, aggregates, rankings, scorecards, trends,
//! benchmarks and OEM parameters. They map what the `app` layer decided the caller sees.

use async_graphql::connection::{Connection, Edge};

use super::super::paging::Total;
use async_graphql::{Enum, Object, SimpleObject};

use super::super::scalars::Decimal;
use crate::app::{BenchmarksView, GroupFigures, GroupValue, OwnValue, RankingView, ScorecardView};
use crate::domain::kpi::{self, KpiDef, ParamValue};
use crate::domain::{self, Month};

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
    /// Achievement of the yearly target items (目标达成率)
    Targets,
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
    /// No approved target for the item that month.
    NoTarget,
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

/// Whether a group's figures are shown to you, and if not, why.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::Disclosure")]
pub enum Disclosure {
    /// Live figures (regional managers, BI readers, the OEM).
    Live,
    /// The month's published snapshot (dealer users).
    Published,
    /// A month of the period is not published yet: you see your own values only.
    NotYetPublished,
    /// Fewer dealers with a value than the minimum group size: withheld.
    SmallGroup,
    /// One dealer carries most of the group's denominator: withheld.
    DominantDealer,
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

/// A KPI over a group of dealers. `pooled` is Σ numerators / Σ denominators (the group's own
/// ratio); `mean`, `median` and the quartiles are of the dealers' values, each counting once.
/// Dealer users see published figures, as values only (`disclosure` says which, or why not).
#[derive(SimpleObject)]
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
    /// Σ numerators, in storage units (hidden from dealer users: other dealers' figures).
    pub numerator: Option<String>,
    /// Σ denominators, in storage units (hidden from dealer users).
    pub denominator: Option<String>,
    pub dealers_with_value: i32,
    pub dealers_missing: i32,
    /// True when the figures are not shown to you (`disclosure` says why): every figure is
    /// then empty.
    pub withheld: bool,
    pub disclosure: Disclosure,
}

impl From<&GroupFigures> for KpiAggregate {
    fn from(f: &GroupFigures) -> Self {
        let a = f.aggregate.as_ref();
        let sums = a.filter(|a| f.show_sums && a.denominator > 0);
        let extremes = a.filter(|_| f.show_extremes);
        KpiAggregate {
            pooled: a.and_then(|a| a.pooled),
            mean: a.and_then(|a| a.mean),
            median: a.and_then(|a| a.median),
            p25: a.and_then(|a| a.p25),
            p75: a.and_then(|a| a.p75),
            min: extremes.and_then(|a| a.min),
            max: extremes.and_then(|a| a.max),
            numerator: sums.map(|a| a.numerator.to_string()),
            denominator: sums.map(|a| a.denominator.to_string()),
            dealers_with_value: f.count as i32,
            dealers_missing: f.missing as i32,
            withheld: !f.disclosure.shown(),
            disclosure: f.disclosure.into(),
        }
    }
}

/// A dealer's line in a ranking.
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
    /// The dealer's region in the period's last month.
    pub region_code: Option<String>,
    /// value − the pooled value of the dealer's region (empty when that is withheld).
    pub delta_to_region: Option<f64>,
    /// value − the pooled value of the nation (empty when that is withheld).
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
    /// The lines you may see: regional managers their regions' dealers (for the months they
    /// were there), dealer users their own line in the published snapshot.
    pub entries: Connection<String, RankingEntry, Total>,
    /// Codes of the scope's dealers without a value (those you may see).
    pub missing_dealers: Vec<String>,
}

impl From<RankingView> for Ranking {
    fn from(v: RankingView) -> Self {
        let mut entries = Connection::with_additional_fields(
            v.has_previous,
            v.has_next,
            Total {
                total_count: v.total as i32,
            },
        );
        entries.edges.extend(v.lines.into_iter().map(|l| {
            Edge::new(
                l.position.to_string(),
                RankingEntry {
                    rank: l.rank as i32,
                    percentile: l.percentile,
                    value: l.value,
                    numerator: l.pair.num.to_string(),
                    denominator: l.pair.den.to_string(),
                    dealer_code: Some(l.dealer_code),
                    dealer_name: Some(l.dealer_name),
                    region_code: l.region_code,
                    delta_to_region: l.delta_to_region,
                    delta_to_nation: l.delta_to_nation,
                },
            )
        }));
        Ranking {
            kpi: Kpi(v.kpi),
            period: v.period.into(),
            aggregate: (&v.aggregate).into(),
            nation: (&v.nation).into(),
            entries,
            missing_dealers: v.missing,
        }
    }
}

fn value_of(v: OwnValue) -> (Option<f64>, Option<UnavailableReason>, bool) {
    match v {
        OwnValue::Value(x) => (Some(x), None, false),
        OwnValue::Unavailable(u) => (None, Some(u.into()), false),
        OwnValue::Hidden => (None, None, true),
    }
}

/// One KPI in a dealer's scorecard.
#[derive(SimpleObject)]
pub struct ScorecardKpi {
    pub kpi: Kpi,
    pub value: Option<f64>,
    pub unavailable_reason: Option<UnavailableReason>,
    /// True when you may not see the dealer's value for (part of) the period: it was in a
    /// region other than yours then.
    pub hidden: bool,
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

impl From<ScorecardView> for Scorecard {
    fn from(v: ScorecardView) -> Self {
        let kpis = v
            .lines
            .into_iter()
            .map(|l| {
                let (value, reason, hidden) = value_of(l.value);
                let (previous, year_ago) = (l.previous.value(), l.year_ago.value());
                ScorecardKpi {
                    kpi: Kpi(l.kpi),
                    value,
                    unavailable_reason: reason,
                    hidden,
                    rank_in_region: l.rank_in_region.map(|r| r as i32),
                    rank_in_nation: l.rank_in_nation.map(|r| r as i32),
                    region_dealers: l.region.count as i32,
                    nation_dealers: l.nation.count as i32,
                    percentile_in_nation: l.percentile_in_nation,
                    radar_score: l.percentile_in_nation,
                    region: (&l.region).into(),
                    nation: (&l.nation).into(),
                    peer_group: (&l.peer).into(),
                    guideline_status: l.guideline_status.map(Into::into),
                    previous_value: previous,
                    change_vs_previous: value.zip(previous).map(|(a, b)| a - b),
                    year_ago_value: year_ago,
                    change_vs_year_ago: value.zip(year_ago).map(|(a, b)| a - b),
                }
            })
            .collect();
        Scorecard {
            dealer_code: v.dealer.code,
            dealer_name: v.dealer.name,
            region_code: v.region_code,
            period: v.period.into(),
            kpis,
        }
    }
}

/// One month of a dealer's KPI series with its region's and the nation's pooled values.
#[derive(SimpleObject)]
pub struct TrendPoint {
    pub month: Month,
    pub value: Option<f64>,
    pub unavailable_reason: Option<UnavailableReason>,
    /// True when you may not see the dealer's value of this month (it was in a region other
    /// than yours then).
    pub hidden: bool,
    /// The dealer's region that month.
    pub region_code: Option<String>,
    /// Empty when not shown to you (`regionDisclosure` says why).
    pub region_value: Option<f64>,
    pub region_dealers: i32,
    pub region_disclosure: Disclosure,
    pub nation_value: Option<f64>,
    pub nation_dealers: i32,
    pub nation_disclosure: Disclosure,
}

impl From<crate::app::TrendPoint> for TrendPoint {
    fn from(p: crate::app::TrendPoint) -> Self {
        let (value, reason, hidden) = value_of(p.value);
        let group = |g: &GroupValue| (g.pooled, g.dealers as i32, g.disclosure.into());
        let (region_value, region_dealers, region_disclosure) = group(&p.region);
        let (nation_value, nation_dealers, nation_disclosure) = group(&p.nation);
        TrendPoint {
            month: p.month,
            value,
            unavailable_reason: reason,
            hidden,
            region_code: p.region_code,
            region_value,
            region_dealers,
            region_disclosure,
            nation_value,
            nation_dealers,
            nation_disclosure,
        }
    }
}

/// A region's aggregate in `benchmarks`.
#[derive(SimpleObject)]
pub struct RegionBenchmark {
    pub region_code: String,
    pub region_name: String,
    pub aggregate: KpiAggregate,
}

/// A KPI for a period: every region and the nation side by side (dealer users: their own
/// region and the nation).
#[derive(SimpleObject)]
pub struct Benchmarks {
    pub kpi: Kpi,
    pub period: PeriodInfo,
    pub nation: KpiAggregate,
    pub regions: Vec<RegionBenchmark>,
}

impl From<BenchmarksView> for Benchmarks {
    fn from(v: BenchmarksView) -> Self {
        Benchmarks {
            kpi: Kpi(v.kpi),
            period: v.period.into(),
            nation: (&v.nation).into(),
            regions: v
                .regions
                .into_iter()
                .map(|(r, f)| RegionBenchmark {
                    region_code: r.code,
                    region_name: r.name,
                    aggregate: (&f).into(),
                })
                .collect(),
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

/// The answer to `setOemParameter`.
#[derive(SimpleObject)]
pub struct SetParameterResult {
    pub parameter: OemParameter,
    /// KPI facts the new value changed (facts that come out the same are not rewritten).
    pub facts_recomputed: i32,
}
