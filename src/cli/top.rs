//! The top-level command line (`syspect [OPTIONS] [FILTER]`, no
//! subcommand): the interactive UI, or headless view output with
//! `-j`/`--raw`/`--list-views`.

use anyhow::Result;
use clap::Parser;

use crate::views::headless::{self, HeadlessArgs};

/// The one top-level argument set, shared by the UI and headless mode.
#[derive(Parser, Debug, Default)]
#[command(
    name = "syspect",
    about = "Interactive syscall explorer (csysdig-style). `syspect dig --help` for the sysdig command line.",
    version,
    disable_version_flag = true
)]
pub struct TopArgs {
    /// Print the version and exit.
    #[arg(long = "version", action = clap::ArgAction::Version, display_order = 1000)]
    pub version: Option<bool>,
    /// Read events from a capture file instead of the live system.
    #[arg(
        short = 'r',
        long = "read",
        visible_alias = "readfile",
        value_name = "FILE"
    )]
    pub read: Option<String>,
    /// Time between samples and screen updates, in milliseconds.
    #[arg(short = 'd', long = "delay", value_name = "MS", default_value_t = 2000)]
    pub delay_ms: u64,
    /// The view to start with (see --list-views).
    #[arg(short = 'v', long = "view", value_name = "VIEW")]
    pub view: Option<String>,
    /// Bytes of each I/O buffer to capture.
    #[arg(
        short = 's',
        long = "snaplen",
        value_name = "LEN",
        default_value_t = 80
    )]
    pub snaplen: u32,
    /// Memory for the event store: 512M, 2G, 100000K (plain numbers are MiB).
    #[arg(long = "buffer", value_name = "SIZE", default_value = "512M")]
    pub buffer: String,
    /// Kernel ring buffer for live capture, in MiB.
    #[arg(long = "ring-mb", value_name = "MB", default_value_t = 64)]
    pub ring_mb: usize,
    /// Print the view's samples as csysdig JSON instead of starting the UI.
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// Print the view's samples as plain text instead of starting the UI.
    #[arg(long = "raw")]
    pub raw: bool,
    /// List the views (with -j: as JSON).
    #[arg(long = "list-views")]
    pub list_views: bool,
    /// Container mode (csysdig -pc): show the container columns.
    #[arg(short = 'p', value_name = "c", value_parser = ["c", "container"])]
    pub print: Option<String>,
    /// Stop after this many events.
    #[arg(short = 'n', long = "numevents", value_name = "NUM")]
    pub numevents: Option<u64>,
    /// CRI socket (containerd, cri-o) to ask for container metadata; may be repeated.
    #[arg(long = "cri", value_name = "PATH")]
    pub cri: Vec<std::path::PathBuf>,
    /// Wait at most this many milliseconds for an answer from CRI.
    #[arg(long = "cri-timeout", value_name = "MS")]
    pub cri_timeout: Option<u64>,
    /// Capture filter (sysdig filter language).
    #[arg(value_name = "FILTER")]
    pub filter: Vec<String>,
}

fn wants_headless(a: &TopArgs) -> bool {
    a.json || a.raw || a.list_views
}

/// True when the arguments ask for headless output rather than the UI.
pub fn headless_requested(args: &[String]) -> bool {
    match TopArgs::try_parse_from(args) {
        Ok(a) => wants_headless(&a),
        Err(_) => args
            .iter()
            .skip(1)
            .any(|s| matches!(s.as_str(), "-j" | "--json" | "--raw" | "--list-views")),
    }
}

/// Parses the arguments and runs headless mode.
pub fn run_headless(args: &[String]) -> Result<i32> {
    let a = match TopArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => return Ok(super::clap_exit(&e)),
    };
    crate::state::containers::cri::configure(&a.cri, a.cri_timeout);
    headless::run(HeadlessArgs {
        read: a.read,
        delay_ms: a.delay_ms,
        view: a.view,
        snaplen: a.snaplen,
        buffer_mb: a.ring_mb,
        json: a.json,
        raw: a.raw,
        list_views: a.list_views,
        containers: a.print.is_some(),
        numevents: a.numevents,
        filter: a.filter,
    })?;
    Ok(0)
}
