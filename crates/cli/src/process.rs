//! Starting servers as detached processes we own, and stopping exactly those.
//!
//! A pid file records the pid, the program path and the process's start time (clock ticks since
//! boot, `/proc/<pid>/stat` field 22); a pid counts as ours only while a live process with that pid
//! started at that time, so a recycled pid is never signalled, and a service whose binary cargo
//! rebuilt since (its `/proc/<pid>/exe` then reads `... (deleted)`) is still ours to stop. Pid files
//! written before the start time was recorded are matched by program path. Processes get their own
//! process group, so a Ctrl-C in the terminal that ran `clipfed up` does not stop them.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::paths::Paths;

/// Spawns `cmd` in the background with output appended to the component's log; records its pid.
pub fn spawn(paths: &Paths, name: &str, mut cmd: Command) -> anyhow::Result<u32> {
    let log_path = paths.log(name);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {name} ({:?})", cmd.get_program()))?;
    let exe = settled_exe(child.id()).unwrap_or_else(|| PathBuf::from(cmd.get_program()));
    let started = start_time(child.id()).unwrap_or_default();
    std::fs::write(
        paths.pid(name),
        format!("{}\n{}\n{started}\n", child.id(), exe.display()),
    )?;
    Ok(child.id())
}

/// The program a freshly spawned child runs, once its exec has finished.
///
/// `spawn` returns as soon as the kernel releases the parent from the child's vfork, which happens
/// a moment before the child's memory map (and so `/proc/<pid>/exe`) switches to the new program.
/// Read too early, the link still names this very binary; so wait, briefly, until it does not.
fn settled_exe(pid: u32) -> Option<PathBuf> {
    let ours = std::env::current_exe().ok();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        if (exe.is_some() && exe != ours) || Instant::now() >= deadline {
            return exe;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The pid of the component if we started it and it still runs.
pub fn running(paths: &Paths, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(paths.pid(name)).ok()?;
    let mut lines = text.lines();
    let pid: u32 = lines.next()?.trim().parse().ok()?;
    let exe = lines.next().map(Path::new)?;
    let same = match lines.next().and_then(|t| t.trim().parse::<u64>().ok()) {
        Some(started) => start_time(pid) == Some(started),
        None => std::fs::read_link(format!("/proc/{pid}/exe")).ok()? == exe,
    };
    (same && !exited(pid)).then_some(pid)
}

/// The program the component runs, if we started it and it still runs.
pub fn running_program(paths: &Paths, name: &str) -> Option<PathBuf> {
    let pid = running(paths, name)?;
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// When `pid` started, in clock ticks since boot (`/proc/<pid>/stat` field 22).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Sends SIGTERM, waits up to `grace`, then SIGKILL; removes the pid file. Returns whether it ran.
///
/// It returns only once the process has exited, not merely stopped looking like ours: an exiting
/// process drops its memory map (and so its `/proc/<pid>/exe`) before it closes its files, and a
/// server in that window still holds its port.
pub fn stop(paths: &Paths, name: &str, grace: Duration) -> anyhow::Result<bool> {
    let Some(pid) = running(paths, name) else {
        let _ = std::fs::remove_file(paths.pid(name));
        return Ok(false);
    };
    signal(pid, "TERM")?;
    if !wait_exit(pid, grace) {
        signal(pid, "KILL")?;
        anyhow::ensure!(
            wait_exit(pid, Duration::from_secs(10)),
            "{name} (pid {pid}) survived SIGKILL"
        );
    }
    let _ = std::fs::remove_file(paths.pid(name));
    Ok(true)
}

/// Whether `pid` has exited: gone from `/proc`, or a zombie (dead, waiting for its parent's `wait`).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// Polls until `pid` has exited or `limit` passes; true if it exited.
fn wait_exit(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while !exited(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn signal(pid: u32, sig: &str) -> anyhow::Result<()> {
    // `kill(1)` keeps this crate free of unsafe FFI.
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()?;
    anyhow::ensure!(
        status.success() || !Path::new(&format!("/proc/{pid}")).exists(),
        "kill -{sig} {pid} failed"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_paths() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path().to_owned());
        paths.ensure().unwrap();
        (dir, paths)
    }

    #[test]
    fn a_spawned_process_is_ours_until_stopped_and_then_gone() {
        let (_dir, paths) = temp_paths();
        let mut cmd = Command::new("sleep");
        cmd.arg("300");
        let pid = spawn(&paths, "sleeper", cmd).unwrap();
        assert_eq!(running(&paths, "sleeper"), Some(pid));
        assert!(stop(&paths, "sleeper", Duration::from_secs(5)).unwrap());
        assert_eq!(running(&paths, "sleeper"), None);
        assert!(!paths.pid("sleeper").exists(), "pid file left behind");
        // Read here independently of `exited`, so a mistake there cannot hide.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let gone = stat.is_empty() || stat.contains(") Z ") || stat.contains(") X ");
        assert!(gone, "process {pid} still alive: {stat}");
    }

    #[test]
    fn a_pid_file_naming_another_program_is_never_signalled() {
        let (_dir, paths) = temp_paths();
        // Our own pid, recorded as if it were some other program: a recycled pid.
        std::fs::write(
            paths.pid("stale"),
            format!("{}\n/usr/bin/not-this-program\n", std::process::id()),
        )
        .unwrap();
        assert_eq!(running(&paths, "stale"), None);
        assert!(!stop(&paths, "stale", Duration::from_secs(1)).unwrap());
        assert!(
            !paths.pid("stale").exists(),
            "stale pid file not cleaned up"
        );
    }

    #[test]
    fn a_pid_file_with_another_start_time_is_never_signalled() {
        let (_dir, paths) = temp_paths();
        let me = std::process::id();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let started = start_time(me).unwrap();
        std::fs::write(
            paths.pid("recycled"),
            format!("{me}\n{}\n{}\n", exe.display(), started + 1),
        )
        .unwrap();
        assert_eq!(running(&paths, "recycled"), None);
        std::fs::write(
            paths.pid("recycled"),
            format!("{me}\n{}\n{started}\n", exe.display()),
        )
        .unwrap();
        assert_eq!(running(&paths, "recycled"), Some(me), "the same process");
    }

    #[test]
    fn a_process_whose_binary_was_rebuilt_is_still_ours_to_stop() {
        let (dir, paths) = temp_paths();
        let bin = dir.path().join("service");
        std::fs::copy("/bin/sleep", &bin).unwrap();
        let mut cmd = Command::new(&bin);
        cmd.arg("300");
        let pid = spawn(&paths, "service", cmd).unwrap();
        // What cargo does on a rebuild: the new binary replaces the old path.
        let fresh = dir.path().join("service.new");
        std::fs::copy("/bin/sleep", &fresh).unwrap();
        std::fs::rename(&fresh, &bin).unwrap();
        let live = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
        assert!(
            live.to_string_lossy().ends_with("(deleted)"),
            "the running program was replaced: {live:?}"
        );
        assert_eq!(running(&paths, "service"), Some(pid));
        assert!(stop(&paths, "service", Duration::from_secs(5)).unwrap());
        assert_eq!(running(&paths, "service"), None);
    }

    #[test]
    fn a_process_ignoring_sigterm_is_killed_after_the_grace_period() {
        let (_dir, paths) = temp_paths();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "trap '' TERM; while true; do sleep 0.1; done"]);
        let pid = spawn(&paths, "stubborn", cmd).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(stop(&paths, "stubborn", Duration::from_millis(500)).unwrap());
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            running(&paths, "stubborn"),
            None,
            "pid {pid} survived SIGKILL"
        );
    }
}
