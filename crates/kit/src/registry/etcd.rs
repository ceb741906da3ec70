//! A small etcd v3 client over etcd's JSON gateway (`POST /v3/...` on the client port, served by
//! every etcd since 3.3): leases, put, delete, prefix listing and prefix watches, all clipfed
//! needs. The gateway rather than the gRPC crate: reqwest is already in every clipfed binary, so
//! this costs no protobuf compiler and no second HTTP stack in the build.
//!
//! The gateway writes keys and values in base64 and 64-bit numbers as JSON strings; the helpers
//! here hide both. Several endpoints may be given: a call goes to the next one when one fails.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::{Value, json};

/// An etcd call that failed: unreachable, refused, or an answer that is not etcd's.
#[derive(Debug, thiserror::Error)]
#[error("etcd: {0}")]
pub struct EtcdError(String);

impl EtcdError {
    pub(crate) fn new(what: impl std::fmt::Display) -> Self {
        Self(what.to_string())
    }
}

/// One change seen by a watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

/// What a watch stream yields: changes, or word that the watch cannot go on from where it is (its
/// revision was compacted away, or etcd cancelled it), after which the caller lists again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchItem {
    Events(Vec<Event>),
    Restart,
}

/// The client: a connection pool and the endpoints (`http://host:port`).
#[derive(Debug)]
pub struct Etcd {
    http: reqwest::Client,
    endpoints: Vec<String>,
    next: AtomicUsize,
}

/// How long one unary call may take (a watch has no overall limit, only the connect one).
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

impl Etcd {
    /// A client of `endpoints`, comma-separated URLs.
    pub fn new(endpoints: &str) -> Result<Self, EtcdError> {
        let endpoints: Vec<String> = endpoints
            .split(',')
            .map(|e| e.trim().trim_end_matches('/').to_owned())
            .filter(|e| !e.is_empty())
            .collect();
        if endpoints.is_empty() {
            return Err(EtcdError::new("no endpoint given"));
        }
        if let Some(bad) = endpoints.iter().find(|e| !e.starts_with("http")) {
            return Err(EtcdError::new(format!("{bad:?} is not an http(s) URL")));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(EtcdError::new)?;
        Ok(Self {
            http,
            endpoints,
            next: AtomicUsize::new(0),
        })
    }

    fn request(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        let at = self.next.load(Ordering::Relaxed) % self.endpoints.len();
        self.http
            .post(format!("{}{path}", self.endpoints[at]))
            .json(body)
    }

    /// Moves on to the next endpoint after a failure.
    fn rotate(&self) {
        self.next.fetch_add(1, Ordering::Relaxed);
    }

    /// A unary call: each endpoint is tried once, in turn.
    async fn call(&self, path: &str, body: Value) -> Result<Value, EtcdError> {
        let mut last = EtcdError::new("no endpoint answered");
        for _ in 0..self.endpoints.len() {
            let sent = self.request(path, &body).timeout(CALL_TIMEOUT).send().await;
            match sent {
                Ok(answer) if answer.status().is_success() => {
                    return answer.json().await.map_err(EtcdError::new);
                }
                Ok(answer) => {
                    let status = answer.status();
                    let text = answer.text().await.unwrap_or_default();
                    // A refusal is etcd's own answer (a lost lease, a bad key): do not retry it elsewhere.
                    return Err(EtcdError::new(format!("{path} answered {status}: {text}")));
                }
                Err(err) => {
                    last = EtcdError::new(format!("{path}: {err}"));
                    self.rotate();
                }
            }
        }
        Err(last)
    }

    /// A lease of `ttl_secs`; its id.
    pub async fn grant(&self, ttl_secs: u64) -> Result<i64, EtcdError> {
        let answer = self
            .call("/v3/lease/grant", json!({"TTL": ttl_secs}))
            .await?;
        number(&answer["ID"]).ok_or_else(|| EtcdError::new(format!("no lease id in {answer}")))
    }

    /// Renews `lease` once; the seconds it has left, 0 when it no longer exists.
    pub async fn keep_alive(&self, lease: i64) -> Result<i64, EtcdError> {
        let answer = self
            .call("/v3/lease/keepalive", json!({"ID": lease.to_string()}))
            .await?;
        // A streaming call: its one answer comes wrapped as `result`.
        Ok(number(&answer["result"]["TTL"]).unwrap_or(0))
    }

    /// Ends `lease` and deletes the keys attached to it.
    pub async fn revoke(&self, lease: i64) -> Result<(), EtcdError> {
        self.call("/v3/lease/revoke", json!({"ID": lease.to_string()}))
            .await
            .map(drop)
    }

    /// Sets `key` to `value`, attached to `lease` (0: none).
    pub async fn put(&self, key: &str, value: &[u8], lease: i64) -> Result<(), EtcdError> {
        let mut body = json!({"key": B64.encode(key), "value": B64.encode(value)});
        if lease != 0 {
            body["lease"] = json!(lease.to_string());
        }
        self.call("/v3/kv/put", body).await.map(drop)
    }

    /// Deletes `key`.
    pub async fn delete(&self, key: &str) -> Result<(), EtcdError> {
        self.call("/v3/kv/deleterange", json!({"key": B64.encode(key)}))
            .await
            .map(drop)
    }

    /// Every key under `prefix` with its value, and the store's revision they were read at.
    pub async fn list(&self, prefix: &str) -> Result<(i64, Vec<(String, Vec<u8>)>), EtcdError> {
        let answer = self
            .call(
                "/v3/kv/range",
                json!({"key": B64.encode(prefix), "range_end": B64.encode(prefix_end(prefix))}),
            )
            .await?;
        let revision = number(&answer["header"]["revision"])
            .ok_or_else(|| EtcdError::new(format!("no revision in {answer}")))?;
        let pairs = answer["kvs"]
            .as_array()
            .map(|kvs| kvs.iter().filter_map(pair).collect())
            .unwrap_or_default();
        Ok((revision, pairs))
    }

    /// Changes under `prefix` from `revision` on, as they happen. The stream ends when the
    /// connection does; an error item is a broken answer.
    pub async fn watch(
        &self,
        prefix: &str,
        revision: i64,
    ) -> Result<BoxStream<'static, Result<WatchItem, EtcdError>>, EtcdError> {
        let body = json!({"create_request": {
            "key": B64.encode(prefix),
            "range_end": B64.encode(prefix_end(prefix)),
            "start_revision": revision.to_string(),
        }});
        let answer = match self.request("/v3/watch", &body).send().await {
            Ok(answer) if answer.status().is_success() => answer,
            Ok(answer) => {
                return Err(EtcdError::new(format!(
                    "watch answered {}",
                    answer.status()
                )));
            }
            Err(err) => {
                self.rotate();
                return Err(EtcdError::new(format!("watch: {err}")));
            }
        };
        let lines = Lines::default();
        Ok(answer
            .bytes_stream()
            .scan(lines, |lines, chunk| {
                let items = match chunk {
                    Ok(bytes) => lines.push(&bytes),
                    Err(err) => vec![Err(EtcdError::new(format!("watch: {err}")))],
                };
                futures::future::ready(Some(futures::stream::iter(items)))
            })
            .flatten()
            .boxed())
    }
}

