//! The edges hold: every request's cost is bounded before it runs, no input panics or
//! reaches the database unchecked, every error has a code and echoes little, a panic harms
//! only its own request, slow requests and silent connections end.

mod common;

use std::time::{Duration, Instant};

use common::{amend, report_input, submit, TestApp};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
        .to_string()
}

#[tokio::test]
async fn every_request_has_a_bounded_cost_decided_before_it_runs() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let bi = t.bi();
    let aliases = |n: usize, field: &str| {
        let mut q = String::from("{");
        for i in 0..n {
            q.push_str(&format!(" a{i}: {field}"));
        }
        q.push('}');
        q
    };
    let started = Instant::now();
    // 8,000 rankings: refused on their count, before validation looks at them.
    let q = aliases(
        8_000,
        r#"ranking(kpi: "first_time_fix", period: { month: "2024-05" }) { aggregate { pooled } }"#,
    );
    let body = t.gql(&bi, &q, json!({})).await;
    assert_eq!(code(&body), "TOO_MANY_ROOT_FIELDS", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], 32);
    assert_eq!(body["data"], Value::Null);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Twenty whole fact pages: over the cost budget (a page costs its size).
    let q = aliases(
        20,
        r#"kpiFactTable(from: "2024-05", to: "2024-05", first: 10000) { csv }"#,
    );
    let body = t.gql(&bi, &q, json!({})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], 25_000);
    // Two pages are fine.
    let q = aliases(
        2,
        r#"kpiFactTable(from: "2024-05", to: "2024-05", first: 10000) { count }"#,
    );
    t.ok(&bi, &q, json!({})).await;
    // A fragment that doubles twenty times.
    let mut q = String::from("{ ...F0 } fragment F20 on Query { me { sub } }");
    for i in 0..20 {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    let body = t.gql(&bi, &q, json!({})).await;
    assert_eq!(code(&body), "TOO_MANY_ROOT_FIELDS", "{body}");
    // Fact requests span at most 120 months.
    let q = r#"{ kpiFacts(from: "1900-01", to: "9999-12") { edges { node { kpi } } } }"#;
    let body = t.gql(&bi, q, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "to");
    // A long range of empty months pages through to its end.
    submit(&t, &t.admin(), "D1", "2024-05", report_input(&[])).await;
    let q = r#"query($after: String) { kpiFactTable(from: "2015-01", to: "2024-12", kpis: ["comeback_rate"], first: 10000, after: $after) { count hasNextPage endCursor } }"#;
    let (mut after, mut total, mut pages) = (Value::Null, 0, 0);
    loop {
        let p = t.ok(&bi, q, json!({ "after": after })).await["kpiFactTable"].clone();
        total += p["count"].as_i64().unwrap();
        pages += 1;
        if p["hasNextPage"] == false {
            break;
        }
        after = p["endCursor"].clone();
        assert!(pages < 100);
    }
    assert_eq!(total, 1);
    assert!(pages > 1, "120 months from the database take several pages");
}

#[tokio::test]
async fn every_error_has_a_code_and_echoes_little() {
    let t = TestApp::spawn().await;
    let admin = t.admin();
    assert_eq!(
        code(&t.gql(&admin, "{", json!({})).await),
        "GRAPHQL_PARSE_FAILED"
    );
    assert_eq!(
        code(&t.gql(&admin, "{ nope }", json!({})).await),
        "GRAPHQL_VALIDATION_FAILED"
    );
    // A huge wrong value comes back as an excerpt.
    let huge = "x".repeat(200_000);
    for (q, vars) in [
        (
            "query($m: Month!) { submissionStatus(month: $m) { deadline } }",
            json!({ "m": huge }),
        ),
        (
            r#"query($k: String!) { ranking(kpi: $k, period: { month: "2024-05" }) { kpi { code } } }"#,
            json!({ "k": huge }),
        ),
    ] {
        let body = t.gql(&admin, q, vars).await;
        assert_eq!(
            code(&body),
            "BAD_USER_INPUT",
            "{}",
            &body.to_string()[..300]
        );
        assert!(
            body.to_string().len() < 1_000,
            "{}",
            &body.to_string()[..300]
        );
    }
    // A body that is not JSON gets a JSON error.
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "BAD_REQUEST");
}

