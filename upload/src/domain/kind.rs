//! Upload kinds and the content sniffing that decides whether bytes are what they claim.
//!
//! Types come from the bytes (magic numbers), never from the filename or a client's content type.

/// Bytes needed to recognise every accepted container.
pub const SNIFF_LEN: usize = 4096;

/// What an upload becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A part of a concatenation; the final upload decides the kind.
    Partial,
    Video,
    Avatar,
}

impl Kind {
    pub fn code(self) -> i8 {
        match self {
            Kind::Partial => 0,
            Kind::Video => 1,
            Kind::Avatar => 2,
        }
    }

    pub fn from_code(code: i8) -> Option<Self> {
        match code {
            0 => Some(Kind::Partial),
            1 => Some(Kind::Video),
            2 => Some(Kind::Avatar),
            _ => None,
        }
    }

    /// The metadata value (`kind`), absent meaning a video.
    pub fn parse(value: Option<&str>) -> Result<Self, &'static str> {
        match value {
            None | Some("video") => Ok(Kind::Video),
            Some("avatar") => Ok(Kind::Avatar),
            Some("image") => {
                Err("image uploads go to the search service (POST /user/image/search)")
            }
            Some(_) => Err("kind must be video or avatar"),
        }
    }

    /// The object key prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Partial => "tmp",
            Kind::Video => "videos",
            Kind::Avatar => "avatars",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Partial => "file",
            Kind::Video => "video",
            Kind::Avatar => "image",
        }
    }
}

/// A recognised content type and its usual extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub mime: &'static str,
    pub extension: &'static str,
}

/// Video containers accepted for videos.
const VIDEO: &[&str] = &[
    "video/mp4",
    "video/x-m4v",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/x-msvideo",
    "video/x-flv",
    "video/mpeg",
    "video/x-ms-wmv",
];
/// Image formats accepted for avatars (what every browser shows).
const IMAGE: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Why bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Checks `head` (the first bytes, at most [`SNIFF_LEN`], or the whole file if shorter) against
/// what `kind` accepts. Partials are never sniffed: their kind is decided at concatenation.
pub fn sniff(kind: Kind, head: &[u8]) -> Result<Option<Sniffed>, Refused> {
    if kind == Kind::Partial {
        return Ok(None);
    }
    let accepted = if kind == Kind::Video { VIDEO } else { IMAGE };
    match infer::get(head) {
        Some(t) if accepted.contains(&t.mime_type()) => Ok(Some(Sniffed {
            mime: t.mime_type(),
            extension: t.extension(),
        })),
        Some(t) => Err(Refused(format!(
            "the bytes are {}, not a {}",
            t.mime_type(),
            kind.noun()
        ))),
        None => Err(Refused(format!(
            "the bytes are not a {} format this site accepts",
            kind.noun()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

    #[test]
    fn videos_and_images_are_recognised_by_their_bytes() {
        assert_eq!(sniff(Kind::Video, MP4).unwrap().unwrap().mime, "video/mp4");
        assert_eq!(sniff(Kind::Avatar, PNG).unwrap().unwrap().extension, "png");
    }

    #[test]
    fn the_wrong_kind_or_unknown_bytes_are_refused_with_what_they_are() {
        let err = sniff(Kind::Video, PNG).unwrap_err();
        assert!(err.0.contains("image/png"), "{err:?}");
        assert!(sniff(Kind::Avatar, MP4).is_err());
        assert!(sniff(Kind::Video, b"hello, this is a text file").is_err());
        assert!(sniff(Kind::Video, b"").is_err());
        // A PDF is a known type but neither kind.
        assert!(
            sniff(Kind::Avatar, b"%PDF-1.7\n")
                .unwrap_err()
                .0
                .contains("pdf")
        );
    }

    #[test]
    fn partials_are_not_sniffed() {
        assert_eq!(sniff(Kind::Partial, b"anything"), Ok(None));
    }

    #[test]
    fn kinds_parse_from_metadata() {
        assert_eq!(Kind::parse(None), Ok(Kind::Video));
        assert_eq!(Kind::parse(Some("avatar")), Ok(Kind::Avatar));
        assert!(Kind::parse(Some("image")).unwrap_err().contains("search"));
        assert!(Kind::parse(Some("exe")).is_err());
        for k in [Kind::Partial, Kind::Video, Kind::Avatar] {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
    }
}
