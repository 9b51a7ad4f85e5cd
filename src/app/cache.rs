//! The in-memory KPI cache: every dealer's numerator and denominator per KPI and month, in
//! flat arrays, so that a ranking, a scorecard or a benchmark sums and sorts in memory
//! instead of scanning the database.
//!
//! It stays correct with several replicas on one database: every write appends to the
//! database's change log in its own transaction, and each query first reads the log past
//! the last entry it applied (one indexed query), reloading only what changed. A sequence
//! number seen missing (a transaction that committed after a later one) is asked for again
//! for a while, so no change is skipped.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::kpi::Member;
use crate::domain::kpi::Direction;
use crate::domain::kpi::{FactValue, KpiDef, Unavailable, KPIS};
use crate::domain::network::region_at;
use crate::domain::stats::{aggregate, standings, Aggregate, Pair, Standing};
use crate::domain::{Dealer, Month, MonthRange, Period, RegionAssignment};
use crate::store::{ChangeKind, DealerFilter, FactQuery, FactRow, Store, StoreResult};

/// How long a missing change-log sequence number is asked for again.
const GAP_PATIENCE: Duration = Duration::from_secs(60);
/// How far back a fresh cache looks for missing change-log numbers.
const GAP_WINDOW: i64 = 1000;
/// Most KPI-period results kept.
const MEMO_LIMIT: usize = 256;

/// Every dealer with its region history; the index of a dealer is its slot in the slabs.
pub struct Directory {
    pub dealers: Vec<Dealer>,
    pub histories: Vec<Vec<RegionAssignment>>,
    pub index: HashMap<String, usize>,
    /// Every region code in the histories; `region_ids` point into it.
    pub regions: Vec<String>,
    /// Dealer indexes in code order (byte order, as the databases sort codes).
    pub by_code: Vec<usize>,
}

impl Directory {
    /// Each dealer's region in `month`, as an index into `regions`.
    fn region_ids(&self, month: Month) -> Vec<Option<u16>> {
        self.histories
            .iter()
            .map(|h| {
                region_at(h, month)
                    .and_then(|r| self.regions.iter().position(|x| x == r))
                    .map(|i| i as u16)
            })
            .collect()
    }
}

/// Each dealer's region in one month, as an index into [`Directory::regions`].
type RegionIds = Arc<Vec<Option<u16>>>;

/// One month: `pairs[kpi position × dealers + dealer index]`, denominator 0 when no value;
/// empty for a month without any fact (so that asking for old months costs no memory).
/// `kinds` and `stamp_of` (same positions) say which facts exist, why a value is missing
/// and when each was written, so that BI fact pages are served from here too.
#[derive(Clone, Default)]
struct Slab {
    pairs: Vec<(i64, i64)>,
    kinds: Vec<u8>,
    stamp_of: Vec<u32>,
    /// Distinct `updated_at` values; facts written together share one.
    stamps: Vec<i64>,
    version: u64,
}

/// `kinds` entries: no fact, a value, or [`KIND_REASON`] + the reason's position.
const KIND_NONE: u8 = 0;
const KIND_VALUE: u8 = 1;
const KIND_REASON: u8 = 2;

impl Slab {
    fn pair(&self, at: usize) -> (i64, i64) {
        self.pairs.get(at).copied().unwrap_or((0, 0))
    }

    /// Makes room for every fact of `n` dealers (a month that had none).
    fn allocate(&mut self, n: usize) {
        if self.pairs.is_empty() {
            self.pairs = vec![(0, 0); KPIS.len() * n];
            self.kinds = vec![KIND_NONE; KPIS.len() * n];
            self.stamp_of = vec![0; KPIS.len() * n];
        }
    }

    fn set(&mut self, at: usize, value: FactValue, updated_at: i64) {
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

    fn clear(&mut self, at: usize) {
        self.pairs[at] = (0, 0);
        self.kinds[at] = KIND_NONE;
    }

    /// The fact at `at`: its value or reason and `updated_at`.
    fn fact(&self, at: usize) -> Option<(FactValue, i64)> {
        let kind = *self.kinds.get(at)?;
        let value = match kind {
            KIND_NONE => return None,
            KIND_VALUE => Ok(self.pairs[at]),
            r => Err(*Unavailable::ALL.get(usize::from(r - KIND_REASON))?),
        };
        Some((value, self.stamps[self.stamp_of[at] as usize]))
    }
}

#[derive(Default)]
struct State {
    last_seq: i64,
    gaps: Vec<(i64, Instant)>,
    directory: Option<Arc<Directory>>,
    slabs: HashMap<Month, Arc<Slab>>,
    next_version: u64,
    members: HashMap<(Month, Month), Arc<Vec<Member>>>,
    region_ids: HashMap<Month, RegionIds>,
    memo: HashMap<(i16, Month, Month), Arc<KpiPeriod>>,
}

impl State {
    fn drop_facts(&mut self) {
        self.slabs.clear();
        self.memo.clear();
    }

