//! The catalog decisions end to end: `roAll` among the totals, plausibility against peers at
//! submission, and a database whose facts an earlier catalog computed, upgraded at start.

mod common;

use common::{amend_accepted, report_input, scorecard_line, submit, TestApp};
use serde_json::{json, Value};

/// EAST: P1..P5 (Aurora MEDIUM, a peer group of five); B1, B2 (Boreal SMALL, a peer group
/// too small to be shown).
async fn network(t: &TestApp) {
    let admin = t.admin();
    t.ok(
        &admin,
        "mutation { createRegion(input: { code: \"EAST\", name: \"华东\" }) { code } }",
        json!({}),
    )
    .await;
    for (code, brand, tier) in [
        ("P1", "Aurora", "MEDIUM"),
        ("P2", "Aurora", "MEDIUM"),
        ("P3", "Aurora", "MEDIUM"),
        ("P4", "Aurora", "MEDIUM"),
        ("P5", "Aurora", "MEDIUM"),
        ("B1", "Boreal", "SMALL"),
        ("B2", "Boreal", "SMALL"),
    ] {
        let input = json!({
            "code": code, "name": format!("{code} 汽车服务"), "brand": brand, "province": "江苏",
            "city": "南京", "sizeTier": tier, "openedMonth": "2020-01", "regionCode": "EAST"
        });
        t.ok(
            &admin,
            "mutation($i: CreateDealerInput!) { createDealer(input: $i) { code } }",
            json!({ "i": input }),
        )
        .await;
    }
}

/// Pi has i service advisors (every other count 10, 22 working days): ro_total 40, so
/// advisor ROs per day 40 / (22 i). The peer median of March is P3's, 40 / 66 = 0.606.
fn march(i: i64) -> Value {
    report_input(&[("service_advisors", json!(i))])
}

const WRITE: &str = "outcome warnings { field rule message values { field value } } report { totals { roTotal roAll } }";

async fn submit_full(t: &TestApp, dealer: &str, month: &str, input: Value) -> Value {
    let q = format!("mutation($d: String!, $m: Month!, $i: ReportInput) {{ submitMonthlyReport(dealerCode: $d, month: $m, input: $i) {{ {WRITE} }} }}");
    t.ok(
        &t.admin(),
        &q,
        json!({ "d": dealer, "m": month, "i": input }),
    )
    .await["submitMonthlyReport"]
        .clone()
}

async fn publish(t: &TestApp, month: &str) {
    t.ok(
        &t.admin(),
        "mutation($m: Month!) { publishMonth(month: $m) { members } }",
        json!({ "m": month }),
    )
    .await;
}

