//! Groups of dealers that KPIs are compared over: the nation, a region (大区), a peer group.

use super::network::SizeTier;

/// A group of dealers a ranking or an aggregate is taken over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Every dealer (全国).
    Nation,
    /// The dealers of one region in the months concerned.
    Region(String),
    /// The dealers of one brand and size tier (同类经销商).
    Peer { brand: String, size_tier: SizeTier },
}

impl Group {
    /// A peer group.
    pub fn peer(brand: &str, size_tier: SizeTier) -> Group {
        Group::Peer {
            brand: brand.to_string(),
            size_tier,
        }
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Group::Nation => write!(f, "the nation"),
            Group::Region(r) => write!(f, "region {r}"),
            Group::Peer { brand, size_tier } => {
                write!(f, "peer group {brand} {}", size_tier.as_str())
            }
        }
    }
}
