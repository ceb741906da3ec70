//! The feed and uploader lists: order, `latestTime`, paging at the boundaries, totals, and the
//! `User` fields this subgraph contributes through federation.

use serde_json::{Value, json};

use crate::helpers::*;

const FEED: &str = "query($t: Long, $n: Int, $s: Int) { feed(latestTime: $t, pageNum: $n, pageSize: $s) { items { id createdAt } total } }";

async fn feed(app: &TestApp, t: Value, n: Value, s: Value) -> Value {
    app.gql(FEED, json!({"t": t, "n": n, "s": s})).await
}

#[tokio::test]
async fn the_feed_is_newest_first_and_latest_time_keeps_later_videos() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    let mut times = Vec::new();
    for i in 0..5 {
        ids.push(app.publish(1, &format!("v{i}")).await);
        times.push(chrono::Utc::now().timestamp_millis());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let body = feed(&app, Value::Null, Value::Null, Value::Null).await;
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(ids_of(&body["data"]["feed"]["items"]), newest_first);
    assert_eq!(body["data"]["feed"]["total"], 5);
    // Only videos created after the given time (after the third was published).
    let body = feed(&app, json!(times[2]), Value::Null, Value::Null).await;
    assert_eq!(ids_of(&body["data"]["feed"]["items"]), vec![ids[4], ids[3]]);
    assert_eq!(body["data"]["feed"]["total"], 2);
    let body = feed(&app, json!(times[4] + 60_000), Value::Null, Value::Null).await;
    assert_eq!(
        body["data"]["feed"]["items"],
        json!([]),
        "future time: nothing"
    );
    for bad in [
        json!(-1),
        json!("yesterday"),
        json!(1.5),
        json!(999_999_999_999_999i64),
    ] {
        let body = feed(&app, bad.clone(), Value::Null, Value::Null).await;
        assert_eq!(code(&body), Some(10002), "{bad}: {body}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn paging_boundaries_follow_the_contract() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(app.publish(2, &format!("p{i}")).await);
    }
    ids.reverse();
    let page = |n: Value, s: Value| feed(&app, Value::Null, n, s);
    // Page 0 is the first page; the default size is 10, also for size 0.
    assert_eq!(
        ids_of(&page(json!(0), Value::Null).await["data"]["feed"]["items"]),
        ids[..10]
    );
    assert_eq!(
        ids_of(&page(json!(0), json!(0)).await["data"]["feed"]["items"]),
        ids[..10]
    );
    assert_eq!(
        ids_of(&page(json!(1), json!(5)).await["data"]["feed"]["items"]),
        ids[5..10]
    );
    // The last, partial page and a page past the end.
    assert_eq!(
        ids_of(&page(json!(2), json!(5)).await["data"]["feed"]["items"]),
        ids[10..]
    );
    let past = page(json!(9), json!(5)).await;
    assert_eq!(past["data"]["feed"]["items"], json!([]), "{past}");
    assert_eq!(
        past["data"]["feed"]["total"], 12,
        "totals count every match"
    );
    // Huge sizes are capped at 100 (all 12 here); negative, non-numeric, too deep or beyond Int
    // are parameter errors.
    assert_eq!(
        ids_of(&page(json!(0), json!(100_000)).await["data"]["feed"]["items"]).len(),
        12
    );
    for (n, s) in [
        (json!(-1), json!(10)),
        (json!(0), json!(-1)),
        (json!("one"), json!(10)),
        (json!(0), json!(4_000_000_000u64)),
        (json!(1001), json!(100)),
    ] {
        let body = page(n.clone(), s.clone()).await;
        assert_eq!(code(&body), Some(10002), "{n} {s}: {body}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn uploader_lists_have_totals_and_user_entities_batch_them() {
    let app = spawn_app().await;
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(app.publish(10, &format!("a{i}")).await);
    }
    app.publish(11, "other").await;
    let body = app
        .gql(
            "query($u: ID!) { videosByAuthor(userId: $u, pageNum: 0, pageSize: 2) { items { id author { id } } total } }",
            json!({"u": "10"}),
        )
        .await;
    let list = &body["data"]["videosByAuthor"];
    assert_eq!(ids_of(&list["items"]), vec![mine[2], mine[1]]);
    assert_eq!(list["total"], 3);
    assert_eq!(list["items"][0]["author"]["id"], "10");
    let empty = app
        .gql(
            "query { videosByAuthor(userId: \"999\") { items { id } total } }",
            json!({}),
        )
        .await;
    assert_eq!(
        empty["data"]["videosByAuthor"],
        json!({"items": [], "total": 0})
    );
    let bad = app
        .gql(
            "query { videosByAuthor(userId: \"ten\") { total } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&bad), Some(10002), "{bad}");
    // The router resolves User.videoCount / User.videos through _entities.
    let reps = json!([
        {"__typename": "User", "id": "10"},
        {"__typename": "User", "id": "11"},
        {"__typename": "User", "id": "12"}
    ]);
    let ents = app
        .gql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id videoCount videos(pageSize: 1) { items { id } total } } } }",
            json!({"r": reps}),
        )
        .await;
    let e = &ents["data"]["_entities"];
    assert_eq!(e[0]["videoCount"], 3, "{ents}");
    assert_eq!(ids_of(&e[0]["videos"]["items"]), vec![mine[2]]);
    assert_eq!(e[1]["videoCount"], 1);
    assert_eq!(e[2]["videoCount"], 0);
    // Video entities and the ids query keep the order asked and skip unknown ids.
    let ids = json!([mine[0].to_string(), "123", mine[2].to_string()]);
    let body = app
        .gql(
            "query($i: [ID!]!) { videos(ids: $i) { id } }",
            json!({"i": ids}),
        )
        .await;
    assert_eq!(ids_of(&body["data"]["videos"]), vec![mine[0], mine[2]]);
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let body = app
        .gql(
            "query($i: [ID!]!) { videos(ids: $i) { id } }",
            json!({"i": too_many}),
        )
        .await;
    assert_eq!(code(&body), Some(10002));
    app.cleanup().await;
}
