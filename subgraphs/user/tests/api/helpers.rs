//! `spawn_app`: the service with its own database on a free port, and a GraphQL client.

use std::net::IpAddr;
use std::time::Duration;

use kit::caller::Caller;
use secrecy::SecretString;
use serde_json::{Value, json};
use testkit::signed::Signer;
use tokio::sync::oneshot;

pub struct TestApp {
    pub url: String,
    pub config: user::config::Config,
    /// Drops the database when the test ends, passed or failed.
    _db: testkit::ScratchDatabase,
    pub signer: Signer,
    stop: Option<oneshot::Sender<()>>,
    client: reqwest::Client,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with `tune` applied to the configuration first.
pub async fn spawn_app_with(tune: impl FnOnce(&mut user::config::Config)) -> TestApp {
    testkit::require_mysql();
    testkit::require_redis();
    testkit::require_kafka();
    let db = testkit::ScratchDatabase::new("clipfed_test_user");
    let mut config: user::config::Config =
        kit::config::load_from(user::config::DEFAULTS, None, Vec::new()).unwrap();
    config.db.url = SecretString::from(testkit::mysql_url());
    config.db.database = db.name().to_owned();
    config.redis.url = SecretString::from(testkit::redis_url());
    config.s3.endpoint = testkit::s3_endpoint();
    config.kafka.brokers = testkit::kafka_brokers();
    config.topics.events = testkit::unique("test_user_events");
    config.topics.events_partitions = 1;
    // Cheap hashing: these tests check behaviour; the real cost is benchmarked separately.
    config.password.memory_kib = 1024;
    config.password.iterations = 1;
    tune(&mut config);
    let kept = config.clone();
    let signer = Signer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        user::run(config, listener, async move {
            let _ = rx.await;
        })
        .await
        .expect("user service ran");
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let app = TestApp {
        url,
        config: kept,
        _db: db,
        signer,
        stop: Some(tx),
        client,
    };
    testkit::wait_ready(&app.url.replace("/graphql", "/readyz")).await;
    app
}

impl TestApp {
    /// Runs `query` as `caller`; returns the whole response body.
    pub async fn gql_as(&self, caller: &Caller, query: &str, variables: Value) -> Value {
        self.gql_with(caller, None, query, variables).await
    }

    /// Runs `query` as `caller`, from `client` when given (signed as the router would).
    pub async fn gql_with(
        &self,
        caller: &Caller,
        client: Option<IpAddr>,
        query: &str,
        variables: Value,
    ) -> Value {
        self.signer
            .graphql(&self.url, caller, client, query, variables)
            .await
    }

    /// The token keys the service signs with (the router verifies with the same).
    pub fn token_keys(&self) -> kit::token::TokenKeys {
        let auth = &self.config.auth;
        kit::token::TokenKeys::new(&auth.jwt_key, auth.access_ttl_secs, auth.refresh_ttl_secs)
            .unwrap()
    }

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        testkit::get_text(&self.client, &self.url.replace("/graphql", "/metrics")).await
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(&Caller::Anonymous, query, variables).await
    }

    /// Raw POST of `body` bytes (malformed input through the HTTP layer).
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, Value) {
        let res = self
            .signer
            .post(&self.url, &Caller::Anonymous, None)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn register(&self, username: &str, password: &str) -> Value {
        self.gql(
            "mutation($u: String!, $p: String!) { register(username: $u, password: $p) { id username avatarUrl createdAt deletedAt } }",
            json!({"u": username, "p": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str, code: Option<&str>) -> Value {
        self.login_from(None, username, password, code).await
    }

    /// A login as the router would forward it from the client at `client`.
    pub async fn login_from(
        &self,
        client: Option<IpAddr>,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Value {
        self.gql_with(
            &Caller::Anonymous,
            client,
            "mutation($u: String!, $p: String!, $c: String) { login(username: $u, password: $p, code: $c) { user { id username } accessToken refreshToken } }",
            json!({"u": username, "p": password, "c": code}),
        )
        .await
    }

    pub async fn refresh(&self, token: &str) -> Value {
        self.gql("mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken refreshToken } }", json!({"t": token}))
            .await
    }

    /// Stops the service and drops the test's database (which a failed test's drop does too).
    pub async fn cleanup(self) {
        drop(self);
    }
}

pub use testkit::error_code as code;

/// The id of a registered user.
pub fn id_of(body: &Value) -> i64 {
    body["data"]["register"]["id"]
        .as_str()
        .expect("registered")
        .parse()
        .unwrap()
}
