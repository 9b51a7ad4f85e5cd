//! Bulk loads are atomic and resumable: `msi-hub generate` killed at any moment and run
//! again reaches exactly the state of an uninterrupted run, and a load never touches a
//! dealer-month that holds a draft.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{report_input, stored, submit, TestApp, SECRET};
use rand::Rng;
use serde_json::json;
use sqlx::Row;

/// A database of its own for one `generate` run: SQLite file, or PostgreSQL schema.
struct Target {
    url: String,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

async fn target(name: &str) -> Target {
    match common::postgres_url() {
        Some(base) => {
            let schema = format!("load_{name}_{}", rand::thread_rng().gen::<u32>());
            let admin = sqlx::PgPool::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin)
                .await
                .unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            Target {
                url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                _dir: None,
                schema: Some(schema),
            }
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            Target {
                url: format!("sqlite://{}/{name}.db", dir.path().display()),
                _dir: Some(dir),
                schema: None,
            }
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let (Some(schema), Some(base)) = (self.schema.take(), common::postgres_url()) {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&base).await {
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                            .execute(&pool)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// `msi-hub generate` of a fixed network into `url`, at a fixed time.
fn generate(url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_msi-hub"));
    c.args([
        "generate",
        "--dealers",
        "300",
        "--months",
        "10",
        "--seed",
        "7",
        "--end",
        "2024-05",
    ])
    .env("DATABASE_URL", url)
    .env("MSI_JWT_SECRET", SECRET)
    .env("MSI_NOW", "2024-06-20T04:00:00Z")
    .env("MSI_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    c
}

/// What a load writes, without wall-clock stamps, in a stable order (numbers as text).
const STATE: [(&str, &str); 6] = [
    ("report", "SELECT dealer_code, CAST(month AS TEXT), status, CAST(revision AS TEXT), data, warnings, CASE WHEN late THEN 'late' ELSE '' END, CAST(first_submitted_at AS TEXT), updated_by FROM reports ORDER BY dealer_code, month"),
    ("revision", "SELECT dealer_code, CAST(month AS TEXT), CAST(revision AS TEXT), status, data, author FROM report_revisions ORDER BY dealer_code, month, revision"),
    ("fact", "SELECT CAST(kpi AS TEXT), CAST(month AS TEXT), dealer_code, region_code, COALESCE(CAST(numerator AS TEXT), ''), COALESCE(CAST(denominator AS TEXT), ''), COALESCE(reason, '') FROM kpi_facts ORDER BY month, dealer_code, kpi"),
    ("member", "SELECT CAST(month AS TEXT), dealer_code, region_code, brand, size_tier FROM published_members ORDER BY month, dealer_code"),
    ("publication", "SELECT CAST(month AS TEXT), CAST(version AS TEXT), '' FROM publications ORDER BY month"),
    ("dealer", "SELECT code, name, brand, CAST(opened_month AS TEXT), COALESCE(CAST(closed_month AS TEXT), '') FROM dealers ORDER BY code"),
];

macro_rules! dump {
    ($pool:expr) => {{
        let mut out = Vec::new();
        for (name, q) in STATE {
            for row in sqlx::query(q).fetch_all(&$pool).await.unwrap() {
                let cells: Vec<String> = (0..row.len())
                    .map(|i| {
                        row.try_get::<Option<String>, _>(i)
                            .unwrap()
                            .unwrap_or_default()
                    })
                    .collect();
                out.push(format!("{name} {}", cells.join("|")));
            }
        }
        $pool.close().await;
        out
    }};
}

/// Everything a load wrote.
async fn state(url: &str) -> Vec<String> {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        dump!(pool)
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        dump!(pool)
    }
}

#[tokio::test]
async fn a_killed_generate_run_again_equals_a_clean_run() {
    let clean = target("clean").await;
    let status = generate(&clean.url).status().unwrap();
    assert!(status.success());
    let expected = state(&clean.url).await;
    assert!(expected.iter().filter(|l| l.starts_with("report ")).count() > 2_500);

    let killed = target("killed").await;
    let mut rng = rand::thread_rng();
    // Killed four times at a random moment after a month's progress line (mid-month, while
    // it computes or writes), then run to the end.
    for round in 0..4 {
        let mut child = generate(&killed.url).spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let wanted = 2 + round * 2;
        let mut seen = 0;
        while seen < wanted {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("generate: month") => seen += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..150)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let status = generate(&killed.url).status().unwrap();
    assert!(status.success());
    let got = state(&killed.url).await;
    assert_eq!(got.len(), expected.len(), "rows");
    let diff: Vec<_> = got
        .iter()
        .zip(&expected)
        .filter(|(a, b)| a != b)
        .take(5)
        .collect();
    assert!(diff.is_empty(), "first differences: {diff:?}");
}

#[tokio::test]
async fn a_load_leaves_drafts_alone() {
    // 5 June: May's reports are partly in (the deadline is the 10th).
    let t = TestApp::spawn_with(|s| s.now = Some("2024-06-05T04:00:00Z".parse().unwrap())).await;
    t.app.load_demo(true).await.unwrap();
    let q = r#"{ submissionStatus(month: "2024-05") { entries(status: MISSING, first: 500) { edges { node { dealerCode } } } } }"#;
    let missing: Vec<String> = t.ok(&t.admin(), q, json!({})).await["submissionStatus"]["entries"]
        ["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["dealerCode"].as_str().unwrap().to_string())
        .collect();
    assert!(missing.len() > 10, "{missing:?}");
    // Half of them save a draft; the others will simply report late.
    let missing: Vec<String> = missing.into_iter().step_by(2).collect();
    let draft = "mutation($d: String!) { saveReportDraft(dealerCode: $d, month: \"2024-05\", input: { repairOrders: { roDelivered: 1 } }) { outcome } }";
    for d in &missing {
        t.ok(&t.admin(), draft, json!({ "d": d })).await;
    }
    // Three weeks later the same load brings the late reports, but not over the drafts.
    let later = t
        .replica_with(|s| s.now = Some("2024-06-25T04:00:00Z".parse().unwrap()))
        .await;
    let second = later.app.load_demo(false).await.unwrap().unwrap();
    assert!(second.reports_inserted > 0, "{second:?}");
    for d in &missing {
        let (report, revisions) = stored(&t, d, "2024-05").await;
        assert_eq!(
            (
                report["revision"].as_i64(),
                report["status"].as_str(),
                revisions.len()
            ),
            (Some(0), Some("DRAFT"), 0),
            "{d}"
        );
    }
    // and the dealer's own submission goes through as the first revision
    let r = submit(&t, &t.admin(), &missing[0], "2024-05", report_input(&[])).await;
    assert!(
        r["outcome"].as_str().unwrap().starts_with("ACCEPTED"),
        "{r}"
    );
    assert_eq!(stored(&t, &missing[0], "2024-05").await.1, vec![1]);
}

/// Rows of SQLite's planner statistics: `sqlite_stat1` (row counts), `sqlite_stat4`
/// (histogram samples).
async fn sqlite_statistics(url: &str) -> (i64, i64) {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");
    let stat1: i64 = sqlx::query_scalar(&count("sqlite_stat1"))
        .fetch_one(&pool)
        .await
        .unwrap();
    let stat4: i64 = sqlx::query_scalar(&count("sqlite_stat4"))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (stat1, stat4)
}

#[tokio::test]
async fn sqlite_statistics_keep_no_samples_that_would_reprepare_statements() {
    if common::postgres_url().is_some() {
        return; // SQLite's statistics only.
    }
    let t = target("statistics").await;
    assert!(generate(&t.url).status().unwrap().success());
    let (stat1, stat4) = sqlite_statistics(&t.url).await;
    assert!(stat1 > 5, "row counts kept: {stat1}");
    assert_eq!(stat4, 0, "no histogram samples after a load");
    // A database an earlier build analyzed keeps samples: opening it analyzes it again.
    let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
    assert!(sqlite_statistics(&t.url).await.1 > 0, "ANALYZE samples");
    let mut settings = msi_hub::config::Settings::for_database(&t.url);
    settings.jwt_secret = Some(SECRET.into());
    let app = msi_hub::app::App::open(settings).await.unwrap();
    drop(app);
    let (stat1, stat4) = sqlite_statistics(&t.url).await;
    assert!(stat1 > 5);
    assert_eq!(
        stat4, 0,
        "samples cleared when the service opens the database"
    );
}
