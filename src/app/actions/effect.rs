//! Measuring an action item: its baseline, the subject's value since, and the effect at
//! the due month.

use crate::app::{App, AppResult};
use crate::domain::actions::{judge, Effect};
use crate::domain::kpi::KpiDef;
use crate::domain::stats::Pair;
use crate::domain::MonthRange;
use crate::store::ActionRecord;

use super::subject_kpi;

/// What an item's subject did.
#[derive(Debug, Clone)]
pub struct Measured {
    pub kpi: &'static KpiDef,
    pub baseline: Option<f64>,
    pub expected: Option<f64>,
    /// The value over the months after the baseline period, through the due month (or
    /// the last month, before it).
    pub since: Option<f64>,
    /// Those months, when any has passed.
    pub since_period: Option<MonthRange>,
    pub effect: Effect,
    /// Past its due month and still open.
    pub overdue: bool,
}

impl App {
    /// The dealer's summed pair of `kpi` over `range` (live), if it has a value.
    pub(in crate::app) async fn dealer_pair(
        &self,
        dealer: &str,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> AppResult<Option<(i64, i64)>> {
        self.refresh_kpis().await?;
        let series = self
            .cache
            .dealer_series(self.store.as_ref(), dealer, kpi, range)
            .await?;
        let pair = series.and_then(|s| {
            s.values
                .iter()
                .filter_map(|v| v.ok())
                .try_fold(None, |acc: Option<Pair>, p| {
                    let (n, d) = match acc {
                        None => (p.num, p.den),
                        Some(a) => (a.num.checked_add(p.num)?, a.den.checked_add(p.den)?),
                    };
                    Some(Some(Pair { num: n, den: d }))
                })?
        });
        Ok(pair.map(|p| (p.num, p.den)))
    }

    /// Measures an item now.
    pub async fn measure_action(&self, item: &ActionRecord) -> AppResult<Measured> {
        let kpi = subject_kpi(&item.subject)?;
        let baseline = item.baseline.and_then(|(n, d)| kpi.value(n, d));
        let expected = item.state.expected.map(|e| e as f64 / 100.0);
        let last = self.current_month().plus(-1);
        let end = item.state.due_month.min(last);
        let since_period = MonthRange::new(item.baseline_to.plus(1), end);
        let since = match since_period {
            Some(range) => self
                .dealer_pair(&item.dealer_code, kpi, range)
                .await?
                .and_then(|(n, d)| kpi.value(n, d)),
            None => None,
        };
        let due_reported = self
            .store
            .report(&item.dealer_code, item.state.due_month)
            .await?
            .is_some_and(|r| r.revision > 0);
        Ok(Measured {
            kpi,
            baseline,
            expected,
            since,
            since_period,
            effect: judge(kpi, baseline, expected, since, due_reported),
            overdue: item.state.status.is_open() && item.state.due_month < self.current_month(),
        })
    }
}
