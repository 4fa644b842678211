//! `syspect dig`: sysdig's command line.

use std::io::{self, IsTerminal, Write};
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use clap::Parser;

use crate::capture::live::LiveOptions;
use crate::capture::pipeline::Carry;
use crate::capture::scap::{MetaSource, RotateSpec, RotatingWriter, WriterOptions};
use crate::capture::{Run, Source};
use crate::event::render::{BufFormat, RenderOpts};
use crate::event::visibility::{Seen, Visibility};
use crate::filter::fields::{Ctx, FieldOpts, TimeMode};
use crate::filter::Filter;
use crate::print::format::{preset, Format, DEFAULT};
use crate::print::summary::Summary;
use crate::state::{containers, State};

use super::UsageError;

/// `-s`'s default: bytes of each I/O buffer captured.
const DEFAULT_SNAPLEN: u32 = 80;
/// `--buffer-mb`'s default: the live ring buffer, in MiB.
const DEFAULT_BUFFER_MB: usize = 64;

#[derive(Parser, Debug, Default)]
#[command(
    name = "syspect dig",
    about = "Capture, filter and print system events, as sysdig does",
    version,
    disable_version_flag = true,
    // getopt_long takes any unambiguous start of a long option (`--summ`).
    infer_long_args = true,
    // One buffer layout at most, as sysdig ("more than one output format").
    group(clap::ArgGroup::new("buffer_format").multiple(false))
)]
pub struct DigArgs {
    /// Print the version and exit.
    #[arg(long = "version", action = clap::ArgAction::Version, display_order = 1000)]
    pub version: Option<bool>,
    /// Read events from a capture file (.scap, plain or gzip). Repeatable.
    #[arg(
        short = 'r',
        long = "read",
        visible_alias = "readfile",
        value_name = "FILE"
    )]
    pub read: Vec<String>,
    /// Write events to a capture file instead of printing them.
    #[arg(
        short = 'w',
        long = "write",
        visible_alias = "writefile",
        value_name = "FILE"
    )]
    pub write: Option<String>,
    /// Output format (sysdig -p syntax); `c`/`k`/`m` for the container,
    /// Kubernetes and Mesos presets; `-pp` prints the format and exits.
    /// The last one given counts.
    #[arg(
        short = 'p',
        long = "print",
        value_name = "FORMAT",
        allow_hyphen_values = true
    )]
    pub format: Vec<String>,
    /// One JSON object per event.
    #[arg(short = 'j', long = "json")]
    pub json: bool,
    /// Stop after this many events.
    #[arg(short = 'n', long = "numevents", value_name = "NUM")]
    pub numevents: Option<u64>,
    /// Stop after this many seconds.
    #[arg(short = 'M', value_name = "SECONDS")]
    pub seconds: Option<f64>,
    /// Bytes of each I/O buffer to capture.
    #[arg(
        short = 's',
        long = "snaplen",
        value_name = "LEN",
        default_value_t = DEFAULT_SNAPLEN
    )]
    pub snaplen: u32,
    /// Print buffers as text, keeping line ends.
    #[arg(short = 'A', long = "print-ascii", group = "buffer_format")]
    pub ascii: bool,
    /// Print buffers in hex.
    #[arg(short = 'x', long = "print-hex", group = "buffer_format")]
    pub hex: bool,
    /// Print buffers in hex and ASCII.
    #[arg(short = 'X', long = "print-hex-ascii", group = "buffer_format")]
    pub hex_ascii: bool,
    /// Print buffers in base64.
    #[arg(short = 'b', long = "print-base64", group = "buffer_format")]
    pub base64: bool,
    /// Time column: h human, a absolute, r relative, d enter-exit delta, D delta from previous.
    #[arg(short = 't', long = "timetype", value_name = "h|a|r|d|D")]
    pub timetype: Option<String>,
    /// Don't print events.
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Print a per-event-type count table at the end.
    #[arg(short = 'S', long = "summary")]
    pub summary: bool,
    /// Full buffers, and end-of-run statistics on stderr.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// List the fields.
    #[arg(short = 'l', long = "list")]
    pub list: bool,
    /// List the events.
    #[arg(short = 'L', long = "list-events")]
    pub list_events: bool,
    /// List the fields as Markdown.
    #[arg(long = "list-markdown")]
    pub list_markdown: bool,
    /// Also show internal events.
    #[arg(short = 'D', long = "debug")]
    pub debug: bool,
    /// Leave out the events of processes with this name and of their
    /// descendants (repeatable).
    #[arg(short = 'U', long = "suppress-comm", value_name = "COMM")]
    pub suppress_comm: Vec<String>,
    /// Show port numbers as service names (from /etc/services).
    #[arg(short = 'R', long = "resolve-ports")]
    pub resolve_ports: bool,
    /// Load no user or group tables (user and group names stay <NA>).
    #[arg(short = 'E', long = "exclude-users")]
    pub exclude_users: bool,
    /// Print on stderr how much of the capture files has been read.
    #[arg(short = 'P', long = "progress")]
    pub progress: bool,
    /// Accepted for sysdig compatibility: the filter always runs after the
    /// state update, so what it sees is what is printed (sysdig does that
    /// only with -d).
    #[arg(short = 'd', long = "displayflt")]
    pub displayflt: bool,
    /// With -w and a filter: also write the events the filter leaves out
    /// that change state (process, fd), marked so that they are not shown
    /// when the file is read but keep its state whole.
    #[arg(short = 'F', long = "fatfile")]
    pub fatfile: bool,
    /// With -w and a filter: the process table written keeps only the
    /// processes and fds the filter passes (tested once per open fd of each
    /// process, as sysdig does).
    #[arg(long = "filter-proclist")]
    pub filter_proclist: bool,
    /// gzip the file written with -w.
    #[arg(short = 'z', long = "compress")]
    pub compress: bool,
    /// With -w: start a new file once the current one holds more than MB
    /// million bytes (10^6); files are named FILE0, FILE1, ...
    #[arg(
        short = 'C',
        long = "file-size",
        value_name = "MB",
        allow_hyphen_values = true
    )]
    pub file_size: Option<String>,
    /// With -w: start a new file every SECONDS seconds of event time; FILE
    /// may hold strftime specifiers (%Y%m%d-%H%M%S), else a counter is added.
    #[arg(
        short = 'G',
        long = "seconds",
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub rotate_secs: Option<String>,
    /// With -C, -G or -e: keep at most NUM files, overwriting the oldest.
    #[arg(
        short = 'W',
        long = "limit",
        value_name = "NUM",
        allow_hyphen_values = true
    )]
    pub file_limit: Option<String>,
    /// With -w: start a new file every NUM events.
    #[arg(
        short = 'e',
        long = "event-limit",
        visible_alias = "events",
        value_name = "NUM",
        allow_hyphen_values = true
    )]
    pub event_limit: Option<String>,
    /// Ring buffer size for live capture, in MiB.
    #[arg(long = "buffer-mb", value_name = "MB", default_value_t = DEFAULT_BUFFER_MB)]
    pub buffer_mb: usize,
    /// Also show event types newer than sysdig 0.29.3 knows (numbering them).
    #[arg(long = "all-events")]
    pub all_events: bool,
    /// Flush output after every line.
    #[arg(long = "unbuffered")]
    pub unbuffered: bool,
    /// Benchmarks only: attach the probe but send no events, to measure what
    /// the attachment alone costs every syscall (`cargo xtask bench capture`).
    #[arg(long = "probe-attach-only", hide = true)]
    pub probe_attach_only: bool,
    /// Tests only: apply every event to the state, even those whose
    /// changes nothing in this run can show (see the event loop).
    #[arg(long = "no-elide", hide = true)]
    pub no_elide: bool,
    /// CRI socket (containerd, cri-o) to ask for container metadata; may be repeated.
    #[arg(long = "cri", value_name = "PATH")]
    pub cri: Vec<std::path::PathBuf>,
    /// Wait at most this many milliseconds for an answer from CRI.
    #[arg(long = "cri-timeout", value_name = "MS")]
    pub cri_timeout: Option<u64>,
    /// Filter expression (sysdig filter language); words may come before or after options.
    #[arg(value_name = "FILTER", allow_hyphen_values = false)]
    pub filter: Vec<String>,
}

