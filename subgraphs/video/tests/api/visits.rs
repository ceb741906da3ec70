//! Visits: recorded through Kafka, folded into counts in batches, once per event id, and the
//! popular ranking follows them.

use kit::caller::Caller;
use serde_json::json;
use video::domain::events::VisitEvent;

use crate::helpers::*;

async fn visit_count(app: &TestApp, id: i64) -> i64 {
    let body = app
        .gql(
            "query($id: ID!) { video(id: $id) { visitCount } }",
            json!({"id": id.to_string()}),
        )
        .await;
    body["data"]["video"]["visitCount"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn popular_order_follows_visits_after_the_consumer_runs() {
    let app = spawn_app().await;
    let a = app.publish(1, "a").await;
    let b = app.publish(1, "b").await;
    let c = app.publish(1, "c").await;
    for (id, n) in [(a, 2), (b, 5), (c, 1)] {
        for _ in 0..n {
            let body = app.visit(id).await;
            assert_eq!(body["data"]["recordVisit"], true, "{body}");
        }
    }
    eventually(60, "visits folded", || async {
        visit_count(&app, b).await == 5
    })
    .await;
    eventually(10, "ranking updated", || async {
        app.popular_ids(0, 10).await == vec![b, a, c]
    })
    .await;
    assert_eq!(visit_count(&app, a).await, 2);
    assert_eq!(visit_count(&app, c).await, 1);
    let body = app
        .gql(
            "query { popular(pageNum: 0, pageSize: 2) { items { id visitCount } total } }",
            json!({}),
        )
        .await;
    let page = &body["data"]["popular"];
    assert_eq!(page["items"][0]["visitCount"], 5, "{body}");
    assert_eq!(page["total"], 3);
    assert_eq!(app.popular_ids(1, 2).await, vec![c]);
    assert_eq!(app.popular_ids(5, 2).await, Vec::<i64>::new());
    let bad = app
        .gql("query { popular(pageSize: -1) { total } }", json!({}))
        .await;
    assert_eq!(code(&bad), Some(10002));
    app.cleanup().await;
}

#[tokio::test]
async fn replayed_visit_events_are_counted_once() {
    let app = spawn_app().await;
    let v = app.publish(1, "replayed").await;
    let producer = kit::kafka::Producer::new(&app.config.kafka).unwrap();
    let events: Vec<VisitEvent> = (0..20)
        .map(|_| VisitEvent {
            id: kit::id::next_id(),
            video_id: v,
            at_ms: chrono::Utc::now().timestamp_millis(),
        })
        .collect();
    // Every event sent three times (a producer retry, a replay, a re-run of a batch), plus a
    // malformed record that must be skipped, not block the partition.
    let topic = app.config.topics.visits.clone();
    for _ in 0..3 {
        for e in &events {
            let payload = serde_json::to_vec(e).unwrap();
            producer
                .send(&topic, v.to_string().as_bytes(), &payload)
                .await
                .unwrap();
        }
    }
    producer
        .send(&topic, v.to_string().as_bytes(), b"{not json")
        .await
        .unwrap();
    let consumed = format!(
        "messaging_client_consumed_messages_total{{messaging_consumer_group_name=\"{}\",messaging_destination_name=\"{topic}\",outcome=\"ok\"}}",
        app.config.visits.group
    );
    eventually(60, "all 61 records processed", || async {
        metric(&app.metrics().await, &consumed) >= 61.0
    })
    .await;
    assert_eq!(visit_count(&app, v).await, 20);
    let text = app.metrics().await;
    assert_eq!(metric(&text, "clipfed_video_visits_applied_total"), 20.0);
    assert_eq!(metric(&text, "clipfed_video_visits_malformed_total"), 1.0);
    assert_eq!(app.popular_ids(0, 10).await, vec![v]);
    app.cleanup().await;
}

#[tokio::test]
async fn visits_of_unknown_or_malformed_ids_are_refused() {
    let app = spawn_app().await;
    let body = app.visit(123_456).await;
    assert_eq!(code(&body), Some(12001), "{body}");
    let body = app
        .gql("mutation { recordVisit(videoId: \"abc\") }", json!({}))
        .await;
    assert_eq!(code(&body), Some(10002), "{body}");
    let body = app.gql("mutation { recordVisit }", json!({})).await;
    assert_eq!(code(&body), Some(10002), "{body}");
    app.cleanup().await;
}

#[tokio::test]
async fn visits_sent_around_a_restart_are_all_counted() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(app.publish(1, &format!("r{i}")).await);
    }
    for id in &ids {
        app.visit(*id).await;
    }
    eventually(60, "first visits folded", || async {
        visit_count(&app, ids[11]).await == 1 && visit_count(&app, ids[0]).await == 1
    })
    .await;
    // The same consumer group comes back at once (a deploy or a crash-restart).
    let app = spawn_with(app.stop().await).await;
    for id in &ids {
        let body = app.visit(*id).await;
        assert_eq!(body["data"]["recordVisit"], true, "{body}");
    }
    for id in &ids {
        eventually(90, "every visit after the restart counted", || async {
            visit_count(&app, *id).await == 2
        })
        .await;
    }
    app.cleanup().await;
}

#[tokio::test]
async fn one_viewer_counts_a_limited_number_of_visits_per_video() {
    let app = spawn_app_with(|c| c.visit_limit.per_viewer.max = 3).await;
    let v = app.publish(1, "limited").await;
    let other = app.publish(1, "other video").await;
    let visit = |caller: Caller, client: Option<&str>, id: i64| {
        let app = &app;
        let client = client.map(|a| a.parse().unwrap());
        async move {
            let body = app
                .gql_from(
                    &caller,
                    client,
                    "mutation($v: ID!) { recordVisit(videoId: $v) }",
                    json!({"v": id.to_string()}),
                )
                .await;
            body["data"]["recordVisit"]
                .as_bool()
                .unwrap_or_else(|| panic!("{body}"))
        }
    };
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(visit(Caller::Anonymous, Some("203.0.113.7"), v).await);
    }
    assert_eq!(
        answers,
        [true, true, true, false, false],
        "per client address"
    );
    assert!(
        visit(Caller::Anonymous, Some("203.0.113.8"), v).await,
        "another address"
    );
    assert!(
        visit(Caller::Anonymous, Some("203.0.113.7"), other).await,
        "another video"
    );
    // A signed-in user is one viewer whatever the address.
    let mut answers = Vec::new();
    for i in 0..4 {
        answers.push(visit(Caller::User(77), Some(&format!("198.51.100.{i}")), v).await);
    }
    assert_eq!(answers, [true, true, true, false], "per user");
    eventually(60, "counted visits folded", || async {
        visit_count(&app, v).await == 7
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        visit_count(&app, v).await,
        7,
        "3 + 1 + 3; refused ones never counted"
    );
    let text = app.metrics().await;
    assert_eq!(metric(&text, "clipfed_video_visits_over_limit_total"), 3.0);
    app.cleanup().await;
}
