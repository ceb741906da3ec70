//! Who is calling a service, as vouched for by the router (or by another clipfed service).
//!
//! The router verifies user tokens once, at the edge, and forwards the result in the
//! `x-clipfed-caller` header, signed with its own Ed25519 key. Services hold only public keys
//! ([`crate::keys`]), so none of them can sign for anyone: a request reaching a service port
//! directly with a forged or replayed header is refused. A service calling another (the upload
//! service registering a finished video) signs a `service` caller naming itself with its own key.
//!
//! Wire form: `v2.<signer>.<kind>.<subject>.<expiry unix s>.<base64url Ed25519 signature of
//! everything before it>`, kind `u` (a user id) or `s` (a service name). What a signer may vouch
//! for is fixed: `router` for users, for itself and for client addresses; any other signer only
//! for the service of its own name. Lifetimes are short (the router's headers live 60 to 70 s:
//! expiries are rounded up to [`EXPIRY_STEP`], so one user's header is signed and verified once per
//! step, not per request), so a captured header is useless within about a minute.
//!
//! The router also vouches for the end client's network address in `x-clipfed-client`
//! (`c2.<expiry>.<ip>.<signature>`), so per-address limits (login attempts) see the real client and
//! not the router. The two forms start differently, so one can never pass for the other.
//!
//! A service port answers only what a clipfed process vouched for ([`CallerVerifier::vouched`]): a
//! signed caller, or the router's signed client address (an anonymous visitor). A request with
//! neither reached the port without passing the router, and so without its limits: it is refused.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use secrecy::SecretString;

use crate::error::{AppError, ErrorCode};
use crate::keys::KeyError;
use crate::memo::Memo;

/// The header carrying the signed caller.
pub const HEADER: &str = "x-clipfed-caller";
/// The header carrying the signed end-client address.
pub const CLIENT_HEADER: &str = "x-clipfed-client";
/// The signer that vouches for users and client addresses.
pub const ROUTER: &str = "router";

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

/// A process's own signing key and the name it signs as.
#[derive(Clone)]
pub struct CallerSigner {
    name: Arc<str>,
    key: Arc<SigningKey>,
    /// Values sealed before, by payload (see [`EXPIRY_STEP`]).
    sealed: Arc<Memo<String>>,
}

/// Expiries are rounded up to a multiple of this many seconds, so the same caller's header is the
/// same value for that long and is signed once (the signer's memo) and verified once (each
/// verifier's memo), instead of once per request. A header is then valid for between `ttl` and
/// `ttl` plus this step.
pub const EXPIRY_STEP: u64 = 10;

/// Signatures kept by a signer and by a verifier (a few hundred bytes each).
const MEMO_CAPACITY: usize = 16_384;

impl std::fmt::Debug for CallerSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CallerSigner({}, [REDACTED])", self.name)
    }
}

impl CallerSigner {
    /// Signs as `name` with the key of `secret` (config path `auth.signing_key`).
    pub fn new(name: &str, secret: &SecretString) -> Result<Self, KeyError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(KeyError(format!("{name:?} is not a signer name (a-z)")));
        }
        Ok(Self {
            name: Arc::from(name),
            key: Arc::new(crate::keys::signing_key("auth.signing_key", secret)?),
            sealed: Arc::new(Memo::new(MEMO_CAPACITY)),
        })
    }

    /// Signs as `name` with the `auth.signing_key` of a service's `[auth]` section.
    pub fn from_config(name: &str, auth: &crate::config::TokenAuth) -> Result<Self, KeyError> {
        let key = auth
            .signing_key
            .as_ref()
            .ok_or_else(|| KeyError("auth.signing_key is not set".into()))?;
        Self::new(name, key)
    }

    /// The name this key signs as.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The written public key verifiers configure for this signer.
    pub fn public_key(&self) -> String {
        crate::keys::public_text(&self.key)
    }

    /// `payload.<signature>`.
    fn seal(&self, payload: String) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.key.sign(payload.as_bytes()).to_bytes());
        format!("{payload}.{sig}")
    }

    /// [`Self::seal`], once per payload while it is unexpired.
    fn seal_until(&self, payload: String, expiry: u64) -> String {
        let now = unix_now();
        if let Some(sealed) = self.sealed.get(&payload, now) {
            return sealed;
        }
        let sealed = self.seal(payload.clone());
        self.sealed.put(&payload, sealed.clone(), expiry, now);
        sealed
    }

    /// The header value vouching for `caller` for at least `ttl` from now; `None` for anonymous
    /// callers. Verifiers accept only what this signer may vouch for (see the module header).
    pub fn sign(&self, caller: &Caller, ttl: Duration) -> Option<String> {
        let (kind, subject) = match caller {
            Caller::Anonymous => return None,
            Caller::User(id) => ("u", id.to_string()),
            Caller::Service(name) => ("s", name.clone()),
        };
        let expiry = expiry_after(ttl);
        Some(self.seal_until(
            format!("v2.{}.{kind}.{subject}.{expiry}", self.name),
            expiry,
        ))
    }

    /// The `x-clipfed-client` value vouching for the end client's `addr` for at least `ttl` from
    /// now (verified only when this is the router's key).
    pub fn sign_client(&self, addr: IpAddr, ttl: Duration) -> String {
        let expiry = expiry_after(ttl);
        self.seal_until(format!("c2.{expiry}.{addr}"), expiry)
    }
}

