//! Disclosure control, tried as an attacker would: with a dealer token (or a regional
//! manager's) and the public schema, no combination of answers recovers another dealer's
//! figures. Also the publication schedule, "publish now", republication and restatement.

mod common;

use common::{amend_accepted, report_input, scorecard_line, submit, TestApp};
use serde_json::{json, Value};

/// EAST: E1..E5, and M from April 2024 (WEST before); WEST: W1..W5; NORTH: N1, N2 (brand
/// Boreal, SMALL: a peer group of their own). Every other dealer is Aurora MEDIUM.
async fn network(t: &TestApp) {
    let admin = t.admin();
    for code in ["EAST", "WEST", "NORTH"] {
        t.ok(
            &admin,
            "mutation($i: RegionInput!) { createRegion(input: $i) { code } }",
            json!({ "i": { "code": code, "name": code } }),
        )
        .await;
    }
    let mut dealers: Vec<(String, &str, &str, &str)> = Vec::new();
    for i in 1..=5 {
        dealers.push((format!("E{i}"), "EAST", "Aurora", "MEDIUM"));
        dealers.push((format!("W{i}"), "WEST", "Aurora", "MEDIUM"));
    }
    dealers.push(("M".into(), "WEST", "Aurora", "MEDIUM"));
    dealers.push(("N1".into(), "NORTH", "Boreal", "SMALL"));
    dealers.push(("N2".into(), "NORTH", "Boreal", "SMALL"));
    for (code, region, brand, tier) in dealers {
        create_dealer(t, &code, region, brand, tier, "2020-01").await;
    }
    t.ok(
        &admin,
        r#"mutation { moveDealer(code: "M", regionCode: "EAST", effectiveMonth: "2024-04") { code } }"#,
        json!({}),
    )
    .await;
}

async fn create_dealer(
    t: &TestApp,
    code: &str,
    region: &str,
    brand: &str,
    tier: &str,
    opened: &str,
) {
    let input = json!({
        "code": code, "name": format!("{code} 汽车服务"), "brand": brand, "province": "江苏", "city": "南京",
        "sizeTier": tier, "openedMonth": opened, "regionCode": region
    });
    t.ok(
        &t.admin(),
        "mutation($i: CreateDealerInput!) { createDealer(input: $i) { code } }",
        json!({ "i": input }),
    )
    .await;
}

/// A report with `comebacks` of `delivered` ROs.
fn comebacks(back: i64, delivered: i64) -> Value {
    report_input(&[
        ("ro_comebacks", json!(back)),
        ("ro_delivered", json!(delivered)),
    ])
}

/// Every dealer reports March and April 2024: dealer number i has i + k comebacks of 100.
async fn reports(t: &TestApp) {
    let admin = t.admin();
    let all = [
        "E1", "E2", "E3", "E4", "E5", "W1", "W2", "W3", "W4", "W5", "M", "N1", "N2",
    ];
    for (i, d) in all.iter().enumerate() {
        for (k, month) in ["2024-03", "2024-04"].iter().enumerate() {
            let r = submit(t, &admin, d, month, comebacks((i + k) as i64 + 1, 100)).await;
            assert_eq!(r["outcome"], "ACCEPTED", "{d} {month}: {r}");
        }
    }
}

async fn publish(t: &TestApp, month: &str) {
    t.ok(
        &t.admin(),
        "mutation($m: Month!) { publishMonth(month: $m) { members } }",
        json!({ "m": month }),
    )
    .await;
}

async fn republish(t: &TestApp, month: &str) -> Value {
    t.ok(
        &t.admin(),
        "mutation($m: Month!) { republishMonth(month: $m) { version dealersPublished dealersHeld } }",
        json!({ "m": month }),
    )
    .await["republishMonth"]
        .clone()
}

const AGG: &str = "pooled mean median p25 p75 min max numerator denominator dealersWithValue dealersMissing withheld disclosure";

fn ranking_query() -> String {
    format!(
        r#"query($k: String!, $p: ReportingPeriod!, $s: ScopeInput) {{
  ranking(kpi: $k, period: $p, scope: $s, first: 100) {{
    aggregate {{ {AGG} }} nation {{ {AGG} }} missingDealers
    entries {{ edges {{ node {{ rank percentile value numerator denominator dealerCode regionCode deltaToRegion deltaToNation }} }} }} }} }}"#
    )
}

