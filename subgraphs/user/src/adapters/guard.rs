//! Password throttling: attempts per username and per client address, counted in Redis so every
//! instance shares one count.
//!
//! Every operation that checks a password or hashes one counts here, before any hashing: login,
//! registration, password change, and the current-code check of an MFA rebind. Login and password
//! change share one budget per username, so guesses cannot be split between them, and one budget
//! per client address covers all four, so the limits also cap how much argon2 work one client can
//! demand. Each alias of a GraphQL operation is one attempt. A successful login or password check
//! clears its username's count: the username limit then reads as "failures in a row". Redis being down refuses logins (`UNAVAILABLE`) rather than letting
//! guesses through unmetered; `/readyz` reports it, so a balancer stops sending traffic first.

use std::net::IpAddr;

use kit::AppError;
use kit::ratelimit::{Limit, RateLimiter};
use serde::Deserialize;

/// Attempts allowed per window (config section `login_limit`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginLimits {
    pub per_username: Limit,
    pub per_address: Limit,
}

/// Admits or refuses login attempts.
#[derive(Clone)]
pub struct LoginGuard {
    limiter: RateLimiter,
    limits: LoginLimits,
}

impl LoginGuard {
    pub fn new(limiter: RateLimiter, limits: LoginLimits) -> Self {
        Self { limiter, limits }
    }

    /// Counts an attempt on `username_key` (the case-folded name) from `client`, or refuses it.
    pub async fn admit(&self, username_key: &str, client: Option<IpAddr>) -> Result<(), AppError> {
        self.admit_address(client).await?;
        self.check("login_user", username_key, self.limits.per_username)
            .await
    }

    /// Counts a password hash that names no existing account (registration) on `client` only.
    pub async fn admit_address(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        match client {
            Some(addr) => {
                self.check("login_addr", &addr.to_string(), self.limits.per_address)
                    .await
            }
            None => Ok(()),
        }
    }

    /// Clears the failures of a username after a successful login.
    pub async fn succeeded(&self, username_key: &str) -> Result<(), AppError> {
        self.limiter
            .reset("login_user", username_key)
            .await
            .map_err(kit::cache::unavailable)
    }

    async fn check(&self, scope: &str, subject: &str, limit: Limit) -> Result<(), AppError> {
        let decision = self
            .limiter
            .hit(scope, subject, limit)
            .await
            .map_err(kit::cache::unavailable)?;
        kit::ratelimit::refusal("password attempts", decision)
    }
}
