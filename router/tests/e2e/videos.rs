//! V1-V5 through the router: publishing through the file pass-through, then the feed, an
//! uploader's list, the popular ranking and keyword search, each with the contract's exact fields,
//! paging and totals, and bad input per route.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::stack::{Stack, code, envelope, keys_of, sorted};

pub const VIDEO_FIELDS: [&str; 12] = [
    "id",
    "user_id",
    "video_url",
    "cover_url",
    "title",
    "description",
    "visit_count",
    "like_count",
    "comment_count",
    "created_at",
    "updated_at",
    "deleted_at",
];

/// The contract's V2 form: `data` (the file), `title`, `description`.
pub fn video_form(file: Vec<u8>, title: &str) -> Form {
    Form::new()
        .part("data", Part::bytes(file).file_name("clip.mp4"))
        .text("title", title.to_owned())
        .text("description", format!("about {title}"))
}

/// Publishes a small video as the holder of `access` and returns the envelope.
pub async fn publish(s: &Stack, access: &str, title: &str, seed: u64) -> Value {
    let form = video_form(testkit::mp4(64 * 1024, seed), title);
    let res = s
        .multipart(
            Method::POST,
            "/video/publish",
            form,
            &[("access-token", access)],
        )
        .await;
    envelope(res).await.1
}

