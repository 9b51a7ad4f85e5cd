//! Bulk import of reports from CSV: over GraphQL (multipart upload, oem_admin) and with
//! `msi-hub import`, on the real database.

mod common;

use common::*;
use msi_hub::domain::{FieldKind, FIELDS};
use serde_json::{json, Value};

/// The values of a complete, consistent report (as `report_input`), by snake_case field.
fn values(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    FIELDS
        .iter()
        .map(|def| {
            let v = match (def.name, def.kind) {
                ("working_days", _) => "22",
                ("technicians_level1", _) => "4",
                ("technicians_level2", _) => "3",
                ("hours_attended", _) => "1500.00",
                ("hours_worked", _) => "1200.00",
                ("hours_sold", _) => "1300.00",
                ("csi_score", _) => "88.5",
                (_, FieldKind::Count) => "10",
                (_, _) => "1000.00",
            };
            let v = overrides
                .iter()
                .find(|(n, _)| *n == def.name)
                .map_or(v, |(_, o)| *o);
            (def.name.to_string(), v.to_string())
        })
        .collect()
}

/// One row of a test file: dealer, month and the fields that differ from `values(&[])`.
type Row<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// A CSV of `rows`, `working_days` in column C.
fn csv_of(rows: &[Row]) -> String {
    let names: Vec<String> = values(&[]).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "working_days", "the tests name column C");
    let mut out = format!("dealer_code,month,{}\n", names.join(","));
    for (dealer, month, overrides) in rows {
        let cells: Vec<String> = values(overrides)
            .into_iter()
            .map(|(_, v)| {
                if v.contains(',') {
                    format!("\"{v}\"")
                } else {
                    v
                }
            })
            .collect();
        out.push_str(&format!("{dealer},{month},{}\n", cells.join(",")));
    }
    out
}

const IMPORT: &str = "mutation($f: Upload!, $mode: ImportMode, $reason: String, $dry: Boolean) {
  importReports(file: $f, mode: $mode, amendReason: $reason, dryRun: $dry) {
    counts { rows draftSaved accepted acceptedWithWarnings amended unchanged rejected conflict }
    dryRun rows { line dealerCode month outcome revision violations { cell field rule message warning } }
    rejectedCsv } }";

/// `importReports` with `bytes` as the file.
async fn upload(t: &TestApp, token: &str, bytes: Vec<u8>, vars: Value) -> Value {
    t.upload(token, IMPORT, vars, bytes, "feed.csv").await
}

async fn import_ok(t: &TestApp, bytes: Vec<u8>, vars: Value) -> Value {
    let body = upload(t, &t.admin(), bytes, vars).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["importReports"].clone()
}

fn outcomes(r: &Value) -> Vec<String> {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_imported_row_is_stored_as_the_mutation_stores_it() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let r = import_ok(
        &t,
        csv_of(&[("D1", "2024-05", &[])]).into_bytes(),
        json!({}),
    )
    .await;
    assert_eq!(outcomes(&r), ["ACCEPTED"], "{r}");
    assert_eq!(r["rows"][0]["revision"], 1);
    assert_eq!(r["rejectedCsv"], Value::Null);
    submit(&t, &t.admin(), "D2", "2024-05", report_input(&[])).await;
    let q = "query($d: String!) { report(dealerCode: $d, month: \"2024-05\") { revision status values { repairOrders { roComebacks roDelivered } revenue { laborRevenueCustomer } workshop: period { workingDays } } totals { roTotal grossProfitTotal } } }";
    let a = t.ok(&t.admin(), q, json!({ "d": "D1" })).await["report"].clone();
    let b = t.ok(&t.admin(), q, json!({ "d": "D2" })).await["report"].clone();
    assert_eq!(a, b, "the same figures, the same stored report");
    let (_, revs) = stored(&t, "D1", "2024-05").await;
    assert_eq!(revs, [1]);
}

