//! Exceptions: for every dealer of a scope, what needs attention in a period — each KPI
//! outside its guideline band, each KPI in the nation's bottom quartile, each target item
//! behind its phased target, a missing or late report — with the open action items that
//! answer each, and a flag where a gap has no countermeasure.
//!
//! Order, worst first: dealers by their gaps without a countermeasure (most first), then
//! by all their exceptions (most first), then by code; within a dealer: missing reports,
//! late reports, targets behind (lowest achievement first), bottom-quartile KPIs (lowest
//! percentile first), KPIs outside their guideline; ties in the catalog's order.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::cache::{GroupStats, View};
use crate::app::visibility::Viewer;
use crate::app::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::kpi::{self, Category, Direction, GuidelineStatus, KpiDef, KPIS};
use crate::domain::stats::standing_in;
use crate::domain::targets::TargetItem;
use crate::domain::{Group, Month, Period};
use crate::store::{ActionRecord, ReportStatus};

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
    /// The dealer's value as ranked in the nation (its percentile is worked out for the
    /// lines shown only).
    ranked_value: Option<f64>,
}

impl Exception {
    fn new(kind: ExceptionKind, kpi: Option<&'static KpiDef>, value: Option<f64>) -> Exception {
        Exception {
            kind,
            kpi,
            month: None,
            value,
            percentile: None,
            guideline: None,
            actions: Vec::new(),
            uncovered: true,
            ranked_value: None,
        }
    }
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

/// The exceptions of a scope and period, worst first.
#[derive(Debug, Clone)]
pub struct ExceptionsView {
    pub period: Period,
    /// Dealers of the scope the caller may see.
    pub dealers_in_scope: usize,
    /// Those with at least one exception, worst first (their own exceptions in order once
    /// paged).
    pub dealers: Vec<DealerExceptions>,
    /// The nation's statistics per KPI id, for the percentiles of the lines shown.
    nation: HashMap<i16, Arc<GroupStats>>,
}

impl ExceptionsView {
    /// Lines `start..start + first`, each with its percentiles and its exceptions in order.
    pub fn page(mut self, start: usize, first: usize) -> Vec<DealerExceptions> {
        let mut lines: Vec<DealerExceptions> =
            self.dealers.drain(..).skip(start).take(first).collect();
        for line in &mut lines {
            for e in &mut line.exceptions {
                if let (Some(k), Some(x)) = (e.kpi, e.ranked_value) {
                    e.percentile = self
                        .nation
                        .get(&k.id)
                        .map(|n| standing_in(&n.sorted, x, k.direction).percentile);
                }
            }
            line.exceptions.sort_by(|a, b| {
                a.kind.cmp(&b.kind).then_with(|| {
                    let key = |e: &Exception| match e.kind {
                        ExceptionKind::BehindTarget => e.value,
                        ExceptionKind::BottomQuartile => e.percentile,
                        _ => None,
                    };
                    key(a).unwrap_or(0.0).total_cmp(&key(b).unwrap_or(0.0))
                })
            });
        }
        lines
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
        let (directory, members) = self.scope_members(&viewer, &group, period).await?;
        let mut lines: Vec<DealerExceptions> = members
            .iter()
            .map(|&i| DealerExceptions {
                dealer_code: directory.dealers[i].code.clone(),
                dealer_name: directory.dealers[i].name.clone(),
                region_code: directory.region_at(i, period.range.to).map(str::to_string),
                exceptions: Vec::new(),
            })
            .collect();
        let mut nation_stats = HashMap::new();
        for k in KPIS {
            // The dealers' own values live (a dealer user's are its own); where they stand
            // in the nation as the caller may see it (published, for a dealer user).
            let Some(p) = self.kpi_period(k, period, View::Live).await? else {
                continue;
            };
            let ranked_in = if viewer.is_dealer() {
                self.kpi_period(k, period, View::Published).await?
            } else {
                Some(p.clone())
            };
            let nation = ranked_in.as_ref().map(|r| r.stats(&Group::Nation));
            let nation_shown = viewer.figures(nation.as_deref()).disclosure.shown();
            // The bottom quartile in one comparison: at least `q` dealers do strictly
            // better than a value worse than the q-th best (percentiles are worked out
            // for the lines shown only, see `ExceptionsView::page`).
            let quartile = nation.as_ref().filter(|_| nation_shown).and_then(|n| {
                let others = n.aggregate.count.saturating_sub(1);
                let q = (BOTTOM_QUARTILE * others as f64).ceil() as usize;
                (others > 0 && q >= 1)
                    .then(|| n.sorted.get(q - 1).copied())
                    .flatten()
            });
            if let Some(n) = nation.filter(|_| nation_shown) {
                nation_stats.insert(k.id, n);
            }
            let same = !viewer.is_dealer();
            for (line, &i) in lines.iter_mut().zip(&members) {
                let Some(v) = p.nation_value(i) else {
                    continue;
                };
                if k.category == Category::Targets {
                    if v < 100.0 {
                        line.exceptions.push(Exception::new(
                            ExceptionKind::BehindTarget,
                            Some(k),
                            Some(v),
                        ));
                    }
                    continue;
                }
                let ranked = if same {
                    Some(v)
                } else {
                    ranked_in.as_ref().and_then(|r| r.nation_value(i))
                }
                .filter(|_| nation_shown);
                let worse = |than: f64, x: f64| match k.direction {
                    Direction::HigherIsBetter => than > x,
                    Direction::LowerIsBetter => than < x,
                };
                if let (Some(x), Some(t)) = (ranked, quartile) {
                    if worse(t, x) {
                        let mut e = Exception::new(ExceptionKind::BottomQuartile, Some(k), Some(v));
                        e.ranked_value = Some(x);
                        line.exceptions.push(e);
                    }
                }
                if let Some(status) = k.guideline.map(|g| g.status(v)) {
                    if status != GuidelineStatus::Within {
                        let mut e =
                            Exception::new(ExceptionKind::OutsideGuideline, Some(k), Some(v));
                        e.ranked_value = ranked;
                        e.guideline = Some(status);
                        line.exceptions.push(e);
                    }
                }
            }
        }
        self.report_exceptions(&group, period, &mut lines).await?;
        // The open action items that answer each gap.
        let open = self.open_actions().await?;
        for line in &mut lines {
            let items = open.get(&line.dealer_code);
            for e in &mut line.exceptions {
                if let (Some(k), Some(items)) = (e.kpi, items) {
                    e.actions = items.iter().filter(|a| answers(a, k)).cloned().collect();
                }
                e.uncovered = e.kpi.is_some() && e.actions.is_empty();
            }
        }
        lines.retain(|l| !l.exceptions.is_empty());
        lines.sort_by(|a, b| {
            b.uncovered()
                .cmp(&a.uncovered())
                .then(b.exceptions.len().cmp(&a.exceptions.len()))
                .then_with(|| a.dealer_code.cmp(&b.dealer_code))
        });
        Ok(ExceptionsView {
            period,
            dealers_in_scope: members.len(),
            dealers: lines,
            nation: nation_stats,
        })
    }

    /// Missing and late reports of the period's months (at most its last twelve).
    async fn report_exceptions(
        &self,
        group: &Group,
        period: Period,
        lines: &mut [DealerExceptions],
    ) -> AppResult<()> {
        let index: HashMap<String, usize> = lines
            .iter()
            .enumerate()
            .map(|(n, l)| (l.dealer_code.clone(), n))
            .collect();
        let months: Vec<Month> = period.range.months().collect();
        let from = months.len().saturating_sub(MAX_REPORT_MONTHS);
        let current = self.current_month();
        let region = match group {
            Group::Region(r) => Some(r.as_str()),
            _ => None,
        };
        for &m in months[from..].iter().filter(|m| **m < current) {
            for row in self.report_states(m, region).await?.iter() {
                let Some(&n) = index.get(&row.dealer_code) else {
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
                let mut e = Exception::new(kind, None, None);
                e.month = Some(m);
                e.uncovered = false;
                lines[n].exceptions.push(e);
            }
        }
        Ok(())
    }
}
