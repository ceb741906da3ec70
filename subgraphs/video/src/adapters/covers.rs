//! Cover extraction, off the registration path: a queue of `(video id, object key)` worked by at
//! most `cover.concurrency` ffmpeg processes. ffmpeg reads the video through a presigned GET URL,
//! writes one JPEG frame (at `cover.seek_secs`, or the first frame of a shorter video) to stdout,
//! and the frame is PUT to `covers/<id>.jpg` through a presigned URL. ffprobe adds the duration.
//!
//! Outcomes land in `videos.cover_status`: extracted (a `cover_ready` event follows), default (no
//! ffmpeg on this machine, or the bytes do not decode: the default cover stays) or still pending
//! after an I/O error (retried by the sweep at the next start).

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::process::Command;
use tokio::sync::{Notify, Semaphore, mpsc};

use crate::adapters::feed_cache::FeedCache;
use crate::adapters::ranking::Ranking;
use crate::config::{CoverConfig, Topics};
use crate::domain::events::VideoEvent;
use crate::metrics;
use crate::store::videos::{self, CoverStatus};

/// Waiting jobs beyond which new ones are left to the next start's sweep.
const QUEUE: usize = 1024;
/// Longest side of a cover, pixels.
const MAX_WIDTH: u32 = 640;
/// Presigned URLs for ffmpeg and the upload live this long.
const URL_TTL: Duration = Duration::from_secs(900);

/// The sending side: registration enqueues and returns at once.
#[derive(Clone)]
pub struct CoverQueue(mpsc::Sender<(i64, String)>);

impl CoverQueue {
    /// Asks for a cover; when the queue is full the video stays pending for the next sweep.
    pub fn request(&self, id: i64, object_key: String) {
        if self.0.try_send((id, object_key)).is_err() {
            tracing::warn!(video.id = id, "cover queue full; left for the next sweep");
        }
    }
}

/// What the worker needs.
pub struct CoverWorker {
    pub cfg: CoverConfig,
    pub pool: sqlx::MySqlPool,
    pub ranking: Ranking,
    pub feed_cache: FeedCache,
    pub presigner: kit::s3::Presigner,
    pub topics: Topics,
    pub relay: Arc<Notify>,
    pub http: reqwest::Client,
}

/// Why a cover could not be made.
enum Failure {
    /// Retrying will not help (no ffmpeg, undecodable bytes): keep the default cover.
    Permanent(String),
    /// Storage or database trouble: leave pending.
    Transient(String),
}

/// A queue and its receiving end (start the worker with [`CoverWorker::run`]).
pub fn queue() -> (CoverQueue, mpsc::Receiver<(i64, String)>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    (CoverQueue(tx), rx)
}

