//! Every list and count is served by its index: EXPLAIN each statement over a few thousand rows
//! (with fresh statistics) and check the index used and that nothing scans a whole table or sorts.

use social::store::{comments, follows, likes};
use sqlx::Row;

use crate::helpers::*;

#[tokio::test]
async fn every_list_uses_its_index_without_a_scan_or_sort() {
    let app = spawn_app().await;
    let pool = app.sql().await;
    let at = |n: i64| {
        chrono::DateTime::from_timestamp(1_700_000_000 + n, 0)
            .unwrap()
            .naive_utc()
    };
    // 3000 comments over 100 videos (a third are replies), 3000 likes of 300 users,
    // 3000 follows among 300 users, 100 known videos; all in shard 0's tables.
    let mut q = sqlx::QueryBuilder::new("INSERT INTO known_videos (id, author_id) ");
    q.push_values(0..100_i64, |mut row, n| {
        row.push_bind(n * 4).push_bind(1);
    });
    q.build().execute(&pool).await.unwrap();
    for chunk in 0..3_i64 {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO comments_0 (id, video_id, parent_id, author_id, content, created_at, updated_at, deleted_at) ",
        );
        q.push_values(0..1000_i64, |mut row, i| {
            let n = chunk * 1000 + i;
            let parent = if n % 3 == 0 && n > 0 {
                (n - 1) * 4 + 4
            } else {
                0
            };
            row.push_bind(n * 4 + 4)
                .push_bind(n % 100 * 4)
                .push_bind(parent)
                .push_bind(n % 50)
                .push_bind("c")
                .push_bind(at(n))
                .push_bind(at(n))
                .push_bind((n % 10 == 0).then(|| at(n)));
        });
        q.build().execute(&pool).await.unwrap();
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO likes_0 (target_kind, target_id, user_id, video_id, created_at) ",
        );
        q.push_values(0..1000_i64, |mut row, i| {
            let n = chunk * 1000 + i;
            row.push_bind(1)
                .push_bind(n % 100 * 4)
                .push_bind(n / 10)
                .push_bind(n % 100 * 4)
                .push_bind(at(n));
        });
        q.build().execute(&pool).await.unwrap();
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO follows (follower_id, followee_id, mutual, created_at) ",
        );
        q.push_values(0..1000_i64, |mut row, i| {
            let n = chunk * 1000 + i;
            row.push_bind(n % 300)
                .push_bind(1000 + n)
                .push_bind(n % 2)
                .push_bind(at(n));
        });
        q.build().execute(&pool).await.unwrap();
    }
    sqlx::raw_sql("ANALYZE TABLE comments_0, likes_0, follows, known_videos")
        .execute(&pool)
        .await
        .unwrap();

    let shard0 = |sql: &str| sql.replace("{s}", "0");
    let cases: Vec<(&str, String, &str, Vec<i64>)> = vec![
        (
            "likes.by_user",
            shard0(likes::BY_USER),
            "ix_likes_user",
            vec![17, 10],
        ),
        (
            "likes.count_by_user",
            shard0(likes::COUNT_BY_USER),
            "ix_likes_user",
            vec![17],
        ),
        (
            "comments.by_video",
            shard0(comments::BY_VIDEO),
            "ix_comments_video",
            vec![40, 10, 0],
        ),
        (
            "comments.count_by_video",
            shard0(comments::COUNT_BY_VIDEO),
            "ix_comments_video",
            vec![40],
        ),
        (
            "comments.by_parent",
            shard0(comments::BY_PARENT),
            "ix_comments_parent",
            vec![12, 10, 0],
        ),
        (
            "comments.count_by_parent",
            shard0(comments::COUNT_BY_PARENT),
            "ix_comments_parent",
            vec![12],
        ),
        (
            "follows.following",
            follows::FOLLOWING.into(),
            "ix_follows_following",
            vec![17, 10, 0],
        ),
        (
            "follows.count_following",
            follows::COUNT_FOLLOWING.into(),
            "",
            vec![17],
        ),
        (
            "follows.followers",
            follows::FOLLOWERS.into(),
            "ix_follows_followers",
            vec![1017, 10, 0],
        ),
        (
            "follows.count_followers",
            follows::COUNT_FOLLOWERS.into(),
            "ix_follows_followers",
            vec![1017],
        ),
        (
            "follows.friends",
            follows::FRIENDS.into(),
            "ix_follows_friends",
            vec![17, 10, 0],
        ),
        (
            "follows.count_friends",
            follows::COUNT_FRIENDS.into(),
            "ix_follows_friends",
            vec![17],
        ),
    ];
    for (name, sql, want, args) in cases {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")));
        for a in args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(&pool).await.unwrap();
        for (i, row) in rows.iter().enumerate() {
            let table: String = row.try_get("table").unwrap();
            let access: String = row.try_get("type").unwrap();
            let key: Option<String> = row.try_get("key").unwrap();
            let extra: Option<String> = row.try_get("Extra").unwrap();
            let extra = extra.unwrap_or_default();
            assert_ne!(access, "ALL", "{name}: full scan of {table} ({extra})");
            assert!(!extra.contains("filesort"), "{name}: sorts ({extra})");
            assert!(
                !extra.contains("temporary"),
                "{name}: temporary table ({extra})"
            );
            if i == 0 && !want.is_empty() {
                assert_eq!(
                    key.as_deref(),
                    Some(want),
                    "{name}: {table} {access} {extra}"
                );
            }
            if i > 0 {
                // The join to known_videos is one primary-key lookup per row.
                assert_eq!(
                    (access.as_str(), key.as_deref()),
                    ("eq_ref", Some("PRIMARY")),
                    "{name}"
                );
            }
        }
    }
    app.cleanup().await;
}
