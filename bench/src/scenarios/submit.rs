//! The `submit` scenario: first-submission throughput, then the first ranking after a submission.

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
use crate::discover::{current_month, missing, Data};
use crate::measure::{write_outcome, Outcome, Tally};
use crate::tokens::dealer_token;

const SUBMIT: &str = r#"mutation($d: String!, $m: Month!, $i: ReportInput!) {
  submitMonthlyReport(dealerCode: $d, month: $m, input: $i) {
    outcome message violations { field rule message } report { revision } } }"#;

/// A dealer about to submit its first report of a month, with its own token.
struct Submitter {
    code: String,
    token: String,
    input: Value,
}

impl Submitter {
    async fn submit(&self, gql: &Gql, month: Month) -> (Duration, Result<(), String>) {
        let vars = json!({ "d": self.code, "m": month.to_string(), "i": self.input });
        let (took, answer) = gql.timed(&self.token, SUBMIT, &vars).await;
        let r = answer.and_then(|d| {
            let a = &d["submitMonthlyReport"];
            let outcome = a["outcome"].as_str().unwrap_or_default();
            if !matches!(outcome, "ACCEPTED" | "ACCEPTED_WITH_WARNINGS") {
                return Err(format!("{}: outcome {outcome}: {a}", self.code));
            }
            match a["report"]["revision"].as_i64() {
                Some(1) => Ok(()),
                r => Err(format!(
                    "{}: revision {r:?} after a first submission",
                    self.code
                )),
            }
        });
        (took, r)
    }
}

/// Up to `n` dealers without a report for `target` that have one for `source` (whose content
/// they submit), each with a dealer token.
async fn submitters(
    gql: &Gql,
    admin: &str,
    issuer: &JwtIssuer,
    (source, target): (Month, Month),
    n: usize,
) -> anyhow::Result<Vec<Submitter>> {
    let selection = values_selection()?;
    let mut out = Vec::new();
    for code in missing(gql, admin, target, usize::MAX).await? {
        if out.len() == n {
            break;
        }
        let Some((_, input)) = read_report(gql, admin, &code, source, &selection).await? else {
            continue;
        };
        let token = dealer_token(issuer, &code);
        out.push(Submitter { code, token, input });
    }
    Ok(out)
}

pub async fn submit_scenario(
    gql: &Arc<Gql>,
    admin: &str,
    issuer: &JwtIssuer,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Vec<Outcome>> {
    // The current month of the service: nobody has reported it in generated data.
    let target = current_month();
    let needed = cfg.warmup + cfg.requests + cfg.freshness_rounds;
    let mut all = submitters(gql, admin, issuer, (data.month, target), needed).await?;
    if all.len() < needed {
        bail!(
            "only {} dealers without a report for {target} have one for {}: need {needed} (warmup + requests + freshness rounds)",
            all.len(),
            data.month
        );
    }
    eprintln!(
        "msi-bench: submit: {} warmup + {} first submissions for {target} by {} clients (content of {})",
        cfg.warmup, cfg.requests, cfg.clients, data.month
    );
    let fresh_ones = all.split_off(cfg.warmup + cfg.requests);
    let measured_ones = all.split_off(cfg.warmup);
    let mut warm = Tally::default();
    let mut measured = Tally::default();
    let mut window = Duration::ZERO;
    for (phase, ones) in [all, measured_ones].into_iter().enumerate() {
        let start = Instant::now();
        // Client c submits every `clients`-th report of the phase.
        let mut queues: Vec<Vec<Submitter>> = (0..cfg.clients).map(|_| Vec::new()).collect();
        for (i, s) in ones.into_iter().enumerate() {
            queues[i % cfg.clients].push(s);
        }
        let mut tasks = Vec::new();
        for queue in queues {
            let gql = gql.clone();
            tasks.push(tokio::spawn(async move {
                let mut t = Tally::default();
                for s in &queue {
                    let (took, r) = s.submit(&gql, target).await;
                    t.record(took, r);
                }
                t
            }));
        }
        for task in tasks {
            let t = task.await.context("a submitting client failed")?;
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
    let what = format!("first submissions for {target}");
    let o = write_outcome("submit", measured, warm, window, &what);

    // The first ranking after a submission must count it: Σ ro_washed grows by its ro_washed.
    eprintln!(
        "msi-bench: ranking_after_submit: {} rounds (submit, then rank {FRESHNESS_KPI} for {target})",
        cfg.freshness_rounds
    );
    let washed = split_path("ro_washed");
    let (washers, days) = (split_path("washers"), split_path("working_days"));
    let vars = json!({ "k": FRESHNESS_KPI, "p": { "kind": "MONTH", "month": target.to_string() }, "first": PAGE });
    let mut fresh = Tally::default();
    let start = Instant::now();
    for s in &fresh_ones {
        let before = gql
            .ok(admin, RANKING, vars.clone())
            .await
            .and_then(|d| numerator(&d).map_err(|e| anyhow!(e)))
            .unwrap_or(0);
        let (_, r) = s.submit(gql, target).await;
        if let Err(e) = r {
            fresh.fail(format!("submission: {e}"));
            continue;
        }
        let counts =
            int_at(&s.input, &washers).unwrap_or(0) > 0 && int_at(&s.input, &days).unwrap_or(0) > 0;
        let expected = before
            + if counts {
                i128::from(int_at(&s.input, &washed).unwrap_or(0))
            } else {
                0
            };
        // The timed request: the first ranking after the submission.
        let (took, answer) = gql.timed(admin, RANKING, &vars).await;
        let check = answer.and_then(|d| {
            check_ranking(&d, target, target)?;
            let after = numerator(&d)?;
            if after != expected {
                return Err(format!(
                    "the ranking does not reflect {}'s submission: Σ ro_washed {before} before, {after} after (expected {expected})",
                    s.code
                ));
            }
            Ok(())
        });
        fresh.record(took, check);
    }
    let mut f = Outcome::new(
        "ranking_after_submit",
        fresh,
        Tally::default(),
        start.elapsed(),
    );
    f.throughput = 0.0;
    f.notes = format!(
        "first national {FRESHNESS_KPI} ranking of {target} after a first submission, checked"
    );
    Ok(vec![o, f])
}
