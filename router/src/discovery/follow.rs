//! The router's background task that keeps [`super::Pools`]' directory current with the registry
//! (`registry_endpoints`, `registry_prefix`) and records the registry metrics every two seconds.

use std::sync::Arc;
use std::time::Duration;

use hive_router::async_trait;
use hive_router::background_tasks::{BackgroundTask, CancellationToken};
use kit::registry::etcd::Etcd;

use super::Pools;
use crate::config::PluginConfig;

/// How often the registry gauges are recorded.
const REPORT_EVERY: Duration = Duration::from_secs(2);

pub struct Follow {
    etcd: Etcd,
    prefix: String,
    pools: Arc<Pools>,
}

impl Follow {
    /// The task, or `None` when no registry is configured.
    pub fn new(
        config: &PluginConfig,
        pools: &Arc<Pools>,
    ) -> Result<Option<Self>, kit::registry::etcd::EtcdError> {
        if config.registry_endpoints.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            etcd: Etcd::new(&config.registry_endpoints)?,
            prefix: config.registry_prefix.clone(),
            pools: Arc::clone(pools),
        }))
    }
}

#[async_trait]
impl BackgroundTask for Follow {
    fn id(&self) -> &str {
        "clipfed-registry"
    }

    async fn run(&self, token: CancellationToken) {
        let directory = self.pools.directory();
        let mut follow =
            std::pin::pin!(directory.follow(&self.etcd, &self.prefix, token.cancelled()));
        let mut report = tokio::time::interval(REPORT_EVERY);
        loop {
            tokio::select! {
                () = &mut follow => return,
                _ = report.tick() => {
                    crate::metrics::registry(&directory.sizes(), directory.reachable());
                }
            }
        }
    }
}
