//! Pure domain types and rules: periods, the report and its validation, the network and
//! its groups, the KPI catalog and engine, group statistics and disclosure control. No I/O.

pub mod actions;
pub mod best_first;
pub mod disclosure;
pub mod events;
pub mod fields;
pub mod group;
pub mod kpi;
pub mod network;
pub mod paging;
pub mod period;
#[cfg(test)]
mod properties;
pub mod report;
pub mod standing;
pub mod stats;
pub mod targets;
pub mod text;

pub use disclosure::Disclosure;
pub use fields::{Field, FieldKind, Section, FIELDS};
pub use group::Group;
pub use network::{Dealer, Region, RegionAssignment, SizeTier};
pub use period::{Month, MonthRange, Period, PeriodKind};
pub use report::{Checked, Completeness, RawReport, Rule, Total, Values, Violation};
