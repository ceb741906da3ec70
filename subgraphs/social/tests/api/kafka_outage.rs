//! Kafka stopped mid-test: actions still succeed (their events wait in the outbox), and once the
//! broker is back every counter converges with nothing lost and nothing counted twice. The test
//! runs its own broker, so stopping it disturbs no other test.

use crate::helpers::*;

#[tokio::test]
async fn with_kafka_down_actions_succeed_and_counters_catch_up_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = testkit::PrivateBroker::start(dir.path());
    let mut config = test_config();
    config.kafka.brokers = broker.brokers();
    config.kafka.delivery_timeout_secs = 2;
    let app = spawn_with(config).await;
    let video = app.video().await;
    for u in 0..10 {
        assert_ok(&app.like(u, Some(video), None, 1).await);
    }
    app.converge(video, 10, 0).await;

    broker.kill();
    for u in 10..30 {
        assert_ok(&app.like(u, Some(video), None, 1).await);
    }
    for u in 0..5 {
        assert_ok(&app.like(u, Some(video), None, 2).await);
    }
    app.comment_id(1, Some(video), None, "written while Kafka is down")
        .await;
    assert!(app.backlog().await > 0, "events wait in the outbox");
    let (likes, comments, _) = app.video_counts(None, video).await;
    assert_eq!(
        (likes, comments),
        (10, 0),
        "nothing folded while the broker is down"
    );

    broker.restart();
    app.converge(video, 25, 1).await;
    eventually(60, "outbox drained", || async { app.backlog().await == 0 }).await;
    // Settled: the counts stay exact (no late duplicate folds).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(app.video_counts(None, video).await.0, 25);
    app.cleanup().await;
}
