//! `video.events`: published and deleted events reach Kafka through the outbox, keyed by video.

use std::time::Duration;

use kit::caller::Caller;
use serde_json::json;
use tokio::sync::mpsc;
use video::domain::events::VideoEvent;

use crate::helpers::*;

#[tokio::test]
async fn published_and_deleted_events_reach_kafka_in_order() {
    let app = spawn_app().await;
    let v = app.publish(4, "evented").await;
    app.gql_as(
        &Caller::User(4),
        "mutation($id: ID!) { deleteVideo(id: $id) }",
        json!({"id": v.to_string()}),
    )
    .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let spec = kit::kafka::ConsumerSpec {
        brokers: app.config.kafka.brokers.clone(),
        group: testkit::unique("test_events_reader"),
        topics: vec![app.config.topics.events.clone()],
        max_batch: 10,
        max_wait: Duration::from_millis(50),
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(kit::kafka::run_consumer(
        spec,
        move |batch: Vec<kit::kafka::Record>| {
            let tx = tx.clone();
            async move {
                for r in batch {
                    let _ = tx.send((r.key, serde_json::from_slice::<VideoEvent>(&r.payload)));
                }
                Ok::<(), String>(())
            }
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let mut got = Vec::new();
    while got.len() < 2 {
        let (key, event) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("events within 60 s")
            .unwrap();
        assert_eq!(
            key.as_deref(),
            Some(v.to_string().as_bytes()),
            "keyed by video"
        );
        got.push(event.unwrap());
    }
    match &got[0] {
        VideoEvent::Published {
            video_id,
            author_id,
            title,
            ..
        } => assert_eq!((*video_id, *author_id, title.as_str()), (v, 4, "evented")),
        other => panic!("first event {other:?}"),
    }
    assert!(matches!(got[1], VideoEvent::Deleted { video_id, .. } if video_id == v));
    // Every outbox row was published and marked sent.
    let url = format!("{}/{}", testkit::mysql_url(), app.config.db.database);
    let pool = sqlx::MySqlPool::connect(&url).await.unwrap();
    eventually(10, "outbox drained", || async {
        kit::outbox::backlog(&pool).await.unwrap() == 0
    })
    .await;
    let _ = stop_tx.send(());
    let _ = reader.await;
    app.cleanup().await;
}
