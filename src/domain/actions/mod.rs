//! Action plans (行动方案, [001] [004]): a countermeasure against a dealer's KPI gap or
//! target gap, with an owner and a due month, followed up meeting after meeting, and its
//! effect measured rather than claimed.

mod effect;
mod status;

pub use effect::{judge, Effect};
pub use status::{ActionStatus, Refusal};
