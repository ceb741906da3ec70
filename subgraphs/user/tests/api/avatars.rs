//! Avatar URLs against the real object store: presigned URLs fetch the object; public ones are plain.

use std::time::Duration;

use kit::caller::Caller;
use kit::s3::UrlMode;
use serde_json::json;

use crate::helpers::{id_of, spawn_app, spawn_app_with};

const SET: &str =
    "mutation($u: ID!, $k: String!) { setAvatar(userId: $u, objectKey: $k) { avatarUrl } }";

#[tokio::test]
async fn a_presigned_avatar_url_fetches_the_stored_bytes_and_a_tampered_one_does_not() {
    testkit::require_s3();
    let app = spawn_app().await;
    let id = id_of(&app.register("rosa", "passw0rd!").await);
    let key = format!("avatars/{}/{}.png", id, testkit::unique("a"));
    // Store the object the way the upload service will: through a presigned PUT.
    let presigner = kit::s3::Presigner::new(&app.config.s3).unwrap();
    let bytes = b"\x89PNG\r\n\x1a\n not really an image, but bytes to round-trip".to_vec();
    let put = reqwest::Client::new()
        .put(presigner.put(&key, Duration::from_secs(60)))
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "PUT {}", put.status());

    let set = app
        .gql_as(
            &Caller::Service("upload".into()),
            SET,
            json!({"u": id.to_string(), "k": key}),
        )
        .await;
    let url = set["data"]["setAvatar"]["avatarUrl"]
        .as_str()
        .expect("avatar set")
        .to_owned();
    let me = app
        .gql_as(&Caller::User(id), "{ me { avatarUrl } }", json!({}))
        .await;
    assert!(
        me["data"]["me"]["avatarUrl"]
            .as_str()
            .unwrap()
            .contains(&key)
    );

    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    // The signature covers the key: pointing the URL at another object is refused.
    let tampered = url.replacen(".png?", ".jpg?", 1);
    assert!(
        reqwest::get(&tampered)
            .await
            .unwrap()
            .status()
            .is_client_error()
    );
    app.cleanup().await;
}

#[tokio::test]
async fn public_mode_joins_the_base_url_and_the_key() {
    let app = spawn_app_with(|c| {
        c.avatar.mode = UrlMode::Public;
        c.avatar.base_url = "https://cdn.example.com/avatars/".into();
    })
    .await;
    let id = id_of(&app.register("sam", "passw0rd!").await);
    let set = app
        .gql_as(
            &Caller::Service("upload".into()),
            SET,
            json!({"u": id.to_string(), "k": "avatars/sam.webp"}),
        )
        .await;
    assert_eq!(
        set["data"]["setAvatar"]["avatarUrl"],
        "https://cdn.example.com/avatars/avatars/sam.webp"
    );
    app.cleanup().await;
}
