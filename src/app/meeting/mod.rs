//! The monthly meeting (售后会议, [004]): what needs attention in a scope (exceptions) and
//! the agenda that carries open items over and closes those due.

mod agenda;
mod exceptions;
mod memo;

pub use agenda::Agenda;
pub use exceptions::{DealerExceptions, Exception, ExceptionKind, ExceptionsView};
pub use memo::MeetingMemo;
