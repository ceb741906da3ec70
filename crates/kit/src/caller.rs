//! Who is calling a service, as vouched for by the router (or by another clipfed service).
//!
//! The router verifies user tokens once, at the edge, and forwards the result in the
//! `x-clipfed-caller` header, signed with a key shared only by clipfed processes. Services trust that
//! header and nothing else: a request reaching a service port directly with a forged or replayed
//! header is refused, and one without it is anonymous. Services calling each other through the router
//! (the upload service registering a finished video) sign a `service` caller the same way.
//!
//! Wire form: `v1.<kind>.<subject>.<expiry unix s>.<base64url HMAC-SHA256 of everything before it>`,
//! kind `u` (a user id) or `s` (a service name). Lifetimes are short (the router signs per request), so
//! a captured header is useless within a minute.
//!
//! The router also vouches for the end client's network address in `x-clipfed-client`
//! (`c1.<expiry>.<ip>.<signature>`), so per-address limits (login attempts) see the real client and
//! not the router. The two forms start differently, so one can never pass for the other.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::error::{AppError, ErrorCode};
use crate::graphql_http::RequestHook;

/// The header carrying the signed caller.
pub const HEADER: &str = "x-clipfed-caller";
/// The header carrying the signed end-client address.
pub const CLIENT_HEADER: &str = "x-clipfed-client";
/// Shortest accepted key, in bytes.
pub const MIN_KEY_LEN: usize = 32;

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No user token was presented.
    Anonymous,
    /// A user the router authenticated.
    User(i64),
    /// Another clipfed service (e.g. `upload`).
    Service(String),
}

impl Caller {
    /// The user id, or `UNAUTHENTICATED` for anyone else.
    pub fn require_user(&self) -> Result<i64, AppError> {
        match self {
            Caller::User(id) => Ok(*id),
            _ => Err(AppError::new(ErrorCode::Unauthenticated)),
        }
    }

    /// Passes only the named service.
    pub fn require_service(&self, name: &str) -> Result<(), AppError> {
        match self {
            Caller::Service(s) if s == name => Ok(()),
            _ => Err(AppError::with_message(
                ErrorCode::Forbidden,
                "service credential required",
            )),
        }
    }
}

/// The end client's address as vouched for by the router; `None` when no router forwarded one
/// (a service calling another directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// The shared signing key.
#[derive(Clone)]
pub struct CallerKey(Arc<[u8]>);

impl std::fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallerKey([REDACTED])")
    }
}

impl CallerKey {
    /// A key from config; too short a key is a start-up error.
    pub fn new(secret: &SecretString) -> Result<Self, String> {
        let bytes = secret.expose_secret().as_bytes();
        if bytes.len() < MIN_KEY_LEN {
            return Err(format!(
                "the internal caller key must be at least {MIN_KEY_LEN} bytes"
            ));
        }
        Ok(Self(Arc::from(bytes)))
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// `payload.<signature>`.
    fn seal(&self, payload: String) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{sig}")
    }

    /// The payload of a sealed value whose signature verifies.
    fn open<'a>(&self, value: &'a str) -> Result<&'a str, AppError> {
        let (payload, sig) = value.rsplit_once('.').ok_or_else(refuse)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| refuse())?;
        self.mac(payload).verify_slice(&sig).map_err(|_| refuse())?;
        Ok(payload)
    }

    /// The header value vouching for `caller` until `ttl` from now; `None` for anonymous callers.
    pub fn sign(&self, caller: &Caller, ttl: Duration) -> Option<String> {
        let (kind, subject) = match caller {
            Caller::Anonymous => return None,
            Caller::User(id) => ("u", id.to_string()),
            Caller::Service(name) => ("s", name.clone()),
        };
        let expiry = unix_now().saturating_add(ttl.as_secs());
        Some(self.seal(format!("v1.{kind}.{subject}.{expiry}")))
    }

    /// The `x-clipfed-client` value vouching for the end client's `addr` until `ttl` from now.
    pub fn sign_client(&self, addr: IpAddr, ttl: Duration) -> String {
        let expiry = unix_now().saturating_add(ttl.as_secs());
        self.seal(format!("c1.{expiry}.{addr}"))
    }

    /// The address an `x-clipfed-client` value vouches for; `UNAUTHENTICATED` if it does not verify.
    pub fn verify_client(&self, value: &str) -> Result<IpAddr, AppError> {
        let mut parts = self.open(value)?.splitn(3, '.');
        let (Some("c1"), Some(expiry), Some(addr)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse());
        };
        let expiry: u64 = expiry.parse().map_err(|_| refuse())?;
        if expiry < unix_now() {
            return Err(refuse());
        }
        addr.parse().map_err(|_| refuse())
    }

    /// The caller a header value vouches for; `UNAUTHENTICATED` if it is malformed, forged or expired.
    pub fn verify(&self, value: &str) -> Result<Caller, AppError> {
        let payload = self.open(value)?;
        let mut parts = payload.split('.');
        let (Some("v1"), Some(kind), Some(subject), Some(expiry), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(refuse());
        };
        let expiry: u64 = expiry.parse().map_err(|_| refuse())?;
        if expiry < unix_now() {
            return Err(refuse());
        }
        match kind {
            "u" => subject.parse().map(Caller::User).map_err(|_| refuse()),
            "s" if !subject.is_empty() => Ok(Caller::Service(subject.to_owned())),
            _ => Err(refuse()),
        }
    }

    /// The caller `headers` carry: anonymous without the header, `UNAUTHENTICATED` when it is
    /// present but not valid UTF-8 or does not verify.
    pub fn caller(&self, headers: &http::HeaderMap) -> Result<Caller, AppError> {
        match header_str(headers, HEADER)? {
            None => Ok(Caller::Anonymous),
            Some(value) => self.verify(value),
        }
    }

    /// A GraphQL request hook: attaches the verified [`Caller`] (anonymous without the header) and
    /// [`ClientAddr`], and refuses the request when either header is present but does not verify.
    pub fn graphql_hook(&self) -> RequestHook {
        let key = self.clone();
        Arc::new(move |parts, request| {
            let caller = key.caller(&parts.headers)?;
            let client = match header_str(&parts.headers, CLIENT_HEADER)? {
                None => ClientAddr(None),
                Some(value) => ClientAddr(Some(key.verify_client(value)?)),
            };
            Ok(request.data(caller).data(client))
        })
    }
}

