//! The in-memory KPI cache: every dealer's numerator and denominator per KPI and month, in
//! flat arrays, so that a ranking, a scorecard or a benchmark sums and sorts in memory
//! instead of scanning the database; and, for dealer users, the published months laid
//! over them (membership snapshots and held facts).
//!
//! It stays correct with several replicas on one database: every write appends to the
//! database's change log in its own transaction, and each query first reads the log past
//! the last entry it applied (one indexed query), reloading only what changed. A sequence
//! number seen missing (a transaction that committed after a later one) is asked for again
//! for a while, so no change is skipped.

mod directory;
mod fact_page;
mod follow;
mod groups;
mod load;
mod period;
mod published;
mod queries;
mod slab;

pub use directory::Directory;
pub use groups::GroupIds;
pub use period::{GroupStats, KpiPeriod};
pub use queries::GroupSum;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use follow::{ChangeFollower, GAP_WINDOW};
use groups::Slot;
use published::PublishedMonth;
use slab::Slab;

use crate::domain::kpi::KPIS;
use crate::domain::{Month, MonthRange};
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

/// Most KPI-period results kept.
const MEMO_LIMIT: usize = 256;

#[derive(Default)]
struct State {
    follower: ChangeFollower,
    directory: Option<Arc<Directory>>,
    groups: Arc<GroupIds>,
    slabs: HashMap<Month, Arc<Slab>>,
    next_version: u64,
    /// Each dealer's live groups, per month.
    live_members: HashMap<Month, Arc<Vec<Slot>>>,
    /// Published months and their versions; `None` until read again.
    publications: Option<Arc<BTreeMap<Month, i32>>>,
    published: HashMap<Month, Arc<PublishedMonth>>,
    memo: HashMap<(i16, Month, Month, View), Arc<KpiPeriod>>,
}

impl State {
    fn drop_facts(&mut self) {
        self.slabs.clear();
        self.published.clear();
        self.memo.clear();
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
        self.published.retain(|m, _| *m < from || *m > to);
        self.memo
            .retain(|(_, a, b, view), _| *view == View::Live || *b < from || *a > to);
    }

    fn slab_versions(&self, range: MonthRange) -> Vec<u64> {
        range
            .months()
            .map(|m| self.slabs.get(&m).map_or(0, |s| s.version))
            .collect()
    }

    /// The publication versions of `range`, if every month of it is published and loaded.
    fn publication_versions(&self, range: MonthRange) -> Option<Vec<u64>> {
        range
            .months()
            .map(|m| self.published.get(&m).map(|p| p.version as u64))
            .collect()
    }
}

/// The KPI cache of one process.
#[derive(Default)]
pub struct KpiCache {
    state: RwLock<State>,
    /// One sync or load at a time.
    loading: tokio::sync::Mutex<()>,
    /// Tests: the next write to the state panics while holding its lock.
    #[cfg(feature = "fault-injection")]
    pub panic_in_lock: std::sync::atomic::AtomicBool,
}

impl KpiCache {
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

    /// What is loaded, for `/readyz`.
    pub fn describe(&self) -> String {
        let s = self.read();
        format!(
            "{} dealers, {} months of KPI facts, {} published months, {} results memoised",
            s.directory.as_ref().map_or(0, |d| d.len()),
            s.slabs.len(),
            s.published.len(),
            s.memo.len()
        )
    }

    /// Applies what other writers (this process included) changed since the last look.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let _one = self.loading.lock().await;
        self.sync(store).await
    }

    /// Applies the change log since the last sync.
    async fn sync(&self, store: &dyn Store) -> StoreResult<()> {
        let (after, gaps, fresh) = {
            let s = self.read();
            (
                s.follower.last_seq(),
                s.follower.gaps(),
                s.directory.is_none(),
            )
        };
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
            return Ok(());
        }
        let changes = store.changes_since(after, &gaps).await?;
        if changes.is_empty() {
            return Ok(());
        }
        let mut dealers: Vec<(String, Month, Month)> = Vec::new();
        {
            let mut s = self.write();
            s.follower.advance(after, &changes, Instant::now());
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
        for (dealer, from, to) in dealers {
            self.reload_dealer(store, &dealer, from, to).await?;
        }
        Ok(())
    }

    /// Reloads one dealer's facts (and held facts) of the loaded months of `from..=to`.
    async fn reload_dealer(
        &self,
        store: &dyn Store,
        dealer: &str,
        from: Month,
        to: Month,
    ) -> StoreResult<()> {
        let span = |months: Vec<Month>| -> Option<(Month, Month)> {
            Some((*months.iter().min()?, *months.iter().max()?))
        };
        let (slab_span, published_span) = {
            let s = self.read();
            let within = |m: &&Month| **m >= from && **m <= to;
            (
                span(s.slabs.keys().filter(within).copied().collect()),
                span(s.published.keys().filter(within).copied().collect()),
            )
        };
        let facts = match slab_span {
            Some((a, b)) => store.dealer_facts(dealer, a, b).await?,
            None => vec![],
        };
        let holds = match published_span {
            Some((a, b)) => store.dealer_holds(dealer, a, b).await?,
            None => vec![],
        };
        let mut s = self.write();
        let Some(directory) = s.directory.clone() else {
            return Ok(());
        };
        let Some(&idx) = directory.index.get(dealer) else {
            s.drop_all();
            return Ok(());
        };
        let n = directory.len();
        let months: Vec<Month> = s
            .slabs
            .keys()
            .copied()
            .filter(|m| *m >= from && *m <= to)
            .collect();
        for month in months {
            s.next_version += 1;
            let version = s.next_version;
            let Some(slab) = s.slabs.get_mut(&month) else {
                continue;
            };
            // Copy-on-write: a reader still holding the old slab keeps a consistent copy.
            let slab = Arc::make_mut(slab);
            slab.allocate(n);
            for k in 0..KPIS.len() {
                slab.clear(k * n + idx);
            }
            for f in facts.iter().filter(|f| f.month == month) {
                if let Some(k) = KPIS.iter().position(|d| d.id == f.kpi) {
                    slab.set(k * n + idx, f.value, f.updated_at);
                }
            }
            slab.version = version;
        }
        let published: Vec<Month> = s
            .published
            .keys()
            .copied()
            .filter(|m| *m >= from && *m <= to)
            .collect();
        for month in published {
            if let Some(p) = s.published.get_mut(&month) {
                let own: Vec<_> = holds.iter().filter(|h| h.month == month).cloned().collect();
                Arc::make_mut(p).replace_holds(&directory, idx, &own);
            }
        }
        // A published period does not move with a write (its values are held), a live one does.
        s.memo
            .retain(|(_, a, b, view), _| *view == View::Published || *b < from || *a > to);
        Ok(())
    }
}
