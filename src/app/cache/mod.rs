//! The in-memory KPI cache: every dealer's numerator and denominator per KPI and month, in
//! compact flat arrays, so that a ranking, a scorecard or a benchmark sums and sorts in
//! memory instead of scanning the database; and, for dealer users, the published months
//! laid over them (membership snapshots and held facts).
//!
//! - **In step across replicas.** Every write appends to the database's change log in its
//!   own transaction, and each query first applies the log past the last entry applied
//!   (one indexed query, shared by the requests that arrive while it runs). A sequence
//!   number seen missing (a transaction that committed after a later one) is asked for
//!   again for a while, so no change is skipped.
//! - **Within a memory budget.** Months and computed results are kept within a byte
//!   budget; the least recently used go first, and come back from the database on demand.
//! - **Cold months do not hold warm ones up.** A month is loaded once (the requests that
//!   need it meanwhile wait for that load), without the lock every query takes; what was
//!   written while it loaded is replayed onto it before it is used.

mod digests;
mod directory;
mod fact_page;
mod follow;
mod groups;
mod keyed_locks;
mod load;
mod memo;
mod period;
mod published;
mod queries;
mod slab;
mod sums;
#[cfg(test)]
mod testnet;

pub use digests::DigestGroup;
pub use directory::Directory;
pub use groups::GroupIds;
pub use period::{Digested, GroupStats, KpiPeriod};
pub use sums::GroupSum;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use digests::PeriodDigest;
use follow::{ChangeFollower, GAP_WINDOW};
use groups::Slot;
use keyed_locks::KeyedLocks;
use memo::Memo;
use published::PublishedMonth;
use slab::Slab;

use crate::domain::kpi::{ParamValue, KPIS};
use crate::domain::Month;
use crate::store::prelude::*;
use crate::store::{ChangeKind, StoreResult};

/// Which figures a KPI period is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// The facts as they are now, each dealer in its groups as they are now.
    Live,
    /// Each month's published snapshot (what dealer users compare themselves with).
    Published,
}

/// The cache's memory budget and how it is shared.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Bytes for months (facts and published snapshots).
    pub months: usize,
    /// Bytes for computed results (KPI periods).
    pub results: usize,
    /// Bytes for periods digested for scorecards.
    pub digests: usize,
}

impl Budget {
    /// A total budget in MiB: an eighth for results (at most 32 MiB), a quarter for
    /// digests (at most 64 MiB), the rest for months.
    pub fn of_mib(mib: usize) -> Budget {
        let total = mib.saturating_mul(1024 * 1024);
        let results = (total / 8).min(32 << 20);
        let digests = (total / 4).min(64 << 20);
        Budget {
            months: total - results - digests,
            results,
            digests,
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::of_mib(DEFAULT_MIB)
    }
}

/// The default budget, in MiB: 36 months of 10,000 dealers, with room for results.
const DEFAULT_MIB: usize = 368;

/// A month loaded: its facts and, once asked for, its published snapshot.
struct MonthEntry {
    slab: Arc<Slab>,
    /// The live sums of this version of the slab.
    sums: sums::LazySums,
    published: Option<Arc<PublishedMonth>>,
    bytes: usize,
    used: AtomicU64,
}

/// A KPI over a period: (KPI id, from, to, view).
type MemoKey = (i16, Month, Month, View);
/// Every KPI of a period digested: (from, to, view).
type DigestKey = (Month, Month, View);

#[derive(Default)]
struct State {
    follower: ChangeFollower,
    directory: Option<Arc<Directory>>,
    groups: Arc<GroupIds>,
    months: HashMap<Month, MonthEntry>,
    month_bytes: usize,
    next_version: u64,
    /// Each dealer's live groups, per month.
    live_members: HashMap<Month, Arc<Vec<Slot>>>,
    /// Published months and their versions; `None` until read again.
    publications: Option<Arc<BTreeMap<Month, i32>>>,
    /// The OEM's parameters; `None` until read again.
    params: Option<Arc<Vec<ParamValue>>>,
    memo: Memo<MemoKey, KpiPeriod>,
    /// Periods digested for scorecards.
    digests: Memo<DigestKey, PeriodDigest>,
    /// Changes of the log applied so far (see [`KpiCache::changes_applied`]).
    applied: u64,
}

impl State {
    fn drop_facts(&mut self) {
        self.params = None;
        self.months.clear();
        self.month_bytes = 0;
        self.memo.clear();
        self.digests.clear();
    }

