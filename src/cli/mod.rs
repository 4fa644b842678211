//! Command line: parses arguments and wires one source into one front end.
//! Errors in what the user gave (files, filters, formats, options) exit
//! with status 2 and one line on stderr.

pub mod dig;
mod heap;
pub mod live;
pub mod multi;
pub mod proclist;
pub mod top;

use clap::Parser;

/// An error caused by the user's input: reported in one line, exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Reports an error on one line and gives the exit status: 2, for the
/// user's input and for I/O and capture failures alike (they come from the
/// environment the user chose). Control characters in the message (a
/// value the user typed, a file name) are shown escaped (`\n`, `\u{1b}`),
/// so that the line stays one line and cannot drive the terminal.
fn report(e: &anyhow::Error) -> i32 {
    eprintln!("syspect: {}", one_line(&e.to_string()));
    2
}

/// A command-line parsing error in one line: clap's message without its
/// `error:` prefix, then what clap adds under it (the possible values, a
/// tip) up to its usage lines, and where to find help.
pub(crate) fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("bad arguments");
    let mut msg = first.strip_prefix("error: ").unwrap_or(first).to_string();
    for l in lines {
        if l.starts_with("Usage:") || l.starts_with("For more information") {
            break;
        }
        let l = l.strip_prefix("tip: ").unwrap_or(l);
        let l = l
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(l);
        msg.push_str("; ");
        msg.push_str(l);
    }
    msg.push_str(" (see --help)");
    msg
}

/// What a command-line parsing error ends in: help and version are printed
/// as clap prints them (status 0), an error is reported in one line
/// (status 2).
pub(crate) fn clap_exit(e: &clap::Error) -> i32 {
    if e.use_stderr() {
        eprintln!("syspect: {}", one_line(&clap_message(e)));
        2
    } else {
        let _ = e.print();
        0
    }
}

fn one_line(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for c in msg.chars() {
        if crate::event::render::is_unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Entry point; returns the process exit status.
pub fn main() -> i32 {
    // (`std::env::args` panics on an argument that is not UTF-8: a clear
    // error instead, as for any bad input.)
    let args = match std::env::args_os()
        .map(std::ffi::OsString::into_string)
        .collect::<Result<Vec<String>, _>>()
    {
        Ok(a) => a,
        Err(bad) => {
            let e = UsageError(format!(
                "an argument is not valid UTF-8: {:?}",
                bad.to_string_lossy()
            ));
            return report(&e.into());
        }
    };
    let result = if args.get(1).map(String::as_str) == Some("dig") {
        // A read of capture files gets its heap before the arguments are
        // parsed: clap's parse grows it by some 280 KB, 40 page faults of
        // fresh small pages otherwise (see `heap`; `dig::run` sets it up for the
        // reads this misses, `-qr FILE` and the like).
        if dig::reads_files(args.get(2..).unwrap_or_default()) {
            heap::prefer_huge_pages();
        }
        let parsed = match dig::plain_read(args.get(2..).unwrap_or_default()) {
            Some(a) => Ok(a),
            None => {
                let mut rest = vec![format!("{} dig", args[0])];
                rest.extend(args.into_iter().skip(2));
                dig::DigArgs::try_parse_from(rest)
            }
        };
        match parsed {
            Ok(a) => dig::run(a),
            Err(e) => return clap_exit(&e),
        }
    } else if top::headless_requested(&args) {
        match top::run_headless(&args) {
            Ok(0) => Ok(()),
            Ok(code) => return code,
            Err(e) => Err(e),
        }
    } else {
        crate::tui::cli_main(args)
    };
    match result {
        Ok(()) => 0,
        Err(e) => report(&e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_line_escapes_control_characters() {
        assert_eq!(super::one_line("a\nb\x1b[2Jc\td"), "a\\nb\\u{1b}[2Jc\\td");
        assert_eq!(super::one_line("plain: text"), "plain: text");
    }
}
