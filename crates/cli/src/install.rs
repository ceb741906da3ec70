//! Installing what the stack needs, each kind idempotently: Debian packages through apt, Python tools
//! into a venv inside the state folder, Rust servers through `cargo install` into the cargo home (so a
//! 30-minute tansu build happens once per machine, not once per clone).

use std::process::Command;

use anyhow::Context;

use crate::paths::{self, Paths, Profile};
use crate::progress::{Step, run_logged};

/// How a server gets onto the machine.
#[derive(Debug, Clone, Copy)]
pub enum Install {
    /// Debian packages; `bin` is the executable whose presence means "installed".
    Apt {
        packages: &'static [&'static str],
        bin: &'static str,
    },
    /// PyPI packages (pinned specs) installed into the project venv. `bin` is a script in the venv's
    /// `bin/`, or, when it contains a `/`, a file inside `site-packages` (wheels that ship a binary).
    Pip {
        specs: &'static [&'static str],
        bin: &'static str,
    },
    /// PyPI packages in a venv of their own (`.clipfed/venvs/<venv>`), for a tool whose pins would
    /// fight the shared venv's (Phoenix pins its own grpcio, protobuf and pandas). `bin` is a
    /// script in that venv's `bin/`.
    PipApart {
        venv: &'static str,
        specs: &'static [&'static str],
        bin: &'static str,
    },
    /// A crates.io binary built once into the cargo home. With `quick`, a dev-profile stack (`up`,
    /// `test`) that finds no release build of it builds it at [`QUICK_OPT_LEVEL`] into a root of
    /// its own ([`paths::quick_cargo_root`]): a fraction of the release build's time, for a server
    /// the tests only lightly load; the release profile (`up --release`, `bench`) always runs, and
    /// builds, the release build.
    Cargo {
        krate: &'static str,
        version: &'static str,
        features: &'static str,
        bin: &'static str,
        quick: bool,
    },
}

/// The optimisation level of a quick build (the release profile's is 3).
pub const QUICK_OPT_LEVEL: &str = "1";

impl Install {
    /// The executable to run.
    pub fn program(&self, paths: &Paths) -> std::path::PathBuf {
        match *self {
            Install::Apt { bin, .. } => std::path::PathBuf::from(bin),
            Install::Pip { bin, .. } if bin.contains('/') => site_packages(paths).join(bin),
            Install::Pip { bin, .. } => paths.venv_bin(bin),
            Install::PipApart { venv, bin, .. } => paths.apart_venv(venv).join("bin").join(bin),
            Install::Cargo { bin, quick, .. } => {
                let release = paths::cargo_bin(bin);
                if quick && paths.profile == Profile::Dev && !release.is_file() {
                    paths::quick_cargo_root().join("bin").join(bin)
                } else {
                    release
                }
            }
        }
    }

    /// Whether [`Install::program`] is (or, once installed, will be) a quick build.
    pub fn is_quick(&self, paths: &Paths) -> bool {
        self.program(paths).starts_with(paths::quick_cargo_root())
    }

    pub fn is_present(&self, paths: &Paths) -> bool {
        self.program(paths).is_file()
    }

    /// Installs when missing; `name` labels the step.
    pub fn ensure(&self, paths: &Paths, name: &str) -> anyhow::Result<()> {
        if self.is_present(paths) {
            return Ok(());
        }
        let log = paths.log(&format!("install-{name}"));
        match *self {
            Install::Apt { packages, .. } => apt(packages, &log),
            Install::Pip { specs, .. } => pip(&paths.venv(), specs, &log),
            Install::PipApart { venv, specs, .. } => pip(&paths.apart_venv(venv), specs, &log),
            Install::Cargo {
                krate,
                version,
                features,
                ..
            } => {
                let quick = self.is_quick(paths);
                let step = Step::start(if quick {
                    format!(
                        "building {krate} {version}, quick build at opt-level {QUICK_OPT_LEVEL} (once per machine; about 15 min)"
                    )
                } else {
                    format!("building {krate} {version} (once per machine; can take 30 min)")
                });
                let mut cmd = Command::new("cargo");
                cmd.args(["install", krate, "--locked", "--version", version]);
                if !features.is_empty() {
                    cmd.args(["--features", features]);
                }
                if quick {
                    cmd.arg("--root")
                        .arg(paths::quick_cargo_root())
                        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", QUICK_OPT_LEVEL);
                }
                run_logged(
                    &step,
                    cmd,
                    &log,
                    "check the build log; a missing C toolchain is fixed by `apt-get install build-essential`",
                )?;
                step.done("");
                Ok(())
            }
        }
    }
}

fn apt(packages: &[&str], log: &std::path::Path) -> anyhow::Result<()> {
    let step = Step::start(format!("installing {} (apt)", packages.join(" ")));
    let hint = "apt needs root and the Debian mirror; run `apt-get update` and retry";
    let update_stamp = std::path::Path::new("/var/lib/apt/periodic/clipfed-update-stamp");
    if !update_stamp.exists() {
        let mut update = Command::new("apt-get");
        update
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive");
        run_logged(&step, update, log, hint)?;
        let _ = std::fs::create_dir_all("/var/lib/apt/periodic");
        let _ = std::fs::write(update_stamp, b"");
    }
    let mut cmd = Command::new("apt-get");
    cmd.args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    let _no_daemons = NoDaemons::install();
    run_logged(&step, cmd, log, hint)?;
    step.done("");
    Ok(())
}

/// Debian's `policy-rc.d` hook, present while a package installs: its answer 101 tells
/// `invoke-rc.d` not to start the daemon a package ships (the node exporter, Prometheus, Redis
/// would otherwise start on every interface and hold the port clipfed starts them on). Left alone
/// when the machine already has one; removed on drop.
struct NoDaemons(Option<&'static std::path::Path>);

impl NoDaemons {
    const PATH: &'static str = "/usr/sbin/policy-rc.d";

    fn install() -> Self {
        let path = std::path::Path::new(Self::PATH);
        if path.exists() {
            return Self(None);
        }
        let written = std::fs::write(
            path,
            "#!/bin/sh\n# clipfed: no daemon starts during apt\nexit 101\n",
        )
        .and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        });
        Self(written.is_ok().then_some(path))
    }
}

impl Drop for NoDaemons {
    fn drop(&mut self) {
        if let Some(path) = self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The venv's `site-packages` (its Python version is whatever `python3` was when it was made).
fn site_packages(paths: &Paths) -> std::path::PathBuf {
    let lib = paths.venv().join("lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().starts_with("python"))
        })
        .map_or_else(|| lib.join("python3"), |e| e.path())
        .join("site-packages")
}

fn pip(venv: &std::path::Path, specs: &[&str], log: &std::path::Path) -> anyhow::Result<()> {
    let step = Step::start(format!(
        "installing {} (pip, into {})",
        specs.join(" "),
        venv.display()
    ));
    let hint = "needs python3 with the venv module (`apt-get install python3-venv`) and PyPI";
    let pip = venv.join("bin/pip");
    if !pip.is_file() {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "venv"]).arg(venv);
        run_logged(&step, cmd, log, hint)?;
    }
    let mut cmd = Command::new(pip);
    cmd.args(["install", "--disable-pip-version-check", "-q"])
        .args(specs);
    run_logged(&step, cmd, log, hint).context("pip install")?;
    step.done("");
    Ok(())
}
