//! The chat WebSocket, `GET /ws` (the west2 document's C1): the router authenticates the user
//! (token header or `token` query parameter) and upgrades through to here with the signed caller
//! header; a request without a verified user is refused before the upgrade (401, code 10003).
//!
//! One connection runs one session: requests are answered in order ([`protocol`]), each stored
//! message is pushed to the other open connections of its receivers, on this instance ([`hub`])
//! and on the others ([`relay`]), and the session
//! ends on the client's close, a transport error, a frame over `chat.max_frame_bytes`, a push
//! queue that overflowed (close 1013: read the history), or the service's shutdown (close 1001).
//! Sends and group creations are limited per user per minute (`RATE_LIMITED`, the connection
//! stays open).

pub mod hub;
pub mod protocol;
pub mod relay;

use std::pin::pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, StatusCode};
use kit::AppError;
use kit::caller::CallerVerifier;
use kit::ratelimit::{Limit, LocalLimiter, refusal};
use serde_json::Value;

use self::hub::{Hub, Push};
use self::protocol::{Request, items};
use crate::usecases::Social;

/// What every session shares.
#[derive(Clone)]
pub struct Chat {
    pub social: Social,
    pub hub: Arc<Hub>,
    /// The same pushes to the other social instances ([`relay`]).
    pub relay: Arc<relay::Relay>,
    /// Sends and group creations per user (`chat.sends_per_minute`, `chat.groups_per_minute`).
    pub limiter: Arc<LocalLimiter>,
    pub callers: CallerVerifier,
    /// Resolves when the service stops.
    pub stop: kit::server::Stop,
}

/// The `/ws` route.
pub fn routes(chat: Chat) -> Router {
    Router::new().route("/ws", get(upgrade)).with_state(chat)
}

async fn upgrade(
    State(chat): State<Chat>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let user = match chat.callers.caller(&headers).and_then(|c| c.require_user()) {
        Ok(user) => user,
        Err(err) => return refuse(StatusCode::UNAUTHORIZED, &err),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            let err = AppError::with_message(
                kit::ErrorCode::InvalidParameter,
                format!("/ws takes a WebSocket upgrade: {rejection}"),
            );
            return refuse(StatusCode::BAD_REQUEST, &err);
        }
    };
    let limit = chat.social.chat.max_frame_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| session(chat, user, socket))
}

fn refuse(status: StatusCode, err: &AppError) -> Response {
    (status, axum::Json(err.envelope())).into_response()
}

async fn session(chat: Chat, user: i64, socket: WebSocket) {
    let (seat, mut pushes) = chat.hub.join(user, chat.social.chat.push_buffer);
    let (mut tx, mut rx) = socket.split();
    let mut stop = pin!(chat.stop.wait());
    let close = loop {
        tokio::select! {
            _ = &mut stop => break Some((close_code::AWAY, "the service is stopping")),
            push = pushes.recv() => match push {
                Some(frame) => {
                    if tx.send(Message::Text(frame.as_ref().into())).await.is_err() {
                        break None;
                    }
                }
                None => break Some((close_code::AGAIN, "too far behind; read the history")),
            },
            frame = rx.next() => {
                let reply = match frame {
                    Some(Ok(Message::Text(text))) => answer(&chat, user, seat.id, &text).await,
                    Some(Ok(Message::Binary(_))) => protocol::reply(
                        &Value::Null,
                        "error",
                        Err(AppError::with_message(
                            kit::ErrorCode::UnsupportedMediaType,
                            "frames are JSON text",
                        )),
                    ),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Err(err)) => {
                        tracing::debug!(error.message = %err, "chat connection failed");
                        break Some((close_code::SIZE, "frame too large or malformed"));
                    }
                };
                if tx.send(Message::Text(reply.into())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = tx.send(Message::Close(Some(frame))).await;
    }
    drop(seat);
}

/// Handles one text frame and returns the reply.
async fn answer(chat: &Chat, user: i64, seat: u64, text: &str) -> String {
    let parsed = protocol::parse(text);
    let outcome = match parsed.request {
        Ok(request) => run(chat, user, seat, request).await,
        Err(err) => Err(err),
    };
    protocol::reply(&parsed.id, &parsed.kind, outcome)
}

/// Counts a send or a group creation of `user`; refuses it over the minute's limit.
fn admit(chat: &Chat, user: i64, request: &Request) -> Result<(), AppError> {
    let per_minute = |max| Limit {
        max,
        window_secs: 60,
    };
    let config = &chat.social.chat;
    let (scope, what, limit) = match request {
        Request::PrivateSend { .. } | Request::GroupSend { .. } => {
            ("chat_send", "messages", per_minute(config.sends_per_minute))
        }
        Request::GroupCreate { .. } => (
            "chat_group",
            "groups created",
            per_minute(config.groups_per_minute),
        ),
        _ => return Ok(()),
    };
    refusal(what, chat.limiter.hit(scope, &user.to_string(), limit))
}

async fn run(chat: &Chat, user: i64, seat: u64, request: Request) -> Result<Value, AppError> {
    admit(chat, user, &request)?;
    let social = &chat.social;
    Ok(match request {
        Request::PrivateSend { to, content } => {
            let row = social.send_private(user, to, &content).await?;
            let data = protocol::message(&row);
            deliver(chat, &[to, user], "private.message", &data, seat);
            data
        }
        Request::PrivateHistory { peer, page } => {
            let (rows, total) = social.private_history(user, peer, page).await?;
            items(rows.iter().map(protocol::message).collect(), total)
        }
        Request::PrivateUnread => {
            let unread = social.unread(user).await?;
            let total = unread.iter().map(|(_, n)| n).sum();
            let list = unread
                .into_iter()
                .map(|(from, count)| {
                    serde_json::json!({ "from_user_id": from.to_string(), "count": count })
                })
                .collect();
            items(list, total)
        }
        Request::GroupCreate { name, members } => {
            let (group, members) = social.create_group(user, &name, &members).await?;
            let mut data = protocol::group(&group);
            data["member_ids"] = members.iter().map(i64::to_string).collect();
            data
        }
        Request::GroupList => {
            let groups = social.groups_of(user).await?;
            let total = i64::try_from(groups.len()).unwrap_or(i64::MAX);
            items(groups.iter().map(protocol::group).collect(), total)
        }
        Request::GroupSend { group, content } => {
            let (row, members) = social.send_group(user, group, &content).await?;
            let data = protocol::group_message(&row);
            deliver(chat, &members, "group.message", &data, seat);
            data
        }
        Request::GroupHistory { group, page } => {
            let (rows, total) = social.group_history(user, group, page).await?;
            items(rows.iter().map(protocol::group_message).collect(), total)
        }
    })
}

fn deliver(chat: &Chat, users: &[i64], kind: &str, data: &Value, skip: u64) {
    let push: Push = Arc::from(protocol::push(kind, data));
    chat.hub.push(users, &push, skip);
    chat.relay.publish(users, &push);
}
