//! Recording a finished upload where it belongs: a video in the video subgraph (`registerVideo`,
//! idempotent per upload id), an avatar in the user subgraph (`setAvatar`). Calls carry the
//! service credential (`x-clipfed-caller: v1.s.upload...`) and are retried with backoff for
//! `register.retry_secs` while the subgraph is unreachable or answers with an error the client did
//! not cause: UNAVAILABLE, INTERNAL, RATE_LIMITED, and UNAUTHENTICATED/FORBIDDEN, which mean our
//! own credential was refused (a caller-key rotation in progress, clock skew past the header's
//! life). Those keep the object and the session: the client's resend of its last chunk, or an
//! operator, retries, and `clipfed_upload_registration_failures_total` says it happened. Only an
//! answer about the upload itself (a bad title, another upload's id, the uploader gone) is a
//! refusal, final for this upload.

use std::time::Duration;

use kit::caller::{Caller, CallerSigner};
use serde_json::{Value, json};

use crate::config::RegisterConfig;
use crate::domain::kind::Kind;
use crate::store::sessions::Session;

/// How a registration ended.
#[derive(Debug)]
pub enum Outcome {
    /// Recorded: the video id (videos), and the subgraph's answer.
    Recorded { id: Option<i64>, answer: Value },
    /// The subgraph refused the record (it will not change its mind).
    Refused(String),
    /// Still failing after the retry budget.
    Unreachable(String),
}

#[derive(Clone)]
pub struct Registrar {
    http: reqwest::Client,
    cfg: RegisterConfig,
    key: CallerSigner,
}

const REGISTER_VIDEO: &str =
    "mutation($input: RegisterVideoInput!) { registerVideo(input: $input) { id } }";
const SET_AVATAR: &str = "mutation($userId: ID!, $objectKey: String!) { setAvatar(userId: $userId, objectKey: $objectKey) \
     { id username avatarUrl createdAt updatedAt deletedAt } }";

impl Registrar {
    pub fn new(cfg: RegisterConfig, key: CallerSigner) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // Below the subgraphs' 30 s idle keep-alive close.
            .pool_idle_timeout(Duration::from_secs(20))
            .build()?;
        Ok(Self { http, cfg, key })
    }

    /// Records a complete upload; retries transient failures within the budget.
    pub async fn register(&self, s: &Session) -> Outcome {
        let (url, query, variables, field) = match Kind::from_code(s.kind) {
            Some(Kind::Video) => (
                &self.cfg.video_url,
                REGISTER_VIDEO,
                json!({"input": {
                    "uploadId": s.id,
                    "authorId": s.owner_id.to_string(),
                    "objectKey": s.object_key,
                    "title": s.title,
                    "description": s.description,
                    "sizeBytes": s.length,
                    "checksum": format!("sha256:{}", s.checksum),
                    "contentType": s.content_type,
                }}),
                "registerVideo",
            ),
            Some(Kind::Avatar) => (
                &self.cfg.user_url,
                SET_AVATAR,
                json!({"userId": s.owner_id.to_string(), "objectKey": s.object_key}),
                "setAvatar",
            ),
            _ => {
                return Outcome::Recorded {
                    id: None,
                    answer: Value::Null,
                };
            }
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.cfg.retry_secs);
        let mut backoff = Duration::from_millis(200);
        loop {
            match self.call(url, query, &variables, field).await {
                Ok(answer) => {
                    let id = answer["id"].as_str().and_then(|i| i.parse().ok());
                    return Outcome::Recorded { id, answer };
                }
                Err(Failure::Refused(msg)) => return Outcome::Refused(msg),
                Err(Failure::Transient(msg)) => {
                    if tokio::time::Instant::now() + backoff > deadline {
                        return Outcome::Unreachable(msg);
                    }
                    tracing::warn!(upload.id = %s.id, error.message = %msg, "registration failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn call(
        &self,
        url: &str,
        query: &str,
        variables: &Value,
        field: &str,
    ) -> Result<Value, Failure> {
        let header = self
            .key
            .sign(&Caller::Service("upload".into()), Duration::from_secs(60))
            .ok_or_else(|| Failure::Refused("cannot sign the service credential".into()))?;
        let response = self
            .http
            .post(url)
            .header(kit::caller::HEADER, header)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| Failure::Transient(format!("{status}: {e}")))?;
        if let Some(err) = body["errors"].get(0) {
            let code = err["extensions"]["code"].as_i64();
            let msg = err["message"]
                .as_str()
                .unwrap_or("registration failed")
                .to_owned();
            let transient = code
                .and_then(|c| i32::try_from(c).ok())
                .and_then(kit::ErrorCode::from_code)
                .is_none_or(not_the_clients_fault);
            crate::metrics::registration_failure(if transient { "transient" } else { "refused" });
            return Err(if transient {
                Failure::Transient(msg)
            } else {
                Failure::Refused(msg)
            });
        }
        match body["data"][field].clone() {
            Value::Null => Err(Failure::Transient(format!("{status}: no data"))),
            answer => Ok(answer),
        }
    }
}

/// Answers that say nothing about the upload: retried, never a reason to drop acknowledged bytes.
fn not_the_clients_fault(code: kit::ErrorCode) -> bool {
    use kit::ErrorCode::*;
    matches!(
        code,
        Unavailable | Internal | RateLimited | Unauthenticated | TokenExpired | Forbidden
    )
}

enum Failure {
    Refused(String),
    Transient(String),
}

#[cfg(test)]
mod tests {
    use super::not_the_clients_fault;
    use kit::ErrorCode;

    #[test]
    fn credential_and_availability_errors_are_retried_and_upload_errors_are_final() {
        for code in [
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
            ErrorCode::RateLimited,
        ] {
            assert!(not_the_clients_fault(code), "{code:?}");
        }
        for code in [
            ErrorCode::InvalidParameter,
            ErrorCode::UploadConflict,
            ErrorCode::UserNotFound,
        ] {
            assert!(!not_the_clients_fault(code), "{code:?}");
        }
    }
}
