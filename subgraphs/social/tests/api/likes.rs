//! Likes of videos and comments: the rules, bad input, liked-video lists, and exact counts under
//! 200 concurrent likes.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn like_and_cancel_follow_the_rules_and_net_to_zero() {
    let app = spawn_app().await;
    let video = app.video().await;
    assert_ok(&app.like(7, Some(video), None, 1).await);
    assert_code(&app.like(7, Some(video), None, 1).await, 13002);
    app.converge(video, 1, 0).await;
    assert!(
        app.video_counts(Some(7), video).await.2,
        "liker sees isLiked"
    );
    assert!(!app.video_counts(Some(8), video).await.2, "others do not");
    assert!(!app.video_counts(None, video).await.2, "anonymous does not");
    assert_ok(&app.like(7, Some(video), None, 2).await);
    assert_code(&app.like(7, Some(video), None, 2).await, 13003);
    assert_code(&app.like(9, Some(video), None, 2).await, 13003);
    app.converge(video, 0, 0).await;
    assert!(!app.video_counts(Some(7), video).await.2);
    app.cleanup().await;
}

#[tokio::test]
async fn bad_like_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let video = app.video().await;
    let unknown = kit::id::next_id();
    // Out-of-range action types, both targets, no target, unknown ids, no token.
    for action in [0, 3, -1, 99] {
        assert_code(&app.like(7, Some(video), None, action).await, 10002);
    }
    assert_code(&app.like(7, Some(video), Some(video), 1).await, 10002);
    assert_code(&app.like(7, None, None, 1).await, 10002);
    assert_code(&app.like(7, Some(unknown), None, 1).await, 12001);
    assert_code(&app.like(7, None, Some(unknown), 1).await, 13001);
    let anonymous = app
        .gql(
            "mutation($v: ID) { likeAction(videoId: $v, actionType: 1) }",
            json!({"v": video.to_string()}),
        )
        .await;
    assert_code(&anonymous, 10003);
    // Wrong types: a non-numeric id, a string action type, an action type past i32.
    let body = app
        .gql_as(
            &user(7),
            "mutation { likeAction(videoId: \"abc\", actionType: 1) }",
            json!({}),
        )
        .await;
    assert_code(&body, 10002);
    for bad in [json!("1"), json!(1.5), json!(4_294_967_296_i64)] {
        let body = app
            .gql_as(
                &user(7),
                "mutation($v: ID, $a: Int!) { likeAction(videoId: $v, actionType: $a) }",
                json!({"v": video.to_string(), "a": bad}),
            )
            .await;
        assert_code(&body, 10002);
    }
    assert_code(&app.like(7, Some(unknown), None, 2).await, 12001);
    // A deleted video can be neither liked nor unliked, whether or not it was liked before.
    let gone = app.video().await;
    app.delete_video(gone).await;
    assert_code(&app.like(7, Some(gone), None, 1).await, 12001);
    assert_code(&app.like(7, Some(gone), None, 2).await, 12001);

    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM likes_0) + (SELECT COUNT(*) FROM likes_1) + (SELECT COUNT(*) FROM likes_2) + (SELECT COUNT(*) FROM likes_3) + (SELECT COUNT(*) FROM outbox)",
    )
    .fetch_one(&app.sql().await)
    .await
    .unwrap();
    assert_eq!(rows, 0, "refused likes wrote nothing");
    app.cleanup().await;
}

#[tokio::test]
async fn comments_can_be_liked_and_their_like_count_is_folded() {
    let app = spawn_app().await;
    let video = app.video().await;
    let comment = app.comment_id(3, Some(video), None, "first").await;
    assert_ok(&app.like(4, None, Some(comment), 1).await);
    assert_ok(&app.like(5, None, Some(comment), 1).await);
    assert_code(&app.like(5, None, Some(comment), 1).await, 13002);
    assert_ok(&app.like(5, None, Some(comment), 2).await);
    let query = "query($id: ID!) { comment(id: $id) { likeCount } }";
    eventually(30, "comment like count 1", || async {
        app.gql(query, json!({"id": comment.to_string()})).await["data"]["comment"]["likeCount"]
            == 1
    })
    .await;
    // A comment like is not a video like.
    app.converge(video, 0, 1).await;
    app.cleanup().await;
}

#[tokio::test]
async fn liked_videos_are_paged_newest_first_and_skip_deleted_videos() {
    let app = spawn_app().await;
    app.users(&[7]).await;
    let mut videos = Vec::new();
    for _ in 0..12 {
        let v = kit::id::next_id();
        videos.push(v);
    }
    app.videos(1, &videos).await;
    for v in &videos {
        assert_ok(&app.like(7, Some(*v), None, 1).await);
    }
    app.delete_video(videos[0]).await;
    // The like of the deleted video stays (the count rebuild sees it) but can be neither repeated
    // nor cancelled.
    assert_code(&app.like(7, Some(videos[0]), None, 1).await, 12001);
    assert_code(&app.like(7, Some(videos[0]), None, 2).await, 12001);
    let query = "query($u: ID!, $n: Int, $s: Int) { likedVideos(userId: $u, pageNum: $n, pageSize: $s) { items { id } total } }";
    let page = |n: i32, s: i32| {
        let app = &app;
        async move {
            app.gql(query, json!({"u": "7", "n": n, "s": s})).await["data"]["likedVideos"].clone()
        }
    };
    let first = page(0, 5).await;
    assert_eq!(first["total"], 11);
    let mut newest_first: Vec<i64> = videos[1..].to_vec();
    newest_first.reverse();
    assert_eq!(ids_of(&first["items"]), newest_first[..5]);
    assert_eq!(ids_of(&page(2, 5).await["items"]), newest_first[10..]);
    assert_eq!(ids_of(&page(3, 5).await["items"]), Vec::<i64>::new());
    // Through the User entity too.
    let entity = app
        .user_entity(None, 7, "likedVideos(pageSize: 2) { items { id } total }")
        .await;
    assert_eq!(ids_of(&entity["likedVideos"]["items"]), newest_first[..2]);
    // Unknown user, bad paging.
    let body = app.gql(query, json!({"u": "424242", "n": 0, "s": 5})).await;
    assert_code(&body, 11003);
    let body = app.gql(query, json!({"u": "7", "n": -1, "s": 5})).await;
    assert_code(&body, 10002);
    app.cleanup().await;
}

#[tokio::test]
async fn two_hundred_concurrent_likes_count_exactly_two_hundred() {
    let app = spawn_app().await;
    let video = app.video().await;
    let likes = (0..200).map(|i| app.like(1000 + i, Some(video), None, 1));
    for body in futures::future::join_all(likes).await {
        assert_ok(&body);
    }
    // The same users again, at once: every one refused, nothing added.
    let again = (0..50).map(|i| app.like(1000 + i, Some(video), None, 1));
    for body in futures::future::join_all(again).await {
        assert_code(&body, 13002);
    }
    app.converge(video, 200, 0).await;
    app.cleanup().await;
}
