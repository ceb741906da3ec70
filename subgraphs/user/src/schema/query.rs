//! Reads: users by id, the caller, and the federation entity resolver.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result};
use kit::{AppError, ErrorCode};

use kit::scalars::Long;

use super::caller;
use super::loader::UserLoader;
use super::types::{User, parse_id};
use crate::usecases::Accounts;

/// Most ids in one `users` call.
pub const MAX_IDS: usize = 100;

pub struct Query;

#[Object]
impl Query {
    /// A user by id; null when there is no such (live) user.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let id = parse_id(&id)?;
        ctx.data_unchecked::<DataLoader<UserLoader>>()
            .load_one(id)
            .await
    }

    /// The calling user (needs a token).
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let id = caller(ctx).require_user()?;
        ctx.data_unchecked::<DataLoader<UserLoader>>()
            .load_one(id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::UserNotFound).into())
    }

    /// Users by ids (at most 100), in the order asked; unknown ids are skipped.
    async fn users(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<User>> {
        if ids.len() > MAX_IDS {
            return Err(
                AppError::with_message(ErrorCode::InvalidParameter, "at most 100 ids").into(),
            );
        }
        let ids = ids.iter().map(parse_id).collect::<Result<Vec<_>, _>>()?;
        let mut found = ctx
            .data_unchecked::<DataLoader<UserLoader>>()
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Ids of the sessions revoked since `sinceMs` (Unix ms), oldest first, at most 10,000
    /// (router only: it refuses their access tokens at the edge and closes their WebSockets).
    /// `@inaccessible`: not part of the public supergraph.
    #[graphql(inaccessible)]
    async fn revoked_sessions(&self, ctx: &Context<'_>, since_ms: Long) -> Result<Vec<ID>> {
        caller(ctx).require_service("router")?;
        let ids = ctx
            .data_unchecked::<Accounts>()
            .revoked_since(since_ms.0)
            .await?;
        Ok(ids.into_iter().map(|id| ID(id.to_string())).collect())
    }

    /// Federation entity resolver (`User @key(fields: "id")`), batched by the DataLoader.
    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        ctx.data_unchecked::<DataLoader<UserLoader>>()
            .load_one(id)
            .await
    }
}
