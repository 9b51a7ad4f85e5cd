//! Target management over GraphQL: the yearly cycle and who may take each step, phasing
//! from the previous year, progress by hand, achievement through the KPI engine (ranking
//! with ties, recomputed on amendment), regional targets and who may read them.

mod common;

use common::{amend_accepted, report_input, submit, TestApp};
use serde_json::{json, Value};

const TARGET: &str = "scope code year item value status revision phasing comment updatedBy";

fn save(item: &str, value: &str, expected: i64, reason: Option<&str>) -> (String, Value) {
    (
        format!("mutation($d: String!, $i: String!, $v: Decimal!, $e: Int!, $r: String) {{ saveTarget(dealerCode: $d, year: 2024, item: $i, value: $v, expectedRevision: $e, reason: $r) {{ {TARGET} }} }}"),
        json!({ "d": "D1", "i": item, "v": value, "e": expected, "r": reason }),
    )
}

fn step(name: &str, dealer: &str, item: &str, expected: i64) -> (String, Value) {
    (
        format!("mutation($d: String!, $i: String!, $e: Int!) {{ {name}(dealerCode: $d, year: 2024, item: $i, expectedRevision: $e) {{ {TARGET} }} }}"),
        json!({ "d": dealer, "i": item, "e": expected }),
    )
}

fn give_back(expected: i64, comment: &str) -> (String, Value) {
    (
        format!("mutation($e: Int!, $c: String!) {{ returnTarget(dealerCode: \"D1\", year: 2024, item: \"brand_ros\", expectedRevision: $e, comment: $c) {{ {TARGET} }} }}"),
        json!({ "e": expected, "c": comment }),
    )
}

async fn ok(t: &TestApp, token: &str, (q, v): (String, Value)) -> Value {
    let data = t.ok(token, &q, v).await;
    data.as_object().unwrap().values().next().unwrap().clone()
}

async fn code(t: &TestApp, token: &str, (q, v): (String, Value)) -> String {
    t.err_code(token, &q, v).await
}

/// D1 (EAST): 2023 every month, 100 brand ROs a month but 200 in March (1 300); 2024
/// January to April: 220, 180, 450, 200. D2 (WEST): 2024 January to April, 105 a month.
/// D3 (EAST until March 2024, WEST since): 2024 January to May, 50 a month.
async fn reports(t: &TestApp) {
    let admin = t.admin();
    let brand = |n: i64| report_input(&[("ro_brand", json!(n))]);
    for m in 1..=12 {
        let n = if m == 3 { 200 } else { 100 };
        let r = submit(t, &admin, "D1", &format!("2023-{m:02}"), brand(n)).await;
        assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    }
    for (m, n) in [(1, 220), (2, 180), (3, 450), (4, 200)] {
        submit(t, &admin, "D1", &format!("2024-{m:02}"), brand(n)).await;
        submit(t, &admin, "D2", &format!("2024-{m:02}"), brand(105)).await;
    }
    for m in 1..=5 {
        submit(t, &admin, "D3", &format!("2024-{m:02}"), brand(50)).await;
    }
}

fn decimals(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

const PROGRESS: &str = r#"query($d: String!) { targetProgress(dealerCode: $d, year: 2024, asOf: "2024-05") {
  target { item status } phasedMonths previousYearActual previousYearMissingMonths ytdActual ytdTarget missingMonths
  achievementYear achievementYtd monthActual monthTarget projection gap kpiValue met } }"#;

const RANKING: &str = r#"query { ranking(kpi: "achievement_brand_ros", period: { kind: YEAR_TO_DATE, month: "2024-04" }, first: 10) {
  entries { edges { node { dealerCode rank value numerator denominator } } } } }"#;

