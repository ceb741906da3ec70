//! kit::db against the real MariaDB: database creation, embedded migrations, idempotent restarts.

use kit::config::DbConfig;
use kit::db::{self, DbError};
use secrecy::SecretString;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/migrations");

fn config(database: &str) -> DbConfig {
    DbConfig {
        url: SecretString::from(testkit::mysql_url()),
        database: database.to_owned(),
        max_connections: 3,
        acquire_timeout_secs: 5,
    }
}

#[tokio::test]
async fn connect_creates_the_database_and_applies_migrations() {
    testkit::require_mysql();
    let name = testkit::unique("clipfed_test_db");
    let pool = db::connect(&config(&name), &MIGRATOR)
        .await
        .expect("connect");
    sqlx::query("INSERT INTO widgets (id, name, color) VALUES (?, ?, ?)")
        .bind(kit::id::next_id())
        .bind("ünïcødé 中文 🎬")
        .bind("red")
        .execute(&pool)
        .await
        .unwrap();
    let (stored,): (String,) = sqlx::query_as("SELECT name FROM widgets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, "ünïcødé 中文 🎬", "utf8mb4 round trip");
    let (collation,): (String,) = sqlx::query_as(
        "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(&name)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(collation, "utf8mb4_unicode_ci");
    pool.close().await;
    testkit::drop_database(&name).await;
}

#[tokio::test]
async fn reconnecting_is_idempotent_and_keeps_data() {
    testkit::require_mysql();
    let name = testkit::unique("clipfed_test_db");
    let pool = db::connect(&config(&name), &MIGRATOR).await.unwrap();
    sqlx::query("INSERT INTO widgets (id, name) VALUES (1, 'kept')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let pool = db::connect(&config(&name), &MIGRATOR)
        .await
        .expect("second start");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM widgets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied, 2, "each migration recorded once");
    pool.close().await;
    testkit::drop_database(&name).await;
}

#[tokio::test]
async fn hostile_database_names_are_rejected_before_any_sql() {
    let err = db::connect(&config("x`; DROP DATABASE mysql; --"), &MIGRATOR)
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::BadName(_)), "{err}");
}

#[tokio::test]
async fn unreachable_server_is_a_connect_error() {
    let mut cfg = config("clipfed_test_unreachable");
    // Port 1 on loopback: nothing listens there.
    cfg.url = SecretString::from("mysql://root@127.0.0.1:1".to_owned());
    let err = db::connect(&cfg, &MIGRATOR).await.unwrap_err();
    assert!(matches!(err, DbError::Connect(_)), "{err}");
}

#[tokio::test]
async fn ping_answers_on_a_live_pool() {
    testkit::require_mysql();
    let name = testkit::unique("clipfed_test_db");
    let pool = db::connect(&config(&name), &MIGRATOR).await.unwrap();
    db::ping(&pool).await.expect("ping");
    pool.close().await;
    testkit::drop_database(&name).await;
}

#[tokio::test]
async fn a_connection_the_server_dropped_while_idle_is_replaced_not_handed_out() {
    testkit::require_mysql();
    let name = testkit::unique("clipfed_test_db");
    let mut one = config(&name);
    one.max_connections = 1;
    let pool = db::connect(&one, &MIGRATOR).await.unwrap();
    let id = |pool: sqlx::MySqlPool| async move {
        sqlx::query_scalar::<_, u64>("SELECT CONNECTION_ID()")
            .fetch_one(&pool)
            .await
    };
    let first = id(pool.clone()).await.unwrap();
    // Another session ends the pooled one, as a server restart or wait_timeout would.
    let mut admin = <sqlx::MySqlConnection as sqlx::Connection>::connect(&testkit::mysql_url())
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("KILL {first}")))
        .execute(&mut admin)
        .await
        .unwrap();
    // Idle past the threshold: the ping before handing it out finds it dead and a new one opens.
    tokio::time::sleep(db::PING_AFTER_IDLE + std::time::Duration::from_millis(500)).await;
    let second = id(pool.clone())
        .await
        .expect("the pool replaced the dropped connection");
    assert_ne!(second, first);
    pool.close().await;
    testkit::drop_database(&name).await;
}
