//! The one EXPLAIN checker: each statement of a store, over rows the test inserted (with fresh
//! statistics), must read its first table through the index it names, scan no table whole, sort
//! nothing, build no temporary table, and reach every joined table by one primary-key lookup.

use sqlx::Row;
use sqlx::types::chrono::NaiveDateTime;

/// A value bound to a statement's placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
    Time(NaiveDateTime),
}

impl From<i64> for Bind {
    fn from(v: i64) -> Self {
        Bind::Int(v)
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Self {
        Bind::Text(v.to_owned())
    }
}

impl From<NaiveDateTime> for Bind {
    fn from(v: NaiveDateTime) -> Self {
        Bind::Time(v)
    }
}

/// One statement to check: `index` is the key its first table must use (`""`: any key).
pub struct Plan {
    pub name: &'static str,
    pub sql: String,
    pub index: &'static str,
    pub args: Vec<Bind>,
}

impl Plan {
    pub fn new(
        name: &'static str,
        sql: impl Into<String>,
        index: &'static str,
        args: Vec<Bind>,
    ) -> Self {
        Self {
            name,
            sql: sql.into(),
            index,
            args,
        }
    }
}

/// EXPLAINs every plan and asserts the rules above; returns how many tables each one reads.
pub async fn assert_plans(pool: &sqlx::MySqlPool, plans: Vec<Plan>) -> Vec<usize> {
    let mut tables = Vec::with_capacity(plans.len());
    for plan in plans {
        let name = plan.name;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {}", plan.sql)));
        for arg in plan.args {
            q = match arg {
                Bind::Int(v) => q.bind(v),
                Bind::Text(v) => q.bind(v),
                Bind::Time(v) => q.bind(v),
            };
        }
        let rows = q.fetch_all(pool).await.expect("EXPLAIN answered");
        for (i, row) in rows.iter().enumerate() {
            let table: String = row.try_get("table").expect("a table column");
            let access: String = row.try_get("type").expect("a type column");
            let key: Option<String> = row.try_get("key").expect("a key column");
            let extra: Option<String> = row.try_get("Extra").expect("an Extra column");
            let extra = extra.unwrap_or_default();
            assert_ne!(access, "ALL", "{name}: full scan of {table} ({extra})");
            assert!(!extra.contains("filesort"), "{name}: sorts ({extra})");
            assert!(
                !extra.contains("temporary"),
                "{name}: temporary table ({extra})"
            );
            if i == 0 && !plan.index.is_empty() {
                assert_eq!(
                    key.as_deref(),
                    Some(plan.index),
                    "{name}: {table} {access} {extra}"
                );
            }
            if i > 0 {
                // A joined table (known_videos, chat_groups) is one primary-key lookup per row.
                assert_eq!(
                    (access.as_str(), key.as_deref()),
                    ("eq_ref", Some("PRIMARY")),
                    "{name}"
                );
            }
        }
        tables.push(rows.len());
    }
    tables
}
