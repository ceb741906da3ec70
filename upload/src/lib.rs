//! The upload service: tus 1.0.0 resumable uploads and the west2 multipart endpoints, streamed
//! into S3 multipart uploads and recorded in the video and user subgraphs when complete.
//!
//! Map (the shape every service has): [`tus`] and [`west2`] (HTTP; the edges) are thin over
//! [`usecases`] (the upload operations and the one streaming write path), which use [`domain`]
//! (kinds and sniffing, metadata, checksums; no I/O), [`store`] (sessions in MySQL, the per-upload
//! lock) and [`adapters`] (S3 through aws-sdk-s3, recording finished uploads in the subgraphs).
//! Also [`auth`], [`error`], [`config`], [`metrics`]. [`run`] serves until `shutdown`, with the sweeper.

pub mod adapters;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod store;
pub mod tus;
pub mod usecases;
pub mod west2;

use std::future::Future;
use std::time::Duration;

use crate::auth::Auth;
use crate::config::Config;
use crate::usecases::Uploads;

/// Migrations embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub uploads: Uploads,
    pub auth: Auth,
}

/// Connects, migrates, then serves until `shutdown`.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = kit::db::connect(&config.db, &MIGRATOR).await?;
    let credentials = kit::auth::Credentials::from_config(&config.auth)?;
    let signer = kit::caller::CallerSigner::from_config("upload", &config.auth)?;
    let registrar = adapters::register::Registrar::new(config.register.clone(), signer)?;
    let objects = adapters::objects::Objects::new(&config.s3);
    let locks = kit::db::extra_pool(&config.db, usecases::lock_pool_size(&config.limits)).await?;
    let uploads = Uploads::new(
        pool.clone(),
        locks,
        objects,
        registrar,
        config.limits.clone(),
    );
    let state = AppState {
        uploads: uploads.clone(),
        auth: Auth(credentials),
    };

    let stop = kit::server::Stop::new();
    tokio::spawn(
        uploads
            .clone()
            .sweep_until(Duration::from_secs(config.limits.sweep_secs), stop.wait()),
    );
    let routes = tus::routes(state.clone()).merge(west2::routes(state));
    let served = kit::server::Served {
        name: "upload",
        routes,
        checks: vec![kit::db::readiness(&pool)],
        http: &config.http,
        graphql_path: None,
    };
    kit::server::serve_configured(listener, served, stop.after(shutdown)).await?;
    Ok(())
}
