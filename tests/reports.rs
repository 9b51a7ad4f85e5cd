//! Monthly report submission: every consistency rule, warnings, revisions, conflicts, drafts.

mod common;

use common::{amend, amend_accepted, report_input, stored, submit, TestApp};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};

#[tokio::test]
async fn a_complete_report_is_accepted_with_computed_totals() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let r = submit(
        &t,
        &t.dealer("D1"),
        "D1",
        "2024-05",
        report_input(&[("labor_revenue_customer", json!("1234.56"))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    assert_eq!(r["violations"], json!([]));
    let report = &r["report"];
    assert_eq!(report["revision"], 1);
    assert_eq!(report["status"], "ACCEPTED");
    assert_eq!(report["late"], false);
    assert_eq!(
        report["values"]["revenue"]["laborRevenueCustomer"],
        "1234.56"
    );
    // 4 RO kinds × 10; labor 1234.56 + 1000 + 1000; service = labor + 3 × 1000 parts + sublet + accessory
    assert_eq!(report["totals"]["roTotal"], 40);
    assert_eq!(report["totals"]["laborRevenueTotal"], "3234.56");
    assert_eq!(report["totals"]["serviceRevenueTotal"], "8234.56");
    assert_eq!(report["totals"]["grossProfitTotal"], "3000.00");
    let (stored_report, revisions) = stored(&t, "D1", "2024-05").await;
    assert_eq!(stored_report["revision"], 1);
    assert_eq!(revisions, vec![1]);
}

/// A rule broken alone: the overrides that break it, the field path and the rule code.
type BrokenRule = (
    Vec<(&'static str, serde_json::Value)>,
    &'static str,
    &'static str,
);

/// Each rule, broken alone.
fn broken_rules() -> Vec<BrokenRule> {
    vec![
        (
            vec![("ro_comebacks", json!(11))],
            "repairOrders.roComebacks",
            "NOT_ABOVE",
        ),
        (
            vec![("ro_same_day_out", json!(11))],
            "repairOrders.roSameDayOut",
            "NOT_ABOVE",
        ),
        (
            vec![("pm_contacted", json!(11))],
            "crm.pmContacted",
            "NOT_ABOVE",
        ),
        (
            vec![("pm_invited_arrived", json!(11))],
            "crm.pmInvitedArrived",
            "NOT_ABOVE",
        ),
        (
            vec![("complaints_resolved", json!(11))],
            "crm.complaintsResolved",
            "NOT_ABOVE",
        ),
        (
            vec![("customer_files_accurate", json!(11))],
            "customers.customerFilesAccurate",
            "NOT_ABOVE",
        ),
        (
            vec![("appointments_kept", json!(11))],
            "repairOrders.appointmentsKept",
            "NOT_ABOVE",
        ),
        (
            vec![("ro_within_estimate", json!(11))],
            "repairOrders.roWithinEstimate",
            "NOT_ABOVE",
        ),
        (
            vec![("ro_customer_pay_brand", json!(11))],
            "repairOrders.roCustomerPayBrand",
            "NOT_ABOVE",
        ),
        (
            vec![("parts_lines_filled_from_stock", json!(11))],
            "parts.partsLinesFilledFromStock",
            "NOT_ABOVE",
        ),
        (
            vec![
                ("technicians_level1", json!(5)),
                ("technicians_level2", json!(6)),
            ],
            "capacity.techniciansLevel1",
            "SUM_NOT_ABOVE",
        ),
        (
            vec![("working_days", json!(0))],
            "period.workingDays",
            "RANGE",
        ),
        (
            vec![("working_days", json!(32))],
            "period.workingDays",
            "RANGE",
        ),
        (
            vec![("mechanics", json!(-1))],
            "capacity.mechanics",
            "NON_NEGATIVE",
        ),
        (
            vec![("sublet_revenue", json!("-0.01"))],
            "revenue.subletRevenue",
            "NON_NEGATIVE",
        ),
        (
            vec![("labor_revenue_customer", json!("10.005"))],
            "revenue.laborRevenueCustomer",
            "TWO_DECIMALS",
        ),
        (
            vec![("hours_sold", json!("1.001"))],
            "productivity.hoursSold",
            "TWO_DECIMALS",
        ),
        (vec![("csi_score", json!("101"))], "crm.csiScore", "RANGE"),
        (
            vec![("pm_due", serde_json::Value::Null)],
            "crm.pmDue",
            "REQUIRED",
        ),
    ]
}

#[tokio::test]
async fn each_consistency_rule_rejects_with_its_field_and_stores_nothing() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    for (overrides, path, rule) in broken_rules() {
        let r = submit(&t, &token, "D1", "2024-05", report_input(&overrides)).await;
        assert_eq!(r["outcome"], "REJECTED", "{path}: {r}");
        assert_eq!(r["report"], json!(null));
        let v = r["violations"].as_array().unwrap();
        assert_eq!(v.len(), 1, "{path}: {r}");
        assert_eq!(v[0]["field"], path);
        assert_eq!(v[0]["rule"], rule);
        assert!(!v[0]["message"].as_str().unwrap().is_empty());
        let (report, revisions) = stored(&t, "D1", "2024-05").await;
        assert_eq!(report, json!(null), "{path}: something was stored");
        assert!(revisions.is_empty());
    }
}

#[tokio::test]
async fn violations_name_the_offending_values_and_come_all_at_once() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let input = report_input(&[
        ("ro_comebacks", json!(12)),
        ("pm_contacted", json!(99)),
        ("working_days", json!(40)),
        ("washers", serde_json::Value::Null),
    ]);
    let r = submit(&t, &t.dealer("D1"), "D1", "2024-05", input).await;
    assert_eq!(r["outcome"], "REJECTED");
    let v = r["violations"].as_array().unwrap();
    let mut fields: Vec<&str> = v.iter().map(|x| x["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "capacity.washers",
            "crm.pmContacted",
            "period.workingDays",
            "repairOrders.roComebacks"
        ]
    );
    let comebacks = v
        .iter()
        .find(|x| x["field"] == "repairOrders.roComebacks")
        .unwrap();
    assert_eq!(
        comebacks["values"],
        json!([{ "field": "repairOrders.roComebacks", "value": "12" }, { "field": "repairOrders.roDelivered", "value": "10" }])
    );
}

#[tokio::test]
async fn month_and_dealer_rules() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    // the current month is 2024-06: July is in the future
    let r = submit(&t, &admin, "D1", "2024-07", report_input(&[])).await;
    assert_eq!(r["outcome"], "REJECTED");
    assert_eq!(r["violations"][0]["field"], "month");
    assert_eq!(r["violations"][0]["rule"], "FUTURE_MONTH");
    // D4 opened 2024-03
    let r = submit(&t, &admin, "D4", "2024-02", report_input(&[])).await;
    assert_eq!(r["violations"][0]["field"], "dealerCode");
    assert_eq!(r["violations"][0]["rule"], "DEALER_INACTIVE");
    // closed dealers no longer report
    t.ok(
        &admin,
        r#"mutation { closeDealer(code: "D2", closedMonth: "2024-03") { code } }"#,
        json!({}),
    )
    .await;
    let r = submit(&t, &admin, "D2", "2024-04", report_input(&[])).await;
    assert_eq!(r["violations"][0]["rule"], "DEALER_INACTIVE");
    assert_eq!(
        submit(&t, &admin, "D2", "2024-03", report_input(&[])).await["outcome"],
        "ACCEPTED"
    );
    // unknown dealer
    let q = "mutation($i: ReportInput) { submitMonthlyReport(dealerCode: \"NOPE\", month: \"2024-05\", input: $i) { outcome } }";
    assert_eq!(
        t.err_code(&admin, q, json!({ "i": report_input(&[]) }))
            .await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn implausible_values_are_accepted_with_warnings() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    for month in ["2024-01", "2024-02", "2024-03", "2024-04"] {
        assert_eq!(
            submit(&t, &token, "D1", month, report_input(&[])).await["outcome"],
            "ACCEPTED"
        );
    }
    // 20× the dealer's usual customer labor revenue
    let r = submit(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("labor_revenue_customer", json!("20000.00"))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED_WITH_WARNINGS", "{r}");
    assert_eq!(r["warnings"][0]["field"], "revenue.laborRevenueCustomer");
    assert_eq!(r["warnings"][0]["rule"], "PLAUSIBILITY");
    assert_eq!(r["report"]["status"], "ACCEPTED_WITH_WARNINGS");
    // hours worked above hours attended: a warning, not an error
    let r = submit(
        &t,
        &t.dealer("D2"),
        "D2",
        "2024-05",
        report_input(&[("hours_worked", json!("1600"))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED_WITH_WARNINGS");
    assert_eq!(r["warnings"][0]["field"], "productivity.hoursWorked");
}

#[tokio::test]
async fn resubmitting_the_same_content_is_a_no_op() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    assert_eq!(
        submit(&t, &token, "D1", "2024-05", report_input(&[])).await["outcome"],
        "ACCEPTED"
    );
    let again = submit(&t, &token, "D1", "2024-05", report_input(&[])).await;
    assert_eq!(again["outcome"], "UNCHANGED");
    assert_eq!(again["report"]["revision"], 1);
    assert_eq!(stored(&t, "D1", "2024-05").await.1, vec![1]);
    // different content needs an amendment
    let q = "mutation($i: ReportInput) { submitMonthlyReport(dealerCode: \"D1\", month: \"2024-05\", input: $i) { outcome } }";
    assert_eq!(
        t.err_code(
            &token,
            q,
            json!({ "i": report_input(&[("ro_washed", json!(9))]) })
        )
        .await,
        "CONFLICT"
    );
}

#[tokio::test]
async fn amendments_make_revisions_with_reasons_and_refuse_stale_revisions() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    submit(&t, &token, "D1", "2024-05", report_input(&[])).await;
    // a reason is required
    let r = amend(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("ro_washed", json!(9))]),
        1,
        "  ",
    )
    .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(r["errors"][0]["extensions"]["field"], "reason");
    let r = amend_accepted(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("ro_washed", json!(9))]),
        1,
        "wash count corrected",
    )
    .await;
    assert_eq!(r["data"]["amendMonthlyReport"]["report"]["revision"], 2);
    // stale expectedRevision
    let r = amend(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("ro_washed", json!(8))]),
        1,
        "again",
    )
    .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "CONFLICT", "{r}");
    assert_eq!(r["errors"][0]["extensions"]["currentRevision"], 2);
    // an amendment that breaks a rule changes nothing
    let r = amend(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("ro_comebacks", json!(99))]),
        2,
        "typo",
    )
    .await;
    assert_eq!(r["data"]["amendMonthlyReport"]["outcome"], "REJECTED");
    // the full history, each revision complete
    let q = r#"{ reportRevisions(dealerCode: "D1", month: "2024-05") { revision author reason values { repairOrders { roWashed roDelivered } } totals { roTotal } } }"#;
    let h = t.ok(&t.admin(), q, json!({})).await["reportRevisions"].clone();
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[0]["reason"], json!(null));
    assert_eq!(h[0]["author"], "user-D1");
    assert_eq!(
        h[0]["values"]["repairOrders"],
        json!({ "roWashed": 10, "roDelivered": 10 })
    );
    assert_eq!(h[1]["reason"], "wash count corrected");
    assert_eq!(h[1]["values"]["repairOrders"]["roWashed"], 9);
    assert_eq!(h[1]["totals"]["roTotal"], 40);
    // amending a month never submitted
    let r = amend(&t, &token, "D1", "2024-04", report_input(&[]), 1, "x").await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn concurrent_amendments_exactly_one_wins() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    submit(&t, &token, "D1", "2024-05", report_input(&[])).await;
    let a = amend(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("ro_washed", json!(7))]),
        1,
        "first writer",
    );
    let b = amend(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("ro_washed", json!(8))]),
        1,
        "second writer",
    );
    let (a, b) = tokio::join!(a, b);
    let won = |r: &serde_json::Value| r["data"]["amendMonthlyReport"]["outcome"] == "ACCEPTED";
    let lost = |r: &serde_json::Value| r["errors"][0]["extensions"]["code"] == "CONFLICT";
    assert!(
        (won(&a) && lost(&b)) || (won(&b) && lost(&a)),
        "a: {a}\nb: {b}"
    );
    let winner = if won(&a) { 7 } else { 8 };
    let q = r#"{ reportRevisions(dealerCode: "D1", month: "2024-05") { revision values { repairOrders { roWashed } } } report(dealerCode: "D1", month: "2024-05") { revision } }"#;
    let d = t.ok(&t.admin(), q, json!({})).await;
    assert_eq!(d["report"]["revision"], 2);
    let h = d["reportRevisions"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["values"]["repairOrders"]["roWashed"], 10);
    assert_eq!(h[1]["values"]["repairOrders"]["roWashed"], winner);
}

