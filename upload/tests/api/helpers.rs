//! `Stack`: the upload service on a free port (in-process, or as its own process for the crash
//! and memory tests) with the video and user subgraphs it records into, each on its own database;
//! tus request helpers and test files.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kit::caller::Caller;
use kit::token::TokenKeys;
use reqwest::{Client, Response};
use serde_json::{Value, json};
use testkit::service::{Running, serve};

pub const TUS: (&str, &str) = ("Tus-Resumable", "1.0.0");
pub const MIB: usize = 1024 * 1024;

/// Where the local servers are; databases named `clipfed_test_up_<service>_...`.
fn servers() -> kit::config::LocalServers {
    testkit::local_servers("clipfed_test_up")
}

/// The video subgraph on its own database and topics.
pub async fn video() -> Running {
    video_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()).await
}

/// The video subgraph on `listener`.
pub async fn video_on(listener: tokio::net::TcpListener) -> Running {
    testkit::require_kafka();
    testkit::require_redis();
    let mut c = video::config::local(&servers()).unwrap();
    // Covers are not under test here.
    c.cover.ffmpeg = "/nonexistent/ffmpeg".into();
    let database = c.db.database.clone();
    serve(Some(listener), c, &database, video::run).await
}

/// The user subgraph on its own database.
pub async fn user() -> Running {
    let c = user::config::local(&servers()).unwrap();
    let database = c.db.database.clone();
    serve(None, c, &database, user::run).await
}

/// A test configuration of the upload service recording into `video` (and `user`).
pub fn config(video: &Running, user: Option<&Running>) -> upload::config::Config {
    testkit::require_mysql();
    testkit::require_s3();
    let user_url = user.map_or_else(
        || "http://127.0.0.1:9/graphql".into(),
        |u| format!("{}/graphql", u.base),
    );
    let mut c =
        upload::config::local(&servers(), format!("{}/graphql", video.base), user_url).unwrap();
    c.limits.part_size = 5 * MIB as u64;
    c.register.retry_secs = 3;
    c
}

