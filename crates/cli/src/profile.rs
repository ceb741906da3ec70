//! `clipfed profile`: a CPU flame graph of one running service (or the router) under one of the
//! bench loads (`docs/profiling.md`).
//!
//! The load is a Node script of `tools/node` (the same ones `clipfed bench` runs); once it prints
//! `measuring ...` (its seeding and warm-up are done), `perf record` samples the service's process
//! for `--seconds` on the CPU clock (`-e cpu-clock`, which works in a VM without hardware counters),
//! unwinding stacks from the binary's DWARF call-frame tables (release binaries keep them; they have
//! no frame pointers). `perf script` then `inferno-collapse-perf` fold the stacks, and
//! `inferno-flamegraph` draws the SVG. The folded stacks are kept next to it (`.folded`), so two runs
//! can be compared with `inferno-diff-folded`. perf (Debian `linux-perf`) and inferno (crates.io,
//! built once into the cargo home) are installed when missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;

use crate::install::Install;
use crate::paths::Paths;
use crate::process;
use crate::progress::{Step, run_logged};

const PERF: Install = Install::Apt {
    packages: &["linux-perf"],
    bin: "/usr/bin/perf",
};

const INFERNO: Install = Install::Cargo {
    krate: "inferno",
    version: "0.12.8",
    features: "",
    bin: "inferno-flamegraph",
    quick: false,
};

/// The loads a profile can run under: the cases of `load-router.mjs`, and the likes run.
pub const LOADS: &[&str] = &[
    "rest-feed",
    "graphql-feed",
    "router-video-only",
    "direct-video-only",
    "federated-feed",
    "likes",
];

pub struct Options {
    /// A service of `clipfed up` (`router`, `video`, `social`, ...), running.
    pub target: String,
    pub load: String,
    pub seconds: u32,
    /// The SVG to write (default `.clipfed/profiles/<target>-<load>.svg`).
    pub out: Option<PathBuf>,
}

