//! Pure domain types and rules: periods, the report and its validation. No I/O.

pub mod fields;
pub mod kpi;
pub mod network;
pub mod period;
pub mod report;
pub mod stats;

pub use fields::{Field, FieldKind, Section, FIELDS};
pub use network::{Dealer, Region, RegionAssignment, SizeTier};
pub use period::{Month, MonthRange, Period, PeriodKind};
pub use report::{Checked, Completeness, RawReport, Rule, Total, Values, Violation};
