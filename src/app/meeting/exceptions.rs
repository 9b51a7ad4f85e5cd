//! Exceptions: for every dealer of a scope, what needs attention in a period — each KPI
//! outside its guideline band, each KPI in the nation's bottom quartile, each target item
//! behind its phased target, a missing or late report — with the open action items that
//! answer each, and a flag where a gap has no countermeasure.
//!
//! Order, worst first: dealers by their gaps without a countermeasure (most first), then
//! by all their exceptions (most first), then by code; within a dealer: missing reports,
//! late reports, targets behind (lowest achievement first), bottom-quartile KPIs (lowest
//! percentile first), KPIs outside their guideline; ties in the catalog's order.
//!
//! Two passes: every dealer of the scope is judged on every KPI to count its exceptions
//! and order the dealers (no exception is built there); only the dealers of the page asked
//! are judged again to build their exceptions, percentiles and action items.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::cache::{Directory, GroupStats, KpiPeriod, View};
use crate::app::visibility::Viewer;
use crate::app::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::kpi::{self, Category, Direction, GuidelineStatus, KpiDef, KPIS};
use crate::domain::targets::TargetItem;
use crate::domain::{Group, Month, Period};
use crate::store::{ActionRecord, ReportStatus};

use super::memo::OpenActions;

/// What kind of attention a dealer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExceptionKind {
    MissingReport,
    LateReport,
    BehindTarget,
    BottomQuartile,
    OutsideGuideline,
}

/// A KPI is in the nation's bottom quartile when at least this share of the other
/// dealers with a value do strictly better (ties share a rank: a KPI where everyone is
/// equal puts no one at the bottom).
const BOTTOM_QUARTILE: f64 = 0.75;
/// Most months of a period whose reports are checked (the last ones).
const MAX_REPORT_MONTHS: usize = 12;

/// One thing that needs attention.
#[derive(Debug, Clone)]
pub struct Exception {
    pub kind: ExceptionKind,
    /// The KPI concerned (a target item's achievement KPI for `BehindTarget`).
    pub kpi: Option<&'static KpiDef>,
    /// The month concerned (reports).
    pub month: Option<Month>,
    /// The dealer's value over the period (achievement in percent for targets).
    pub value: Option<f64>,
    /// Its percentile in the nation (0–100, 100 best).
    pub percentile: Option<f64>,
    pub guideline: Option<GuidelineStatus>,
    /// The open action items that answer it.
    pub actions: Vec<ActionRecord>,
    /// A KPI or target gap with no open action item.
    pub uncovered: bool,
}

/// A dealer's exceptions.
#[derive(Debug, Clone)]
pub struct DealerExceptions {
    pub dealer_code: String,
    pub dealer_name: String,
    pub region_code: Option<String>,
    pub exceptions: Vec<Exception>,
}

impl DealerExceptions {
    pub fn uncovered(&self) -> usize {
        self.exceptions.iter().filter(|e| e.uncovered).count()
    }
}

/// One KPI as the caller may judge it: the dealers' own values (live) and where they stand
/// in the nation (published, for a dealer user).
struct KpiJudge {
    kpi: &'static KpiDef,
    live: Arc<KpiPeriod>,
    /// Where the dealers stand, when the caller may see the nation's figures.
    ranked_in: Option<(Arc<KpiPeriod>, Arc<GroupStats>)>,
    /// The q-th best value of the nation: a value worse than it is in the bottom quartile
    /// (at least `q` other dealers do strictly better).
    quartile: Option<f64>,
}

/// What one KPI says of one dealer.
struct Verdict {
    value: f64,
    behind: bool,
    bottom: bool,
    guideline: Option<GuidelineStatus>,
    /// Its value as ranked in the nation.
    ranked: Option<f64>,
}

impl Verdict {
    fn count(&self) -> usize {
        usize::from(self.behind) + usize::from(self.bottom) + usize::from(self.guideline.is_some())
    }
}