    fn drop_all(&mut self) {
        self.drop_facts();
        self.directory = None;
        self.members.clear();
        self.region_ids.clear();
    }

    fn versions(&self, range: MonthRange) -> Vec<u64> {
        range
            .months()
            .map(|m| self.slabs.get(&m).map_or(0, |s| s.version))
            .collect()
    }
}

/// The KPI cache of one process.
#[derive(Default)]
pub struct KpiCache {
    state: RwLock<State>,
    /// One sync or load at a time.
    loading: tokio::sync::Mutex<()>,
}

fn kpi_position(id: i16) -> Option<usize> {
    KPIS.iter().position(|k| k.id == id)
}

impl KpiCache {
    /// Applies the change log since the last sync.
    async fn sync(&self, store: &dyn Store) -> StoreResult<()> {
        let (after, gaps, empty): (i64, Vec<i64>, bool) = {
            let s = self.state.read().expect("cache lock");
            (
                s.last_seq,
                s.gaps.iter().map(|g| g.0).collect(),
                s.directory.is_none(),
            )
        };
        if empty {
            // Nothing cached, nothing to invalidate: skip the log's history, but remember the
            // recent numbers missing from it (transactions that may still commit).
            let last = store.last_change().await?;
            let window = (last - GAP_WINDOW).max(after);
            let seen: std::collections::HashSet<i64> = store
                .changes_since(window, &[])
                .await?
                .iter()
                .map(|c| c.seq)
                .collect();
            let now = Instant::now();
            let mut s = self.state.write().expect("cache lock");
            s.gaps.extend(
                (window + 1..=last)
                    .filter(|q| !seen.contains(q))
                    .map(|q| (q, now)),
            );
            s.last_seq = s.last_seq.max(last);
            return Ok(());
        }
        let changes = store.changes_since(after, &gaps).await?;
        if changes.is_empty() {
            return Ok(());
        }
        let mut dealers: Vec<(String, Month, Month)> = Vec::new();
        {
            let mut s = self.state.write().expect("cache lock");
            let max = changes
                .iter()
                .map(|c| c.seq)
                .max()
                .unwrap_or(after)
                .max(after);
            let seen: std::collections::HashSet<i64> = changes.iter().map(|c| c.seq).collect();
            let now = Instant::now();
            s.gaps
                .retain(|(g, at)| !seen.contains(g) && now.duration_since(*at) < GAP_PATIENCE);
            s.gaps.extend(
                (after + 1..max)
                    .filter(|q| !seen.contains(q))
                    .map(|q| (q, now)),
            );
            s.last_seq = max;
            for c in &changes {
                match (c.kind, &c.dealer_code) {
                    (ChangeKind::Network, _) => s.drop_all(),
                    (ChangeKind::Facts, None) => s.drop_facts(),
                    (ChangeKind::Facts, Some(d)) => {
                        if let (Some(from), Some(to)) = (c.from, c.to) {
                            dealers.push((d.clone(), from, to));
                        }
                    }
                }
            }
        }
        for (dealer, from, to) in dealers {
            let loaded: Vec<Month> = {
                let s = self.state.read().expect("cache lock");
                let mut m: Vec<Month> = s
                    .slabs
                    .keys()
                    .copied()
                    .filter(|m| *m >= from && *m <= to)
                    .collect();
                m.sort();
                m
            };
            let (Some(first), Some(last)) = (loaded.first(), loaded.last()) else {
                continue;
            };
            let facts = store.dealer_facts(&dealer, *first, *last).await?;
            let mut s = self.state.write().expect("cache lock");
            let Some(idx) = s
                .directory
                .as_ref()
                .and_then(|d| d.index.get(&dealer).copied())
            else {
                s.drop_all();
                continue;
            };
            let n = s.directory.as_ref().map_or(0, |d| d.dealers.len());
            for month in loaded {
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
                    if let Some(k) = kpi_position(f.kpi) {
                        slab.set(k * n + idx, f.value, f.updated_at);
                    }
                }
                slab.version = version;
            }
            s.memo.retain(|(_, a, b), _| !(from <= *b && *a <= to));
        }
        Ok(())
    }

