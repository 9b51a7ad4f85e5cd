//! Bearer JWT verification (HS256 or RS256, pinned; RS256 keys from a PEM or a JWKS) and
//! HS256 issuance for development, after RFC 7519 and the BCP of RFC 8725.

mod claims;
mod keys;

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};

pub use claims::Claims;

use super::Principal;
use claims::TokenClaims;
use keys::{Keys, UnverifiedHeader};

/// Why a token was refused. The message is safe to return to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (`nbf` is in the future)")]
    NotYetValid,
    #[error("the token's issue time (`iat`) is in the future")]
    IssuedInFuture,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token's key id (`kid`) names no key this server accepts")]
    UnknownKey,
    #[error("the token's header has no key id (`kid`) to choose among this server's keys")]
    MissingKeyId,
    #[error("the token's audience is not accepted here")]
    WrongAudience,
    #[error("the token's issuer is not accepted here")]
    WrongIssuer,
    #[error("the token's algorithm `{0}` is not accepted: this server accepts {1} only")]
    WrongAlgorithm(String, &'static str),
    #[error("the token lacks the required claim `{0}`")]
    MissingClaim(String),
    #[error("the token's claims are not valid: {0}")]
    InvalidClaims(String),
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the Authorization header must be `Bearer <token>`")]
    BadHeader,
}

/// How tokens are verified.
#[derive(Clone)]
pub enum JwtConfig {
    /// Shared secret, HS256.
    Hs256 { secret: Vec<u8> },
    /// RSA public key in PEM, RS256 (an identity provider signs).
    Rs256 { public_key_pem: Vec<u8> },
    /// A JSON Web Key Set document, RS256: the token's `kid` chooses the key (rotation).
    Jwks { jwks_json: Vec<u8> },
}

/// Verifies bearer tokens against one pinned algorithm.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: Keys,
    validation: Validation,
    algorithm: &'static str,
    leeway_secs: u64,
}

impl JwtVerifier {
    /// Builds a verifier; `issuer` and `audience` are required and checked when given;
    /// `leeway_secs` of clock skew are allowed on `exp`, `nbf` and `iat`.
    pub fn new(
        config: &JwtConfig,
        issuer: Option<&str>,
        audience: Option<&str>,
        leeway_secs: u64,
    ) -> Result<JwtVerifier, String> {
        let (keys, alg, name) = match config {
            JwtConfig::Hs256 { secret } => {
                if secret.len() < 16 {
                    return Err("MSI_JWT_SECRET must be at least 16 bytes".into());
                }
                let key = DecodingKey::from_secret(secret);
                (Keys::Single(key), Algorithm::HS256, "HS256")
            }
            JwtConfig::Rs256 { public_key_pem } => {
                let key = DecodingKey::from_rsa_pem(public_key_pem).map_err(|e| {
                    format!("MSI_JWT_PUBLIC_KEY is not an RSA public key in PEM: {e}")
                })?;
                (Keys::Single(key), Algorithm::RS256, "RS256")
            }
            JwtConfig::Jwks { jwks_json } => {
                (Keys::from_jwks(jwks_json)?, Algorithm::RS256, "RS256")
            }
        };
        let mut validation = Validation::new(alg);
        // Dates are checked by `TokenClaims::check_times` (`exp` stays required there).
        validation.validate_exp = false;
        validation.validate_nbf = false;
        // A configured audience or issuer must be present, not merely right when present.
        let mut required = vec!["sub"];
        required.extend(audience.map(|_| "aud"));
        required.extend(issuer.map(|_| "iss"));
        validation.set_required_spec_claims(&required);
        match audience {
            Some(a) => validation.set_audience(&[a]),
            None => validation.validate_aud = false,
        }
        if let Some(i) = issuer {
            validation.set_issuer(&[i]);
        }
        Ok(JwtVerifier {
            keys,
            validation,
            algorithm: name,
            leeway_secs,
        })
    }

    /// Verifies a token and returns who it names.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp())
            .map(|(p, _)| p)
    }

    /// Verifies a token at `now` (seconds since the epoch): its caller, and the instant
    /// from which it is refused.
    fn verify_at(&self, token: &str, now: u64) -> Result<(Principal, u64), AuthError> {
        let header = UnverifiedHeader::read(token)?;
        if let Some(alg) = header.alg {
            if alg != self.algorithm {
                return Err(AuthError::WrongAlgorithm(alg, self.algorithm));
            }
        }
        let key = self.keys.select(header.kid.as_deref())?;
        let data =
            decode::<TokenClaims>(token, key, &self.validation).map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidAudience => AuthError::WrongAudience,
                ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                ErrorKind::InvalidAlgorithm => {
                    AuthError::WrongAlgorithm("?".into(), self.algorithm)
                }
                ErrorKind::MissingRequiredClaim(c) => AuthError::MissingClaim(c.clone()),
                ErrorKind::Json(_) => AuthError::InvalidClaims(e.to_string()),
                _ => AuthError::Malformed(e.to_string()),
            })?;
        let until = data.claims.check_times(now, self.leeway_secs)?;
        Ok((data.claims.into_principal()?, until))
    }

    /// Verifies the value of an `Authorization` header.
    pub fn verify_header(&self, header: &str) -> Result<Principal, AuthError> {
        self.verify(bearer_token(header).ok_or(AuthError::BadHeader)?)
    }

    /// Verifies the value of an `Authorization` header for a session that outlives the
    /// request (a subscription): the caller, and when the session must end.
    pub fn verify_session(&self, header: &str) -> Result<(Principal, SessionEnd), AuthError> {
        let token = bearer_token(header).ok_or(AuthError::BadHeader)?;
        let (p, until) = self.verify_at(token, jsonwebtoken::get_current_timestamp())?;
        Ok((p, SessionEnd(until)))
    }
}

