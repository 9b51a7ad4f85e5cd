//! One month of KPI facts in flat arrays, by position `kpi position × dealers + dealer`.
//!
//! Compact: a numerator and a denominator in 32 bits each (almost every fact fits; the
//! others are kept aside), the kind of fact in a byte and its write time as an index into
//! the month's few distinct times: about 7 MB a month at 10,000 dealers.

use std::collections::HashMap;

use crate::domain::kpi::{FactValue, Unavailable, KPIS};

/// A denominator that marks a pair kept in [`Slab::wide`].
const WIDE: i32 = i32::MIN;

/// `kinds` entries: no fact, a value, or [`KIND_REASON`] + the reason's position.
const KIND_NONE: u8 = 0;
const KIND_VALUE: u8 = 1;
const KIND_REASON: u8 = 2;

/// One month: no value where the denominator is 0; empty for a month without any fact
/// (so that asking for old months costs no memory).
#[derive(Clone, Default)]
pub struct Slab {
    nums: Vec<i32>,
    dens: Vec<i32>,
    /// Pairs that do not fit in 32 bits, by position.
    wide: HashMap<u32, (i64, i64)>,
    kinds: Vec<u8>,
    stamp_of: Vec<u16>,
    /// Distinct `updated_at` values; facts written together share one.
    stamps: Vec<i64>,
    /// Changes whenever the slab does (results computed from it carry it).
    pub version: u64,
}

impl Slab {
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Bytes held (for the cache's memory budget).
    pub fn bytes(&self) -> usize {
        self.nums.capacity() * 4
            + self.dens.capacity() * 4
            + self.kinds.capacity()
            + self.stamp_of.capacity() * 2
            + self.stamps.capacity() * 8
            + self.wide.capacity() * 24
            + std::mem::size_of::<Slab>()
    }

    /// The pair at `at`; `(0, 0)` when there is none.
    pub fn pair(&self, at: usize) -> (i64, i64) {
        match self.dens.get(at) {
            None => (0, 0),
            Some(&WIDE) => self.wide.get(&(at as u32)).copied().unwrap_or((0, 0)),
            Some(&d) => (i64::from(self.nums[at]), i64::from(d)),
        }
    }

    /// Makes room for every fact of `n` dealers (a month that had none).
    pub fn allocate(&mut self, n: usize) {
        if self.kinds.is_empty() {
            let len = KPIS.len() * n;
            self.nums = vec![0; len];
            self.dens = vec![0; len];
            self.kinds = vec![KIND_NONE; len];
            self.stamp_of = vec![0; len];
        }
    }

    fn put_pair(&mut self, at: usize, (num, den): (i64, i64)) {
        match (i32::try_from(num), i32::try_from(den)) {
            (Ok(n), Ok(d)) if d != WIDE => {
                self.nums[at] = n;
                self.dens[at] = d;
                self.wide.remove(&(at as u32));
            }
            _ => {
                self.nums[at] = 0;
                self.dens[at] = WIDE;
                self.wide.insert(at as u32, (num, den));
            }
        }
    }

    pub fn set(&mut self, at: usize, value: FactValue, updated_at: i64) {
        if at >= self.kinds.len() {
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
            if self.stamps.len() > usize::from(u16::MAX) {
                self.compact_stamps();
            }
            self.stamps.push(updated_at);
        }
        self.put_pair(at, pair);
        self.kinds[at] = kind;
        self.stamp_of[at] = (self.stamps.len() - 1) as u16;
    }

    /// Keeps only the write times still in use; if there are still too many, the oldest
    /// share one (later) time: a fact may then show as written later than it was, which
    /// an incremental pull reads again harmlessly, never earlier.
    fn compact_stamps(&mut self) {
        let mut used: Vec<i64> = self
            .kinds
            .iter()
            .zip(&self.stamp_of)
            .filter(|(k, _)| **k != KIND_NONE)
            .map(|(_, s)| self.stamps[usize::from(*s)])
            .collect();
        used.sort_unstable();
        used.dedup();
        let keep = usize::from(u16::MAX) / 2;
        if used.len() > keep {
            let cut = used.len() - keep;
            let floor = used[cut];
            used.drain(..cut);
            used[0] = floor;
        }
        let index = |t: i64| used.partition_point(|&x| x < t).min(used.len() - 1) as u16;
        for (k, s) in self.kinds.iter().zip(self.stamp_of.iter_mut()) {
            if *k != KIND_NONE {
                *s = index(self.stamps[usize::from(*s)]);
            }
        }
        self.stamps = used;
    }

    pub fn clear(&mut self, at: usize) {
        if at < self.kinds.len() {
            self.put_pair(at, (0, 0));
            self.kinds[at] = KIND_NONE;
        }
    }

    /// The fact at `at`: its value or reason and `updated_at`.
    pub fn fact(&self, at: usize) -> Option<(FactValue, i64)> {
        let kind = *self.kinds.get(at)?;
        let value = match kind {
            KIND_NONE => return None,
            KIND_VALUE => Ok(self.pair(at)),
            r => Err(*Unavailable::ALL.get(usize::from(r - KIND_REASON))?),
        };
        Some((value, self.stamps[usize::from(self.stamp_of[at])]))
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

    #[test]
    fn pairs_beyond_32_bits_are_kept_exactly() {
        let mut s = Slab::default();
        s.allocate(1);
        let big = (i64::MAX, i64::from(i32::MAX) + 1);
        s.set(0, Ok(big), 1);
        s.set(1, Ok((-7, i64::from(i32::MIN))), 1);
        assert_eq!(s.pair(0), big);
        assert_eq!(s.fact(1), Some((Ok((-7, i64::from(i32::MIN))), 1)));
        // Overwritten by a small pair, the wide one is gone.
        s.set(0, Ok((1, 2)), 2);
        assert_eq!(s.pair(0), (1, 2));
        assert!(s.wide.len() == 1);
    }

    #[test]
    fn many_write_times_are_compacted_never_earlier() {
        let mut s = Slab::default();
        s.allocate(2);
        let n = KPIS.len() * 2;
        for t in 0..200_000i64 {
            s.set((t as usize) % n, Ok((t, 1)), t);
        }
        // Every fact reads back a time at or after the one it was written at.
        for at in 0..n {
            let (v, stamp) = s.fact(at).unwrap();
            let written = v.unwrap().0;
            assert!(stamp >= written, "{at}: {stamp} < {written}");
        }
        assert!(s.stamps.len() <= usize::from(u16::MAX) + 1);
    }
}
