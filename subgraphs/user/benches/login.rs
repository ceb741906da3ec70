//! Login cost: argon2id verification at candidate parameters, and a whole login over HTTP.
//!
//! `cargo bench -p clipfed-user --bench login` (the `login_over_http` group needs the local
//! MariaDB and Redis: `cargo run -p clipfed -- up` first). Results and the choice they support are in
//! docs/performance.md.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use secrecy::SecretString;
use serde_json::{Value, json};
use testkit::signed::Signer;
use user::domain::password::{Password, PasswordHasher};

/// (memory KiB, iterations) candidates at parallelism 1: the configured default first, then the
/// other OWASP-equivalent settings and RFC 9106's memory-constrained recommendation.
const CANDIDATES: &[(u32, u32)] = &[
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (47_104, 1),
    (65_536, 3),
];

fn argon2_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id_verify");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let password = Password::parse("bench-passw0rd").unwrap();
    for &(memory, iterations) in CANDIDATES {
        let hasher = PasswordHasher::new(memory, iterations, 1).unwrap();
        let phc = hasher.hash(&password);
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("m{memory}_t{iterations}")),
            &phc,
            |b, phc| b.iter(|| assert!(hasher.verify(&password, phc))),
        );
    }
    group.finish();
}

/// Starts the service with its default (production) password cost on a scratch database; its
/// URL, database and a signer of requests as the router forwards them.
async fn start() -> (String, String, Signer) {
    testkit::require_mysql();
    testkit::require_redis();
    let database = testkit::unique("clipfed_bench_user");
    let mut config: user::config::Config =
        kit::config::load_from(user::config::DEFAULTS, None, Vec::new()).unwrap();
    config.db.url = SecretString::from(testkit::mysql_url());
    config.db.database = database.clone();
    config.redis.url = SecretString::from(testkit::redis_url());
    let signer = Signer::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(user::run(config, listener, std::future::pending()));
    testkit::wait_ready(&url.replace("/graphql", "/readyz")).await;
    (url, database, signer)
}

async fn call(signer: &Signer, url: &str, query: &str, variables: Value) -> Value {
    let anonymous = kit::caller::Caller::Anonymous;
    signer
        .graphql(url, &anonymous, None, query, variables)
        .await
}

fn login_over_http(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, database, signer) = runtime.block_on(start());
    let register =
        "mutation { register(username: \"bench\", password: \"bench-passw0rd\") { id } }";
    runtime.block_on(call(&signer, &url, register, json!({})));
    let login =
        "mutation { login(username: \"bench\", password: \"bench-passw0rd\") { accessToken } }";
    let mut group = c.benchmark_group("login_over_http");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("default_cost", |b| {
        b.to_async(&runtime).iter(|| async {
            let body = call(&signer, &url, login, json!({})).await;
            assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
        })
    });
    group.finish();
    runtime.block_on(testkit::drop_database(&database));
}

criterion_group!(benches, argon2_verify, login_over_http);
criterion_main!(benches);