/// Set by SIGINT, SIGTERM and SIGHUP: the run stops cleanly (a file being
/// written is finished, so a dropped SSH session leaves a whole capture).
/// A SIGHUP that is ignored when we start (`nohup`) stays ignored: the
/// capture goes on after the terminal goes.
fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if sig == signal_hook::consts::SIGHUP && signal_ignored(sig) {
            continue;
        }
        let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
    }
    flag
}

/// Whether `sig` is ignored (SIG_IGN) in this process.
fn signal_ignored(sig: libc::c_int) -> bool {
    // SAFETY: sigaction with a null new action changes nothing; it only
    // writes the current disposition into `old`, a zeroed struct we own.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

fn render_opts(a: &DigArgs) -> RenderOpts {
    let buf = if a.hex_ascii {
        BufFormat::HexAscii
    } else if a.hex {
        BufFormat::Hex
    } else if a.ascii {
        BufFormat::Ascii
    } else if a.base64 {
        BufFormat::Base64
    } else {
        BufFormat::Dotted
    };
    RenderOpts {
        buf,
        // JSON and -v never cut buffers.
        max_buf: if a.verbose || a.json { usize::MAX } else { 80 },
    }
}

fn time_mode(t: Option<&str>) -> Result<TimeMode> {
    Ok(match t {
        None | Some("h") => TimeMode::Human,
        Some("a") => TimeMode::Absolute,
        Some("r") => TimeMode::Relative,
        Some("d") => TimeMode::Delta,
        Some("D") => TimeMode::PrevDelta,
        Some(o) => {
            return Err(UsageError(format!("invalid -t value '{o}': use h, a, r, d or D")).into())
        }
    })
}

/// The fields as `-l` lists them: each with its class (`thread.*` under
/// `proc`) and its name as listed (`name[...]` when it takes an argument).
fn listed_fields() -> impl Iterator<
    Item = (
        &'static str,
        String,
        &'static crate::filter::fields::FieldDef,
    ),
> {
    crate::filter::fields::all().iter().map(|d| {
        let class = d.name.split('.').next().unwrap_or("");
        let class = if class == "thread" { "proc" } else { class };
        let name = match d.arg {
            crate::filter::fields::ArgSpec::None => d.name.to_string(),
            _ => format!("{}[...]", d.name),
        };
        (class, name, d)
    })
}

/// Prints `-l`: the fields, grouped by class.
pub fn list_fields(out: &mut dyn Write) -> io::Result<()> {
    let mut last_class = "";
    for (class, name, d) in listed_fields() {
        if class != last_class {
            writeln!(out, "\n----------------------\nField Class: {class}\n")?;
            last_class = class;
        }
        // A name as wide as the column goes on a line of its own, as
        // sysdig does, so that it never runs into its type.
        if name.len() >= 30 {
            writeln!(out, "{name}\n{:<30}({}) {}", "", d.ftype.name(), d.desc)?;
        } else {
            writeln!(out, "{name:<30}({}) {}", d.ftype.name(), d.desc)?;
        }
    }
    Ok(())
}

/// Prints `--list-markdown`: the fields as Markdown tables, a section per
/// class, in sysdig's layout (name, type, description).
pub fn list_fields_markdown(out: &mut dyn Write) -> io::Result<()> {
    let mut last_class = "";
    for (class, name, d) in listed_fields() {
        if class != last_class {
            if !last_class.is_empty() {
                writeln!(out)?;
            }
            writeln!(
                out,
                "## Field Class: {class}\n\nName | Type | Description\n:----|:-----|:-----------"
            )?;
            last_class = class;
        }
        // (A `|` in a description would end its cell.)
        let desc = d.desc.replace('|', "\\|");
        writeln!(out, "`{name}` | {} | {desc}", d.ftype.name())?;
    }
    Ok(())
}

/// `-L`: sysdig 0.29.3's event list, byte for byte. Events are shown
/// with that table's parameters (`%evt.info`, `evt.arg`), whatever newer
/// layout a capture carries.
pub fn list_events(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(include_str!("../../assets/sysdig-0.29.3-events.txt").as_bytes())
}

/// A whole number greater than 0 given to a rotation option.
fn positive(flag: &str, value: &str, unit: &str) -> Result<u64> {
    match value.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UsageError(format!(
            "invalid {flag} value '{value}': expected a whole number of {unit} greater than 0"
        ))
        .into()),
    }
}

