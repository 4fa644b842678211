//! Shared helpers for tests that compare syspect with sysdig 0.29.3 (the
//! oracle) on the real captures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The shared folder: `$SYSPECT_SHARED`, else `../shared` beside the repo.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SYSPECT_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")),
    }
}

pub fn capture(rel: &str) -> PathBuf {
    let p = shared_dir().join("captures").join(rel);
    assert!(
        p.exists(),
        "capture {} not found (set SYSPECT_SHARED to the shared folder)",
        p.display()
    );
    p
}

/// `-v`/`-S` text with its one varying line, the elapsed time and rate,
/// made the same: for comparing two runs' stderr.
pub fn steady_text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .lines()
        .map(|l| {
            if l.starts_with("Elapsed time") {
                "Elapsed time: (varies)"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every capture file under the shared folder's `captures`, sorted.
pub fn all_captures() -> Vec<PathBuf> {
    scap_files(&shared_dir().join("captures"))
}

include!("scap_files.rs");
include!("container_captures.rs");

/// The captures sysdig 0.29.3 reads (captures/README.md).
pub const SYSDIG_READABLE: &[&str] = &[
    "bencer-examples/example0_nginx.scap",
    "bencer-examples/example2_502error.scap",
    "bencer-examples/example4_example4-1.scap",
    "bencer-examples/example4_example4-2.scap",
    "bencer-examples/example5_httpd.scap",
    "bencer-examples/example5_nginx.scap",
    "falco/cat_write.scap",
    "falco/connect_localhost.scap",
    "falco/empty.scap",
    "falco/empty_old_with_containers.scap",
    "falco/open-multiple-files.scap",
    "falco/ping_sendto.scap",
    "falco/psp_privileged.scap",
    "falco/psp_run_as_user_0_container.scap",
    "falco/psp_run_as_user_65534_container.scap",
    "falco/psp_write_tmp_test.scap",
    "falco/syscall.scap",
    "libs/curl_google.scap",
    "libs/sample.scap",
    "libs/single_ipv6_conn.scap",
    "libs/test_ipv6_client.scap",
    "sysflow/alpine_alpine.scap",
    "sysflow/client-server_tcp-client-server.scap",
    "sysflow/files_files.scap",
    "sysflow/files_files_old.scap",
    "sysflow/files_filesat.scap",
    "sysflow/mpm-event_full_capture.scap",
    "sysflow/namespaces_setns.scap",
    "sysflow/objectstore_download.scap",
    "sysflow/rename_rename.scap",
    "sysflow/rename_rename2at.scap",
    "sysflow/setuid_setuid.scap",
];

pub fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// The sysdig binary, or `None` (and a printed reason) when it is missing
/// outside CI. In CI a missing oracle is a failure.
pub fn sysdig() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/sysdig");
    if p.exists() {
        return Some(p);
    }
    if in_ci() {
        panic!("sysdig 0.29.3 (the oracle) is not installed: run scripts/deps.sh");
    }
    eprintln!("SKIPPED: /usr/bin/sysdig not installed");
    None
}

/// True when running as root (live eBPF). In CI, not being root fails.
pub fn root_or_skip(what: &str) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid == 0 {
        return true;
    }
    if in_ci() {
        panic!("{what} needs root and eBPF, and CI=true");
    }
    eprintln!("SKIPPED: {what} needs root and eBPF");
    false
}

pub fn syspect_bin() -> &'static str {
    env!("CARGO_BIN_EXE_syspect")
}

fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}

/// `syspect dig ARGS`.
pub fn dig(args: &[&str]) -> Output {
    let mut all = vec!["dig"];
    all.extend_from_slice(args);
    run(Path::new(syspect_bin()), &all)
}

/// `sysdig ARGS`.
pub fn sysdig_run(sysdig: &Path, args: &[&str]) -> Output {
    run(sysdig, args)
}

pub fn stdout_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Lines that differ between two outputs (by position), as readable pairs.
pub fn differing_lines(ours: &[String], theirs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let n = ours.len().max(theirs.len());
    for i in 0..n {
        let a = ours.get(i).map(String::as_str).unwrap_or("<none>");
        let b = theirs.get(i).map(String::as_str).unwrap_or("<none>");
        if a != b {
            out.push(format!("line {}:\n  syspect: {a}\n  sysdig:  {b}", i + 1));
        }
    }
    out
}

