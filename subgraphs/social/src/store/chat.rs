//! Chat rows: private messages (`chat_messages`, a conversation is the pair `(pair_lo, pair_hi)`),
//! groups, their members and their messages. Reads: `ix_chat_pair` for a conversation's history,
//! `ix_chat_unread` for unread counts, `ix_chat_member_groups` for a user's groups and
//! `ix_chat_group_history` for a group's history; all newest first by id (ids are time-ordered).

use chrono::NaiveDateTime;
use sqlx::{MySqlPool, QueryBuilder};

pub const HISTORY: &str = "SELECT id, sender_id, receiver_id, content, created_at FROM chat_messages \
    WHERE pair_lo = ? AND pair_hi = ? ORDER BY id DESC LIMIT ? OFFSET ?";
pub const COUNT_HISTORY: &str =
    "SELECT COUNT(*) FROM chat_messages WHERE pair_lo = ? AND pair_hi = ?";
pub const UNREAD: &str = "SELECT sender_id, COUNT(*) FROM chat_messages \
    WHERE receiver_id = ? AND read_at IS NULL GROUP BY sender_id ORDER BY sender_id";
pub const GROUPS_OF: &str = "SELECT g.id, g.name, g.owner_id, g.created_at FROM chat_group_members m \
    JOIN chat_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY m.group_id DESC";
pub const GROUP_HISTORY: &str = "SELECT id, group_id, sender_id, content, created_at \
    FROM chat_group_messages WHERE group_id = ? ORDER BY id DESC LIMIT ? OFFSET ?";
pub const COUNT_GROUP_HISTORY: &str = "SELECT COUNT(*) FROM chat_group_messages WHERE group_id = ?";

/// One private message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub sender_id: i64,
    pub receiver_id: i64,
    pub content: String,
    pub created_at: NaiveDateTime,
}

/// One group message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupMessageRow {
    pub id: i64,
    pub group_id: i64,
    pub sender_id: i64,
    pub content: String,
    pub created_at: NaiveDateTime,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub created_at: NaiveDateTime,
}

/// The conversation key of two users: their ids in order.
pub fn pair(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

pub async fn insert_message(pool: &MySqlPool, m: &MessageRow) -> Result<(), sqlx::Error> {
    kit::db::count_operation("chat.insert_message");
    let (lo, hi) = pair(m.sender_id, m.receiver_id);
    sqlx::query(
        "INSERT INTO chat_messages (id, sender_id, receiver_id, pair_lo, pair_hi, content, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(m.id)
    .bind(m.sender_id)
    .bind(m.receiver_id)
    .bind(lo)
    .bind(hi)
    .bind(&m.content)
    .bind(m.created_at)
    .execute(pool)
    .await
    .map(drop)
}

/// One page of the conversation between `a` and `b`, newest first, and its size.
pub async fn history(
    pool: &MySqlPool,
    a: i64,
    b: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MessageRow>, i64), sqlx::Error> {
    kit::db::count_operation("chat.history");
    let (lo, hi) = pair(a, b);
    let rows = sqlx::query_as(HISTORY)
        .bind(lo)
        .bind(hi)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar(COUNT_HISTORY)
        .bind(lo)
        .bind(hi)
        .fetch_one(pool)
        .await?;
    Ok((rows, total))
}

/// Marks what `sender` sent `receiver` as read; returns how many messages that was.
pub async fn mark_read(
    pool: &MySqlPool,
    receiver: i64,
    sender: i64,
    at: NaiveDateTime,
) -> Result<u64, sqlx::Error> {
    kit::db::count_operation("chat.mark_read");
    sqlx::query(
        "UPDATE chat_messages SET read_at = ? \
         WHERE receiver_id = ? AND read_at IS NULL AND sender_id = ?",
    )
    .bind(at)
    .bind(receiver)
    .bind(sender)
    .execute(pool)
    .await
    .map(|r| r.rows_affected())
}

/// Unread private messages of `receiver`, counted per sender.
pub async fn unread(pool: &MySqlPool, receiver: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    kit::db::count_operation("chat.unread");
    sqlx::query_as(UNREAD).bind(receiver).fetch_all(pool).await
}

/// Creates a group with its members (the owner among them) in one transaction.
pub async fn create_group(
    pool: &MySqlPool,
    group: &GroupRow,
    members: &[i64],
) -> Result<(), sqlx::Error> {
    kit::db::count_operation("chat.create_group");
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO chat_groups (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)")
        .bind(group.id)
        .bind(&group.name)
        .bind(group.owner_id)
        .bind(group.created_at)
        .execute(&mut *tx)
        .await?;
    let mut q = QueryBuilder::new("INSERT INTO chat_group_members (group_id, user_id, joined_at) ");
    q.push_values(members, |mut row, user| {
        row.push_bind(group.id)
            .push_bind(*user)
            .push_bind(group.created_at);
    });
    q.build().execute(&mut *tx).await?;
    tx.commit().await
}

/// The groups `user` belongs to, newest first.
pub async fn groups_of(pool: &MySqlPool, user: i64) -> Result<Vec<GroupRow>, sqlx::Error> {
    kit::db::count_operation("chat.groups_of");
    sqlx::query_as(GROUPS_OF).bind(user).fetch_all(pool).await
}

/// The members of `group` (empty when there is no such group).
pub async fn members(pool: &MySqlPool, group: i64) -> Result<Vec<i64>, sqlx::Error> {
    kit::db::count_operation("chat.members");
    sqlx::query_scalar("SELECT user_id FROM chat_group_members WHERE group_id = ? ORDER BY user_id")
        .bind(group)
        .fetch_all(pool)
        .await
}

pub async fn insert_group_message(
    pool: &MySqlPool,
    m: &GroupMessageRow,
) -> Result<(), sqlx::Error> {
    kit::db::count_operation("chat.insert_group_message");
    sqlx::query(
        "INSERT INTO chat_group_messages (id, group_id, sender_id, content, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(m.id)
    .bind(m.group_id)
    .bind(m.sender_id)
    .bind(&m.content)
    .bind(m.created_at)
    .execute(pool)
    .await
    .map(drop)
}

/// One page of a group's messages, newest first, and their number.
pub async fn group_history(
    pool: &MySqlPool,
    group: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<GroupMessageRow>, i64), sqlx::Error> {
    kit::db::count_operation("chat.group_history");
    let rows = sqlx::query_as(GROUP_HISTORY)
        .bind(group)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar(COUNT_GROUP_HISTORY)
        .bind(group)
        .fetch_one(pool)
        .await?;
    Ok((rows, total))
}
