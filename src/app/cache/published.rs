//! A published month as the cache keeps it: the membership snapshot and the held facts,
//! laid over the month's live slab.

use std::collections::HashMap;

use super::directory::Directory;
use super::groups::{GroupIds, Slot};
use super::period::Holds;
use crate::domain::kpi::KPIS;
use crate::store::{HeldFact, PublishedMember};

/// A published month: who was in which group, and the published values of the facts
/// written since.
#[derive(Clone)]
pub struct PublishedMonth {
    /// The publication's version (0: not published).
    pub version: i32,
    pub members: Vec<Slot>,
    pub holds: Holds,
    /// Its sums (they do not move with writes: the published values are held).
    pub sums: super::sums::LazySums,
}

/// The slab position of a held fact, if its dealer and KPI are known.
fn position(directory: &Directory, h: &HeldFact) -> Option<usize> {
    let k = KPIS.iter().position(|d| d.id == h.kpi)?;
    let i = *directory.index.get(&h.dealer_code)?;
    Some(k * directory.len() + i)
}

impl PublishedMonth {
    /// Lays the stored snapshot out by dealer slot (dealers unknown to the directory, which
    /// cannot be shown anyway, are left out).
    pub fn new(
        version: i32,
        members: &[PublishedMember],
        holds: &[HeldFact],
        directory: &Directory,
        ids: &mut GroupIds,
    ) -> PublishedMonth {
        let mut slots = vec![None; directory.len()];
        for m in members {
            if let Some(&i) = directory.index.get(&m.dealer_code) {
                let g = &m.groups;
                slots[i] = Some((
                    ids.region_id(&g.region_code),
                    ids.peer_id(&g.brand, g.size_tier),
                ));
            }
        }
        let holds = holds
            .iter()
            .filter_map(|h| Some((position(directory, h)?, h.value)))
            .collect();
        PublishedMonth {
            version,
            members: slots,
            holds,
            sums: Default::default(),
        }
    }

    /// Bytes held (for the cache's memory budget).
    pub fn bytes(&self) -> usize {
        self.members.capacity() * std::mem::size_of::<Slot>() + self.holds.capacity() * 40 + 64
    }

    /// Replaces one dealer's held facts (after a write to its facts).
    pub fn replace_holds(&mut self, directory: &Directory, dealer: usize, holds: &[HeldFact]) {
        let n = directory.len();
        for k in 0..KPIS.len() {
            self.holds.remove(&(k * n + dealer));
        }
        let fresh: HashMap<usize, _> = holds
            .iter()
            .filter_map(|h| Some((position(directory, h)?, h.value)))
            .collect();
        self.holds.extend(fresh);
    }
}