#[tokio::test]
async fn identical_concurrent_first_submissions_are_one_submission() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    // Several rounds, so that both orders of the race (read-then-insert) are met.
    for month in ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"] {
        let input = report_input(&[]);
        let (a, b, c) = tokio::join!(
            submit(&t, &token, "D1", month, input.clone()),
            submit(&t, &token, "D1", month, input.clone()),
            submit(&t, &token, "D1", month, input.clone()),
        );
        let mut outcomes: Vec<String> = [a, b, c]
            .iter()
            .map(|r| r["outcome"].as_str().unwrap().to_string())
            .collect();
        outcomes.sort();
        assert_eq!(outcomes, ["ACCEPTED", "UNCHANGED", "UNCHANGED"], "{month}");
        let (report, revisions) = stored(&t, "D1", month).await;
        assert_eq!(
            (report["revision"].as_i64(), revisions),
            (Some(1), vec![1]),
            "{month}"
        );
    }
}

#[tokio::test]
async fn drafts_then_submission_of_the_draft() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    let q = "mutation($i: ReportInput!) { saveReportDraft(dealerCode: \"D1\", month: \"2024-05\", input: $i) { outcome violations { field rule } report { revision status } } }";
    // partial is fine
    let d = t
        .ok(
            &token,
            q,
            json!({ "i": { "repairOrders": { "roDelivered": 5 } } }),
        )
        .await;
    assert_eq!(d["saveReportDraft"]["outcome"], "DRAFT_SAVED");
    assert_eq!(
        d["saveReportDraft"]["report"],
        json!({ "revision": 0, "status": "DRAFT" })
    );
    // but each value must still be valid
    let d = t
        .ok(
            &token,
            q,
            json!({ "i": { "repairOrders": { "roDelivered": -5 } } }),
        )
        .await;
    assert_eq!(d["saveReportDraft"]["outcome"], "REJECTED");
    assert_eq!(
        d["saveReportDraft"]["violations"][0],
        json!({ "field": "repairOrders.roDelivered", "rule": "NON_NEGATIVE" })
    );
    // submitting an incomplete draft lists what is missing
    let r = submit(&t, &token, "D1", "2024-05", serde_json::Value::Null).await;
    assert_eq!(r["outcome"], "REJECTED");
    assert!(r["violations"].as_array().unwrap().len() > 80);
    // a complete draft can be submitted without resending it
    t.ok(&token, q, json!({ "i": report_input(&[]) })).await;
    let r = submit(&t, &token, "D1", "2024-05", serde_json::Value::Null).await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    assert_eq!(r["report"]["revision"], 1);
    // no drafts once submitted
    assert_eq!(
        t.err_code(&token, q, json!({ "i": report_input(&[]) }))
            .await,
        "CONFLICT"
    );
}

