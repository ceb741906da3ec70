//! The one EXPLAIN checker: each statement of a store, over rows the test inserted (with fresh
//! statistics), must read its first table through the index it names, scan no table whole, sort
//! nothing, build no temporary table, and reach every joined table by one primary-key lookup
//! ([`assert_plans`]); a single-row write reads every table by its primary key
//! ([`assert_key_lookups`]).

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

/// One row of an EXPLAIN: the table, its access type, the key used and the `Extra` notes.
struct Step {
    table: String,
    access: String,
    key: Option<String>,
    extra: String,
}

async fn explain(pool: &sqlx::MySqlPool, plan: &Plan) -> Vec<Step> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {}", plan.sql)));
    for arg in &plan.args {
        q = match arg.clone() {
            Bind::Int(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
            Bind::Time(v) => q.bind(v),
        };
    }
    let rows = q.fetch_all(pool).await.expect("EXPLAIN answered");
    rows.iter()
        .map(|row| Step {
            table: row.try_get("table").expect("a table column"),
            access: row.try_get("type").expect("a type column"),
            key: row.try_get("key").expect("a key column"),
            extra: row
                .try_get::<Option<String>, _>("Extra")
                .expect("an Extra column")
                .unwrap_or_default(),
        })
        .collect()
}

/// EXPLAINs every plan and asserts the rules above; returns how many tables each one reads.
pub async fn assert_plans(pool: &sqlx::MySqlPool, plans: Vec<Plan>) -> Vec<usize> {
    let mut tables = Vec::with_capacity(plans.len());
    for plan in plans {
        let name = plan.name;
        let steps = explain(pool, &plan).await;
        for (
            i,
            Step {
                table,
                access,
                key,
                extra,
            },
        ) in steps.iter().enumerate()
        {
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
        tables.push(steps.len());
    }
    tables
}

/// EXPLAINs every plan of a single-row write (its arguments pin every primary key) and asserts
/// that each table it reads is one primary-key lookup; with constants the planner may call that
/// `const` or `system` rather than `eq_ref`. The plans' `index` is not used.
pub async fn assert_key_lookups(pool: &sqlx::MySqlPool, plans: Vec<Plan>) {
    for plan in plans {
        let name = plan.name;
        let steps = explain(pool, &plan).await;
        assert!(!steps.is_empty(), "{name}: no plan");
        for Step {
            table, access, key, ..
        } in steps
        {
            assert!(
                matches!(access.as_str(), "const" | "eq_ref" | "system")
                    && key.as_deref() == Some("PRIMARY"),
                "{name}: {table} read by {access} on {key:?}"
            );
        }
    }
}
