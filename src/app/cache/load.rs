//! Loading into the cache: the directory, month slabs, live memberships and published
//! months. Every load runs under the cache's loading lock, as syncs do, so that a month's
//! slab and its held facts are always read in that order (held facts never older than the
//! slab they are laid over).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::directory::Directory;
use super::groups::Slot;
use super::published::PublishedMonth;
use super::slab::Slab;
use super::KpiCache;
use crate::domain::kpi::KPIS;
use crate::domain::{Month, MonthRange};
use crate::store::prelude::*;
use crate::store::StoreResult;

impl KpiCache {
    /// Loads the directory and the months of `range` ahead of the first query.
    pub async fn warm(&self, store: &dyn Store, range: MonthRange) -> StoreResult<()> {
        self.refresh(store).await?;
        // Month by month, so that queries are not held up for the whole load.
        for m in range.months() {
            let one = MonthRange { from: m, to: m };
            self.prepare(store, one).await?;
            self.prepare_published(store, one).await?;
        }
        Ok(())
    }

    /// The directory (call [`KpiCache::refresh`] first, once per request).
    pub async fn directory(&self, store: &dyn Store) -> StoreResult<Arc<Directory>> {
        let _one = self.loading.lock().await;
        self.load_directory(store).await
    }

    async fn load_directory(&self, store: &dyn Store) -> StoreResult<Arc<Directory>> {
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

    /// Loads what `range` needs (call [`KpiCache::refresh`] first, once per request).
    pub(super) async fn prepare(
        &self,
        store: &dyn Store,
        range: MonthRange,
    ) -> StoreResult<Arc<Directory>> {
        let _one = self.loading.lock().await;
        let directory = self.load_directory(store).await?;
        let n = directory.len();
        let positions: HashMap<i16, usize> =
            KPIS.iter().enumerate().map(|(k, d)| (d.id, k)).collect();
        for month in range.months() {
            if self.read().slabs.contains_key(&month) {
                continue;
            }
            let mut slab = Slab::default();
            slab.allocate(n);
            let loaded = store
                .month_facts(month, &mut |kpi, dealer, value, updated_at| {
                    if let (Some(&k), Some(&i)) = (positions.get(&kpi), directory.index.get(dealer))
                    {
                        slab.set(k * n + i, value, updated_at);
                    }
                })
                .await?;
            if loaded == 0 {
                slab = Slab::default();
            }
            let mut s = self.write();
            s.next_version += 1;
            slab.version = s.next_version;
            s.slabs.insert(month, Arc::new(slab));
        }
        Ok(directory)
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

    /// Loads the published snapshots of `range` (after [`KpiCache::prepare`]); false when a
    /// month of it is not published.
    pub(super) async fn prepare_published(
        &self,
        store: &dyn Store,
        range: MonthRange,
    ) -> StoreResult<bool> {
        let _one = self.loading.lock().await;
        let publications = self.publications(store).await?;
        if !range.months().all(|m| publications.contains_key(&m)) {
            return Ok(false);
        }
        let Some(directory) = self.read().directory.clone() else {
            return Ok(false);
        };
        for month in range.months() {
            if self.read().published.contains_key(&month) {
                continue;
            }
            let members = store.published_members(month).await?;
            let holds = store.month_holds(month).await?;
            let mut s = self.write();
            let version = publications.get(&month).copied().unwrap_or(0);
            let ids = Arc::make_mut(&mut s.groups);
            let p = PublishedMonth::new(version, &members, &holds, &directory, ids);
            s.published.insert(month, Arc::new(p));
        }
        Ok(true)
    }

    /// Each dealer's live groups in every month of `range`.
    pub(super) fn live_members(
        &self,
        directory: &Directory,
        range: MonthRange,
    ) -> Vec<Arc<Vec<Slot>>> {
        {
            let s = self.read();
            let hits: Option<Vec<_>> = range
                .months()
                .map(|m| s.live_members.get(&m).cloned())
                .collect();
            if let Some(hits) = hits {
                return hits;
            }
        }
        let mut s = self.write();
        range
            .months()
            .map(|m| {
                if let Some(hit) = s.live_members.get(&m) {
                    return hit.clone();
                }
                let ids = Arc::make_mut(&mut s.groups);
                let members = Arc::new(directory.live_members(m, ids));
                s.live_members.insert(m, members.clone());
                members
            })
            .collect()
    }
}
