//! Arguments of KPI queries: reporting periods and groups of dealers.

use async_graphql::{Enum, InputObject};

use super::super::error::to_gql;
use super::super::network::SizeTier;
use super::types::PeriodKind;
use crate::app::AppError;
use crate::domain::{self, Group, Month};

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

    pub fn period(self) -> async_graphql::Result<domain::Period> {
        domain::Period::new(self.kind.into(), self.month, self.to)
            .map_err(|m| to_gql(AppError::invalid("period", m)))
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
    pub fn group(&self) -> async_graphql::Result<Group> {
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
            ScopeKind::Nation => Group::Nation,
            ScopeKind::Region => {
                Group::Region(self.region_code.clone().ok_or_else(|| need("regionCode"))?)
            }
            ScopeKind::PeerGroup => Group::Peer {
                brand: self.brand.clone().ok_or_else(|| need("brand"))?,
                size_tier: self.size_tier.ok_or_else(|| need("sizeTier"))?.into(),
            },
        })
    }
}
