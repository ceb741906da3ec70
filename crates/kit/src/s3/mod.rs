//! Presigned S3 URLs (AWS Signature Version 4, query-string form), for any S3-compatible store.
//!
//! A presigned URL lets a browser GET (or PUT) one object until it expires, without credentials of
//! its own: services hand them out for avatars, covers and videos. Signing is pure computation (a few
//! HMACs), so it needs no SDK and no network. URLs are path-style (`<endpoint>/<bucket>/<key>`),
//! which every S3-compatible server accepts (s3s-fs locally; MinIO, Ceph and AWS S3 alike).
//!
//! The signature covers the method, the path, the query parameters and the `host` header; the body
//! is `UNSIGNED-PAYLOAD`, as browsers cannot sign what they upload.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};

mod urls;
pub use urls::{ObjectUrls, UrlConfig, UrlMode};

/// Longest validity SigV4 allows.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the object store is and how to sign for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Base URL of the server, e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: SecretString,
}

/// An S3 section that cannot work: the message names the key to fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct S3ConfigError(String);

/// The secret of the local s3s-fs (`clipfed up`); production refuses it.
pub const LOCAL_SECRET: &str = "clipfed-local-secret";

impl S3Config {
    /// In production, refuses the local stack's secret (production must bring its own).
    pub fn check(&self, production: bool) -> Result<(), S3ConfigError> {
        if production && self.secret_key.expose_secret() == LOCAL_SECRET {
            return Err(S3ConfigError(
                "s3.secret_key is the local s3s-fs key; set CLIPFED_S3__SECRET_KEY".into(),
            ));
        }
        Ok(())
    }
}

/// Signs URLs for the objects of one bucket.
#[derive(Clone)]
pub struct Presigner {
    scheme_host: String,
    host: String,
    region: String,
    bucket: String,
    access_key: String,
    secret_key: SecretString,
}

impl std::fmt::Debug for Presigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presigner")
            .field("endpoint", &self.scheme_host)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl Presigner {
    /// Checks the endpoint (`http(s)://host[:port]`, nothing after it) and keeps the config.
    pub fn new(config: &S3Config) -> Result<Self, S3ConfigError> {
        let endpoint = config.endpoint.trim_end_matches('/');
        let host = endpoint
            .strip_prefix("http://")
            .or_else(|| endpoint.strip_prefix("https://"))
            .filter(|h| !h.is_empty() && !h.contains('/'))
            .ok_or_else(|| {
                S3ConfigError(format!(
                    "s3 endpoint {endpoint:?} must be http(s)://host[:port]"
                ))
            })?;
        if config.bucket.is_empty() || config.access_key.is_empty() {
            return Err(S3ConfigError("s3 bucket and access_key must be set".into()));
        }
        Ok(Self {
            scheme_host: endpoint.to_owned(),
            host: host.to_owned(),
            region: config.region.clone(),
            bucket: config.bucket.clone(),
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
        })
    }

    /// A URL that GETs `key` until `expires` from now (capped at [`MAX_EXPIRY`]).
    pub fn get(&self, key: &str, expires: Duration) -> String {
        self.presign("GET", key, expires, SystemTime::now().into())
    }

    /// A URL that GETs `key` from `at` until `expires` after it (capped at [`MAX_EXPIRY`]).
    pub fn get_from(&self, key: &str, expires: Duration, at: DateTime<Utc>) -> String {
        self.presign("GET", key, expires, at)
    }

    /// A URL that PUTs `key` until `expires` from now (capped at [`MAX_EXPIRY`]).
    pub fn put(&self, key: &str, expires: Duration) -> String {
        self.presign("PUT", key, expires, SystemTime::now().into())
    }

    fn presign(&self, method: &str, key: &str, expires: Duration, now: DateTime<Utc>) -> String {
        let path = format!("/{}/{}", encode(&self.bucket, false), encode(key, true));
        let query = sign_query(&Request {
            method,
            host: &self.host,
            path: &path,
            region: &self.region,
            access_key: &self.access_key,
            secret_key: self.secret_key.expose_secret(),
            expires: expires.min(MAX_EXPIRY),
            now,
        });
        format!("{}{path}?{query}", self.scheme_host)
    }
}

/// One request to sign.
struct Request<'a> {
    method: &'a str,
    host: &'a str,
    /// Already URI-encoded.
    path: &'a str,
    region: &'a str,
    access_key: &'a str,
    secret_key: &'a str,
    expires: Duration,
    now: DateTime<Utc>,
}

/// The signed query string of a presigned request.
fn sign_query(req: &Request<'_>) -> String {
    let date = req.now.format("%Y%m%d").to_string();
    let stamp = req.now.format("%Y%m%dT%H%M%SZ").to_string();
    let scope = format!("{date}/{}/s3/aws4_request", req.region);
    // Already in the sorted order SigV4 requires.
    let query = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
        ("X-Amz-Credential", format!("{}/{scope}", req.access_key)),
        ("X-Amz-Date", stamp.clone()),
        ("X-Amz-Expires", req.expires.as_secs().max(1).to_string()),
        ("X-Amz-SignedHeaders", "host".to_owned()),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", encode(v, false)))
    .collect::<Vec<_>>()
    .join("&");
    let canonical = format!(
        "{}\n{}\n{query}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD",
        req.method, req.path, req.host
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{}", req.secret_key).as_bytes(), &date);
    for part in [req.region, "s3", "aws4_request"] {
        key = hmac(&key, part);
    }
    format!("{query}&X-Amz-Signature={}", hex(&hmac(&key, &to_sign)))
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4 URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` is `%XX`; `/` is kept in object keys.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// The worked example of AWS's "Authenticating Requests: Using Query Parameters" page.
    #[test]
    fn the_published_aws_example_signs_to_its_published_signature() {
        let query = sign_query(&Request {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            region: "us-east-1",
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            expires: Duration::from_secs(86_400),
            now: Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap(),
        });
        assert!(query.ends_with(
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        ));
        assert!(query.contains(
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        ));
    }

    #[test]
    fn keys_are_encoded_per_segment_and_expiry_is_capped() {
        let presigner = Presigner::new(&S3Config {
            endpoint: "http://127.0.0.1:9000/".into(),
            region: "us-east-1".into(),
            bucket: "clipfed".into(),
            access_key: "ak".into(),
            secret_key: SecretString::from("sk".to_owned()),
        })
        .unwrap();
        let url = presigner.get("avatars/1/a b+ü.png", Duration::from_secs(30 * 24 * 3600));
        assert!(
            url.starts_with("http://127.0.0.1:9000/clipfed/avatars/1/a%20b%2B%C3%BC.png?"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=604800"), "{url}");
        assert!(!format!("{presigner:?}").contains("sk"), "secret printed");
    }

    #[test]
    fn endpoints_must_be_bare_http_urls() {
        for bad in ["127.0.0.1:9000", "ftp://x", "http://", "http://host/path"] {
            let config = S3Config {
                endpoint: bad.into(),
                region: "us-east-1".into(),
                bucket: "b".into(),
                access_key: "ak".into(),
                secret_key: SecretString::from("sk".to_owned()),
            };
            assert!(Presigner::new(&config).is_err(), "{bad} accepted");
        }
    }
}
