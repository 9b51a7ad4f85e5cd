//! KPI facts as CSV lines for bulk pulls (`kpiFactTable { csv }`, `GET /facts.csv`): one
//! line per fact, the columns of [`FACT_COLUMNS`]. No cell ever needs quoting: codes are
//! `A-Z 0-9 _ -`, numbers and timestamps hold no comma.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::domain::kpi;
use crate::store::FactRow;

/// Columns of a fact row, in order.
pub const FACT_COLUMNS: [&str; 9] = [
    "dealerCode",
    "regionCode",
    "month",
    "kpi",
    "numerator",
    "denominator",
    "value",
    "unavailableReason",
    "updatedAt",
];

/// A fact's columns in display form, in the order of [`FACT_COLUMNS`].
pub struct FactCells<'a> {
    pub dealer: &'a str,
    pub region: &'a str,
    pub kpi: &'static str,
    /// Numerator and denominator in storage units.
    pub pair: Option<(i64, i64)>,
    pub value: Option<f64>,
    pub reason: Option<&'static str>,
}

impl<'a> FactCells<'a> {
    pub fn of(f: &'a FactRow) -> FactCells<'a> {
        let def = kpi::by_id(f.kpi);
        let (pair, value, reason) = match f.value {
            Ok((n, d)) => (Some((n, d)), def.and_then(|k| k.value(n, d)), None),
            Err(u) => (None, None, Some(u.code())),
        };
        FactCells {
            dealer: &f.dealer_code,
            region: &f.region_code,
            kpi: def.map_or("?", |k| k.code),
            pair,
            value,
            reason,
        }
    }
}

/// RFC 3339 timestamps: facts written together share one, so each is formatted once.
#[derive(Default)]
pub struct Stamps(Option<(i64, String)>);

impl Stamps {
    pub fn get(&mut self, ms: i64) -> &str {
        if self.0.as_ref().is_none_or(|(at, _)| *at != ms) {
            let at: DateTime<Utc> = DateTime::from_timestamp_millis(ms).unwrap_or_default();
            self.0 = Some((ms, at.to_rfc3339()));
        }
        self.0.as_ref().map_or("", |(_, s)| s.as_str())
    }
}

/// The header line (column names), `\n`-terminated.
pub fn header_line() -> String {
    let mut out = FACT_COLUMNS.join(",");
    out.push('\n');
    out
}

/// Appends one `\n`-terminated line per fact; empty cells empty.
pub fn push_lines(out: &mut String, facts: &[FactRow], stamps: &mut Stamps) {
    out.reserve(facts.len() * 96);
    for f in facts {
        let c = FactCells::of(f);
        let _ = write!(out, "{},{},{},{},", c.dealer, c.region, f.month, c.kpi);
        if let Some((n, d)) = c.pair {
            let _ = write!(out, "{n},{d},");
        } else {
            out.push_str(",,");
        }
        if let Some(v) = c.value {
            let _ = write!(out, "{v}");
        }
        out.push(',');
        out.push_str(c.reason.unwrap_or_default());
        out.push(',');
        out.push_str(stamps.get(f.updated_at));
        out.push('\n');
    }
}
