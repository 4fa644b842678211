//! The state updates `dig` skips when nothing in the run can show them
//! change no output: every capture, read with and without the skipping
//! (`--no-elide`), prints the same in several formats and filters.
mod common;

use common::*;

/// Output formats and filters that read much of the state.
const CASES: &[&[&str]] = &[
    &[],
    &["-D"],
    &[
        "-p",
        "%evt.num %proc.name %thread.tid %fd.num %fd.name %evt.latency %thread.cpu %thread.cpu.user %evt.info",
    ],
    &["-D", "-p", "%evt.num %evt.type %thread.cpu %thread.cpu.system %proc.name"],
    &["-j"],
    &["fd.name contains /etc or proc.name=curl"],
    &["-q", "-v"],
];

#[test]
fn skipped_updates_change_no_output() {
    let files = all_captures();
    if files.is_empty() {
        eprintln!("no shared captures: skipped");
        return;
    }
    let mut compared = 0;
    for f in &files {
        let path = f.to_string_lossy();
        for case in CASES {
            let mut args = vec!["-r", path.as_ref()];
            args.extend_from_slice(case);
            let fast = dig(&args);
            args.push("--no-elide");
            let full = dig(&args);
            assert_eq!(fast.status.code(), full.status.code(), "{path} {case:?}");
            assert!(
                fast.stdout == full.stdout,
                "{path} {case:?}: output differs without --no-elide"
            );
            assert_eq!(
                steady_text(&fast.stderr),
                steady_text(&full.stderr),
                "{path} {case:?}"
            );
            compared += 1;
        }
    }
    eprintln!("compared {compared} runs");
}
