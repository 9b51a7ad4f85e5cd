//! The claims of a token: what `JwtIssuer` signs, and what a token under verification must
//! carry. Numeric dates are checked here rather than by jsonwebtoken, which rounds fractions
//! and reports a negative `exp` as missing.

use serde::{Deserialize, Serialize};
use serde_json::Number;

use super::AuthError;
use crate::auth::{Principal, Role};

/// The claims `JwtIssuer` signs (development tokens and tests).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dealer: Option<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// The claims read from a token whose signature holds. `iss` and `aud` are checked by
/// jsonwebtoken (which takes `aud` as a string or an array) and not read here, so that any
/// `aud` passes when no audience is configured.
#[derive(Debug, Deserialize)]
pub(super) struct TokenClaims {
    sub: Option<String>,
    role: Role,
    #[serde(default)]
    regions: Vec<String>,
    dealer: Option<String>,
    /// Numeric dates: any JSON number (RFC 7519 §2), checked by `check_times`.
    exp: Option<Number>,
    nbf: Option<Number>,
    iat: Option<Number>,
}

/// The last second of year 9999: later dates are garbage rather than a far future.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// Seconds since the epoch of a numeric date, a fraction truncated.
fn numeric_date(name: &str, n: &Number) -> Result<u64, AuthError> {
    let secs = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| (0.0..=MAX_NUMERIC_DATE as f64).contains(f))
            .map(|f| f as u64)
    });
    secs.filter(|s| *s <= MAX_NUMERIC_DATE).ok_or_else(|| {
        AuthError::InvalidClaims(format!(
            "`{name}` must be a number of seconds since 1970, before year 10000"
        ))
    })
}

/// A name the token gives (`sub`, `dealer`, a region code) must say something, and hold no
/// control character (a NUL, a newline), which would otherwise reach logs and the database.
fn check_name(what: &str, value: &str) -> Result<(), AuthError> {
    if value.trim().is_empty() {
        Err(AuthError::InvalidClaims(format!("{what} is blank")))
    } else if value.chars().any(char::is_control) {
        Err(AuthError::InvalidClaims(format!(
            "{what} holds a control character"
        )))
    } else {
        Ok(())
    }
}

impl TokenClaims {
    /// RFC 7519 §4.1.4–6: `exp` (required) has not passed, `nbf` has come, `iat` is not in
    /// the future; each with `leeway` seconds for clock skew. When it passes: the instant
    /// (seconds since the epoch) from which the token is refused.
    pub(super) fn check_times(&self, now: u64, leeway: u64) -> Result<u64, AuthError> {
        let date =
            |name: &str, n: &Option<Number>| n.as_ref().map(|n| numeric_date(name, n)).transpose();
        let exp = date("exp", &self.exp)?.ok_or(AuthError::MissingClaim("exp".into()))?;
        let nbf = date("nbf", &self.nbf)?;
        let iat = date("iat", &self.iat)?;
        if now >= exp.saturating_add(leeway) {
            return Err(AuthError::Expired);
        }
        if nbf.is_some_and(|t| t > now.saturating_add(leeway)) {
            return Err(AuthError::NotYetValid);
        }
        if iat.is_some_and(|t| t > now.saturating_add(leeway)) {
            return Err(AuthError::IssuedInFuture);
        }
        Ok(exp.saturating_add(leeway))
    }

