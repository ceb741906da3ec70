//! The west2 REST contract as data: one row per route of `shared/spec/west2-rest-api.md`. Each row
//! names a GraphQL operation whose aliases already spell the contract's field names, where each
//! variable is read from, and which part of the answer becomes `data`. The generic handler in
//! [`super`] runs every row through the router's own GraphQL pipeline; nothing here knows business
//! rules.
//!
//! The file routes (U4 avatar, U7 image search, V2 publish) and tus are not rows: they stream
//! through to their services ([`crate::proxy`]); [`FILE_ROUTES`] names their methods. C1 (`/ws`)
//! is relayed by [`crate::ws`].

use kit::ErrorCode;

/// A route's HTTP method (a plain enum: `http::Method` cannot live in a `static`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    GET,
    POST,
    PUT,
    DELETE,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A token is read when present.
    Optional,
    /// A valid (or renewable) access token is required: 10003, or 10004 when it expired for good.
    Required,
}

/// How a parameter's text becomes a GraphQL variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string, passed as given.
    Text,
    /// An id: decimal digits (the contract's ids are 64-bit integers written as strings).
    Id,
    /// A 32-bit integer (`page_num`, `page_size`, `action_type`).
    Int,
    /// A 64-bit integer (millisecond timestamps).
    Long,
}

/// Where a parameter may come from when the request does not name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Absent stays absent (GraphQL null).
    None,
    /// Required: absent is a parameter error.
    Required,
    /// The caller's own id (`user_id` of "my" lists); absent and anonymous is 10003.
    Viewer,
}

/// One GraphQL variable of a route.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    /// The variable's name in the operation.
    pub name: &'static str,
    /// Request parameter names, first present wins; `header:<name>` reads a request header.
    pub params: &'static [&'static str],
    pub kind: Kind,
    pub fallback: Fallback,
}

/// One route of the contract.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The contract's row id (U1, V3, ...).
    pub id: &'static str,
    pub method: Method,
    pub paths: &'static [&'static str],
    pub auth: Auth,
    pub operation: &'static str,
    pub vars: &'static [Var],
    /// The path in the GraphQL `data` that becomes the envelope's `data`; `None` for actions.
    pub data: Option<&'static [&'static str]>,
    /// The object holding `accessToken`/`refreshToken`, moved into the response headers.
    pub tokens: Option<&'static [&'static str]>,
    /// The code when the `data` path is null (a lookup that found nothing).
    pub missing: Option<ErrorCode>,
}

macro_rules! user_fields {
    () => {
        "id username avatar_url: avatarUrl created_at: createdAt updated_at: updatedAt deleted_at: deletedAt"
    };
}

macro_rules! social_fields {
    () => {
        "id username avatar_url: avatarUrl"
    };
}

macro_rules! video_fields {
    () => {
        "id user_id: author { id } video_url: videoUrl cover_url: coverUrl title description \
         visit_count: visitCount like_count: likeCount comment_count: commentCount \
         created_at: createdAt updated_at: updatedAt deleted_at: deletedAt"
    };
}

macro_rules! comment_fields {
    () => {
        "id user_id: author { id } video_id: video { id } parent_id: parent { id } \
         like_count: likeCount child_count: childCount content \
         created_at: createdAt updated_at: updatedAt deleted_at: deletedAt"
    };
}