fn scorecard_query() -> String {
    format!(
        r#"query($d: String!, $p: ReportingPeriod!) {{ scorecard(dealerCode: $d, period: $p) {{ regionCode
  kpis {{ kpi {{ code }} value unavailableReason hidden rankInRegion rankInNation percentileInNation radarScore
         regionDealers nationDealers region {{ {AGG} }} nation {{ {AGG} }} peerGroup {{ {AGG} }}
         previousValue yearAgoValue }} }} }}"#
    )
}

const TREND: &str = r#"query($d: String!, $k: String!, $from: Month!, $to: Month!) {
  kpiTrend(dealerCode: $d, kpi: $k, from: $from, to: $to) {
    month value unavailableReason hidden regionCode regionValue regionDealers regionDisclosure nationValue nationDealers nationDisclosure } }"#;

const BENCHMARKS: &str = r#"query($k: String!, $p: ReportingPeriod!) { benchmarks(kpi: $k, period: $p) {
  nation { pooled median dealersWithValue withheld disclosure numerator denominator }
  regions { regionCode aggregate { pooled median dealersWithValue withheld disclosure numerator denominator } } } }"#;

fn region(code: &str) -> Value {
    json!({ "kind": "REGION", "regionCode": code })
}

fn month(m: &str) -> Value {
    json!({ "month": m })
}

fn range(from: &str, to: &str) -> Value {
    json!({ "kind": "RANGE", "month": from, "to": to })
}

/// EAST's live aggregate of April, as its regional manager sees it.
async fn live_east(t: &TestApp) -> Value {
    let q = ranking_query();
    let vars = json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("EAST") });
    agg(&t.ok(&t.manager(&["EAST"]), &q, vars).await).clone()
}

/// Everything a dealer can ask about the comeback rate of April (and March to April), in
/// one value: what a before/after comparison compares.
async fn dealer_view(t: &TestApp, dealer: &str, own_region: &str) -> Value {
    let token = t.dealer(dealer);
    let q = ranking_query();
    let mut out = serde_json::Map::new();
    for (name, p) in [
        ("april", month("2024-04")),
        ("march", month("2024-03")),
        ("range", range("2024-03", "2024-04")),
    ] {
        for (scope, s) in [("nation", Value::Null), ("region", region(own_region))] {
            let r = t
                .ok(&token, &q, json!({ "k": "comeback_rate", "p": p, "s": s }))
                .await;
            out.insert(format!("ranking {name} {scope}"), r);
        }
        out.insert(
            format!("benchmarks {name}"),
            t.ok(&token, BENCHMARKS, json!({ "k": "comeback_rate", "p": p }))
                .await,
        );
    }
    out.insert(
        "scorecard".into(),
        t.ok(
            &token,
            &scorecard_query(),
            json!({ "d": dealer, "p": month("2024-04") }),
        )
        .await,
    );
    out.insert(
        "trend".into(),
        t.ok(
            &token,
            TREND,
            json!({ "d": dealer, "k": "comeback_rate", "from": "2024-03", "to": "2024-04" }),
        )
        .await,
    );
    Value::Object(out)
}

