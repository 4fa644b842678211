//! Container fields on the captures that hold containers, against
//! sysdig 0.29.3 (`/usr/bin/sysdig`; missing: fail with CI=true, else skip).

mod common_scap;

use std::path::Path;
use std::process::Command;

use common_scap::{capture, sysdig};

/// Captures with container processes or container metadata events.
const CONTAINER_CAPTURES: &[&str] = &[
    "bencer-examples/example0_nginx.scap",
    "bencer-examples/example2_502error.scap",
    "bencer-examples/example4_example4-1.scap",
    "bencer-examples/example4_example4-2.scap",
    "bencer-examples/example5_httpd.scap",
    "bencer-examples/example5_nginx.scap",
    "falco/empty_old_with_containers.scap",
    "falco/open-multiple-files.scap",
    "falco/psp_privileged.scap",
    "falco/psp_run_as_user_0_container.scap",
    "falco/psp_run_as_user_65534_container.scap",
    "falco/psp_write_tmp_test.scap",
    "sysflow/alpine_alpine.scap",
    "sysflow/client-server_tcp-client-server.scap",
    "sysflow/files_files.scap",
    "sysflow/mpm-event_full_capture.scap",
    "sysflow/namespaces_setns.scap",
    "sysflow/objectstore_download.scap",
    "sysflow/rename_rename.scap",
    "sysflow/setuid_setuid.scap",
];

/// Captures whose whole `-pc` output matches sysdig's. On the others the
/// lines differ only in columns outside the container layer
/// (`thread.vtid` of threads without a namespace tid, some `evt.info`
/// renderings); their container columns are compared separately.
const PC_EXACT: &[&str] = &[
    "bencer-examples/example0_nginx.scap",
    "bencer-examples/example5_httpd.scap",
    "bencer-examples/example5_nginx.scap",
    "falco/empty_old_with_containers.scap",
    "falco/open-multiple-files.scap",
    "falco/psp_privileged.scap",
    "falco/psp_run_as_user_0_container.scap",
    "falco/psp_write_tmp_test.scap",
    "sysflow/alpine_alpine.scap",
];

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sysdig_out(sd: &Path, file: &Path, args: &[&str]) -> String {
    let text = run(Command::new(sd).arg("-r").arg(file).args(args));
    // sysdig prints the container JSON parameter with its trailing newline;
    // syspect never lets control characters through, so the line ends in
    // the space that followed it.
    let mut lines: Vec<String> = Vec::new();
    for l in text.split('\n') {
        match lines.last_mut() {
            Some(prev) if l == " " => prev.push(' '),
            _ => lines.push(l.to_string()),
        }
    }
    lines.join("\n")
}

fn syspect_out(file: &Path, args: &[&str]) -> String {
    run(Command::new(env!("CARGO_BIN_EXE_syspect"))
        .arg("dig")
        .arg("-r")
        .arg(file)
        .args(args))
}

fn first_diff(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  sysdig:  {x}\n  syspect: {y}", i + 1);
        }
    }
    format!(
        "line counts differ: sysdig {} syspect {}",
        a.lines().count(),
        b.lines().count()
    )
}

fn compare(args: &[&str], files: &[&str]) {
    let Some(sd) = sysdig() else { return };
    let mut failures = Vec::new();
    for rel in files {
        let f = capture(rel);
        let want = sysdig_out(&sd, &f, args);
        let got = syspect_out(&f, args);
        if want != got {
            failures.push(format!("{rel} {args:?}: {}", first_diff(&want, &got)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn id_name_image_of_container_events() {
    compare(
        &[
            "-p",
            "%container.id %container.name %container.image",
            "container.id!=host",
        ],
        CONTAINER_CAPTURES,
    );
}

#[test]
fn all_container_fields() {
    compare(
        &[
            "-p",
            "*%evt.num %container.id|%container.name|%container.type|%container.privileged|%container.mounts|%container.mount[0]|%container.mount.dest[0]|%container.mount.source[/data]|%container.mount[/home/*]|%container.mount.rdwr[0]|%container.image|%container.image.id|%container.image.repository|%container.image.tag|%container.image.digest|%container.healthcheck|%container.liveness_probe|%container.readiness_probe|%proc.name|%k8s.pod.name|%k8s.ns.name",
        ],
        CONTAINER_CAPTURES,
    );
}

#[test]
fn container_filters_and_json() {
    compare(
        &[
            "-j",
            "-p",
            "%evt.num %container.id %container.privileged %proc.name",
            "container.type=docker and container.image contains n",
        ],
        CONTAINER_CAPTURES,
    );
}

#[test]
fn pc_preset_exact() {
    compare(&["-pc"], PC_EXACT);
}

#[test]
fn pc_preset_container_columns() {
    // -pc without thread.vtid and evt.info (see PC_EXACT).
    compare(
        &[
            "-p",
            "*%evt.num %evt.outputtime %evt.cpu %container.name (%container.id) %proc.name (%thread.tid) %evt.dir %evt.type",
        ],
        CONTAINER_CAPTURES,
    );
}
