//! Relay connections both ways: `first`/`after` and `last`/`before` walk the same list in
//! the same order, `totalCount` counts it whole, and `first` with `last` is refused.

mod common;

use common::{report_input, submit, TestApp};
use serde_json::{json, Value};

/// Walks a connection: forward with `first: 2`, then backward with `last: 2`; the cursors
/// (node keys) of each walk in list order, and the `totalCount` of the first page.
async fn both_ways(
    t: &TestApp,
    token: &str,
    query: &str,
    at: impl Fn(&Value) -> Value,
) -> (Vec<String>, Vec<String>, i64) {
    let mut forward = Vec::new();
    let mut total = -1;
    let mut after = Value::Null;
    loop {
        let d = t
            .ok(
                token,
                query,
                json!({ "first": 2, "after": after, "last": null, "before": null }),
            )
            .await;
        let c = at(&d);
        if total < 0 {
            total = c["totalCount"].as_i64().unwrap();
        }
        forward.extend(
            c["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["cursor"].as_str().unwrap().to_string()),
        );
        if c["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
        assert!(forward.len() < 1000, "no end");
    }
    let mut backward: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let d = t
            .ok(
                token,
                query,
                json!({ "first": null, "after": null, "last": 2, "before": before }),
            )
            .await;
        let c = at(&d);
        assert_eq!(c["totalCount"].as_i64(), Some(total));
        let page: Vec<String> = c["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["cursor"].as_str().unwrap().to_string())
            .collect();
        backward.splice(0..0, page);
        if c["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = c["pageInfo"]["startCursor"].clone();
        assert!(backward.len() < 1000, "no start");
    }
    (forward, backward, total)
}

async fn network_with_may(t: &TestApp) {
    t.seed_network().await;
    for (d, delivered) in [("D1", 50), ("D2", 20), ("D3", 40)] {
        let r = submit(
            t,
            &t.admin(),
            d,
            "2024-05",
            report_input(&[("ro_delivered", json!(delivered))]),
        )
        .await;
        assert!(
            r["outcome"].as_str().unwrap().starts_with("ACCEPTED"),
            "{r}"
        );
    }
}

/// A connection under test: its name, query, where its page is in the answer, and how
/// many items the administrator's list holds.
type Case = (&'static str, String, fn(&Value) -> Value, usize);

const PAGE: &str =
    "totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

#[tokio::test]
async fn every_connection_pages_both_ways_and_counts_its_list() {
    let t = TestApp::spawn().await;
    network_with_may(&t).await;
    let vars = "($first: Int, $after: String, $last: Int, $before: String)";
    let args = "first: $first, after: $after, last: $last, before: $before";
    let cases: Vec<Case> = vec![
        (
            "dealers",
            format!("query{vars} {{ dealers({args}) {{ {PAGE} }} }}"),
            |d| d["dealers"].clone(),
            4,
        ),
        (
            "submissionStatus.entries",
            format!("query{vars} {{ submissionStatus(month: \"2024-05\") {{ entries({args}) {{ {PAGE} }} }} }}"),
            |d| d["submissionStatus"]["entries"].clone(),
            4,
        ),
        (
            "ranking.entries",
            format!("query{vars} {{ ranking(kpi: \"comeback_rate\", period: {{ kind: MONTH, month: \"2024-05\" }}, {args}) {{ entries {{ {PAGE} }} }} }}"),
            |d| d["ranking"]["entries"].clone(),
            3,
        ),
        (
            "kpiFacts",
            format!("query{vars} {{ kpiFacts(from: \"2024-04\", to: \"2024-05\", kpis: [\"comeback_rate\", \"absorption\", \"first_time_fix\"], {args}) {{ {PAGE} }} }}"),
            |d| d["kpiFacts"].clone(),
            9,
        ),
    ];
    for (name, q, at, expected) in cases {
        let (forward, backward, total) = both_ways(&t, &t.admin(), &q, at).await;
        assert_eq!(forward.len(), expected, "{name}: {forward:?}");
        assert_eq!(forward, backward, "{name}");
        assert_eq!(total, expected as i64, "{name}");
        // A manager's list is its scope, counted as such.
        let (mine, _, count) = both_ways(&t, &t.manager(&["WEST"]), &q, at).await;
        assert_eq!(count as usize, mine.len(), "{name}");
        assert!(mine.len() < expected, "{name}: {mine:?}");
        // `first` and `last` together are refused, naming `last`.
        let both = t
            .gql(
                &t.admin(),
                &q,
                json!({ "first": 1, "last": 1, "after": null, "before": null }),
            )
            .await;
        assert_eq!(
            both["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{name}: {both}"
        );
        assert_eq!(
            both["errors"][0]["extensions"]["field"], "last",
            "{name}: {both}"
        );
        let zero = t
            .gql(
                &t.admin(),
                &q,
                json!({ "first": null, "last": 0, "after": null, "before": null }),
            )
            .await;
        assert_eq!(
            zero["errors"][0]["extensions"]["field"], "last",
            "{name}: {zero}"
        );
    }
}

#[tokio::test]
async fn action_items_page_both_ways_and_count() {
    let t = TestApp::spawn().await;
    network_with_may(&t).await;
    let create = "mutation($i: ActionItemInput!) { createActionItem(input: $i) { id } }";
    for (d, due) in [
        ("D1", "2024-07"),
        ("D2", "2024-08"),
        ("D1", "2024-09"),
        ("D3", "2024-10"),
        ("D2", "2024-11"),
    ] {
        let input = json!({ "i": {
            "dealerCode": d, "subject": "comeback_rate", "problem": "comebacks are high", "cause": "no final inspection",
            "countermeasure": "a final road test", "owner": "王师傅", "department": "车间",
            "dueMonth": due, "baselineFrom": "2024-05", "baselineTo": "2024-05" } });
        t.ok(&t.admin(), create, input).await;
    }
    let q = format!("query($first: Int, $after: String, $last: Int, $before: String) {{ actionItems(first: $first, after: $after, last: $last, before: $before) {{ {PAGE} }} }}");
    let (forward, backward, total) =
        both_ways(&t, &t.admin(), &q, |d| d["actionItems"].clone()).await;
    assert_eq!(forward.len(), 5);
    assert_eq!(forward, backward);
    assert_eq!(total, 5);
    let (d1, _, count) = both_ways(&t, &t.dealer("D1"), &q, |d| d["actionItems"].clone()).await;
    assert_eq!((d1.len(), count), (2, 2));
}

#[tokio::test]
async fn fact_pages_cut_by_their_database_budget_resume_both_ways() {
    let t = TestApp::spawn().await;
    network_with_may(&t).await;
    // 120 KPI-months, most not in memory: more than one page's database budget (64).
    let q = format!("query($first: Int, $after: String, $last: Int, $before: String) {{ kpiFacts(from: \"2015-01\", to: \"2024-12\", kpis: [\"comeback_rate\"], first: $first, after: $after, last: $last, before: $before) {{ {PAGE} }} }}");
    let mut pages = 0;
    let mut before = Value::Null;
    let mut backward: Vec<String> = Vec::new();
    loop {
        let d = t
            .ok(
                &t.bi(),
                &q,
                json!({ "first": null, "after": null, "last": 10000, "before": before }),
            )
            .await;
        let c = &d["kpiFacts"];
        pages += 1;
        let page: Vec<String> = c["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["cursor"].as_str().unwrap().to_string())
            .collect();
        backward.splice(0..0, page);
        if c["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = c["pageInfo"]["startCursor"].clone();
        assert!(pages < 10, "no start");
    }
    assert!(pages >= 2, "the budget did not cut the pull");
    let (forward, _, total) = both_ways(&t, &t.bi(), &q, |d| d["kpiFacts"].clone()).await;
    assert_eq!(backward, forward);
    assert_eq!((forward.len(), total), (3, 3));
}
