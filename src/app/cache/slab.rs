//! One month of KPI facts in flat arrays, by position `kpi position × dealers + dealer`.
//!
//! Compact: a numerator and a denominator in 32 bits each (almost every fact fits; the
//! others are kept aside), the kind of fact folded into them (a value has a positive
//! denominator; a denominator of 0 marks no fact, or a reason in the numerator): 8 bytes a
//! fact, about 5.6 MiB a month at 10,000 dealers and 74 KPIs. Write times are indexes into
//! the month's distinct times, kept per dealer (a report's facts are written together),
//! and per fact only in the KPI rows where some fact was written at another time than its
//! dealer's others (a parameter that rewrote one KPI, an amendment that changed a few).

use std::collections::HashMap;

use crate::domain::kpi::{FactValue, Unavailable, KPIS};

/// A denominator that marks a pair kept in [`Slab::wide`].
const WIDE: i32 = i32::MIN;
/// A dealer without a write time yet.
const UNSET: u16 = u16::MAX;

/// One month: no value where the denominator is 0; empty for a month without any fact
/// (so that asking for old months costs no memory).
#[derive(Clone, Default)]
pub struct Slab {
    /// The numerator of a value; with a denominator of 0, 0 for no fact or 1 + the
    /// position of the reason in `Unavailable::ALL`.
    nums: Vec<i32>,
    /// The denominator of a value (> 0), 0 (no value), or [`WIDE`].
    dens: Vec<i32>,
    /// Values that do not fit in 32 bits (or whose denominator is not positive), by position.
    wide: HashMap<u32, (i64, i64)>,
    /// Dealers (the length of a KPI's row).
    n: usize,
    /// Each dealer's write time ([`UNSET`] until its first fact since it was cleared).
    dealer_stamp: Vec<u16>,
    /// By KPI row, each fact's write time, once a fact of the row was written at another
    /// time than its dealer's.
    row_stamps: Vec<Option<Vec<u16>>>,
    /// Distinct `updated_at` values; facts written together share one.
    stamps: Vec<i64>,
    /// Where each of `stamps` is (facts of one dealer alternate between a few times).
    stamp_index: HashMap<i64, u16>,
    /// Changes whenever the slab does (results computed from it carry it).
    pub version: u64,
}

impl Slab {
    pub fn is_empty(&self) -> bool {
        self.dens.is_empty()
    }

    /// Bytes held (for the cache's memory budget).
    pub fn bytes(&self) -> usize {
        self.nums.capacity() * 4
            + self.dens.capacity() * 4
            + self.dealer_stamp.capacity() * 2
            + self
                .row_stamps
                .iter()
                .map(|r| r.as_ref().map_or(0, |r| r.capacity() * 2) + 24)
                .sum::<usize>()
            + self.stamps.capacity() * 8
            + self.stamp_index.capacity() * 16
            + self.wide.capacity() * 24
            + std::mem::size_of::<Slab>()
    }

    /// The pair at `at`; `(0, 0)` when there is no value.
    #[inline]
    pub fn pair(&self, at: usize) -> (i64, i64) {
        match self.dens.get(at) {
            Some(&WIDE) => self.wide.get(&(at as u32)).copied().unwrap_or((0, 0)),
            Some(&d) if d > 0 => (i64::from(self.nums[at]), i64::from(d)),
            _ => (0, 0),
        }
    }