#[tokio::test]
async fn control_characters_are_refused_with_the_field_and_never_stored() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    let field = |body: &Value| body["errors"][0]["extensions"]["field"].clone();
    let create = r#"mutation($n: String!) { createDealer(input: { code: "D9", name: $n, brand: "Aurora", province: "江苏", city: "南京", sizeTier: SMALL, openedMonth: "2024-01", regionCode: "EAST" }) { code } }"#;
    for name in ["a\u{0}b", "a\u{1b}[31mb", "\t"] {
        let body = t.gql(&admin, create, json!({ "n": name })).await;
        assert_eq!(
            (code(&body), field(&body)),
            ("BAD_USER_INPUT".into(), json!("name")),
            "{body}"
        );
    }
    let dealers =
        "query($s: String, $r: String) { dealers(search: $s, regionCode: $r) { nodes { code } } }";
    for (vars, f) in [
        (json!({ "s": "D\u{0}" }), "search"),
        (json!({ "s": "x".repeat(900_000) }), "search"),
        (json!({ "r": "EA\u{0}ST" }), "regionCode"),
    ] {
        let body = t.gql(&admin, dealers, vars).await;
        assert_eq!(
            (code(&body), field(&body)),
            ("BAD_USER_INPUT".into(), json!(f)),
            "{}",
            &body.to_string()[..200.min(body.to_string().len())]
        );
    }
    let one = "query($c: String!) { dealer(code: $c) { code } }";
    let body = t.gql(&admin, one, json!({ "c": "D1\u{0}" })).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), json!("dealerCode"))
    );
    submit(&t, &admin, "D1", "2024-05", report_input(&[])).await;
    let r = amend(
        &t,
        &admin,
        "D1",
        "2024-05",
        report_input(&[("ro_washed", json!(3))]),
        1,
        "fix\u{0}",
    )
    .await;
    assert_eq!(
        (code(&r), field(&r)),
        ("BAD_USER_INPUT".into(), json!("reason")),
        "{r}"
    );
    // Nothing was stored.
    let d = t
        .ok(&admin, "{ dealers { nodes { code } } }", json!({}))
        .await;
    assert_eq!(d["dealers"]["nodes"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn money_has_one_plain_form_and_no_value_panics() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    let q = "mutation($i: ReportInput) { submitMonthlyReport(dealerCode: \"D1\", month: \"2024-05\", input: $i) { outcome violations { field rule } } }";
    for bad in [
        "1_000", "1.5e2", "+5", " 5", "5 ", "1,000.00", "0x10", "Infinity",
    ] {
        let input = report_input(&[("labor_revenue_customer", json!(bad))]);
        let body = t.gql(&admin, q, json!({ "i": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}: {body}");
    }
    for (value, rule) in [
        ("1.230", "TWO_DECIMALS"),
        ("79228162514264337593543950335", "RANGE"),
        ("-79228162514264337593543950335", "RANGE"),
        ("-5.00", "NON_NEGATIVE"),
        ("100000000000.01", "RANGE"),
    ] {
        let input = report_input(&[("labor_revenue_customer", json!(value))]);
        let r = t.ok(&admin, q, json!({ "i": input })).await["submitMonthlyReport"].clone();
        assert_eq!(r["outcome"], "REJECTED", "{value}: {r}");
        assert_eq!(r["violations"][0]["rule"], rule, "{value}: {r}");
    }
    let set = r#"mutation($v: Decimal!) { setOemParameter(name: "annual_visits_per_vehicle", year: 2024, value: $v) { factsRecomputed } }"#;
    for v in ["79228162514264337593543950335", "1000000", "101"] {
        let body = t.gql(&admin, set, json!({ "v": v })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{v}: {body}");
    }
}

#[tokio::test]
async fn administrators_input_is_checked_for_plausibility() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    let field = |body: &Value| body["errors"][0]["extensions"]["field"].clone();
    let create = r#"mutation($m: Month!) { createDealer(input: { code: "D9", name: "n", brand: "Aurora", province: "江苏", city: "南京", sizeTier: SMALL, openedMonth: $m, regionCode: "EAST" }) { code } }"#;
    let body = t.gql(&admin, create, json!({ "m": "9999-12" })).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), json!("openedMonth"))
    );
    submit(&t, &admin, "D1", "2024-03", report_input(&[])).await;
    submit(&t, &admin, "D1", "2024-05", report_input(&[])).await;
    // Opening after its first report, closing before its last: refused.
    let update =
        r#"mutation { updateDealer(code: "D1", input: { openedMonth: "2024-04" }) { code } }"#;
    let body = t.gql(&admin, update, json!({})).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), json!("openedMonth"))
    );
    let close = r#"mutation { closeDealer(code: "D1", closedMonth: "2024-04") { code } }"#;
    let body = t.gql(&admin, close, json!({})).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), json!("closedMonth"))
    );
    let far = r#"mutation { moveDealer(code: "D1", regionCode: "WEST", effectiveMonth: "2030-01") { code } }"#;
    let body = t.gql(&admin, far, json!({})).await;
    assert_eq!(
        (code(&body), field(&body)),
        ("BAD_USER_INPUT".into(), json!("effectiveMonth"))
    );
}

