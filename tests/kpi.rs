//! The KPI engine over GraphQL: pooled values, ranks, periods, moved dealers, amendments,
//! parameters, fact pulls and who may see what.

mod common;

use common::{amend, amend_accepted, report_input, scorecard_line, submit, TestApp};
use serde_json::{json, Value};

const RANKING: &str = r#"query($k: String!, $p: ReportingPeriod!, $s: ScopeInput, $first: Int, $after: String) {
  ranking(kpi: $k, period: $p, scope: $s, first: $first, after: $after) {
    period { kind from to }
    aggregate { pooled mean median p25 p75 min max numerator denominator dealersWithValue dealersMissing withheld disclosure }
    nation { pooled dealersWithValue withheld }
    missingDealers
    entries { edges { cursor node { rank percentile value numerator denominator dealerCode regionCode deltaToRegion deltaToNation } }
              pageInfo { hasNextPage endCursor } } } }"#;

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

/// D1 (EAST) 1/50 comebacks = 2 %, D2 (WEST) 1/20 = 5 %, D3 (WEST since April) 2/40 = 5 %; D4 none.
async fn comebacks_may(t: &TestApp) {
    let admin = t.admin();
    for (d, back, delivered) in [("D1", 1, 50), ("D2", 1, 20), ("D3", 2, 40)] {
        let r = submit(
            t,
            &admin,
            d,
            "2024-05",
            report_input(&[
                ("ro_comebacks", json!(back)),
                ("ro_delivered", json!(delivered)),
            ]),
        )
        .await;
        assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    }
}

/// Amends D1's May on `t` to `back` comebacks of `delivered` (from revision 1), accepted.
async fn amend_d1_may(t: &TestApp, back: i64, delivered: i64) {
    amend_accepted(
        t,
        &t.admin(),
        "D1",
        "2024-05",
        report_input(&[
            ("ro_comebacks", json!(back)),
            ("ro_delivered", json!(delivered)),
        ]),
        1,
        "fix",
    )
    .await;
}

/// Opens dealer D5 (Aurora, small, region EAST, since January 2024) on `t`.
async fn open_d5(t: &TestApp) {
    let input = json!({ "code": "D5", "name": "D5", "brand": "Aurora", "province": "江苏", "city": "南京", "sizeTier": "SMALL", "openedMonth": "2024-01", "regionCode": "EAST" });
    t.ok(
        &t.admin(),
        "mutation($i: CreateDealerInput!) { createDealer(input: $i) { code } }",
        json!({ "i": input }),
    )
    .await;
}

