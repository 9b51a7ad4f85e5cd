//! The MSI management loop in the API: targets and their achievement, action plans, and
//! the monthly meeting (exceptions and agenda).

mod actions;
mod meeting;
mod targets;

pub use actions::{ActionMutation, ActionQuery};
pub use meeting::MeetingQuery;
pub use targets::{TargetMutation, TargetQuery};
