//! Keyword search over videos: the arguments checked into a [`Filter`], then one page of matching
//! ids (newest first) and, when asked, their total.

use kit::page::Page;
use sqlx::MySqlPool;

use crate::domain::tokens;
use crate::error::SearchError;
use crate::metrics;
use crate::store::query::{self, Filter};

/// Longest keyword string, in characters.
pub const MAX_KEYWORDS_CHARS: usize = 200;
/// Longest username filter, in characters.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Everything keyword search needs.
#[derive(Clone)]
pub struct Keywords {
    pub pool: MySqlPool,
}

/// Checks the search arguments and turns them into a [`Filter`].
pub fn filter(
    keywords: Option<&str>,
    username: Option<&str>,
    from_date: Option<i64>,
    to_date: Option<i64>,
) -> Result<Filter, SearchError> {
    let keywords = keywords.unwrap_or("");
    if keywords.chars().count() > MAX_KEYWORDS_CHARS {
        return Err(SearchError::invalid(format!(
            "keywords may have at most {MAX_KEYWORDS_CHARS} characters"
        )));
    }
    let query = tokens::Query::parse(keywords).map_err(SearchError::invalid)?;
    let username = username.map(str::trim).filter(|u| !u.is_empty());
    if username.is_some_and(|u| u.chars().count() > MAX_USERNAME_CHARS) {
        return Err(SearchError::invalid(format!(
            "username may have at most {MAX_USERNAME_CHARS} characters"
        )));
    }
    if from_date.is_some_and(|t| t < 0) || to_date.is_some_and(|t| t < 0) {
        return Err(SearchError::invalid(
            "fromDate and toDate are milliseconds since 1970 and not negative",
        ));
    }
    if let (Some(from), Some(to)) = (from_date, to_date)
        && from > to
    {
        return Err(SearchError::invalid("fromDate is after toDate"));
    }
    Ok(Filter {
        query,
        username: username.map(str::to_owned),
        from_ms: from_date,
        to_ms: to_date,
    })
}

impl Keywords {
    /// One page of the videos matching `filter`, newest first.
    #[tracing::instrument(skip_all, fields(page.offset = page.offset(), page.limit = page.limit()))]
    pub async fn page(&self, filter: &Filter, page: Page) -> Result<Vec<i64>, SearchError> {
        let ids = query::page(&self.pool, filter, page.offset(), page.limit()).await?;
        metrics::searched("keyword");
        Ok(ids)
    }

    /// How many videos match `filter`.
    pub async fn total(&self, filter: &Filter) -> Result<i64, SearchError> {
        Ok(query::total(&self.pool, filter).await?)
    }
}

#[cfg(test)]
mod tests {
    use kit::{AppError, ErrorCode};

    use super::*;

    #[test]
    fn filters_are_checked() {
        assert!(filter(None, None, None, None).unwrap().query.is_none());
        assert!(filter(Some("猫 video"), Some(" ann "), Some(1), Some(2)).is_ok());
        for bad in [
            filter(Some(&"x".repeat(201)), None, None, None),
            filter(None, Some(&"u".repeat(65)), None, None),
            filter(None, None, Some(-1), None),
            filter(None, None, Some(5), Some(4)),
        ] {
            let err = AppError::from(bad.unwrap_err());
            assert_eq!(err.code(), ErrorCode::InvalidParameter);
        }
        assert_eq!(
            filter(None, Some("  "), None, None).unwrap().username,
            None,
            "a blank username is no condition"
        );
    }
}
