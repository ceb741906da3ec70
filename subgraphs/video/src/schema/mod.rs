//! The GraphQL adapter (federation v2): types in [`types`], reads in [`query`], writes in
//! [`mutation`], batched loading in [`loader`]. Resolvers only translate between GraphQL and
//! [`crate::usecases::Catalog`]; the caller comes from kit's verified `x-clipfed-caller` header.

mod loader;
mod mutation;
mod query;
mod types;

use async_graphql::{EmptySubscription, Schema};
use kit::s3::ObjectUrls;

use crate::usecases::Catalog;
pub use loader::{VideoCountLoader, VideoLoader};
pub use mutation::Mutation;
pub use query::Query;
pub use types::{DefaultCover, Video};

/// The verified caller of the request (kit's hook attaches it; absent means anonymous).
fn caller<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a kit::caller::Caller {
    ctx.data_opt::<kit::caller::Caller>()
        .unwrap_or(&kit::caller::Caller::Anonymous)
}

/// The video subgraph's schema.
pub type VideoSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its shared data.
pub fn build(catalog: Catalog, urls: ObjectUrls, default_cover: DefaultCover) -> VideoSchema {
    let videos = kit::loader::loader(VideoLoader(catalog.clone()));
    let counts = kit::loader::loader(VideoCountLoader(catalog.clone()));
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .limit_depth(12)
        .limit_complexity(500)
        .data(catalog)
        .data(urls)
        .data(default_cover)
        .data(videos)
        .data(counts)
        .finish()
}

/// The SDL the router composes (federation v2).
pub fn sdl() -> String {
    kit::graphql_http::federation_sdl(
        &Schema::build(Query, Mutation, EmptySubscription)
            .enable_federation()
            .finish(),
    )
}
