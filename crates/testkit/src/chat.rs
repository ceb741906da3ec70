//! A chat WebSocket client for tests (the social service's `/ws`, directly or through the router):
//! requests get an id and [`Chat::ask`] waits for the reply carrying it, keeping pushes that arrive
//! in between for [`Chat::push`].

use std::collections::VecDeque;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::client::Request;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a reply or push may take.
const WAIT: Duration = Duration::from_secs(10);

pub struct Chat {
    socket: Socket,
    pushes: VecDeque<Value>,
    next: u64,
    /// Headers of the upgrade answer.
    pub headers: http::HeaderMap,
}

impl Chat {
    /// Opens `request`; a refused upgrade gives its status and JSON body.
    pub async fn open(request: Request) -> Result<Self, (u16, Value)> {
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, answer)) => Ok(Self {
                socket,
                pushes: VecDeque::new(),
                next: 0,
                headers: answer.headers().clone(),
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(refused)) => {
                let body = refused.body().clone().unwrap_or_default();
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                Err((refused.status().as_u16(), body))
            }
            Err(err) => panic!("chat connection failed: {err}"),
        }
    }

    /// Sends `request` (an object with `type`) with a fresh id and returns its reply.
    pub async fn ask(&mut self, mut request: Value) -> Value {
        self.next += 1;
        let id = format!("t{}", self.next);
        request["id"] = json!(id);
        self.send(Message::text(request.to_string())).await;
        self.reply_to(&json!(id)).await
    }

    /// Sends a raw frame.
    pub async fn send(&mut self, message: Message) {
        self.socket.send(message).await.expect("chat frame sent");
    }

    /// The next reply whose `id` is `id`, keeping pushes for later.
    pub async fn reply_to(&mut self, id: &Value) -> Value {
        loop {
            let frame = self.frame().await.expect("a reply before the close");
            if frame.get("base").is_some() && &frame["id"] == id {
                return frame;
            }
            assert!(
                frame.get("base").is_none(),
                "a reply to another request: {frame}"
            );
            self.pushes.push_back(frame);
        }
    }

    /// The next push (a frame without `base`).
    pub async fn push(&mut self) -> Value {
        if let Some(p) = self.pushes.pop_front() {
            return p;
        }
        let frame = self.frame().await.expect("a push before the close");
        assert!(frame.get("base").is_none(), "a reply, not a push: {frame}");
        frame
    }

    /// Asserts that no push arrives within `wait`.
    pub async fn no_push(&mut self, wait: Duration) {
        assert!(self.pushes.is_empty(), "{:?}", self.pushes);
        if let Ok(Some(Ok(m))) = tokio::time::timeout(wait, self.socket.next()).await {
            panic!("unexpected frame: {m:?}");
        }
    }

    /// Waits for the connection to close; the close code if the peer sent one.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_)) | None) => return None,
                Err(_) => panic!("the chat connection stayed open"),
            }
        }
    }

    async fn frame(&mut self) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a chat frame in time");
            match next? {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).expect("frames are JSON"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }
}
