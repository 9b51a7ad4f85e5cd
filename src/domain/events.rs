//! Submission events: what happened to a dealer's monthly report, for those who watch
//! (a regional manager's screen, a BI tool). They carry no figure: who, which month,
//! which revision, and when.

use serde::{Deserialize, Serialize};

use super::Month;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubmissionKind {
    /// A first submission, in time.
    Submitted,
    /// A first submission after the month's deadline.
    Late,
    /// A new revision of a submitted report.
    Amended,
}

/// One stored revision of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionEvent {
    pub kind: SubmissionKind,
    pub dealer_code: String,
    /// The dealer's region in that month (none before its first assignment).
    pub region_code: Option<String>,
    pub month: Month,
    pub revision: i32,
    /// When it was stored (epoch ms).
    pub at_ms: i64,
}

impl SubmissionKind {
    /// The kind of a stored revision: its number and whether its first submission was late.
    pub fn of(revision: i32, late: bool) -> SubmissionKind {
        match (revision, late) {
            (1, false) => SubmissionKind::Submitted,
            (1, true) => SubmissionKind::Late,
            _ => SubmissionKind::Amended,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_revision_and_the_deadline() {
        assert_eq!(SubmissionKind::of(1, false), SubmissionKind::Submitted);
        assert_eq!(SubmissionKind::of(1, true), SubmissionKind::Late);
        assert_eq!(SubmissionKind::of(2, true), SubmissionKind::Amended);
        assert_eq!(SubmissionKind::of(3, false), SubmissionKind::Amended);
    }

    #[test]
    fn an_event_travels_as_json() {
        let e = SubmissionEvent {
            kind: SubmissionKind::Late,
            dealer_code: "D00001".into(),
            region_code: Some("R01".into()),
            month: "2026-10".parse().unwrap(),
            revision: 1,
            at_ms: 1,
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(
            text.contains("\"LATE\"") && text.contains("\"2026-10\""),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<SubmissionEvent>(&text).unwrap(), e);
    }
}