    /// Applies what other writers (this process included) changed since the last look.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let _one = self.loading.lock().await;
        self.sync(store).await
    }

    /// Loads the directory and the months of `range` ahead of the first query.
    pub async fn warm(&self, store: &dyn Store, range: MonthRange) -> StoreResult<()> {
        self.refresh(store).await?;
        // Month by month, so that queries are not held up for the whole load.
        for m in range.months() {
            self.prepare(store, MonthRange { from: m, to: m }).await?;
        }
        Ok(())
    }

    /// Loads what `range` needs (call [`KpiCache::refresh`] first, once per request).
    async fn prepare(&self, store: &dyn Store, range: MonthRange) -> StoreResult<Arc<Directory>> {
        let _one = self.loading.lock().await;
        let existing = self.state.read().expect("cache lock").directory.clone();
        let directory = match existing {
            Some(d) => d,
            None => {
                // Read the log position first: anything written after it is applied next time.
                let seq = store.last_change().await?;
                let filter = DealerFilter::default();
                let dealers: Vec<Dealer> = store
                    .list_dealers(&filter, None, i64::MAX)
                    .await?
                    .into_iter()
                    .map(|r| r.dealer)
                    .collect();
                let mut histories: HashMap<String, Vec<RegionAssignment>> =
                    store.region_histories(None).await?.into_iter().collect();
                let index = dealers
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (d.code.clone(), i))
                    .collect();
                let histories: Vec<Vec<RegionAssignment>> = dealers
                    .iter()
                    .map(|d| histories.remove(&d.code).unwrap_or_default())
                    .collect();
                let mut regions: Vec<String> = histories
                    .iter()
                    .flatten()
                    .map(|a| a.region_code.clone())
                    .collect();
                regions.sort();
                regions.dedup();
                let mut by_code: Vec<usize> = (0..dealers.len()).collect();
                by_code.sort_by(|a, b| dealers[*a].code.cmp(&dealers[*b].code));
                let d = Arc::new(Directory {
                    dealers,
                    histories,
                    index,
                    regions,
                    by_code,
                });
                let mut s = self.state.write().expect("cache lock");
                s.drop_all();
                s.directory = Some(d.clone());
                s.last_seq = s.last_seq.max(seq);
                d
            }
        };
        let n = directory.dealers.len();
        for month in range.months() {
            if self
                .state
                .read()
                .expect("cache lock")
                .slabs
                .contains_key(&month)
            {
                continue;
            }
            let mut slab = Slab::default();
            slab.allocate(n);
            let positions: HashMap<i16, usize> =
                KPIS.iter().enumerate().map(|(k, d)| (d.id, k)).collect();
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
            let mut s = self.state.write().expect("cache lock");
            s.next_version += 1;
            let version = s.next_version;
            slab.version = version;
            s.slabs.insert(month, Arc::new(slab));
        }
        Ok(directory)
    }

    /// A KPI over a period for the whole network, from memory (computed once per version).
    /// As of the last [`KpiCache::refresh`].
    pub async fn period(
        &self,
        store: &dyn Store,
        kpi: &'static KpiDef,
        period: Period,
    ) -> StoreResult<Arc<KpiPeriod>> {
        let range = period.range;
        let directory = self.prepare(store, range).await?;
        let key = (kpi.id, range.from, range.to);
        let (slabs, versions, members) = {
            let s = self.state.read().expect("cache lock");
            let versions = s.versions(range);
            if let Some(hit) = s.memo.get(&key).filter(|p| p.versions == versions) {
                return Ok(hit.clone());
            }
            let slabs: Vec<Arc<Slab>> = range
                .months()
                .filter_map(|m| s.slabs.get(&m).cloned())
                .collect();
            (
                slabs,
                versions,
                s.members.get(&(range.from, range.to)).cloned(),
            )
        };
        let members = match members {
            Some(m) => m,
            None => {
                let m = Arc::new(members_of(&directory, range));
                let mut s = self.state.write().expect("cache lock");
                if s.members.len() >= MEMO_LIMIT {
                    s.members.clear();
                }
                s.members.insert((range.from, range.to), m.clone());
                m
            }
        };
        let n = directory.dealers.len();
        let k = kpi_position(kpi.id).expect("catalog KPI");
        let mut pairs: Vec<Option<Pair>> = vec![None; n];
        for slab in &slabs {
            for (i, p) in pairs.iter_mut().enumerate() {
                let (num, den) = slab.pair(k * n + i);
                if den != 0 {
                    let acc = p.get_or_insert(Pair { num: 0, den: 0 });
                    acc.num = acc.num.saturating_add(num);
                    acc.den = acc.den.saturating_add(den);
                }
            }
        }
        for (i, m) in members.iter().enumerate() {
            if !m.active {
                pairs[i] = None;
            }
        }
        let result = Arc::new(KpiPeriod::new(
            kpi, period, directory, members, pairs, versions,
        ));
        let mut s = self.state.write().expect("cache lock");
        if s.memo.len() >= MEMO_LIMIT {
            s.memo.clear();
        }
        s.memo.insert(key, result.clone());
        Ok(result)
    }

    /// Per month of `range`, the sums of one KPI by region and for the nation, each dealer
    /// counted in its region of that month (no sorting: cheap enough without memo).
    pub async fn monthly_groups(
        &self,
        store: &dyn Store,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> StoreResult<Vec<MonthGroups>> {
        let directory = self.prepare(store, range).await?;
        let slabs: Vec<(Month, Arc<Slab>, RegionIds)> = {
            let mut s = self.state.write().expect("cache lock");
            range
                .months()
                .filter_map(|m| {
                    let slab = s.slabs.get(&m)?.clone();
                    let ids = s
                        .region_ids
                        .entry(m)
                        .or_insert_with(|| Arc::new(directory.region_ids(m)))
                        .clone();
                    Some((m, slab, ids))
                })
                .collect()
        };
        let n = directory.dealers.len();
        let k = kpi_position(kpi.id).expect("catalog KPI");
        Ok(slabs
            .into_iter()
            .map(|(month, slab, ids)| {
                let mut sums = vec![(0i64, 0i64, 0i64); directory.regions.len()];
                let mut nation = (0i64, 0i64, 0i64);
                for (i, region) in ids.iter().enumerate() {
                    let (num, den) = slab.pair(k * n + i);
                    if den <= 0 {
                        continue;
                    }
                    nation = (nation.0 + num, nation.1 + den, nation.2 + 1);
                    if let Some(r) = region {
                        let e = &mut sums[usize::from(*r)];
                        *e = (e.0 + num, e.1 + den, e.2 + 1);
                    }
                }
                let regions = directory
                    .regions
                    .iter()
                    .cloned()
                    .zip(sums)
                    .filter(|(_, x)| x.2 > 0)
                    .collect();
                MonthGroups {
                    month,
                    regions,
                    nation,
                }
            })
            .collect())
    }

    /// One dealer's value of one KPI for each month of `range` (a pair with a positive
    /// denominator, or why there is none), with its region history; `None` for an unknown
    /// dealer.
    pub async fn dealer_series(
        &self,
        store: &dyn Store,
        dealer: &str,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> StoreResult<Option<DealerSeries>> {
        let directory = self.prepare(store, range).await?;
        let Some(&i) = directory.index.get(dealer) else {
            return Ok(None);
        };
        let (n, k) = (
            directory.dealers.len(),
            kpi_position(kpi.id).expect("catalog KPI"),
        );
        let s = self.state.read().expect("cache lock");
        let values = range
            .months()
            .map(|m| {
                let fact = s.slabs.get(&m).and_then(|slab| slab.fact(k * n + i));
                match fact {
                    None => Err(Unavailable::MissingReport),
                    Some((Ok((num, den)), _)) if den > 0 => Ok(Pair { num, den }),
                    Some((Ok(_), _)) => Err(Unavailable::ZeroDenominator),
                    Some((Err(u), _)) => Err(u),
                }
            })
            .collect();
        Ok(Some(DealerSeries {
            values,
            history: directory.histories[i].clone(),
        }))
    }

    /// A page of facts from memory, in the order of the stored pages (KPI id, month, dealer
    /// code), when every month of the query is loaded; `None` otherwise (read the database).
    /// As of the last [`KpiCache::refresh`].
    pub fn fact_page(&self, q: &FactQuery) -> Option<Vec<FactRow>> {
        let range = MonthRange::new(q.from, q.to)?;
        let (directory, slabs, ids) = {
            let mut s = self.state.write().expect("cache lock");
            let directory = s.directory.clone()?;
            let mut slabs = Vec::with_capacity(range.len());
            let mut ids = Vec::with_capacity(range.len());
            for m in range.months() {
                slabs.push(s.slabs.get(&m)?.clone());
                ids.push(
                    s.region_ids
                        .entry(m)
                        .or_insert_with(|| Arc::new(directory.region_ids(m)))
                        .clone(),
                );
            }
            (directory, slabs, ids)
        };
        let n = directory.dealers.len();
        let regions: Option<Vec<u16>> = q.regions.as_ref().map(|rs| {
            rs.iter()
                .filter_map(|r| directory.regions.iter().position(|x| x == r))
                .map(|i| i as u16)
                .collect()
        });
        let only = match &q.dealer {
            Some(d) => Some(directory.index.get(d).copied()?),
            None => None,
        };
        let mut out = Vec::new();
        let (start_kpi, start_month, start_dealer) = match &q.after {
            Some((k, m, d)) => (*k, *m, Some(d.as_str())),
            None => (i16::MIN, q.from, None),
        };
        for &kpi in q.kpis.iter().filter(|&&k| k >= start_kpi) {
            let Some(k) = kpi_position(kpi) else { continue };
            for (step, month) in range.months().enumerate() {
                let resume = kpi == start_kpi && month <= start_month;
                if resume && month < start_month {
                    continue;
                }
                let (slab, ids) = (&slabs[step], &ids[step]);
                if slab.kinds.is_empty() {
                    continue;
                }
                let first = match (resume, start_dealer) {
                    (true, Some(after)) => directory
                        .by_code
                        .partition_point(|&i| directory.dealers[i].code.as_str() <= after),
                    _ => 0,
                };
                for &i in &directory.by_code[first..] {
                    if only.is_some_and(|o| o != i) {
                        continue;
                    }
                    let Some(region) = ids[i] else { continue };
                    if regions.as_ref().is_some_and(|rs| !rs.contains(&region)) {
                        continue;
                    }
                    let Some((value, updated_at)) = slab.fact(k * n + i) else {
                        continue;
                    };
                    if q.updated_since.is_some_and(|t| updated_at < t) {
                        continue;
                    }
                    out.push(FactRow {
                        kpi,
                        month,
                        dealer_code: directory.dealers[i].code.clone(),
                        region_code: directory.regions[usize::from(region)].clone(),
                        value,
                        updated_at,
                    });
                    if out.len() >= q.limit {
                        return Some(out);
                    }
                }
            }
        }
        Some(out)
    }

    /// One dealer's summed pair for every KPI (catalog order) over `range`.
    pub async fn dealer_pairs(
        &self,
        store: &dyn Store,
        dealer: &str,
        range: MonthRange,
    ) -> StoreResult<Vec<Option<Pair>>> {
        let directory = self.prepare(store, range).await?;
        let mut out = vec![None; KPIS.len()];
        let Some(&i) = directory.index.get(dealer) else {
            return Ok(out);
        };
        let n = directory.dealers.len();
        let s = self.state.read().expect("cache lock");
        for month in range.months() {
            let Some(slab) = s.slabs.get(&month) else {
                continue;
            };
            for (k, acc) in out.iter_mut().enumerate() {
                let (num, den) = slab.pair(k * n + i);
                if den > 0 {
                    let p = acc.get_or_insert(Pair { num: 0, den: 0 });
                    p.num = p.num.saturating_add(num);
                    p.den = p.den.saturating_add(den);
                }
            }
        }
        Ok(out)
    }
}

/// A dealer's monthly values of one KPI and its region history.
pub struct DealerSeries {
    pub values: Vec<Result<Pair, Unavailable>>,
    pub history: Vec<RegionAssignment>,
}

/// Sums of one month for series.
pub struct MonthGroups {
    pub month: Month,
    pub regions: HashMap<String, (i64, i64, i64)>,
    pub nation: (i64, i64, i64),
}

/// The dealers as seen for a range: region in its last month, active at some point of it.
fn members_of(directory: &Directory, range: MonthRange) -> Vec<Member> {
    directory
        .dealers
        .iter()
        .zip(&directory.histories)
        .map(|(d, h)| Member {
            code: d.code.clone(),
            name: d.name.clone(),
            region_code: region_at(h, range.to).map(str::to_string),
            brand: d.brand.clone(),
            size_tier: d.size_tier,
            active: d.opened <= range.to && d.closed.is_none_or(|c| c >= range.from),
        })
        .collect()
}

/// One KPI over one period for every dealer, with the nation's and regions' statistics.
pub struct KpiPeriod {
    pub kpi: &'static KpiDef,
    pub period: Period,
    pub members: Arc<Vec<Member>>,
    /// By member index: the summed pair when the dealer has a value.
    pub pairs: Vec<Option<Pair>>,
    pub values: Vec<Option<f64>>,
    versions: Vec<u64>,
    directory: Arc<Directory>,
    /// Peer-group aggregates, computed on first use.
    peers: std::sync::Mutex<HashMap<(String, crate::domain::SizeTier), Aggregate>>,
    /// Rankings by scope, sorted on first use: a ranking page then costs no sort.
    rankings: std::sync::Mutex<HashMap<super::Scope, Arc<Vec<Ranked>>>>,
    nation: Aggregate,
    /// Nation values, best first.
    nation_sorted: Vec<f64>,
    regions: HashMap<String, (Aggregate, Vec<f64>)>,
}

/// A scope's dealers with a value, best first.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub index: usize,
    pub pair: Pair,
    pub value: f64,
    pub standing: Standing,
}