#[tokio::test]
async fn published_videos_appear_in_the_feed_lists_ranking_and_search() {
    let s = Stack::start().await;
    let (alice, access, _) = s.sign_up("alice_cat").await;
    let (_, other, _) = s.sign_up("bob").await;
    for (i, title) in ["猫咪 cat video", "dog clip", "第三个 cat"]
        .iter()
        .enumerate()
    {
        let body = publish(&s, &access, title, i as u64).await;
        assert_eq!(body, json!({"base": {"code": 10000, "msg": "success"}}));
    }
    assert_eq!(
        code(&publish(&s, &other, "bob's", 9).await),
        10000,
        "a second uploader"
    );

    // V3: the uploader's list, paged, with the total of all.
    let (_, page) = envelope(
        s.get(
            &format!("/video/list?user_id={alice}&page_num=0&page_size=2"),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(code(&page), 10000, "{page}");
    assert_eq!(keys_of(&page["data"]), sorted(&["items", "total"]));
    assert_eq!(page["data"]["total"], 3);
    let items = page["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for v in items {
        assert_eq!(keys_of(v), sorted(&VIDEO_FIELDS));
        assert_eq!(v["user_id"], alice.as_str());
        assert!(v["id"].as_str().unwrap().parse::<i64>().is_ok());
        assert!(v["visit_count"].is_i64() && v["like_count"].is_i64());
        assert_eq!(v["deleted_at"], "");
        assert_eq!(v["created_at"].as_str().unwrap().len(), 19);
        assert!(v["video_url"].as_str().unwrap().starts_with("http"));
    }
    assert_eq!(items[0]["title"], "第三个 cat", "newest first");
    let (_, last) = envelope(
        s.get(
            &format!("/video/list?user_id={alice}&page_num=1&page_size=2"),
            &[],
        )
        .await,
    )
    .await;
    assert_eq!(last["data"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["data"]["total"], 3);
    // "My" list: the caller's own by default.
    let (_, mine) = envelope(s.get("/video/list", &[("access-token", &other)]).await).await;
    assert_eq!(mine["data"]["total"], 1);

    // V1: the feed, newest first, no total; latest_time keeps only newer videos.
    let (_, feed) = envelope(s.get("/video/feed/?page_size=10", &[]).await).await;
    assert_eq!(keys_of(&feed["data"]), sorted(&["items"]));
    assert_eq!(feed["data"]["items"].as_array().unwrap().len(), 4);
    let future = 4_102_444_800_000_i64; // 2100-01-01
    let (_, none) = envelope(
        s.get(&format!("/video/feed?latest_time={future}"), &[])
            .await,
    )
    .await;
    assert_eq!(none["data"], json!({"items": []}));

    // V4: visits (GraphQL) rank the popular list.
    let dog = items_titled(&feed, "dog clip");
    for _ in 0..3 {
        let r = s
            .graphql(
                "mutation($v: ID!) { recordVisit(videoId: $v) }",
                json!({"v": dog}),
                &[("access-token", &access)],
            )
            .await;
        assert_eq!(r["data"]["recordVisit"], true, "{r}");
    }
    testkit::eventually(20, "the visited video leads the popular list", || async {
        let (_, top) = envelope(s.get("/video/popular?page_size=2", &[]).await).await;
        top["data"]["items"][0]["id"] == dog.as_str() && top["data"]["items"][0]["visit_count"] == 3
    })
    .await;

    // V5: keywords AND username substring AND dates, with totals (indexed from the video and
    // user events, which may arrive in either order).
    const COMBINED: &[(&str, &str)] = &[
        ("keywords", "cat"),
        ("username", "ice_c"),
        ("page_size", "1"),
        ("from_date", "0"),
        ("to_date", "4102444800000"),
    ];
    let search = |fields: &'static [(&'static str, &'static str)]| {
        let s = &s;
        async move {
            s.form_envelope(Method::POST, "/video/search", fields, &[])
                .await
                .1
        }
    };
    testkit::eventually(20, "search finds both cat videos of alice_cat", || async {
        search(COMBINED).await["data"]["total"] == 2
    })
    .await;
    let found = search(COMBINED).await;
    assert_eq!(keys_of(&found["data"]), sorted(&["items", "total"]));
    assert_eq!(found["data"]["total"], 2, "{found}");
    assert_eq!(found["data"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(keys_of(&found["data"]["items"][0]), sorted(&VIDEO_FIELDS));
    assert_eq!(
        search(&[("keyword", "猫咪")]).await["data"]["total"],
        1,
        "`keyword` is read too"
    );
    assert_eq!(
        search(&[("username", "bob")]).await["data"]["total"],
        1,
        "empty keywords: no keyword filter"
    );
    assert_eq!(
        search(&[("keywords", "cat"), ("username", "bob")]).await["data"],
        json!({"items": [], "total": 0}),
        "every condition must hold"
    );
}

fn items_titled(page: &Value, title: &str) -> String {
    page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["title"] == title)
        .unwrap_or_else(|| panic!("no {title} in {page}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn video_routes_refuse_bad_input_and_change_nothing() {
    let s = Stack::start().await;
    let (alice, access, _) = s.sign_up("alice").await;
    let list = |q: &'static str| {
        let s = &s;
        async move { code(&envelope(s.get(q, &[]).await).await.1) }
    };
    assert_eq!(list("/video/feed?page_num=-1").await, 10002);
    assert_eq!(list("/video/feed?page_size=abc").await, 10002);
    assert_eq!(list("/video/feed?latest_time=yesterday").await, 10002);
    assert_eq!(list("/video/popular?page_num=1.5").await, 10002);
    assert_eq!(list("/video/list?user_id=abc").await, 10002);
    assert_eq!(list("/video/list").await, 10003, "no user_id and no token");
    let search = |fields: &'static [(&'static str, &'static str)]| {
        let s = &s;
        async move {
            code(
                &s.form_envelope(Method::POST, "/video/search", fields, &[])
                    .await
                    .1,
            )
        }
    };
    assert_eq!(search(&[("from_date", "abc")]).await, 10002);
    assert_eq!(
        search(&[("from_date", "20"), ("to_date", "10")]).await,
        10002
    );
    assert_eq!(search(&[("page_size", "-3")]).await, 10002);

    // V2 through the pass-through: no token, a garbage token, not a video, no title.
    let cases: Vec<(Option<&str>, Form, i64)> = vec![
        (None, video_form(testkit::mp4(2000, 1), "t"), 10003),
        (Some("x.y.z"), video_form(testkit::mp4(2000, 1), "t"), 10003),
        (
            Some(&access),
            video_form(b"plain text, not a video".repeat(50), "t"),
            10008,
        ),
        (Some(&access), video_form(testkit::mp4(2000, 1), ""), 10002),
        (Some(&access), Form::new().text("title", "no file"), 10002),
    ];
    for (i, (token, form, want)) in cases.into_iter().enumerate() {
        let headers: Vec<(&str, &str)> = token.map(|t| ("access-token", t)).into_iter().collect();
        let res = s
            .multipart(Method::POST, "/video/publish", form, &headers)
            .await;
        assert_eq!(code(&envelope(res).await.1), want, "case {i}");
    }
    let (_, page) = envelope(s.get(&format!("/video/list?user_id={alice}"), &[]).await).await;
    assert_eq!(
        page["data"],
        json!({"items": [], "total": 0}),
        "nothing was recorded"
    );
}
