//! Writes: registration, login and tokens, MFA, avatars.

use async_graphql::{Context, ID, Object, Result};

use kit::s3::ObjectUrls;

use super::types::{AuthPayload, MfaOffer, User, parse_id};
use super::{caller, client_addr};
use crate::usecases::{Accounts, Session};

pub struct Mutation;

fn payload(ctx: &Context<'_>, session: Session) -> AuthPayload {
    AuthPayload {
        user: User::from_row(&session.user, ctx.data_unchecked::<ObjectUrls>()),
        access_token: session.tokens.access,
        refresh_token: session.tokens.refresh,
    }
}

#[Object]
impl Mutation {
    /// Creates an account. Username: 2-32 letters, digits or ASCII punctuation, unique ignoring case.
    /// Password: 8-128 characters with a letter and a digit. Registrations count against the client
    /// address's password-attempt limit (`RATE_LIMITED`, 10006).
    async fn register(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<User> {
        let row = ctx
            .data_unchecked::<Accounts>()
            .register(&username, &password, client_addr(ctx))
            .await?;
        Ok(User::from_row(&row, ctx.data_unchecked::<ObjectUrls>()))
    }

    /// Logs in; `code` (TOTP) is required once MFA is bound and each code works once. Attempts are
    /// limited per username and per client address (`RATE_LIMITED`, 10006, says when to retry).
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
        code: Option<String>,
    ) -> Result<AuthPayload> {
        let session = ctx
            .data_unchecked::<Accounts>()
            .login(&username, &password, code.as_deref(), client_addr(ctx))
            .await?;
        Ok(payload(ctx, session))
    }

    /// Exchanges a refresh token for a new pair; a reused refresh token revokes its session.
    async fn refresh_tokens(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> Result<AuthPayload> {
        let session = ctx
            .data_unchecked::<Accounts>()
            .refresh(&refresh_token)
            .await?;
        Ok(payload(ctx, session))
    }

    /// A new access token from a live refresh token, which stays valid (router only: its
    /// double-token renewal of REST and GraphQL requests whose access token has expired).
    /// `@inaccessible`: not part of the public supergraph; the router calls it on the subgraph.
    #[graphql(inaccessible)]
    async fn renew_access(&self, ctx: &Context<'_>, refresh_token: String) -> Result<String> {
        caller(ctx).require_service("router")?;
        Ok(ctx
            .data_unchecked::<Accounts>()
            .renew_access(&refresh_token)
            .await?)
    }

    /// Revokes the session of a refresh token.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        ctx.data_unchecked::<Accounts>()
            .logout(&refresh_token)
            .await?;
        Ok(true)
    }

    /// Changes the caller's password (needs a token and the current password) and revokes every
    /// session: all refresh tokens stop working, on every device. Wrong current passwords count
    /// against the same limits as failed logins (`RATE_LIMITED`, 10006).
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let user = caller(ctx).require_user()?;
        ctx.data_unchecked::<Accounts>()
            .change_password(user, &current_password, &new_password, client_addr(ctx))
            .await?;
        Ok(true)
    }

    /// Offers a new TOTP secret and its QR code to the caller (needs a token).
    async fn create_mfa_secret(&self, ctx: &Context<'_>) -> Result<MfaOffer> {
        let user = caller(ctx).require_user()?;
        let offer = ctx.data_unchecked::<Accounts>().mfa_offer(user).await?;
        Ok(MfaOffer {
            secret: offer.secret,
            qrcode: offer.qrcode,
        })
    }

    /// Binds the offered secret once `code` proves the authenticator has it (needs a token).
    /// Replacing a bound secret also needs `currentCode` from the bound one (`MFA_CODE_REQUIRED`
    /// without it), counts against the login limits, and revokes every session.
    async fn bind_mfa(
        &self,
        ctx: &Context<'_>,
        secret: String,
        code: String,
        current_code: Option<String>,
    ) -> Result<bool> {
        let user = caller(ctx).require_user()?;
        ctx.data_unchecked::<Accounts>()
            .mfa_bind(
                user,
                &secret,
                &code,
                current_code.as_deref(),
                client_addr(ctx),
            )
            .await?;
        Ok(true)
    }

    /// Sets a user's avatar object (upload service only, after it verified the bytes are an image).
    async fn set_avatar(&self, ctx: &Context<'_>, user_id: ID, object_key: String) -> Result<User> {
        caller(ctx).require_service("upload")?;
        let row = ctx
            .data_unchecked::<Accounts>()
            .set_avatar(parse_id(&user_id)?, &object_key)
            .await?;
        Ok(User::from_row(&row, ctx.data_unchecked::<ObjectUrls>()))
    }
}
