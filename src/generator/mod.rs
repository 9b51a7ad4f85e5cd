//! A deterministic generator of a dealer network and its monthly MSI reports, for demos,
//! load tests and benchmarks.
//!
//! Pure: no I/O, no clock, no global state. Every random draw comes from a ChaCha8 stream
//! keyed by `(seed, purpose, dealer, month)`, so a dealer-month's figures do not depend on
//! which other months were generated, or in which order. A figure that another month
//! needs (last month's own sales, last month's closing parts stock, last month's managed
//! customers) is therefore recomputed from its own key rather than remembered, and a
//! caller can load month by month with bounded memory.
//!
//! Every generated report passes [`check`](crate::domain::report::check) as a complete
//! submission, without errors and without warnings, and its KPI ratios fall in the ranges
//! the domain reference calls plausible (comebacks 1–3 %, productivity 90–130 %,
//! utilization 75–95 %, parts fill rate 85–98 %, management internalization 50–90 %…).

pub mod actions;
mod calibration;
mod names;
mod network;
mod profile;
mod rng;
mod submission;
pub mod targets;
#[cfg(test)]
mod tests;
mod values;

use std::collections::HashMap;

use crate::domain::period::Month;
use crate::store::{BulkReport, ReportStatus};

pub use calibration::ANNUAL_VISITS_PER_VEHICLE;
pub use network::{network, Network};

use profile::Profile;
use rng::{stream, uni, Stream};
use submission::submission;
use values::month_values;

/// The `author` of every generated report.
pub const AUTHOR: &str = "demo-loader";

const DAY_MS: i64 = 86_400_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Number of dealers (codes `D00001`…).
    pub dealers: usize,
    /// Number of months with reports, ending with `end`.
    pub months: usize,
    /// The seed: the same spec gives the same network and reports, byte for byte.
    pub seed: u64,
    /// Number of regions (codes `R01`…); at least one is generated.
    pub regions: usize,
    /// The last month with reports (the current reporting month, partly submitted).
    pub end: Month,
    /// "Now", epoch milliseconds: no report is submitted after it. Normally a moment of
    /// the month after `end`.
    pub now_ms: i64,
    /// Reports submitted after this day of the following month (UTC) are late.
    pub deadline_day: u32,
}

impl Spec {
    /// The demo network: 8 regions, 240 dealers, 24 months of reports up to `end`, seed 42,
    /// deadline on the 10th.
    pub fn demo(end: Month, now_ms: i64) -> Spec {
        Spec {
            dealers: 240,
            months: 24,
            seed: 42,
            regions: 8,
            end,
            now_ms,
            deadline_day: 10,
        }
    }

    /// The first month with reports (`months - 1` months before `end`).
    pub fn first_month(&self) -> Month {
        self.end.plus(1 - self.months as i32)
    }

    /// The last millisecond (UTC) at which a report for `month` is on time: the end of
    /// `deadline_day` of the following month (clamped to that month's length). A report
    /// first submitted after it is late, as the application reckons it (but in UTC, not
    /// the OEM's time zone).
    pub fn deadline_ms(&self, month: Month) -> i64 {
        let next = month.plus(1);
        let day = i64::from(self.deadline_day.clamp(1, next.days()));
        month_start_ms(next) + day * DAY_MS - 1
    }
}

/// The months with reports: `spec.first_month()..=spec.end`, `spec.months` of them.
pub fn months(spec: &Spec) -> impl Iterator<Item = Month> {
    let first = spec.first_month();
    (0..spec.months as i32).map(move |k| first.plus(k))
}

/// The reports of `month` of every dealer of `network` (which must be `network(spec)`)
/// that has submitted by `spec.now_ms`; empty outside the window.
///
/// Before `end`, every active dealer has a report, about 4 % of them late. For `end`,
/// about 80 % of the dealers submit on time and about 6 % late (only if `now_ms` is past
/// the deadline: late submissions lie between the deadline and `now_ms`); the rest have
/// not submitted (yet). A dealer whose on-time submission would fall after `now_ms` is
/// missing too, so early in the month most of `end` is missing. Every report is
/// `Accepted`, without warnings, revision 1.
pub fn reports_for_month(spec: &Spec, network: &Network, month: Month) -> Vec<BulkReport> {
    if month < spec.first_month() || month > spec.end {
        return Vec::new();
    }
    let region_index: HashMap<&str, usize> = network
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    let region_factors: Vec<f64> = (0..network.regions.len())
        .map(|i| uni(&mut stream(spec.seed, Stream::Region, i, 0), 0.85, 1.15))
        .collect();
    let mut out = Vec::with_capacity(network.dealers.len());
    for (i, nd) in network.dealers.iter().enumerate() {
        let d = &nd.dealer;
        if !d.is_active(month) {
            continue;
        }
        let Some((submitted_at, late)) = submission(spec, i, month) else {
            continue;
        };
        // The market a dealer serves does not change when the OEM reassigns it to another
        // region, so its home region's factor applies for good.
        let region_factor = region_index
            .get(nd.region_code.as_str())
            .map_or(1.0, |&r| region_factors[r]);
        let profile = Profile::new(spec.seed, i, d, region_factor);
        out.push(BulkReport {
            dealer_code: d.code.clone(),
            month,
            status: ReportStatus::Accepted,
            values: month_values(spec.seed, i, &profile, month),
            warnings: Vec::new(),
            late,
            submitted_at,
            author: AUTHOR.to_string(),
        });
    }
    out
}

fn month_start_ms(m: Month) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    (m.first_day() - epoch).num_days() * DAY_MS
}