fn entries(ranking: &Value) -> Vec<Value> {
    ranking["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn ranking_pools_sum_over_sum_and_ranks_share_ties() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    comebacks_may(&t).await;
    let r = t
        .ok(
            &t.admin(),
            RANKING,
            json!({ "k": "comeback_rate", "p": { "month": "2024-05" } }),
        )
        .await["ranking"]
        .clone();
    let a = &r["aggregate"];
    // pooled: (1 + 1 + 2) / (50 + 20 + 40) × 100 = 4 / 110 × 100
    assert!(close(&a["pooled"], 400.0 / 110.0), "{a}");
    assert_eq!(
        (a["numerator"].as_str(), a["denominator"].as_str()),
        (Some("4"), Some("110"))
    );
    // the mean and median are of the dealers' values: (2 + 5 + 5) / 3 = 4, median 5
    assert!(close(&a["mean"], 4.0) && close(&a["median"], 5.0));
    assert!(close(&a["min"], 2.0) && close(&a["max"], 5.0));
    // D4 (opened in March) has no report for May
    assert_eq!(
        (a["dealersWithValue"].as_i64(), a["dealersMissing"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(r["missingDealers"], json!(["D4"]));
    let e = entries(&r);
    let got: Vec<(&str, i64)> = e
        .iter()
        .map(|x| {
            (
                x["dealerCode"].as_str().unwrap(),
                x["rank"].as_i64().unwrap(),
            )
        })
        .collect();
    // lower is better; D2 and D3 tie at 5 %
    assert_eq!(got, [("D1", 1), ("D2", 2), ("D3", 2)]);
    // ranks agree with a plain sort: 1 + the number of strictly better values
    let values: Vec<f64> = e.iter().map(|x| x["value"].as_f64().unwrap()).collect();
    for (i, x) in e.iter().enumerate() {
        assert_eq!(
            x["rank"].as_u64().unwrap() as usize,
            1 + values.iter().filter(|&&v| v < values[i]).count()
        );
    }
    // percentiles: share of the others that are strictly worse
    assert!(
        close(&e[0]["percentile"], 100.0)
            && close(&e[1]["percentile"], 0.0)
            && close(&e[2]["percentile"], 0.0)
    );
    // deltas: EAST is D1 alone (2 %); WEST pools D2 and D3: 3 / 60 = 5 %
    assert!(close(&e[0]["deltaToRegion"], 0.0) && close(&e[1]["deltaToRegion"], 0.0));
    assert!(close(&e[0]["deltaToNation"], 2.0 - 400.0 / 110.0));
    assert_eq!(e[2]["regionCode"], "WEST");
    // a region's ranking
    let w = t.ok(&t.admin(), RANKING, json!({ "k": "comeback_rate", "p": { "month": "2024-05" }, "s": { "kind": "REGION", "regionCode": "WEST" } })).await["ranking"].clone();
    assert!(close(&w["aggregate"]["pooled"], 5.0));
    assert_eq!(entries(&w).len(), 2);
    // pagination
    let p1 = t
        .ok(
            &t.admin(),
            RANKING,
            json!({ "k": "comeback_rate", "p": { "month": "2024-05" }, "first": 2 }),
        )
        .await["ranking"]
        .clone();
    assert_eq!(entries(&p1).len(), 2);
    assert_eq!(p1["entries"]["pageInfo"]["hasNextPage"], true);
    let after = p1["entries"]["pageInfo"]["endCursor"].clone();
    let p2 = t.ok(&t.admin(), RANKING, json!({ "k": "comeback_rate", "p": { "month": "2024-05" }, "first": 2, "after": after })).await["ranking"].clone();
    assert_eq!(
        entries(&p2)
            .iter()
            .map(|x| x["dealerCode"].clone())
            .collect::<Vec<_>>(),
        [json!("D3")]
    );
    assert_eq!(p2["entries"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn periods_are_ratios_of_sums_over_months() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    comebacks_may(&t).await;
    // D1 in April: 9 of 30 came back
    submit(
        &t,
        &t.admin(),
        "D1",
        "2024-04",
        report_input(&[("ro_comebacks", json!(9)), ("ro_delivered", json!(30))]),
    )
    .await;
    let q = json!({ "k": "comeback_rate", "p": { "kind": "QUARTER", "month": "2024-05" }, "s": { "kind": "REGION", "regionCode": "EAST" } });
    let r = t.ok(&t.admin(), RANKING, q).await["ranking"].clone();
    assert_eq!(
        r["period"],
        json!({ "kind": "QUARTER", "from": "2024-04", "to": "2024-06" })
    );
    // (9 + 1) / (30 + 50) × 100 = 12.5, not the mean of 30 % and 2 %
    assert!(close(&entries(&r)[0]["value"], 12.5), "{r}");
    let ytd = json!({ "k": "comeback_rate", "p": { "kind": "YEAR_TO_DATE", "month": "2024-05" }, "s": { "kind": "REGION", "regionCode": "EAST" } });
    assert!(close(
        &entries(&t.ok(&t.admin(), RANKING, ytd).await["ranking"])[0]["value"],
        12.5
    ));
    let bad = json!({ "k": "comeback_rate", "p": { "kind": "RANGE", "month": "2024-05" } });
    let body = t.gql(&t.admin(), RANKING, bad).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "period");
    let unknown = t
        .gql(
            &t.admin(),
            RANKING,
            json!({ "k": "nope", "p": { "month": "2024-05" } }),
        )
        .await;
    assert_eq!(unknown["errors"][0]["extensions"]["field"], "kpi");
}

#[tokio::test]
async fn a_moved_dealer_counts_in_its_old_region_before_and_its_new_one_after() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    submit(&t, &admin, "D3", "2024-03", report_input(&[])).await;
    submit(&t, &admin, "D3", "2024-05", report_input(&[])).await;
    let q = r#"query($m: Month!) { benchmarks(kpi: "first_time_fix", period: { month: $m }) { regions { regionCode aggregate { dealersWithValue } } } }"#;
    let count = |b: &Value, region: &str| {
        b["benchmarks"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["regionCode"] == region)
            .unwrap()["aggregate"]["dealersWithValue"]
            .as_i64()
            .unwrap()
    };
    let march = t.ok(&admin, q, json!({ "m": "2024-03" })).await;
    assert_eq!((count(&march, "EAST"), count(&march, "WEST")), (1, 0));
    let may = t.ok(&admin, q, json!({ "m": "2024-05" })).await;
    assert_eq!((count(&may, "EAST"), count(&may, "WEST")), (0, 1));
    let facts = r#"{ kpiFacts(from: "2024-03", to: "2024-05", kpis: ["first_time_fix"]) { edges { node { dealerCode month regionCode } } } }"#;
    let f = t.ok(&admin, facts, json!({})).await;
    let rows: Vec<(String, String)> = f["kpiFacts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["month"].as_str().unwrap().into(),
                e["node"]["regionCode"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2024-03".to_string(), "EAST".to_string()),
            ("2024-05".to_string(), "WEST".to_string())
        ]
    );
    // moving it back from May on rewrites May's facts, not March's
    t.ok(&admin, r#"mutation { moveDealer(code: "D3", regionCode: "NORTH", effectiveMonth: "2024-05") { code } }"#, json!({})).await;
    let f = t.ok(&admin, facts, json!({})).await;
    assert_eq!(f["kpiFacts"]["edges"][0]["node"]["regionCode"], "EAST");
    assert_eq!(f["kpiFacts"]["edges"][1]["node"]["regionCode"], "NORTH");
}

/// A scorecard line's (rank in region, rank in nation) of comeback_rate.
async fn comeback_ranks(t: &TestApp, dealer: &str, period: Value) -> (Value, Value) {
    let q = r#"query($d: String!, $p: ReportingPeriod!) { scorecard(dealerCode: $d, period: $p) { kpis { kpi { code } rankInRegion rankInNation } } }"#;
    let card = t
        .ok(&t.admin(), q, json!({ "d": dealer, "p": period }))
        .await;
    let line = scorecard_line(&card["scorecard"], "comeback_rate");
    (line["rankInRegion"].clone(), line["rankInNation"].clone())
}

#[tokio::test]
async fn scorecards_of_one_period_follow_an_amendment_and_a_moved_dealer() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    comebacks_may(&t).await;
    let may = json!({ "month": "2024-05" });
    // Lower is better: D1 2 % first; D2 and D3 (WEST) 5 %, tied second.
    assert_eq!(
        comeback_ranks(&t, "D2", may.clone()).await,
        (json!(1), json!(2))
    );
    // Another dealer of the same period (its digest kept): its own standings.
    assert_eq!(
        comeback_ranks(&t, "D1", may.clone()).await,
        (json!(1), json!(1))
    );
    assert_eq!(
        comeback_ranks(&t, "D3", may.clone()).await,
        (json!(1), json!(2))
    );
    // D1 now 10 / 50 = 20 %: last in the nation; D2 and D3 share the first place.
    amend_d1_may(&t, 10, 50).await;
    assert_eq!(
        comeback_ranks(&t, "D2", may.clone()).await,
        (json!(1), json!(1))
    );
    assert_eq!(
        comeback_ranks(&t, "D1", may.clone()).await,
        (json!(1), json!(3))
    );
    // March to May: D3 was in EAST in March (4 / 40 = 10 %) and WEST since April. In WEST it
    // counts with its months there (2 / 40 = 5 %, tied with D2); in the nation with all
    // (6 / 80 = 7.5 %, between D2's 5 % and D1's 20 %).
    let r = submit(
        &t,
        &admin,
        "D3",
        "2024-03",
        report_input(&[("ro_comebacks", json!(4)), ("ro_delivered", json!(40))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    let spring = json!({ "kind": "RANGE", "month": "2024-03", "to": "2024-05" });
    assert_eq!(
        comeback_ranks(&t, "D3", spring.clone()).await,
        (json!(1), json!(2))
    );
    assert_eq!(
        comeback_ranks(&t, "D2", spring.clone()).await,
        (json!(1), json!(1))
    );
    // D1 (20 %) is second in EAST: D3's March there (10 %) is better.
    assert_eq!(comeback_ranks(&t, "D1", spring).await, (json!(2), json!(3)));
}

const TREND: &str = r#"query($d: String!, $k: String!, $from: Month!, $to: Month!) {
  kpiTrend(dealerCode: $d, kpi: $k, from: $from, to: $to) { month value unavailableReason regionCode regionValue regionDealers nationValue nationDealers } }"#;

#[tokio::test]
async fn an_amendment_changes_its_month_and_the_later_windows() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let token = t.dealer("D1");
    submit(&t, &token, "D1", "2024-04", report_input(&[])).await;
    submit(
        &t,
        &token,
        "D1",
        "2024-05",
        report_input(&[("warranty_registrations", json!(10))]),
    )
    .await;
    let vars =
        json!({ "d": "D1", "k": "warranty_registration", "from": "2024-03", "to": "2024-05" });
    let s = t.ok(&token, TREND, vars.clone()).await["kpiTrend"].clone();
    // March: no report; April: needs March's own sales; May: 10 / April's 10 own sales
    assert_eq!(s[0]["unavailableReason"], "MISSING_REPORT");
    assert_eq!(s[1]["unavailableReason"], "MISSING_REPORT");
    assert!(close(&s[2]["value"], 100.0), "{s}");
    // April's own sales were 20, not 10
    amend_accepted(
        &t,
        &token,
        "D1",
        "2024-04",
        report_input(&[("own_sales_units", json!(20)), ("ro_comebacks", json!(5))]),
        1,
        "sales corrected",
    )
    .await;
    let s = t.ok(&token, TREND, vars).await["kpiTrend"].clone();
    assert!(close(&s[2]["value"], 50.0), "{s}");
    // and April's own KPIs: 5 comebacks of 10 delivered
    let c = t
        .ok(
            &token,
            TREND,
            json!({ "d": "D1", "k": "comeback_rate", "from": "2024-04", "to": "2024-04" }),
        )
        .await;
    assert!(close(&c["kpiTrend"][0]["value"], 50.0));
}

#[tokio::test]
async fn parameters_zero_denominators_and_scorecards() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    submit(
        &t,
        &admin,
        "D1",
        "2024-04",
        report_input(&[("ro_comebacks", json!(3)), ("ro_delivered", json!(30))]),
    )
    .await;
    submit(
        &t,
        &admin,
        "D1",
        "2024-05",
        report_input(&[
            ("pm_due", json!(0)),
            ("pm_contacted", json!(0)),
            ("ro_comebacks", json!(1)),
            ("ro_delivered", json!(50)),
        ]),
    )
    .await;
    submit(&t, &admin, "D2", "2024-05", report_input(&[])).await;
    let q = r#"{ scorecard(dealerCode: "D1", period: { month: "2024-05" }) { regionCode period { from to }
        kpis { kpi { code } value unavailableReason rankInRegion rankInNation nationDealers percentileInNation radarScore
               guidelineStatus previousValue changeVsPrevious yearAgoValue region { pooled } nation { pooled median } } } }"#;
    let card = t.ok(&admin, q, json!({})).await["scorecard"].clone();
    let kpi = |code: &str| scorecard_line(&card, code);
    assert_eq!(
        card["kpis"].as_array().unwrap().len(),
        t.ok(&admin, "{ kpiCatalog { code } }", json!({})).await["kpiCatalog"]
            .as_array()
            .unwrap()
            .len()
    );
    assert_eq!(
        kpi("pm_notification")["unavailableReason"],
        "ZERO_DENOMINATOR"
    );
    assert_eq!(kpi("pm_notification")["value"], Value::Null);
    assert_eq!(
        kpi("service_coverage")["unavailableReason"],
        "MISSING_PARAMETER"
    );
    let c = kpi("comeback_rate");
    // 1 / 50 = 2 %; April 3 / 30 = 10 %; D2: 10 / 10 = 100 %: D1 is best in the nation
    assert!(
        close(&c["value"], 2.0)
            && close(&c["previousValue"], 10.0)
            && close(&c["changeVsPrevious"], -8.0),
        "{c}"
    );
    assert_eq!(
        (
            c["rankInRegion"].as_i64(),
            c["rankInNation"].as_i64(),
            c["nationDealers"].as_i64()
        ),
        (Some(1), Some(1), Some(2))
    );
    assert!(close(&c["radarScore"], 100.0));
    assert_eq!(c["yearAgoValue"], Value::Null);
    // (1 + 10) / (50 + 10) × 100
    assert!(close(&c["nation"]["pooled"], 1100.0 / 60.0));
    // absorption: gross profit 3 × 1000 over expenses 1000 = 300 %, above the 75–100 % band
    assert_eq!(kpi("absorption")["guidelineStatus"], "ABOVE");

    // the OEM sets 2.5 visits per vehicle for 2024, and 2.0 for WEST
    let set = r#"mutation($r: String, $v: Decimal!) { setOemParameter(name: "annual_visits_per_vehicle", year: 2024, regionCode: $r, value: $v) { factsRecomputed parameter { value regionCode } } }"#;
    let d = t.ok(&admin, set, json!({ "v": "2.5" })).await;
    assert_eq!(d["setOemParameter"]["parameter"]["value"], "2.5");
    assert!(d["setOemParameter"]["factsRecomputed"].as_i64().unwrap() >= 3);
    t.ok(&admin, set, json!({ "r": "WEST", "v": 2 })).await;
    let cov =
        |d: &str| json!({ "d": d, "k": "service_coverage", "from": "2024-05", "to": "2024-05" });
    // 40 ROs × 12 / (10 vehicles × 2.5) × 100 = 1920 %; WEST: / (10 × 2.0) = 2400 %
    assert!(close(
        &t.ok(&admin, TREND, cov("D1")).await["kpiTrend"][0]["value"],
        1920.0
    ));
    assert!(close(
        &t.ok(&admin, TREND, cov("D2")).await["kpiTrend"][0]["value"],
        2400.0
    ));
    let params = t
        .ok(
            &admin,
            "{ oemParameters { name year regionCode value } }",
            json!({}),
        )
        .await;
    assert_eq!(params["oemParameters"].as_array().unwrap().len(), 2);
    // only the OEM sets parameters, and values are checked
    assert_eq!(
        t.err_code(&t.bi(), set, json!({ "v": "3" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.err_code(&admin, set, json!({ "v": "0" })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        t.err_code(&admin, set, json!({ "v": "2.0001" })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        t.err_code(&admin, set, json!({ "r": "SOUTH", "v": "2" }))
            .await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn kpi_facts_pages_stay_complete_while_reports_arrive() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    for d in ["D1", "D2", "D3"] {
        submit(&t, &admin, d, "2024-05", report_input(&[])).await;
    }
    let catalog = t.ok(&admin, "{ kpiCatalog { code } }", json!({})).await["kpiCatalog"]
        .as_array()
        .unwrap()
        .len();
    let q = r#"query($after: String, $since: DateTime) { kpiFacts(from: "2024-05", to: "2024-05", first: 40, after: $after, updatedSince: $since) {
        edges { node { dealerCode kpi month numerator denominator value unavailableReason } } pageInfo { hasNextPage endCursor } } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut page = 0;
    loop {
        let d = t.ok(&admin, q, json!({ "after": after })).await["kpiFacts"].clone();
        for e in d["edges"].as_array().unwrap() {
            seen.push(format!(
                "{}/{}",
                e["node"]["kpi"].as_str().unwrap(),
                e["node"]["dealerCode"].as_str().unwrap()
            ));
        }
        page += 1;
        if page == 2 {
            // a new report arrives mid-pull
            submit(&t, &admin, "D4", "2024-05", report_input(&[])).await;
        }
        if d["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = d["pageInfo"]["endCursor"].clone();
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no fact twice");
    // every fact of the three reports is there once; D4's arrived during the pull, and
    // those of its facts ordered after the cursor are there too
    for d in ["D1", "D2", "D3"] {
        assert_eq!(
            seen.iter()
                .filter(|s| s.ends_with(&format!("/{d}")))
                .count(),
            catalog
        );
    }
    // incremental pull: only what changed since
    let since = chrono::Utc::now().to_rfc3339();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    amend(
        &t,
        &admin,
        "D2",
        "2024-05",
        report_input(&[("ro_washed", json!(7))]),
        1,
        "wash count",
    )
    .await;
    let d = t.ok(&admin, q, json!({ "since": since })).await["kpiFacts"].clone();
    let dealers: std::collections::BTreeSet<&str> = d["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["dealerCode"].as_str().unwrap())
        .collect();
    assert_eq!(dealers.into_iter().collect::<Vec<_>>(), ["D2"]);
}

#[tokio::test]
async fn who_sees_what() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    comebacks_may(&t).await;
    let nation = json!({ "k": "comeback_rate", "p": { "month": "2024-05" } });
    // a regional manager sees its dealers' lines (ranked in the nation), the others as
    // aggregates only
    let r = t.ok(&t.manager(&["EAST"]), RANKING, nation.clone()).await["ranking"].clone();
    let e = entries(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0]["dealerCode"].as_str(), e[0]["rank"].as_i64()),
        (Some("D1"), Some(1))
    );
    assert_eq!(r["aggregate"]["dealersWithValue"], 3);
    assert_eq!(r["missingDealers"], json!([]), "D4 is in NORTH");
    // a dealer sees nothing of others before the month is published, and then only its own
    // line; groups under 5 dealers are withheld, with no rank in them
    let d = t.ok(&t.dealer("D1"), RANKING, nation.clone()).await["ranking"].clone();
    assert_eq!(entries(&d).len(), 0);
    assert_eq!(d["aggregate"]["disclosure"], "NOT_YET_PUBLISHED");
    t.ok(
        &t.admin(),
        r#"mutation { publishMonth(month: "2024-05") { members } }"#,
        json!({}),
    )
    .await;
    let d = t.ok(&t.dealer("D1"), RANKING, nation.clone()).await["ranking"].clone();
    assert_eq!(entries(&d).len(), 0);
    assert_eq!(d["aggregate"]["withheld"], true);
    assert_eq!(d["aggregate"]["disclosure"], "SMALL_GROUP");
    assert_eq!(d["aggregate"]["pooled"], Value::Null);
    assert_eq!(d["aggregate"]["dealersWithValue"], 3);
    // other regions are not a dealer's business
    let west = json!({ "k": "comeback_rate", "p": { "month": "2024-05" }, "s": { "kind": "REGION", "regionCode": "WEST" } });
    assert_eq!(
        t.err_code(&t.dealer("D1"), RANKING, west).await,
        "FORBIDDEN"
    );
    let scorecard =
        r#"{ scorecard(dealerCode: "D2", period: { month: "2024-05" }) { dealerCode } }"#;
    assert_eq!(
        t.err_code(&t.dealer("D1"), scorecard, json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.err_code(&t.manager(&["EAST"]), scorecard, json!({}))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.ok(&t.manager(&["WEST"]), scorecard, json!({})).await["scorecard"]["dealerCode"],
        "D2"
    );
    let trend = json!({ "d": "D2", "k": "comeback_rate", "from": "2024-05", "to": "2024-05" });
    assert_eq!(t.err_code(&t.dealer("D1"), TREND, trend).await, "FORBIDDEN");
    // fact pulls are scoped
    let facts = r#"{ kpiFacts(from: "2024-05", to: "2024-05", kpis: ["comeback_rate"]) { edges { node { dealerCode } } } }"#;
    let codes = |d: Value| {
        d["kpiFacts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["dealerCode"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(t.ok(&t.dealer("D2"), facts, json!({})).await), ["D2"]);
    assert_eq!(
        codes(t.ok(&t.manager(&["WEST"]), facts, json!({})).await),
        ["D2", "D3"]
    );
    assert_eq!(
        codes(t.ok(&t.bi(), facts, json!({})).await),
        ["D1", "D2", "D3"]
    );

    // with a minimum group of 2 (and no dominance rule), a dealer sees the published
    // aggregates as values only: never another dealer's min or max, nor the group's sums
    let t2 = TestApp::spawn_with(|s| {
        s.min_group_size = 2;
        s.dominance_share = 1.0;
    })
    .await;
    t2.seed_network().await;
    comebacks_may(&t2).await;
    t2.ok(
        &t2.admin(),
        r#"mutation { publishMonth(month: "2024-05") { members } }"#,
        json!({}),
    )
    .await;
    let d = t2.ok(&t2.dealer("D1"), RANKING, nation).await["ranking"].clone();
    assert_eq!(d["aggregate"]["withheld"], false);
    assert_eq!(d["aggregate"]["disclosure"], "PUBLISHED");
    assert!(close(&d["aggregate"]["pooled"], 400.0 / 110.0));
    assert_eq!(
        (d["aggregate"]["min"].clone(), d["aggregate"]["max"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        (
            d["aggregate"]["numerator"].clone(),
            d["aggregate"]["denominator"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        (
            entries(&d)[0]["dealerCode"].as_str(),
            entries(&d)[0]["rank"].as_i64()
        ),
        (Some("D1"), Some(1))
    );
    // the dealer's own region (EAST: D1 alone) stays withheld, and other regions are not
    // listed at all
    let q = r#"{ benchmarks(kpi: "comeback_rate", period: { month: "2024-05" }) { nation { withheld } regions { regionCode aggregate { withheld pooled } } } }"#;
    let b = t2.ok(&t2.dealer("D1"), q, json!({})).await["benchmarks"].clone();
    assert_eq!(
        b["regions"],
        json!([{ "regionCode": "EAST", "aggregate": { "withheld": true, "pooled": null } }])
    );
}

#[tokio::test]
async fn the_catalog_is_served_whole() {
    let t = TestApp::spawn().await;
    let q = "{ kpiCatalog { code nameZh nameEn category unit direction guideline { low high } numerator denominator scale windowMonths usesParameter explanation } }";
    let c = t.ok(&t.bi(), q, json!({})).await["kpiCatalog"].clone();
    let all = c.as_array().unwrap();
    assert_eq!(all.len(), msi_hub::domain::kpi::KPIS.len());
    let mi = all
        .iter()
        .find(|k| k["code"] == "management_internalization")
        .unwrap();
    assert_eq!(mi["nameZh"], "管理内化率");
    assert_eq!(mi["windowMonths"], 7);
    assert_eq!(mi["denominator"], "Σ own_sales_units[N-7..N-2]");
    let absorption = all.iter().find(|k| k["code"] == "absorption").unwrap();
    assert_eq!(
        absorption["guideline"],
        json!({ "low": 75.0, "high": 100.0 })
    );
    assert_eq!(
        all.iter().find(|k| k["code"] == "comeback_rate").unwrap()["direction"],
        "LOWER_IS_BETTER"
    );
}

#[tokio::test]
async fn a_replica_sees_another_replicas_writes_at_once() {
    let a = TestApp::spawn().await;
    a.seed_network().await;
    comebacks_may(&a).await;
    let b = a.replica().await;
    let q = json!({ "k": "comeback_rate", "p": { "month": "2024-05" } });
    // B caches May
    let before = b.ok(&b.admin(), RANKING, q.clone()).await["ranking"].clone();
    assert!(close(&entries(&before)[0]["value"], 2.0));
    // A amends D1: 10 of 50 came back
    amend_d1_may(&a, 10, 50).await;
    // B's very next ranking reflects it: D1 now last at 20 %
    let after = b.ok(&b.admin(), RANKING, q.clone()).await["ranking"].clone();
    let e = entries(&after);
    assert_eq!(e[2]["dealerCode"], "D1");
    assert!(close(&e[2]["value"], 20.0));
    // (10 + 1 + 2) / (50 + 20 + 40)
    assert!(close(&after["aggregate"]["pooled"], 1300.0 / 110.0));
    // and a network change on A (a new dealer) reaches B's cache too
    open_d5(&a).await;
    submit(
        &a,
        &a.admin(),
        "D5",
        "2024-05",
        report_input(&[("ro_comebacks", json!(0)), ("ro_delivered", json!(10))]),
    )
    .await;
    let e = entries(&b.ok(&b.admin(), RANKING, q).await["ranking"]);
    assert_eq!((e[0]["dealerCode"].as_str(), e.len()), (Some("D5"), 4));
}

/// A write brings only the directory up to date (not the dealers' facts, which it does not
/// read): it still sees another replica's new dealer, and the next read sees every write.
#[tokio::test]
async fn a_write_follows_another_replicas_network_and_the_next_read_every_write() {
    let a = TestApp::spawn().await;
    a.seed_network().await;
    comebacks_may(&a).await;
    let b = a.replica().await;
    let q = json!({ "k": "comeback_rate", "p": { "month": "2024-05" } });
    // B caches May and the directory.
    let before = b.ok(&b.admin(), RANKING, q.clone()).await["ranking"].clone();
    assert_eq!(entries(&before).len(), 3);
    // A amends D1 (10 of 50 came back), then opens D5.
    amend_d1_may(&a, 10, 50).await;
    open_d5(&a).await;
    // B takes D5's report at once, and amends D2 (one dealer's facts: B's own write).
    let r = submit(
        &b,
        &b.admin(),
        "D5",
        "2024-05",
        report_input(&[("ro_comebacks", json!(0)), ("ro_delivered", json!(10))]),
    )
    .await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    amend_accepted(
        &b,
        &b.admin(),
        "D2",
        "2024-05",
        report_input(&[("ro_comebacks", json!(6)), ("ro_delivered", json!(20))]),
        1,
        "fix",
    )
    .await;
    // B's next ranking has all three writes: D5 at 0 %, D3 at 5 %, D1 at 20 %, D2 at 30 %.
    let e = entries(&b.ok(&b.admin(), RANKING, q.clone()).await["ranking"]);
    let order: Vec<&str> = e
        .iter()
        .map(|x| x["dealerCode"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["D5", "D3", "D1", "D2"]);
    assert!(close(&e[2]["value"], 20.0) && close(&e[3]["value"], 30.0));
    // and so does A's.
    let e = entries(&a.ok(&a.admin(), RANKING, q).await["ranking"]);
    let order: Vec<&str> = e
        .iter()
        .map(|x| x["dealerCode"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["D5", "D3", "D1", "D2"]);
}

#[tokio::test]
async fn the_fact_table_holds_the_same_facts_compactly() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    comebacks_may(&t).await;
    let q = r#"query($after: String) { kpiFactTable(from: "2024-05", to: "2024-05", kpis: ["comeback_rate", "pm_notification"], first: 4, after: $after) {
        columns rows count hasNextPage endCursor } }"#;
    let p1 = t.ok(&t.bi(), q, json!({})).await["kpiFactTable"].clone();
    assert_eq!(
        p1["columns"],
        json!([
            "dealerCode",
            "regionCode",
            "month",
            "kpi",
            "numerator",
            "denominator",
            "value",
            "unavailableReason",
            "updatedAt"
        ])
    );
    assert_eq!(
        (p1["count"].as_i64(), p1["hasNextPage"].as_bool()),
        (Some(4), Some(true))
    );
    // KPI order (comeback_rate is id 64, after pm_notification's 7), then dealers
    let first = &p1["rows"][0];
    assert_eq!(
        (first[0].as_str(), first[1].as_str(), first[3].as_str()),
        (Some("D1"), Some("EAST"), Some("pm_notification"))
    );
    let p2 = t.ok(&t.bi(), q, json!({ "after": p1["endCursor"] })).await["kpiFactTable"].clone();
    assert_eq!(
        (p2["count"].as_i64(), p2["hasNextPage"].as_bool()),
        (Some(2), Some(false))
    );
    let last = &p2["rows"][1];
    // D3: 2 comebacks of 40 delivered
    assert_eq!(
        (
            last[0].as_str(),
            last[3].as_str(),
            last[4].as_str(),
            last[5].as_str()
        ),
        (Some("D3"), Some("comeback_rate"), Some("2"), Some("40"))
    );
    assert!(close(&last[6], 5.0));
    // scoped like kpiFacts
    let d = t.ok(&t.dealer("D2"), q, json!({})).await["kpiFactTable"].clone();
    assert!(d["rows"].as_array().unwrap().iter().all(|r| r[0] == "D2"));
}

#[tokio::test]
async fn the_fact_table_as_csv_is_the_same_rows_as_text() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    comebacks_may(&t).await;
    let q = r#"{ kpiFactTable(from: "2024-05", to: "2024-05", kpis: ["comeback_rate", "pm_notification"]) { rows csv count } }"#;
    let page = t.ok(&t.bi(), q, json!({})).await["kpiFactTable"].clone();
    let rows = page["rows"].as_array().unwrap();
    let csv = page["csv"].as_str().unwrap();
    assert!(csv.ends_with('\n'), "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), rows.len());
    assert_eq!(page["count"].as_u64(), Some(rows.len() as u64));
    for (line, row) in lines.iter().zip(rows) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 9, "{line}");
        for (i, cell) in cells.iter().enumerate() {
            match &row[i] {
                Value::Null => assert_eq!(*cell, "", "column {i} of {line}"),
                Value::String(s) => assert_eq!(cell, s, "column {i} of {line}"),
                Value::Number(n) => {
                    let v: f64 = cell.parse().unwrap();
                    assert!((v - n.as_f64().unwrap()).abs() < 1e-9, "{line}");
                }
                other => panic!("unexpected cell {other}"),
            }
        }
    }
    // D3: 2 comebacks of 40 delivered, 5 %
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("D3,") && l.contains(",comeback_rate,2,40,5,")),
        "{csv}"
    );
}

#[tokio::test]
async fn an_amendment_rewrites_only_the_facts_it_changes() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    comebacks_may(&t).await;
    let q = r#"query($since: DateTime) { kpiFactTable(from: "2024-05", to: "2024-05", updatedSince: $since, first: 10000) { rows count } }"#;
    let before = t.ok(&t.bi(), q, json!({})).await["kpiFactTable"].clone();
    let catalog = before["count"].as_i64().unwrap() / 3;
    let latest = before["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| chrono::DateTime::parse_from_rfc3339(r[8].as_str().unwrap()).unwrap())
        .max()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // D3 had 2 comebacks of 40 delivered; now 3.
    let input = report_input(&[("ro_comebacks", json!(3)), ("ro_delivered", json!(40))]);
    amend_accepted(&t, &t.admin(), "D3", "2024-05", input, 1, "recount").await;
    let since = (latest + chrono::Duration::milliseconds(1)).to_rfc3339();
    let after = t.ok(&t.bi(), q, json!({ "since": since })).await["kpiFactTable"].clone();
    let rows = after["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r[3] == "comeback_rate" && r[4] == "3" && r[5] == "40"),
        "{after}"
    );
    assert!(rows.iter().all(|r| r[0] == "D3"), "{after}");
    // Only the KPIs that read ro_comebacks moved; the rest keep their write time.
    assert!(
        (rows.len() as i64) < catalog / 4,
        "{} of {catalog}",
        rows.len()
    );
}
