//! Double-token authentication at the edge (the contract's "Tokens" section).
//!
//! The access token comes from `Authorization: Bearer`, else `Access-Token`; the refresh token from
//! `Refresh-Token`. A valid access token names the viewer. An expired one with a refresh token is
//! renewed by the user subgraph (`renewAccess`, which checks the session is live and the token
//! current, and keeps it valid), and the request is served for that user with the new token in the
//! `Access-Token` response header. The outcome reaches the services as the signed
//! `x-clipfed-caller` header; a client's own copy of that header is always dropped. A token whose
//! session was revoked ([`crate::revoked`]) is refused like a forged one, renewed or not.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use kit::caller::{Caller, CallerSigner};
use kit::token::{Kind, TokenError, TokenVerifier};
use serde_json::json;

use crate::config::PluginConfig;
use crate::revoked::Revoked;

/// How long a signed caller header stays valid: one request's life at the edge.
const CALLER_TTL: Duration = Duration::from_secs(60);

/// Who is calling, as far as the edge can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No access token.
    Anonymous,
    /// A verified user of session `sid`; `renewed` is the new access token when the old one had
    /// expired.
    User {
        id: i64,
        sid: i64,
        renewed: Option<String>,
    },
    /// An access token that does not verify (`UNAUTHENTICATED` where a user is needed).
    Invalid,
    /// An expired access token that could not be renewed (`TOKEN_EXPIRED` where a user is needed).
    Expired,
}

impl Viewer {
    pub fn id(&self) -> Option<i64> {
        match self {
            Viewer::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The session the viewer's token belongs to.
    pub fn sid(&self) -> Option<i64> {
        match self {
            Viewer::User { sid, .. } => Some(*sid),
            _ => None,
        }
    }

    pub fn renewed(&self) -> Option<&str> {
        match self {
            Viewer::User { renewed, .. } => renewed.as_deref(),
            _ => None,
        }
    }
}

/// The router's own calls to the user subgraph (renewal, the revocation feed), signed as the
/// service `router`.
#[derive(Clone)]
pub struct UserLine {
    url: String,
    callers: CallerSigner,
    http: reqwest::Client,
}

impl UserLine {
    pub fn new(url: String, callers: CallerSigner, http: reqwest::Client) -> Self {
        Self { url, callers, http }
    }

    /// The JSON answer of `query` with `variables`; a transport failure as text.
    pub async fn ask(
        &self,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let router = self
            .callers
            .sign(&Caller::Service("router".into()), CALLER_TTL)
            .ok_or("cannot sign the router's credential")?;
        self.http
            .post(&self.url)
            .header(kit::caller::HEADER, router)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())
    }
}

/// The edge's keys and its line to the user subgraph.
pub struct Edge {
    tokens: TokenVerifier,
    callers: CallerSigner,
    user: UserLine,
    revoked: Arc<Revoked>,
}

impl Edge {
    pub fn new(config: &PluginConfig) -> Result<Self, String> {
        let callers = config.signer().map_err(|e| e.to_string())?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let user = UserLine::new(config.user_url.clone(), callers.clone(), http);
        Ok(Self {
            tokens: TokenVerifier::new("jwt_public_key", &config.jwt_public_key)
                .map_err(|e| e.to_string())?,
            revoked: Revoked::new(user.clone()),
            callers,
            user,
        })
    }

    /// The revoked sessions the edge knows of (the WebSocket relay checks them too).
    pub fn revoked(&self) -> &Arc<Revoked> {
        &self.revoked
    }

    /// A user viewer from verified claims, unless their session was revoked.
    async fn user(&self, claims: &kit::token::Claims, renewed: Option<String>) -> Viewer {
        let (Ok(id), Ok(sid)) = (claims.sub.parse(), claims.sid.parse()) else {
            return Viewer::Invalid;
        };
        if self.revoked.contains(sid).await {
            return Viewer::Invalid;
        }
        Viewer::User { id, sid, renewed }
    }

    /// The viewer behind the presented tokens, renewing an expired access token when the refresh
    /// token allows.
    pub async fn viewer(&self, presented: &Presented) -> Viewer {
        let Some(access) = presented.access.as_deref() else {
            return Viewer::Anonymous;
        };
        match self.tokens.verify(access, Kind::Access) {
            Ok(claims) => self.user(&claims, None).await,
            Err(TokenError::Invalid) => Viewer::Invalid,
            Err(TokenError::Expired) => match presented.refresh.as_deref() {
                Some(refresh) => {
                    let renewed = self.renew(refresh).await;
                    crate::metrics::renewal(renewed.is_some());
                    renewed.unwrap_or(Viewer::Expired)
                }
                None => Viewer::Expired,
            },
        }
    }

