//! The `amend` scenario: amendment throughput, then the first ranking after an amendment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use msi_hub::auth::JwtIssuer;
use msi_hub::domain::Month;
use serde_json::{json, Value};

use super::reads::{check_ranking, numerator, RANKING};
use super::report_input::{int_at, read_report, split_path, values_selection};
use super::{FRESHNESS_KPI, PAGE};
use crate::cli::Cfg;
use crate::client::Gql;
use crate::discover::Data;
use crate::measure::{round2, write_outcome, Outcome, Tally};
use crate::tokens::dealer_token;

/// A dealer whose report of the month the bench amends, with its own token.
struct Amended {
    code: String,
    token: String,
    revision: i64,
    input: Value,
}

const AMEND: &str = r#"mutation($d: String!, $m: Month!, $i: ReportInput!, $e: Int!, $r: String!) {
  amendMonthlyReport(dealerCode: $d, month: $m, input: $i, expectedRevision: $e, reason: $r) {
    outcome message violations { field rule message } warnings { field rule } report { revision } } }"#;

impl Amended {
    /// Adds `delta` to `ro_washed` and amends; returns the latency and whether it was accepted.
    async fn amend(
        &mut self,
        gql: &Gql,
        month: Month,
        washed: &(String, String),
    ) -> (Duration, Result<(), String>) {
        let current = int_at(&self.input, washed).unwrap_or(0);
        let mut input = self.input.clone();
        input[&washed.0][&washed.1] = json!(current + 1);
        let vars = json!({ "d": self.code, "m": month.to_string(), "i": input, "e": self.revision, "r": "msi-bench: ro_washed + 1" });
        let (took, answer) = gql.timed(&self.token, AMEND, &vars).await;
        let r = answer.and_then(|d| {
            let a = &d["amendMonthlyReport"];
            let outcome = a["outcome"].as_str().unwrap_or_default();
            if !matches!(outcome, "ACCEPTED" | "ACCEPTED_WITH_WARNINGS") {
                return Err(format!("{}: outcome {outcome}: {a}", self.code));
            }
            let rev = a["report"]["revision"].as_i64().unwrap_or(0);
            if rev != self.revision + 1 {
                return Err(format!(
                    "{}: revision {rev} after amending revision {}",
                    self.code, self.revision
                ));
            }
            Ok(rev)
        });
        match r {
            Ok(rev) => {
                self.revision = rev;
                self.input = input;
                (took, Ok(()))
            }
            Err(e) => (took, Err(e)),
        }
    }

    /// Reads the stored report again (after a failure).
    async fn resync(
        &mut self,
        gql: &Gql,
        admin: &str,
        month: Month,
        selection: &str,
    ) -> anyhow::Result<()> {
        let (rev, input) = read_report(gql, admin, &self.code, month, selection)
            .await?
            .ok_or_else(|| anyhow!("{}: no report for {month}", self.code))?;
        self.revision = rev;
        self.input = input;
        Ok(())
    }
}

