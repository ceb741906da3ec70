//! Keyword search over events the indexer consumed from real tansu into real MariaDB: each filter
//! alone and combined, Chinese and English, paging and totals, deletions, replays, bad input.

use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, published, registered, spawn_app};

const SEARCH: &str = "query($k: String, $u: String, $f: Long, $t: Long, $n: Int, $s: Int) {
    searchVideos(keywords: $k, username: $u, fromDate: $f, toDate: $t, pageNum: $n, pageSize: $s) {
        items { id } total } }";

const T: i64 = 1_700_000_000_000;

/// The corpus: (title, description, author) published at T + i seconds, i from 1.
const VIDEOS: &[(&str, &str, i64)] = &[
    ("Rust async tutorial", "learn tokio", 1),
    ("猫咪视频合集", "可爱的猫", 2),
    ("Cooking: rust off a pan", "kitchen tips", 1),
    ("视频剪辑教程", "how to edit a video", 3),
    ("网站视频", "", 2),
    ("视频 网站 频网", "pairs apart", 2),
    ("最好的视频网站", "best site", 1),
];

struct Corpus {
    ids: Vec<i64>,
    events: Vec<(String, i64, Value)>,
}

async fn load(app: &TestApp) -> Corpus {
    let mut events = Vec::new();
    for (user, name) in [(1, "alice"), (2, "bob"), (3, "张三丰")] {
        events.push((
            app.config.topics.users.clone(),
            user,
            registered(user, name),
        ));
    }
    let mut ids = Vec::new();
    for (i, (title, description, author)) in VIDEOS.iter().enumerate() {
        let id = kit::id::next_id();
        let at = T + (i as i64 + 1) * 1000;
        ids.push(id);
        events.push((
            app.config.topics.videos.clone(),
            id,
            published(id, *author, title, description, at),
        ));
    }
    for (topic, key, event) in &events {
        app.publish(topic, &[(*key, event.clone())]).await;
    }
    let pool = app.sql().await;
    eventually(30, "corpus indexed", || {
        let pool = pool.clone();
        async move {
            let v: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM videos")
                .fetch_one(&pool)
                .await
                .unwrap();
            let u: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(&pool)
                .await
                .unwrap();
            v == 7 && u == 3
        }
    })
    .await;
    Corpus { ids, events }
}

/// Runs a search; returns the corpus positions (1-based) of the page and the total.
async fn search(app: &TestApp, c: &Corpus, vars: Value) -> (Vec<usize>, i64) {
    let body = app.gql(SEARCH, vars).await;
    assert!(body["errors"].is_null(), "{body}");
    let page = &body["data"]["searchVideos"];
    let items = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let id: i64 = v["id"].as_str().unwrap().parse().unwrap();
            c.ids.iter().position(|x| *x == id).unwrap() + 1
        })
        .collect();
    (items, page["total"].as_i64().unwrap())
}

async fn assert_all_queries(app: &TestApp, c: &Corpus) {
    let cases: Vec<(Value, Vec<usize>)> = vec![
        (json!({"k": "rust"}), vec![3, 1]),
        (json!({"k": "RUST tokio"}), vec![1]),
        (json!({"k": "视频"}), vec![7, 6, 5, 4, 2]),
        // All three pairs occur in 6, but not the word: the phrase check leaves it out.
        (json!({"k": "视频网站"}), vec![7]),
        (json!({"k": "猫"}), vec![2]),
        (json!({"k": "猫咪视"}), vec![2]),
        (json!({"k": "  "}), vec![7, 6, 5, 4, 3, 2, 1]),
        (json!({"u": "ali"}), vec![7, 3, 1]),
        (json!({"u": "三丰"}), vec![4]),
        (json!({"u": "nobody"}), vec![]),
        (json!({"f": T + 3000, "t": T + 5000}), vec![5, 4, 3]),
        (json!({"f": T + 6000}), vec![7, 6]),
        (json!({"t": T + 1000}), vec![1]),
        (json!({"k": "视频", "u": "bob", "f": T + 5000}), vec![6, 5]),
        (json!({"k": "rust", "u": "alice", "t": T + 2000}), vec![1]),
    ];
    for (vars, want) in cases {
        let (items, total) = search(app, c, vars.clone()).await;
        assert_eq!(items, want, "{vars}");
        assert_eq!(total, want.len() as i64, "total of {vars}");
    }
}