impl KpiJudge {
    fn judge(&self, i: usize, same_view: bool) -> Option<Verdict> {
        let k = self.kpi;
        let value = self.live.nation_value(i)?;
        if k.category == Category::Targets {
            return Some(Verdict {
                value,
                behind: value < 100.0,
                bottom: false,
                guideline: None,
                ranked: None,
            });
        }
        let ranked = match &self.ranked_in {
            Some(_) if same_view => Some(value),
            Some((r, _)) => r.nation_value(i),
            None => None,
        };
        let worse = |than: f64, x: f64| match k.direction {
            Direction::HigherIsBetter => than > x,
            Direction::LowerIsBetter => than < x,
        };
        Some(Verdict {
            value,
            behind: false,
            bottom: matches!((ranked, self.quartile), (Some(x), Some(t)) if worse(t, x)),
            guideline: k
                .guideline
                .map(|g| g.status(value))
                .filter(|s| *s != GuidelineStatus::Within),
            ranked,
        })
    }

    fn percentile(&self, ranked: Option<f64>) -> Option<f64> {
        let (_, n) = self.ranked_in.as_ref()?;
        Some(n.sorted().standing(ranked?).percentile)
    }
}

/// The dealers of a scope with exceptions, worst first.
pub(super) struct Ordered {
    dealers_in_scope: usize,
    lines: Vec<Line>,
}

/// A dealer with exceptions, as ordered.
struct Line {
    index: usize,
    uncovered: usize,
    total: usize,
    /// Missing and late reports.
    reports: Vec<(ExceptionKind, Month)>,
}

/// The exceptions of a scope and period, worst first.
pub struct ExceptionsView {
    pub period: Period,
    /// Dealers of the scope the caller may see.
    pub dealers_in_scope: usize,
    directory: Arc<Directory>,
    judges: Vec<KpiJudge>,
    same_view: bool,
    open: Arc<OpenActions>,
    /// Those with at least one exception, worst first.
    order: Arc<Ordered>,
}

impl ExceptionsView {
    /// Dealers with at least one exception.
    pub fn dealers_with_exceptions(&self) -> usize {
        self.order.lines.len()
    }

    /// Lines `start..start + first` of the dealers with exceptions (only `dealer`'s when
    /// given), each with its exceptions in order, their percentiles and action items.
    pub fn page(&self, dealer: Option<&str>, start: usize, first: usize) -> Vec<DealerExceptions> {
        self.order
            .lines
            .iter()
            .filter(|l| dealer.is_none_or(|d| self.directory.dealers[l.index].code == d))
            .skip(start)
            .take(first)
            .map(|l| self.build(l))
            .collect()
    }

    fn build(&self, line: &Line) -> DealerExceptions {
        let i = line.index;
        let d = &self.directory.dealers[i];
        let items = self.open.get(&d.code);
        let answering = |k: &KpiDef| -> Vec<ActionRecord> {
            items.map_or_else(Vec::new, |items| {
                items.iter().filter(|a| answers(a, k)).cloned().collect()
            })
        };
        let mut exceptions: Vec<Exception> = line
            .reports
            .iter()
            .map(|&(kind, m)| Exception {
                kind,
                kpi: None,
                month: Some(m),
                value: None,
                percentile: None,
                guideline: None,
                actions: Vec::new(),
                uncovered: false,
            })
            .collect();
        for j in &self.judges {
            let Some(v) = j.judge(i, self.same_view) else {
                continue;
            };
            let k = j.kpi;
            let mut push = |kind, percentile, guideline| {
                let actions = answering(k);
                exceptions.push(Exception {
                    kind,
                    kpi: Some(k),
                    month: None,
                    value: Some(v.value),
                    percentile,
                    guideline,
                    uncovered: actions.is_empty(),
                    actions,
                });
            };
            if v.behind {
                push(ExceptionKind::BehindTarget, None, None);
            }
            let percentile = if v.bottom || v.guideline.is_some() {
                j.percentile(v.ranked)
            } else {
                None
            };
            if v.bottom {
                push(ExceptionKind::BottomQuartile, percentile, None);
            }
            if let Some(g) = v.guideline {
                push(ExceptionKind::OutsideGuideline, percentile, Some(g));
            }
        }
        exceptions.sort_by(|a, b| {
            a.kind.cmp(&b.kind).then_with(|| {
                let key = |e: &Exception| match e.kind {
                    ExceptionKind::BehindTarget => e.value,
                    ExceptionKind::BottomQuartile => e.percentile,
                    _ => None,
                };
                key(a).unwrap_or(0.0).total_cmp(&key(b).unwrap_or(0.0))
            })
        });
        DealerExceptions {
            dealer_code: d.code.clone(),
            dealer_name: d.name.clone(),
            region_code: self
                .directory
                .region_at(i, self.period.range.to)
                .map(str::to_string),
            exceptions,
        }
    }
}

