//! One task at a time per key (a month's load, a period's digest): the others wait for it,
//! then find its result.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// An async lock per key, made on first use.
pub(super) struct KeyedLocks<K> {
    locks: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        KeyedLocks {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> KeyedLocks<K> {
    /// The lock of `key`.
    pub fn get(&self, key: K) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        locks.entry(key).or_default().clone()
    }

    /// Forgets the lock of `key`, given back by its last user, once nobody else holds or
    /// waits for it.
    pub fn release(&self, key: &K, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        // The map's reference and this one.
        if Arc::strong_count(&lock) == 2 {
            locks.remove(key);
        }
    }
}