#[tokio::test]
async fn every_broken_rule_is_named_at_its_cell_and_nothing_of_the_row_is_stored() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let file = csv_of(&[
        ("D1", "2024-05", &[("working_days", "40")]),
        ("D2", "2024-05", &[("working_days", "2x")]),
        ("D9", "2024-05", &[]),
        ("D3", "2024-5", &[]),
        (
            "D4",
            "2024-05",
            &[
                ("mechanics", " 10 "),
                ("washers", "１０"),
                ("labor_revenue_customer", "1,000.00"),
            ],
        ),
    ]);
    let r = import_ok(&t, file.into_bytes(), json!({})).await;
    assert_eq!(
        outcomes(&r),
        ["REJECTED", "REJECTED", "REJECTED", "REJECTED", "ACCEPTED"],
        "{r}"
    );
    let first = |i: usize| r["rows"][i]["violations"][0].clone();
    assert_eq!(first(0)["cell"], "working_days (column C)");
    assert_eq!(first(0)["rule"], "RANGE");
    assert_eq!(first(1)["cell"], "working_days (column C)");
    assert_eq!(first(1)["rule"], "FORMAT");
    assert_eq!(first(2)["cell"], "dealer_code (column A)");
    assert_eq!(first(2)["rule"], "UNKNOWN_DEALER");
    assert_eq!(first(3)["cell"], "month (column B)");
    assert_eq!(r["rows"][3]["line"], 5);
    assert_eq!(r["counts"]["rejected"], 4);
    for d in ["D1", "D2", "D3"] {
        assert_eq!(stored(&t, d, "2024-05").await.1, Vec::<i64>::new(), "{d}");
    }
    // The refused rows come back with their cells, their line and the reason.
    let rejected = r["rejectedCsv"].as_str().unwrap();
    let mut lines = rejected.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().ends_with(",line,reason"));
    let row = lines.next().unwrap();
    assert!(row.starts_with("D1,2024-05,40,"), "{row}");
    assert!(row.contains(",2,\"working_days (column C): "), "{row}");
    assert_eq!(lines.count(), 3);
    // Fixed and imported again, they are accepted.
    let fixed = csv_of(&[("D1", "2024-05", &[("working_days", "21")])]);
    let r = import_ok(&t, fixed.into_bytes(), json!({})).await;
    assert_eq!(outcomes(&r), ["ACCEPTED"]);
}

#[tokio::test]
async fn the_same_file_again_changes_nothing_and_changed_rows_are_amendments_only_when_asked() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let file = csv_of(&[("D1", "2024-04", &[]), ("D1", "2024-05", &[])]);
    let r = import_ok(&t, file.clone().into_bytes(), json!({})).await;
    assert_eq!(outcomes(&r), ["ACCEPTED", "ACCEPTED"]);
    let r = import_ok(&t, file.into_bytes(), json!({})).await;
    assert_eq!(outcomes(&r), ["UNCHANGED", "UNCHANGED"], "{r}");
    assert_eq!(stored(&t, "D1", "2024-05").await.1, [1]);
    let changed = csv_of(&[
        ("D1", "2024-04", &[]),
        ("D1", "2024-05", &[("washers", "9")]),
    ]);
    let r = import_ok(&t, changed.clone().into_bytes(), json!({})).await;
    assert_eq!(outcomes(&r), ["UNCHANGED", "CONFLICT"], "{r}");
    assert_eq!(stored(&t, "D1", "2024-05").await.1, [1]);
    let r = import_ok(
        &t,
        changed.clone().into_bytes(),
        json!({ "reason": "DMS correction" }),
    )
    .await;
    assert_eq!(outcomes(&r), ["UNCHANGED", "AMENDED"], "{r}");
    assert_eq!(r["rows"][1]["revision"], 2);
    assert_eq!(stored(&t, "D1", "2024-05").await.1, [1, 2]);
    // A dry run says what would happen and stores nothing.
    let again = csv_of(&[
        ("D1", "2024-05", &[("washers", "8")]),
        ("D2", "2024-05", &[]),
    ]);
    let r = import_ok(
        &t,
        again.into_bytes(),
        json!({ "dry": true, "reason": "x" }),
    )
    .await;
    assert_eq!(outcomes(&r), ["AMENDED", "ACCEPTED"], "{r}");
    assert_eq!(r["dryRun"], true);
    assert_eq!(stored(&t, "D1", "2024-05").await.1, [1, 2]);
    assert_eq!(stored(&t, "D2", "2024-05").await.1, Vec::<i64>::new());
    // Drafts: stored as revision 0; a draft for a submitted month is a conflict.
    let drafts = csv_of(&[("D2", "2024-05", &[]), ("D1", "2024-05", &[])]);
    let r = import_ok(&t, drafts.into_bytes(), json!({ "mode": "DRAFT" })).await;
    assert_eq!(outcomes(&r), ["DRAFT_SAVED", "CONFLICT"], "{r}");
    assert_eq!(r["rows"][0]["revision"], 0);
}

