//! Pure domain types and rules of the user subgraph: no sqlx, axum or async-graphql here.
//!
//! Inputs become these types (parse, don't validate) before any logic runs:
//! [`username::Username`], [`password::Password`]; [`password::PasswordHasher`] owns the argon2
//! parameters; [`mfa`] owns TOTP secrets, codes and their replay window; [`secretbox`] encrypts MFA
//! secrets at rest; [`events`] is what `user.events` carries. The access and refresh JWTs live in
//! `kit::token`, shared with the router.

pub mod events;
pub mod mfa;
pub mod password;
pub mod secretbox;
pub mod username;