impl CoverWorker {
    /// Works the queue until it closes.
    pub async fn run(self, mut rx: mpsc::Receiver<(i64, String)>) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.cfg.concurrency.max(1)));
        while let Some((id, key)) = rx.recv().await {
            let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            let this = Arc::clone(&this);
            tokio::spawn(async move {
                this.one(id, &key).await;
                drop(permit);
            });
        }
    }

    #[tracing::instrument(skip_all, fields(video.id = id))]
    async fn one(&self, id: i64, key: &str) {
        let outcome = self.extract(id, key).await;
        let (status, cover_key, duration) = match outcome {
            Ok((cover_key, duration)) => (CoverStatus::Extracted, Some(cover_key), duration),
            Err(Failure::Permanent(why)) => {
                tracing::info!(reason = %why, "default cover kept");
                (CoverStatus::Default, None, None)
            }
            Err(Failure::Transient(why)) => {
                tracing::warn!(error.message = %why, "cover extraction failed; retried at restart");
                metrics::cover("error");
                return;
            }
        };
        if let Err(err) = self
            .record(id, status, cover_key.as_deref(), duration)
            .await
        {
            tracing::warn!(error.message = %err, "recording the cover failed");
            metrics::cover("error");
            return;
        }
        metrics::cover(match status {
            CoverStatus::Extracted => "extracted",
            _ => "default",
        });
    }

    async fn extract(&self, id: i64, key: &str) -> Result<(String, Option<i64>), Failure> {
        let source = self.presigner.get(key, URL_TTL);
        let mut frame = self.frame(&source, self.cfg.seek_secs).await?;
        if frame.is_empty() && self.cfg.seek_secs > 0.0 {
            // Shorter than the seek point: take the first frame.
            frame = self.frame(&source, 0.0).await?;
        }
        if frame.is_empty() {
            return Err(Failure::Permanent("no decodable frame".into()));
        }
        let duration = self.duration_ms(&source).await;
        let cover_key = format!("covers/{id}.jpg");
        let put = self
            .http
            .put(self.presigner.put(&cover_key, URL_TTL))
            .header("content-type", "image/jpeg")
            .body(frame)
            .send()
            .await
            .map_err(|e| Failure::Transient(e.to_string()))?;
        if !put.status().is_success() {
            return Err(Failure::Transient(format!("cover PUT: {}", put.status())));
        }
        Ok((cover_key, duration))
    }

    /// What ffmpeg and ffprobe may open: the presigned URL over HTTP(S) only (no `file:`, no other
    /// protocol), read only by the demuxers of the containers the upload service accepts. Without the
    /// format list, a file whose bytes probe as a playlist (HLS, `concat`) would make ffmpeg fetch the
    /// URLs inside it: any internal address. (The demuxer is limited, not forced: one upload kind
    /// covers several containers, and ffmpeg still probes among these.)
    const INPUT_LIMITS: &[&str] = &[
        "-protocol_whitelist",
        "http,https,tcp,tls",
        "-format_whitelist",
        "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpeg,mpegps,mpegts,mpegvideo,asf",
    ];

    /// One JPEG frame at `seek` seconds; empty when the video is shorter.
    async fn frame(&self, source: &str, seek: f64) -> Result<Vec<u8>, Failure> {
        let mut cmd = Command::new(&self.cfg.ffmpeg);
        cmd.args(["-nostdin", "-v", "error"])
            .args(Self::INPUT_LIMITS)
            .args(["-ss", &seek.to_string(), "-i", source])
            .args(["-frames:v", "1", "-vf"])
            .arg(format!("scale='min({MAX_WIDTH},iw)':-2"))
            .args(["-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1"]);
        let out = self.output(cmd).await?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            return Err(Failure::Permanent(format!("ffmpeg: {why}")));
        }
        Ok(out.stdout)
    }

    /// The duration ffprobe reports, if it runs and knows it.
    async fn duration_ms(&self, source: &str) -> Option<i64> {
        let mut cmd = Command::new(&self.cfg.ffprobe);
        cmd.args(["-v", "error"])
            .args(Self::INPUT_LIMITS)
            .args(["-show_entries", "format=duration"])
            .args(["-of", "default=noprint_wrappers=1:nokey=1", source]);
        let out = self.output(cmd).await.ok()?;
        let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
        (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as i64)
    }

    async fn output(&self, mut cmd: Command) -> Result<std::process::Output, Failure> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let timeout = Duration::from_secs(self.cfg.timeout_secs);
        match tokio::time::timeout(timeout, cmd.output()).await {
            Err(_) => Err(Failure::Permanent("timed out".into())),
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                Err(Failure::Permanent("ffmpeg is not installed".into()))
            }
            Ok(Err(err)) => Err(Failure::Transient(err.to_string())),
            Ok(Ok(out)) => Ok(out),
        }
    }

    async fn record(
        &self,
        id: i64,
        status: CoverStatus,
        cover_key: Option<&str>,
        duration: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        videos::set_cover(
            &mut tx,
            id,
            status,
            cover_key,
            duration,
            Utc::now().naive_utc(),
        )
        .await?;
        if let Some(cover_key) = cover_key {
            let event = VideoEvent::CoverReady {
                id: kit::id::next_id(),
                video_id: id,
                cover_key: cover_key.to_owned(),
            };
            let payload = serde_json::to_vec(&event).unwrap_or_default();
            kit::outbox::enqueue(
                &mut tx,
                event.id(),
                &self.topics.events,
                id.to_string().as_bytes(),
                &payload,
            )
            .await?;
        }
        tx.commit().await?;
        self.feed_cache.changed().await;
        self.relay.notify_one();
        if let Err(err) = self.ranking.forget(id).await {
            tracing::warn!(error.message = %err, "cached row not dropped");
        }
        Ok(())
    }
}

/// Enqueues the videos an earlier run left pending. Runs before the service accepts requests, so
/// a video registered now is queued once, by its registration, and never again by the sweep.
pub async fn sweep(pool: &sqlx::MySqlPool, queue: &CoverQueue) {
    match videos::pending_covers(pool, QUEUE as i64 / 2).await {
        Ok(pending) => {
            for (id, key) in pending {
                queue.request(id, key);
            }
        }
        Err(err) => tracing::warn!(error.message = %err, "cover sweep failed"),
    }
}

/// Uploads the default cover unless the bucket has it (best effort: a failure is logged).
pub async fn ensure_default(http: &reqwest::Client, presigner: &kit::s3::Presigner, key: &str) {
    const DEFAULT_COVER: &[u8] = include_bytes!("../../assets/default-cover.png");
    let present = http
        .get(presigner.get(key, URL_TTL))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    if present {
        return;
    }
    let put = http
        .put(presigner.put(key, URL_TTL))
        .header("content-type", "image/png")
        .body(DEFAULT_COVER)
        .send()
        .await;
    match put {
        Ok(r) if r.status().is_success() => {
            tracing::info!(object.key = key, "default cover uploaded")
        }
        Ok(r) => tracing::warn!(
            http.response.status_code = r.status().as_u16(),
            "default cover upload refused"
        ),
        Err(err) => tracing::warn!(error.message = %err, "default cover upload failed"),
    }
}