fn agg(ranking: &Value) -> &Value {
    &ranking["ranking"]["aggregate"]
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

fn entries(ranking: &Value) -> Vec<Value> {
    ranking["ranking"]["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn published_network() -> TestApp {
    let t = TestApp::spawn().await;
    network(&t).await;
    reports(&t).await;
    publish(&t, "2024-03").await;
    publish(&t, "2024-04").await;
    t
}

#[tokio::test]
async fn a_dealer_sees_values_of_groups_never_their_sums() {
    let t = published_network().await;
    let view = dealer_view(&t, "E1", "EAST").await;
    for (name, answer) in view.as_object().unwrap() {
        let text = answer.to_string();
        // No summed numerator or denominator of a group, no one dealer's min or max.
        for field in [
            "\"numerator\":\"",
            "\"denominator\":\"",
            "\"min\":",
            "\"max\":",
        ] {
            for (i, _) in text.match_indices(field) {
                let rest = &text[i + field.len()..];
                if field.ends_with(':') {
                    assert!(rest.starts_with("null"), "{name}: {field} in {text}");
                }
            }
        }
        let groups: Vec<&Value> = match answer.get("ranking") {
            Some(r) => vec![&r["aggregate"], &r["nation"]],
            None => vec![],
        };
        for g in groups {
            assert_eq!(g["numerator"], Value::Null, "{name}");
            assert_eq!(g["denominator"], Value::Null, "{name}");
        }
    }
    // The published values are there: EAST in April is E1..E5 and M (2..6 and 12 of 100).
    let east = &view["ranking april region"];
    assert_eq!(agg(east)["disclosure"], "PUBLISHED");
    assert!(
        close(&agg(east)["pooled"], (2 + 3 + 4 + 5 + 6 + 12) as f64 / 6.0),
        "{east}"
    );
    // Its own line only, with its rank in the region.
    let own = entries(east);
    assert_eq!(own.len(), 1);
    assert_eq!(
        (own[0]["dealerCode"].as_str(), own[0]["rank"].as_i64()),
        (Some("E1"), Some(1))
    );
    assert_eq!(
        (own[0]["numerator"].as_str(), own[0]["denominator"].as_str()),
        (Some("2"), Some("100"))
    );
}

#[tokio::test]
async fn differencing_periods_around_a_move_recovers_nothing() {
    let t = published_network().await;
    let q = ranking_query();
    let east = |p: Value| json!({ "k": "comeback_rate", "p": p, "s": region("EAST") });
    // As a dealer of EAST: the range and its months give values only, no sums to subtract.
    let token = t.dealer("E1");
    for p in [
        month("2024-03"),
        month("2024-04"),
        range("2024-03", "2024-04"),
    ] {
        let r = t.ok(&token, &q, east(p)).await;
        assert_eq!(agg(&r)["disclosure"], "PUBLISHED", "{r}");
        assert_eq!(
            (agg(&r)["numerator"].clone(), agg(&r)["denominator"].clone()),
            (Value::Null, Value::Null)
        );
    }
    // As EAST's regional manager, who sees live sums: the range is exactly its months (M
    // counts in WEST with March and in EAST with April), so RANGE − MARCH − APRIL is zero,
    // not M's March figures.
    let manager = t.manager(&["EAST"]);
    let sums = |r: &Value| {
        (
            agg(r)["numerator"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
            agg(r)["denominator"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        )
    };
    let both = sums(&t.ok(&manager, &q, east(range("2024-03", "2024-04"))).await);
    let march = sums(&t.ok(&manager, &q, east(month("2024-03"))).await);
    let april = sums(&t.ok(&manager, &q, east(month("2024-04"))).await);
    assert_eq!(
        (both.0 - march.0 - april.0, both.1 - march.1 - april.1),
        (0, 0)
    );
    // March: E1..E5 (1..5 comebacks); April: E1..E5 and M (2..6 and 12).
    assert_eq!(march, (15, 500));
    assert_eq!(april, (32, 600));
    // The same holds for the dealer-visible counts: M is counted once per month it was there.
    let counts = |r: &Value| agg(r)["dealersWithValue"].as_i64().unwrap();
    let token = t.dealer("E1");
    assert_eq!(
        counts(&t.ok(&token, &q, east(range("2024-03", "2024-04"))).await),
        6
    );
    assert_eq!(counts(&t.ok(&token, &q, east(month("2024-03"))).await), 5);
}

#[tokio::test]
async fn differencing_before_and_after_other_dealers_changes_recovers_nothing() {
    let t = published_network().await;
    let before = dealer_view(&t, "E1", "EAST").await;
    let live_before = live_east(&t).await;
    let admin = t.admin();
    // An amendment of another dealer of EAST.
    amend_accepted(
        &t,
        &admin,
        "E2",
        "2024-04",
        comebacks(40, 100),
        1,
        "recount",
    )
    .await;
    assert_eq!(
        dealer_view(&t, "E1", "EAST").await,
        before,
        "after an amendment"
    );
    // A peer-group change of another dealer.
    t.ok(
        &admin,
        r#"mutation { updateDealer(code: "E3", input: { sizeTier: LARGE }) { code } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        dealer_view(&t, "E1", "EAST").await,
        before,
        "after a peer-group change"
    );
    // A dealer that opens (back-dated) and reports April late.
    create_dealer(&t, "E6", "EAST", "Aurora", "MEDIUM", "2024-01").await;
    let r = submit(&t, &admin, "E6", "2024-04", comebacks(50, 100)).await;
    assert_eq!(r["outcome"], "ACCEPTED", "{r}");
    assert_eq!(
        dealer_view(&t, "E1", "EAST").await,
        before,
        "after an opening"
    );
    // A late first submission: N2 had reported April; a late one of W1 for May does not
    // touch April either, but an amendment of March does touch a published month.
    amend_accepted(
        &t,
        &admin,
        "E4",
        "2024-03",
        comebacks(30, 100),
        1,
        "recount",
    )
    .await;
    assert_eq!(
        dealer_view(&t, "E1", "EAST").await,
        before,
        "after a late change of March"
    );
    // The regional manager's live view has moved all along.
    assert_ne!(live_east(&t).await, live_before);
    // Republishing April with three changed dealers in EAST (E2, E3, E6) shows none of them.
    let r = republish(&t, "2024-04").await;
    assert_eq!(
        (r["dealersPublished"].as_i64(), r["dealersHeld"].as_i64()),
        (Some(0), Some(3)),
        "{r}"
    );
    assert_eq!(
        dealer_view(&t, "E1", "EAST").await,
        before,
        "after a blocked republication"
    );
}

#[tokio::test]
async fn a_republication_shows_enough_changes_at_once() {
    let t = published_network().await;
    let admin = t.admin();
    let q = ranking_query();
    let east = json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("EAST") });
    let before = t.ok(&t.dealer("E1"), &q, east.clone()).await;
    // Four amendments in EAST: one short of the minimum group of 5.
    for d in ["E2", "E3", "E4", "E5"] {
        amend_accepted(&t, &admin, d, "2024-04", comebacks(20, 100), 1, "recount").await;
    }
    let status = r#"{ publications(from: "2024-04", to: "2024-04") { state version pendingDealers events { version kind dealersPublished dealersHeld } } }"#;
    assert_eq!(
        t.ok(&admin, status, json!({})).await["publications"][0]["pendingDealers"],
        4
    );
    let r = republish(&t, "2024-04").await;
    assert_eq!(
        (
            r["dealersPublished"].as_i64(),
            r["dealersHeld"].as_i64(),
            r["version"].as_i64()
        ),
        (Some(0), Some(4), Some(1))
    );
    assert_eq!(t.ok(&t.dealer("E1"), &q, east.clone()).await, before);
    // A fifth: now five changed dealers in EAST, the peer group and the nation.
    amend_accepted(&t, &admin, "M", "2024-04", comebacks(20, 100), 1, "recount").await;
    let r = republish(&t, "2024-04").await;
    assert_eq!(
        (
            r["dealersPublished"].as_i64(),
            r["dealersHeld"].as_i64(),
            r["version"].as_i64()
        ),
        (Some(5), Some(0), Some(2))
    );
    let after = t.ok(&t.dealer("E1"), &q, east).await;
    // E1 (2) and five dealers at 20: (2 + 5 × 20) / 600
    assert!(close(&agg(&after)["pooled"], 102.0 / 6.0), "{after}");
    let s = t.ok(&admin, status, json!({})).await["publications"][0].clone();
    assert_eq!(
        (
            s["state"].as_str(),
            s["version"].as_i64(),
            s["pendingDealers"].as_i64()
        ),
        (Some("PUBLISHED"), Some(2), Some(0))
    );
    assert_eq!(
        s["events"],
        json!([
            { "version": 1, "kind": "EARLY", "dealersPublished": 13, "dealersHeld": 0 },
            { "version": 2, "kind": "REPUBLICATION", "dealersPublished": 5, "dealersHeld": 0 }
        ])
    );
}

#[tokio::test]
async fn a_withheld_group_lets_nothing_through() {
    let t = published_network().await;
    // NORTH (N1, N2) and their peer group (Boreal SMALL) have two dealers each.
    let token = t.dealer("N1");
    let q = ranking_query();
    for s in [
        region("NORTH"),
        json!({ "kind": "PEER_GROUP", "brand": "Boreal", "sizeTier": "SMALL" }),
    ] {
        let r = t
            .ok(
                &token,
                &q,
                json!({ "k": "comeback_rate", "p": month("2024-04"), "s": s }),
            )
            .await;
        let a = agg(&r);
        assert_eq!(
            (a["withheld"].as_bool(), a["disclosure"].as_str()),
            (Some(true), Some("SMALL_GROUP")),
            "{r}"
        );
        for f in [
            "pooled",
            "mean",
            "median",
            "p25",
            "p75",
            "min",
            "max",
            "numerator",
            "denominator",
        ] {
            assert_eq!(a[f], Value::Null, "{f}");
        }
        // No rank or percentile inside it: no line at all.
        assert!(entries(&r).is_empty(), "{r}");
    }
    // In the nation ranking N1 has its line, but no delta to its withheld region.
    let r = t
        .ok(
            &token,
            &q,
            json!({ "k": "comeback_rate", "p": month("2024-04") }),
        )
        .await;
    let own = entries(&r);
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["deltaToRegion"], Value::Null);
    assert!(own[0]["deltaToNation"].is_number());
    // The scorecard: no rank in the region, no region or peer figures.
    let card = t
        .ok(
            &token,
            &scorecard_query(),
            json!({ "d": "N1", "p": month("2024-04") }),
        )
        .await;
    for k in card["scorecard"]["kpis"].as_array().unwrap() {
        assert_eq!(k["rankInRegion"], Value::Null);
        assert_eq!(k["region"]["pooled"], Value::Null);
        assert_eq!(k["peerGroup"]["pooled"], Value::Null);
        assert_eq!(k["region"]["median"], Value::Null);
    }
    // The trend: no region value either.
    let trend = t
        .ok(
            &token,
            TREND,
            json!({ "d": "N1", "k": "comeback_rate", "from": "2024-03", "to": "2024-04" }),
        )
        .await;
    for p in trend["kpiTrend"].as_array().unwrap() {
        assert_eq!(
            (p["regionValue"].clone(), p["regionDisclosure"].as_str()),
            (Value::Null, Some("SMALL_GROUP"))
        );
        assert!(p["value"].is_number() && p["nationValue"].is_number());
    }
}

#[tokio::test]
async fn a_group_where_one_dealer_dominates_is_withheld() {
    let t = TestApp::spawn().await;
    network(&t).await;
    let admin = t.admin();
    // In WEST, W1 delivers 5,000 ROs of 5,400 (93 %).
    for (d, delivered) in [
        ("W1", 5000),
        ("W2", 100),
        ("W3", 100),
        ("W4", 100),
        ("W5", 100),
    ] {
        submit(&t, &admin, d, "2024-04", comebacks(10, delivered)).await;
    }
    for d in ["E1", "E2", "E3", "E4", "E5", "M"] {
        submit(&t, &admin, d, "2024-04", comebacks(3, 100)).await;
    }
    publish(&t, "2024-04").await;
    let q = ranking_query();
    let r = t
        .ok(
            &t.dealer("W2"),
            &q,
            json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("WEST") }),
        )
        .await;
    let a = agg(&r);
    assert_eq!(
        (
            a["disclosure"].as_str(),
            a["withheld"].as_bool(),
            a["dealersWithValue"].as_i64()
        ),
        (Some("DOMINANT_DEALER"), Some(true), Some(5)),
        "{r}"
    );
    assert_eq!(
        (a["pooled"].clone(), a["median"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(entries(&r).is_empty());
    // EAST (six dealers of 100 each) is shown; the nation too (W1: 5,000 of 6,000 = 83 % … withheld).
    let e = t
        .ok(
            &t.dealer("E1"),
            &q,
            json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("EAST") }),
        )
        .await;
    assert_eq!(agg(&e)["disclosure"], "PUBLISHED");
    assert_eq!(e["ranking"]["nation"]["disclosure"], "DOMINANT_DEALER");
    // A KPI where nobody dominates is shown in WEST.
    let r = t
        .ok(
            &t.dealer("W2"),
            &q,
            json!({ "k": "pm_notification", "p": month("2024-04"), "s": region("WEST") }),
        )
        .await;
    assert_eq!(agg(&r)["disclosure"], "PUBLISHED", "{r}");
    // The regional manager sees the live figures regardless.
    let m = t
        .ok(
            &t.manager(&["WEST"]),
            &q,
            json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("WEST") }),
        )
        .await;
    assert_eq!(agg(&m)["disclosure"], "LIVE");
    assert!(agg(&m)["pooled"].is_number());
}