#[tokio::test]
async fn utf8_with_bom_and_gbk_files_are_read_alike() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    // A column the import ignores carries Chinese text; a refused row gives it back.
    let text = csv_of(&[("D1", "2024-05", &[("working_days", "４０")])])
        .replacen("dealer_code,", "dealer_name,dealer_code,", 1)
        .replacen("\nD1,", "\nD1 汽车服务（南京）,D1,", 1);
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    for bytes in [
        text.clone().into_bytes(),
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        gbk.into_owned(),
    ] {
        let r = import_ok(&t, bytes, json!({})).await;
        assert_eq!(outcomes(&r), ["REJECTED"], "{r}");
        assert_eq!(
            r["rows"][0]["violations"][0]["cell"],
            "working_days (column D)"
        );
        let rejected = r["rejectedCsv"].as_str().unwrap();
        assert!(
            rejected.contains("\nD1 汽车服务（南京）,D1,2024-05,４０,"),
            "{rejected}"
        );
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_report_csv_is_refused_whole_with_the_column() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    for (file, says) in [
        (
            "dealer_code,month,workng_days\nD1,2024-05,22\n",
            "column C (`workng_days`)",
        ),
        ("dealer,month\nD1,2024-05\n", "column A (`dealer`)"),
        (
            "month,working_days\n2024-05,22\n",
            "no `dealer_code` column",
        ),
    ] {
        let body = upload(&t, &t.admin(), file.as_bytes().to_vec(), json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        let m = body["errors"][0]["message"].as_str().unwrap();
        assert!(m.contains(says), "{m}");
    }
}

#[tokio::test]
async fn only_the_oem_imports() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let file = csv_of(&[("D1", "2024-05", &[])]).into_bytes();
    for token in [t.dealer("D1"), t.manager(&["EAST"]), t.bi()] {
        let body = upload(&t, &token, file.clone(), json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
    }
    assert_eq!(stored(&t, "D1", "2024-05").await.1, Vec::<i64>::new());
    // No token: refused before the body is read.
    let resp = t
        .client
        .post(format!("{}/graphql", t.base))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

/// `msi-hub import` on the test database, killed with SIGKILL part-way, then run again:
/// no report is half stored, none twice, and the second run completes the file.
#[tokio::test]
async fn an_import_killed_midway_is_completed_by_running_it_again() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    let dealers: Vec<String> = (10..50).map(|i| format!("K{i}")).collect();
    for d in &dealers {
        let input = json!({ "code": d, "name": d, "brand": "Aurora", "province": "江苏", "city": "南京",
            "sizeTier": "MEDIUM", "openedMonth": "2020-01", "regionCode": "EAST" });
        t.ok(
            &admin,
            "mutation($i: CreateDealerInput!) { createDealer(input: $i) { code } }",
            json!({ "i": input }),
        )
        .await;
    }
    let months: Vec<String> = (0..48)
        .map(|i| format!("{}-{:02}", 2020 + i / 12, i % 12 + 1))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    for d in &dealers {
        for m in &months {
            rows.push((d.as_str(), m.as_str(), &[]));
        }
    }
    let total = rows.len();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.csv");
    std::fs::write(&path, csv_of(&rows)).unwrap();
    let outcomes_path = dir.path().join("feed.outcomes.csv");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_msi-hub"))
            .arg("import")
            .arg(&path)
            .env("DATABASE_URL", t.database_url())
            .env("MSI_JWT_SECRET", SECRET)
            .env("MSI_NOW", NOW)
            .env("MSI_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut child = run();
    // Killed once some rows are done (the outcome file has their lines).
    let done = |p: &std::path::Path| std::fs::read_to_string(p).map_or(0, |s| s.lines().count());
    let start = std::time::Instant::now();
    while done(&outcomes_path) < 100 && start.elapsed().as_secs() < 120 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the import ended before it was killed: {} {} {}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let out = run().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&outcomes_path).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let (mut accepted, mut unchanged) = (0, 0);
    for rec in reader.records() {
        let rec = rec.unwrap();
        assert_eq!(&rec[4], "1", "revision 1 for every report: {rec:?}");
        match &rec[3] {
            "ACCEPTED" => accepted += 1,
            "UNCHANGED" => unchanged += 1,
            other => panic!("{other}: {rec:?}"),
        }
    }
    assert_eq!(accepted + unchanged, total);
    assert!(
        unchanged >= 99,
        "the first run's reports are kept: {unchanged}"
    );
    assert!(accepted > 0, "the kill came before the end: {accepted}");
    for (d, m) in [(&dealers[0], &months[0]), (&dealers[39], &months[47])] {
        assert_eq!(stored(&t, d, m).await.1, [1], "{d} {m}");
    }
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains(&format!("{total} rows")), "{summary}");
}

