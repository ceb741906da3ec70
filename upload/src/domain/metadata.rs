//! The `Upload-Metadata` header (tus: comma-separated `key base64(value)` pairs, the value optional)
//! and what this service reads from it: `kind`, `title`, `description`, `filename`, `token`.
//! Other keys (`filetype`, `name`, ...) are kept and echoed but not used. A credential (`token`)
//! is read for authentication and then dropped: it is never stored, so `HEAD` on the upload URL,
//! which needs no credential, cannot give it back.
//!
//! Checked at creation so that a doomed upload is refused before its bytes are sent. The video
//! subgraph applies the same title and description limits again when it records the video.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::kind::Kind;

/// Video title limit (the video subgraph's), characters after trimming.
pub const MAX_TITLE_CHARS: usize = 100;
/// Video description limit (the video subgraph's), characters.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// Filename limit, bytes.
pub const MAX_FILENAME_BYTES: usize = 255;

/// Metadata keys that carry credentials: read, never stored or echoed.
pub const CREDENTIAL_KEYS: &[&str] = &["token"];

/// What an upload says about itself.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The header as sent without its credential pairs: what is stored and echoed by HEAD.
    pub raw: String,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub filename: Option<String>,
    /// An access token, for clients that cannot set headers.
    pub token: Option<String>,
}

impl std::fmt::Debug for Metadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metadata")
            .field("raw", &self.raw)
            .field("kind", &self.kind)
            .field("title", &self.title)
            .field("description", &self.description)
            .field("filename", &self.filename)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// Parses the header; empty or absent means no metadata (tuspy sends an empty header).
pub fn parse(header: Option<&str>) -> Result<Metadata, String> {
    let raw = header.unwrap_or("").trim();
    let mut meta = Metadata::default();
    let mut seen = Vec::new();
    let mut kept = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, Some(v.trim())),
            None => (pair, None),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(format!(
                "Upload-Metadata key {key:?} is not a plain ASCII word"
            ));
        }
        if seen.contains(&key) {
            return Err(format!("Upload-Metadata names {key:?} twice"));
        }
        seen.push(key);
        if !CREDENTIAL_KEYS.contains(&key) {
            kept.push(pair);
        }
        let value = match value {
            None | Some("") => String::new(),
            Some(v) => {
                let bytes = STANDARD
                    .decode(v)
                    .map_err(|_| format!("Upload-Metadata value of {key:?} is not base64"))?;
                String::from_utf8(bytes)
                    .map_err(|_| format!("Upload-Metadata value of {key:?} is not UTF-8"))?
            }
        };
        let slot = match key {
            "kind" => &mut meta.kind,
            "title" => &mut meta.title,
            "description" => &mut meta.description,
            "filename" => &mut meta.filename,
            "token" => &mut meta.token,
            _ => continue,
        };
        *slot = Some(value);
    }
    meta.raw = kept.join(",");
    Ok(meta)
}

/// The checked fields of an upload that becomes something (not a partial).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub filename: String,
}

/// Checks the metadata of a video or avatar upload. A video's title defaults to the filename
/// without its extension.
pub fn describe(meta: &Metadata) -> Result<Described, String> {
    let kind = Kind::parse(meta.kind.as_deref()).map_err(str::to_owned)?;
    let filename = meta.filename.clone().unwrap_or_default();
    check_filename(&filename)?;
    let (title, description) = if kind == Kind::Video {
        let title = match meta.title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => stem(&filename).trim().to_owned(),
        };
        check_title(&title)?;
        let description = meta.description.as_deref().unwrap_or("").trim().to_owned();
        check_description(&description)?;
        (title, description)
    } else {
        (String::new(), String::new())
    };
    Ok(Described {
        kind,
        title,
        description,
        filename,
    })
}

