//! Live CPU use: the live source samples every thread's CPU ticks once a
//! second as procinfo events (as libsinsp does), so `thread.cpu` and the CPU
//! column of the Processes view show a busy process, while event numbers
//! stay consecutive.
mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// Live tests of this binary run one at a time.
static LIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A copy of /bin/sh with a unique name, spinning until dropped.
struct Burner {
    _dir: tempfile::TempDir,
    name: String,
    child: Child,
}

impl Burner {
    fn start(tag: &str) -> Burner {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = format!("{tag}{}", std::process::id() % 100000);
        let bin = dir.path().join(&name);
        std::fs::copy("/bin/sh", &bin).expect("copy sh");
        let child = Command::new(&bin)
            // No forks in the loop: all the CPU is the burner's own.
            .args(["-c", "while :; do :; done"])
            .stdout(Stdio::null())
            .spawn()
            .expect("burner");
        Burner {
            _dir: dir,
            name,
            child,
        }
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn thread_cpu_of_a_busy_process() {
    if !root_or_skip("live capture") {
        return;
    }
    let _live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    let burner = Burner::start("spkcpu");
    let filter = format!("evt.type=procinfo and proc.name={}", burner.name);
    let o = dig(&[
        "-D",
        "-M",
        "4",
        "-p",
        "%evt.type %thread.tid %thread.cpu %thread.cpu.user %thread.cpu.system",
        &filter,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = stdout_lines(&o);
    // One sample a second: the first gives 0 (no previous sample), the
    // next ones the ticks (1/100 s) used in between.
    assert!(
        lines.len() >= 2,
        "procinfo samples of the burner: {lines:?}"
    );
    let cpu: Vec<f64> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
        .collect();
    assert_eq!(cpu.len(), lines.len(), "{lines:?}");
    assert_eq!(cpu[0], 0.0, "first sample: {lines:?}");
    assert!(
        cpu[1..].iter().any(|&c| c >= 20.0),
        "a spinning shell uses a good share of a CPU (at least 20%, even on a busy machine): {lines:?}"
    );
    assert!(cpu.iter().all(|&c| c <= 100.0), "{lines:?}");
    // user + system = total, all from the same sample.
    for l in &lines {
        let f: Vec<f64> = l
            .split_whitespace()
            .skip(2)
            .filter_map(|v| v.parse().ok())
            .collect();
        assert_eq!(f.len(), 3, "{l}");
        assert!((f[0] - (f[1] + f[2]).min(100.0)).abs() < 0.01, "{l}");
    }
}

#[test]
fn procinfo_takes_no_event_number_without_debug() {
    if !root_or_skip("live capture") {
        return;
    }
    let _live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    // Two seconds hold at least one procinfo sample of every thread.
    let _activity = Activity::start();
    let o = dig(&["-M", "2", "-p", "%evt.num %evt.type"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "dig: {:?}; {err}", o.status);
    let lines = stdout_lines(&o);
    assert!(lines.len() > 10, "{} lines in 2 s; {err}", lines.len());
    let procinfo: Vec<&String> = lines.iter().filter(|l| l.ends_with(" procinfo")).collect();
    assert!(
        procinfo.is_empty(),
        "internal events are hidden as sysdig hides them, but {} are shown, first {:?}; {err}",
        procinfo.len(),
        procinfo[0]
    );
    let nums: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    if let Some(i) = nums.windows(2).position(|w| w[1] != w[0] + 1) {
        panic!(
            "event numbers not consecutive at {:?}; {err}",
            &lines[i.saturating_sub(3)..(i + 4).min(lines.len())]
        );
    }
}

#[test]
fn processes_view_shows_cpu() {
    if !root_or_skip("live capture") {
        return;
    }
    let _live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    let burner = Burner::start("spkview");
    let filter = format!("proc.name={}", burner.name);
    // Headless Processes view, one table a second, stopped after 5 s.
    let mut top = Command::new(syspect_bin())
        .args(["-v", "procs", "--raw", "-d", "1000", &filter])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("syspect -v procs");
    std::thread::sleep(Duration::from_secs(5));
    // SAFETY: kill(2) on the pid of our own child, with SIGINT.
    unsafe {
        libc::kill(top.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = top.stdin.take();
    let out = top.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    // Columns of a --raw row: PID PPID CPU USER ...
    let cpus: Vec<f64> = text
        .lines()
        .filter(|l| l.contains(&burner.name))
        .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
        .collect();
    assert!(
        cpus.iter().any(|&c| c >= 20.0),
        "the Processes view shows the burner's CPU: {text}"
    );
}
