//! The scenarios: what each one asks, how its answers are checked, and the order they run in.

mod amend;
mod facts;
mod facts_csv;
mod import;
mod management;
mod reads;
mod report_input;
mod rotating;
mod submit;

use std::sync::Arc;

use msi_hub::auth::JwtIssuer;
use serde_json::json;

use crate::cli::Cfg;
use crate::client::Gql;
use crate::discover::Data;
use crate::load::measure;
use crate::measure::Outcome;

/// Every scenario, in the order they run.
pub const SCENARIOS: [&str; 16] = [
    "ranking",
    "ranking_rotating",
    "ranking_rolling12",
    "ranking_achievement",
    "exceptions",
    "scorecard",
    "scorecard_dealer",
    "scorecard_rotating",
    "trend",
    "trend_rotating",
    "benchmarks",
    "facts",
    "facts_csv",
    "submit",
    "amend",
    "import",
];

/// KPI of the ranking scenarios.
pub const RANKING_KPI: &str = "first_time_fix";
/// KPI of the achievement ranking: brand ROs against their phased target.
pub const ACHIEVEMENT_KPI: &str = "achievement_brand_ros";
/// KPIs of one trend request (a dashboard panel).
pub const TREND_KPIS: [&str; 3] = ["first_time_fix", "absorption", "technician_productivity"];
/// Months of a trend.
const TREND_MONTHS: i32 = 36;
/// KPI of the benchmarks scenario.
pub const BENCHMARK_KPI: &str = "technician_productivity";
/// KPI read back after an amendment (it reads `ro_washed`, which the amendments change).
pub const FRESHNESS_KPI: &str = "washes_per_washer_day";
/// Ranking page size.
const PAGE: usize = 50;

/// Runs scenario `name`; the write scenarios also give the freshness check that follows them.
pub async fn run(
    name: &str,
    gql: &Arc<Gql>,
    admin: &str,
    issuer: &JwtIssuer,
    data: &Data,
    cfg: &Cfg,
) -> anyhow::Result<Vec<Outcome>> {
    let m = data.month;
    Ok(match name {
        "ranking" => {
            let load = reads::ranking_load(
                admin,
                RANKING_KPI,
                json!({ "kind": "MONTH", "month": m.to_string() }),
                m,
                m,
            );
            vec![measure(name, gql, load, cfg).await]
        }
        "ranking_rotating" => {
            let load = rotating::ranking_rotating(gql, admin, data).await?;
            vec![measure(name, gql, load, cfg).await]
        }
        "scorecard_rotating" => {
            vec![measure(name, gql, rotating::scorecard_rotating(admin, data), cfg).await]
        }
        "trend_rotating" => {
            vec![measure(name, gql, rotating::trend_rotating(admin, data), cfg).await]
        }
        "ranking_rolling12" => {
            let load = reads::ranking_load(
                admin,
                RANKING_KPI,
                json!({ "kind": "ROLLING_12", "month": m.to_string() }),
                m.plus(-11),
                m,
            );
            vec![measure(name, gql, load, cfg).await]
        }
        "ranking_achievement" => {
            let jan = m.plus(1 - m.month() as i32);
            let load = reads::ranking_load(
                admin,
                ACHIEVEMENT_KPI,
                json!({ "kind": "YEAR_TO_DATE", "month": m.to_string() }),
                jan,
                m,
            );
            vec![measure(name, gql, load, cfg).await]
        }
        "exceptions" => {
            vec![
                measure(
                    name,
                    gql,
                    management::exceptions_load(admin, data, cfg.exceptions_page),
                    cfg,
                )
                .await,
            ]
        }
        "scorecard" => vec![measure(name, gql, reads::scorecard_load(admin, data), cfg).await],
        "scorecard_dealer" => {
            vec![reads::scorecard_dealer_scenario(gql, admin, issuer, data, cfg).await?]
        }
        "trend" => vec![measure(name, gql, reads::trend_load(admin, data), cfg).await],
        "benchmarks" => vec![measure(name, gql, reads::benchmarks_load(admin, data), cfg).await],
        "facts" => vec![facts::facts_scenario(gql, admin, data, cfg).await],
        "facts_csv" => vec![facts_csv::facts_csv_scenario(gql, admin, data, cfg).await],
        "submit" => submit::submit_scenario(gql, admin, issuer, data, cfg).await?,
        "amend" => amend::amend_scenario(gql, admin, issuer, data, cfg).await?,
        "import" => import::import_scenario(gql, admin, data, cfg).await?,
        other => unreachable!("unknown scenario {other}"),
    })
}
