//! Targets (目标管理): the six items, dealers' yearly targets through their cycle, the OEM's
//! regional targets and phasing profiles, and progress.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::super::error::GqlResult;
use super::super::guards::{principal, DealerManage, DealerRead, RegionRead, OEM_ADMIN};
use super::super::report::time;
use super::super::scalars::Decimal;
use crate::app::{ItemProgress, TargetChange};
use crate::domain::targets::{TargetAction, TargetItem, TargetSubject};
use crate::domain::Month;
use crate::store::{self, TargetRecord};

/// Where a target stands in its yearly cycle.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::targets::TargetStatus")]
pub enum TargetStatus {
    /// Being prepared by the dealer.
    Draft,
    /// Submitted for approval: locked for the dealer.
    Proposed,
    /// In force: achievement is measured against it.
    Approved,
    /// Sent back with a comment: the dealer edits and proposes again.
    Returned,
}

/// What shaped the months of a phased target.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::targets::PhasingBasis")]
pub enum PhasingBasis {
    /// The OEM's national profile for the year and item.
    NationalProfile,
    /// The dealer's (or region's) own previous year: each month's share of the item.
    PreviousYear,
    /// 1/12 each: no profile and no complete previous year.
    Even,
}

/// Whose target.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::store::TargetScope")]
pub enum TargetScope {
    Dealer,
    Region,
}

/// One of the six yearly target items of [001] and the report figure it is measured by.
#[derive(SimpleObject)]
pub struct TargetItemInfo {
    /// The item code to pass as `item` (`brand_ros`).
    pub code: String,
    pub zh: String,
    /// The report figure (field or computed total) it is measured by.
    pub measured_by: String,
    /// `COUNT` (repair orders) or `MONEY` (yuan).
    pub unit: String,
    /// The KPI of its achievement, for `ranking` and the other KPI queries.
    pub achievement_kpi: String,
}

/// A dealer's or region's target for a year.
pub struct Target(pub TargetRecord);

fn subject_of(t: &TargetRecord) -> Option<TargetSubject> {
    TargetSubject::parse(&t.key.item).ok()
}

fn display(t: &TargetRecord, stored: i64) -> Decimal {
    Decimal(subject_of(t).map_or(rust_decimal::Decimal::from(stored), |s| s.display(stored)))
}

#[Object]
impl Target {
    async fn scope(&self) -> TargetScope {
        self.0.key.scope.into()
    }
    /// The dealer's or region's code.
    async fn code(&self) -> &str {
        &self.0.key.code
    }
    async fn year(&self) -> i32 {
        self.0.key.year
    }
    /// A target item code, or `kpi:<code>` for a target on a KPI.
    async fn item(&self) -> &str {
        &self.0.key.item
    }
    /// Repair orders, yuan, or (a KPI target) the KPI's value in its display unit.
    async fn value(&self) -> Decimal {
        display(&self.0, self.0.value)
    }
    async fn status(&self) -> TargetStatus {
        self.0.status.into()
    }
    /// Pass as `expectedRevision` to change it.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// What shaped its months (approved targets on items).
    async fn phasing(&self) -> Option<PhasingBasis> {
        self.0.phasing.map(Into::into)
    }
    /// The latest reason or comment (a return's comment, a change's reason).
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        time(self.0.updated_at)
    }
    /// Who made the latest change (the token's `sub`).
    async fn updated_by(&self) -> &str {
        &self.0.updated_by
    }
}

/// One revision of a target.
#[derive(SimpleObject)]
pub struct TargetRevision {
    pub revision: i32,
    pub status: TargetStatus,
    pub value: Decimal,
    pub reason: Option<String>,
    pub author: String,
    pub at: DateTime<Utc>,
}

/// Where a dealer (or a region) stands against one target, as of a month. Money in yuan,
/// repair orders as counts; months without a report are listed, never read as zero.
pub struct TargetProgress(pub ItemProgress);

impl TargetProgress {
    fn amount(&self, stored: i64) -> Decimal {
        display(&self.0.target, stored)
    }
}

