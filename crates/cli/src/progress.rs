//! Progress display: one spinner per step showing the latest line of what it runs; on a non-terminal
//! (CI) plain start/finish lines instead, with the latest line every [`NOTE_EVERY`] so a long
//! build is never silent. A failed command's error names the step, quotes the end of
//! its output and points at the full log.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

/// How often a step on a non-terminal repeats its latest line.
const NOTE_EVERY: Duration = Duration::from_secs(30);

/// A step in progress.
pub struct Step {
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    noted: std::cell::Cell<Instant>,
}

impl Step {
    pub fn start(label: impl Into<String>) -> Self {
        Self::new(label.into(), std::io::stderr().is_terminal())
    }

    /// A step that runs beside others (a build on its own thread): plain lines, never a spinner,
    /// which would fight the foreground step's for the terminal line.
    pub fn beside(label: impl Into<String>) -> Self {
        Self::new(label.into(), false)
    }

    fn new(label: String, spinner: bool) -> Self {
        let bar = spinner.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} {wide_msg:.dim} {elapsed}")
                    .expect("valid template"),
            );
            bar.set_prefix(label.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if bar.is_none() {
            eprintln!("==> {label}");
        }
        Self {
            bar,
            label,
            started: Instant::now(),
            noted: std::cell::Cell::new(Instant::now()),
        }
    }

    /// Shows the latest activity of the step.
    pub fn message(&self, msg: &str) {
        let msg: String = msg.chars().take(100).collect();
        match &self.bar {
            Some(bar) => bar.set_message(msg),
            None if self.noted.get().elapsed() >= NOTE_EVERY && !msg.is_empty() => {
                self.noted.set(Instant::now());
                let secs = self.started.elapsed().as_secs();
                eprintln!(
                    "    … {} {}m{:02}s: {msg}",
                    self.label,
                    secs / 60,
                    secs % 60
                );
            }
            None => {}
        }
    }

    pub fn done(self, msg: &str) {
        let line = format!("✔ {} {msg} ({:.0?})", self.label, self.started.elapsed());
        match &self.bar {
            Some(bar) => {
                bar.finish_and_clear();
                eprintln!("{line}");
            }
            None => eprintln!("    {line}"),
        }
    }

    pub fn fail(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon_with_message("failed");
        }
    }
}

/// Runs `cmd` with stdout and stderr appended to `log`, showing each line on the step; fails with the
/// last lines of output and `hint` when the command fails.
pub fn run_logged(step: &Step, mut cmd: Command, log: &Path, hint: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("open {}", log.display()))?;
    writeln!(file, "$ {cmd:?}")?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("{}: cannot run {:?}", step.label, cmd.get_program()))?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx2 = tx.clone();
    let readers = [
        std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .for_each(|l| drop(tx.send(l)))
        }),
        std::thread::spawn(move || {
            BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .for_each(|l| drop(tx2.send(l)))
        }),
    ];
    let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    for line in rx {
        writeln!(file, "{line}")?;
        step.message(line.trim());
        tail.push_back(line);
        if tail.len() > 20 {
            tail.pop_front();
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child.wait()?;
    if !status.success() {
        step.fail();
        let lines: Vec<String> = tail.into_iter().collect();
        bail!(
            "{} failed ({status}).\n--- last output ---\n{}\n--- full log: {} ---\nhow to fix: {hint}",
            step.label,
            lines.join("\n"),
            log.display()
        );
    }
    Ok(())
}
