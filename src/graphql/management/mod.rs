//! The MSI management loop in the API: targets and their achievement.

mod targets;

pub use targets::{TargetMutation, TargetQuery};
