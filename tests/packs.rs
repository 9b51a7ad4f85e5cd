//! The meeting pack (XLSX and CSV): what it holds equals what the API answers, and each
//! caller's pack holds only what that caller may see.

mod common;

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use common::*;
use serde_json::{json, Value};

async fn get(t: &TestApp, token: Option<&str>, path: &str) -> (u16, Vec<u8>) {
    let mut req = t.client.get(format!("{}{path}", t.base));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

/// Every sheet's cells as text.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            (n, rows)
        })
        .collect()
}

/// May 2024: D1 (EAST) and D2, D3 (WEST) report with different comebacks; D4 does not.
async fn may(t: &TestApp) {
    let admin = t.admin();
    for (d, back, delivered) in [("D1", 1, 50), ("D2", 1, 20), ("D3", 2, 40)] {
        submit(
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
    }
    let item = json!({ "i": {
        "dealerCode": "D1", "subject": "comeback_rate", "problem": "返修偏高", "cause": "no final inspection",
        "countermeasure": "a final road test", "owner": "王师傅", "department": "车间",
        "dueMonth": "2024-07", "baselineFrom": "2024-05", "baselineTo": "2024-05" } });
    t.ok(
        &admin,
        "mutation($i: ActionItemInput!) { createActionItem(input: $i) { id } }",
        item,
    )
    .await;
}

const RANKING: &str = r#"query($s: ScopeInput) { ranking(kpi: "comeback_rate", period: { month: "2024-05" }, scope: $s) {
  entries { edges { node { rank value dealerCode } } } } }"#;

#[tokio::test]
async fn the_oems_pack_holds_what_the_api_answers() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    may(&t).await;
    let (status, bytes) = get(
        &t,
        Some(&t.admin()),
        "/packs/meeting.xlsx?month=2024-05&kpis=comeback_rate,first_time_fix",
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let book = sheets(&bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Status",
            "Overview",
            "Rank comeback_rate",
            "Rank first_time_fix",
            "Actions"
        ]
    );
    let status_rows = &book[0].1;
    let missing: Vec<&str> = status_rows
        .iter()
        .filter(|r| r.get(3).map(String::as_str) == Some("MISSING"))
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(missing, ["D4"]);
    // The ranking sheet: the API's ranks and values, in its order.
    let api = t.ok(&t.admin(), RANKING, json!({})).await;
    let want: Vec<(String, f64)> = api["ranking"]["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["dealerCode"].as_str().unwrap().to_string(),
                e["node"]["value"].as_f64().unwrap(),
            )
        })
        .collect();
    let got: Vec<(String, f64)> = book[2].1[2..]
        .iter()
        .map(|r| (r[2].clone(), r[5].parse::<f64>().unwrap()))
        .collect();
    assert_eq!(got.len(), want.len());
    for ((gd, gv), (wd, wv)) in got.iter().zip(&want) {
        assert_eq!(gd, wd);
        assert!((gv - wv).abs() < 1e-9, "{gd}: {gv} vs {wv}");
    }
    assert!(
        book[2].1[0][0].contains("nation pooled"),
        "{:?}",
        book[2].1[0]
    );
    // The open action item.
    let actions = &book[4].1;
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert_eq!(actions[2][1], "D1");
    assert_eq!(actions[2][3], "OPEN");
    // The same ranking as CSV.
    let (status, csv) = get(
        &t,
        Some(&t.admin()),
        "/packs/meeting.csv?month=2024-05&kpis=comeback_rate&table=rankings",
    )
    .await;
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().starts_with("指标 KPI,排名 Rank,"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[2], want[0].0);
    assert!((first[5].parse::<f64>().unwrap() - want[0].1).abs() < 1e-9);
}

#[tokio::test]
async fn a_pack_holds_only_what_its_reader_may_see() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    may(&t).await;
    let all_cells = |bytes: &[u8]| -> Vec<String> {
        sheets(bytes)
            .into_iter()
            .flat_map(|(_, rows)| rows.into_iter().flatten())
            .collect()
    };
    // The manager of EAST: its region's dealers only (D3 is WEST's in May).
    let (status, bytes) = get(
        &t,
        Some(&t.manager(&["EAST"])),
        "/packs/meeting.xlsx?month=2024-05&region=EAST",
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let cells = all_cells(&bytes);
    assert!(cells.iter().any(|c| c == "D1"));
    for other in ["D2", "D3", "D4"] {
        assert!(!cells.iter().any(|c| c == other), "{other} in EAST's pack");
    }
    let (status, _) = get(
        &t,
        Some(&t.manager(&["EAST"])),
        "/packs/meeting.xlsx?month=2024-05&region=WEST",
    )
    .await;
    assert_eq!(status, 403);
    // A dealer: its own lines, nobody else's, whatever it asks.
    for path in [
        "/packs/meeting.xlsx?month=2024-05",
        "/packs/meeting.xlsx?month=2024-05&region=EAST",
    ] {
        let (status, bytes) = get(&t, Some(&t.dealer("D1")), path).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
        let cells = all_cells(&bytes);
        for other in ["D2", "D3", "D4"] {
            assert!(
                !cells.iter().any(|c| c == other),
                "{other} in D1's pack ({path})"
            );
        }
    }
    // The pooled values a dealer's pack states are the ones the API shows that dealer
    // (nothing a pack adds could be set against an API answer to learn more).
    let (_, bytes) = get(
        &t,
        Some(&t.dealer("D1")),
        "/packs/meeting.xlsx?month=2024-05&kpis=comeback_rate",
    )
    .await;
    let book = sheets(&bytes);
    let title = &book[2].1[0][0];
    let api = t
        .ok(
            &t.dealer("D1"),
            r#"{ ranking(kpi: "comeback_rate", period: { month: "2024-05" }) { aggregate { pooled } nation { pooled } } }"#,
            json!({}),
        )
        .await;
    let shown = |v: &Value| {
        v.as_f64()
            .map_or("withheld".to_string(), |x| format!("{x:.2}"))
    };
    let want = format!(
        "nation pooled {} · nation pooled {}",
        shown(&api["ranking"]["aggregate"]["pooled"]),
        shown(&api["ranking"]["nation"]["pooled"])
    );
    assert!(title.ends_with(&want), "{title} / {want}");
    for table in ["status", "overview", "rankings", "actions"] {
        let (status, csv) = get(
            &t,
            Some(&t.dealer("D2")),
            &format!("/packs/meeting.csv?month=2024-05&table={table}"),
        )
        .await;
        assert_eq!(status, 200);
        let text = String::from_utf8(csv).unwrap();
        for other in ["D1,", "D3,", "D4,"] {
            assert!(!text.contains(other), "{other} in D2's {table}: {text}");
        }
    }
    // Refusals name what is wrong.
    let (status, _) = get(&t, None, "/packs/meeting.xlsx?month=2024-05").await;
    assert_eq!(status, 401);
    let (status, body2) = get(
        &t,
        Some(&t.admin()),
        "/packs/meeting.csv?month=2024-05&table=everything",
    )
    .await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body2));
    let (status, body3) = get(&t, Some(&t.admin()), "/packs/meeting.xlsx").await;
    assert_eq!(status, 400);
    let v: Value = serde_json::from_slice(&body3).unwrap();
    assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let (status, _) = get(
        &t,
        Some(&t.admin()),
        "/packs/meeting.xlsx?month=2024-05&kpis=nope",
    )
    .await;
    assert_eq!(status, 400);
}
