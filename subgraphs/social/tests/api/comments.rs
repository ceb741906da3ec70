//! Comments and replies: the tree, lists and totals, deletion of a subtree by its author only, and
//! bad input.

use serde_json::{Value, json};

use crate::helpers::*;

const LIST: &str = "query($v: ID, $c: ID, $n: Int, $s: Int) { comments(videoId: $v, commentId: $c, pageNum: $n, pageSize: $s) { items { id content childCount parent { id } author { id } video { id } } total } }";

async fn list(app: &TestApp, video: Option<i64>, comment: Option<i64>, n: i32, s: i32) -> Value {
    app.gql(
        LIST,
        json!({"v": video.map(|v| v.to_string()), "c": comment.map(|c| c.to_string()), "n": n, "s": s}),
    )
    .await
}

#[tokio::test]
async fn a_comment_tree_is_listed_by_video_and_by_parent_with_totals() {
    let app = spawn_app().await;
    let video = app.video().await;
    let mut top = Vec::new();
    for i in 0..12 {
        top.push(
            app.comment_id(3, Some(video), None, &format!("top {i}"))
                .await,
        );
    }
    let reply = app.comment(4, None, Some(top[0]), "  a reply 回复  ").await;
    let reply_obj = &reply["data"]["publishComment"];
    assert_eq!(reply_obj["content"], "a reply 回复", "trimmed");
    assert_eq!(id_in(&reply_obj["parent"]), top[0]);
    assert_eq!(id_in(&reply_obj["video"]), video);
    assert_eq!(id_in(&reply_obj["author"]), 4);
    let reply = id_in(reply_obj);
    let nested = app.comment_id(5, None, Some(reply), "deeper").await;

    let page = list(&app, Some(video), None, 0, 5).await;
    assert_ok(&page);
    let page = &page["data"]["comments"];
    assert_eq!(page["total"], 12, "top-level comments only");
    let mut newest_first = top.clone();
    newest_first.reverse();
    assert_eq!(ids_of(&page["items"]), newest_first[..5]);
    let last = list(&app, Some(video), None, 2, 5).await;
    assert_eq!(
        ids_of(&last["data"]["comments"]["items"]),
        newest_first[10..]
    );
    let replies = list(&app, None, Some(top[0]), 0, 10).await;
    assert_eq!(ids_of(&replies["data"]["comments"]["items"]), vec![reply]);
    assert_eq!(replies["data"]["comments"]["total"], 1);
    let deeper = list(&app, None, Some(reply), 0, 10).await;
    assert_eq!(ids_of(&deeper["data"]["comments"]["items"]), vec![nested]);
    // Counters: 14 comments on the video; the first has one reply.
    app.converge(video, 0, 14).await;
    eventually(30, "child count", || async {
        let body = app
            .gql(
                "query($id: ID!) { comment(id: $id) { childCount } }",
                json!({"id": top[0].to_string()}),
            )
            .await;
        body["data"]["comment"]["childCount"] == 1
    })
    .await;
    // The Video entity lists the same comments.
    let body = app
        .gql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Video { comments(pageSize: 3) { items { id } total } } } }",
            json!({"r": [{"__typename": "Video", "id": video.to_string()}]}),
        )
        .await;
    assert_eq!(
        ids_of(&body["data"]["_entities"][0]["comments"]["items"]),
        newest_first[..3]
    );
    app.cleanup().await;
}

#[tokio::test]
async fn deleting_a_comment_removes_its_replies_from_lists_and_counts() {
    let app = spawn_app().await;
    let video = app.video().await;
    let keep = app.comment_id(3, Some(video), None, "stays").await;
    let doomed = app.comment_id(3, Some(video), None, "goes").await;
    let r1 = app.comment_id(4, None, Some(doomed), "reply").await;
    let r2 = app.comment_id(5, None, Some(r1), "reply to reply").await;
    let other_reply = app.comment_id(5, None, Some(keep), "kept reply").await;
    app.converge(video, 0, 5).await;

    // Someone else's comment: forbidden, nothing changes.
    let delete = "mutation($c: ID!, $v: ID) { deleteComment(commentId: $c, videoId: $v) }";
    let body = app
        .gql_as(
            &user(4),
            delete,
            json!({"c": doomed.to_string(), "v": video.to_string()}),
        )
        .await;
    assert_code(&body, 10005);
    // The wrong video for the comment: not found.
    let body = app
        .gql_as(
            &user(3),
            delete,
            json!({"c": doomed.to_string(), "v": app.video().await.to_string()}),
        )
        .await;
    assert_code(&body, 13001);
    assert_eq!(
        list(&app, Some(video), None, 0, 10).await["data"]["comments"]["total"],
        2
    );

    let body = app
        .gql_as(
            &user(3),
            delete,
            json!({"c": doomed.to_string(), "v": video.to_string()}),
        )
        .await;
    assert_ok(&body);
    let page = list(&app, Some(video), None, 0, 10).await;
    assert_eq!(ids_of(&page["data"]["comments"]["items"]), vec![keep]);
    for gone in [doomed, r1, r2] {
        let body = app
            .gql(
                "query($id: ID!) { comment(id: $id) { id } }",
                json!({"id": gone.to_string()}),
            )
            .await;
        assert!(body["data"]["comment"].is_null(), "{gone} gone: {body}");
        assert_code(&list(&app, None, Some(gone), 0, 10).await, 13001);
        assert_code(&app.comment(6, None, Some(gone), "late reply").await, 13001);
        assert_code(&app.like(6, None, Some(gone), 1).await, 13001);
    }
    // Deleting twice: not found. The untouched branch stays.
    let body = app
        .gql_as(&user(3), delete, json!({"c": doomed.to_string()}))
        .await;
    assert_code(&body, 13001);
    let replies = list(&app, None, Some(keep), 0, 10).await;
    assert_eq!(
        ids_of(&replies["data"]["comments"]["items"]),
        vec![other_reply]
    );
    app.converge(video, 0, 2).await;
    // A reply's author deletes only the reply; the parent's reply count drops.
    let body = app
        .gql_as(&user(5), delete, json!({"c": other_reply.to_string()}))
        .await;
    assert_ok(&body);
    app.converge(video, 0, 1).await;
    eventually(30, "child count back to 0", || async {
        let body = app
            .gql(
                "query($id: ID!) { comment(id: $id) { childCount } }",
                json!({"id": keep.to_string()}),
            )
            .await;
        body["data"]["comment"]["childCount"] == 0
    })
    .await;
    app.cleanup().await;
}