    fn drop_all(&mut self) {
        self.drop_facts();
        self.directory = None;
        self.live_members.clear();
        self.publications = None;
    }

    /// Forgets the publications of `from..=to` (every month when not given).
    fn drop_publication(&mut self, from: Option<Month>, to: Option<Month>) {
        let (from, to) = (from.unwrap_or(Month::MIN), to.unwrap_or(Month::MAX));
        self.publications = None;
        for (m, e) in self.months.iter_mut() {
            if *m >= from && *m <= to {
                e.published = None;
            }
        }
        let published =
            |a: Month, b: Month, view: View| view == View::Published && b >= from && a <= to;
        self.memo
            .forget_where(|&(_, a, b, view)| published(a, b, view));
        self.digests
            .forget_where(|&(a, b, view)| published(a, b, view));
    }
}

/// The KPI cache of one process.
pub struct KpiCache {
    state: RwLock<State>,
    budget: Budget,
    /// One change-log sync at a time; month loads take it only to replay and insert.
    sync_lock: tokio::sync::Mutex<()>,
    /// Syncs started and finished: a request that arrives while one runs waits for the
    /// next to finish rather than starting its own.
    syncs_started: AtomicU64,
    syncs_done: AtomicU64,
    /// Reads of the change log and the time they took, in µs (what following other
    /// replicas costs: metrics).
    log_reads: AtomicU64,
    log_read_micros: AtomicU64,
    /// One load per month at a time; the requests that need it meanwhile wait for it.
    month_locks: KeyedLocks<Month>,
    /// One digest build per period at a time.
    digest_locks: KeyedLocks<DigestKey>,
    /// At most two months read from the database at once.
    readers: tokio::sync::Semaphore,
    /// The background warm-up reads one month at a time.
    warming: tokio::sync::Semaphore,
    /// Months the warm-up loads, and has loaded.
    warm_total: AtomicU64,
    warm_done: AtomicU64,
    /// A clock for least-recently-used eviction.
    tick: AtomicU64,
    /// Tests: the next write to the state panics while holding its lock.
    #[cfg(feature = "fault-injection")]
    pub panic_in_lock: std::sync::atomic::AtomicBool,
}

impl Default for KpiCache {
    fn default() -> Self {
        KpiCache::new(Budget::default())
    }
}

impl KpiCache {
    pub fn new(budget: Budget) -> KpiCache {
        KpiCache {
            state: Default::default(),
            budget,
            sync_lock: Default::default(),
            syncs_started: AtomicU64::new(0),
            syncs_done: AtomicU64::new(0),
            log_reads: AtomicU64::new(0),
            log_read_micros: AtomicU64::new(0),
            month_locks: Default::default(),
            digest_locks: Default::default(),
            readers: tokio::sync::Semaphore::new(2),
            warming: tokio::sync::Semaphore::new(1),
            warm_total: AtomicU64::new(0),
            warm_done: AtomicU64::new(0),
            tick: AtomicU64::new(0),
            #[cfg(feature = "fault-injection")]
            panic_in_lock: Default::default(),
        }
    }