#[Object]
impl TargetProgress {
    async fn target(&self) -> Target {
        Target(self.0.target.clone())
    }
    /// The twelve months of the target (January first), phased.
    async fn phased_months(&self) -> Option<Vec<Decimal>> {
        self.0
            .phased
            .map(|m| m.iter().map(|v| self.amount(*v)).collect())
    }
    /// 上年度业绩: last year's actual over the months it reported.
    async fn previous_year_actual(&self) -> Option<Decimal> {
        self.0
            .progress
            .as_ref()
            .map(|p| self.amount(p.previous_year_actual))
    }
    /// Months (1–12) of last year without a report.
    async fn previous_year_missing_months(&self) -> Option<Vec<u32>> {
        self.0
            .progress
            .as_ref()
            .map(|p| p.previous_year_missing.clone())
    }
    /// 本年度业绩: the actual over the reported months of the year so far.
    async fn ytd_actual(&self) -> Option<Decimal> {
        self.0.progress.as_ref().map(|p| self.amount(p.ytd_actual))
    }
    /// The phased target of those same months.
    async fn ytd_target(&self) -> Option<Decimal> {
        self.0.progress.as_ref().map(|p| self.amount(p.ytd_target))
    }
    /// Months (1–12) of the year so far without a report.
    async fn missing_months(&self) -> Option<Vec<u32>> {
        self.0.progress.as_ref().map(|p| p.missing.clone())
    }
    /// 目标达成率 for the year: YTD actual / annual target, in percent.
    async fn achievement_year(&self) -> Option<f64> {
        self.0.progress.as_ref().and_then(|p| p.achievement_year)
    }
    /// YTD actual / YTD phased target, in percent.
    async fn achievement_ytd(&self) -> Option<f64> {
        self.0.progress.as_ref().and_then(|p| p.achievement_ytd)
    }
    /// The month's actual (none if not reported) and its phased target.
    async fn month_actual(&self) -> Option<Decimal> {
        self.0
            .progress
            .as_ref()
            .and_then(|p| p.month_actual)
            .map(|v| self.amount(v))
    }
    async fn month_target(&self) -> Option<Decimal> {
        self.0
            .progress
            .as_ref()
            .map(|p| self.amount(p.month_target))
    }
    /// The full year if the remaining months go as the reported ones did, in last year's
    /// shape (the target's phasing without a complete last year).
    async fn projection(&self) -> Option<Decimal> {
        self.0
            .progress
            .as_ref()
            .and_then(|p| p.projection)
            .map(|v| self.amount(v))
    }
    /// Projection − target: negative when the year heads below it.
    async fn gap(&self) -> Option<Decimal> {
        self.0
            .progress
            .as_ref()
            .and_then(|p| p.gap)
            .map(|v| self.amount(v))
    }
    /// KPI targets: the KPI's value year to date.
    async fn kpi_value(&self) -> Option<f64> {
        self.0.kpi_value
    }
    /// KPI targets: whether the value meets the target in the KPI's direction.
    async fn met(&self) -> Option<bool> {
        self.0.met
    }
}

/// A region's targets and where the region stands (its dealers' reports summed month by
/// month, by the region they were in).
#[derive(SimpleObject)]
pub struct RegionTargetProgress {
    /// Dealers in the region in some month of the year or the one before.
    pub dealers: i32,
    pub items: Vec<TargetProgress>,
}

#[derive(Default)]
pub struct TargetQuery;

#[Object]
impl TargetQuery {
    /// The six yearly target items (目标管理 [001]). A target may also be set on any KPI of
    /// `kpiCatalog` as `kpi:<code>`.
    async fn target_items(&self) -> Vec<TargetItemInfo> {
        TargetItem::ALL
            .iter()
            .map(|i| TargetItemInfo {
                code: i.code().into(),
                zh: i.zh().into(),
                measured_by: i.measured_by().into(),
                unit: if i.kind() == crate::domain::FieldKind::Count {
                    "COUNT".into()
                } else {
                    "MONEY".into()
                },
                achievement_kpi: crate::domain::kpi::achievement(*i).code.into(),
            })
            .collect()
    }

