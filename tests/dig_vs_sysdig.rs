//! `syspect dig -r` against sysdig 0.29.3 on every capture sysdig reads:
//! the state-heavy `-p` line must be identical, the default line (with
//! `%evt.info`) must match on at least 99% of lines.

mod common;

use common::*;

const STATE_FORMAT: &str = "%evt.num %evt.rawtime %evt.cpu %evt.dir %evt.type %proc.name %thread.tid %proc.pid %fd.num %fd.name %evt.res %user.name";

/// Lines where we knowingly differ from sysdig 0.29.3, with the reason.
/// Keyed by capture and the event number that starts the line.
const KNOWN: &[(&str, &str, &str)] = &[];

fn known(capture: &str, line: &str) -> Option<&'static str> {
    let num = line.split_whitespace().next().unwrap_or("");
    KNOWN
        .iter()
        .find(|(c, n, _)| *c == capture && *n == num)
        .map(|(_, _, why)| *why)
}

#[test]
fn state_format_is_identical() {
    let Some(sd) = sysdig() else { return };
    let mut failures = Vec::new();
    for cap in SYSDIG_READABLE {
        let path = capture(cap);
        let p = path.to_string_lossy();
        let ours = dig(&["-r", &p, "-p", STATE_FORMAT]);
        assert!(
            ours.status.success(),
            "{cap}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
        let theirs = sysdig_run(&sd, &["-r", &p, "-p", STATE_FORMAT]);
        let (o, t) = (stdout_lines(&ours), stdout_lines(&theirs));
        let mut missing: Vec<String> = unmatched(&o, &t)
            .into_iter()
            .filter(|l| known(cap, l).is_none())
            .collect();
        let mut extra: Vec<String> = unmatched(&t, &o)
            .into_iter()
            .filter(|l| known(cap, l).is_none())
            .collect();
        missing.truncate(5);
        extra.truncate(5);
        if !missing.is_empty() || !extra.is_empty() {
            failures.push(format!(
                "{cap}: sysdig lines we lack: {missing:#?}\n   our lines sysdig lacks: {extra:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn default_line_matches_99_percent() {
    let Some(sd) = sysdig() else { return };
    let (mut total, mut bad) = (0usize, 0usize);
    let mut listed = Vec::new();
    for cap in SYSDIG_READABLE {
        let path = capture(cap);
        let p = path.to_string_lossy();
        let ours = stdout_lines(&dig(&["-r", &p]));
        let theirs = stdout_lines(&sysdig_run(&sd, &["-r", &p]));
        let missing = unmatched(&ours, &theirs);
        total += theirs.len();
        bad += missing.len();
        for m in missing.iter().take(3) {
            listed.push(format!("{cap}: {}", &m[..m.len().min(160)]));
        }
        // Per file: at least 99% too.
        assert!(
            missing.len() * 100 <= theirs.len().max(1),
            "{cap}: {} of {} default lines differ, e.g. {:#?}",
            missing.len(),
            theirs.len(),
            &missing[..missing.len().min(5)]
        );
    }
    eprintln!(
        "default line: {} of {} lines identical ({:.3}%); differing lines (first per file):\n{}",
        total - bad,
        total,
        100.0 * (total - bad) as f64 / total.max(1) as f64,
        listed.join("\n")
    );
    assert!(bad * 100 <= total, "{bad} of {total} default lines differ");
}

#[test]
fn unreadable_by_sysdig_but_read_fully_by_us() {
    for (cap, min_lines) in [
        ("libs/curl_google_comments.scap", 1200),
        ("students/Aurelabe_curl.scap", 100),
    ] {
        let path = capture(cap);
        let out = dig(&["-r", &path.to_string_lossy(), "-q", "-v"]);
        assert!(
            out.status.success(),
            "{cap}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Captured Events:"), "{stderr}");
        let printed = dig(&["-r", &path.to_string_lossy()]);
        assert!(printed.status.success());
        assert!(
            stdout_lines(&printed).len() >= min_lines,
            "{cap}: only {} lines",
            stdout_lines(&printed).len()
        );
    }
    // The Wireshark-annotated copy prints exactly like the original.
    let a = dig(&["-r", &capture("libs/curl_google.scap").to_string_lossy()]);
    let b = dig(&[
        "-r",
        &capture("libs/curl_google_comments.scap").to_string_lossy(),
    ]);
    assert_eq!(stdout_lines(&a), stdout_lines(&b));
}

#[test]
fn pcapng_is_refused_clearly() {
    let path = capture("negative/bennythejudge_output_is_tcpdump_pcapng.scap");
    let out = dig(&["-r", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("not a sysdig capture"), "{err}");
    assert!(err.contains("at byte"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn cli_round_trip_through_sysdig() {
    let Some(sd) = sysdig() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for cap in [
        "falco/cat_write.scap",
        "libs/curl_google.scap",
        "sysflow/files_filesat.scap",
        "bencer-examples/example5_httpd.scap",
        "libs/sample.scap",
    ] {
        let src = capture(cap);
        let out = dir.path().join("copy.scap");
        let w = dig(&["-r", &src.to_string_lossy(), "-w", &out.to_string_lossy()]);
        assert!(
            w.status.success(),
            "{cap}: {}",
            String::from_utf8_lossy(&w.stderr)
        );
        assert!(w.stdout.is_empty(), "-w prints nothing");
        let a = stdout_lines(&sysdig_run(&sd, &["-r", &src.to_string_lossy()]));
        let b = stdout_lines(&sysdig_run(&sd, &["-r", &out.to_string_lossy()]));
        let d = differing_lines(&b, &a);
        assert!(d.is_empty(), "{cap}: {:#?}", &d[..d.len().min(5)]);
    }
}

#[test]
fn truncated_capture_reports_offset_and_keeps_events() {
    let src = std::fs::read(capture("libs/curl_google.scap")).expect("read");
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.scap");
    std::fs::write(&cut, &src[..src.len() * 2 / 3]).expect("write");
    let out = dig(&["-r", &cut.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at byte"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        stdout_lines(&out).len() > 100,
        "events before the damage are delivered"
    );
}
