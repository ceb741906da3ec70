//! A GraphQL answer as the contract's envelope. Three rules shape every `data`, whatever the
//! route: a field named `*_id` holding a reference object (`user_id: author { id }`) becomes that
//! id (`""` when null), a field named `*_at` (a GraphQL `DateTime`) becomes
//! `YYYY-MM-DD HH:MM:SS` in UTC+8 (`""` when null), and ids stay strings as GraphQL gives them.
//! Errors become `base.code` from `extensions.code`.

use kit::{AppError, ErrorCode};
use serde_json::{Value, json};

use super::table::Route;
use crate::auth::Viewer;

/// The envelope plus the tokens to move into response headers (login, refresh).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub envelope: Value,
    pub access: Option<String>,
    pub refresh: Option<String>,
}

impl Rendered {
    pub fn failure(err: &AppError) -> Self {
        Self {
            envelope: serde_json::to_value(err.envelope()).unwrap_or_default(),
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

fn shape(route: &Route, viewer: &Viewer, body: &[u8]) -> Result<Rendered, AppError> {
    let mut answer: Value = serde_json::from_slice(body).map_err(|_| {
        tracing::error!(
            route = route.id,
            "the GraphQL pipeline answered with something not JSON"
        );
        AppError::new(ErrorCode::Internal)
    })?;
    if let Some(err) = answer["errors"].as_array().and_then(|e| e.first()) {
        return Err(failure(err, viewer));
    }
    let token = |field: &str| {
        let path = route.tokens?;
        let at = path.iter().fold(&answer["data"], |v, k| &v[*k]);
        at[field].as_str().map(str::to_owned)
    };
    let (access, refresh) = (token("accessToken"), token("refreshToken"));
    // The payload is moved out of the answer, not copied: the answer is dropped next.
    let payload = match route.data {
        None => None,
        Some(path) => {
            let slot = answer
                .get_mut("data")
                .and_then(|data| path.iter().try_fold(data, |v, k| v.get_mut(*k)));
            match slot.map(Value::take) {
                None | Some(Value::Null) => {
                    return Err(AppError::new(route.missing.unwrap_or(ErrorCode::Internal)));
                }
                Some(value) => Some(contract_shape(value)),
            }
        }
    };
    let mut envelope =
        json!({"base": {"code": ErrorCode::Success.code(), "msg": ErrorCode::Success.message()}});
    if let Some(payload) = payload {
        envelope["data"] = payload;
    }
    Ok(Rendered {
        envelope,
        access,
        refresh,
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

/// Applies the `*_id` and `*_at` rules, recursively.
fn contract_shape(value: Value) -> Value {
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
                        contract_shape(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(contract_shape).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::table::ROUTES;

    fn route(id: &str) -> &'static Route {
        ROUTES.iter().find(|r| r.id == id).unwrap()
    }

    fn render_json(id: &str, viewer: &Viewer, answer: Value) -> Rendered {
        render(route(id), viewer, answer.to_string().as_bytes())
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
        let out = render(route("U3"), &Viewer::Anonymous, b"<html>");
        assert_eq!(out.envelope["base"]["code"], 10001);
    }
}