    /// The state, for reading. A panic elsewhere while the lock was held leaves the state
    /// as it was (every change is made whole under the lock), so poisoning is ignored.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        let guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        #[cfg(feature = "fault-injection")]
        if self
            .panic_in_lock
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            panic!("fault injection: a panic while the KPI cache's lock is held");
        }
        guard
    }

    fn now(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed)
    }

    /// What is loaded, for logs.
    pub fn describe(&self) -> String {
        let s = self.read();
        format!(
            "{} dealers, {} months ({} MiB), {} results ({} MiB)",
            s.directory.as_ref().map_or(0, |d| d.len()),
            s.months.len(),
            s.month_bytes >> 20,
            s.memo.len() + s.digests.len(),
            (s.memo.bytes() + s.digests.bytes()) >> 20
        )
    }

    /// Months the warm-up still has to load, of how many (`None` once it is done).
    pub fn warming(&self) -> Option<(u64, u64)> {
        let (done, total) = (
            self.warm_done.load(Ordering::SeqCst),
            self.warm_total.load(Ordering::SeqCst),
        );
        (done < total).then_some((done, total))
    }

    /// Bytes held by months and results.
    pub fn bytes(&self) -> usize {
        let s = self.read();
        s.month_bytes + s.memo.bytes() + s.digests.bytes()
    }

    /// Months of facts held.
    pub fn months_loaded(&self) -> usize {
        self.read().months.len()
    }

    /// The last change of the log this cache has followed (metrics: its lag).
    pub fn followed_change(&self) -> i64 {
        self.read().follower.last_seq()
    }

    /// How many times this cache has read the change log, and how long those reads took
    /// in all (µs).
    pub fn log_reads(&self) -> (u64, u64) {
        (
            self.log_reads.load(Ordering::Relaxed),
            self.log_read_micros.load(Ordering::Relaxed),
        )
    }

    /// How many changes of the log this cache has applied: what was read from the
    /// database after a [`refresh`](Self::refresh) (reports, dealers, regions) is still
    /// current while this number stays the same (a gap filled late counts too).
    pub fn changes_applied(&self) -> u64 {
        self.read().applied
    }

    /// Applies what other writers (this process included) changed since the last look.
    /// Requests that arrive while a sync runs share the next one.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let arrived = self.syncs_started.load(Ordering::SeqCst);
        let _one = self.sync_lock.lock().await;
        if self.syncs_done.load(Ordering::SeqCst) > arrived {
            // A sync that started after this request arrived has finished.
            return Ok(());
        }
        let mine = self.syncs_started.fetch_add(1, Ordering::SeqCst) + 1;
        let result = self.sync(store).await;
        self.syncs_done.store(mine, Ordering::SeqCst);
        result
    }

    /// Where the cache stands in the log: the last change applied, the numbers seen
    /// missing, and whether it holds nothing yet.
    fn position(&self) -> (i64, Vec<i64>, bool) {
        let s = self.read();
        (
            s.follower.last_seq(),
            s.follower.gaps(),
            s.directory.is_none(),
        )
    }

    /// Brings up to date what does not move with one dealer's facts: the directory, the
    /// publications, the OEM's parameters. One read of the log, without waiting for a sync
    /// in flight, unless there is such a change to apply (then a [`refresh`](Self::refresh)).
    /// What a write reads from the cache; its dealers' facts may lag until the next refresh.
    pub async fn refresh_shared(&self, store: &dyn Store) -> StoreResult<()> {
        let (after, gaps, fresh) = self.position();
        if fresh || store.shared_change_since(after, &gaps).await? {
            return self.refresh(store).await;
        }
        Ok(())
    }

    /// Applies the change log since the last sync (under the sync lock).
    async fn sync(&self, store: &dyn Store) -> StoreResult<()> {
        let (after, gaps, fresh) = self.position();
        if fresh {
            // Nothing cached, nothing to invalidate: skip the log's history, but remember the
            // recent numbers missing from it (transactions that may still commit).
            let last = store.last_change().await?;
            let window = (last - GAP_WINDOW).max(after);
            let seen: HashSet<i64> = store
                .changes_since(window, &[])
                .await?
                .iter()
                .map(|c| c.seq)
                .collect();
            let mut s = self.write();
            s.follower.start(window, last, &seen, Instant::now());
            s.publications = None;
            s.applied += 1;
            return Ok(());
        }
        let start = Instant::now();
        let changes = store.changes_since(after, &gaps).await;
        self.log_reads.fetch_add(1, Ordering::Relaxed);
        self.log_read_micros
            .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        let changes = changes?;
        if changes.is_empty() {
            return Ok(());
        }
        let mut dealers: Vec<(String, Month, Month)> = Vec::new();
        {
            let mut s = self.write();
            s.follower.advance(after, &changes, Instant::now());
            s.applied += changes.len() as u64;
            for c in &changes {
                match (c.kind, &c.dealer_code) {
                    (ChangeKind::Network, _) => s.drop_all(),
                    (ChangeKind::Facts, None) => s.drop_facts(),
                    (ChangeKind::Facts, Some(d)) => {
                        if let (Some(from), Some(to)) = (c.from, c.to) {
                            dealers.push((d.clone(), from, to));
                        }
                    }
                    (ChangeKind::Publication, _) => s.drop_publication(c.from, c.to),
                }
            }
        }
        // An import's chunk logs one change per dealer, all of the same months: read together.
        let mut by_span: BTreeMap<(Month, Month), Vec<String>> = BTreeMap::new();
        for (dealer, from, to) in dealers {
            by_span.entry((from, to)).or_default().push(dealer);
        }
        for ((from, to), mut dealers) in by_span {
            dealers.sort();
            dealers.dedup();
            self.reload_dealers(store, &dealers, from, to).await?;
        }
        Ok(())
    }

    /// Reloads some dealers' facts (and held facts) of the loaded months of `from..=to`.
    async fn reload_dealers(
        &self,
        store: &dyn Store,
        dealers: &[String],
        from: Month,
        to: Month,
    ) -> StoreResult<()> {
        let span = |months: Vec<Month>| -> Option<(Month, Month)> {
            Some((*months.iter().min()?, *months.iter().max()?))
        };
        let (slab_span, published_span) = {
            let s = self.read();
            let within = |m: &Month| *m >= from && *m <= to;
            (
                span(s.months.keys().copied().filter(within).collect()),
                span(
                    s.months
                        .iter()
                        .filter(|(m, e)| within(m) && e.published.is_some())
                        .map(|(m, _)| *m)
                        .collect(),
                ),
            )
        };
        // Both reads at once (two connections): the requests that wait for this sync wait less.
        let facts = async {
            match slab_span {
                Some((a, b)) => store.dealer_facts(dealers, a, b).await,
                None => Ok(vec![]),
            }
        };
        let holds = async {
            match published_span {
                Some((a, b)) => store.dealer_holds(dealers, a, b).await,
                None => Ok(vec![]),
            }
        };
        let (facts, holds) = futures_util::future::try_join(facts, holds).await?;
        let mut s = self.write();
        let Some(directory) = s.directory.clone() else {
            return Ok(());
        };
        let mut slots = Vec::with_capacity(dealers.len());
        for d in dealers {
            let Some(&idx) = directory.index.get(d) else {
                s.drop_all();
                return Ok(());
            };
            slots.push((d.as_str(), idx));
        }
        let facts = by_dealer(&facts, |f| f.dealer_code.as_str());
        let holds = by_dealer(&holds, |h| h.dealer_code.as_str());
        let n = directory.len();
        let months: Vec<Month> = s
            .months
            .keys()
            .copied()
            .filter(|m| *m >= from && *m <= to)
            .collect();
        for month in months {
            s.next_version += 1;
            let version = s.next_version;
            let Some(entry) = s.months.get_mut(&month) else {
                continue;
            };
            // Copy-on-write: a reader still holding the old slab keeps a consistent copy.
            let slab = Arc::make_mut(&mut entry.slab);
            for &(d, idx) in &slots {
                let own = facts.get(d).into_iter().flatten();
                apply_dealer(slab, n, idx, own.copied().filter(|f| f.month == month));
            }
            slab.version = version;
            entry.sums = Default::default();
            let mut bytes = slab.bytes();
            if let Some(p) = entry.published.as_mut() {
                let p = Arc::make_mut(p);
                for &(d, idx) in &slots {
                    let own: Vec<_> = holds
                        .get(d)
                        .into_iter()
                        .flatten()
                        .filter(|h| h.month == month)
                        .map(|h| (*h).clone())
                        .collect();
                    p.replace_holds(&directory, idx, &own);
                }
                bytes += p.bytes();
            }
            let before = std::mem::replace(&mut entry.bytes, bytes);
            s.month_bytes = s.month_bytes + bytes - before;
        }
        // A published period does not move with a write (its values are held), a live one does.
        let live = |a: Month, b: Month, view: View| view == View::Live && b >= from && a <= to;
        s.memo.forget_where(|&(_, a, b, view)| live(a, b, view));
        s.digests.forget_where(|&(a, b, view)| live(a, b, view));
        Ok(())
    }
}

/// `rows` by dealer code.
pub(super) fn by_dealer<T>(rows: &[T], code: impl Fn(&T) -> &str) -> HashMap<&str, Vec<&T>> {
    let mut out: HashMap<&str, Vec<&T>> = HashMap::new();
    for r in rows {
        out.entry(code(r)).or_default().push(r);
    }
    out
}

/// Replaces dealer `idx`'s facts in a slab by `facts`.
fn apply_dealer<'a>(
    slab: &mut Slab,
    n: usize,
    idx: usize,
    facts: impl Iterator<Item = &'a crate::store::FactRow>,
) {
    slab.allocate(n);
    slab.clear_dealer(idx);
    for f in facts {
        if let Some(k) = KPIS.iter().position(|d| d.id == f.kpi) {
            slab.set(k * n + idx, f.value, f.updated_at);
        }
    }
}
