//! The REST facade as an OpenAPI 3.1 document. Methods, paths and parameters (names, kinds, which
//! are required, query or form) come from the rows the facade runs ([`super::table::ROUTES`]);
//! [`DOCS`] adds what the table does not hold: a summary, the shape of `data`, the codes a route
//! answers and the limits of its text fields. The three file routes, which stream past the table
//! to their services, are described here alone ([`FILE_ROUTES`]).
//!
//! `apifox/openapi.json` is this document (a test rewrites it and fails when it changed, like the
//! SDL goldens) and the router serves it at [`PATH`]. The chat WebSocket is in `docs/chat.md`.

use kit::ErrorCode::{self, *};
use serde_json::{Map, Value, json};

use super::table::{Auth, Fallback, Kind, Method, ROUTES, Route, Var};

/// Where the router serves the document.
pub const PATH: &str = "/openapi.json";

/// What a route's `data` is on success.
#[derive(Debug, Clone, Copy)]
enum Data {
    /// No `data` (an action).
    None,
    /// A schema of `components.schemas`.
    Named(&'static str),
}

/// The parts of a route's description the table does not hold.
struct Doc {
    id: &'static str,
    summary: &'static str,
    data: Data,
    /// Codes beyond [`COMMON`] (and beyond 10006, which every write may answer).
    codes: &'static [ErrorCode],
}

/// Codes every route may answer: a bad parameter, a body over the limit or of a type that is not
/// a form, a dependency down, an internal error; a token that is presented is always checked, so
/// 10003/10004 as well.
const COMMON: &[ErrorCode] = &[
    Internal,
    InvalidParameter,
    Unauthenticated,
    TokenExpired,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unavailable,
];

const DOCS: &[Doc] = &[
    doc("U1", "Register", Data::None, &[UsernameTaken]),
    doc(
        "U2",
        "Log in (tokens in the Access-Token and Refresh-Token response headers)",
        Data::Named("User"),
        &[BadCredentials, MfaCodeRequired, MfaCodeInvalid],
    ),
    doc(
        "U3",
        "A user's profile (default: the caller)",
        Data::Named("User"),
        &[UserNotFound],
    ),
    doc(
        "U5",
        "A new TOTP secret and its QR code",
        Data::Named("MfaSecret"),
        &[],
    ),
    doc(
        "U6",
        "Bind the TOTP secret (replacing a bound one needs current_code)",
        Data::None,
        &[MfaCodeInvalid],
    ),
    doc(
        "V1",
        "The feed, newest first (only videos created after latest_time when given)",
        Data::Named("VideoList"),
        &[],
    ),
    doc(
        "V3",
        "A user's videos (default: the caller)",
        Data::Named("VideoPage"),
        &[UserNotFound],
    ),
    doc(
        "V4",
        "Videos ranked by visits",
        Data::Named("VideoList"),
        &[],
    ),
    doc(
        "V5",
        "Search videos: every given condition must hold",
        Data::Named("VideoPage"),
        &[],
    ),
    doc(
        "I1",
        "Like (1) or cancel a like (2) of a video or a comment",
        Data::None,
        &[VideoNotFound, CommentNotFound, AlreadyLiked, NotLiked],
    ),
    doc(
        "I2",
        "Videos a user liked (default: the caller)",
        Data::Named("VideoList"),
        &[UserNotFound],
    ),
    doc(
        "I3",
        "Comment on a video, or reply to a comment",
        Data::None,
        &[VideoNotFound, CommentNotFound],
    ),
    doc(
        "I4",
        "Comments of a video, or replies to a comment",
        Data::Named("CommentList"),
        &[VideoNotFound, CommentNotFound],
    ),
    doc(
        "I5",
        "Delete one's own comment and its replies",
        Data::None,
        &[CommentNotFound, Forbidden],
    ),
    doc(
        "S1",
        "Follow (0) or unfollow (1) a user",
        Data::None,
        &[
            UserNotFound,
            CannotFollowSelf,
            AlreadyFollowing,
            NotFollowing,
        ],
    ),
    doc(
        "S2",
        "Whom a user follows (default: the caller)",
        Data::Named("SocialPage"),
        &[UserNotFound],
    ),
    doc(
        "S3",
        "A user's followers (default: the caller)",
        Data::Named("SocialPage"),
        &[UserNotFound],
    ),
    doc(
        "S4",
        "The caller's friends (mutual follows)",
        Data::Named("SocialPage"),
        &[],
    ),
    doc(
        "X1",
        "New tokens for a refresh token (in the response headers; an extension)",
        Data::None,
        &[RefreshTokenRevoked],
    ),
    doc(
        "X2",
        "Revoke a refresh token's session (an extension)",
        Data::None,
        &[RefreshTokenRevoked],
    ),
];

const fn doc(
    id: &'static str,
    summary: &'static str,
    data: Data,
    codes: &'static [ErrorCode],
) -> Doc {
    Doc {
        id,
        summary,
        data,
        codes,
    }
}

/// A route that streams a file to its service.
struct FileRoute {
    id: &'static str,
    method: Method,
    path: &'static str,
    summary: &'static str,
    auth: Auth,
    /// Form fields beside the file `data`: (name, required, schema).
    fields: &'static [(&'static str, bool, &'static str)],
    /// What the file must be, and its size limit in bytes.
    file: (&'static str, u64),
    data: Data,
    codes: &'static [ErrorCode],
}

const FILE_ROUTES: &[FileRoute] = &[
    FileRoute {
        id: "U4",
        method: Method::PUT,
        path: "/user/avatar/upload",
        summary: "Upload an avatar (the bytes must be a PNG, JPEG, GIF or WebP image)",
        auth: Auth::Required,
        fields: &[],
        file: ("an image", 10 << 20),
        data: Data::Named("User"),
        codes: &[UnsupportedMediaType],
    },
    FileRoute {
        id: "U7",
        method: Method::POST,
        path: "/user/image/search",
        summary: "The URL of the stored image most like the given one (data is a string)",
        auth: Auth::Optional,
        fields: &[],
        file: ("an image", 10 << 20),
        data: Data::Named("ImageUrl"),
        codes: &[UnsupportedMediaType, ImageUnreadable, NoImagesIndexed],
    },
    FileRoute {
        id: "V2",
        method: Method::POST,
        path: "/video/publish",
        summary: "Publish a video (the bytes must be a video container), recorded before the answer",
        auth: Auth::Required,
        fields: &[
            ("title", true, "title"),
            ("description", false, "description"),
        ],
        file: ("a video", 4 << 30),
        data: Data::None,
        codes: &[UnsupportedMediaType],
    },
];

/// Limits of text fields, by parameter name (the services' own checks).
fn text_schema(name: &str) -> Value {
    match name {
        "username" => json!({"type": "string", "minLength": 2, "maxLength": 32}),
        "password" => json!({"type": "string", "minLength": 8, "maxLength": 128}),
        "content" => json!({"type": "string", "minLength": 1, "maxLength": 1000}),
        "title" => json!({"type": "string", "minLength": 1, "maxLength": 100}),
        "description" => json!({"type": "string", "maxLength": 5000}),
        "code" | "current_code" => json!({"type": "string", "pattern": "^[0-9]{6}$"}),
        _ => json!({"type": "string"}),
    }
}

/// The schema of one parameter.
fn param_schema(route: &str, name: &str, kind: Kind) -> Value {
    match (route, name, kind) {
        ("I1", "action_type", _) => {
            json!({"type": "integer", "enum": [1, 2], "description": "1 like, 2 cancel"})
        }
        ("S1", "action_type", _) => {
            json!({"type": "integer", "enum": [0, 1], "description": "0 follow, 1 unfollow"})
        }
        (_, "page_num", _) => json!({"type": "integer", "format": "int32", "minimum": 0,
            "description": "0-based page; at most 100000 rows deep"}),
        (_, "page_size", _) => json!({"type": "integer", "format": "int32", "minimum": 0,
            "description": "default 10 (also for 0); larger than 100 is served as 100"}),
        (_, _, Kind::Text) => text_schema(name),
        (_, _, Kind::Id) => json!({"$ref": "#/components/schemas/Id"}),
        (_, _, Kind::Int) => json!({"type": "integer", "format": "int32"}),
        (_, _, Kind::Long) => json!({"$ref": "#/components/schemas/Millis"}),
    }
}

/// The request parameters of a table row: (name, required, schema), one per variable, under its
/// first name (the others are accepted aliases, named in the description).
fn row_params(route: &Route) -> Vec<(String, bool, Value)> {
    route
        .vars
        .iter()
        .filter(|v: &&Var| !v.params[0].starts_with("header:"))
        .map(|v| {
            let mut schema = param_schema(route.id, v.params[0], v.kind);
            let mut notes = Vec::new();
            let aliases: Vec<String> = v.params[1..]
                .iter()
                .map(|p| match p.strip_prefix("header:") {
                    Some(h) => format!("the {h} header"),
                    None => (*p).to_owned(),
                })
                .collect();
            if !aliases.is_empty() {
                notes.push(format!("also read from: {}", aliases.join(", ")));
            }
            if v.fallback == Fallback::Viewer {
                notes.push("default: the caller's own id".to_owned());
            }
            if !notes.is_empty() {
                schema["description"] = json!(notes.join("; "));
            }
            // A field a header can stand in for is not required in the body.
            let required = v.fallback == Fallback::Required
                && !v.params.iter().any(|p| p.starts_with("header:"));
            (v.params[0].to_owned(), required, schema)
        })
        .collect()
}

/// The document as served: built once.
pub fn served() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| serde_json::to_vec(&document()).unwrap_or_default())
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let doc = DOCS
            .iter()
            .find(|d| d.id == route.id)
            .unwrap_or_else(|| panic!("route {} has no entry in DOCS", route.id));
        let op = operation(
            route.id,
            doc.summary,
            route.method,
            route.auth,
            &row_params(route),
            None,
            doc.data,
            doc.codes,
        );
        for (n, path) in route.paths.iter().enumerate() {
            let mut op = op.clone();
            if n > 0 {
                // operationId is unique per document: a second path of a route is its alias.
                op["operationId"] = json!(format!("{}_{n}", route.id));
            }
            add(&mut paths, path, route.method, op);
        }
    }
    for f in FILE_ROUTES {
        let fields: Vec<(String, bool, Value)> = f
            .fields
            .iter()
            .map(|(name, required, limits)| ((*name).to_owned(), *required, text_schema(limits)))
            .collect();
        let op = operation(
            f.id,
            f.summary,
            f.method,
            f.auth,
            &fields,
            Some(f.file),
            f.data,
            f.codes,
        );
        add(&mut paths, f.path, f.method, op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "clipfed REST API (west2 FanOne video site)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
        },
        "servers": [{"url": "http://127.0.0.1:8100", "description": "the router of `clipfed up`"}],
        "tags": tags(),
        "paths": paths,
        "components": components(),
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

#[allow(clippy::too_many_arguments)]
fn operation(
    id: &str,
    summary: &str,
    method: Method,
    auth: Auth,
    fields: &[(String, bool, Value)],
    file: Option<(&str, u64)>,
    data: Data,
    codes: &[ErrorCode],
) -> Value {
    let mut op = json!({
        "operationId": id,
        "summary": format!("{id}: {summary}"),
        "tags": [tag_of(id)],
        "security": security(auth),
        "responses": responses(method, data, codes),
    });
    if method == Method::GET {
        let params: Vec<Value> = fields
            .iter()
            .map(|(name, required, schema)| {
                json!({"name": name, "in": "query", "required": required, "schema": schema})
            })
            .collect();
        op["parameters"] = json!(params);
    } else {
        op["requestBody"] = body(fields, file);
    }
    op
}

fn add(paths: &mut Map<String, Value>, path: &str, method: Method, op: Value) {
    let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
    entry[method.as_str().to_ascii_lowercase()] = op;
}

/// A form body: the same fields as multipart, URL-encoded or JSON (a file only as multipart).
fn body(fields: &[(String, bool, Value)], file: Option<(&str, u64)>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, is_required, schema) in fields {
        properties.insert(name.clone(), schema.clone());
        if *is_required {
            required.push(json!(name));
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

fn tag_of(id: &str) -> &'static str {
    match id.as_bytes()[0] {
        b'U' | b'X' => "user",
        b'V' => "video",
        b'I' => "interaction",
        _ => "relation",
    }
}

fn tags() -> Value {
    json!([
        {"name": "user", "description": "accounts, tokens, MFA, avatars, image search"},
        {"name": "video", "description": "publishing, feed, lists, ranking, search"},
        {"name": "interaction", "description": "likes and comments"},
        {"name": "relation", "description": "follows, followers, friends"},
    ])
}

fn components() -> Value {
    let code_table: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| json!({"const": c.code(), "title": c.name(), "description": c.message()}))
        .collect();
    let time = json!({"$ref": "#/components/schemas/Time"});
    let deleted = json!({"$ref": "#/components/schemas/DeletedAt"});
    let id = json!({"$ref": "#/components/schemas/Id"});
    let count = json!({"type": "integer", "minimum": 0});
    let list = |item: &str| {
        json!({"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}}}})
    };
    let page = |item: &str| {
        json!({"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
            "total": {"type": "integer", "minimum": 0}}})
    };
    json!({
        "securitySchemes": {
            "AccessToken": {"type": "apiKey", "in": "header", "name": "Access-Token",
                "description": "the access JWT from login (no Bearer prefix)"},
            "RefreshToken": {"type": "apiKey", "in": "header", "name": "Refresh-Token",
                "description": "the refresh JWT from login: lets the router renew an expired access token"},
            "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        },
        "schemas": {
            "Code": {"oneOf": code_table, "description": "the closed table of base.code values"},
            "SuccessBase": {"type": "object", "required": ["code", "msg"], "properties": {
                "code": {"const": 10000}, "msg": {"const": "success"}}},
            "Id": {"type": "string", "pattern": "^[0-9]{1,19}$", "description": "a 64-bit id in decimal"},
            "Millis": {"type": "integer", "format": "int64", "minimum": 0,
                "description": "milliseconds since 1970-01-01 UTC"},
            "Time": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
                "description": "UTC+8"},
            "DeletedAt": {"type": "string", "pattern": "^$|^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
                "description": "\"\" when not deleted"},
            "User": {"type": "object",
                "required": ["id", "username", "avatar_url", "created_at", "updated_at", "deleted_at"],
                "properties": {"id": id, "username": {"type": "string"}, "avatar_url": {"type": "string"},
                    "created_at": time, "updated_at": time, "deleted_at": deleted}},
            "Social": {"type": "object", "required": ["id", "username", "avatar_url"],
                "properties": {"id": id, "username": {"type": "string"}, "avatar_url": {"type": "string"}}},
            "Video": {"type": "object",
                "required": ["id", "user_id", "video_url", "cover_url", "title", "description",
                    "visit_count", "like_count", "comment_count", "created_at", "updated_at", "deleted_at"],
                "properties": {"id": id, "user_id": id, "video_url": {"type": "string"},
                    "cover_url": {"type": "string"}, "title": {"type": "string"},
                    "description": {"type": "string"}, "visit_count": count, "like_count": count,
                    "comment_count": count, "created_at": time, "updated_at": time, "deleted_at": deleted}},
            "Comment": {"type": "object",
                "required": ["id", "user_id", "video_id", "parent_id", "like_count", "child_count",
                    "content", "created_at", "updated_at", "deleted_at"],
                "properties": {"id": id, "user_id": id, "video_id": id,
                    "parent_id": {"type": "string", "description": "\"\" for a comment on the video"},
                    "like_count": count, "child_count": count, "content": {"type": "string"},
                    "created_at": time, "updated_at": time, "deleted_at": deleted}},
            "MfaSecret": {"type": "object", "required": ["secret", "qrcode"], "properties": {
                "secret": {"type": "string", "description": "base32"},
                "qrcode": {"type": "string", "pattern": "^data:image/png;base64,",
                    "description": "a PNG of the otpauth:// URI"}}},
            "ImageUrl": {"type": "string", "description": "the URL of the most similar stored image"},
            "VideoList": list("Video"),
            "VideoPage": page("Video"),
            "CommentList": list("Comment"),
            "SocialPage": page("Social"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_is_described_once() {
        for route in ROUTES {
            assert_eq!(
                DOCS.iter().filter(|d| d.id == route.id).count(),
                1,
                "{}",
                route.id
            );
        }
        assert_eq!(
            DOCS.len(),
            ROUTES.len(),
            "DOCS names a route the table lacks"
        );
    }

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
