//! Time-ordered 64-bit ids (snowflake layout) that need no coordination between instances.
//!
//! Layout, most significant first: 1 zero bit | 41 bits of milliseconds since 2024-01-01T00:00:00Z
//! (good until 2093) | 10 bits of node | 12 bits of sequence. The node is taken from config when an
//! operator pins one, otherwise drawn at random per process: two instances collide only if they draw
//! the same node *and* mint in the same millisecond with the same sequence, which the random draw makes
//! rare enough for our scale without a registry. Ids from one process are strictly increasing even if
//! the wall clock steps back (the generator never goes below the last time it used).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 2024-01-01T00:00:00Z in Unix milliseconds.
pub const EPOCH_MS: u64 = 1_704_067_200_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;
/// Largest node number.
pub const MAX_NODE: u16 = (1 << NODE_BITS) - 1;

/// A lock-free generator; one per process is enough ([`next_id`]).
#[derive(Debug)]
pub struct IdGenerator {
    node: u64,
    /// `(ms_since_epoch << SEQ_BITS) | seq` of the last id handed out.
    last: AtomicU64,
}

impl IdGenerator {
    /// A generator for `node` (`0..=MAX_NODE`; larger values are masked).
    pub fn new(node: u16) -> Self {
        Self {
            node: u64::from(node & MAX_NODE),
            last: AtomicU64::new(0),
        }
    }

    /// The next id: greater than every id this generator returned before.
    pub fn next(&self) -> i64 {
        let now = now_ms() << SEQ_BITS;
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            // Same millisecond (or a clock step back): bump the sequence; overflow borrows the next ms.
            let candidate = if now > prev { now } else { prev + 1 };
            match self.last.compare_exchange_weak(
                prev,
                candidate,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return self.compose(candidate),
                Err(actual) => prev = actual,
            }
        }
    }

    fn compose(&self, stamp: u64) -> i64 {
        let ms = stamp >> SEQ_BITS;
        let seq = stamp & SEQ_MASK;
        let id = (ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq;
        i64::try_from(id).expect("41-bit timestamp keeps the sign bit clear")
    }
}

fn now_ms() -> u64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    unix.saturating_sub(EPOCH_MS)
}

/// Unix milliseconds at which `id` was minted.
pub fn timestamp_ms(id: i64) -> u64 {
    ((id as u64) >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS
}

/// The smallest id minted at or after Unix millisecond `unix_ms` (for range scans by time).
pub fn first_id_at(unix_ms: u64) -> i64 {
    let ms = unix_ms.saturating_sub(EPOCH_MS).min((1 << 41) - 1);
    (ms << (NODE_BITS + SEQ_BITS)) as i64
}

static GLOBAL: OnceLock<IdGenerator> = OnceLock::new();

/// Pins this process's node number; returns false if ids were already minted with another node.
pub fn init_node(node: Option<u16>) -> bool {
    let wanted = node.unwrap_or_else(|| rand::random::<u16>() & MAX_NODE);
    GLOBAL.get_or_init(|| IdGenerator::new(wanted)).node == u64::from(wanted)
}

/// The next id from the process-wide generator (random node unless [`init_node`] pinned one).
pub fn next_id() -> i64 {
    GLOBAL
        .get_or_init(|| IdGenerator::new(rand::random::<u16>() & MAX_NODE))
        .next()
}

/// Parses an id argument (decimal digits, as every id travels); anything else is
/// `INVALID_PARAMETER`.
pub fn parse(id: &str) -> Result<i64, crate::AppError> {
    id.parse::<i64>().map_err(|_| {
        crate::AppError::with_message(
            crate::ErrorCode::InvalidParameter,
            "ids are decimal integers",
        )
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn ids_from_one_generator_strictly_increase() {
        let g = IdGenerator::new(7);
        let ids: Vec<i64> = (0..100_000).map(|_| g.next()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|&id| id > 0));
    }

    #[test]
    fn ids_are_unique_under_concurrency() {
        let g = Arc::new(IdGenerator::new(3));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let g = Arc::clone(&g);
                std::thread::spawn(move || (0..50_000).map(|_| g.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all = HashSet::new();
        for h in handles {
            let ids = h.join().unwrap();
            assert!(
                ids.windows(2).all(|w| w[0] < w[1]),
                "per-thread order broken"
            );
            for id in ids {
                assert!(all.insert(id), "duplicate id {id}");
            }
        }
        assert_eq!(all.len(), 400_000);
    }

    #[test]
    fn id_encodes_its_mint_time_and_node() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let id = IdGenerator::new(MAX_NODE).next();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        // Sequence overflow may borrow a millisecond or two ahead, never behind.
        assert!((before..=after + 2).contains(&timestamp_ms(id)));
        assert_eq!(
            ((id as u64) >> SEQ_BITS) & u64::from(MAX_NODE),
            u64::from(MAX_NODE)
        );
    }

    #[test]
    fn first_id_at_bounds_the_ids_of_its_millisecond() {
        let id = IdGenerator::new(5).next();
        let ms = timestamp_ms(id);
        assert!(first_id_at(ms) <= id && id < first_id_at(ms + 1));
        assert_eq!(first_id_at(0), 0);
    }

    #[test]
    fn ids_of_different_nodes_in_the_same_millisecond_differ() {
        let (a, b) = (IdGenerator::new(1), IdGenerator::new(2));
        assert_ne!(a.next(), b.next());
    }
}
