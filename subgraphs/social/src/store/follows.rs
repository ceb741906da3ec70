//! The follow graph: one row per follow, `mutual` set on both rows of a pair that follow each
//! other. Reads: the primary key `(follower_id, followee_id)`; `ix_follows_following`,
//! `ix_follows_followers` and `ix_follows_friends` for the three lists, newest first.

use chrono::NaiveDateTime;
use sqlx::{MySqlConnection, MySqlPool, QueryBuilder};

pub const FOLLOWING: &str = "SELECT followee_id FROM follows WHERE follower_id = ? \
    ORDER BY created_at DESC, followee_id DESC LIMIT ? OFFSET ?";
pub const COUNT_FOLLOWING: &str = "SELECT COUNT(*) FROM follows WHERE follower_id = ?";
pub const FOLLOWERS: &str = "SELECT follower_id FROM follows WHERE followee_id = ? \
    ORDER BY created_at DESC, follower_id DESC LIMIT ? OFFSET ?";
pub const COUNT_FOLLOWERS: &str = "SELECT COUNT(*) FROM follows WHERE followee_id = ?";
pub const FRIENDS: &str = "SELECT followee_id FROM follows WHERE follower_id = ? AND mutual = 1 \
    ORDER BY created_at DESC, followee_id DESC LIMIT ? OFFSET ?";
pub const COUNT_FRIENDS: &str = "SELECT COUNT(*) FROM follows WHERE follower_id = ? AND mutual = 1";
/// Follow counts per user (the counter rebuild).
pub const FOLLOWING_COUNTS: &str = "SELECT follower_id, COUNT(*) FROM follows GROUP BY follower_id";
pub const FOLLOWER_COUNTS: &str = "SELECT followee_id, COUNT(*) FROM follows GROUP BY followee_id";

/// Adds `follower → followee` and marks the pair mutual when the reverse exists. A duplicate key
/// means the follow exists already. Two users following each other at once can deadlock here
/// (each locks its own new row, then the other's): the caller retries.
pub async fn follow(
    conn: &mut MySqlConnection,
    follower: i64,
    followee: i64,
    at: NaiveDateTime,
) -> Result<(), sqlx::Error> {
    kit::db::count_operation("follows.insert");
    sqlx::query(
        "INSERT INTO follows (follower_id, followee_id, mutual, created_at) VALUES (?, ?, 0, ?)",
    )
    .bind(follower)
    .bind(followee)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let reverse: Option<i64> = sqlx::query_scalar(
        "SELECT follower_id FROM follows WHERE follower_id = ? AND followee_id = ? FOR UPDATE",
    )
    .bind(followee)
    .bind(follower)
    .fetch_optional(&mut *conn)
    .await?;
    if reverse.is_some() {
        set_mutual(conn, follower, followee, true).await?;
    }
    Ok(())
}

/// Removes `follower → followee`; false when there was none. The reverse row stops being mutual.
pub async fn unfollow(
    conn: &mut MySqlConnection,
    follower: i64,
    followee: i64,
) -> Result<bool, sqlx::Error> {
    kit::db::count_operation("follows.delete");
    let mutual: Option<bool> = sqlx::query_scalar(
        "SELECT mutual FROM follows WHERE follower_id = ? AND followee_id = ? FOR UPDATE",
    )
    .bind(follower)
    .bind(followee)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(mutual) = mutual else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM follows WHERE follower_id = ? AND followee_id = ?")
        .bind(follower)
        .bind(followee)
        .execute(&mut *conn)
        .await?;
    if mutual {
        set_mutual(conn, follower, followee, false).await?;
    }
    Ok(true)
}

async fn set_mutual(
    conn: &mut MySqlConnection,
    a: i64,
    b: i64,
    mutual: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE follows SET mutual = ? WHERE (follower_id = ? AND followee_id = ?) OR (follower_id = ? AND followee_id = ?)",
    )
    .bind(mutual)
    .bind(a)
    .bind(b)
    .bind(b)
    .bind(a)
    .execute(conn)
    .await
    .map(drop)
}

/// Which of `users` `viewer` follows.
pub async fn followed_among(
    pool: &MySqlPool,
    viewer: i64,
    users: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    kit::db::count_operation("follows.followed_among");
    among(pool, viewer, users, "").await
}

/// Which of `users` are friends of `viewer` (both follow each other).
pub async fn friends_among(
    pool: &MySqlPool,
    viewer: i64,
    users: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    kit::db::count_operation("follows.friends_among");
    among(pool, viewer, users, " AND mutual = 1").await
}

/// Which of `users` `viewer` follows with the extra `condition` (the primary key's range).
async fn among(
    pool: &MySqlPool,
    viewer: i64,
    users: &[i64],
    condition: &'static str,
) -> Result<Vec<i64>, sqlx::Error> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::new("SELECT followee_id FROM follows WHERE follower_id = ");
    q.push_bind(viewer)
        .push(condition)
        .push(" AND followee_id IN (");
    let mut list = q.separated(", ");
    for id in users {
        list.push_bind(*id);
    }
    q.push(")");
    q.build_query_scalar().fetch_all(pool).await
}

/// The three lists of one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Following(i64),
    Followers(i64),
    Friends(i64),
}

impl List {
    fn sql(self) -> (&'static str, &'static str, i64) {
        match self {
            List::Following(u) => (FOLLOWING, COUNT_FOLLOWING, u),
            List::Followers(u) => (FOLLOWERS, COUNT_FOLLOWERS, u),
            List::Friends(u) => (FRIENDS, COUNT_FRIENDS, u),
        }
    }
}

/// One page of user ids, newest follow first.
pub async fn page(
    pool: &MySqlPool,
    list: List,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let (sql, _, user) = list.sql();
    kit::db::count_operation("follows.page");
    sqlx::query_scalar(sql)
        .bind(user)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
}

/// How many users a list holds.
pub async fn count(pool: &MySqlPool, list: List) -> Result<i64, sqlx::Error> {
    let (_, sql, user) = list.sql();
    kit::db::count_operation("follows.count");
    sqlx::query_scalar(sql).bind(user).fetch_one(pool).await
}
