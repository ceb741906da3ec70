//! `spawn_app`: the social service on testkit's harness (its own database, topics and consumer
//! groups on a free port; GraphQL signed as the router would), plus announcing videos and users on
//! the test's topics, the social operations the tests repeat and polling helpers.

use std::time::Duration;

use kit::caller::Caller;
use serde_json::{Value, json};

/// The harness, with the social operations on top (`Deref` gives its fields and GraphQL calls).
pub struct TestApp(testkit::app::App<social::config::Config>);

impl std::ops::Deref for TestApp {
    type Target = testkit::app::App<social::config::Config>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A test configuration: unique database, topics and groups.
pub fn test_config() -> social::config::Config {
    testkit::require_mysql();
    testkit::require_kafka();
    social::config::local(&testkit::local_servers("clipfed_test")).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_with(test_config()).await
}

/// Starts the service on `config` (restart a stopped app with its `config`).
pub async fn spawn_with(config: social::config::Config) -> TestApp {
    let database = config.db.database.clone();
    TestApp(testkit::app::App::start(config, &database, social::run).await)
}

pub fn user(id: i64) -> Caller {
    Caller::User(id)
}

impl TestApp {
    fn request(&self, caller: &Caller, query: &str, variables: Value) -> reqwest::RequestBuilder {
        self.signer
            .post(&self.url, caller, None)
            .json(&json!({"query": query, "variables": variables}))
    }

    /// Runs `query` as `caller`; returns only the HTTP status.
    pub async fn status_of(&self, caller: &Caller, query: &str, variables: Value) -> u16 {
        let res = self.request(caller, query, variables).send().await.unwrap();
        res.status().as_u16()
    }

    /// Opens the chat WebSocket as `caller`; a refused upgrade gives its status and body.
    pub async fn chat_as(&self, caller: &Caller) -> Result<Chat, (u16, Value)> {
        self.chat_on(&self.base, caller).await
    }

    /// [`TestApp::chat_as`] on the instance at `base` (another instance of this service).
    pub async fn chat_on(&self, base: &str, caller: &Caller) -> Result<Chat, (u16, Value)> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/ws", base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        for (name, value) in self.signer.headers(caller, None) {
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        Chat::open(request).await
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

    /// Publishes records as the video and user services would, and waits until this service has
    /// recorded them.
    async fn announce(&self, topic: &str, messages: Vec<(i64, Value)>, table: &str) {
        let producer = kit::kafka::Producer::new(&self.config.kafka).unwrap();
        for (key, message) in &messages {
            producer
                .send(
                    topic,
                    key.to_string().as_bytes(),
                    &serde_json::to_vec(message).unwrap(),
                )
                .await
                .unwrap();
        }
        let ids: Vec<i64> = messages.iter().map(|(k, _)| *k).collect();
        let pool = self.sql().await;
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE id IN ({})",
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        );
        let want = ids.len() as i64;
        eventually(30, "announced ids recorded", || {
            let (pool, sql) = (pool.clone(), sql.clone());
            async move {
                let q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
                q.fetch_one(&pool).await.unwrap() == want
            }
        })
        .await;
    }

    /// Announces videos (published by `author`) on the video topic.
    pub async fn videos(&self, author: i64, ids: &[i64]) {
        let messages = ids
            .iter()
            .map(|id| {
                let m = json!({"type": "published", "id": kit::id::next_id(), "video_id": id,
                    "author_id": author, "title": "t", "description": "d", "created_at_ms": 0});
                (*id, m)
            })
            .collect();
        self.announce(&self.config.topics.videos, messages, "known_videos")
            .await;
    }

    /// A fresh video id, announced.
    pub async fn video(&self) -> i64 {
        let id = kit::id::next_id();
        self.videos(1, &[id]).await;
        id
    }

