//! The seeded random streams, one per `(seed, purpose, item, key)`, and the small numeric
//! helpers that turn draws into stored figures (uniform draws, counts, parts of a count,
//! squashing into a range, hundredths).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random stream is for; part of its key, so that streams never overlap.
#[derive(Clone, Copy)]
pub(super) enum Stream {
    Region = 1,
    Placement,
    /// A dealer's master data (network).
    Master,
    /// A dealer's persistent traits.
    Profile,
    /// Headcount, per half year.
    Staff,
    /// The month's flows.
    Month,
    /// New-car sales of a month.
    Sales,
    /// Month-end stocks: parts inventory, vehicles in operation, managed customers.
    Stock,
    /// When the month's report was submitted.
    Submission,
    /// A dealer's targets of a year.
    Target,
    /// A dealer's action plan.
    Action,
}

/// SplitMix64's finalizer: a bijective mix with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of `(seed, purpose, item, key)`; `key` is a month index or 0.
pub(super) fn stream(seed: u64, purpose: Stream, item: usize, key: i32) -> ChaCha8Rng {
    let h = mix(mix(mix(seed) ^ purpose as u64) ^ item as u64) ^ key as i64 as u64;
    ChaCha8Rng::seed_from_u64(mix(h))
}

/// Uniform in `[lo, hi)`. Only basic arithmetic, so results are the same on every platform.
pub(super) fn uni(r: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * r.gen::<f64>()
}

/// A count from an expected value.
pub(super) fn count(x: f64) -> i64 {
    x.round().max(0.0) as i64
}

/// A count of at least `min`.
pub(super) fn at_least(min: i64, x: f64) -> i64 {
    count(x).max(min)
}

/// A part of `n` (share in `[lo, hi)`, at most 1), never above `n`.
pub(super) fn part(r: &mut ChaCha8Rng, n: i64, lo: f64, hi: f64) -> i64 {
    count(n as f64 * uni(r, lo, hi)).min(n)
}

/// Maps `x` smoothly and monotonically into the open interval `(lo, hi)`: the identity at
/// the midpoint, flattening towards the ends, so that clamped values do not pile up on a
/// bound.
pub(super) fn squash(x: f64, lo: f64, hi: f64) -> f64 {
    let (mid, half) = ((lo + hi) / 2.0, (hi - lo) / 2.0);
    let y = 1.5 * (x - mid) / half;
    mid + half * y / (1.0 + y.abs())
}

/// Yuan (or hours, or score points) in hundredths, the storage unit.
pub(super) fn cents(x: f64) -> i64 {
    (x * 100.0).round() as i64
}
