//! Authorization: a role × operation matrix, list scoping, the moved dealer D3 and
//! dealers' isolation from each other.

mod common;

use common::{amend, report_input, stored, submit, TestApp};
use serde_json::{json, Value};

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum P {
    Admin,
    Bi,
    MgrEast,
    MgrWest,
    D1,
    D2,
}

const PRINCIPALS: [P; 6] = [P::Admin, P::Bi, P::MgrEast, P::MgrWest, P::D1, P::D2];

impl P {
    fn token(self, t: &TestApp) -> String {
        match self {
            P::Admin => t.admin(),
            P::Bi => t.bi(),
            P::MgrEast => t.manager(&["EAST"]),
            P::MgrWest => t.manager(&["WEST"]),
            P::D1 => t.dealer("D1"),
            P::D2 => t.dealer("D2"),
        }
    }

    /// A small number distinct per principal (so that two allowed writes differ).
    fn n(self) -> i64 {
        PRINCIPALS.iter().position(|p| *p == self).unwrap() as i64 + 1
    }
}

fn only_admin(p: P) -> bool {
    p == P::Admin
}

/// Who may read dealer D1 (in EAST all along).
fn d1_readers(p: P) -> bool {
    matches!(p, P::Admin | P::Bi | P::MgrEast | P::D1)
}

/// Who may write D1's reports.
fn d1_writers(p: P) -> bool {
    matches!(p, P::Admin | P::D1)
}

fn everyone(_: P) -> bool {
    true
}

/// Who may manage D1's targets and action items: itself, EAST's manager, the OEM.
fn d1_managers(p: P) -> bool {
    matches!(p, P::Admin | P::MgrEast | P::D1)
}

/// Who approves or returns D1's targets: EAST's manager and the OEM.
fn d1_approvers(p: P) -> bool {
    matches!(p, P::Admin | P::MgrEast)
}

/// Who reads EAST's own figures: the OEM, BI and EAST's manager.
fn east_readers(p: P) -> bool {
    matches!(p, P::Admin | P::Bi | P::MgrEast)
}

/// A target item per principal, so that the allowed writes of a row do not collide.
fn item_for(p: P) -> &'static str {
    match p {
        P::Admin => "total_ros",
        P::MgrEast => "brand_ros",
        P::D1 => "labor_revenue",
        _ => "workshop_parts",
    }
}

/// The items the target preps create, one per principal that `item_for` names.
const PREP_ITEMS: [&str; 4] = ["total_ros", "brand_ros", "labor_revenue", "workshop_parts"];

const D1_TARGETS: &str = r#"{ targets(dealerCode: "D1", year: 2024) { item status revision } }"#;

/// What a row needs before the principals try it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prep {
    /// The seeded network only.
    Network,
    /// And D1's report for 2024-05, submitted by an admin (revision 1).
    D1MaySubmitted,
    /// And May published to dealers (D1 in it with its report).
    MayPublished,
    /// And D1's 2024 drafts of `PREP_ITEMS` (revision 1), by the OEM.
    TargetsDrafted,
    /// And those drafts proposed (revision 2).
    TargetsProposed,
    /// And an action item of D1 (id 1, revision 1), by the OEM.
    D1Action,
}

const ACTION_INPUT: &str = r#"{ dealerCode: "D1", subject: "first_time_fix", problem: "p", cause: "c", countermeasure: "m", owner: "o", department: "d", dueMonth: "2024-07" }"#;

type Check = fn(P, &Value, i64) -> Result<(), String>;

/// One operation of the matrix.
struct Op {
    name: &'static str,
    doc: &'static str,
    /// Variables for a principal, given the current revision of D1's 2024-05 report (0 if none).
    vars: fn(P, i64) -> Value,
    allowed: fn(P) -> bool,
    prep: Prep,
    /// For writes: an admin query over what the write changes. It must not change when the
    /// write is refused, and must change once the allowed principals have written.
    watch: Option<&'static str>,
    /// What `watch` must show before anyone writes (when worth stating).
    initially: Option<Value>,
    /// Checks the `data` of an allowed call.
    check: Check,
}

fn same(what: &str, actual: &Value, expected: Value) -> Result<(), String> {
    if *actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected}, got {actual}"))
    }
}

