//! Event data is hostile: whatever a capture holds, no control character,
//! escape sequence or bidirectional formatting char reaches a terminal.
//!
//! The fixtures are real captures (libsinsp test data) with strings
//! replaced by hostile ones: `hostile_exec.scap` in an execve's exe, args,
//! cwd, comm and environment, in open paths and read/write buffers;
//! `hostile_proclist.scap` in the process list's comm, exe, args and cwd.
//! Each holds ESC [2J, an OSC title, `\r`, C1 `\x9b` (raw and as UTF-8),
//! U+202E (right-to-left override), DEL, backspace, tab and invalid UTF-8.
mod common;

use common::*;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn syspect(args: &[&str]) -> std::process::Output {
    std::process::Command::new(syspect_bin())
        .args(args)
        .output()
        .expect("run syspect")
}

/// The chars that must not reach a terminal, but for `\n` (and `\t` where
/// `tabs` is set: `-A`/`-X` keep a buffer's tabs, as sysdig does).
fn unsafe_chars(text: &str, tabs: bool) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            !(c == '\n' || (tabs && c == '\t'))
                && (c.is_control()
                    || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

#[test]
fn text_outputs_hold_no_control_or_bidi_chars() {
    let f = fixture("hostile_exec.scap");
    let p = fixture("hostile_proclist.scap");
    let runs: Vec<(Vec<&str>, bool)> = vec![
        (vec!["dig", "-r", &f], false),
        (vec!["dig", "-r", &f, "-v"], false),
        (
            vec![
                "dig",
                "-r",
                &f,
                "-p",
                "*%proc.name %proc.exe %proc.args %proc.cwd %fd.name %evt.arg.name %evt.buffer %proc.env",
            ],
            false,
        ),
        (vec!["dig", "-r", &f, "-A"], true),
        (vec!["dig", "-r", &f, "-X"], true),
        (vec!["-r", &f, "--raw", "-v", "procs"], false),
        (vec!["-r", &f, "--raw", "-v", "files"], false),
        (vec!["-r", &p, "--raw", "-v", "procs"], false),
    ];
    for (args, tabs) in runs {
        let o = syspect(&args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(!out.is_empty(), "{args:?}");
        let bad = unsafe_chars(&out, tabs);
        assert!(bad.is_empty(), "{args:?}: {bad:?}");
    }
}

/// JSON keeps the data (a consumer decodes it) but escapes what must not
/// reach a terminal raw: DEL, C1 and bidi controls as `\uXXXX`, as the
/// C0 controls always were.
#[test]
fn json_outputs_escape_control_and_bidi_chars() {
    let f = fixture("hostile_exec.scap");
    let p = fixture("hostile_proclist.scap");
    for args in [
        vec!["dig", "-r", &f, "-j"],
        vec!["-r", &f, "-j", "-v", "procs"],
        vec!["-r", &p, "-j", "-v", "procs"],
    ] {
        let o = syspect(&args);
        assert!(o.status.success(), "{args:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        let bad = unsafe_chars(&out, false);
        assert!(bad.is_empty(), "{args:?}: {bad:?}");
        // Every line of dig -j is a JSON object.
        if args[0] == "dig" {
            for l in out.lines() {
                serde_json::from_str::<serde_json::Value>(l)
                    .unwrap_or_else(|e| panic!("{args:?}: {e}: {l}"));
            }
        }
        assert!(
            out.contains("\\u202e") && out.contains("\\u009b"),
            "{args:?}: the hostile chars are kept, escaped"
        );
    }
}