#[tokio::test]
async fn each_filter_alone_and_combined_in_chinese_and_english_with_paging() {
    let app = spawn_app().await;
    let corpus = load(&app).await;
    assert_all_queries(&app, &corpus).await;

    // Paging: the total counts every match whatever the page.
    let mut seen = Vec::new();
    for n in 0..4 {
        let (items, total) = search(&app, &corpus, json!({"n": n, "s": 3})).await;
        assert_eq!(total, 7, "page {n}");
        seen.extend(items);
    }
    assert_eq!(seen, vec![7, 6, 5, 4, 3, 2, 1]);

    // A deleted video disappears from every list and total.
    let deleted = corpus.ids[6];
    app.publish(
        &app.config.topics.videos,
        &[(
            deleted,
            json!({"type": "deleted", "id": kit::id::next_id(), "video_id": deleted}),
        )],
    )
    .await;
    eventually(30, "deletion applied", || async {
        search(&app, &corpus, json!({"k": "视频网站"})).await == (vec![], 0)
    })
    .await;
    assert_eq!(
        search(&app, &corpus, json!({"k": "视频"})).await,
        (vec![6, 5, 4, 2], 4)
    );
    assert_eq!(search(&app, &corpus, json!({})).await.1, 6);
    app.cleanup().await;
}

#[tokio::test]
async fn replaying_every_event_changes_nothing() {
    let app = spawn_app().await;
    let corpus = load(&app).await;
    let pool = app.sql().await;
    let postings = || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM postings")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = postings().await;
    assert!(before > 0);
    // The whole history again, twice, as a consumer reset would deliver it, then a marker
    // video to know the replay has been consumed.
    for _ in 0..2 {
        for (topic, key, event) in &corpus.events {
            app.publish(topic, &[(*key, event.clone())]).await;
        }
    }
    let marker = kit::id::next_id();
    app.publish(
        &app.config.topics.videos,
        &[(marker, published(marker, 1, "marker", "", T))],
    )
    .await;
    eventually(30, "replay consumed", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM videos WHERE id = ?")
            .bind(marker)
            .fetch_one(&pool)
            .await
            .unwrap()
            == 1
    })
    .await;
    // Only the marker's one posting ("marker") is new; every answer is as before.
    assert_eq!(postings().await, before + 1);
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 3);
    let (items, total) = search(&app, &corpus, json!({"k": "视频"})).await;
    assert_eq!((items, total), (vec![7, 6, 5, 4, 2], 5));
    app.cleanup().await;
}

#[tokio::test]
async fn bad_arguments_are_parameter_errors() {
    let app = spawn_app().await;
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].as_i64();
    for vars in [
        json!({"n": -1}),
        json!({"s": -5}),
        json!({"f": T, "t": T - 1}),
        json!({"f": -1}),
        json!({"k": "x".repeat(201)}),
        json!({"k": "a b c d e f g h i"}),
        json!({"u": "u".repeat(65)}),
    ] {
        let body = app.gql(SEARCH, vars.clone()).await;
        assert_eq!(code(&body), Some(10002), "{vars}: {body}");
        assert!(body["data"].is_null(), "{vars}: {body}");
    }
    // Wrong types never reach the resolver.
    for vars in [
        json!({"n": "zero"}),
        json!({"f": "yesterday"}),
        json!({"k": 5}),
    ] {
        let body = app.gql(SEARCH, vars.clone()).await;
        assert!(body["errors"].is_array(), "{vars}: {body}");
    }
    app.cleanup().await;
}
