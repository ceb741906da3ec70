//! The file routes through the router's pass-through: tus with the official clients (the upload's
//! relative `Location` resolves against the router), U4 avatars, and U7 image search, with bad
//! input on each.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::stack::{Stack, code, envelope};

/// Runs a tus client script and returns the JSON line it prints.
async fn client(cmd: &mut tokio::process::Command) -> Value {
    testkit::run_json(cmd, "the tus client").await
}

#[tokio::test]
async fn official_tus_clients_upload_through_the_router() {
    let s = Stack::start().await;
    let (alice, access, _) = s.sign_up("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let file = testkit::mp4(6 * 1024 * 1024 + 17, 5);
    std::fs::write(&path, &file).unwrap();
    let endpoint = s.url("/uploads/");
    let node_dir = testkit::tools_dir().join("node");
    assert!(
        node_dir.join("node_modules/tus-js-client").is_dir(),
        "tus-js-client is not installed in tools/node: run the tests with `cargo run -p clipfed -- test`"
    );
    let js = client(
        tokio::process::Command::new("node")
            .current_dir(&node_dir)
            .arg("tus-upload.mjs")
            .arg(&endpoint)
            .arg(&path)
            .arg(&access)
            .arg("resume")
            .arg("through tus-js-client"),
    )
    .await;
    assert!(
        js["url"].as_str().unwrap().starts_with(&s.base),
        "the upload URL is the router's: {js}"
    );
    assert!(js["resumedFrom"].as_i64().unwrap() > 0, "{js}");
    let python = std::env::var("CLIPFED_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let py = client(
        tokio::process::Command::new(python)
            .arg(testkit::tools_dir().join("python/tuspy_upload.py"))
            .arg(&endpoint)
            .arg(&path)
            .arg(&access)
            .arg("plain")
            .arg("through tuspy"),
    )
    .await;
    assert!(py["url"].as_str().unwrap().starts_with(&s.base), "{py}");

    // Both are the uploader's videos, byte for byte.
    let (_, list) = envelope(s.get(&format!("/video/list?user_id={alice}"), &[]).await).await;
    assert_eq!(list["data"]["total"], 2, "{list}");
    for v in list["data"]["items"].as_array().unwrap() {
        let stored = s
            .http
            .get(v["video_url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(stored == file, "{} differs", v["title"]);
    }

    // tus itself refuses what it should, through the router too.
    let r = s
        .http
        .post(&endpoint)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "100")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "creation needs a token");
    let r = s
        .http
        .head(s.url("/uploads/999"))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = s
        .http
        .request(Method::OPTIONS, &endpoint)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["tus-version"], "1.0.0");
}

/// A refused file request: method, path, form, headers, the code it gets.
type RefusedCase<'a> = (Method, &'a str, Form, &'a [(&'a str, &'a str)], i64);

impl Stack {
    /// U7 with `bytes` as the query image; the envelope.
    async fn image_search(&self, bytes: Vec<u8>, name: &str) -> Value {
        let r = self
            .multipart(
                Method::POST,
                "/user/image/search",
                image_form(bytes, name),
                &[],
            )
            .await;
        envelope(r).await.1
    }

    /// The caller's avatar URL from U3, without its presigning query.
    async fn avatar_object(&self, access: &str) -> String {
        let (_, info) = envelope(self.get("/user/info", &[("access-token", access)]).await).await;
        let url = info["data"]["avatar_url"].as_str().unwrap_or_default();
        url.split('?').next().unwrap_or_default().to_owned()
    }
}

fn image_form(bytes: Vec<u8>, name: &str) -> Form {
    Form::new().part("data", Part::bytes(bytes).file_name(name.to_owned()))
}

#[tokio::test]
async fn avatars_upload_and_are_found_by_image_search() {
    let s = Stack::start().await;
    let (alice, access, _) = s.sign_up("alice").await;
    let auth = [("access-token", access.as_str())];
    let picture = testkit::pictures::png(&testkit::pictures::picture(7, 96, 96));

    // U7 before anything is indexed.
    assert_eq!(code(&s.image_search(picture.clone(), "q.png").await), 16002);

    // U4: the caller's User, with the new avatar.
    let r = s
        .multipart(
            Method::PUT,
            "/user/avatar/upload",
            image_form(picture.clone(), "me.png"),
            &auth,
        )
        .await;
    let (_, body) = envelope(r).await;
    assert_eq!(code(&body), 10000, "{body}");
    assert_eq!(body["data"]["id"], alice.as_str());
    let avatar = body["data"]["avatar_url"].as_str().unwrap().to_owned();
    let object = avatar.split('?').next().unwrap().to_owned();
    assert!(object.ends_with(".png"), "{avatar}");
    assert_eq!(s.avatar_object(&access).await, object);

    // U7: the avatar is indexed from its event, then found from a re-encoded copy.
    let query = testkit::pictures::jpeg(&testkit::pictures::picture(7, 96, 96), 60);
    testkit::eventually(30, "image search finds the avatar", || async {
        let body = s.image_search(query.clone(), "q.jpg").await;
        body["data"]
            .as_str()
            .is_some_and(|url| url.split('?').next() == Some(object.as_str()))
    })
    .await;

    // Bad input: no token, not an image, an empty file, no file.
    let cases: Vec<RefusedCase> = vec![
        (
            Method::PUT,
            "/user/avatar/upload",
            image_form(picture.clone(), "me.png"),
            &[],
            10003,
        ),
        (
            Method::PUT,
            "/user/avatar/upload",
            image_form(testkit::mp4(3000, 1), "me.png"),
            &auth,
            10008,
        ),
        (
            Method::PUT,
            "/user/avatar/upload",
            Form::new().text("nothing", "here"),
            &auth,
            10002,
        ),
        (
            Method::POST,
            "/user/image/search",
            image_form(b"%PDF-1.4 not an image".to_vec(), "q.png"),
            &[],
            10008,
        ),
        (
            Method::POST,
            "/user/image/search",
            image_form(Vec::new(), "q.png"),
            &[],
            10002,
        ),
    ];
    for (i, (method, path, form, headers, want)) in cases.into_iter().enumerate() {
        let r = s.multipart(method, path, form, headers).await;
        assert_eq!(code(&envelope(r).await.1), want, "case {i}: {path}");
    }
    assert_eq!(
        s.avatar_object(&access).await,
        object,
        "refused uploads left the avatar alone"
    );
}