/// A header's value as text; a value that is not text does not verify.
fn header_str<'a>(headers: &'a http::HeaderMap, name: &str) -> Result<Option<&'a str>, AppError> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| refuse()))
        .transpose()
}

fn refuse() -> AppError {
    AppError::with_message(
        ErrorCode::Unauthenticated,
        "invalid internal caller credential",
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> CallerKey {
        CallerKey::new(&SecretString::from(s.repeat(32))).unwrap()
    }

    #[test]
    fn users_and_services_round_trip() {
        let k = key("a");
        for caller in [
            Caller::User(483_675_103_821_824_000),
            Caller::Service("upload".into()),
        ] {
            let header = k.sign(&caller, Duration::from_secs(60)).unwrap();
            assert_eq!(k.verify(&header).unwrap(), caller);
        }
        assert_eq!(k.sign(&Caller::Anonymous, Duration::from_secs(60)), None);
    }

    #[test]
    fn a_changed_subject_is_refused() {
        let k = key("a");
        let header = k.sign(&Caller::User(1), Duration::from_secs(60)).unwrap();
        let forged = header.replacen("v1.u.1.", "v1.u.2.", 1);
        assert_eq!(
            k.verify(&forged).unwrap_err().code(),
            ErrorCode::Unauthenticated
        );
        let promoted = header.replacen("v1.u.1.", "v1.s.1.", 1);
        assert!(
            k.verify(&promoted).is_err(),
            "a user header must not become a service header"
        );
    }

    #[test]
    fn another_key_is_refused() {
        let header = key("a")
            .sign(&Caller::User(1), Duration::from_secs(60))
            .unwrap();
        assert!(key("b").verify(&header).is_err());
    }

    #[test]
    fn expired_headers_are_refused() {
        let k = key("a");
        let payload = format!("v1.u.1.{}", unix_now() - 1);
        let sig = URL_SAFE_NO_PAD.encode(k.mac(&payload).finalize().into_bytes());
        assert!(k.verify(&format!("{payload}.{sig}")).is_err());
    }

    #[test]
    fn malformed_headers_are_refused() {
        let k = key("a");
        for bad in [
            "",
            ".",
            "v1.u.1",
            "v1.u.1.9999999999.",
            "v1.u.x.9999999999.AAAA",
            "garbage.!!!",
            "v1.u.1.2.3.4",
        ] {
            assert!(k.verify(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn client_addresses_round_trip_and_cannot_pass_for_callers() {
        let k = key("a");
        for addr in ["203.0.113.9", "2001:db8::1", "::ffff:10.0.0.1"] {
            let ip: IpAddr = addr.parse().unwrap();
            let header = k.sign_client(ip, Duration::from_secs(60));
            assert_eq!(k.verify_client(&header).unwrap(), ip);
            assert!(
                k.verify(&header).is_err(),
                "a client header passed as a caller"
            );
            assert!(key("b").verify_client(&header).is_err());
        }
        let caller = k.sign(&Caller::User(1), Duration::from_secs(60)).unwrap();
        assert!(
            k.verify_client(&caller).is_err(),
            "a caller passed as a client"
        );
        let forged = k
            .sign_client("203.0.113.9".parse().unwrap(), Duration::from_secs(60))
            .replacen("203.0.113.9", "203.0.113.8", 1);
        assert!(k.verify_client(&forged).is_err());
        let expired = k.seal(format!("c1.{}.203.0.113.9", unix_now() - 1));
        assert!(k.verify_client(&expired).is_err());
    }

    #[test]
    fn short_keys_are_rejected_and_keys_never_print() {
        assert!(CallerKey::new(&SecretString::from("short".to_owned())).is_err());
        assert!(!format!("{:?}", key("z")).contains("zzzz"));
    }

    #[test]
    fn require_user_and_service_gate_callers() {
        assert_eq!(Caller::User(7).require_user().unwrap(), 7);
        assert_eq!(
            Caller::Anonymous.require_user().unwrap_err().code(),
            ErrorCode::Unauthenticated
        );
        assert!(
            Caller::Service("upload".into())
                .require_service("upload")
                .is_ok()
        );
        assert_eq!(
            Caller::User(7)
                .require_service("upload")
                .unwrap_err()
                .code(),
            ErrorCode::Forbidden
        );
    }
}