/// `edges[].node.<field>` (or `nodes[].<field>`) as strings.
fn codes(conn: &Value, field: &str) -> Vec<String> {
    let items: Vec<&Value> = match conn.get("nodes") {
        Some(n) => n.as_array().unwrap().iter().collect(),
        None => conn["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("not a connection: {conn}"))
            .iter()
            .map(|e| &e["node"])
            .collect(),
    };
    items
        .iter()
        .map(|n| n[field].as_str().unwrap().to_string())
        .collect()
}

const REPORT_WATCH: &str = r#"{ report(dealerCode: "D1", month: "2024-05") { revision status updatedBy values { repairOrders { roDelivered roWashed } } } reportRevisions(dealerCode: "D1", month: "2024-05") { revision reason } }"#;

fn ops() -> Vec<Op> {
    vec![
        Op {
            name: "createRegion",
            doc: "mutation($i: RegionInput!) { createRegion(input: $i) { code name } }",
            vars: |p, _| json!({ "i": { "code": format!("R{}", p.n()), "name": format!("新大区 {}", p.n()) } }),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some("{ regions { code name } }"),
            initially: None,
            check: |p, d, _| same("createRegion", &d["createRegion"], json!({ "code": format!("R{}", p.n()), "name": format!("新大区 {}", p.n()) })),
        },
        Op {
            name: "updateRegion",
            doc: r#"mutation($n: String!) { updateRegion(code: "NORTH", name: $n) { code name } }"#,
            vars: |p, _| json!({ "n": format!("北方 {}", p.n()) }),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some("{ regions { code name } }"),
            initially: None,
            check: |p, d, _| same("updateRegion", &d["updateRegion"], json!({ "code": "NORTH", "name": format!("北方 {}", p.n()) })),
        },
        Op {
            name: "createDealer",
            doc: "mutation($i: CreateDealerInput!) { createDealer(input: $i) { code regionCode openedMonth } }",
            vars: |p, _| {
                json!({ "i": {
                    "code": format!("N{}", p.n()), "name": "新店", "brand": "Aurora", "province": "浙江", "city": "杭州",
                    "sizeTier": "SMALL", "openedMonth": "2024-05", "regionCode": "EAST"
                } })
            },
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ dealers(month: "2024-06") { nodes { code regionCode } } }"#),
            initially: Some(json!({ "dealers": { "nodes": [
                { "code": "D1", "regionCode": "EAST" }, { "code": "D2", "regionCode": "WEST" },
                { "code": "D3", "regionCode": "WEST" }, { "code": "D4", "regionCode": "NORTH" }
            ] } })),
            check: |p, d, _| same("createDealer", &d["createDealer"], json!({ "code": format!("N{}", p.n()), "regionCode": "EAST", "openedMonth": "2024-05" })),
        },
        Op {
            name: "updateDealer",
            doc: r#"mutation($n: String!) { updateDealer(code: "D2", input: { name: $n, city: "成都" }) { code name city } }"#,
            vars: |p, _| json!({ "n": format!("改名 {}", p.n()) }),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ dealer(code: "D2") { name city } }"#),
            initially: Some(json!({ "dealer": { "name": "D2 汽车服务", "city": "南京" } })),
            check: |p, d, _| same("updateDealer", &d["updateDealer"], json!({ "code": "D2", "name": format!("改名 {}", p.n()), "city": "成都" })),
        },
        Op {
            name: "moveDealer",
            doc: r#"mutation($m: Month!) { moveDealer(code: "D4", regionCode: "EAST", effectiveMonth: $m) { code regionCode regionHistory { fromMonth regionCode } } }"#,
            vars: |_, _| json!({ "m": "2024-05" }),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ dealer(code: "D4") { regionCode regionHistory { fromMonth regionCode } } }"#),
            initially: Some(json!({ "dealer": { "regionCode": "NORTH", "regionHistory": [{ "fromMonth": "2024-03", "regionCode": "NORTH" }] } })),
            check: |_, d, _| {
                same("moveDealer", &d["moveDealer"], json!({
                    "code": "D4", "regionCode": "EAST",
                    "regionHistory": [{ "fromMonth": "2024-03", "regionCode": "NORTH" }, { "fromMonth": "2024-05", "regionCode": "EAST" }]
                }))
            },
        },
        Op {
            name: "closeDealer",
            doc: r#"mutation { closeDealer(code: "D2", closedMonth: "2024-05") { code closedMonth } }"#,
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ dealer(code: "D2") { closedMonth active } }"#),
            initially: Some(json!({ "dealer": { "closedMonth": null, "active": true } })),
            check: |_, d, _| same("closeDealer", &d["closeDealer"], json!({ "code": "D2", "closedMonth": "2024-05" })),
        },
        Op {
            name: "regions",
            doc: "{ regions { code } }",
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| {
                let mut c = codes(&json!({ "nodes": d["regions"] }), "code");
                c.sort();
                same("regions", &json!(c), json!(["EAST", "NORTH", "WEST"]))
            },
        },
        Op {
            name: "dealer(D1)",
            doc: r#"{ dealer(code: "D1") { code regionCode } }"#,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("dealer", &d["dealer"], json!({ "code": "D1", "regionCode": "EAST" })),
        },
        Op {
            name: "report(D1, 2024-05)",
            doc: r#"query($d: String!, $m: Month!) { report(dealerCode: $d, month: $m) { dealerCode month revision status } }"#,
            vars: |_, _| json!({ "d": "D1", "m": "2024-05" }),
            allowed: d1_readers,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |_, d, _| same("report", &d["report"], json!({ "dealerCode": "D1", "month": "2024-05", "revision": 1, "status": "ACCEPTED" })),
        },
        Op {
            name: "reportRevisions(D1, 2024-05)",
            doc: r#"query($d: String!, $m: Month!) { reportRevisions(dealerCode: $d, month: $m) { revision author } }"#,
            vars: |_, _| json!({ "d": "D1", "m": "2024-05" }),
            allowed: d1_readers,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |_, d, _| same("reportRevisions", &d["reportRevisions"], json!([{ "revision": 1, "author": "admin" }])),
        },
        Op {
            name: "saveReportDraft(D1)",
            doc: "mutation($d: String!, $m: Month!, $i: ReportInput!) { saveReportDraft(dealerCode: $d, month: $m, input: $i) { outcome report { revision status updatedBy values { repairOrders { roDelivered } } } } }",
            vars: |p, _| json!({ "d": "D1", "m": "2024-05", "i": { "repairOrders": { "roDelivered": p.n() } } }),
            allowed: d1_writers,
            prep: Prep::Network,
            watch: Some(REPORT_WATCH),
            initially: Some(json!({ "report": null, "reportRevisions": [] })),
            check: |p, d, _| {
                let sub = if p == P::Admin { "admin" } else { "user-D1" };
                same("saveReportDraft", &d["saveReportDraft"], json!({
                    "outcome": "DRAFT_SAVED",
                    "report": { "revision": 0, "status": "DRAFT", "updatedBy": sub, "values": { "repairOrders": { "roDelivered": p.n() } } }
                }))
            },
        },
        Op {
            name: "submitMonthlyReport(D1)",
            doc: "mutation($d: String!, $m: Month!, $i: ReportInput) { submitMonthlyReport(dealerCode: $d, month: $m, input: $i) { outcome report { revision status } } }",
            vars: |_, _| json!({ "d": "D1", "m": "2024-05", "i": report_input(&[]) }),
            allowed: d1_writers,
            prep: Prep::Network,
            watch: Some(REPORT_WATCH),
            initially: Some(json!({ "report": null, "reportRevisions": [] })),
            check: |_, d, rev| {
                // the first allowed caller submits; the second sends the same content: a no-op
                let outcome = if rev == 0 { "ACCEPTED" } else { "UNCHANGED" };
                same("submitMonthlyReport", &d["submitMonthlyReport"], json!({ "outcome": outcome, "report": { "revision": 1, "status": "ACCEPTED" } }))
            },
        },
        Op {
            name: "amendMonthlyReport(D1)",
            doc: "mutation($d: String!, $m: Month!, $i: ReportInput!, $e: Int!, $r: String!) { amendMonthlyReport(dealerCode: $d, month: $m, input: $i, expectedRevision: $e, reason: $r) { outcome report { revision values { repairOrders { roWashed } } } } }",
            vars: |p, rev| {
                json!({
                    "d": "D1", "m": "2024-05", "e": rev, "r": format!("correction {}", p.n()),
                    "i": report_input(&[("ro_washed", json!(p.n() + 3))])
                })
            },
            allowed: d1_writers,
            prep: Prep::D1MaySubmitted,
            watch: Some(REPORT_WATCH),
            initially: Some(json!({
                "report": { "revision": 1, "status": "ACCEPTED", "updatedBy": "admin", "values": { "repairOrders": { "roDelivered": 10, "roWashed": 10 } } },
                "reportRevisions": [{ "revision": 1, "reason": null }]
            })),
            check: |p, d, rev| {
                same("amendMonthlyReport", &d["amendMonthlyReport"], json!({
                    "outcome": "ACCEPTED",
                    "report": { "revision": rev + 1, "values": { "repairOrders": { "roWashed": p.n() + 3 } } }
                }))
            },
        },
        Op {
            name: "submissionStatus(2024-05)",
            doc: "query($m: Month!) { submissionStatus(month: $m) { counts { total } entries { edges { node { dealerCode regionCode } } } } }",
            vars: |_, _| json!({ "m": "2024-05" }),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |p, d, _| {
                // D3 is in WEST from 2024-04
                let expected: &[&str] = match p {
                    P::Admin | P::Bi => &["D1", "D2", "D3", "D4"],
                    P::MgrEast => &["D1"],
                    P::MgrWest => &["D2", "D3"],
                    P::D1 => &["D1"],
                    P::D2 => &["D2"],
                };
                let s = &d["submissionStatus"];
                same("entries", &json!(codes(&s["entries"], "dealerCode")), json!(expected))?;
                same("counts.total", &s["counts"]["total"], json!(expected.len()))
            },
        },
        Op {
            name: "submissionStatus(2024-03, EAST)",
            doc: "query($m: Month!, $r: String) { submissionStatus(month: $m, regionCode: $r) { counts { total } entries { edges { node { dealerCode regionCode } } } } }",
            vars: |_, _| json!({ "m": "2024-03", "r": "EAST" }),
            allowed: |p| p != P::MgrWest,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |p, d, _| {
                // in March D3 was still in EAST; a dealer sees itself only, if in the region
                let expected: &[&str] = match p {
                    P::Admin | P::Bi | P::MgrEast => &["D1", "D3"],
                    P::D1 => &["D1"],
                    P::D2 | P::MgrWest => &[],
                };
                let s = &d["submissionStatus"];
                same("entries", &json!(codes(&s["entries"], "dealerCode")), json!(expected))?;
                let regions: Vec<String> = codes(&s["entries"], "regionCode");
                if regions.iter().any(|r| r != "EAST") {
                    return Err(format!("entries outside EAST: {regions:?}"));
                }
                same("counts.total", &s["counts"]["total"], json!(expected.len()))
            },
        },
        Op {
            name: "dealers",
            doc: "{ dealers { nodes { code regionCode } } }",
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |p, d, _| {
                let expected: &[&str] = match p {
                    P::Admin | P::Bi => &["D1", "D2", "D3", "D4"],
                    P::MgrEast => &["D1"],
                    P::MgrWest => &["D2", "D3"],
                    P::D1 => &["D1"],
                    P::D2 => &["D2"],
                };
                same("dealers", &json!(codes(&d["dealers"], "code")), json!(expected))
            },
        },
        Op {
            name: "kpiCatalog",
            doc: "{ kpiCatalog { code } }",
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("kpiCatalog", &json!(d["kpiCatalog"].as_array().map(Vec::len)), json!(msi_hub::domain::kpi::KPIS.len())),
        },
        Op {
            name: "ranking(nation)",
            doc: r#"{ ranking(kpi: "comeback_rate", period: { month: "2024-05" }) { aggregate { dealersWithValue disclosure } entries { edges { node { dealerCode } } } } }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |p, d, _| {
                // May is not published: dealers see nothing of the nation yet
                let (lines, disclosure): (&[&str], &str) = match p {
                    P::Admin | P::Bi => (&["D1"], "LIVE"),
                    P::MgrEast => (&["D1"], "LIVE"),
                    P::MgrWest => (&[], "LIVE"),
                    P::D1 | P::D2 => (&[], "NOT_YET_PUBLISHED"),
                };
                let r = &d["ranking"];
                same("lines", &json!(codes(&r["entries"], "dealerCode")), json!(lines))?;
                same("disclosure", &r["aggregate"]["disclosure"], json!(disclosure))
            },
        },
        Op {
            name: "ranking(WEST)",
            doc: r#"{ ranking(kpi: "comeback_rate", period: { month: "2024-05" }, scope: { kind: REGION, regionCode: "WEST" }) { aggregate { disclosure } } }"#,
            vars: |_, _| json!({}),
            allowed: |p| p != P::D1,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |_, d, _| if d["ranking"]["aggregate"]["disclosure"].is_string() { Ok(()) } else { Err(format!("no disclosure: {d}")) },
        },
        Op {
            name: "scorecard(D1)",
            doc: r#"{ scorecard(dealerCode: "D1", period: { month: "2024-05" }) { dealerCode kpis { kpi { code } } } }"#,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |_, d, _| same("scorecard", &d["scorecard"]["dealerCode"], json!("D1")),
        },
        Op {
            name: "kpiTrend(D1)",
            doc: r#"{ kpiTrend(dealerCode: "D1", kpi: "comeback_rate", from: "2024-04", to: "2024-05") { month value } }"#,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |_, d, _| same("kpiTrend", &d["kpiTrend"], json!([{ "month": "2024-04", "value": null }, { "month": "2024-05", "value": 100.0 }])),
        },
        Op {
            name: "benchmarks",
            doc: r#"{ benchmarks(kpi: "comeback_rate", period: { month: "2024-05" }) { regions { regionCode } } }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |p, d, _| {
                let expected: &[&str] = match p {
                    P::D1 => &["EAST"],
                    P::D2 => &["WEST"],
                    _ => &["EAST", "NORTH", "WEST"],
                };
                same("regions", &json!(codes(&json!({ "nodes": d["benchmarks"]["regions"] }), "regionCode")), json!(expected))
            },
        },
        Op {
            name: "kpiFacts",
            doc: r#"{ kpiFacts(from: "2024-05", to: "2024-05", kpis: ["comeback_rate"]) { edges { node { dealerCode } } } }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |p, d, _| {
                let expected: &[&str] = match p {
                    P::Admin | P::Bi | P::MgrEast | P::D1 => &["D1"],
                    P::MgrWest | P::D2 => &[],
                };
                same("kpiFacts", &json!(codes(&d["kpiFacts"], "dealerCode")), json!(expected))
            },
        },
        Op {
            name: "kpiFactTable",
            doc: r#"{ kpiFactTable(from: "2024-05", to: "2024-05", kpis: ["comeback_rate"]) { count } }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::D1MaySubmitted,
            watch: None,
            initially: None,
            check: |p, d, _| {
                let expected = if matches!(p, P::MgrWest | P::D2) { 0 } else { 1 };
                same("count", &d["kpiFactTable"]["count"], json!(expected))
            },
        },
        Op {
            name: "oemParameters",
            doc: "{ oemParameters { name } }",
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("oemParameters", &d["oemParameters"], json!([])),
        },
        Op {
            name: "setOemParameter",
            doc: r#"mutation($v: Decimal!) { setOemParameter(name: "annual_visits_per_vehicle", year: 2024, value: $v) { parameter { value } } }"#,
            vars: |p, _| json!({ "v": format!("2.{}", p.n()) }),
            allowed: only_admin,
            prep: Prep::D1MaySubmitted,
            watch: Some("{ oemParameters { year value } }"),
            initially: Some(json!({ "oemParameters": [] })),
            check: |p, d, _| same("setOemParameter", &d["setOemParameter"]["parameter"]["value"], json!(format!("2.{}", p.n()))),
        },
        Op {
            name: "publications",
            doc: r#"{ publications(from: "2024-04", to: "2024-05") { month state } }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("publications", &d["publications"], json!([{ "month": "2024-04", "state": "DUE" }, { "month": "2024-05", "state": "SCHEDULED" }])),
        },
        Op {
            name: "publishMonth",
            doc: r#"mutation { publishMonth(month: "2024-04") { month members } }"#,
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ publications(from: "2024-04", to: "2024-04") { state version } }"#),
            initially: Some(json!({ "publications": [{ "state": "DUE", "version": 0 }] })),
            check: |_, d, _| same("publishMonth", &d["publishMonth"], json!({ "month": "2024-04", "members": 4 })),
        },
        Op {
            name: "republishMonth",
            doc: r#"mutation { republishMonth(month: "2024-05") { month version dealersPublished dealersHeld } }"#,
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::MayPublished,
            watch: None,
            initially: None,
            check: |_, d, _| same("republishMonth", &d["republishMonth"], json!({ "month": "2024-05", "version": 1, "dealersPublished": 0, "dealersHeld": 0 })),
        },
        Op {
            name: "restateYear",
            doc: "mutation { restateYear(year: 2023) { month } }",
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("restateYear", &d["restateYear"], json!([])),
        },
        Op {
            name: "schedulePublication",
            doc: r#"mutation { schedulePublication(month: "2024-05", at: "2024-07-01T00:00:00Z") { month scheduledByOem } }"#,
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ publications(from: "2024-05", to: "2024-05") { dueAt scheduledByOem } }"#),
            initially: Some(json!({ "publications": [{ "dueAt": "2024-06-15T15:59:59.999+00:00", "scheduledByOem": false }] })),
            check: |_, d, _| same("schedulePublication", &d["schedulePublication"], json!({ "month": "2024-05", "scheduledByOem": true })),
        },
        Op {
            name: "targetItems",
            doc: "{ targetItems { code achievementKpi } }",
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("targetItems", &d["targetItems"][1], json!({ "code": "brand_ros", "achievementKpi": "achievement_brand_ros" })),
        },
        Op {
            name: "targets(D1)",
            doc: D1_TARGETS,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::TargetsDrafted,
            watch: None,
            initially: None,
            check: |_, d, _| same("targets", &d["targets"].as_array().map(Vec::len).into(), json!(4)),
        },
        Op {
            name: "targetProgress(D1)",
            doc: r#"{ targetProgress(dealerCode: "D1", year: 2024, asOf: "2024-05") { target { item } ytdTarget } }"#,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::TargetsDrafted,
            watch: None,
            initially: None,
            check: |_, d, _| same("targetProgress", &d["targetProgress"][0]["ytdTarget"], json!("0")),
        },
        Op {
            name: "targetRevisions(D1)",
            doc: r#"{ targetRevisions(dealerCode: "D1", year: 2024, item: "brand_ros") { revision status } }"#,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::TargetsDrafted,
            watch: None,
            initially: None,
            check: |_, d, _| same("targetRevisions", &d["targetRevisions"], json!([{ "revision": 1, "status": "DRAFT" }])),
        },
        Op {
            name: "saveTarget(D1)",
            doc: r#"mutation($i: String!) { saveTarget(dealerCode: "D1", year: 2024, item: $i, value: "100", expectedRevision: 0) { item status } }"#,
            vars: |p, _| json!({ "i": item_for(p) }),
            allowed: d1_managers,
            prep: Prep::Network,
            watch: Some(D1_TARGETS),
            initially: Some(json!({ "targets": [] })),
            check: |p, d, _| same("saveTarget", &d["saveTarget"], json!({ "item": item_for(p), "status": "DRAFT" })),
        },
        Op {
            name: "proposeTarget(D1)",
            doc: r#"mutation($i: String!) { proposeTarget(dealerCode: "D1", year: 2024, item: $i, expectedRevision: 1) { status } }"#,
            vars: |p, _| json!({ "i": item_for(p) }),
            allowed: d1_managers,
            prep: Prep::TargetsDrafted,
            watch: Some(D1_TARGETS),
            initially: None,
            check: |_, d, _| same("proposeTarget", &d["proposeTarget"]["status"], json!("PROPOSED")),
        },
        Op {
            name: "approveTarget(D1)",
            doc: r#"mutation($i: String!) { approveTarget(dealerCode: "D1", year: 2024, item: $i, expectedRevision: 2) { status } }"#,
            vars: |p, _| json!({ "i": item_for(p) }),
            allowed: d1_approvers,
            prep: Prep::TargetsProposed,
            watch: Some(D1_TARGETS),
            initially: None,
            check: |_, d, _| same("approveTarget", &d["approveTarget"]["status"], json!("APPROVED")),
        },
        Op {
            name: "returnTarget(D1)",
            doc: r#"mutation($i: String!) { returnTarget(dealerCode: "D1", year: 2024, item: $i, expectedRevision: 2, comment: "again") { status } }"#,
            vars: |p, _| json!({ "i": item_for(p) }),
            allowed: d1_approvers,
            prep: Prep::TargetsProposed,
            watch: Some(D1_TARGETS),
            initially: None,
            check: |_, d, _| same("returnTarget", &d["returnTarget"]["status"], json!("RETURNED")),
        },
        Op {
            name: "regionTargets(EAST)",
            doc: r#"{ regionTargets(regionCode: "EAST", year: 2024) { item } }"#,
            vars: |_, _| json!({}),
            allowed: east_readers,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("regionTargets", &d["regionTargets"], json!([])),
        },
        Op {
            name: "regionTargetProgress(EAST)",
            doc: r#"{ regionTargetProgress(regionCode: "EAST", year: 2024, asOf: "2024-05") { dealers items { ytdActual } } }"#,
            vars: |_, _| json!({}),
            allowed: east_readers,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("regionTargetProgress", &d["regionTargetProgress"]["items"], json!([])),
        },
        Op {
            name: "setRegionTarget",
            doc: r#"mutation { setRegionTarget(regionCode: "EAST", year: 2024, item: "total_ros", value: "5000", expectedRevision: 0) { status } }"#,
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ regionTargets(regionCode: "EAST", year: 2024) { item value } }"#),
            initially: Some(json!({ "regionTargets": [] })),
            check: |_, d, _| same("setRegionTarget", &d["setRegionTarget"]["status"], json!("APPROVED")),
        },
        Op {
            name: "phasingProfile",
            doc: r#"{ phasingProfile(year: 2024, item: "total_ros") }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("phasingProfile", &d["phasingProfile"], Value::Null),
        },
        Op {
            name: "setPhasingProfile",
            doc: r#"mutation { setPhasingProfile(year: 2024, item: "total_ros", weights: [1,1,1,1,1,1,1,1,1,1,1,2]) }"#,
            vars: |_, _| json!({}),
            allowed: only_admin,
            prep: Prep::Network,
            watch: Some(r#"{ phasingProfile(year: 2024, item: "total_ros") }"#),
            initially: Some(json!({ "phasingProfile": null })),
            check: |_, d, _| same("setPhasingProfile", &d["setPhasingProfile"], json!(true)),
        },
        Op {
            name: "actionItems",
            doc: "{ actionItems { edges { node { id dealerCode } } } }",
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::D1Action,
            watch: None,
            initially: None,
            check: |p, d, _| {
                let n = d["actionItems"]["edges"].as_array().map_or(99, Vec::len);
                same("items", &json!(n), json!(if d1_readers(p) { 1 } else { 0 }))
            },
        },
        Op {
            name: "actionItem(D1's)",
            doc: r#"{ actionItem(id: "1") { dealerCode effect } }"#,
            vars: |_, _| json!({}),
            allowed: d1_readers,
            prep: Prep::D1Action,
            watch: None,
            initially: None,
            check: |_, d, _| same("actionItem", &d["actionItem"], json!({ "dealerCode": "D1", "effect": "PENDING" })),
        },
        Op {
            name: "createActionItem(D1)",
            doc: "mutation { createActionItem(input: { dealerCode: \"D1\", subject: \"first_time_fix\", problem: \"p\", cause: \"c\", countermeasure: \"m\", owner: \"o\", department: \"d\", dueMonth: \"2024-07\" }) { dealerCode status } }",
            vars: |_, _| json!({}),
            allowed: d1_managers,
            prep: Prep::Network,
            watch: Some("{ actionItems { edges { node { id } } } }"),
            initially: Some(json!({ "actionItems": { "edges": [] } })),
            check: |_, d, _| same("createActionItem", &d["createActionItem"], json!({ "dealerCode": "D1", "status": "OPEN" })),
        },
        Op {
            name: "updateActionItem(D1's)",
            doc: r#"mutation($e: Int!) { updateActionItem(id: "1", expectedRevision: $e, patch: { status: IN_PROGRESS, owner: "n" }) { status } }"#,
            // The allowed principals write in matrix order: Admin, MgrEast, D1.
            vars: |p, _| json!({ "e": match p { P::MgrEast => 2, P::D1 => 3, _ => 1 } }),
            allowed: d1_managers,
            prep: Prep::D1Action,
            watch: Some(r#"{ actionItem(id: "1") { revision } }"#),
            initially: Some(json!({ "actionItem": { "revision": 1 } })),
            check: |_, d, _| same("updateActionItem", &d["updateActionItem"]["status"], json!("IN_PROGRESS")),
        },
        Op {
            name: "addFollowUp(D1's)",
            doc: r#"mutation { addFollowUp(id: "1", note: "n") { note } }"#,
            vars: |_, _| json!({}),
            allowed: d1_managers,
            prep: Prep::D1Action,
            watch: Some(r#"{ actionItem(id: "1") { followUps { seq } } }"#),
            initially: Some(json!({ "actionItem": { "followUps": [] } })),
            check: |_, d, _| same("addFollowUp", &d["addFollowUp"]["note"], json!("n")),
        },
        Op {
            name: "exceptions(nation)",
            doc: r#"{ exceptions(period: { month: "2024-05" }) { dealersInScope } }"#,
            vars: |_, _| json!({}),
            allowed: everyone,
            prep: Prep::Network,
            watch: None,
            initially: None,
            // Four dealers in May; EAST has D1, WEST D2 and D3 (moved in April); a dealer itself.
            check: |p, d, _| {
                let n = match p {
                    P::Admin | P::Bi => 4,
                    P::MgrWest => 2,
                    P::MgrEast | P::D1 | P::D2 => 1,
                };
                same("dealersInScope", &d["exceptions"]["dealersInScope"], json!(n))
            },
        },
        Op {
            name: "agenda(EAST)",
            doc: r#"{ agenda(regionCode: "EAST", month: "2024-05") { month } }"#,
            vars: |_, _| json!({}),
            allowed: |p| p != P::MgrWest,
            prep: Prep::Network,
            watch: None,
            initially: None,
            check: |_, d, _| same("agenda", &d["agenda"]["month"], json!("2024-05")),
        },
    ]
}

/// The current revision of D1's 2024-05 report (0 when there is none or only a draft).
async fn d1_may_revision(t: &TestApp) -> i64 {
    stored(t, "D1", "2024-05").await.0["revision"]
        .as_i64()
        .unwrap_or(0)
}

/// What the row's watch query shows now, read as an admin.
async fn watch(t: &TestApp, op: &Op) -> Option<Value> {
    match op.watch {
        Some(q) => Some(t.ok(&t.admin(), q, json!({})).await),
        None => None,
    }
}

/// Runs one row on a fresh service: refused principals first (nothing may change), then the
/// allowed ones. Returns the wrong cells.
async fn run_row(op: &Op) -> Vec<String> {
    let mut failures = Vec::new();
    let t = TestApp::spawn().await;
    t.seed_network().await;
    if matches!(op.prep, Prep::D1MaySubmitted | Prep::MayPublished) {
        let r = submit(&t, &t.admin(), "D1", "2024-05", report_input(&[])).await;
        assert_eq!(r["outcome"], "ACCEPTED", "{}: prep: {r}", op.name);
    }
    if matches!(op.prep, Prep::TargetsDrafted | Prep::TargetsProposed) {
        for item in PREP_ITEMS {
            t.ok(
                &t.admin(),
                "mutation($i: String!) { saveTarget(dealerCode: \"D1\", year: 2024, item: $i, value: \"1200\", expectedRevision: 0) { revision } }",
                json!({ "i": item }),
            )
            .await;
            if op.prep == Prep::TargetsProposed {
                t.ok(
                    &t.admin(),
                    "mutation($i: String!) { proposeTarget(dealerCode: \"D1\", year: 2024, item: $i, expectedRevision: 1) { revision } }",
                    json!({ "i": item }),
                )
                .await;
            }
        }
    }
    if op.prep == Prep::D1Action {
        let q = format!("mutation {{ createActionItem(input: {ACTION_INPUT}) {{ id }} }}");
        let r = t.ok(&t.admin(), &q, json!({})).await;
        assert_eq!(r["createActionItem"]["id"], "1", "{}: prep", op.name);
    }
    if op.prep == Prep::MayPublished {
        t.ok(
            &t.admin(),
            r#"mutation { publishMonth(month: "2024-05") { members } }"#,
            json!({}),
        )
        .await;
    }
    let before = watch(&t, op).await;
    if let (Some(expected), Some(actual)) = (&op.initially, &before) {
        assert_eq!(actual, expected, "{}: state before the row", op.name);
    }
    let mut order: Vec<P> = PRINCIPALS.to_vec();
    order.sort_by_key(|p| (op.allowed)(*p)); // refused first
    for p in order {
        let rev = d1_may_revision(&t).await;
        let body = t.gql(&p.token(&t), op.doc, (op.vars)(p, rev)).await;
        let cell = format!("{} as {p:?}", op.name);
        if (op.allowed)(p) {
            if body.get("errors").is_some() {
                failures.push(format!("{cell}: should be allowed, got {body}"));
            } else if let Err(e) = (op.check)(p, &body["data"], rev) {
                failures.push(format!("{cell}: {e}"));
            }
        } else {
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            if errors.len() != 1 || errors[0]["extensions"]["code"] != "FORBIDDEN" {
                failures.push(format!("{cell}: should be FORBIDDEN, got {body}"));
                continue;
            }
            // nothing leaks: the field is null (or the whole data, for a non-null field)
            let leaked = match &body["data"] {
                Value::Null => false,
                Value::Object(m) => m.values().any(|v| !v.is_null()),
                _ => true,
            };
            if leaked {
                failures.push(format!("{cell}: refused but data came back: {body}"));
            }
            let after = watch(&t, op).await;
            if after != before {
                failures.push(format!(
                    "{cell}: refused but the data changed: {before:?} -> {after:?}"
                ));
            }
        }
    }
    if op.watch.is_some() {
        // the watch query does see what the allowed writes did
        let after = watch(&t, op).await;
        if after == before {
            failures.push(format!(
                "{}: the allowed writes changed nothing the watch query sees",
                op.name
            ));
        }
    }
    failures
}

#[tokio::test]
async fn role_operation_matrix() {
    let ops = ops();
    let mut failures = Vec::new();
    let mut cells = 0;
    for op in &ops {
        failures.extend(run_row(op).await);
        cells += PRINCIPALS.len();
    }
    assert_eq!(cells, 51 * 6, "every operation is tried by every principal");
    assert!(
        failures.is_empty(),
        "{} wrong cells:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The matrix's rules themselves, spelt out (a typo in a closure would hide a hole).
#[test]
fn the_matrix_rules_are_as_specified() {
    let ops = ops();
    let allowed = |name: &str| -> Vec<P> {
        let op = ops.iter().find(|o| o.name == name).unwrap();
        PRINCIPALS
            .into_iter()
            .filter(|p| (op.allowed)(*p))
            .collect()
    };
    for name in [
        "createRegion",
        "updateRegion",
        "createDealer",
        "updateDealer",
        "moveDealer",
        "closeDealer",
    ] {
        assert_eq!(allowed(name), [P::Admin], "{name}");
    }
    for name in [
        "dealer(D1)",
        "report(D1, 2024-05)",
        "reportRevisions(D1, 2024-05)",
    ] {
        assert_eq!(
            allowed(name),
            [P::Admin, P::Bi, P::MgrEast, P::D1],
            "{name}"
        );
    }
    for name in [
        "saveReportDraft(D1)",
        "submitMonthlyReport(D1)",
        "amendMonthlyReport(D1)",
    ] {
        assert_eq!(allowed(name), [P::Admin, P::D1], "{name}");
    }
    for name in [
        "setOemParameter",
        "publishMonth",
        "republishMonth",
        "restateYear",
        "schedulePublication",
    ] {
        assert_eq!(allowed(name), [P::Admin], "{name}");
    }
    for name in ["scorecard(D1)", "kpiTrend(D1)"] {
        assert_eq!(
            allowed(name),
            [P::Admin, P::Bi, P::MgrEast, P::D1],
            "{name}"
        );
    }
    for name in [
        "kpiCatalog",
        "ranking(nation)",
        "benchmarks",
        "kpiFacts",
        "kpiFactTable",
        "oemParameters",
        "publications",
    ] {
        assert_eq!(allowed(name), PRINCIPALS, "{name}");
    }
    assert_eq!(
        allowed("ranking(WEST)"),
        [P::Admin, P::Bi, P::MgrEast, P::MgrWest, P::D2]
    );
    assert_eq!(allowed("dealers"), PRINCIPALS);
    for name in ["targets(D1)", "targetProgress(D1)", "targetRevisions(D1)"] {
        assert_eq!(
            allowed(name),
            [P::Admin, P::Bi, P::MgrEast, P::D1],
            "{name}"
        );
    }
    for name in ["saveTarget(D1)", "proposeTarget(D1)"] {
        assert_eq!(allowed(name), [P::Admin, P::MgrEast, P::D1], "{name}");
    }
    for name in ["approveTarget(D1)", "returnTarget(D1)"] {
        assert_eq!(allowed(name), [P::Admin, P::MgrEast], "{name}");
    }
    for name in ["regionTargets(EAST)", "regionTargetProgress(EAST)"] {
        assert_eq!(allowed(name), [P::Admin, P::Bi, P::MgrEast], "{name}");
    }
    for name in ["setRegionTarget", "setPhasingProfile"] {
        assert_eq!(allowed(name), [P::Admin], "{name}");
    }
    for name in [
        "createActionItem(D1)",
        "updateActionItem(D1's)",
        "addFollowUp(D1's)",
    ] {
        assert_eq!(allowed(name), [P::Admin, P::MgrEast, P::D1], "{name}");
    }
    assert_eq!(
        allowed("actionItem(D1's)"),
        [P::Admin, P::Bi, P::MgrEast, P::D1]
    );
    assert_eq!(
        allowed("agenda(EAST)"),
        [P::Admin, P::Bi, P::MgrEast, P::D1, P::D2]
    );
    for name in [
        "targetItems",
        "phasingProfile",
        "actionItems",
        "exceptions(nation)",
    ] {
        assert_eq!(allowed(name), PRINCIPALS, "{name}");
    }
    assert_eq!(allowed("submissionStatus(2024-05)"), PRINCIPALS);
    assert_eq!(
        allowed("submissionStatus(2024-03, EAST)"),
        [P::Admin, P::Bi, P::MgrEast, P::D1, P::D2]
    );
}

const DEALERS: &str = "query($m: Month, $r: String, $s: String) { dealers(month: $m, regionCode: $r, search: $s) { nodes { code regionCode } } }";

async fn dealer_codes(t: &TestApp, token: &str, vars: Value) -> Vec<String> {
    codes(&t.ok(token, DEALERS, vars).await["dealers"], "code")
}

#[tokio::test]
async fn lists_are_scoped_to_the_callers_regions_in_the_month() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let east = t.manager(&["EAST"]);
    let west = t.manager(&["WEST"]);
    // the current month is 2024-06: D3 is in WEST since 2024-04
    assert_eq!(dealer_codes(&t, &east, json!({})).await, ["D1"]);
    assert_eq!(
        dealer_codes(&t, &east, json!({ "m": "2024-03" })).await,
        ["D1", "D3"]
    );
    assert_eq!(dealer_codes(&t, &west, json!({})).await, ["D2", "D3"]);
    assert_eq!(
        dealer_codes(&t, &west, json!({ "m": "2024-03" })).await,
        ["D2"]
    );
    // the region shown is the one of the month asked for
    let d = t.ok(&east, DEALERS, json!({ "m": "2024-03" })).await;
    assert_eq!(
        d["dealers"]["nodes"],
        json!([{ "code": "D1", "regionCode": "EAST" }, { "code": "D3", "regionCode": "EAST" }])
    );
    // several regions: their union
    assert_eq!(
        dealer_codes(&t, &t.manager(&["EAST", "NORTH"]), json!({})).await,
        ["D1", "D4"]
    );
    // a region filter within the scope narrows it; outside the scope it is refused
    assert_eq!(
        dealer_codes(&t, &west, json!({ "r": "WEST", "m": "2024-03" })).await,
        ["D2"]
    );
    assert_eq!(
        t.err_code(&east, DEALERS, json!({ "r": "WEST" })).await,
        "FORBIDDEN"
    );
    // search never reaches outside the scope
    assert_eq!(
        dealer_codes(&t, &east, json!({ "s": "D3" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        dealer_codes(&t, &east, json!({ "s": "D3", "m": "2024-03" })).await,
        ["D3"]
    );
    // a dealer user sees itself only, whatever it asks
    let d1 = t.dealer("D1");
    assert_eq!(dealer_codes(&t, &d1, json!({})).await, ["D1"]);
    assert_eq!(
        dealer_codes(&t, &d1, json!({ "m": "2024-03" })).await,
        ["D1"]
    );
    assert_eq!(
        dealer_codes(&t, &d1, json!({ "s": "D2" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        dealer_codes(&t, &d1, json!({ "r": "WEST" })).await,
        Vec::<String>::new()
    );
    assert_eq!(dealer_codes(&t, &t.dealer("D3"), json!({})).await, ["D3"]);
    // admin and BI see everyone
    for token in [t.admin(), t.bi()] {
        assert_eq!(
            dealer_codes(&t, &token, json!({})).await,
            ["D1", "D2", "D3", "D4"]
        );
    }

    // submissionStatus is scoped the same way
    let status = "query($m: Month!, $r: String) { submissionStatus(month: $m, regionCode: $r) { counts { total missing } entries { edges { node { dealerCode regionCode } } } } }";
    let entries = |v: &Value| codes(&v["submissionStatus"]["entries"], "dealerCode");
    let s = t.ok(&east, status, json!({ "m": "2024-03" })).await;
    assert_eq!(entries(&s), ["D1", "D3"]);
    assert_eq!(
        s["submissionStatus"]["counts"],
        json!({ "total": 2, "missing": 2 })
    );
    let s = t.ok(&east, status, json!({ "m": "2024-05" })).await;
    assert_eq!(entries(&s), ["D1"]);
    assert_eq!(s["submissionStatus"]["counts"]["total"], 1);
    let s = t
        .ok(&west, status, json!({ "m": "2024-05", "r": "WEST" }))
        .await;
    assert_eq!(entries(&s), ["D2", "D3"]);
    for (token, region) in [(&east, "WEST"), (&east, "NORTH"), (&west, "EAST")] {
        let body = t
            .gql(token, status, json!({ "m": "2024-05", "r": region }))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{region}: {body}"
        );
        assert_eq!(body["data"], Value::Null, "{region}: {body}");
    }
    let s = t.ok(&d1, status, json!({ "m": "2024-05" })).await;
    assert_eq!(entries(&s), ["D1"]);
    assert_eq!(s["submissionStatus"]["counts"]["total"], 1);
    let s = t
        .ok(&t.bi(), status, json!({ "m": "2024-05", "r": "NORTH" }))
        .await;
    assert_eq!(entries(&s), ["D4"]);
}

#[tokio::test]
async fn a_moved_dealer_is_read_by_the_manager_of_the_month_concerned() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let admin = t.admin();
    for month in ["2024-03", "2024-05"] {
        assert_eq!(
            submit(&t, &admin, "D3", month, report_input(&[])).await["outcome"],
            "ACCEPTED"
        );
    }
    let east = t.manager(&["EAST"]);
    let west = t.manager(&["WEST"]);
    let report = "query($m: Month!) { report(dealerCode: \"D3\", month: $m) { dealerCode month revision } reportRevisions(dealerCode: \"D3\", month: $m) { revision } }";
    let readable = |month: &str| {
        json!({
            "report": { "dealerCode": "D3", "month": month, "revision": 1 },
            "reportRevisions": [{ "revision": 1 }]
        })
    };
    // EAST had D3 until 2024-03, WEST from 2024-04
    for (token, ok_month, refused_month) in
        [(&east, "2024-03", "2024-05"), (&west, "2024-05", "2024-03")]
    {
        assert_eq!(
            t.ok(token, report, json!({ "m": ok_month })).await,
            readable(ok_month)
        );
        let body = t.gql(token, report, json!({ "m": refused_month })).await;
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "both fields refused: {body}");
        for e in errors {
            assert_eq!(e["extensions"]["code"], "FORBIDDEN", "{body}");
        }
        assert_eq!(body["data"]["report"], Value::Null, "{body}");
    }

    // the dealer record: the current month (2024-06) unless a month is given
    let dealer = "query($m: Month) { dealer(code: \"D3\", month: $m) { code regionCode } }";
    assert_eq!(t.err_code(&east, dealer, json!({})).await, "FORBIDDEN");
    assert_eq!(
        t.ok(&west, dealer, json!({})).await["dealer"],
        json!({ "code": "D3", "regionCode": "WEST" })
    );
    assert_eq!(
        t.ok(&east, dealer, json!({ "m": "2024-03" })).await["dealer"],
        json!({ "code": "D3", "regionCode": "EAST" })
    );
    assert_eq!(
        t.err_code(&west, dealer, json!({ "m": "2024-03" })).await,
        "FORBIDDEN"
    );

    // reading through the dealer record checks the report's own month
    let nested = "query($r: Month!) { dealer(code: \"D3\", month: \"2024-03\") { code report(month: $r) { month revision } } }";
    assert_eq!(
        t.ok(&east, nested, json!({ "r": "2024-03" })).await["dealer"],
        json!({ "code": "D3", "report": { "month": "2024-03", "revision": 1 } })
    );
    let body = t.gql(&east, nested, json!({ "r": "2024-05" })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(body["data"]["dealer"]["report"], Value::Null, "{body}");
    // and through the list
    let listed = "{ dealers(month: \"2024-03\") { nodes { code report(month: \"2024-05\") { revision } } } }";
    let body = t.gql(&east, listed, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert!(
        !body.to_string().contains("\"revision\":1"),
        "D3's May report leaked: {body}"
    );
}

#[tokio::test]
async fn a_dealer_cannot_read_or_write_another_dealers_report() {
    let t = TestApp::spawn().await;
    t.seed_network().await;
    let d1 = t.dealer("D1");
    let d2 = t.dealer("D2");
    submit(&t, &d2, "D2", "2024-04", report_input(&[])).await;

    // reading D2's report, its revisions, its record
    for q in [
        r#"{ report(dealerCode: "D2", month: "2024-04") { revision } }"#,
        r#"{ reportRevisions(dealerCode: "D2", month: "2024-04") { revision } }"#,
        r#"{ dealer(code: "D2") { code } }"#,
        r#"{ dealer(code: "D2", month: "2024-04") { code } }"#,
    ] {
        let body = t.gql(&d1, q, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{q}: {body}"
        );
        assert!(
            body["data"].is_null()
                || body["data"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(Value::is_null),
            "{q}: {body}"
        );
    }
    // through its own record, another month is fine; another dealer's report never is
    assert_eq!(
        t.ok(
            &d1,
            r#"{ dealer(code: "D1") { report(month: "2024-04") { revision } } }"#,
            json!({})
        )
        .await["dealer"]["report"],
        Value::Null
    );

    // writing: a draft, a submission, an amendment of D2's submitted April report
    let draft = "mutation($i: ReportInput!) { saveReportDraft(dealerCode: \"D2\", month: \"2024-05\", input: $i) { outcome } }";
    assert_eq!(
        t.err_code(
            &d1,
            draft,
            json!({ "i": { "period": { "workingDays": 20 } } })
        )
        .await,
        "FORBIDDEN"
    );
    let submit_q = "mutation($i: ReportInput) { submitMonthlyReport(dealerCode: \"D2\", month: \"2024-05\", input: $i) { outcome } }";
    assert_eq!(
        t.err_code(&d1, submit_q, json!({ "i": report_input(&[]) }))
            .await,
        "FORBIDDEN"
    );
    let (may, revisions) = stored(&t, "D2", "2024-05").await;
    assert_eq!(may, Value::Null, "no draft, no report for D2 in May");
    assert!(revisions.is_empty());
    let r = amend(
        &t,
        &d1,
        "D2",
        "2024-04",
        report_input(&[("ro_washed", json!(3))]),
        1,
        "not mine",
    )
    .await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "FORBIDDEN", "{r}");
    assert_eq!(r["data"], Value::Null, "{r}");
    let (april, revisions) = stored(&t, "D2", "2024-04").await;
    assert_eq!(april["revision"], 1);
    assert_eq!(revisions, vec![1]);
    // whatever the refusal, D2's own amendment still applies at revision 1
    let r = amend(
        &t,
        &d2,
        "D2",
        "2024-04",
        report_input(&[("ro_washed", json!(3))]),
        1,
        "wash count",
    )
    .await;
    assert_eq!(
        r["data"]["amendMonthlyReport"]["report"]["revision"], 2,
        "{r}"
    );

    // and D1's own status list does not show D2
    let s = t
        .ok(
            &d1,
            "{ submissionStatus(month: \"2024-04\") { counts { total accepted } entries { edges { node { dealerCode } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        codes(&s["submissionStatus"]["entries"], "dealerCode"),
        ["D1"]
    );
    assert_eq!(
        s["submissionStatus"]["counts"],
        json!({ "total": 1, "accepted": 0 })
    );
}