fn ranks(r: &Value) -> Vec<(String, i64, f64)> {
    r["ranking"]["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["dealerCode"].as_str().unwrap().to_string(),
                n["rank"].as_i64().unwrap(),
                n["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_yearly_cycle_phasing_progress_and_achievement() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    reports(&t).await;
    let (dealer, east, west, admin) = (
        t.dealer("D1"),
        t.manager(&["EAST"]),
        t.manager(&["WEST"]),
        t.admin(),
    );

    // The dealer drafts and proposes; it cannot approve its own, nor change it meanwhile.
    let d = ok(&t, &dealer, save("brand_ros", "2600", 0, None)).await;
    assert_eq!(
        (d["status"].as_str(), d["revision"].as_i64()),
        (Some("DRAFT"), Some(1))
    );
    assert_eq!(d["value"], "2600");
    let p = ok(&t, &dealer, step("proposeTarget", "D1", "brand_ros", 1)).await;
    assert_eq!(p["status"], "PROPOSED");
    assert_eq!(
        code(&t, &dealer, step("approveTarget", "D1", "brand_ros", 2)).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(&t, &dealer, save("brand_ros", "2700", 2, None)).await,
        "CONFLICT"
    );
    // Another region's manager and BI readers cannot touch it.
    assert_eq!(
        code(&t, &west, step("approveTarget", "D1", "brand_ros", 2)).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(&t, &t.bi(), step("approveTarget", "D1", "brand_ros", 2)).await,
        "FORBIDDEN"
    );
    // Its manager returns it, with a comment (required), and the dealer proposes again.
    assert_eq!(code(&t, &east, give_back(2, " ")).await, "BAD_USER_INPUT");
    let r = ok(&t, &east, give_back(2, "too low for a growing market")).await;
    assert_eq!(
        (r["status"].as_str(), r["comment"].as_str()),
        (Some("RETURNED"), Some("too low for a growing market"))
    );
    ok(&t, &dealer, save("brand_ros", "2600", 3, None)).await;
    ok(&t, &dealer, step("proposeTarget", "D1", "brand_ros", 4)).await;
    // A stale revision is a conflict that says the current one.
    let (q, v) = step("approveTarget", "D1", "brand_ros", 4);
    let stale = t.gql(&east, &q, v).await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentRevision"], 5);
    let a = ok(&t, &east, step("approveTarget", "D1", "brand_ros", 5)).await;
    assert_eq!(
        (a["status"].as_str(), a["phasing"].as_str()),
        (Some("APPROVED"), Some("PREVIOUS_YEAR"))
    );

    // Phased in 2023's shape (100 a month, 200 in March, of 1 300): 200 a month, 400 in
    // March. To April: 220 + 180 + 450 + 200 = 1 050 against 200 + 200 + 400 + 200 = 1 000.
    let p = t.ok(&dealer, PROGRESS, json!({ "d": "D1" })).await["targetProgress"][0].clone();
    assert_eq!(
        decimals(&p["phasedMonths"]),
        ["200", "200", "400", "200", "200", "200", "200", "200", "200", "200", "200", "200"]
    );
    assert_eq!(p["previousYearActual"], "1300");
    assert_eq!(p["previousYearMissingMonths"], json!([]));
    assert_eq!(
        (p["ytdActual"].as_str(), p["ytdTarget"].as_str()),
        (Some("1050"), Some("1000"))
    );
    assert_eq!(p["missingMonths"], json!([5]));
    assert!(close(&p["achievementYtd"], 105.0), "{p}");
    assert!(close(&p["achievementYear"], 1050.0 * 100.0 / 2600.0), "{p}");
    assert_eq!(
        (p["monthActual"].clone(), p["monthTarget"].as_str()),
        (Value::Null, Some("200"))
    );
    // Projection in last year's shape: the reported months weighed 500 of 1 300, so
    // 1 050 × 1 300 / 500 = 2 730, 130 above target.
    assert_eq!(
        (p["projection"].as_str(), p["gap"].as_str()),
        (Some("2730"), Some("130"))
    );

    // D2's target is set and approved by the OEM (no 2023: even, 100 a month); 420 of
    // 400 is 105 % too: a tie with D1, one rank shared.
    let oem = |q: (String, Value)| {
        let (s, mut v) = q;
        v["d"] = json!("D2");
        (s, v)
    };
    ok(&t, &admin, oem(save("brand_ros", "1200", 0, None))).await;
    ok(&t, &admin, step("proposeTarget", "D2", "brand_ros", 1)).await;
    let a = ok(&t, &admin, step("approveTarget", "D2", "brand_ros", 2)).await;
    assert_eq!(a["phasing"], "EVEN");
    let r = ranks(&t.ok(&admin, RANKING, json!({})).await);
    assert_eq!(r, [("D1".into(), 1, 105.0), ("D2".into(), 1, 105.0)]);

    // An amendment moves achievement with it: April 250 instead of 200, 1 100 / 1 000.
    amend_accepted(
        &t,
        &admin,
        "D1",
        "2024-04",
        report_input(&[("ro_brand", json!(250))]),
        1,
        "recount",
    )
    .await;
    let r = ranks(&t.ok(&admin, RANKING, json!({})).await);
    assert_eq!(r, [("D1".into(), 1, 110.0), ("D2".into(), 2, 105.0)]);

    // A region's achievement is Σ actual / Σ phased target over the dealers it held each
    // month. D3 gets 600 (even: 50 a month); it moved from EAST to WEST in April. To April,
    // WEST: D2 420 / 400 and D3's April 50 / 50 = 470 / 450; EAST: D1 1 100 / 1 000 and
    // D3's January to March 150 / 150 = 1 250 / 1 150.
    let d3 = |q: (String, Value)| {
        let (s, mut v) = q;
        v["d"] = json!("D3");
        (s, v)
    };
    ok(&t, &admin, d3(save("brand_ros", "600", 0, None))).await;
    ok(&t, &admin, step("proposeTarget", "D3", "brand_ros", 1)).await;
    ok(&t, &admin, step("approveTarget", "D3", "brand_ros", 2)).await;
    let q = r#"{ benchmarks(kpi: "achievement_brand_ros", period: { kind: YEAR_TO_DATE, month: "2024-04" }) {
      nation { pooled numerator denominator dealersWithValue }
      regions { regionCode aggregate { pooled numerator denominator dealersWithValue } } } }"#;
    let b = t.ok(&admin, q, json!({})).await["benchmarks"].clone();
    let region = |code: &str| {
        b["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["regionCode"] == code)
            .unwrap()["aggregate"]
            .clone()
    };
    let (west, east_agg) = (region("WEST"), region("EAST"));
    assert_eq!(
        (&west["numerator"], &west["denominator"]),
        (&json!("470"), &json!("450")),
        "{b}"
    );
    assert!(close(&west["pooled"], 470.0 * 100.0 / 450.0), "{b}");
    assert_eq!(
        (&east_agg["numerator"], &east_agg["denominator"]),
        (&json!("1250"), &json!("1150")),
        "{b}"
    );
    assert!(close(&east_agg["pooled"], 1250.0 * 100.0 / 1150.0), "{b}");
    // The nation: 1 100 + 420 + 200 over 1 000 + 400 + 200.
    assert!(
        close(&b["nation"]["pooled"], 1720.0 * 100.0 / 1600.0),
        "{b}"
    );
    assert_eq!(b["nation"]["dealersWithValue"], 3, "{b}");
    let r = ranks(&t.ok(&admin, RANKING, json!({})).await);
    assert_eq!(r[2], ("D3".into(), 3, 100.0), "{r:?}");

    // An approved target changes only by a manager's hand, with a reason; re-phased:
    // 3 000 × 100 / 1 300 = 230.77 → 230 (remainder 1 000), March 461.54 → 461 (700); 9
    // left go to the nine earliest months of remainder 1 000.
    assert_eq!(
        code(&t, &dealer, save("brand_ros", "3000", 6, Some("more"))).await,
        "FORBIDDEN"
    );
    assert_eq!(
        code(&t, &east, save("brand_ros", "3000", 6, None)).await,
        "BAD_USER_INPUT"
    );
    let c = ok(&t, &east, save("brand_ros", "3000", 6, Some("market grew"))).await;
    assert_eq!(
        (c["status"].as_str(), c["revision"].as_i64()),
        (Some("APPROVED"), Some(7))
    );
    let p = t.ok(&dealer, PROGRESS, json!({ "d": "D1" })).await["targetProgress"][0].clone();
    assert_eq!(
        decimals(&p["phasedMonths"]),
        ["231", "231", "461", "231", "231", "231", "231", "231", "231", "231", "230", "230"]
    );
    let r = ranks(&t.ok(&admin, RANKING, json!({})).await);
    // 1 100 / (231 + 231 + 461 + 231 = 1 154): last, behind D2 (105 %) and D3 (100 %).
    assert_eq!(r[2].0, "D1", "{r:?}");
    assert!((r[2].2 - 1100.0 * 100.0 / 1154.0).abs() < 1e-9, "{r:?}");

    // Every step is a revision with its author and reason.
    let q = r#"{ targetRevisions(dealerCode: "D1", year: 2024, item: "brand_ros") { revision status value reason author } }"#;
    let revs = t.ok(&dealer, q, json!({})).await["targetRevisions"].clone();
    let statuses: Vec<&str> = revs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["DRAFT", "PROPOSED", "RETURNED", "DRAFT", "PROPOSED", "APPROVED", "APPROVED"]
    );
    assert_eq!(revs[6]["reason"], "market grew");
    assert_eq!(revs[6]["value"], "3000");
    assert_ne!(revs[0]["author"], revs[5]["author"]);

    // A target on a KPI: first-time fix ≥ 95 %. The defaults deliver 10 ROs with 10
    // comebacks: 0 %, not met.
    let k = ok(&t, &dealer, save("kpi:first_time_fix", "95", 0, None)).await;
    assert_eq!(k["value"], "95.00");
    let all = t.ok(&dealer, PROGRESS, json!({ "d": "D1" })).await["targetProgress"].clone();
    let ftf = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["target"]["item"] == "kpi:first_time_fix")
        .unwrap();
    assert!(close(&ftf["kpiValue"], 0.0), "{ftf}");
    assert_eq!(ftf["met"], false);
    // Bad input names the field and changes nothing.
    assert_eq!(
        code(&t, &dealer, save("brand_ros_typo", "1", 0, None)).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&t, &dealer, save("total_ros", "10.5", 0, None)).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(&t, &dealer, save("total_ros", "-1", 0, None)).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        code(
            &t,
            &dealer,
            save("kpi:achievement_brand_ros", "100", 0, None)
        )
        .await,
        "BAD_USER_INPUT"
    );
    let (q, mut v) = save("total_ros", "100", 0, None);
    v["d"] = json!("D2");
    assert_eq!(t.err_code(&dealer, &q, v).await, "FORBIDDEN");
    let q = r#"{ targets(dealerCode: "D2", year: 2024) { item } }"#;
    assert_eq!(t.err_code(&dealer, q, json!({})).await, "FORBIDDEN");
    let q = r#"{ targets(dealerCode: "D1", year: 2024) { item status } }"#;
    assert_eq!(
        t.ok(&dealer, q, json!({})).await["targets"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn regional_targets_are_the_oems_and_read_by_the_regions_managers() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    reports(&t).await;
    let admin = t.admin();
    let set = r#"mutation($v: Decimal!, $e: Int!) { setRegionTarget(regionCode: "EAST", year: 2024, item: "brand_ros", value: $v, expectedRevision: $e) { status revision } }"#;
    assert_eq!(
        t.err_code(&t.manager(&["EAST"]), set, json!({ "v": "5000", "e": 0 }))
            .await,
        "FORBIDDEN"
    );
    let s = t.ok(&admin, set, json!({ "v": "5000", "e": 0 })).await;
    assert_eq!(s["setRegionTarget"]["status"], "APPROVED");
    let q = r#"{ regionTargetProgress(regionCode: "EAST", year: 2024, asOf: "2024-05") { dealers
        items { phasedMonths ytdActual ytdTarget missingMonths achievementYtd } } }"#;
    for token in [t.dealer("D1"), t.manager(&["WEST"])] {
        assert_eq!(t.err_code(&token, q, json!({})).await, "FORBIDDEN");
    }
    let p = t.ok(&t.manager(&["EAST"]), q, json!({})).await["regionTargetProgress"].clone();
    // EAST: D1 all along, D3 until March. 2024: 220 + 50, 180 + 50, 450 + 50, then D1's
    // 200 alone (D3 is in WEST from April): 1 200; May unreported by D1, D3's in WEST.
    assert_eq!(p["dealers"], 2);
    let item = &p["items"][0];
    assert_eq!(item["ytdActual"], "1200");
    assert_eq!(item["missingMonths"], json!([5]));
    // Phased in EAST's 2023 shape (D1's: 100, 100, 200, 100...): 5 000 × 100 / 1 300 =
    // 384.6 → 384 (remainder 800), March 769 (300); 7 left to the seven earliest of 800.
    assert_eq!(
        decimals(&item["phasedMonths"]),
        ["385", "385", "769", "385", "385", "385", "385", "385", "384", "384", "384", "384"]
    );
    assert_eq!(item["ytdTarget"], "1924");
    assert!(
        close(&item["achievementYtd"], 1200.0 * 100.0 / 1924.0),
        "{item}"
    );
    // BI reads it too; the OEM's national profile, once set, phases later targets.
    assert!(t.ok(&t.bi(), q, json!({})).await["regionTargetProgress"]["dealers"] == 2);
    let prof = r#"mutation { setPhasingProfile(year: 2024, item: "brand_ros", weights: [1,1,1,1,1,1,1,1,1,1,1,1]) }"#;
    assert_eq!(
        t.err_code(&t.manager(&["EAST"]), prof, json!({})).await,
        "FORBIDDEN"
    );
    t.ok(&admin, prof, json!({})).await;
    let p = t.ok(&admin, q, json!({})).await["regionTargetProgress"].clone();
    assert_eq!(p["items"][0]["phasedMonths"][0], "417");
    let bad = r#"mutation { setPhasingProfile(year: 2024, item: "brand_ros", weights: [1,1,1]) }"#;
    assert_eq!(t.err_code(&admin, bad, json!({})).await, "BAD_USER_INPUT");
}
