//! A circuit breaker for one service instance. Closed, it lets every call through and counts
//! failures in a row; [`Rules::failures_to_open`] of them open it. Open, it refuses every call
//! for a cool-down; after that it is half-open and lets one call through as a probe: success
//! closes it, failure opens it again for twice the cool-down (up to [`Rules::max_cool_down`]).
//! A failure is the instance's fault: no connection, a reset, a timeout, a 5xx answer.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's numbers (`docs/discovery.md` says why these).
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub failures_to_open: u32,
    pub cool_down: Duration,
    pub max_cool_down: Duration,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            failures_to_open: 3,
            cool_down: Duration::from_secs(1),
            max_cool_down: Duration::from_secs(16),
        }
    }
}

/// The breaker's state, as metrics and `clipfed status` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug)]
enum Inner {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
        cool_down: Duration,
    },
    /// One probe is out; `cool_down` is the last one, doubled if the probe fails.
    HalfOpen {
        cool_down: Duration,
    },
}

#[derive(Debug)]
pub struct Breaker {
    rules: Rules,
    inner: Mutex<Inner>,
}

/// What a call's end did to the breaker, when it changed state.
pub type Transition = Option<State>;

impl Breaker {
    pub fn new(rules: Rules) -> Self {
        Self {
            rules,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a call may go to the instance now. An open breaker whose cool-down is over lets
    /// this one call through as the probe and is half-open until it ends.
    pub fn allow(&self, now: Instant) -> (bool, Transition) {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => (true, None),
            Inner::HalfOpen { .. } => (false, None),
            Inner::Open { until, cool_down } if now >= until => {
                *inner = Inner::HalfOpen { cool_down };
                (true, Some(State::HalfOpen))
            }
            Inner::Open { .. } => (false, None),
        }
    }

    /// Whether [`Breaker::allow`] would say yes, without taking the probe.
    pub fn available(&self, now: Instant) -> bool {
        match *self.lock() {
            Inner::Closed { .. } => true,
            Inner::HalfOpen { .. } => false,
            Inner::Open { until, .. } => now >= until,
        }
    }

    pub fn state(&self) -> State {
        match *self.lock() {
            Inner::Closed { .. } => State::Closed,
            Inner::Open { .. } => State::Open,
            Inner::HalfOpen { .. } => State::HalfOpen,
        }
    }

    /// A call that went through answered.
    pub fn success(&self) -> Transition {
        let mut inner = self.lock();
        let was_closed = matches!(*inner, Inner::Closed { .. });
        *inner = Inner::Closed { failures: 0 };
        (!was_closed).then_some(State::Closed)
    }

    /// A call that went through failed.
    pub fn failure(&self, now: Instant) -> Transition {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { failures } if failures + 1 >= self.rules.failures_to_open => {
                *inner = Inner::Open {
                    until: now + self.rules.cool_down,
                    cool_down: self.rules.cool_down,
                };
                Some(State::Open)
            }
            Inner::Closed { failures } => {
                *inner = Inner::Closed {
                    failures: failures + 1,
                };
                None
            }
            Inner::HalfOpen { cool_down } => {
                let cool_down = (cool_down * 2).min(self.rules.max_cool_down);
                *inner = Inner::Open {
                    until: now + cool_down,
                    cool_down,
                };
                Some(State::Open)
            }
            // A call let through before the breaker opened, ending late: already counted.
            Inner::Open { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_failures_in_a_row_and_probes_after_the_cool_down() {
        let b = Breaker::new(Rules::default());
        let t0 = Instant::now();
        assert_eq!(b.failure(t0), None);
        assert_eq!(b.success(), None, "a success resets the count");
        assert_eq!(b.failure(t0), None);
        assert_eq!(b.failure(t0), None);
        assert_eq!(b.failure(t0), Some(State::Open));
        assert_eq!(b.allow(t0), (false, None));
        assert!(!b.available(t0 + Duration::from_millis(999)));
        let later = t0 + Duration::from_secs(1);
        assert!(b.available(later));
        assert_eq!(b.allow(later), (true, Some(State::HalfOpen)));
        assert_eq!(b.allow(later), (false, None), "one probe at a time");
        assert_eq!(b.success(), Some(State::Closed));
        assert_eq!(b.state(), State::Closed);
    }

    #[test]
    fn a_failed_probe_doubles_the_cool_down_up_to_the_limit() {
        let rules = Rules {
            failures_to_open: 1,
            cool_down: Duration::from_secs(4),
            max_cool_down: Duration::from_secs(10),
        };
        let b = Breaker::new(rules);
        let mut now = Instant::now();
        b.failure(now);
        for expected in [8, 10, 10] {
            now += Duration::from_secs(20);
            assert!(b.allow(now).0);
            assert_eq!(b.failure(now), Some(State::Open));
            assert!(!b.available(now + Duration::from_secs(expected - 1)));
            assert!(b.available(now + Duration::from_secs(expected)));
        }
    }
}
