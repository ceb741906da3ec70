//! `clipfed-search`: load config, start telemetry, bind, serve until SIGTERM/Ctrl-C.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = search::config::Config::load()?;
    let _telemetry = kit::telemetry::init("search", &config.telemetry)?;
    let listener = tokio::net::TcpListener::bind(&config.http.listen).await?;
    search::run(config, listener, kit::server::shutdown_signal()).await
}