/// Whether an open action item answers a gap on `kpi`: its subject is the KPI, or the
/// target item whose achievement it is.
fn answers(item: &ActionRecord, kpi: &KpiDef) -> bool {
    item.subject == kpi.code
        || TargetItem::parse(&item.subject).is_some_and(|i| kpi::achievement(i).id == kpi.id)
}

impl App {
    /// The dealers of `group` at the period's end that `who` may see, in directory order.
    async fn scope_members(
        &self,
        viewer: &Viewer<'_>,
        group: &Group,
        period: Period,
    ) -> AppResult<(std::sync::Arc<crate::app::cache::Directory>, Vec<usize>)> {
        let directory = self.directory().await?;
        let last = period.range.to;
        if let Group::Region(r) = group {
            if viewer.who.role == Role::RegionalManager && !viewer.who.regions.contains(r) {
                return Err(AppError::Forbidden(format!(
                    "regional manager {} does not manage region {r}",
                    viewer.who.sub
                )));
            }
        }
        let members = (0..directory.len())
            .filter(|&i| {
                let d = &directory.dealers[i];
                d.is_active(last)
                    && match group {
                        Group::Nation => directory.region_at(i, last).is_some(),
                        Group::Region(r) => directory.region_at(i, last) == Some(r.as_str()),
                        Group::Peer { brand, size_tier } => {
                            d.brand == *brand && d.size_tier == *size_tier
                        }
                    }
            })
            .filter(|&i| match viewer.who.role {
                Role::OemAdmin | Role::BiReader => true,
                Role::Dealer => viewer.who.dealer.as_deref() == Some(&directory.dealers[i].code),
                Role::RegionalManager => directory
                    .region_at(i, last)
                    .is_some_and(|r| viewer.who.regions.iter().any(|x| x == r)),
            })
            .collect();
        Ok((directory, members))
    }

