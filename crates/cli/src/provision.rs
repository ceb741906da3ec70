//! What `up` creates inside the servers once they are ready: the MySQL account the services and tests
//! use and the Prometheus scrape configuration. Kafka topics are created by the services that
//! write or read them, at start-up (`kit::kafka::ensure_topics_retrying`).

use std::process::Command;

use anyhow::Context;

use crate::progress::Step;

/// The MySQL account of the local stack (services and tests). Local only: production sets
/// `CLIPFED_DB__URL` from a secret.
pub const MYSQL_USER: &str = "clipfed";
pub const MYSQL_PASSWORD: &str = "clipfed";
/// The services' databases (each service also creates its own at start-up; creating them here lets a
/// newcomer inspect an empty schema before any service ran).
pub const DATABASES: &[&str] = &[
    "clipfed_user",
    "clipfed_video",
    "clipfed_social",
    "clipfed_search",
    "clipfed_upload",
];

/// Creates the `clipfed` account (databases `clipfed%` only) and the service databases through the
/// local socket as root; idempotent. Skipped with a note when the server is not local (no socket): its owner provides one.
pub fn mysql_account() -> anyhow::Result<()> {
    if !std::path::Path::new("/run/mysqld/mysqld.sock").exists() {
        eprintln!(
            "    note: no local MariaDB socket; make sure account {MYSQL_USER} exists on the server"
        );
        return Ok(());
    }
    let step = Step::start("creating the MySQL account clipfed and the service databases");
    let mut sql = format!(
        "CREATE USER IF NOT EXISTS '{MYSQL_USER}'@'localhost' IDENTIFIED BY '{MYSQL_PASSWORD}';\
         CREATE USER IF NOT EXISTS '{MYSQL_USER}'@'127.0.0.1' IDENTIFIED BY '{MYSQL_PASSWORD}';\
         GRANT ALL PRIVILEGES ON `clipfed%`.* TO '{MYSQL_USER}'@'localhost';\
         GRANT ALL PRIVILEGES ON `clipfed%`.* TO '{MYSQL_USER}'@'127.0.0.1';"
    );
    for db in DATABASES {
        sql.push_str(&format!(
            "CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
        ));
    }
    let out = Command::new("mariadb")
        .args(["--protocol=socket", "-uroot", "-e", &sql])
        .output()
        .context("running the mariadb client")?;
    if !out.status.success() {
        step.fail();
        anyhow::bail!(
            "creating the MySQL account failed: {}\nhow to fix: run `mariadb -uroot` as root and check that root may log in over the socket",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    step.done(&DATABASES.join(", "));
    Ok(())
}

/// Prometheus scrape configuration for the local stack (rewritten on every `up`).
pub fn prometheus_config() -> String {
    let mut config = "# Written by `clipfed up`; edits are overwritten.\n\
     global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n\
     scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:9090']\n"
        .to_owned();
    // Every clipfed service serves /metrics on its own port.
    for service in crate::services::SERVICES {
        config.push_str(&format!(
            "  - job_name: {}\n    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
            service.name, service.port
        ));
    }
    config
}

#[cfg(test)]
mod tests {
    #[test]
    fn prometheus_scrapes_itself_and_every_service() {
        let config = super::prometheus_config();
        assert!(config.contains("job_name: prometheus"));
        for service in crate::services::SERVICES {
            assert!(
                config.contains(&format!("job_name: {}\n", service.name))
                    && config.contains(&format!("'127.0.0.1:{}'", service.port)),
                "{} is not scraped:\n{config}",
                service.name
            );
        }
    }
}
