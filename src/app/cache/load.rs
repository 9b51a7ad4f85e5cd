//! Loading into the cache: the directory, months (facts and published snapshots), live
//! memberships, and results; evicting the least recently used within the budget.
//!
//! A month is read from the database without the sync lock (so queries of warm months go
//! on), then, under it, the writes the change log applied meanwhile are replayed onto it
//! before it is inserted: it is never older than the months around it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::directory::Directory;
use super::groups::Slot;
use super::period::KpiPeriod;
use super::published::PublishedMonth;
use super::slab::Slab;
use super::{apply_dealer, by_dealer, KpiCache, MemoKey, MonthEntry, State};
use crate::domain::kpi::{ParamValue, KPIS};
use crate::domain::{Month, MonthRange};
use crate::store::prelude::*;
use crate::store::{Change, ChangeKind, StoreResult};

/// A loaded month as a query uses it: laid out for `directory`.
pub struct Loaded {
    pub directory: Arc<Directory>,
    pub slab: Arc<Slab>,
    /// The live sums of this slab, computed on first use.
    pub sums: super::sums::LazySums,
    pub published: Option<Arc<PublishedMonth>>,
}

/// How often a load starts over when the network changes under it.
const ATTEMPTS: usize = 4;

impl KpiCache {
    /// The directory, loaded if needed.
    pub async fn directory(&self, store: &dyn Store) -> StoreResult<Arc<Directory>> {
        if let Some(d) = self.read().directory.clone() {
            return Ok(d);
        }
        // Under the sync lock: a network change is not applied while the directory loads.
        let _sync = self.sync_lock.lock().await;
        if let Some(d) = self.read().directory.clone() {
            return Ok(d);
        }
        // Read the log position first: anything written after it is applied next time.
        let seq = store.last_change().await?;
        let d = Arc::new(Directory::load(store).await?);
        let mut s = self.write();
        s.drop_all();
        s.directory = Some(d.clone());
        s.follower.at_least(seq);
        Ok(d)
    }

    /// The published months and their versions.
    pub async fn publications(&self, store: &dyn Store) -> StoreResult<Arc<BTreeMap<Month, i32>>> {
        if let Some(p) = self.read().publications.clone() {
            return Ok(p);
        }
        let map: BTreeMap<Month, i32> = store
            .publications()
            .await?
            .into_iter()
            .filter(|p| p.version > 0)
            .map(|p| (p.month, p.version))
            .collect();
        let map = Arc::new(map);
        self.write().publications = Some(map.clone());
        Ok(map)
    }

    /// The OEM's parameters, kept until a change of the log drops them (setting one
    /// recomputes every dealer's facts, which drops the facts and them).
    pub async fn params(&self, store: &dyn Store) -> StoreResult<Arc<Vec<ParamValue>>> {
        let applied = {
            let s = self.read();
            if let Some(p) = s.params.clone() {
                return Ok(p);
            }
            s.applied
        };
        let params = Arc::new(store.params().await?);
        let mut s = self.write();
        // Not kept if a change arrived meanwhile: it may have been a parameter's.
        if s.applied == applied {
            s.params = Some(params.clone());
        }
        Ok(params)
    }

