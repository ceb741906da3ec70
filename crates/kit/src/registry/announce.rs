//! An instance's own registration. Once the service is ready (its readiness checks pass) it takes
//! a lease, puts its [`Instance`] record on it and renews the lease every third of its TTL. A
//! renewal that finds the lease gone (etcd lost it, or the instance was cut off for longer than
//! the TTL) registers again on a new lease; while etcd is unreachable the service keeps serving
//! and keeps retrying, its state is `unavailable` in `/readyz` and
//! `clipfed_registry_registered{service}` is 0. [`Announcer::withdraw`] deletes the key before the
//! server drains, then waits a moment so routers stop choosing the instance first.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;

use super::Instance;
use super::etcd::{Etcd, EtcdError};
use crate::config::RegistryConfig;
use crate::telemetry::{metrics, names};

/// Where an instance stands with the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not ready yet: nothing registered.
    Waiting = 0,
    Registered = 1,
    /// The last registration or renewal failed; retrying.
    Unreachable = 2,
}

impl Status {
    fn from_u8(n: u8) -> Self {
        match n {
            1 => Self::Registered,
            2 => Self::Unreachable,
            _ => Self::Waiting,
        }
    }
}

/// The running registration of one instance.
pub struct Announcer {
    etcd: Arc<Etcd>,
    key: String,
    status: Arc<AtomicU8>,
    lease: Arc<AtomicI64>,
    task: tokio::task::JoinHandle<()>,
    withdraw_delay: Duration,
    gauge: prometheus::IntGauge,
}

/// The first wait after a failed registration; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often readiness is asked before the first registration.
const READY_POLL: Duration = Duration::from_millis(200);

/// What [`Announcer::start`] is told about the instance.
pub struct Announced<'a> {
    pub service: &'a str,
    /// The address the server listens on.
    pub addr: SocketAddr,
    /// The GraphQL path, for a subgraph.
    pub graphql_path: Option<&'a str>,
}

impl Announcer {
    /// Starts registering the instance, or `None` when the configuration names no etcd endpoint.
    /// `ready` answers whether the service's readiness checks pass.
    pub fn start(
        config: &RegistryConfig,
        announced: Announced<'_>,
        ready: impl Fn() -> BoxFuture<'static, bool> + Send + Sync + 'static,
    ) -> Result<Option<Self>, EtcdError> {
        if config.endpoints.trim().is_empty() {
            return Ok(None);
        }
        let etcd = Arc::new(Etcd::new(&config.endpoints)?);
        let instance = describe(config, &announced);
        let key = super::key(&config.prefix, &instance.service, &instance.id);
        let value = serde_json::to_vec(&instance).map_err(EtcdError::new)?;
        let status = Arc::new(AtomicU8::new(Status::Waiting as u8));
        let lease = Arc::new(AtomicI64::new(0));
        let gauge = metrics::gauge_vec(
            names::REGISTRY_REGISTERED,
            "1 while this instance's key is in the service registry",
            &["service"],
        )
        .with_label_values(&[announced.service]);
        gauge.set(0);
        let keeper = Keeper {
            etcd: Arc::clone(&etcd),
            key: key.clone(),
            value,
            ttl: Duration::from_secs(config.ttl_secs.max(2)),
            status: Arc::clone(&status),
            lease: Arc::clone(&lease),
            gauge: gauge.clone(),
            failures: metrics::counter_vec(
                names::REGISTRY_FAILURES,
                "Registrations and lease renewals that failed",
                &["service"],
            )
            .with_label_values(&[announced.service]),
        };
        let task = tokio::spawn(async move {
            while !ready().await {
                tokio::time::sleep(READY_POLL).await;
            }
            keeper.run().await;
        });
        tracing::info!(registry.key = %key, "registering once ready");
        Ok(Some(Self {
            etcd,
            key,
            status,
            lease,
            task,
            withdraw_delay: Duration::from_millis(config.withdraw_delay_ms),
            gauge,
        }))
    }

    pub fn status(&self) -> Status {
        Status::from_u8(self.status.load(Ordering::Relaxed))
    }

