//! Verification keys: one secret or public key, or a JSON Web Key Set (RFC 7517) whose
//! entries the token header's `kid` chooses between, so that an identity provider can
//! rotate its signing key without a restart of every replica at the same moment.

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::AuthError;

/// The keys a verifier checks signatures with.
#[derive(Clone)]
pub(super) enum Keys {
    /// One key, whatever the token's `kid`.
    Single(DecodingKey),
    /// The RS256 signing keys of a JWKS, each with its `kid` (only a lone key may lack one).
    Set(Vec<(Option<String>, DecodingKey)>),
}

impl Keys {
    /// The RS256 signing keys of a JWKS document. Keys for something else (encryption, EC,
    /// another algorithm), which identity providers publish alongside, are skipped.
    pub(super) fn from_jwks(json: &[u8]) -> Result<Keys, String> {
        let set: JwkSet = serde_json::from_slice(json)
            .map_err(|e| format!("MSI_JWT_JWKS is not a JSON Web Key Set: {e}"))?;
        let mut keys: Vec<(Option<String>, DecodingKey)> = Vec::new();
        for jwk in &set.keys {
            let kid = jwk.common.key_id.clone();
            let name = kid.as_deref().unwrap_or("without `kid`");
            let rs256 = matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
                && jwk
                    .common
                    .key_algorithm
                    .is_none_or(|a| a == KeyAlgorithm::RS256)
                && jwk
                    .common
                    .public_key_use
                    .as_ref()
                    .is_none_or(|u| *u == PublicKeyUse::Signature);
            if !rs256 {
                tracing::warn!(
                    kid = name,
                    "MSI_JWT_JWKS: skipping a key that is not an RS256 signing key"
                );
                continue;
            }
            if keys.iter().any(|(k, _)| k.is_some() && *k == kid) {
                return Err(format!("MSI_JWT_JWKS holds the `kid` {name} twice"));
            }
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| format!("MSI_JWT_JWKS key {name} is not a valid RSA key: {e}"))?;
            keys.push((kid, key));
        }
        if keys.is_empty() {
            return Err("MSI_JWT_JWKS holds no RS256 signing key".into());
        }
        if keys.len() > 1 && keys.iter().any(|(kid, _)| kid.is_none()) {
            return Err("MSI_JWT_JWKS holds several keys: each needs a `kid`".into());
        }
        Ok(Keys::Set(keys))
    }

    /// The key for a token whose header names `kid`. Without `kid`, only a lone key is
    /// tried: guessing among several would make rotation errors look like forgeries.
    pub(super) fn select(&self, kid: Option<&str>) -> Result<&DecodingKey, AuthError> {
        match (self, kid) {
            (Keys::Single(key), _) => Ok(key),
            (Keys::Set(keys), Some(kid)) => keys
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .map(|(_, key)| key)
                .ok_or(AuthError::UnknownKey),
            (Keys::Set(keys), None) if keys.len() == 1 => Ok(&keys[0].1),
            (Keys::Set(_), None) => Err(AuthError::MissingKeyId),
        }
    }
}

/// What the verifier reads of a token's header before its signature is checked: the
/// algorithm (to name a refused one, `none` included, which jsonwebtoken cannot parse) and
/// the key id. Neither is trusted: the algorithm is pinned and the key must verify.
#[derive(Debug, Deserialize)]
pub(super) struct UnverifiedHeader {
    pub alg: Option<String>,
    pub kid: Option<String>,
}

impl UnverifiedHeader {
    pub(super) fn read(token: &str) -> Result<UnverifiedHeader, AuthError> {
        let malformed = || AuthError::Malformed("the header is not base64url-encoded JSON".into());
        let header = token.split('.').next().unwrap_or_default();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header.trim_end_matches('='))
            .map_err(|_| malformed())?;
        serde_json::from_slice(&bytes).map_err(|_| malformed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JWKS: &[u8] = include_bytes!("../../../tests/fixtures/rs256-jwks.json");

    fn set(keys: serde_json::Value) -> Result<Keys, String> {
        Keys::from_jwks(json!({ "keys": keys }).to_string().as_bytes())
    }

    fn first_key() -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(JWKS).unwrap();
        v["keys"][0].clone()
    }

    #[test]
    fn kid_selects_the_key() {
        let keys = Keys::from_jwks(JWKS).unwrap();
        assert!(keys.select(Some("test-key-1")).is_ok());
        assert!(keys.select(Some("test-key-2")).is_ok());
        assert_eq!(keys.select(Some("nope")).err(), Some(AuthError::UnknownKey));
        assert_eq!(keys.select(None).err(), Some(AuthError::MissingKeyId));
        // a lone key serves a token without `kid`, but not one naming another key
        let one = set(json!([first_key()])).unwrap();
        assert!(one.select(None).is_ok());
        assert_eq!(one.select(Some("nope")).err(), Some(AuthError::UnknownKey));
    }

    #[test]
    fn unusable_sets_are_configuration_errors() {
        let err = |keys| set(keys).err().unwrap();
        assert!(err(json!([])).contains("no RS256"));
        let mut no_kid = first_key();
        no_kid.as_object_mut().unwrap().remove("kid");
        assert!(set(json!([no_kid.clone()])).is_ok());
        assert!(err(json!([no_kid, first_key()])).contains("each needs a `kid`"));
        assert!(err(json!([first_key(), first_key()])).contains("twice"));
        let mut bad_n = first_key();
        bad_n["n"] = json!("not base64!");
        assert!(err(json!([bad_n])).contains("not a valid RSA key"));
        assert!(Keys::from_jwks(b"{}").is_err());
        assert!(Keys::from_jwks(b"not json").is_err());
    }

    #[test]
    fn other_keys_are_skipped() {
        let mut enc = first_key();
        enc["use"] = json!("enc");
        enc["kid"] = json!("enc");
        let mut rs512 = first_key();
        rs512["alg"] = json!("RS512");
        rs512["kid"] = json!("rs512");
        let ec = json!({ "kty": "EC", "kid": "ec", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" });
        let keys = set(json!([enc, rs512, ec, first_key()])).unwrap();
        assert!(keys.select(Some("test-key-1")).is_ok());
        for kid in ["enc", "rs512", "ec"] {
            assert_eq!(keys.select(Some(kid)).err(), Some(AuthError::UnknownKey));
        }
        assert!(keys.select(None).is_ok(), "one usable key");
        assert!(set(json!([ec])).err().unwrap().contains("no RS256"));
    }

    #[test]
    fn header_is_read_untrusted() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let h =
            UnverifiedHeader::read(&format!("{}.x.y", b64(r#"{"alg":"none","kid":"k"}"#))).unwrap();
        assert_eq!(
            (h.alg.as_deref(), h.kid.as_deref()),
            (Some("none"), Some("k"))
        );
        for bad in ["garbage", "", &b64("[1]"), &b64(r#"{"kid":5}"#)] {
            assert!(
                matches!(UnverifiedHeader::read(bad), Err(AuthError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
