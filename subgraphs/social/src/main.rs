//! `clipfed-social`: load config, start telemetry, bind, serve until SIGTERM/Ctrl-C.
//! `clipfed-social rebuild-counters` recomputes every counter from the source rows and exits.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = social::config::Config::load()?;
    let _telemetry = kit::telemetry::init("social", &config.telemetry)?;
    match std::env::args().nth(1).as_deref() {
        None => {
            let listener = tokio::net::TcpListener::bind(&config.http.listen).await?;
            social::run(config, listener, kit::server::shutdown_signal()).await
        }
        Some("rebuild-counters") => {
            let done = social::rebuild_counters(&config).await?;
            println!(
                "rebuilt {} counters; {} outbox events marked as already counted",
                done.counters, done.events_marked
            );
            Ok(())
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; usage: clipfed-social [rebuild-counters]")
        }
    }
}
