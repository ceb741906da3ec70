//! Counters: every outbox row is published, a redelivery of everything (the consumer "killed"
//! after folding, before committing) counts nothing twice, malformed records are skipped, and the
//! rebuild recomputes exact values while the service runs.

use serde_json::json;

use crate::helpers::*;

/// Likes, a comment tree with a deletion and follows: the counts they should end at.
async fn activity(app: &TestApp, video: i64) -> usize {
    let mut actions = 0;
    for u in 0..30 {
        assert_ok(&app.like(500 + u, Some(video), None, 1).await);
        actions += 1;
    }
    for u in 0..5 {
        assert_ok(&app.like(500 + u, Some(video), None, 2).await);
        actions += 1;
    }
    let top = app.comment_id(1, Some(video), None, "top").await;
    let reply = app.comment_id(2, None, Some(top), "reply").await;
    app.comment_id(3, None, Some(reply), "deeper").await;
    app.comment_id(3, Some(video), None, "other").await;
    actions += 4;
    assert_ok(&app.like(9, None, Some(top), 1).await);
    actions += 1;
    let body = app
        .gql_as(
            &user(2),
            "mutation($c: ID!) { deleteComment(commentId: $c) }",
            json!({"c": reply.to_string()}),
        )
        .await;
    assert_ok(&body);
    actions += 1;
    app.users(&[600, 601]).await;
    assert_ok(&app.relation(600, 601, 0).await);
    assert_ok(&app.relation(601, 600, 0).await);
    actions += 2;
    actions
}

async fn all_counters(app: &TestApp) -> Vec<(i8, i64, i64)> {
    sqlx::query_as(
        "SELECT kind, entity_id, value FROM counters WHERE value <> 0 ORDER BY kind, entity_id",
    )
    .fetch_all(&app.sql().await)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_full_redelivery_to_a_new_group_counts_nothing_twice() {
    let app = spawn_app().await;
    let video = app.video().await;
    let actions = activity(&app, video).await;
    app.folded(actions).await;
    app.converge(video, 25, 2).await;
    eventually(30, "outbox drained", || async { app.backlog().await == 0 }).await;
    let published: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL")
            .fetch_one(&app.sql().await)
            .await
            .unwrap();
    assert_eq!(
        published as usize, actions,
        "one published event per action"
    );
    let before = all_counters(&app).await;

    // A consumer that folded everything but never committed: a new group on the same database
    // reads the whole topic again.
    let mut config = app.stop().await;
    config.counters.group = testkit::unique("test_social_counters_again");
    let group = config.counters.group.clone();
    let app = spawn_with(config).await;
    let series = format!(
        "messaging_client_consumed_messages_total{{messaging_consumer_group_name=\"{group}\",messaging_destination_name=\"{}\",outcome=\"ok\"}}",
        app.config.topics.interactions
    );
    eventually(60, "the new group consumed every event", || async {
        metric(&app.metrics().await, &series) >= actions as f64
    })
    .await;
    assert_eq!(all_counters(&app).await, before, "no counter moved");
    app.converge(video, 25, 2).await;
    app.cleanup().await;
}

#[tokio::test]
async fn malformed_records_are_skipped_and_counted() {
    let app = spawn_app().await;
    let video = app.video().await;
    let producer = kit::kafka::Producer::new(&app.config.kafka).unwrap();
    producer
        .send(&app.config.topics.interactions, b"1", b"{not json")
        .await
        .unwrap();
    producer
        .send(
            &app.config.topics.interactions,
            b"1",
            br#"{"type":"exploded","id":1}"#,
        )
        .await
        .unwrap();
    assert_ok(&app.like(1, Some(video), None, 1).await);
    app.converge(video, 1, 0).await;
    let series = format!(
        "clipfed_social_malformed_events_total{{messaging_destination_name=\"{}\"}}",
        app.config.topics.interactions
    );
    eventually(30, "malformed records counted", || async {
        metric(&app.metrics().await, &series) == 2.0
    })
    .await;
    app.cleanup().await;
}

#[tokio::test]
async fn rebuild_recomputes_exact_counters_while_the_service_runs() {
    let app = spawn_app().await;
    let video = app.video().await;
    let actions = activity(&app, video).await;
    app.folded(actions).await;
    app.converge(video, 25, 2).await;
    let right = all_counters(&app).await;
    let pool = app.sql().await;
    sqlx::query("UPDATE counters SET value = value + 7")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM counters WHERE kind = 5")
        .execute(&pool)
        .await
        .unwrap();
    assert_ne!(all_counters(&app).await, right);

    let rebuilt = social::rebuild_counters(&app.config).await.unwrap();
    assert_eq!(rebuilt.counters, right.len());
    assert_eq!(all_counters(&app).await, right);
    // Actions during and after the rebuild fold on top exactly once.
    let racing = (0..20).map(|u| app.like(700 + u, Some(video), None, 1));
    let (_, bodies) = tokio::join!(
        social::rebuild_counters(&app.config),
        futures::future::join_all(racing)
    );
    for body in bodies {
        assert_ok(&body);
    }
    app.converge(video, 45, 2).await;
    let again = social::rebuild_counters(&app.config).await.unwrap();
    assert!(again.events_marked > 0);
    app.converge(video, 45, 2).await;
    app.cleanup().await;
}