/// `-C`, `-G`, `-e`, `-W`: checked before any file is opened.
fn rotate_spec(a: &DigArgs) -> Result<RotateSpec> {
    let given = [
        ("-C", a.file_size.is_some()),
        ("-G", a.rotate_secs.is_some()),
        ("-e", a.event_limit.is_some()),
        ("-W", a.file_limit.is_some()),
    ];
    if a.write.is_none() {
        if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
            return Err(UsageError(format!(
                "{flag} rotates the file written with -w: give -w FILE too"
            ))
            .into());
        }
    }
    let max_bytes = match &a.file_size {
        Some(v) => {
            let mb = positive("-C", v, "megabytes (10^6 bytes)")?;
            Some(
                mb.checked_mul(1_000_000)
                    .ok_or_else(|| UsageError(format!("invalid -C value '{v}': too large")))?,
            )
        }
        None => None,
    };
    let seconds = match &a.rotate_secs {
        Some(v) => Some(positive("-G", v, "seconds")?),
        None => None,
    };
    let events = match &a.event_limit {
        Some(v) => Some(positive("-e", v, "events")?),
        None => None,
    };
    let limit = match &a.file_limit {
        Some(v) => {
            let n = positive("-W", v, "files")?;
            Some(
                u32::try_from(n)
                    .map_err(|_| UsageError(format!("invalid -W value '{v}': too large")))?,
            )
        }
        None => None,
    };
    let spec = RotateSpec {
        max_bytes,
        seconds,
        events,
        limit,
    };
    if spec.limit.is_some() && !spec.rotates() {
        return Err(UsageError(
            "-W limits the number of rotated files: use it with -C, -G or -e".into(),
        )
        .into());
    }
    Ok(spec)
}

/// A value `run` either frees at its end or leaves to the process exit
/// (which follows right after: `main` exits with `run`'s status).
enum AtExit<T> {
    Free(T),
    Leak(ManuallyDrop<T>),
}

impl<T> AtExit<T> {
    fn new(value: T, leak: bool) -> Self {
        if leak {
            AtExit::Leak(ManuallyDrop::new(value))
        } else {
            AtExit::Free(value)
        }
    }
}

impl<T> Deref for AtExit<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            AtExit::Free(v) => v,
            AtExit::Leak(v) => v,
        }
    }
}

impl<T> DerefMut for AtExit<T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            AtExit::Free(v) => v,
            AtExit::Leak(v) => v,
        }
    }
}

/// `-M` on files: whether the passing event at `ts` is `limit` ns or more
/// after the first passing one (which `start` keeps; a zero time does not
/// start the clock), as sysdig measures it.
#[inline]
fn over_deadline(start: &mut u64, ts: u64, limit: Option<u64>) -> bool {
    let Some(limit) = limit else {
        return false;
    };
    if *start == 0 {
        *start = ts;
        return false;
    }
    ts.saturating_sub(*start) >= limit
}

