//! Progress against targets: a dealer's (each item year to date, the month, a projection;
//! each KPI target met or not) and a region's (the OEM's regional targets against the sum
//! of its dealers' actuals).

use std::collections::HashMap;

use crate::app::{App, AppError, AppResult};
use crate::domain::stats::Pair;
use crate::domain::targets::{
    phase, previous_shape, progress, weights, Progress, TargetItem, TargetStatus, TargetSubject,
};
use crate::domain::{Month, MonthRange};
use crate::store::TargetRecord;

/// A target and where its dealer or region stands against it.
#[derive(Debug, Clone)]
pub struct ItemProgress {
    pub target: TargetRecord,
    pub subject: TargetSubject,
    /// Volume items: the months of the target (approved: as phased then; otherwise as they
    /// would be phased now).
    pub phased: Option<[i64; 12]>,
    pub progress: Option<Progress>,
    /// KPI targets: the value year to date, and whether it meets the target in the KPI's
    /// direction (`None` without a value).
    pub kpi_value: Option<f64>,
    pub met: Option<bool>,
}

/// A region's targets and progress, with the dealers counted.
#[derive(Debug, Clone)]
pub struct RegionProgress {
    pub items: Vec<ItemProgress>,
    /// Dealers whose reports were summed (in the region in some month of the two years).
    pub dealers: usize,
}

/// The months of `as_of`'s year up to it, or an error naming the argument.
fn year_to(year: i32, as_of: Month) -> AppResult<MonthRange> {
    if as_of.year() != year {
        return Err(AppError::invalid(
            "asOf",
            format!("must be a month of {year}, got {as_of}"),
        ));
    }
    let jan = Month::new(year, 1).expect("year checked");
    Ok(MonthRange::new(jan, as_of).expect("January is not after as_of"))
}

impl App {
    /// Where a dealer stands against each of its targets for `year`, as of month `as_of`.
    pub async fn dealer_target_progress(
        &self,
        dealer: &str,
        year: i32,
        as_of: Month,
    ) -> AppResult<Vec<ItemProgress>> {
        let ytd = year_to(year, as_of)?;
        let targets = self.dealer_targets(dealer, year).await?;
        if targets.is_empty() {
            return Ok(vec![]);
        }
        let stored: HashMap<String, [i64; 12]> = self
            .store
            .target_months(dealer, year)
            .await?
            .into_iter()
            .collect();
        let jan_before = Month::new(year - 1, 1).expect("year checked");
        let values = self
            .store
            .submitted_values(dealer, jan_before, ytd.to)
            .await?;
        let months = |item: TargetItem, y: i32| {
            let mut out = [None; 12];
            for (m, v) in values.iter().filter(|(m, _)| m.year() == y) {
                out[(m.month() - 1) as usize] = item.actual(v);
            }
            out
        };
        let own = if targets.iter().any(|t| t.key.item.starts_with("kpi:")) {
            self.refresh_kpis().await?;
            self.cache
                .own_figures(self.store.as_ref(), dealer, ytd)
                .await?
        } else {
            None
        };
        let mut out = Vec::new();
        for t in targets {
            let Ok(subject) = TargetSubject::parse(&t.key.item) else {
                continue;
            };
            let mut line = ItemProgress {
                target: t.clone(),
                subject,
                phased: None,
                progress: None,
                kpi_value: None,
                met: None,
            };
            match subject {
                TargetSubject::Item(item) => {
                    let (actual, previous) = (months(item, year), months(item, year - 1));
                    let phased = match stored.get(item.code()) {
                        Some(m) if t.status == TargetStatus::Approved => *m,
                        _ => {
                            let profile = self.store.phasing_profile(year, item.code()).await?;
                            phase(t.value, &weights(profile.as_ref(), &previous).0)
                        }
                    };
                    line.progress = Some(progress(
                        as_of.month(),
                        t.value,
                        &phased,
                        &actual,
                        &previous,
                    ));
                    line.phased = Some(phased);
                }
                TargetSubject::Kpi(k) => {
                    let position = crate::domain::kpi::KPIS.iter().position(|d| d.id == k.id);
                    let pair: Option<Pair> =
                        own.as_ref().zip(position).and_then(|(o, p)| o[p].ok());
                    line.kpi_value = pair.and_then(|p| k.value(p.num, p.den));
                    let target = t.value as f64 / 100.0;
                    line.met = line.kpi_value.map(|v| v == target || k.better(v, target));
                }
            }
            out.push(line);
        }
        Ok(out)
    }

    /// Where a region stands against the OEM's regional targets for `year`, as of `as_of`:
    /// each month's actual is the sum over the dealers in the region that month, phased by
    /// the national profile, else the region's previous year, else evenly.
    pub async fn region_target_progress(
        &self,
        region: &str,
        year: i32,
        as_of: Month,
    ) -> AppResult<RegionProgress> {
        let ytd = year_to(year, as_of)?;
        let targets = self.region_targets(region, year).await?;
        let directory = self.directory().await?;
        let jan_before = Month::new(year - 1, 1).expect("year checked");
        let span = MonthRange::new(jan_before, ytd.to).expect("ordered");
        let members: Vec<usize> = (0..directory.len())
            .filter(|&i| {
                span.months()
                    .any(|m| directory.region_at(i, m) == Some(region))
            })
            .collect();
        let codes: Vec<String> = members
            .iter()
            .map(|&i| directory.dealers[i].code.clone())
            .collect();
        let values = if targets.is_empty() {
            vec![]
        } else {
            self.store
                .submitted_values_of(&codes, jan_before, ytd.to)
                .await?
        };
        let mut items = Vec::new();
        for t in targets {
            let Ok(subject) = TargetSubject::parse(&t.key.item) else {
                continue;
            };
            let mut line = ItemProgress {
                target: t.clone(),
                subject,
                phased: None,
                progress: None,
                kpi_value: None,
                met: None,
            };
            if let TargetSubject::Item(item) = subject {
                let mut sums: [[Option<i64>; 12]; 2] = [[None; 12]; 2];
                for (code, m, v) in &values {
                    let Some(&i) = directory.index.get(code) else {
                        continue;
                    };
                    if directory.region_at(i, *m) != Some(region) {
                        continue;
                    }
                    let slot = &mut sums[usize::from(m.year() == year)][(m.month() - 1) as usize];
                    if let Some(a) = item.actual(v) {
                        *slot = Some(slot.unwrap_or(0).saturating_add(a));
                    }
                }
                let [previous, actual] = sums;
                let profile = self.store.phasing_profile(year, item.code()).await?;
                let w = match profile {
                    Some(p) => p,
                    None => previous_shape(&previous).unwrap_or([1; 12]),
                };
                let phased = phase(t.value, &w);
                line.progress = Some(progress(
                    as_of.month(),
                    t.value,
                    &phased,
                    &actual,
                    &previous,
                ));
                line.phased = Some(phased);
            }
            items.push(line);
        }
        Ok(RegionProgress {
            items,
            dealers: members.len(),
        })
    }
}
