//! The REST facade as an OpenAPI 3.1 document. Methods, paths and parameters (names, kinds, which
//! are required, query or form) come from the rows the facade runs ([`super::table::ROUTES`]);
//! [`routes`] adds what the table does not hold (summaries, `data` shapes, each route's codes, the
//! limits of text fields, the three file routes) and [`schemas`] the shared components.
//!
//! `apifox/openapi.json` is this document (a test rewrites it and fails when it changed, like the
//! SDL goldens) and the router serves it at [`PATH`]. The chat WebSocket is in `docs/chat.md`.

mod routes;
mod schemas;

use kit::ErrorCode::{self, *};
use serde_json::{Map, Value, json};

use super::table::{Auth, Method};
use routes::{COMMON, Data, Described};

/// Where the router serves the document.
pub const PATH: &str = "/openapi.json";

/// The document as served: built once.
pub fn served() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| serde_json::to_vec(&document()).unwrap_or_default())
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in routes::described() {
        let rendered = operation(&op);
        for (n, path) in op.paths.iter().enumerate() {
            let mut rendered = rendered.clone();
            if n > 0 {
                // operationId is unique per document: a second path of a route is its alias.
                rendered["operationId"] = json!(format!("{}_{n}", op.id));
            }
            let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
            entry[op.method.as_str().to_ascii_lowercase()] = rendered;
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "clipfed REST API (west2 FanOne video site)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "servers": [{"url": "http://127.0.0.1:8100", "description": "the router of `clipfed up`"}],
        "tags": schemas::tags(),
        "paths": paths,
        "components": schemas::components(),
    })
}

const DESCRIPTION: &str = "Every answer is the envelope `{\"base\":{\"code\",\"msg\"},\"data\"}` \
with HTTP 200; `base.code` 10000 is success, any other code is a failure (the table of codes is \
`components.schemas.Code`). HTTP itself fails only with 404 (unknown route), 405 (method), 413 \
(body over the limit), each still carrying an envelope. Ids are decimal strings, times \
`YYYY-MM-DD HH:MM:SS` in UTC+8 (`deleted_at` is `\"\"` when not deleted), request times are \
millisecond timestamps, pages count from 0. Login answers with `Access-Token` and `Refresh-Token` \
response headers; send them back as request headers (or `Authorization: Bearer`); an expired \
access token with a valid refresh token is renewed and the new one comes back in `Access-Token`. \
Form bodies may be multipart/form-data, application/x-www-form-urlencoded or JSON with the same \
field names. The chat WebSocket (`/ws`) is described in docs/chat.md; resumable uploads (tus \
1.0.0 under `/uploads/`) in docs/upload.md.";

fn operation(op: &Described) -> Value {
    let mut rendered = json!({
        "operationId": op.id,
        "summary": format!("{}: {}", op.id, op.summary),
        "tags": [routes::tag_of(op.id)],
        "security": security(op.auth),
        "responses": responses(op.method, op.data, op.codes),
    });
    if op.method == Method::GET {
        let params: Vec<Value> = op
            .fields
            .iter()
            .map(|f| json!({"name": f.name, "in": "query", "required": f.required, "schema": f.schema}))
            .collect();
        rendered["parameters"] = json!(params);
    } else {
        rendered["requestBody"] = body(&op.fields, op.file);
    }
    rendered
}

/// A form body: the same fields as multipart, URL-encoded or JSON (a file only as multipart).
fn body(fields: &[routes::Field], file: Option<(&str, u64)>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in fields {
        properties.insert(f.name.clone(), f.schema.clone());
        if f.required {
            required.push(json!(f.name));
        }
    }
    let schema = |properties: Map<String, Value>, required: Vec<Value>| json!({"type": "object", "properties": properties, "required": required});
    match file {
        Some((what, max)) => {
            let mut with_file = properties;
            with_file.insert(
                "data".into(),
                json!({"type": "string", "contentMediaType": "application/octet-stream",
                    "description": format!("the file: {what} (checked by its bytes), at most {max} bytes")}),
            );
            required.push(json!("data"));
            json!({"required": true, "content": {
                "multipart/form-data": {"schema": schema(with_file, required)}
            }})
        }
        None => {
            let s = schema(properties, required);
            json!({"required": !fields.is_empty(), "content": {
                "multipart/form-data": {"schema": s},
                "application/x-www-form-urlencoded": {"schema": s},
                "application/json": {"schema": s},
            }})
        }
    }
}

fn security(auth: Auth) -> Value {
    let mut options = vec![
        json!({"AccessToken": [], "RefreshToken": []}),
        json!({"AccessToken": []}),
        json!({"Bearer": []}),
    ];
    if auth == Auth::Optional {
        options.push(json!({}));
    }
    json!(options)
}

/// 200 with the envelope (success with the route's `data`, or a failure with one of its codes);
/// 413 as an envelope.
fn responses(method: Method, data: Data, codes: &[ErrorCode]) -> Value {
    let mut all: Vec<ErrorCode> = COMMON.iter().chain(codes).copied().collect();
    if method != Method::GET {
        // Every write counts against the caller's per-minute budget.
        all.push(RateLimited);
    }
    all.sort_by_key(|c| c.code());
    all.dedup();
    let numbers: Vec<i32> = all.iter().map(|c| c.code()).collect();
    let mut success = json!({"type": "object", "required": ["base"],
        "properties": {"base": {"$ref": "#/components/schemas/SuccessBase"}}});
    if let Data::Named(name) = data {
        success["required"] = json!(["base", "data"]);
        success["properties"]["data"] = json!({"$ref": format!("#/components/schemas/{name}")});
    }
    let failure = failure_envelope(&numbers);
    let renewed = json!({"Access-Token": {
        "description": "a renewed access token, when the presented one had expired",
        "schema": {"type": "string"}}});
    json!({
        "200": {
            "description": "the envelope: success with `data`, or a failure code",
            "headers": renewed,
            "content": {"application/json": {"schema": {"oneOf": [success, failure]}}},
        },
        "413": plain_failure("the body is over the limit", &[PayloadTooLarge.code()]),
    })
}

fn failure_envelope(codes: &[i32]) -> Value {
    json!({"type": "object", "required": ["base"], "not": {"required": ["data"]},
        "properties": {"base": {"type": "object", "required": ["code", "msg"], "properties": {
            "code": {"type": "integer", "enum": codes},
            "msg": {"type": "string"}}}}})
}

fn plain_failure(description: &str, codes: &[i32]) -> Value {
    json!({"description": description,
        "content": {"application/json": {"schema": failure_envelope(codes)}}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../apifox/openapi.json");
        let text = serde_json::to_string_pretty(&document()).unwrap() + "\n";
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if committed != text {
            std::fs::write(path, &text).unwrap();
            panic!("apifox/openapi.json was stale and has been rewritten: review and commit it");
        }
    }
}
