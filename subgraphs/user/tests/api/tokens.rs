//! Refresh rotation, reuse detection and logout.

use serde_json::json;

use crate::helpers::{TestApp, code, id_of, spawn_app};

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
