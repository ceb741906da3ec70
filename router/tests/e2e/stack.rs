//! `Stack`: the whole system for one test. The four subgraphs and the upload service run in this
//! process, each on its own database, sharing one set of unique Kafka topics as they do in
//! production; the router is the real `clipfed-router` binary, configured by the repository's own
//! `router.config.yaml` with the service URLs overridden through its `from_env` variables. Every
//! service registers in the local etcd under a prefix of the stack's own, which the router follows:
//! calls go through discovery and the balancing executor, as in a deployment.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kit::token::TokenKeys;
use reqwest::{Client, Response};
use secrecy::SecretString;
use serde_json::{Value, json};
use testkit::service::{Running, serve};

/// Topics shared by the services of one stack.
struct Topics {
    users: String,
    videos: String,
    visits: String,
    interactions: String,
    /// The registry prefix of this stack's instances.
    registry: String,
}

pub struct Stack {
    /// The router's base URL: the one public address.
    pub base: String,
    pub http: Client,
    pub keys: TokenKeys,
    router: Child,
    services: Vec<(&'static str, Running)>,
    /// The video and upload services' configurations, for more instances of them.
    video_config: video::config::Config,
    upload_config: upload::config::Config,
    /// The router's configuration: the repository's file plus test-only settings.
    _config: tempfile::NamedTempFile,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.router.kill();
        let _ = self.router.wait();
    }
}