#[tokio::test]
async fn a_panic_answers_internal_for_its_request_only_and_leaves_the_cache_working() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    submit(&t, &t.admin(), "D1", "2024-05", report_input(&[])).await;
    let admin = t.admin();
    let panic =
        json!({ "query": "query InjectPanic { me { sub } }", "operationName": "InjectPanic" });
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .bearer_auth(&admin)
        .json(&panic)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    // Its request id, to find it in the log.
    assert!(resp.headers().get("x-request-id").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "INTERNAL");
    assert!(!body.to_string().contains("fault injection"), "{body}");
    // A panic while the KPI cache's lock is held: that request fails …
    let ranking = r#"{ ranking(kpi: "comeback_rate", period: { month: "2024-05" }) { aggregate { dealersWithValue } } }"#;
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .bearer_auth(&admin)
        .json(&json!({ "query": format!("query InjectCachePanic {ranking}"), "operationName": "InjectCachePanic" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    // … and every later one works, the cache included, and the replica stays ready.
    for _ in 0..3 {
        let d = t.ok(&admin, ranking, json!({})).await;
        assert_eq!(d["ranking"]["aggregate"]["dealersWithValue"], 1);
    }
    submit(&t, &t.admin(), "D2", "2024-05", report_input(&[])).await;
    let d = t.ok(&admin, ranking, json!({})).await;
    assert_eq!(d["ranking"]["aggregate"]["dealersWithValue"], 2);
    let ready = t
        .client
        .get(format!("{}/readyz", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}

/// Connections are not pinged on every use (that doubled every query's round trips), but
/// one that sat idle is: after the database ended them all, the next request works.
#[tokio::test]
async fn connections_the_database_ended_are_replaced() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    let q = "{ dealers(first: 1) { totalCount } }";
    let count = |d: Value| d["dealers"]["totalCount"].clone();
    let before = count(t.ok(&admin, q, json!({})).await);
    if !t.drop_connections().await {
        return;
    }
    // Idle for longer than the pool's ping threshold (1 s).
    tokio::time::sleep(std::time::Duration::from_millis(1_300)).await;
    for _ in 0..3 {
        assert_eq!(count(t.ok(&admin, q, json!({})).await), before);
    }
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_a_timeout_error() {
    let t = TestApp::spawn_with(|s| s.request_timeout_secs = 1).await;
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .bearer_auth(t.admin())
        .json(&json!({ "query": "query InjectSlow { me { sub } }", "operationName": "InjectSlow" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "TIMEOUT");
    assert_eq!(body["errors"][0]["extensions"]["limitSeconds"], 1);
}

#[tokio::test]
async fn silent_connections_are_closed_and_do_not_lock_others_out() {
    let t = TestApp::spawn_with(|s| {
        s.header_timeout_secs = 1;
        s.max_connections = 4;
    })
    .await;
    let addr = t.base.trim_start_matches("http://").to_string();
    // As many connections as allowed, each sending half a request and going silent.
    let mut silent = Vec::new();
    for _ in 0..4 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Ty")
            .await
            .unwrap();
        silent.push(c);
    }
    // Health still answers: the silent ones are closed after the header timeout.
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        t.client.get(format!("{}/healthz", t.base)).send(),
    )
    .await
    .expect("healthz answers within 10 s")
    .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    for mut c in silent {
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf))
            .await
            .expect("the server closes the silent connection")
            .unwrap_or(0);
        // Closed, possibly after a 408 status line from the HTTP layer.
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    }
}

#[tokio::test]
async fn readiness_needs_the_schema_this_build_expects() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/empty.db", dir.path().display());
    let store = msi_hub::store::connect(&url).await.unwrap();
    let mut settings = msi_hub::config::Settings::for_database(&url);
    settings.jwt_secret = Some(common::SECRET.into());
    let app = msi_hub::app::App::with_store(settings, store)
        .await
        .unwrap();
    let why = app.readiness().await.unwrap_err();
    assert!(why.contains("schema is at version 0"), "{why}");
}