/// The first key after every key that starts with `prefix` (etcd's `range_end` for a prefix).
pub fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte is 0xff: "to the end of the keyspace".
    vec![0]
}

/// A 64-bit number as the gateway writes it (a string) or as a plain number.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn decoded(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => B64.decode(s).ok(),
        // The gateway leaves an empty value out.
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

fn pair(kv: &Value) -> Option<(String, Vec<u8>)> {
    let key = String::from_utf8(decoded(&kv["key"])?).ok()?;
    Some((key, decoded(&kv["value"])?))
}

/// Splits the watch's byte stream into its JSON lines and reads each.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) -> Vec<Result<WatchItem, EtcdError>> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            out.push(
                serde_json::from_slice::<Value>(&line)
                    .map_err(EtcdError::new)
                    .and_then(|v| watch_item(&v)),
            );
        }
        out
    }
}

/// One line of a watch answer.
fn watch_item(line: &Value) -> Result<WatchItem, EtcdError> {
    if !line["error"].is_null() {
        return Err(EtcdError::new(format!("watch: {}", line["error"])));
    }
    let result = &line["result"];
    if result["canceled"].as_bool() == Some(true) || !result["compact_revision"].is_null() {
        return Ok(WatchItem::Restart);
    }
    let events = result["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| {
                    let (key, value) = pair(&e["kv"])?;
                    // PUT is the enum's zero value, which the gateway leaves out.
                    Some(match e["type"].as_str() {
                        Some("DELETE") => Event::Delete { key },
                        _ => Event::Put { key, value },
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(WatchItem::Events(events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_at_its_last_byte_plus_one() {
        assert_eq!(prefix_end("/a/"), b"/a0".to_vec());
        assert_eq!(prefix_end("ab"), b"ac".to_vec());
    }

    #[test]
    fn watch_lines_are_read_across_chunk_boundaries() {
        let mut lines = Lines::default();
        let put = format!(
            r#"{{"result":{{"events":[{{"kv":{{"key":"{}","value":"{}"}}}}]}}}}"#,
            B64.encode("/p/a"),
            B64.encode("1")
        );
        let del = format!(
            r#"{{"result":{{"events":[{{"type":"DELETE","kv":{{"key":"{}"}}}}]}}}}"#,
            B64.encode("/p/a")
        );
        let text = format!("{put}\n{del}\n{{\"result\":{{\"canceled\":true}}}}\n");
        let (head, tail) = text.as_bytes().split_at(17);
        assert!(lines.push(head).is_empty(), "half a line is kept");
        let items: Vec<_> = lines.push(tail).into_iter().map(Result::unwrap).collect();
        assert_eq!(
            items,
            vec![
                WatchItem::Events(vec![Event::Put {
                    key: "/p/a".into(),
                    value: b"1".to_vec()
                }]),
                WatchItem::Events(vec![Event::Delete { key: "/p/a".into() }]),
                WatchItem::Restart,
            ]
        );
        assert!(lines.push(b"{\"error\":{\"message\":\"x\"}}\n")[0].is_err());
    }

    #[test]
    fn endpoints_must_be_urls() {
        assert!(Etcd::new("").is_err());
        assert!(Etcd::new("127.0.0.1:2379").is_err());
        assert!(Etcd::new("http://127.0.0.1:2379, http://127.0.0.1:22379").is_ok());
    }
}
