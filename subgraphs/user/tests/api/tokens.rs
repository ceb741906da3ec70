//! Refresh rotation, reuse detection and logout.

use kit::caller::Caller;
use kit::token::{Kind, TokenError};
use serde_json::json;

use crate::helpers::{TestApp, code, id_of, spawn_app, spawn_app_with};

/// Registers `name` and logs in; returns the login's (access, refresh) tokens.
async fn signed_in(app: &TestApp, name: &str) -> (String, String) {
    id_of(&app.register(name, "passw0rd!").await);
    let login = app.login(name, "passw0rd!", None).await;
    let token = |field: &str| {
        login["data"]["login"][field]
            .as_str()
            .expect("logged in")
            .to_owned()
    };
    (token("accessToken"), token("refreshToken"))
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_session() {
    let app = spawn_app().await;
    let (_, r1) = signed_in(&app, "ivan").await;
    let rotated = app.refresh(&r1).await;
    let r2 = rotated["data"]["refreshTokens"]["refreshToken"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(r1, r2);
    assert_eq!(code(&app.refresh(&r1).await), Some(11006), "reuse detected");
    assert_eq!(
        code(&app.refresh(&r2).await),
        Some(11006),
        "the whole session is revoked after reuse"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let (_, r) = signed_in(&app, "judy").await;
    let out = app
        .gql(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({"t": r}),
        )
        .await;
    assert_eq!(out["data"]["logout"], true);
    assert_eq!(code(&app.refresh(&r).await), Some(11006));
    app.cleanup().await;
}

#[tokio::test]
async fn an_access_token_or_garbage_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let (access, _) = signed_in(&app, "mallory").await;
    assert_eq!(code(&app.refresh(&access).await), Some(10003));
    assert_eq!(code(&app.refresh("garbage").await), Some(10003));
    app.cleanup().await;
}

#[tokio::test]
async fn an_expired_access_token_fails_verification_and_refresh_renews_it() {
    // Three seconds, so a slow machine still checks the fresh token before it expires.
    let app = spawn_app_with(|c| c.auth.access_ttl_secs = 3).await;
    let (access, refresh) = signed_in(&app, "olga").await;
    let id = app.login("olga", "passw0rd!", None).await["data"]["login"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = app.token_keys();
    assert!(keys.verify(&access, Kind::Access).is_ok(), "fresh token");
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    assert_eq!(
        keys.verify(&access, Kind::Access),
        Err(TokenError::Expired),
        "the router's check must see it expired"
    );
    let renewed = app.refresh(&refresh).await;
    let access2 = renewed["data"]["refreshTokens"]["accessToken"]
        .as_str()
        .expect("refresh still works")
        .to_owned();
    let claims = keys.verify(&access2, Kind::Access).expect("renewed token");
    assert_eq!(claims.sub, id, "renewed for the same user");
    app.cleanup().await;
}

#[tokio::test]
async fn a_password_change_revokes_every_session_and_needs_the_current_password() {
    let app = spawn_app().await;
    let (_, phone) = signed_in(&app, "pete").await;
    let laptop = app.login("pete", "passw0rd!", None).await["data"]["login"]["refreshToken"]
        .as_str()
        .expect("second session")
        .to_owned();
    let id: i64 = app.login("pete", "passw0rd!", None).await["data"]["login"]["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let me = Caller::User(id);
    // Refusals change nothing.
    assert_eq!(
        code(
            &app.gql(change, json!({"c": "passw0rd!", "n": "n3w-passw0rd"}))
                .await
        ),
        Some(10003)
    );
    assert_eq!(
        code(
            &app.gql_as(
                &me,
                change,
                json!({"c": "wrong-pass1", "n": "n3w-passw0rd"})
            )
            .await
        ),
        Some(11002)
    );
    assert_eq!(
        code(
            &app.gql_as(&me, change, json!({"c": "passw0rd!", "n": "short"}))
                .await
        ),
        Some(10002)
    );
    assert_eq!(
        code(
            &app.gql_as(&me, change, json!({"c": "passw0rd!", "n": 12345678}))
                .await
        ),
        Some(10002),
        "wrong type"
    );
    assert!(app.login("pete", "passw0rd!", None).await["data"]["login"].is_object());
    // The change itself.
    let ok = app
        .gql_as(&me, change, json!({"c": "passw0rd!", "n": "n3w-passw0rd"}))
        .await;
    assert_eq!(ok["data"]["changePassword"], true, "{ok}");
    for token in [&phone, &laptop] {
        assert_eq!(code(&app.refresh(token).await), Some(11006));
    }
    assert_eq!(
        code(&app.login("pete", "passw0rd!", None).await),
        Some(11002)
    );
    assert!(app.login("pete", "n3w-passw0rd", None).await["data"]["login"].is_object());
    app.cleanup().await;
}

#[tokio::test]
async fn renew_access_is_for_the_router_only_and_keeps_the_refresh_token() {
    let app = spawn_app().await;
    let (_, r1) = signed_in(&app, "rita").await;
    let renew = "mutation($t: String!) { renewAccess(refreshToken: $t) }";
    let router = Caller::Service("router".into());
    // Anyone else is refused, and nothing changes.
    assert_eq!(code(&app.gql(renew, json!({"t": r1})).await), Some(10005));
    assert_eq!(
        code(
            &app.gql_as(&Caller::Service("upload".into()), renew, json!({"t": r1}))
                .await
        ),
        Some(10005)
    );
    let renewed = app.gql_as(&router, renew, json!({"t": r1})).await;
    let access = renewed["data"]["renewAccess"].as_str().expect("renewed");
    let claims = app.token_keys().verify(access, Kind::Access).unwrap();
    let again = app.gql_as(&router, renew, json!({"t": r1})).await;
    assert!(
        again["data"]["renewAccess"].is_string(),
        "the refresh token stays valid"
    );
    // Bad input: an access token, garbage, the wrong type.
    assert_eq!(
        code(&app.gql_as(&router, renew, json!({"t": access})).await),
        Some(10003)
    );
    assert_eq!(
        code(&app.gql_as(&router, renew, json!({"t": "x.y.z"})).await),
        Some(10003)
    );
    assert!(app.gql_as(&router, renew, json!({"t": 5})).await["errors"].is_array());
    // A rotated-away token is reuse: refused, and the session is revoked.
    let r2 = app.refresh(&r1).await["data"]["refreshTokens"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        code(&app.gql_as(&router, renew, json!({"t": r1})).await),
        Some(11006)
    );
    assert_eq!(
        code(&app.gql_as(&router, renew, json!({"t": r2})).await),
        Some(11006)
    );
    // Logged out: refused.
    let (_, r3) = signed_in(&app, "rolf").await;
    app.gql(
        "mutation($t: String!) { logout(refreshToken: $t) }",
        json!({"t": r3}),
    )
    .await;
    assert_eq!(
        code(&app.gql_as(&router, renew, json!({"t": r3})).await),
        Some(11006)
    );
    assert!(!claims.sub.is_empty());
    app.cleanup().await;
}