    /// The caller the claims name, once they fit its role.
    pub(super) fn into_principal(self) -> Result<Principal, AuthError> {
        let sub = self.sub.ok_or(AuthError::MissingClaim("sub".into()))?;
        check_name("`sub`", &sub)?;
        for r in &self.regions {
            check_name("a region code of `regions`", r)?;
        }
        if let Some(d) = &self.dealer {
            check_name("`dealer`", d)?;
        }
        match self.role {
            Role::RegionalManager if self.regions.is_empty() => Err(AuthError::InvalidClaims(
                "a regional_manager token needs a non-empty `regions`".into(),
            )),
            Role::Dealer if self.dealer.is_none() => Err(AuthError::InvalidClaims(
                "a dealer token needs `dealer`".into(),
            )),
            _ => Ok(Principal {
                sub,
                role: self.role,
                regions: self.regions,
                dealer: self.dealer,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: serde_json::Value) -> TokenClaims {
        serde_json::from_value(v).unwrap()
    }

    fn date(text: &str) -> Result<u64, AuthError> {
        numeric_date("exp", &serde_json::from_str(text).unwrap())
    }

    #[test]
    fn numeric_dates_of_any_json_number_form() {
        assert_eq!(date("1735689600"), Ok(1_735_689_600));
        assert_eq!(date("1735689600.0"), Ok(1_735_689_600));
        assert_eq!(date("1.7356896e9"), Ok(1_735_689_600));
        assert_eq!(date("1735689600.999"), Ok(1_735_689_600), "truncated");
        assert_eq!(date("0"), Ok(0));
        assert_eq!(date("253402300799"), Ok(MAX_NUMERIC_DATE));
        for bad in [
            "-1",
            "-0.5",
            "253402300800",
            "2.534023008e11",
            "1e300",
            "18446744073709551615",
        ] {
            assert!(
                matches!(date(bad), Err(AuthError::InvalidClaims(m)) if m.contains("`exp`")),
                "{bad}"
            );
        }
    }

    #[test]
    fn times_with_leeway() {
        let now = 1_000_000;
        let at = |exp: i64, nbf: Option<i64>, iat: Option<i64>, leeway| {
            claims(json!({ "sub": "s", "role": "oem_admin", "exp": exp, "nbf": nbf, "iat": iat }))
                .check_times(now, leeway)
        };
        let now = now as i64;
        // Valid: until `exp` and its leeway.
        assert_eq!(at(now + 1, None, None, 0), Ok(now as u64 + 1));
        assert_eq!(at(now - 29, None, None, 30), Ok(now as u64 + 1));
        let at = |exp, nbf, iat, leeway| at(exp, nbf, iat, leeway).map(|_| ());
        assert_eq!(at(now + 1, None, None, 0), Ok(()));
        assert_eq!(at(now, None, None, 0), Err(AuthError::Expired));
        assert_eq!(at(now - 29, None, None, 30), Ok(()));
        assert_eq!(at(now - 30, None, None, 30), Err(AuthError::Expired));
        assert_eq!(at(now + 60, Some(now), Some(now), 0), Ok(()));
        assert_eq!(
            at(now + 60, Some(now + 1), None, 0),
            Err(AuthError::NotYetValid)
        );
        assert_eq!(at(now + 60, Some(now + 30), None, 30), Ok(()));
        assert_eq!(
            at(now + 60, None, Some(now + 1), 0),
            Err(AuthError::IssuedInFuture)
        );
        assert_eq!(at(now + 60, None, Some(now + 30), 30), Ok(()));
        assert!(matches!(
            at(now + 60, Some(-1), None, 30),
            Err(AuthError::InvalidClaims(m)) if m.contains("`nbf`")
        ));
        let no_exp = claims(json!({ "sub": "s", "role": "oem_admin" }));
        assert_eq!(
            no_exp.check_times(0, 30),
            Err(AuthError::MissingClaim("exp".into()))
        );
    }

    #[test]
    fn names_must_be_printable_and_not_blank() {
        let principal = |v| claims(v).into_principal();
        assert!(principal(
            json!({ "sub": "a.b", "role": "regional_manager", "regions": ["EAST"] })
        )
        .is_ok());
        for (v, word) in [
            (json!({ "sub": "a\u{0}b", "role": "oem_admin" }), "`sub`"),
            (json!({ "sub": "\t", "role": "oem_admin" }), "`sub`"),
            (
                json!({ "sub": "m", "role": "regional_manager", "regions": [""] }),
                "region",
            ),
            (
                json!({ "sub": "m", "role": "regional_manager", "regions": ["EAST", " "] }),
                "region",
            ),
            (
                json!({ "sub": "m", "role": "regional_manager", "regions": ["EA\nST"] }),
                "region",
            ),
            (
                json!({ "sub": "d", "role": "dealer", "dealer": " " }),
                "`dealer`",
            ),
            (
                json!({ "sub": "d", "role": "dealer", "dealer": "D1\u{7f}" }),
                "`dealer`",
            ),
            (
                json!({ "sub": "b", "role": "bi_reader", "dealer": "" }),
                "`dealer`",
            ),
        ] {
            assert!(
                matches!(principal(v.clone()), Err(AuthError::InvalidClaims(m)) if m.contains(word)),
                "{v}"
            );
        }
        assert_eq!(
            principal(json!({ "role": "oem_admin" })),
            Err(AuthError::MissingClaim("sub".into()))
        );
    }
}
