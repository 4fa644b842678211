//! The probe's programs stay well inside the kernel verifier's limit of
//! 1,000,000 processed instructions per program: a program past it does not
//! load at all, and the verifier's work is what every live start waits for.
//! (`push_iov`'s loop once took `sys_exit` to 454,870; see ebpf/README.md,
//! "Verifier cost".)
mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// A quarter of the kernel's limit.
const MAX_PROCESSED: u64 = 250_000;

#[test]
fn probe_programs_verify_well_inside_the_limit() {
    if !root_or_skip("loading the eBPF probe with bpftool") {
        return;
    }
    let obj = PathBuf::from(env!("OUT_DIR")).join("probe.bpf.o");
    assert!(obj.exists(), "{} is missing", obj.display());
    // (bpftool pins the programs in a bpf filesystem.)
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    if !mounts.contains(" /sys/fs/bpf bpf ") {
        let _ = Command::new("mount")
            .args(["-t", "bpf", "bpf", "/sys/fs/bpf"])
            .status();
    }
    let pin = format!("/sys/fs/bpf/syspect-verifier-{}", std::process::id());
    let o = match Command::new("bpftool")
        .args(["-d", "prog", "loadall"])
        .arg(&obj)
        .arg(&pin)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            // (The build needs bpftool too: scripts/deps.sh installs it.)
            assert!(!in_ci(), "bpftool is needed: {e}");
            eprintln!("SKIPPED: no bpftool ({e})");
            return;
        }
    };
    let _ = std::fs::remove_dir_all(&pin);
    let log = String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "bpftool failed: {}", tail(&log));
    // Each program's log ends in "processed N insns (limit 1000000) ...".
    let mut seen = Vec::new();
    let mut prog: Option<String> = None;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("libbpf: prog '") {
            if line.contains("BEGIN PROG LOAD LOG") {
                prog = rest.split('\'').next().map(str::to_string);
            }
        } else if let Some(rest) = line.strip_prefix("processed ") {
            let n: u64 = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(u64::MAX);
            let name = prog.take().unwrap_or_else(|| "?".into());
            assert!(
                n <= MAX_PROCESSED,
                "{name}: the verifier processed {n} instructions (at most {MAX_PROCESSED} wanted)"
            );
            seen.push(name);
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["sched_process_exit", "sys_enter", "sys_exit"],
        "{}",
        tail(&log)
    );
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
