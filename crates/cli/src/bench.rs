//! `clipfed bench`: every load run of `docs/performance.md`, in the release profile, into one
//! Markdown report (`.clipfed/bench/report.md`) that names the machine, the commit and, for each
//! figure, the command that made it.
//!
//! It builds the services, the router and the bench examples in release, brings the whole stack up
//! on those binaries (`up --release`; a quick build of tansu that a dev stack left running is
//! stopped first, so that the release build runs) with one trace in a hundred sampled
//! ([`BENCH_SAMPLE_RATIO`]), stops the trace viewer (under load it takes most of a core ingesting spans, which would measure
//! the viewer, not us), then runs each [`Part`] `--runs`
//! times (two by default, so the report shows the run-to-run spread). `--quick` shortens every run
//! and shrinks every data set: a smoke run of the whole pipeline, not figures to quote.

use std::fmt::Write as _;
use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::paths::{self, Paths, Profile};
use crate::progress::{Step, run_logged};
use crate::stack::STACK;
use crate::{commands, process};

/// How a part runs: a Node load script of `tools/node`, or a release-built example.
enum Program {
    Node(&'static str),
    Example {
        package: &'static str,
        name: &'static str,
    },
}

/// One load run of the report.
struct Part {
    name: &'static str,
    /// What it measures, for the report's reader.
    about: &'static str,
    program: Program,
    /// Its arguments: full, then `--quick`.
    args: [&'static [&'static str]; 2],
}

const ROUTER: &str = "http://127.0.0.1:8100";

/// The router's per-user write limit during a bench (`router.config.yaml`: 120 by default).
const BENCH_WRITES_PER_MINUTE: &str = "100000000";
/// The share of requests traced during the bench, for the router and every service (a deployment
/// under load samples; the local stack's default is every request). Tracing every request took
/// about 30 % of the router's feed throughput, and how much depended on whether the collector was
/// keeping up (`docs/profiling.md`, step 5), so the bench fixes it.
pub const BENCH_SAMPLE_RATIO: &str = "0.01";
/// The variables that set the trace sampling: the services' (kit's config) and the router's.
pub const SAMPLING_VARS: [&str; 2] = [
    "CLIPFED_TELEMETRY__SAMPLE_RATIO",
    "TELEMETRY_TRACING_SAMPLING_RATE",
];

const PARTS: &[Part] = &[
    Part {
        name: "router",
        about: "GET /video/feed through the router (REST facade), the same operation as GraphQL, \
                a video-only feed through the router and straight at the video subgraph, and a \
                federated feed (video, user, social); 16 connections, closed loop (autocannon)",
        program: Program::Node("load-router.mjs"),
        args: [
            &[ROUTER, "http://127.0.0.1:8102", "15", "16"],
            &[ROUTER, "http://127.0.0.1:8102", "3", "16"],
        ],
    },
    Part {
        name: "upload",
        about: "one direct aws-sdk-s3 multipart upload to s3s-fs, one tus upload, then 8 at once \
                (an upload service started in the example's process, release build)",
        program: Program::Example {
            package: "clipfed-upload",
            name: "throughput",
        },
        args: [&["256", "8"], &["16", "2"]],
    },
    Part {
        name: "search",
        about: "keyword search over 100 000 generated videos (every query shape, page and total), \
                then image embedding and Milvus search over 1 000 generated pictures, recall@10",
        program: Program::Example {
            package: "clipfed-search",
            name: "bench",
        },
        args: [&["100000", "1000", "200"], &["2000", "50", "20"]],
    },
    Part {
        name: "likes",
        // After upload and search: the broker and the counter consumer work through the likes'
        // events for up to a minute after the load stops, and would share the cores with them.
        about: "likes and cancels through the router's REST facade by 16 users over 50 videos \
                (each one a row and an outbox row in one transaction), then the time until every \
                counter equals the like rows (each user's liked list)",
        program: Program::Node("load-likes.mjs"),
        args: [&[ROUTER, "15", "16", "50"], &[ROUTER, "3", "16", "10"]],
    },
    Part {
        name: "stress",
        about: "stress until it breaks: the feed (REST, then GraphQL) at 16, 64, 256 and 1 024 \
                connections and likes at 16, 64 and 256 users, each raised until failures pass \
                1 % or p99 passes 1 s (that level is the last); last, because the likes may break \
                the broker",
        program: Program::Node("stress.mjs"),
        args: [
            &[
                ROUTER,
                "http://127.0.0.1:8102",
                "10",
                "16,64,256,1024",
                "16,64,256",
            ],
            &[ROUTER, "http://127.0.0.1:8102", "2", "16,64", "16"],
        ],
    },
];

pub struct Options {
    pub quick: bool,
    pub runs: u32,
    /// Only these parts (all when empty).
    pub only: Vec<String>,
}

