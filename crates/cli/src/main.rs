//! `clipfed`: the one command a newcomer needs.
//!
//! - `clipfed up`: install what is missing, start every server of the local stack on 127.0.0.1 (reusing
//!   any already listening), create topics, bucket and databases, then start the services.
//! - `clipfed down`: stop what `up` started (by pid, never by name).
//! - `clipfed status`: what listens where, and whether we started it.
//! - `clipfed test`: bring up the servers the tests need, then run every test.
//!
//! Modules: [`paths`] (the git-ignored state folder), [`progress`] (spinners and step failures),
//! [`install`] (apt, pip venv, cargo-cached binaries), [`process`] (spawning, pid files, stopping),
//! [`probe`] (readiness checks), [`stack`] (the table of servers), [`provision`] (topics, bucket),
//! [`services`] (our own services), [`commands`] (the subcommands).

mod commands;
mod install;
mod paths;
mod probe;
mod process;
mod progress;
mod provision;
mod services;
mod stack;

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
    Up,
    /// Stop everything `up` started.
    Down,
    /// Show what is running where.
    Status,
    /// Start the servers the tests need, then run every test (extra args go to cargo nextest).
    Test {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let paths = paths::Paths::discover();
    let result = match cli.command {
        Command::Up => commands::up(&paths),
        Command::Down => commands::down(&paths),
        Command::Status => commands::status(&paths),
        Command::Test { args } => commands::test(&paths, &args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
