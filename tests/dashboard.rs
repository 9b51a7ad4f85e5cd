//! The dashboard at `/`: its page and files served from the binary, demo users only with
//! the development secret, and, in a real headless Chromium driven over the DevTools
//! protocol, every view signed in as each role, its numbers equal to the API's, a dealer
//! kept off another dealer's page, the report form storing a report, and no console error.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use common::TestApp;
use futures_util::StreamExt;
use serde_json::{json, Value};

/// The demo's last whole month under the tests' clock (June 2024).
const MONTH: &str = "2024-05";
/// The current month under that clock: no report yet.
const CURRENT: &str = "2024-06";

/// A service on the demo network, signing tokens with the development secret.
async fn demo() -> TestApp {
    let t = TestApp::spawn_with(|s| s.jwt_secret = None).await;
    t.app
        .load_demo(true)
        .await
        .unwrap()
        .expect("the demo loads");
    t
}

async fn get(t: &TestApp, path: &str) -> reqwest::Response {
    t.client
        .get(format!("{}{path}", t.base))
        .send()
        .await
        .unwrap()
}

/// Demo users by label: role and token.
async fn demo_users(t: &TestApp) -> Vec<(String, String, String)> {
    let resp = get(t, "/dashboard/demo-users").await;
    assert_eq!(resp.status(), 200);
    let users: Value = resp.json().await.unwrap();
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let s = |k: &str| u[k].as_str().unwrap().to_string();
            (s("label"), s("role"), s("token"))
        })
        .collect()
}

