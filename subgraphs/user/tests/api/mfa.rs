//! TOTP: offer, bind, login with and without a code, replay.

use kit::caller::Caller;
use serde_json::json;
use user::domain::mfa::MfaSecret;

use crate::helpers::{code, id_of, spawn_app};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn qrcode_bind_then_login_needs_a_fresh_code() {
    let app = spawn_app().await;
    let id = id_of(&app.register("grace", "passw0rd!").await);
    let me = Caller::User(id);
    let offer = app
        .gql_as(
            &me,
            "mutation { createMfaSecret { secret qrcode } }",
            json!({}),
        )
        .await;
    let secret_b32 = offer["data"]["createMfaSecret"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(
        offer["data"]["createMfaSecret"]["qrcode"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let secret = MfaSecret::from_base32(&secret_b32).unwrap();

    let bind = "mutation($s: String!, $c: String!) { bindMfa(secret: $s, code: $c) }";
    let wrong = app
        .gql_as(&me, bind, json!({"s": secret_b32, "c": "000000"}))
        .await;
    if secret.code_at(now()) != "000000" {
        assert_eq!(code(&wrong), Some(11005));
    }
    // Bind with the previous step's code, so the current one is still fresh for the login below.
    let bound = app
        .gql_as(
            &me,
            bind,
            json!({"s": secret_b32, "c": secret.code_at(now() - 30)}),
        )
        .await;
    assert_eq!(bound["data"]["bindMfa"], true, "{bound}");

    assert_eq!(
        code(&app.login("grace", "passw0rd!", None).await),
        Some(11004)
    );
    let fresh = secret.code_at(now());
    let ok = app.login("grace", "passw0rd!", Some(&fresh)).await;
    assert!(ok["data"]["login"]["accessToken"].is_string(), "{ok}");
    assert_eq!(
        code(&app.login("grace", "passw0rd!", Some(&fresh)).await),
        Some(11005),
        "a code works once"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn binding_a_secret_the_service_did_not_offer_is_refused() {
    let app = spawn_app().await;
    let id = id_of(&app.register("heidi", "passw0rd!").await);
    let me = Caller::User(id);
    let own = MfaSecret::generate();
    let bind = "mutation($s: String!, $c: String!) { bindMfa(secret: $s, code: $c) }";
    let res = app
        .gql_as(
            &me,
            bind,
            json!({"s": own.base32(), "c": own.code_at(now())}),
        )
        .await;
    assert_eq!(code(&res), Some(10002));
    assert!(
        app.login("heidi", "passw0rd!", None).await["data"]["login"].is_object(),
        "MFA must stay unbound"
    );
    let anon = app
        .gql("mutation { createMfaSecret { secret } }", json!({}))
        .await;
    assert_eq!(code(&anon), Some(10003));
    app.cleanup().await;
}
