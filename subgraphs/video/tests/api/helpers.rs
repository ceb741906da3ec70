//! `spawn_app`: the video service on testkit's harness (its own database, topics, consumer group
//! and Redis keys on a free port; GraphQL signed as the router would), plus the video operations
//! the tests repeat and polling helpers.

use kit::caller::Caller;
use serde_json::{Value, json};

/// The harness, with the video operations on top (`Deref` gives its fields and GraphQL calls).
pub struct TestApp(testkit::app::App<video::config::Config>);

impl std::ops::Deref for TestApp {
    type Target = testkit::app::App<video::config::Config>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A test configuration: unique database (also the Redis key prefix), topics and group.
pub fn test_config() -> video::config::Config {
    testkit::require_mysql();
    testkit::require_redis();
    testkit::require_kafka();
    video::config::local(&testkit::local_servers("clipfed_test")).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_config()).await
}

/// Like [`spawn_app`], with `tune` applied to the configuration first.
pub async fn spawn_app_with(tune: impl FnOnce(&mut video::config::Config)) -> TestApp {
    let mut config = test_config();
    tune(&mut config);
    spawn_with(config).await
}

/// Starts the service on `config` (restart a stopped app with its `config`).
pub async fn spawn_with(config: video::config::Config) -> TestApp {
    let database = config.db.database.clone();
    TestApp(testkit::app::App::start(config, &database, video::run).await)
}

impl TestApp {
    /// Registers an upload as the upload service would; returns the response body.
    pub async fn register_as(&self, caller: &Caller, input: Value) -> Value {
        self.gql_as(
            caller,
            "mutation($i: RegisterVideoInput!) { registerVideo(input: $i) { id title description visitCount author { id } createdAt } }",
            json!({"i": input}),
        )
        .await
    }

    /// Registers a video of `author` and returns its id.
    pub async fn publish(&self, author: i64, title: &str) -> i64 {
        let upload = testkit::unique("up");
        let body = self
            .register_as(&upload_service(), input(&upload, author, title))
            .await;
        id_in(&body["data"]["registerVideo"])
    }

    pub async fn visit(&self, video: i64) -> Value {
        self.gql(
            "mutation($v: ID!) { recordVisit(videoId: $v) }",
            json!({"v": video.to_string()}),
        )
        .await
    }

    /// The ids of a popular page.
    pub async fn popular_ids(&self, num: i32, size: i32) -> Vec<i64> {
        let body = self
            .gql(
                "query($n: Int, $s: Int) { popular(pageNum: $n, pageSize: $s) { items { id visitCount } } }",
                json!({"n": num, "s": size}),
            )
            .await;
        ids_of(&body["data"]["popular"]["items"])
    }

    /// A connection pool on the service's own database, for what a test reads or changes directly.
    pub async fn db(&self) -> sqlx::MySqlPool {
        let url = format!("{}/{}", testkit::mysql_url(), self.config.db.database);
        sqlx::MySqlPool::connect(&url).await.unwrap()
    }

    /// Stops the service and waits until it has shut down; the database stays.
    pub async fn stop(self) -> video::config::Config {
        self.0.stop().await
    }

    /// Stops the service and drops the test's database (which a failed test's drop does too).
    pub async fn cleanup(self) {
        drop(self);
    }
}

pub fn upload_service() -> Caller {
    Caller::Service("upload".into())
}

/// A registration input for `upload` by `author`.
pub fn input(upload: &str, author: i64, title: &str) -> Value {
    json!({
        "uploadId": upload,
        "authorId": author.to_string(),
        "objectKey": format!("videos/{author}/{upload}.mp4"),
        "title": title,
        "description": "a test video",
        "sizeBytes": 1234,
        "contentType": "video/mp4",
    })
}

pub use testkit::{error_code as code, eventually, id_in, ids_of, metric};