const fn var(name: &'static str, params: &'static [&'static str], kind: Kind) -> Var {
    Var {
        name,
        params,
        kind,
        fallback: Fallback::None,
    }
}

const fn required(name: &'static str, params: &'static [&'static str], kind: Kind) -> Var {
    Var {
        name,
        params,
        kind,
        fallback: Fallback::Required,
    }
}

const fn viewer_default(name: &'static str, params: &'static [&'static str]) -> Var {
    Var {
        name,
        params,
        kind: Kind::Id,
        fallback: Fallback::Viewer,
    }
}

const PAGE_NUM: Var = var("pageNum", &["page_num"], Kind::Int);
const PAGE_SIZE: Var = var("pageSize", &["page_size"], Kind::Int);
const REFRESH: Var = required(
    "refreshToken",
    &["refresh_token", "header:refresh-token"],
    Kind::Text,
);

const fn route(id: &'static str, method: Method, paths: &'static [&'static str]) -> Route {
    Route {
        id,
        method,
        paths,
        auth: Auth::Optional,
        operation: "",
        vars: &[],
        data: None,
        tokens: None,
        missing: None,
    }
}

/// Every mapped route of the contract, plus the token extensions.
pub static ROUTES: &[Route] = &[
    Route {
        operation: "mutation($username: String!, $password: String!) { register(username: $username, password: $password) { id } }",
        vars: &[
            required("username", &["username"], Kind::Text),
            required("password", &["password"], Kind::Text),
        ],
        ..route("U1", Method::POST, &["/user/register"])
    },
    Route {
        operation: concat!(
            "mutation($username: String!, $password: String!, $code: String) { login(username: $username, password: $password, code: $code) { accessToken refreshToken user { ",
            user_fields!(),
            " } } }"
        ),
        vars: &[
            required("username", &["username"], Kind::Text),
            required("password", &["password"], Kind::Text),
            var("code", &["code", "mfa_code"], Kind::Text),
        ],
        data: Some(&["login", "user"]),
        tokens: Some(&["login"]),
        ..route("U2", Method::POST, &["/user/login"])
    },
    Route {
        operation: concat!("query($id: ID!) { user(id: $id) { ", user_fields!(), " } }"),
        vars: &[viewer_default("id", &["user_id"])],
        data: Some(&["user"]),
        missing: Some(ErrorCode::UserNotFound),
        ..route("U3", Method::GET, &["/user/info"])
    },
    Route {
        auth: Auth::Required,
        operation: "mutation { createMfaSecret { secret qrcode } }",
        data: Some(&["createMfaSecret"]),
        ..route("U5", Method::GET, &["/auth/mfa/qrcode"])
    },
    Route {
        auth: Auth::Required,
        operation: "mutation($secret: String!, $code: String!, $currentCode: String) { bindMfa(secret: $secret, code: $code, currentCode: $currentCode) }",
        vars: &[
            required("secret", &["secret"], Kind::Text),
            required("code", &["code"], Kind::Text),
            // Replacing a bound secret: a code of the bound one (an extension of the contract).
            var("currentCode", &["current_code"], Kind::Text),
        ],
        ..route("U6", Method::POST, &["/auth/mfa/bind"])
    },
    Route {
        operation: concat!(
            "query($latestTime: Long, $pageNum: Int, $pageSize: Int) { feed(latestTime: $latestTime, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            video_fields!(),
            " } } }"
        ),
        vars: &[
            var("latestTime", &["latest_time"], Kind::Long),
            PAGE_NUM,
            PAGE_SIZE,
        ],
        data: Some(&["feed"]),
        ..route("V1", Method::GET, &["/video/feed", "/video/feed/"])
    },
    Route {
        operation: concat!(
            "query($userId: ID!, $pageNum: Int, $pageSize: Int) { videosByAuthor(userId: $userId, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            video_fields!(),
            " } total } }"
        ),
        vars: &[viewer_default("userId", &["user_id"]), PAGE_NUM, PAGE_SIZE],
        data: Some(&["videosByAuthor"]),
        ..route("V3", Method::GET, &["/video/list"])
    },
    Route {
        operation: concat!(
            "query($pageNum: Int, $pageSize: Int) { popular(pageNum: $pageNum, pageSize: $pageSize) { items { ",
            video_fields!(),
            " } } }"
        ),
        vars: &[PAGE_NUM, PAGE_SIZE],
        data: Some(&["popular"]),
        ..route("V4", Method::GET, &["/video/popular"])
    },
    Route {
        operation: concat!(
            "query($keywords: String, $username: String, $fromDate: Long, $toDate: Long, $pageNum: Int, $pageSize: Int) { searchVideos(keywords: $keywords, username: $username, fromDate: $fromDate, toDate: $toDate, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            video_fields!(),
            " } total } }"
        ),
        vars: &[
            var("keywords", &["keywords", "keyword"], Kind::Text),
            var("username", &["username"], Kind::Text),
            var("fromDate", &["from_date"], Kind::Long),
            var("toDate", &["to_date"], Kind::Long),
            PAGE_NUM,
            PAGE_SIZE,
        ],
        data: Some(&["searchVideos"]),
        ..route("V5", Method::POST, &["/video/search"])
    },
    Route {
        auth: Auth::Required,
        operation: "mutation($videoId: ID, $commentId: ID, $actionType: Int!) { likeAction(videoId: $videoId, commentId: $commentId, actionType: $actionType) }",
        vars: &[
            var("videoId", &["video_id"], Kind::Id),
            var("commentId", &["comment_id"], Kind::Id),
            required("actionType", &["action_type"], Kind::Int),
        ],
        ..route("I1", Method::POST, &["/like/action"])
    },
    Route {
        operation: concat!(
            "query($userId: ID!, $pageNum: Int, $pageSize: Int) { likedVideos(userId: $userId, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            video_fields!(),
            " } } }"
        ),
        vars: &[viewer_default("userId", &["user_id"]), PAGE_NUM, PAGE_SIZE],
        data: Some(&["likedVideos"]),
        ..route("I2", Method::GET, &["/like/list"])
    },
    Route {
        auth: Auth::Required,
        operation: "mutation($videoId: ID, $commentId: ID, $content: String!) { publishComment(videoId: $videoId, commentId: $commentId, content: $content) { id } }",
        vars: &[
            var("videoId", &["video_id"], Kind::Id),
            var("commentId", &["comment_id"], Kind::Id),
            required("content", &["content"], Kind::Text),
        ],
        ..route("I3", Method::POST, &["/comment/publish"])
    },
    Route {
        operation: concat!(
            "query($videoId: ID, $commentId: ID, $pageNum: Int, $pageSize: Int) { comments(videoId: $videoId, commentId: $commentId, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            comment_fields!(),
            " } } }"
        ),
        vars: &[
            var("videoId", &["video_id"], Kind::Id),
            var("commentId", &["comment_id"], Kind::Id),
            PAGE_NUM,
            PAGE_SIZE,
        ],
        data: Some(&["comments"]),
        ..route("I4", Method::GET, &["/comment/list"])
    },
    Route {
        auth: Auth::Required,
        operation: "mutation($commentId: ID!, $videoId: ID) { deleteComment(commentId: $commentId, videoId: $videoId) }",
        vars: &[
            required("commentId", &["comment_id"], Kind::Id),
            var("videoId", &["video_id"], Kind::Id),
        ],
        ..route("I5", Method::DELETE, &["/comment/delete"])
    },
    Route {
        auth: Auth::Required,
        operation: "mutation($toUserId: ID!, $actionType: Int!) { relationAction(toUserId: $toUserId, actionType: $actionType) }",
        vars: &[
            required("toUserId", &["to_user_id"], Kind::Id),
            required("actionType", &["action_type"], Kind::Int),
        ],
        ..route("S1", Method::POST, &["/relation/action"])
    },
    Route {
        operation: concat!(
            "query($userId: ID!, $pageNum: Int, $pageSize: Int) { following(userId: $userId, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            social_fields!(),
            " } total } }"
        ),
        vars: &[viewer_default("userId", &["user_id"]), PAGE_NUM, PAGE_SIZE],
        data: Some(&["following"]),
        ..route("S2", Method::GET, &["/following/list"])
    },
    Route {
        operation: concat!(
            "query($userId: ID!, $pageNum: Int, $pageSize: Int) { followers(userId: $userId, pageNum: $pageNum, pageSize: $pageSize) { items { ",
            social_fields!(),
            " } total } }"
        ),
        vars: &[viewer_default("userId", &["user_id"]), PAGE_NUM, PAGE_SIZE],
        data: Some(&["followers"]),
        ..route("S3", Method::GET, &["/follower/list"])
    },
    Route {
        auth: Auth::Required,
        operation: concat!(
            "query($pageNum: Int, $pageSize: Int) { friends(pageNum: $pageNum, pageSize: $pageSize) { items { ",
            social_fields!(),
            " } total } }"
        ),
        vars: &[PAGE_NUM, PAGE_SIZE],
        data: Some(&["friends"]),
        ..route("S4", Method::GET, &["/friends/list"])
    },
    Route {
        operation: "mutation($refreshToken: String!) { refreshTokens(refreshToken: $refreshToken) { accessToken refreshToken } }",
        vars: &[REFRESH],
        tokens: Some(&["refreshTokens"]),
        ..route("X1", Method::POST, &["/auth/refresh"])
    },
    Route {
        operation: "mutation($refreshToken: String!) { logout(refreshToken: $refreshToken) }",
        vars: &[REFRESH],
        ..route("X2", Method::POST, &["/auth/logout"])
    },
];

/// A file route: its body streams to its service as it is, not through GraphQL ([`crate::proxy`]).
#[derive(Debug, Clone, Copy)]
pub struct FileRoute {
    pub id: &'static str,
    pub method: Method,
    pub path: &'static str,
}

/// The contract's file routes, each with the one method it takes.
pub static FILE_ROUTES: &[FileRoute] = &[
    FileRoute {
        id: "U4",
        method: Method::PUT,
        path: "/user/avatar/upload",
    },
    FileRoute {
        id: "U7",
        method: Method::POST,
        path: "/user/image/search",
    },
    FileRoute {
        id: "V2",
        method: Method::POST,
        path: "/video/publish",
    },
];

/// What the table says about a method and path.
#[derive(Debug, Clone)]
pub enum Lookup {
    Found(&'static Route),
    /// The path is a route, the method is not (HTTP 405): the methods it takes, for `Allow`.
    WrongMethod(String),
    NotARoute,
}

pub fn lookup(method: &str, path: &str) -> Lookup {
    let mut allowed = Vec::new();
    for route in ROUTES.iter().filter(|r| r.paths.contains(&path)) {
        if route.method.as_str() == method {
            return Lookup::Found(route);
        }
        allowed.push(route.method.as_str());
    }
    if allowed.is_empty() {
        Lookup::NotARoute
    } else {
        Lookup::WrongMethod(allowed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_is_declared_by_its_operation_and_ids_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(ids.insert(route.id), "{} twice", route.id);
            for var in route.vars {
                assert!(
                    route.operation.contains(&format!("${}:", var.name)),
                    "{}: ${} is not declared",
                    route.id,
                    var.name
                );
            }
            let declared = route.operation.matches(": ").count();
            assert!(declared >= route.vars.len(), "{}", route.id);
        }
    }

    #[test]
    fn lookups_tell_wrong_methods_from_unknown_paths() {
        assert!(matches!(lookup("GET", "/video/feed/"), Lookup::Found(r) if r.id == "V1"));
        assert!(matches!(lookup("POST", "/video/feed"), Lookup::WrongMethod(a) if a == "GET"));
        assert!(matches!(lookup("GET", "/video/nothing"), Lookup::NotARoute));
        assert!(matches!(lookup("DELETE", "/comment/delete"), Lookup::Found(r) if r.id == "I5"));
    }
}
