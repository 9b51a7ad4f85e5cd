//! GraphQL types of the dealer network.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, Guard, InputObject, Object, SimpleObject};

use super::error::GqlResult;
use super::guards::DealerRead;
use super::loaders::RegionHistoryLoader;
use super::report::MonthlyReport;
use crate::domain::network::region_at;
use crate::domain::{self, Month};

/// A dealer's size tier (peer groups compare like with like).
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "crate::domain::SizeTier")]
pub enum SizeTier {
    Small,
    Medium,
    Large,
}

/// A region (大区) of the dealer network.
#[derive(SimpleObject, Clone, Debug)]
pub struct Region {
    pub code: String,
    pub name: String,
}

impl From<domain::Region> for Region {
    fn from(r: domain::Region) -> Self {
        Region {
            code: r.code,
            name: r.name,
        }
    }
}

/// From `fromMonth` on (until the next assignment), the dealer belongs to `regionCode`.
#[derive(SimpleObject, Clone, Debug)]
pub struct RegionAssignment {
    pub from_month: Month,
    pub region_code: String,
}

/// A dealer (4S店 / 特约店), seen in a month (for its region).
pub struct Dealer {
    pub dealer: domain::Dealer,
    /// The month the dealer was looked up for: `regionCode` is its region then.
    pub month: Month,
}

#[Object]
impl Dealer {
    async fn code(&self) -> &str {
        &self.dealer.code
    }

    async fn name(&self) -> &str {
        &self.dealer.name
    }

    async fn brand(&self) -> &str {
        &self.dealer.brand
    }

    async fn province(&self) -> &str {
        &self.dealer.province
    }

    async fn city(&self) -> &str {
        &self.dealer.city
    }

    async fn size_tier(&self) -> SizeTier {
        self.dealer.size_tier.into()
    }

    /// First operating month.
    async fn opened_month(&self) -> Month {
        self.dealer.opened
    }

    /// Last operating month, once closed.
    async fn closed_month(&self) -> Option<Month> {
        self.dealer.closed
    }

    /// Whether the dealer operates in `month` (default: the month it was looked up for).
    async fn active(&self, month: Option<Month>) -> bool {
        self.dealer.is_active(month.unwrap_or(self.month))
    }

    /// The region in `month` (default: the month it was looked up for).
    async fn region_code(
        &self,
        ctx: &Context<'_>,
        month: Option<Month>,
    ) -> async_graphql::Result<Option<String>> {
        let history = self.history(ctx).await?;
        Ok(region_at(&history, month.unwrap_or(self.month)).map(str::to_string))
    }

    /// Every region assignment, oldest first.
    async fn region_history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<RegionAssignment>> {
        Ok(self
            .history(ctx)
            .await?
            .into_iter()
            .map(|a| RegionAssignment {
                from_month: a.from,
                region_code: a.region_code,
            })
            .collect())
    }

    /// The dealer's report for `month`, if any (readable when the dealer is in your scope that month).
    async fn report(
        &self,
        ctx: &Context<'_>,
        month: Month,
    ) -> async_graphql::Result<Option<MonthlyReport>> {
        DealerRead::new(&self.dealer.code, Some(month))
            .check(ctx)
            .await?;
        Ok(super::app(ctx)
            .report(&self.dealer.code, month)
            .await
            .gql()?
            .map(MonthlyReport))
    }
}

impl Dealer {
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<domain::RegionAssignment>> {
        let loader = ctx.data_unchecked::<DataLoader<RegionHistoryLoader>>();
        let h = loader
            .load_one(self.dealer.code.clone())
            .await
            .map_err(super::error::shared)?;
        Ok(h.unwrap_or_default())
    }
}

/// A new region.
#[derive(InputObject)]
pub struct RegionInput {
    /// 1–32 of A-Z, 0-9, `_`, `-`.
    pub code: String,
    pub name: String,
}

/// A new dealer.
#[derive(InputObject)]
pub struct CreateDealerInput {
    /// 1–32 of A-Z, 0-9, `_`, `-`.
    pub code: String,
    pub name: String,
    pub brand: String,
    pub province: String,
    pub city: String,
    pub size_tier: SizeTier,
    pub opened_month: Month,
    /// Its region from the opened month on.
    pub region_code: String,
}

/// Changes to a dealer's master data; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateDealerInput {
    pub name: Option<String>,
    pub brand: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub size_tier: Option<SizeTier>,
    pub opened_month: Option<Month>,
}
