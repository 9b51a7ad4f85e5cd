//! Test harness: the real service on a fresh database, over HTTP, with real JWTs.
//!
//! The backend is SQLite (a temporary file per test) unless `MSI_TEST_DATABASE_URL` names
//! a PostgreSQL database, in which case each test gets a schema of its own.

#![allow(dead_code)]

use std::str::FromStr;
use std::sync::Arc;

use msi_hub::app::App;
use msi_hub::auth::{JwtIssuer, Principal, Role};
use msi_hub::config::Settings;
use msi_hub::domain::{FieldKind, FIELDS};
use msi_hub::graphql::report::field_path;
use msi_hub::store::{PgStore, SqliteStore, Store};
use serde_json::{json, Map, Value};

/// The HS256 secret of the test service.
pub const SECRET: &str = "integration-test-secret-0123456789";
/// "Now" for the tests: 5 June 2024, 12:00 in China. Reports for May are due 10 June.
pub const NOW: &str = "2024-06-05T04:00:00Z";

/// A running service on a fresh database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub app: Arc<App>,
    issuer: JwtIssuer,
    db: Db,
    settings: Settings,
    server: tokio::task::AbortHandle,
    _guard: Option<DbGuard>,
}

impl Drop for TestApp {
    /// Stops the server so that its pool closes: a test that starts many services (the
    /// authorization matrix starts one per row) would otherwise hold PostgreSQL
    /// connections until it ends and run out of them.
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Where a test's database is, to open it again (another replica).
#[derive(Clone)]
enum Db {
    Sqlite(String),
    Postgres { url: String, schema: String },
}

impl Db {
    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Db::Sqlite(url) => Arc::new(SqliteStore::connect(url).await.unwrap()),
            Db::Postgres { url, schema } => {
                // Named after the schema: a test can find the service's connections.
                let options = sqlx::postgres::PgConnectOptions::from_str(url)
                    .unwrap()
                    .options([("search_path", schema.as_str())])
                    .application_name(schema);
                Arc::new(PgStore::connect_with(options).await.unwrap())
            }
        }
    }
}

