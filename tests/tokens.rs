//! Tokens: what is refused and how, RS256, and the endpoints that need no token.

mod common;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use common::{TestApp, SECRET};
use msi_hub::app::App;
use msi_hub::auth::{JwtIssuer, Principal, Role};
use msi_hub::config::Settings;
use serde_json::{json, Value};

const ME: &str = "{ me { sub role regions dealerCode } }";

fn admin() -> Principal {
    Principal {
        sub: "alice".into(),
        role: Role::OemAdmin,
        regions: vec![],
        dealer: None,
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Far in the future (2100-01-01).
const FAR_EXP: u64 = 4_102_444_800;

/// An unsigned token with these claims and this header.
fn hand_made(header: &str, claims: &Value) -> String {
    format!("{}.{}.", b64(header), b64(&claims.to_string()))
}

/// The verifier's clock (tokens are checked against the real time, whatever `--now` says).
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 token signed with the test secret over exactly this claims text (so that numbers
/// keep the form they are written in).
fn signed_text(claims: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    let message = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(claims));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
            .unwrap();
    format!("{message}.{signature}")
}

/// An HS256 token signed with the test secret: an admin `alice` valid for an hour, with
/// `extra` claims added or replaced.
fn signed(extra: Value) -> String {
    let mut claims = json!({ "sub": "alice", "role": "oem_admin", "exp": now() + 3600 });
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    signed_text(&claims.to_string())
}

/// POSTs `me` with the raw `Authorization` header value; status, header WWW-Authenticate, body.
async fn with_header(t: &TestApp, authorization: &str) -> (u16, Option<String>, Value) {
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .header("Authorization", authorization)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let www = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (status, www, resp.json().await.unwrap())
}

/// Asserts that `token` is refused with 401 UNAUTHENTICATED and a message containing each of
/// `words` (and that nothing is answered).
async fn refused(t: &TestApp, token: &str, words: &[&str]) {
    let (status, www, body) = with_header(t, &format!("Bearer {token}")).await;
    assert_eq!(status, 401, "{words:?}: {body}");
    assert_eq!(www.as_deref(), Some("Bearer"), "{words:?}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_lowercase();
    for w in words {
        assert!(
            message.contains(w),
            "message {message:?} should mention {w:?}"
        );
    }
}

/// Asserts that `token` is accepted and `me` names `sub` with `role`.
async fn accepted(t: &TestApp, token: &str, sub: &str, role: &str) {
    let me = t.ok(token, ME, json!({})).await["me"].clone();
    assert_eq!(me["sub"], sub, "{me}");
    assert_eq!(me["role"], role, "{me}");
}

#[tokio::test]
async fn no_token_is_401_unauthenticated() {
    let t = TestApp::spawn().await;
    let (status, body) = t.post(None, ME, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Bearer"));
    assert!(body.get("data").is_none(), "{body}");
    // nor does a mutation run without one
    let (status, _) = t
        .post(
            None,
            r#"mutation { createRegion(input: { code: "X", name: "x" }) { code } }"#,
            json!({}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        t.ok(&t.admin(), "{ regions { code } }", json!({})).await["regions"],
        json!([])
    );
}

#[tokio::test]
async fn health_readiness_and_graphiql_need_no_token() {
    let t = TestApp::spawn().await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let resp = t
            .client
            .get(format!("{}{path}", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert_eq!(resp.text().await.unwrap(), body, "{path}");
    }
    let resp = t
        .client
        .get(format!("{}/graphql", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("MSI Hub"), "the page title");
    assert!(html.to_lowercase().contains("graphiql"));
    assert!(html.contains("/graphql"), "the page points at the endpoint");
}

#[tokio::test]
async fn a_malformed_or_misplaced_token_is_refused_not_anonymous() {
    let t = TestApp::spawn().await;
    let token = t.admin();
    for header in [
        format!("Basic {token}"),
        token.clone(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        "Bearer not.a.token".to_string(),
        "Bearer garbage".to_string(),
    ] {
        let (status, _, body) = with_header(&t, &header).await;
        assert_eq!(status, 401, "{header:?}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{header:?}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("token refused: "), "{message}");
    }
    let (status, _, body) = with_header(&t, &format!("Basic {token}")).await;
    assert_eq!(status, 401);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Bearer <token>"));
    // the same token, well placed, is fine
    accepted(&t, &token, "admin", "oem_admin").await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let t = TestApp::spawn().await;
    let issuer = JwtIssuer::hs256(SECRET.as_bytes(), None, None);
    refused(&t, &issuer.issue(&admin(), -3600), &["expired"]).await;
    accepted(&t, &issuer.issue(&admin(), 3600), "alice", "oem_admin").await;
}

#[tokio::test]
async fn a_token_with_a_wrong_signature_is_refused() {
    let t = TestApp::spawn().await;
    let forged =
        JwtIssuer::hs256(b"some-other-secret-0123456789", None, None).issue(&admin(), 3600);
    refused(&t, &forged, &["signature"]).await;
    // a valid token with its signature tampered with
    let good = t.admin();
    let (head, sig) = good.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    refused(
        &t,
        &format!("{head}.{flipped}{}", &sig[1..]),
        &["signature"],
    )
    .await;
    // a valid signature over other claims (a role raised after signing)
    let dealer = t.dealer("D1");
    let mut p = dealer.split('.');
    let (h, _, s) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
    let raised = b64(&json!({ "sub": "user-D1", "role": "oem_admin", "exp": FAR_EXP }).to_string());
    refused(&t, &format!("{h}.{raised}.{s}"), &["signature"]).await;
}

#[tokio::test]
async fn a_wrong_audience_is_refused_when_one_is_configured() {
    let t = TestApp::spawn_with(|s| {
        s.jwt_audience = Some("msi-hub".into());
    })
    .await;
    let other = JwtIssuer::hs256(SECRET.as_bytes(), None, Some("another-app".into()));
    refused(&t, &other.issue(&admin(), 3600), &["audience"]).await;
    // the configured audience passes
    let right = JwtIssuer::hs256(SECRET.as_bytes(), None, Some("msi-hub".into()));
    accepted(&t, &right.issue(&admin(), 3600), "alice", "oem_admin").await;
}

#[tokio::test]
async fn a_wrong_issuer_is_refused_when_one_is_configured() {
    let t = TestApp::spawn_with(|s| {
        s.jwt_issuer = Some("https://idp.example.com".into());
    })
    .await;
    let evil = JwtIssuer::hs256(
        SECRET.as_bytes(),
        Some("https://evil.example.com".into()),
        None,
    );
    refused(&t, &evil.issue(&admin(), 3600), &["issuer"]).await;
    let right = JwtIssuer::hs256(
        SECRET.as_bytes(),
        Some("https://idp.example.com".into()),
        None,
    );
    accepted(&t, &right.issue(&admin(), 3600), "alice", "oem_admin").await;
}

/// jsonwebtoken's `set_audience` / `set_issuer` check the claim only when the token carries
/// it: `JwtVerifier::new` also makes them required when configured.
#[tokio::test]
async fn a_token_without_audience_or_issuer_is_refused_when_they_are_configured() {
    let t = TestApp::spawn_with(|s| {
        s.jwt_audience = Some("msi-hub".into());
        s.jwt_issuer = Some("https://idp.example.com".into());
    })
    .await;
    let no_aud = JwtIssuer::hs256(
        SECRET.as_bytes(),
        Some("https://idp.example.com".into()),
        None,
    );
    refused(&t, &no_aud.issue(&admin(), 3600), &["aud"]).await;
    let no_iss = JwtIssuer::hs256(SECRET.as_bytes(), None, Some("msi-hub".into()));
    refused(&t, &no_iss.issue(&admin(), 3600), &["iss"]).await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let t = TestApp::spawn().await;
    let claims = json!({ "sub": "mallory", "role": "oem_admin", "exp": FAR_EXP });
    refused(
        &t,
        &hand_made(r#"{"alg":"none","typ":"JWT"}"#, &claims),
        &["algorithm", "none"],
    )
    .await;
    // with a valid HS256 signature of other content appended, still refused
    let good = t.admin();
    let sig = good.rsplit('.').next().unwrap();
    let token = format!(
        "{}{sig}",
        hand_made(r#"{"alg":"none","typ":"JWT"}"#, &claims)
    );
    refused(&t, &token, &["algorithm"]).await;
    // another HMAC than the pinned one
    refused(
        &t,
        &hand_made(r#"{"alg":"HS512","typ":"JWT"}"#, &claims),
        &["algorithm", "hs512"],
    )
    .await;
}

#[tokio::test]
async fn claims_that_do_not_fit_the_role_are_refused() {
    let t = TestApp::spawn().await;
    let issuer = JwtIssuer::hs256(SECRET.as_bytes(), None, None);
    let manager = Principal {
        sub: "m".into(),
        role: Role::RegionalManager,
        regions: vec![],
        dealer: None,
    };
    refused(&t, &issuer.issue(&manager, 3600), &["claims", "regions"]).await;
    let dealer = Principal {
        sub: "d".into(),
        role: Role::Dealer,
        regions: vec![],
        dealer: None,
    };
    refused(&t, &issuer.issue(&dealer, 3600), &["claims", "dealer"]).await;
    let dealer = Principal {
        dealer: Some(String::new()),
        ..dealer
    };
    refused(&t, &issuer.issue(&dealer, 3600), &["claims", "dealer"]).await;
    let nobody = Principal {
        sub: " ".into(),
        ..admin()
    };
    refused(&t, &issuer.issue(&nobody, 3600), &["claims", "sub"]).await;
    // an unknown role, correctly signed
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    let root = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({ "sub": "r", "role": "root", "exp": FAR_EXP }),
        &key,
    )
    .unwrap();
    refused(&t, &root, &["claims"]).await;
    // the same roles with their claims are fine
    accepted(&t, &t.manager(&["EAST"]), "manager", "regional_manager").await;
    accepted(&t, &t.dealer("D1"), "user-D1", "dealer").await;
}

fn rs256_settings(s: &mut Settings) {
    s.jwt_public_key = Some(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/rs256-public.pem"
    )));
    s.jwt_secret = None;
}

fn rs256_issuer() -> JwtIssuer {
    JwtIssuer::rs256(include_bytes!("fixtures/rs256-private.pem"), None, None).unwrap()
}

#[tokio::test]
async fn an_rs256_server_accepts_rs256_tokens_only() {
    let t = TestApp::spawn_with(rs256_settings).await;
    let rs = rs256_issuer();
    // a valid RS256 token is accepted, with its claims
    let manager = Principal {
        sub: "li.wei".into(),
        role: Role::RegionalManager,
        regions: vec!["EAST".into(), "NORTH".into()],
        dealer: None,
    };
    let me = t.ok(&rs.issue(&manager, 3600), ME, json!({})).await["me"].clone();
    assert_eq!(
        me,
        json!({ "sub": "li.wei", "role": "regional_manager", "regions": ["EAST", "NORTH"], "dealerCode": null })
    );
    // an RS256 admin can do admin things
    let admin_token = rs.issue(&admin(), 3600);
    let d = t
        .ok(
            &admin_token,
            r#"mutation { createRegion(input: { code: "EAST", name: "华东" }) { code } }"#,
            json!({}),
        )
        .await;
    assert_eq!(d["createRegion"]["code"], "EAST");
    // but expired is expired
    refused(&t, &rs.issue(&admin(), -3600), &["expired"]).await;
    // an HS256 token, even signed with the test secret, is refused by algorithm
    refused(&t, &t.admin(), &["algorithm", "hs256", "rs256"]).await;
    // the classic confusion: HS256 keyed with the server's public key
    let public = include_bytes!("fixtures/rs256-public.pem");
    let confused = JwtIssuer::hs256(public, None, None).issue(&admin(), 3600);
    refused(&t, &confused, &["algorithm"]).await;
    // alg none too
    let claims = json!({ "sub": "mallory", "role": "oem_admin", "exp": FAR_EXP });
    refused(&t, &hand_made(r#"{"alg":"none"}"#, &claims), &["algorithm"]).await;
    // and the RS256 signature must match the content
    let good = rs.issue(&admin(), 3600);
    let mut p = good.split('.');
    let (h, _, s) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
    let other = b64(&json!({ "sub": "mallory", "role": "oem_admin", "exp": FAR_EXP }).to_string());
    refused(&t, &format!("{h}.{other}.{s}"), &["signature"]).await;
}

#[tokio::test]
async fn an_hs256_server_refuses_rs256_tokens() {
    let t = TestApp::spawn().await;
    refused(
        &t,
        &rs256_issuer().issue(&admin(), 3600),
        &["algorithm", "rs256"],
    )
    .await;
}

#[tokio::test]
async fn a_token_not_yet_valid_or_issued_in_the_future_is_refused() {
    let t = TestApp::spawn().await;
    let later = now() + 3600;
    refused(
        &t,
        &signed(json!({ "nbf": later })),
        &["not valid yet", "nbf"],
    )
    .await;
    refused(&t, &signed(json!({ "iat": later })), &["iat", "future"]).await;
    // within the default leeway (30 s) of clock skew, or in the past, they are fine
    let soon = now() + 10;
    accepted(
        &t,
        &signed(json!({ "nbf": soon, "iat": soon })),
        "alice",
        "oem_admin",
    )
    .await;
    let past = now() - 600;
    accepted(
        &t,
        &signed(json!({ "nbf": past, "iat": past })),
        "alice",
        "oem_admin",
    )
    .await;
}

#[tokio::test]
async fn the_leeway_is_configurable_and_covers_exp_nbf_and_iat() {
    let default = TestApp::spawn().await;
    refused(
        &default,
        &signed(json!({ "exp": now() - 60 })),
        &["expired"],
    )
    .await;
    accepted(
        &default,
        &signed(json!({ "exp": now() - 5 })),
        "alice",
        "oem_admin",
    )
    .await;

    let lenient = TestApp::spawn_with(|s| s.jwt_leeway_secs = 300).await;
    for extra in [
        json!({ "exp": now() - 120 }),
        json!({ "nbf": now() + 120 }),
        json!({ "iat": now() + 120 }),
    ] {
        accepted(&lenient, &signed(extra), "alice", "oem_admin").await;
    }
    refused(
        &lenient,
        &signed(json!({ "exp": now() - 400 })),
        &["expired"],
    )
    .await;
    refused(&lenient, &signed(json!({ "nbf": now() + 400 })), &["nbf"]).await;

    let strict = TestApp::spawn_with(|s| s.jwt_leeway_secs = 0).await;
    refused(&strict, &signed(json!({ "exp": now() - 5 })), &["expired"]).await;
    refused(&strict, &signed(json!({ "nbf": now() + 60 })), &["nbf"]).await;
    refused(&strict, &signed(json!({ "iat": now() + 60 })), &["iat"]).await;
    accepted(&strict, &signed(json!({})), "alice", "oem_admin").await;
}

#[tokio::test]
async fn an_audience_may_be_a_string_or_an_array() {
    let t = TestApp::spawn_with(|s| s.jwt_audience = Some("msi-hub".into())).await;
    for aud in [
        json!("msi-hub"),
        json!(["msi-hub"]),
        json!(["crm", "msi-hub"]),
    ] {
        accepted(&t, &signed(json!({ "aud": aud })), "alice", "oem_admin").await;
    }
    for aud in [json!("crm"), json!(["crm", "bi"]), json!([])] {
        refused(&t, &signed(json!({ "aud": aud })), &["audience"]).await;
    }
    // without a configured audience, any `aud` passes
    let open = TestApp::spawn().await;
    for aud in [json!("crm"), json!(["crm", "bi"]), json!([])] {
        accepted(&open, &signed(json!({ "aud": aud })), "alice", "oem_admin").await;
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let t = TestApp::spawn().await;
    let token = t.admin();
    for header in [
        format!("BEARER {token}"),
        format!("bearer {token}"),
        format!("BeArEr {token}"),
        format!("Bearer\t{token}"),
        format!("Bearer  \t {token}"),
    ] {
        let (status, _, body) = with_header(&t, &header).await;
        assert_eq!(status, 200, "{header:?}: {body}");
        assert_eq!(body["data"]["me"]["sub"], "admin", "{header:?}: {body}");
    }
    for header in [
        format!("Bearer{token}"),
        format!("Bearer: {token}"),
        format!("Bearer {token} {token}"),
        format!("Bearer, {token}"),
        format!("Bearers {token}"),
        format!("Token {token}"),
    ] {
        let (status, _, body) = with_header(&t, &header).await;
        assert_eq!(status, 401, "{header:?}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("Bearer <token>"), "{header:?}: {message}");
    }
}

#[tokio::test]
async fn numeric_dates_may_be_any_json_number() {
    let t = TestApp::spawn().await;
    let now = now();
    for dates in [
        format!(r#""exp":{FAR_EXP}"#),
        format!(r#""exp":{FAR_EXP}.0"#),
        r#""exp":4.1024448e9"#.to_string(),
        format!(r#""exp":{FAR_EXP}.75,"iat":{now}.5,"nbf":1.7e9"#),
        format!(r#""exp":{}.0,"iat":{now}E0"#, now + 60),
    ] {
        let token = signed_text(&format!(r#"{{"sub":"alice","role":"oem_admin",{dates}}}"#));
        accepted(&t, &token, "alice", "oem_admin").await;
    }
    // negative, beyond year 9999, or not a number: invalid claims, not a missing or expired one
    for (dates, claim) in [
        ("\"exp\":-1".to_string(), "exp"),
        ("\"exp\":-4102444800.0".to_string(), "exp"),
        ("\"exp\":253402300800".to_string(), "exp"),
        ("\"exp\":1e300".to_string(), "exp"),
        ("\"exp\":18446744073709551615".to_string(), "exp"),
        (format!(r#""exp":{FAR_EXP},"nbf":-5"#), "nbf"),
        (format!(r#""exp":{FAR_EXP},"iat":1e20"#), "iat"),
    ] {
        let token = signed_text(&format!(r#"{{"sub":"alice","role":"oem_admin",{dates}}}"#));
        refused(&t, &token, &["claims", claim]).await;
    }
    let text_exp = signed(json!({ "exp": FAR_EXP.to_string() }));
    refused(&t, &text_exp, &["claims"]).await;
    let nan = signed_text(r#"{"sub":"alice","role":"oem_admin","exp":NaN}"#);
    refused(&t, &nan, &["claims"]).await;
    // and `exp` stays required
    let no_exp = signed_text(r#"{"sub":"alice","role":"oem_admin"}"#);
    refused(&t, &no_exp, &["required", "exp"]).await;
}

#[tokio::test]
async fn blank_names_and_control_characters_are_refused() {
    let t = TestApp::spawn().await;
    let issuer = JwtIssuer::hs256(SECRET.as_bytes(), None, None);
    let manager = |regions: &[&str]| Principal {
        sub: "m".into(),
        role: Role::RegionalManager,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        dealer: None,
    };
    for regions in [
        &[""][..],
        &[" "],
        &["EAST", "\t"],
        &["EA\u{0}ST"],
        &["EAST\n"],
    ] {
        refused(
            &t,
            &issuer.issue(&manager(regions), 3600),
            &["claims", "region"],
        )
        .await;
    }
    let dealer = |code: &str| Principal {
        sub: "d".into(),
        role: Role::Dealer,
        regions: vec![],
        dealer: Some(code.into()),
    };
    for code in [" ", "\t", "D1\u{0}", "D\u{1b}1"] {
        refused(
            &t,
            &issuer.issue(&dealer(code), 3600),
            &["claims", "dealer"],
        )
        .await;
    }
    for sub in ["alice\u{0}", "al\rice", "\u{7f}"] {
        let p = Principal {
            sub: sub.into(),
            ..admin()
        };
        refused(&t, &issuer.issue(&p, 3600), &["claims", "sub"]).await;
    }
    // a blank `dealer` is refused whatever the role
    refused(&t, &signed(json!({ "dealer": " " })), &["claims", "dealer"]).await;
    // names with spaces or beyond ASCII are fine
    let fine = Principal {
        sub: "李 伟".into(),
        ..manager(&["EAST", "华东"])
    };
    accepted(&t, &issuer.issue(&fine, 3600), "李 伟", "regional_manager").await;
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The JWKS fixture: `test-key-1` (rs256-private.pem) and `test-key-2` (rs256-rotated-private.pem).
fn jwks_settings(s: &mut Settings) {
    s.jwt_jwks = Some(fixture("rs256-jwks.json"));
    s.jwt_secret = None;
}

fn rotated_issuer() -> JwtIssuer {
    JwtIssuer::rs256(
        include_bytes!("fixtures/rs256-rotated-private.pem"),
        None,
        None,
    )
    .unwrap()
}

#[tokio::test]
async fn a_jwks_server_chooses_the_key_by_kid() {
    let t = TestApp::spawn_with(jwks_settings).await;
    let key1 = rs256_issuer().with_key_id("test-key-1");
    let key2 = rotated_issuer().with_key_id("test-key-2");
    accepted(&t, &key1.issue(&admin(), 3600), "alice", "oem_admin").await;
    accepted(&t, &key2.issue(&admin(), 3600), "alice", "oem_admin").await;
    // an unknown `kid` is refused without naming any key
    let unknown = rs256_issuer().with_key_id("test-key-3");
    let (status, _, body) =
        with_header(&t, &format!("Bearer {}", unknown.issue(&admin(), 3600))).await;
    assert_eq!(status, 401, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("kid"), "{message}");
    let jwks = std::fs::read_to_string(fixture("rs256-jwks.json")).unwrap();
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    for key in jwks["keys"].as_array().unwrap() {
        for part in ["kid", "n"] {
            let material = key[part].as_str().unwrap();
            assert!(
                !message.contains(&material[..8.min(material.len())]),
                "{message}"
            );
        }
    }
    // without `kid`, two keys are one too many
    refused(&t, &rs256_issuer().issue(&admin(), 3600), &["kid"]).await;
    refused(&t, &rotated_issuer().issue(&admin(), 3600), &["kid"]).await;
    // a `kid` names a key, it does not lend its trust to another one
    let swapped = rotated_issuer().with_key_id("test-key-1");
    refused(&t, &swapped.issue(&admin(), 3600), &["signature"]).await;
    // the algorithm stays pinned: HS256 (even keyed with the public key), alg none
    let hs = JwtIssuer::hs256(SECRET.as_bytes(), None, None).with_key_id("test-key-1");
    refused(&t, &hs.issue(&admin(), 3600), &["algorithm", "rs256"]).await;
    let public = include_bytes!("fixtures/rs256-public.pem");
    let confused = JwtIssuer::hs256(public, None, None).with_key_id("test-key-1");
    refused(&t, &confused.issue(&admin(), 3600), &["algorithm"]).await;
    let claims = json!({ "sub": "mallory", "role": "oem_admin", "exp": FAR_EXP });
    let none = hand_made(r#"{"alg":"none","kid":"test-key-1"}"#, &claims);
    refused(&t, &none, &["algorithm", "none"]).await;
    // and expired is expired
    refused(&t, &key2.issue(&admin(), -3600), &["expired"]).await;
}

#[tokio::test]
async fn a_jwks_of_one_key_accepts_a_token_without_kid() {
    let dir = tempfile::tempdir().unwrap();
    let jwks: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("rs256-jwks.json")).unwrap())
            .unwrap();
    let mut key = jwks["keys"][0].clone();
    key.as_object_mut().unwrap().remove("kid");
    let path = dir.path().join("one.json");
    std::fs::write(&path, json!({ "keys": [key] }).to_string()).unwrap();
    let t = TestApp::spawn_with(|s| {
        s.jwt_jwks = Some(path);
        s.jwt_secret = None;
    })
    .await;
    accepted(
        &t,
        &rs256_issuer().issue(&admin(), 3600),
        "alice",
        "oem_admin",
    )
    .await;
    refused(&t, &rotated_issuer().issue(&admin(), 3600), &["signature"]).await;
    let named = rs256_issuer().with_key_id("test-key-1");
    refused(&t, &named.issue(&admin(), 3600), &["kid"]).await;
}

#[tokio::test]
async fn a_jwks_excludes_a_secret_or_a_public_key_and_must_be_one() {
    async fn start(configure: impl FnOnce(&mut Settings)) -> String {
        let mut settings = Settings::for_database("sqlite::memory:");
        configure(&mut settings);
        let store = msi_hub::store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        match App::with_store(settings, store).await {
            Ok(_) => "started".into(),
            Err(e) => e.to_string(),
        }
    }
    let with_secret = start(|s| {
        jwks_settings(s);
        s.jwt_secret = Some(SECRET.into());
    })
    .await;
    assert!(with_secret.contains("MSI_JWT_JWKS"), "{with_secret}");
    let with_pem = start(|s| {
        jwks_settings(s);
        rs256_settings(s);
    })
    .await;
    assert!(with_pem.contains("MSI_JWT_JWKS"), "{with_pem}");
    let not_a_set = start(|s| s.jwt_jwks = Some(fixture("rs256-public.pem"))).await;
    assert!(not_a_set.contains("not a JSON Web Key Set"), "{not_a_set}");
    let missing = start(|s| s.jwt_jwks = Some(fixture("no-such.json"))).await;
    assert!(missing.contains("cannot read MSI_JWT_JWKS"), "{missing}");
    assert_eq!(start(jwks_settings).await, "started");
}
