//! The yearly target cycle: a dealer drafts and proposes next year's targets, its regional
//! manager (or the OEM) approves them or returns them with a comment; an approved target
//! changes only by a manager's hand, with a reason.

use serde::{Deserialize, Serialize};

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetStatus {
    /// Being prepared by the dealer.
    Draft,
    /// Submitted for approval: locked for the dealer.
    Proposed,
    /// In force: achievement is measured against it.
    Approved,
    /// Sent back with a comment: the dealer edits and proposes again.
    Returned,
}

impl TargetStatus {
    pub fn code(self) -> &'static str {
        match self {
            TargetStatus::Draft => "DRAFT",
            TargetStatus::Proposed => "PROPOSED",
            TargetStatus::Approved => "APPROVED",
            TargetStatus::Returned => "RETURNED",
        }
    }

    pub fn parse(s: &str) -> Option<TargetStatus> {
        [
            TargetStatus::Draft,
            TargetStatus::Proposed,
            TargetStatus::Approved,
            TargetStatus::Returned,
        ]
        .into_iter()
        .find(|t| t.code() == s)
    }
}

/// Who acts: the dealer itself, or a manager of it (its regional manager, or the OEM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Dealer,
    Manager,
}

/// A step of the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetAction {
    /// Set the value (a new draft, or a manager's change of an approved target).
    Save,
    Propose,
    Approve,
    Return,
}

/// Why a step of the cycle is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not this actor's step (a dealer approving, or changing an approved target).
    NotYours(String),
    /// Not a step from where the target stands.
    NotNow(String),
}

/// The status after `action` by `actor` on a target at `current` (`None`: none yet), or
/// why the step is refused. A manager's change of an approved target keeps it approved
/// (the caller requires a reason); a manager saving a new target makes a draft like
/// anyone, which it may then approve.
pub fn next(
    current: Option<TargetStatus>,
    action: TargetAction,
    actor: Actor,
) -> Result<TargetStatus, Refusal> {
    use TargetAction::*;
    use TargetStatus::*;
    match (current, action, actor) {
        (_, Approve | Return, Actor::Dealer) => Err(Refusal::NotYours(
            "only the dealer's regional manager or the OEM approves or returns targets".into(),
        )),
        (Some(Approved), Save, Actor::Dealer) => Err(Refusal::NotYours(
            "the target is approved: only its regional manager or the OEM can change it".into(),
        )),
        (None | Some(Draft | Returned), Save, _) => Ok(Draft),
        (Some(Approved), Save, Actor::Manager) => Ok(Approved),
        (Some(Proposed), Save, _) => Err(Refusal::NotNow(
            "the target is proposed: approve it or return it before changing it".into(),
        )),
        (Some(Draft | Returned), Propose, _) => Ok(Proposed),
        (Some(Proposed), Approve, Actor::Manager) => Ok(Approved),
        (Some(Proposed), Return, Actor::Manager) => Ok(Returned),
        (None, _, _) => Err(Refusal::NotNow(
            "there is no target yet: save one first".into(),
        )),
        (Some(s), a, _) => Err(Refusal::NotNow(format!(
            "a {} target cannot be {}",
            s.code().to_lowercase(),
            match a {
                Save => "saved",
                Propose => "proposed",
                Approve => "approved",
                Return => "returned",
            }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor::*;
    use TargetAction::*;
    use TargetStatus::*;

    #[test]
    fn the_yearly_cycle() {
        assert_eq!(next(None, Save, Dealer), Ok(Draft));
        assert_eq!(next(Some(Draft), Save, Dealer), Ok(Draft));
        assert_eq!(next(Some(Draft), Propose, Dealer), Ok(Proposed));
        assert!(next(Some(Proposed), Save, Dealer).is_err());
        assert!(matches!(
            next(Some(Proposed), Approve, Dealer),
            Err(Refusal::NotYours(_))
        ));
        assert_eq!(next(Some(Proposed), Return, Manager), Ok(Returned));
        assert_eq!(next(Some(Returned), Save, Dealer), Ok(Draft));
        assert_eq!(next(Some(Returned), Propose, Dealer), Ok(Proposed));
        assert_eq!(next(Some(Proposed), Approve, Manager), Ok(Approved));
        assert!(matches!(
            next(Some(Approved), Save, Dealer),
            Err(Refusal::NotYours(_))
        ));
        assert_eq!(next(Some(Approved), Save, Manager), Ok(Approved));
        assert!(next(Some(Approved), Propose, Manager).is_err());
        assert!(matches!(
            next(Some(Approved), Approve, Manager),
            Err(Refusal::NotNow(_))
        ));
        assert!(next(Some(Draft), Approve, Manager).is_err());
        assert!(next(None, Propose, Dealer).is_err());
        assert_eq!(TargetStatus::parse("RETURNED"), Some(Returned));
    }
}
