//! The UI never outlives its terminal: when the terminal hangs up (an SSH
//! session that dropped, a closed tmux) or a SIGTERM arrives, syspect exits
//! within seconds instead of spinning in the input reader.
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn tmux(sock: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-L")
        .arg(sock)
        .args(args)
        .output()
        .expect("tmux")
}

fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!in_ci(), "tmux is needed (scripts/deps.sh installs it)");
        eprintln!("SKIPPED: no tmux");
    }
    ok
}

/// Starts `syspect -r sample.scap` in a fresh tmux server; returns its pid.
fn start(sock: &str) -> u32 {
    let cap = capture("libs/sample.scap");
    start_cmd(sock, &format!("{} -r {}", syspect_bin(), cap.display()))
}

/// Starts `cmd` in a fresh tmux server, waits for syspect's first frame;
/// returns the pane's pid.
fn start_cmd(sock: &str, cmd: &str) -> u32 {
    let o = tmux(
        sock,
        &["new-session", "-d", "-s", "t", "-x", "100", "-y", "30", cmd],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Wait for the first frame.
    let t0 = Instant::now();
    loop {
        let screen =
            String::from_utf8_lossy(&tmux(sock, &["capture-pane", "-p", "-t", "t"]).stdout)
                .to_string();
        if screen.contains("Processes") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "no UI: {screen}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = String::from_utf8_lossy(
        &tmux(sock, &["display-message", "-p", "-t", "t", "#{pane_pid}"]).stdout,
    )
    .trim()
    .parse()
    .expect("pane pid");
    pid
}

fn gone_within(pid: u32, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if status.is_empty() || status.contains("zombie") {
            return Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn hangup_ends_the_ui() {
    if !have_tmux() {
        return;
    }
    let sock = format!("syspect-hup-{}", std::process::id());
    let pid = start(&sock);
    // The terminal goes away under the UI.
    let _ = tmux(&sock, &["kill-server"]);
    let took = gone_within(pid, Duration::from_secs(6));
    if took.is_none() {
        // SAFETY: kill(2) on the pid of the process this test started.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    assert!(
        took.is_some(),
        "syspect still runs 6 s after its terminal hung up"
    );
}

/// The hang-up is seen on the terminal itself, not only through SIGHUP:
/// under a shell that traps SIGHUP (as `nohup` and some session managers
/// do), the UI still ends, and not by the two-second grace of the signal
/// path (status 143). The hang-up check looks at the fds that were
/// terminals when the UI started (a hung-up terminal is no longer one to
/// `isatty`, so a check that asked it again never fired, and the UI spun in
/// crossterm's reader: this test ran into its 6 s limit then). Its status is
/// 129 when the check ends it; the UI loop noticing first is fine too.
#[test]
fn hangup_is_seen_without_sighup() {
    if !have_tmux() {
        return;
    }
    let sock = format!("syspect-nohup-{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("syspect-nohup-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let status = dir.join("status");
    let cap = capture("libs/sample.scap");
    let cmd = format!(
        "sh -c 'trap \"\" HUP; {} -r {}; echo $? > {}'",
        syspect_bin(),
        cap.display(),
        status.display()
    );
    let pid = start_cmd(&sock, &cmd);
    let _ = tmux(&sock, &["kill-server"]);
    let took = gone_within(pid, Duration::from_secs(6));
    if took.is_none() {
        let _ = Command::new("pkill")
            .args(["-KILL", "-P", &pid.to_string()])
            .status();
        // SAFETY: kill(2) on the pid of the shell this test started.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let got = std::fs::read_to_string(&status).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        took.is_some(),
        "syspect still runs 6 s after its terminal hung up"
    );
    assert!(!got.trim().is_empty(), "no exit status written");
    assert_ne!(
        got.trim(),
        "143",
        "ended by the signal path's grace, not by seeing the hang-up"
    );
}

#[test]
fn sigterm_ends_the_ui() {
    if !have_tmux() {
        return;
    }
    let sock = format!("syspect-term-{}", std::process::id());
    let pid = start(&sock);
    // SAFETY: kill(2) on the pid of the process this test started.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
    let took = gone_within(pid, Duration::from_secs(4));
    let _ = tmux(&sock, &["kill-server"]);
    assert!(took.is_some(), "syspect still runs 4 s after SIGTERM");
}