    /// Loads the directory, the publications and the months of `range`: the directory
    /// first (the service is ready then), the months after, newest first, one at a time so
    /// that a query's own loads always find a reader free.
    pub async fn warm(&self, store: &dyn Store, range: MonthRange) -> StoreResult<()> {
        self.refresh(store).await?;
        self.directory(store).await?;
        let publications = self.publications(store).await?;
        let months: Vec<Month> = range.months().collect();
        self.will_warm(months.len());
        for m in months.into_iter().rev() {
            let _one = self.warming.acquire().await;
            self.month(store, m, publications.contains_key(&m)).await?;
            self.warm_done.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Announces a warm-up of `months` months, before the replica says it is ready: until
    /// they are loaded, [`KpiCache::warming`] tells so (`/readyz` said "ready", warm, in
    /// the moment between).
    pub fn will_warm(&self, months: usize) {
        self.warm_done.store(0, Ordering::SeqCst);
        self.warm_total.store(months as u64, Ordering::SeqCst);
    }

    /// The month as loaded, if it is (and its published snapshot, if `published` and it is
    /// loaded too), marking it used.
    fn lookup(&self, m: Month, published: bool) -> Option<Loaded> {
        let s = self.read();
        let directory = s.directory.clone()?;
        let e = s.months.get(&m)?;
        if published && e.published.is_none() {
            return None;
        }
        e.used.store(self.now(), Ordering::Relaxed);
        Some(Loaded {
            directory,
            slab: e.slab.clone(),
            sums: e.sums.clone(),
            published: e.published.clone(),
        })
    }

    /// A month, loaded from the database if it is not in memory (once, however many
    /// requests ask meanwhile), with its published snapshot when `published` (and the
    /// month is published).
    pub(super) async fn month(
        &self,
        store: &dyn Store,
        m: Month,
        published: bool,
    ) -> StoreResult<Loaded> {
        if let Some(hit) = self.lookup(m, published) {
            return Ok(hit);
        }
        let lock = self.month_locks.get(m);
        let _one = lock.lock().await;
        for _ in 0..ATTEMPTS {
            if let Some(hit) = self.lookup(m, published) {
                return Ok(hit);
            }
            if self.lookup(m, false).is_none() && !self.load_facts(store, m).await? {
                continue;
            }
            if published {
                let publications = self.publications(store).await?;
                match publications.get(&m) {
                    Some(&version) => {
                        if !self.load_published(store, m, version).await? {
                            continue;
                        }
                    }
                    // Not published: the facts alone.
                    None => {
                        if let Some(hit) = self.lookup(m, false) {
                            return Ok(hit);
                        }
                        continue;
                    }
                }
            }
        }
        self.lookup(m, published).ok_or_else(|| {
            crate::store::StoreError::Conflict(
                "the dealer network kept changing while KPI facts loaded: try again".into(),
            )
        })
    }

    /// The changes applied since `mark` that touch month `m`: the dealers to read again,
    /// whether its publication changed; `None` when they cannot be known (start over).
    fn replay(&self, s: &State, mark: u64, m: Month) -> Option<(BTreeSet<String>, bool)> {
        let changes: Vec<Change> = s.follower.applied_since(mark)?;
        let mut dealers = BTreeSet::new();
        let mut publication = false;
        for c in changes {
            let touches = c.from.is_none_or(|f| f <= m) && c.to.is_none_or(|t| m <= t);
            match (c.kind, c.dealer_code) {
                (ChangeKind::Network, _) | (ChangeKind::Facts, None) => return None,
                (ChangeKind::Facts, Some(d)) if touches => {
                    dealers.insert(d);
                }
                (ChangeKind::Publication, _) if touches => publication = true,
                _ => {}
            }
        }
        Some((dealers, publication))
    }

    /// Reads a month's facts and inserts them; false when it must start over.
    async fn load_facts(&self, store: &dyn Store, m: Month) -> StoreResult<bool> {
        let directory = self.directory(store).await?;
        let mark = self.read().follower.applied();
        let mut slab = Slab::default();
        {
            let _reader = self.readers.acquire().await;
            let n = directory.len();
            slab.allocate(n);
            let positions: HashMap<i16, usize> =
                KPIS.iter().enumerate().map(|(k, d)| (d.id, k)).collect();
            let loaded = store
                .month_facts(m, &mut |kpi, dealer, value, updated_at| {
                    if let (Some(&k), Some(&i)) = (positions.get(&kpi), directory.index.get(dealer))
                    {
                        slab.set(k * n + i, value, updated_at);
                    }
                })
                .await?;
            if loaded == 0 {
                slab = Slab::default();
            }
        }
        let _sync = self.sync_lock.lock().await;
        let replay = {
            let s = self.read();
            if !s
                .directory
                .as_ref()
                .is_some_and(|d| Arc::ptr_eq(d, &directory))
            {
                return Ok(false);
            }
            self.replay(&s, mark, m)
        };
        let Some((dealers, _)) = replay else {
            return Ok(false);
        };
        let known: Vec<String> = dealers
            .into_iter()
            .filter(|d| directory.index.contains_key(d))
            .collect();
        let facts = store.dealer_facts(&known, m, m).await?;
        let facts = by_dealer(&facts, |f| f.dealer_code.as_str());
        for d in &known {
            let own = facts.get(d.as_str()).into_iter().flatten().copied();
            apply_dealer(&mut slab, directory.len(), directory.index[d], own);
        }
        let mut s = self.write();
        s.next_version += 1;
        slab.version = s.next_version;
        let bytes = slab.bytes();
        let used = AtomicU64::new(self.now());
        if let Some(old) = s.months.insert(
            m,
            MonthEntry {
                slab: Arc::new(slab),
                sums: Default::default(),
                published: None,
                bytes,
                used,
            },
        ) {
            s.month_bytes -= old.bytes;
        }
        s.month_bytes += bytes;
        self.evict_months(&mut s, m);
        Ok(true)
    }

    /// Reads a month's published snapshot (its facts loaded) and inserts it; false when it
    /// must start over.
    async fn load_published(&self, store: &dyn Store, m: Month, version: i32) -> StoreResult<bool> {
        let directory = self.directory(store).await?;
        let mark = self.read().follower.applied();
        let members = store.published_members(m).await?;
        let holds = store.month_holds(m).await?;
        let _sync = self.sync_lock.lock().await;
        let replay = {
            let s = self.read();
            if !s
                .directory
                .as_ref()
                .is_some_and(|d| Arc::ptr_eq(d, &directory))
            {
                return Ok(false);
            }
            self.replay(&s, mark, m)
        };
        let Some((dealers, false)) = replay else {
            return Ok(false);
        };
        let dealers: Vec<String> = dealers.into_iter().collect();
        let mut fresh: HashMap<String, Vec<crate::store::HeldFact>> =
            dealers.iter().map(|d| (d.clone(), Vec::new())).collect();
        for h in store.dealer_holds(&dealers, m, m).await? {
            if let Some(own) = fresh.get_mut(&h.dealer_code) {
                own.push(h);
            }
        }
        let mut s = self.write();
        let ids = Arc::make_mut(&mut s.groups);
        let mut p = PublishedMonth::new(version, &members, &holds, &directory, ids);
        for (d, h) in &fresh {
            if let Some(&idx) = directory.index.get(d) {
                p.replace_holds(&directory, idx, h);
            }
        }
        let bytes = p.bytes();
        let Some(e) = s.months.get_mut(&m) else {
            return Ok(false);
        };
        e.published = Some(Arc::new(p));
        e.bytes += bytes;
        s.month_bytes += bytes;
        self.evict_months(&mut s, m);
        Ok(true)
    }

    /// Evicts the least recently used months (never `keep`) until within the budget.
    fn evict_months(&self, s: &mut State, keep: Month) {
        while s.month_bytes > self.budget.months && s.months.len() > 1 {
            let Some(victim) = s
                .months
                .iter()
                .filter(|(m, _)| **m != keep)
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(m, _)| *m)
            else {
                break;
            };
            if let Some(e) = s.months.remove(&victim) {
                s.month_bytes -= e.bytes;
            }
        }
    }

    /// Keeps a result, evicting the least recently used ones beyond the budget.
    pub(super) fn remember(&self, key: MemoKey, period: Arc<KpiPeriod>) {
        let bytes = period.bytes();
        let now = self.now();
        self.write()
            .memo
            .insert(key, period, bytes, now, self.budget.results);
    }

    /// A kept result still valid for `versions`, marking it used.
    pub(super) fn recall(&self, key: &MemoKey, versions: &[u64]) -> Option<Arc<KpiPeriod>> {
        let now = self.now();
        self.read().memo.get(key, now, |p| p.versions == versions)
    }

    /// Each dealer's live groups in month `m`.
    pub(super) fn live_members(&self, directory: &Arc<Directory>, m: Month) -> Arc<Vec<Slot>> {
        if let Some(hit) = self.read().live_members.get(&m) {
            return hit.clone();
        }
        let mut s = self.write();
        if !s
            .directory
            .as_ref()
            .is_some_and(|d| Arc::ptr_eq(d, directory))
        {
            // A network change: lay them out for the caller's directory, without keeping them.
            let mut ids = (*s.groups).clone();
            let members = Arc::new(directory.live_members(m, &mut ids));
            s.groups = Arc::new(ids);
            return members;
        }
        if let Some(hit) = s.live_members.get(&m) {
            return hit.clone();
        }
        let ids = Arc::make_mut(&mut s.groups);
        let members = Arc::new(directory.live_members(m, ids));
        s.live_members.insert(m, members.clone());
        members
    }
}

#[cfg(test)]
mod tests {
    use super::super::testnet::{month, network};
    use super::super::{Budget, KpiCache, View};
    use crate::domain::kpi::KPIS;
    use crate::domain::{Group, Period, PeriodKind};

