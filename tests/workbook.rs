//! The report workbook: downloaded with the bearer token, opened back with calamine.

mod common;

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use common::*;
use msi_hub::files::report_workbook::FORM_VERSION;
use serde_json::json;

async fn get(t: &TestApp, token: Option<&str>, path: &str) -> (u16, Vec<u8>, String) {
    let mut req = t.client.get(format!("{}{path}", t.base));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, resp.bytes().await.unwrap().to_vec(), kind)
}

/// The sheet's cells by the code in column A: (this month, last month).
fn by_code(bytes: &[u8]) -> (calamine::Range<Data>, calamine::Range<String>) {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let cells = wb.worksheet_range("MSI").unwrap();
    let formulas = wb.worksheet_formula("MSI").unwrap();
    (cells, formulas)
}

fn row_of(cells: &calamine::Range<Data>, code: &str) -> u32 {
    (0..cells.end().unwrap().0)
        .find(|&r| cells.get_value((r, 0)) == Some(&Data::String(code.into())))
        .unwrap_or_else(|| panic!("no row {code}"))
}

fn number(cells: &calamine::Range<Data>, r: u32, c: u32) -> Option<f64> {
    match cells.get_value((r, c)) {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(i)) => Some(*i as f64),
        _ => None,
    }
}

#[tokio::test]
async fn a_report_downloads_as_the_msi_workbook_with_last_month_beside_it() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let d1 = t.dealer("D1");
    submit(
        &t,
        &d1,
        "D1",
        "2024-04",
        report_input(&[("ro_delivered", json!(950))]),
    )
    .await;
    submit(
        &t,
        &d1,
        "D1",
        "2024-05",
        report_input(&[("ro_delivered", json!(1180)), ("csi_score", json!("91.25"))]),
    )
    .await;
    let (status, bytes, kind) = get(&t, Some(&d1), "/reports/D1/2024-05.xlsx").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let (cells, formulas) = by_code(&bytes);
    assert_eq!(cells.get_value((1, 1)), Some(&Data::String("D1".into())));
    assert_eq!(
        cells.get_value((2, 1)),
        Some(&Data::String("2024-05".into()))
    );
    assert_eq!(cells.get_value((3, 1)), Some(&Data::String("1".into())));
    assert_eq!(
        cells.get_value((4, 1)),
        Some(&Data::String(FORM_VERSION.into()))
    );
    let r = row_of(&cells, "ro_delivered");
    assert_eq!(number(&cells, r, 3), Some(1180.0));
    assert_eq!(number(&cells, r, 4), Some(950.0));
    let r = row_of(&cells, "csi_score");
    assert_eq!(number(&cells, r, 3), Some(91.25));
    let r = row_of(&cells, "labor_revenue_customer");
    assert_eq!(number(&cells, r, 3), Some(1000.0));
    // Totals are live formulas over the input cells.
    let total = row_of(&cells, "ro_total");
    let f = formulas.get_value((total, 3)).cloned().unwrap_or_default();
    assert!(f.starts_with("SUM(D"), "{f}");
    let parts = f
        .trim_start_matches("SUM(")
        .trim_end_matches(')')
        .split(',')
        .count();
    assert_eq!(parts, 4, "{f}");
}

#[tokio::test]
async fn who_may_download_a_report_workbook() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let path = "/reports/D1/2024-05.xlsx";
    for (token, want) in [
        (Some(t.dealer("D1")), 200),
        (Some(t.admin()), 200),
        (Some(t.bi()), 200),
        (Some(t.manager(&["EAST"])), 200),
        (Some(t.dealer("D2")), 403),
        (Some(t.manager(&["WEST"])), 403),
        (None, 401),
    ] {
        let (status, body, _) = get(&t, token.as_deref(), path).await;
        assert_eq!(
            status,
            want,
            "{token:?}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // D3 moved from EAST to WEST in 2024-04: its manager of the month is the one asked.
    let (s, _, _) = get(&t, Some(&t.manager(&["EAST"])), "/reports/D3/2024-03.xlsx").await;
    assert_eq!(s, 200);
    let (s, _, _) = get(&t, Some(&t.manager(&["EAST"])), "/reports/D3/2024-05.xlsx").await;
    assert_eq!(s, 403);
    let (s, body, _) = get(&t, Some(&t.admin()), "/reports/D9/2024-05.xlsx").await;
    assert_eq!(s, 404, "{}", String::from_utf8_lossy(&body));
    let (s, _, _) = get(&t, Some(&t.admin()), "/reports/D1/2024-13.xlsx").await;
    assert_eq!(s, 404);
    // A month not started is the blank form with the dealer and month filled in.
    let (s, bytes, _) = get(&t, Some(&t.dealer("D1")), path).await;
    assert_eq!(s, 200);
    let (cells, _) = by_code(&bytes);
    assert_eq!(cells.get_value((3, 1)), Some(&Data::String("new".into())));
    assert_eq!(number(&cells, row_of(&cells, "ro_delivered"), 3), None);
    // The blank template, for any signed-in user.
    let (s, bytes, _) = get(&t, Some(&t.bi()), "/reports/template.xlsx").await;
    assert_eq!(s, 200);
    let (cells, _) = by_code(&bytes);
    assert_eq!(
        cells.get_value((4, 1)),
        Some(&Data::String(FORM_VERSION.into()))
    );
    let (s, _, _) = get(&t, None, "/reports/template.xlsx").await;
    assert_eq!(s, 401);
}
