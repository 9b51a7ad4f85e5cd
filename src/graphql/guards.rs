//! Authorization guards: every query and mutation field names the guard it needs.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ErrorExtensions, Guard, Result};

use super::error::forbidden;
use super::loaders::RegionHistoryLoader;
use crate::auth::{Principal, Role, Scope};
use crate::domain::network::region_at;
use crate::domain::Month;

/// The caller, put in the request by the HTTP layer after verifying its token.
pub fn principal<'a>(ctx: &'a Context<'_>) -> Result<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| {
        async_graphql::Error::new("authentication required")
            .extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
    })
}

/// Allows the listed roles.
pub struct RoleGuard(pub &'static [Role]);

/// Only the OEM's administrators.
pub const OEM_ADMIN: RoleGuard = RoleGuard(&[Role::OemAdmin]);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let p = principal(ctx)?;
        if self.0.contains(&p.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = self.0.iter().map(|r| r.as_str()).collect();
            Err(forbidden(format!(
                "role {} may not do this (allowed: {})",
                p.role.as_str(),
                allowed.join(", ")
            )))
        }
    }
}

/// Allows reading a dealer's data for a month: everyone for OEM and BI, the dealer itself,
/// and managers of the region the dealer belongs to in that month.
pub struct DealerRead {
    code: String,
    month: Option<Month>,
}

impl DealerRead {
    /// `month` defaults to the current month.
    pub fn new(code: &str, month: Option<Month>) -> DealerRead {
        DealerRead {
            code: code.to_string(),
            month,
        }
    }
}

impl Guard for DealerRead {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let p = principal(ctx)?;
        crate::domain::network::check_code("dealerCode", &self.code)
            .map_err(|m| super::error::to_gql(crate::app::AppError::invalid("dealerCode", m)))?;
        let allowed = match p.scope() {
            Scope::All => true,
            Scope::Dealer(own) => own == self.code,
            Scope::Regions(_) => {
                let month = self
                    .month
                    .unwrap_or_else(|| super::app(ctx).current_month());
                let history = ctx
                    .data_unchecked::<DataLoader<RegionHistoryLoader>>()
                    .load_one(self.code.clone())
                    .await
                    .map_err(super::error::shared)?;
                p.may_read_dealer(
                    &self.code,
                    history.as_deref().and_then(|h| region_at(h, month)),
                )
            }
        };
        if allowed {
            Ok(())
        } else {
            let when = self.month.map_or(String::new(), |m| format!(" in {m}"));
            Err(forbidden(format!(
                "dealer {}{when} is outside what {} {} may read",
                self.code,
                p.role.as_str(),
                p.sub
            )))
        }
    }
}

/// Allows writing a dealer's reports: the dealer itself, and OEM administrators.
pub struct ReportWrite(String);

impl ReportWrite {
    pub fn new(code: &str) -> ReportWrite {
        ReportWrite(code.to_string())
    }
}

impl Guard for ReportWrite {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let p = principal(ctx)?;
        crate::domain::network::check_code("dealerCode", &self.0)
            .map_err(|m| super::error::to_gql(crate::app::AppError::invalid("dealerCode", m)))?;
        if p.may_write_report(&self.0) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "{} {} may not write reports of dealer {}",
                p.role.as_str(),
                p.sub,
                self.0
            )))
        }
    }
}

/// Allows managing a dealer's targets and action items: the dealer itself, the regional
/// manager of the region it is in now, and OEM administrators (not BI readers).
pub struct DealerManage(String);

impl DealerManage {
    pub fn new(code: &str) -> DealerManage {
        DealerManage(code.to_string())
    }
}

impl Guard for DealerManage {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let p = principal(ctx)?;
        crate::domain::network::check_code("dealerCode", &self.0)
            .map_err(|m| super::error::to_gql(crate::app::AppError::invalid("dealerCode", m)))?;
        let allowed = match p.role {
            Role::OemAdmin => true,
            Role::BiReader => false,
            Role::Dealer => p.dealer.as_deref() == Some(self.0.as_str()),
            Role::RegionalManager => {
                let month = super::app(ctx).current_month();
                let history = ctx
                    .data_unchecked::<DataLoader<RegionHistoryLoader>>()
                    .load_one(self.0.clone())
                    .await
                    .map_err(super::error::shared)?;
                p.may_read_dealer(
                    &self.0,
                    history.as_deref().and_then(|h| region_at(h, month)),
                )
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(forbidden(format!(
                "{} {} may not manage dealer {} (its own users, the manager of its region and the OEM may)",
                p.role.as_str(),
                p.sub,
                self.0
            )))
        }
    }
}

/// Allows reading a region's own figures (its targets): OEM administrators and BI readers,
/// and the managers of that region. Dealers never: a region's figures are sums of dealers'.
pub struct RegionRead(String);

impl RegionRead {
    pub fn new(code: &str) -> RegionRead {
        RegionRead(code.to_string())
    }
}

impl Guard for RegionRead {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let p = principal(ctx)?;
        let allowed = match p.role {
            Role::OemAdmin | Role::BiReader => true,
            Role::RegionalManager => p.regions.contains(&self.0),
            Role::Dealer => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(forbidden(format!(
                "{} {} may not read the targets of region {}",
                p.role.as_str(),
                p.sub,
                crate::domain::text::excerpt(&self.0)
            )))
        }
    }
}