#[tokio::test]
async fn a_workbook_with_one_row_per_report_imports_as_the_csv_does() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    // Written here with rust_xlsxwriter: the CSV's layout on the first sheet, one month
    // typed as Excel turns "2024-05" into a date, one number as text.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let names: Vec<String> = values(&[]).into_iter().map(|(n, _)| n).collect();
    ws.write(0, 0, "dealer_code").unwrap();
    ws.write(0, 1, "month").unwrap();
    for (i, n) in names.iter().enumerate() {
        ws.write(0, 2 + i as u16, n.as_str()).unwrap();
    }
    for (r, (dealer, working_days)) in [("D1", "22"), ("D2", "40")].iter().enumerate() {
        let row = 1 + r as u32;
        ws.write(row, 0, *dealer).unwrap();
        if r == 0 {
            let may = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 5, 1).unwrap();
            let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm");
            ws.write_datetime_with_format(row, 1, &may, &fmt).unwrap();
        } else {
            ws.write(row, 1, "2024-05").unwrap();
        }
        for (i, (n, v)) in values(&[("working_days", working_days)])
            .into_iter()
            .enumerate()
        {
            let col = 2 + i as u16;
            if n == "labor_revenue_customer" {
                ws.write(row, col, "1,000.00").unwrap();
            } else {
                ws.write(row, col, v.parse::<f64>().unwrap()).unwrap();
            }
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let r = import_ok(&t, bytes, json!({})).await;
    assert_eq!(outcomes(&r), ["ACCEPTED", "REJECTED"], "{r}");
    assert_eq!(r["rows"][0]["line"], 2);
    assert_eq!(
        r["rows"][1]["violations"][0]["cell"],
        "working_days (column C)"
    );
    assert_eq!(r["rows"][1]["violations"][0]["rule"], "RANGE");
    // The same figures as the mutation stores.
    submit(&t, &t.admin(), "D3", "2024-05", report_input(&[])).await;
    let q = "query($d: String!) { report(dealerCode: $d, month: \"2024-05\") { values { repairOrders { roComebacks roDelivered } revenue { laborRevenueCustomer } period { workingDays } } totals { roTotal grossProfitTotal } } }";
    let a = t.ok(&t.admin(), q, json!({ "d": "D1" })).await;
    let b = t.ok(&t.admin(), q, json!({ "d": "D3" })).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_row_is_checked_against_the_months_stored_by_the_rows_before_it() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    // Nothing stored before the file: May's plausibility check can only look back on the
    // months the file's earlier rows stored (ro_delivered 10 each, then 500: over 10×).
    let file = csv_of(&[
        ("D1", "2024-01", &[]),
        ("D1", "2024-02", &[]),
        ("D1", "2024-03", &[]),
        ("D1", "2024-04", &[]),
        (
            "D1",
            "2024-05",
            &[("ro_delivered", "500"), ("ro_mechanical_delivered", "10")],
        ),
    ]);
    let r = import_ok(&t, file.into_bytes(), json!({})).await;
    assert_eq!(
        outcomes(&r),
        [
            "ACCEPTED",
            "ACCEPTED",
            "ACCEPTED",
            "ACCEPTED",
            "ACCEPTED_WITH_WARNINGS"
        ],
        "{r}"
    );
    let w = &r["rows"][4]["violations"][0];
    assert_eq!(w["rule"], "PLAUSIBILITY", "{r}");
    assert_eq!(w["warning"], true);
    // The mutation says the same of the same figures after the same months.
    let input = report_input(&[
        ("ro_delivered", json!(500)),
        ("ro_mechanical_delivered", json!(10)),
    ]);
    for m in ["2024-01", "2024-02", "2024-03", "2024-04"] {
        submit(&t, &t.admin(), "D2", m, report_input(&[])).await;
    }
    let a = submit(&t, &t.admin(), "D2", "2024-05", input).await;
    assert_eq!(a["outcome"], "ACCEPTED_WITH_WARNINGS", "{a}");
    assert_eq!(a["warnings"][0]["rule"], "PLAUSIBILITY");
}

