//! `spawn_app`: the search service with its own database, topics, consumer group and Milvus
//! collection on a free port; GraphQL with the signed caller header the router would send; the
//! image routes with a user access token; events published as the video and user services do;
//! generated test images.

use std::time::Duration;

use kit::caller::Caller;
use secrecy::SecretString;
use serde_json::{Value, json};
use testkit::signed::Signer;
use tokio::sync::oneshot;

pub use testkit::eventually;
pub use testkit::pictures::{jpeg, picture, png};

pub struct TestApp {
    pub base: String,
    pub config: search::config::Config,
    /// Drops the database when the test ends, passed or failed.
    _db: testkit::ScratchDatabase,
    pub signer: Signer,
    tokens: kit::token::TokenKeys,
    producer: kit::kafka::Producer,
    stop: Option<oneshot::Sender<()>>,
    pub client: reqwest::Client,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A test configuration: unique database, topics, group and collection; the installed model.
pub fn test_config() -> search::config::Config {
    testkit::require_mysql();
    testkit::require_kafka();
    testkit::require_s3();
    testkit::require_milvus();
    let mut config: search::config::Config = kit::config::load_with(
        search::config::DEFAULTS,
        &[(
            "CLIPFED_EMBEDDER__MODEL_PATH",
            testkit::embed_model().to_str().unwrap(),
        )],
    );
    config.http.listen = "127.0.0.1:0".into();
    config.db.url = SecretString::from(testkit::mysql_url());
    config.db.database = testkit::unique("clipfed_test_search");
    config.kafka.brokers = testkit::kafka_brokers();
    config.topics.videos = testkit::unique("test_search_videos");
    config.topics.users = testkit::unique("test_search_users");
    config.indexer.group = testkit::unique("test_search_indexer");
    config.indexer.max_wait_ms = 50;
    config.milvus.uri = testkit::milvus_uri();
    config.milvus.collection = testkit::unique("test_images");
    config.s3.endpoint = testkit::s3_endpoint();
    config.urls.base_url = format!("{}/clipfed", testkit::s3_endpoint());
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_config()).await
}

pub async fn spawn_with(config: search::config::Config) -> TestApp {
    let kept = config.clone();
    let db = testkit::ScratchDatabase::adopt(config.db.database.clone());
    let signer = Signer::new();
    let tokens = testkit::signed::dev_tokens(3600);
    let producer = kit::kafka::Producer::new(&config.kafka).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        search::run(config, listener, async move {
            let _ = rx.await;
        })
        .await
        .expect("search service ran");
    });
    let app = TestApp {
        base,
        config: kept,
        _db: db,
        signer,
        tokens,
        producer,
        stop: Some(tx),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    };
    testkit::wait_ready(&format!("{}/readyz", app.base)).await;
    app
}

impl TestApp {
    /// Runs `query` anonymously (as the router forwards a visitor: only the client address signed).
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(&Caller::Anonymous, query, variables).await
    }

    pub async fn gql_as(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        let url = format!("{}/graphql", self.base);
        self.signer
            .graphql(&url, caller, None, query, variables)
            .await
    }

    /// A valid access token of `user`.
    pub fn token(&self, user: i64) -> String {
        self.tokens.issue(user, 1, 1, testkit::unix_now()).access
    }

    /// POSTs a multipart form of `files` (field `data`) to `path` as the router forwards it (the
    /// client address signed), with `token` when given; returns status and body.
    pub async fn post_files(
        &self,
        path: &str,
        files: Vec<(String, Vec<u8>)>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "data",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        }
        let mut req = self
            .signer
            .post(&format!("{}{path}", self.base), &Caller::Anonymous, None)
            .multipart(form);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Imports images as user 1; returns each file's `(id, url)`.
    pub async fn import(&self, images: &[Vec<u8>]) -> Vec<(String, String)> {
        let token = self.token(1);
        let mut out = Vec::new();
        for (n, chunk) in images.chunks(16).enumerate() {
            let files = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("img{n}_{i}.png"), b.clone()))
                .collect();
            let (status, body) = self.post_files("/images", files, Some(&token)).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["base"]["code"], 10000, "{body}");
            for item in body["data"]["items"].as_array().unwrap() {
                assert_eq!(item["code"], 10000, "{item}");
                out.push((
                    item["id"].as_str().unwrap().to_owned(),
                    item["url"].as_str().unwrap().to_owned(),
                ));
            }
        }
        out
    }

    /// Publishes `events` (each keyed by `key`) on `topic`.
    pub async fn publish(&self, topic: &str, events: &[(i64, Value)]) {
        for (key, event) in events {
            self.producer
                .send(
                    topic,
                    key.to_string().as_bytes(),
                    &serde_json::to_vec(event).unwrap(),
                )
                .await
                .unwrap();
        }
    }

    /// A small pool on the service's database.
    pub async fn sql(&self) -> sqlx::MySqlPool {
        let url = format!("{}/{}", testkit::mysql_url(), self.config.db.database);
        sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .unwrap()
    }

    /// Stops the service and drops the test's database (which a failed test's drop does too).
    pub async fn cleanup(self) {
        drop(self);
    }
}

/// `published` as the video service writes it.
pub fn published(video: i64, author: i64, title: &str, description: &str, at_ms: i64) -> Value {
    json!({"type": "published", "id": kit::id::next_id(), "video_id": video, "author_id": author,
        "title": title, "description": description, "created_at_ms": at_ms})
}

/// `registered` as the user service writes it.
pub fn registered(user: i64, username: &str) -> Value {
    json!({"type": "registered", "id": kit::id::next_id(), "user_id": user, "username": username,
        "created_at_ms": 0})
}