    /// The pairs of positions `at..at + n` (one KPI's row), read in turn: [`Slab::pair`]
    /// without a bounds check and a call per position. Empty for an empty slab.
    pub fn row(&self, at: usize, n: usize) -> impl Iterator<Item = (i64, i64)> + '_ {
        let (nums, dens) = match (self.nums.get(at..at + n), self.dens.get(at..at + n)) {
            (Some(nums), Some(dens)) => (nums, dens),
            _ => (&[][..], &[][..]),
        };
        nums.iter()
            .zip(dens)
            .enumerate()
            .map(move |(i, (&num, &den))| match den {
                d if d > 0 => (i64::from(num), i64::from(d)),
                WIDE => self.pair(at + i),
                _ => (0, 0),
            })
    }

    /// Whether there is a fact (a value or a reason) at `at`.
    fn present(&self, at: usize) -> bool {
        self.dens[at] != 0 || self.nums[at] != 0
    }

    /// Makes room for every fact of `n` dealers (a month that had none).
    pub fn allocate(&mut self, n: usize) {
        if self.dens.is_empty() {
            let len = KPIS.len() * n;
            self.n = n;
            self.nums = vec![0; len];
            self.dens = vec![0; len];
            self.dealer_stamp = vec![UNSET; n];
            self.row_stamps = vec![None; KPIS.len()];
        }
    }

    fn put(&mut self, at: usize, num: i64, den: i64) {
        match (i32::try_from(num), i32::try_from(den)) {
            (Ok(n), Ok(d)) if d > 0 => {
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
        if at >= self.dens.len() {
            return;
        }
        match value {
            Ok((num, den)) => self.put(at, num, den),
            Err(u) => {
                let r = Unavailable::ALL.iter().position(|x| *x == u).unwrap_or(0);
                self.wide.remove(&(at as u32));
                self.nums[at] = 1 + r as i32;
                self.dens[at] = 0;
            }
        }
        let t = self.stamp(updated_at);
        let (k, i) = (at / self.n, at % self.n);
        if self.dealer_stamp[i] == UNSET {
            self.dealer_stamp[i] = t;
        }
        match &mut self.row_stamps[k] {
            Some(row) => row[i] = t,
            None if self.dealer_stamp[i] != t => {
                // The row's other facts keep their dealers' times.
                let mut row = self.dealer_stamp.clone();
                row[i] = t;
                self.row_stamps[k] = Some(row);
            }
            None => {}
        }
    }

    /// The index of the write time of the fact at `at` (present, in range).
    fn stamp_at(&self, at: usize) -> u16 {
        let (k, i) = (at / self.n, at % self.n);
        match &self.row_stamps[k] {
            Some(row) => row[i],
            None => self.dealer_stamp[i],
        }
    }

    /// The index of write time `t`, added if new.
    fn stamp(&mut self, t: i64) -> u16 {
        if self.stamps.last() == Some(&t) {
            return (self.stamps.len() - 1) as u16;
        }
        if let Some(&i) = self.stamp_index.get(&t) {
            return i;
        }
        // Indexes stay below UNSET.
        if self.stamps.len() >= usize::from(UNSET) {
            self.compact_stamps();
            if let Some(&i) = self.stamp_index.get(&t) {
                return i;
            }
        }
        self.stamps.push(t);
        let i = (self.stamps.len() - 1) as u16;
        self.stamp_index.insert(t, i);
        i
    }

    /// Keeps only the write times still in use; if there are still too many, the oldest
    /// share one (later) time: a fact may then show as written later than it was, which
    /// an incremental pull reads again harmlessly, never earlier.
    fn compact_stamps(&mut self) {
        let mut used: Vec<i64> = (0..self.dens.len())
            .filter(|&at| self.present(at))
            .map(|at| self.stamps[usize::from(self.stamp_at(at))])
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
        used.shrink_to_fit();
        if used.is_empty() {
            used.push(0);
        }
        let old = std::mem::take(&mut self.stamps);
        let index = |s: u16| match old.get(usize::from(s)) {
            Some(&t) => used.partition_point(|&x| x < t).min(used.len() - 1) as u16,
            None => s,
        };
        for s in self
            .dealer_stamp
            .iter_mut()
            .chain(self.row_stamps.iter_mut().flatten().flatten())
        {
            *s = index(*s);
        }
        self.stamp_index = used
            .iter()
            .enumerate()
            .map(|(i, &t)| (t, i as u16))
            .collect();
        self.stamps = used;
    }

    /// Removes every fact of dealer `i` (its next fact sets its write time anew).
    pub fn clear_dealer(&mut self, i: usize) {
        if i >= self.n {
            return;
        }
        for k in 0..KPIS.len() {
            let at = k * self.n + i;
            self.wide.remove(&(at as u32));
            self.nums[at] = 0;
            self.dens[at] = 0;
        }
        self.dealer_stamp[i] = UNSET;
    }

    /// The fact at `at`: its value or reason and `updated_at`.
    pub fn fact(&self, at: usize) -> Option<(FactValue, i64)> {
        let (num, den) = (*self.nums.get(at)?, self.dens[at]);
        let value = match den {
            0 if num == 0 => return None,
            0 => Err(*Unavailable::ALL.get(usize::try_from(num - 1).ok()?)?),
            _ => Ok(self.pair(at)),
        };
        Some((value, self.stamps[usize::from(self.stamp_at(at))]))
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
        // Position 2 is the first KPI of dealer 0 (dealers 0 and 1 alternate).
        s.clear_dealer(0);
        assert_eq!((s.fact(0), s.fact(2), s.pair(2)), (None, None, (0, 0)));
        assert_eq!(s.fact(1), Some((Err(Unavailable::ZeroDenominator), 10)));
        // Out of range: nothing happens, nothing panics.
        s.set(usize::MAX, Ok((1, 1)), 1);
        s.clear_dealer(usize::MAX);
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

    #[test]
    fn alternating_write_times_share_their_stamps() {
        // After a partial recomputation a dealer's facts alternate between the old time
        // and the new one: two stamps, however many dealers.
        let mut s = Slab::default();
        s.allocate(10_000);
        for at in 0..KPIS.len() * 10_000 {
            s.set(at, Ok((1, 2)), if at % 3 == 0 { 7 } else { 5 });
        }
        assert_eq!(s.stamps.len(), 2);
        assert_eq!(s.fact(3), Some((Ok((1, 2)), 7)));
        assert_eq!(s.fact(4), Some((Ok((1, 2)), 5)));
        // 10 bytes a fact at most, and little else.
        let facts = KPIS.len() * 10_000;
        assert!(s.bytes() < facts * 10 + 40_000, "{} bytes", s.bytes());
    }

    #[test]
    fn a_report_written_at_once_costs_eight_bytes_a_fact() {
        let n = 10_000;
        let mut s = Slab::default();
        s.allocate(n);
        // Each dealer's facts at its own time; one KPI rewritten later for everyone.
        for at in 0..KPIS.len() * n {
            s.set(at, Ok((1, 2)), (at % n) as i64);
        }
        for i in 0..n {
            s.set(3 * n + i, Ok((2, 3)), 99_999);
        }
        assert_eq!(s.fact(5 * n + 7), Some((Ok((1, 2)), 7)));
        assert_eq!(s.fact(3 * n + 7), Some((Ok((2, 3)), 99_999)));
        let facts = KPIS.len() * n;
        assert!(
            s.bytes() < facts * 8 + 4 * n + 400_000,
            "{} bytes",
            s.bytes()
        );
    }

    #[test]
    fn write_times_follow_every_write_and_clear() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 7;
        let len = KPIS.len() * n;
        let mut s = Slab::default();
        s.allocate(n);
        let mut model: HashMap<usize, (FactValue, i64)> = HashMap::new();
        for step in 0..20_000 {
            if rng.gen_ratio(1, 40) {
                let i = rng.gen_range(0..n);
                s.clear_dealer(i);
                model.retain(|at, _| at % n != i);
            } else {
                let at = rng.gen_range(0..len);
                // A few times, as when a dealer's report and later recomputations land.
                let t = rng.gen_range(0..6) + (step / 5_000) as i64 * 10;
                let v = if rng.gen_ratio(1, 5) {
                    Err(Unavailable::MissingInput)
                } else {
                    Ok((rng.gen_range(-9..1 << 40), rng.gen_range(1..9)))
                };
                s.set(at, v, t);
                model.insert(at, (v, t));
            }
            if step % 97 == 0 {
                for at in 0..len {
                    assert_eq!(s.fact(at), model.get(&at).copied(), "step {step} at {at}");
                }
            }
        }
    }
}