    #[tokio::test]
    async fn a_warm_up_announced_is_under_way_until_its_months_are_loaded() {
        let (_dir, store) = network().await;
        let cache = KpiCache::default();
        assert_eq!(cache.warming(), None);
        cache.will_warm(3);
        assert_eq!(cache.warming(), Some((0, 3)));
        let range = crate::domain::MonthRange::new(month("2024-01"), month("2024-03")).unwrap();
        cache.warm(&store, range).await.unwrap();
        assert_eq!(cache.warming(), None);
    }

    #[tokio::test]
    async fn months_beyond_the_budget_are_evicted_and_come_back_the_same() {
        let (_dir, store) = network().await;
        let unbounded = KpiCache::default();
        unbounded.refresh(&store).await.unwrap();
        // Room for about one month's facts.
        let one = {
            let l = unbounded
                .month(&store, month("2024-01"), false)
                .await
                .unwrap();
            l.slab.bytes()
        };
        let small = KpiCache::new(Budget {
            months: one + one / 2,
            results: 1,
            digests: 1,
        });
        small.refresh(&store).await.unwrap();
        for round in 0..2 {
            for m in ["2024-01", "2024-02", "2024-03"] {
                let period = Period::new(PeriodKind::Month, month(m), None).unwrap();
                for def in KPIS.iter().take(3) {
                    let a = small
                        .period(&store, def, period, View::Live)
                        .await
                        .unwrap()
                        .unwrap();
                    let b = unbounded
                        .period(&store, def, period, View::Live)
                        .await
                        .unwrap()
                        .unwrap();
                    for g in [
                        Group::Nation,
                        Group::Region("R1".into()),
                        Group::Region("R2".into()),
                    ] {
                        assert_eq!(
                            a.stats(&g).aggregate,
                            b.stats(&g).aggregate,
                            "{m} {} {round}",
                            def.code
                        );
                    }
                }
                let s = small.read();
                assert!(s.months.len() <= 2, "{} months", s.months.len());
                assert!(s.month_bytes <= 2 * one, "{} bytes", s.month_bytes);
                assert!(s.memo.len() <= 1);
            }
        }
        // A range longer than the budget is still computed, month by month.
        let range =
            Period::new(PeriodKind::Range, month("2024-01"), Some(month("2024-03"))).unwrap();
        let a = small
            .period(&store, &KPIS[0], range, View::Live)
            .await
            .unwrap()
            .unwrap();
        let b = unbounded
            .period(&store, &KPIS[0], range, View::Live)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            a.stats(&Group::Nation).aggregate,
            b.stats(&Group::Nation).aggregate
        );
    }
}