/// Lines of `theirs` that `ours` does not have (multiset difference): for a
/// percentage of matching lines that is not thrown off by one shift.
pub fn unmatched(ours: &[String], theirs: &[String]) -> Vec<String> {
    let mut bag: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for l in ours {
        *bag.entry(l.as_str()).or_default() += 1;
    }
    let mut missing = Vec::new();
    for l in theirs {
        match bag.get_mut(l.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => missing.push(l.clone()),
        }
    }
    missing
}

/// The output format used to compare filter results: which events matched.
pub const FILTER_FORMAT: &str = "*%evt.num %evt.type %thread.tid";

/// Runs `filter` on `cap` with both tools and compares the matching events
/// (count and the `-p` lines). Returns a description of any difference.
pub fn compare_filter(sd: &Path, cap: &str, filter: &str) -> Result<usize, String> {
    let path = capture(cap);
    let p = path.to_string_lossy();
    let ours = dig(&["-r", &p, "-p", FILTER_FORMAT, filter]);
    if !ours.status.success() {
        return Err(format!(
            "{cap} [{filter}]: syspect failed: {}",
            String::from_utf8_lossy(&ours.stderr)
        ));
    }
    let theirs = sysdig_run(sd, &["-r", &p, "-p", FILTER_FORMAT, filter]);
    if !theirs.status.success() {
        return Err(format!(
            "{cap} [{filter}]: sysdig failed: {}",
            String::from_utf8_lossy(&theirs.stderr)
        ));
    }
    let (o, t) = (stdout_lines(&ours), stdout_lines(&theirs));
    if o != t {
        let d = differing_lines(&o, &t);
        return Err(format!(
            "{cap} [{filter}]: {} vs {} events; first differences: {:#?}",
            o.len(),
            t.len(),
            &d[..d.len().min(3)]
        ));
    }
    Ok(o.len())
}

/// Filter cases where syspect knowingly answers differently from sysdig
/// 0.29.3: (capture, filter, why). They still run (and must not fail);
/// the difference is printed with its reason instead of failing the test.
pub const FILTER_KNOWN: &[(&str, &str, &str)] = &[
    ("falco/cat_write.scap", "evt.category=file",
     "sysdig derives the category of I/O events (close, read...) from the fd type; we use the event table's category"),
    ("falco/cat_write.scap", "fd.typechar=f",
     "on enter events of fd-creating calls sysdig guesses the type letter from the event type although there is no fd yet; we report none"),
    ("libs/curl_google.scap", "fd.type=ipv6",
     "setsockopt/fcntl on a socket fd: sysdig 0.29 only links the fd for events flagged EF_USES_FD in its own table, which differs from libs HEAD's"),
    ("bencer-examples/example5_httpd.scap", "fd.is_server=true",
     "sysdig 0.29.3 answers false for every fd in filters (its is_server role is set only for sockets it saw accept); we mark accepted and listening sockets"),
    ("libs/sample.scap", "proc.is_exe_writable=true",
     "sysdig 0.29.3 misreads this capture's newer process-list layout: its flag holds a value that prints as true but equals neither true nor false in filters; we read true, and filter and output agree"),
    ("libs/sample.scap", "user.loginuid=1000",
     "the same misread: sysdig has -420151296 (half a timestamp) for every process, we read 1000 and -1"),
    ("libs/sample.scap", "group.gid=0",
     "threads without a known process: sysdig reports their gid as 0, we report none"),
    ("libs/curl_google.scap", "evt.buflen>=100",
     "sysdig links an exit's fd through the enter event, which a filter on evt.buflen has already dropped, so buflen is <NA> in filters; we keep the fd"),
    ("libs/curl_google.scap", "evt.buflen<10",
     "same as evt.buflen>=100"),
    ("libs/curl_google.scap", "fd.num<=2",
     "fd.num of exits whose enter was dropped by the filter: sysdig loses the fd, we keep the thread's last fd"),
    ("sysflow/files_filesat.scap", "evt.latency>10000",
     "sysdig computes evt.latency only when the enter event passed the filter too; we always pair exits with their enters"),
];