/// A video title: 1-100 characters after trimming, no control characters.
pub fn check_title(title: &str) -> Result<(), String> {
    if title.is_empty() {
        return Err("a video needs a title (metadata `title`, or a `filename`)".into());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!("title is longer than {MAX_TITLE_CHARS} characters"));
    }
    if title.chars().any(char::is_control) {
        return Err("title contains control characters".into());
    }
    Ok(())
}

/// A video description: at most 5000 characters.
pub fn check_description(description: &str) -> Result<(), String> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "description is longer than {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    Ok(())
}

/// A bare file name: no directories, no control characters, not `.` or `..`, at most 255 bytes.
pub fn check_filename(name: &str) -> Result<(), String> {
    if name.len() > MAX_FILENAME_BYTES {
        return Err(format!(
            "filename is longer than {MAX_FILENAME_BYTES} bytes"
        ));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err("filename must be a bare name, without directories".into());
    }
    if name.chars().any(char::is_control) {
        return Err("filename contains control characters".into());
    }
    Ok(())
}

fn stem(filename: &str) -> &str {
    match filename.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => filename,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn pairs_decode_and_unknown_keys_are_kept_in_raw_only() {
        let header = format!(
            "filename {},title {},filetype {},is_confidential",
            b64("猫.mp4"),
            b64("我的猫"),
            b64("video/mp4")
        );
        let meta = parse(Some(&header)).unwrap();
        assert_eq!(meta.filename.as_deref(), Some("猫.mp4"));
        assert_eq!(meta.title.as_deref(), Some("我的猫"));
        assert_eq!(meta.raw, header);
        let d = describe(&meta).unwrap();
        assert_eq!((d.kind, d.title.as_str()), (Kind::Video, "我的猫"));
    }

    #[test]
    fn a_token_authenticates_but_is_never_kept_for_storage_or_echo() {
        let header = format!(
            "filename {},token {}",
            b64("a.mp4"),
            b64("secret.jwt.value")
        );
        let meta = parse(Some(&header)).unwrap();
        assert_eq!(meta.token.as_deref(), Some("secret.jwt.value"));
        assert_eq!(meta.raw, format!("filename {}", b64("a.mp4")));
        assert!(!format!("{meta:?}").contains("secret.jwt.value"));
        let only = parse(Some(&format!("token {}", b64("t")))).unwrap();
        assert_eq!(only.raw, "");
    }

    #[test]
    fn empty_or_absent_headers_mean_no_metadata() {
        assert_eq!(parse(Some("")).unwrap(), Metadata::default());
        assert_eq!(parse(None).unwrap(), Metadata::default());
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            "title !!notbase64!!",
            "title a,title b",
            "tit\u{7f}le YQ==",
            &format!("title {}", STANDARD.encode([0xff, 0xfe])),
        ] {
            assert!(parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_title_defaults_to_the_filename_stem() {
        let meta = parse(Some(&format!("filename {}", b64("holiday.final.mp4")))).unwrap();
        assert_eq!(describe(&meta).unwrap().title, "holiday.final");
        assert!(
            describe(&Metadata::default())
                .unwrap_err()
                .contains("title")
        );
        let avatar = parse(Some(&format!("kind {}", b64("avatar")))).unwrap();
        assert_eq!(describe(&avatar).unwrap().kind, Kind::Avatar);
    }

    #[test]
    fn filenames_with_directories_or_control_characters_are_refused() {
        for bad in [
            "../etc/passwd",
            "a/b.mp4",
            "a\\b.mp4",
            "a\nb.mp4",
            "..",
            &"x".repeat(256),
        ] {
            assert!(check_filename(bad).is_err(), "{bad:?}");
        }
        check_filename("视频 (1).mp4").unwrap();
    }

    #[test]
    fn titles_and_descriptions_have_the_video_limits() {
        assert!(check_title(&"标".repeat(101)).is_err());
        check_title(&"标".repeat(100)).unwrap();
        assert!(check_title("a\u{0}b").is_err());
        assert!(check_description(&"d".repeat(5001)).is_err());
    }
}