impl KpiPeriod {
    fn new(
        kpi: &'static KpiDef,
        period: Period,
        directory: Arc<Directory>,
        members: Arc<Vec<Member>>,
        pairs: Vec<Option<Pair>>,
        versions: Vec<u64>,
    ) -> KpiPeriod {
        let values: Vec<Option<f64>> = pairs
            .iter()
            .map(|p| p.and_then(|p| kpi.value(p.num, p.den)))
            .collect();
        let mut groups: HashMap<String, (Vec<Pair>, usize)> = HashMap::new();
        let mut all: (Vec<Pair>, usize) = (Vec::new(), 0);
        for (i, m) in members.iter().enumerate().filter(|(_, m)| m.active) {
            let g = m
                .region_code
                .as_ref()
                .map(|r| groups.entry(r.clone()).or_default());
            match (pairs[i], values[i]) {
                (Some(p), Some(_)) => {
                    all.0.push(p);
                    if let Some(g) = g {
                        g.0.push(p);
                    }
                }
                _ => {
                    all.1 += 1;
                    if let Some(g) = g {
                        g.1 += 1;
                    }
                }
            }
        }
        let sorted = |pairs: &[Pair]| {
            let mut v: Vec<f64> = pairs
                .iter()
                .filter_map(|p| kpi.value(p.num, p.den))
                .collect();
            match kpi.direction {
                Direction::HigherIsBetter => v.sort_by(|a, b| b.total_cmp(a)),
                Direction::LowerIsBetter => v.sort_by(f64::total_cmp),
            }
            v
        };
        let regions = groups
            .into_iter()
            .map(|(r, (pairs, missing))| (r, (aggregate(kpi, &pairs, missing), sorted(&pairs))))
            .collect();
        KpiPeriod {
            kpi,
            period,
            nation: aggregate(kpi, &all.0, all.1),
            nation_sorted: sorted(&all.0),
            members,
            pairs,
            values,
            versions,
            regions,
            directory,
            peers: Default::default(),
            rankings: Default::default(),
        }
    }

