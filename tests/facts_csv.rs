//! `GET /facts.csv`: the facts of `kpiFacts`, streamed as one CSV with a header line, with
//! the same arguments, the same scope and the same refusals.

mod common;

use std::io::Read;

use common::{report_input, submit, TestApp};
use serde_json::{json, Value};

/// D1 (EAST), D2 (WEST), D3 (WEST since April) submit May; D1 also April.
async fn reports(t: &TestApp) {
    let admin = t.admin();
    for (d, m) in [
        ("D1", "2024-04"),
        ("D1", "2024-05"),
        ("D2", "2024-05"),
        ("D3", "2024-05"),
    ] {
        let r = submit(t, &admin, d, m, report_input(&[])).await;
        assert!(
            r["outcome"].as_str().unwrap().starts_with("ACCEPTED"),
            "{r}"
        );
    }
}

async fn pull(t: &TestApp, token: Option<&str>, query: &str) -> (u16, String) {
    let mut req = t.client.get(format!("{}/facts.csv?{query}", t.base));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Every fact of `kpiFacts` for the same arguments, page by page.
async fn kpi_facts(
    t: &TestApp,
    token: &str,
    from: &str,
    to: &str,
    kpis: Option<&[&str]>,
) -> Vec<Value> {
    let q = r#"query($f: Month!, $t: Month!, $k: [String!], $a: String) {
        kpiFacts(from: $f, to: $t, kpis: $k, first: 7, after: $a) {
          edges { node { dealerCode regionCode month kpi numerator denominator value unavailableReason updatedAt } }
          pageInfo { hasNextPage endCursor } } }"#;
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = t
            .ok(
                token,
                q,
                json!({ "f": from, "t": to, "k": kpis, "a": after }),
            )
            .await;
        let page = &d["kpiFacts"];
        out.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The CSV's lines equal `kpiFacts`' nodes, in order, column by column.
fn same_facts(csv: &str, facts: &[Value]) {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("dealerCode,regionCode,month,kpi,numerator,denominator,value,unavailableReason,updatedAt")
    );
    let lines: Vec<&str> = lines.collect();
    assert_eq!(lines.len(), facts.len(), "{csv}");
    let columns = [
        "dealerCode",
        "regionCode",
        "month",
        "kpi",
        "numerator",
        "denominator",
        "value",
        "unavailableReason",
        "updatedAt",
    ];
    for (line, fact) in lines.iter().zip(facts) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), columns.len(), "{line}");
        for (cell, column) in cells.iter().zip(columns) {
            match &fact[column] {
                Value::Null => assert_eq!(*cell, "", "{column} of {line}"),
                Value::Number(n) => {
                    let v: f64 = cell.parse().unwrap();
                    assert!((v - n.as_f64().unwrap()).abs() < 1e-9, "{column} of {line}");
                }
                Value::String(s) if column == "updatedAt" => {
                    let a = chrono::DateTime::parse_from_rfc3339(s).unwrap();
                    let b = chrono::DateTime::parse_from_rfc3339(cell).unwrap();
                    assert_eq!(a, b, "{line}");
                }
                Value::String(s) if column == "unavailableReason" => {
                    assert_eq!(cell.to_uppercase(), s.to_uppercase(), "{line}");
                }
                Value::String(s) => assert_eq!(cell, s, "{column} of {line}"),
                other => panic!("unexpected {other}"),
            }
        }
    }
}

#[tokio::test]
async fn the_csv_pull_is_kpi_facts_in_one_stream() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    reports(&t).await;
    let (status, csv) = pull(&t, Some(&t.bi()), "from=2024-04&to=2024-05").await;
    assert_eq!(status, 200, "{csv}");
    let facts = kpi_facts(&t, &t.bi(), "2024-04", "2024-05", None).await;
    assert!(facts.len() > 200, "{} facts", facts.len());
    same_facts(&csv, &facts);
    // A KPI chosen, and the same facts again.
    let (_, some) = pull(
        &t,
        Some(&t.bi()),
        "from=2024-05&to=2024-05&kpis=comeback_rate,absorption",
    )
    .await;
    let facts = kpi_facts(
        &t,
        &t.bi(),
        "2024-05",
        "2024-05",
        Some(&["comeback_rate", "absorption"]),
    )
    .await;
    assert_eq!(facts.len(), 6);
    same_facts(&some, &facts);
    // Incremental: nothing was recomputed after now.
    let (_, none) = pull(
        &t,
        Some(&t.bi()),
        "from=2024-04&to=2024-05&updatedSince=2999-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(none.lines().count(), 1, "{none}");
}

#[tokio::test]
async fn each_caller_pulls_its_own_scope_only() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    reports(&t).await;
    let cases: [(String, &[&str]); 4] = [
        (t.dealer("D2"), &["D2"]),
        (t.dealer("D4"), &[]),
        (t.manager(&["EAST"]), &["D1"]),
        (t.manager(&["WEST"]), &["D2", "D3"]),
    ];
    for (token, dealers) in cases {
        let (status, csv) = pull(&t, Some(&token), "from=2024-04&to=2024-05").await;
        assert_eq!(status, 200);
        let mut seen: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen, dealers, "{csv}");
        same_facts(
            &csv,
            &kpi_facts(&t, &token, "2024-04", "2024-05", None).await,
        );
    }
}

#[tokio::test]
async fn a_bad_pull_is_refused_with_its_field_and_nothing_streams() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let (status, _) = pull(&t, None, "from=2024-04&to=2024-05").await;
    assert_eq!(status, 401);
    for (query, field) in [
        ("to=2024-05", "from"),
        ("from=2024-13&to=2024-05", "from"),
        ("from=2024-05&to=2024-04", "to"),
        ("from=2000-01&to=2024-05", "to"),
        ("from=2024-05&to=2024-05&kpis=nope", "kpi"),
        (
            "from=2024-05&to=2024-05&updatedSince=yesterday",
            "updatedSince",
        ),
    ] {
        let (status, body) = pull(&t, Some(&t.admin()), query).await;
        assert_eq!(status, 400, "{query}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        let said = body.to_string();
        assert!(said.contains(field), "{query}: {said}");
    }
}

/// The April–May pull as a BI reader with `accept` as `Accept-Encoding`, not decoded.
async fn encoded(t: &TestApp, accept: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("{}/facts.csv?from=2024-04&to=2024-05", t.base))
        .bearer_auth(t.bi())
        .header("accept-encoding", accept)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_pull_is_compressed_when_asked() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    reports(&t).await;
    let (_, plain) = pull(&t, Some(&t.bi()), "from=2024-04&to=2024-05").await;
    let resp = encoded(&t, "gzip").await;
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = resp.bytes().await.unwrap();
    assert!(
        bytes.len() * 4 < plain.len(),
        "{} of {}",
        bytes.len(),
        plain.len()
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, plain);
    // The other encodings as the client asks, gzip refused included.
    for (accept, chosen) in [
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip;q=0, br", "br"),
        ("identity", ""),
    ] {
        let resp = encoded(&t, accept).await;
        let got = resp
            .headers()
            .get("content-encoding")
            .map_or("", |v| v.to_str().unwrap())
            .to_string();
        assert_eq!(got, chosen, "{accept}");
        assert_eq!(resp.headers()["vary"], "accept-encoding", "{accept}");
        assert!(!resp.bytes().await.unwrap().is_empty());
    }
}
