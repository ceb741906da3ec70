//! A service started inside the test process on a listener of its own, stopped when dropped.

use tokio::sync::oneshot;

/// A running in-process service; its database (if it was given one) is dropped after it stops.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    database: Option<crate::ScratchDatabase>,
}

impl Running {
    /// Drops `database` when this service is dropped.
    pub fn owning(mut self, database: crate::ScratchDatabase) -> Self {
        self.database = Some(database);
        self
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts `run(listener, stop)` on a free local port and waits for its `/readyz`.
pub async fn start<F, Fut>(run: F) -> Running
where
    F: FnOnce(tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free local port");
    start_on(listener, run).await
}

/// Like [`start`], on a given listener.
pub async fn start_on<F, Fut>(listener: tokio::net::TcpListener, run: F) -> Running
where
    F: FnOnce(tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let base = format!("http://{}", listener.local_addr().expect("bound"));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(run(listener, rx));
    crate::wait_ready(&format!("{base}/readyz")).await;
    Running {
        base,
        stop: Some(tx),
        database: None,
    }
}
