//! The monthly meeting on a small network built by hand: exceptions of each kind, the
//! action items that answer them, the order (worst first), scoping per role, and the
//! agenda.

mod common;

use common::{report_input, submit, TestApp};
use serde_json::{json, Value};

/// A May report inside every guideline band and otherwise like every other dealer's:
/// productivity 1 500 / 1 300 = 115 % (≥ 110), utilization 1 300 / 1 500 = 87 % (≥ 85),
/// absorption 3 000 / 3 500 = 86 % (75–100), body-paint bay ROs 30 / (2 bays × 22 days) =
/// 0.68 (≥ 0.52), parts fill 100 % (≥ 95); 2 comebacks of 100 delivered.
fn clean(extra: &[(&str, Value)]) -> Value {
    let mut o: Vec<(&str, Value)> = vec![
        ("hours_sold", json!("1500.00")),
        ("hours_worked", json!("1300.00")),
        ("dealership_expenses_total", json!("3500.00")),
        ("body_bays", json!(1)),
        ("paint_bays", json!(1)),
        ("ro_body_paint_delivered", json!(30)),
        ("ro_delivered", json!(100)),
        ("ro_comebacks", json!(2)),
    ];
    for (k, v) in extra {
        o.retain(|(x, _)| x != k);
        o.push((k, v.clone()));
    }
    report_input(&o)
}

/// May 2024 (due 10 June):
/// - D1 (EAST): 30 comebacks of 100, and 1 200 of 1 500 hours worked (utilization 80 %);
///   an open action item on its comeback rate.
/// - D2 (WEST): clean, but 60 ROs against a target of 100 a month (1 200 a year, even).
/// - D3 (WEST since April): no report.
/// - D4 (NORTH): clean, submitted on 15 June, after the deadline.
async fn network() -> TestApp {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    let d1 = clean(&[
        ("ro_comebacks", json!(30)),
        ("hours_worked", json!("1200.00")),
    ]);
    for (d, r) in [("D1", d1), ("D2", clean(&[]))] {
        let s = submit(&t, &admin, d, "2024-05", r).await;
        assert_eq!(s["outcome"], "ACCEPTED", "{d}: {s}");
    }
    for (q, v) in [
        ("mutation { saveTarget(dealerCode: \"D2\", year: 2024, item: \"total_ros\", value: \"1200\", expectedRevision: 0) { revision } }", json!({})),
        ("mutation { proposeTarget(dealerCode: \"D2\", year: 2024, item: \"total_ros\", expectedRevision: 1) { revision } }", json!({})),
        ("mutation { approveTarget(dealerCode: \"D2\", year: 2024, item: \"total_ros\", expectedRevision: 2) { revision } }", json!({})),
    ] {
        t.ok(&admin, q, v).await;
    }
    let item = json!({ "i": { "dealerCode": "D1", "subject": "comeback_rate", "problem": "30 % comebacks", "cause": "no road test",
        "countermeasure": "road test every repair", "owner": "王师傅", "department": "车间", "dueMonth": "2024-07",
        "baselineFrom": "2024-05", "baselineTo": "2024-05" } });
    t.ok(
        &t.dealer("D1"),
        "mutation($i: ActionItemInput!) { createActionItem(input: $i) { id } }",
        item,
    )
    .await;
    // D4 reports on 15 June: late.
    let later = t
        .replica_with(|s| s.now = Some("2024-06-15T04:00:00Z".parse().unwrap()))
        .await;
    let s = submit(&later, &admin, "D4", "2024-05", clean(&[])).await;
    assert_eq!(s["outcome"], "ACCEPTED", "{s}");
    t
}

const EXCEPTIONS: &str = r#"query($s: ScopeInput) { exceptions(scope: $s, period: { month: "2024-05" }) {
  dealersInScope dealersWithExceptions dealers { dealerCode uncovered exceptions { kind kpi month value percentile guidelineStatus uncovered actionItems { subject } } } } }"#;

/// An exception in short: (kind, KPI or month, uncovered).
type Short = (String, String, bool);

/// (dealer, its exceptions in short) in the order given.
fn summary(r: &Value) -> Vec<(String, Vec<Short>)> {
    r["exceptions"]["dealers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let ex = d["exceptions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let what = e["kpi"]
                        .as_str()
                        .or(e["month"].as_str())
                        .unwrap_or("")
                        .to_string();
                    (
                        e["kind"].as_str().unwrap().to_string(),
                        what,
                        e["uncovered"].as_bool().unwrap(),
                    )
                })
                .collect();
            (d["dealerCode"].as_str().unwrap().to_string(), ex)
        })
        .collect()
}

