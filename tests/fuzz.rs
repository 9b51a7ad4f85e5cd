//! A bounded fuzz test: thousands of mutated GraphQL requests against the running server,
//! with every role and with bad tokens. None may answer 5xx or panic; every answer is
//! JSON, and every error in it has `extensions.code`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{report_input, submit, TestApp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Valid requests to start from: every operation of the schema, reads and writes.
fn corpus() -> Vec<(String, Value)> {
    let q = |s: &str, v: Value| (s.to_string(), v);
    vec![
        q("{ me { sub role regions dealerCode } regions { code name } }", json!({})),
        q(r#"query($s: String, $r: String, $m: Month, $a: String) { dealers(first: 5, search: $s, regionCode: $r, month: $m, after: $a) { edges { cursor node { code name regionCode regionHistory { fromMonth regionCode } } } pageInfo { hasNextPage endCursor } } }"#,
          json!({ "s": "D", "r": "EAST", "m": "2024-05", "a": "D1" })),
        q(r#"query($c: String!, $m: Month) { dealer(code: $c, month: $m) { code name report(month: "2024-05") { revision } } }"#, json!({ "c": "D1", "m": "2024-05" })),
        q(r#"query($d: String!, $m: Month!) { report(dealerCode: $d, month: $m) { revision status values { repairOrders { roDelivered } } totals { roTotal } revisions { revision } } }"#, json!({ "d": "D1", "m": "2024-05" })),
        q(r#"query($m: Month!, $r: String, $a: String) { submissionStatus(month: $m, regionCode: $r) { counts { total missing } entries(first: 10, after: $a) { edges { node { dealerCode status } } } } }"#, json!({ "m": "2024-05", "r": "EAST", "a": "D1" })),
        q(r#"query($k: String!, $p: ReportingPeriod!, $s: ScopeInput) { ranking(kpi: $k, period: $p, scope: $s, first: 10) { aggregate { pooled median withheld disclosure } nation { pooled } entries { edges { node { rank value dealerCode } } } missingDealers } }"#,
          json!({ "k": "comeback_rate", "p": { "kind": "QUARTER", "month": "2024-05" }, "s": { "kind": "REGION", "regionCode": "EAST" } })),
        q(r#"query($d: String!, $p: ReportingPeriod!) { scorecard(dealerCode: $d, period: $p) { regionCode kpis { kpi { code } value rankInRegion region { pooled } } } }"#, json!({ "d": "D1", "p": { "month": "2024-05" } })),
        q(r#"query($d: String!) { kpiTrend(dealerCode: $d, kpi: "absorption", from: "2023-06", to: "2024-05") { month value regionValue nationValue } }"#, json!({ "d": "D1" })),
        q(r#"{ benchmarks(kpi: "technician_productivity", period: { kind: YEAR_TO_DATE, month: "2024-05" }) { nation { pooled } regions { regionCode aggregate { pooled } } } }"#, json!({})),
        q(r#"query($a: String) { kpiFacts(from: "2024-04", to: "2024-05", first: 20, after: $a) { edges { cursor node { dealerCode kpi value } } pageInfo { endCursor } } }"#, json!({ "a": null })),
        q(r#"{ kpiFactTable(from: "2024-05", to: "2024-05", first: 50) { columns csv rows count hasNextPage endCursor } }"#, json!({})),
        q("{ kpiCatalog { code nameZh unit direction guideline { low high } numerator denominator } oemParameters { name year value } }", json!({})),
        q(r#"{ publications(from: "2024-01", to: "2024-06") { month state version dueAt pendingDealers events { kind } } }"#, json!({})),
        q("mutation($d: String!, $m: Month!, $i: ReportInput) { submitMonthlyReport(dealerCode: $d, month: $m, input: $i) { outcome violations { field rule } } }",
          json!({ "d": "D2", "m": "2024-04", "i": report_input(&[]) })),
        q("mutation($d: String!, $m: Month!, $i: ReportInput!) { saveReportDraft(dealerCode: $d, month: $m, input: $i) { outcome } }",
          json!({ "d": "D1", "m": "2024-03", "i": { "repairOrders": { "roDelivered": 5 } } })),
        q("mutation($d: String!, $m: Month!, $i: ReportInput!, $e: Int!, $r: String!) { amendMonthlyReport(dealerCode: $d, month: $m, input: $i, expectedRevision: $e, reason: $r) { outcome } }",
          json!({ "d": "D1", "m": "2024-05", "i": report_input(&[("ro_washed", json!(4))]), "e": 1, "r": "fix" })),
        q(r#"mutation($c: String!, $i: UpdateDealerInput!) { updateDealer(code: $c, input: $i) { code } }"#,
          json!({ "c": "D2", "i": { "name": "n", "city": "c", "openedMonth": "2019-01" } })),
        q(r#"mutation($c: String!, $r: String!, $m: Month!) { moveDealer(code: $c, regionCode: $r, effectiveMonth: $m) { code } }"#,
          json!({ "c": "D2", "r": "NORTH", "m": "2024-06" })),
        q(r#"mutation($i: RegionInput!) { createRegion(input: $i) { code } }"#, json!({ "i": { "code": "R9", "name": "n" } })),
        q(r#"mutation($i: CreateDealerInput!) { createDealer(input: $i) { code } }"#,
          json!({ "i": { "code": "DX", "name": "x", "brand": "Aurora", "province": "p", "city": "c", "sizeTier": "SMALL", "openedMonth": "2024-01", "regionCode": "EAST" } })),
        q(r#"mutation { moveDealer(code: "D2", regionCode: "EAST", effectiveMonth: "2024-06") { code } }"#, json!({})),
        q(r#"mutation { setOemParameter(name: "annual_visits_per_vehicle", year: 2024, value: "2.5") { factsRecomputed } }"#, json!({})),
        q(r#"mutation { publishMonth(month: "2024-04") { members } }"#, json!({})),
        q(r#"mutation { republishMonth(month: "2024-04") { version } }"#, json!({})),
        q(r#"mutation { schedulePublication(month: "2024-05", at: "2024-07-01T00:00:00Z") { month } }"#, json!({})),
    ]
}

/// Strings that break naive code.
const NASTY: [&str; 14] = [
    "",
    "\u{0}",
    "D1\u{0}",
    "'; DROP TABLE reports; --",
    "%",
    "_",
    "\\",
    "9999-12",
    "0000-00",
    "-1",
    "1e999",
    "NaN",
    "\u{202e}evil",
    "😀",
];

fn nasty_value(rng: &mut StdRng) -> Value {
    match rng.gen_range(0..12) {
        0..=3 => json!(NASTY[rng.gen_range(0..NASTY.len())]),
        4 => json!(i64::MAX),
        5 => json!(-1),
        6 => json!(1.5e300),
        7 => json!(null),
        8 => json!("x".repeat(rng.gen_range(1..20_000))),
        9 => json!([1, "a", null]),
        10 => json!({ "kind": "RANGE", "month": "1900-01", "to": "9999-12" }),
        _ => json!(true),
    }
}

/// Replaces a random leaf of a JSON value.
fn mutate_value(v: &mut Value, rng: &mut StdRng) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = &keys[rng.gen_range(0..keys.len())];
            if rng.gen_bool(0.3) {
                m.insert(k.clone(), nasty_value(rng));
            } else if let Some(inner) = m.get_mut(k) {
                mutate_value(inner, rng);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = rng.gen_range(0..a.len());
            mutate_value(&mut a[i], rng);
        }
        leaf => *leaf = nasty_value(rng),
    }
}

/// Paths of every leaf of a JSON value (object keys and array indexes).
fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn set_at(v: &mut Value, path: &[String], to: Value) {
    match path.split_first() {
        None => *v = to,
        Some((k, rest)) => {
            let next = match v {
                Value::Object(m) => m.get_mut(k),
                Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            };
            if let Some(next) = next {
                set_at(next, rest, to);
            }
        }
    }
}

/// Mutates a query text: byte flips, deletions, duplications, nesting, literal swaps.
fn mutate_query(q: &str, rng: &mut StdRng) -> String {
    let mut s: Vec<char> = q.chars().collect();
    match rng.gen_range(0..7) {
        0 => {
            for _ in 0..rng.gen_range(1..4) {
                let i = rng.gen_range(0..s.len());
                s[i] = ['{', '}', '(', ')', '$', '"', ':', '!', '@', '\\', 'x', ' ']
                    [rng.gen_range(0..12)];
            }
        }
        1 => {
            let i = rng.gen_range(0..s.len());
            let j = (i + rng.gen_range(1..20)).min(s.len());
            s.drain(i..j);
        }
        2 => {
            let i = rng.gen_range(0..s.len());
            let j = (i + rng.gen_range(1..40)).min(s.len());
            let part: Vec<char> = s[i..j].to_vec();
            for (k, c) in part.into_iter().enumerate() {
                s.insert(j + k, c);
            }
        }
        3 => {
            return format!(
                "{{ a: __typename {} }}",
                "b: __typename ".repeat(rng.gen_range(0..60))
            )
        }
        4 => {
            return format!(
                "{}{}",
                "{ me ".repeat(rng.gen_range(1..40)),
                "}".repeat(rng.gen_range(1..40))
            )
        }
        5 => {
            let lit = NASTY[rng.gen_range(0..NASTY.len())].replace('"', "");
            return q.replacen("\"2024-05\"", &format!("\"{lit}\""), 1);
        }
        _ => {
            let i = rng.gen_range(0..s.len());
            s.insert(i, char::from_u32(rng.gen_range(0..0x3000)).unwrap_or('?'));
        }
    }
    s.into_iter().collect()
}

#[tokio::test]
async fn thousands_of_mutated_requests_never_break_the_server() {
    let panics = Arc::new(AtomicUsize::new(0));
    let seen = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        seen.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let t = TestApp::spawn().await;
    t.seed_network().await;
    for (d, m) in [
        ("D1", "2024-04"),
        ("D1", "2024-05"),
        ("D2", "2024-05"),
        ("D3", "2024-05"),
    ] {
        submit(&t, &t.admin(), d, m, report_input(&[])).await;
    }
    let tokens = [
        Some(t.admin()),
        Some(t.bi()),
        Some(t.manager(&["EAST"])),
        Some(t.dealer("D1")),
        Some(t.dealer("D2")),
        None,
        Some("not.a.token".to_string()),
    ];
    let corpus = corpus();
    let mut rng = StdRng::seed_from_u64(20_261_125);
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    // Every argument of every request with every nasty value (as an admin and as a dealer),
    // then random mutations of texts and values with any token.
    let mut cases: Vec<(String, Value, Option<String>, bool)> = Vec::new();
    for (q, vars) in &corpus {
        let mut paths = Vec::new();
        leaves(vars, &mut Vec::new(), &mut paths);
        for path in &paths {
            for nasty in NASTY {
                for token in [&tokens[0], &tokens[3]] {
                    let mut v = vars.clone();
                    set_at(&mut v, path, json!(nasty));
                    cases.push((q.clone(), v, token.clone(), false));
                }
            }
        }
    }
    for _ in 0..3_000 {
        let (q, vars) = &corpus[rng.gen_range(0..corpus.len())];
        let mut vars = vars.clone();
        let query = if rng.gen_bool(0.5) {
            mutate_query(q, &mut rng)
        } else {
            for _ in 0..rng.gen_range(1..=3) {
                mutate_value(&mut vars, &mut rng);
            }
            q.clone()
        };
        let token = tokens[rng.gen_range(0..tokens.len())].clone();
        // Now and then the body itself is broken.
        cases.push((query, vars, token, rng.gen_ratio(1, 20)));
    }
    assert!(cases.len() > 4_000, "{}", cases.len());
    for (i, (query, vars, token, broken)) in cases.iter().enumerate() {
        let mut req = t.client.post(format!("{}/graphql", t.base));
        if let Some(tok) = token {
            req = req.bearer_auth(tok);
        }
        let req = if *broken {
            let body = json!({ "query": query, "variables": vars }).to_string();
            // Cut anywhere, even inside a character: not even UTF-8 any more.
            req.header("content-type", "application/json")
                .body(body.into_bytes()[..query.len() / 2].to_vec())
        } else {
            req.json(&json!({ "query": query, "variables": vars }))
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} lost its connection: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert!(
            status < 500,
            "request {i} answered {status}: {query} {vars} -> {text}"
        );
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("request {i} answered {status} with no JSON: {text}"));
        for e in body["errors"].as_array().into_iter().flatten() {
            let code = e["extensions"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("request {i}: an error without a code: {e} ({query})"));
            assert!(
                code != "INTERNAL",
                "request {i}: INTERNAL for {query} {vars}: {e}"
            );
            assert!(
                e["message"].as_str().unwrap_or_default().chars().count() <= 400,
                "request {i}: {e}"
            );
            *codes.entry(code.to_string()).or_default() += 1;
        }
    }
    assert_eq!(panics.load(Ordering::SeqCst), 0, "panics during the run");
    // The run reached deep: validation, input and authorization errors all occurred.
    for c in [
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "FORBIDDEN",
        "UNAUTHENTICATED",
    ] {
        assert!(codes.get(c).is_some_and(|n| *n > 0), "no {c} in {codes:?}");
    }
    // And the server still answers normally.
    let d = t.ok(&t.admin(), "{ me { role } }", json!({})).await;
    assert_eq!(d["me"]["role"], "oem_admin");
}