#[tokio::test]
async fn late_reports_and_submission_status() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    // now is 2024-06-05: April's deadline (10 May) has passed, May's (10 June) has not
    assert_eq!(
        submit(&t, &admin, "D1", "2024-04", report_input(&[])).await["report"]["late"],
        true
    );
    assert_eq!(
        submit(&t, &admin, "D1", "2024-05", report_input(&[])).await["report"]["late"],
        false
    );
    let q = "mutation($i: ReportInput!) { saveReportDraft(dealerCode: \"D2\", month: \"2024-05\", input: $i) { outcome } }";
    t.ok(
        &admin,
        q,
        json!({ "i": { "period": { "workingDays": 20 } } }),
    )
    .await;
    let status = r#"query($m: Month!, $r: String) { submissionStatus(month: $m, regionCode: $r) {
        month deadline counts { total missing draft accepted acceptedWithWarnings late }
        entries { edges { node { dealerCode regionCode status late revision } } } } }"#;
    let s = t.ok(&admin, status, json!({ "m": "2024-05" })).await["submissionStatus"].clone();
    assert_eq!(s["deadline"], "2024-06-10T15:59:59.999+00:00");
    assert_eq!(
        s["counts"],
        json!({ "total": 4, "missing": 2, "draft": 1, "accepted": 1, "acceptedWithWarnings": 0, "late": 0 })
    );
    let entries: Vec<(String, String)> = s["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["dealerCode"].as_str().unwrap().into(),
                e["node"]["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("D1".into(), "ACCEPTED".into()),
            ("D2".into(), "DRAFT".into()),
            ("D3".into(), "MISSING".into()),
            ("D4".into(), "MISSING".into())
        ]
    );
    let s = t.ok(&admin, status, json!({ "m": "2024-04" })).await["submissionStatus"].clone();
    assert_eq!(s["counts"]["late"], 1);
    assert_eq!(s["entries"]["edges"][0]["node"]["status"], "LATE");
    // D4 opened in March, so it is due in April; in February only three dealers are active
    assert_eq!(
        t.ok(&admin, status, json!({ "m": "2024-02" })).await["submissionStatus"]["counts"]
            ["total"],
        3
    );
    // a region's view uses the region of that month: D3 is WEST from April
    let s = t
        .ok(&admin, status, json!({ "m": "2024-05", "r": "WEST" }))
        .await["submissionStatus"]
        .clone();
    let codes: Vec<&str> = s["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["dealerCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["D2", "D3"]);
    let s = t
        .ok(&admin, status, json!({ "m": "2024-03", "r": "WEST" }))
        .await["submissionStatus"]
        .clone();
    assert_eq!(s["counts"]["total"], 1);
}

