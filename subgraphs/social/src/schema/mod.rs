//! The GraphQL adapter (federation v2): types in [`types`], reads in [`query`], writes in
//! [`mutation`], batched loading in [`loader`]. Resolvers only translate between GraphQL and
//! [`crate::usecases::Social`]; the caller comes from kit's verified `x-clipfed-caller` header.

mod loader;
mod mutation;
mod query;
mod types;

use async_graphql::{EmptySubscription, ID, Schema};

use crate::usecases::Social;
pub use mutation::Mutation;
pub use query::Query;

/// The verified caller of the request (kit's hook attaches it; absent means anonymous).
fn caller<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a kit::caller::Caller {
    ctx.data_opt::<kit::caller::Caller>()
        .unwrap_or(&kit::caller::Caller::Anonymous)
}

/// The signed-in viewer, if any.
fn viewer(ctx: &async_graphql::Context<'_>) -> Option<i64> {
    caller(ctx).require_user().ok()
}

/// An optional id argument.
fn id_opt(id: &Option<ID>) -> Result<Option<i64>, kit::AppError> {
    id.as_ref().map(|s| kit::id::parse(s)).transpose()
}

/// The social subgraph's schema.
pub type SocialSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its shared data.
pub fn build(social: Social) -> SocialSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .limit_depth(12)
        .limit_complexity(500)
        .data(kit::loader::loader(loader::CounterLoader(social.clone())))
        .data(kit::loader::loader(loader::CommentLoader(social.clone())))
        .data(kit::loader::loader(loader::LikedLoader(social.clone())))
        .data(kit::loader::loader(loader::FollowedLoader(social.clone())))
        .data(social)
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
