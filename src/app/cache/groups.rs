//! Small integer ids for regions and peer groups, so that per-dealer membership fits in
//! two `u16`s a month.

use std::collections::HashMap;

use crate::domain::{Group, SizeTier};

/// A dealer's groups in one month: region id and peer-group id.
pub type Slot = Option<(u16, u16)>;

/// The ids of every region and peer group seen so far. Ids are stable for the life of the
/// cache (the table only grows), so results computed earlier stay readable.
#[derive(Debug, Clone, Default)]
pub struct GroupIds {
    regions: Vec<String>,
    peers: Vec<(String, SizeTier)>,
    region_index: HashMap<String, u16>,
    peer_index: HashMap<(String, SizeTier), u16>,
}

impl GroupIds {
    pub fn region_id(&mut self, code: &str) -> u16 {
        if let Some(&id) = self.region_index.get(code) {
            return id;
        }
        let id = self.regions.len() as u16;
        self.regions.push(code.to_string());
        self.region_index.insert(code.to_string(), id);
        id
    }

    pub fn peer_id(&mut self, brand: &str, tier: SizeTier) -> u16 {
        let key = (brand.to_string(), tier);
        if let Some(&id) = self.peer_index.get(&key) {
            return id;
        }
        let id = self.peers.len() as u16;
        self.peers.push(key.clone());
        self.peer_index.insert(key, id);
        id
    }

    pub fn find_region(&self, code: &str) -> Option<u16> {
        self.region_index.get(code).copied()
    }

    pub fn find_peer(&self, brand: &str, tier: SizeTier) -> Option<u16> {
        self.peer_index.get(&(brand.to_string(), tier)).copied()
    }

    pub fn region(&self, id: u16) -> &str {
        &self.regions[usize::from(id)]
    }

    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// How many peer groups have an id.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// A group as the kind of membership it is and its id (`None` for the nation); `Err`
    /// for a group no dealer has ever been in.
    pub fn lookup(&self, group: &Group) -> Result<Option<GroupId>, ()> {
        match group {
            Group::Nation => Ok(None),
            Group::Region(r) => self
                .find_region(r)
                .map(|id| Some(GroupId::Region(id)))
                .ok_or(()),
            Group::Peer { brand, size_tier } => self
                .find_peer(brand, *size_tier)
                .map(|id| Some(GroupId::Peer(id)))
                .ok_or(()),
        }
    }
}

/// A region or a peer group by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupId {
    Region(u16),
    Peer(u16),
}
