//! GraphQL scalars more than one subgraph declares; federation composes a scalar only when every
//! subgraph defines it the same way, so they are defined once, here.

use serde::{Deserialize, Serialize};

/// A 64-bit integer (GraphQL's `Int` is 32-bit), e.g. a millisecond timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Long(pub i64);
async_graphql::scalar!(
    Long,
    "Long",
    "A 64-bit integer, e.g. milliseconds since the epoch."
);
