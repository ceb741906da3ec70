//! The chat wire format (docs/chat.md): JSON text frames. A request names its `type` and may carry
//! an `id`, echoed in its reply; a reply carries the REST envelope's `base` and, on success, `data`.
//! Pushes (`private.message`, `group.message`) have no `id`. Ids travel as strings (numbers are
//! accepted too) and times as the contract writes them (`YYYY-MM-DD HH:MM:SS`, UTC+8).

use kit::error::Envelope;
use kit::page::Page;
use kit::{AppError, ErrorCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::store::chat::{GroupMessageRow, GroupRow, MessageRow};

/// An id as a client may send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum IdIn {
    Text(String),
    Number(i64),
}

fn id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match IdIn::deserialize(d)? {
        IdIn::Number(n) => Ok(n),
        IdIn::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

fn ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "id")] i64);
    Ok(Vec::<Wrapped>::deserialize(d)?
        .into_iter()
        .map(|w| w.0)
        .collect())
}

/// What a client asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum Wire {
    #[serde(rename = "private.send")]
    PrivateSend {
        #[serde(deserialize_with = "id")]
        to_user_id: i64,
        content: String,
    },
    #[serde(rename = "private.history")]
    PrivateHistory {
        #[serde(deserialize_with = "id")]
        user_id: i64,
        page_num: Option<i32>,
        page_size: Option<i32>,
    },
    #[serde(rename = "private.unread")]
    PrivateUnread {},
    #[serde(rename = "group.create")]
    GroupCreate {
        name: String,
        #[serde(deserialize_with = "ids")]
        member_ids: Vec<i64>,
    },
    #[serde(rename = "group.list")]
    GroupList {},
    #[serde(rename = "group.send")]
    GroupSend {
        #[serde(deserialize_with = "id")]
        group_id: i64,
        content: String,
    },
    #[serde(rename = "group.history")]
    GroupHistory {
        #[serde(deserialize_with = "id")]
        group_id: i64,
        page_num: Option<i32>,
        page_size: Option<i32>,
    },
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    PrivateSend { to: i64, content: String },
    PrivateHistory { peer: i64, page: Page },
    PrivateUnread,
    GroupCreate { name: String, members: Vec<i64> },
    GroupList,
    GroupSend { group: i64, content: String },
    GroupHistory { group: i64, page: Page },
}

/// A request frame taken apart: its echo id, its type name (for the reply) and the request.
pub struct Parsed {
    pub id: Value,
    pub kind: String,
    pub request: Result<Request, AppError>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::with_message(ErrorCode::InvalidParameter, message.into())
}

/// Parses one text frame. A frame that is not a JSON object is answered with type `error`.
pub fn parse(text: &str) -> Parsed {
    let mut value: Value = match serde_json::from_str(text) {
        Ok(Value::Object(v)) => Value::Object(v),
        Ok(_) | Err(_) => {
            return Parsed {
                id: Value::Null,
                kind: "error".into(),
                request: Err(invalid("a frame is one JSON object")),
            };
        }
    };
    let id = value
        .as_object_mut()
        .and_then(|o| o.remove("id"))
        .unwrap_or(Value::Null);
    let kind = match value.get("type") {
        Some(Value::String(k)) => k.clone(),
        _ => "error".into(),
    };
    let request = serde_json::from_value::<Wire>(value)
        .map_err(|e| invalid(format!("bad {kind} request: {e}")))
        .and_then(check);
    Parsed { id, kind, request }
}

fn check(wire: Wire) -> Result<Request, AppError> {
    // Paging as the contract's lists: 0-based, 10 by default, 100 at most.
    Ok(match wire {
        Wire::PrivateSend {
            to_user_id,
            content,
        } => Request::PrivateSend {
            to: to_user_id,
            content,
        },
        Wire::PrivateHistory {
            user_id,
            page_num,
            page_size,
        } => Request::PrivateHistory {
            peer: user_id,
            page: Page::new(page_num, page_size)?,
        },
        Wire::PrivateUnread {} => Request::PrivateUnread,
        Wire::GroupCreate { name, member_ids } => Request::GroupCreate {
            name,
            members: member_ids,
        },
        Wire::GroupList {} => Request::GroupList,
        Wire::GroupSend { group_id, content } => Request::GroupSend {
            group: group_id,
            content,
        },
        Wire::GroupHistory {
            group_id,
            page_num,
            page_size,
        } => Request::GroupHistory {
            group: group_id,
            page: Page::new(page_num, page_size)?,
        },
    })
}

