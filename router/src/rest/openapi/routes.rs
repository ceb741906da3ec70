//! What the route table does not say about each route, for the OpenAPI document: a summary, the
//! shape of `data`, the codes it answers and the limits of its text fields ([`DOCS`]), and the
//! three file routes of [`FILE_ROUTES`], which stream past the table ([`FILE_DOCS`]).
//! [`described`] joins them with the table's rows into one list of operations.

use kit::ErrorCode::{self, *};
use serde_json::{Value, json};

use crate::rest::table::{Auth, FILE_ROUTES, Fallback, Kind, Method, ROUTES, Route};

/// What a route's `data` is on success.
#[derive(Debug, Clone, Copy)]
pub enum Data {
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
pub const COMMON: &[ErrorCode] = &[
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

/// A file route's description (its method and path are [`FILE_ROUTES`]'s).
struct FileDoc {
    id: &'static str,
    summary: &'static str,
    auth: Auth,
    /// Form fields beside the file `data`: (name, required, schema).
    fields: &'static [(&'static str, bool, &'static str)],
    /// What the file must be, and its size limit in bytes.
    file: (&'static str, u64),
    data: Data,
    codes: &'static [ErrorCode],
}

const FILE_DOCS: &[FileDoc] = &[
    FileDoc {
        id: "U4",
        summary: "Upload an avatar (the bytes must be a PNG, JPEG, GIF or WebP image)",
        auth: Auth::Required,
        fields: &[],
        file: ("an image", 10 << 20),
        data: Data::Named("User"),
        codes: &[UnsupportedMediaType],
    },
    FileDoc {
        id: "U7",
        summary: "The URL of the stored image most like the given one (data is a string)",
        auth: Auth::Optional,
        fields: &[],
        file: ("an image", 10 << 20),
        data: Data::Named("ImageUrl"),
        codes: &[UnsupportedMediaType, ImageUnreadable, NoImagesIndexed],
    },
    FileDoc {
        id: "V2",
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
pub fn text_schema(name: &str) -> Value {
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

/// The request parameters of a table row, one per variable, under its first name (the others are
/// accepted aliases, named in the description).
fn row_params(route: &Route) -> Vec<Field> {
    route
        .vars
        .iter()
        .filter(|v| !v.params[0].starts_with("header:"))
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
            Field {
                name: v.params[0].to_owned(),
                required,
                schema,
            }
        })
        .collect()
}

/// One parameter of an operation: a query parameter of a GET, a form field otherwise.
pub struct Field {
    pub name: String,
    pub required: bool,
    pub schema: Value,
}

/// One operation of the document, with the paths it is served at.
pub struct Described {
    pub id: &'static str,
    pub paths: &'static [&'static str],
    pub summary: &'static str,
    pub method: Method,
    pub auth: Auth,
    pub fields: Vec<Field>,
    /// A file field `data`: what it must be, and its limit in bytes.
    pub file: Option<(&'static str, u64)>,
    pub data: Data,
    pub codes: &'static [ErrorCode],
}

/// Every operation: the table's rows, then the file routes.
pub fn described() -> Vec<Described> {
    let rows = ROUTES.iter().map(|route| {
        let doc = DOCS
            .iter()
            .find(|d| d.id == route.id)
            .unwrap_or_else(|| panic!("route {} has no entry in DOCS", route.id));
        Described {
            id: route.id,
            paths: route.paths,
            summary: doc.summary,
            method: route.method,
            auth: route.auth,
            fields: row_params(route),
            file: None,
            data: doc.data,
            codes: doc.codes,
        }
    });
    let files = FILE_ROUTES.iter().map(|route| {
        let f = FILE_DOCS
            .iter()
            .find(|d| d.id == route.id)
            .unwrap_or_else(|| panic!("file route {} has no entry in FILE_DOCS", route.id));
        (route, f)
    });
    let files = files.map(|(route, f)| Described {
        id: f.id,
        paths: std::slice::from_ref(&route.path),
        summary: f.summary,
        method: route.method,
        auth: f.auth,
        fields: f
            .fields
            .iter()
            .map(|(name, required, limits)| Field {
                name: (*name).to_owned(),
                required: *required,
                schema: text_schema(limits),
            })
            .collect(),
        file: Some(f.file),
        data: f.data,
        codes: f.codes,
    });
    rows.chain(files).collect()
}

/// The tag of a route id: its letter is its area.
pub fn tag_of(id: &str) -> &'static str {
    match id.as_bytes()[0] {
        b'U' | b'X' => "user",
        b'V' => "video",
        b'I' => "interaction",
        _ => "relation",
    }
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
}
