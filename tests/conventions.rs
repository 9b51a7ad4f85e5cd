//! GraphQL over HTTP as clients expect it: Automatic Persisted Queries, the allow-list,
//! batches, request ids and traces in the logs, `/metrics`, and the `token` command's
//! care with databases.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{TestApp, SECRET};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// POSTs any JSON body with a token; status and JSON answer.
async fn post_json(t: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn automatic_persisted_queries_round_trip() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let q = "query Regions { regions { code } }";
    let h = sha256(q);
    // By hash alone, unknown: the protocol's error, so that the client sends the document.
    let (status, first) = post_json(&t, &t.admin(), json!({ "extensions": persisted(&h) })).await;
    assert_eq!(status, 200);
    assert_eq!(
        first["errors"][0]["message"], "PersistedQueryNotFound",
        "{first}"
    );
    assert_eq!(
        first["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // With the document and its hash: run and remembered.
    let (_, second) = post_json(
        &t,
        &t.admin(),
        json!({ "query": q, "extensions": persisted(&h) }),
    )
    .await;
    assert!(second.get("errors").is_none(), "{second}");
    // By hash alone now: the same answer, by POST and by GET.
    let (_, third) = post_json(&t, &t.admin(), json!({ "extensions": persisted(&h) })).await;
    assert_eq!(third, second);
    let by_get: Value = t
        .client
        .get(format!("{}/graphql", t.base))
        .query(&[("extensions", persisted(&h).to_string())])
        .bearer_auth(t.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_get, second);
    // A hash that is not the document's is refused and not remembered.
    let other = "{ me { sub } }";
    let (_, wrong) = post_json(
        &t,
        &t.admin(),
        json!({ "query": other, "extensions": persisted(&h[..63]) }),
    )
    .await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let (_, lying) = post_json(
        &t,
        &t.admin(),
        json!({ "query": other, "extensions": persisted(&sha256("{ regions { name } }")) }),
    )
    .await;
    assert!(
        lying["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not match"),
        "{lying}"
    );
    let (_, still_unknown) = post_json(
        &t,
        &t.admin(),
        json!({ "extensions": persisted(&sha256("{ regions { name } }")) }),
    )
    .await;
    assert_eq!(
        still_unknown["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    // Another caller does not share this caller's documents (a hit would tell it that
    // someone sent this one).
    let (_, other_caller) = post_json(&t, &t.bi(), json!({ "extensions": persisted(&h) })).await;
    assert_eq!(
        other_caller["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    // A persisted document runs with the rights of whoever sends its hash.
    let (_, as_dealer) = post_json(
        &t,
        &t.dealer("D1"),
        json!({ "query": "{ dealer(code: \"D2\") { code } }", "extensions": persisted(&sha256("{ dealer(code: \"D2\") { code } }")) }),
    )
    .await;
    assert!(as_dealer.get("errors").is_some(), "{as_dealer}");
}

#[tokio::test]
async fn an_allow_list_runs_its_operations_and_refuses_the_rest() {
    let me = "query Me { me { sub role } }";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": sha256(me), "name": "Me", "type": "query", "body": me }]
    });
    std::fs::write(&path, manifest.to_string()).unwrap();
    let list = msi_hub::graphql::AllowList::load(path.to_str().unwrap()).unwrap();
    let t = TestApp::spawn_with(|s| s.allow_list = Some(list)).await;
    // Registered: in full or by hash.
    let full = t.ok(&t.admin(), me, json!({})).await;
    assert_eq!(full["me"]["role"], "oem_admin");
    let (_, by_hash) = post_json(
        &t,
        &t.admin(),
        json!({ "extensions": persisted(&sha256(me)) }),
    )
    .await;
    assert_eq!(by_hash["data"], full, "{by_hash}");
    // Anything else, introspection included, and APQ cannot register more.
    for q in ["{ me { sub } }", "{ __schema { queryType { name } } }"] {
        let code = t.err_code(&t.admin(), q, json!({})).await;
        assert_eq!(code, "PERSISTED_QUERY_NOT_IN_LIST", "{q}");
        let (_, apq) = post_json(
            &t,
            &t.admin(),
            json!({ "query": q, "extensions": persisted(&sha256(q)) }),
        )
        .await;
        assert_eq!(
            apq["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_IN_LIST",
            "{apq}"
        );
    }
    // A manifest that lies about a hash stops the start.
    std::fs::write(
        &path,
        manifest.to_string().replace(&sha256(me), &sha256("{ x }")),
    )
    .unwrap();
    let e = msi_hub::graphql::AllowList::load(path.to_str().unwrap()).unwrap_err();
    assert!(e.contains("SHA-256"), "{e}");
}

#[tokio::test]
async fn a_batch_answers_each_operation_in_order_and_is_bounded() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let (status, answers) = post_json(
        &t,
        &t.admin(),
        json!([
            { "query": "{ me { sub } }" },
            { "query": "query R($first: Int) { dealers(first: $first) { edges { node { code } } } }", "variables": { "first": 1 } },
            { "query": "{ nope }" },
        ]),
    )
    .await;
    assert_eq!(status, 200);
    let answers = answers.as_array().expect("an array of answers");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["data"]["me"]["sub"], "admin");
    assert_eq!(
        answers[1]["data"]["dealers"]["edges"][0]["node"]["code"],
        "D1"
    );
    // One operation's error is its own.
    assert_eq!(
        answers[2]["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    // Each operation with the caller's rights.
    let (_, dealer) = post_json(
        &t,
        &t.dealer("D1"),
        json!([{ "query": "{ me { dealerCode } }" }, { "query": "{ dealer(code: \"D2\") { code } }" }]),
    )
    .await;
    assert_eq!(dealer[0]["data"]["me"]["dealerCode"], "D1");
    assert_eq!(
        dealer[1]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{dealer}"
    );
    // Bounded: more than 10 operations are refused whole; an empty batch reads as an empty
    // document (as a body without a query does).
    let many: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ me { sub } }" }))
        .collect();
    let (status, too_many) = post_json(&t, &t.admin(), Value::Array(many)).await;
    assert_eq!(status, 400);
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"],
        "BATCH_TOO_LARGE"
    );
    assert_eq!(too_many["errors"][0]["extensions"]["limit"], 10);
    let (_, empty) = post_json(&t, &t.admin(), json!([])).await;
    assert_eq!(
        empty["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
        "{empty}"
    );
    // A mutation in a batch is stored once, as alone.
    let (_, stored) = post_json(
        &t,
        &t.admin(),
        json!([{ "query": "mutation { createRegion(input: { code: \"R9\", name: \"Nine\" }) { code } }" }, { "query": "{ regions { code } }" }]),
    )
    .await;
    assert_eq!(stored[0]["data"]["createRegion"]["code"], "R9", "{stored}");
    let codes = stored[1]["data"]["regions"].to_string();
    assert!(codes.contains("R9"), "{codes}");
}

/// One sample of an OpenMetrics text: the value of the line that starts with `prefix`.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_errors_and_reports() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let scrape = || async {
        let resp = t
            .client
            .get(format!("{}/metrics", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
        resp.text().await.unwrap()
    };
    let before = scrape().await;
    for _ in 0..3 {
        t.ok(&t.admin(), "query Regions { regions { code } }", json!({}))
            .await;
    }
    t.err_code(
        &t.dealer("D1"),
        "query Other { dealer(code: \"D2\") { code } }",
        json!({}),
    )
    .await;
    let submitted =
        common::submit(&t, &t.admin(), "D1", "2024-05", common::report_input(&[])).await;
    assert_eq!(submitted["outcome"], "ACCEPTED", "{submitted}");
    let after = scrape().await;
    // Every line is a comment or `name{labels} value`; the text ends with # EOF.
    assert!(after.ends_with("# EOF\n"));
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    let regions = "msi_graphql_requests_total{operation=\"Regions\",outcome=\"ok\"}";
    assert_eq!(sample(&before, regions), None);
    assert_eq!(sample(&after, regions), Some(3.0), "{after}");
    assert_eq!(
        sample(
            &after,
            "msi_graphql_request_duration_seconds_count{operation=\"Regions\",outcome=\"ok\"}"
        ),
        Some(3.0)
    );
    assert!(
        sample(
            &after,
            "msi_graphql_requests_total{operation=\"Other\",outcome=\"partial\"}"
        )
        .or_else(|| sample(
            &after,
            "msi_graphql_requests_total{operation=\"Other\",outcome=\"error\"}"
        )) == Some(1.0),
        "{after}"
    );
    assert_eq!(
        sample(&after, "msi_graphql_errors_total{code=\"FORBIDDEN\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&after, "msi_reports_stored_total{kind=\"submitted\"}"),
        Some(1.0),
        "{after}"
    );
    for gauge in [
        "msi_kpi_cache_bytes ",
        "msi_kpi_cache_months ",
        "msi_change_log_lag ",
        "msi_db_pool_connections ",
        "msi_db_pool_max_connections ",
    ] {
        assert!(sample(&after, gauge).is_some(), "{gauge} missing:\n{after}");
    }
    assert!(sample(&after, "msi_db_pool_max_connections ").unwrap() >= 1.0);
    // Nothing of a token, a dealer or a figure.
    assert!(!after.contains("D1") && !after.contains("Bearer"));
}

/// A free port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn each_request_is_one_json_log_line_with_its_ids_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/logs.db", dir.path().display());
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_msi-hub"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("MSI_JWT_SECRET", SECRET)
        .env("MSI_WARM_MONTHS", "0")
        .env("MSI_LOG_FORMAT", "json")
        .env_remove("MSI_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let t = TestApp::spawn().await; // for its issuer (the same secret)
    let token = t.admin();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the service did not start");
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let resp = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .header("x-request-id", "req-42")
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({ "query": "query WhoAmI { me { sub } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-request-id"], "req-42");
    // A request id is made when the client sends none.
    let made = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { sub } }" }))
        .send()
        .await
        .unwrap();
    assert!(!made.headers()["x-request-id"].is_empty());
    let _ = server.kill();
    let _ = server.wait();
    // Every line the service wrote, read to the end of its stderr (not only those the
    // reader had passed on when it stopped).
    let _ = reader.join();
    let lines: Vec<String> = rx.try_iter().collect();
    let all = lines.join("\n");
    assert!(!all.contains(&token), "a token reached the log");
    assert!(
        !all.contains("\u{1b}["),
        "colour codes in a log that is not a terminal"
    );
    let ours: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["span"]["request_id"] == "req-42")
        .collect();
    assert_eq!(ours.len(), 1, "one line for the request:\n{all}");
    let line = &ours[0];
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["span"]["trace_id"], trace, "{line}");
    assert_eq!(line["span"]["operation"], "WhoAmI", "{line}");
    assert_eq!(line["span"]["role"], "oem_admin", "{line}");
    assert_eq!(line["status"], 200, "{line}");
    assert!(
        line["latency"].is_string() || line["latency"].is_number(),
        "{line}"
    );
    // Probes are not logged.
    assert!(!all.contains("/healthz"), "{all}");
}

#[test]
fn the_token_command_says_where_its_secret_comes_from_and_creates_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("elsewhere.db");
    let token = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_msi-hub"))
            .args(["token", "--role", "oem_admin"])
            .env("DATABASE_URL", url)
            .env_remove("MSI_JWT_SECRET")
            .env("MSI_LOG", "warn")
            .output()
            .unwrap()
    };
    let refused = token(&format!("sqlite://{}", missing.display()));
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("no database at"), "{why}");
    assert!(why.contains("--database-url"), "{why}");
    assert!(!missing.exists(), "the command created a database");
    assert!(refused.stdout.is_empty());
    // Where the database exists, a token, and on standard error where its secret lives.
    let existing = dir.path().join("service.db");
    let url = format!("sqlite://{}", existing.display());
    let migrated = Command::new(env!("CARGO_BIN_EXE_msi-hub"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env_remove("MSI_JWT_SECRET")
        .env("MSI_LOG", "warn")
        .output()
        .unwrap();
    assert!(migrated.status.success());
    let issued = token(&url);
    assert!(issued.status.success(), "{issued:?}");
    let jwt = String::from_utf8(issued.stdout).unwrap();
    assert_eq!(jwt.trim().split('.').count(), 3, "{jwt}");
    let said = String::from_utf8_lossy(&issued.stderr);
    assert!(
        said.contains("development secret kept in the database"),
        "{said}"
    );
}
