//! Where the router sends each call (`docs/discovery.md`). [`Pools`] holds the live instances of
//! every service (a [`kit::registry::Directory`] that follows etcd), one [`breaker::Breaker`] per
//! instance, a round-robin turn per service and the retry budget. A service with no registered
//! instance (etcd empty or never reached) is served by its configured URL, which then has a
//! breaker of its own; while etcd is unreachable the last known instances stay in use.
//!
//! - [`executor`]: the subgraph executor that balances one subgraph's calls over its instances.
//! - [`breaker`]: the per-instance circuit breaker.
//! - [`follow`]: the background task that follows the registry.

pub mod breaker;
pub mod executor;
pub mod follow;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kit::registry::Directory;

use breaker::{Breaker, Rules, State};

/// One place a call can go.
#[derive(Clone)]
pub struct Target {
    pub service: String,
    /// Base URL of its HTTP routes.
    pub base: String,
    /// Its GraphQL endpoint.
    pub graphql: String,
    /// `host:port`: the metric label.
    pub instance: String,
    /// The configured URL, used because the registry lists no instance of the service.
    pub configured: bool,
    breaker: Arc<Breaker>,
}

impl Target {
    /// The call answered.
    pub fn success(&self) {
        crate::metrics::instance_call(&self.service, &self.instance, "ok");
        if let Some(state) = self.breaker.success() {
            self.transition(state);
        }
    }

    /// The call failed for a reason that is the instance's (no connection, a reset, a timeout,
    /// a 5xx).
    pub fn failure(&self) {
        crate::metrics::instance_call(&self.service, &self.instance, "failed");
        if let Some(state) = self.breaker.failure(Instant::now()) {
            self.transition(state);
        }
    }

    fn transition(&self, state: State) {
        tracing::warn!(
            service = %self.service,
            instance = %self.instance,
            breaker = state.as_str(),
            "instance circuit breaker changed state"
        );
        crate::metrics::breaker_transition(&self.service, &self.instance, state.as_str());
    }
}

/// The configured address of a service, used when the registry lists none: its base URL, and
/// its GraphQL endpoint for a subgraph (else `<base>/graphql`, unused).
pub struct Configured<'a> {
    pub base: &'a str,
    pub graphql: Option<&'a str>,
}

/// A service's instances, their breakers and turns.
pub struct Pools {
    directory: Directory,
    rules: Rules,
    /// By instance base URL.
    breakers: Mutex<HashMap<String, Arc<Breaker>>>,
    turns: Mutex<HashMap<String, usize>>,
    budget: RetryBudget,
}