    fn in_scope(&self, i: usize, scope: &super::Scope) -> bool {
        let m = &self.members[i];
        m.active
            && match scope {
                super::Scope::Nation => true,
                super::Scope::Region(r) => m.region_code.as_ref() == Some(r),
                super::Scope::Peer { brand, size_tier } => {
                    &m.brand == brand && m.size_tier == *size_tier
                }
            }
    }

    /// The scope's aggregate.
    pub fn aggregate(&self, scope: &super::Scope) -> Aggregate {
        match scope {
            super::Scope::Nation => self.nation.clone(),
            super::Scope::Region(r) => self
                .regions
                .get(r)
                .map_or_else(|| aggregate(self.kpi, &[], 0), |g| g.0.clone()),
            super::Scope::Peer { brand, size_tier } => {
                let key = (brand.clone(), *size_tier);
                if let Some(a) = self.peers.lock().expect("peer lock").get(&key) {
                    return a.clone();
                }
                let idx: Vec<usize> = (0..self.members.len())
                    .filter(|&i| self.in_scope(i, scope))
                    .collect();
                let pairs: Vec<Pair> = idx
                    .iter()
                    .filter(|&&i| self.values[i].is_some())
                    .filter_map(|&i| self.pairs[i])
                    .collect();
                let a = aggregate(self.kpi, &pairs, idx.len() - pairs.len());
                self.peers.lock().expect("peer lock").insert(key, a.clone());
                a
            }
        }
    }

