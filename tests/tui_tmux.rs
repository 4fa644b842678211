//! End-to-end tests of the explorer in a real terminal (tmux).
//! Capture test: needs tmux and the shared captures. Live test: needs root
//! and eBPF; skips with a message otherwise, fails when CI=true.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn shared_dir() -> PathBuf {
    std::env::var_os("SYSPECT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(name: &str, cmd: &str) -> Tmux {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", name])
            .status();
        let st = Command::new("tmux")
            .args(["new-session", "-d", "-s", name, "-x", "80", "-y", "24"])
            .arg(format!("TERM=xterm-256color {cmd}; sleep 60"))
            .status()
            .expect("tmux runs");
        assert!(st.success());
        Tmux {
            name: name.to_string(),
        }
    }
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .expect("send-keys");
            assert!(st.success());
            std::thread::sleep(Duration::from_millis(80));
        }
    }
    fn text(&self, t: &str) {
        let st = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", t])
            .status()
            .expect("send-keys");
        assert!(st.success());
    }
    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
    /// Waits until the screen satisfies `f`, or fails showing the screen.
    fn wait(&self, what: &str, secs: u64, f: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

/// syspect on a shared capture (with `args` after it) in a new tmux
/// session; `None` (the test skips, saying why) without tmux outside CI or
/// without the capture.
fn start_on_capture(session: &str, capture: &str, args: &str) -> Option<Tmux> {
    if !have_tmux() {
        assert!(!ci(), "tmux is required in CI");
        eprintln!("skipping: tmux not installed");
        return None;
    }
    let cap = shared_dir().join("captures").join(capture);
    if !cap.exists() {
        eprintln!("skipping: {} not found", cap.display());
        return None;
    }
    let bin =
        std::env::var("SYSPECT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_syspect").to_string());
    Some(Tmux::start(
        session,
        &format!("{bin} -r {} {args}", cap.display()),
    ))
}

#[test]
fn capture_walkthrough() {
    let Some(t) = start_on_capture("syspect-e2e-cap", "sysflow/files_files.scap", "") else {
        return;
    };
    t.wait("the Processes view", 15, |s| {
        s.contains("Viewing: Processes") && s.contains("files_files.scap (2186 evts")
    });
    // Views menu, choose Files.
    t.keys(&["F2"]);
    t.wait("the views menu", 5, |s| s.contains("Select View"));
    t.keys(&["F", "F", "Enter"]);
    let s = t.wait("the Files view", 10, |s| {
        s.contains("Viewing: Files") && s.contains("/tmp/tested_file.txt")
    });
    assert!(s.contains("FILENAME"), "{s}");
    // Select the tested file with search, drill down.
    t.keys(&["/"]);
    t.text("tested_file.txt");
    t.keys(&["Enter", "Enter"]);
    let s = t.wait("the drill-down", 10, |s| {
        s.contains("For: fd.name=/tmp/tested_file.txt") && s.contains("PID")
    });
    assert!(!s.contains("Viewing: Files"), "{s}");
    // Dig: the raw events of the selection.
    t.keys(&["F6"]);
    let s = t.wait("dig lines", 10, |s| {
        s.contains("Viewing: sysdig output") && s.contains("write")
    });
    assert!(s.contains("tested_file.txt"), "{s}");
    // Search inside dig.
    t.keys(&["/"]);
    t.text("close");
    t.keys(&["Enter"]);
    t.wait("search result at the top", 5, |s| {
        s.lines().nth(3).is_some_and(|l| l.contains("close"))
    });
    // Back to the drilled view, then back to Files with the selection kept.
    t.keys(&["BSpace"]);
    t.wait("the drilled view", 5, |s| {
        s.contains("For: fd.name=/tmp/tested_file.txt")
    });
    t.keys(&["BSpace"]);
    let s = t.wait("Files again", 10, |s| {
        s.contains("Viewing: Files") && s.contains("For: whole machine")
    });
    let sel = s.lines().last().unwrap_or("").to_string();
    assert!(
        !sel.contains(" 1/"),
        "selection should be restored, footer: {sel}"
    );
    // Sort by the first column via the sort menu.
    t.keys(&["F9"]);
    t.wait("the sort menu", 5, |s| s.contains("Sort By"));
    t.keys(&["Home", "Enter"]);
    t.wait("sorted by BYTES IN", 5, |s| {
        s.lines()
            .any(|l| l.starts_with("BYTES IN") && (l.contains("IN▼") || l.contains("IN▲")))
    });
    // Quit restores the terminal: the shell's sleep keeps the pane alive.
    t.keys(&["q"]);
    t.wait("exit", 5, |s| !s.contains("Viewing:"));
}