    /// Asks the user subgraph for a new access token; `None` when the refresh token is refused.
    async fn renew(&self, refresh: &str) -> Option<Viewer> {
        let answer = self
            .user
            .ask(
                "mutation($t: String!) { renewAccess(refreshToken: $t) }",
                json!({"t": refresh}),
            )
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "token renewal: user subgraph unreachable"))
            .ok()?;
        let token = answer["data"]["renewAccess"].as_str()?;
        let claims = self.tokens.verify(token, Kind::Access).ok()?;
        Some(self.user(&claims, Some(token.to_owned())).await)
    }

    /// The `x-clipfed-caller` value for a caller (none for anonymous).
    pub fn sign(&self, caller: &Caller) -> Option<String> {
        self.callers.sign(caller, CALLER_TTL)
    }

    /// The `x-clipfed-client` value for the end client's address.
    pub fn sign_client(&self, addr: IpAddr) -> String {
        self.callers.sign_client(addr, CALLER_TTL)
    }
}

/// The tokens a request carries.
#[derive(Debug, Default, Clone)]
pub struct Presented {
    pub access: Option<String>,
    pub refresh: Option<String>,
}

impl Presented {
    /// Reads `Authorization: Bearer <t>` (else `Access-Token`) and `Refresh-Token` through `header`,
    /// which answers a lower-case header name with its value.
    pub fn read<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Self {
        let refresh = header("refresh-token")
            .map(str::trim)
            .filter(|v| !v.is_empty());
        Self {
            access: kit::auth::access_token(&header).map(str::to_owned),
            refresh: refresh.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge() -> (Edge, kit::token::TokenKeys) {
        let config = PluginConfig {
            production: false,
            jwt_public_key: kit::keys::DEV_TOKEN_PUBLIC.into(),
            signing_key: kit::keys::DEV_ROUTER_SECRET.into(),
            // Nothing listens here: renewal must fail closed.
            user_url: "http://127.0.0.1:9/graphql".into(),
            upload_url: String::new(),
            search_url: String::new(),
            social_url: String::new(),
            registry_endpoints: String::new(),
            registry_prefix: String::new(),
            form_limit_bytes: 1024,
            max_cost: 20_000,
            writes_per_minute: 100,
            image_searches_per_minute: 100,
            uploads_per_minute: 100,
            trusted_proxies: Vec::new(),
        };
        (
            Edge::new(&config).unwrap(),
            testkit::signed::dev_tokens(3600),
        )
    }

    fn headers<'a>(pairs: &'a [(&'static str, &'a str)]) -> Presented {
        Presented::read(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    #[tokio::test]
    async fn tokens_are_read_from_either_header_and_classified() {
        let (edge, keys) = edge();
        let now = testkit::unix_now();
        let fresh = keys.issue(7, 1, 2, now).access;
        let stale = keys.issue(7, 1, 2, now - 7200).access;
        let user = Viewer::User {
            id: 7,
            sid: 1,
            renewed: None,
        };
        assert_eq!(edge.viewer(&headers(&[])).await, Viewer::Anonymous);
        let bearer = format!("Bearer {fresh}");
        assert_eq!(
            edge.viewer(&headers(&[("authorization", &bearer)])).await,
            user
        );
        assert_eq!(
            edge.viewer(&headers(&[("access-token", &fresh)])).await,
            user
        );
        assert_eq!(
            edge.viewer(&headers(&[("access-token", "junk")])).await,
            Viewer::Invalid
        );
        let refresh = keys.issue(7, 1, 2, now).refresh;
        assert_eq!(
            edge.viewer(&headers(&[("access-token", &refresh)])).await,
            Viewer::Invalid,
            "a refresh token is not an access token"
        );
        assert_eq!(
            edge.viewer(&headers(&[("access-token", &stale)])).await,
            Viewer::Expired
        );
        assert_eq!(
            edge.viewer(&headers(&[
                ("access-token", &stale),
                ("refresh-token", &refresh)
            ]))
            .await,
            Viewer::Expired,
            "an unreachable user service renews nothing"
        );
    }
}