/// Every fact of `month` by (KPI, dealer): (numerator, denominator, unavailable reason).
async fn month_facts(
    t: &TestApp,
    month: &str,
) -> std::collections::BTreeMap<(String, String), Value> {
    let q = r#"query($m: Month!, $after: String) { kpiFacts(from: $m, to: $m, first: 1000, after: $after) {
        edges { node { kpi dealerCode numerator denominator unavailableReason } } pageInfo { hasNextPage endCursor } } }"#;
    let mut out = std::collections::BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let page = t
            .ok(&t.bi(), q, json!({ "m": month, "after": after }))
            .await["kpiFacts"]
            .clone();
        for e in page["edges"].as_array().unwrap() {
            let n = &e["node"];
            out.insert(
                (
                    n["kpi"].as_str().unwrap().to_string(),
                    n["dealerCode"].as_str().unwrap().to_string(),
                ),
                json!([n["numerator"], n["denominator"], n["unavailableReason"]]),
            );
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn reports_stored_together_get_the_facts_the_mutation_gives_them_one_by_one() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    // April for all four (the window of May's growth and rolling KPIs), then May: D1 and D2
    // through one import (one transaction for both), D3 and D4 through the mutation.
    for d in ["D1", "D2", "D3", "D4"] {
        submit(&t, &t.admin(), d, "2024-04", report_input(&[])).await;
    }
    let may = [("washers", "7"), ("ro_delivered", "40")];
    let r = import_ok(
        &t,
        csv_of(&[("D1", "2024-05", &may), ("D2", "2024-05", &may)]).into_bytes(),
        json!({}),
    )
    .await;
    assert_eq!(outcomes(&r), ["ACCEPTED", "ACCEPTED"], "{r}");
    let input = report_input(&[("washers", json!(7)), ("ro_delivered", json!(40))]);
    for d in ["D3", "D4"] {
        let a = submit(&t, &t.admin(), d, "2024-05", input.clone()).await;
        assert_eq!(a["outcome"], "ACCEPTED", "{a}");
    }
    let facts = month_facts(&t, "2024-05").await;
    let of = |dealer: &str| -> Vec<(String, Value)> {
        facts
            .iter()
            .filter(|((_, d), _)| d == dealer)
            .map(|((k, _), v)| (k.clone(), v.clone()))
            .collect()
    };
    assert!(of("D1").len() > 60, "{facts:?}");
    for (imported, submitted) in [("D1", "D3"), ("D2", "D4")] {
        assert_eq!(
            of(imported),
            of(submitted),
            "{imported} against {submitted}"
        );
    }
}

#[tokio::test]
async fn the_same_report_twice_in_a_file_is_a_submission_then_an_amendment_or_a_conflict() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let file = csv_of(&[
        ("D1", "2024-05", &[]),
        ("D1", "2024-05", &[("washers", "9")]),
    ]);
    let r = import_ok(&t, file.clone().into_bytes(), json!({})).await;
    assert_eq!(outcomes(&r), ["ACCEPTED", "CONFLICT"], "{r}");
    assert_eq!(stored(&t, "D1", "2024-05").await.1, [1]);
    let file = csv_of(&[
        ("D2", "2024-05", &[]),
        ("D2", "2024-05", &[("washers", "9")]),
    ]);
    let r = import_ok(&t, file.into_bytes(), json!({ "reason": "DMS correction" })).await;
    assert_eq!(outcomes(&r), ["ACCEPTED", "AMENDED"], "{r}");
    assert_eq!(r["rows"][1]["revision"], 2, "{r}");
    assert_eq!(stored(&t, "D2", "2024-05").await.1, [1, 2]);
    let q = r#"{ report(dealerCode: "D2", month: "2024-05") { revision values { capacity { washers } } } }"#;
    let a = t.ok(&t.admin(), q, json!({})).await;
    assert_eq!(a["report"]["values"]["capacity"]["washers"], 9, "{a}");
}
