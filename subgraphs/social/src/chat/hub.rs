//! Who is connected, for live delivery: each open connection registers a bounded queue under its
//! user. A push never waits: a connection whose queue is full is dropped from the hub (its session
//! then closes it), so one slow client cannot hold up a sender or grow memory. Nothing is lost by
//! that: every message is stored before it is pushed and stays in the history.
//!
//! The hub is per process; [`super::relay`] carries pushes to the other social instances.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

/// One frame to push, shared by every connection it goes to.
pub type Push = Arc<str>;

type Queues = HashMap<i64, Vec<(u64, mpsc::Sender<Push>)>>;

#[derive(Default)]
pub struct Hub {
    queues: Mutex<Queues>,
    next: AtomicU64,
}

/// A registered connection; dropping it unregisters.
pub struct Seat {
    hub: Arc<Hub>,
    user: i64,
    pub id: u64,
}

impl Hub {
    /// Registers a connection of `user` with room for `buffer` pushes.
    pub fn join(self: &Arc<Self>, user: i64, buffer: usize) -> (Seat, mpsc::Receiver<Push>) {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().entry(user).or_default().push((id, tx));
        crate::metrics::chat_connections(1);
        let seat = Seat {
            hub: Arc::clone(self),
            user,
            id,
        };
        (seat, rx)
    }

    /// Queues `push` for every connection of `users` except `skip` (the sending connection, which
    /// gets a reply instead). Full or closed queues are dropped.
    pub fn push(&self, users: &[i64], push: &Push, skip: u64) {
        let mut queues = self.lock();
        for user in users {
            let Some(seats) = queues.get_mut(user) else {
                continue;
            };
            seats.retain(|(id, tx)| *id == skip || tx.try_send(Arc::clone(push)).is_ok());
            if seats.is_empty() {
                queues.remove(user);
            }
        }
    }

    /// Open connections of `user`.
    #[cfg(test)]
    fn connections(&self, user: i64) -> usize {
        self.lock().get(&user).map_or(0, Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut queues = self.hub.lock();
        if let Some(seats) = queues.get_mut(&self.user) {
            seats.retain(|(id, _)| *id != self.id);
            if seats.is_empty() {
                queues.remove(&self.user);
            }
        }
        crate::metrics::chat_connections(-1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pushes_reach_every_other_connection_and_a_full_queue_is_dropped() {
        let hub = Arc::new(Hub::default());
        let (a1, mut a1_rx) = hub.join(1, 4);
        let (_a2, mut a2_rx) = hub.join(1, 4);
        let (_b, mut b_rx) = hub.join(2, 1);
        let push: Push = Arc::from("hello");
        hub.push(&[1, 2, 3], &push, a1.id);
        assert_eq!(a2_rx.recv().await.as_deref(), Some("hello"));
        assert_eq!(b_rx.recv().await.as_deref(), Some("hello"));
        assert!(
            a1_rx.try_recv().is_err(),
            "the sender's own connection is skipped"
        );

        // b's queue holds one push; the second overflows it and b is dropped from the hub.
        hub.push(&[2], &push, u64::MAX);
        hub.push(&[2], &push, u64::MAX);
        assert_eq!(hub.connections(2), 0);
        assert_eq!(b_rx.recv().await.as_deref(), Some("hello"));
        assert_eq!(b_rx.recv().await, None, "a dropped queue ends");

        drop(a1);
        assert_eq!(hub.connections(1), 1);
    }
}
