//! Object URLs as clients see them: presigned for a private bucket, or joined to a public base
//! (a public bucket or a CDN in front of it). Every service that hands out object URLs (avatars,
//! videos, covers) reads one `[urls]`-style section into [`UrlConfig`].
//!
//! A presigned URL costs six HMAC-SHA256 rounds; a feed page has two per video, and signing was
//! 17 % of the video service's CPU under the feed load (`docs/profiling.md`). So a URL is signed
//! at the start of its time step ([`step`]: a tenth of the expiry, 1 to 60 s) for the expiry plus
//! one step, and remembered for that step: every URL handed out still works for at least the
//! configured expiry (below SigV4's 7-day cap, where the cap wins), and clients (and their
//! caches) see one URL per object per step.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::DateTime;
use serde::Deserialize;

use super::{Presigner, S3Config};
use crate::memo::Memo;

/// Presigned URLs remembered per process (object keys of recent pages).
const MEMO_CAPACITY: usize = 16_384;

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
    /// The bucket is private: each URL is presigned and works for at least `expires`.
    Presigned {
        presigner: Presigner,
        expires: Duration,
        memo: Arc<Memo<String>>,
    },
}

/// How long one signed URL is handed out, in seconds: a tenth of the expiry, 1 to 60.
pub fn step(expires: Duration) -> u64 {
    (expires.as_secs() / 10).clamp(1, 60)
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
                memo: Arc::new(Memo::new(MEMO_CAPACITY)),
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
            ObjectUrls::Presigned {
                presigner,
                expires,
                memo,
            } => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                presigned(presigner, memo, key, *expires, now)
            }
        }
    }
}

/// The URL of `key` for the step holding `now` (unix seconds), signed once per step.
fn presigned(
    presigner: &Presigner,
    memo: &Memo<String>,
    key: &str,
    expires: Duration,
    now: u64,
) -> String {
    if let Some(url) = memo.get(key, now) {
        return url;
    }
    let step = step(expires);
    let start = now - now % step;
    let at = DateTime::from_timestamp(start as i64, 0).unwrap_or_default();
    let url = presigner.get_from(key, expires + Duration::from_secs(step), at);
    memo.put(key, url.clone(), start + step - 1, now);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presigner() -> Presigner {
        Presigner::new(&S3Config {
            endpoint: "http://127.0.0.1:9000".into(),
            region: "us-east-1".into(),
            bucket: "b".into(),
            access_key: "ak".into(),
            secret_key: "sk".to_owned().into(),
        })
        .unwrap()
    }

    fn query(url: &str, name: &str) -> String {
        url.split(['?', '&'])
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn one_url_per_step_that_always_lives_at_least_the_expiry() {
        let (p, memo) = (presigner(), Memo::new(8));
        let expires = Duration::from_secs(3600);
        assert_eq!(step(expires), 60);
        let start: u64 = 1_800_000_000; // a multiple of 60: a step starts here
        let first = presigned(&p, &memo, "v/1.mp4", expires, start + 5);
        assert_eq!(
            presigned(&p, &memo, "v/1.mp4", expires, start + 59),
            first,
            "the same URL within the step"
        );
        assert_eq!(query(&first, "X-Amz-Expires"), "3660");
        let signed = DateTime::parse_from_str(
            &format!("{} +0000", query(&first, "X-Amz-Date")),
            "%Y%m%dT%H%M%SZ %z",
        )
        .unwrap()
        .timestamp() as u64;
        assert_eq!(signed, start, "signed at the step's start");
        // Handed out at the step's last second, it still works for the whole expiry.
        assert!(signed + 3660 >= start + 59 + 3600);
        let next = presigned(&p, &memo, "v/1.mp4", expires, start + 60);
        assert_ne!(next, first, "a new step signs anew");
        assert_ne!(presigned(&p, &memo, "v/2.mp4", expires, start + 60), next);
        // Fresh signing gives the same bytes as the memo (nothing but time goes in).
        assert_eq!(
            presigned(&p, &Memo::new(8), "v/1.mp4", expires, start + 61),
            next
        );
    }

    #[test]
    fn short_expiries_use_short_steps() {
        assert_eq!(step(Duration::from_secs(2)), 1);
        assert_eq!(step(Duration::from_secs(300)), 30);
        assert_eq!(step(Duration::from_secs(7 * 24 * 3600)), 60);
    }

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
