//! `clipfed chart`: the Helm chart's checks (`helm/check.py`: strict lint, rendering of every
//! example values file, Kubernetes 1.30 and 1.34 schemas, refused bad values, properties of the
//! rendered objects, the rendered demo in `docs/deploy.md`), with Helm's v4 SDK and
//! kubernetes-validate from PyPI in a venv of their own. `--write` refreshes what the chart carries
//! from the repository and the rendered demo; `--render VALUES` prints the manifests of one values
//! file (what `deploy/podman.sh` plays). The test command runs the check.

use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::install::Install;
use crate::paths::Paths;

/// Helm v4's SDK (no `helm` binary, no Go toolchain) and the offline Kubernetes schemas.
const TOOLS: Install = Install::PipApart {
    venv: "helm",
    specs: &[
        "helm-python-sdk==0.2.2",
        "kubernetes-validate==1.37.0",
        "PyYAML==6.0.4",
    ],
    bin: "kubernetes-validate",
};

/// `helm/check.py <args>` in the chart venv, installing it first.
pub fn script(paths: &Paths, args: &[&str]) -> anyhow::Result<Command> {
    TOOLS.ensure(paths, "helm")?;
    let mut cmd = Command::new(paths.apart_venv("helm").join("bin/python"));
    cmd.current_dir(&paths.root)
        .arg(paths.root.join("helm/check.py"))
        .args(args);
    Ok(cmd)
}

/// Runs the checks; true when they pass.
pub fn check(paths: &Paths) -> anyhow::Result<bool> {
    let status = script(paths, &["check"])?
        .status()
        .context("running helm/check.py")?;
    Ok(status.success())
}

/// `clipfed chart [--write | --render VALUES]`.
pub fn run(
    paths: &Paths,
    write: bool,
    render: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    paths.ensure()?;
    if let Some(values) = render {
        let status = script(paths, &["render"])?
            .arg(values)
            .status()
            .context("running helm/check.py render")?;
        return Ok(if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    if write {
        let status = script(paths, &["write"])?
            .status()
            .context("running helm/check.py write")?;
        if !status.success() {
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(if check(paths)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
