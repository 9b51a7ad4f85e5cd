//! Every dealer with its region history: the index of a dealer is its slot in the slabs.

use std::collections::HashMap;

use super::groups::{GroupIds, Slot};
use crate::domain::network::region_at;
use crate::domain::{Dealer, Month, RegionAssignment};
use crate::store::prelude::*;
use crate::store::{DealerFilter, KeyPage, StoreResult};

/// The dealers, in slab order.
pub struct Directory {
    pub dealers: Vec<Dealer>,
    pub histories: Vec<Vec<RegionAssignment>>,
    pub index: HashMap<String, usize>,
    /// Dealer indexes in code order (byte order, as the databases sort codes).
    pub by_code: Vec<usize>,
    /// Each dealer's place in code order (ties of a ranking are broken by it).
    pub code_order: Vec<u32>,
}

impl Directory {
    /// Reads every dealer and region history.
    pub async fn load(store: &dyn Store) -> StoreResult<Directory> {
        let dealers: Vec<Dealer> = store
            .list_dealers(&DealerFilter::default(), KeyPage::all())
            .await?
            .into_iter()
            .map(|r| r.dealer)
            .collect();
        let mut histories: HashMap<String, Vec<RegionAssignment>> =
            store.region_histories(None).await?.into_iter().collect();
        let histories = dealers
            .iter()
            .map(|d| histories.remove(&d.code).unwrap_or_default())
            .collect();
        Ok(Directory::new(dealers, histories))
    }

    pub fn new(dealers: Vec<Dealer>, histories: Vec<Vec<RegionAssignment>>) -> Directory {
        let index = dealers
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();
        let mut by_code: Vec<usize> = (0..dealers.len()).collect();
        by_code.sort_by(|a, b| dealers[*a].code.cmp(&dealers[*b].code));
        let mut code_order = vec![0; dealers.len()];
        for (place, &i) in by_code.iter().enumerate() {
            code_order[i] = place as u32;
        }
        Directory {
            dealers,
            histories,
            index,
            by_code,
            code_order,
        }
    }

    pub fn len(&self) -> usize {
        self.dealers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dealers.is_empty()
    }

    /// Dealer `i`'s region in `month`.
    pub fn region_at(&self, i: usize, month: Month) -> Option<&str> {
        region_at(&self.histories[i], month)
    }

    /// Each dealer's groups in `month` as they are now (live): none when it is not open.
    pub fn live_members(&self, month: Month, ids: &mut GroupIds) -> Vec<Slot> {
        self.dealers
            .iter()
            .zip(&self.histories)
            .map(|(d, h)| {
                if !d.is_active(month) {
                    return None;
                }
                let region = region_at(h, month)?;
                Some((ids.region_id(region), ids.peer_id(&d.brand, d.size_tier)))
            })
            .collect()
    }
}
