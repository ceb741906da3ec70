//! I1-I5 and S1-S4 through the router: likes, comment trees, follows and friends with the
//! contract's fields and totals, someone else's comment, and bad input per route.

use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::{Stack, code, envelope, keys_of, sorted};
use crate::videos::{VIDEO_FIELDS, publish};

const COMMENT_FIELDS: [&str; 10] = [
    "id",
    "user_id",
    "video_id",
    "parent_id",
    "like_count",
    "child_count",
    "content",
    "created_at",
    "updated_at",
    "deleted_at",
];

const SOCIAL_FIELDS: [&str; 3] = ["id", "username", "avatar_url"];

impl Stack {
    /// A form action as the holder of `access`; returns the envelope.
    async fn act(
        &self,
        method: Method,
        path: &str,
        fields: &[(&str, &str)],
        access: &str,
    ) -> Value {
        self.form_envelope(method, path, fields, &[("access-token", access)])
            .await
            .1
    }

    /// S1 as the holder of `access`: `action` "0" follows `whom`, "1" unfollows.
    pub(crate) async fn relation(&self, access: &str, whom: &str, action: &str) -> Value {
        self.act(
            Method::POST,
            "/relation/action",
            &[("to_user_id", whom), ("action_type", action)],
            access,
        )
        .await
    }

    /// A GET's envelope, with `access` when given.
    async fn read(&self, path_and_query: &str, access: Option<&str>) -> Value {
        let headers: Vec<(&str, &str)> = access.map(|a| ("access-token", a)).into_iter().collect();
        envelope(self.get(path_and_query, &headers).await).await.1
    }

    /// The id of the newest video in the feed.
    async fn newest_video(&self) -> String {
        let feed = self.read("/video/feed", None).await;
        feed["data"]["items"][0]["id"].as_str().unwrap().to_owned()
    }
}