#[tokio::test]
async fn bad_comment_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let video = app.video().await;
    let unknown = kit::id::next_id();
    for (text, code) in [
        ("", 10002),
        ("   \n\t ", 10002),
        (&"长".repeat(1001) as &str, 10002),
        ("bell\u{7}", 10002),
    ] {
        assert_code(&app.comment(3, Some(video), None, text).await, code);
    }
    // 1000 characters (3000 bytes) is the limit and passes.
    assert_ok(&app.comment(3, Some(video), None, &"长".repeat(1000)).await);
    assert_code(&app.comment(3, Some(unknown), None, "x").await, 12001);
    assert_code(&app.comment(3, None, Some(unknown), "x").await, 13001);
    assert_code(&app.comment(3, Some(video), Some(video), "x").await, 10002);
    assert_code(&app.comment(3, None, None, "x").await, 10002);
    let anonymous = app
        .gql(
            "mutation($v: ID) { publishComment(videoId: $v, content: \"x\") { id } }",
            json!({"v": video.to_string()}),
        )
        .await;
    assert_code(&anonymous, 10003);
    let missing_content = app
        .gql_as(
            &user(3),
            "mutation($v: ID) { publishComment(videoId: $v) { id } }",
            json!({"v": video.to_string()}),
        )
        .await;
    assert_code(&missing_content, 10002);
    // A body past the 1 MiB limit is refused before it is read.
    let huge = "x".repeat(2 * 1024 * 1024);
    let status = app
        .status_of(
            &user(3),
            "mutation($v: ID, $t: String!) { publishComment(videoId: $v, content: $t) { id } }",
            json!({"v": video.to_string(), "t": huge}),
        )
        .await;
    assert_eq!(status, 413);
    // Lists: unknown targets and bad paging.
    assert_code(&list(&app, Some(unknown), None, 0, 10).await, 12001);
    assert_code(&list(&app, None, Some(unknown), 0, 10).await, 13001);
    assert_code(&list(&app, Some(video), None, -1, 10).await, 10002);
    assert_code(&list(&app, Some(video), None, 0, -5).await, 10002);
    assert_code(&list(&app, None, None, 0, 10).await, 10002);
    let delete = "mutation($c: ID!) { deleteComment(commentId: $c) }";
    assert_code(
        &app.gql_as(&user(3), delete, json!({"c": unknown.to_string()}))
            .await,
        13001,
    );
    assert_code(
        &app.gql_as(&user(3), delete, json!({"c": "12x"})).await,
        10002,
    );
    assert_code(
        &app.gql(delete, json!({"c": unknown.to_string()})).await,
        10003,
    );

    let page = list(&app, Some(video), None, 0, 10).await;
    assert_eq!(
        page["data"]["comments"]["total"], 1,
        "only the valid comment exists"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn deleting_a_comment_with_more_replies_than_one_statement_binds_works_in_batches() {
    let app = spawn_app().await;
    let video = app.video().await;
    let root = app.comment_id(3, Some(video), None, "popular").await;
    // 70,000 replies: more than MySQL's 65,535 placeholders of one statement. Written straight
    // into the comment's shard (ids in the same residue class as the root, as the service draws).
    let count = i64::from(app.config.shards.count);
    let table = format!("comments_{}", root.rem_euclid(count));
    let pool = app.sql().await;
    for batch in 0..14 {
        let mut q = sqlx::QueryBuilder::<sqlx::MySql>::new(format!(
            "INSERT INTO {table} (id, video_id, parent_id, author_id, content, created_at, updated_at) "
        ));
        q.push_values(
            (0..5_000i64).map(|i| batch * 5_000 + i + 1),
            |mut row, k| {
                row.push_bind(root + k * count)
                    .push_bind(video)
                    .push_bind(root)
                    .push_bind(9i64)
                    .push_bind("me too")
                    .push("NOW(3)")
                    .push("NOW(3)");
            },
        );
        q.build().execute(&pool).await.unwrap();
    }
    let body = app
        .gql_as(
            &user(3),
            "mutation($c: ID!) { deleteComment(commentId: $c) }",
            json!({"c": root.to_string()}),
        )
        .await;
    assert_ok(&body);
    let live: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE parent_id = ? AND deleted_at IS NULL"
    )))
    .bind(root)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(live, 0, "every reply is deleted with its parent");
    app.cleanup().await;
}
