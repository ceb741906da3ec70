//! Page arguments as the west2 contract defines them: `pageNum` counts from 0, `pageSize` defaults
//! to 10 (also when 0) and is capped at 100; negative values are parameter errors. Offsets stop at
//! [`MAX_OFFSET`] rows (deeper pages cost a scan of everything before them; narrow the query instead).

use crate::{AppError, ErrorCode};

/// Page size when none (or 0) is given.
pub const DEFAULT_SIZE: i64 = 10;
/// Largest page size; larger requests get this many.
pub const MAX_SIZE: i64 = 100;
/// Deepest first row a page may start at.
pub const MAX_OFFSET: i64 = 100_000;

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    num: i64,
    size: i64,
}

impl Page {
    /// Checks `num` and `size` (absent means the first page of the default size).
    pub fn new(num: Option<i32>, size: Option<i32>) -> Result<Self, AppError> {
        let num = i64::from(num.unwrap_or(0));
        let size = i64::from(size.unwrap_or(0));
        if num < 0 {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                "pageNum must not be negative",
            ));
        }
        if size < 0 {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                "pageSize must not be negative",
            ));
        }
        let size = match size {
            0 => DEFAULT_SIZE,
            s => s.min(MAX_SIZE),
        };
        if num * size > MAX_OFFSET {
            return Err(AppError::with_message(
                ErrorCode::InvalidParameter,
                "page is too deep (at most 100000 rows in); narrow the query",
            ));
        }
        Ok(Self { num, size })
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        self.num * self.size
    }

    /// Rows to return.
    pub fn limit(&self) -> i64 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_clamping() {
        let p = Page::new(None, None).unwrap();
        assert_eq!((p.offset(), p.limit()), (0, 10));
        let p = Page::new(Some(2), Some(0)).unwrap();
        assert_eq!((p.offset(), p.limit()), (20, 10));
        let p = Page::new(Some(1), Some(i32::MAX)).unwrap();
        assert_eq!((p.offset(), p.limit()), (100, 100));
    }

    #[test]
    fn negatives_and_deep_pages_are_parameter_errors() {
        for (num, size) in [(-1, 10), (0, -1), (i32::MAX, 100), (1001, 100)] {
            let err = Page::new(Some(num), Some(size)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidParameter, "{num} {size}");
        }
        assert!(Page::new(Some(1000), Some(100)).is_ok());
    }
}
