//! The `dist` binary (`cargo xtask dist`: the one the README installs and
//! the benches time, laid out by a profile of its own runs) prints, byte
//! for byte, what the release binary these tests build prints, and exits
//! the same: on every capture, with filters, formats, JSON, views, counts,
//! and on truncated and corrupt files.
//!
//! `scripts/test.sh` builds it and sets `SYSPECT_DIST_BIN`. Without it the
//! test skips (and fails with `CI=true`).

mod common;

use std::process::{Command, Stdio};

/// What one run printed and how it ended.
fn run(bin: &str, args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {bin}: {e}"));
    (out.status.code(), out.stdout, out.stderr)
}

#[test]
fn the_dist_binary_prints_what_the_release_binary_prints() {
    let Some(dist) = std::env::var("SYSPECT_DIST_BIN")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        assert!(
            !common::in_ci(),
            "SYSPECT_DIST_BIN is not set, and CI=true (scripts/test.sh sets it)"
        );
        eprintln!("skipped: SYSPECT_DIST_BIN is not set (`cargo xtask dist` builds it)");
        return;
    };
    let ours = common::syspect_bin();
    let mut files = common::all_captures();
    assert!(!files.is_empty(), "no captures under the shared folder");

    // Truncated and corrupted copies of the biggest plain capture.
    let tmp = tempfile::tempdir().expect("temp dir");
    let tmp = tmp.path();
    let big = common::capture("sysflow/mpm-event_full_capture.scap");
    let bytes = std::fs::read(&big).expect("read capture");
    for (i, cut) in [bytes.len() / 3, bytes.len() / 2 + 7]
        .into_iter()
        .enumerate()
    {
        let p = tmp.join(format!("cut{i}.scap"));
        std::fs::write(&p, &bytes[..cut]).expect("write");
        files.push(p);
    }
    for (i, at) in [bytes.len() / 4, bytes.len() / 2, bytes.len() * 3 / 4]
        .into_iter()
        .enumerate()
    {
        let mut b = bytes.clone();
        for x in b.iter_mut().skip(at).take(64) {
            *x = 0xff;
        }
        let p = tmp.join(format!("bad{i}.scap"));
        std::fs::write(&p, &b).expect("write");
        files.push(p);
    }

    let mut runs = 0;
    let mut differ = Vec::new();
    for f in &files {
        let f = f.to_string_lossy();
        let cases: Vec<Vec<&str>> = vec![
            vec!["dig", "-r", &f],
            vec!["dig", "-r", &f, "proc.name=curl or fd.name contains /etc"],
            vec!["dig", "-r", &f, "-j", "evt.type in (open, openat, read, write)"],
            vec![
                "dig",
                "-r",
                &f,
                "-p",
                "%evt.num %proc.name %fd.name %fd.typechar %user.name %proc.pname %evt.res %container.id",
                "evt.dir=<",
            ],
            vec!["dig", "-r", &f, "-q", "-v"],
            vec!["dig", "-r", &f, "-A", "-n", "300"],
            vec!["-r", &f, "-j", "-v", "procs"],
            vec!["-r", &f, "-j", "-v", "connections"],
        ];
        for args in cases {
            runs += 1;
            let (a, b) = (run(ours, &args), run(&dist, &args));
            if a.0 != b.0 || a.1 != b.1 || common::steady_text(&a.2) != common::steady_text(&b.2) {
                differ.push(args.join(" "));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {runs} runs differ between the release and dist binaries:\n{}",
        differ.len(),
        differ.join("\n")
    );
    eprintln!("{runs} runs, all the same");
}
