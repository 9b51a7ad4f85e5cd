//! Where an action item stands, and who may move it where.

use serde::{Deserialize, Serialize};

use crate::domain::targets::Actor;

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionStatus {
    Open,
    InProgress,
    /// The countermeasure is carried out (the dealer says so).
    Done,
    /// Its regional manager (or the OEM) checked it: closed.
    Verified,
    /// Abandoned (with a reason).
    Dropped,
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotYours(String),
    NotNow(String),
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 5] = [
        ActionStatus::Open,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Verified,
        ActionStatus::Dropped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ActionStatus::Open => "OPEN",
            ActionStatus::InProgress => "IN_PROGRESS",
            ActionStatus::Done => "DONE",
            ActionStatus::Verified => "VERIFIED",
            ActionStatus::Dropped => "DROPPED",
        }
    }

    pub fn parse(s: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|x| x.code() == s)
    }

    /// Still to be worked on or checked (open, in progress, done but not verified).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ActionStatus::Open | ActionStatus::InProgress | ActionStatus::Done
        )
    }

    /// Whether `actor` may move an item from `self` to `to`. Verification is the
    /// manager's alone; a verified item is closed; a dropped one is reopened by a manager.
    pub fn change(self, to: ActionStatus, actor: Actor) -> Result<ActionStatus, Refusal> {
        use ActionStatus::*;
        if self == to {
            return Ok(to);
        }
        match (self, to, actor) {
            (_, Verified, Actor::Dealer) => Err(Refusal::NotYours(
                "only the dealer's regional manager or the OEM verifies an action item".into(),
            )),
            (Verified, _, _) => Err(Refusal::NotNow("the item is verified: it is closed".into())),
            (Dropped, Open, Actor::Manager) => Ok(Open),
            (Dropped, _, _) => Err(Refusal::NotNow(
                "the item was dropped: its regional manager or the OEM may reopen it".into(),
            )),
            (Done, Verified, Actor::Manager) => Ok(Verified),
            (_, Verified, _) => Err(Refusal::NotNow(
                "only an item marked done can be verified".into(),
            )),
            (Open | InProgress | Done, Open | InProgress | Done | Dropped, _) => Ok(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionStatus::*;
    use Actor::*;

    #[test]
    fn who_moves_an_item_where() {
        assert_eq!(Open.change(InProgress, Dealer), Ok(InProgress));
        assert_eq!(InProgress.change(Done, Dealer), Ok(Done));
        assert!(matches!(
            Done.change(Verified, Dealer),
            Err(Refusal::NotYours(_))
        ));
        assert_eq!(Done.change(Verified, Manager), Ok(Verified));
        assert!(matches!(
            Open.change(Verified, Manager),
            Err(Refusal::NotNow(_))
        ));
        assert!(Verified.change(Open, Manager).is_err());
        assert_eq!(Done.change(InProgress, Dealer), Ok(InProgress));
        assert_eq!(Open.change(Dropped, Dealer), Ok(Dropped));
        assert!(Dropped.change(Open, Dealer).is_err());
        assert_eq!(Dropped.change(Open, Manager), Ok(Open));
        assert!(Open.is_open() && Done.is_open() && !Verified.is_open() && !Dropped.is_open());
        for s in ActionStatus::ALL {
            assert_eq!(ActionStatus::parse(s.code()), Some(s));
        }
    }
}