    /// Announces a deletion and waits until it is recorded.
    pub async fn delete_video(&self, id: i64) {
        let producer = kit::kafka::Producer::new(&self.config.kafka).unwrap();
        let m = json!({"type": "deleted", "id": kit::id::next_id(), "video_id": id});
        producer
            .send(
                &self.config.topics.videos,
                id.to_string().as_bytes(),
                &serde_json::to_vec(&m).unwrap(),
            )
            .await
            .unwrap();
        let pool = self.sql().await;
        eventually(30, "deletion recorded", || {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM known_videos WHERE id = ? AND deleted_at IS NOT NULL",
                )
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
                    == 1
            }
        })
        .await;
    }

    /// Announces registered users.
    pub async fn users(&self, ids: &[i64]) {
        let messages = ids
            .iter()
            .map(|id| {
                let m = json!({"type": "registered", "id": kit::id::next_id(), "user_id": id,
                    "username": format!("u{id}"), "created_at_ms": 0});
                (*id, m)
            })
            .collect();
        self.announce(&self.config.topics.users, messages, "known_users")
            .await;
    }

    pub async fn like(
        &self,
        who: i64,
        video: Option<i64>,
        comment: Option<i64>,
        action: i32,
    ) -> Value {
        self.gql_as(
            &user(who),
            "mutation($v: ID, $c: ID, $a: Int!) { likeAction(videoId: $v, commentId: $c, actionType: $a) }",
            json!({"v": video.map(|v| v.to_string()), "c": comment.map(|c| c.to_string()), "a": action}),
        )
        .await
    }

    /// Publishes a comment (on `video`, or a reply to `comment`); returns the response body.
    pub async fn comment(
        &self,
        who: i64,
        video: Option<i64>,
        comment: Option<i64>,
        text: &str,
    ) -> Value {
        self.gql_as(
            &user(who),
            "mutation($v: ID, $c: ID, $t: String!) { publishComment(videoId: $v, commentId: $c, content: $t) { id content parent { id } video { id } author { id } } }",
            json!({"v": video.map(|v| v.to_string()), "c": comment.map(|c| c.to_string()), "t": text}),
        )
        .await
    }

    /// Publishes a comment and returns its id.
    pub async fn comment_id(
        &self,
        who: i64,
        video: Option<i64>,
        comment: Option<i64>,
        text: &str,
    ) -> i64 {
        let body = self.comment(who, video, comment, text).await;
        id_in(&body["data"]["publishComment"])
    }

    pub async fn relation(&self, who: i64, to: i64, action: i32) -> Value {
        self.gql_as(
            &user(who),
            "mutation($u: ID!, $a: Int!) { relationAction(toUserId: $u, actionType: $a) }",
            json!({"u": to.to_string(), "a": action}),
        )
        .await
    }

    /// `likeCount`, `commentCount` and `isLiked` (for `viewer`) of a video entity.
    pub async fn video_counts(&self, viewer: Option<i64>, video: i64) -> (i64, i64, bool) {
        let caller = viewer.map_or(Caller::Anonymous, user);
        let body = self
            .gql_as(
                &caller,
                "query($r: [_Any!]!) { _entities(representations: $r) { ... on Video { likeCount commentCount isLiked } } }",
                json!({"r": [{"__typename": "Video", "id": video.to_string()}]}),
            )
            .await;
        let v = &body["data"]["_entities"][0];
        assert!(v.is_object(), "{body}");
        let count = |name: &str| v[name].as_i64().unwrap_or_else(|| panic!("{body}"));
        (
            count("likeCount"),
            count("commentCount"),
            v["isLiked"].as_bool().unwrap_or_else(|| panic!("{body}")),
        )
    }

    /// Waits until a video's like and comment counts are `(likes, comments)`.
    pub async fn converge(&self, video: i64, likes: i64, comments: i64) {
        let mut last = (0, 0);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            let (l, c, _) = self.video_counts(None, video).await;
            last = (l, c);
            if last == (likes, comments) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "video {video}: counts stayed {last:?}, want {:?}",
            (likes, comments)
        );
    }

    /// A user entity's fields (`fields` is a selection on `User`) as `viewer`.
    pub async fn user_entity(&self, viewer: Option<i64>, id: i64, fields: &str) -> Value {
        let caller = viewer.map_or(Caller::Anonymous, user);
        let body = self
            .gql_as(
                &caller,
                &format!("query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on User {{ {fields} }} }} }}"),
                json!({"r": [{"__typename": "User", "id": id.to_string()}]}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["_entities"][0].clone()
    }

    /// Waits until the consumer has folded at least `n` events.
    pub async fn folded(&self, n: usize) {
        eventually(60, "events folded", || async {
            metric(&self.metrics().await, "clipfed_social_events_folded_total") >= n as f64
        })
        .await;
    }

    /// Outbox rows not yet published.
    pub async fn backlog(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.sql().await)
            .await
            .unwrap()
    }

    /// Stops the service and waits until it has shut down; the database stays.
    pub async fn stop(self) -> social::config::Config {
        self.0.stop().await
    }

    /// Stops the service and drops the test's database (which a failed test's drop does too).
    pub async fn cleanup(self) {
        drop(self);
    }
}

pub use testkit::chat::Chat;
pub use testkit::{error_code as code, eventually, id_in, ids_of, metric};

/// Asserts the first error's code.
#[track_caller]
pub fn assert_code(body: &Value, want: i64) {
    assert_eq!(code(body), Some(want), "{body}");
}

/// Asserts success.
#[track_caller]
pub fn assert_ok(body: &Value) {
    assert!(body["errors"].is_null(), "{body}");
}