impl Pools {
    pub fn new(directory: Directory, rules: Rules) -> Self {
        Self {
            directory,
            rules,
            breakers: Mutex::default(),
            turns: Mutex::default(),
            budget: RetryBudget::default(),
        }
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// The breaker of the instance at `base` (made on first use).
    fn breaker(&self, base: &str) -> Arc<Breaker> {
        let mut breakers = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(breaker) = breakers.get(base) {
            return Arc::clone(breaker);
        }
        let breaker = Arc::new(Breaker::new(self.rules));
        breakers.insert(base.to_owned(), Arc::clone(&breaker));
        breaker
    }

    /// The next instance of `service` in round-robin order whose breaker lets a call through,
    /// skipping those in `tried`; `None` when there is none (every breaker open, or all tried).
    pub fn choose(
        &self,
        service: &str,
        configured: &Configured<'_>,
        tried: &[String],
    ) -> Option<Target> {
        let listed = self.directory.instances(service);
        // Candidate `i`: base URL, GraphQL endpoint if announced, whether it is the configured URL.
        let at = |i: usize| match listed.get(i) {
            Some(instance) => (instance.http.as_str(), instance.graphql.as_deref(), false),
            None => (
                configured.base.trim_end_matches('/'),
                configured.graphql,
                true,
            ),
        };
        let n = listed.len().max(1);
        let start = self.turn(service);
        let now = Instant::now();
        (0..n)
            .map(|i| at((start + i) % n))
            .filter(|(base, _, _)| !tried.iter().any(|t| t == base))
            .find_map(|(base, graphql, configured)| {
                let breaker = self.breaker(base);
                let (allowed, transition) = breaker.allow(now);
                // Only the chosen instance (or one changing state) becomes a `Target`.
                if !allowed && transition.is_none() {
                    return None;
                }
                let target = Target {
                    service: service.to_owned(),
                    base: base.to_owned(),
                    graphql: graphql.map_or_else(|| format!("{base}/graphql"), str::to_owned),
                    instance: label(base),
                    configured,
                    breaker,
                };
                if let Some(state) = transition {
                    target.transition(state);
                }
                allowed.then_some(target)
            })
    }

    /// How many places `service`'s calls can go: its listed instances, or its configured URL.
    pub fn size(&self, service: &str) -> usize {
        self.directory.instances(service).len().max(1)
    }

    /// `service`'s round-robin position, advanced by one.
    fn turn(&self, service: &str) -> usize {
        let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        match turns.get_mut(service) {
            Some(turn) => {
                let start = *turn;
                *turn = turn.wrapping_add(1);
                start
            }
            None => {
                turns.insert(service.to_owned(), 1);
                0
            }
        }
    }

    /// Every instance the router knows of with its breaker state, for metrics and status.
    pub fn breaker_states(&self) -> Vec<(String, &'static str)> {
        let breakers = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        let mut states: Vec<_> = breakers
            .iter()
            .map(|(base, b)| (label(base), b.state().as_str()))
            .collect();
        states.sort();
        states
    }
}

/// `host:port` of a base URL.
fn label(base: &str) -> String {
    base.split_once("://")
        .map_or(base, |(_, rest)| rest)
        .trim_end_matches('/')
        .to_owned()
}

/// Retries allowed: each call adds a fifth of a token, each retry spends one, at most
/// [`RetryBudget::MAX`] saved. So retries stay near a fifth of the traffic when an instance
/// fails slowly, instead of doubling the load on the ones left.
pub struct RetryBudget {
    /// In fifths of a retry, so sums stay exact.
    fifths: Mutex<u32>,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            fifths: Mutex::new(Self::MAX),
        }
    }
}

impl RetryBudget {
    /// 20 retries saved at most.
    pub const MAX: u32 = 100;
    const PER_RETRY: u32 = 5;

    pub fn deposit(&self) {
        let mut t = self.fifths.lock().unwrap_or_else(|e| e.into_inner());
        *t = (*t + 1).min(Self::MAX);
    }

    /// Whether a retry may go out now (and spends for it).
    pub fn withdraw(&self) -> bool {
        let mut t = self.fifths.lock().unwrap_or_else(|e| e.into_inner());
        if *t >= Self::PER_RETRY {
            *t -= Self::PER_RETRY;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_host_and_port() {
        assert_eq!(label("http://127.0.0.1:8102/"), "127.0.0.1:8102");
        assert_eq!(label("10.0.0.1:80"), "10.0.0.1:80");
    }

    #[test]
    fn the_budget_allows_a_fifth_of_the_calls_after_its_savings() {
        let b = RetryBudget::default();
        let saved = (0..100).take_while(|_| b.withdraw()).count();
        assert_eq!(saved, 20);
        for _ in 0..10 {
            b.deposit();
        }
        assert!(b.withdraw(), "ten calls pay for two retries");
        assert!(b.withdraw());
        assert!(!b.withdraw());
    }

    #[test]
    fn without_instances_the_configured_url_serves_and_has_a_breaker() {
        let pools = Pools::new(Directory::new(), Rules::default());
        let configured = Configured {
            base: "http://127.0.0.1:9",
            graphql: Some("http://127.0.0.1:9/graphql"),
        };
        let t = pools.choose("video", &configured, &[]).unwrap();
        assert!(t.configured);
        assert_eq!(t.instance, "127.0.0.1:9");
        for _ in 0..3 {
            t.failure();
        }
        assert!(pools.choose("video", &configured, &[]).is_none(), "open");
        assert_eq!(pools.breaker_states(), [("127.0.0.1:9".to_owned(), "open")]);
    }
}