/// The reply to a request: `base`, and `data` on success.
pub fn reply(id: &Value, kind: &str, outcome: Result<Value, AppError>) -> String {
    let envelope = match outcome {
        Ok(data) => serde_json::to_value(Envelope::success(Some(data))),
        Err(err) => serde_json::to_value(err.envelope()),
    };
    let mut frame = envelope.unwrap_or_else(|_| json!({}));
    frame["id"] = id.clone();
    frame["type"] = json!(kind);
    frame.to_string()
}

/// A push of a new message.
pub fn push(kind: &str, data: &Value) -> String {
    json!({ "type": kind, "data": data }).to_string()
}

fn time(t: chrono::NaiveDateTime) -> String {
    kit::rest::utc_time(t)
}

pub fn message(m: &MessageRow) -> Value {
    json!({
        "id": m.id.to_string(),
        "from_user_id": m.sender_id.to_string(),
        "to_user_id": m.receiver_id.to_string(),
        "content": m.content,
        "created_at": time(m.created_at),
    })
}

pub fn group_message(m: &GroupMessageRow) -> Value {
    json!({
        "id": m.id.to_string(),
        "group_id": m.group_id.to_string(),
        "from_user_id": m.sender_id.to_string(),
        "content": m.content,
        "created_at": time(m.created_at),
    })
}

pub fn group(g: &GroupRow) -> Value {
    json!({
        "id": g.id.to_string(),
        "name": g.name,
        "owner_id": g.owner_id.to_string(),
        "created_at": time(g.created_at),
    })
}

/// `{items, total}`.
pub fn items(items: Vec<Value>, total: i64) -> Value {
    json!({ "items": items, "total": total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Result<Request, AppError> {
        parse(text).request
    }

    #[test]
    fn requests_parse_with_string_or_number_ids_and_echo_their_id() {
        let p = parse(r#"{"id":"c1","type":"private.send","to_user_id":"42","content":"hi"}"#);
        assert_eq!(p.id, json!("c1"));
        assert_eq!(p.kind, "private.send");
        assert_eq!(
            p.request.unwrap(),
            Request::PrivateSend {
                to: 42,
                content: "hi".into()
            }
        );
        assert_eq!(
            request(r#"{"type":"group.create","name":"g","member_ids":[1,"2"]}"#).unwrap(),
            Request::GroupCreate {
                name: "g".into(),
                members: vec![1, 2]
            }
        );
        assert_eq!(
            request(r#"{"type":"group.history","group_id":7,"page_num":1,"page_size":5}"#).unwrap(),
            Request::GroupHistory {
                group: 7,
                page: Page::new(Some(1), Some(5)).unwrap()
            }
        );
        assert_eq!(
            request(r#"{"type":"private.unread"}"#).unwrap(),
            Request::PrivateUnread
        );
    }

    #[test]
    fn bad_frames_are_parameter_errors() {
        for text in [
            "not json",
            "[1]",
            r#"{"type":"nope"}"#,
            r#"{"content":"no type"}"#,
            r#"{"type":"private.send","content":"no receiver"}"#,
            r#"{"type":"private.send","to_user_id":"4x","content":"hi"}"#,
            r#"{"type":"private.send","to_user_id":1,"content":7}"#,
            r#"{"type":"private.send","to_user_id":1,"content":"hi","extra":1}"#,
            r#"{"type":"private.history","user_id":1,"page_num":-1}"#,
            r#"{"type":"group.create","name":"g","member_ids":"1"}"#,
        ] {
            let err = request(text).expect_err(text);
            assert_eq!(err.code(), ErrorCode::InvalidParameter, "{text}");
        }
        assert_eq!(parse("[1]").kind, "error");
    }

    #[test]
    fn replies_carry_the_envelope() {
        let ok: Value =
            serde_json::from_str(&reply(&json!(3), "group.list", Ok(json!([])))).unwrap();
        assert_eq!(
            ok,
            json!({"id":3,"type":"group.list","base":{"code":10000,"msg":"success"},"data":[]})
        );
        let failed: Value = serde_json::from_str(&reply(
            &Value::Null,
            "private.send",
            Err(AppError::new(ErrorCode::NotFriends)),
        ))
        .unwrap();
        assert_eq!(failed["base"]["code"], 17001);
        assert!(failed.get("data").is_none());
    }
}
