//! Per-client rate limits at the edge, counted in this router's memory (one count per router
//! instance; `docs/security.md` says why that is enough here):
//!
//! - **writes** per signed-in user (else per client address): comments, comment deletions, likes,
//!   follows, each alias counted;
//! - **image searches** per client address: `searchImages` and `POST /user/image/search`, each a
//!   CNN run;
//! - **uploads started** per user: tus creation, `POST /video/publish`, `PUT /user/avatar/upload`.
//!
//! A refusal is `RATE_LIMITED` (10006) saying when to retry, before any subgraph or service sees
//! the request. Chat messages are limited by the social service, which reads the frames.

use kit::AppError;
use kit::ratelimit::{Limit, LocalLimiter, refusal};

/// Mutations that count as writes.
pub const WRITES: &[&str] = &[
    "publishComment",
    "deleteComment",
    "likeAction",
    "relationAction",
];

pub use crate::client::Client;

/// Limits per minute (config `writes_per_minute`, `image_searches_per_minute`,
/// `uploads_per_minute`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub writes: u32,
    pub image_searches: u32,
    pub uploads: u32,
}

fn per_minute(max: u32) -> Limit {
    Limit {
        max,
        window_secs: 60,
    }
}

/// The edge's counters.
pub struct Throttle {
    limits: Limits,
    counts: LocalLimiter,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            counts: LocalLimiter::new(),
        }
    }

    /// Counts the writes and image searches among an operation's `fields` (every selected field
    /// name, aliases included).
    pub fn operation<'a>(
        &self,
        client: &Client,
        fields: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AppError> {
        for name in fields {
            if WRITES.contains(&name) {
                self.writes(client)?;
            } else if name == "searchImages" {
                self.image_search(client)?;
            }
        }
        Ok(())
    }

    pub fn writes(&self, client: &Client) -> Result<(), AppError> {
        let decision = self
            .counts
            .hit("writes", &client.key(), per_minute(self.limits.writes));
        refusal("comments, likes and follows", decision)
    }

    pub fn image_search(&self, client: &Client) -> Result<(), AppError> {
        let decision = self.counts.hit(
            "image_search",
            &client.addr_key(),
            per_minute(self.limits.image_searches),
        );
        refusal("image searches", decision)
    }

    pub fn upload(&self, client: &Client) -> Result<(), AppError> {
        let decision = self
            .counts
            .hit("uploads", &client.key(), per_minute(self.limits.uploads));
        refusal("uploads started", decision)
    }

    /// The limit a pass-through request counts against, if any: image search by address,
    /// upload creation by user.
    pub fn pass_through(&self, client: &Client, method: &str, path: &str) -> Result<(), AppError> {
        match (method, path) {
            ("POST", "/user/image/search") => self.image_search(client),
            ("POST", "/uploads" | "/uploads/" | "/video/publish")
            | ("PUT", "/user/avatar/upload") => self.upload(client),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::ErrorCode;

    fn throttle() -> Throttle {
        Throttle::new(Limits {
            writes: 2,
            image_searches: 1,
            uploads: 1,
        })
    }

    #[test]
    fn writes_count_per_user_and_each_alias_counts() {
        let t = throttle();
        let alice = Client {
            user: Some(1),
            addr: Some("192.0.2.1".parse().unwrap()),
        };
        let bob = Client {
            user: Some(2),
            ..alice
        };
        assert!(t.operation(&alice, ["likeAction", "id"]).is_ok());
        let err = t
            .operation(&alice, ["likeAction", "publishComment"])
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::RateLimited);
        assert!(err.message().contains("retry in"), "{}", err.message());
        assert!(
            t.operation(&bob, ["likeAction"]).is_ok(),
            "bob has his own count"
        );
        assert!(
            t.operation(&alice, ["feed", "items"]).is_ok(),
            "reads are free"
        );
    }

    #[test]
    fn image_searches_count_per_address_and_uploads_per_user() {
        let t = throttle();
        let addr = Some("192.0.2.9".parse().unwrap());
        let anonymous = Client { user: None, addr };
        let signed_in = Client {
            user: Some(5),
            addr,
        };
        assert!(
            t.pass_through(&anonymous, "POST", "/user/image/search")
                .is_ok()
        );
        assert!(
            t.operation(&signed_in, ["searchImages"]).is_err(),
            "the same address, signed in or not"
        );
        assert!(t.pass_through(&signed_in, "POST", "/uploads/").is_ok());
        assert!(
            t.pass_through(&signed_in, "POST", "/video/publish")
                .is_err()
        );
        assert!(
            t.pass_through(&signed_in, "PATCH", "/uploads/abc").is_ok(),
            "appending is not starting"
        );
    }
}
