//! The user service's business counters; their names live here and nowhere else.
//!
//! - `clipfed_user_registrations_total`: accounts created.
//! - `clipfed_user_logins_total{outcome}`: login attempts by outcome: `ok`, or the lowercase name
//!   of the error code that refused it (`bad_credentials`, `mfa_code_required`, `rate_limited`, ...).
//! - `clipfed_user_mfa_binds_total`: MFA secrets bound.
//! - `clipfed_user_password_changes_total`: passwords changed (each revokes every session).

use kit::telemetry::metrics::{counter, counter_vec};

pub const REGISTRATIONS: &str = "clipfed_user_registrations_total";
pub const LOGINS: &str = "clipfed_user_logins_total";
pub const MFA_BINDS: &str = "clipfed_user_mfa_binds_total";
pub const PASSWORD_CHANGES: &str = "clipfed_user_password_changes_total";

pub fn registered() {
    counter(REGISTRATIONS, "Accounts created").inc();
}

/// Counts one login attempt under its outcome.
pub fn login<T>(result: &Result<T, crate::error::UserError>) {
    let outcome = match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.code().name().to_ascii_lowercase(),
    };
    counter_vec(LOGINS, "Login attempts by outcome", &["outcome"])
        .with_label_values(&[outcome.as_str()])
        .inc();
}

pub fn mfa_bound() {
    counter(MFA_BINDS, "MFA secrets bound").inc();
}

pub fn password_changed() {
    counter(PASSWORD_CHANGES, "Passwords changed").inc();
}
