//! Who is calling: JWT verification, roles and what each role may see.

mod jwt;

pub use jwt::{AuthError, Claims, JwtConfig, JwtIssuer, JwtVerifier, SessionEnd};

use serde::{Deserialize, Serialize};

/// The four kinds of users of MSI Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The car maker's administrators: everything, including the network.
    OemAdmin,
    /// A regional manager (区域经理): the dealers of its regions.
    RegionalManager,
    /// A dealer user: its own reports and record.
    Dealer,
    /// A BI tool: read-only, everything.
    BiReader,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::OemAdmin,
        Role::RegionalManager,
        Role::Dealer,
        Role::BiReader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::OemAdmin => "oem_admin",
            Role::RegionalManager => "regional_manager",
            Role::Dealer => "dealer",
            Role::BiReader => "bi_reader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An authenticated caller, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub sub: String,
    pub role: Role,
    /// Region codes a regional manager manages.
    pub regions: Vec<String>,
    /// The dealer code of a dealer user.
    pub dealer: Option<String>,
}

/// Which dealers a principal may read, before looking at any dealer's region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every dealer (OEM admin, BI reader).
    All,
    /// Dealers that belong to one of these regions in the month concerned.
    Regions(Vec<String>),
    /// This one dealer.
    Dealer(String),
}

impl Principal {
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::OemAdmin | Role::BiReader => Scope::All,
            Role::RegionalManager => Scope::Regions(self.regions.clone()),
            Role::Dealer => Scope::Dealer(self.dealer.clone().unwrap_or_default()),
        }
    }

    /// Whether this principal may read dealer `code`, which is in `region` in the month concerned.
    pub fn may_read_dealer(&self, code: &str, region: Option<&str>) -> bool {
        match self.scope() {
            Scope::All => true,
            Scope::Regions(rs) => region.is_some_and(|r| rs.iter().any(|x| x == r)),
            Scope::Dealer(d) => d == code,
        }
    }

    /// Whether this principal may write reports of dealer `code` (its own, or any for the OEM).
    pub fn may_write_report(&self, code: &str) -> bool {
        match self.role {
            Role::OemAdmin => true,
            Role::Dealer => self.dealer.as_deref() == Some(code),
            Role::RegionalManager | Role::BiReader => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role) -> Principal {
        Principal {
            sub: "u".into(),
            role,
            regions: vec!["EAST".into()],
            dealer: Some("D1".into()),
        }
    }

    #[test]
    fn read_scope_per_role() {
        assert!(p(Role::OemAdmin).may_read_dealer("D9", Some("WEST")));
        assert!(p(Role::BiReader).may_read_dealer("D9", None));
        assert!(p(Role::RegionalManager).may_read_dealer("D9", Some("EAST")));
        assert!(!p(Role::RegionalManager).may_read_dealer("D9", Some("WEST")));
        assert!(!p(Role::RegionalManager).may_read_dealer("D9", None));
        assert!(p(Role::Dealer).may_read_dealer("D1", Some("WEST")));
        assert!(!p(Role::Dealer).may_read_dealer("D2", Some("EAST")));
    }

    #[test]
    fn write_scope_per_role() {
        assert!(p(Role::OemAdmin).may_write_report("D9"));
        assert!(p(Role::Dealer).may_write_report("D1"));
        assert!(!p(Role::Dealer).may_write_report("D2"));
        assert!(!p(Role::RegionalManager).may_write_report("D1"));
        assert!(!p(Role::BiReader).may_write_report("D1"));
    }

    #[test]
    fn role_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