fn ex(kind: &str, what: &str, uncovered: bool) -> Short {
    (kind.into(), what.into(), uncovered)
}

#[tokio::test]
async fn exceptions_of_a_network_built_by_hand() {
    let t = network().await;
    // On 20 June May's deadline has passed: D3's missing report counts.
    let t = t
        .replica_with(|s| s.now = Some("2024-06-20T04:00:00Z".parse().unwrap()))
        .await;
    let r = t.ok(&t.admin(), EXCEPTIONS, json!({})).await;
    assert_eq!(r["exceptions"]["dealersInScope"], 4);
    assert_eq!(r["exceptions"]["dealersWithExceptions"], 4);
    // D1 is worst among D1, D2, D4 on comebacks (first-time fix 70 %, comeback rate 30 %,
    // comeback share of ROs 30 / 60) and utilization (80 %, also below its 85 % guideline):
    // four gaps without a countermeasure (its comeback rate has one). D2: 60 ROs of 100
    // phased, 60 % achievement. D3: no report. D4: late.
    assert_eq!(
        summary(&r),
        vec![
            (
                "D1".into(),
                // Equal percentiles (0: the worst) in the catalog's order.
                vec![
                    ex("BOTTOM_QUARTILE", "first_time_fix", true),
                    ex("BOTTOM_QUARTILE", "technician_utilization", true),
                    ex("BOTTOM_QUARTILE", "comeback_rate", false),
                    ex("BOTTOM_QUARTILE", "comeback_ro_share", true),
                    ex("OUTSIDE_GUIDELINE", "technician_utilization", true),
                ]
            ),
            (
                "D2".into(),
                vec![ex("BEHIND_TARGET", "achievement_total_ros", true)]
            ),
            ("D3".into(), vec![ex("MISSING_REPORT", "2024-05", false)]),
            ("D4".into(), vec![ex("LATE_REPORT", "2024-05", false)]),
        ]
    );
    let d1 = &r["exceptions"]["dealers"][0];
    assert_eq!(d1["uncovered"], 4);
    assert_eq!(
        d1["exceptions"][2]["actionItems"],
        json!([{ "subject": "comeback_rate" }])
    );
    assert_eq!(d1["exceptions"][0]["percentile"], 0.0);
    assert_eq!(d1["exceptions"][4]["guidelineStatus"], "BELOW");
    let d2 = &r["exceptions"]["dealers"][1];
    assert_eq!(d2["exceptions"][0]["value"], 60.0);

    // A regional manager sees its regions' dealers only, even over the nation.
    let east = t.manager(&["EAST"]);
    for scope in [
        Value::Null,
        json!({ "kind": "REGION", "regionCode": "EAST" }),
    ] {
        let r = t.ok(&east, EXCEPTIONS, json!({ "s": scope })).await;
        let codes: Vec<String> = summary(&r).into_iter().map(|(d, _)| d).collect();
        assert_eq!(codes, ["D1"]);
        assert_eq!(r["exceptions"]["dealersInScope"], 1);
    }
    let west_scope = json!({ "s": { "kind": "REGION", "regionCode": "WEST" } });
    assert_eq!(t.err_code(&east, EXCEPTIONS, west_scope).await, "FORBIDDEN");
    // A dealer gets its own line: its target live; where it stands in the nation only
    // from published months (May is not published: no bottom-quartile judgement).
    let r = t.ok(&t.dealer("D2"), EXCEPTIONS, json!({})).await;
    assert_eq!(
        summary(&r),
        vec![(
            "D2".into(),
            vec![ex("BEHIND_TARGET", "achievement_total_ros", true)]
        )]
    );
    let r = t.ok(&t.dealer("D1"), EXCEPTIONS, json!({})).await;
    assert_eq!(
        summary(&r),
        vec![(
            "D1".into(),
            vec![ex("OUTSIDE_GUIDELINE", "technician_utilization", true)]
        )]
    );
}

