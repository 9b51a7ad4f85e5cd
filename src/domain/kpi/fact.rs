//! A KPI of a dealer-month: its exact numerator and denominator, or why there is none.

use serde::Serialize;

/// A KPI of a dealer-month: exact numerator and denominator, or why there is no value.
pub type FactValue = Result<(i64, i64), Unavailable>;

/// Why a KPI has no value for a dealer-month. Never zero in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unavailable {
    /// The dealer has no submitted report for a month the KPI needs.
    MissingReport,
    /// A field the KPI needs is empty (an optional field such as the CSI score).
    MissingInput,
    /// The OEM parameter the KPI needs is not set for that year.
    MissingParameter,
    /// The denominator is zero.
    ZeroDenominator,
    /// The denominator is negative (the ratio would be meaningless).
    NegativeDenominator,
    /// The arithmetic left the 64-bit range (absurd inputs).
    Overflow,
    /// The dealer has no approved target for the item that month.
    NoTarget,
}

impl Unavailable {
    pub const ALL: [Unavailable; 7] = [
        Unavailable::MissingReport,
        Unavailable::MissingInput,
        Unavailable::MissingParameter,
        Unavailable::ZeroDenominator,
        Unavailable::NegativeDenominator,
        Unavailable::Overflow,
        Unavailable::NoTarget,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Unavailable::MissingReport => "MISSING_REPORT",
            Unavailable::MissingInput => "MISSING_INPUT",
            Unavailable::MissingParameter => "MISSING_PARAMETER",
            Unavailable::ZeroDenominator => "ZERO_DENOMINATOR",
            Unavailable::NegativeDenominator => "NEGATIVE_DENOMINATOR",
            Unavailable::Overflow => "OVERFLOW",
            Unavailable::NoTarget => "NO_TARGET",
        }
    }

    pub fn parse(s: &str) -> Option<Unavailable> {
        Unavailable::ALL.into_iter().find(|u| u.code() == s)
    }
}

/// One KPI of one dealer-month: numerator and denominator, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub kpi: i16,
    pub value: Result<(i64, i64), Unavailable>,
}
