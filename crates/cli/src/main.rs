//! `clipfed`: the one command a newcomer needs.
//!
//! - `clipfed up`: install what is missing, start every server of the local stack on 127.0.0.1 (reusing
//!   any already listening), create the bucket and databases, then start the services (each creates
//!   its Kafka topics).
//! - `clipfed down`: stop what `up` started (by pid, never by name).
//! - `clipfed status`: what listens where, and whether we started it.
//! - `clipfed test`: bring up the servers the tests need, then run every test.
//! - `clipfed upload FILE --title T`: a resumable upload (tus) with a progress bar.
//! - `clipfed images import DIR`: bulk-load a folder of images into image search.
//! - `clipfed compose`: write `schema/supergraph.graphql` from the subgraph SDLs.
//! - `clipfed keys public`: the Ed25519 public key of a signing secret read from stdin; `clipfed
//!   keys secret`: a Kubernetes Secret with fresh keys for the Helm chart.
//! - `clipfed chart [--write]`: the Helm chart's checks (`helm/check.py`).
//! - `clipfed apifox [--write]`: the graders' Apifox suite against the running router.
//! - `clipfed dashboards`: write the Grafana dashboards into `grafana/dashboards/`.
//! - `clipfed observe`: the live observability check against the running stack.
//! - `clipfed bench`: every load run, release profile, into one report (`docs/performance.md`).
//! - `clipfed profile SERVICE --load L`: a flame graph of a running service under a bench load.
//!
//! Modules: [`paths`] (the git-ignored state folder), [`progress`] (spinners and step failures),
//! [`install`] (apt, pip venv, cargo-cached binaries), [`process`] (spawning, pid files, stopping),
//! [`probe`] (readiness checks), [`stack`] (the table of servers), [`provision`] (MySQL account, Prometheus config),
//! [`services`] (our own services), [`commands`] (the subcommands), [`observe`] (dashboards, alert rules, the live check), [`upload`] (the uploader), [`images`] (the image importer), [`compose`] (the supergraph), [`keys`] (key material), [`chart`] (the Helm chart's checks), [`apifox`] (the Apifox suite), [`bench`] (the load runs), [`profile`] (flame graphs).

