//! proc.* and thread.* fields in filters against sysdig 0.29.3.
mod common;

#[test]
fn proc_fields_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "proc.pname=bash"),
        ("falco/cat_write.scap", "proc.args contains null"),
        ("falco/cat_write.scap", "proc.pid=20072"),
        ("falco/cat_write.scap", "thread.ismain=true"),
        ("libs/curl_google.scap", "proc.aname=bash"),
        ("libs/curl_google.scap", "proc.apid[1]>0"),
        // Without an index, each ancestor is compared in turn, `!=` too.
        ("sysflow/namespaces_setns.scap", "proc.aname!=bash"),
        ("sysflow/namespaces_setns.scap", "not proc.aname=bash"),
        ("libs/curl_google.scap", "proc.apid!=3200"),
        ("sysflow/files_filesat.scap", "proc.exe endswith filesat"),
        ("sysflow/files_filesat.scap", "proc.cwd exists"),
        ("falco/cat_write.scap", "proc.is_exe_writable=false"),
        ("libs/sample.scap", "proc.is_exe_writable=true"),
        (
            "bencer-examples/example5_httpd.scap",
            "proc.name=httpd and thread.ismain=true",
        ),
    ]);
}

/// libs/sample.scap's process list has the newer layout, which sysdig 0.29.3
/// misreads: it prints `proc.is_exe_writable` as true, yet in its filters
/// the value is neither `true` nor `false` (`=true` and `=false` both match
/// nothing). We read the flag as written, and the filter agrees with what
/// is printed.
#[test]
fn exe_writable_filter_agrees_with_output() {
    let cap = common::capture("libs/sample.scap");
    let p = cap.to_string_lossy();
    let run = |args: &[&str]| common::stdout_lines(&common::dig(args));
    let printed = run(&["-r", &p, "-p", "%proc.is_exe_writable"]);
    assert!(!printed.is_empty());
    assert!(printed.iter().all(|l| l == "true"), "{printed:?}");
    // (Events of threads without a known process have no value.)
    let all = run(&[
        "-r",
        &p,
        "-p",
        common::FILTER_FORMAT,
        "proc.is_exe_writable exists",
    ]);
    assert_eq!(all.len(), printed.len());
    let yes = run(&[
        "-r",
        &p,
        "-p",
        common::FILTER_FORMAT,
        "proc.is_exe_writable=true",
    ]);
    let no = run(&[
        "-r",
        &p,
        "-p",
        common::FILTER_FORMAT,
        "proc.is_exe_writable=false",
    ]);
    assert_eq!(yes, all);
    assert!(no.is_empty());
    if let Some(sd) = common::sysdig() {
        let t = |f: &str| {
            common::stdout_lines(&common::sysdig_run(&sd, &["-r", &p, "-p", "%evt.num", f])).len()
        };
        let shown = common::stdout_lines(&common::sysdig_run(
            &sd,
            &["-r", &p, "-p", "%proc.is_exe_writable"],
        ));
        assert!(shown.iter().all(|l| l == "true"), "{shown:?}");
        assert_eq!(
            (
                t("proc.is_exe_writable=true"),
                t("proc.is_exe_writable=false")
            ),
            (0, 0),
            "sysdig 0.29.3's answer changed"
        );
    }
}
