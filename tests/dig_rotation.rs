//! `syspect dig -w` file rotation (`-C`, `-G`, `-e`, `-W`) against sysdig
//! 0.29.3: both write rotated files from the same capture; the file names
//! must be the same, and each of our files, read back by sysdig, must print
//! the same events as sysdig's own file of that name.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

const FORMAT: &str = "%evt.num %evt.type %thread.tid";

/// Runs `bin args` in `cwd` (sysdig writes `first_dump.scap` there).
fn run_in(cwd: &Path, bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}

/// The files of a directory, by name.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// What sysdig prints for one file; the file must be read without error.
fn read_with_sysdig(sd: &Path, file: &Path) -> Vec<String> {
    let o = sysdig_run(sd, &["-r", &file.to_string_lossy(), "-p", FORMAT]);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "sysdig cannot read {}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout_lines(&o)
}

struct Both {
    _tmp: tempfile::TempDir,
    sysdig: PathBuf,
    ours: PathBuf,
}

/// `-r CAP -w DIR/NAME OPTS` with sysdig and with syspect, each in its own
/// directory.
fn rotate_both(sd: &Path, cap: &str, name: &str, opts: &[&str]) -> Both {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sdir = tmp.path().join("sysdig");
    let ydir = tmp.path().join("syspect");
    std::fs::create_dir(&sdir).expect("mkdir");
    std::fs::create_dir(&ydir).expect("mkdir");
    let src = capture(cap);
    let src = src.to_string_lossy();
    let mut args = vec!["-r", &src, "-w", name];
    args.extend_from_slice(opts);
    let o = run_in(&sdir, sd, &args);
    assert!(o.status.success(), "sysdig {args:?}: {o:?}");
    let mut ours = vec!["dig"];
    ours.extend_from_slice(&args);
    let o = run_in(&ydir, Path::new(syspect_bin()), &ours);
    assert!(
        o.status.success(),
        "syspect {ours:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Both {
        _tmp: tmp,
        sysdig: sdir,
        ours: ydir,
    }
}

/// Same file names, and each file prints the same events.
fn assert_same_files(sd: &Path, b: &Both, what: &str) -> usize {
    let names = files(&b.sysdig);
    assert_eq!(files(&b.ours), names, "{what}: file names");
    assert!(names.len() > 1, "{what}: expected several files");
    for n in &names {
        let theirs = read_with_sysdig(sd, &b.sysdig.join(n));
        let ours = read_with_sysdig(sd, &b.ours.join(n));
        let d = differing_lines(&ours, &theirs);
        assert!(
            d.is_empty(),
            "{what}: {n}: {} events vs sysdig's {}: {:#?}",
            ours.len(),
            theirs.len(),
            &d[..d.len().min(5)]
        );
    }
    names.len()
}

const MPM: &str = "sysflow/mpm-event_full_capture.scap";

#[test]
fn event_limit_matches_sysdig() {
    let Some(sd) = sysdig() else { return };
    for (cap, n) in [
        (MPM, "5000"),
        ("libs/sample.scap", "100"),
        ("sysflow/files_files.scap", "300"),
        ("sysflow/client-server_tcp-client-server.scap", "300"),
    ] {
        let b = rotate_both(&sd, cap, "a.scap", &["-e", n]);
        assert_same_files(&sd, &b, &format!("{cap} -e {n}"));
    }
}

#[test]
fn event_limit_ring_matches_sysdig() {
    let Some(sd) = sysdig() else { return };
    for w in ["3", "10"] {
        let b = rotate_both(&sd, MPM, "a.scap", &["-e", "3000", "-W", w]);
        let n = assert_same_files(&sd, &b, &format!("-e 3000 -W {w}"));
        assert_eq!(n.to_string(), w, "the ring keeps -W files");
    }
}

#[test]
fn seconds_match_sysdig() {
    let Some(sd) = sysdig() else { return };
    let b = rotate_both(&sd, MPM, "a.scap", &["-G", "1"]);
    assert_same_files(&sd, &b, "-G 1");
    let b = rotate_both(&sd, MPM, "a.scap", &["-G", "2", "-W", "3"]);
    assert_same_files(&sd, &b, "-G 2 -W 3");
    let b = rotate_both(&sd, "libs/sample.scap", "a.scap", &["-G", "1", "-e", "150"]);
    assert_same_files(&sd, &b, "-G 1 -e 150");
}

