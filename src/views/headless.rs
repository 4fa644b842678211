//! Headless mode: `syspect -r FILE -v VIEW -j` prints a view's samples in
//! csysdig's `-j` shape, `--raw` as plain text, `--list-views` the views.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;

use super::def::{default_user_dir, find, load_all, ViewDef, ViewType};
use super::engine::Aggregator;
use super::json::{views_json, write_slice};
use super::table::{format_cell, Table};
use crate::capture::{Item, Source};
use crate::cli::UsageError;
use crate::event::visibility::{Seen, Visibility};
use crate::filter::fields::{Ctx, FieldOpts};
use crate::state::State;

/// What headless mode needs from the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HeadlessArgs {
    /// Read events from a capture file instead of the live system.
    pub read: Option<String>,
    /// Sample length in milliseconds (live capture).
    pub delay_ms: u64,
    /// View id (default: the first root view, Processes).
    pub view: Option<String>,
    pub snaplen: u32,
    pub buffer_mb: usize,
    /// csysdig's JSON output.
    pub json: bool,
    /// Plain text rows, one sample after another.
    pub raw: bool,
    /// List the views and exit.
    pub list_views: bool,
    /// Show the container columns (csysdig's -pc).
    pub containers: bool,
    /// Stop after this many events.
    pub numevents: Option<u64>,
    /// Capture filter.
    pub filter: Vec<String>,
}

/// The view to start with: `-v`, else the first root view by name.
pub fn pick_view<'a>(views: &'a [ViewDef], id: Option<&str>) -> Result<&'a ViewDef> {
    match id {
        Some(id) => Ok(find(views, id).map_err(|e| {
            let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
            UsageError(format!("{e}; known views: {}", ids.join(", ")))
        })?),
        None => views
            .iter()
            .find(|v| v.is_root)
            .or_else(|| views.first())
            .ok_or_else(|| UsageError("no views defined".into()).into()),
    }
}

/// Prints `--list-views`.
pub fn list_views(out: &mut dyn Write, views: &[ViewDef], json: bool) -> io::Result<()> {
    if json {
        writeln!(
            out,
            "{}",
            crate::print::format::json_terminal_safe(&views_json(views).to_string())
        )?;
        return Ok(());
    }
    for v in views {
        let top = if v.applies_to_field("") {
            ""
        } else {
            " (drill-down only)"
        };
        writeln!(
            out,
            "{:<22} {:<20} {:<11}{top}",
            v.id,
            v.name,
            v.view_type.to_string()
        )?;
    }
    Ok(())
}

/// Writes a sample as `--raw` text: csysdig's cells at width 10, then a
/// separator line.
pub fn write_raw(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    for r in &t.rows {
        let mut line = String::new();
        for (c, col) in r.cells.iter().zip(&t.columns) {
            line.push_str(&format_cell(col, c, 10, t.interval_ns));
            line.push(' ');
        }
        writeln!(out, "{}", sanitize(&line))?;
    }
    writeln!(out, "----------------------")
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if crate::event::render::is_unsafe_char(c) {
                '.'
            } else {
                c
            }
        })
        .collect()
}

struct Run<'v> {
    views: &'v [ViewDef],
    view: &'v ViewDef,
    agg: Aggregator,
    json: bool,
    containers: bool,
    slices: u32,
}

impl Run<'_> {
    fn emit(&mut self, out: &mut dyn Write, t: &Table, progress: u32) -> io::Result<()> {
        if self.json {
            if self.slices > 0 {
                writeln!(out, ",")?;
            }
            write_slice(out, self.views, self.view, t, progress, self.containers)?;
            self.slices += 1;
        } else {
            write_raw(out, t)?;
        }
        out.flush()
    }
}

/// Runs headless mode. A closed stdout (`| head`) ends it quietly.
pub fn run(a: HeadlessArgs) -> Result<()> {
    match run_inner(a) {
        Err(e)
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        r => r,
    }
}

