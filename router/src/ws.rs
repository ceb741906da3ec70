//! `/ws` pass-through (C1): the chat WebSocket of the social service behind the one public port.
//!
//! The edge settles the viewer first (token headers, or a `token` query parameter for browsers,
//! which cannot set headers on a WebSocket). Then the service is dialled with the signed caller
//! headers; only when it accepted does the client's connection upgrade, so a refusal (no user,
//! service down) reaches the client as a plain HTTP answer with its envelope. After the upgrade
//! the router relays frames both ways unchanged, one message at a time, and a close on either side
//! closes the other. When the viewer's session is revoked (logout, password change), the router
//! closes both sides with 1008 (policy violation) within about a second ([`crate::revoked`]).

use futures::{SinkExt, StreamExt};
use hive_router::ntex::http::body::BodySize;
use hive_router::ntex::http::{Response, StatusCode, h1};
use hive_router::ntex::util::{ByteString, Either};
use hive_router::ntex::web::{DefaultError, WebRequest};
use hive_router::ntex::{self, ws};
use kit::{AppError, ErrorCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as UpCode;
use tokio_tungstenite::tungstenite::{self, Message as Up, client::IntoClientRequest};

/// The public path.
pub const PATH: &str = "/ws";
/// Largest message relayed either way (the social service's own limit is the same).
pub const MAX_FRAME: usize = 64 * 1024;

type Upstream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The access token of a `token` query parameter, if any.
pub fn query_token(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The viewer's session, watched while the socket is open.
pub struct Session {
    pub sid: i64,
    pub revoked: std::sync::Arc<crate::revoked::Revoked>,
}

/// Upgrades `req` and relays it to `{social}/ws` with `extra` headers; `renewed` is a fresh access
/// token to hand the client on the upgrade answer.
pub async fn upgrade(
    social: &str,
    req: &mut WebRequest<DefaultError>,
    extra: &[(&'static str, String)],
    renewed: Option<&str>,
    session: Session,
) -> Response {
    let mut answer = match ws::handshake(req.head()) {
        Ok(answer) => answer,
        Err(err) => {
            let failure = AppError::with_message(
                ErrorCode::InvalidParameter,
                format!("/ws takes a WebSocket upgrade: {err}"),
            );
            return crate::respond::plain(StatusCode::BAD_REQUEST, &failure);
        }
    };
    let upstream = match dial(social, req, extra).await {
        Ok(upstream) => upstream,
        Err(refused) => return refused,
    };
    if let Some(token) = renewed {
        answer.header(crate::respond::access_token_name(), token);
    }
    let Some((io, codec)) = req.head().take_io() else {
        let failure =
            AppError::with_message(ErrorCode::InvalidParameter, "no upgradable connection");
        return crate::respond::plain(StatusCode::BAD_REQUEST, &failure);
    };
    let head = answer.finish().into_parts().0;
    if io
        .encode(h1::Message::Item((head, BodySize::Empty)), &codec)
        .is_err()
    {
        return Response::new(StatusCode::OK);
    }
    // The HTTP layer's header timer must not fire on what is now a WebSocket.
    io.stop_timer();
    ntex::rt::spawn(relay(io, upstream, session));
    // The connection left HTTP with `take_io`; this answer is never written.
    Response::new(StatusCode::OK)
}

/// Opens the service's WebSocket, or answers with what the service said (or 502).
async fn dial(
    social: &str,
    req: &WebRequest<DefaultError>,
    extra: &[(&'static str, String)],
) -> Result<Upstream, Response> {
    let base = social.trim_end_matches('/');
    let url = match base.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}{PATH}"),
        Some((_, rest)) => format!("ws://{rest}{PATH}"),
        None => format!("ws://{base}{PATH}"),
    };
    let unavailable = |err: &dyn std::fmt::Display| {
        tracing::warn!(error = %err, upstream = %url, "chat pass-through failed");
        crate::respond::plain(
            StatusCode::BAD_GATEWAY,
            &AppError::with_message(ErrorCode::Unavailable, "chat is unavailable, retry later"),
        )
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| unavailable(&e))?;
    for (name, value) in extra {
        if let Ok(value) = value.parse() {
            request.headers_mut().insert(*name, value);
        }
    }
    if let Some(protocol) = req.headers().get("sec-websocket-protocol")
        && let Ok(value) = protocol.to_str()
        && let Ok(value) = value.parse()
    {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", value);
    }
    let config = tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
        Ok((stream, _)) => Ok(stream),
        Err(tungstenite::Error::Http(refused)) => {
            let status =
                StatusCode::from_u16(refused.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = refused.body().clone().unwrap_or_default();
            Err(Response::build(status)
                .content_type("application/json")
                .body(body))
        }
        Err(err) => Err(unavailable(&err)),
    }
}

/// Moves messages both ways until either side closes or the session is revoked.
async fn relay(client: ntex::io::IoBoxed, upstream: Upstream, session: Session) {
    let codec = ws::Codec::new().max_size(MAX_FRAME);
    let (mut up_tx, mut up_rx) = upstream.split();
    let mut watch = tokio::time::interval(crate::revoked::POLL);
    loop {
        tokio::select! {
            _ = watch.tick() => {
                if session.revoked.knows(session.sid) {
                    close_both(&client, &codec, &mut up_tx, ws::CloseCode::Policy).await;
                    return;
                }
            }
            frame = client.recv(&codec) => {
                let message = match frame {
                    Ok(Some(ws::Frame::Text(b))) => match String::from_utf8(b.to_vec()) {
                        Ok(text) => Up::text(text),
                        Err(_) => {
                            close_both(&client, &codec, &mut up_tx, ws::CloseCode::Invalid).await;
                            return;
                        }
                    },
                    Ok(Some(ws::Frame::Binary(b))) => Up::binary(b.to_vec()),
                    Ok(Some(ws::Frame::Ping(p))) => {
                        let _ = client.send(ws::Message::Pong(p), &codec).await;
                        continue;
                    }
                    Ok(Some(ws::Frame::Pong(_))) => continue,
                    Ok(Some(ws::Frame::Continuation(_))) => {
                        // Fragmented messages are not relayed (no chat client sends them).
                        close_both(&client, &codec, &mut up_tx, ws::CloseCode::Unsupported).await;
                        return;
                    }
                    Ok(Some(ws::Frame::Close(reason))) => {
                        // The router is the client's peer: it answers the close handshake itself.
                        let _ = up_tx.send(Up::Close(reason.clone().map(up_close))).await;
                        let _ = client.send(ws::Message::Close(reason), &codec).await;
                        client.close();
                        return;
                    }
                    Err(Either::Left(ws::error::ProtocolError::Overflow)) => {
                        close_both(&client, &codec, &mut up_tx, ws::CloseCode::Size).await;
                        return;
                    }
                    Err(Either::Left(_)) => {
                        close_both(&client, &codec, &mut up_tx, ws::CloseCode::Protocol).await;
                        return;
                    }
                    Ok(None) | Err(Either::Right(_)) => {
                        let _ = up_tx.send(Up::Close(None)).await;
                        return;
                    }
                };
                if up_tx.send(message).await.is_err() {
                    close_both(&client, &codec, &mut up_tx, ws::CloseCode::Error).await;
                    return;
                }
            }
            message = up_rx.next() => {
                let frame = match message {
                    Some(Ok(Up::Text(text))) => ws::Message::Text(ByteString::from(text.as_str())),
                    Some(Ok(Up::Binary(b))) => ws::Message::Binary(ntex::util::Bytes::copy_from_slice(&b)),
                    Some(Ok(Up::Ping(_) | Up::Pong(_) | Up::Frame(_))) => continue,
                    Some(Ok(Up::Close(frame))) => {
                        let reason = frame.map(|f| ws::CloseReason {
                            code: u16::from(f.code).into(),
                            description: Some(f.reason.to_string()),
                        });
                        let _ = client.send(ws::Message::Close(reason), &codec).await;
                        client.close();
                        return;
                    }
                    None | Some(Err(_)) => {
                        close_both(&client, &codec, &mut up_tx, ws::CloseCode::Error).await;
                        return;
                    }
                };
                if client.send(frame, &codec).await.is_err() {
                    let _ = up_tx.send(Up::Close(None)).await;
                    return;
                }
            }
        }
    }
}

fn up_close(reason: ws::CloseReason) -> CloseFrame {
    CloseFrame {
        code: UpCode::from(u16::from(reason.code)),
        reason: reason.description.unwrap_or_default().into(),
    }
}

async fn close_both(
    client: &ntex::io::IoBoxed,
    codec: &ws::Codec,
    up_tx: &mut futures::stream::SplitSink<Upstream, Up>,
    code: ws::CloseCode,
) {
    let reason = ws::CloseReason::from(code);
    let _ = up_tx.send(Up::Close(Some(up_close(reason.clone())))).await;
    let _ = client.send(ws::Message::Close(Some(reason)), codec).await;
    client.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_parameter_is_read_decoded_and_empty_counts_as_absent() {
        assert_eq!(query_token("token=a.b%2Bc&x=1").as_deref(), Some("a.b+c"));
        assert_eq!(query_token("x=1&token=").as_deref(), None);
        assert_eq!(query_token("").as_deref(), None);
    }
}
