//! U1-U3, U5, U6, the token rules of the contract and the `/auth/refresh` and `/auth/logout`
//! extensions, through the router.

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
    let forged = kit::caller::CallerSigner::new(kit::caller::ROUTER, &"f".repeat(40).into())
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

#[tokio::test]
async fn mfa_binding_and_token_refresh_follow_the_contract() {
    let s = Stack::start().await;
    let (_, access, refresh) = s.sign_up("erin").await;
    let auth = [("access-token", access.as_str())];

    // U5: a secret and its QR code as a PNG data URL; it needs a user.
    let (_, offer) = envelope(s.get("/auth/mfa/qrcode", &auth).await).await;
    assert_eq!(code(&offer), 10000, "{offer}");
    assert_eq!(keys_of(&offer["data"]), sorted(&["secret", "qrcode"]));
    assert!(
        offer["data"]["qrcode"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(
        code(&envelope(s.get("/auth/mfa/qrcode", &[]).await).await.1),
        10003
    );
    let secret = offer["data"]["secret"].as_str().unwrap().to_owned();
    let totp = user::domain::mfa::MfaSecret::from_base32(&secret).unwrap();
    let now = testkit::unix_now() as u64;

    // U6: missing, wrong, and no token are refused; the login stays code-free until a bind works.
    let bind = |fields: Vec<(&'static str, String)>, headers: &'static str| {
        let (s, access) = (&s, access.clone());
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let headers: Vec<(&str, &str)> = match headers {
                "token" => vec![("access-token", access.as_str())],
                _ => vec![],
            };
            code(
                &s.form_envelope(Method::POST, "/auth/mfa/bind", &fields, &headers)
                    .await
                    .1,
            )
        }
    };
    assert_eq!(bind(vec![("secret", secret.clone())], "token").await, 10002);
    assert_eq!(
        bind(
            vec![("secret", secret.clone()), ("code", "000000x".into())],
            "token"
        )
        .await,
        11005
    );
    let good = totp.code_at(now - 30);
    assert_eq!(
        bind(
            vec![("secret", secret.clone()), ("code", good.clone())],
            "none"
        )
        .await,
        10003
    );
    let login = |code_field: Option<String>| {
        let s = &s;
        async move {
            let mut fields = vec![
                ("username", "erin".to_owned()),
                ("password", "passw0rd!".to_owned()),
            ];
            fields.extend(code_field.map(|c| ("code", c)));
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.form_envelope(Method::POST, "/user/login", &fields, &[])
                .await
        }
    };
    assert_eq!(code(&login(None).await.1), 10000, "no MFA bound yet");
    assert_eq!(
        bind(vec![("secret", secret.clone()), ("code", good)], "token").await,
        10000
    );
    assert_eq!(code(&login(None).await.1), 11004, "now a code is required");
    let (headers, body) = login(Some(totp.code_at(now))).await;
    assert_eq!(code(&body), 10000, "{body}");
    assert!(headers.get("access-token").is_some() && headers.get("refresh-token").is_some());

    // The refresh extension: new tokens in the headers, the old refresh token is spent (reuse
    // revokes the session), and a missing one is a parameter error.
    let (headers, body) = s
        .form_envelope(
            Method::POST,
            "/auth/refresh",
            &[],
            &[("refresh-token", &refresh)],
        )
        .await;
    assert_eq!(body, json!({"base": {"code": 10000, "msg": "success"}}));
    let rotated = headers["refresh-token"].to_str().unwrap().to_owned();
    assert_ne!(rotated, refresh);
    assert!(
        s.keys
            .verify(
                headers["access-token"].to_str().unwrap(),
                kit::token::Kind::Access
            )
            .is_ok()
    );
    let (_, reuse) = s
        .form_envelope(
            Method::POST,
            "/auth/refresh",
            &[("refresh_token", &refresh)],
            &[],
        )
        .await;
    assert_eq!(code(&reuse), 11006);
    let (_, after) = s
        .form_envelope(
            Method::POST,
            "/auth/refresh",
            &[("refresh_token", &rotated)],
            &[],
        )
        .await;
    assert_eq!(code(&after), 11006, "reuse revoked the whole session");
    let (_, missing) = s
        .form_envelope(Method::POST, "/auth/refresh", &[], &[])
        .await;
    assert_eq!(code(&missing), 10002);
}
