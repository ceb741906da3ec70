//! A service started inside the test process on a listener of its own, stopped when dropped: the
//! core of the harness ([`crate::app::App`] adds the configuration and a signed GraphQL client).

use std::time::Duration;

use tokio::sync::oneshot;

/// A running in-process service; its database (if it was given one) is dropped after it stops.
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<()>>,
    database: Option<crate::ScratchDatabase>,
}

impl Running {
    /// Drops `database` when this service is dropped.
    pub fn owning(mut self, database: crate::ScratchDatabase) -> Self {
        self.database = Some(database);
        self
    }

    /// Stops the service and waits (up to 30 s) until it has shut down; its database stays.
    pub async fn stop(mut self) {
        if let Some(db) = self.database.take() {
            db.keep();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), done).await;
        }
    }
}

impl Running {
    /// Stops the service and waits (up to 30 s) until it has shut down; unlike [`Running::stop`]
    /// it keeps its database, dropped with it later.
    pub async fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), done).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What a service's `run` is given to wait on: it resolves when the test stops the service.
pub type Shutdown = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Starts a service's `run(config, listener, shutdown)` on `listener` (a free port when `None`)
/// and waits for its `/readyz`; the database `database` (made by its migrations) is dropped when
/// the returned service is.
pub async fn serve<C, F, Fut, E>(
    listener: Option<tokio::net::TcpListener>,
    config: C,
    database: &str,
    run: F,
) -> Running
where
    F: FnOnce(C, tokio::net::TcpListener, Shutdown) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Debug,
{
    serve_sharing(listener, config, run)
        .await
        .owning(crate::ScratchDatabase::adopt(database.to_owned()))
}

/// [`serve`] for one more instance of a service whose database another [`Running`] owns.
pub async fn serve_sharing<C, F, Fut, E>(
    listener: Option<tokio::net::TcpListener>,
    config: C,
    run: F,
) -> Running
where
    F: FnOnce(C, tokio::net::TcpListener, Shutdown) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Debug,
{
    let listener = match listener {
        Some(listener) => listener,
        None => tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free local port"),
    };
    start_on(listener, |listener, stop| {
        let shutdown: Shutdown = Box::pin(async move {
            let _ = stop.await;
        });
        let service = run(config, listener, shutdown);
        async move { service.await.expect("the service ran") }
    })
    .await
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
    let (finished, done) = oneshot::channel();
    let service = run(listener, rx);
    tokio::spawn(async move {
        service.await;
        let _ = finished.send(());
    });
    crate::wait_ready(&format!("{base}/readyz")).await;
    Running {
        base,
        stop: Some(tx),
        done: Some(done),
        database: None,
    }
}
