//! Bearer JWT verification (HS256 or RS256, pinned) and HS256 issuance for development.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use super::{Principal, Role};

/// The claims MSI Hub reads from a token.
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

/// Why a token was refused. The message is safe to return to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the token has expired")]
    Expired,
    #[error("the token's signature is not valid")]
    BadSignature,
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
}

/// Verifies bearer tokens against one pinned algorithm.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    algorithm: &'static str,
}

impl JwtVerifier {
    /// Builds a verifier; `issuer` and `audience` are checked when given.
    pub fn new(
        config: &JwtConfig,
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Result<JwtVerifier, String> {
        let (key, alg, name) = match config {
            JwtConfig::Hs256 { secret } => {
                if secret.len() < 16 {
                    return Err("MSI_JWT_SECRET must be at least 16 bytes".into());
                }
                (DecodingKey::from_secret(secret), Algorithm::HS256, "HS256")
            }
            JwtConfig::Rs256 { public_key_pem } => (
                DecodingKey::from_rsa_pem(public_key_pem).map_err(|e| {
                    format!("MSI_JWT_PUBLIC_KEY is not an RSA public key in PEM: {e}")
                })?,
                Algorithm::RS256,
                "RS256",
            ),
        };
        let mut validation = Validation::new(alg);
        // A configured audience or issuer must be present, not merely right when present.
        let mut required = vec!["exp", "sub"];
        required.extend(audience.map(|_| "aud"));
        required.extend(issuer.map(|_| "iss"));
        validation.set_required_spec_claims(&required);
        validation.leeway = 30;
        match audience {
            Some(a) => validation.set_audience(&[a]),
            None => validation.validate_aud = false,
        }
        if let Some(i) = issuer {
            validation.set_issuer(&[i]);
        }
        Ok(JwtVerifier {
            key,
            validation,
            algorithm: name,
        })
    }

    /// Verifies a token and returns who it names.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(alg) = header_alg(token) {
            if alg != self.algorithm {
                return Err(AuthError::WrongAlgorithm(alg, self.algorithm));
            }
        }
        let data =
            decode::<Claims>(token, &self.key, &self.validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
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
        principal(data.claims)
    }

    /// Verifies the value of an `Authorization` header.
    pub fn verify_header(&self, header: &str) -> Result<Principal, AuthError> {
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::BadHeader)?;
        self.verify(token.trim())
    }
}

/// The `alg` of a token's header, read without trusting it (to name a refused algorithm).
fn header_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_string)
}

/// Checks that the claims fit the role.
fn principal(c: Claims) -> Result<Principal, AuthError> {
    if c.sub.trim().is_empty() {
        return Err(AuthError::InvalidClaims("`sub` is empty".into()));
    }
    match c.role {
        Role::RegionalManager if c.regions.is_empty() => {
            return Err(AuthError::InvalidClaims(
                "a regional_manager token needs a non-empty `regions`".into(),
            ))
        }
        Role::Dealer if c.dealer.as_deref().is_none_or(str::is_empty) => {
            return Err(AuthError::InvalidClaims(
                "a dealer token needs `dealer`".into(),
            ))
        }
        _ => {}
    }
    Ok(Principal {
        sub: c.sub,
        role: c.role,
        regions: c.regions,
        dealer: c.dealer,
    })
}

/// Signs HS256 tokens (the `token` command and tests).
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
        )
        .unwrap()
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
            None
        )
        .is_err());
    }
}