/// A dealer's value of `FRESHNESS_KPI` for the month, from its scorecard.
async fn scorecard_value(gql: &Gql, admin: &str, code: &str, month: Month) -> Result<f64, String> {
    let q = r#"query($d: String!, $m: Month!) { scorecard(dealerCode: $d, period: { month: $m }) { kpis { kpi { code } value } } }"#;
    let (_, answer) = gql
        .timed(admin, q, &json!({ "d": code, "m": month.to_string() }))
        .await;
    let d = answer?;
    d["scorecard"]["kpis"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kpi"]["code"] == FRESHNESS_KPI))
        .and_then(|k| k["value"].as_f64())
        .ok_or_else(|| format!("{code}: no {FRESHNESS_KPI} in its scorecard"))
}

pub async fn amend_scenario(
    gql: &Arc<Gql>,
    admin: &str,
    issuer: &JwtIssuer,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Vec<Outcome>> {
    let month = data.month;
    let selection = values_selection()?;
    let washed = split_path("ro_washed");
    let washers = split_path("washers");
    let days = split_path("working_days");
    // One dealer per client, with a submitted report and a washes-per-washer-day value.
    let mut chosen = Vec::new();
    for (code, _) in &data.dealers {
        if chosen.len() == cfg.clients {
            break;
        }
        let Some((revision, input)) = read_report(gql, admin, code, month, &selection).await?
        else {
            continue;
        };
        if int_at(&input, &washers).unwrap_or(0) <= 0 || int_at(&input, &days).unwrap_or(0) <= 0 {
            continue;
        }
        let token = dealer_token(issuer, code);
        chosen.push(Amended {
            code: code.clone(),
            token,
            revision,
            input,
        });
    }
    if chosen.len() < cfg.clients {
        bail!(
            "only {} of the first {} dealers have a report for {month} with washers: need {} (one per client)",
            chosen.len(),
            data.dealers.len(),
            cfg.clients
        );
    }
    eprintln!(
        "msi-bench: amend: {} warmup + {} amendments of {month} by {} dealers ({})",
        cfg.warmup,
        cfg.requests,
        cfg.clients,
        chosen
            .iter()
            .map(|a| a.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Client c amends its own dealer: its share of the warmup, then of the measured requests.
    let share = |n: usize, c: usize| n / cfg.clients + usize::from(c < n % cfg.clients);
    let mut warm = Tally::default();
    let mut measured = Tally::default();
    let mut window = Duration::ZERO;
    for phase in 0..2 {
        let n = if phase == 0 { cfg.warmup } else { cfg.requests };
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (c, mut a) in chosen.drain(..).enumerate() {
            let (gql, admin, selection, washed) = (
                gql.clone(),
                admin.to_string(),
                selection.clone(),
                washed.clone(),
            );
            let count = share(n, c);
            tasks.push(tokio::spawn(async move {
                let mut t = Tally::default();
                for _ in 0..count {
                    let (took, r) = a.amend(&gql, month, &washed).await;
                    let failed = r.is_err();
                    t.record(took, r);
                    if failed {
                        if let Err(e) = a.resync(&gql, &admin, month, &selection).await {
                            t.fail(format!("resync: {e:#}"));
                        }
                    }
                }
                (a, t)
            }));
        }
        for task in tasks {
            let (a, t) = task.await.context("an amending client failed")?;
            chosen.push(a);
            if phase == 0 {
                warm.merge(t);
            } else {
                measured.merge(t);
            }
        }
        if phase == 1 {
            window = start.elapsed();
        }
    }
    let o = write_outcome("amend", measured, warm, window, "amendments");

    // The first ranking after an amendment must reflect it.
    eprintln!(
        "msi-bench: ranking_after_amend: {} rounds (amend {}, then rank {FRESHNESS_KPI})",
        cfg.freshness_rounds, chosen[0].code
    );
    let a = &mut chosen[0];
    let vars = json!({ "k": FRESHNESS_KPI, "p": { "kind": "MONTH", "month": month.to_string() }, "first": PAGE });
    let mut fresh = Tally::default();
    let mut amend_ms = Vec::new();
    let start = Instant::now();
    for _ in 0..cfg.freshness_rounds {
        // Before: the same ranking (which also warms any cache) and the dealer's own value.
        let before = gql.ok(admin, RANKING, vars.clone()).await.and_then(|d| {
            check_ranking(&d, month, month).map_err(|e| anyhow!(e))?;
            numerator(&d).map_err(|e| anyhow!(e))
        });
        let value_before = scorecard_value(gql, admin, &a.code, month).await;
        let (before, value_before) = match (before, value_before) {
            (Ok(b), Ok(v)) => (b, v),
            (Err(e), _) => {
                fresh.fail(format!("ranking before: {e:#}"));
                continue;
            }
            (_, Err(e)) => {
                fresh.fail(format!("scorecard before: {e}"));
                continue;
            }
        };
        let (took, r) = a.amend(gql, month, &washed).await;
        amend_ms.push(took.as_secs_f64() * 1000.0);
        if let Err(e) = r {
            fresh.fail(format!("amendment: {e}"));
            if let Err(e) = a.resync(gql, admin, month, &selection).await {
                fresh.fail(format!("resync: {e:#}"));
            }
            continue;
        }
        // The timed request: the first ranking after the amendment.
        let (took, answer) = gql.timed(admin, RANKING, &vars).await;
        let check = answer.and_then(|d| {
            check_ranking(&d, month, month)?;
            let after = numerator(&d)?;
            if after != before + 1 {
                return Err(format!(
                    "the ranking does not reflect the amendment: Σ ro_washed {before} before, {after} after (expected {})",
                    before + 1
                ));
            }
            Ok(())
        });
        fresh.record(took, check);
        // And the dealer's own value moved by exactly 1 / (washers × working days).
        let per =
            (int_at(&a.input, &washers).unwrap_or(1) * int_at(&a.input, &days).unwrap_or(1)) as f64;
        match scorecard_value(gql, admin, &a.code, month).await {
            Ok(v) if (v - value_before - 1.0 / per).abs() <= 1e-9 * v.abs().max(1.0) => {}
            Ok(v) => fresh.fail(format!(
                "{}: {FRESHNESS_KPI} {value_before} before, {v} after; expected + 1/{per}",
                a.code
            )),
            Err(e) => fresh.fail(format!("scorecard after: {e}")),
        }
    }
    let mut f = Outcome::new(
        "ranking_after_amend",
        fresh,
        Tally::default(),
        start.elapsed(),
    );
    f.throughput = 0.0;
    let mean_amend = amend_ms.iter().sum::<f64>() / amend_ms.len().max(1) as f64;
    f.notes = format!(
        "first national {FRESHNESS_KPI} ranking after an amendment, checked; amendments {mean_amend:.2} ms mean"
    );
    f.extra = json!({ "dealer": a.code, "amend_mean_ms": round2(mean_amend), "rounds": cfg.freshness_rounds });
    Ok(vec![o, f])
}
