//! Action plans over GraphQL: creation with a measured baseline, the effect at the due
//! month by hand, who may create, change, follow up and verify, revisions, lists scoped to
//! the caller, and bad input.

mod common;

use common::{report_input, submit, TestApp};
use serde_json::{json, Value};

const ITEM: &str = "id dealerCode subject kpi status dueMonth baselinePeriod { from to } baselineValue expectedValue \
    valueSince sincePeriod { from to } effect overdue revision createdBy";

fn create(subject: &str, due: &str, expected: Option<&str>) -> Value {
    json!({ "i": {
        "dealerCode": "D1", "subject": subject, "problem": "返修偏高 comebacks are high", "cause": "no final inspection",
        "countermeasure": "a final road test on every repair", "owner": "王师傅", "department": "车间",
        "dueMonth": due, "baselineFrom": "2024-04", "baselineTo": "2024-04", "expectedValue": expected } })
}

fn create_q() -> String {
    format!("mutation($i: ActionItemInput!) {{ createActionItem(input: $i) {{ {ITEM} }} }}")
}

fn update_q() -> String {
    format!("mutation($id: ID!, $e: Int!, $p: ActionItemPatch!, $r: String) {{ updateActionItem(id: $id, expectedRevision: $e, patch: $p, reason: $r) {{ {ITEM} }} }}")
}

fn item_q() -> String {
    format!("query($id: ID!) {{ actionItem(id: $id) {{ {ITEM} followUps {{ seq author note }} revisions {{ revision status reason author }} }} }}")
}

