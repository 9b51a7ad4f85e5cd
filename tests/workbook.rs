//! The report workbook: downloaded with the bearer token, opened back with calamine.

mod common;

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use common::*;
use msi_hub::files::workbook::FORM_VERSION;
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

const UPLOAD: &str = "mutation($d: String!, $m: Month!, $f: Upload!, $mode: WorkbookMode, $e: Int, $r: String) {
  uploadReportWorkbook(dealerCode: $d, month: $m, file: $f, mode: $mode, expectedRevision: $e, reason: $r) {
    outcome message violations { field rule message cell } warnings { field rule cell }
    report { revision status } } }";

/// `uploadReportWorkbook` with `bytes` as the file; the whole answer.
async fn upload(
    t: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    vars: serde_json::Value,
) -> serde_json::Value {
    t.upload(token, UPLOAD, vars, bytes, "MSI.xlsx").await
}

/// A workbook in the form's layout written here (not by the service): the header, then
/// `cells` (field code, value) from row 8 on; the row of each code is 8 + its index.
fn sheet(dealer: &str, month: &str, version: &str, cells: &[(&str, Cell)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("MSI").unwrap();
    ws.write(1, 1, dealer).unwrap();
    ws.write(2, 1, month).unwrap();
    ws.write(4, 1, version).unwrap();
    for (i, (code, value)) in cells.iter().enumerate() {
        let row = 7 + i as u32;
        ws.write(row, 0, *code).unwrap();
        match value {
            Cell::N(n) => ws.write(row, 3, *n).unwrap(),
            Cell::T(s) => ws.write(row, 3, *s).unwrap(),
        };
    }
    book.save_to_buffer().unwrap()
}

enum Cell {
    N(f64),
    T(&'static str),
}

/// Every field with the values of `report_input(&[])`, as numbers.
fn complete() -> Vec<(&'static str, Cell)> {
    msi_hub::domain::FIELDS
        .iter()
        .map(|def| {
            let v = match (def.name, def.kind) {
                ("working_days", _) => 22.0,
                ("technicians_level1", _) => 4.0,
                ("technicians_level2", _) => 3.0,
                ("hours_attended", _) => 1500.0,
                ("hours_worked", _) => 1200.0,
                ("hours_sold", _) => 1300.0,
                ("csi_score", _) => 88.5,
                (_, msi_hub::domain::FieldKind::Count) => 10.0,
                _ => 1000.0,
            };
            (def.name, Cell::N(v))
        })
        .collect()
}

fn with(
    mut cells: Vec<(&'static str, Cell)>,
    code: &str,
    value: Cell,
) -> Vec<(&'static str, Cell)> {
    let i = cells.iter().position(|(c, _)| *c == code).unwrap();
    cells[i].1 = value;
    cells
}

fn row_cell(code: &str) -> String {
    let i = msi_hub::domain::FIELDS
        .iter()
        .position(|d| d.name == code)
        .unwrap();
    format!("MSI!D{}", 8 + i)
}

const VALUES: &str = "query($d: String!, $m: Month!) { report(dealerCode: $d, month: $m) { revision values { repairOrders { roComebacks roDelivered } revenue { laborRevenueCustomer } period { workingDays } capacity { mechanics washers } } totals { roTotal grossProfitTotal } } }";

#[tokio::test]
async fn uploaded_workbooks_are_stored_as_the_mutation_stores_reports() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let (d1, d2) = (t.dealer("D1"), t.dealer("D2"));
    // Our own download, sent back: the same report, nothing changes.
    submit(
        &t,
        &d2,
        "D2",
        "2024-04",
        report_input(&[("ro_delivered", json!(1234))]),
    )
    .await;
    let (_, bytes, _) = get(&t, Some(&d2), "/reports/D2/2024-04.xlsx").await;
    let r = upload(&t, &d2, bytes, json!({ "d": "D2", "m": "2024-04" })).await;
    assert_eq!(
        r["data"]["uploadReportWorkbook"]["outcome"], "UNCHANGED",
        "{r}"
    );
    // A workbook written by another spreadsheet writer (openpyxl), numbers partly typed as
    // text: stored as the mutation stores the same figures.
    let fixture = std::fs::read("tests/fixtures/openpyxl_report.xlsx").unwrap();
    let r = upload(&t, &d1, fixture, json!({ "d": "D1", "m": "2024-05" })).await;
    let out = &r["data"]["uploadReportWorkbook"];
    assert!(
        out["outcome"].as_str().unwrap().starts_with("ACCEPTED"),
        "{r}"
    );
    submit(&t, &d2, "D2", "2024-05", report_input(&[])).await;
    let a = t
        .ok(&t.admin(), VALUES, json!({ "d": "D1", "m": "2024-05" }))
        .await;
    let b = t
        .ok(&t.admin(), VALUES, json!({ "d": "D2", "m": "2024-05" }))
        .await;
    assert_eq!(a, b);
    // An amendment by workbook: a new revision with its reason.
    let changed = sheet(
        "D1",
        "2024-05",
        FORM_VERSION,
        &with(complete(), "washers", Cell::N(9.0)),
    );
    let r = upload(
        &t,
        &d1,
        changed,
        json!({ "d": "D1", "m": "2024-05", "mode": "AMEND", "e": 1, "r": "washers recounted" }),
    )
    .await;
    assert_eq!(
        r["data"]["uploadReportWorkbook"]["report"]["revision"], 2,
        "{r}"
    );
    assert_eq!(stored(&t, "D1", "2024-05").await.1, [1, 2]);
}

#[tokio::test]
async fn every_violation_of_a_workbook_names_its_cell_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let d1 = t.dealer("D1");
    let cells = with(complete(), "working_days", Cell::N(40.0));
    let cells = with(cells, "mechanics", Cell::T("twelve"));
    let cells = with(cells, "ro_comebacks", Cell::N(11.0));
    let r = upload(
        &t,
        &d1,
        sheet("D1", "2024-05", FORM_VERSION, &cells),
        json!({ "d": "D1", "m": "2024-05" }),
    )
    .await;
    let out = &r["data"]["uploadReportWorkbook"];
    assert_eq!(out["outcome"], "REJECTED", "{r}");
    let found: Vec<(String, String)> = out["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["rule"].as_str().unwrap().into(),
                v["cell"].as_str().unwrap_or("-").into(),
            )
        })
        .collect();
    assert!(
        found.contains(&("FORMAT".into(), row_cell("mechanics"))),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(rule, cell)| rule == "REQUIRED" && *cell == row_cell("mechanics")),
        "an unreadable cell is not also missing: {found:?}"
    );
    assert!(
        found.contains(&("RANGE".into(), row_cell("working_days"))),
        "{found:?}"
    );
    assert!(
        found.contains(&("NOT_ABOVE".into(), row_cell("ro_comebacks"))),
        "{found:?}"
    );
    assert_eq!(stored(&t, "D1", "2024-05").await.1, Vec::<i64>::new());
}