/// `ttl` from now, rounded up to a multiple of [`EXPIRY_STEP`].
fn expiry_after(ttl: Duration) -> u64 {
    let at = unix_now().saturating_add(ttl.as_secs());
    at.div_ceil(EXPIRY_STEP).saturating_mul(EXPIRY_STEP)
}

/// The public keys of the signers a service trusts, by signer name.
#[derive(Clone, Debug)]
pub struct CallerVerifier {
    keys: Arc<BTreeMap<String, VerifyingKey>>,
    /// Values whose signature verified (expiry is still checked on every use).
    verified: Arc<Memo<()>>,
}

/// How long a verified signature is remembered: longer than any header lives.
const VERIFIED_SECS: u64 = 120;

impl CallerVerifier {
    /// From config (`auth.callers`: signer name to written public key).
    pub fn new(callers: &BTreeMap<String, String>) -> Result<Self, KeyError> {
        let keys = callers
            .iter()
            .map(|(name, text)| {
                let key = crate::keys::verifying_key(&format!("auth.callers.{name}"), text)?;
                Ok((name.clone(), key))
            })
            .collect::<Result<_, KeyError>>()?;
        Ok(Self::with_keys(keys))
    }

    /// A verifier trusting exactly `signers` (tests, and processes that check their own headers).
    pub fn trusting(signers: &[&CallerSigner]) -> Self {
        let keys = signers
            .iter()
            .map(|s| (s.name.to_string(), s.key.verifying_key()))
            .collect();
        Self::with_keys(keys)
    }

    fn with_keys(keys: BTreeMap<String, VerifyingKey>) -> Self {
        Self {
            keys: Arc::new(keys),
            verified: Arc::new(Memo::new(MEMO_CAPACITY)),
        }
    }

    /// The payload of a sealed value whose signature verifies with `signer`'s key.
    fn open<'a>(&self, signer: &str, value: &'a str) -> Result<&'a str, AppError> {
        let key = self.keys.get(signer).ok_or_else(refuse)?;
        let (payload, sig) = value.rsplit_once('.').ok_or_else(refuse)?;
        let now = unix_now();
        if self.verified.get(value, now).is_some() {
            return Ok(payload);
        }
        let sig: [u8; 64] = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| refuse())?
            .try_into()
            .map_err(|_| refuse())?;
        key.verify_strict(payload.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| refuse())?;
        self.verified.put(value, (), now + VERIFIED_SECS, now);
        Ok(payload)
    }

    /// The address an `x-clipfed-client` value vouches for; `UNAUTHENTICATED` if it does not verify.
    pub fn verify_client(&self, value: &str) -> Result<IpAddr, AppError> {
        let mut parts = self.open(ROUTER, value)?.splitn(3, '.');
        let (Some("c2"), Some(expiry), Some(addr)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse());
        };
        unexpired(expiry)?;
        addr.parse().map_err(|_| refuse())
    }

    /// The caller a header value vouches for; `UNAUTHENTICATED` if it is malformed, forged, expired
    /// or signed by a signer that may not vouch for that caller.
    pub fn verify(&self, value: &str) -> Result<Caller, AppError> {
        let signer = value
            .strip_prefix("v2.")
            .and_then(|rest| rest.split('.').next())
            .ok_or_else(refuse)?;
        let payload = self.open(signer, value)?;
        let mut parts = payload.split('.');
        let (Some("v2"), Some(_), Some(kind), Some(subject), Some(expiry), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(refuse());
        };
        unexpired(expiry)?;
        match (kind, signer == ROUTER) {
            ("u", true) => subject.parse().map(Caller::User).map_err(|_| refuse()),
            ("s", true) if subject == ROUTER => Ok(Caller::Service(subject.to_owned())),
            ("s", false) if subject == signer => Ok(Caller::Service(subject.to_owned())),
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

    /// The caller and client address `headers` vouch for. Refused (`UNAUTHENTICATED`) when a header
    /// is present but does not verify, and when neither is present: such a request did not come
    /// through the router or from a clipfed service.
    pub fn vouched(&self, headers: &http::HeaderMap) -> Result<(Caller, ClientAddr), AppError> {
        let caller = self.caller(headers)?;
        let client = match header_str(headers, CLIENT_HEADER)? {
            None => ClientAddr(None),
            Some(value) => ClientAddr(Some(self.verify_client(value)?)),
        };
        if caller == Caller::Anonymous && client.0.is_none() {
            return Err(AppError::with_message(
                ErrorCode::Unauthenticated,
                "this port answers only requests signed by the router or a clipfed service",
            ));
        }
        Ok((caller, client))
    }
}

/// A header's value as text; a value that is not text does not verify.
fn header_str<'a>(headers: &'a http::HeaderMap, name: &str) -> Result<Option<&'a str>, AppError> {
    headers
        .get(name)
        .map(|v| v.to_str().map_err(|_| refuse()))
        .transpose()
}