/// sysdig 0.29.3 puts the first period of a strftime-named `-G` capture
/// read from a file into `first_dump.scap` (in the current directory); we
/// give it the strftime name of its first event like the other periods.
#[test]
fn seconds_with_strftime_names() {
    let Some(sd) = sysdig() else { return };
    let b = rotate_both(&sd, MPM, "a-%Y%m%d-%H%M%S.scap", &["-G", "1"]);
    let theirs = files(&b.sysdig);
    let ours = files(&b.ours);
    assert!(
        theirs.contains(&"first_dump.scap".to_string()),
        "{theirs:?}"
    );
    // 2019-04-11 19:43:33 UTC is the second of the capture's first event.
    let first = "a-20190411-194333.scap".to_string();
    let mut expect: Vec<String> = theirs
        .iter()
        .map(|n| {
            if n == "first_dump.scap" {
                first.clone()
            } else {
                n.clone()
            }
        })
        .collect();
    expect.sort();
    assert_eq!(ours, expect);
    for n in &theirs {
        let mine = if n == "first_dump.scap" { &first } else { n };
        let t = read_with_sysdig(&sd, &b.sysdig.join(n));
        let o = read_with_sysdig(&sd, &b.ours.join(mine));
        let d = differing_lines(&o, &t);
        assert!(d.is_empty(), "{n}: {:#?}", &d[..d.len().min(5)]);
    }
    // With -W the ring removes the names it no longer keeps.
    let b = rotate_both(&sd, MPM, "a-%H%M%S.scap", &["-G", "1", "-W", "3"]);
    let theirs: Vec<String> = files(&b.sysdig)
        .into_iter()
        .filter(|n| n != "first_dump.scap")
        .collect();
    assert_eq!(files(&b.ours), theirs);
    assert_eq!(theirs.len(), 3);
}

/// The events of all files, in order, without their per-file numbers.
fn all_events<S: AsRef<str>>(sd: &Path, dir: &Path, names: &[S]) -> Vec<String> {
    let mut v = Vec::new();
    for n in names {
        for l in read_with_sysdig(sd, &dir.join(n.as_ref())) {
            v.push(l.split_once(' ').map(|x| x.1).unwrap_or("").to_string());
        }
    }
    v
}

/// `-C`: sysdig checks the size libscap's gzip layer has flushed to the
/// file (it lags by up to 8 KiB) and its metadata blocks are not ours byte
/// for byte, so the split points differ by some events. Same names, the
/// same events across the files, and the rule itself on our files.
#[test]
fn file_size_rule_and_names() {
    let Some(sd) = sysdig() else { return };
    for (opts, names) in [
        (
            vec!["-C", "1"],
            vec!["a.scap0", "a.scap1", "a.scap2", "a.scap3"],
        ),
        (
            vec!["-C", "1", "-W", "10"],
            vec!["a.scap00", "a.scap01", "a.scap02", "a.scap03"],
        ),
    ] {
        let b = rotate_both(&sd, MPM, "a.scap", &opts);
        assert_eq!(files(&b.sysdig), names, "{opts:?}: sysdig's names");
        assert_eq!(files(&b.ours), names, "{opts:?}: our names");
        let theirs = all_events(&sd, &b.sysdig, &names);
        let ours = all_events(&sd, &b.ours, &names);
        let d = differing_lines(&ours, &theirs);
        assert!(d.is_empty(), "{opts:?}: {:#?}", &d[..d.len().min(5)]);
        for n in &names[..names.len() - 1] {
            let size = std::fs::metadata(b.ours.join(n)).expect("stat").len();
            assert!(
                size > 1_000_000 && size < 1_000_000 + 65_536,
                "{n}: {size} bytes: a file is closed at the first event past 10^6 bytes"
            );
            let o = read_with_sysdig(&sd, &b.ours.join(n)).len() as f64;
            let t = read_with_sysdig(&sd, &b.sysdig.join(n)).len() as f64;
            assert!((o - t).abs() / t < 0.03, "{n}: {o} events vs sysdig's {t}");
        }
    }
    // A ring of 2: the last two files survive, under the same names.
    let b = rotate_both(&sd, MPM, "a.scap", &["-C", "1", "-W", "2"]);
    assert_eq!(files(&b.ours), files(&b.sysdig));
    let last = all_events(&sd, &b.ours, &["a.scap1"]);
    let theirs = all_events(&sd, &b.sysdig, &["a.scap1"]);
    assert!(!last.is_empty() && theirs.ends_with(&last[last.len() - 100..]));
}

