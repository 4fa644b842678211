//! Command line: parses arguments and wires one source into one front end.
//! Errors in what the user gave (files, filters, formats, options) exit
//! with status 2 and one line on stderr.

pub mod dig;
pub mod live;
pub mod multi;
pub mod top;

use clap::Parser;

/// An error caused by the user's input: reported in one line, exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn report(e: &anyhow::Error) -> i32 {
    let msg = e.to_string();
    let msg = msg.lines().next().unwrap_or("").to_string();
    eprintln!("syspect: {msg}");
    if e.downcast_ref::<UsageError>().is_some() {
        2
    } else {
        // I/O and capture failures are also reported on one line; they
        // exit 2 as well since they come from the environment the user chose.
        2
    }
}

/// Entry point; returns the process exit status.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let result = if args.get(1).map(String::as_str) == Some("dig") {
        let mut rest = vec![format!("{} dig", args[0])];
        rest.extend(args.into_iter().skip(2));
        match dig::DigArgs::try_parse_from(rest) {
            Ok(a) => dig::run(a),
            Err(e) => {
                let code = if e.use_stderr() { 2 } else { 0 };
                let _ = e.print();
                return code;
            }
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