    /// The standing of dealer `i` in the nation or its region (binary search, no sort).
    pub fn standing(&self, i: usize, scope: &super::Scope) -> Option<Standing> {
        let v = self.values[i]?;
        if !self.in_scope(i, scope) {
            return None;
        }
        let sorted = match scope {
            super::Scope::Nation => &self.nation_sorted,
            super::Scope::Region(r) => &self.regions.get(r)?.1,
            _ => {
                return self
                    .ranked(scope)
                    .iter()
                    .find(|r| r.index == i)
                    .map(|r| r.standing)
            }
        };
        let better = match self.kpi.direction {
            Direction::HigherIsBetter => sorted.partition_point(|x| *x > v),
            Direction::LowerIsBetter => sorted.partition_point(|x| *x < v),
        };
        let not_worse = match self.kpi.direction {
            Direction::HigherIsBetter => sorted.partition_point(|x| *x >= v),
            Direction::LowerIsBetter => sorted.partition_point(|x| *x <= v),
        };
        let n = sorted.len();
        let percentile = if n > 1 {
            100.0 * (n - not_worse) as f64 / (n - 1) as f64
        } else {
            100.0
        };
        Some(Standing {
            rank: better + 1,
            percentile,
        })
    }

    /// The scope's dealers with a value, best first (ties share a rank, then by code);
    /// sorted once per scope.
    pub fn ranked(&self, scope: &super::Scope) -> Arc<Vec<Ranked>> {
        if let Some(hit) = self.rankings.lock().expect("ranking lock").get(scope) {
            return hit.clone();
        }
        let ranked = Arc::new(self.rank(scope));
        self.rankings
            .lock()
            .expect("ranking lock")
            .insert(scope.clone(), ranked.clone());
        ranked
    }

