//! The west2 REST facade: a route of [`table`] becomes a GraphQL request that the router's own
//! pipeline plans and executes ([`operation`]), and the GraphQL answer becomes the contract's
//! envelope ([`output::render`]); [`edge`] does both on the request path.

pub mod edge;
pub mod input;
pub mod openapi;
pub mod output;
pub mod table;

use kit::{AppError, ErrorCode};
use serde_json::{Map, Value, json};

use crate::auth::Viewer;
use input::Params;
use table::{Auth, Fallback, Kind, Route};

/// Refuses a route that needs a user when the edge has none.
pub fn admit(route: &Route, viewer: &Viewer) -> Result<(), AppError> {
    if route.auth == Auth::Optional {
        return Ok(());
    }
    need_user(viewer).map(drop)
}

/// The viewer's user id, or the error a route that needs a user answers with.
pub(crate) fn need_user(viewer: &Viewer) -> Result<i64, AppError> {
    match viewer {
        Viewer::User { id, .. } => Ok(*id),
        Viewer::Expired => Err(AppError::new(ErrorCode::TokenExpired)),
        Viewer::Invalid => Err(AppError::with_message(
            ErrorCode::Unauthenticated,
            "the access token is invalid",
        )),
        Viewer::Anonymous => Err(AppError::with_message(
            ErrorCode::Unauthenticated,
            "an access token is required",
        )),
    }
}

/// The GraphQL request body for a route: `{"query", "variables"}`.
pub fn operation(
    route: &Route,
    params: &Params,
    header: impl Fn(&str) -> Option<String>,
    viewer: &Viewer,
) -> Result<Value, AppError> {
    let mut variables = Map::new();
    for var in route.vars {
        let given = var
            .params
            .iter()
            .find_map(|p| match p.strip_prefix("header:") {
                Some(h) => header(h),
                None => params.get(p).map(str::to_owned),
            });
        let given = given.filter(|v| !v.trim().is_empty() || var.kind == Kind::Text);
        let value = match (given, var.fallback) {
            (Some(text), _) => typed(var.params[0], var.kind, &text)?,
            (None, Fallback::None) => Value::Null,
            (None, Fallback::Required) => {
                return Err(AppError::with_message(
                    ErrorCode::InvalidParameter,
                    format!("{} is required", var.params[0]),
                ));
            }
            (None, Fallback::Viewer) => Value::String(need_user(viewer)?.to_string()),
        };
        variables.insert(var.name.to_owned(), value);
    }
    Ok(json!({"query": route.operation, "variables": variables}))
}

/// A parameter's text as its GraphQL type; anything else is a parameter error naming it.
fn typed(name: &str, kind: Kind, text: &str) -> Result<Value, AppError> {
    let bad = |what: &str| {
        AppError::with_message(
            ErrorCode::InvalidParameter,
            format!("{name} must be {what}"),
        )
    };
    let t = text.trim();
    Ok(match kind {
        Kind::Text => Value::String(text.to_owned()),
        Kind::Id => {
            if t.is_empty() || t.len() > 19 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("a decimal id"));
            }
            Value::String(t.to_owned())
        }
        Kind::Int => json!(t.parse::<i32>().map_err(|_| bad("an integer"))?),
        Kind::Long => {
            let n = t
                .parse::<i64>()
                .map_err(|_| bad("a millisecond timestamp"))?;
            if n < 0 {
                return Err(bad("a millisecond timestamp"));
            }
            json!(n)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use table::{ROUTES, lookup};

    fn route(id: &str) -> &'static Route {
        ROUTES.iter().find(|r| r.id == id).unwrap()
    }

    fn params(query: &str) -> Params {
        let mut p = Params::default();
        p.add_urlencoded(query.as_bytes());
        p
    }

    fn no_header(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn variables_are_typed_and_defaulted() {
        let me = Viewer::User {
            id: 42,
            sid: 1,
            renewed: None,
        };
        let op = operation(
            route("V3"),
            &params("page_num=2&page_size=5"),
            no_header,
            &me,
        )
        .unwrap();
        assert_eq!(
            op["variables"],
            json!({"userId": "42", "pageNum": 2, "pageSize": 5})
        );
        let op = operation(
            route("V1"),
            &params("latest_time=1700000000000"),
            no_header,
            &Viewer::Anonymous,
        )
        .unwrap();
        assert_eq!(
            op["variables"],
            json!({"latestTime": 1_700_000_000_000_i64, "pageNum": null, "pageSize": null})
        );
        let op = operation(
            route("V5"),
            &params("keyword=cat"),
            no_header,
            &Viewer::Anonymous,
        )
        .unwrap();
        assert_eq!(
            op["variables"]["keywords"], "cat",
            "keyword is accepted for keywords"
        );
        let refresh = |h: &str| (h == "refresh-token").then(|| "r.t.s".to_owned());
        let op = operation(route("X1"), &params(""), refresh, &Viewer::Anonymous).unwrap();
        assert_eq!(op["variables"]["refreshToken"], "r.t.s");
    }

    #[test]
    fn bad_parameters_are_refused_by_name() {
        let anon = Viewer::Anonymous;
        let refused = |id: &str, q: &str| {
            operation(route(id), &params(q), no_header, &anon)
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert!(refused("V1", "page_num=abc").contains("page_num"));
        assert!(refused("V1", "page_size=1.5").contains("page_size"));
        assert!(refused("V1", "latest_time=-1").contains("latest_time"));
        assert!(refused("V1", "page_num=99999999999").contains("page_num"));
        assert!(refused("V3", "user_id=12a").contains("user_id"));
        assert!(refused("U1", "username=a").contains("password"));
        assert!(refused("I1", "video_id=1").contains("action_type"));
        assert_eq!(
            operation(route("V3"), &params(""), no_header, &anon)
                .unwrap_err()
                .code(),
            ErrorCode::Unauthenticated,
            "my list without a token"
        );
    }

    #[test]
    fn required_routes_tell_expired_from_invalid_tokens() {
        let r = match lookup("POST", "/like/action") {
            table::Lookup::Found(r) => r,
            _ => unreachable!(),
        };
        assert_eq!(
            admit(r, &Viewer::Expired).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
        assert_eq!(
            admit(r, &Viewer::Invalid).unwrap_err().code(),
            ErrorCode::Unauthenticated
        );
        assert_eq!(
            admit(r, &Viewer::Anonymous).unwrap_err().code(),
            ErrorCode::Unauthenticated
        );
        assert!(
            admit(
                r,
                &Viewer::User {
                    id: 1,
                    sid: 1,
                    renewed: None
                }
            )
            .is_ok()
        );
        assert!(
            admit(route("V1"), &Viewer::Invalid).is_ok(),
            "optional routes serve anyone"
        );
    }
}
