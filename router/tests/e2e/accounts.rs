//! U1-U3 and the token rules of the contract, through the router.

use reqwest::Method;
use serde_json::json;

use crate::stack::{Stack, code, envelope, keys_of, sorted};

const USER_FIELDS: [&str; 6] = [
    "id",
    "username",
    "avatar_url",
    "created_at",
    "updated_at",
    "deleted_at",
];

#[tokio::test]
async fn register_login_and_info_follow_the_contract() {
    let s = Stack::start().await;
    let (id, access, refresh) = s.sign_up("alice").await;
    assert!(id.parse::<i64>().is_ok(), "ids are decimal strings");
    assert!(s.keys.verify(&access, kit::token::Kind::Access).is_ok());
    assert!(s.keys.verify(&refresh, kit::token::Kind::Refresh).is_ok());

    // Registering the same name again changes nothing and says why.
    let again = s
        .form(
            Method::POST,
            "/user/register",
            &[("username", "alice"), ("password", "passw0rd!")],
            &[],
        )
        .await;
    let (_, body) = envelope(again).await;
    assert_eq!(body["base"]["code"], 11001);
    assert!(body.get("data").is_none(), "failures carry no data");

    // The caller's own info, by either token header, and someone's by id.
    let bearer = format!("Bearer {access}");
    for headers in [
        [("access-token", access.as_str())],
        [("authorization", bearer.as_str())],
    ] {
        let (_, me) = envelope(s.get("/user/info", &headers).await).await;
        assert_eq!(me["base"], json!({"code": 10000, "msg": "success"}));
        assert_eq!(keys_of(&me["data"]), sorted(&USER_FIELDS));
        assert_eq!(me["data"]["id"], id.as_str());
        assert_eq!(me["data"]["deleted_at"], "");
        let created = me["data"]["created_at"].as_str().unwrap();
        assert_eq!(created.len(), 19, "YYYY-MM-DD HH:MM:SS: {created}");
    }
    let (_, other) = envelope(s.get(&format!("/user/info?user_id={id}"), &[]).await).await;
    assert_eq!(other["data"]["username"], "alice");

    // Bad input: each gets its code.
    assert_eq!(
        code(&envelope(s.get("/user/info?user_id=abc", &[]).await).await.1),
        10002
    );
    assert_eq!(
        code(&envelope(s.get("/user/info", &[]).await).await.1),
        10003
    );
    assert_eq!(
        code(&envelope(s.get("/user/info?user_id=1", &[]).await).await.1),
        11003
    );
    let missing = s
        .form(Method::POST, "/user/register", &[("username", "bob")], &[])
        .await;
    assert_eq!(code(&envelope(missing).await.1), 10002);
    let wrong = s
        .form(
            Method::POST,
            "/user/login",
            &[("username", "alice"), ("password", "wrong-pass1")],
            &[],
        )
        .await;
    let (headers, body) = envelope(wrong).await;
    assert_eq!(code(&body), 11002);
    assert!(
        headers.get("access-token").is_none(),
        "no tokens for a failed login"
    );
}

#[tokio::test]
async fn tokens_are_renewed_at_the_edge_and_refused_by_kind() {
    let s = Stack::start().await;
    let (id, access, refresh) = s.sign_up("carol").await;
    let uid: i64 = id.parse().unwrap();
    let now = testkit::unix_now();
    // An access token of the same user, expired an hour ago.
    let stale = s.keys.issue(uid, 1, 1, now - 2 * 3600).access;

    // Expired access + valid refresh: served, with a fresh Access-Token header.
    let (headers, body) = envelope(
        s.get(
            "/friends/list",
            &[("access-token", &stale), ("refresh-token", &refresh)],
        )
        .await,
    )
    .await;
    assert_eq!(code(&body), 10000, "{body}");
    assert_eq!(body["data"], json!({"items": [], "total": 0}));
    let renewed = headers
        .get("access-token")
        .expect("a renewed token")
        .to_str()
        .unwrap();
    let claims = s.keys.verify(renewed, kit::token::Kind::Access).unwrap();
    assert_eq!(claims.sub, id);
    // The refresh token still works afterwards (renewal does not rotate it).
    let (_, body) = envelope(
        s.get(
            "/friends/list",
            &[("access-token", &stale), ("refresh-token", &refresh)],
        )
        .await,
    )
    .await;
    assert_eq!(code(&body), 10000);

    // Expired access without a usable refresh token: 10004 where a user is needed.
    for refresh in [None, Some("garbage"), Some(access.as_str())] {
        let mut headers = vec![("access-token", stale.as_str())];
        headers.extend(refresh.map(|r| ("refresh-token", r)));
        let (_, body) = envelope(s.get("/friends/list", &headers).await).await;
        assert_eq!(code(&body), 10004, "refresh {refresh:?}");
    }
    // Missing or invalid access token: 10003.
    assert_eq!(
        code(&envelope(s.get("/friends/list", &[]).await).await.1),
        10003
    );
    let (_, body) = envelope(s.get("/friends/list", &[("access-token", "x.y.z")]).await).await;
    assert_eq!(code(&body), 10003);
    // Optional routes serve anyone, whatever the token.
    let (_, body) = envelope(s.get("/video/feed", &[("access-token", "x.y.z")]).await).await;
    assert_eq!(
        body,
        json!({"base": {"code": 10000, "msg": "success"}, "data": {"items": []}})
    );

    // Logout through the extension route revokes the refresh token: renewal stops.
    let out = s
        .form(
            Method::POST,
            "/auth/logout",
            &[("refresh_token", &refresh)],
            &[],
        )
        .await;
    assert_eq!(code(&envelope(out).await.1), 10000);
    let (_, body) = envelope(
        s.get(
            "/friends/list",
            &[("access-token", &stale), ("refresh-token", &refresh)],
        )
        .await,
    )
    .await;
    assert_eq!(code(&body), 10004);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_forged_callers_are_refused() {
    let s = Stack::start().await;
    let r = s.get("/video/nothing", &[]).await;
    assert_eq!(r.status(), 404);
    let r = s.form(Method::POST, "/video/feed", &[], &[]).await;
    assert_eq!(r.status(), 405);
    let r = s.get("/video/feed/", &[]).await;
    assert_eq!(
        envelope(r).await.1["base"]["code"],
        10000,
        "the trailing slash form"
    );

    // A client cannot pass as someone through the internal header: the router drops it.
    let (id, _, _) = s.sign_up("dave").await;
    let forged = kit::caller::CallerKey::new(&"f".repeat(40).into())
        .unwrap()
        .sign(
            &kit::caller::Caller::User(id.parse().unwrap()),
            std::time::Duration::from_secs(60),
        )
        .unwrap();
    let (_, body) = envelope(
        s.get("/friends/list", &[("x-clipfed-caller", &forged)])
            .await,
    )
    .await;
    assert_eq!(body["base"]["code"], 10003);
    let me = s
        .graphql("{ me { id } }", json!({}), &[("x-clipfed-caller", &forged)])
        .await;
    assert_eq!(me["errors"][0]["extensions"]["code"], 10003, "{me}");
}
