//! A bounded, thread-safe map from expression text to its compiled form, so the same selector
//! over 100 000 pages compiles once. Sixteen shards, each a `Mutex<HashMap>` holding at most
//! `capacity / 16` entries; a full shard drops an arbitrary entry (selector sets are small and
//! hot, so the simple policy keeps hit rates high without LRU bookkeeping on every lookup).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;

#[derive(Debug)]
pub struct Cache<V> {
    shards: Vec<Mutex<HashMap<String, Arc<V>>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl<V> Cache<V> {
    /// A cache of at most `capacity` entries (at least one per shard).
    pub fn new(capacity: usize) -> Cache<V> {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
        }
    }

    /// The cached value for `key`, compiling it with `make` on a miss. Errors are not cached.
    pub fn get_or_try_insert<E>(
        &self,
        key: &str,
        make: impl FnOnce(&str) -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        if let Some(v) = lock(shard).get(key) {
            return Ok(Arc::clone(v));
        }
        // Compile outside the lock: another thread may do the same work, which is harmless.
        let value = Arc::new(make(key)?);
        let mut map = lock(shard);
        if map.len() >= self.per_shard {
            if let Some(victim) = map.keys().next().cloned() {
                map.remove(&victim);
            }
        }
        map.insert(key.to_string(), Arc::clone(&value));
        Ok(value)
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A poisoned shard only means a panic elsewhere while inserting; the map is still valid.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_once_and_stays_bounded() {
        let cache: Cache<String> = Cache::new(32);
        let mut calls = 0;
        for _ in 0..3 {
            let v = cache
                .get_or_try_insert("a", |k| {
                    calls += 1;
                    Ok::<_, ()>(k.to_uppercase())
                })
                .unwrap();
            assert_eq!(*v, "A");
        }
        assert_eq!(calls, 1);
        for i in 0..1000 {
            cache.get_or_try_insert(&i.to_string(), |k| Ok::<_, ()>(k.to_string())).unwrap();
        }
        assert!(cache.len() <= 32);
        assert!(cache.get_or_try_insert("bad", |_| Err::<String, _>("no")).is_err());
    }
}