fn unexpired(expiry: &str) -> Result<(), AppError> {
    let expiry: u64 = expiry.parse().map_err(|_| refuse())?;
    if expiry < unix_now() {
        return Err(refuse());
    }
    Ok(())
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

    const TTL: Duration = Duration::from_secs(60);

    fn signer(name: &str, s: &str) -> CallerSigner {
        CallerSigner::new(name, &SecretString::from(s.repeat(32))).unwrap()
    }

    fn router() -> CallerSigner {
        signer(ROUTER, "r")
    }

    fn upload() -> CallerSigner {
        signer("upload", "u")
    }

    /// What a service trusts: the router and the upload service.
    fn services() -> CallerVerifier {
        CallerVerifier::trusting(&[&router(), &upload()])
    }

    #[test]
    fn users_and_services_round_trip() {
        let v = services();
        for (signer, caller) in [
            (router(), Caller::User(483_675_103_821_824_000)),
            (router(), Caller::Service(ROUTER.into())),
            (upload(), Caller::Service("upload".into())),
        ] {
            let header = signer.sign(&caller, TTL).unwrap();
            assert_eq!(v.verify(&header).unwrap(), caller);
        }
        assert_eq!(router().sign(&Caller::Anonymous, TTL), None);
    }

    #[test]
    fn a_header_is_reused_within_its_step_and_always_lives_at_least_the_ttl() {
        let (signer, v) = (router(), services());
        let user = Caller::User(7);
        let first = signer.sign(&user, TTL).unwrap();
        let second = signer.sign(&user, TTL).unwrap();
        let expiry = |h: &str| -> u64 { h.split('.').nth(4).unwrap().parse().unwrap() };
        assert!(expiry(&first) >= unix_now() + TTL.as_secs());
        assert!(expiry(&first) < unix_now() + TTL.as_secs() + EXPIRY_STEP + 1);
        assert_eq!(expiry(&first) % EXPIRY_STEP, 0);
        if expiry(&first) == expiry(&second) {
            assert_eq!(first, second, "signed once per step");
        }
        // Verified once, then remembered: a changed signature is still checked, and refused.
        assert_eq!(v.verify(&first).unwrap(), user);
        assert_eq!(v.verify(&first).unwrap(), user);
        let mut forged = first.clone();
        let last = if forged.ends_with('A') { "B" } else { "A" };
        forged.replace_range(forged.len() - 1.., last);
        assert!(v.verify(&forged).is_err());
    }

    #[test]
    fn a_signer_vouches_only_for_what_it_may() {
        let v = services();
        // The upload service's key cannot make a user, another service or a client address.
        for caller in [Caller::User(1), Caller::Service("router".into())] {
            let header = upload().sign(&caller, TTL).unwrap();
            assert!(v.verify(&header).is_err(), "upload vouched for {caller:?}");
        }
        let client = upload().sign_client("203.0.113.9".parse().unwrap(), TTL);
        assert!(v.verify_client(&client).is_err());
        // Nor the router's key another service.
        let header = router()
            .sign(&Caller::Service("upload".into()), TTL)
            .unwrap();
        assert!(v.verify(&header).is_err());
        // A header naming the router but signed by the upload key.
        let header = upload().sign(&Caller::User(1), TTL).unwrap();
        let renamed = header.replacen("v2.upload.", "v2.router.", 1);
        assert!(v.verify(&renamed).is_err());
    }

    #[test]
    fn a_changed_subject_is_refused() {
        let v = services();
        let header = router().sign(&Caller::User(1), TTL).unwrap();
        let forged = header.replacen(".u.1.", ".u.2.", 1);
        assert_eq!(
            v.verify(&forged).unwrap_err().code(),
            ErrorCode::Unauthenticated
        );
        let promoted = header.replacen(".u.1.", ".s.1.", 1);
        assert!(
            v.verify(&promoted).is_err(),
            "a user header must not become a service header"
        );
    }

    #[test]
    fn another_key_is_refused() {
        let header = signer(ROUTER, "x").sign(&Caller::User(1), TTL).unwrap();
        assert!(services().verify(&header).is_err());
        let untrusted = signer("social", "s")
            .sign(&Caller::Service("social".into()), TTL)
            .unwrap();
        assert!(services().verify(&untrusted).is_err(), "an unknown signer");
    }

    #[test]
    fn expired_headers_are_refused() {
        let payload = format!("v2.router.u.1.{}", unix_now() - 1);
        assert!(services().verify(&router().seal(payload)).is_err());
    }

    #[test]
    fn malformed_headers_are_refused() {
        let v = services();
        for bad in [
            "",
            ".",
            "v2.router.u.1",
            "v2.router.u.1.9999999999.",
            "v2.router.u.x.9999999999.AAAA",
            "garbage.!!!",
            "v2.router.u.1.2.3.4",
            "v1.u.1.9999999999.AAAA",
        ] {
            assert!(v.verify(bad).is_err(), "{bad:?} accepted");
        }
        let sealed_junk = router().seal("v2.router.u.1.9999999999.extra".into());
        assert!(v.verify(&sealed_junk).is_err());
    }

    #[test]
    fn client_addresses_round_trip_and_cannot_pass_for_callers() {
        let v = services();
        for addr in ["203.0.113.9", "2001:db8::1", "::ffff:10.0.0.1"] {
            let ip: IpAddr = addr.parse().unwrap();
            let header = router().sign_client(ip, TTL);
            assert_eq!(v.verify_client(&header).unwrap(), ip);
            assert!(
                v.verify(&header).is_err(),
                "a client header passed as a caller"
            );
            let other = CallerVerifier::trusting(&[&signer(ROUTER, "x")]);
            assert!(other.verify_client(&header).is_err());
        }
        let caller = router().sign(&Caller::User(1), TTL).unwrap();
        assert!(
            v.verify_client(&caller).is_err(),
            "a caller passed as a client"
        );
        let forged = router()
            .sign_client("203.0.113.9".parse().unwrap(), TTL)
            .replacen("203.0.113.9", "203.0.113.8", 1);
        assert!(v.verify_client(&forged).is_err());
        let expired = router().seal(format!("c2.{}.203.0.113.9", unix_now() - 1));
        assert!(v.verify_client(&expired).is_err());
    }

    #[test]
    fn only_vouched_requests_pass() {
        let v = services();
        let mut headers = http::HeaderMap::new();
        assert_eq!(
            v.vouched(&headers).unwrap_err().code(),
            ErrorCode::Unauthenticated,
            "a request with no signed header passed"
        );
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let client = router().sign_client(ip, TTL);
        headers.insert(CLIENT_HEADER, client.parse().unwrap());
        assert_eq!(
            v.vouched(&headers).unwrap(),
            (Caller::Anonymous, ClientAddr(Some(ip)))
        );
        let mut service = http::HeaderMap::new();
        let caller = Caller::Service("upload".into());
        let signed = upload().sign(&caller, TTL).unwrap();
        service.insert(HEADER, signed.parse().unwrap());
        assert_eq!(v.vouched(&service).unwrap(), (caller, ClientAddr(None)));
        let mut forged = http::HeaderMap::new();
        let foreign = signer(ROUTER, "x").sign_client(ip, TTL);
        forged.insert(CLIENT_HEADER, foreign.parse().unwrap());
        assert!(v.vouched(&forged).is_err());
    }

    #[test]
    fn configured_public_keys_verify_and_bad_ones_are_named() {
        let mut callers = BTreeMap::new();
        callers.insert(ROUTER.to_owned(), router().public_key());
        let v = CallerVerifier::new(&callers).unwrap();
        let header = router().sign(&Caller::User(3), TTL).unwrap();
        assert_eq!(v.verify(&header).unwrap(), Caller::User(3));
        callers.insert("upload".to_owned(), "not-a-key".to_owned());
        let err = CallerVerifier::new(&callers).unwrap_err();
        assert!(err.0.contains("auth.callers.upload"), "{err}");
    }

    #[test]
    fn short_secrets_and_bad_names_are_rejected_and_keys_never_print() {
        assert!(CallerSigner::new(ROUTER, &SecretString::from("short".to_owned())).is_err());
        assert!(CallerSigner::new("Up.load", &SecretString::from("z".repeat(40))).is_err());
        let printed = format!("{:?}", signer(ROUTER, "z"));
        assert!(!printed.contains("zzzz") && printed.contains("REDACTED"));
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
