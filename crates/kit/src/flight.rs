//! Single flight: callers that miss a cache for the same key at the same time share one load
//! instead of each going to the database (the "breakdown" failure of a cache: a popular key
//! expires and every request behind it loads it at once).
//!
//! The first caller of a key runs its load; the others wait for that result. A caller dropped
//! half-way hands the load to the next waiter (`tokio::sync::OnceCell`), so nobody waits forever.
//! The key is forgotten once its load is done: a later miss loads again (the cache in front decides
//! how long a result lives). Per process; instances of a service each load once per key.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Keys with a load in flight; beyond this many, finished or abandoned ones are swept.
const SWEEP_AT: usize = 1024;

pub struct Flights<V> {
    inflight: Mutex<HashMap<String, Arc<OnceCell<V>>>>,
}

impl<V> Default for Flights<V> {
    fn default() -> Self {
        Self {
            inflight: Mutex::new(HashMap::new()),
        }
    }
}

impl<V> std::fmt::Debug for Flights<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Flights")
    }
}

impl<V: Clone> Flights<V> {
    /// The result of `load` for `key`, run once for every caller that asks while it runs.
    pub async fn run<F, Fut>(&self, key: &str, load: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = {
            let mut inflight = self.lock();
            if inflight.len() >= SWEEP_AT {
                inflight.retain(|_, cell| Arc::strong_count(cell) > 1);
            }
            Arc::clone(inflight.entry(key.to_owned()).or_default())
        };
        let value = cell.get_or_init(load).await.clone();
        let mut inflight = self.lock();
        if inflight.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inflight.remove(key);
        }
        value
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<V>>>> {
        self.inflight.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn pending(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_callers_of_one_key_share_one_load_and_other_keys_load_apart() {
        let flights = Arc::new(Flights::<usize>::default());
        let loads = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Notify::new());
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (flights, loads, gate) = (flights.clone(), loads.clone(), gate.clone());
            let key = if i < 16 { "a" } else { "b" };
            tasks.push(tokio::spawn(async move {
                flights
                    .run(key, || async move {
                        let n = loads.fetch_add(1, Ordering::SeqCst);
                        gate.notified().await;
                        n
                    })
                    .await
            }));
        }
        // Let every task reach its wait, then release the two loads.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "one load per key");
        gate.notify_waiters();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        assert!(results[..16].iter().all(|r| *r == results[0]));
        assert!(results[16..].iter().all(|r| *r == results[16]));
        assert_ne!(results[0], results[16]);
        assert_eq!(flights.pending(), 0, "finished keys are forgotten");
        // A later miss loads again.
        assert_eq!(flights.run("a", || async { 99 }).await, 99);
    }

    #[tokio::test]
    async fn a_dropped_leader_hands_the_load_to_a_waiter() {
        let flights = Arc::new(Flights::<&'static str>::default());
        let leader = {
            let flights = flights.clone();
            tokio::spawn(async move {
                flights
                    .run("k", || async {
                        std::future::pending::<()>().await;
                        "never"
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let waiter = {
            let flights = flights.clone();
            tokio::spawn(async move { flights.run("k", || async { "waiter" }).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        leader.abort();
        let got = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter was not left waiting")
            .unwrap();
        assert_eq!(got, "waiter");
    }
}
