//! Following the change log: where the cache stands in it, and the sequence numbers seen
//! missing (transactions that may still commit after later ones).

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use crate::store::Change;

/// How long a missing change-log sequence number is asked for again.
pub const GAP_PATIENCE: Duration = Duration::from_secs(60);
/// How far back a fresh cache looks for missing change-log numbers.
pub const GAP_WINDOW: i64 = 1000;

/// Changes remembered after they were applied, for month loads that ran meanwhile.
const RECENT: usize = 50_000;

/// The cache's position in the change log.
#[derive(Debug, Default, Clone)]
pub struct ChangeFollower {
    last_seq: i64,
    gaps: Vec<(i64, Instant)>,
    /// How many changes were applied so far, and the latest of them.
    applied: u64,
    recent: VecDeque<Change>,
}

impl ChangeFollower {
    /// The last sequence number applied.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Numbers seen missing, to ask for again.
    pub fn gaps(&self) -> Vec<i64> {
        self.gaps.iter().map(|g| g.0).collect()
    }

    /// A fresh cache skips the log's history up to `last`, remembering the numbers of
    /// `(window, last]` missing from `seen`.
    pub fn start(&mut self, window: i64, last: i64, seen: &HashSet<i64>, now: Instant) {
        let window = window.max(self.last_seq);
        self.gaps.extend(
            (window + 1..=last)
                .filter(|q| !seen.contains(q))
                .map(|q| (q, now)),
        );
        self.last_seq = self.last_seq.max(last);
    }

    /// How many changes have been applied: a mark for [`ChangeFollower::applied_since`].
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// The changes applied since `mark` (`None` when they are no longer remembered): what
    /// a month loaded meanwhile must replay, having been read while they were applied.
    pub fn applied_since(&self, mark: u64) -> Option<Vec<Change>> {
        let back = usize::try_from(self.applied.checked_sub(mark)?).ok()?;
        if back > self.recent.len() {
            return None;
        }
        Some(
            self.recent
                .iter()
                .skip(self.recent.len() - back)
                .cloned()
                .collect(),
        )
    }

    /// Takes the changes read after `after` (and of the gaps): forgets the gaps they fill
    /// and those older than [`GAP_PATIENCE`], notes the new ones, moves on.
    pub fn advance(&mut self, after: i64, changes: &[Change], now: Instant) {
        for c in changes {
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back(c.clone());
            self.applied += 1;
        }
        let max = changes
            .iter()
            .map(|c| c.seq)
            .max()
            .unwrap_or(after)
            .max(after);
        let seen: HashSet<i64> = changes.iter().map(|c| c.seq).collect();
        self.gaps
            .retain(|(g, at)| !seen.contains(g) && now.duration_since(*at) < GAP_PATIENCE);
        self.gaps.extend(
            (after + 1..max)
                .filter(|q| !seen.contains(q))
                .map(|q| (q, now)),
        );
        self.last_seq = self.last_seq.max(max);
    }

    /// After a reload that read the log position `seq` before reading the data.
    pub fn at_least(&mut self, seq: i64) {
        self.last_seq = self.last_seq.max(seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ChangeKind;

    fn change(seq: i64) -> Change {
        Change {
            seq,
            kind: ChangeKind::Facts,
            dealer_code: None,
            from: None,
            to: None,
        }
    }

    #[test]
    fn a_late_transaction_is_asked_for_until_it_commits() {
        let now = Instant::now();
        let mut f = ChangeFollower::default();
        // 1, 2 and 4 committed; 3 is still in flight.
        f.advance(0, &[change(1), change(2), change(4)], now);
        assert_eq!((f.last_seq(), f.gaps()), (4, vec![3]));
        // Nothing new: 3 is still asked for.
        f.advance(4, &[], now);
        assert_eq!(f.gaps(), vec![3]);
        // 3 commits, after 5.
        f.advance(4, &[change(3), change(5)], now);
        assert_eq!((f.last_seq(), f.gaps()), (5, vec![]));
    }

    #[test]
    fn changes_applied_since_a_mark_are_remembered() {
        let now = Instant::now();
        let mut f = ChangeFollower::default();
        f.advance(0, &[change(1)], now);
        let mark = f.applied();
        assert_eq!(f.applied_since(mark), Some(vec![]));
        f.advance(1, &[change(2), change(3)], now);
        let seqs: Vec<i64> = f
            .applied_since(mark)
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(seqs, [2, 3]);
        assert_eq!(f.applied_since(mark + 5), None);
    }

    #[test]
    fn gaps_are_given_up_after_a_while() {
        let now = Instant::now();
        let mut f = ChangeFollower::default();
        f.advance(0, &[change(2)], now);
        assert_eq!(f.gaps(), vec![1]);
        f.advance(2, &[], now + GAP_PATIENCE);
        assert!(f.gaps().is_empty());
    }

    #[test]
    fn a_fresh_cache_remembers_recent_gaps_only() {
        let now = Instant::now();
        let mut f = ChangeFollower::default();
        let seen: HashSet<i64> = [8, 10].into_iter().collect();
        f.start(7, 10, &seen, now);
        assert_eq!((f.last_seq(), f.gaps()), (10, vec![9]));
        f.at_least(3);
        assert_eq!(f.last_seq(), 10);
        f.at_least(12);
        assert_eq!(f.last_seq(), 12);
    }
}