/// A hidden event, as sysdig's loop meets it: counted (for `-n` and `-S`)
/// when the filter passes it (or there is none), and seen by a filter that
/// keeps the time of the events it sees (`evt.deltatime`). The container
/// events a capture starts with and state-only events, which libsinsp
/// keeps to itself, are not counted, but its filter sees them (the first
/// procinfo of a capture measures its `evt.deltatime` from the container
/// events before it). True when `counting` and the event counts.
#[cold]
#[inline(never)]
fn hidden_event(filter: Option<&Filter>, c: &Ctx<'_>, leading: bool, counting: bool) -> bool {
    if counting && !leading && c.ev.dump_flags & STATE_ONLY == 0 {
        return filter.is_none_or(|f| f.may_match_type(c.ev.etype()) && f.matches_typed(c));
    }
    if let Some(f) = filter {
        f.observe(c);
    }
    false
}

/// `-P`: the share of the capture files read so far, as sysdig prints it
/// on stderr (`\r`, the last figure blanked, `\r`, the new one; the last
/// is 100.00 and a line end), at most ten times a second.
struct Progress {
    total: u64,
    last: Instant,
    shown: String,
}

impl Progress {
    fn new(files: &[String]) -> Progress {
        let total = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        Progress {
            total,
            last: Instant::now(),
            shown: String::new(),
        }
    }

    fn tick(&mut self) {
        if self.last.elapsed() < Duration::from_millis(100) || self.total == 0 {
            return;
        }
        self.last = Instant::now();
        let read = crate::capture::progress::bytes_read().min(self.total);
        let pct = read as f64 * 100.0 / self.total as f64;
        self.show(&format!("{pct:.2}"), "");
    }

    fn done(&mut self) {
        self.show("100.00", "\n");
    }

    fn show(&mut self, text: &str, end: &str) {
        let blank = " ".repeat(self.shown.chars().count());
        eprint!("\r{blank}\r{text}{end}");
        self.shown = text.to_string();
    }
}

/// scap's dump flag of an event kept for state only (`SCAP_DF_STATE_ONLY`).
const STATE_ONLY: u32 = 1;

/// Live output to a pipe or file is written out at most this long after a
/// line was printed.
const LIVE_FLUSH: Duration = Duration::from_millis(100);

/// How the events that reach the filter are judged and printed.
struct Printer<'f> {
    filter: Option<&'f Filter>,
    format: &'f Format,
    json: bool,
    quiet: bool,
    unbuffered: bool,
    /// Live output to a pipe or file: lines are written out at most this
    /// long after they were printed (see [`Printer::tick`]).
    flush_after: Option<Duration>,
    /// Lines printed since the last flush (with `flush_after`).
    pending: bool,
    last_flush: Instant,
    /// The line being rendered (its buffer reused).
    line: String,
}

impl Printer<'_> {
    /// Evaluates the filter on the event of `c` and prints the event when
    /// it passes (unless quiet); says whether it passed.
    #[inline(always)]
    fn pass(&mut self, c: &Ctx<'_>, out: &mut impl Write) -> io::Result<bool> {
        let pass = self.filter.is_none_or(|f| f.matches_typed(c));
        if pass && !self.quiet {
            self.print(c, out)?;
        }
        Ok(pass)
    }

    /// Prints the event of `c` (nothing when a field is missing and the
    /// format has no `*`).
    #[inline(never)]
    fn print(&mut self, c: &Ctx<'_>, out: &mut impl Write) -> io::Result<()> {
        self.line.clear();
        let ok = if self.json {
            self.format.render_json(c, &mut self.line)
        } else {
            self.format.render(c, &mut self.line)
        };
        if ok {
            self.line.push('\n');
            out.write_all(self.line.as_bytes())?;
            if self.unbuffered {
                let _ = out.flush();
            } else if self.flush_after.is_some() {
                self.pending = true;
                self.tick(out)?;
            }
        }
        Ok(())
    }

    /// When printed lines are waiting: the time they are due to be written
    /// out (a live source comes back by then, [`Source::next_run_by`]).
    fn flush_due(&self) -> Option<Instant> {
        self.flush_after
            .filter(|_| self.pending)
            .map(|d| self.last_flush + d)
    }

    /// Live, to a pipe or a file: writes out the lines printed once
    /// `flush_after` has passed since the last write. A line after a quiet spell goes out
    /// at once, a burst in blocks, and the rest of a burst when it is due
    /// (the source comes back then): `dig | grep` shows a rare match
    /// without waiting for a full buffer.
    #[inline]
    fn tick(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let Some(d) = self.flush_after {
            // (After a quiet spell the last flush is long past: a new line
            // goes out at once.)
            if self.pending && self.last_flush.elapsed() >= d {
                out.flush()?;
                self.pending = false;
                self.last_flush = Instant::now();
            }
        }
        Ok(())
    }
}

/// Prints the warnings of the container layer.
#[cold]
#[inline(never)]
fn warn_containers(state: &mut State) {
    for w in state.containers.take_warnings() {
        eprintln!("syspect: warning: {w}");
    }
}

/// Opens the event source the arguments ask for.
fn open_source(
    a: &DigArgs,
    stop: &Arc<AtomicBool>,
    later_meta: bool,
    carry: Carry,
) -> Result<(Box<dyn Source>, bool)> {
    match a.read.as_slice() {
        [] => {
            let deadline = a.seconds.map(|s| Duration::from_secs_f64(s.max(0.0)));
            let opts = LiveOptions {
                snaplen: a.snaplen,
                ring_bytes: a.buffer_mb.max(1) << 20,
                attach_only: a.probe_attach_only,
                drain_on_stop: true,
                ..LiveOptions::default()
            };
            let src = super::live::open_with(opts, Arc::clone(stop), deadline)?;
            Ok((src, true))
        }
        // (Mapped for the events, but not when a file is written: a file
        // truncated while it is mapped ends the run at once, see
        // `capture::scap::mapped`. A count of the types alone reads as
        // quickly from a stream, its `read`s overlapped on a thread.)
        files => Ok((
            super::multi::open_files_with(
                files,
                later_meta,
                carry,
                a.write.is_none() && carry == Carry::Events,
            )?,
            false,
        )),
    }
}

