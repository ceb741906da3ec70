//! Every list and count (chat's too) is served by its index: EXPLAIN each statement over a few thousand rows
//! (with fresh statistics) and check the index used and that nothing scans a whole table or sorts.

use social::store::{chat, comments, follows, likes};
use testkit::explain::{Bind, Plan};

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
    let cases: Vec<(&'static str, String, &'static str, Vec<i64>)> = vec![
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
    assert_plans(&pool, cases).await;
    assert_writes_are_key_lookups(&pool).await;
    app.cleanup().await;
}

/// A like and its cancel each touch one likes row and one known video, both by primary key.
async fn assert_writes_are_key_lookups(pool: &sqlx::MySqlPool) {
    let plan = |name, sql: &str, args: Vec<i64>| {
        Plan::new(
            name,
            sql.replace("{s}", "0"),
            "",
            args.into_iter().map(Bind::from).collect(),
        )
    };
    testkit::explain::assert_key_lookups(
        pool,
        vec![
            plan(
                "likes.insert",
                likes::INSERT,
                vec![1, 4, 0, 1_700_000_000, 4],
            ),
            plan("likes.delete", likes::DELETE, vec![1, 4, 0]),
        ],
    )
    .await;
}

/// Checks each `(name, sql, index of the first table, arguments)` with testkit's EXPLAIN checker.
async fn assert_plans(
    pool: &sqlx::MySqlPool,
    cases: Vec<(&'static str, String, &'static str, Vec<i64>)>,
) {
    let plans = cases
        .into_iter()
        .map(|(name, sql, index, args)| {
            Plan::new(name, sql, index, args.into_iter().map(Bind::from).collect())
        })
        .collect();
    testkit::explain::assert_plans(pool, plans).await;
}

#[tokio::test]
async fn every_chat_read_uses_its_index_without_a_scan_or_sort() {
    let app = spawn_app().await;
    let pool = app.sql().await;
    let at = |n: i64| {
        chrono::DateTime::from_timestamp(1_700_000_000 + n, 0)
            .unwrap()
            .naive_utc()
    };
    // 3000 private messages over 300 pairs (a third unread), 100 groups of 10 members, 3000
    // group messages.
    let mut q = sqlx::QueryBuilder::new(
        "INSERT INTO chat_messages (id, sender_id, receiver_id, pair_lo, pair_hi, content, created_at, read_at) ",
    );
    q.push_values(0..3000_i64, |mut row, n| {
        let (a, b) = (n % 300, 300 + n % 7);
        let (from, to) = if n % 2 == 0 { (a, b) } else { (b, a) };
        row.push_bind(n + 1)
            .push_bind(from)
            .push_bind(to)
            .push_bind(a.min(b))
            .push_bind(a.max(b))
            .push_bind("m")
            .push_bind(at(n))
            .push_bind((n % 3 != 0).then(|| at(n)));
    });
    q.build().execute(&pool).await.unwrap();
    let mut q =
        sqlx::QueryBuilder::new("INSERT INTO chat_groups (id, name, owner_id, created_at) ");
    q.push_values(0..100_i64, |mut row, g| {
        row.push_bind(g + 1)
            .push_bind("g")
            .push_bind(g)
            .push_bind(at(g));
    });
    q.build().execute(&pool).await.unwrap();
    let mut q =
        sqlx::QueryBuilder::new("INSERT INTO chat_group_members (group_id, user_id, joined_at) ");
    q.push_values(0..1000_i64, |mut row, n| {
        row.push_bind(n / 10 + 1)
            .push_bind(n % 300)
            .push_bind(at(n));
    });
    q.build().execute(&pool).await.unwrap();
    let mut q = sqlx::QueryBuilder::new(
        "INSERT INTO chat_group_messages (id, group_id, sender_id, content, created_at) ",
    );
    q.push_values(0..3000_i64, |mut row, n| {
        row.push_bind(n + 1)
            .push_bind(n % 100 + 1)
            .push_bind(n % 300)
            .push_bind("m")
            .push_bind(at(n));
    });
    q.build().execute(&pool).await.unwrap();
    sqlx::raw_sql(
        "ANALYZE TABLE chat_messages, chat_groups, chat_group_members, chat_group_messages",
    )
    .execute(&pool)
    .await
    .unwrap();

    let cases: Vec<(&'static str, String, &'static str, Vec<i64>)> = vec![
        (
            "chat.history",
            chat::HISTORY.into(),
            "ix_chat_pair",
            vec![5, 305, 10, 0],
        ),
        (
            "chat.count_history",
            chat::COUNT_HISTORY.into(),
            "ix_chat_pair",
            vec![5, 305],
        ),
        (
            "chat.unread",
            chat::UNREAD.into(),
            "ix_chat_unread",
            vec![5],
        ),
        (
            "chat.groups_of",
            chat::GROUPS_OF.into(),
            "ix_chat_member_groups",
            vec![5],
        ),
        (
            "chat.group_history",
            chat::GROUP_HISTORY.into(),
            "ix_chat_group_history",
            vec![7, 10, 0],
        ),
        (
            "chat.count_group_history",
            chat::COUNT_GROUP_HISTORY.into(),
            "ix_chat_group_history",
            vec![7],
        ),
    ];
    assert_plans(&pool, cases).await;
    app.cleanup().await;
}
