//! `spawn_app`: the search service on testkit's harness (its own database, topics, consumer group
//! and Milvus collection on a free port; GraphQL signed as the router would), plus the image routes
//! with a user access token, events published as the video and user services do, and generated
//! test images.

use kit::caller::Caller;
use serde_json::{Value, json};

pub use testkit::eventually;
pub use testkit::pictures::{jpeg, picture, png};

/// The harness, with the search operations on top (`Deref` gives its fields and GraphQL calls).
pub struct TestApp {
    app: testkit::app::App<search::config::Config>,
    tokens: kit::token::TokenKeys,
    producer: kit::kafka::Producer,
}

impl std::ops::Deref for TestApp {
    type Target = testkit::app::App<search::config::Config>;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

/// A test configuration: unique database, topics, group and collection; the installed model.
pub fn test_config() -> search::config::Config {
    testkit::require_mysql();
    testkit::require_kafka();
    testkit::require_s3();
    testkit::require_milvus();
    testkit::embed_model();
    search::config::local(&testkit::local_servers("clipfed_test")).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_config()).await
}

pub async fn spawn_with(config: search::config::Config) -> TestApp {
    let producer = kit::kafka::Producer::new(&config.kafka).unwrap();
    let database = config.db.database.clone();
    TestApp {
        app: testkit::app::App::start(config, &database, search::run).await,
        tokens: testkit::signed::dev_tokens(3600),
        producer,
    }
}

impl TestApp {
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
