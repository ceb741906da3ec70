//! `clipfed-upload`: load config, start telemetry, bind, serve until SIGTERM/Ctrl-C.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = upload::config::Config::load()?;
    let _telemetry = kit::telemetry::init("upload", &config.telemetry)?;
    let listener = tokio::net::TcpListener::bind(&config.http.listen).await?;
    upload::run(config, listener, kit::server::shutdown_signal()).await
}