/// D1: April 2024, 20 comebacks of 100 delivered (first-time fix 80 %).
async fn april(t: &TestApp) {
    let r = submit(
        t,
        &t.admin(),
        "D1",
        "2024-04",
        report_input(&[("ro_delivered", json!(100)), ("ro_comebacks", json!(20))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
}

/// D1: May 2024, 3 comebacks of 100 (97 %).
async fn may(t: &TestApp) {
    let r = submit(
        t,
        &t.admin(),
        "D1",
        "2024-05",
        report_input(&[("ro_delivered", json!(100)), ("ro_comebacks", json!(3))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

#[tokio::test]
async fn the_effect_is_measured_at_the_due_month() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    april(&t).await;
    let dealer = t.dealer("D1");
    // First-time fix, higher is better: baseline April 80 %, aiming at 95 % by May.
    let a = t
        .ok(
            &dealer,
            &create_q(),
            create("first_time_fix", "2024-05", Some("95")),
        )
        .await["createActionItem"]
        .clone();
    assert!(close(&a["baselineValue"], 80.0), "{a}");
    assert_eq!(a["expectedValue"], 95.0);
    assert_eq!(
        (a["status"].as_str(), a["effect"].as_str()),
        (Some("OPEN"), Some("PENDING"))
    );
    assert_eq!(a["valueSince"], Value::Null);
    assert_eq!(
        a["sincePeriod"],
        json!({ "from": "2024-05", "to": "2024-05" })
    );
    // Due in May, open in June: overdue (the due month has passed).
    assert_eq!(a["overdue"], true);
    // Comeback rate, lower is better, no expected value: better than April's 20 %?
    let b = t
        .ok(
            &dealer,
            &create_q(),
            create("comeback_rate", "2024-05", None),
        )
        .await["createActionItem"]
        .clone();
    assert!(close(&b["baselineValue"], 20.0), "{b}");
    // Aiming too high: 98 %.
    let c = t
        .ok(
            &dealer,
            &create_q(),
            create("first_time_fix", "2024-05", Some("98")),
        )
        .await["createActionItem"]
        .clone();
    // A target item: measured by its achievement; no target, no baseline.
    let d = t
        .ok(&dealer, &create_q(), create("brand_ros", "2024-05", None))
        .await["createActionItem"]
        .clone();
    assert_eq!(
        (d["kpi"].as_str(), d["baselineValue"].clone()),
        (Some("achievement_brand_ros"), Value::Null)
    );
    // Due in April, a baseline of March.
    let mut late = create("first_time_fix", "2024-05", None);
    late["i"]["baselineFrom"] = json!("2024-03");
    late["i"]["baselineTo"] = json!("2024-03");
    late["i"]["dueMonth"] = json!("2024-04");
    let e = t.ok(&dealer, &create_q(), late).await["createActionItem"].clone();
    assert_eq!(e["overdue"], true);

    // May is reported: 97 %, 3 %.
    may(&t).await;
    let get = |id: &Value| json!({ "id": id });
    let a = t.ok(&dealer, &item_q(), get(&a["id"])).await["actionItem"].clone();
    assert!(close(&a["valueSince"], 97.0), "{a}");
    assert_eq!(a["effect"], "EFFECTIVE");
    let b = t.ok(&dealer, &item_q(), get(&b["id"])).await["actionItem"].clone();
    assert!(close(&b["valueSince"], 3.0), "{b}");
    assert_eq!(b["effect"], "EFFECTIVE");
    let c = t.ok(&dealer, &item_q(), get(&c["id"])).await["actionItem"].clone();
    assert_eq!(c["effect"], "NOT_EFFECTIVE");
    let d = t.ok(&dealer, &item_q(), get(&d["id"])).await["actionItem"].clone();
    assert_eq!(d["effect"], "PENDING");
}

#[tokio::test]
async fn who_may_create_change_follow_up_and_verify() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    april(&t).await;
    let (d1, d2, east, west, bi, admin) = (
        t.dealer("D1"),
        t.dealer("D2"),
        t.manager(&["EAST"]),
        t.manager(&["WEST"]),
        t.bi(),
        t.admin(),
    );
    for token in [&d2, &west, &bi] {
        assert_eq!(
            t.err_code(
                token,
                &create_q(),
                create("first_time_fix", "2024-05", None)
            )
            .await,
            "FORBIDDEN"
        );
    }
    let a = t
        .ok(
            &east,
            &create_q(),
            create("first_time_fix", "2024-05", None),
        )
        .await["createActionItem"]
        .clone();
    let id = a["id"].clone();
    // The dealer works on it; only its manager verifies.
    let patch = |p: Value, e: i64, r: Option<&str>| json!({ "id": id, "e": e, "p": p, "r": r });
    let u = t
        .ok(
            &d1,
            &update_q(),
            patch(
                json!({ "status": "IN_PROGRESS", "owner": "李师傅" }),
                1,
                Some("owner changed"),
            ),
        )
        .await;
    assert_eq!(u["updateActionItem"]["status"], "IN_PROGRESS");
    assert_eq!(
        t.err_code(
            &d1,
            &update_q(),
            patch(json!({ "status": "VERIFIED" }), 2, None)
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.err_code(
            &east,
            &update_q(),
            patch(json!({ "status": "VERIFIED" }), 2, None)
        )
        .await,
        "CONFLICT"
    );
    t.ok(
        &d1,
        &update_q(),
        patch(json!({ "status": "DONE" }), 2, None),
    )
    .await;
    for token in [&d2, &west, &bi] {
        assert_eq!(
            t.err_code(
                token,
                &update_q(),
                patch(json!({ "status": "OPEN" }), 3, None)
            )
            .await,
            "FORBIDDEN"
        );
    }
    // A stale revision is refused.
    let stale = t
        .gql(
            &east,
            &update_q(),
            patch(json!({ "status": "VERIFIED" }), 2, None),
        )
        .await;
    assert_eq!(
        stale["errors"][0]["extensions"]["code"], "CONFLICT",
        "{stale}"
    );
    let v = t
        .ok(
            &east,
            &update_q(),
            patch(json!({ "status": "VERIFIED" }), 3, Some("checked on site")),
        )
        .await;
    assert_eq!(v["updateActionItem"]["status"], "VERIFIED");
    assert_eq!(
        t.err_code(&admin, &update_q(), patch(json!({ "owner": "x" }), 4, None))
            .await,
        "CONFLICT"
    );

    // Follow-ups from the dealer and its manager; none from BI or others.
    let note =
        "mutation($id: ID!, $n: String!) { addFollowUp(id: $id, note: $n) { seq author note } }";
    t.ok(
        &d1,
        note,
        json!({ "id": id, "n": "road test introduced on 3 June" }),
    )
    .await;
    t.ok(
        &east,
        note,
        json!({ "id": id, "n": "seen at the June meeting" }),
    )
    .await;
    for token in [&d2, &west, &bi] {
        assert_eq!(
            t.err_code(token, note, json!({ "id": id, "n": "x" })).await,
            "FORBIDDEN"
        );
    }
    assert_eq!(
        t.err_code(&d1, note, json!({ "id": id, "n": "\u{0}" }))
            .await,
        "BAD_USER_INPUT"
    );
    let item = t.ok(&bi, &item_q(), json!({ "id": id })).await["actionItem"].clone();
    let notes: Vec<&str> = item["followUps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["note"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        ["road test introduced on 3 June", "seen at the June meeting"]
    );
    let revs: Vec<(i64, &str)> = item["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        revs,
        [
            (1, "OPEN"),
            (2, "IN_PROGRESS"),
            (3, "DONE"),
            (4, "VERIFIED")
        ]
    );
    assert_eq!(item["revisions"][1]["reason"], "owner changed");
    for token in [&d2, &west] {
        assert_eq!(
            t.err_code(token, &item_q(), json!({ "id": id })).await,
            "FORBIDDEN"
        );
    }

    // Lists are scoped: D2 and WEST's manager see none of D1's items; EAST's sees it.
    let list = "query($d: String, $r: String) { actionItems(dealerCode: $d, regionCode: $r) { edges { node { id dealerCode } } } }";
    let count = |v: &Value| v["actionItems"]["edges"].as_array().unwrap().len();
    assert_eq!(count(&t.ok(&d2, list, json!({})).await), 0);
    assert_eq!(count(&t.ok(&west, list, json!({})).await), 0);
    assert_eq!(count(&t.ok(&east, list, json!({})).await), 1);
    assert_eq!(count(&t.ok(&bi, list, json!({ "r": "EAST" })).await), 1);
    assert_eq!(
        t.err_code(&d2, list, json!({ "d": "D1" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.err_code(&west, list, json!({ "r": "EAST" })).await,
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let d1 = t.dealer("D1");
    let cases = [
        ("problem", json!("  ")),
        ("subject", json!("no_such_kpi")),
        ("dueMonth", json!("2024-04")),
        ("dueMonth", json!("2030-01")),
        ("expectedValue", json!("95.123")),
        ("owner", json!("x".repeat(101))),
    ];
    for (field, value) in cases {
        let mut v = create("first_time_fix", "2024-05", None);
        v["i"][field] = value;
        let body = t.gql(&d1, &create_q(), v).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{field}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{field}: {body}"
        );
    }
    let list = "{ actionItems { edges { node { id } } } }";
    assert_eq!(
        t.ok(&t.admin(), list, json!({})).await["actionItems"]["edges"],
        json!([])
    );
    let q = r#"{ actionItem(id: "abc") { id } }"#;
    assert_eq!(t.err_code(&d1, q, json!({})).await, "BAD_USER_INPUT");
    let q = r#"{ actionItem(id: "999") { id } }"#;
    assert_eq!(t.err_code(&d1, q, json!({})).await, "NOT_FOUND");
}
