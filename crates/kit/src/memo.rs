//! A small bounded memo of results that stay true until a known second: a verified signature
//! (true until the signed value expires), a signature made for a payload (true for as long as the
//! payload names). The router verifies the same access token and signs the same caller header for
//! every request of a user, and each service verifies the same header again: an Ed25519 operation
//! each (tens of microseconds), most of the router's cost per request before this memo.
//!
//! Keys are whole values (a token, a signed header, a payload), so a hit is exactly the input that
//! was checked before; only successes are stored. Entries are dropped once past their second;
//! when the memo is full, expired entries are swept, and if it is still full it starts over.

use std::collections::HashMap;
use std::sync::Mutex;

pub struct Memo<V> {
    entries: Mutex<HashMap<Box<str>, (V, u64)>>,
    capacity: usize,
}

impl<V> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl<V: Clone> Memo<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The value stored for `key`, unless it expired before `now` (unix seconds).
    pub fn get(&self, key: &str, now: u64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(_, until)| *until >= now)
            .map(|(v, _)| v.clone())
    }

    /// Stores `value` for `key` until `until` (unix seconds, inclusive).
    pub fn put(&self, key: &str, value: V, until: u64, now: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, u)| *u >= now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key.into(), (value, until));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_until_their_second_and_not_after() {
        let memo = Memo::new(8);
        memo.put("a", 1, 100, 90);
        assert_eq!(memo.get("a", 99), Some(1));
        assert_eq!(memo.get("a", 100), Some(1), "the last second is included");
        assert_eq!(memo.get("a", 101), None);
        assert_eq!(memo.get("b", 99), None);
    }

    #[test]
    fn a_full_memo_sweeps_expired_entries_then_starts_over() {
        let memo = Memo::new(3);
        memo.put("old", 0, 10, 0);
        memo.put("a", 1, 100, 0);
        memo.put("b", 2, 100, 0);
        memo.put("c", 3, 100, 50);
        assert_eq!(memo.len(), 3, "the expired entry made room");
        assert_eq!(memo.get("old", 50), None);
        memo.put("d", 4, 100, 50);
        assert_eq!(memo.len(), 1, "nothing expired: started over");
        assert_eq!(memo.get("d", 50), Some(4));
        assert_eq!(memo.get("a", 50), None);
    }
}