    /// A `/readyz` entry that shows the registration without gating readiness on it.
    pub fn check(&self) -> crate::server::Check {
        let status = Arc::clone(&self.status);
        crate::server::Check::informational("registry", move || {
            let now = Status::from_u8(status.load(Ordering::Relaxed));
            async move {
                match now {
                    Status::Registered => Ok(()),
                    Status::Waiting => Err("not registered yet".to_owned()),
                    Status::Unreachable => Err("etcd unreachable; retrying".to_owned()),
                }
            }
        })
    }

    /// Deletes the instance's key (and its lease), then waits the configured delay so routers
    /// that watch the registry stop sending before the server drains. Errors are logged: the
    /// lease runs out by itself.
    pub async fn withdraw(self) {
        self.task.abort();
        let lease = self.lease.load(Ordering::Relaxed);
        let deleted = tokio::time::timeout(Duration::from_secs(2), async {
            self.etcd.delete(&self.key).await?;
            if lease != 0 {
                self.etcd.revoke(lease).await?;
            }
            Ok::<_, EtcdError>(())
        })
        .await;
        self.gauge.set(0);
        match deleted {
            Ok(Ok(())) => tracing::info!(registry.key = %self.key, "deregistered"),
            Ok(Err(err)) => {
                tracing::warn!(error.message = %err, "deregistration failed; the lease will expire")
            }
            Err(_) => tracing::warn!("deregistration timed out; the lease will expire"),
        }
        tokio::time::sleep(self.withdraw_delay).await;
    }
}

/// The record an instance announces.
fn describe(config: &RegistryConfig, announced: &Announced<'_>) -> Instance {
    let host = if !config.advertise_host.trim().is_empty() {
        config.advertise_host.trim().to_owned()
    } else if announced.addr.ip().is_unspecified() {
        // Bound to every interface and told no better: loopback is right only on one machine.
        tracing::warn!(
            "listening on every interface without registry.advertise_host; announcing 127.0.0.1"
        );
        "127.0.0.1".to_owned()
    } else {
        announced.addr.ip().to_string()
    };
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    let http = format!("http://{host}:{}", announced.addr.port());
    Instance {
        service: announced.service.to_owned(),
        id: format!("{}-{:08x}", announced.addr.port(), rand::random::<u32>()),
        graphql: announced.graphql_path.map(|p| format!("{http}{p}")),
        http,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// The registration loop's state.
struct Keeper {
    etcd: Arc<Etcd>,
    key: String,
    value: Vec<u8>,
    ttl: Duration,
    status: Arc<AtomicU8>,
    lease: Arc<AtomicI64>,
    gauge: prometheus::IntGauge,
    failures: prometheus::IntCounter,
}

impl Keeper {
    fn set(&self, status: Status) {
        self.status.store(status as u8, Ordering::Relaxed);
        self.gauge.set(i64::from(status == Status::Registered));
    }

    fn failed(&self, what: &str, err: &EtcdError) {
        if self.status.load(Ordering::Relaxed) != Status::Unreachable as u8 {
            tracing::warn!(error.message = %err, "{what} failed; retrying");
        }
        self.failures.inc();
        self.set(Status::Unreachable);
    }

    /// Registers, keeps the lease alive, and registers again whenever the lease is lost.
    async fn run(self) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match self.register().await {
                Ok(lease) => {
                    backoff = FIRST_BACKOFF;
                    self.lease.store(lease, Ordering::Relaxed);
                    self.set(Status::Registered);
                    tracing::info!(registry.key = %self.key, "registered");
                    self.keep(lease).await;
                }
                Err(err) => {
                    self.failed("registration", &err);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    async fn register(&self) -> Result<i64, EtcdError> {
        let lease = self.etcd.grant(self.ttl.as_secs()).await?;
        self.etcd.put(&self.key, &self.value, lease).await?;
        Ok(lease)
    }

    /// Renews `lease` until etcd says it is gone. While etcd is unreachable it keeps trying: if
    /// etcd comes back with the lease (a restart keeps leases), nothing else is needed.
    async fn keep(&self, lease: i64) {
        loop {
            tokio::time::sleep(self.ttl / 3).await;
            match self.etcd.keep_alive(lease).await {
                Ok(left) if left > 0 => self.set(Status::Registered),
                Ok(_) => {
                    tracing::warn!(registry.key = %self.key, "lease lost; registering again");
                    return;
                }
                Err(err) => self.failed("lease renewal", &err),
            }
        }
    }
}
