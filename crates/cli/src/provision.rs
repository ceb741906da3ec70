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
/// The read-only account the MySQL exporter logs in with (server status and
/// `performance_schema` only; no access to the services' data).
const EXPORTER_USER: &str = "clipfed_exporter";
const EXPORTER_PASSWORD: &str = "clipfed-exporter";

/// The MySQL exporter's data source name (its 0.14 `DATA_SOURCE_NAME` format).
pub fn exporter_dsn() -> String {
    format!("{EXPORTER_USER}:{EXPORTER_PASSWORD}@(127.0.0.1:3306)/")
}

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
         GRANT ALL PRIVILEGES ON `clipfed%`.* TO '{MYSQL_USER}'@'127.0.0.1';\
         CREATE USER IF NOT EXISTS '{EXPORTER_USER}'@'127.0.0.1' IDENTIFIED BY '{EXPORTER_PASSWORD}' WITH MAX_USER_CONNECTIONS 3;\
         GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO '{EXPORTER_USER}'@'127.0.0.1';\
         GRANT SELECT ON performance_schema.* TO '{EXPORTER_USER}'@'127.0.0.1';"
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

/// The exporters Prometheus scrapes beside the services: (job, the stack's server).
pub const EXPORTERS: &[(&str, &str)] = &[
    ("mysqld", "mysqld-exporter"),
    ("redis", "redis-exporter"),
    ("node", "node-exporter"),
];

/// Prometheus scrape configuration for the local stack (rewritten on every `up`): itself, every
/// clipfed service (each serves /metrics on its own port) and the exporters, with the alert rules
/// in `rules` (the repository's `grafana/alerts/` files).
pub fn prometheus_config(rules: &[std::path::PathBuf]) -> String {
    let mut config = "# Written by `clipfed up`; edits are overwritten.\n\
     global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n"
        .to_owned();
    if !rules.is_empty() {
        config.push_str("rule_files:\n");
        for rule in rules {
            config.push_str(&format!("  - '{}'\n", rule.display()));
        }
    }
    config.push_str("scrape_configs:\n");
    let mut job = |name: &str, port: u16| {
        config.push_str(&format!(
            "  - job_name: {name}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ));
    };
    job("prometheus", 9090);
    for service in crate::services::SERVICES {
        job(service.name, service.port);
    }
    for (name, server) in EXPORTERS {
        let port = crate::stack::STACK
            .iter()
            .find(|s| s.name == *server)
            .map_or(0, |s| s.port);
        job(name, port);
    }
    config
}

#[cfg(test)]
mod tests {
    #[test]
    fn prometheus_scrapes_itself_every_service_and_the_exporters() {
        let config = super::prometheus_config(&[]);
        for (job, port) in [("mysqld", 9104), ("redis", 9121), ("node", 9100)] {
            assert!(
                config.contains(&format!("job_name: {job}\n"))
                    && config.contains(&format!("'127.0.0.1:{port}'")),
                "exporter {job} is not scraped:\n{config}"
            );
        }
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