/// With -z, -C counts compressed bytes: the 2.7 MB capture compresses
/// under 1 MB and stays in one file, as with sysdig.
#[test]
fn file_size_counts_compressed_bytes() {
    let Some(sd) = sysdig() else { return };
    let b = rotate_both(&sd, MPM, "a.scap", &["-C", "1", "-z"]);
    assert_eq!(files(&b.ours), vec!["a.scap0"]);
    assert_eq!(files(&b.sysdig), vec!["a.scap0"]);
    let head = std::fs::read(b.ours.join("a.scap0")).expect("read");
    assert_eq!(&head[..2], &[0x1f, 0x8b], "gzip");
    let b = rotate_both(&sd, MPM, "a.scap", &["-e", "10000", "-z"]);
    assert_same_files(&sd, &b, "-e 10000 -z");
}

/// Each file starts with the metadata blocks and the container events, so
/// sysdig resolves process, fd and container names in a file read alone as
/// it does in its own files.
#[test]
fn every_file_has_its_own_metadata_and_containers() {
    let Some(sd) = sysdig() else { return };
    let b = rotate_both(&sd, MPM, "a.scap", &["-e", "10000"]);
    let fmt = "%evt.num %proc.name %thread.tid %fd.name %container.name";
    let mut named = 0;
    for n in files(&b.sysdig) {
        let read = |d: &Path| {
            let f = d.join(n.as_str());
            stdout_lines(&sysdig_run(&sd, &["-r", &f.to_string_lossy(), "-p", fmt]))
        };
        let (ours, theirs) = (read(&b.ours), read(&b.sysdig));
        named += ours.iter().filter(|l| l.ends_with(" httpd_event")).count();
        let d = differing_lines(&ours, &theirs);
        assert!(d.is_empty(), "{n}: {:#?}", &d[..d.len().min(5)]);
    }
    assert!(named > 0, "container names are resolved");
}

#[test]
fn bad_values_exit_2_with_one_line() {
    let cap = capture("libs/curl_google.scap");
    let cap = cap.to_string_lossy();
    for opts in [
        &["-C", "0"][..],
        &["-C", "-1"],
        &["-C", "abc"],
        &["-C", "1.5"],
        &["-C", "99999999999999999"],
        &["-G", "0"],
        &["-G", "-3"],
        &["-e", "0"],
        &["-e", "-5"],
        &["-W", "3"],
        &["-W", "0", "-C", "1"],
        &["-W", "-1", "-e", "10"],
        &["-G", "1", "-W", "99999999999"],
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("a.scap");
        let out = out.to_string_lossy();
        let mut args = vec!["-r", &cap, "-w", &out];
        args.extend_from_slice(opts);
        let o = dig(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{opts:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{opts:?}: {err}");
        assert!(files(tmp.path()).is_empty(), "{opts:?}: no file is written");
    }
    // Rotation options need -w.
    let o = dig(&["-r", &cap, "-C", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("-w"));
}

/// A file that cannot be created mid-way: a clear error, and the files
/// already written are complete captures.
#[test]
fn failed_rotation_keeps_finished_files_complete() {
    let Some(sd) = sysdig() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    // A directory where the third file should go.
    std::fs::create_dir(tmp.path().join("a.scap2")).expect("mkdir");
    let out = tmp.path().join("a.scap");
    let cap = capture(MPM);
    let o = dig(&[
        "-r",
        &cap.to_string_lossy(),
        "-w",
        &out.to_string_lossy(),
        "-e",
        "5000",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a.scap2"), "{err}");
    for n in ["a.scap0", "a.scap1"] {
        let lines = read_with_sysdig(&sd, &tmp.path().join(n));
        assert!(lines.len() > 4000, "{n}: {}", lines.len());
    }
}

#[test]
fn live_capture_rotates() {
    if !root_or_skip("live rotation") {
        return;
    }
    let Some(sd) = sysdig() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("live.scap");
    // Some activity of our own while the capture runs.
    let busy = std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(700));
        for _ in 0..300 {
            let _ = std::fs::read("/etc/hostname");
        }
    });
    let o = dig(&["-w", &out.to_string_lossy(), "-e", "300", "-M", "2"]);
    let _ = busy.join();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names = files(tmp.path());
    assert!(names.len() >= 2, "{names:?}");
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for n in &names {
        let idx: usize = n
            .strip_prefix("live.scap")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("unexpected name {n}"));
        counts.insert(idx, read_with_sysdig(&sd, &tmp.path().join(n)).len());
    }
    assert_eq!(counts.len(), names.len());
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        (0..names.len()).collect::<Vec<_>>()
    );
    for (i, c) in &counts {
        assert!(*c > 0, "live.scap{i} has events");
    }
}
