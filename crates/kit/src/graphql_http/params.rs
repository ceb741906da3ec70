//! Reading and type-checking the request parameters (`query`, `operationName`, `variables`,
//! `extensions`) from a GET query string or a POST JSON body.

use std::collections::HashMap;

use axum::body::Body;
use http::StatusCode;
use serde_json::{Map, Value};

use super::media::ResponseType;
use super::respond;
use crate::error::{AppError, ErrorCode};

/// Why the HTTP exchange failed before a GraphQL request existed.
pub enum Failure {
    /// Not a well-formed GraphQL-over-HTTP request: `400` with an `errors` body.
    Request(AppError),
    /// The HTTP layer itself failed (media type, size): a plain status.
    Http(StatusCode, &'static str),
}

impl Failure {
    pub fn into_response(self, rtype: ResponseType) -> axum::response::Response {
        match self {
            Self::Request(err) => respond::malformed(rtype, err),
            Self::Http(status, message) => respond::status_only(status, message),
        }
    }
}

fn invalid(message: &'static str) -> Failure {
    Failure::Request(AppError::with_message(ErrorCode::InvalidParameter, message))
}

/// Parameters after type checks.
pub struct Params {
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
}

impl Params {
    fn from_object(mut obj: Map<String, Value>) -> Result<Self, Failure> {
        let query = match obj.remove("query") {
            Some(Value::String(q)) => q,
            None | Some(Value::Null) => return Err(invalid("the query parameter is required")),
            Some(_) => return Err(invalid("the query parameter must be a string")),
        };
        let operation_name = match obj.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(invalid("operationName must be a string or null")),
        };
        let variables = optional_map(obj.remove("variables"), "variables must be a map or null")?;
        let extensions =
            optional_map(obj.remove("extensions"), "extensions must be a map or null")?;
        Ok(Self {
            query,
            operation_name,
            variables,
            extensions,
        })
    }

    /// The async-graphql request these parameters describe.
    pub fn into_request(self) -> Result<async_graphql::Request, Failure> {
        let mut request = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(vars) = self.variables {
            request = request.variables(async_graphql::Variables::from_json(Value::Object(vars)));
        }
        for (key, value) in self.extensions.unwrap_or_default() {
            let value = async_graphql::Value::from_json(value)
                .map_err(|_| invalid("extensions must be JSON"))?;
            request.extensions.insert(key, value);
        }
        Ok(request)
    }
}

fn optional_map(
    value: Option<Value>,
    message: &'static str,
) -> Result<Option<Map<String, Value>>, Failure> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(invalid(message)),
    }
}

/// Parameters of a GET request: `variables` and `extensions` are URL-encoded JSON strings.
pub fn from_query(query: &str) -> Result<Params, Failure> {
    let pairs: HashMap<String, String> = serde_urlencoded_pairs(query)
        .ok_or_else(|| invalid("the query string is not valid URL encoding"))?;
    let mut obj = Map::new();
    for (key, raw) in pairs {
        let value = match key.as_str() {
            "variables" | "extensions" => serde_json::from_str(&raw)
                .map_err(|_| invalid("variables and extensions must be JSON in a GET"))?,
            _ => Value::String(raw),
        };
        obj.insert(key, value);
    }
    Params::from_object(obj)
}

fn serde_urlencoded_pairs(query: &str) -> Option<HashMap<String, String>> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(
        &format!("/?{query}").parse().ok()?,
    )
    .ok()
    .map(|q| q.0)
}

/// Parameters of a POST request: the body must be a JSON object sent as `application/json`.
pub async fn from_post(
    headers: &http::HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Params, Failure> {
    let Some(content_type) = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(Failure::Http(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST needs Content-Type: application/json",
        ));
    };
    let mut pieces = content_type.split(';').map(str::trim);
    let mime = pieces.next().unwrap_or_default();
    let charset_ok = pieces.all(|p| match p.to_ascii_lowercase().strip_prefix("charset=") {
        Some(cs) => cs.trim_matches('"') == "utf-8",
        None => true,
    });
    if !mime.eq_ignore_ascii_case("application/json") || !charset_ok {
        return Err(Failure::Http(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST needs Content-Type: application/json (utf-8)",
        ));
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Err(Failure::Http(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ));
        }
    };
    if bytes.is_empty() {
        return Err(invalid("a POST needs a JSON body"));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(obj)) => Params::from_object(obj),
        Ok(_) => Err(invalid(
            "the body must be a JSON object (batches are not supported)",
        )),
        Err(_) => Err(invalid("the body is not valid JSON")),
    }
}
