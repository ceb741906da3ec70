//! `clipfed apifox`: the graders' Apifox suite (`apifox/clipfed.apifox-cli.json`, generated from
//! `apifox/suite/` by `apifox/build.mjs`) run by the Apifox CLI (npm `apifox-cli`, from
//! `apifox/package-lock.json`) against the running router, with the HTML, JUnit and JSON reports
//! in `.clipfed/apifox/` and a summary printed (pass rate, total time, average and slowest request).
//! `--write` regenerates the suite first; without it a stale suite fails. The test command runs it
//! against the stack it starts. `docs/apifox.md`.
//!
//! The token cases need an expired access token and an expired refresh token: they are signed
//! here with the local stack's development token key (the key `clipfed up` runs the user service
//! with), for user 1, issued two hours and eight days ago. The router renews from the refresh token
//! alone, so the suite pairs the expired access token with its own user's refresh token.

use std::process::{Command, ExitCode};

use anyhow::Context;
use secrecy::SecretString;

use crate::paths::Paths;

/// Where the reports go (git-ignored).
pub fn reports(paths: &Paths) -> std::path::PathBuf {
    paths.state.join("apifox")
}

/// `(expired access token, expired refresh token)` signed with the development token key.
fn expired_tokens() -> anyhow::Result<(String, String)> {
    let keys = kit::token::TokenKeys::new(
        &SecretString::from(kit::keys::DEV_TOKEN_SECRET.to_owned()),
        3600,
        7 * 24 * 3600,
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let access = keys.issue(1, 1, 1, now - 2 * 3600).access;
    let refresh = keys.issue(1, 1, 1, now - 8 * 24 * 3600).refresh;
    Ok((access, refresh))
}

/// `node build.mjs [--check]` in `apifox/`.
fn build(paths: &Paths, write: bool) -> anyhow::Result<bool> {
    let mut cmd = Command::new("node");
    cmd.current_dir(paths.root.join("apifox")).arg("build.mjs");
    if !write {
        cmd.arg("--check");
    }
    Ok(cmd
        .status()
        .context("running node apifox/build.mjs")?
        .success())
}

/// Runs the suite against `base_url`; true when every assertion passed.
pub fn run_suite(paths: &Paths, base_url: &str, write: bool) -> anyhow::Result<bool> {
    paths.ensure()?;
    crate::commands::npm_ci(paths, "apifox", &["--omit=optional"])?;
    if !build(paths, write)? {
        return Ok(false);
    }
    let out = reports(paths);
    std::fs::create_dir_all(&out)?;
    let (access, refresh) = expired_tokens()?;
    let status = Command::new("node")
        .current_dir(paths.root.join("apifox"))
        .args([
            "node_modules/apifox-cli/bin/cli.js",
            "run",
            "clipfed.apifox-cli.json",
            "--reporters",
            "cli,html,junit,json",
            "--out-file",
            "clipfed",
            "--lang",
            "en",
            // A request that hangs fails its step instead of the run waiting for ever.
            "--timeout-request",
            "30000",
        ])
        .arg("--out-dir")
        .arg(&out)
        .args(["--env-var", &format!("baseUrl={base_url}")])
        .args(["--env-var", &format!("expiredAccess={access}")])
        .args(["--env-var", &format!("expiredRefresh={refresh}")])
        .status()
        .context("running apifox-cli")?;
    match summary(&out, &paths.root.join("apifox/clipfed.apifox-cli.json")) {
        Ok(text) => eprintln!("{text}"),
        Err(e) => eprintln!("(no summary: {e:#})"),
    }
    eprintln!(
        "reports: {} (clipfed.html, clipfed.xml, clipfed.json)",
        out.display()
    );
    Ok(status.success())
}

/// Pass rate, total time, average and slowest request, from the JSON report (totals, timings)
/// and the JUnit report (one test suite per request, with its time) of the run in `dir`.
pub fn summary(dir: &std::path::Path, suite: &std::path::Path) -> anyhow::Result<String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("reading {}", dir.join(name).display()))
    };
    let report: serde_json::Value = serde_json::from_str(&read("clipfed.json")?)?;
    let result = &report["result"];
    let count = |what: &str, field: &str| result["stats"][what][field].as_u64().unwrap_or(0);
    let (total, failed) = (count("assertions", "total"), count("assertions", "failed"));
    let timings = &result["timings"];
    let duration =
        timings["completed"].as_f64().unwrap_or(0.0) - timings["started"].as_f64().unwrap_or(0.0);
    let slowest = slowest_request(&read("clipfed.xml")?, suite)?;
    Ok(format!(
        "apifox: {} of {total} assertions passed ({:.1} %); {} steps ({} failed) in {:.1} s; average request {:.0} ms; slowest {:.0} ms ({})",
        total - failed,
        if total == 0 {
            0.0
        } else {
            100.0 * (total - failed) as f64 / total as f64
        },
        count("steps", "total"),
        count("steps", "failed"),
        duration / 1000.0,
        timings["responseAverage"].as_f64().unwrap_or(0.0),
        slowest.0 * 1000.0,
        slowest.1
    ))
}

/// The slowest request of a JUnit report (`<testsuite id=".." time="..">` per request), named from
/// the suite file.
fn slowest_request(junit: &str, suite: &std::path::Path) -> anyhow::Result<(f64, String)> {
    let collection: serde_json::Value = serde_json::from_slice(&std::fs::read(suite)?)?;
    let name_of = |id: &str| {
        collection["item"][0]["item"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|step| step["id"] == id)
            .and_then(|step| step["name"].as_str())
            .unwrap_or(id)
            .to_owned()
    };
    let attr = |tag: &str, name: &str| {
        tag.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
    };
    let mut slowest = (0.0, String::new());
    for tag in junit.split("<testsuite ").skip(1) {
        let tag = format!(" {}", tag.split('>').next().unwrap_or(""));
        let (Some(id), Some(time)) = (attr(&tag, "id"), attr(&tag, "time")) else {
            continue;
        };
        let time: f64 = time.parse().unwrap_or(0.0);
        if time > slowest.0 {
            slowest = (time, name_of(&id));
        }
    }
    Ok(slowest)
}

/// `clipfed apifox [--write] [--base-url URL]`.
pub fn run(paths: &Paths, base_url: &str, write: bool) -> anyhow::Result<ExitCode> {
    Ok(if run_suite(paths, base_url, write)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
