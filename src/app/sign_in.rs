//! Development sign-in: with the development secret (no secret or key configured), the
//! dashboard offers a few users of the database to sign in as. Never otherwise: a
//! production service has no way to mint a token.

use super::{App, AppResult};
use crate::auth::{Principal, Role};
use crate::store::{DealerFilter, KeyPage};

/// How long a development token minted for the dashboard lasts.
const DEMO_TOKEN_SECS: i64 = 8 * 3600;

/// A user one may sign in as, with a fresh token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoUser {
    pub label: String,
    pub role: &'static str,
    pub token: String,
}

impl App {
    /// Whether tokens are signed with the development secret kept in the database.
    pub fn uses_development_secret(&self) -> bool {
        let s = &self.settings;
        s.jwt_secret.is_none() && s.jwt_public_key.is_none() && s.jwt_jwks.is_none()
    }

    /// The OEM, a BI tool, the first region's manager and that region's first active
    /// dealer, each with a token; `None` unless the development secret is in use.
    pub async fn demo_users(&self) -> AppResult<Option<Vec<DemoUser>>> {
        let issuer = match self.issuer() {
            Some(i) if self.uses_development_secret() => i,
            _ => return Ok(None),
        };
        let mint = |label: String, principal: Principal| DemoUser {
            label,
            role: principal.role.as_str(),
            token: issuer.issue(&principal, DEMO_TOKEN_SECS),
        };
        let user = |role: Role, sub: &str| Principal {
            sub: sub.to_string(),
            role,
            regions: vec![],
            dealer: None,
        };
        let mut users = vec![
            mint("OEM admin".into(), user(Role::OemAdmin, "oem_admin")),
            mint("BI reader".into(), user(Role::BiReader, "bi_reader")),
        ];
        if let Some(region) = self.regions().await?.into_iter().next() {
            let mut manager = user(Role::RegionalManager, &format!("manager:{}", region.code));
            manager.regions = vec![region.code.clone()];
            users.push(mint(format!("Regional manager {}", region.code), manager));
            let filter = DealerFilter {
                month: Some(self.current_month().plus(-1)),
                regions: Some(vec![region.code.clone()]),
                active_only: true,
                ..Default::default()
            };
            let first = KeyPage {
                limit: 1,
                ..KeyPage::all()
            };
            if let Some(d) = self.dealers(&filter, first).await?.into_iter().next() {
                let code = d.dealer.code;
                let mut dealer = user(Role::Dealer, &format!("dealer:{code}"));
                dealer.dealer = Some(code.clone());
                users.push(mint(format!("Dealer {code}"), dealer));
            }
        }
        Ok(Some(users))
    }
}
