//! The MSI management loop in the API: targets and their achievement, action plans.

mod actions;
mod targets;

pub use actions::{ActionMutation, ActionQuery};
pub use targets::{TargetMutation, TargetQuery};
