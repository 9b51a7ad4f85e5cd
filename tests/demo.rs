//! The demo network: loads, loads twice without duplicates, and has missing and late dealers.

mod common;

use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn demo_loads_once_and_shows_missing_and_late_dealers() {
    // 20 June 2024: May's deadline (10 June) has passed.
    let t = TestApp::spawn_with(|s| s.now = Some("2024-06-20T04:00:00Z".parse().unwrap())).await;
    let first = t
        .app
        .load_demo(true)
        .await
        .unwrap()
        .expect("an empty database gets the demo");
    assert_eq!(first.months, 24);
    // the generator is deterministic: the same network and reports every time
    assert_eq!(
        (first.dealers, first.reports_inserted),
        (240, 5555),
        "{first:?}"
    );
    // `serve --demo` on a database with dealers does nothing; an explicit second load adds nothing
    assert!(t.app.load_demo(true).await.unwrap().is_none());
    let second = t.app.load_demo(false).await.unwrap().unwrap();
    assert_eq!(second.reports_inserted, 0);
    assert!(first.targets_inserted > 240 * 6, "{first:?}");
    assert!((24..=40).contains(&first.actions_created), "{first:?}");
    assert_eq!((second.targets_inserted, second.actions_created), (0, 0));
    assert_eq!(t.app.dealer_count().await.unwrap() as usize, first.dealers);

    let admin = t.admin();
    let regions = t.ok(&admin, "{ regions { code } }", json!({})).await;
    assert_eq!(regions["regions"].as_array().unwrap().len(), 8);
    let q = r#"{ submissionStatus(month: "2024-05") { counts { total missing draft accepted acceptedWithWarnings late } } }"#;
    let c = t.ok(&admin, q, json!({})).await["submissionStatus"]["counts"].clone();
    let n = |k: &str| c[k].as_u64().unwrap();
    assert!(n("missing") > 0 && n("late") > 0, "{c}");
    assert_eq!(
        n("missing") + n("draft") + n("accepted") + n("acceptedWithWarnings"),
        n("total")
    );
    assert!(n("accepted") > n("total") / 2, "{c}");
    // earlier months are complete
    let c = t
        .ok(
            &admin,
            r#"{ submissionStatus(month: "2024-04") { counts { total missing } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(c["submissionStatus"]["counts"]["missing"], 0);

    // the demo's months are published to dealers, but for the latest, still under review
    let q = r#"{ publications(from: "2022-06", to: "2024-05") { month state scheduledByOem } }"#;
    let p = t.ok(&admin, q, json!({})).await["publications"].clone();
    let p = p.as_array().unwrap();
    assert_eq!(p.len(), 24);
    assert!(p[..23].iter().all(|m| m["state"] == "PUBLISHED"), "{p:?}");
    assert_eq!(
        p[23],
        json!({ "month": "2024-05", "state": "SCHEDULED", "scheduledByOem": true })
    );
    let dealer = t.dealer("D00001");
    let nation = |m: &str| json!({ "q": format!(r#"{{ ranking(kpi: "first_time_fix", period: {{ month: "{m}" }}) {{ nation {{ disclosure pooled }} }} }}"#) });
    for (m, disclosure) in [("2024-04", "PUBLISHED"), ("2024-05", "NOT_YET_PUBLISHED")] {
        let q = nation(m)["q"].as_str().unwrap().to_string();
        let r = t.ok(&dealer, &q, json!({})).await;
        assert_eq!(r["ranking"]["nation"]["disclosure"], disclosure, "{m}: {r}");
    }

    // a demo report reads back whole, with totals
    let q = r#"{ report(dealerCode: "D00001", month: "2024-04") { status revision totals { roTotal serviceRevenueTotal } } }"#;
    let r = t.ok(&admin, q, json!({})).await["report"].clone();
    assert_eq!(r["revision"], 1);
    assert!(r["totals"]["roTotal"].as_i64().unwrap() > 0);

    // The management loop is there at first start. The demo ends in May: the first region's
    // 2024 targets are still negotiated (one returned, the others proposed or drafted),
    // every other dealer's approved, so ranking by achievement rides the engine.
    let q = r#"{ dealers(regionCode: "R01", first: 200) { edges { node { code } } } }"#;
    let r01: Vec<String> = t.ok(&admin, q, json!({})).await["dealers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap().to_string())
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    let mut negotiating = Vec::new();
    for code in &r01 {
        let q = format!(r#"{{ targets(dealerCode: "{code}", year: 2024) {{ item status }} }}"#);
        for t in t.ok(&admin, &q, json!({})).await["targets"]
            .as_array()
            .unwrap()
        {
            let status = t["status"].as_str().unwrap().to_string();
            if status != "APPROVED" && t["item"] == "brand_ros" {
                negotiating.push(code.clone());
            }
            *statuses.entry(status).or_insert(0) += 1;
        }
    }
    assert_eq!(statuses.get("RETURNED"), Some(&6), "{statuses:?}");
    assert!(
        statuses.get("PROPOSED") > Some(&6) && statuses.get("DRAFT") > Some(&0),
        "{statuses:?}"
    );
    // (those approved moved in from other regions)
    assert!(statuses.get("APPROVED") < Some(&60), "{statuses:?}");
    let q = r#"{ ranking(kpi: "achievement_brand_ros", period: { kind: YEAR_TO_DATE, month: "2024-04" }, first: 500) {
      aggregate { pooled dealersWithValue } missingDealers entries { edges { node { dealerCode rank value } } } } }"#;
    let r = t.ok(&admin, q, json!({})).await["ranking"].clone();
    let with_value = r["aggregate"]["dealersWithValue"].as_u64().unwrap() as usize;
    assert!(with_value > 150, "{r}");
    let pooled = r["aggregate"]["pooled"].as_f64().unwrap();
    assert!(
        (90.0..125.0).contains(&pooled),
        "targets a little above last year's pace: {pooled}"
    );
    let missing = r["missingDealers"].as_array().unwrap();
    assert!(negotiating.len() > 20, "{negotiating:?}");
    assert!(
        negotiating.iter().all(|c| missing.contains(&json!(c))),
        "no approved target, no achievement"
    );

    // Action items in several states, and the meeting view shows what they answer.
    let q = r#"{ actionItems(first: 100) { nodes { dealerCode status overdue effect followUps { note } } } }"#;
    let items = t.ok(&admin, q, json!({})).await["actionItems"]["nodes"].clone();
    let items = items.as_array().unwrap();
    assert_eq!(items.len() as u64, first.actions_created);
    let states: std::collections::BTreeSet<&str> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert!(states.len() >= 4, "{states:?}");
    assert!(
        items.iter().any(|i| i["overdue"] == true),
        "some are overdue"
    );
    assert!(
        items.iter().any(|i| i["effect"] != "PENDING"),
        "some are measured"
    );
    let q = r#"{ exceptions(period: { month: "2024-04" }, first: 200) { dealersInScope dealersWithExceptions
      dealers { dealerCode uncovered exceptions { kind actionItems { id } } } } }"#;
    let e = t.ok(&admin, q, json!({})).await["exceptions"].clone();
    assert!(e["dealersWithExceptions"].as_u64().unwrap() > 0, "{e}");
    let answered = e["dealers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["exceptions"].as_array().unwrap())
        .any(|x| !x["actionItems"].as_array().unwrap().is_empty());
    assert!(answered, "some exceptions have their countermeasure");
}
