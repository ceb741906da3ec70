//! `spawn_app`: the video service with its own database, topics, consumer group and Redis keys on a
//! free port; a GraphQL client signing the caller header as the router would; polling helpers.

use std::time::Duration;

use kit::caller::Caller;
use secrecy::SecretString;
use serde_json::{Value, json};
use testkit::signed::Signer;
use tokio::sync::oneshot;

pub struct TestApp {
    pub url: String,
    pub config: video::config::Config,
    /// Drops the database when a test ends without `cleanup` (it failed).
    db: Option<testkit::ScratchDatabase>,
    pub signer: Signer,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<()>>,
    client: reqwest::Client,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A test configuration: unique database (also the Redis key prefix), topics and group.
pub fn test_config() -> video::config::Config {
    testkit::require_mysql();
    testkit::require_redis();
    testkit::require_kafka();
    let mut config: video::config::Config =
        kit::config::load_from(video::config::DEFAULTS, None, Vec::new()).unwrap();
    config.http.listen = "127.0.0.1:0".into();
    config.db.url = SecretString::from(testkit::mysql_url());
    config.db.database = testkit::unique("clipfed_test_video");
    config.redis.url = SecretString::from(testkit::redis_url());
    config.kafka.brokers = testkit::kafka_brokers();
    config.topics.visits = testkit::unique("test_video_visits");
    config.topics.events = testkit::unique("test_video_events");
    config.topics.visits_partitions = 2;
    config.topics.events_partitions = 1;
    config.visits.group = testkit::unique("test_video_group");
    config.visits.max_wait_ms = 50;
    config.s3.endpoint = testkit::s3_endpoint();
    config
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
    let kept = config.clone();
    let db = testkit::ScratchDatabase::adopt(config.db.database.clone());
    let signer = Signer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        video::run(config, listener, async move {
            let _ = rx.await;
        })
        .await
        .expect("video service ran");
        let _ = done_tx.send(());
    });
    let app = TestApp {
        url,
        config: kept,
        db: Some(db),
        signer,
        stop: Some(tx),
        done: Some(done_rx),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    };
    testkit::wait_ready(&app.url.replace("/graphql", "/readyz")).await;
    app
}

impl TestApp {
    /// Runs `query` as `caller`; returns the whole response body.
    pub async fn gql_as(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        self.gql_from(caller, None, query, variables).await
    }

    /// Runs `query` as `caller` from the client at `client` (signed as the router would).
    pub async fn gql_from(
        &self,
        caller: &Caller,
        client: Option<std::net::IpAddr>,
        query: &str,
        variables: Value,
    ) -> Value {
        self.signer
            .graphql(&self.url, caller, client, query, variables)
            .await
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(&Caller::Anonymous, query, variables).await
    }

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

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        testkit::get_text(&self.client, &self.url.replace("/graphql", "/metrics")).await
    }

    /// Stops the service and waits until it has shut down; the database stays.
    pub async fn stop(mut self) -> video::config::Config {
        if let Some(db) = self.db.take() {
            db.keep();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(20), done).await;
        }
        self.config.clone()
    }

    pub async fn cleanup(self) {
        let db = self.config.db.database.clone();
        self.stop().await;
        testkit::drop_database(&db).await;
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
