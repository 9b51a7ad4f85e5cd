//! Loading generated networks (the demo, benchmark data) through the store, with progress.

mod actions;
mod targets;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use super::App;
use crate::domain::kpi::{self, Param, ParamValue};
use crate::domain::network::region_at;
use crate::domain::{Month, RegionAssignment, Values};
use crate::generator::{self, Spec};
use crate::store::FactRow;
use targets::TargetPlan;

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    pub dealers: usize,
    /// Reports inserted now (those already present are skipped, so a second load inserts 0).
    pub reports_inserted: u64,
    /// KPI facts computed for the inserted reports.
    pub facts: u64,
    /// Dealer targets inserted now (a second load inserts 0).
    pub targets_inserted: u64,
    /// Action items created now (none when the network has some already).
    pub actions_created: u64,
    pub months: usize,
}

impl App {
    /// Loads the generated network and its reports month by month, with their KPI facts;
    /// idempotent. `progress` is told `(months done, months in all, reports inserted so far)`.
    pub async fn load_generated(
        &self,
        spec: &Spec,
        mut progress: impl FnMut(usize, usize, u64),
    ) -> anyhow::Result<LoadSummary> {
        let started = Instant::now();
        let network = generator::network(spec);
        self.store
            .load_network(&network.regions, &network.dealers, &network.moves)
            .await?;
        let months: Vec<Month> = generator::months(spec).collect();
        // The OEM parameter the generated figures assume, for every year loaded (unless set).
        let years: HashSet<i32> = months.iter().map(|m| m.year()).collect();
        for year in years {
            let value = ParamValue {
                param: Param::AnnualVisitsPerVehicle,
                year,
                region_code: String::new(),
                value: generator::ANNUAL_VISITS_PER_VEHICLE,
            };
            self.store
                .put_param_if_absent(&value, generator::AUTHOR, self.now_ms())
                .await?;
        }
        let params = self.store.params().await?;
        let mut histories: HashMap<&str, Vec<RegionAssignment>> = HashMap::new();
        for d in &network.dealers {
            histories
                .entry(&d.dealer.code)
                .or_default()
                .push(RegionAssignment {
                    from: d.dealer.opened,
                    region_code: d.region_code.clone(),
                });
        }
        for (code, region, from) in &network.moves {
            histories.entry(code).or_default().push(RegionAssignment {
                from: *from,
                region_code: region.clone(),
            });
        }
        // The last months of each dealer, as far back as the longest KPI window.
        let window = i32::from(kpi::max_window());
        let mut recent: HashMap<String, BTreeMap<Month, Values>> = HashMap::new();
        let mut summary = LoadSummary {
            dealers: network.dealers.len(),
            months: months.len(),
            ..Default::default()
        };
        let mut plan = TargetPlan::new(spec, &network);
        for (i, &month) in months.iter().enumerate() {
            let reports = generator::reports_for_month(spec, &network, month);
            let mut new_targets = Vec::new();
            // Facts for every report of the month; the store keeps those of the reports it
            // inserts, in the same transaction (a killed load re-runs cleanly).
            let now = self.wall_ms();
            let mut facts = Vec::new();
            for r in &reports {
                new_targets.extend(plan.report(&r.dealer_code, month, &r.values));
                let months = recent.entry(r.dealer_code.clone()).or_default();
                months.insert(month, r.values.clone());
                while months
                    .first_key_value()
                    .is_some_and(|(m, _)| *m < month.plus(-window))
                {
                    months.pop_first();
                }
                let history = histories
                    .get(r.dealer_code.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let region = |m: Month| region_at(history, m).map(str::to_string);
                let target = |m: Month, item| plan.month_target(&r.dealer_code, m, item);
                for (m, fact) in
                    kpi::dealer_facts(months, month, month, &params, &region, &target, None)
                {
                    let Some(region_code) = region(m) else {
                        continue;
                    };
                    facts.push(FactRow {
                        kpi: fact.kpi,
                        month: m,
                        dealer_code: r.dealer_code.clone(),
                        region_code,
                        value: fact.value,
                        updated_at: now,
                    });
                }
            }
            // Targets before the reports whose achievement they carry: a load killed between
            // the two runs again to the same targets (skipped) and the same facts.
            summary.targets_inserted += self.store.load_targets(&new_targets).await?;
            let inserted: HashSet<(String, Month)> = self
                .store
                .load_reports(&reports, &facts)
                .await?
                .into_iter()
                .collect();
            summary.reports_inserted += inserted.len() as u64;
            summary.facts += facts
                .iter()
                .filter(|f| inserted.contains(&(f.dealer_code.clone(), f.month)))
                .count() as u64;
            progress(i + 1, months.len(), summary.reports_inserted);
        }
        summary.targets_inserted += self.store.load_targets(&plan.next_year()).await?;
        self.store.analyze().await?;
        // The months that have closed are published, as the scheduler would have done.
        self.publish_due().await?;
        summary.actions_created = self.load_action_plans(spec, &network).await?;
        tracing::info!(
            dealers = summary.dealers,
            reports = summary.reports_inserted,
            facts = summary.facts,
            targets = summary.targets_inserted,
            actions = summary.actions_created,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "network loaded"
        );
        Ok(summary)
    }

    /// The demo network (8 regions, 240 dealers, 24 months ending last month), unless
    /// the database already holds dealers and `only_if_empty` is set.
    pub async fn load_demo(&self, only_if_empty: bool) -> anyhow::Result<Option<LoadSummary>> {
        if only_if_empty && self.store.count_dealers().await? > 0 {
            return Ok(None);
        }
        let spec = Spec::demo(self.current_month().plus(-1), self.now_ms());
        // The latest month stays under review for a week, so that the demo shows a month not
        // yet published to dealers besides the published ones.
        let review = self.now() + chrono::Duration::days(7);
        if let Err(e) = self.schedule_publication(spec.end, Some(review)).await {
            tracing::info!(error = %e, "the demo's latest month keeps its publication");
        }
        Ok(Some(self.load_generated(&spec, |_, _, _| {}).await?))
    }
}
