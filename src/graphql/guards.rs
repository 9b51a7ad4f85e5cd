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
