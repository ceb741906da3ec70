//! A registration of a finished upload, checked before anything is stored.
//!
//! Limits: title 1-100 characters after trimming (no control characters), description at most 5000
//! characters, object keys relative (`videos/...`, no `..`, no leading `/`) and at most 512 bytes,
//! upload ids 1-64 of `[A-Za-z0-9_-]` (the upload service's session ids).

use crate::error::VideoError;

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
pub const MAX_KEY_BYTES: usize = 512;
pub const MAX_UPLOAD_ID_BYTES: usize = 64;

/// What the upload service knows about a finished upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVideo {
    pub upload_id: String,
    pub author_id: i64,
    pub object_key: String,
    pub title: String,
    pub description: String,
    pub size_bytes: Option<i64>,
    pub checksum: Option<String>,
    pub content_type: Option<String>,
}

impl NewVideo {
    /// Checks and normalises every field (title and description trimmed).
    pub fn parse(raw: NewVideo) -> Result<Self, VideoError> {
        let title = raw.title.trim().to_owned();
        let description = raw.description.trim().to_owned();
        if title.is_empty() {
            return Err(VideoError::Invalid("title must not be empty"));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(VideoError::Invalid("title is longer than 100 characters"));
        }
        if title.chars().any(char::is_control) {
            return Err(VideoError::Invalid("title contains control characters"));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(VideoError::Invalid(
                "description is longer than 5000 characters",
            ));
        }
        if raw.author_id <= 0 {
            return Err(VideoError::Invalid("author id must be positive"));
        }
        check_key(&raw.object_key)?;
        let id_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if raw.upload_id.is_empty()
            || raw.upload_id.len() > MAX_UPLOAD_ID_BYTES
            || !raw.upload_id.chars().all(id_ok)
        {
            return Err(VideoError::Invalid(
                "upload id must be 1-64 letters, digits, '-' or '_'",
            ));
        }
        if raw.size_bytes.is_some_and(|s| s < 0) {
            return Err(VideoError::Invalid("size must not be negative"));
        }
        if raw.checksum.as_ref().is_some_and(|c| c.len() > 128) {
            return Err(VideoError::Invalid("checksum is longer than 128 bytes"));
        }
        if raw.content_type.as_ref().is_some_and(|c| c.len() > 127) {
            return Err(VideoError::Invalid("content type is longer than 127 bytes"));
        }
        Ok(Self {
            title,
            description,
            ..raw
        })
    }

    /// Whether `other` describes the same upload (a retry), so registering it again is a no-op.
    pub fn same_upload(&self, author_id: i64, object_key: &str) -> bool {
        self.author_id == author_id && self.object_key == object_key
    }
}

/// An object key must stay inside the bucket's namespace: relative, no `..` segments.
pub fn check_key(key: &str) -> Result<(), VideoError> {
    if key.is_empty()
        || key.len() > MAX_KEY_BYTES
        || key.starts_with('/')
        || key
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        || key.chars().any(char::is_control)
    {
        return Err(VideoError::Invalid(
            "object key must be a relative path of at most 512 bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> NewVideo {
        NewVideo {
            upload_id: "up_1".into(),
            author_id: 7,
            object_key: "videos/7/a.mp4".into(),
            title: "  Hello  ".into(),
            description: " d ".into(),
            size_bytes: Some(10),
            checksum: None,
            content_type: Some("video/mp4".into()),
        }
    }

    #[test]
    fn trims_title_and_description() {
        let v = NewVideo::parse(raw()).unwrap();
        assert_eq!((v.title.as_str(), v.description.as_str()), ("Hello", "d"));
    }

    #[test]
    fn rejects_each_bad_field() {
        let cases: Vec<fn(&mut NewVideo)> = vec![
            |v| v.title = "   ".into(),
            |v| v.title = "x".repeat(101),
            |v| v.title = "a\u{7}b".into(),
            |v| v.description = "d".repeat(5001),
            |v| v.author_id = 0,
            |v| v.object_key = "/abs".into(),
            |v| v.object_key = "videos/../etc".into(),
            |v| v.object_key = "a//b".into(),
            |v| v.object_key = "k".repeat(513),
            |v| v.upload_id = String::new(),
            |v| v.upload_id = "a b".into(),
            |v| v.size_bytes = Some(-1),
        ];
        for (i, break_it) in cases.into_iter().enumerate() {
            let mut v = raw();
            break_it(&mut v);
            assert!(NewVideo::parse(v).is_err(), "case {i} passed");
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut v = raw();
        v.title = "视".repeat(100);
        assert!(NewVideo::parse(v).is_ok());
    }
}