/// When a long-lived session (a subscription) must end: its token is refused from this
/// instant (seconds since the epoch), so what it was allowed to see stops there too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnd(pub u64);

impl SessionEnd {
    /// The time left, from the system clock.
    pub fn remaining(&self) -> std::time::Duration {
        let now = jsonwebtoken::get_current_timestamp();
        std::time::Duration::from_secs(self.0.saturating_sub(now))
    }
}

/// The token of `Bearer <token>`: the scheme in any case (RFC 9110 §11.1), then one or more
/// spaces or tabs, then one token with no whitespace in it.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, rest) = (header.get(..6)?, &header[6..]);
    let token = rest.trim_matches([' ', '\t']);
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && rest.starts_with([' ', '\t'])
        && !token.is_empty()
        && !token.contains(char::is_whitespace);
    well_formed.then_some(token)
}

/// Signs tokens (the `token` command, the benchmark and tests).
pub struct JwtIssuer {
    key: EncodingKey,
    header: Header,
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtIssuer {
    pub fn hs256(secret: &[u8], issuer: Option<String>, audience: Option<String>) -> JwtIssuer {
        JwtIssuer {
            key: EncodingKey::from_secret(secret),
            header: Header::new(Algorithm::HS256),
            issuer,
            audience,
        }
    }

    /// RS256 with a PEM private key (tests of an identity provider's tokens).
    pub fn rs256(
        private_key_pem: &[u8],
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<JwtIssuer, String> {
        let key = EncodingKey::from_rsa_pem(private_key_pem).map_err(|e| e.to_string())?;
        Ok(JwtIssuer {
            key,
            header: Header::new(Algorithm::RS256),
            issuer,
            audience,
        })
    }

    /// The same signer, naming its key `kid` in the header (as a JWKS-publishing provider does).
    pub fn with_key_id(mut self, kid: &str) -> JwtIssuer {
        self.header.kid = Some(kid.to_string());
        self
    }

    /// A token for `principal` valid for `ttl_secs` (negative makes an expired one).
    pub fn issue(&self, principal: &Principal, ttl_secs: i64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let claims = Claims {
            sub: principal.sub.clone(),
            role: principal.role,
            regions: principal.regions.clone(),
            dealer: principal.dealer.clone(),
            exp: now.saturating_add_signed(ttl_secs),
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&self.header, &claims, &self.key).expect("claims serialise and the key signs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use base64::Engine;
    use serde_json::json;

    const SECRET: &[u8] = b"unit-test-secret-0123456789";

    fn admin() -> Principal {
        Principal {
            sub: "alice".into(),
            role: Role::OemAdmin,
            regions: vec![],
            dealer: None,
        }
    }

    fn verifier(aud: Option<&str>) -> JwtVerifier {
        JwtVerifier::new(
            &JwtConfig::Hs256 {
                secret: SECRET.to_vec(),
            },
            Some("msi"),
            aud,
            30,
        )
        .unwrap()
    }

    /// HS256-signed `claims`, as given.
    fn signed(claims: &serde_json::Value) -> String {
        let key = EncodingKey::from_secret(SECRET);
        encode(&Header::default(), claims, &key).unwrap()
    }

    #[test]
    fn round_trip() {
        let t = JwtIssuer::hs256(SECRET, Some("msi".into()), None).issue(&admin(), 60);
        assert_eq!(verifier(None).verify(&t).unwrap(), admin());
        assert_eq!(
            verifier(None)
                .verify_header(&format!("Bearer {t}"))
                .unwrap(),
            admin()
        );
        assert_eq!(verifier(None).verify_header(&t), Err(AuthError::BadHeader));
    }

    #[test]
    fn bearer_scheme() {
        for ok in [
            "Bearer t",
            "bearer t",
            "BEARER t",
            "BeArEr t",
            "Bearer\tt",
            "Bearer  \t t",
            "Bearer t ",
        ] {
            assert_eq!(bearer_token(ok), Some("t"), "{ok:?}");
        }
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer \t",
            "Bearert",
            "Bearer t u",
            "Bearer\nt",
            "Basic t",
            "Bearer: t",
            " Bearer t",
            "t",
            "Béarer t",
        ] {
            assert_eq!(bearer_token(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn refusals() {
        let issuer = JwtIssuer::hs256(SECRET, Some("msi".into()), Some("other".into()));
        assert_eq!(
            verifier(None).verify(&issuer.issue(&admin(), -120)),
            Err(AuthError::Expired)
        );
        assert_eq!(
            verifier(Some("msi-hub")).verify(&issuer.issue(&admin(), 60)),
            Err(AuthError::WrongAudience)
        );
        let wrong_iss = JwtIssuer::hs256(SECRET, Some("evil".into()), None).issue(&admin(), 60);
        assert_eq!(
            verifier(None).verify(&wrong_iss),
            Err(AuthError::WrongIssuer)
        );
        let forged = JwtIssuer::hs256(b"another-secret-0123456789", Some("msi".into()), None)
            .issue(&admin(), 60);
        assert_eq!(verifier(None).verify(&forged), Err(AuthError::BadSignature));
        // alg: none, unsigned
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let none = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(r#"{"sub":"x","role":"oem_admin","exp":99999999999}"#)
        );
        assert_eq!(
            verifier(None).verify(&none),
            Err(AuthError::WrongAlgorithm("none".into(), "HS256"))
        );
        assert!(matches!(
            verifier(None).verify("garbage"),
            Err(AuthError::Malformed(_))
        ));
        // `exp` stays required though jsonwebtoken no longer checks it
        let no_exp = signed(&json!({ "sub": "a", "role": "oem_admin", "iss": "msi" }));
        assert_eq!(
            verifier(None).verify(&no_exp),
            Err(AuthError::MissingClaim("exp".into()))
        );
    }

    #[test]
    fn dates_are_checked_at_the_verifier_clock() {
        let now = 1_700_000_000u64;
        let token = |extra: serde_json::Value| {
            let mut c = json!({ "sub": "a", "role": "oem_admin", "iss": "msi", "exp": now + 60 });
            c.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            signed(&c)
        };
        let v = verifier(None);
        assert!(v.verify_at(&token(json!({ "nbf": now + 30 })), now).is_ok());
        // A session may last until `exp` and its leeway.
        assert_eq!(
            v.verify_at(&token(json!({})), now).unwrap().1,
            now + 60 + 30
        );
        assert_eq!(
            v.verify_at(&token(json!({ "nbf": now + 31 })), now),
            Err(AuthError::NotYetValid)
        );
        assert_eq!(
            v.verify_at(&token(json!({ "iat": now + 31 })), now),
            Err(AuthError::IssuedInFuture)
        );
        assert!(v
            .verify_at(&token(json!({ "exp": now as f64 + 0.5 })), now)
            .is_ok());
        let strict = JwtVerifier::new(
            &JwtConfig::Hs256 {
                secret: SECRET.to_vec(),
            },
            None,
            None,
            0,
        )
        .unwrap();
        assert_eq!(
            strict.verify_at(&token(json!({ "nbf": now + 1 })), now),
            Err(AuthError::NotYetValid)
        );
        assert_eq!(
            strict.verify_at(&token(json!({ "exp": now })), now),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn audience_may_be_an_array() {
        let token = |aud: serde_json::Value| {
            signed(
                &json!({ "sub": "a", "role": "oem_admin", "iss": "msi", "exp": 4_102_444_800u64, "aud": aud }),
            )
        };
        let v = verifier(Some("msi-hub"));
        assert!(v.verify(&token(json!("msi-hub"))).is_ok());
        assert!(v.verify(&token(json!(["other", "msi-hub"]))).is_ok());
        for wrong in [json!("other"), json!(["other", "x"]), json!([])] {
            assert_eq!(v.verify(&token(wrong)), Err(AuthError::WrongAudience));
        }
        for any in [json!("x"), json!(["x", "y"]), json!([])] {
            assert!(verifier(None).verify(&token(any)).is_ok());
        }
    }

    #[test]
    fn role_claims_must_fit() {
        let i = JwtIssuer::hs256(SECRET, Some("msi".into()), None);
        let rm = Principal {
            sub: "r".into(),
            role: Role::RegionalManager,
            regions: vec![],
            dealer: None,
        };
        assert!(matches!(
            verifier(None).verify(&i.issue(&rm, 60)),
            Err(AuthError::InvalidClaims(_))
        ));
        let d = Principal {
            sub: "d".into(),
            role: Role::Dealer,
            regions: vec![],
            dealer: None,
        };
        assert!(matches!(
            verifier(None).verify(&i.issue(&d, 60)),
            Err(AuthError::InvalidClaims(_))
        ));
    }

    #[test]
    fn short_secret_refused() {
        assert!(JwtVerifier::new(
            &JwtConfig::Hs256 {
                secret: b"short".to_vec()
            },
            None,
            None,
            30
        )
        .is_err());
    }
}