/// A long filter pasted into the filter bar (thousands of keys at once)
/// arrives whole: each key used to get a draw of its own, and the input
/// stalled at about 2,048 chars until another key was pressed.
#[test]
fn pasted_long_filter_arrives_whole() {
    let Some(t) = start_on_capture("syspect-e2e-paste", "sysflow/files_files.scap", "") else {
        return;
    };
    t.wait("the Processes view", 15, |s| {
        s.contains("Viewing: Processes")
    });
    t.keys(&["F4"]);
    t.wait("the filter bar", 5, |s| s.contains("Filter: "));
    let long: String = (0..400)
        .map(|i| format!("proc.name=p{i}"))
        .collect::<Vec<_>>()
        .join(" or ")
        + " or proc.name=lastone";
    assert!(long.len() > 5000);
    t.text(&long);
    // The end of the text shows (the bar scrolls to the cursor), with no
    // further key pressed.
    t.wait("the whole filter", 30, |s| {
        s.lines()
            .any(|l| l.starts_with("Filter: …") && l.contains("proc.name=lastone"))
    });
    t.keys(&["Enter"]);
    // Applied: the header shows it ANDed with the view's filter (cut at
    // the screen's edge), and the bar is gone.
    t.wait("the filter applied", 15, |s| {
        s.contains("Filter: (evt.type!=switch) and (pr")
            && !s.lines().any(|l| l.starts_with("Filter: "))
    });
    t.keys(&["q"]);
    t.wait("exit", 5, |s| !s.contains("Viewing:"));
}

/// F12 from System Calls in a real terminal: the spectrogram of the
/// selected syscall; Shift-F12 (tmux sends xterm's CSI 24;2~) the file one.
#[test]
fn capture_spectrograms() {
    let Some(t) = start_on_capture(
        "syspect-e2e-spectro",
        "sysflow/mpm-event_full_capture.scap",
        "-v syscalls",
    ) else {
        return;
    };
    t.wait("System Calls", 15, |s| {
        s.contains("Viewing: System Calls") && s.contains("CALLS/S")
    });
    t.keys(&["/"]);
    t.text("futex");
    t.keys(&["Enter", "F12"]);
    let s = t.wait("the spectrogram", 15, |s| {
        s.contains("Viewing: Spectrogram-All") && s.contains("|1ns") && s.contains("calls")
    });
    assert!(s.contains("For: evt.type=futex"), "{s}");
    t.keys(&["BSpace"]);
    t.wait("System Calls again", 10, |s| {
        s.contains("Viewing: System Calls")
    });
    t.keys(&["Home", "S-F12"]);
    t.wait("the file spectrogram", 15, |s| {
        s.contains("Viewing: Spectrogram-File") && s.contains("|100ms")
    });
    t.keys(&["q"]);
    t.wait("exit", 5, |s| !s.contains("Viewing:"));
}

#[test]
fn live_file_drilldown() {
    let root = unsafe_free_is_root();
    if !root || !have_tmux() {
        let why = if root {
            "tmux not installed"
        } else {
            "needs root for eBPF"
        };
        assert!(!ci(), "live TUI test cannot run in CI: {why}");
        eprintln!("skipping live TUI test: {why}");
        return;
    }
    // Short, so the whole path fits the FILENAME column at 80 columns.
    let uniq = format!("sl-{}", std::process::id());
    let path = PathBuf::from("/tmp").join(format!("{uniq}.txt"));
    let payload = format!("hello-{uniq}");
    // The child keeps opening and writing the file so every sample sees it.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while true; do echo {payload} >> {}; sleep 0.3; done",
            path.display()
        ))
        .spawn()
        .expect("child");
    let bin =
        std::env::var("SYSPECT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_syspect").to_string());
    let t = Tmux::start("syspect-e2e-live", &format!("{bin} -v files -d 500"));
    let res = std::panic::catch_unwind(|| {
        let s = t.wait("the live Files view", 30, |s| {
            if s.contains("Viewing: Files") && s.contains("Live System") {
                return true;
            }
            s.contains("syspect:")
        });
        if s.contains("syspect:") && !s.contains("Viewing:") {
            panic!("live capture failed to start:\n{s}");
        }
        // Search the file; pause so the table holds still.
        let mut found = false;
        for _ in 0..20 {
            t.keys(&["/"]);
            t.text(&uniq);
            t.keys(&["Enter"]);
            std::thread::sleep(Duration::from_millis(300));
            let s = t.screen();
            if s.contains(&uniq) && !s.contains("NOT FOUND") {
                found = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        assert!(found, "the file never showed up:\n{}", t.screen());
        t.keys(&["p", "/"]);
        t.text(&uniq);
        t.keys(&["Enter", "Enter"]);
        t.wait("the drill-down", 15, |s| {
            s.contains(&format!("For: fd.name={}", path.display()))
        });
        t.keys(&["F6"]);
        let s = t.wait("dig lines with the write", 20, |s| {
            s.contains("Viewing: sysdig output") && s.contains("write")
        });
        assert!(s.contains("open"), "{s}");
        t.keys(&["/"]);
        t.text(&payload);
        t.keys(&["Enter"]);
        t.wait("the written bytes", 5, |s| s.contains(&payload));
        t.keys(&["q"]);
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&path);
    if let Err(e) = res {
        std::panic::resume_unwind(e);
    }
}

fn unsafe_free_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
