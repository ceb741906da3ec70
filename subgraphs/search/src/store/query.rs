//! Keyword search over the index tables: every condition given must hold (AND), newest first.
//!
//! With keywords, the query joins one `postings` row per term on (term, time, video), which is the
//! primary key, so each extra term is a point lookup per candidate; CJK words of three or more
//! characters are then checked as substrings of the stored title and description. Without keywords
//! it reads `videos` by its (deleted, time) index. The page and its total share one WHERE clause.

use sqlx::{MySql, MySqlPool, QueryBuilder};

use crate::domain::tokens::Query;

/// The conditions of one search.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keywords (`None`: no keyword condition).
    pub query: Option<Query>,
    /// A substring of the author's username.
    pub username: Option<String>,
    /// Published at or after, ms since the epoch.
    pub from_ms: Option<i64>,
    /// Published at or before, ms since the epoch.
    pub to_ms: Option<i64>,
}

/// Pushes `FROM … WHERE …` for `filter`.
fn from_where(sql: &mut QueryBuilder<MySql>, filter: &Filter) {
    match &filter.query {
        None => {
            sql.push(" FROM videos v WHERE v.deleted = FALSE");
        }
        Some(query) => {
            sql.push(" FROM postings p0");
            for (i, term) in query.terms.iter().enumerate().skip(1) {
                sql.push(format_args!(" JOIN postings p{i} ON p{i}.term = "))
                    .push_bind(term.clone())
                    .push(format_args!(
                        " AND p{i}.created_at_ms = p0.created_at_ms AND p{i}.video_id = p0.video_id"
                    ));
            }
            // Postings exist only for live videos: the row itself is needed only to check
            // phrases or the author.
            let needs_row = !query.phrases.is_empty() || filter.username.is_some();
            if needs_row {
                sql.push(" JOIN videos v ON v.id = p0.video_id");
            }
            sql.push(" WHERE p0.term = ")
                .push_bind(query.terms[0].clone());
            for phrase in &query.phrases {
                let pattern = like_pattern(phrase);
                sql.push(" AND (v.title LIKE ")
                    .push_bind(pattern.clone())
                    .push(" OR v.description LIKE ")
                    .push_bind(pattern)
                    .push(")");
            }
        }
    }
    let order = order_columns(filter);
    if let Some(from) = filter.from_ms {
        sql.push(format_args!(" AND {} >= ", order.0))
            .push_bind(from);
    }
    if let Some(to) = filter.to_ms {
        sql.push(format_args!(" AND {} <= ", order.0)).push_bind(to);
    }
    if let Some(name) = &filter.username {
        // The author filter always has `v` joined (see above).
        sql.push(" AND v.author_id IN (SELECT id FROM users WHERE username LIKE ")
            .push_bind(like_pattern(name))
            .push(")");
    }
}

/// The time and id columns to filter and order by: the driving posting's with keywords (MariaDB
/// then reads that term's key range already in order, and counts it without touching `videos`).
fn order_columns(filter: &Filter) -> (&'static str, &'static str) {
    if filter.query.is_some() {
        ("p0.created_at_ms", "p0.video_id")
    } else {
        ("v.created_at_ms", "v.id")
    }
}

/// `%text%` with LIKE's wildcards in `text` escaped (MariaDB's default escape is `\`).
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One page of matching video ids, newest first.
pub async fn page(
    pool: &MySqlPool,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    kit::db::count_operation("search.page");
    let (time, id) = order_columns(filter);
    let mut sql = QueryBuilder::<MySql>::new(format!("SELECT {id}"));
    from_where(&mut sql, filter);
    sql.push(format_args!(" ORDER BY {time} DESC, {id} DESC LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    sql.build_query_scalar().fetch_all(pool).await
}

/// How many videos match in all.
pub async fn total(pool: &MySqlPool, filter: &Filter) -> Result<i64, sqlx::Error> {
    kit::db::count_operation("search.total");
    let mut sql = QueryBuilder::<MySql>::new("SELECT COUNT(*)");
    from_where(&mut sql, filter);
    sql.build_query_scalar().fetch_one(pool).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_user_input_are_escaped() {
        assert_eq!(like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
        assert_eq!(like_pattern("猫"), "%猫%");
    }

    #[test]
    fn keyword_queries_join_one_posting_per_extra_term() {
        let filter = Filter {
            query: Query::parse("rust 视频网站").unwrap(),
            username: Some("ann".into()),
            from_ms: Some(1),
            to_ms: None,
        };
        let mut sql = QueryBuilder::<MySql>::new("SELECT COUNT(*)");
        from_where(&mut sql, &filter);
        let text = sql.sql().as_str().to_owned();
        assert_eq!(text.matches("JOIN postings").count(), 3, "{text}");
        assert!(text.contains("v.title LIKE"), "{text}");
        assert!(text.contains("username LIKE"), "{text}");
        assert!(text.contains("p0.created_at_ms >="), "{text}");
        assert!(!text.contains("p0.created_at_ms <="), "{text}");
    }
}
