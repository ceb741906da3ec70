//! The social use cases: likes ([`likes`]), comments ([`comments`]), follows ([`follows`]) and chat
//! ([`chat`]).
//! Every action writes its rows and its event in one transaction (the outbox); resolvers stay thin
//! and call these; every failure is a [`SocialError`], which carries its code.

pub mod chat;
pub mod comments;
pub mod follows;
pub mod likes;

use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use sqlx::MySqlPool;
use tokio::sync::Notify;

use crate::domain::events::{Counter, InteractionEvent};
use crate::error::SocialError;
use crate::store::{counters, known, shards::Shards};

/// Everything the use cases need.
#[derive(Clone)]
pub struct Social {
    pub pool: MySqlPool,
    pub shards: Shards,
    /// The `interaction.events` topic.
    pub topic: String,
    /// Wakes the outbox relay after a commit.
    pub relay: Arc<Notify>,
    pub max_comment_chars: usize,
    pub chat: crate::config::ChatConfig,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Transactions retried on deadlock before giving up.
const RETRIES: usize = 5;

impl Social {
    /// Writes `event` to the outbox inside the action's transaction.
    async fn emit(
        &self,
        conn: &mut sqlx::MySqlConnection,
        event: &InteractionEvent,
    ) -> Result<(), SocialError> {
        let payload = serde_json::to_vec(event)?;
        kit::outbox::enqueue(
            conn,
            event.id(),
            &self.topic,
            event.key().to_string().as_bytes(),
            &payload,
        )
        .await
        .map_err(SocialError::from)
    }

    /// Commits and wakes the relay.
    async fn commit(&self, tx: sqlx::Transaction<'_, sqlx::MySql>) -> Result<(), SocialError> {
        tx.commit().await?;
        self.relay.notify_one();
        Ok(())
    }

    /// `VIDEO_NOT_FOUND` unless the video service announced the video and it is not deleted.
    async fn require_video(&self, id: i64) -> Result<(), SocialError> {
        if known::video_live(&self.pool, id).await? {
            Ok(())
        } else {
            Err(SocialError::VideoNotFound)
        }
    }

    /// `USER_NOT_FOUND` unless the user service announced the user.
    pub async fn require_user(&self, id: i64) -> Result<(), SocialError> {
        if known::user_exists(&self.pool, id).await? {
            Ok(())
        } else {
            Err(SocialError::UserNotFound)
        }
    }

    /// Counter values (absent ones are 0).
    pub async fn counters(
        &self,
        keys: &[Counter],
    ) -> Result<std::collections::BTreeMap<Counter, i64>, SocialError> {
        counters::get(&self.pool, keys)
            .await
            .map_err(SocialError::from)
    }
}
