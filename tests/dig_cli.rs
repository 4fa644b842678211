//! `syspect dig` as a user meets it: errors, listing, the seed cases on a
//! live system.
mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

#[test]
fn bad_filter_reports_its_column() {
    let o = dig(&[
        "-r",
        &capture("falco/cat_write.scap").to_string_lossy(),
        "proc.name=",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("expected a value after '=' at column 11"),
        "{err}"
    );
}

#[test]
fn unknown_field_suggests_near_names() {
    let o = dig(&[
        "-r",
        &capture("falco/cat_write.scap").to_string_lossy(),
        "proc.nmae=cat",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown field 'proc.nmae'"), "{err}");
    assert!(err.contains("proc.name"), "{err}");
    let o = dig(&[
        "-r",
        &capture("falco/cat_write.scap").to_string_lossy(),
        "-p",
        "%proc.nmae",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// A field width past 65535 is refused with one line, before anything is
/// read: padding to it would fill memory (`%99999999999evt.num` asked for
/// 100 GB and aborted). 65535 itself works.
#[test]
fn huge_field_width_is_refused() {
    let cap = capture("falco/cat_write.scap")
        .to_string_lossy()
        .into_owned();
    for w in ["65536", "99999999999", "99999999999999999999999"] {
        let fmt = format!("%{w}evt.num");
        let o = dig(&["-r", &cap, "-n", "2", "-p", &fmt]);
        assert_eq!(o.status.code(), Some(2), "{fmt}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("at most 65535"), "{err}");
        assert!(o.stdout.is_empty());
    }
    let o = dig(&["-r", &cap, "-n", "2", "-p", "%65535evt.num"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().all(|l| l.len() == 65535), "{}", out.len());
}

/// An argument that is not UTF-8 (a filter word, a file name, for the UI
/// too) is refused in one line with status 2, not a panic.
#[test]
fn non_utf8_arguments_are_one_line() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"proc.name=\xff\x1b[2J");
    for args in [
        vec![std::ffi::OsStr::new("dig"), std::ffi::OsStr::new("-r"), bad],
        vec![bad],
    ] {
        let o = Command::new(syspect_bin())
            .args(&args)
            .output()
            .expect("run syspect");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("not valid UTF-8"), "{err}");
        assert!(!err.contains('\x1b'), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn missing_file_is_one_line() {
    let o = dig(&["-r", "/nonexistent/x.scap"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}

/// Bad options, for `dig`, the UI and the headless views alike: one line on
/// stderr (clap's message, its tip, where to find help), status 2.
#[test]
fn bad_options_are_one_line() {
    let bin = syspect_bin();
    for args in [
        &["dig", "-n", "abc"][..],
        &["dig", "--frobnicate"],
        &["dig", "-s", "-5"],
        &["--bogus"],
        &["-d", "abc"],
        &["--raw", "-d", "x"],
        &["-j", "--frobnicate"],
    ] {
        let o = Command::new(bin).args(args).output().expect("run syspect");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("syspect: "), "{args:?}: {err}");
        assert!(!err.contains("error:"), "{args:?}: {err}");
        assert!(err.trim_end().ends_with("(see --help)"), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // What clap says under its first line is kept: the possible values,
    // a tip.
    for (args, want) in [
        (&["-p", "x"][..], "possible values: c, container"),
        (&["dig", "-s", "-5"], "use '-- -5'"),
    ] {
        let o = Command::new(bin).args(args).output().expect("run syspect");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn version_and_help_exit_0() {
    let bin = syspect_bin();
    for (args, want) in [
        (&["--version"][..], "syspect "),
        (&["dig", "--version"], "syspect dig "),
        (&["--help"], "Usage: syspect"),
        (&["dig", "--help"], "Usage: syspect dig"),
    ] {
        let o = Command::new(bin).args(args).output().expect("run syspect");
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(want), "{args:?}: {out}");
        assert!(out.contains(env!("CARGO_PKG_VERSION")) || want.starts_with("Usage"));
    }
}

#[test]
fn lists_fields_and_events() {
    let o = dig(&["-l"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    for f in [
        "evt.num",
        "proc.name",
        "fd.name",
        "user.name",
        "group.name",
        "container.id",
        "k8s.pod.name",
        "fdlist.names",
    ] {
        assert!(s.contains(f), "-l lacks {f}");
    }
    assert!(s.contains("Field Class: proc"));
    let o = dig(&["-L"]);
    let listed = String::from_utf8_lossy(&o.stdout);
    assert!(listed.contains("> openat(FD dirfd"));
    // sysdig 0.29.3's list, byte for byte (its -L is in the reference).
    let reference = shared_dir().join("reference/sysdig-events.txt");
    match std::fs::read_to_string(&reference) {
        Ok(r) => assert_eq!(listed, r),
        Err(e) if in_ci() => panic!("{}: {e}", reference.display()),
        Err(e) => eprintln!("skipping the comparison: {}: {e}", reference.display()),
    }
}

#[test]
fn json_output_shape() {
    let o = dig(&[
        "-r",
        &capture("falco/cat_write.scap").to_string_lossy(),
        "-j",
        // (-n counts the 130 hidden procinfo events the capture starts
        // with, as sysdig does: events 131 and 132 are printed.)
        "-n",
        "132",
    ]);
    assert!(o.status.success());
    let lines = stdout_lines(&o);
    assert_eq!(lines.len(), 2);
    let v: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
    assert_eq!(v["evt.num"], 131);
    assert_eq!(v["proc.name"], "cat");
    assert!(v["evt.outputtime"].is_u64());
}

#[test]
fn json_matches_sysdig() {
    let Some(sd) = sysdig() else { return };
    for cap in ["falco/cat_write.scap", "libs/curl_google.scap"] {
        let p = capture(cap);
        let args = [
            "-r",
            &*p.to_string_lossy(),
            "-j",
            "-p",
            "%evt.num %evt.type %proc.name %fd.num %evt.rawres %evt.failed",
        ];
        let a = stdout_lines(&dig(&args));
        let b = stdout_lines(&sysdig_run(&sd, &args));
        assert_eq!(a, b, "{cap}");
    }
}

#[test]
fn without_privileges_says_what_is_missing() {
    if !root_or_skip("dropping privileges") {
        return;
    }
    let o = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ])
        .arg(syspect_bin())
        .args(["dig", "-n", "1"])
        .stdin(Stdio::null())
        .output()
        .expect("setpriv");
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("CAP_BPF") && err.contains("root"), "{err}");
}

/// Live, with its output going to a pipe (`syspect dig ... | grep x`): a
/// matching line reaches the pipe while the capture goes on, without
/// waiting for the output buffer to fill (64 KiB of lines that a rare match
/// would take hours to fill).
#[test]
fn live_lines_reach_a_pipe_while_capturing() {
    if !root_or_skip("live capture") {
        return;
    }
    let mut child = dig_attached(&[
        "proc.name=cat",
        "and",
        "evt.type=openat",
        "and",
        "fd.name=/etc/hostname",
        "-p",
        "%evt.num %proc.name %fd.name",
    ]);
    let Some(stdout) = child.stdout.take() else {
        panic!("no stdout");
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut got = None;
    for _ in 0..30 {
        let _ = Command::new("cat")
            .arg("/etc/hostname")
            .stdout(Stdio::null())
            .status();
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            got = Some(line);
            break;
        }
    }
    // A burst: the first line goes out at once, the others when they are
    // due, whether or not more events come.
    let _ = Command::new("sh")
        .args([
            "-c",
            "cat /etc/hostname; cat /etc/hostname; cat /etc/hostname",
        ])
        .stdout(Stdio::null())
        .status();
    let burst: Vec<String> = (0..3)
        .map_while(|_| rx.recv_timeout(Duration::from_secs(10)).ok())
        .collect();
    let running = matches!(child.try_wait(), Ok(None));
    // SAFETY: kill(2) on the pid of our own child, with SIGINT.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let _ = child.wait();
    let line = got.expect("no line reached the pipe while syspect ran");
    assert!(running, "syspect had exited");
    assert!(line.ends_with(" cat /etc/hostname"), "{line}");
    assert_eq!(burst.len(), 3, "the burst's lines: {burst:?}");
    assert!(
        burst.iter().all(|l| l.ends_with(" cat /etc/hostname")),
        "{burst:?}"
    );
}

/// A dropped SSH session sends SIGHUP: `dig -w` stops as on Ctrl-C and
/// leaves a whole capture, not one cut short with its last events lost.
/// Under `nohup` (SIGHUP ignored from the start) it captures on.
#[test]
fn sighup_finishes_the_file_and_nohup_keeps_capturing() {
    if !root_or_skip("live capture") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let signal = |child: &std::process::Child, sig: libc::c_int| {
        // SAFETY: kill(2) on the pid of our own live child.
        unsafe {
            libc::kill(child.id() as libc::pid_t, sig);
        }
    };
    let read_back = |f: &std::path::Path| {
        let o = dig(&["-r", &f.to_string_lossy(), "-p", "%proc.name %fd.name"]);
        assert!(
            o.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        stdout_lines(&o)
    };

    let hup = dir.path().join("hup.scap");
    let mut child = Command::new(syspect_bin())
        .args(["dig", "-w"])
        .arg(&hup)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("syspect dig -w");
    wait_attached(child.id());
    let _ = Command::new("cat")
        .arg("/etc/hostname")
        .stdout(Stdio::null())
        .status();
    signal(&child, libc::SIGHUP);
    let st = child.wait().expect("wait");
    assert!(st.success(), "status after SIGHUP: {st}");
    let lines = read_back(&hup);
    assert!(
        lines.iter().any(|l| l == "cat /etc/hostname"),
        "the events before the hang-up are in the file: {} lines",
        lines.len()
    );

    // nohup: SIGHUP ignored from the start.
    let kept = dir.path().join("nohup.scap");
    let mut child = Command::new("nohup")
        .arg(syspect_bin())
        .args(["dig", "-w"])
        .arg(&kept)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nohup syspect dig -w");
    wait_attached(child.id());
    signal(&child, libc::SIGHUP);
    // Still capturing: a process started after the hang-up is in the file.
    let _ = Command::new("sh")
        .args(["-c", "exec cat /etc/hostname"])
        .stdout(Stdio::null())
        .status();
    signal(&child, libc::SIGINT);
    let st = child.wait().expect("wait");
    assert!(st.success(), "status: {st}");
    let lines = read_back(&kept);
    assert!(
        lines.iter().any(|l| l == "cat /etc/hostname"),
        "no event after the ignored SIGHUP: {} lines",
        lines.len()
    );
}

/// Seed case: cat reading /etc/passwd in a loop, seen by a filtered dig.
#[test]
fn seed_cat_openat_live() {
    if !root_or_skip("live capture") {
        return;
    }
    // The loop starts once the probe is attached: on a loaded machine the
    // attach took most of the 3 seconds, and the capture ended with the
    // first cats still loading their locale.
    let digger = dig_attached(&[
        "-M",
        "3",
        "proc.name=cat",
        "and",
        "evt.type=openat",
        "-p",
        "%evt.info | %proc.name",
    ]);
    let mut loop_child = Command::new("bash")
        .args([
            "-c",
            "for i in $(seq 1 30); do cat /etc/passwd >/dev/null; sleep 0.2; done",
        ])
        .spawn()
        .expect("bash");
    let o = digger.wait_with_output().expect("syspect dig");
    let _ = loop_child.kill();
    let _ = loop_child.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = stdout_lines(&o);
    let hits: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("name=/etc/passwd flags=1(O_RDONLY)") && l.ends_with("| cat"))
        .collect();
    assert!(!hits.is_empty(), "no matching line in {lines:#?}");
    assert!(
        lines.iter().any(|l| l.starts_with("fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd flags=1(O_RDONLY) mode=0 dev=")),
        "{lines:#?}"
    );
}

/// Seed case: -M 5 with three comma-separated columns.
#[test]
fn seed_time_uid_name_live() {
    if !root_or_skip("live capture") {
        return;
    }
    let mut loop_child = Command::new("bash")
        .args([
            "-c",
            "for i in $(seq 1 40); do cat /etc/hostname >/dev/null; sleep 0.1; done",
        ])
        .spawn()
        .expect("bash");
    let start = std::time::Instant::now();
    let o = dig(&[
        "-M",
        "5",
        "-p",
        "%evt.time,%user.uid,%proc.name",
        "proc.name=cat",
    ]);
    let took = start.elapsed();
    let _ = loop_child.kill();
    let _ = loop_child.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(12),
        "{took:?}"
    );
    let lines = stdout_lines(&o);
    assert!(!lines.is_empty());
    for l in &lines {
        let cols: Vec<&str> = l.split(',').collect();
        assert_eq!(cols.len(), 3, "{l}");
        assert_eq!(cols[0].len(), 18, "HH:MM:SS.nnnnnnnnn: {l}");
        assert!(cols[1].parse::<u32>().is_ok(), "{l}");
        assert_eq!(cols[2], "cat", "{l}");
    }
}

/// `-P` prints how much of the files has been read on stderr, as sysdig
/// does: figures with two decimals, each after a `\r` that blanks the last,
/// rising to 100.00 and a line end; stdout is what it is without `-P`.
/// Several files (one of them gzip) count together.
#[test]
fn progress_rises_to_100() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = capture("sysflow/mpm-event_full_capture.scap");
    let gz = dir.path().join("alpine.scap.gz");
    let w = dig(&[
        "-r",
        &capture("sysflow/alpine_alpine.scap").to_string_lossy(),
        "-w",
        &gz.to_string_lossy(),
        "-z",
    ]);
    assert!(w.status.success());
    let files = [
        plain.to_string_lossy().into_owned(),
        gz.to_string_lossy().into_owned(),
    ];
    let mut args: Vec<&str> = Vec::new();
    for f in &files {
        args.extend(["-r", f.as_str()]);
    }
    let without = dig(&args);
    args.push("-P");
    let with = dig(&args);
    assert!(with.status.success());
    assert_eq!(with.stdout, without.stdout, "-P changes stdout");
    let err = String::from_utf8_lossy(&with.stderr);
    assert!(err.ends_with("\r100.00\n"), "{err:?}");
    let figures: Vec<f64> = err
        .trim_end()
        .split('\r')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("not a figure: {s:?} in {err:?}"))
        })
        .collect();
    assert!(figures.windows(2).all(|w| w[0] <= w[1]), "{figures:?}");
    assert!(
        figures.iter().all(|f| (0.0..=100.0).contains(f)),
        "{figures:?}"
    );
}

/// A capture truncated by another program while `dig` reads it (the file
/// is mapped into memory) ends the run with a one-line error and exit
/// status 2, not a crash by SIGBUS.
#[test]
fn capture_truncated_while_read_is_a_clean_error() {
    use std::io::{BufRead, Read};
    let Ok(one) = std::fs::read(capture("sysflow/mpm-event_full_capture.scap")) else {
        assert!(!in_ci(), "captures missing");
        eprintln!("skipped: captures not found");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("big.scap");
    std::fs::write(&file, one.repeat(6)).expect("write");
    let mut child = Command::new(syspect_bin())
        .args(["dig", "-r", &file.to_string_lossy()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    // Once it prints, the file is mapped; the pipe, not read meanwhile,
    // soon holds it up, far from the end (16 MB of capture).
    let mut first = String::new();
    out.read_line(&mut first).expect("first line");
    assert!(!first.is_empty());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_len(0))
        .expect("truncate");
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).expect("rest");
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("truncated by another program"), "{err}");
}

/// `-w` onto one of the `-r` files would empty it before it is read
/// (sysdig does): refused, and the file is left as it was.
#[test]
fn writing_onto_the_file_read_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("in.scap");
    let Ok(bytes) = std::fs::read(capture("falco/cat_write.scap")) else {
        assert!(!in_ci(), "captures missing");
        eprintln!("skipped: captures not found");
        return;
    };
    std::fs::write(&file, &bytes).expect("write");
    let link = dir.path().join("other-name.scap");
    std::fs::hard_link(&file, &link).expect("link");
    let o = dig(&["-r", &file.to_string_lossy(), "-w", &link.to_string_lossy()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("also read"), "{err}");
    assert_eq!(std::fs::read(&file).expect("read"), bytes);
}

/// A read of capture files grows its heap in one step marked for
/// transparent huge pages (`src/cli/heap.rs`): a thousand page faults
/// fewer on a 200k-event capture. Seen from outside, in the process's
/// own page tables, while its output, a pipe nobody reads, holds it up
/// (its state built): the heap above the boundary it was moved to holds
/// huge pages, and no small page that an allocation faulted in alone
/// (glibc writes nothing there before it is marked, see `heap.rs`).
#[test]
fn a_file_read_backs_its_heap_with_huge_pages() {
    if thp_off() {
        return;
    }
    // (A kernel before 6.1, or memory too fragmented for a huge page now,
    // leaves the heap in small pages: not checked then.)
    let collapse = collapse_works();
    let cap = capture("sysflow/mpm-event_full_capture.scap");
    let mut child = dig_reading(&cap.to_string_lossy(), Stdio::piped());
    let found = marked_region_kb(child.id(), collapse, |l| l.ends_with("[heap]"));
    let _ = child.kill();
    let _ = child.wait();
    let Some((huge_kb, rss_kb)) = found else {
        panic!("the heap of `syspect dig -r` is not marked for huge pages");
    };
    if !collapse {
        eprintln!("not checked: this kernel does not make huge pages on request now");
        return;
    }
    if !faults_compact() {
        return;
    }
    assert!(huge_kb >= 2048, "the heap has no huge page ({huge_kb} kB)");
    assert_eq!(rss_kb, huge_kb, "the heap has small pages too");
}

/// The reading thread of a mapped file's `dig -r` allocates from an arena
/// of its own (`src/cli/heap.rs`), marked for huge pages as the main heap
/// is but for its first 2 MiB (which glibc wrote the arena's header into,
/// and which the thread leaves behind): its allocations come from huge
/// pages from the first. Seen in the process's page tables while its
/// output, a pipe nobody reads, holds it up.
#[test]
fn the_reading_thread_arena_has_huge_pages() {
    if thp_off() {
        return;
    }
    let collapse = collapse_works();
    let cap = capture("sysflow/mpm-event_full_capture.scap");
    let mut child = dig_reading(&cap.to_string_lossy(), Stdio::piped());
    // (An anonymous region of 62 MiB that starts 2 MiB into a 64 MiB
    // boundary: the arena's marked part.)
    let arena = |line: &str| {
        let mut f = line.split_whitespace();
        // (Anonymous: no path after the inode.)
        let (Some(range), None) = (f.next(), f.nth(4)) else {
            return false;
        };
        range.split_once('-').is_some_and(|(a, b)| {
            let (a, b) = (
                u64::from_str_radix(a, 16).unwrap_or(0),
                u64::from_str_radix(b, 16).unwrap_or(0),
            );
            b - a == 62 << 20 && a % (64 << 20) == 2 << 20
        })
    };
    expect_huge_region(&mut child, collapse, arena, "the reading thread's arena");
}

/// Whether a fault in a range marked for huge pages compacts memory for
/// one (then it gets one when memory allows); otherwise it may fall back
/// to small pages, which is said (the caller does not check then).
fn faults_compact() -> bool {
    let defrag =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/defrag").unwrap_or_default();
    let ok = ["[always]", "[madvise]", "[defer+madvise]"]
        .iter()
        .any(|d| defrag.contains(d));
    if !ok {
        eprintln!("not checked: huge-page faults do not compact memory here ({defrag:?})");
    }
    ok
}

/// Whether transparent huge pages are disabled here (then said: the
/// caller skips its test).
fn thp_off() -> bool {
    let thp =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    let off = thp.is_empty() || thp.contains("[never]");
    if off {
        eprintln!("skipped: transparent huge pages are disabled here ({thp:?})");
    }
    off
}

/// `syspect dig -r FILE` running, its output to `out`.
fn dig_reading(file: &str, out: Stdio) -> Child {
    Command::new(syspect_bin())
        .args(["dig", "-r", file])
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn syspect")
}

/// Checks that the region of the running `child` that `pick` selects (see
/// [`marked_region_kb`]) is marked for huge pages and, where the
/// kernel makes huge pages on request now, holds one; then ends `child`.
fn expect_huge_region(child: &mut Child, collapse: bool, pick: impl Fn(&str) -> bool, what: &str) {
    let found = marked_region_kb(child.id(), collapse, pick).map(|(huge, _)| huge);
    let _ = child.kill();
    let _ = child.wait();
    let Some(huge_kb) = found else {
        panic!("{what} of `syspect dig -r` is not marked for huge pages");
    };
    if !collapse {
        eprintln!("not checked: this kernel does not make huge pages on request now");
        return;
    }
    if !faults_compact() {
        return;
    }
    assert!(huge_kb >= 2048, "{what} holds no huge page ({huge_kb} kB)");
}

/// Watches `/proc/PID/smaps` (for up to 5 s) for the region whose header
/// line `pick` selects to be marked for huge pages (`hg`) and, when the
/// kernel makes huge pages on request (`collapse`), to hold a 2 MiB huge
/// page: its huge-page and resident kilobytes when last seen marked (None
/// if never).
fn marked_region_kb(pid: u32, collapse: bool, pick: impl Fn(&str) -> bool) -> Option<(u64, u64)> {
    let smaps = format!("/proc/{pid}/smaps");
    let kb = |v: &str| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
    let mut found = None;
    for _ in 0..200 {
        let text = std::fs::read_to_string(&smaps).unwrap_or_default();
        let mut on = false;
        let (mut huge_kb, mut rss_kb) = (0, 0);
        for line in text.lines() {
            if line.contains('-') && line.split_whitespace().count() >= 5 {
                on = pick(line);
            } else if on {
                if let Some(v) = line.strip_prefix("AnonHugePages:") {
                    huge_kb = kb(v);
                }
                if let Some(v) = line.strip_prefix("Rss:") {
                    rss_kb = kb(v);
                }
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    if flags.split_whitespace().any(|f| f == "hg") {
                        found = Some((huge_kb, rss_kb));
                    }
                }
            }
        }
        // (Marked first, made huge right after: both awaited.)
        if found.is_some_and(|(kb, _)| kb >= 2048 || !collapse) {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    found
}

/// Whether the kernel makes a huge page of a range on request
/// (`MADV_COLLAPSE`, Linux 6.1), tried on a mapping of this process.
fn collapse_works() -> bool {
    const HUGE: usize = 2 << 20;
    // SAFETY: a new private anonymous mapping, written only inside it (one
    // byte at its first 2 MiB boundary), advised, and unmapped; no
    // reference to it outlives the block.
    unsafe {
        let len = 2 * HUGE;
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return false;
        }
        let at = (p as usize).next_multiple_of(HUGE);
        *(at as *mut u8) = 1;
        let ok = libc::madvise(at as *mut libc::c_void, HUGE, 25) == 0;
        libc::munmap(p, len);
        ok
    }
}

/// Under a data size limit the heap is left as glibc makes it: padded by
/// 64 MB, every growth of the heap would fail where the memory needed
/// fits (`memory allocation of 81920 bytes failed`, found in review).
#[test]
fn a_file_read_works_under_a_data_size_limit() {
    let cap = capture("libs/sample.scap").to_string_lossy().into_owned();
    let script = format!(
        "ulimit -d 60000; exec '{}' dig -r '{cap}' -q -v",
        syspect_bin()
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("Captured Events"), "{err}");
}
