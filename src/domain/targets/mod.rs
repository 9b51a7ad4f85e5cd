//! Target management (目标管理, [001]): the six yearly target items and targets on any KPI,
//! the yearly cycle of proposal and approval, phasing over the months, and progress.

mod item;
mod phasing;
mod progress;
mod status;
mod subject;

pub use item::TargetItem;
pub use phasing::{phase, previous_shape, weights, PhasingBasis};
pub use progress::{progress, Progress};
pub use status::{next, Actor, Refusal, TargetAction, TargetStatus};
pub use subject::TargetSubject;
