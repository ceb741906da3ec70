//! Object URLs as clients see them: presigned for a private bucket, or joined to a public base
//! (a public bucket or a CDN in front of it). Every service that hands out object URLs (avatars,
//! videos, covers) reads one `[urls]`-style section into [`UrlConfig`].

use std::time::Duration;

use serde::Deserialize;

use super::{Presigner, S3Config};

/// How object URLs are made.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlConfig {
    /// `presigned` (private bucket; each URL signed with the `s3` credentials) or `public`.
    pub mode: UrlMode,
    /// Base URL of a public bucket or CDN (mode `public`), e.g. `https://cdn.example.com/clipfed`.
    pub base_url: String,
    /// Lifetime of a presigned URL, seconds (at most 7 days).
    pub expiry_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlMode {
    Public,
    Presigned,
}

/// Turns stored object keys into URLs.
#[derive(Clone, Debug)]
pub enum ObjectUrls {
    /// The bucket is public (or behind a CDN) at `base_url`.
    Public { base_url: String },
    /// The bucket is private: each URL is presigned and works for `expires`.
    Presigned {
        presigner: Presigner,
        expires: Duration,
    },
}

impl ObjectUrls {
    pub fn new(cfg: &UrlConfig, s3: &S3Config) -> Result<Self, super::S3ConfigError> {
        Ok(match cfg.mode {
            UrlMode::Public => ObjectUrls::Public {
                base_url: cfg.base_url.clone(),
            },
            UrlMode::Presigned => ObjectUrls::Presigned {
                presigner: Presigner::new(s3)?,
                expires: Duration::from_secs(cfg.expiry_secs),
            },
        })
    }

    /// The URL of an object; empty when there is none.
    pub fn url(&self, key: Option<&str>) -> String {
        let Some(key) = key else {
            return String::new();
        };
        match self {
            ObjectUrls::Public { base_url } => format!("{}/{key}", base_url.trim_end_matches('/')),
            ObjectUrls::Presigned { presigner, expires } => presigner.get(key, *expires),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_join_the_base_and_absent_keys_are_empty() {
        let urls = ObjectUrls::Public {
            base_url: "https://cdn.example.com/c/".into(),
        };
        assert_eq!(
            urls.url(Some("a/b.png")),
            "https://cdn.example.com/c/a/b.png"
        );
        assert_eq!(urls.url(None), "");
    }
}