pub fn run(paths: &mut Paths, options: &Options) -> anyhow::Result<ExitCode> {
    let unknown: Vec<_> = options
        .only
        .iter()
        .filter(|o| !PARTS.iter().any(|p| p.name == o.as_str()))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<_> = PARTS.iter().map(|p| p.name).collect();
        anyhow::bail!("unknown parts {unknown:?}; the parts are {names:?}");
    }
    if options.runs == 0 {
        anyhow::bail!("--runs must be at least 1");
    }
    let parts: Vec<&Part> = PARTS
        .iter()
        .filter(|p| options.only.is_empty() || options.only.iter().any(|o| o == p.name))
        .collect();
    paths.profile = Profile::Release;
    // The examples build before `up`, and their build log goes into the state folder.
    paths.ensure()?;
    // The likes load is 16 users liking as fast as they can: the router's per-user write limit
    // (120 a minute) would refuse nearly all of it, so the bench's router runs without it.
    paths.service_env.push((
        "CLIPFED_ROUTER_WRITES_PER_MINUTE".to_owned(),
        BENCH_WRITES_PER_MINUTE.to_owned(),
    ));
    for name in SAMPLING_VARS {
        paths
            .service_env
            .push((name.to_owned(), BENCH_SAMPLE_RATIO.to_owned()));
    }
    build_examples(paths, &parts)?;
    stop_quick_builds(paths)?;
    commands::up(paths, "")?;
    commands::node_tools(paths)?;
    stop_trace_viewer(paths)?;
    let mut report = header(paths, options)?;
    let mut failed = false;
    for part in parts {
        let args = part.args[usize::from(options.quick)];
        let shown = shown_command(part, args);
        let _ = write!(
            report,
            "\n## {}\n\n{}.\n\nCommand: `{shown}`\n",
            part.name, part.about
        );
        for k in 1..=options.runs {
            let step = Step::start(format!("{} run {k} of {}", part.name, options.runs));
            let output = command(paths, part, args)
                .output()
                .with_context(|| format!("{}: cannot run {shown}", part.name))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let _ = write!(report, "\nRun {k}:\n\n");
            if output.status.success() {
                step.done("");
                report.push_str(&render(part, &stdout));
            } else {
                step.fail();
                failed = true;
                let stderr = String::from_utf8_lossy(&output.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                eprintln!("{}", tail.join("\n"));
                let _ = write!(
                    report,
                    "**failed** ({}):\n\n```text\n{stdout}{}\n```\n",
                    output.status,
                    tail.join("\n")
                );
            }
        }
    }
    let dir = paths.state.join("bench");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("report.md");
    std::fs::write(&file, &report).with_context(|| format!("writing {}", file.display()))?;
    eprintln!("\nreport: {}", file.display());
    Ok(if failed {
        eprintln!("✘ some load runs failed (marked in the report)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Stops the servers of ours that run a quick build (`Install::Cargo`'s `quick`, what `up` and
/// `test` build tansu as), so that `up` starts their release build: the figures are of that one.
fn stop_quick_builds(paths: &Paths) -> anyhow::Result<()> {
    for server in STACK {
        let program = process::running_program(paths, server.name);
        if program.is_some_and(|p| p.starts_with(paths::quick_cargo_root())) {
            let step = Step::start(format!(
                "stopping {} (a quick build) to run its release build",
                server.name
            ));
            process::stop(paths, server.name, std::time::Duration::from_secs(20))?;
            step.done("");
        }
    }
    Ok(())
}

/// Stops the trace viewer (Phoenix) if it is ours: under load it takes most of a core ingesting
/// spans, which a load run would then measure. `clipfed up` starts it again.
pub fn stop_trace_viewer(paths: &Paths) -> anyhow::Result<()> {
    if process::stop(paths, "phoenix", std::time::Duration::from_secs(20))? {
        eprintln!("✔ stopped the trace viewer for the load run (`clipfed up` starts it again)");
    }
    Ok(())
}

/// Builds the release examples the parts run (the services are built by `up`).
fn build_examples(paths: &Paths, parts: &[&Part]) -> anyhow::Result<()> {
    let mut cmd = commands::cargo(paths);
    cmd.args(["build", "--release"]);
    let mut any = false;
    for part in parts {
        if let Program::Example { package, name } = part.program {
            cmd.args(["-p", package, "--example", name]);
            any = true;
        }
    }
    if !any {
        return Ok(());
    }
    // The services in the same build: their dependencies then resolve one feature set with the
    // examples' (see `services::select_binaries`), and `up` finds them built.
    crate::services::select_binaries(&mut cmd);
    let step = Step::start("building the bench examples and the services (release)");
    run_logged(
        &step,
        cmd,
        &paths.log("build-bench"),
        "fix the compile error shown above",
    )?;
    step.done("");
    Ok(())
}

fn command(paths: &Paths, part: &Part, args: &[&str]) -> Command {
    match part.program {
        Program::Node(script) => {
            let mut cmd = Command::new("node");
            cmd.current_dir(paths.root.join("tools/node"))
                .arg(script)
                .args(args);
            cmd
        }
        Program::Example { name, .. } => {
            let mut cmd = Command::new(paths.root.join("target/release/examples").join(name));
            cmd.current_dir(&paths.root).args(args);
            commands::test_env(paths, &mut cmd);
            cmd
        }
    }
}

fn shown_command(part: &Part, args: &[&str]) -> String {
    let args = args.join(" ");
    match part.program {
        Program::Node(script) => format!("node tools/node/{script} {args}"),
        Program::Example { package, name } => {
            format!("cargo run --release -p {package} --example {name} -- {args}")
        }
    }
}

/// A part's output as Markdown: the Node scripts print JSON (made a table here), the examples
/// print their own tables and lines.
fn render(part: &Part, stdout: &str) -> String {
    match part.program {
        Program::Node(_) => match serde_json::from_str::<serde_json::Value>(stdout) {
            Ok(json) => json_table(&json),
            Err(_) => format!("```text\n{stdout}\n```\n"),
        },
        Program::Example { .. } => format!("{}\n", stdout.trim_end()),
    }
}

/// `{cases: {name: {k: v}}}` as one row per case; any other object as one row.
fn json_table(json: &serde_json::Value) -> String {
    let rows: Vec<(String, &serde_json::Map<String, serde_json::Value>)> =
        match json.get("cases").and_then(|c| c.as_object()) {
            Some(cases) => cases
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_object()?)))
                .collect(),
            None => json
                .as_object()
                .map(|o| vec![(String::new(), o)])
                .unwrap_or_default(),
        };
    let Some((_, first)) = rows.first() else {
        return format!("```json\n{json}\n```\n");
    };
    let keys: Vec<&String> = first.keys().collect();
    let header: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
    let mut out = format!("| case | {} |\n", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(keys.len()));
    for (name, row) in &rows {
        let cells: Vec<String> = keys.iter().map(|k| cell(row.get(k.as_str()))).collect();
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
    if let Some(extra) = json.get("seconds") {
        let _ = write!(out, "\n{extra} s per case.\n");
    }
    out
}

fn cell(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => n.to_string(),
        },
        Some(serde_json::Value::Null) | None => "-".to_owned(),
        // A note may hold an error message: it must stay one cell of one row.
        Some(serde_json::Value::String(text)) => text.replace('|', "\\|").replace('\n', " "),
        Some(other) => other.to_string(),
    }
}

