//! The GraphQL adapter (federation v2): types in [`types`], reads in [`query`], writes in
//! [`mutation`], batched entity loading in [`loader`]. Resolvers only translate between GraphQL and
//! [`crate::usecases::Accounts`]; the caller comes from kit's verified `x-clipfed-caller` header.

mod loader;
mod mutation;
mod query;
mod types;

use async_graphql::{EmptySubscription, Schema};

use crate::usecases::Accounts;
use kit::s3::ObjectUrls;
pub use loader::UserLoader;
pub use mutation::Mutation;
pub use query::Query;
pub use types::User;

/// The verified caller of the request (kit's hook attaches it; absent means anonymous).
fn caller<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a kit::caller::Caller {
    ctx.data_opt::<kit::caller::Caller>()
        .unwrap_or(&kit::caller::Caller::Anonymous)
}

/// The end client's address as the router vouched for it (absent when called without a router).
fn client_addr(ctx: &async_graphql::Context<'_>) -> Option<std::net::IpAddr> {
    ctx.data_opt::<kit::caller::ClientAddr>().and_then(|c| c.0)
}

/// The user subgraph's schema.
pub type UserSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its shared data.
pub fn build(accounts: Accounts, avatars: ObjectUrls) -> UserSchema {
    let loader = kit::loader::loader(UserLoader::new(accounts.clone(), avatars.clone()));
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .limit_depth(12)
        .limit_complexity(500)
        .data(accounts)
        .data(avatars)
        .data(loader)
        .finish()
}

/// The SDL the router composes (federation v2).
pub fn sdl() -> String {
    kit::graphql_http::federation_sdl(&build_for_sdl())
}

fn build_for_sdl() -> UserSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .finish()
}
