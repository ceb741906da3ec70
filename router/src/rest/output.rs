//! A GraphQL answer as the contract's envelope. Three rules shape every `data`, whatever the
//! route: a field named `*_id` holding a reference object (`user_id: author { id }`) becomes that
//! id (`""` when null), a field named `*_at` (a GraphQL `DateTime`) becomes
//! `YYYY-MM-DD HH:MM:SS` in UTC+8 (`""` when null), and ids stay strings as GraphQL gives them.
//! Errors become `base.code` from `extensions.code`.
//!
//! The answer is read once, as a stream (serde visitors, no tree): [`Walk`] follows the route's
//! `data` and `tokens` paths and skips everything else, and [`Shape`] writes the payload in the
//! contract's shape straight into the envelope's bytes. Parsing the answer into a `Value` tree,
//! reshaping it and serialising it again was 14 % of the router's CPU under the REST feed
//! (`docs/profiling.md`, step 4).

use std::borrow::Cow;
use std::fmt;

use kit::{AppError, ErrorCode};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::table::Route;
use crate::auth::Viewer;

/// The envelope's bytes and code, plus the tokens to move into response headers (login, refresh).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub code: i32,
    pub access: Option<String>,
    pub refresh: Option<String>,
}

impl Rendered {
    pub fn failure(err: &AppError) -> Self {
        Self {
            body: serde_json::to_vec(&err.envelope()).unwrap_or_default(),
            code: err.code().code(),
            access: None,
            refresh: None,
        }
    }
}

/// Renders the GraphQL response `body` of `route`.
pub fn render(route: &Route, viewer: &Viewer, body: &[u8]) -> Rendered {
    match shape(route, viewer, body) {
        Ok(rendered) => rendered,
        Err(err) => Rendered::failure(&err),
    }
}

/// What one pass over the answer found.
#[derive(Default)]
struct Found {
    /// The payload at the route's `data` path, already in the contract's shape; `None` when the
    /// path is absent or null.
    payload: Option<Vec<u8>>,
    access: Option<String>,
    refresh: Option<String>,
    /// The first GraphQL error.
    error: Option<Value>,
}

fn shape(route: &Route, viewer: &Viewer, body: &[u8]) -> Result<Rendered, AppError> {
    let mut found = Found::default();
    let mut reader = serde_json::Deserializer::from_slice(body);
    Answer {
        route,
        found: &mut found,
    }
    .deserialize(&mut reader)
    .and_then(|()| reader.end())
    .map_err(|_| {
        tracing::error!(
            route = route.id,
            "the GraphQL pipeline answered with something not JSON"
        );
        AppError::new(ErrorCode::Internal)
    })?;
    if let Some(err) = &found.error {
        return Err(failure(err, viewer));
    }
    let success = ErrorCode::Success;
    let mut out = format!(
        r#"{{"base":{{"code":{},"msg":{}}}"#,
        success.code(),
        Value::from(success.message())
    )
    .into_bytes();
    if route.data.is_some() {
        let payload = found
            .payload
            .ok_or_else(|| AppError::new(route.missing.unwrap_or(ErrorCode::Internal)))?;
        out.extend_from_slice(br#","data":"#);
        out.extend_from_slice(&payload);
    }
    out.push(b'}');
    Ok(Rendered {
        body: out,
        code: success.code(),
        access: found.access,
        refresh: found.refresh,
    })
}

/// The contract's code for a GraphQL error: the subgraphs' numeric `extensions.code`; the router's
/// own refusals (validation, parsing, variables) are parameter errors. An unauthenticated answer to
/// a caller whose token expired for good says so (10004).
fn failure(err: &Value, viewer: &Viewer) -> AppError {
    let message = err["message"].as_str().unwrap_or("error").to_owned();
    let code = match &err["extensions"]["code"] {
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .and_then(ErrorCode::from_code)
            .unwrap_or(ErrorCode::Internal),
        Value::String(s)
            if s.contains("VALIDATION") || s.contains("PARSE") || s.contains("BAD_USER_INPUT") =>
        {
            ErrorCode::InvalidParameter
        }
        _ => ErrorCode::Internal,
    };
    let code = match (code, viewer) {
        (ErrorCode::Unauthenticated, Viewer::Expired) => ErrorCode::TokenExpired,
        (code, _) => code,
    };
    if code == ErrorCode::Internal {
        tracing::warn!(error = %err, "GraphQL error without a clipfed code");
        return AppError::new(code);
    }
    AppError::with_message(code, message)
}

/// A map key, borrowed from the answer when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The top level of the answer: `errors` kept, `data` walked, the rest skipped.
struct Answer<'f, 'r> {
    route: &'r Route,
    found: &'f mut Found,
}

impl<'de> DeserializeSeed<'de> for Answer<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Answer<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GraphQL response object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "errors" => {
                    let errors: Option<Vec<Value>> = map.next_value()?;
                    if let Some(first) = errors.and_then(|e| e.into_iter().next()) {
                        self.found.error.get_or_insert(first);
                    }
                }
                "data" => map.next_value_seed(Walk {
                    data: self.route.data,
                    tokens: self.route.tokens,
                    found: &mut *self.found,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A value inside `data`, with what is left of the route's two paths below it.
struct Walk<'f> {
    data: Option<&'static [&'static str]>,
    tokens: Option<&'static [&'static str]>,
    found: &'f mut Found,
}

