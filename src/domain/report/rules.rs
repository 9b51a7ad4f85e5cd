//! The rules a report can break, and what a check returns.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::values::Values;
use crate::domain::fields::Field;

/// A report as entered: an exact decimal per field, before unit conversion and checks.
pub type RawReport = BTreeMap<Field, Decimal>;

/// The rule a value broke. `code()` is what clients match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    /// A field a complete report must carry is absent.
    Required,
    /// A count with a fractional part.
    Integer,
    /// More than two decimals where the unit is fen or hundredths.
    TwoDecimals,
    /// A negative count, amount or hour figure.
    NonNegative,
    /// Outside the field's range (working days, scores, absurd magnitudes).
    Range,
    /// `a <= b` between two fields.
    NotAbove,
    /// `a + b <= c` between fields.
    SumNotAbove,
    /// The month lies in the future.
    FutureMonth,
    /// The dealer is not open in that month.
    DealerInactive,
    /// Implausible against the dealer's own history (a warning).
    Plausibility,
    /// A key figure far from its peer group's median (a warning).
    PeerPlausibility,
    /// Text that cannot be read as the field's type (a number, a month) in a file.
    Format,
    /// The same dealer and month twice in one file.
    Duplicate,
    /// A dealer code the network does not hold.
    UnknownDealer,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::Required => "REQUIRED",
            Rule::Integer => "INTEGER",
            Rule::TwoDecimals => "TWO_DECIMALS",
            Rule::NonNegative => "NON_NEGATIVE",
            Rule::Range => "RANGE",
            Rule::NotAbove => "NOT_ABOVE",
            Rule::SumNotAbove => "SUM_NOT_ABOVE",
            Rule::FutureMonth => "FUTURE_MONTH",
            Rule::DealerInactive => "DEALER_INACTIVE",
            Rule::Plausibility => "PLAUSIBILITY",
            Rule::PeerPlausibility => "PEER_PLAUSIBILITY",
            Rule::Format => "FORMAT",
            Rule::Duplicate => "DUPLICATE",
            Rule::UnknownDealer => "UNKNOWN_DEALER",
        }
    }
}

/// One broken rule: which field, which rule, and the values involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// snake_case field name (a report field, or `month` / `dealer_code`), or `kpi:<code>`
    /// for a KPI compared with peers.
    pub field: String,
    pub rule: Rule,
    pub message: String,
    /// The values involved, `(field, display value)`.
    pub values: Vec<(String, String)>,
}

impl Violation {
    pub fn new(
        field: impl Into<String>,
        rule: Rule,
        message: String,
        values: Vec<(String, String)>,
    ) -> Violation {
        Violation {
            field: field.into(),
            rule,
            message,
            values,
        }
    }

    /// A violation of the report as a whole (`month`, `dealer_code`).
    pub fn of_report(field: &str, rule: Rule, message: String, value: String) -> Violation {
        Violation::new(field, rule, message, vec![(field.to_string(), value)])
    }
}

/// How strictly to check: a draft may be partial, a submission must be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    Draft,
    Complete,
}

/// The outcome of checking a report.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub values: Values,
    /// Hard errors: the report is refused.
    pub errors: Vec<Violation>,
    /// Range warnings: the report is accepted with warnings.
    pub warnings: Vec<Violation>,
}