/// Runs `syspect dig`.
/// `-w FILE` that is also one of the `-r` files (the same file under any
/// name) would be emptied before it is read: refused.
fn refuse_reading_the_output(out: &str, read: &[String]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(o) = std::fs::metadata(out) else {
        return Ok(());
    };
    for r in read {
        if std::fs::metadata(r).is_ok_and(|m| m.dev() == o.dev() && m.ino() == o.ino()) {
            return Err(UsageError(format!(
                "{out}: the output file is also read (-r {r}): it would be emptied before it is read"
            ))
            .into());
        }
    }
    Ok(())
}

/// Whether `dig` arguments (the program and `dig` left out) look like a
/// read of capture files: `-r FILE` or `--read[=]FILE` (or `--readfile`)
/// before any `--`. A guess: `-rFILE` and `-qr FILE` are not seen, and an
/// option's value that is `-r` (`-p -r`) is taken for one; `run` decides
/// from the parsed arguments, and takes a wrong guess back.
pub fn reads_files(args: &[String]) -> bool {
    args.iter()
        .map(String::as_str)
        .take_while(|a| *a != "--")
        .any(|a| {
            a == "-r"
                || ["--read", "--readfile"]
                    .iter()
                    .any(|l| a == *l || a.strip_prefix(l).is_some_and(|v| v.starts_with('=')))
        })
}

/// `dig -r FILE WORD…` (one file, and no word that looks like an option):
/// the arguments clap would make of it, without building clap's parser. Its
/// first parse of a run is 0.15 ms, most of it its own code paged in, and
/// it grows the heap by 280 KB: a `dig -r` of the bench's capture is 5-6%
/// faster without it. Anything else is left to clap (`None`); a test holds
/// the two to the same answer.
pub fn plain_read(args: &[String]) -> Option<DigArgs> {
    let [r, file, words @ ..] = args else {
        return None;
    };
    if r != "-r" || file.starts_with('-') || words.iter().any(|w| w.starts_with('-')) {
        return None;
    }
    Some(DigArgs {
        read: vec![file.clone()],
        filter: words.to_vec(),
        // (The defaults clap gives the two options that have one.)
        snaplen: DEFAULT_SNAPLEN,
        buffer_mb: DEFAULT_BUFFER_MB,
        ..DigArgs::default()
    })
}

