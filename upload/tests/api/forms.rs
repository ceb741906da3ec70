//! The west2 one-shot endpoints: multipart forms through the same streaming path, the contract's
//! envelope, and bad input (no token, no file, not a video, no title, empty file).

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::*;

async fn publish(s: &Stack, token: Option<String>, form: Form) -> Value {
    let mut req = s.http.post(s.url("/video/publish")).multipart(form);
    if let Some(t) = token {
        req = req.header("Access-Token", t);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn video_form(file: Vec<u8>, title: &str) -> Form {
    // The file comes first: the title arrives after the bytes were streamed.
    Form::new()
        .part("data", Part::bytes(file).file_name("clip.mp4"))
        .text("title", title.to_owned())
        .text("description", "a description")
}

#[tokio::test]
async fn publish_streams_the_form_and_records_the_video() {
    let s = Stack::start().await;
    let user = some_user();
    let file = mp4(7 * MIB + 9, 31);
    let body = publish(
        &s,
        Some(s.token(user)),
        video_form(file.clone(), "表单视频"),
    )
    .await;
    assert_eq!(
        body,
        serde_json::json!({"base": {"code": 10000, "msg": "success"}})
    );
    let videos = s.videos_of(user).await;
    assert_eq!(videos.len(), 1);
    assert_eq!(videos[0]["title"], "表单视频");
    assert_eq!(videos[0]["description"], "a description");
    assert_eq!(s.fetch(videos[0]["videoUrl"].as_str().unwrap()).await, file);
}

#[tokio::test]
async fn refused_forms_answer_with_a_code_and_leave_nothing() {
    let s = Stack::start().await;
    let user = some_user();
    let token = Some(s.token(user));
    let cases: Vec<(Option<String>, Form, i64)> = vec![
        (None, video_form(mp4(1000, 1), "t"), 10003),
        (Some("garbage".into()), video_form(mp4(1000, 1), "t"), 10003),
        (token.clone(), Form::new().text("title", "no file"), 10002),
        (token.clone(), video_form(mp4(1000, 1), ""), 10002),
        (
            token.clone(),
            video_form(mp4(1000, 1), &"长".repeat(101)),
            10002,
        ),
        (
            token.clone(),
            video_form(b"just text, not a video".repeat(400), "t"),
            10008,
        ),
        (token.clone(), video_form(png(), "t"), 10008),
        (token.clone(), video_form(Vec::new(), "t"), 10002),
        (
            token.clone(),
            Form::new()
                .part("data", Part::bytes(mp4(1000, 1)).file_name("../../x.mp4"))
                .text("title", "t"),
            10002,
        ),
    ];
    for (i, (token, form, code)) in cases.into_iter().enumerate() {
        let body = publish(&s, token, form).await;
        assert_eq!(body["base"]["code"], code, "case {i}: {body}");
        assert!(body.get("data").is_none());
    }
    // Not a form at all.
    let res = s
        .http
        .post(s.url("/video/publish"))
        .header("Access-Token", s.token(user))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(body["base"]["code"], 10002, "{body}");
    assert!(s.videos_of(user).await.is_empty());
    assert_eq!(s.count("SELECT COUNT(*) FROM uploads").await, 0);
}

#[tokio::test]
async fn an_avatar_upload_answers_with_the_updated_user() {
    let s = Stack::start_with(true, |_| {}).await;
    let user_base = &s.user.as_ref().unwrap().base;
    let name = format!("up{}", rand::random::<u32>());
    let created: Value = testkit::signed::Signer::new()
        .graphql(
            &format!("{user_base}/graphql"),
            &kit::caller::Caller::Anonymous,
            None,
            "mutation($u: String!) { register(username: $u, password: \"Secret-pass-123\") { id } }",
            serde_json::json!({"u": name}),
        )
        .await;
    let id: i64 = created["data"]["register"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let form = Form::new().part("data", Part::bytes(png()).file_name("me.png"));
    let res = s
        .http
        .put(s.url("/user/avatar/upload"))
        .bearer_auth(s.token(id))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10000, "{body}");
    let data = &body["data"];
    assert_eq!(data["id"], id.to_string());
    assert_eq!(data["username"], name);
    assert_eq!(data["deleted_at"], "");
    assert_eq!(
        data["created_at"].as_str().unwrap().len(),
        19,
        "YYYY-MM-DD HH:MM:SS"
    );
    let url = data["avatar_url"].as_str().unwrap();
    assert!(
        url.contains(&format!("avatars/{id}/")) && url.contains(".png"),
        "{url}"
    );
    assert_eq!(s.fetch(url).await, png());
    // A video is not an avatar.
    let form = Form::new().part("data", Part::bytes(mp4(3000, 1)).file_name("me.png"));
    let res = s
        .http
        .put(s.url("/user/avatar/upload"))
        .bearer_auth(s.token(id))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["base"]["code"], 10008, "{body}");
}