/// Removes the test's database (temporary directory, or PostgreSQL schema) when dropped.
enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { url: String, schema: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { url, schema } = self {
            let (url, schema) = (url.clone(), schema.clone());
            // Drop runs outside async code: use a thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&url).await {
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

/// Whether the suite runs against PostgreSQL.
pub fn postgres_url() -> Option<String> {
    std::env::var("MSI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

async fn fresh_db() -> (Db, String, DbGuard) {
    match postgres_url() {
        Some(url) => {
            let schema = format!("t_{}", random_hex());
            let admin = sqlx::PgPool::connect(&url)
                .await
                .expect("connect to MSI_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            (
                Db::Postgres {
                    url: url.clone(),
                    schema: schema.clone(),
                },
                url.clone(),
                DbGuard::Postgres { url, schema },
            )
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/msi.db", dir.path().display());
            (Db::Sqlite(url.clone()), url, DbGuard::Sqlite(dir))
        }
    }
}

fn random_hex() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| format!("{:x}", rng.gen_range(0..16)))
        .collect()
}

impl TestApp {
    /// Starts the service with the test defaults.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the service after `configure` adjusts the settings.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let (db, url, guard) = fresh_db().await;
        let mut settings = Settings::for_database(&url);
        settings.jwt_secret = Some(SECRET.into());
        settings.now = Some(NOW.parse().unwrap());
        configure(&mut settings);
        let mut t = Self::start(db, settings).await;
        t._guard = Some(guard);
        t
    }

    async fn start(db: Db, settings: Settings) -> TestApp {
        let store = db.open().await;
        store.migrate().await.expect("migrations run");
        let issuer = JwtIssuer::hs256(
            SECRET.as_bytes(),
            settings.jwt_issuer.clone(),
            settings.jwt_audience.clone(),
        );
        let app = Arc::new(
            App::with_store(settings.clone(), store)
                .await
                .expect("app starts"),
        );
        // As `App::open` does: facts of an earlier catalog are recomputed before serving.
        app.upgrade_catalog().await.expect("catalog upgrade");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(msi_hub::http::serve(
            app.clone(),
            listener,
            std::future::pending(),
        ))
        .abort_handle();
        TestApp {
            base,
            client: reqwest::Client::new(),
            app,
            issuer,
            db,
            settings,
            server,
            _guard: None,
        }
    }

    /// A second service process on the same database (another replica, with its own caches).
    pub async fn replica(&self) -> TestApp {
        Self::start(self.db.clone(), self.settings.clone()).await
    }

    /// Another replica with adjusted settings (e.g. a later clock).
    pub async fn replica_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        configure(&mut settings);
        Self::start(self.db.clone(), settings).await
    }

    /// Runs SQL statements on the test's database directly: only to make it look like one
    /// an earlier build left (the service itself never sees SQL from outside the store).
    pub async fn raw_sql(&self, statements: &[&str]) {
        match &self.db {
            Db::Sqlite(url) => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                for s in statements {
                    sqlx::query(s).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            Db::Postgres { .. } => {
                let pool = self.pg_pool().await.unwrap();
                for s in statements {
                    sqlx::query(s).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
        }
    }

    /// PostgreSQL: a pool of the test's own on the test's schema (`None` on SQLite), for a
    /// test that holds locks the service must wait for.
    pub async fn pg_pool(&self) -> Option<sqlx::PgPool> {
        let Db::Postgres { url, schema } = &self.db else {
            return None;
        };
        let options = sqlx::postgres::PgConnectOptions::from_str(url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        Some(sqlx::PgPool::connect_with(options).await.unwrap())
    }

    /// PostgreSQL: waits until `n` of the service's sessions wait for a lock, or `done`
    /// says to stop waiting; panics after 20 s.
    pub async fn until_lock_waits(&self, pool: &sqlx::PgPool, n: i64, done: impl Fn() -> bool) {
        let Db::Postgres { schema, .. } = &self.db else {
            return;
        };
        let started = std::time::Instant::now();
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE NOT l.granted AND a.application_name = $1",
            )
            .bind(schema)
            .fetch_one(pool)
            .await
            .unwrap();
            if waiting >= n || done() {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "{waiting} of the service's sessions wait for a lock, not {n}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Ends the service's PostgreSQL sessions from the server's side (a restart, say);
    /// `false` on SQLite.
    pub async fn drop_connections(&self) -> bool {
        let Db::Postgres { url, schema } = &self.db else {
            return false;
        };
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(schema)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        assert!(!ended.is_empty(), "no session of the service to end");
        true
    }

    /// Whether the test runs on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres { .. })
    }

    /// The test database's URL, for a `msi-hub` command run on it (PostgreSQL: the test's
    /// schema as the search path).
    pub fn database_url(&self) -> String {
        match &self.db {
            Db::Sqlite(url) => url.clone(),
            Db::Postgres { url, schema } => format!("{url}?options[search_path]={schema}"),
        }
    }

    /// A GraphQL request with one file (the multipart request spec): `bytes` as the variable
    /// `$f` of `query`; the answer (HTTP 200 required).
    pub async fn upload(
        &self,
        token: &str,
        query: &str,
        mut variables: Value,
        bytes: Vec<u8>,
        file_name: &str,
    ) -> Value {
        variables["f"] = Value::Null;
        let form = reqwest::multipart::Form::new()
            .text(
                "operations",
                json!({ "query": query, "variables": variables }).to_string(),
            )
            .text("map", json!({ "0": ["variables.f"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
            );
        let resp = self
            .client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// A valid token for a principal.
    pub fn token_for(&self, principal: &Principal) -> String {
        self.issuer.issue(principal, 3600)
    }

    /// A token for a principal that expires in `secs` seconds.
    pub fn token_expiring(&self, principal: &Principal, secs: i64) -> String {
        self.issuer.issue(principal, secs)
    }

    pub fn admin(&self) -> String {
        self.token_for(&Principal {
            sub: "admin".into(),
            role: Role::OemAdmin,
            regions: vec![],
            dealer: None,
        })
    }

    pub fn bi(&self) -> String {
        self.token_for(&Principal {
            sub: "bi".into(),
            role: Role::BiReader,
            regions: vec![],
            dealer: None,
        })
    }

    pub fn manager(&self, regions: &[&str]) -> String {
        let regions = regions.iter().map(|r| r.to_string()).collect();
        self.token_for(&Principal {
            sub: "manager".into(),
            role: Role::RegionalManager,
            regions,
            dealer: None,
        })
    }

    pub fn dealer(&self, code: &str) -> String {
        self.token_for(&Principal {
            sub: format!("user-{code}"),
            role: Role::Dealer,
            regions: vec![],
            dealer: Some(code.into()),
        })
    }

    /// POSTs a GraphQL request with an optional bearer token; returns status and body.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON body"))
    }

    /// The whole GraphQL response (the HTTP status must be 200).
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(Some(token), query, variables).await;
        assert_eq!(status, 200, "HTTP status; body: {body}");
        body
    }

    /// `data` of a response that must have no errors.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// `extensions.code` of the first error of a response that must fail.
    pub async fn err_code(&self, token: &str, query: &str, variables: Value) -> String {
        let body = self.gql(token, query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code: {body}"))
            .to_string()
    }

    /// Regions EAST, WEST, NORTH; dealers D1 (EAST), D2 (WEST), D3 (EAST, moved to WEST
    /// from 2024-04), D4 (NORTH, opened 2024-03); the others opened 2020-01.
    pub async fn seed_network(&self) {
        let admin = self.admin();
        for (code, name) in [("EAST", "华东"), ("WEST", "西南"), ("NORTH", "华北")] {
            self.ok(
                &admin,
                "mutation($i: RegionInput!) { createRegion(input: $i) { code } }",
                json!({ "i": { "code": code, "name": name } }),
            )
            .await;
        }
        for (code, region, opened) in [
            ("D1", "EAST", "2020-01"),
            ("D2", "WEST", "2020-01"),
            ("D3", "EAST", "2020-01"),
            ("D4", "NORTH", "2024-03"),
        ] {
            let input = json!({
                "code": code, "name": format!("{code} 汽车服务"), "brand": "Aurora", "province": "江苏", "city": "南京",
                "sizeTier": "MEDIUM", "openedMonth": opened, "regionCode": region
            });
            self.ok(
                &admin,
                "mutation($i: CreateDealerInput!) { createDealer(input: $i) { code } }",
                json!({ "i": input }),
            )
            .await;
        }
        self.ok(&admin, r#"mutation { moveDealer(code: "D3", regionCode: "WEST", effectiveMonth: "2024-04") { code } }"#, json!({})).await;
    }
}

/// A complete, consistent report as GraphQL `ReportInput`, with `overrides` by snake_case
/// field name (`Value::Null` removes the field).
pub fn report_input(overrides: &[(&str, Value)]) -> Value {
    let mut sections: Map<String, Value> = Map::new();
    for def in FIELDS {
        let value = match (def.name, def.kind) {
            ("working_days", _) => json!(22),
            ("technicians_level1", _) => json!(4),
            ("technicians_level2", _) => json!(3),
            ("hours_attended", _) => json!("1500.00"),
            ("hours_worked", _) => json!("1200.00"),
            ("hours_sold", _) => json!("1300.00"),
            ("csi_score", _) => json!("88.5"),
            (_, FieldKind::Count) => json!(10),
            (_, _) => json!("1000.00"),
        };
        let value = overrides
            .iter()
            .find(|(n, _)| *n == def.name)
            .map_or(value, |(_, v)| v.clone());
        let path = field_path(def.name);
        let (section, field) = path.split_once('.').unwrap();
        let s = sections
            .entry(section.to_string())
            .or_insert_with(|| json!({}));
        if !value.is_null() {
            s[field] = value;
        }
    }
    Value::Object(sections)
}

/// The selection set of a write's answer.
pub const RESULT: &str = "outcome message violations { field rule message values { field value } } warnings { field rule message } \
     report { revision status late values { repairOrders { roComebacks roDelivered } revenue { laborRevenueCustomer } } \
     totals { roTotal laborRevenueTotal serviceRevenueTotal grossProfitTotal } }";

/// `submitMonthlyReport` of `dealer` for `month` with `input`; the answer (no GraphQL errors allowed).
pub async fn submit(t: &TestApp, token: &str, dealer: &str, month: &str, input: Value) -> Value {
    let q = format!("mutation($d: String!, $m: Month!, $i: ReportInput) {{ submitMonthlyReport(dealerCode: $d, month: $m, input: $i) {{ {RESULT} }} }}");
    t.ok(token, &q, json!({ "d": dealer, "m": month, "i": input }))
        .await["submitMonthlyReport"]
        .clone()
}

/// The line of KPI `code` in a `scorecard` object.
pub fn scorecard_line(scorecard: &Value, code: &str) -> Value {
    scorecard["kpis"]
        .as_array()
        .expect("a scorecard's kpis")
        .iter()
        .find(|k| k["kpi"]["code"] == code)
        .unwrap_or_else(|| panic!("no line of {code} in {scorecard}"))
        .clone()
}

/// `amendMonthlyReport`; the whole response (it may be a conflict).
pub async fn amend(
    t: &TestApp,
    token: &str,
    dealer: &str,
    month: &str,
    input: Value,
    expected: i64,
    reason: &str,
) -> Value {
    let q = format!(
        "mutation($d: String!, $m: Month!, $i: ReportInput!, $e: Int!, $r: String!) {{ amendMonthlyReport(dealerCode: $d, month: $m, input: $i, expectedRevision: $e, reason: $r) {{ {RESULT} }} }}"
    );
    t.gql(
        token,
        &q,
        json!({ "d": dealer, "m": month, "i": input, "e": expected, "r": reason }),
    )
    .await
}

/// [`amend`], which must be accepted; the whole response.
pub async fn amend_accepted(
    t: &TestApp,
    token: &str,
    dealer: &str,
    month: &str,
    input: Value,
    expected: i64,
    reason: &str,
) -> Value {
    let r = amend(t, token, dealer, month, input, expected, reason).await;
    assert_eq!(
        r["data"]["amendMonthlyReport"]["outcome"], "ACCEPTED",
        "{r}"
    );
    r
}

/// The stored report (or null) and its revision numbers, read as an OEM admin.
pub async fn stored(t: &TestApp, dealer: &str, month: &str) -> (Value, Vec<i64>) {
    let data = t
        .ok(
            &t.admin(),
            "query($d: String!, $m: Month!) { report(dealerCode: $d, month: $m) { revision status } reportRevisions(dealerCode: $d, month: $m) { revision } }",
            json!({ "d": dealer, "m": month }),
        )
        .await;
    let revs = data["reportRevisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    (data["report"].clone(), revs)
}

/// Chromium, if this machine has it (`.ci/run` installs it and sets `MSI_REQUIRE_BROWSER`,
/// so that CI cannot skip the test).
pub fn chromium() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("MSI_CHROMIUM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("MSI_REQUIRE_BROWSER").is_none(),
        "MSI_REQUIRE_BROWSER is set but there is no Chromium at {}",
        path.display()
    );
    eprintln!(
        "skipped: no Chromium at {} (apt-get install chromium)",
        path.display()
    );
    None
}
