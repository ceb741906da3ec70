//! Requests to a service port signed the way the router and the services sign them. Every service
//! port refuses what no clipfed process vouched for (`kit::caller::CallerVerifier::vouched`), so
//! tests that talk to a port directly go through [`Signer`], which holds the development keys of
//! the router and the upload service (the ones every service's default configuration trusts).
//!
//! What each caller carries, as in production: a user, the user's signed caller and the client
//! address the router saw; an anonymous visitor, only the client address; a service, only its own
//! signed caller. Without a named address each request comes from a fresh address in the
//! benchmarking range 198.18.0.0/15, so per-address limits only count what a test sends from an
//! address it chose.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use kit::caller::{CLIENT_HEADER, Caller, CallerSigner, HEADER, ROUTER};
use kit::keys::{DEV_ROUTER_SECRET, DEV_TOKEN_SECRET, DEV_UPLOAD_SECRET};
use secrecy::SecretString;
use serde_json::{Value, json};

/// How long a signed header lives (the router signs per request with the same lifetime).
const TTL: Duration = Duration::from_secs(60);

/// The router's development signing key.
pub fn dev_router() -> CallerSigner {
    dev_signer(ROUTER, DEV_ROUTER_SECRET)
}

/// The upload service's development signing key.
pub fn dev_upload() -> CallerSigner {
    dev_signer("upload", DEV_UPLOAD_SECRET)
}

/// The development token keys of the user service (`ttl` seconds for both tokens).
pub fn dev_tokens(ttl: i64) -> kit::token::TokenKeys {
    kit::token::TokenKeys::new(&SecretString::from(DEV_TOKEN_SECRET.to_owned()), ttl, ttl)
        .expect("the development token secret is long enough")
}

fn dev_signer(name: &str, secret: &str) -> CallerSigner {
    CallerSigner::new(name, &SecretString::from(secret.to_owned()))
        .expect("the development secrets are long enough")
}

/// Signs test requests as the router does for users and visitors, and as each service does for
/// itself.
#[derive(Clone)]
pub struct Signer {
    router: CallerSigner,
    upload: CallerSigner,
    http: reqwest::Client,
}

impl Default for Signer {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Self::with_http(http)
    }
}

impl Signer {
    /// A signer with the development keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// A signer sending through `http` (load runs size its connection pool).
    pub fn with_http(http: reqwest::Client) -> Self {
        Self {
            router: dev_router(),
            upload: dev_upload(),
            http,
        }
    }

    /// The router's key (for tests that forge or replay headers themselves).
    pub fn router(&self) -> &CallerSigner {
        &self.router
    }

    /// The internal headers of a request by `caller` from `client` (see the module header): a
    /// service caller is signed with the upload key when it is `upload`, else with the router's.
    pub fn headers(&self, caller: &Caller, client: Option<IpAddr>) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(2);
        let key = match caller {
            Caller::Service(name) if name == self.upload.name() => &self.upload,
            _ => &self.router,
        };
        if let Some(value) = key.sign(caller, TTL) {
            out.push((HEADER, value));
        }
        let client = match caller {
            Caller::Service(_) => client,
            _ => Some(client.unwrap_or_else(fresh_address)),
        };
        if let Some(addr) = client {
            out.push((CLIENT_HEADER, self.router.sign_client(addr, TTL)));
        }
        out
    }

    /// A POST to `url` carrying [`Signer::headers`].
    pub fn post(
        &self,
        url: &str,
        caller: &Caller,
        client: Option<IpAddr>,
    ) -> reqwest::RequestBuilder {
        self.headers(caller, client)
            .into_iter()
            .fold(self.http.post(url), |req, (name, value)| {
                req.header(name, value)
            })
    }

    /// Runs a GraphQL `query` at `url` as `caller` from `client`; the whole response body.
    pub async fn graphql(
        &self,
        url: &str,
        caller: &Caller,
        client: Option<IpAddr>,
        query: &str,
        variables: Value,
    ) -> Value {
        self.post(url, caller, client)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("POST {url} answered no JSON: {e}"))
    }
}

impl Signer {
    /// Like [`Signer::graphql`] from a fresh address, for load runs: an error, not a panic, when
    /// the request fails, its status is not a success or the answer carries errors.
    pub async fn try_graphql(
        &self,
        url: &str,
        caller: &Caller,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        let response = self
            .post(url, caller, None)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("POST {url}: {e}"))?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        match body.get("errors") {
            None => Ok(body),
            Some(_) => Err(format!("errors: {body}")),
        }
    }
}

/// An address no other request of this run uses (198.18.0.0/15).
fn fresh_address() -> IpAddr {
    let n = rand::random::<u32>() & 0x0001_ffff;
    IpAddr::V4(Ipv4Addr::from(0xc612_0000 | n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_addresses_stay_in_the_benchmarking_range() {
        for _ in 0..1000 {
            let IpAddr::V4(v4) = fresh_address() else {
                panic!("not IPv4")
            };
            let [a, b, ..] = v4.octets();
            assert!(a == 198 && (b == 18 || b == 19), "{v4}");
        }
    }
}
