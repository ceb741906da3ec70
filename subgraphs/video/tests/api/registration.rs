//! Registration of finished uploads: idempotent per upload id, service-only, checked input that
//! changes nothing when refused.

use kit::caller::Caller;
use serde_json::json;

use crate::helpers::*;

async fn total_of(app: &TestApp, author: i64) -> i64 {
    let body = app
        .gql(
            "query($u: ID!) { videosByAuthor(userId: $u) { total } }",
            json!({"u": author.to_string()}),
        )
        .await;
    body["data"]["videosByAuthor"]["total"].as_i64().unwrap()
}

#[tokio::test]
async fn registering_binds_uploader_time_and_metadata() {
    let app = spawn_app().await;
    let before = chrono::Utc::now();
    let body = app
        .register_as(&upload_service(), input("up_meta", 42, "  First  "))
        .await;
    let v = &body["data"]["registerVideo"];
    assert_eq!(v["author"]["id"], "42", "{body}");
    assert_eq!(v["title"], "First", "title is trimmed");
    assert_eq!(v["description"], "a test video");
    assert_eq!(v["visitCount"], 0);
    let created: chrono::DateTime<chrono::Utc> = v["createdAt"].as_str().unwrap().parse().unwrap();
    assert!(created >= before - chrono::Duration::seconds(1));
    let one = app
        .gql(
            "query($id: ID!) { video(id: $id) { id sizeBytes contentType videoUrl coverUrl } }",
            json!({"id": v["id"]}),
        )
        .await;
    let video = &one["data"]["video"];
    assert_eq!(video["sizeBytes"], 1234);
    assert_eq!(video["contentType"], "video/mp4");
    assert!(
        video["videoUrl"]
            .as_str()
            .unwrap()
            .contains("/clipfed/videos/42/up_meta.mp4?"),
        "{video}"
    );
    assert!(
        video["coverUrl"].as_str().unwrap().contains("covers/"),
        "{video}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_retried_registration_returns_the_same_video() {
    let app = spawn_app().await;
    let first = app
        .register_as(&upload_service(), input("up_same", 7, "t"))
        .await;
    let again = app
        .register_as(&upload_service(), input("up_same", 7, "t"))
        .await;
    assert_eq!(
        first["data"]["registerVideo"]["id"],
        again["data"]["registerVideo"]["id"]
    );
    // Concurrent retries race on the unique index: still one video.
    let svc = upload_service();
    let calls = (0..8).map(|_| app.register_as(&svc, input("up_race", 7, "r")));
    let bodies = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<_> = bodies
        .iter()
        .map(|b| b["data"]["registerVideo"]["id"].clone())
        .collect();
    assert_eq!(ids.len(), 1, "{bodies:?}");
    assert_eq!(total_of(&app, 7).await, 2);
    app.cleanup().await;
}

#[tokio::test]
async fn the_same_upload_id_with_other_content_is_a_conflict() {
    let app = spawn_app().await;
    app.register_as(&upload_service(), input("up_c", 7, "t"))
        .await;
    let other_author = app
        .register_as(&upload_service(), input("up_c", 8, "t"))
        .await;
    assert_eq!(code(&other_author), Some(12002), "{other_author}");
    assert_eq!(total_of(&app, 8).await, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn only_the_upload_service_registers() {
    let app = spawn_app().await;
    // Signed, but not the upload service: the router as a service is refused by the resolver. (A
    // service the video service holds no key of cannot sign at all: 10003, below.)
    for caller in [
        Caller::Anonymous,
        Caller::User(7),
        Caller::Service("router".into()),
    ] {
        let body = app.register_as(&caller, input("up_x", 7, "t")).await;
        assert_eq!(code(&body), Some(10005), "{caller:?}: {body}");
    }
    // A forged header (the upload service's name, another key), and a service whose key the
    // video service does not hold, are refused before any resolver runs.
    for (name, caller) in [
        ("upload", upload_service()),
        ("search", Caller::Service("search".into())),
    ] {
        let forged = kit::caller::CallerSigner::new(
            name,
            &secrecy::SecretString::from("another-key-of-at-least-32-bytes-long!!"),
        )
        .unwrap();
        let header = forged
            .sign(&caller, std::time::Duration::from_secs(60))
            .unwrap();
        let res: serde_json::Value = reqwest::Client::new()
            .post(&app.url)
            .header(kit::caller::HEADER, header)
            .json(&json!({"query": "mutation($i: RegisterVideoInput!) { registerVideo(input: $i) { id } }", "variables": {"i": input("up_x", 7, "t")}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(code(&res), Some(10003), "{name}: {res}");
    }
    assert_eq!(total_of(&app, 7).await, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn bad_input_is_a_parameter_error_and_stores_nothing() {
    let app = spawn_app().await;
    let mut cases = Vec::new();
    for (field, value) in [
        ("title", json!("   ")),
        ("title", json!("x".repeat(101))),
        ("description", json!("d".repeat(5001))),
        ("authorId", json!("not-a-number")),
        ("authorId", json!("-3")),
        ("objectKey", json!("../../etc/passwd")),
        ("objectKey", json!("")),
        ("uploadId", json!("has space")),
        ("uploadId", json!("u".repeat(65))),
        ("sizeBytes", json!(-5)),
        ("sizeBytes", json!("big")),
        ("title", json!(null)),
    ] {
        let mut i = input("up_bad", 9, "ok");
        i[field] = value;
        cases.push((field, i));
    }
    let mut missing = input("up_bad", 9, "ok");
    missing.as_object_mut().unwrap().remove("objectKey");
    cases.push(("objectKey (missing)", missing));
    for (field, i) in cases {
        let body = app.register_as(&upload_service(), i).await;
        assert_eq!(code(&body), Some(10002), "{field}: {body}");
    }
    assert_eq!(total_of(&app, 9).await, 0);
    app.cleanup().await;
}
