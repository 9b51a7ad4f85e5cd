//! The monthly MSI report: values in storage units, computed totals, and validation.

mod check;
mod peers;
mod rules;
mod totals;
mod values;

pub use check::{check, PLAUSIBILITY_FACTOR, PLAUSIBILITY_MIN_HISTORY};
pub use peers::{is_key_figure, peer_warning, PeerMedian, PEER_FACTOR};
pub use rules::{Checked, Completeness, RawReport, Rule, Violation};
pub use totals::{Total, TotalDef, TOTALS};
pub use values::{decimal_value, display_value, TotalOverflow, Values};
