//! The GraphQL adapter (federation v2): reads in [`query`], types in [`types`]. There are no
//! mutations: the index follows events, and images are imported over HTTP (`POST /images`).

mod query;
mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};

use crate::usecases::images::Images;
use crate::usecases::keywords::Keywords;
pub use query::Query;

/// The search subgraph's schema.
pub type SearchSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema with its shared data.
pub fn build(keywords: Keywords, images: Images) -> SearchSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .enable_federation()
        .limit_depth(8)
        .limit_complexity(300)
        .data(keywords)
        .data(images)
        .finish()
}

/// The SDL the router composes (federation v2).
pub fn sdl() -> String {
    kit::graphql_http::federation_sdl(
        &Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish(),
    )
}
