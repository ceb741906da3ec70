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
