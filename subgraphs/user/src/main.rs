//! `clipfed-user`: load config, start telemetry, bind, serve until SIGTERM/Ctrl-C.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = user::config::Config::load()?;
    let _telemetry = kit::telemetry::init("user", &config.telemetry)?;
    let listener = tokio::net::TcpListener::bind(&config.http.listen).await?;
    user::run(config, listener, kit::server::shutdown_signal()).await
}