#[tokio::test]
async fn a_dealer_compares_itself_with_its_own_groups_only_everywhere() {
    let t = published_network().await;
    let token = t.dealer("E1");
    let q = ranking_query();
    let refused = [
        json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("WEST") }),
        json!({ "k": "comeback_rate", "p": month("2024-04"), "s": { "kind": "PEER_GROUP", "brand": "Boreal", "sizeTier": "SMALL" } }),
    ];
    for vars in refused {
        assert_eq!(t.err_code(&token, &q, vars).await, "FORBIDDEN");
    }
    // Benchmarks lists its own region and the nation only.
    let b = t
        .ok(
            &token,
            BENCHMARKS,
            json!({ "k": "comeback_rate", "p": month("2024-04") }),
        )
        .await;
    let regions: Vec<&str> = b["benchmarks"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["regionCode"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["EAST"]);
    // Other dealers' scorecards, trends and reports are refused; facts are its own.
    let card = scorecard_query();
    assert_eq!(
        t.err_code(&token, &card, json!({ "d": "W1", "p": month("2024-04") }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        t.err_code(
            &token,
            TREND,
            json!({ "d": "E2", "k": "comeback_rate", "from": "2024-04", "to": "2024-04" })
        )
        .await,
        "FORBIDDEN"
    );
    let facts = t
        .ok(
            &token,
            r#"{ kpiFacts(from: "2024-03", to: "2024-04") { edges { node { dealerCode } } } }"#,
            json!({}),
        )
        .await;
    assert!(facts["kpiFacts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["node"]["dealerCode"] == "E1"));
    // The same operations as a regional manager: every region's aggregates, live.
    let b = t
        .ok(
            &t.manager(&["EAST"]),
            BENCHMARKS,
            json!({ "k": "comeback_rate", "p": month("2024-04") }),
        )
        .await;
    assert_eq!(b["benchmarks"]["regions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_regional_manager_sees_a_moved_dealer_only_for_its_months_there() {
    let t = TestApp::spawn().await;
    network(&t).await;
    let admin = t.admin();
    // M: 2023-04 and 2024-01..2024-05 (WEST until March 2024, EAST from April).
    for (m, back) in [
        ("2023-04", 9),
        ("2024-01", 1),
        ("2024-02", 2),
        ("2024-03", 3),
        ("2024-04", 4),
        ("2024-05", 5),
    ] {
        submit(&t, &admin, "M", m, comebacks(back, 100)).await;
    }
    let manager = t.manager(&["EAST"]);
    // Reports of March are refused (M was in WEST) …
    let report = r#"query($m: Month!) { report(dealerCode: "M", month: $m) { revision } }"#;
    assert_eq!(
        t.err_code(&manager, report, json!({ "m": "2024-03" }))
            .await,
        "FORBIDDEN"
    );
    assert!(t.ok(&manager, report, json!({ "m": "2024-04" })).await["report"].is_object());
    // … and so are its KPI values of those months, in every operation.
    let trend = t
        .ok(
            &manager,
            TREND,
            json!({ "d": "M", "k": "comeback_rate", "from": "2024-02", "to": "2024-05" }),
        )
        .await["kpiTrend"]
        .clone();
    let values: Vec<(bool, Value)> = trend
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["hidden"].as_bool().unwrap(), p["value"].clone()))
        .collect();
    assert_eq!(
        values,
        [
            (true, Value::Null),
            (true, Value::Null),
            (false, json!(4.0)),
            (false, json!(5.0))
        ]
    );
    let card = scorecard_query();
    let kpi = |card: &Value| scorecard_line(&card["scorecard"], "comeback_rate");
    // May: its own value and April's; a year ago (WEST) is hidden.
    let may = kpi(&t
        .ok(&manager, &card, json!({ "d": "M", "p": month("2024-05") }))
        .await);
    assert_eq!(
        (
            may["value"].clone(),
            may["previousValue"].clone(),
            may["yearAgoValue"].clone()
        ),
        (json!(5.0), json!(4.0), Value::Null)
    );
    // A rolling year reaching back into WEST is hidden, with no rank.
    let rolling = kpi(&t
        .ok(
            &manager,
            &card,
            json!({ "d": "M", "p": { "kind": "ROLLING_12", "month": "2024-05" } }),
        )
        .await);
    assert_eq!(
        (
            rolling["value"].clone(),
            rolling["hidden"].clone(),
            rolling["rankInNation"].clone()
        ),
        (Value::Null, json!(true), Value::Null)
    );
    // The quarter April–June lies in EAST: shown.
    let quarter = kpi(&t
        .ok(
            &manager,
            &card,
            json!({ "d": "M", "p": { "kind": "QUARTER", "month": "2024-05" } }),
        )
        .await);
    assert!(close(&quarter["value"], 4.5), "{quarter}");
    // Rankings: in the nation over the rolling year M's line is not the manager's to see; in
    // EAST it counts with its EAST months only.
    let q = ranking_query();
    let rolling = json!({ "kind": "ROLLING_12", "month": "2024-05" });
    let nation = t
        .ok(&manager, &q, json!({ "k": "comeback_rate", "p": rolling }))
        .await;
    assert!(
        entries(&nation).iter().all(|e| e["dealerCode"] != "M"),
        "{nation}"
    );
    let east = t
        .ok(
            &manager,
            &q,
            json!({ "k": "comeback_rate", "p": rolling, "s": region("EAST") }),
        )
        .await;
    let m = entries(&east)
        .into_iter()
        .find(|e| e["dealerCode"] == "M")
        .unwrap();
    assert_eq!(
        (m["numerator"].as_str(), m["denominator"].as_str()),
        (Some("9"), Some("200"))
    );
    // WEST's manager sees M's WEST months, not its EAST ones.
    let west = t.manager(&["WEST"]);
    let trend = t
        .ok(
            &west,
            TREND,
            json!({ "d": "M", "k": "comeback_rate", "from": "2024-02", "to": "2024-03" }),
        )
        .await;
    assert!(trend["kpiTrend"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["hidden"] == false));
    let west_rolling = t
        .ok(
            &west,
            &q,
            json!({ "k": "comeback_rate", "p": rolling, "s": region("WEST") }),
        )
        .await;
    let m = entries(&west_rolling)
        .into_iter()
        .find(|e| e["dealerCode"] == "M")
        .unwrap();
    // 2023-06..2024-03 in WEST: 1 + 2 + 3 of 300 (April 2023 is outside the year)
    assert_eq!(
        (m["numerator"].as_str(), m["denominator"].as_str()),
        (Some("6"), Some("300"))
    );
}

#[tokio::test]
async fn months_are_published_at_their_close_and_not_before() {
    // Now is 5 June 2024: April closed on 15 May (the 10th plus 5 days of grace); May closes
    // on 15 June.
    let t = TestApp::spawn().await;
    network(&t).await;
    reports(&t).await;
    let admin = t.admin();
    for d in ["E1", "E2"] {
        submit(&t, &admin, d, "2024-05", comebacks(1, 100)).await;
    }
    let status = r#"{ publications(from: "2024-03", to: "2024-06") { month state version dueAt scheduledByOem publishedAt } }"#;
    let s = t.ok(&admin, status, json!({})).await["publications"].clone();
    assert_eq!(s[1]["state"], "DUE");
    assert_eq!(s[2]["state"], "SCHEDULED");
    assert_eq!(s[2]["dueAt"], "2024-06-15T15:59:59.999+00:00");
    // Before the scheduler runs, a dealer sees its own values and "not yet published".
    let q = ranking_query();
    let token = t.dealer("E1");
    let r = t
        .ok(
            &token,
            &q,
            json!({ "k": "comeback_rate", "p": month("2024-04") }),
        )
        .await;
    assert_eq!(
        (
            agg(&r)["disclosure"].as_str(),
            agg(&r)["withheld"].as_bool()
        ),
        (Some("NOT_YET_PUBLISHED"), Some(true))
    );
    let card = t
        .ok(
            &token,
            &scorecard_query(),
            json!({ "d": "E1", "p": month("2024-04") }),
        )
        .await;
    let c = scorecard_line(&card["scorecard"], "comeback_rate");
    assert_eq!(
        (
            c["value"].clone(),
            c["rankInNation"].clone(),
            c["nation"]["disclosure"].clone()
        ),
        (json!(2.0), Value::Null, json!("NOT_YET_PUBLISHED"))
    );
    // The scheduler publishes the closed months, not May.
    let published = t.app.publish_due().await.unwrap();
    assert_eq!(
        published.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        ["2024-03", "2024-04"]
    );
    assert!(t.app.publish_due().await.unwrap().is_empty(), "once");
    let s = t.ok(&admin, status, json!({})).await["publications"].clone();
    assert_eq!(
        (s[1]["state"].as_str(), s[1]["version"].as_i64()),
        (Some("PUBLISHED"), Some(1))
    );
    assert_eq!(s[1]["publishedAt"], "2024-06-05T04:00:00+00:00");
    assert_eq!(s[2]["state"], "SCHEDULED");
    let r = t
        .ok(
            &token,
            &q,
            json!({ "k": "comeback_rate", "p": month("2024-04") }),
        )
        .await;
    assert_eq!(agg(&r)["disclosure"], "PUBLISHED");
    // A period reaching into May is not published yet; the trend says so month by month.
    let r = t
        .ok(
            &token,
            &q,
            json!({ "k": "comeback_rate", "p": range("2024-04", "2024-05") }),
        )
        .await;
    assert_eq!(agg(&r)["disclosure"], "NOT_YET_PUBLISHED");
    let trend = t
        .ok(
            &token,
            TREND,
            json!({ "d": "E1", "k": "comeback_rate", "from": "2024-04", "to": "2024-05" }),
        )
        .await["kpiTrend"]
        .clone();
    assert_eq!(
        (
            trend[0]["nationDisclosure"].as_str(),
            trend[1]["nationDisclosure"].as_str()
        ),
        (Some("PUBLISHED"), Some("NOT_YET_PUBLISHED"))
    );
    assert_eq!(
        (trend[1]["value"].clone(), trend[1]["nationValue"].clone()),
        (json!(1.0), Value::Null)
    );
    // Ten days later (another replica, a later clock) May has closed too.
    let later = t
        .replica_with(|s| s.now = Some("2024-06-16T00:00:00Z".parse().unwrap()))
        .await;
    assert_eq!(
        later
            .app
            .publish_due()
            .await
            .unwrap()
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>(),
        ["2024-05"]
    );
    let r = t
        .ok(
            &token,
            &q,
            json!({ "k": "comeback_rate", "p": range("2024-04", "2024-05") }),
        )
        .await;
    assert_eq!(
        agg(&r)["disclosure"],
        "PUBLISHED",
        "the first replica sees the other's publication at once"
    );
}

#[tokio::test]
async fn the_oem_publishes_early_postpones_and_restates() {
    let t = TestApp::spawn().await;
    network(&t).await;
    reports(&t).await;
    let admin = t.admin();
    // Postponed: April is not published by the scheduler until its new date.
    let schedule = r#"mutation($m: Month!, $at: DateTime) { schedulePublication(month: $m, at: $at) { month state dueAt scheduledByOem } }"#;
    let s = t
        .ok(
            &admin,
            schedule,
            json!({ "m": "2024-04", "at": "2024-06-20T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        s["schedulePublication"],
        json!({ "month": "2024-04", "state": "SCHEDULED", "dueAt": "2024-06-20T00:00:00+00:00", "scheduledByOem": true })
    );
    assert_eq!(
        t.app
            .publish_due()
            .await
            .unwrap()
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>(),
        ["2024-03"]
    );
    // Published now by the OEM, before its date.
    let p = t
        .ok(
            &admin,
            r#"mutation { publishMonth(month: "2024-04") { month members } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        p["publishMonth"],
        json!({ "month": "2024-04", "members": 13 })
    );
    // Once only; not the current month; rescheduling a published month is a conflict.
    assert_eq!(
        t.err_code(
            &admin,
            r#"mutation { publishMonth(month: "2024-04") { members } }"#,
            json!({})
        )
        .await,
        "CONFLICT"
    );
    assert_eq!(
        t.err_code(
            &admin,
            r#"mutation { publishMonth(month: "2024-06") { members } }"#,
            json!({})
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        t.err_code(&admin, schedule, json!({ "m": "2024-04" }))
            .await,
        "CONFLICT"
    );
    // Republishing a month never published is a conflict.
    assert_eq!(
        t.err_code(
            &admin,
            r#"mutation { republishMonth(month: "2024-02") { version } }"#,
            json!({})
        )
        .await,
        "CONFLICT"
    );
    // Only the OEM controls publication.
    for token in [t.dealer("E1"), t.manager(&["EAST"]), t.bi()] {
        for m in [
            r#"mutation { publishMonth(month: "2024-05") { members } }"#,
            r#"mutation { republishMonth(month: "2024-04") { version } }"#,
            r#"mutation { restateYear(year: 2023) { version } }"#,
            r#"mutation { schedulePublication(month: "2024-05") { month } }"#,
        ] {
            assert_eq!(t.err_code(&token, m, json!({})).await, "FORBIDDEN", "{m}");
        }
    }
    // A restatement shows every change of a year that has ended, whatever the group sizes.
    let later = t
        .replica_with(|s| s.now = Some("2025-01-20T00:00:00Z".parse().unwrap()))
        .await;
    amend_accepted(
        &t,
        &admin,
        "E2",
        "2024-04",
        comebacks(40, 100),
        1,
        "recount",
    )
    .await;
    let q = ranking_query();
    let east = json!({ "k": "comeback_rate", "p": month("2024-04"), "s": region("EAST") });
    let before = t.ok(&t.dealer("E1"), &q, east.clone()).await;
    assert_eq!(republish(&t, "2024-04").await["dealersHeld"], 1);
    assert_eq!(
        t.err_code(
            &admin,
            r#"mutation { restateYear(year: 2024) { version } }"#,
            json!({})
        )
        .await,
        "BAD_USER_INPUT"
    );
    let r = later
        .ok(&later.admin(), r#"mutation { restateYear(year: 2024) { month version dealersPublished dealersHeld } }"#, json!({}))
        .await;
    assert_eq!(
        r["restateYear"],
        json!([
            { "month": "2024-03", "version": 1, "dealersPublished": 0, "dealersHeld": 0 },
            { "month": "2024-04", "version": 2, "dealersPublished": 1, "dealersHeld": 0 }
        ])
    );
    let after = t.ok(&t.dealer("E1"), &q, east).await;
    assert_ne!(after, before);
    // E2 now at 40: (2 + 40 + 4 + 5 + 6 + 12) / 600
    assert!(close(&agg(&after)["pooled"], 69.0 / 6.0), "{after}");
}
