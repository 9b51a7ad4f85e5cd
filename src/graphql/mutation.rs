//! Mutation root.

use async_graphql::{Context, Object};

use super::error::GqlResult;
use super::guards::{principal, ReportWrite, OEM_ADMIN};
use super::network::{CreateDealerInput, Dealer, Region, RegionInput, UpdateDealerInput};
use super::report::{ReportInput, SubmissionResult};
use crate::app::{DealerInput, DealerPatch};
use crate::domain::{self, Month};

#[derive(Default)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Creates a region (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn create_region(
        &self,
        ctx: &Context<'_>,
        input: RegionInput,
    ) -> async_graphql::Result<Region> {
        Ok(super::app(ctx)
            .create_region(domain::Region {
                code: input.code,
                name: input.name,
            })
            .await
            .gql()?
            .into())
    }

    /// Renames a region (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn update_region(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
    ) -> async_graphql::Result<Region> {
        Ok(super::app(ctx)
            .update_region(domain::Region { code, name })
            .await
            .gql()?
            .into())
    }

    /// Creates a dealer in a region from its opened month (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn create_dealer(
        &self,
        ctx: &Context<'_>,
        input: CreateDealerInput,
    ) -> async_graphql::Result<Dealer> {
        let month = input.opened_month;
        let input = DealerInput {
            code: input.code,
            name: input.name,
            brand: input.brand,
            province: input.province,
            city: input.city,
            size_tier: input.size_tier.into(),
            opened: input.opened_month,
            region_code: input.region_code,
        };
        Ok(Dealer {
            dealer: super::app(ctx).create_dealer(input).await.gql()?,
            month,
        })
    }

    /// Changes a dealer's master data (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn update_dealer(
        &self,
        ctx: &Context<'_>,
        code: String,
        input: UpdateDealerInput,
    ) -> async_graphql::Result<Dealer> {
        let app = super::app(ctx);
        let patch = DealerPatch {
            name: input.name,
            brand: input.brand,
            province: input.province,
            city: input.city,
            size_tier: input.size_tier.map(Into::into),
            opened: input.opened_month,
        };
        Ok(Dealer {
            dealer: app.update_dealer(&code, patch).await.gql()?,
            month: app.current_month(),
        })
    }

    /// Moves a dealer to another region from `effectiveMonth` on; earlier months keep the old region (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn move_dealer(
        &self,
        ctx: &Context<'_>,
        code: String,
        region_code: String,
        effective_month: Month,
    ) -> async_graphql::Result<Dealer> {
        Ok(Dealer {
            dealer: super::app(ctx)
                .move_dealer(&code, &region_code, effective_month)
                .await
                .gql()?,
            month: effective_month,
        })
    }

    /// Closes a dealer: `closedMonth` is its last operating month (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn close_dealer(
        &self,
        ctx: &Context<'_>,
        code: String,
        closed_month: Month,
    ) -> async_graphql::Result<Dealer> {
        Ok(Dealer {
            dealer: super::app(ctx)
                .close_dealer(&code, closed_month)
                .await
                .gql()?,
            month: closed_month,
        })
    }

    /// Saves a draft of a month's report; partial is fine. Only before the first submission.
    #[graphql(guard = "ReportWrite::new(&dealer_code)")]
    async fn save_report_draft(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        month: Month,
        input: ReportInput,
    ) -> async_graphql::Result<SubmissionResult> {
        let who = principal(ctx)?;
        Ok(super::app(ctx)
            .save_draft(who, &dealer_code, month, &input.to_raw())
            .await
            .gql()?
            .into())
    }

    /// Submits a month's report, complete: `input`, or the saved draft when `input` is absent.
    /// Every consistency rule runs; all violations come back at once and nothing is stored
    /// when one fails. Submitting the same content again changes nothing (UNCHANGED).
    #[graphql(guard = "ReportWrite::new(&dealer_code)")]
    async fn submit_monthly_report(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        month: Month,
        input: Option<ReportInput>,
        #[graphql(
            desc = "The revision you saw (0 for a draft or nothing); defaults to the current one"
        )]
        expected_revision: Option<i32>,
    ) -> async_graphql::Result<SubmissionResult> {
        let who = principal(ctx)?;
        let raw = input.map(|i| i.to_raw());
        Ok(super::app(ctx)
            .submit(who, &dealer_code, month, raw.as_ref(), expected_revision)
            .await
            .gql()?
            .into())
    }

    /// Amends a submitted report with complete new content and a reason: a new revision.
    /// A stale `expectedRevision` is refused with a CONFLICT error.
    #[graphql(guard = "ReportWrite::new(&dealer_code)")]
    async fn amend_monthly_report(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        month: Month,
        input: ReportInput,
        expected_revision: i32,
        reason: String,
    ) -> async_graphql::Result<SubmissionResult> {
        let who = principal(ctx)?;
        Ok(super::app(ctx)
            .amend(
                who,
                &dealer_code,
                month,
                &input.to_raw(),
                expected_revision,
                &reason,
            )
            .await
            .gql()?
            .into())
    }
}
