//! The state folder (`.clipfed/` at the repository root, git-ignored): data, logs, pid files and the
//! Python venv. Everything the local stack writes lives here, so `rm -rf .clipfed` is a full reset.

use std::path::{Path, PathBuf};

pub struct Paths {
    pub root: PathBuf,
    pub state: PathBuf,
    /// The cargo profile the services are built and run in (`up --release`).
    pub profile: Profile,
    /// Extra variables every service started from here gets (`clipfed bench` lifts a limit).
    pub service_env: Vec<(String, String)>,
}

/// A cargo build profile of the services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Release,
}

impl Profile {
    /// The flags `cargo build` takes for it.
    pub fn cargo_args(self) -> &'static [&'static str] {
        match self {
            Profile::Dev => &[],
            Profile::Release => &["--release"],
        }
    }

    /// Its folder under `target/`.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Dev => "debug",
            Profile::Release => "release",
        }
    }
}

impl Paths {
    /// The repository root is where this crate was built from, unless `CLIPFED_ROOT` says otherwise.
    pub fn discover() -> Self {
        let root = std::env::var_os("CLIPFED_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .ancestors()
                    .nth(2)
                    .expect("crates/cli is two levels deep")
                    .to_owned()
            });
        Self::at(root)
    }

    /// The state folder of the repository at `root`, dev profile.
    pub fn at(root: PathBuf) -> Self {
        Self {
            state: root.join(".clipfed"),
            root,
            profile: Profile::Dev,
            service_env: Vec::new(),
        }
    }

    /// The built binary `bin` of the current profile.
    pub fn binary(&self, bin: &str) -> PathBuf {
        self.root.join("target").join(self.profile.dir()).join(bin)
    }

    pub fn data(&self, component: &str) -> PathBuf {
        self.state.join("data").join(component)
    }

    pub fn log(&self, component: &str) -> PathBuf {
        self.state.join("logs").join(format!("{component}.log"))
    }

    pub fn pid(&self, component: &str) -> PathBuf {
        self.state.join("pids").join(format!("{component}.pid"))
    }

    pub fn venv(&self) -> PathBuf {
        self.state.join("venv")
    }

    pub fn venv_bin(&self, tool: &str) -> PathBuf {
        self.venv().join("bin").join(tool)
    }

    /// A venv of its own for one tool (see `Install::PipApart`).
    pub fn apart_venv(&self, name: &str) -> PathBuf {
        self.state.join("venvs").join(name)
    }

    /// Creates the folders; idempotent.
    pub fn ensure(&self) -> std::io::Result<()> {
        for dir in ["data", "logs", "pids"] {
            std::fs::create_dir_all(self.state.join(dir))?;
        }
        Ok(())
    }
}

/// Where `cargo install` puts binaries (kept across clones, so tansu and s3s-fs build once).
pub fn cargo_bin(tool: &str) -> PathBuf {
    cargo_home().join("bin").join(tool)
}

/// Where the quick builds of a tool go (`Install::Cargo` with `quick`): a root of their own in the
/// cargo home, so the release build at [`cargo_bin`] and the quick one can sit side by side.
pub fn quick_cargo_root() -> PathBuf {
    cargo_home().join("clipfed-quick")
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        })
}