/// The upload service with the video subgraph (and the user subgraph when `with_user`).
pub struct Stack {
    pub upload: Running,
    pub video: Running,
    pub user: Option<Running>,
    pub config: upload::config::Config,
    pub http: Client,
    keys: TokenKeys,
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(false, |_| {}).await
    }

    pub async fn start_with(
        with_user: bool,
        tune: impl FnOnce(&mut upload::config::Config),
    ) -> Self {
        let video = video().await;
        let user = if with_user { Some(user().await) } else { None };
        let mut c = config(&video, user.as_ref());
        tune(&mut c);
        let config = c.clone();
        let database = c.db.database.clone();
        let upload = serve(None, c, &database, upload::run).await;
        Self {
            keys: testkit::signed::dev_tokens(3600),
            upload,
            video,
            user,
            config,
            http: Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.upload.base)
    }

    /// A valid access token of `user`.
    pub fn token(&self, user: i64) -> String {
        self.keys.issue(user, 1, 1, unix_now()).access
    }

    /// POST /uploads with an `Upload-Length`, the token of `user` and `meta` pairs; returns the
    /// response.
    pub async fn create(&self, user: i64, length: usize, meta: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/uploads"))
            .header(TUS.0, TUS.1)
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata(meta))
            .bearer_auth(self.token(user))
            .send()
            .await
            .unwrap()
    }

    /// Creates a video upload and returns its path (`/uploads/<id>`).
    pub async fn new_video(&self, user: i64, length: usize, title: &str) -> String {
        let res = self
            .create(user, length, &[("title", title), ("filename", "clip.mp4")])
            .await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        location(&res)
    }

    /// PATCH `bytes` at `offset` as `user`.
    pub async fn patch(&self, path: &str, user: i64, offset: usize, bytes: Vec<u8>) -> Response {
        self.http
            .patch(self.url(path))
            .header(TUS.0, TUS.1)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .bearer_auth(self.token(user))
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// HEAD's `Upload-Offset` (`None` with the status when it is not 200).
    pub async fn offset(&self, path: &str) -> Result<usize, u16> {
        let res = self
            .http
            .head(self.url(path))
            .header(TUS.0, TUS.1)
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            return Err(res.status().as_u16());
        }
        Ok(header(&res, "upload-offset").parse().unwrap())
    }

    /// The videos the video subgraph recorded for `user` (id, title, sizeBytes, contentType, and
    /// the object's URL).
    pub async fn videos_of(&self, user: i64) -> Vec<Value> {
        self.videos_at(&self.video.base, user).await
    }

    /// Like [`Stack::videos_of`], asking the video subgraph at `base`.
    pub async fn videos_at(&self, base: &str, user: i64) -> Vec<Value> {
        let body: Value = testkit::signed::Signer::new()
            .post(&format!("{base}/graphql"), &Caller::Service("upload".into()), None)
            .json(&json!({
                "query": "query($u: ID!) { videosByAuthor(userId: $u) { items { id title description sizeBytes contentType videoUrl } total } }",
                "variables": {"u": user.to_string()},
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["data"]["videosByAuthor"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The bytes at a (presigned) URL.
    pub async fn fetch(&self, url: &str) -> Vec<u8> {
        let res = self.http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {url}");
        res.bytes().await.unwrap().to_vec()
    }

    /// A row count in the upload service's database.
    pub async fn count(&self, sql: &str) -> i64 {
        count_in(&self.config.db.database, sql).await
    }
}

pub async fn count_in(database: &str, sql: &str) -> i64 {
    let pool = sqlx::MySqlPool::connect(&format!("{}/{database}", testkit::mysql_url()))
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// An `Upload-Metadata` value.
pub fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn location(res: &Response) -> String {
    header(res, "location")
}

pub use testkit::{mp4, unix_now};

/// A small real PNG (1x1).
pub fn png() -> Vec<u8> {
    STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
        .unwrap()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A user id no other test uses.
pub fn some_user() -> i64 {
    1_000_000 + i64::from(rand::random::<u32>() % 1_000_000_000)
}

/// The upload service as its own process (the crash and memory tests kill and measure it).
pub struct Process {
    pub child: std::process::Child,
    pub base: String,
    env: Vec<(String, String)>,
}

impl Process {
    /// Starts `clipfed-upload` with the test configuration of `c` on a free port.
    pub async fn start(c: &upload::config::Config, log: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        use secrecy::ExposeSecret;
        let env = vec![
            ("CLIPFED_HTTP__LISTEN".into(), format!("127.0.0.1:{port}")),
            (
                "CLIPFED_DB__URL".into(),
                c.db.url.expose_secret().to_owned(),
            ),
            ("CLIPFED_DB__DATABASE".into(), c.db.database.clone()),
            ("CLIPFED_S3__ENDPOINT".into(), c.s3.endpoint.clone()),
            (
                "CLIPFED_LIMITS__PART_SIZE".into(),
                c.limits.part_size.to_string(),
            ),
            (
                "CLIPFED_REGISTER__VIDEO_URL".into(),
                c.register.video_url.clone(),
            ),
            ("CLIPFED_TELEMETRY__LOG_FORMAT".into(), "json".into()),
        ];
        let mut p = Self {
            child: spawn(&env, log),
            base: format!("http://127.0.0.1:{port}"),
            env,
        };
        p.wait_ready().await;
        p
    }

    async fn wait_ready(&mut self) {
        testkit::wait_ready(&format!("{}/readyz", self.base)).await;
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts the binary again on the same port and configuration.
    pub async fn restart(&mut self, log: &std::path::Path) {
        self.child = spawn(&self.env, log);
        self.wait_ready().await;
    }

    /// Resident set size now and at its peak, bytes (from /proc).
    pub fn rss(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib = |field: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (kib("VmRSS:") * 1024, kib("VmHWM:") * 1024)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(env: &[(String, String)], log: &std::path::Path) -> std::process::Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_clipfed-upload"))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap()
}

/// A request body of `len` bytes of [`mp4`]-like content made on the fly in 64 KiB chunks, fed
/// through a channel so the test can stop feeding at any point; returns the body and the sender
/// side's handle.
pub fn generated(
    len: usize,
    seed: u64,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    const CHUNK: usize = 64 * 1024;
    let head = mp4(CHUNK, seed);
    futures::stream::unfold(0usize, move |sent| {
        let head = head.clone();
        async move {
            if sent >= len {
                return None;
            }
            let n = CHUNK.min(len - sent);
            let chunk = if sent == 0 {
                head[..n].to_vec()
            } else {
                testkit::noise(sent as u64, n)
            };
            Some((Ok(chunk), sent + n))
        }
    })
}