/// The router's per-client rate limits in tests: every test client is 127.0.0.1, so the stack
/// lifts them unless a test sets its own ([`Stack::start_with`]).
const TEST_LIMITS: &[(&str, &str)] = &[
    ("CLIPFED_ROUTER_WRITES_PER_MINUTE", "100000"),
    ("CLIPFED_ROUTER_IMAGE_SEARCHES_PER_MINUTE", "100000"),
    ("CLIPFED_ROUTER_UPLOADS_PER_MINUTE", "100000"),
    // No collector runs beside the tests: sample nothing, so nothing is exported.
    ("TELEMETRY_TRACING_SAMPLING_RATE", "0"),
];

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The stack with extra environment variables for the router (they win over the test limits).
    pub async fn start_with(router_env: &[(&str, &str)]) -> Self {
        testkit::require_mysql();
        testkit::require_redis();
        testkit::require_kafka();
        testkit::require_s3();
        testkit::require_milvus();
        testkit::require_etcd();
        let t = Topics {
            users: testkit::unique("e2e_users"),
            videos: testkit::unique("e2e_videos"),
            visits: testkit::unique("e2e_visits"),
            interactions: testkit::unique("e2e_interactions"),
            registry: format!("/clipfed-test/{}", testkit::unique("e2e")),
        };
        let user = start_user(&t).await;
        let video_config = video_config(&t);
        let video = serve(
            None,
            video_config.clone(),
            &video_config.db.database,
            video::run,
        )
        .await;
        let social = start_social(&t).await;
        let search = start_search(&t).await;
        let upload_config = upload_config(&t, &video, &user);
        let upload = serve(
            None,
            upload_config.clone(),
            &upload_config.db.database,
            upload::run,
        )
        .await;
        let port = testkit::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let dir = env!("CARGO_MANIFEST_DIR");
        let config = test_config(dir);
        let router = Command::new(env!("CARGO_BIN_EXE_clipfed-router"))
            .env("ROUTER_CONFIG_FILE_PATH", config.path())
            .env(
                "SUPERGRAPH_FILE_PATH",
                format!("{dir}/../schema/supergraph.graphql"),
            )
            .env("PORT", port.to_string())
            .env("LOG_LEVEL", "warn")
            .env(
                "CLIPFED_ROUTER_USER_GRAPHQL",
                format!("{}/graphql", user.base),
            )
            .env(
                "CLIPFED_ROUTER_VIDEO_GRAPHQL",
                format!("{}/graphql", video.base),
            )
            .env(
                "CLIPFED_ROUTER_SOCIAL_GRAPHQL",
                format!("{}/graphql", social.base),
            )
            .env(
                "CLIPFED_ROUTER_SEARCH_GRAPHQL",
                format!("{}/graphql", search.base),
            )
            .env("CLIPFED_ROUTER_UPLOAD_URL", &upload.base)
            .env("CLIPFED_ROUTER_SEARCH_URL", &search.base)
            .env("CLIPFED_ROUTER_SOCIAL_URL", &social.base)
            .env(
                "CLIPFED_ROUTER_REGISTRY_ENDPOINTS",
                testkit::etcd_endpoint(),
            )
            .env("CLIPFED_ROUTER_REGISTRY_PREFIX", &t.registry)
            .envs(TEST_LIMITS.iter().copied())
            .envs(router_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the router binary starts");
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let stack = Self {
            base,
            http,
            keys: TokenKeys::new(
                &SecretString::from(kit::keys::DEV_TOKEN_SECRET),
                3600,
                7 * 86400,
            )
            .unwrap(),
            router,
            services: vec![
                ("user", user),
                ("video", video),
                ("social", social),
                ("search", search),
                ("upload", upload),
            ],
            _config: config,
            video_config,
            upload_config,
        };
        stack.wait_healthy().await;
        stack
    }

    async fn wait_healthy(&self) {
        for _ in 0..300 {
            if let Ok(r) = self.http.get(format!("{}/health", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the router did not become healthy at {}", self.base);
    }

    /// The base URL of a service behind the router (tests that go around it).
    pub fn service(&self, name: &str) -> &str {
        &self
            .services
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no service {name}"))
            .1
            .base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A multipart form request of text `fields`.
    pub async fn form(
        &self,
        method: reqwest::Method,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        self.multipart(method, path, form, headers).await
    }

    /// [`Stack::form`]'s headers and envelope (HTTP 200 asserted).
    pub async fn form_envelope(
        &self,
        method: reqwest::Method,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (reqwest::header::HeaderMap, Value) {
        envelope(self.form(method, path, fields, headers).await).await
    }

    /// A multipart request of a prepared `form` (files included).
    pub async fn multipart(
        &self,
        method: reqwest::Method,
        path: &str,
        form: reqwest::multipart::Form,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self.http.request(method, self.url(path)).multipart(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("the router answers")
    }

    pub async fn get(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = self.http.get(self.url(path_and_query));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("the router answers")
    }

    /// A GraphQL request through the router; the answer's JSON.
    pub async fn graphql(&self, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
        self.graphql_at(&self.url("/graphql"), query, variables, headers)
            .await
    }

    /// A GraphQL request to any endpoint (a subgraph, to go around the router).
    pub async fn graphql_at(
        &self,
        url: &str,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut req = self
            .http
            .post(url)
            .json(&json!({"query": query, "variables": variables}));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// U2 for `name` with the password [`Stack::sign_up`] gives everyone: headers and envelope.
    pub async fn login(&self, name: &str) -> (reqwest::header::HeaderMap, Value) {
        let fields = [("username", name), ("password", "passw0rd!")];
        self.form_envelope(reqwest::Method::POST, "/user/login", &fields, &[])
            .await
    }

    /// Registers and logs in `name`; returns (user id, access token, refresh token).
    pub async fn sign_up(&self, name: &str) -> (String, String, String) {
        let reg = self
            .form(
                reqwest::Method::POST,
                "/user/register",
                &[("username", name), ("password", "passw0rd!")],
                &[],
            )
            .await;
        assert_eq!(
            envelope(reg).await.1["base"]["code"],
            10000,
            "register {name}"
        );
        let (headers, body) = self.login(name).await;
        let header = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
        (
            body["data"]["id"].as_str().unwrap().to_owned(),
            header("access-token"),
            header("refresh-token"),
        )
    }
}

/// Status 200, the headers, and the JSON body of a REST answer.
pub async fn envelope(response: Response) -> (reqwest::header::HeaderMap, Value) {
    assert_eq!(response.status(), 200, "REST answers are HTTP 200");
    let headers = response.headers().clone();
    (headers, response.json().await.expect("a JSON envelope"))
}

/// The envelope's `base.code`.
pub fn code(body: &Value) -> i64 {
    body["base"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no base.code in {body}"))
}

/// An object's keys, sorted.
pub fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Field names, sorted (to compare with [`keys_of`]).
pub fn sorted(fields: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

/// The repository's `router.config.yaml` plus what only tests enable: query plans in responses
/// when asked for with `hive-expose-query-plan` (never in a deployment: plans describe the
/// subgraphs).
fn test_config(dir: &str) -> tempfile::NamedTempFile {
    let mut text = std::fs::read_to_string(format!("{dir}/router.config.yaml"))
        .expect("router.config.yaml is readable");
    assert!(
        !text.contains("\nquery_planner:"),
        "the test setting would repeat a section"
    );
    text.push_str("\nquery_planner:\n  allow_expose: true\n");
    let file = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .expect("a temporary file");
    std::fs::write(file.path(), text).expect("the test config is written");
    file
}

/// Where the local servers are; databases named `clipfed_e2e_<service>_...`.
fn servers() -> kit::config::LocalServers {
    testkit::local_servers("clipfed_e2e")
}

async fn start_user(t: &Topics) -> Running {
    let mut c = user::config::local(&servers()).expect("user defaults load");
    c.http.registry = testkit::registry(&t.registry);
    c.topics.events = t.users.clone();
    let database = c.db.database.clone();
    serve(None, c, &database, user::run).await
}

impl Stack {
    /// Stops the stack's instance of `name` (gracefully: it deregisters, then drains).
    pub async fn halt(&mut self, name: &str) {
        let (_, running) = self
            .services
            .iter_mut()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no service {name}"));
        running.halt().await;
    }

    /// One more upload instance on the stack's database, registered like the first.
    pub async fn more_upload(&self) -> Running {
        testkit::service::serve_sharing(None, self.upload_config.clone(), upload::run).await
    }

    /// One more video instance on the stack's database and topics, registered like the first.
    pub async fn more_video(&self) -> Running {
        testkit::service::serve_sharing(None, self.video_config.clone(), video::run).await
    }
}

fn video_config(t: &Topics) -> video::config::Config {
    let mut c = video::config::local(&servers()).expect("video defaults load");
    c.http.registry = testkit::registry(&t.registry);
    c.topics.visits = t.visits.clone();
    c.topics.events = t.videos.clone();
    c.topics.visits_partitions = 1;
    c.urls.base_url = format!("{}/clipfed", testkit::s3_endpoint());
    // The test videos are fake MP4s: cover extraction is the video service's own test's business.
    c.cover.ffmpeg = "/nonexistent/ffmpeg".into();
    c
}

async fn start_social(t: &Topics) -> Running {
    let mut c = social::config::local(&servers()).expect("social defaults load");
    c.http.registry = testkit::registry(&t.registry);
    c.topics.interactions = t.interactions.clone();
    c.topics.interactions_partitions = 1;
    c.topics.videos = t.videos.clone();
    c.topics.users = t.users.clone();
    let database = c.db.database.clone();
    serve(None, c, &database, social::run).await
}

async fn start_search(t: &Topics) -> Running {
    testkit::embed_model();
    let mut c = search::config::local(&servers()).expect("search defaults load");
    c.http.registry = testkit::registry(&t.registry);
    c.topics.videos = t.videos.clone();
    c.topics.users = t.users.clone();
    let database = c.db.database.clone();
    serve(None, c, &database, search::run).await
}

fn upload_config(t: &Topics, video: &Running, user: &Running) -> upload::config::Config {
    let mut c = upload::config::local(
        &servers(),
        format!("{}/graphql", video.base),
        format!("{}/graphql", user.base),
    )
    .expect("upload defaults load");
    c.http.registry = testkit::registry(&t.registry);
    c
}
