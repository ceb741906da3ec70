//! Every read path is served by its index: EXPLAIN each statement of the store over a few
//! thousand rows (with fresh statistics) and check the index used and that nothing scans the
//! whole table or sorts it.

use sqlx::{Connection, Row};
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
    let cases = [
        ("feed", videos::FEED, "ix_videos_feed"),
        ("count_feed", videos::COUNT_FEED, "ix_videos_feed"),
        ("by_author", videos::BY_AUTHOR, "ix_videos_author"),
        ("most_visited", videos::MOST_VISITED, "ix_videos_visits"),
        ("top_counts", videos::TOP_COUNTS, "ix_videos_visits"),
        ("by_upload", videos::BY_UPLOAD, "uk_videos_upload"),
    ];
    for (name, sql, want) in cases {
        let explain = format!("EXPLAIN {sql}");
        let q = sqlx::query(sqlx::AssertSqlSafe(explain));
        let q = match name {
            "feed" => q.bind(recent).bind(10).bind(0),
            "count_feed" => q.bind(recent),
            "by_author" => q.bind(17).bind(10).bind(0),
            "most_visited" => q.bind(10).bind(0),
            "top_counts" => q.bind(100),
            _ => q.bind("u17"),
        };
        let rows = q.fetch_all(&mut conn).await.unwrap();
        assert_eq!(rows.len(), 1, "{name}: one table access");
        let row = &rows[0];
        let access: String = row.try_get("type").unwrap();
        let key: Option<String> = row.try_get("key").unwrap();
        let extra: Option<String> = row.try_get("Extra").unwrap();
        let extra = extra.unwrap_or_default();
        assert_ne!(access, "ALL", "{name}: full table scan ({extra})");
        assert_eq!(key.as_deref(), Some(want), "{name}: {access} {extra}");
        assert!(!extra.contains("filesort"), "{name}: sorts ({extra})");
    }
    app.cleanup().await;
}
