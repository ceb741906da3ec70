//! The shared parts of the OpenAPI document: its tags and its `components` (security schemes, the
//! code table, ids and times, and every `data` shape of the contract).

use kit::ErrorCode;
use serde_json::{Value, json};

pub fn tags() -> Value {
    json!([
        {"name": "user", "description": "accounts, tokens, MFA, avatars, image search"},
        {"name": "video", "description": "publishing, feed, lists, ranking, search"},
        {"name": "interaction", "description": "likes and comments"},
        {"name": "relation", "description": "follows, followers, friends"},
    ])
}

pub fn components() -> Value {
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