    fn rank(&self, scope: &super::Scope) -> Vec<Ranked> {
        let idx: Vec<usize> = (0..self.members.len())
            .filter(|&i| self.values[i].is_some() && self.in_scope(i, scope))
            .collect();
        let values: Vec<f64> = idx
            .iter()
            .map(|&i| self.values[i].unwrap_or_default())
            .collect();
        let mut out: Vec<Ranked> = idx
            .iter()
            .zip(standings(&values, self.kpi.direction))
            .map(|(&i, standing)| Ranked {
                index: i,
                pair: self.pairs[i].unwrap_or(Pair { num: 0, den: 0 }),
                value: self.values[i].unwrap_or_default(),
                standing,
            })
            .collect();
        out.sort_by(|a, b| {
            a.standing
                .rank
                .cmp(&b.standing.rank)
                .then_with(|| self.members[a.index].code.cmp(&self.members[b.index].code))
        });
        out
    }

    /// The scope's active dealers without a value.
    pub fn missing(&self, scope: &super::Scope) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&i| self.values[i].is_none() && self.in_scope(i, scope))
            .collect()
    }

    /// Index of a dealer.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.directory.index.get(code).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Region, SizeTier};
    use crate::store::{NewDealer, SqliteStore};

    fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// Five dealers in two regions (D3 moves to R2 in March), three months, three KPIs, with
    /// values, reasons, missing facts and several write times.
    async fn network() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cache.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let regions: Vec<Region> = ["R1", "R2"]
            .iter()
            .map(|r| Region {
                code: r.to_string(),
                name: r.to_string(),
            })
            .collect();
        // Created out of code order: the cache must still page in code order.
        let dealers: Vec<NewDealer> = ["D5", "D1", "D4", "D3", "D2"]
            .iter()
            .enumerate()
            .map(|(i, code)| NewDealer {
                dealer: Dealer {
                    code: code.to_string(),
                    name: format!("Dealer {code}"),
                    brand: "B".into(),
                    province: "P".into(),
                    city: "C".into(),
                    size_tier: SizeTier::Medium,
                    opened: month("2023-01"),
                    closed: None,
                },
                region_code: if i % 2 == 0 { "R1" } else { "R2" }.into(),
            })
            .collect();
        let moves = [("D3".to_string(), "R1".to_string(), month("2024-03"))];
        store
            .load_network(&regions, &dealers, &moves)
            .await
            .unwrap();
        let histories: HashMap<String, Vec<RegionAssignment>> = store
            .region_histories(None)
            .await
            .unwrap()
            .into_iter()
            .collect();
        let mut facts = Vec::new();
        for (m, name) in ["2024-01", "2024-02", "2024-03"].iter().enumerate() {
            for (k, def) in KPIS.iter().take(3).enumerate() {
                for (d, code) in ["D1", "D2", "D3", "D4", "D5"].iter().enumerate() {
                    let seed = (m * 15 + k * 5 + d) as i64;
                    if seed % 7 == 3 {
                        continue; // no fact: no report that month
                    }
                    let value = if seed % 5 == 1 {
                        Err(Unavailable::ALL[(seed as usize) % Unavailable::ALL.len()])
                    } else {
                        Ok((seed * 10, seed + 1))
                    };
                    let region = region_at(&histories[*code], month(name)).unwrap();
                    facts.push(FactRow {
                        kpi: def.id,
                        month: month(name),
                        dealer_code: code.to_string(),
                        region_code: region.to_string(),
                        value,
                        updated_at: 1000 + seed % 4,
                    });
                }
            }
        }
        store.load_facts(&facts).await.unwrap();
        (dir, store)
    }

    fn query(from: &str, to: &str, limit: usize) -> FactQuery {
        FactQuery {
            from: month(from),
            to: month(to),
            updated_since: None,
            kpis: KPIS.iter().take(3).map(|k| k.id).collect(),
            regions: None,
            dealer: None,
            after: None,
            limit,
        }
    }

    /// Every page of `q` from memory and from the database, following the cursors.
    async fn both(cache: &KpiCache, store: &SqliteStore, mut q: FactQuery) -> Vec<FactRow> {
        let mut all = Vec::new();
        loop {
            let memory = cache.fact_page(&q).expect("months are cached");
            let stored = store.fact_page(&q).await.unwrap();
            assert_eq!(memory, stored, "after {:?}", q.after);
            let Some(last) = memory.last() else { break };
            q.after = Some((last.kpi, last.month, last.dealer_code.clone()));
            let full = memory.len() == q.limit;
            all.extend(memory);
            if !full {
                break;
            }
        }
        all
    }

    #[tokio::test]
    async fn fact_pages_from_memory_equal_those_of_the_database() {
        let (_dir, store) = network().await;
        let cache = KpiCache::default();
        cache.refresh(&store).await.unwrap();
        // Not loaded yet: the caller must read the database.
        assert!(cache.fact_page(&query("2024-01", "2024-03", 10)).is_none());
        let range = MonthRange::new(month("2024-01"), month("2024-03")).unwrap();
        cache.warm(&store, range).await.unwrap();

        let everything = both(&cache, &store, query("2024-01", "2024-03", 1000)).await;
        assert!(everything.len() > 30, "{}", everything.len());
        assert!(everything.iter().any(|f| f.value.is_err()));
        // Small pages resume exactly where the cursor says.
        assert_eq!(
            both(&cache, &store, query("2024-01", "2024-03", 4)).await,
            everything
        );
        assert_eq!(
            both(&cache, &store, query("2024-01", "2024-03", 7)).await,
            everything
        );
        // One month, one region (D3 counts in R1 only from March), one dealer, recent writes.
        both(&cache, &store, query("2024-02", "2024-02", 3)).await;
        let mut q = query("2024-01", "2024-03", 5);
        q.regions = Some(vec!["R1".into()]);
        let r1 = both(&cache, &store, q).await;
        assert!(r1.iter().all(|f| f.region_code == "R1"));
        assert!(r1.iter().any(|f| f.dealer_code == "D3"));
        let mut q = query("2024-01", "2024-03", 5);
        q.regions = Some(vec![]);
        assert!(both(&cache, &store, q).await.is_empty());
        let mut q = query("2024-01", "2024-03", 5);
        q.dealer = Some("D3".into());
        let d3 = both(&cache, &store, q).await;
        assert!(!d3.is_empty() && d3.iter().all(|f| f.dealer_code == "D3"));
        let mut q = query("2024-01", "2024-03", 6);
        q.updated_since = Some(1002);
        let recent = both(&cache, &store, q).await;
        assert!(!recent.is_empty() && recent.iter().all(|f| f.updated_at >= 1002));
        let mut q = query("2024-01", "2024-03", 6);
        q.kpis = vec![KPIS[1].id];
        both(&cache, &store, q).await;
    }
}