fn run_inner(a: HeadlessArgs) -> Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let views = load_all(default_user_dir().as_deref()).map_err(|e| UsageError(e.to_string()))?;
    if a.list_views {
        list_views(&mut out, &views, a.json)?;
        out.flush()?;
        return Ok(());
    }
    let view = pick_view(&views, a.view.as_deref())?;
    if view.view_type == ViewType::Spectrogram && a.json {
        // csysdig prints spectrograms only in the curses UI; we give the
        // histogram as a table.
    }
    let filter_text = a.filter.join(" ");
    let extra = Some(filter_text.as_str()).filter(|s| !s.trim().is_empty());
    let agg =
        Aggregator::with_mode(view, extra, a.containers).map_err(|e| UsageError(e.to_string()))?;
    let mut run = Run {
        views: &views,
        view,
        agg,
        json: a.json,
        containers: a.containers,
        slices: 0,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    let live = a.read.is_none();
    let mut src: Box<dyn Source> = match &a.read {
        Some(path) => crate::cli::multi::open_files(std::slice::from_ref(path))?,
        None => crate::cli::live::open(a.snaplen, a.buffer_mb, Arc::clone(&stop), None)?,
    };
    let mut state = State::new();
    state.live = live;
    if live {
        state.load_meta(&crate::state::procfs::snapshot());
    } else {
        state.load_meta(src.meta());
    }
    let opts = FieldOpts::default();
    if a.json {
        write!(out, "{{\"slices\": [\n{{\"progress\": 0}}")?;
        run.slices = 1;
    } else {
        // csysdig starts with an empty sample.
        writeln!(out, "----------------------")?;
    }
    let interval = a.delay_ms.max(100) * 1_000_000;
    let mut num: u64 = 0;
    let mut first_ts: u64 = 0;
    let mut last_ts: u64 = 0;
    let mut sample_start: u64 = 0;
    let mut next_flush: u64 = 0;
    let mut vis = Visibility::new(true, false);
    let mut read_error = None;
    let interactive = io::stdout().is_terminal();
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let item = match src.next_item() {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        };
        let ev = match item {
            Item::Section(meta) => {
                state.load_meta(&meta);
                continue;
            }
            Item::Event(ev) => ev,
        };
        // Unlike sysdig's printer, csysdig's tables see internal events too
        // (procinfo counts in SYSCALLS, for instance): classify as with -D.
        let seen = vis.classify(&ev);
        if seen == Seen::Unnumbered {
            continue;
        }
        num += 1;
        let ts = ev.ts();
        if first_ts == 0 && ts != 0 {
            first_ts = ts;
            sample_start = ts;
        }
        if live && ts != 0 {
            if next_flush == 0 {
                next_flush = ts - ts % interval + interval;
            } else if ts >= next_flush {
                run.agg.add_thread_table(&state, last_ts, &opts);
                let t = run
                    .agg
                    .table(next_flush.saturating_sub(sample_start).max(interval));
                run.emit(&mut out, &t, 100)?;
                run.agg.clear();
                sample_start = next_flush;
                next_flush = ts - ts % interval + interval;
            }
        }
        let ectx = state.process(&ev);
        if seen == Seen::Hidden {
            continue;
        }
        if ts != 0 {
            last_ts = ts;
        }
        let c = Ctx::new(ev, num, &state, &ectx, first_ts, last_ts, &opts);
        run.agg.add(&c);
        if a.numevents.is_some_and(|n| num >= n) {
            break;
        }
    }
    let _ = interactive;
    // What was read before a read error is shown too, and the JSON document
    // is closed either way (never left half-written); the error follows.
    run.agg.add_thread_table(&state, last_ts, &opts);
    let t = run.agg.table(last_ts.saturating_sub(sample_start));
    run.emit(&mut out, &t, 100)?;
    if a.json {
        writeln!(out, "\n]}}")?;
    }
    out.flush()?;
    if let Some(e) = read_error {
        let files = a.read.as_slice();
        return Err(UsageError(crate::cli::multi::read_error_text(files, &e, num)).into());
    }
    Ok(())
}