/// What is left of `path` below `key`, when the path goes through it.
fn below(path: Option<&'static [&'static str]>, key: &str) -> Option<&'static [&'static str]> {
    path.and_then(|p| p.split_first())
        .filter(|(head, _)| **head == key)
        .map(|(_, rest)| rest)
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.data == Some(&[]) {
            let mut payload = Vec::new();
            Shape::new(&mut payload, Mode::Value).deserialize(d)?;
            if payload != b"null" {
                self.found.payload = Some(payload);
            }
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

/// Ignores a value of any type (the default visitor methods would refuse them).
macro_rules! skip_scalars {
    ($ret:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($ret)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($ret)
        }
    };
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GraphQL data value")
    }
    skip_scalars!(());
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            let at_tokens = self.tokens == Some(&[]);
            if at_tokens && (key == "accessToken" || key == "refreshToken") {
                let token: Value = map.next_value()?;
                let slot = if key == "accessToken" {
                    &mut self.found.access
                } else {
                    &mut self.found.refresh
                };
                *slot = token.as_str().map(str::to_owned);
                continue;
            }
            let (data, tokens) = (below(self.data, &key), below(self.tokens, &key));
            if data.is_none() && tokens.is_none() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            map.next_value_seed(Walk {
                data,
                tokens,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

/// How [`Shape`] writes the value it reads.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// As is, with the `*_id` and `*_at` rules applied to the fields of every object inside.
    Value,
    /// The value of a `*_id` field: a reference object becomes its `id`, null becomes `""`.
    IdOf,
    /// The value of a `*_at` field: an RFC 3339 string becomes the contract's time; anything else
    /// becomes `""`.
    Time,
}

/// Writes the value it reads, in the contract's shape, as JSON into `out`.
struct Shape<'o> {
    out: &'o mut Vec<u8>,
    mode: Mode,
}

impl<'o> Shape<'o> {
    fn new(out: &'o mut Vec<u8>, mode: Mode) -> Self {
        Self { out, mode }
    }

    fn json(self, value: impl serde::Serialize) {
        // Writing into a Vec cannot fail, and every value here is plain JSON.
        let _ = serde_json::to_writer(&mut *self.out, &value);
    }

    fn scalar(self, value: impl serde::Serialize) {
        if self.mode == Mode::Time {
            self.out.extend_from_slice(b"\"\"");
        } else {
            self.json(value);
        }
    }
}

impl<'de> DeserializeSeed<'de> for Shape<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shape<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(v);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(v);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(v);
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(v);
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if self.mode == Mode::Time {
            let time = kit::rest::time(Some(v));
            self.json(time);
        } else {
            self.json(v);
        }
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let text: &[u8] = match self.mode {
            Mode::Value => b"null",
            Mode::IdOf | Mode::Time => b"\"\"",
        };
        self.out.extend_from_slice(text);
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.mode == Mode::Time {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            self.out.extend_from_slice(b"\"\"");
            return Ok(());
        }
        self.out.push(b'[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            if seq
                .next_element_seed(Shape::new(&mut *self.out, Mode::Value))?
                .is_none()
            {
                self.out.truncate(mark);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.mode {
            Mode::Time => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                self.out.extend_from_slice(b"\"\"");
            }
            Mode::IdOf => {
                let mut written = false;
                while let Some(Key(key)) = map.next_key()? {
                    if key == "id" && !written {
                        map.next_value_seed(Shape::new(&mut *self.out, Mode::Value))?;
                        written = true;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                if !written {
                    self.out.extend_from_slice(b"null");
                }
            }
            Mode::Value => {
                self.out.push(b'{');
                let mut first = true;
                while let Some(Key(key)) = map.next_key()? {
                    if !first {
                        self.out.push(b',');
                    }
                    first = false;
                    let _ = serde_json::to_writer(&mut *self.out, key.as_ref());
                    self.out.push(b':');
                    let mode = if key.ends_with("_id") {
                        Mode::IdOf
                    } else if key.ends_with("_at") {
                        Mode::Time
                    } else {
                        Mode::Value
                    };
                    map.next_value_seed(Shape::new(&mut *self.out, mode))?;
                }
                self.out.push(b'}');
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::table::ROUTES;
    use serde_json::json;

    fn route(id: &str) -> &'static Route {
        ROUTES.iter().find(|r| r.id == id).unwrap()
    }

    /// The envelope of `answer`, parsed back, checked against the code the response is counted by.
    fn render_json(id: &str, viewer: &Viewer, answer: Value) -> Out {
        let out = render(route(id), viewer, answer.to_string().as_bytes());
        Out::of(out)
    }

    struct Out {
        envelope: Value,
        access: Option<String>,
        refresh: Option<String>,
    }

    impl Out {
        fn of(out: Rendered) -> Self {
            let envelope: Value = serde_json::from_slice(&out.body).expect("the envelope is JSON");
            assert_eq!(envelope["base"]["code"], out.code, "{envelope}");
            Self {
                envelope,
                access: out.access,
                refresh: out.refresh,
            }
        }
    }

    #[test]
    fn data_is_shaped_to_the_contract() {
        let answer = json!({"data": {"comments": {"items": [{
            "id": "9", "user_id": {"id": "7"}, "video_id": {"id": "8"}, "parent_id": null,
            "like_count": 0, "content": "hi",
            "created_at": "1970-01-01T00:00:00Z", "updated_at": "2024-02-29T20:30:05Z", "deleted_at": null
        }]}}});
        let out = render_json("I4", &Viewer::Anonymous, answer);
        assert_eq!(
            out.envelope,
            json!({"base": {"code": 10000, "msg": "success"}, "data": {"items": [{
                "id": "9", "user_id": "7", "video_id": "8", "parent_id": "",
                "like_count": 0, "content": "hi",
                "created_at": "1970-01-01 08:00:00", "updated_at": "2024-03-01 04:30:05", "deleted_at": ""
            }]}})
        );
    }

    #[test]
    fn actions_have_no_data_and_login_moves_tokens_to_headers() {
        let out = render_json(
            "I1",
            &Viewer::Anonymous,
            json!({"data": {"likeAction": true}}),
        );
        assert_eq!(
            out.envelope,
            json!({"base": {"code": 10000, "msg": "success"}})
        );
        let login = json!({"data": {"login": {"accessToken": "a", "refreshToken": "r", "user": {"id": "1", "username": "u"}}}});
        let out = render_json("U2", &Viewer::Anonymous, login);
        assert_eq!(out.envelope["data"], json!({"id": "1", "username": "u"}));
        assert_eq!(
            (out.access.as_deref(), out.refresh.as_deref()),
            (Some("a"), Some("r"))
        );
    }

    #[test]
    fn errors_carry_their_code_and_a_null_lookup_is_not_found() {
        let err = |code: Value| json!({"data": null, "errors": [{"message": "m", "extensions": {"code": code}}]});
        let out = render_json("I1", &Viewer::Anonymous, err(json!(13002)));
        assert_eq!(out.envelope, json!({"base": {"code": 13002, "msg": "m"}}));
        let out = render_json("I1", &Viewer::Expired, err(json!(10003)));
        assert_eq!(out.envelope["base"]["code"], 10004);
        let out = render_json(
            "I1",
            &Viewer::Anonymous,
            err(json!("GRAPHQL_VALIDATION_FAILED")),
        );
        assert_eq!(out.envelope["base"]["code"], 10002);
        let out = render_json("I1", &Viewer::Anonymous, err(json!(99999)));
        assert_eq!(
            out.envelope["base"],
            json!({"code": 10001, "msg": "internal error"})
        );
        let out = render_json("U3", &Viewer::Anonymous, json!({"data": {"user": null}}));
        assert_eq!(out.envelope["base"]["code"], 11003);
        let out = Out::of(render(route("U3"), &Viewer::Anonymous, b"<html>"));
        assert_eq!(out.envelope["base"]["code"], 10001);
        let out = Out::of(render(
            route("V1"),
            &Viewer::Anonymous,
            br#"{"data": {}} x"#,
        ));
        assert_eq!(out.envelope["base"]["code"], 10001, "trailing bytes");
    }

    /// The shaping as a tree walk: what the streaming writer must agree with.
    fn oracle(value: Value) -> Value {
        match value {
            Value::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| {
                        let v = if k.ends_with("_id") {
                            match v {
                                Value::Object(mut r) => r.remove("id").unwrap_or(Value::Null),
                                Value::Null => Value::String(String::new()),
                                other => other,
                            }
                        } else if k.ends_with("_at") {
                            Value::String(kit::rest::time(v.as_str()))
                        } else {
                            oracle(v)
                        };
                        (k, v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(oracle).collect()),
            other => other,
        }
    }

    #[test]
    fn the_streamed_shape_matches_the_tree_walk_on_awkward_payloads() {
        let payloads = [
            json!({"items": [], "total": 0}),
            json!({"items": [{"id": "1", "title": "引号 \" 反斜杠 \\ 换行 \n 🎬", "score": 1.5, "big": 18446744073709551615u64,
                "neg": -3, "ok": true, "none": null, "tags": ["a", {"user_id": {"id": "5", "name": "x"}}],
                "author_id": {"name": "no id"}, "video_id": "7", "parent_id": null,
                "created_at": "2024-02-29T20:30:05Z", "deleted_at": null, "odd_at": 5, "nested_at": {"a": 1},
                "list_at": [1], "deep": {"deeper": {"updated_at": "1970-01-01T00:00:00Z"}}}], "total": 1}),
            json!({"items": [{"id": "1", "author_id": {"id": "2", "id_again": "3"}}], "total": 1}),
        ];
        for payload in payloads {
            let answer = json!({"data": {"feed": payload.clone()}});
            let out = render_json("V1", &Viewer::Anonymous, answer);
            assert_eq!(out.envelope["data"], oracle(payload.clone()), "{payload}");
            assert_eq!(
                out.envelope["base"],
                json!({"code": 10000, "msg": "success"})
            );
        }
    }

    #[test]
    fn errors_count_wherever_they_stand_and_other_top_level_keys_are_skipped() {
        let after = br#"{"data": {"feed": {"items": []}}, "extensions": {"x": [1, {"y": null}]}, "errors": [{"message": "m", "extensions": {"code": 13002}}]}"#;
        let out = Out::of(render(route("V1"), &Viewer::Anonymous, after));
        assert_eq!(out.envelope, json!({"base": {"code": 13002, "msg": "m"}}));
        let empty =
            br#"{"errors": [], "extensions": {}, "data": {"feed": {"items": [], "total": 0}}}"#;
        let out = Out::of(render(route("V1"), &Viewer::Anonymous, empty));
        assert_eq!(out.envelope["data"], json!({"items": [], "total": 0}));
        let missing = br#"{"data": {"other": 1}}"#;
        let out = Out::of(render(route("V1"), &Viewer::Anonymous, missing));
        assert_eq!(
            out.envelope["base"]["code"], 10001,
            "no payload at the path"
        );
    }

    #[test]
    fn tokens_beside_the_payload_and_odd_token_values() {
        let login = json!({"data": {"login": {"user": {"id": "1", "created_at": null}, "refreshToken": "r", "accessToken": 5}}});
        let out = render_json("U2", &Viewer::Anonymous, login);
        assert_eq!(out.envelope["data"], json!({"id": "1", "created_at": ""}));
        assert_eq!(
            (out.access.as_deref(), out.refresh.as_deref()),
            (None, Some("r"))
        );
        let refresh = json!({"data": {"refreshTokens": {"accessToken": "a", "refreshToken": "r"}}});
        let out = render_json("X1", &Viewer::Anonymous, refresh);
        assert_eq!(
            out.envelope,
            json!({"base": {"code": 10000, "msg": "success"}})
        );
        assert_eq!(
            (out.access.as_deref(), out.refresh.as_deref()),
            (Some("a"), Some("r"))
        );
    }
}
