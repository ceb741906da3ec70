//! Registration, login and `me`, with bad input.

use kit::caller::Caller;
use serde_json::json;

use crate::helpers::{code, id_of, spawn_app};

#[tokio::test]
async fn register_then_login_then_me_round_trip() {
    let app = spawn_app().await;
    let reg = app.register("FanOne", "passw0rd!").await;
    let id = id_of(&reg);
    assert_eq!(reg["data"]["register"]["username"], "FanOne");
    assert_eq!(reg["data"]["register"]["avatarUrl"], "");
    assert!(reg["data"]["register"]["deletedAt"].is_null());
    let login = app.login("fanone", "passw0rd!", None).await;
    assert_eq!(
        login["data"]["login"]["user"]["id"],
        id.to_string(),
        "{login}"
    );
    assert!(
        login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap()
            .len()
            > 20
    );
    let me = app
        .gql_as(&Caller::User(id), "{ me { id username } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["username"], "FanOne");
    app.cleanup().await;
}

#[tokio::test]
async fn me_without_a_caller_is_unauthenticated() {
    let app = spawn_app().await;
    let me = app.gql("{ me { id } }", json!({})).await;
    assert_eq!(code(&me), Some(10003));
    app.cleanup().await;
}

#[tokio::test]
async fn a_username_is_taken_whatever_its_case() {
    let app = spawn_app().await;
    id_of(&app.register("Alice", "passw0rd!").await);
    for variant in ["Alice", "alice", "ALICE"] {
        assert_eq!(
            code(&app.register(variant, "passw0rd!").await),
            Some(11001),
            "{variant}"
        );
    }
    app.cleanup().await;
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_bad_credentials() {
    let app = spawn_app().await;
    id_of(&app.register("bob_1", "passw0rd!").await);
    assert_eq!(
        code(&app.login("bob_1", "passw0rd?", None).await),
        Some(11002)
    );
    assert_eq!(
        code(&app.login("nobody", "passw0rd!", None).await),
        Some(11002)
    );
    assert_eq!(code(&app.login("", "", None).await), Some(11002));
    app.cleanup().await;
}

#[tokio::test]
async fn malformed_registrations_are_parameter_errors_and_create_nothing() {
    let app = spawn_app().await;
    let huge = "u".repeat(10 * 1024);
    for (name, pw) in [
        ("", "passw0rd!"),
        (huge.as_str(), "passw0rd!"),
        ("x'; DROP TABLE users; --", "passw0rd!"),
        ("carol", "short1"),
        ("carol", "nodigitshere"),
    ] {
        assert_eq!(
            code(&app.register(name, pw).await),
            Some(10002),
            "{:.40} / {pw}",
            name
        );
    }
    // Nothing was created: the valid name is still free.
    id_of(&app.register("carol", "passw0rd!").await);
    app.cleanup().await;
}

#[tokio::test]
async fn sql_metacharacters_in_names_and_passwords_are_stored_verbatim() {
    let app = spawn_app().await;
    let name = "x';DROP/**/TABLE/**/users;--";
    let pw = "' OR '1'='1'; DROP TABLE users; -- 9";
    let id = id_of(&app.register(name, pw).await);
    assert!(app.login(name, pw, None).await["data"]["login"]["accessToken"].is_string());
    assert_eq!(
        code(&app.login(name, "' OR '1'='1", None).await),
        Some(11002)
    );
    assert_eq!(
        code(&app.login("x' OR '1'='1", pw, None).await),
        Some(11002)
    );
    let read = app
        .gql(
            "query($id: ID!) { user(id: $id) { username } }",
            json!({"id": id.to_string()}),
        )
        .await;
    assert_eq!(read["data"]["user"]["username"], name);
    // A name that only lowercasing lengthens still fits its unique key.
    let dotted = "İ".repeat(32);
    id_of(&app.register(&dotted, pw).await);
    assert_eq!(code(&app.register(&dotted, pw).await), Some(11001));
    app.cleanup().await;
}

#[tokio::test]
async fn invalid_utf8_through_the_http_layer_is_a_request_error() {
    let app = spawn_app().await;
    let mut body = br#"{"query":"mutation { register(username: \""#.to_vec();
    body.extend([0xff, 0xfe]);
    body.extend(br#"\", password: \"passw0rd!\") { id } }"}"#);
    let (status, reply) = app.post_raw(body).await;
    assert_eq!(status, 400);
    assert_eq!(code(&reply), Some(10002));
    app.cleanup().await;
}

#[tokio::test]
async fn fifty_simultaneous_registrations_of_one_name_make_one_account() {
    let app = std::sync::Arc::new(spawn_app().await);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move { app.register("racer", "passw0rd!").await })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let body = t.await.unwrap();
        match code(&body) {
            None => created += 1,
            Some(c) => assert_eq!(c, 11001, "{body}"),
        }
    }
    assert_eq!(created, 1);
    std::sync::Arc::into_inner(app)
        .expect("all tasks done")
        .cleanup()
        .await;
}

#[tokio::test]
async fn no_response_ever_contains_the_password() {
    let app = spawn_app().await;
    let pw = "Sup3rSecretPassphrase";
    let bodies = [
        app.register("erin", pw).await,
        app.login("erin", pw, None).await,
        app.login("erin", "Sup3rSecretPassphrasX", None).await,
        app.register("erin", pw).await,
    ];
    for body in bodies {
        assert!(!body.to_string().contains(pw), "{body}");
        assert!(!body.to_string().contains("argon2"), "{body}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn only_the_upload_service_may_set_an_avatar() {
    let app = spawn_app().await;
    let id = id_of(&app.register("frank", "passw0rd!").await);
    let q = "mutation($u: ID!, $k: String!) { setAvatar(userId: $u, objectKey: $k) { avatarUrl } }";
    let vars = json!({"u": id.to_string(), "k": "avatars/frank.png"});
    assert_eq!(
        code(&app.gql_as(&Caller::User(id), q, vars.clone()).await),
        Some(10005)
    );
    let ok = app.gql_as(&Caller::Service("upload".into()), q, vars).await;
    let url = ok["data"]["setAvatar"]["avatarUrl"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:9000/clipfed/avatars/frank.png?X-Amz-"),
        "{url}"
    );
    let missing = app
        .gql_as(
            &Caller::Service("upload".into()),
            q,
            json!({"u": "1", "k": "x.png"}),
        )
        .await;
    assert_eq!(code(&missing), Some(11003));
    app.cleanup().await;
}