mod apifox;
mod bench;
mod chart;
mod commands;
mod compose;
mod failover;
mod images;
mod install;
mod keys;
mod observe;
mod paths;
mod probe;
mod process;
mod profile;
mod progress;
mod provision;
mod services;
mod stack;
mod upload;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "clipfed",
    version,
    about = "Run, inspect and test the clipfed stack locally"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing and start the whole local stack (idempotent).
    Up {
        /// More instances of some services, e.g. `video=2,social=2` (each registers in etcd and
        /// the router balances over them; `docs/discovery.md`).
        #[arg(long)]
        instances: Option<String>,
        /// Build and run the services in the release profile (slower to build, what images and
        /// benchmarks use).
        #[arg(long)]
        release: bool,
    },
    /// Round robin, kill -9 of one of two video instances under load, and an etcd outage,
    /// checked through the router (docs/discovery.md).
    Failover,
    /// Stop everything `up` started.
    Down,
    /// Show what is running where.
    Status,
    /// Start the servers the tests need, then run every test (extra args go to cargo nextest).
    Test {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Upload a video (resumable: run it again after an interruption to continue).
    Upload {
        file: std::path::PathBuf,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// The tus endpoint.
        #[arg(
            long,
            env = "CLIPFED_UPLOAD_ENDPOINT",
            default_value = "http://127.0.0.1:8105/uploads/"
        )]
        endpoint: String,
        /// An access token (from login).
        #[arg(long, env = "CLIPFED_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Write the Grafana dashboards (grafana/dashboards/*.json) from their definitions.
    Dashboards,
    /// Run the graders' Apifox suite (apifox/) against the running router; reports in
    /// .clipfed/apifox/ (docs/apifox.md).
    Apifox {
        /// First regenerate apifox/clipfed.apifox-cli.json from apifox/suite/.
        #[arg(long)]
        write: bool,
        /// The router's address.
        #[arg(long, default_value = "http://127.0.0.1:8100")]
        base_url: String,
    },
    /// Check the Helm chart (helm/clipfed): strict lint, rendering, Kubernetes schemas, refused
    /// bad values, properties of the objects, the rendered demo in docs/deploy.md.
    Chart {
        /// First copy the repository files the chart carries and rewrite the rendered demo.
        #[arg(long)]
        write: bool,
        /// Only print the manifests the chart renders with this values file.
        #[arg(long, conflicts_with = "write")]
        render: Option<std::path::PathBuf>,
    },
    /// Drive a short load through the running stack, then check that every dashboard query returns
    /// data, every target is up, labels stay bounded and one like is one trace in the viewer.
    Observe,
    /// Build everything in release, bring the stack up on it, run every load run of
    /// docs/performance.md and write the report to .clipfed/bench/report.md.
    Bench {
        /// A smoke run: short runs and small data sets (not figures to quote).
        #[arg(long)]
        quick: bool,
        /// Runs of each part (the report shows each, for the spread).
        #[arg(long, default_value_t = 2)]
        runs: u32,
        /// Only these parts (router, likes, upload, search, stress; comma-separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// A CPU flame graph (SVG) of a running service under one of the bench loads
    /// (docs/profiling.md; perf and inferno are installed when missing).
    Profile {
        /// The service: router, user, video, social, search or upload.
        target: String,
        /// rest-feed, graphql-feed, router-video-only, direct-video-only, federated-feed or likes.
        #[arg(long, default_value = "rest-feed")]
        load: String,
        #[arg(long, default_value_t = 20)]
        seconds: u32,
        /// Where to write the SVG (default .clipfed/profiles/<service>-<load>.svg).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Compose `schema/supergraph.graphql` from the subgraph SDLs in `schema/`.
    Compose,
    /// Image search's index.
    Images {
        #[command(subcommand)]
        command: ImagesCommand,
    },
    /// Signing keys (docs/security.md).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print the public key (for `auth.callers.<name>` or `auth.jwt_public_key`) of the signing
    /// secret given on stdin (one line; at least 32 bytes).
    Public,
    /// Print a Kubernetes Secret with fresh keys for the Helm chart (`keys.existingSecret`):
    /// `... keys secret --name clipfed-keys | kubectl apply -f -` (docs/deploy.md).
    Secret {
        #[arg(long, default_value = "clipfed-keys")]
        name: String,
        #[arg(long)]
        namespace: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImagesCommand {
    /// Index every image under DIR (jpg, jpeg, png, gif, webp), with a progress bar.
    Import {
        dir: std::path::PathBuf,
        /// The search service's import route.
        #[arg(
            long,
            env = "CLIPFED_IMAGES_ENDPOINT",
            default_value = "http://127.0.0.1:8104/images"
        )]
        endpoint: String,
        /// An access token (from login).
        #[arg(long, env = "CLIPFED_TOKEN", hide_env_values = true)]
        token: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let mut paths = paths::Paths::discover();
    let result = match cli.command {
        Command::Up { instances, release } => {
            if release {
                paths.profile = paths::Profile::Release;
            }
            commands::up(&paths, instances.as_deref().unwrap_or(""))
        }
        Command::Down => commands::down(&paths),
        Command::Failover => commands::failover(&paths),
        Command::Status => commands::status(&paths),
        Command::Test { args } => commands::test(&paths, &args),
        Command::Upload {
            file,
            title,
            description,
            endpoint,
            token,
        } => upload::run(
            &paths,
            upload::Args {
                file,
                title,
                description,
                endpoint,
                token,
            },
        ),
        Command::Bench { quick, runs, only } => {
            bench::run(&mut paths, &bench::Options { quick, runs, only })
        }
        Command::Profile {
            target,
            load,
            seconds,
            out,
        } => profile::run(
            &paths,
            &profile::Options {
                target,
                load,
                seconds,
                out,
            },
        ),
        Command::Compose => compose::run(&paths),
        Command::Dashboards => observe::write(&paths),
        Command::Observe => commands::observe(&paths),
        Command::Images {
            command:
                ImagesCommand::Import {
                    dir,
                    endpoint,
                    token,
                },
        } => images::run(images::Args {
            dir,
            endpoint,
            token,
        }),
        Command::Keys {
            command: KeysCommand::Public,
        } => keys::public(),
        Command::Keys {
            command: KeysCommand::Secret { name, namespace },
        } => keys::secret(&name, namespace.as_deref()),
        Command::Chart { write, render } => chart::run(&paths, write, render.as_deref()),
        Command::Apifox { write, base_url } => apifox::run(&paths, &base_url, write),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
