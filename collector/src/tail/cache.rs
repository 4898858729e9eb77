//! Remembered decisions, so spans arriving after their trace was decided follow it: kept
//! traces with what the annotation needs (policy and threshold change), dropped traces as
//! 8-byte fingerprints. Both are bounded first-in-first-out sets.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

use sampler::tail::ThresholdChange;

/// How a kept trace's late spans are annotated.
#[derive(Debug, Clone)]
pub(super) struct KeptInfo {
    pub policy: Option<Arc<str>>,
    pub change: ThresholdChange,
    pub adjusted_count: Option<f64>,
}

/// A bounded map forgetting its oldest entries first.
#[derive(Debug)]
struct Fifo<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Hash + Eq + Copy, V> Fifo<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        if self.map.insert(key, value).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

/// The decision caches.
#[derive(Debug)]
pub(super) struct DecisionCache {
    kept: Fifo<[u8; 16], KeptInfo>,
    dropped: Fifo<u64, ()>,
}

/// Both halves of the id folded into 64 bits: random ids are told apart by either half, and
/// ids that differ only in their high half (64-bit ids widened, or generated ones with a
/// fixed low half) are still told apart.
fn fingerprint(trace_id: &[u8; 16]) -> u64 {
    let (high, low) = trace_id.split_at(8);
    let word = |half: &[u8]| half.try_into().map_or(0, u64::from_le_bytes);
    word(low) ^ word(high).rotate_left(29)
}

impl DecisionCache {
    pub(super) fn new(kept: usize, dropped: usize) -> Self {
        Self {
            kept: Fifo::new(kept),
            dropped: Fifo::new(dropped),
        }
    }

    pub(super) fn remember_kept(&mut self, trace_id: [u8; 16], info: KeptInfo) {
        self.kept.insert(trace_id, info);
    }

    pub(super) fn remember_dropped(&mut self, trace_id: &[u8; 16]) {
        self.dropped.insert(fingerprint(trace_id), ());
    }

    pub(super) fn kept(&self, trace_id: &[u8; 16]) -> Option<&KeptInfo> {
        self.kept.map.get(trace_id)
    }

    pub(super) fn dropped(&self, trace_id: &[u8; 16]) -> bool {
        self.dropped.map.contains_key(&fingerprint(trace_id))
    }

    /// New capacities (after a policy change); shrinking forgets the oldest on next insert.
    pub(super) fn resize(&mut self, kept: usize, dropped: usize) {
        self.kept.capacity = kept;
        self.dropped.capacity = dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differing_only_in_their_high_half_are_told_apart() {
        let mut cache = DecisionCache::new(4, 4);
        let mut a = [0x5a; 16];
        a[0] = 1;
        let mut b = [0x5a; 16];
        b[0] = 2;
        cache.remember_dropped(&a);
        assert!(cache.dropped(&a));
        assert!(!cache.dropped(&b));
    }

    #[test]
    fn caches_forget_oldest_first() {
        let mut cache = DecisionCache::new(2, 2);
        let id = |n: u8| [n; 16];
        let info = KeptInfo {
            policy: None,
            change: ThresholdChange::Unchanged,
            adjusted_count: Some(1.0),
        };
        for n in 1..=3 {
            cache.remember_kept(id(n), info.clone());
            cache.remember_dropped(&id(10 + n));
        }
        assert!(cache.kept(&id(1)).is_none());
        assert!(cache.kept(&id(2)).is_some() && cache.kept(&id(3)).is_some());
        assert!(!cache.dropped(&id(11)));
        assert!(cache.dropped(&id(12)) && cache.dropped(&id(13)));
    }
}
