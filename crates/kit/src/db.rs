//! MySQL (MariaDB locally): per-service database creation, the pool, embedded migrations, pool gauges.
//!
//! Each service owns one database and migrates it at start-up with the migrations embedded in its
//! binary (`sqlx::migrate!()`); nothing else ever touches that database. SQL must run on MySQL 8 and
//! MariaDB 10.11 alike: `utf8mb4_unicode_ci`, no MySQL-8-only syntax.
//!
//! **Statement shapes.** sqlx prepares every statement with arguments and keeps it in a per-connection
//! cache ([`STATEMENT_CACHE`] entries). Evicting one sends `COM_STMT_CLOSE`, which the server never
//! answers, right before the next `COM_STMT_EXECUTE`; sqlx does not set `TCP_NODELAY`, so Nagle holds
//! that execute until the server's delayed ACK, 40 ms later. A statement's text must therefore come
//! from a small set of shapes: values are always bound (`push_bind`), never formatted into the SQL,
//! so an `IN (...)` list has one shape per length, and the cache is sized to hold them all.

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::config::DbConfig;
use crate::telemetry::{metrics, names};

/// Why the database could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database name {0:?} is not a lowercase identifier (a-z, 0-9, _; at most 64)")]
    BadName(String),
    #[error("invalid database URL: {0}")]
    BadUrl(#[source] sqlx::Error),
    #[error("cannot reach the database server: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot create database {name}: {source}")]
    Create { name: String, source: sqlx::Error },
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Prepared statements kept per connection: room for every shape a service uses, `IN` lists of
/// each common length included (see the module header), while five services of ten connections
/// stay under MariaDB's default `max_prepared_stmt_count` (16382).
pub const STATEMENT_CACHE: usize = 256;

/// Creates the service database when missing, opens the pool and applies `migrator`.
#[tracing::instrument(skip_all, fields(db.namespace = %cfg.database))]
pub async fn connect(cfg: &DbConfig, migrator: &Migrator) -> Result<MySqlPool, DbError> {
    if !valid_name(&cfg.database) {
        return Err(DbError::BadName(cfg.database.clone()));
    }
    let server = MySqlConnectOptions::from_str(cfg.url.expose_secret()).map_err(DbError::BadUrl)?;
    let server = server.log_statements(tracing::log::LevelFilter::Debug);
    let mut admin = server.connect().await.map_err(DbError::Connect)?;
    // The name was checked above: backquoting is enough, identifiers cannot be bound as parameters.
    let ddl = format!(
        "CREATE DATABASE IF NOT EXISTS `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        cfg.database
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(&mut admin)
        .await
        .map_err(|source| DbError::Create {
            name: cfg.database.clone(),
            source,
        })?;
    let _ = admin.close().await;

    let pool = open(server, cfg, cfg.max_connections).await?;
    migrator.run(&pool).await?;
    watch_pool(&cfg.database, &pool);
    tracing::info!(db.namespace = %cfg.database, "database ready");
    Ok(pool)
}

/// Another pool of at most `max_connections` on the database [`connect`] prepared: a connection
/// budget of its own, so what holds connections for long (the upload service's per-upload locks)
/// cannot take those the queries need. Not counted in the pool gauges.
pub async fn extra_pool(cfg: &DbConfig, max_connections: u32) -> Result<MySqlPool, DbError> {
    let server = MySqlConnectOptions::from_str(cfg.url.expose_secret()).map_err(DbError::BadUrl)?;
    open(server, cfg, max_connections).await
}

/// A pooled connection idle at least this long is pinged before it is handed out (the server may
/// have dropped it meanwhile: restart, `wait_timeout`); one used more recently is handed out as is.
/// sqlx's default pings before every acquire, one more round trip per query: the like path made
/// two acquires and so two pings per like (`docs/performance.md`).
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

async fn open(
    server: MySqlConnectOptions,
    cfg: &DbConfig,
    max_connections: u32,
) -> Result<MySqlPool, DbError> {
    let server = server
        .log_statements(tracing::log::LevelFilter::Debug)
        .statement_cache_capacity(STATEMENT_CACHE);
    MySqlPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(server.database(&cfg.database))
        .await
        .map_err(DbError::Connect)
}

/// Mirrors the pool's idle and used connection counts into `db_client_connection_count`.
pub fn watch_pool(database: &str, pool: &MySqlPool) {
    let gauge = metrics::gauge_vec(
        names::DB_POOL_CONNECTIONS,
        "Connections in the pool",
        &["db_namespace", "state"],
    );
    let (idle, used) = (
        gauge.with_label_values(&[database, "idle"]),
        gauge.with_label_values(&[database, "used"]),
    );
    let pool = pool.clone();
    metrics::on_scrape(move || {
        let (size, free) = (i64::from(pool.size()), pool.num_idle() as i64);
        idle.set(free);
        used.set(size - free);
    });
}

/// Counts one query of `operation` (e.g. `videos.feed`) in `db_client_operations_total`, so tests
/// and dashboards see which paths reach MySQL.
pub fn count_operation(operation: &str) {
    static OPS: std::sync::OnceLock<prometheus::IntCounterVec> = std::sync::OnceLock::new();
    OPS.get_or_init(|| {
        metrics::counter_vec(
            names::DB_CLIENT_OPERATIONS,
            "Database queries by operation",
            &["db_operation_name"],
        )
    })
    .with_label_values(&[operation])
    .inc();
}

/// The `/readyz` check of a service's database.
pub fn readiness(pool: &MySqlPool) -> crate::server::Check {
    let pool = pool.clone();
    crate::server::Check::new("mysql", move || {
        let pool = pool.clone();
        async move { ping(&pool).await.map_err(|e| e.to_string()) }
    })
}

/// `SELECT 1` for readiness probes.
pub async fn ping(pool: &MySqlPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(drop)
}

/// Rows deleted per statement by [`prune_older_ids`].
const PRUNE_BATCH: i64 = 10_000;

/// Deletes rows whose time-ordered id ([`crate::id`]) is older than `retention`, at most 10 000
/// per statement until none are left; returns how many went. `delete` is
/// `DELETE FROM <table> WHERE <id column> < ? LIMIT ?`.
pub async fn prune_older_ids(
    pool: &MySqlPool,
    delete: &'static str,
    retention: Duration,
) -> Result<u64, sqlx::Error> {
    let cutoff = chrono::Utc::now().timestamp_millis() - retention.as_millis() as i64;
    let before = crate::id::first_id_at(cutoff.max(0) as u64);
    let mut total = 0;
    loop {
        let done = sqlx::query(delete)
            .bind(before)
            .bind(PRUNE_BATCH)
            .execute(pool)
            .await?;
        total += done.rows_affected();
        if done.rows_affected() < PRUNE_BATCH as u64 {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn database_names_must_be_plain_identifiers() {
        assert!(valid_name("clipfed_user"));
        assert!(valid_name("t1_x"));
        for bad in ["", "1abc", "Upper", "a-b", "a`b", "a;drop", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad:?} accepted");
        }
    }
}
