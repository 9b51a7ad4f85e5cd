//! Computed results kept for reuse within a byte budget: the least recently used go first.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Entry<V> {
    value: Arc<V>,
    bytes: usize,
    /// When last used, on the cache's clock.
    used: AtomicU64,
}

/// Results by key, with the bytes they hold.
pub(super) struct Memo<K, V> {
    entries: HashMap<K, Entry<V>>,
    bytes: usize,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            entries: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<K: Hash + Eq + Copy, V> Memo<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The result kept under `key` if `valid` says it still is, marked used at `now`.
    pub fn get(&self, key: &K, now: u64, valid: impl FnOnce(&V) -> bool) -> Option<Arc<V>> {
        let e = self.entries.get(key)?;
        if !valid(&e.value) {
            return None;
        }
        e.used.store(now, Ordering::Relaxed);
        Some(e.value.clone())
    }

    /// Keeps `value` (of `bytes`), then forgets the least recently used others until the
    /// memo fits in `budget` (the newest stays, even alone over it).
    pub fn insert(&mut self, key: K, value: Arc<V>, bytes: usize, now: u64, budget: usize) {
        let used = AtomicU64::new(now);
        if let Some(old) = self.entries.insert(key, Entry { value, bytes, used }) {
            self.bytes -= old.bytes;
        }
        self.bytes += bytes;
        while self.bytes > budget && self.entries.len() > 1 {
            let Some(victim) = self
                .entries
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.forget(&victim);
        }
    }

    pub fn forget(&mut self, key: &K) {
        if let Some(e) = self.entries.remove(key) {
            self.bytes -= e.bytes;
        }
    }

    /// Forgets the results whose key `drop` selects.
    pub fn forget_where(&mut self, drop: impl Fn(&K) -> bool) {
        let dropped: Vec<K> = self.entries.keys().filter(|k| drop(k)).copied().collect();
        for k in dropped {
            self.forget(&k);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first_and_the_newest_stays() {
        let mut m: Memo<u8, &str> = Memo::default();
        m.insert(1, Arc::new("a"), 40, 1, 100);
        m.insert(2, Arc::new("b"), 40, 2, 100);
        // 1 used after 2: 2 goes when 3 comes.
        assert!(m.get(&1, 3, |_| true).is_some());
        m.insert(3, Arc::new("c"), 40, 4, 100);
        assert_eq!((m.len(), m.bytes()), (2, 80));
        assert!(m.get(&2, 5, |_| true).is_none());
        // Not valid any more: not answered (and kept until forgotten).
        assert!(m.get(&1, 6, |v| *v == "x").is_none());
        m.insert(4, Arc::new("d"), 500, 7, 100);
        assert_eq!((m.len(), m.bytes()), (1, 500));
        m.insert(4, Arc::new("e"), 10, 8, 100);
        assert_eq!(m.bytes(), 10);
        m.forget_where(|k| *k == 4);
        assert_eq!((m.len(), m.bytes()), (0, 0));
    }
}
