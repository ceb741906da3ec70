//! Image search against real milvus-lite, MariaDB and s3s-fs with the real CNN: re-encoded,
//! resized and cropped copies find their original among 220 generated images; covers and avatars
//! announced by events are indexed and forgotten; bad files get clear errors and change nothing.

use std::time::Duration;

use base64::Engine;
use image::imageops::FilterType;
use kit::caller::Caller;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, jpeg, picture, png, spawn_app};

/// Images indexed besides the originals the test looks for.
const OTHERS: u64 = 210;

async fn best_url(app: &TestApp, bytes: Vec<u8>) -> Value {
    let (status, body) = app
        .post_files("/user/image/search", vec![("q.jpg".into(), bytes)], None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The object key inside a (presigned) URL.
fn key_of(url: &str) -> &str {
    let path = url.split('?').next().unwrap();
    path.split("/clipfed/").nth(1).unwrap()
}

#[tokio::test]
async fn copies_find_their_original_ranked_first_among_two_hundred_others() {
    let app = spawn_app().await;
    let originals: Vec<image::RgbImage> = (0..5).map(|s| picture(s, 320, 240)).collect();
    let mut all: Vec<Vec<u8>> = originals.iter().map(png).collect();
    all.extend((100..100 + OTHERS).map(|s| png(&picture(s, 320, 240))));
    let imported = app.import(&all).await;
    assert_eq!(imported.len(), all.len());

    for (i, original) in originals.iter().enumerate() {
        let (w, h) = original.dimensions();
        let crop =
            image::imageops::crop_imm(original, w / 20, h / 20, w * 9 / 10, h * 9 / 10).to_image();
        let variants = [
            ("jpeg q=25", jpeg(original, 25)),
            (
                "resized to 60%",
                png(&image::imageops::resize(
                    original,
                    w * 3 / 5,
                    h * 3 / 5,
                    FilterType::Triangle,
                )),
            ),
            ("cropped 5% each side", jpeg(&crop, 85)),
        ];
        let want = key_of(&imported[i].1).to_owned();
        for (what, bytes) in variants {
            // REST: the best match's URL as a bare string.
            let body = best_url(&app, bytes.clone()).await;
            assert_eq!(body["base"]["code"], 10000, "{body}");
            let url = body["data"].as_str().expect("data is a string");
            assert_eq!(key_of(url), want, "original {i}, {what}");
            // GraphQL: the ranked list with scores, the original first.
            let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let ranked = app
                .gql(
                    "query($i: String!) { searchImages(imageBase64: $i, limit: 5) { id url score source } }",
                    json!({"i": b64}),
                )
                .await;
            let hits = ranked["data"]["searchImages"].as_array().expect("hits");
            assert_eq!(hits.len(), 5, "{ranked}");
            assert_eq!(hits[0]["id"], imported[i].0, "original {i}, {what}");
            assert_eq!(hits[0]["source"], "import");
            let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
            assert!(
                scores.windows(2).all(|p| p[0] >= p[1]),
                "ranked: {scores:?}"
            );
            assert!(scores[0] <= 1.0001 && scores[0] > scores[1], "{scores:?}");
        }
    }
    // Importing the same bytes again stores and indexes nothing new.
    let again = app.import(&all[..1]).await;
    assert_eq!(again[0].0, imported[0].0);
    let pool = app.sql().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM images")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, all.len() as i64);
    app.cleanup().await;
}

/// Stores `bytes` at `key` the way the video and upload services do (presigned PUT).
async fn put_object(app: &TestApp, key: &str, bytes: Vec<u8>) {
    let presigner = kit::s3::Presigner::new(&app.config.s3).unwrap();
    let put = app
        .client
        .put(presigner.put(key, Duration::from_secs(60)))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "PUT {}", put.status());
}

#[tokio::test]
async fn covers_and_avatars_from_events_are_indexed_and_forgotten() {
    let app = spawn_app().await;
    // Something else in the index, so "forgotten" means "another image wins".
    app.import(&[png(&picture(900, 200, 200))]).await;
    let video = kit::id::next_id();
    let user = kit::id::next_id();
    let cover = picture(901, 320, 180);
    let (avatar_old, avatar_new) = (picture(902, 128, 128), picture(903, 128, 128));
    let cover_key = format!("covers/{}.jpg", testkit::unique("c"));
    let old_key = format!("avatars/{user}/{}.png", testkit::unique("a"));
    let new_key = format!("avatars/{user}/{}.png", testkit::unique("a"));
    put_object(&app, &cover_key, jpeg(&cover, 90)).await;
    put_object(&app, &old_key, png(&avatar_old)).await;
    put_object(&app, &new_key, png(&avatar_new)).await;
    let videos = app.config.topics.videos.clone();
    let users = app.config.topics.users.clone();
    app.publish(
        &videos,
        &[(
            video,
            json!({"type": "cover_ready", "id": kit::id::next_id(), "video_id": video, "cover_key": cover_key}),
        )],
    )
    .await;
    for key in [&old_key, &new_key] {
        app.publish(
            &users,
            &[(
                user,
                json!({"type": "avatar_changed", "id": kit::id::next_id(), "user_id": user, "avatar_key": key}),
            )],
        )
        .await;
    }
    let found = |img: image::RgbImage| {
        let app = &app;
        async move {
            let body = best_url(app, jpeg(&img, 80)).await;
            body["data"].as_str().map(|u| key_of(u).to_owned())
        }
    };
    eventually(60, "cover and new avatar indexed", || async {
        found(cover.clone()).await.as_deref() == Some(cover_key.as_str())
            && found(avatar_new.clone()).await.as_deref() == Some(new_key.as_str())
    })
    .await;
    // The replaced avatar is no longer in the index.
    assert_ne!(
        found(avatar_old.clone()).await.as_deref(),
        Some(old_key.as_str())
    );
    let pool = app.sql().await;
    let sources: Vec<(String, i64)> = sqlx::query_as(
        "SELECT source, source_id FROM images WHERE source <> 'import' ORDER BY source",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        sources,
        vec![("avatar".into(), user), ("cover".into(), video)]
    );

    // Deleting the video forgets its cover.
    app.publish(
        &videos,
        &[(
            video,
            json!({"type": "deleted", "id": kit::id::next_id(), "video_id": video}),
        )],
    )
    .await;
    eventually(30, "cover forgotten", || async {
        found(cover.clone()).await.as_deref() != Some(cover_key.as_str())
    })
    .await;
    app.cleanup().await;
}

#[tokio::test]
async fn bad_files_get_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let real = png(&picture(7, 64, 64));
    // Nothing indexed yet: a valid search says so.
    let body = best_url(&app, real.clone()).await;
    assert_eq!(body["base"]["code"], 16002, "{body}");

    let mut truncated = jpeg(&picture(8, 64, 64), 90);
    truncated.truncate(200);
    let fifty_mb = {
        let mut b = jpeg(&picture(9, 64, 64), 90);
        b.resize(50 * 1024 * 1024, 0);
        b
    };
    let cases: Vec<(&str, Vec<u8>, u16, i64, &str)> = vec![
        (
            "text",
            b"hello, not an image".to_vec(),
            200,
            10008,
            "not an image",
        ),
        (
            "pdf",
            b"%PDF-1.4\n...".to_vec(),
            200,
            10008,
            "application/pdf",
        ),
        ("empty", Vec::new(), 200, 10002, "empty"),
        (
            "truncated jpeg",
            truncated,
            200,
            16001,
            "could not be decoded",
        ),
        ("50 MB", fifty_mb, 413, 10007, "larger than 10 MiB"),
    ];
    let token = app.token(5);
    for (what, bytes, status, code, words) in cases {
        for path in ["/user/image/search", "/images"] {
            let (got, body) = app
                .post_files(path, vec![("f.jpg".into(), bytes.clone())], Some(&token))
                .await;
            // An import reports per file (an oversized file too: the others still count).
            let (base, item, status) = if path == "/images" {
                (&body["data"]["items"][0], true, 200)
            } else {
                (&body["base"], false, status)
            };
            assert_eq!(got, status, "{what} {path}: {body}");
            assert_eq!(base["code"], code, "{what} {path}: {body}");
            assert!(
                base["msg"].as_str().unwrap().contains(words),
                "{what} {path}: {body}"
            );
            if item {
                assert_eq!(body["data"]["indexed"], 0, "{body}");
            }
        }
    }
    // Not a form, no `data` field, no token, a forged router header.
    let search_url = format!("{}/user/image/search", app.base);
    let raw = app
        .signer
        .post(&search_url, &Caller::Anonymous, None)
        .body("data=x")
        .send()
        .await
        .unwrap();
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10002, "{body}");
    let form = reqwest::multipart::Form::new().text("other", "x");
    let body: Value = app
        .signer
        .post(&search_url, &Caller::Anonymous, None)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["base"]["code"], 10002, "{body}");
    let (_, body) = app
        .post_files("/images", vec![("a.png".into(), real.clone())], None)
        .await;
    assert_eq!(body["base"]["code"], 10003, "{body}");
    let forged = app
        .client
        .post(format!("{}/images", app.base))
        .header(kit::caller::HEADER, "v2.router.u.5.9999999999.forged")
        .multipart(reqwest::multipart::Form::new().part(
            "data",
            reqwest::multipart::Part::bytes(real.clone()).file_name("a.png"),
        ))
        .send()
        .await
        .unwrap();
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10003, "{body}");
    let (_, body) = app
        .post_files(
            "/images",
            vec![("a.png".into(), real.clone())],
            Some("not-a-jwt"),
        )
        .await;
    assert_eq!(body["base"]["code"], 10003, "{body}");

    // GraphQL: not base64, a bad limit, too long.
    let q = "query($i: String!, $l: Int) { searchImages(imageBase64: $i, limit: $l) { id } }";
    let b64 = base64::engine::general_purpose::STANDARD.encode(&real);
    for (vars, code) in [
        (json!({"i": "@@@"}), 10002),
        (json!({"i": b64, "l": 0}), 10002),
        (json!({"i": b64, "l": 101}), 10002),
        (json!({"i": "A".repeat(15 * 1024 * 1024)}), 10007),
    ] {
        let body = app.gql(q, vars).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
    }

    // Nothing of the above was stored.
    let pool = app.sql().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM images")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    app.cleanup().await;
}
