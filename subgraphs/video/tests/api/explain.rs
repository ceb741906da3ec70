//! Every read path is served by its index: EXPLAIN each statement of the store over a few
//! thousand rows (with fresh statistics) and check the index used and that nothing scans the
//! whole table or sorts it.

use sqlx::Connection;
use testkit::explain::{Plan, assert_plans};
use video::store::videos;

use crate::helpers::*;

#[tokio::test]
async fn every_read_uses_its_index_without_a_scan_or_sort() {
    let app = spawn_app().await;
    let url = format!("{}/{}", testkit::mysql_url(), app.config.db.database);
    let mut conn = sqlx::mysql::MySqlConnection::connect(&url).await.unwrap();
    // 3000 videos of 300 authors over 3000 seconds, every tenth deleted.
    for chunk in 0..3 {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO videos (id, author_id, upload_id, object_key, title, description, visit_count, created_at, updated_at, deleted_at) ",
        );
        q.push_values(0..1000, |mut row, i| {
            let n = chunk * 1000 + i;
            let at = chrono::DateTime::from_timestamp(1_700_000_000 + n, 0)
                .unwrap()
                .naive_utc();
            row.push_bind(n + 1)
                .push_bind(n % 300)
                .push_bind(format!("u{n}"))
                .push_bind(format!("videos/{n}.mp4"))
                .push_bind("t")
                .push_bind("d")
                .push_bind(n * 7 % 1000)
                .push_bind(at)
                .push_bind(at)
                .push_bind((n % 10 == 0).then_some(at));
        });
        q.build().execute(&mut conn).await.unwrap();
    }
    sqlx::raw_sql("ANALYZE TABLE videos")
        .execute(&mut conn)
        .await
        .unwrap();

    let recent = chrono::DateTime::from_timestamp(1_700_002_900, 0)
        .unwrap()
        .naive_utc();
    let plans = vec![
        Plan::new(
            "feed",
            videos::FEED,
            "ix_videos_feed",
            vec![recent.into(), 10.into(), 0.into()],
        ),
        Plan::new(
            "count_feed",
            videos::COUNT_FEED,
            "ix_videos_feed",
            vec![recent.into()],
        ),
        Plan::new(
            "by_author",
            videos::BY_AUTHOR,
            "ix_videos_author",
            vec![17.into(), 10.into(), 0.into()],
        ),
        Plan::new(
            "most_visited",
            videos::MOST_VISITED,
            "ix_videos_visits",
            vec![10.into(), 0.into()],
        ),
        Plan::new(
            "top_counts",
            videos::TOP_COUNTS,
            "ix_videos_visits",
            vec![100.into()],
        ),
        Plan::new(
            "by_upload",
            videos::BY_UPLOAD,
            "uk_videos_upload",
            vec!["u17".into()],
        ),
    ];
    let pool = sqlx::MySqlPool::connect(&url).await.unwrap();
    for tables in assert_plans(&pool, plans).await {
        assert_eq!(tables, 1, "one table access");
    }
    app.cleanup().await;
}