#[tokio::test]
async fn the_agenda_carries_open_items_over_and_lists_the_gaps_without_one() {
    let t = network().await;
    let t = t
        .replica_with(|s| s.now = Some("2024-06-20T04:00:00Z".parse().unwrap()))
        .await;
    let d1 = t.dealer("D1");
    // An item due in May (overdue now) and one due in May that is done.
    let make = |subject: &str, due: &str| {
        json!({ "i": { "dealerCode": "D1", "subject": subject, "problem": "p", "cause": "c", "countermeasure": "m",
            "owner": "o", "department": "d", "dueMonth": due, "baselineFrom": "2024-04", "baselineTo": "2024-04" } })
    };
    let create = "mutation($i: ActionItemInput!) { createActionItem(input: $i) { id } }";
    let a = t.ok(&d1, create, make("first_time_fix", "2024-05")).await["createActionItem"]["id"]
        .clone();
    let q = r#"query($r: String, $d: String) { agenda(regionCode: $r, dealerCode: $d, month: "2024-05") {
        month carriedOver { id subject dueMonth overdue } due { id subject effect }
        uncovered { dealerCode exceptions { kind kpi } } } }"#;
    let g = t.ok(&t.manager(&["EAST"]), q, json!({ "r": "EAST" })).await["agenda"].clone();
    // Carried over: the comeback item (due July); due in May: the first-time-fix item,
    // measured (its baseline April has no report: pending).
    assert_eq!(
        g["carriedOver"],
        json!([{ "id": "1", "subject": "comeback_rate", "dueMonth": "2024-07", "overdue": false }])
    );
    assert_eq!(
        g["due"],
        json!([{ "id": a, "subject": "first_time_fix", "effect": "PENDING" }])
    );
    // The gaps still without an item: first-time fix is answered now.
    let kpis: Vec<&str> = g["uncovered"][0]["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kpi"].as_str().unwrap())
        .collect();
    assert_eq!(
        kpis,
        [
            "technician_utilization",
            "comeback_ro_share",
            "technician_utilization"
        ]
    );
    // A dealer's own agenda; another's is refused.
    let own = t.ok(&d1, q, json!({ "d": "D1" })).await["agenda"].clone();
    assert_eq!(own["due"].as_array().unwrap().len(), 1);
    assert_eq!(
        t.err_code(&t.dealer("D2"), q, json!({ "d": "D1" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.err_code(&t.manager(&["WEST"]), q, json!({ "r": "EAST" }))
            .await,
        "FORBIDDEN"
    );
}

/// The meeting views keep what they read from the database between requests (report
/// states, open action items): what changes meanwhile, here or on another replica, shows at
/// the next ask.
#[tokio::test]
async fn exceptions_stay_current_as_reports_and_items_change() {
    let t = network().await;
    let june20 =
        |s: &mut msi_hub::config::Settings| s.now = Some("2024-06-20T04:00:00Z".parse().unwrap());
    let (a, b) = (t.replica_with(june20).await, t.replica_with(june20).await);
    let admin = a.admin();
    let west = json!({ "s": { "kind": "REGION", "regionCode": "WEST" } });
    let d1 = |r: &Value| summary(r).into_iter().find(|(d, _)| d == "D1").unwrap().1;
    let first = a.ok(&admin, EXCEPTIONS, json!({})).await;
    assert!(d1(&first).contains(&ex("BOTTOM_QUARTILE", "first_time_fix", true)));
    let r = a.ok(&admin, EXCEPTIONS, west.clone()).await;
    assert!(summary(&r).contains(&("D3".into(), vec![ex("MISSING_REPORT", "2024-05", false)])));

    // An item on D1's first-time fix, made on the other replica: covered at the next ask.
    let item = json!({ "i": { "dealerCode": "D1", "subject": "first_time_fix", "problem": "p", "cause": "c",
        "countermeasure": "m", "owner": "o", "department": "d", "dueMonth": "2024-08" } });
    b.ok(
        &admin,
        "mutation($i: ActionItemInput!) { createActionItem(input: $i) { id } }",
        item,
    )
    .await;
    let again = a.ok(&admin, EXCEPTIONS, json!({})).await;
    assert!(
        d1(&again).contains(&ex("BOTTOM_QUARTILE", "first_time_fix", false)),
        "{again}"
    );

    // D3 reports May on the other replica (late now): no longer missing, late instead.
    let s = submit(&b, &admin, "D3", "2024-05", clean(&[])).await;
    assert_eq!(s["outcome"], "ACCEPTED", "{s}");
    let r = a.ok(&admin, EXCEPTIONS, west).await;
    let d3 = summary(&r).into_iter().find(|(d, _)| d == "D3").unwrap().1;
    assert_eq!(d3, vec![ex("LATE_REPORT", "2024-05", false)], "{r}");
}
