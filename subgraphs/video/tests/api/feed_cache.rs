//! The Redis feed cache: a cached page is what the feed answers until something changes the feed
//! (publish, delete) or the entry expires; empty pages are cached too; `ttl_ms = 0` turns it off.
//! Rows are changed behind the service's back (straight in MySQL) to see which answer is cached.

use kit::caller::Caller;
use serde_json::{Value, json};

use crate::helpers::*;

const FEED: &str =
    "query($n: Int, $s: Int) { feed(pageNum: $n, pageSize: $s) { items { id title } total } }";

async fn feed(app: &TestApp, num: i32) -> Value {
    let body = app.gql(FEED, json!({"n": num, "s": 5})).await;
    body["data"]["feed"].clone()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Renames every video straight in MySQL, which the service does not see.
async fn rename_behind_its_back(app: &TestApp, title: &str) {
    sqlx::query("UPDATE videos SET title = ?")
        .bind(title)
        .execute(&app.db().await)
        .await
        .unwrap();
}

/// Publishes and waits until the cover worker has recorded the video's cover (a default one here:
/// the bytes are not a video), since recording it changes the feed and so ends cached pages.
async fn publish_settled(app: &TestApp, author: i64, title: &str) -> i64 {
    let id = app.publish(author, title).await;
    let pool = app.db().await;
    eventually(30, "the cover recorded", || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i8>("SELECT cover_status FROM videos WHERE id = ?")
                .bind(id)
                .fetch_one(&pool)
                .await
                .is_ok_and(|status| status != 0)
        }
    })
    .await;
    id
}

#[tokio::test]
async fn a_cached_page_is_served_until_a_publish_or_delete_changes_the_feed() {
    let app = spawn_app_with(|c| {
        // Long enough that only a change of the feed can end the cached answer here.
        c.feed_cache.ttl_ms = 60_000;
        c.feed_cache.jitter_ms = 0;
    })
    .await;
    let first = publish_settled(&app, 1, "first").await;
    assert_eq!(titles(&feed(&app, 0).await), ["first"]);
    rename_behind_its_back(&app, "renamed").await;
    let cached = feed(&app, 0).await;
    assert_eq!(
        titles(&cached),
        ["first"],
        "served from the cache: {cached}"
    );
    assert_eq!(cached["total"], 1);

    let second = publish_settled(&app, 1, "second").await;
    let page = feed(&app, 0).await;
    assert_eq!(
        titles(&page),
        ["second", "renamed"],
        "a publish makes every cached page stale: {page}"
    );
    assert_eq!(page["total"], 2);

    let deleted = app
        .gql_as(
            &Caller::User(1),
            "mutation($id: ID!) { deleteVideo(id: $id) }",
            json!({"id": second.to_string()}),
        )
        .await;
    assert_eq!(deleted["data"]["deleteVideo"], true, "{deleted}");
    let page = feed(&app, 0).await;
    assert_eq!(ids_of(&page["items"]), [first], "a delete too: {page}");
    assert_eq!(page["total"], 1);
    let hits = metric(
        &app.metrics().await,
        "clipfed_video_feed_cache_total{result=\"hit\"}",
    );
    assert!(hits >= 2.0, "hits counted: {hits}");
    app.cleanup().await;
}

#[tokio::test]
async fn an_empty_page_is_cached_too_and_every_entry_expires() {
    let app = spawn_app_with(|c| {
        c.feed_cache.ttl_ms = 700;
        c.feed_cache.jitter_ms = 300;
    })
    .await;
    publish_settled(&app, 1, "only").await;
    // Page 1 (size 5) is past the end: empty, and cached like any page.
    assert_eq!(feed(&app, 1).await["items"], json!([]));
    let pool = app.db().await;
    for i in 0..5 {
        // Rows the service never saw: page 1 now holds one of them once the entry expires.
        sqlx::query(
            "INSERT INTO videos (id, author_id, upload_id, object_key, title, description, created_at, updated_at) \
             VALUES (?, 1, ?, 'k', 'direct', '', NOW(3), NOW(3))",
        )
        .bind(9_000_000 + i)
        .bind(format!("direct-{i}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    assert_eq!(
        feed(&app, 1).await["items"],
        json!([]),
        "the empty page is cached"
    );
    eventually(5, "the entry expires within ttl + jitter", || async {
        feed(&app, 1).await["items"].as_array().map(Vec::len) == Some(1)
    })
    .await;
    app.cleanup().await;
}

#[tokio::test]
async fn ttl_zero_turns_the_cache_off() {
    let app = spawn_app_with(|c| c.feed_cache.ttl_ms = 0).await;
    app.publish(1, "first").await;
    assert_eq!(titles(&feed(&app, 0).await), ["first"]);
    rename_behind_its_back(&app, "renamed").await;
    assert_eq!(titles(&feed(&app, 0).await), ["renamed"]);
    app.cleanup().await;
}