/// Runs a table of (capture, filter) cases; every one must match sysdig
/// (or be listed in FILTER_KNOWN with its reason) and most cases must
/// match some events.
pub fn run_filter_cases(cases: &[(&str, &str)]) {
    let Some(sd) = sysdig() else { return };
    let mut errors = Vec::new();
    let mut matched_any = 0;
    for (cap, f) in cases {
        let known = FILTER_KNOWN.iter().find(|(c, k, _)| c == cap && k == f);
        match (compare_filter(&sd, cap, f), known) {
            (Ok(n), _) => matched_any += usize::from(n > 0),
            (Err(e), Some((_, _, why))) => {
                assert!(!e.contains("syspect failed"), "{e}");
                matched_any += 1;
                eprintln!("known difference: {e}\n  why: {why}");
            }
            (Err(e), None) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(
        matched_any * 2 >= cases.len(),
        "most cases should match some events"
    );
}

/// Waits until process `pid` has attached its eBPF programs (three bpf
/// links: sys_enter, sys_exit, sched_process_exit), at most 30 s, so that a
/// test starts its workload only once the capture sees it.
pub fn wait_attached(pid: u32) {
    let links = || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| std::fs::read_link(e.path()).ok())
                    .filter(|l| {
                        l.to_string_lossy().contains("bpf_link")
                            || l.to_string_lossy().contains("bpf-link")
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let t0 = std::time::Instant::now();
    while links() < 3 && t0.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The ring is drained from the start; a little slack for the first poll.
    std::thread::sleep(std::time::Duration::from_millis(200));
}

/// `syspect dig ARGS` capturing live (`TZ=UTC`, stdout and stderr piped),
/// handed back once its probe is attached ([`wait_attached`]): the test's
/// workload then starts where the capture sees it.
pub fn dig_attached(args: &[&str]) -> std::process::Child {
    let child = Command::new(syspect_bin())
        .arg("dig")
        .args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run syspect dig: {e}"));
    wait_attached(child.id());
    child
}

/// A shell loop making a few hundred syscalls a second until dropped, for
/// live tests that need events: an idle machine (as CI's is) may make none
/// in a second.
pub struct Activity(std::process::Child);

impl Activity {
    pub fn start() -> Activity {
        let child = Command::new("bash")
            .args([
                "-c",
                "while :; do read -r _ </etc/hostname; sleep 0.02; done",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("activity loop");
        Activity(child)
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One event line of a live container capture: the event's time (ns), the
/// container columns, and the process name.
pub type ContainerRow<'a> = (u64, &'a str, &'a str);

/// Checks how container metadata reaches the events of one container in a
/// live capture. The first events of a container come before the runtime
/// has answered the lookup (their fields are `<NA>`): for a container
/// started during the capture they are mostly runc's own set-up, thousands
/// of events within a few milliseconds, so their share says nothing. What
/// must hold: the answer (`want`, the full columns) comes soon after the
/// container's first event, from then on every event carries it, and the
/// container's own processes (`comms`) are among them.
pub fn check_metadata_arrival(short: &str, rows: &[ContainerRow], want: &str, comms: &[&str]) {
    assert!(!rows.is_empty(), "no events from container {short}");
    let Some(first_good) = rows.iter().position(|r| r.1 == want) else {
        panic!("{short}: no line carries {want:?}; e.g. {:?}", rows[0]);
    };
    let wait_ms = rows[first_good].0.saturating_sub(rows[0].0) / 1_000_000;
    eprintln!(
        "{short}: {} of {} lines carry the metadata; it came {wait_ms} ms after the first event",
        rows.len() - first_good,
        rows.len()
    );
    assert!(
        wait_ms < 1500,
        "{short}: the metadata came {wait_ms} ms after the container's first event"
    );
    if let Some(bad) = rows[first_good..].iter().find(|r| r.1 != want) {
        panic!("{short}: after the metadata came, a line has {bad:?}, not {want:?}");
    }
    assert!(
        rows[first_good..].iter().any(|r| comms.contains(&r.2)),
        "{short}: no events of the container's own processes {comms:?}"
    );
}