/// Runs `call` until its envelope is not 11003 or 12001 (the social service learns of users and
/// videos from their events, within a second or so), for at most 20 s; returns the last answer.
pub(crate) async fn once_known<F, Fut>(mut call: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let body = call().await;
        if !matches!(code(&body), 11003 | 12001) || std::time::Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn likes_and_comment_trees_follow_the_contract() {
    let s = Stack::start().await;
    let (alice, a, _) = s.sign_up("alice").await;
    let (_, b, _) = s.sign_up("bob").await;
    assert_eq!(code(&publish(&s, &a, "a clip", 1).await), 10000);
    let video = s.newest_video().await;

    // I1 + I2: bob likes the video; liking twice and cancelling twice have their own codes.
    let like = |action: &'static str| {
        let (s, b, video) = (&s, &b, &video);
        async move {
            code(
                &s.act(
                    Method::POST,
                    "/like/action",
                    &[("video_id", video), ("action_type", action)],
                    b,
                )
                .await,
            )
        }
    };
    let like_it = [("video_id", video.as_str()), ("action_type", "1")];
    let first = once_known(|| s.act(Method::POST, "/like/action", &like_it, &b)).await;
    assert_eq!(code(&first), 10000, "{first}");
    assert_eq!(like("1").await, 13002);
    let liked = once_known(|| s.read("/like/list", Some(&b))).await;
    assert_eq!(code(&liked), 10000, "{liked}");
    assert_eq!(keys_of(&liked["data"]), sorted(&["items"]));
    assert_eq!(liked["data"]["items"][0]["id"], video.as_str());
    assert_eq!(keys_of(&liked["data"]["items"][0]), sorted(&VIDEO_FIELDS));
    assert_eq!(like("2").await, 10000);
    assert_eq!(like("2").await, 13003);
    assert_eq!(like("1").await, 10000);

    // I3 + I4: a comment and a reply; the list shapes parent_id ("" at the top) and counts.
    let publish_comment = |target: (&'static str, String), content: &'static str, who: &str| {
        let (s, who) = (&s, who.to_owned());
        async move {
            s.act(
                Method::POST,
                "/comment/publish",
                &[(target.0, &target.1), ("content", content)],
                &who,
            )
            .await
        }
    };
    let out = publish_comment(("video_id", video.clone()), "first!", &b).await;
    assert_eq!(out, json!({"base": {"code": 10000, "msg": "success"}}));
    let top = s
        .read(&format!("/comment/list?video_id={video}"), None)
        .await;
    let comment = top["data"]["items"][0].clone();
    assert_eq!(keys_of(&comment), sorted(&COMMENT_FIELDS));
    assert_eq!(comment["parent_id"], "");
    assert_eq!(comment["video_id"], video.as_str());
    assert_eq!(comment["content"], "first!");
    let cid = comment["id"].as_str().unwrap().to_owned();
    let reply = publish_comment(("comment_id", cid.clone()), "a reply", &a).await;
    assert_eq!(code(&reply), 10000);
    let replies = s
        .read(&format!("/comment/list?comment_id={cid}"), None)
        .await;
    assert_eq!(replies["data"]["items"][0]["parent_id"], cid.as_str());
    assert_eq!(replies["data"]["items"][0]["user_id"], alice.as_str());
    testkit::eventually(20, "counters fold the like and both comments", || async {
        let list = s.read(&format!("/video/list?user_id={alice}"), None).await;
        let v = &list["data"]["items"][0];
        v["like_count"] == 1 && v["comment_count"] == 2
    })
    .await;

    // I5: only the author deletes; deleting the comment removes its reply too.
    let del = |who: &str, comment: &str| {
        let (s, who, comment) = (&s, who.to_owned(), comment.to_owned());
        async move {
            code(
                &s.act(
                    Method::DELETE,
                    "/comment/delete",
                    &[("comment_id", &comment)],
                    &who,
                )
                .await,
            )
        }
    };
    assert_eq!(del(&a, &cid).await, 10005, "alice is not the author");
    assert_eq!(
        s.read(&format!("/comment/list?video_id={video}"), None)
            .await["data"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the refused delete changed nothing"
    );
    // The query string form of I5.
    let r = s
        .http
        .delete(s.url(&format!(
            "/comment/delete?comment_id={cid}&video_id={video}"
        )))
        .header("access-token", &b)
        .send()
        .await
        .unwrap();
    assert_eq!(code(&envelope(r).await.1), 10000);
    assert_eq!(
        s.read(&format!("/comment/list?video_id={video}"), None)
            .await["data"],
        json!({"items": []})
    );
    assert_eq!(del(&b, &cid).await, 13001, "already deleted");
}

#[tokio::test]
async fn follows_followers_and_friends_have_totals() {
    let s = Stack::start().await;
    let (alice, a, _) = s.sign_up("alice").await;
    let (bob, b, _) = s.sign_up("bob").await;
    let (carol, c, _) = s.sign_up("carol").await;
    let follow = |who: &str, whom: &str, action: &'static str| {
        let (s, who, whom) = (&s, who.to_owned(), whom.to_owned());
        async move { code(&s.relation(&who, &whom, action).await) }
    };
    for whom in [&bob, &carol] {
        let first = once_known(|| s.relation(&a, whom, "0")).await;
        assert_eq!(code(&first), 10000, "{first}");
    }
    assert_eq!(follow(&b, &alice, "0").await, 10000);
    assert_eq!(follow(&a, &bob, "0").await, 14002);
    assert_eq!(follow(&a, &alice, "0").await, 14001);
    assert_eq!(follow(&c, &bob, "1").await, 14003);

    let following = s
        .read(
            &format!("/following/list?user_id={alice}&page_size=1"),
            None,
        )
        .await;
    assert_eq!(keys_of(&following["data"]), sorted(&["items", "total"]));
    assert_eq!(following["data"]["total"], 2);
    assert_eq!(following["data"]["items"].as_array().unwrap().len(), 1);
    let first = &following["data"]["items"][0];
    assert_eq!(keys_of(first), sorted(&SOCIAL_FIELDS));
    assert_eq!(first["username"], "carol", "newest first");
    let followers = s.read("/follower/list", Some(&b)).await;
    assert_eq!(followers["data"]["total"], 1);
    assert_eq!(followers["data"]["items"][0]["id"], alice.as_str());
    let friends = s.read("/friends/list", Some(&a)).await;
    assert_eq!(friends["data"]["total"], 1);
    assert_eq!(friends["data"]["items"][0]["username"], "bob");
    assert_eq!(
        s.read("/friends/list", Some(&c)).await["data"],
        json!({"items": [], "total": 0})
    );

    assert_eq!(follow(&b, &alice, "1").await, 10000);
    assert_eq!(
        s.read("/friends/list", Some(&a)).await["data"]["total"],
        0,
        "unfollowing ends the friendship"
    );
}

#[tokio::test]
async fn social_routes_refuse_bad_input_and_change_nothing() {
    let s = Stack::start().await;
    let (alice, a, _) = s.sign_up("alice").await;
    let (bob, _, _) = s.sign_up("bob").await;
    // Once the social service knows bob (and alice, registered before him), codes below are the
    // inputs' own, not "not heard of yet".
    let known = once_known(|| s.relation(&a, &bob, "0")).await;
    assert_eq!(code(&known), 10000, "{known}");
    assert_eq!(code(&s.relation(&a, &bob, "1").await), 10000);
    let act = |path: &'static str, fields: &'static [(&'static str, &'static str)]| {
        let (s, a) = (&s, &a);
        async move { code(&s.act(Method::POST, path, fields, a).await) }
    };
    // Missing, malformed, wrong type, out of range, unknown.
    assert_eq!(act("/like/action", &[("action_type", "1")]).await, 10002);
    assert_eq!(
        act("/like/action", &[("video_id", "12x"), ("action_type", "1")]).await,
        10002
    );
    assert_eq!(
        act("/like/action", &[("video_id", "1"), ("action_type", "x")]).await,
        10002
    );
    assert_eq!(
        act("/like/action", &[("video_id", "1"), ("action_type", "7")]).await,
        10002
    );
    assert_eq!(
        act("/like/action", &[("video_id", "1"), ("action_type", "1")]).await,
        12001
    );
    assert_eq!(act("/comment/publish", &[("video_id", "1")]).await, 10002);
    assert_eq!(
        act("/comment/publish", &[("video_id", "1"), ("content", "x")]).await,
        12001
    );
    let long = "长".repeat(1001);
    let (_, body) = s
        .form_envelope(
            Method::POST,
            "/comment/publish",
            &[("video_id", "1"), ("content", &long)],
            &[("access-token", &a)],
        )
        .await;
    assert_eq!(code(&body), 10002, "an oversized comment");
    assert_eq!(
        act(
            "/relation/action",
            &[("to_user_id", "1"), ("action_type", "5")]
        )
        .await,
        10002
    );
    assert_eq!(
        act("/relation/action", &[("action_type", "0")]).await,
        10002
    );
    assert_eq!(
        act(
            "/relation/action",
            &[("to_user_id", "1"), ("action_type", "0")]
        )
        .await,
        11003
    );
    let (_, body) = s
        .form_envelope(
            Method::DELETE,
            "/comment/delete",
            &[],
            &[("access-token", &a)],
        )
        .await;
    assert_eq!(code(&body), 10002, "delete without comment_id");
    // Lists: malformed ids and pages; actions without a token.
    assert_eq!(
        code(&s.read("/comment/list", None).await),
        10002,
        "neither id"
    );
    assert_eq!(code(&s.read("/comment/list?video_id=x", None).await), 10002);
    assert_eq!(
        code(
            &s.read(&format!("/like/list?user_id={alice}&page_num=-2"), None)
                .await
        ),
        10002
    );
    assert_eq!(
        code(&s.read("/following/list?user_id=abc", None).await),
        10002
    );
    assert_eq!(code(&s.read("/follower/list", None).await), 10003);
    assert_eq!(code(&s.read("/friends/list", None).await), 10003);
    let (_, body) = s
        .form_envelope(
            Method::POST,
            "/like/action",
            &[("video_id", "1"), ("action_type", "1")],
            &[],
        )
        .await;
    assert_eq!(code(&body), 10003);
    // A wrong body type on a form route.
    let r = s
        .http
        .post(s.url("/relation/action"))
        .header("access-token", &a)
        .header("content-type", "text/plain")
        .body("to_user_id=1")
        .send()
        .await
        .unwrap();
    assert_eq!(code(&envelope(r).await.1), 10008);
    // An oversized form body is refused by HTTP itself.
    let big = "x".repeat(2 << 20);
    let r = s
        .form(
            Method::POST,
            "/comment/publish",
            &[("video_id", "1"), ("content", &big)],
            &[("access-token", &a)],
        )
        .await;
    assert_eq!(r.status(), 413);
    // Nothing above changed anything.
    assert_eq!(
        s.read(&format!("/following/list?user_id={alice}"), None)
            .await["data"],
        json!({"items": [], "total": 0})
    );
    assert_eq!(
        s.read(&format!("/like/list?user_id={alice}"), None).await["data"],
        json!({"items": []})
    );
}