    /// What needs attention for each dealer of `group` over `period`, worst first. A
    /// dealer user gets its own line, judged on the published figures; managers get the
    /// dealers of their regions.
    pub async fn exceptions(
        &self,
        who: &Principal,
        group: Group,
        period: Period,
    ) -> AppResult<ExceptionsView> {
        let viewer = self.viewer(who);
        self.refresh_kpis().await?;
        // Read before anything else: what is read later may be newer, never older.
        let applied = self.cache.changes_applied();
        let (directory, members) = self.scope_members(&viewer, &group, period).await?;
        let same_view = !viewer.is_dealer();
        let mut judges = Vec::with_capacity(KPIS.len());
        for k in KPIS {
            let Some(live) = self.kpi_period(k, period, View::Live).await? else {
                continue;
            };
            let ranked_in = if same_view {
                Some(live.clone())
            } else {
                self.kpi_period(k, period, View::Published).await?
            };
            let ranked_in = ranked_in.and_then(|r| {
                let n = r.stats(&Group::Nation);
                viewer
                    .figures(Some(&n.aggregate))
                    .disclosure
                    .shown()
                    .then_some((r, n))
            });
            let quartile = ranked_in.as_ref().and_then(|(_, n)| {
                let others = n.aggregate.count.saturating_sub(1);
                let q = (BOTTOM_QUARTILE * others as f64).ceil() as usize;
                (others > 0 && q >= 1)
                    .then(|| n.sorted().get(q - 1))
                    .flatten()
            });
            judges.push(KpiJudge {
                kpi: k,
                live,
                ranked_in,
                quartile,
            });
        }
        let (actions_version, open) = self.open_actions().await?;
        let validity = (applied, actions_version);
        let now = self.now();
        let key = (
            group.clone(),
            period.range.from,
            period.range.to,
            (who.role.as_str(), who.regions.clone(), who.dealer.clone()),
            self.current_month(),
            period
                .range
                .months()
                .map(|m| now > self.deadline(m))
                .collect(),
        );
        if let Some(order) = self.recall_order(&key, validity) {
            return Ok(ExceptionsView {
                period,
                dealers_in_scope: order.dealers_in_scope,
                directory,
                judges,
                same_view,
                open,
                order,
            });
        }
        // The KPIs each member's open items answer.
        let answered = |i: usize| -> Vec<i16> {
            open.get(&directory.dealers[i].code)
                .map_or_else(Vec::new, |items| {
                    judges
                        .iter()
                        .filter(|j| items.iter().any(|a| answers(a, j.kpi)))
                        .map(|j| j.kpi.id)
                        .collect()
                })
        };
        let reports = self.report_exceptions(&group, period, &directory).await?;
        let mut lines: Vec<Line> = members
            .iter()
            .filter_map(|&i| {
                let covered = answered(i);
                let (mut total, mut uncovered) = (0, 0);
                for j in &judges {
                    if let Some(v) = j.judge(i, same_view) {
                        let n = v.count();
                        total += n;
                        if !covered.contains(&j.kpi.id) {
                            uncovered += n;
                        }
                    }
                }
                let reports = reports.get(&i).cloned().unwrap_or_default();
                total += reports.len();
                (total > 0).then_some(Line {
                    index: i,
                    uncovered,
                    total,
                    reports,
                })
            })
            .collect();
        lines.sort_by(|a, b| {
            b.uncovered
                .cmp(&a.uncovered)
                .then(b.total.cmp(&a.total))
                .then_with(|| {
                    directory.dealers[a.index]
                        .code
                        .cmp(&directory.dealers[b.index].code)
                })
        });
        let order = Arc::new(Ordered {
            dealers_in_scope: members.len(),
            lines,
        });
        self.remember_order(key, validity, order.clone());
        Ok(ExceptionsView {
            period,
            dealers_in_scope: members.len(),
            directory,
            judges,
            same_view,
            open,
            order,
        })
    }

    /// Missing and late reports of the period's months (at most its last twelve), by
    /// dealer slot.
    async fn report_exceptions(
        &self,
        group: &Group,
        period: Period,
        directory: &Directory,
    ) -> AppResult<HashMap<usize, Vec<(ExceptionKind, Month)>>> {
        let months: Vec<Month> = period.range.months().collect();
        let from = months.len().saturating_sub(MAX_REPORT_MONTHS);
        let current = self.current_month();
        let region = match group {
            Group::Region(r) => Some(r.as_str()),
            _ => None,
        };
        let mut out: HashMap<usize, Vec<(ExceptionKind, Month)>> = HashMap::new();
        for &m in months[from..].iter().filter(|m| **m < current) {
            for row in self.report_states(m, region).await?.iter() {
                let Some(&i) = directory.index.get(&row.dealer_code) else {
                    continue;
                };
                let kind = match row.status {
                    None | Some(ReportStatus::Draft) if self.now() > self.deadline(m) => {
                        ExceptionKind::MissingReport
                    }
                    Some(ReportStatus::Accepted | ReportStatus::AcceptedWithWarnings)
                        if row.late =>
                    {
                        ExceptionKind::LateReport
                    }
                    _ => continue,
                };
                out.entry(i).or_default().push((kind, m));
            }
        }
        Ok(out)
    }
}