    /// A dealer's targets for a year (the dealer, the manager of its region, OEM, BI).
    #[graphql(guard = "DealerRead::new(&dealer_code, None)")]
    async fn targets(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
    ) -> async_graphql::Result<Vec<Target>> {
        let app = super::super::app(ctx);
        Ok(app
            .dealer_targets(&dealer_code, year)
            .await
            .gql()?
            .into_iter()
            .map(Target)
            .collect())
    }

    /// Where a dealer stands against each of its targets for `year`, as of month `asOf`
    /// (a month of that year): previous-year actual, YTD actual and phased target,
    /// achievement for the year and YTD, the month, and a full-year projection.
    #[graphql(guard = "DealerRead::new(&dealer_code, None)")]
    async fn target_progress(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
        as_of: Month,
    ) -> async_graphql::Result<Vec<TargetProgress>> {
        let app = super::super::app(ctx);
        Ok(app
            .dealer_target_progress(&dealer_code, year, as_of)
            .await
            .gql()?
            .into_iter()
            .map(TargetProgress)
            .collect())
    }

    /// Every revision of a dealer's target, oldest first: value, status, author, time and
    /// reason.
    #[graphql(guard = "DealerRead::new(&dealer_code, None)")]
    async fn target_revisions(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
        item: String,
    ) -> async_graphql::Result<Vec<TargetRevision>> {
        let app = super::super::app(ctx);
        let subject = TargetSubject::parse(&item).ok();
        Ok(app
            .target_revisions(store::TargetScope::Dealer, &dealer_code, year, &item)
            .await
            .gql()?
            .into_iter()
            .map(|r| TargetRevision {
                revision: r.revision,
                status: r.status.into(),
                value: Decimal(subject.map_or(r.value.into(), |s| s.display(r.value))),
                reason: r.reason,
                author: r.author,
                at: time(r.at),
            })
            .collect())
    }

    /// A region's targets for a year, set by the OEM (OEM, BI, the region's managers).
    #[graphql(guard = "RegionRead::new(&region_code)")]
    async fn region_targets(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        year: i32,
    ) -> async_graphql::Result<Vec<Target>> {
        let app = super::super::app(ctx);
        Ok(app
            .region_targets(&region_code, year)
            .await
            .gql()?
            .into_iter()
            .map(Target)
            .collect())
    }

    /// Where a region stands against its targets for `year`, as of `asOf`.
    #[graphql(guard = "RegionRead::new(&region_code)")]
    async fn region_target_progress(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        year: i32,
        as_of: Month,
    ) -> async_graphql::Result<RegionTargetProgress> {
        let app = super::super::app(ctx);
        let p = app
            .region_target_progress(&region_code, year, as_of)
            .await
            .gql()?;
        Ok(RegionTargetProgress {
            dealers: p.dealers as i32,
            items: p.items.into_iter().map(TargetProgress).collect(),
        })
    }

    /// The OEM's national phasing profile of an item for a year (twelve weights), if set.
    async fn phasing_profile(
        &self,
        ctx: &Context<'_>,
        year: i32,
        item: String,
    ) -> async_graphql::Result<Option<Vec<i64>>> {
        principal(ctx)?;
        let item = TargetItem::parse(&item).ok_or_else(|| {
            super::super::error::to_gql(crate::app::AppError::invalid(
                "item",
                format!(
                    "unknown target item `{}`",
                    crate::domain::text::excerpt(&item)
                ),
            ))
        })?;
        let app = super::super::app(ctx);
        Ok(app
            .phasing_profile(year, item)
            .await
            .gql()?
            .map(|w| w.to_vec()))
    }
}

#[derive(Default)]
pub struct TargetMutation;

async fn change(ctx: &Context<'_>, c: TargetChange<'_>) -> async_graphql::Result<Target> {
    let who = principal(ctx)?;
    Ok(Target(
        super::super::app(ctx).change_target(who, c).await.gql()?,
    ))
}

