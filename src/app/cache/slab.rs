//! One month of KPI facts in flat arrays: `pairs[kpi position × dealers + dealer index]`.

use crate::domain::kpi::{FactValue, Unavailable, KPIS};

/// One month: denominator 0 where there is no value; empty for a month without any fact
/// (so that asking for old months costs no memory). `kinds` and `stamp_of` (same
/// positions) say which facts exist, why a value is missing and when each was written, so
/// that BI fact pages are served from here too.
#[derive(Clone, Default)]
pub struct Slab {
    pairs: Vec<(i64, i64)>,
    kinds: Vec<u8>,
    stamp_of: Vec<u32>,
    /// Distinct `updated_at` values; facts written together share one.
    stamps: Vec<i64>,
    /// Changes whenever the slab does (results computed from it carry it).
    pub version: u64,
}

/// `kinds` entries: no fact, a value, or [`KIND_REASON`] + the reason's position.
const KIND_NONE: u8 = 0;
const KIND_VALUE: u8 = 1;
const KIND_REASON: u8 = 2;

impl Slab {
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The pair at `at`; `(0, 0)` when there is none.
    pub fn pair(&self, at: usize) -> (i64, i64) {
        self.pairs.get(at).copied().unwrap_or((0, 0))
    }

    /// Makes room for every fact of `n` dealers (a month that had none).
    pub fn allocate(&mut self, n: usize) {
        if self.pairs.is_empty() {
            self.pairs = vec![(0, 0); KPIS.len() * n];
            self.kinds = vec![KIND_NONE; KPIS.len() * n];
            self.stamp_of = vec![0; KPIS.len() * n];
        }
    }

    pub fn set(&mut self, at: usize, value: FactValue, updated_at: i64) {
        if at >= self.pairs.len() {
            return;
        }
        let (pair, kind) = match value {
            Ok(p) => (p, KIND_VALUE),
            Err(u) => {
                let r = Unavailable::ALL.iter().position(|x| *x == u).unwrap_or(0);
                ((0, 0), KIND_REASON + r as u8)
            }
        };
        if self.stamps.last() != Some(&updated_at) {
            self.stamps.push(updated_at);
        }
        self.pairs[at] = pair;
        self.kinds[at] = kind;
        self.stamp_of[at] = (self.stamps.len() - 1) as u32;
    }

    pub fn clear(&mut self, at: usize) {
        if at < self.pairs.len() {
            self.pairs[at] = (0, 0);
            self.kinds[at] = KIND_NONE;
        }
    }

    /// The fact at `at`: its value or reason and `updated_at`.
    pub fn fact(&self, at: usize) -> Option<(FactValue, i64)> {
        let kind = *self.kinds.get(at)?;
        let value = match kind {
            KIND_NONE => return None,
            KIND_VALUE => Ok(self.pairs[at]),
            r => Err(*Unavailable::ALL.get(usize::from(r - KIND_REASON))?),
        };
        Some((value, self.stamps[self.stamp_of[at] as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip_with_their_stamps() {
        let mut s = Slab::default();
        assert!(s.is_empty() && s.fact(0).is_none() && s.pair(0) == (0, 0));
        s.allocate(2);
        s.set(0, Ok((3, 4)), 10);
        s.set(1, Err(Unavailable::ZeroDenominator), 10);
        s.set(2, Ok((5, 6)), 11);
        assert_eq!(s.fact(0), Some((Ok((3, 4)), 10)));
        assert_eq!(s.fact(1), Some((Err(Unavailable::ZeroDenominator), 10)));
        assert_eq!(s.pair(1), (0, 0));
        assert_eq!(s.fact(2), Some((Ok((5, 6)), 11)));
        assert_eq!(s.fact(3), None);
        s.clear(2);
        assert_eq!((s.fact(2), s.pair(2)), (None, (0, 0)));
        // Out of range: nothing happens, nothing panics.
        s.set(usize::MAX, Ok((1, 1)), 1);
        s.clear(usize::MAX);
        assert_eq!(s.fact(usize::MAX), None);
    }
}
