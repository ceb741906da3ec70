//! [`Directory`]: the live instances of every service, read from the registry. It lists the
//! prefix, then watches it from the listing's revision on; after any failure (etcd away, a watch
//! cancelled) it waits a second and lists again. Until then it keeps what it last knew, so a
//! router keeps serving while etcd is away.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;

use super::Instance;
use super::etcd::{Etcd, EtcdError, Event, WatchItem};

/// The pause before listing again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// The instances of every service, shared by clones.
#[derive(Clone, Default)]
pub struct Directory {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: RwLock<State>,
    reachable: AtomicBool,
}

#[derive(Default)]
struct State {
    by_key: HashMap<String, Instance>,
    /// Derived from `by_key` on every change, sorted by id: reads are a clone of an `Arc`.
    by_service: HashMap<String, Arc<[Instance]>>,
    /// What a service with no instance reads (made once, not on every read).
    none: Arc<[Instance]>,
}

impl State {
    fn rebuild(&mut self) {
        let mut lists: HashMap<String, Vec<Instance>> = HashMap::new();
        for instance in self.by_key.values() {
            lists
                .entry(instance.service.clone())
                .or_default()
                .push(instance.clone());
        }
        self.by_service = lists
            .into_iter()
            .map(|(service, mut list)| {
                list.sort_by(|a, b| a.id.cmp(&b.id));
                (service, list.into())
            })
            .collect();
    }
}

/// An instance record read from `key`, or `None` (logged) when it is not one.
fn record(key: &str, value: &[u8]) -> Option<Instance> {
    match serde_json::from_slice::<Instance>(value) {
        Ok(instance) => Some(instance),
        Err(err) => {
            tracing::warn!(registry.key = key, error.message = %err, "not an instance record; ignored");
            None
        }
    }
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    /// The live instances of `service` (empty when none is known).
    pub fn instances(&self, service: &str) -> Arc<[Instance]> {
        let state = self.read();
        Arc::clone(state.by_service.get(service).unwrap_or(&state.none))
    }

    /// How many instances each known service has.
    pub fn sizes(&self) -> Vec<(String, usize)> {
        let mut sizes: Vec<_> = self
            .read()
            .by_service
            .iter()
            .map(|(s, l)| (s.clone(), l.len()))
            .collect();
        sizes.sort();
        sizes
    }

    /// Whether the last listing or watch succeeded.
    pub fn reachable(&self) -> bool {
        self.inner.reachable.load(Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces everything with a fresh listing.
    fn replace(&self, pairs: Vec<(String, Vec<u8>)>) {
        let mut state = self.write();
        state.by_key = pairs
            .into_iter()
            .filter_map(|(key, value)| record(&key, &value).map(|i| (key, i)))
            .collect();
        state.rebuild();
    }

    fn apply(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut state = self.write();
        for event in events {
            match event {
                Event::Put { key, value } => {
                    if let Some(instance) = record(&key, &value) {
                        state.by_key.insert(key, instance);
                    }
                }
                Event::Delete { key } => {
                    state.by_key.remove(&key);
                }
            }
        }
        state.rebuild();
    }

    /// Keeps this directory current with every instance under `prefix` (the registry's
    /// `<prefix>/`) until `stop` resolves.
    pub async fn follow(&self, etcd: &Etcd, prefix: &str, stop: impl Future<Output = ()>) {
        let prefix = super::services_prefix(prefix);
        let mut stop = std::pin::pin!(stop);
        let mut warned = false;
        loop {
            tokio::select! {
                synced = self.sync(etcd, &prefix) => {
                    // Said once per outage, not once per retry.
                    match synced {
                        Err(err) if self.reachable() || !warned => {
                            tracing::warn!(error.message = %err, "registry unreachable; keeping the last known instances");
                            warned = true;
                        }
                        Err(err) => tracing::debug!(error.message = %err, "registry still unreachable"),
                        Ok(()) => warned = false,
                    }
                }
                () = &mut stop => return,
            }
            self.inner.reachable.store(false, Ordering::Relaxed);
            tokio::select! {
                () = tokio::time::sleep(RETRY) => {}
                () = &mut stop => return,
            }
        }
    }

    /// One listing and the watch after it, until the watch ends.
    async fn sync(&self, etcd: &Etcd, prefix: &str) -> Result<(), EtcdError> {
        let (revision, pairs) = etcd.list(prefix).await?;
        self.replace(pairs);
        self.inner.reachable.store(true, Ordering::Relaxed);
        let watch = etcd.watch(prefix, revision + 1).await?;
        let mut watch = std::pin::pin!(watch);
        while let Some(item) = watch.next().await {
            match item? {
                WatchItem::Events(events) => self.apply(events),
                WatchItem::Restart => return Ok(()),
            }
        }
        Err(EtcdError::new("the watch ended"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(service: &str, id: &str) -> Vec<u8> {
        serde_json::to_vec(&Instance {
            service: service.into(),
            id: id.into(),
            http: format!("http://127.0.0.1:{id}"),
            graphql: None,
            version: "0".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
        })
        .unwrap()
    }

    #[test]
    fn listings_and_events_keep_per_service_lists_sorted() {
        let d = Directory::new();
        d.replace(vec![
            ("/p/video/2".into(), instance("video", "2")),
            ("/p/video/1".into(), instance("video", "1")),
            ("/p/user/9".into(), instance("user", "9")),
            ("/p/bad/x".into(), b"not json".to_vec()),
        ]);
        let ids = |s: &str| {
            d.instances(s)
                .iter()
                .map(|i| i.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("video"), ["1", "2"]);
        d.apply(vec![
            Event::Delete {
                key: "/p/video/1".into(),
            },
            Event::Put {
                key: "/p/video/3".into(),
                value: instance("video", "3"),
            },
        ]);
        assert_eq!(ids("video"), ["2", "3"]);
        assert_eq!(d.sizes(), [("user".to_owned(), 1), ("video".to_owned(), 2)]);
        assert!(d.instances("search").is_empty());
    }
}
