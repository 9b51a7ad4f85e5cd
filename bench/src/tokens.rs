//! Tokens: the HS256 secret the bench gives the service, and the JWTs it signs with it.

use msi_hub::auth::{JwtIssuer, Principal, Role};

/// Two hours: longer than a whole run at the default `--timeout-secs` (30 minutes).
const TTL_SECS: i64 = 7200;

/// A fresh secret per run: the service is started with it, so only this run's tokens are valid.
pub fn random_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The OEM administrator's token: it may read and write everything.
pub fn admin_token(issuer: &JwtIssuer) -> String {
    issuer.issue(
        &Principal {
            sub: "msi-bench".into(),
            role: Role::OemAdmin,
            regions: vec![],
            dealer: None,
        },
        TTL_SECS,
    )
}

/// A dealer user's token, as the service's dealers get them.
pub fn dealer_token(issuer: &JwtIssuer, code: &str) -> String {
    let principal = Principal {
        sub: format!("msi-bench:{code}"),
        role: Role::Dealer,
        regions: vec![],
        dealer: Some(code.to_string()),
    };
    issuer.issue(&principal, TTL_SECS)
}