#[tokio::test]
async fn a_workbook_of_another_dealer_month_or_form_is_refused() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let d1 = t.dealer("D1");
    for (bytes, says) in [
        (
            sheet("D2", "2024-05", FORM_VERSION, &complete()),
            "dealer D2's (MSI!B2), not D1's",
        ),
        (
            sheet("D1", "2024-04", FORM_VERSION, &complete()),
            "for 2024-04 (MSI!B3), not 2024-05",
        ),
        (
            sheet("D1", "2024-05", "MSI-1999.1", &complete()),
            "form version is `MSI-1999.1`",
        ),
        (b"dealer_code,month\n".to_vec(), "not an Excel workbook"),
    ] {
        let r = upload(&t, &d1, bytes, json!({ "d": "D1", "m": "2024-05" })).await;
        assert_eq!(
            r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{r}"
        );
        let m = r["errors"][0]["message"].as_str().unwrap();
        assert!(m.contains(says), "{m}");
    }
    assert_eq!(stored(&t, "D1", "2024-05").await.1, Vec::<i64>::new());
}

#[tokio::test]
async fn only_the_dealer_itself_and_the_oem_upload_its_workbook() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let bytes = sheet("D1", "2024-05", FORM_VERSION, &complete());
    for token in [t.dealer("D2"), t.manager(&["EAST"]), t.bi()] {
        let r = upload(
            &t,
            &token,
            bytes.clone(),
            json!({ "d": "D1", "m": "2024-05" }),
        )
        .await;
        assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    }
    assert_eq!(stored(&t, "D1", "2024-05").await.1, Vec::<i64>::new());
    let r = upload(
        &t,
        &t.admin(),
        bytes.clone(),
        json!({ "d": "D1", "m": "2024-05", "mode": "DRAFT" }),
    )
    .await;
    assert_eq!(
        r["data"]["uploadReportWorkbook"]["outcome"], "DRAFT_SAVED",
        "{r}"
    );
    let r = upload(
        &t,
        &t.dealer("D1"),
        bytes,
        json!({ "d": "D1", "m": "2024-05" }),
    )
    .await;
    assert!(
        r["data"]["uploadReportWorkbook"]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("ACCEPTED"),
        "{r}"
    );
}
