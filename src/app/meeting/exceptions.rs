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

use crate::app::cache::View;
use crate::app::visibility::Viewer;
use crate::app::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::kpi::{self, Category, GuidelineStatus, KpiDef, KPIS};
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
    /// Those with at least one exception.
    pub dealers: Vec<DealerExceptions>,
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
            let others = nation
                .as_ref()
                .map_or(0, |n| n.aggregate.count.saturating_sub(1));
            for (line, &i) in lines.iter_mut().zip(&members) {
                let Some(v) = p.value(i, &Group::Nation) else {
                    continue;
                };
                if k.category == Category::Targets {
                    if v < 100.0 {
                        line.exceptions.push(Exception {
                            kind: ExceptionKind::BehindTarget,
                            kpi: Some(k),
                            month: None,
                            value: Some(v),
                            percentile: None,
                            guideline: None,
                            actions: vec![],
                            uncovered: true,
                        });
                    }
                    continue;
                }
                // The nation's statistics are looked up once per KPI, not per dealer.
                let standing = match (&ranked_in, &nation) {
                    (Some(r), Some(n)) if nation_shown => r
                        .value(i, &Group::Nation)
                        .map(|x| standing_in(&n.sorted, x, k.direction)),
                    _ => None,
                };
                let bottom = |s: &crate::domain::stats::Standing| {
                    others > 0 && (s.rank - 1) as f64 >= BOTTOM_QUARTILE * others as f64
                };
                if let Some(s) = standing.filter(bottom) {
                    line.exceptions.push(Exception {
                        kind: ExceptionKind::BottomQuartile,
                        kpi: Some(k),
                        month: None,
                        value: Some(v),
                        percentile: Some(s.percentile),
                        guideline: None,
                        actions: vec![],
                        uncovered: true,
                    });
                }
                if let Some(status) = k.guideline.map(|g| g.status(v)) {
                    if status != GuidelineStatus::Within {
                        line.exceptions.push(Exception {
                            kind: ExceptionKind::OutsideGuideline,
                            kpi: Some(k),
                            month: None,
                            value: Some(v),
                            percentile: standing.map(|s| s.percentile),
                            guideline: Some(status),
                            actions: vec![],
                            uncovered: true,
                        });
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
                lines[n].exceptions.push(Exception {
                    kind,
                    kpi: None,
                    month: Some(m),
                    value: None,
                    percentile: None,
                    guideline: None,
                    actions: vec![],
                    uncovered: false,
                });
            }
        }
        Ok(())
    }
}