pub fn run(a: DigArgs) -> Result<()> {
    crate::state::containers::cri::configure(&a.cri, a.cri_timeout);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if a.list {
        list_fields(&mut out)?;
        out.flush()?;
        return Ok(());
    }
    if a.list_events {
        list_events(&mut out)?;
        out.flush()?;
        return Ok(());
    }
    if a.list_markdown {
        list_fields_markdown(&mut out)?;
        out.flush()?;
        return Ok(());
    }
    // `-pp`: the format given before it (or the default), printed as
    // sysdig prints it, and nothing else.
    if let Some(at) = a.format.iter().position(|f| f == "p") {
        let before = at.checked_sub(1).and_then(|i| a.format.get(i));
        writeln!(out, "{}", before.map_or(DEFAULT, |f| preset(f)))?;
        out.flush()?;
        return Ok(());
    }
    // (sysdig refuses a duration of 0 or less too; a fraction is fine here.)
    if a.seconds.is_some_and(|s| s.is_nan() || s <= 0.0) {
        return Err(UsageError("-M needs a number of seconds above 0".into()).into());
    }
    let rotation = rotate_spec(&a)?;
    if let Some(w) = &a.write {
        refuse_reading_the_output(w, &a.read)?;
    }
    let filter_text = a.filter.join(" ");
    let filter = if filter_text.trim().is_empty() {
        None
    } else {
        Some(Filter::compile(&filter_text).map_err(|e| UsageError(e.to_string()))?)
    };
    let format_text = a.format.last().map_or(DEFAULT, String::as_str);
    if format_text.is_empty() {
        return Err(UsageError("empty output format (-p)".into()).into());
    }
    let format = Format::parse(format_text).map_err(|e| UsageError(e.to_string()))?;
    let opts = FieldOpts {
        render: render_opts(&a),
        time: time_mode(a.timetype.as_deref())?,
        ..FieldOpts::default()
    };
    let stop = stop_flag();
    // A quiet, unfiltered read of files (`-q`, `-w` conversions) keeps no
    // state (see the event loop): it does not load the process list
    // either, and unless it writes a file, the metadata of later sections
    // is only checked.
    let stateless = !a.read.is_empty() && (a.quiet || a.write.is_some()) && filter.is_none();
    let later_meta = !stateless || a.write.is_some();
    // A read of files without a summary, an output file or a time limit
    // runs without the checks for them (see the event loop): stateless, it
    // only numbers the events, and their types are all it takes.
    let plain_read = !a.read.is_empty() && !a.summary && a.write.is_none() && a.seconds.is_none();
    let count_only = stateless && plain_read && a.suppress_comm.is_empty();
    let carry = if count_only {
        Carry::Types
    } else {
        Carry::Events
    };
    if !a.read.is_empty() {
        // (A short run, its speed the point: see `heap`.)
        super::heap::prefer_huge_pages();
    } else {
        // (In case the arguments looked like a read before they were
        // parsed: `-p '-r …'`.)
        super::heap::not_a_file_read();
    }
    let (src, live) = open_source(&a, &stop, later_meta, carry)?;
    // Reading files, the state and the source (with its copy of the
    // capture's process tables) are left to the process exit: freeing them
    // costs more than the rest of a short run's teardown.
    let mut src = AtExit::new(src, !live);
    let mut state = AtExit::new(State::new(), !live);
    state.live = live;
    state.exclude_users = a.exclude_users;
    if a.resolve_ports {
        crate::event::services::enable();
    }
    if live {
        state.load_meta(&crate::state::procfs::snapshot());
    } else if !stateless && a.write.is_none() {
        // (Only a file written needs the first section's tables again:
        // otherwise their strings move into the state.)
        state.load_meta_taking(&mut src.take_meta());
    } else if !stateless {
        state.load_meta(src.meta());
    }
    // `--filter-proclist`: the process tables written go through the filter.
    let proc_filter = filter
        .as_ref()
        .filter(|_| a.filter_proclist && a.write.is_some());
    let mut writer = match &a.write {
        Some(path) => {
            let meta = match (live, proc_filter) {
                (true, None) => MetaSource::Fresh(Box::new(crate::state::procfs::snapshot)),
                (true, Some(_)) => {
                    // (The filter compiled above; this copy lives in the closure.)
                    let f = Filter::compile(&filter_text).map_err(|e| UsageError(e.to_string()))?;
                    MetaSource::Fresh(Box::new(move || {
                        super::proclist::filter_meta(&crate::state::procfs::snapshot(), &f)
                    }))
                }
                (false, None) => MetaSource::Fixed(src.meta().clone()),
                (false, Some(f)) => MetaSource::Fixed(super::proclist::filter_meta(src.meta(), f)),
            };
            let opts = WriterOptions {
                compress: a.compress,
                ..WriterOptions::default()
            };
            Some(RotatingWriter::create(path, rotation, opts, meta, live)?)
        }
        None => None,
    };
    let quiet = a.quiet || writer.is_some();
    let unbuffered = a.unbuffered || io::stdout().is_terminal();
    let mut summary = a.summary.then(Summary::new);
    let started = Instant::now();
    let deadline = a.seconds.map(|s| Duration::from_secs_f64(s.max(0.0)));
    let mut num: u64 = 0;
    let mut shown: u64 = 0;
    let mut first_ts: u64 = 0;
    let mut prev_ts: u64 = 0;
    let mut vis = Visibility::new(a.debug, a.all_events).with_live(live);
    let mut suppress = crate::capture::suppress::Suppress::new(&a.suppress_comm);
    let mut read_error = None;
    // Per-source settings, decided once.
    let file_deadline_ns = deadline.filter(|_| !live).map(|d| d.as_nanos() as u64);
    // -n counts, as sysdig does, every event libsinsp hands it: those the
    // filter passes, hidden ones included (all numbered ones without a
    // filter), but for the container events a capture starts with and the
    // state-only events of a fat file, which libsinsp keeps to itself.
    let limit = a.numevents.unwrap_or(u64::MAX);
    let mut counted: u64 = 0;
    // Hidden events matter to -n and to a filter that keeps time.
    // (And to -v's count of captured events: those the filter passes.)
    let counting = limit != u64::MAX || a.verbose || file_deadline_ns.is_some();
    // -M reading files: sysdig's clock starts at the first event its filter
    // passes (hidden ones too) and stops at the first one M seconds on.
    let mut clock_start = 0u64;
    let watch_hidden = counting || filter.as_ref().is_some_and(|f| f.keeps_time());
    // A procinfo event only changes its thread's CPU sample, which only
    // procinfo events read (thread.cpu*). Reading a file without -D, they
    // are hidden (never filtered or printed): their update is skipped.
    // (Live, they are silent events and go to the state above.)
    let skip_procinfo = !live && !a.debug && !a.no_elide;
    let plain = plain_read && !stateless;
    let mut printer = Printer {
        filter: filter.as_ref(),
        format: &format,
        json: a.json,
        quiet,
        unbuffered,
        flush_after: (live && !unbuffered && !quiet).then_some(LIVE_FLUSH),
        pending: false,
        last_flush: Instant::now(),
        line: String::with_capacity(512),
    };
    let mut progress = (a.progress && !live).then(|| Progress::new(&a.read));
    'read: loop {
        if let Some(p) = progress.as_mut() {
            p.tick();
        }
        // (A live source sees the stop flag and the -M deadline itself: it
        // hands out the events from before the stop, then ends.)
        if !live && stop.load(Ordering::Relaxed) {
            break;
        }
        match printer.tick(&mut out) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            r => r?,
        }
        // A file source hands out a batch of events at a time, a live one
        // one event (or none, when printed lines are due to be written).
        let events = match src.next_run_by(printer.flush_due()) {
            Ok(Some(Run::Events(e))) => e,
            Ok(Some(Run::Section(mut meta))) => {
                if let Some(w) = writer.as_mut() {
                    match proc_filter {
                        Some(f) => w.write_section(&super::proclist::filter_meta(&meta, f))?,
                        None => w.write_section(&meta)?,
                    }
                }
                if !stateless {
                    state.load_meta_taking(&mut meta);
                }
                // What the state replaced is freed by the reading thread.
                src.section_done(meta);
                continue;
            }
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        };
        if count_only {
            // A quiet read of files without filter, summary, output file
            // or time limit only numbers the events.
            // (No state is kept, so there are no container warnings.)
            if vis.count(events.types(), &mut num, &mut shown, &mut counted, limit) {
                break;
            }
            continue;
        }
        if plain {
            // The same loop without what a plain read of files never has
            // (output file, summary, time limit, silent events, stateless
            // runs): fewer checks and spills per event.
            for ev in events {
                if suppress.as_mut().is_some_and(|s| s.check(&ev)) {
                    continue;
                }
                let etype = ev.etype();
                let ts = ev.ts();
                let leading =
                    !vis.past_leading_containers() && crate::event::table::ids::is_container(etype);
                let seen = vis.classify_type(etype, ev.dump_flags);
                if seen == Seen::Unnumbered {
                    continue;
                }
                num += 1;
                // (libsinsp's first event time skips container events.)
                if first_ts == 0 && !crate::event::table::ids::is_container(etype) {
                    first_ts = ts;
                }
                let ectx = if skip_procinfo
                    && etype == crate::event::table::ids::PROCINFO_E
                    && seen == Seen::Hidden
                {
                    crate::state::EvCtx::default()
                } else {
                    state.process(&ev)
                };
                if state.containers.has_warnings() {
                    warn_containers(&mut state);
                }
                if seen == Seen::Hidden {
                    if watch_hidden
                        && hidden_event(
                            filter.as_ref(),
                            &Ctx::new(ev, num, &state, &ectx, first_ts, prev_ts, &opts),
                            leading,
                            counting,
                        )
                    {
                        counted += 1;
                        if counted >= limit {
                            break 'read;
                        }
                    }
                    continue;
                }
                if !filter.as_ref().is_none_or(|f| f.may_match_type(etype)) {
                    continue;
                }
                if filter.is_some() || !quiet {
                    let c = Ctx::new(ev, num, &state, &ectx, first_ts, prev_ts, &opts);
                    match printer.pass(&c, &mut out) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                        Err(e) => return Err(e.into()),
                    }
                }
                shown += 1;
                counted += 1;
                prev_ts = ts;
                if counted >= limit {
                    break 'read;
                }
            }
            continue;
        }
        for ev in events {
            // (Before anything: libscap drops them before libsinsp.)
            if suppress.as_mut().is_some_and(|s| s.check(&ev)) {
                continue;
            }
            // Read once: the state update in between cannot change them,
            // but the compiler cannot know.
            let etype = ev.etype();
            let ts = ev.ts();
            let leading =
                !vis.past_leading_containers() && crate::event::table::ids::is_container(etype);
            let seen = vis.classify_type(etype, ev.dump_flags);
            if seen == Seen::Unnumbered {
                // sysdig 0.29.3 skips event ids it does not know, without
                // numbering them; --all-events shows them. They are written,
                // but sysdig never sees them, so they do not count for -e/-C/-G.
                if let Some(w) = writer.as_mut() {
                    w.write_event(&ev, false)?;
                }
                continue;
            }
            if seen == Seen::Silent {
                // Live procinfo: state and the file only. sysdig writes these
                // meta events even with a filter, and they count for rotation.
                state.process(&ev);
                if let Some(w) = writer.as_mut() {
                    w.write_event(&ev, true)?;
                }
                continue;
            }
            if let Some(w) = writer.as_mut() {
                if crate::event::table::ids::is_container(etype) {
                    if let Some(c) = containers::from_event(&ev) {
                        w.note_container(c.id, &ev);
                    }
                }
            }
            num += 1;
            // (The first non-zero timestamp: a zero keeps it zero; container
            // events do not count, as in libsinsp.)
            if first_ts == 0 && !crate::event::table::ids::is_container(etype) {
                first_ts = ts;
            }
            // Nothing reads the state of a quiet, unfiltered read (`-q`, `-w`
            // conversions, `-c`): its events are only counted or copied.
            let ectx = if stateless
                || (skip_procinfo
                    && etype == crate::event::table::ids::PROCINFO_E
                    && seen == Seen::Hidden)
            {
                crate::state::EvCtx::default()
            } else {
                state.process(&ev)
            };
            if state.containers.has_warnings() {
                warn_containers(&mut state);
            }
            let skip = seen == Seen::Hidden;
            // The Ctx (thread and fd lookups) is built only when the filter
            // has to be evaluated or the event printed: events whose type the
            // filter cannot match, and `-q` runs without a filter, never need
            // it. (Printing needs no file: `-w` is quiet.)
            let may_pass = !skip && filter.as_ref().is_none_or(|f| f.may_match_type(etype));
            let c = (may_pass && !(filter.is_none() && quiet))
                .then(|| Ctx::new(ev, num, &state, &ectx, first_ts, prev_ts, &opts));
            let pass = may_pass
                && c.as_ref()
                    .is_none_or(|c| printer.filter.is_none_or(|f| f.matches_typed(c)));
            // (-M ends the read at the first passing event that far.)
            if pass && over_deadline(&mut clock_start, ts, file_deadline_ns) {
                break 'read;
            }
            if let (true, false, Some(c)) = (pass, printer.quiet, &c) {
                match printer.print(c, &mut out) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
            }
            // Hidden events are written too, so the file keeps its meta
            // events; with a filter, so are the internal ones it fails (as
            // libsinsp's dumper keeps them), and with -F the events that
            // change state, marked state-only (not shown when read).
            if let Some(w) = writer.as_mut() {
                let info = ev.info();
                if pass
                    || (skip && filter.is_none())
                    || info.has_category(crate::event::table::ec::INTERNAL)
                {
                    w.write_event(&ev, true)?;
                } else if a.fatfile && info.has_flag(crate::event::table::ef::MODIFIES_STATE) {
                    let mut state_only = ev;
                    state_only.dump_flags |= STATE_ONLY;
                    w.write_event(&state_only, true)?;
                }
            }
            if skip {
                if (watch_hidden || summary.is_some())
                    && hidden_event(
                        filter.as_ref(),
                        &Ctx::new(ev, num, &state, &ectx, first_ts, prev_ts, &opts),
                        leading,
                        counting || summary.is_some(),
                    )
                {
                    if over_deadline(&mut clock_start, ts, file_deadline_ns) {
                        break 'read;
                    }
                    if let Some(s) = summary.as_mut() {
                        s.add(&ev);
                    }
                    counted += 1;
                    if counted >= limit {
                        break 'read;
                    }
                }
                continue;
            }
            if !pass {
                continue;
            }
            // -S counts what -n counts: the events the filter passes.
            if let Some(s) = summary.as_mut() {
                s.add(&ev);
            }
            shown += 1;
            counted += 1;
            prev_ts = ts;
            if counted >= limit {
                break 'read;
            }
        }
    }
    if let Some(p) = progress.as_mut() {
        p.done();
    }
    if let Some(w) = writer.take() {
        w.finish()?;
    }
    if let Some(s) = summary {
        out.write_all(s.render().as_bytes())?;
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    if a.verbose {
        let st = src.stats();
        let secs = started.elapsed().as_secs_f64();
        eprintln!("Driver Events:{}", if live { st.events } else { 0 });
        eprintln!("Driver Drops:{}", st.drops);
        eprintln!(
            "Suppressed by Comm:{}",
            suppress.as_ref().map_or(0, |s| s.count)
        );
        eprintln!(
            // (sysdig counts what -n counts: the events its filter
            // passes, hidden ones too.)
            "Elapsed time: {:.3}, Captured Events: {}, {:.2} eps",
            secs,
            counted,
            if secs > 0.0 {
                counted as f64 / secs
            } else {
                0.0
            }
        );
    }
    if let Some(e) = read_error {
        return Err(anyhow!(UsageError(super::multi::read_error_text(
            &a.read, &e, num
        ))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{plain_read, reads_files, DigArgs};
    use clap::Parser;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_reads_parse_as_clap_parses_them() {
        for a in [
            &["-r", "f.scap"][..],
            &["-r", "f.scap", "proc.name=curl"],
            &["-r", "/tmp/a b.scap", "evt.type", "in", "(open,", "openat)"],
            &[
                "-r",
                "f.scap",
                "fd.name contains /etc",
                "and",
                "not",
                "proc.name=sh",
            ],
            &["-r", "", ""],
        ] {
            let fast = plain_read(&strings(a));
            let mut argv = vec!["syspect dig"];
            argv.extend_from_slice(a);
            let clap = DigArgs::try_parse_from(&argv);
            // (Every field compared: a new option with a default of its own
            // shows up here.)
            assert_eq!(format!("{fast:?}"), format!("{:?}", clap.ok()), "{a:?}");
        }
        // Anything else goes to clap.
        for a in [
            &[][..],
            &["-r"],
            &["-q", "-r", "f.scap"],
            &["-r", "f.scap", "-q"],
            &["-r", "f.scap", "proc.name=curl", "-p%evt.num"],
            &["-r", "-", "proc.name=curl"],
            &["-r", "f.scap", "--", "proc.name=curl"],
            &["--read", "f.scap"],
            &["-rf.scap"],
        ] {
            assert!(plain_read(&strings(a)).is_none(), "{a:?}");
        }
    }

    #[test]
    fn file_reads_are_seen_before_the_arguments_are_parsed() {
        let v = |a: &[&str]| reads_files(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(v(&["-r", "f.scap", "proc.name=curl"]));
        assert!(v(&["-n", "5", "--read", "f.scap"]));
        assert!(v(&["--read=f.scap"]));
        assert!(v(&["--readfile", "f.scap"]));
        assert!(v(&["--readfile=f.scap"]));
        // Live captures, and a `-r` that is a filter's word after `--`.
        assert!(!v(&[]));
        assert!(!v(&["-M", "1", "proc.name=curl"]));
        assert!(!v(&["--", "-r"]));
        assert!(!v(&["--reader"]));
        assert!(!v(&["-w", "out.scap"]));
        assert!(!v(&["-p", "-r%evt.num"]));
    }
}