pub fn run(paths: &Paths, options: &Options) -> anyhow::Result<ExitCode> {
    if !LOADS.contains(&options.load.as_str()) {
        anyhow::bail!("unknown load {:?}; the loads are {LOADS:?}", options.load);
    }
    if !(1..=300).contains(&options.seconds) {
        anyhow::bail!("--seconds must be 1-300");
    }
    let pid = process::running(paths, &options.target).with_context(|| {
        format!(
            "{} is not running as a process of clipfed; start the stack with `clipfed up --release`",
            options.target
        )
    })?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    if !exe.to_string_lossy().contains("/target/release/") {
        eprintln!(
            "note: {} runs {} (not a release build): the graph shows the dev profile",
            options.target,
            exe.display()
        );
    }
    crate::bench::stop_trace_viewer(paths)?;
    PERF.ensure(paths, "linux-perf")?;
    INFERNO.ensure(paths, "inferno")?;
    let dir = paths.state.join("profiles");
    std::fs::create_dir_all(&dir)?;
    let stem = format!("{}-{}", options.target, options.load);
    let svg = options
        .out
        .clone()
        .unwrap_or_else(|| dir.join(format!("{stem}.svg")));
    let data = dir.join(format!("{stem}.perf.data"));
    let folded = svg.with_extension("folded");

    record_under_load(paths, options, pid, &data)?;
    let step = Step::start("folding the stacks (perf script | inferno-collapse-perf)");
    fold(&PERF.program(paths), &data, &folded)?;
    step.done("");
    let sampling = trace_sampling(pid);
    eprintln!("  traces sampled: {sampling}");
    let title = format!(
        "clipfed {} under {} ({} s, cpu-clock; traces sampled: {sampling})",
        options.target, options.load, options.seconds
    );
    draw(&folded, &svg, &title)?;
    eprintln!(
        "flame graph: {}\nfolded stacks: {}",
        svg.display(),
        folded.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Starts the load, waits for its `measuring` line, records, and waits for the load to finish.
fn record_under_load(
    paths: &Paths,
    options: &Options,
    pid: u32,
    data: &Path,
) -> anyhow::Result<()> {
    let router = format!("http://127.0.0.1:{}", crate::services::ROUTER_PORT);
    // The load runs a little longer than the recording, so every sample is under load.
    let seconds = (options.seconds + 3).to_string();
    let mut load = Command::new("node");
    load.current_dir(paths.root.join("tools/node"));
    if options.load == "likes" {
        load.args(["load-likes.mjs", &router, &seconds, "16", "50"]);
    } else {
        load.args([
            "load-router.mjs",
            &router,
            "http://127.0.0.1:8102",
            &seconds,
            "16",
            &options.load,
        ]);
    }
    crate::commands::node_tools(paths)?;
    let step = Step::start(format!("seeding and warming up the {} load", options.load));
    let mut child = load
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the load (needs node)")?;
    let stderr = child.stderr.take().expect("piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let started = loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("measuring") => break true,
            Some(Ok(line)) => seen.push(line),
            _ => break false,
        }
    };
    if !started {
        step.fail();
        let _ = child.wait();
        anyhow::bail!("the load stopped before measuring:\n{}", seen.join("\n"));
    }
    step.done("");
    // Drain the rest of the load's output so it never blocks on a full pipe.
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let step = Step::start(format!(
        "recording {} (pid {pid}) for {} s",
        options.target, options.seconds
    ));
    let mut perf = Command::new(PERF.program(paths));
    perf.args([
        "record",
        "-e",
        "cpu-clock",
        "-F",
        "250",
        "--call-graph",
        "dwarf,16384",
    ])
    .args(["-p", &pid.to_string(), "-o"])
    .arg(data)
    .args(["--", "sleep", &options.seconds.to_string()]);
    run_logged(
        &step,
        perf,
        &paths.log("perf"),
        "perf record failed; see the log",
    )?;
    step.done("");
    let status = child.wait()?;
    let rest = drain.join().unwrap_or_default();
    if !status.success() {
        anyhow::bail!("the load failed:\n{}", rest.join("\n"));
    }
    if let Some(summary) = rest
        .iter()
        .find(|l| l.contains("req/s") || l.contains("actions/s"))
    {
        eprintln!("  load: {summary}");
    }
    Ok(())
}

/// The trace sampling the process runs with, read from its environment: tracing every request costs
/// the router about 30 % of its feed throughput (`docs/profiling.md`, step 5), so a graph says which
/// it shows. `clipfed bench` starts the stack at [`crate::bench::BENCH_SAMPLE_RATIO`].
fn trace_sampling(pid: u32) -> String {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    sampling_in(&environ)
}

fn sampling_in(environ: &[u8]) -> String {
    environ
        .split(|b| *b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .find_map(|entry| {
            let (name, value) = entry.split_once('=')?;
            crate::bench::SAMPLING_VARS.contains(&name).then_some(value)
        })
        .map_or_else(|| "the configured default".to_owned(), str::to_owned)
}

/// `perf script` piped into `inferno-collapse-perf`, into `folded`.
fn fold(perf: &Path, data: &Path, folded: &Path) -> anyhow::Result<()> {
    let mut script = Command::new(perf)
        .args(["script", "--no-inline", "-i"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("running perf script")?;
    let out = std::fs::File::create(folded)?;
    let collapse = Command::new(crate::paths::cargo_bin("inferno-collapse-perf"))
        .stdin(script.stdout.take().expect("piped"))
        .stdout(out)
        .status()
        .context("running inferno-collapse-perf")?;
    let scripted = script.wait()?;
    if !collapse.success() || !scripted.success() {
        anyhow::bail!("folding the profile failed (perf script {scripted}, collapse {collapse})");
    }
    Ok(())
}

fn draw(folded: &Path, svg: &Path, title: &str) -> anyhow::Result<()> {
    let status = Command::new(crate::paths::cargo_bin("inferno-flamegraph"))
        .args(["--title", title, "--width", "1600", "--minwidth", "0.2"])
        .stdin(std::fs::File::open(folded)?)
        .stdout(std::fs::File::create(svg)?)
        .status()
        .context("running inferno-flamegraph")?;
    if !status.success() {
        anyhow::bail!("inferno-flamegraph failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sampling_in;

    #[test]
    fn the_sampling_is_read_from_either_variable_or_named_as_the_default() {
        let service = b"PATH=/bin\0CLIPFED_TELEMETRY__SAMPLE_RATIO=0.01\0HOME=/root\0";
        assert_eq!(sampling_in(service), "0.01");
        let router = b"TELEMETRY_TRACING_SAMPLING_RATE=0.5\0";
        assert_eq!(sampling_in(router), "0.5");
        assert_eq!(sampling_in(b"PATH=/bin\0"), "the configured default");
        assert_eq!(sampling_in(b""), "the configured default");
    }
}
