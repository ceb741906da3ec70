//! Writes: registering a finished upload, deleting a video, recording a visit.

use async_graphql::{Context, ID, InputObject, Object, Result};
use kit::caller::{Caller, ClientAddr};

use super::caller;
use super::types::{Long, Video, parse_id};
use crate::domain::video::NewVideo;
use crate::usecases::Catalog;

/// A finished upload, as the upload service reports it.
#[derive(InputObject)]
pub struct RegisterVideoInput {
    /// The upload session id: registering it again returns the same video.
    pub upload_id: String,
    /// The uploader (the token's user when the upload was created).
    pub author_id: ID,
    /// The object key in the bucket.
    pub object_key: String,
    /// 1-100 characters.
    pub title: String,
    /// At most 5000 characters.
    #[graphql(default)]
    pub description: String,
    /// Bytes (a `Long`: videos can pass 2 GiB).
    pub size_bytes: Option<Long>,
    pub checksum: Option<String>,
    pub content_type: Option<String>,
}

pub struct Mutation;

#[Object]
impl Mutation {
    /// Records a finished upload as a video (upload service only; idempotent per upload id).
    async fn register_video(&self, ctx: &Context<'_>, input: RegisterVideoInput) -> Result<Video> {
        caller(ctx).require_service("upload")?;
        let new = NewVideo {
            upload_id: input.upload_id,
            author_id: parse_id(&input.author_id)?,
            object_key: input.object_key,
            title: input.title,
            description: input.description,
            size_bytes: input.size_bytes.map(|s| s.0),
            checksum: input.checksum,
            content_type: input.content_type,
        };
        Ok(Video(ctx.data_unchecked::<Catalog>().register(new).await?))
    }

    /// Deletes one of the caller's videos (needs a token; only the uploader may).
    async fn delete_video(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let user = caller(ctx).require_user()?;
        ctx.data_unchecked::<Catalog>()
            .delete(user, parse_id(&id)?)
            .await?;
        Ok(true)
    }

    /// Records one visit of a video (anyone may); counts and the ranking follow within seconds.
    /// `false`: accepted but not counted, because this viewer (the signed-in user, else the client
    /// address) already counted `visit_limit` visits of this video in the current window.
    async fn record_visit(&self, ctx: &Context<'_>, video_id: ID) -> Result<bool> {
        let viewer = match caller(ctx) {
            Caller::User(id) => Some(format!("u{id}")),
            _ => ctx
                .data_opt::<ClientAddr>()
                .and_then(|c| c.0)
                .map(|addr| format!("a{addr}")),
        };
        Ok(ctx
            .data_unchecked::<Catalog>()
            .record_visit(parse_id(&video_id)?, viewer)
            .await?)
    }
}