/// A step of a dealer target's cycle that carries no value (propose, approve, return).
async fn dealer_step(
    ctx: &Context<'_>,
    (code, year, item): (&str, i32, &str),
    action: TargetAction,
    expected_revision: i32,
    reason: Option<&str>,
) -> async_graphql::Result<Target> {
    change(
        ctx,
        TargetChange {
            scope: store::TargetScope::Dealer,
            code,
            year,
            item,
            action,
            value: None,
            expected_revision,
            reason,
        },
    )
    .await
}

#[Object]
impl TargetMutation {
    /// Saves a dealer's target for a year: a draft (the dealer, or a manager preparing it),
    /// or a manager's change of an approved target (with a `reason`). `value` in repair
    /// orders, yuan, or the KPI's display unit; `expectedRevision` 0 for a new target.
    #[graphql(guard = "DealerManage::new(&dealer_code)")]
    #[allow(clippy::too_many_arguments)]
    async fn save_target(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
        item: String,
        value: Decimal,
        expected_revision: i32,
        reason: Option<String>,
    ) -> async_graphql::Result<Target> {
        change(
            ctx,
            TargetChange {
                scope: store::TargetScope::Dealer,
                code: &dealer_code,
                year,
                item: &item,
                action: TargetAction::Save,
                value: Some(value.0),
                expected_revision,
                reason: reason.as_deref(),
            },
        )
        .await
    }

    /// Proposes a draft (or returned) target for approval.
    #[graphql(guard = "DealerManage::new(&dealer_code)")]
    async fn propose_target(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
        item: String,
        expected_revision: i32,
    ) -> async_graphql::Result<Target> {
        let key = (dealer_code.as_str(), year, item.as_str());
        dealer_step(ctx, key, TargetAction::Propose, expected_revision, None).await
    }

    /// Approves a proposed target (the dealer's regional manager, or the OEM): a target on
    /// an item is phased over the months then, and its achievement computed.
    #[graphql(guard = "DealerManage::new(&dealer_code)")]
    async fn approve_target(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
        item: String,
        expected_revision: i32,
    ) -> async_graphql::Result<Target> {
        let key = (dealer_code.as_str(), year, item.as_str());
        dealer_step(ctx, key, TargetAction::Approve, expected_revision, None).await
    }

    /// Returns a proposed target to the dealer with a comment saying what to change.
    #[graphql(guard = "DealerManage::new(&dealer_code)")]
    async fn return_target(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        year: i32,
        item: String,
        expected_revision: i32,
        comment: String,
    ) -> async_graphql::Result<Target> {
        let key = (dealer_code.as_str(), year, item.as_str());
        dealer_step(
            ctx,
            key,
            TargetAction::Return,
            expected_revision,
            Some(&comment),
        )
        .await
    }

    /// Sets a region's target for a year (oem_admin): in force at once.
    #[graphql(guard = "OEM_ADMIN")]
    async fn set_region_target(
        &self,
        ctx: &Context<'_>,
        region_code: String,
        year: i32,
        item: String,
        value: Decimal,
        expected_revision: i32,
        reason: Option<String>,
    ) -> async_graphql::Result<Target> {
        change(
            ctx,
            TargetChange {
                scope: store::TargetScope::Region,
                code: &region_code,
                year,
                item: &item,
                action: TargetAction::Save,
                value: Some(value.0),
                expected_revision,
                reason: reason.as_deref(),
            },
        )
        .await
    }

    /// Sets the national phasing profile of an item for a year (oem_admin): twelve
    /// non-negative weights, January first; `null` removes it. Targets approved afterwards
    /// are phased by it instead of each dealer's previous year.
    #[graphql(guard = "OEM_ADMIN")]
    async fn set_phasing_profile(
        &self,
        ctx: &Context<'_>,
        year: i32,
        item: String,
        weights: Option<Vec<i64>>,
    ) -> async_graphql::Result<bool> {
        let who = principal(ctx)?;
        super::super::app(ctx)
            .set_phasing_profile(who, year, &item, weights)
            .await
            .gql()?;
        Ok(true)
    }
}
