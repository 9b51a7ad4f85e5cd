//! Every KPI of a period digested for scorecards (see [`KpiDigest`]), kept in a memo of
//! their own: the first scorecard of a period reads every KPI's sums once, the scorecards
//! of the period's other dealers read about two bytes a dealer and KPI.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::directory::Directory;
use super::groups::{GroupId, GroupIds};
use super::period::{KpiDigest, RegionMembers};
use super::queries::{changed_network, ATTEMPTS};
use super::{DigestKey, KpiCache, View};
use crate::domain::kpi::KPIS;
use crate::domain::stats::{Aggregate, Tally};
use crate::domain::{Group, Month, MonthRange, Period};
use crate::store::prelude::*;
use crate::store::StoreResult;

/// Every KPI of one period, digested.
pub struct PeriodDigest {
    pub directory: Arc<Directory>,
    pub groups: Arc<GroupIds>,
    pub membership: RegionMembers,
    /// By KPI, in catalog order.
    pub kpis: Vec<KpiDigest>,
    /// What it was computed from (as a KPI period's versions).
    versions: Vec<u64>,
}

impl PeriodDigest {
    /// Bytes held, roughly (for the memo's budget).
    pub fn bytes(&self) -> usize {
        self.membership.bytes() + self.kpis.iter().map(KpiDigest::bytes).sum::<usize>()
    }

    /// A group as the digest knows it: looked up once for every KPI.
    pub fn group(&self, group: &Group) -> DigestGroup {
        DigestGroup(self.groups.lookup(group).ok())
    }

    /// KPI `k`'s aggregate of a group: empty for a group without members in the period.
    pub fn aggregate(&self, k: usize, group: DigestGroup) -> Aggregate {
        group
            .0
            .and_then(|id| self.kpis.get(k)?.aggregate(id))
            .cloned()
            .unwrap_or_else(|| Tally::default().finish(&KPIS[k]).0)
    }
}

/// A group's id in a digest (`Some(None)`: the nation; `None`: a group no dealer has ever
/// been in).
#[derive(Debug, Clone, Copy)]
pub struct DigestGroup(Option<Option<GroupId>>);

impl DigestGroup {
    /// The region's id, for a region.
    pub fn region(self) -> Option<u16> {
        match self.0 {
            Some(Some(GroupId::Region(g))) => Some(g),
            _ => None,
        }
    }
}

impl KpiCache {
    /// Every KPI of `period` digested, live or as published (`None`: a month of it is not
    /// published yet). From the memo while the months it was computed from are unchanged.
    pub async fn period_digest(
        &self,
        store: &dyn Store,
        period: Period,
        view: View,
    ) -> StoreResult<Option<Arc<PeriodDigest>>> {
        let range = period.range;
        let key = (range.from, range.to, view);
        let publications = match view {
            View::Published => self.publications(store).await?,
            View::Live => Default::default(),
        };
        if let Some(hit) = self.recall_digest(&key, &publications) {
            return Ok(Some(hit));
        }
        // One build per period at a time: who asks meanwhile waits for it, then reads it.
        let lock = self.digest_locks.get(key);
        let built = {
            let _one = lock.lock().await;
            match self.recall_digest(&key, &publications) {
                Some(hit) => Ok(Some(hit)),
                None => self.digest(store, period, view).await,
            }
        };
        self.digest_locks.release(&key, lock);
        built
    }

    /// The kept digest of `key`, if the months it was computed from are unchanged.
    fn recall_digest(
        &self,
        key: &DigestKey,
        publications: &BTreeMap<Month, i32>,
    ) -> Option<Arc<PeriodDigest>> {
        let (from, to, view) = *key;
        let v = self.versions(MonthRange::new(from, to)?, view, publications)?;
        let now = self.now();
        self.read().digests.get(key, now, |d| d.versions == v)
    }

    /// Builds the digest of every KPI of `period` and keeps it (unless a write landed
    /// between two KPIs).
    async fn digest(
        &self,
        store: &dyn Store,
        period: Period,
        view: View,
    ) -> StoreResult<Option<Arc<PeriodDigest>>> {
        let range = period.range;
        let key = (range.from, range.to, view);
        let started = std::time::Instant::now();
        'attempt: for _ in 0..ATTEMPTS {
            let mut kpis = Vec::with_capacity(KPIS.len());
            let mut first = None;
            let mut groups = None;
            // A write between two KPIs: the digest answers, but is not kept.
            let mut consistent = true;
            for def in KPIS.iter() {
                let Some(p) = self.period_kept(store, def, period, view, false).await? else {
                    return Ok(None);
                };
                kpis.push(p.digest());
                // A digest takes tens of milliseconds: let the requests waiting for this
                // worker run between two KPIs rather than after all of them.
                tokio::task::yield_now().await;
                groups = Some(p.groups.clone());
                let first = first.get_or_insert_with(|| p.clone());
                if !Arc::ptr_eq(&first.directory, &p.directory) {
                    continue 'attempt;
                }
                consistent &= first.versions == p.versions;
            }
            let (Some(first), Some(groups)) = (first, groups) else {
                return Ok(None);
            };
            let digest = Arc::new(PeriodDigest {
                directory: first.directory.clone(),
                groups,
                membership: first.region_members(),
                kpis,
                versions: first.versions.clone(),
            });
            let bytes = digest.bytes();
            tracing::debug!(
                from = %range.from,
                to = %range.to,
                ?view,
                bytes,
                micros = started.elapsed().as_micros() as u64,
                consistent,
                "period digested for scorecards"
            );
            if consistent {
                let now = self.now();
                self.write()
                    .digests
                    .insert(key, digest.clone(), bytes, now, self.budget.digests);
            }
            return Ok(Some(digest));
        }
        Err(changed_network())
    }
}