#[tokio::test]
async fn the_page_and_its_files_are_served_and_demo_users_only_with_the_development_secret() {
    let t = demo().await;
    let page = get(&t, "/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("content-security-policy"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"{{"month": "{MONTH}", "form": {{"sections":"#))
            && !html.contains("__MSI_"),
        "{html}"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let scripts: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/dashboard/assets/"))
        .collect();
    assert_eq!(scripts.len(), 3, "{scripts:?}");
    // Every module the page imports, followed from main.js, is served.
    let mut todo = vec!["main.js".to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(file) = todo.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let resp = get(&t, &format!("/dashboard/assets/{file}")).await;
        assert_eq!(resp.status(), 200, "{file}");
        let body = resp.text().await.unwrap();
        for part in body.split(['\'', '"']) {
            if let Some(name) = part.strip_prefix("./").filter(|n| n.ends_with(".js")) {
                todo.push(name.to_string());
            }
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
    for other in [
        "/dashboard/assets/README.md",
        "/dashboard/assets/..%2FCargo.toml",
    ] {
        assert_eq!(get(&t, other).await.status(), 404, "{other}");
    }
    // The demo users' tokens are real: each reads what its role may.
    let users = demo_users(&t).await;
    let roles: Vec<&str> = users.iter().map(|u| u.1.as_str()).collect();
    assert_eq!(
        roles,
        ["oem_admin", "bi_reader", "regional_manager", "dealer"]
    );
    for (label, role, token) in &users {
        let me = t.ok(token, "{ me { role } }", json!({})).await;
        assert_eq!(
            me["me"]["role"].as_str().unwrap().to_lowercase(),
            *role,
            "{label}"
        );
    }
    // With a configured secret, nobody can mint tokens from the page.
    let prod = TestApp::spawn().await;
    assert_eq!(get(&prod, "/dashboard/demo-users").await.status(), 404);
}

/// A page driven in Chromium, with what its console reported as errors.
struct Driver {
    page: Page,
    errors: Arc<Mutex<Vec<String>>>,
    shots: PathBuf,
}

impl Driver {
    async fn js(&self, expr: &str) -> Value {
        let r = self
            .page
            .evaluate(expr)
            .await
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        r.value().cloned().unwrap_or(Value::Null)
    }

    /// Waits until the page says the view `view` is loaded; the time it took.
    async fn ready(&self, view: &str, since: Instant) -> Duration {
        let test =
            format!("!!document.querySelector(\"body[data-ready='1'][data-view='{view}']\")");
        while self.js(&test).await != Value::Bool(true) {
            if since.elapsed() > Duration::from_secs(30) {
                panic!(
                    "{view} never became ready; body: {}",
                    self.js("document.body.outerHTML.slice(0, 3000)").await
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        since.elapsed()
    }

    /// Opens a route of the signed-in page (`#/ranking?...`) and waits for its view.
    async fn open(&self, route: &str, view: &str) -> Duration {
        self.js("document.body.dataset.ready = '0'").await;
        let start = Instant::now();
        self.js(&format!("location.hash = {}", json!(route))).await;
        self.ready(view, start).await
    }

    async fn shot(&self, name: &str) {
        let png = self
            .page
            .screenshot(ScreenshotParams::builder().full_page(true).build())
            .await
            .unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// `attr` of every element matching `selector`, in document order.
    async fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let expr = format!(
            "JSON.stringify([...document.querySelectorAll({})].map(e => e.getAttribute({})))",
            json!(selector),
            json!(attr)
        );
        serde_json::from_str(self.js(&expr).await.as_str().unwrap()).unwrap()
    }

    async fn click(&self, selector: &str) {
        self.page
            .find_element(selector)
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn error(&self) -> Option<String> {
        self.js("document.body.dataset.error || null")
            .await
            .as_str()
            .map(str::to_string)
    }

    fn no_console_errors(&self, who: &str) {
        let errors = self.errors.lock().unwrap();
        assert!(errors.is_empty(), "{who}: console errors: {errors:?}");
    }
}

/// Chromium started headless, every host but 127.0.0.1 unreachable; its event loop and
/// profile directory, to keep while it runs.
async fn launch(chromium: PathBuf) -> (Browser, tokio::task::JoinHandle<()>, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let config = BrowserConfig::builder()
        .chrome_executable(chromium)
        .no_sandbox()
        .window_size(1400, 1000)
        .user_data_dir(profile.path())
        .request_timeout(Duration::from_secs(60))
        .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        .arg("--disable-gpu")
        .arg("--lang=zh-CN")
        .build()
        .unwrap();
    let (browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
    (browser, events, profile)
}

/// Signs in as the demo user `label` from the sign-in screen, in a page of its own.
async fn sign_in(browser: &Browser, base: &str, label: &str, shots: &std::path::Path) -> Driver {
    let page = browser.new_page("about:blank").await.unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let mut console = page
        .event_listener::<EventConsoleApiCalled>()
        .await
        .unwrap();
    let mut thrown = page.event_listener::<EventExceptionThrown>().await.unwrap();
    let mut log = page.event_listener::<EventEntryAdded>().await.unwrap();
    page.execute(chromiumoxide::cdp::browser_protocol::log::EnableParams::default())
        .await
        .unwrap();
    let sink = errors.clone();
    tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                Some(e) = console.next() => (e.r#type == ConsoleApiCalledType::Error)
                    .then(|| format!("console.error {:?}", e.args.iter().map(|a| a.value.clone()).collect::<Vec<_>>())),
                Some(e) = thrown.next() => Some(format!("uncaught {:?}", e.exception_details)),
                Some(e) = log.next() => (e.entry.level == LogEntryLevel::Error)
                    .then(|| format!("{} ({:?})", e.entry.text, e.entry.url)),
                else => break,
            };
            if let Some(m) = message {
                sink.lock().unwrap().push(m);
            }
        }
    });
    let driver = Driver {
        page,
        errors,
        shots: shots.to_path_buf(),
    };
    driver.page.goto(format!("{base}/")).await.unwrap();
    driver.ready("sign-in", Instant::now()).await;
    driver
        .click(&format!("button[data-demo-user={}]", json!(label)))
        .await;
    driver
}

/// The same number: the page prints the API's value exactly, but serde_json (without its
/// `float_roundtrip` feature) may read a long decimal one unit in the last place off.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

async fn api(t: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    t.ok(token, query, vars).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_in_a_real_browser_shows_what_the_api_gives() {
    let Some(chromium) = common::chromium() else {
        return;
    };
    let t = demo().await;
    let users = demo_users(&t).await;
    let token_of = |role: &str| users.iter().find(|u| u.1 == role).unwrap().clone();
    let (admin_label, _, admin) = token_of("oem_admin");
    let (manager_label, _, manager) = token_of("regional_manager");
    let (dealer_label, _, dealer_token) = token_of("dealer");
    let (bi_label, _, _) = token_of("bi_reader");
    let own = dealer_label.trim_start_matches("Dealer ").to_string();

    // What the API says, to compare with the page.
    let ranking = api(
        &t,
        &admin,
        r#"query($m: Month!) { ranking(kpi: "first_time_fix", period: { kind: MONTH, month: $m }, scope: { kind: NATION }, first: 5) {
            entries { edges { node { rank value dealerCode } } } } }"#,
        json!({ "m": MONTH }),
    )
    .await;
    let top: Vec<(String, f64)> = ranking["ranking"]["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["dealerCode"].as_str().unwrap().to_string(),
                n["value"].as_f64().unwrap(),
            )
        })
        .collect();
    let scorecard = api(
        &t,
        &admin,
        r#"query($d: String!, $m: Month!) { scorecard(dealerCode: $d, period: { kind: MONTH, month: $m }) { kpis { kpi { code } value } } }"#,
        json!({ "d": own, "m": MONTH }),
    )
    .await;
    let values: std::collections::HashMap<String, Option<f64>> = scorecard["scorecard"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kpi"]["code"].as_str().unwrap().to_string(),
                k["value"].as_f64(),
            )
        })
        .collect();
    let trend = api(
        &t,
        &admin,
        r#"query($d: String!, $m: Month!) { kpiTrend(dealerCode: $d, kpi: "first_time_fix", from: $m, to: $m) { month value } }"#,
        json!({ "d": own, "m": MONTH }),
    )
    .await;
    let trend_value = trend["kpiTrend"][0]["value"]
        .as_f64()
        .expect("a trend point");

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let base = t.base.clone();
    let (shots2, admin_label2, manager_label2, dealer_label2, bi_label2, own2, top2) = (
        &shots,
        &admin_label,
        &manager_label,
        &dealer_label,
        &bi_label,
        &own,
        &top,
    );
    // The form's values, by field name (camelCase, unique across sections).
    let mut flat = serde_json::Map::new();
    for (_, section) in common::report_input(&[]).as_object().unwrap() {
        for (k, v) in section.as_object().unwrap() {
            flat.insert(k.clone(), v.clone());
        }
    }
    let fields = Value::Object(flat).to_string();
    let (mut browser, events, _profile) = launch(chromium).await;
    let mut timings = Vec::new();
    {
        // The OEM: every view; the ranking's first rows, the radar and a trend point
        // equal the API's.
        let d = sign_in(&browser, &base, admin_label2, shots2).await;
        d.ready("region", Instant::now()).await;
        d.shot("oem-region").await;
        let shown = d.attrs("[data-count]", "data-count").await;
        assert!(!shown.is_empty(), "no submission counts on the region view");
        timings.push((
            "ranking (OEM)",
            d.open(
                &format!("#/ranking?kpi=first_time_fix&kind=MONTH&month={MONTH}&scope=NATION"),
                "ranking",
            )
            .await,
        ));
        d.shot("oem-ranking").await;
        let dealers = d.attrs("tr[data-dealer][data-value]", "data-dealer").await;
        let page_values = d.attrs("tr[data-dealer][data-value]", "data-value").await;
        for (i, (code, value)) in top2.iter().enumerate() {
            assert_eq!(&dealers[i], code, "ranking row {i}");
            let shown: f64 = page_values[i].parse().unwrap();
            assert!(
                same(shown, *value),
                "ranking row {i} of {code}: {shown} vs {value}"
            );
        }
        timings.push((
            "dealer (OEM)",
            d.open(
                &format!("#/dealer/{own2}?kind=MONTH&month={MONTH}"),
                "dealer",
            )
            .await,
        ));
        d.shot("oem-dealer").await;
        let radar_kpis = d
            .attrs(
                "table.radar-values td[data-series=dealer][data-kpi]",
                "data-kpi",
            )
            .await;
        let radar_values = d
            .attrs(
                "table.radar-values td[data-series=dealer][data-kpi]",
                "data-value",
            )
            .await;
        assert!(!radar_kpis.is_empty(), "no radar values");
        for (kpi, shown) in radar_kpis.iter().zip(&radar_values) {
            let api = values.get(kpi).copied().flatten();
            let page: Option<f64> = shown.parse().ok();
            let equal = match (page, api) {
                (Some(a), Some(b)) => same(a, b),
                (a, b) => a.is_none() && b.is_none(),
            };
            assert!(equal, "radar value of {kpi}: {page:?} vs {api:?}");
        }
        let point = d
            .attrs(
                &format!("td[data-month='{MONTH}'][data-kpi=first_time_fix][data-series=dealer]"),
                "data-value",
            )
            .await;
        let point = point.first().and_then(|v| v.parse::<f64>().ok());
        assert!(
            point.is_some_and(|p| same(p, trend_value)),
            "trend point of {MONTH}: {point:?} vs {trend_value}"
        );
        timings.push((
            "targets (OEM)",
            d.open(&format!("#/targets?month={MONTH}"), "targets").await,
        ));
        d.shot("oem-targets").await;
        timings.push((
            "region (OEM)",
            d.open(&format!("#/region?month={MONTH}"), "region").await,
        ));
        assert_eq!(d.error().await, None);
        d.no_console_errors("OEM");

        // A regional manager and a BI tool: their views load.
        for (who, label) in [("manager", &manager_label2), ("bi", &bi_label2)] {
            let d = sign_in(&browser, &base, label, shots2).await;
            for (view, route) in [
                ("region", format!("#/region?month={MONTH}")),
                (
                    "ranking",
                    format!("#/ranking?kpi=absorption&kind=ROLLING_12&month={MONTH}"),
                ),
                (
                    "dealer",
                    format!("#/dealer/{own2}?kind=MONTH&month={MONTH}"),
                ),
                ("targets", format!("#/targets?month={MONTH}")),
            ] {
                d.open(&route, view).await;
                assert_eq!(d.error().await, None, "{who} {view}");
                d.shot(&format!("{who}-{view}")).await;
            }
            d.no_console_errors(who);
        }

        // From a portal, the token in the fragment: taken, kept, and gone from the address.
        let (_, _, bi_token) = token_of("bi_reader");
        let page = browser.new_page("about:blank").await.unwrap();
        let portal = Driver {
            page,
            errors: Arc::new(Mutex::new(Vec::new())),
            shots: shots2.to_path_buf(),
        };
        portal
            .page
            .goto(format!(
                "{base}/#/ranking?kpi=first_time_fix&month={MONTH}&token={bi_token}"
            ))
            .await
            .unwrap();
        portal.ready("ranking", Instant::now()).await;
        let address = portal.js("location.href").await;
        let address = address.as_str().unwrap();
        assert!(
            !address.contains("token=") && address.contains("#/ranking"),
            "{address}"
        );
        assert!(!portal
            .attrs("tr[data-dealer]", "data-dealer")
            .await
            .is_empty());

        // A dealer: its own page, never another dealer's; its ranking and targets; its
        // form stores a report.
        let d = sign_in(&browser, &base, dealer_label2, shots2).await;
        d.ready("dealer", Instant::now()).await;
        d.shot("dealer-home").await;
        for (view, route) in [
            (
                "ranking",
                "#/ranking?kpi=first_time_fix&kind=MONTH".to_string(),
            ),
            ("targets", format!("#/targets?month={MONTH}")),
        ] {
            d.open(&route, view).await;
            assert_eq!(d.error().await, None, "dealer {view}");
            d.shot(&format!("dealer-{view}")).await;
        }
        let other = if own2 == "D00002" { "D00001" } else { "D00002" };
        d.open(
            &format!("#/dealer/{other}?kind=MONTH&month={MONTH}"),
            "dealer",
        )
        .await;
        d.shot("dealer-other").await;
        let refused = d.error().await.unwrap_or_default();
        let leaked = d
            .attrs("table.radar-values td[data-value]", "data-value")
            .await;
        assert!(
            !refused.is_empty() && leaked.is_empty(),
            "a dealer saw another dealer's page: {refused:?}"
        );
        // The form of the current month (no report yet): every field typed in, then sent.
        d.open(&format!("#/form?dealer={own2}&month={CURRENT}"), "form")
            .await;
        let fill = format!(
            "(() => {{ const v = {}; let n = 0; for (const [k, x] of Object.entries(v)) {{ \
               const i = document.querySelector(`input[name=${{k}}]`); if (!i) continue; \
               i.value = String(x); i.dispatchEvent(new Event('input', {{ bubbles: true }})); n++; }} return n; }})()",
            fields
        );
        let filled = d.js(&fill).await.as_u64().unwrap_or(0);
        assert!(filled >= 80, "only {filled} inputs found in the form");
        d.js("document.body.dataset.ready = '0'").await;
        d.click("button[data-action=submit]").await;
        d.ready("form", Instant::now()).await;
        d.shot("dealer-form").await;
        let saved = d
            .attrs("[data-saved-revision]", "data-saved-revision")
            .await;
        let outcome = d.attrs("[data-outcome]", "data-outcome").await;
        assert_eq!(saved, ["1"], "outcome: {outcome:?}");
        d.no_console_errors("dealer");
    }
    browser.close().await.unwrap();
    events.abort();
    for (view, took) in &timings {
        eprintln!("{view}: ready in {} ms", took.as_millis());
    }
    // What the page sent is stored, as the dealer's own token reads it back.
    let back = api(
        &t,
        &dealer_token,
        r#"query($d: String!, $m: Month!) { report(dealerCode: $d, month: $m) { revision values { repairOrders { roDelivered } } } }"#,
        json!({ "d": own, "m": CURRENT }),
    )
    .await;
    assert_eq!(back["report"]["revision"], 1, "{back}");
    assert_eq!(
        back["report"]["values"]["repairOrders"]["roDelivered"], 10,
        "{back}"
    );
    // The manager's token stays within its regions (the page holds no rule of its own).
    let _ = manager;
    eprintln!("screenshots: {}", shots.display());
}

/// How long each view takes to be ready after its click, against a running service named
/// by `MSI_DASHBOARD_URL` (e.g. `msi-hub serve` on a 10,000-dealer database, development
/// secret): the figures of docs/benchmarks.md. Skipped without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_against_a_running_service() {
    let Ok(base) = std::env::var("MSI_DASHBOARD_URL") else {
        eprintln!("skipped: MSI_DASHBOARD_URL is not set");
        return;
    };
    let Some(chromium) = common::chromium() else {
        return;
    };
    let users: Value = reqwest::get(format!("{base}/dashboard/demo-users"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let label = |role: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["role"] == role)
            .map(|u| u["label"].as_str().unwrap().to_string())
            .unwrap()
    };
    let manager = label("regional_manager");
    let region = manager.rsplit(' ').next().unwrap().to_string();
    let dealer = label("dealer");
    let own = dealer.rsplit(' ').next().unwrap().to_string();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-at-scale");
    std::fs::create_dir_all(&shots).unwrap();
    let (mut browser, events, _profile) = launch(chromium).await;
    for (who, start, routes) in [
        (
            manager.clone(),
            "region",
            vec![
                (
                    "ranking",
                    format!("#/ranking?kpi=first_time_fix&kind=MONTH&scope=REGION&region={region}"),
                ),
                (
                    "ranking",
                    format!(
                        "#/ranking?kpi=absorption&kind=ROLLING_12&scope=REGION&region={region}"
                    ),
                ),
                ("dealer", format!("#/dealer/{own}")),
                ("targets", format!("#/targets?region={region}")),
                ("region", format!("#/region?region={region}&kpi=absorption")),
            ],
        ),
        (
            label("oem_admin"),
            "region",
            vec![
                (
                    "ranking",
                    "#/ranking?kpi=labor_sales_per_ro&kind=YEAR_TO_DATE&scope=NATION".to_string(),
                ),
                ("form", format!("#/form?dealer={own}")),
            ],
        ),
        (
            dealer.clone(),
            "dealer",
            vec![(
                "ranking",
                "#/ranking?kpi=first_time_fix&kind=MONTH".to_string(),
            )],
        ),
    ] {
        let opened = Instant::now();
        let d = sign_in(&browser, &base, &who, &shots).await;
        let loaded = opened.elapsed();
        let took = d.ready(start, Instant::now()).await;
        eprintln!(
            "{who}: page and sign-in screen loaded in {} ms; {start} ready {} ms after the click",
            loaded.as_millis(),
            took.as_millis()
        );
        for (view, route) in routes {
            let took = d.open(&route, view).await;
            assert_eq!(d.error().await, None, "{who}: {route}");
            eprintln!("{who}: {route} ready in {} ms", took.as_millis());
        }
        d.shot(&who.replace(' ', "-")).await;
        d.no_console_errors(&who);
    }
    browser.close().await.unwrap();
    events.abort();
}
