//! The subgraphs' DataLoaders, built one way: a batch loads on the runtime's next turn instead of
//! after async-graphql's default 1 ms wait.
//!
//! async-graphql's `DataLoader` starts a load task at the first key and lets it wait `delay` so that
//! the other keys of a list join the batch. The keys of one list are enqueued in one poll of its
//! items' resolvers (they run concurrently inside the request's task), so they are all there when
//! the load task first runs: the wait made no batch bigger, yet every nested field paid it. Without
//! async-graphql's `tokio-timer` feature the wait was an `async-io` timer, served by a thread of
//! its own, so a 1 ms wait took longer. With no wait the load task runs as soon as the request's
//! task yields (`docs/profiling.md`, step 5).

use std::time::Duration;

use async_graphql::dataloader::DataLoader;

/// A DataLoader over `inner` that loads without waiting, its tasks on the Tokio runtime.
pub fn loader<T>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, tokio::spawn).delay(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use async_graphql::dataloader::Loader;

    /// Records each batch it is asked for.
    #[derive(Clone, Default)]
    struct Batches(Arc<Mutex<Vec<Vec<i64>>>>);

    impl Loader<i64> for Batches {
        type Value = i64;
        type Error = std::convert::Infallible;

        async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, i64>, Self::Error> {
            let mut keys = keys.to_vec();
            keys.sort_unstable();
            self.0.lock().unwrap().push(keys.clone());
            Ok(keys.into_iter().map(|k| (k, k * 10)).collect())
        }
    }

    #[tokio::test]
    async fn the_keys_of_one_list_load_in_one_batch_without_a_wait() {
        let batches = Batches::default();
        let loader = super::loader(batches.clone());
        // As the items of a list resolve: every item's load polled before the task yields.
        let values = futures::future::join_all((1..=20_i64).map(|k| loader.load_one(k))).await;
        let values: Vec<i64> = values.into_iter().map(|v| v.unwrap().unwrap()).collect();
        assert_eq!(values, (1..=20).map(|k| k * 10).collect::<Vec<_>>());
        assert_eq!(
            *batches.0.lock().unwrap(),
            vec![(1..=20).collect::<Vec<_>>()]
        );
        // A later list is a batch of its own.
        let later = futures::future::join_all([21_i64, 22].map(|k| loader.load_one(k))).await;
        assert_eq!(later.len(), 2);
        assert_eq!(batches.0.lock().unwrap().len(), 2);
    }
}