#[tokio::test]
async fn money_accepts_numbers_and_strings_exactly() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let r = submit(
        &t,
        &t.dealer("D1"),
        "D1",
        "2024-05",
        report_input(&[
            ("labor_revenue_customer", json!(0.1)),
            ("labor_revenue_warranty", json!("0.2")),
        ]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    assert_eq!(
        r["report"]["values"]["revenue"]["laborRevenueCustomer"],
        "0.10"
    );
    // 0.1 + 0.2 + 1000.00, exactly
    assert_eq!(r["report"]["totals"]["laborRevenueTotal"], "1000.30");
}

/// PostgreSQL: D1's facts of its latest reported month, locked by a transaction of the
/// test's own: a writer of them waits at its first write (after it read its inputs). The
/// server ends the hold if the test dies holding it.
async fn hold_latest_facts(pool: &sqlx::PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut hold = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL idle_in_transaction_session_timeout = '30s'")
        .execute(&mut *hold)
        .await
        .unwrap();
    let held: Vec<i32> = sqlx::query_scalar(
        "SELECT kpi::int FROM kpi_facts WHERE dealer_code = 'D1' AND month = (SELECT max(month) FROM reports WHERE dealer_code = 'D1') FOR UPDATE",
    )
    .fetch_all(&mut *hold)
    .await
    .unwrap();
    assert!(!held.is_empty());
    hold
}

/// Runs `first` until it waits (for `hold`), then `second` until it waits too or is done;
/// then lets `hold` go. Both answers.
async fn interleaved<A: std::future::Future, B: std::future::Future>(
    t: &TestApp,
    pool: &sqlx::PgPool,
    hold: sqlx::Transaction<'static, sqlx::Postgres>,
    first: A,
    second: B,
) -> (A::Output, B::Output) {
    let second_done = AtomicBool::new(false);
    let second_then_release = async {
        t.until_lock_waits(pool, 1, || false).await;
        let second = async {
            let r = second.await;
            second_done.store(true, Ordering::SeqCst);
            r
        };
        let release = async {
            t.until_lock_waits(pool, 2, || second_done.load(Ordering::SeqCst))
                .await;
            hold.rollback().await.unwrap();
        };
        tokio::join!(second, release).0
    };
    tokio::join!(first, second_then_release)
}

/// Every fact is what the stored reports give: a recomputation changes none.
async fn assert_facts_recompute_unchanged(t: &TestApp) {
    t.raw_sql(&["UPDATE settings SET value = 'an-earlier-catalog' WHERE key = 'kpi_catalog'"])
        .await;
    let upgrade = t.app.upgrade_catalog().await.unwrap().unwrap();
    assert_eq!(upgrade.facts_changed, 0, "{upgrade:?}");
}

/// PostgreSQL: two amendments of one dealer's consecutive months at once. April's moves the
/// denominator of May's warranty registration rate (last month's own sales), May's its
/// numerator. The interleaving that lost one of them is forced: April's writer is held at
/// its first write of May's facts (the test locks them), after it read its inputs, while
/// May's runs. Whatever order they commit in, May's rate is both changes: a recomputation
/// from the stored reports changes no fact.
#[tokio::test]
async fn amendments_of_one_dealers_months_at_once_keep_both_changes() {
    let t = TestApp::spawn().await;
    let Some(pool) = t.pg_pool().await else {
        return; // SQLite: one writer at a time.
    };
    t.seed_network().await;
    let admin = t.admin();
    for m in ["2024-04", "2024-05"] {
        let r = submit(&t, &admin, "D1", m, report_input(&[])).await;
        assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    }
    let hold = hold_latest_facts(&pool).await;
    let april = amend_accepted(
        &t,
        &admin,
        "D1",
        "2024-04",
        report_input(&[("own_sales_units", json!(20))]),
        1,
        "sales corrected",
    );
    let may = amend_accepted(
        &t,
        &admin,
        "D1",
        "2024-05",
        report_input(&[("warranty_registrations", json!(5))]),
        1,
        "registrations corrected",
    );
    interleaved(&t, &pool, hold, april, may).await;
    assert_facts_recompute_unchanged(&t).await;
}

/// PostgreSQL: a new OEM parameter while an amendment runs. The amendment moves May's
/// vehicles in operation, the parameter the visits per vehicle: both are the denominator
/// of May's service coverage. The amendment is held after it read its inputs; the
/// parameter's recomputation of every dealer waits for it, and then reads its report.
#[tokio::test]
async fn a_parameter_set_while_an_amendment_runs_keeps_both() {
    let t = TestApp::spawn().await;
    let Some(pool) = t.pg_pool().await else {
        return; // SQLite: one writer at a time.
    };
    t.seed_network().await;
    let admin = t.admin();
    let set = r#"mutation($v: Decimal!) { setOemParameter(name: "annual_visits_per_vehicle", year: 2024, value: $v) { factsRecomputed } }"#;
    t.ok(&admin, set, json!({ "v": "2" })).await;
    let r = submit(&t, &admin, "D1", "2024-05", report_input(&[])).await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    let hold = hold_latest_facts(&pool).await;
    let amendment = amend_accepted(
        &t,
        &admin,
        "D1",
        "2024-05",
        report_input(&[("vehicles_in_operation", json!(20))]),
        1,
        "vehicles corrected",
    );
    let parameter = t.gql(&admin, set, json!({ "v": "3" }));
    let (_, parameter) = interleaved(&t, &pool, hold, amendment, parameter).await;
    assert!(parameter.get("errors").is_none(), "{parameter}");
    assert_facts_recompute_unchanged(&t).await;
}
