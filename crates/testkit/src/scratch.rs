//! Databases a test makes, dropped when the test ends however it ends.
//!
//! A service under test creates its database at start-up (`kit::db::connect`). The test names it
//! with a [`ScratchDatabase`] and keeps the guard beside the running service; when the guard drops
//! (the test returned, or panicked and unwound), the database is dropped. Drop cannot await, and
//! may run on a runtime thread where blocking on that runtime is not allowed, so the drop runs on
//! a thread of its own with its own small runtime, and waits for it.

/// The name of a test's database; the database is dropped with the guard.
#[derive(Debug)]
pub struct ScratchDatabase(String);

impl ScratchDatabase {
    /// A fresh name (`prefix_<ms>_<random>`, as [`crate::unique`]).
    pub fn new(prefix: &str) -> Self {
        Self(crate::unique(prefix))
    }

    /// Takes charge of a database named elsewhere (a test configuration's).
    pub fn adopt(name: String) -> Self {
        Self(name)
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// Keeps the database (a service stopped to be restarted on it); its name.
    pub fn keep(mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.0);
        if name.is_empty() {
            return;
        }
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the drop");
            runtime.block_on(crate::drop_database(&name));
        });
        // A failed drop leaves a database behind; it must not turn a passing test into a panic.
        let _ = dropping.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection to the server (no database), or to database `db`.
    async fn connect(db: Option<&str>) -> sqlx::mysql::MySqlConnection {
        use sqlx::Connection;
        let url = match db {
            Some(db) => format!("{}/{db}", crate::mysql_url()),
            None => crate::mysql_url(),
        };
        sqlx::mysql::MySqlConnection::connect(&url)
            .await
            .expect("MariaDB")
    }

    async fn exists(name: &str) -> bool {
        let mut conn = connect(None).await;
        let found: Option<String> = sqlx::query_scalar(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        )
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
        found.is_some()
    }

    async fn create(name: &str) {
        let mut conn = connect(None).await;
        let ddl = sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`"));
        sqlx::raw_sql(ddl).execute(&mut conn).await.unwrap();
    }

    #[tokio::test]
    async fn a_scratch_database_is_dropped_even_when_its_test_panics() {
        crate::require_mysql();
        let guard = ScratchDatabase::new("clipfed_test_scratch");
        let name = guard.name().to_owned();
        create(&name).await;
        assert!(exists(&name).await);
        // A "test" that fails while it holds the guard.
        let failed = std::thread::spawn(move || {
            let _db = guard;
            panic!("a deliberately failing test");
        })
        .join();
        assert!(failed.is_err(), "the test failed");
        assert!(!exists(&name).await, "its database is gone");
    }

    #[tokio::test]
    async fn a_transaction_left_open_on_the_database_does_not_hold_up_the_drop() {
        use sqlx::Connection;
        crate::require_mysql();
        let guard = ScratchDatabase::new("clipfed_test_scratch");
        let name = guard.name().to_owned();
        create(&name).await;
        // A service that has not stopped yet: a transaction holding a table's metadata lock, on
        // a connection this (single-threaded) runtime cannot serve while the drop blocks it.
        let mut holder = connect(Some(&name)).await;
        sqlx::raw_sql("CREATE TABLE t (id INT)")
            .execute(&mut holder)
            .await
            .unwrap();
        let mut tx = holder.begin().await.unwrap();
        sqlx::raw_sql("SELECT * FROM t")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(guard);
        assert!(!exists(&name).await, "dropped despite the open transaction");
    }
}
