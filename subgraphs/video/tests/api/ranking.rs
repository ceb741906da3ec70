//! The Redis ranking: served without MySQL once warm, trimmed to its capacity, rebuilt from MySQL
//! after Redis loses it.

use serde_json::json;

use crate::helpers::*;

/// Sum of every `db_client_operations_total` series.
fn db_operations(text: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with("db_client_operations_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Visits `ids` (with the given counts) and waits until the ranking shows `want`.
async fn visit_and_wait(app: &TestApp, visits: &[(i64, usize)], want: Vec<i64>) {
    for (id, n) in visits {
        for _ in 0..*n {
            app.visit(*id).await;
        }
    }
    eventually(60, "ranking follows visits", || async {
        app.popular_ids(0, 10).await == want
    })
    .await;
}

#[tokio::test]
async fn a_warm_popular_page_never_touches_mysql() {
    let app = spawn_app_with(|c| c.cover.ffmpeg = "/nonexistent/ffmpeg".into()).await;
    let a = app.publish(1, "a").await;
    let b = app.publish(1, "b").await;
    visit_and_wait(&app, &[(a, 1), (b, 2)], vec![b, a]).await;
    eventually(20, "covers settled", || async {
        metric(
            &app.metrics().await,
            "clipfed_video_covers_total{outcome=\"default\"}",
        ) == 2.0
    })
    .await;
    app.popular_ids(0, 10).await; // warms the row cache
    let before = db_operations(&app.metrics().await);
    assert!(before > 0.0, "the counter is live");
    for _ in 0..20 {
        assert_eq!(app.popular_ids(0, 10).await, vec![b, a]);
    }
    let text = app.metrics().await;
    assert_eq!(db_operations(&text), before, "popular queried MySQL");
    assert_eq!(metric(&text, "clipfed_video_popular_fallbacks_total"), 0.0);
    app.cleanup().await;
}

#[tokio::test]
async fn the_ranking_keeps_only_its_capacity() {
    let app = spawn_app_with(|c| c.popular.capacity = 2).await;
    let a = app.publish(1, "a").await;
    let b = app.publish(1, "b").await;
    let c = app.publish(1, "c").await;
    visit_and_wait(&app, &[(a, 3), (b, 2), (c, 1)], vec![a, b]).await;
    let body = app.gql("query { popular { total } }", json!({})).await;
    assert_eq!(body["data"]["popular"]["total"], 2);
    app.cleanup().await;
}

#[tokio::test]
async fn a_redis_flush_is_repaired_on_the_next_start() {
    let app = spawn_app().await;
    let a = app.publish(1, "a").await;
    let b = app.publish(1, "b").await;
    let c = app.publish(1, "c").await;
    visit_and_wait(&app, &[(a, 1), (b, 3), (c, 2)], vec![b, c, a]).await;
    let config = app.stop().await;
    // Lose every key of this service instance (what a FLUSHALL does to it).
    let client = redis::Client::open(testkit::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", config.db.database))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.len() >= 2, "ranking and marker existed: {keys:?}");
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();

    let app = spawn_with(config).await;
    assert_eq!(
        app.popular_ids(0, 10).await,
        vec![b, c, a],
        "rebuilt before serving"
    );
    let text = app.metrics().await;
    assert_eq!(
        metric(&text, "clipfed_video_ranking_rebuilds_total"),
        2.0,
        "first start and after the flush"
    );
    app.cleanup().await;
}