/// The peer warnings of an answer: KPI field → its values.
fn peer_warnings(answer: &Value) -> Vec<(String, Vec<(String, String)>)> {
    answer["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["rule"] == "PEER_PLAUSIBILITY")
        .map(|w| {
            let values = w["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["field"].as_str().unwrap().to_string(),
                        v["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (w["field"].as_str().unwrap().to_string(), values)
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn key_figures_far_from_the_published_peer_median_are_warnings() {
    let t = TestApp::spawn().await;
    network(&t).await;
    // Nothing is published yet: no peer judgement, whatever the figures.
    for i in 1..=5 {
        let r = submit_full(&t, &format!("P{i}"), "2024-03", march(i)).await;
        assert_eq!(r["outcome"], "ACCEPTED", "P{i}: {r}");
        // ro_all = paid 20 + free 20 + warranty 10 + internal 10 = 60; ro_total = 40
        assert_eq!(r["report"]["totals"]["roAll"], 60);
        assert_eq!(r["report"]["totals"]["roTotal"], 40);
    }
    for d in ["B1", "B2"] {
        let r = submit_full(&t, d, "2024-03", march(1)).await;
        assert_eq!(r["outcome"], "ACCEPTED", "{d}: {r}");
    }
    publish(&t, "2024-03").await;

    // P1 in April as in March: 40 / 22 = 1.82 ROs per advisor-day, 3× the median: no warning.
    let r = submit_full(&t, "P1", "2024-04", march(1)).await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");

    // P2 with 200 paid maintenance ROs: ro_total 230. Per advisor-day 230 / 44 = 5.23 against
    // a median of 0.61; per reception bay and day 230 / 220 = 1.05 against 40 / 220 = 0.18;
    // per technician 230 / 10 = 23 against 4: each more than 5×.
    let r = submit_full(
        &t,
        "P2",
        "2024-04",
        report_input(&[
            ("service_advisors", json!(2)),
            ("ro_paid_maintenance", json!(200)),
        ]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED_WITH_WARNINGS", "{r}");
    let month = ("peerMonth", "2024-03");
    let dealers = ("peerDealers", "5");
    assert_eq!(
        peer_warnings(&r),
        vec![
            (
                "kpi:advisor_ros_per_day".to_string(),
                pairs(&[
                    ("kpi:advisor_ros_per_day", "5.23"),
                    ("peerMedian", "0.61"),
                    month,
                    dealers
                ])
            ),
            (
                "kpi:reception_bay_ros_per_day".to_string(),
                pairs(&[
                    ("kpi:reception_bay_ros_per_day", "1.05"),
                    ("peerMedian", "0.18"),
                    month,
                    dealers
                ])
            ),
            (
                "kpi:ros_per_technician".to_string(),
                pairs(&[
                    ("kpi:ros_per_technician", "23.00"),
                    ("peerMedian", "4.00"),
                    month,
                    dealers
                ])
            ),
        ]
    );
    let message = r["warnings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "more than 5× the median of the dealer's peer group Aurora MEDIUM in 2024-03"
        ),
        "{message}"
    );

    // P3 with 100 advisors: 40 / 2 200 = 0.02, less than a fifth of 0.61.
    let r = submit_full(
        &t,
        "P3",
        "2024-04",
        report_input(&[("service_advisors", json!(100))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED_WITH_WARNINGS", "{r}");
    let w = peer_warnings(&r);
    assert_eq!(w.len(), 1, "{r}");
    assert_eq!(
        w[0].1,
        pairs(&[
            ("kpi:advisor_ros_per_day", "0.02"),
            ("peerMedian", "0.61"),
            month,
            dealers
        ])
    );
    // An amendment is judged the same way; back in line, the warning is gone.
    amend_accepted(
        &t,
        &t.dealer("P3"),
        "P3",
        "2024-04",
        report_input(&[("service_advisors", json!(3))]),
        1,
        "typo in the advisor count",
    )
    .await;

    // The Boreal group has two dealers: its median is not shown to them, so not used here.
    let r = submit_full(
        &t,
        "B1",
        "2024-04",
        report_input(&[
            ("service_advisors", json!(1)),
            ("ro_paid_maintenance", json!(2000)),
        ]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
}

/// The fact rows of `kpis` for March and April, as a BI tool pulls them: (kpi, month,
/// dealer) → (numerator, denominator, unavailable reason).
async fn facts(t: &TestApp, since: Option<&str>) -> Vec<(String, String, String, Value)> {
    let q = r#"query($since: DateTime, $after: String) { kpiFacts(from: "2024-03", to: "2024-04", updatedSince: $since, first: 10000, after: $after) {
        edges { node { kpi month dealerCode numerator denominator unavailableReason } } pageInfo { hasNextPage endCursor } } }"#;
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = t
            .ok(&t.bi(), q, json!({ "since": since, "after": after }))
            .await["kpiFacts"]
            .clone();
        for e in page["edges"].as_array().unwrap() {
            let n = &e["node"];
            out.push((
                n["kpi"].as_str().unwrap().to_string(),
                n["month"].as_str().unwrap().to_string(),
                n["dealerCode"].as_str().unwrap().to_string(),
                json!([n["numerator"], n["denominator"], n["unavailableReason"]]),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The peer group's published pooled warranty RO share of March, as P2 sees it.
async fn published_warranty_share(t: &TestApp) -> f64 {
    let q = r#"query { scorecard(dealerCode: "P2", period: { month: "2024-03" }) { kpis { kpi { code } peerGroup { pooled } } } }"#;
    let s = t.ok(&t.dealer("P2"), q, json!({})).await;
    scorecard_line(&s["scorecard"], "warranty_ro_share")["peerGroup"]["pooled"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn a_database_of_an_earlier_catalog_is_recomputed_at_start() {
    let t = TestApp::spawn().await;
    network(&t).await;
    for i in 1..=5 {
        for m in ["2024-03", "2024-04"] {
            submit(&t, &t.admin(), &format!("P{i}"), m, march(i)).await;
        }
    }
    publish(&t, "2024-03").await;
    // P1 amends March after its publication: what it changed is held until a republication.
    amend_accepted(
        &t,
        &t.admin(),
        "P1",
        "2024-03",
        report_input(&[("service_advisors", json!(1)), ("staff_resigned", json!(5))]),
        1,
        "resignations corrected",
    )
    .await;
    let current = facts(&t, None).await;

    // What an earlier build left: the RO mix shares over paid + free ROs (40, not 60), staff
    // turnover per month, none of the new KPIs, every fact written long ago, and another
    // catalog fingerprint.
    t.raw_sql(&[
        "UPDATE settings SET value = 'an-earlier-catalog' WHERE key = 'kpi_catalog'",
        "UPDATE kpi_facts SET updated_at = 1000",
        "UPDATE kpi_facts SET denominator = 40 WHERE kpi IN (90, 91, 92, 93)",
        "UPDATE kpi_facts SET numerator = numerator / 12 WHERE kpi = 69",
        "DELETE FROM kpi_facts WHERE kpi IN (14, 15, 51, 77, 94)",
    ])
    .await;
    let before = facts(&t, None).await;
    assert_eq!(before.len(), current.len() - 5 * 10);

    // A new replica starts on it: the facts are this catalog's again.
    let t2 = t.replica().await;
    let after = facts(&t2, None).await;
    assert_eq!(after, current);
    // `updatedAt` moved exactly for the facts whose value changed: the four RO shares, staff
    // turnover and the five new KPIs, of the five dealers' two months.
    let changed = facts(&t2, Some("1970-01-01T00:00:02Z")).await;
    let mut kpis: Vec<&str> = changed.iter().map(|(k, ..)| k.as_str()).collect();
    kpis.sort();
    kpis.dedup();
    assert_eq!(
        kpis,
        [
            "comeback_ro_share",
            "general_customer_files",
            "general_repair_ro_share",
            "internal_ro_share",
            "level1_tech_share",
            "loyal_customer_files",
            "maintenance_ro_share",
            "revenue_growth",
            "staff_turnover",
            "warranty_ro_share",
        ]
    );
    assert_eq!(changed.len(), 10 * 5 * 2);
    // By hand: warranty 10 of ro_all 60; 10 resigned × 12 of 10 staff (P1's March: 5 × 12);
    // no April 2023 or March 2023: no revenue growth.
    for (kpi, month, dealer, v) in &after {
        match kpi.as_str() {
            "warranty_ro_share" => assert_eq!(v, &json!(["10", "60", null])),
            "staff_turnover" if dealer == "P1" && month == "2024-03" => {
                assert_eq!(v, &json!(["60", "10", null]))
            }
            "staff_turnover" => assert_eq!(v, &json!(["120", "10", null])),
            "revenue_growth" => assert_eq!(v, &json!([null, null, "MISSING_REPORT"])),
            _ => {}
        }
    }
    // Recorded: starting again recomputes nothing.
    assert_eq!(t2.app.upgrade_catalog().await.unwrap(), None);

    // The published March is restated for the dealers without held facts (everyone's
    // definition changed at once); P1's facts stay as published until a republication
    // shows its amendment, its old warranty share included: (10 + 4 × 10) / (40 + 4 × 60).
    let published = published_warranty_share(&t2).await;
    assert!(
        (published - 100.0 * 50.0 / 280.0).abs() < 1e-9,
        "{published}"
    );
}

async fn set_visits(t: &TestApp, value: &str) {
    t.ok(
        &t.admin(),
        r#"mutation($v: Decimal!) { setOemParameter(name: "annual_visits_per_vehicle", year: 2024, value: $v) { parameter { value } } }"#,
        json!({ "v": value }),
    )
    .await;
}

#[tokio::test]
async fn a_parameter_set_meanwhile_is_the_one_a_submission_is_judged_with() {
    let t = TestApp::spawn().await;
    network(&t).await;
    set_visits(&t, "2").await;
    // March: P1..P5 with the same repair orders and vehicles in operation, so the same
    // service coverage (ro_total × 12 over VIO × 2 visits); the submissions read the
    // parameter (and the service keeps it).
    for i in 1..=5 {
        let r = submit_full(&t, &format!("P{i}"), "2024-03", march(i)).await;
        assert_eq!(r["outcome"], "ACCEPTED", "P{i}: {r}");
    }
    publish(&t, "2024-03").await;
    // Ten times as many visits: April's coverage of the same figures is a tenth of the
    // published median (March's facts are held at their published values), less than a
    // fifth: a warning, which the value kept from before would not give.
    set_visits(&t, "20").await;
    let r = submit_full(&t, "P4", "2024-04", march(4)).await;
    assert_eq!(r["outcome"], "ACCEPTED_WITH_WARNINGS", "{r}");
    let fields: Vec<String> = peer_warnings(&r).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["kpi:service_coverage"], "{r}");
    // Another replica, which read the parameter before it changed back, follows too.
    let replica = t.replica().await;
    let r = submit_full(&replica, "P5", "2024-04", march(5)).await;
    assert_eq!(r["outcome"], "ACCEPTED_WITH_WARNINGS", "{r}");
    set_visits(&t, "2").await;
    let q = format!("mutation($i: ReportInput!) {{ amendMonthlyReport(dealerCode: \"P5\", month: \"2024-04\", input: $i, expectedRevision: 1, reason: \"advisors\") {{ {WRITE} }} }}");
    let a = replica
        .ok(
            &replica.admin(),
            &q,
            json!({ "i": report_input(&[("service_advisors", json!(4))]) }),
        )
        .await["amendMonthlyReport"]
        .clone();
    assert_eq!(a["outcome"], "ACCEPTED", "{a}");
    let fields: Vec<String> = peer_warnings(&a).into_iter().map(|(f, _)| f).collect();
    assert!(fields.is_empty(), "{a}");
}