/// The machine, the commit and the profile.
fn header(paths: &Paths, options: &Options) -> anyhow::Result<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "not reported".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches(" kB").parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let git = |args: &[&str]| -> String {
        Command::new("git")
            .current_dir(&paths.root)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty = if git(&["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        ""
    } else {
        " (with uncommitted changes)"
    };
    let date = git(&["log", "-1", "--format=%cI"]);
    let now = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mode = if options.quick {
        "`--quick` (a smoke run: short runs, small data sets; not figures to quote)"
    } else {
        "full"
    };
    // The broker the figures ran on: the release build unless an external one was listening.
    let tansu = process::running_program(paths, "tansu").map_or_else(
        || "not started by clipfed (an external broker)".to_owned(),
        |p| format!("`{}`", p.display()),
    );
    Ok(format!(
        "# clipfed bench report\n\n\
         - when: {now}\n\
         - machine: {cores} cores ({model}), {mem_gib:.0} GiB RAM; the load generator, every \
           service and every server share it\n\
         - commit: {commit} of {date}{dirty}\n\
         - profile: release (services, router, examples); traces sampled at \
           {BENCH_SAMPLE_RATIO} (router and services); the trace viewer stopped; the router's \
           per-user write limit lifted (`CLIPFED_ROUTER_WRITES_PER_MINUTE`)\n\
         - tansu: {tansu}\n\
         - mode: {mode}, {} run(s) per part\n",
        options.runs
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_reports_become_one_row_per_case_and_plain_objects_one_row() {
        let cases = serde_json::json!({"seconds": 15, "cases": {
            "rest-feed": {"requests_per_second": 2917.5, "p99_ms": 10},
            "graphql-feed": {"requests_per_second": 4293.0, "p99_ms": 7}}});
        let table = json_table(&cases);
        assert!(
            table.starts_with("| case | p99_ms | requests_per_second |\n|---|---|---|\n"),
            "{table}"
        );
        assert!(table.contains("| rest-feed | 10 | 2917.50 |"), "{table}");
        assert!(table.contains("| graphql-feed | 7 | 4293.0 |"), "{table}");
        assert!(table.ends_with("\n15 s per case.\n"), "{table}");
        let likes = serde_json::json!({"actions_per_second": 1584.07, "converged_seconds": null});
        assert!(json_table(&likes).contains("|  | 1584.07 | - |"));
        let noted = serde_json::json!({"cases": {"likes@16": {"note": "not exact", "rps": 1}}});
        assert!(
            json_table(&noted).contains("| likes@16 | not exact | 1 |"),
            "strings unquoted"
        );
        let failed = serde_json::json!({"cases": {"likes@16": {"note": "Error: a | b\nat x"}}});
        assert!(
            json_table(&failed).contains("| likes@16 | Error: a \\| b at x |\n"),
            "a message stays one cell: {}",
            json_table(&failed)
        );
    }
}
