//! Likes and comments are split by video id over `count` tables (`likes_<n>`, `comments_<n>`,
//! n = video id mod count). A comment's id is drawn so that it falls in its video's shard, so a
//! comment id alone names its table, and a comment's likes sit in the same shard as the comment.
//!
//! The count is recorded in `meta` on first start; a later start with another count is refused
//! (moving rows between shards is a migration, not a configuration change).

use sqlx::{AssertSqlSafe, MySqlPool};

/// The shard layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shards {
    count: u32,
}

const LIKES: &str = "CREATE TABLE IF NOT EXISTS likes_{s} (
    target_kind TINYINT     NOT NULL,
    target_id   BIGINT      NOT NULL,
    user_id     BIGINT      NOT NULL,
    video_id    BIGINT      NOT NULL,
    created_at  DATETIME(3) NOT NULL,
    PRIMARY KEY (target_kind, target_id, user_id),
    KEY ix_likes_user (user_id, target_kind, created_at, target_id)
) ENGINE = InnoDB";

const COMMENTS: &str = "CREATE TABLE IF NOT EXISTS comments_{s} (
    id         BIGINT      NOT NULL PRIMARY KEY,
    video_id   BIGINT      NOT NULL,
    parent_id  BIGINT      NOT NULL,
    author_id  BIGINT      NOT NULL,
    content    TEXT        NOT NULL,
    created_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    deleted_at DATETIME(3) NULL,
    KEY ix_comments_video (video_id, parent_id, deleted_at, id),
    KEY ix_comments_parent (parent_id, deleted_at, id)
) ENGINE = InnoDB";

impl Shards {
    /// A layout of `count` shards without touching a database (for tests of the arithmetic).
    pub fn new(count: u32) -> Self {
        Self {
            count: count.max(1),
        }
    }

    /// Records or checks the shard count and creates the shard tables that are missing.
    pub async fn open(pool: &MySqlPool, count: u32) -> anyhow::Result<Self> {
        let shards = Self::new(count);
        sqlx::query("INSERT IGNORE INTO meta (name, value) VALUES ('shard_count', ?)")
            .bind(shards.count.to_string())
            .execute(pool)
            .await?;
        let recorded: String =
            sqlx::query_scalar("SELECT value FROM meta WHERE name = 'shard_count'")
                .fetch_one(pool)
                .await?;
        if recorded != shards.count.to_string() {
            anyhow::bail!(
                "shards.count is {} but this database was created with {recorded} shards; \
                 set shards.count = {recorded} (resharding needs a migration)",
                shards.count
            );
        }
        for shard in shards.all() {
            for ddl in [LIKES, COMMENTS] {
                sqlx::raw_sql(shards.sql(ddl, shard)).execute(pool).await?;
            }
        }
        Ok(shards)
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// Every shard number.
    pub fn all(&self) -> std::ops::Range<u32> {
        0..self.count
    }

    /// The shard of a video (and of its comments and likes), or of a comment id.
    pub fn of(&self, id: i64) -> u32 {
        id.rem_euclid(i64::from(self.count)) as u32
    }

    /// A fresh time-ordered id that falls in `shard` (on average `count` draws).
    pub fn next_id_in(&self, shard: u32) -> i64 {
        loop {
            let id = kit::id::next_id();
            if self.of(id) == shard {
                return id;
            }
        }
    }

    /// `template` with `{s}` replaced by the shard number (table names cannot be bound).
    pub fn sql(&self, template: &str, shard: u32) -> AssertSqlSafe<String> {
        AssertSqlSafe(template.replace("{s}", &shard.to_string()))
    }

    /// `ids` grouped by shard.
    pub fn group(&self, ids: &[i64]) -> Vec<(u32, Vec<i64>)> {
        let mut groups: Vec<(u32, Vec<i64>)> = Vec::new();
        for &id in ids {
            let shard = self.of(id);
            match groups.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, list)) => list.push(id),
                None => groups.push((shard, vec![id])),
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_land_in_the_shard_they_were_drawn_for() {
        let shards = Shards::new(4);
        for shard in shards.all() {
            for _ in 0..50 {
                assert_eq!(shards.of(shards.next_id_in(shard)), shard);
            }
        }
        assert_eq!(shards.of(-3), 1);
        assert_eq!(Shards::new(0).count(), 1);
    }

    #[test]
    fn grouping_and_table_names() {
        let shards = Shards::new(3);
        assert_eq!(
            shards.group(&[3, 4, 6, 5, 7]),
            vec![(0, vec![3, 6]), (1, vec![4, 7]), (2, vec![5])]
        );
        assert_eq!(
            shards.sql("SELECT 1 FROM likes_{s}", 2).0,
            "SELECT 1 FROM likes_2"
        );
    }
}
