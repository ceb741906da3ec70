//! `clipfed-video`: load config, start telemetry, bind, serve until SIGTERM/Ctrl-C.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = video::config::Config::load()?;
    let _telemetry = kit::telemetry::init("video", &config.telemetry)?;
    let listener = tokio::net::TcpListener::bind(&config.http.listen).await?;
    video::run(config, listener, kit::server::shutdown_signal()).await
}
