//! Off-UI-thread work: the capture thread and the query thread.
//!
//! ```text
//!  source ──► capture thread ──(Mutex, per event)──► Store (chunks, Arc)
//!               │ State::process, live Aggregator         │ snapshot()
//!               └──Msg::Table every -d ms──► UI ◄── Msg ──┴─ query thread
//!                                            │                ▲
//!                                            └── Query ───────┘ (re-aggregate,
//!                                                  dig, echo; newest wins)
//! ```
//! The UI never blocks on either thread: it polls a channel. The capture
//! thread never waits for the UI: messages go into an unbounded channel at
//! one per refresh interval, and queries run on their own thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::capture::{Item, Source};
use crate::event::visibility::{Seen, Visibility};
use crate::filter::fields::{Ctx, FieldOpts};
use crate::filter::Filter;
use crate::print::format::{sanitize_for_terminal, Format, DEFAULT};
use crate::state::State;
use crate::store::{Select, Snapshot, Store, StoreStats};
use crate::views::{Aggregator, Table};

use super::spectro::{nice_interval, Spectro, MAX_ROWS};

/// Counters the UI reads every frame.
#[derive(Debug, Default)]
pub struct Shared {
    pub events: AtomicU64,
    pub drops: AtomicU64,
    pub done: AtomicBool,
    pub first_ts: AtomicU64,
    pub last_ts: AtomicU64,
    pub stats: Mutex<StoreStats>,
    pub error: Mutex<Option<String>>,
}

/// Results handed to the UI.
pub enum Msg {
    /// A sample of the current view (live tick or re-aggregation).
    Table {
        gen: u64,
        table: Box<Table>,
        window: (u64, u64),
        /// From the live capture tick (ignored while paused).
        live_tick: bool,
    },
    /// Dig lines (`echo == false`) or echo blocks.
    Lines {
        gen: u64,
        lines: Vec<String>,
        truncated: bool,
    },
    Echo {
        gen: u64,
        blocks: Vec<EchoBlock>,
        truncated: bool,
    },
    /// The history of a spectrogram view, from the store.
    Spectro {
        gen: u64,
        data: Box<Spectro>,
    },
    /// The capture file has been read completely.
    Loaded,
    Error(String),
}

/// One read or write shown by Echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoBlock {
    pub write: bool,
    pub len: u64,
    pub fd_name: String,
    pub comm: String,
    /// `container.name` of the thread (shown in container mode).
    pub container: String,
    pub data: Vec<u8>,
}

/// Work for the query thread.
pub enum Query {
    Table {
        gen: u64,
        agg: Box<Aggregator>,
        /// Only events with `start <= ts <= end` (None = everything stored).
        window: Option<(u64, u64)>,
        /// Only events numbered after this (a list view cleared with `c`).
        after: u64,
    },
    Dig {
        gen: u64,
        filter: Option<Filter>,
        sel: Select,
        /// Line format (None: sysdig's default).
        format: Option<String>,
    },
    Echo {
        gen: u64,
        filter: Option<Filter>,
        sel: Select,
    },
    /// A spectrogram's rows: `width` columns (`evt.latency.quantized`
    /// at that width), one row per `interval` (None: fit the stored span
    /// into `rows` rows), the last `rows` intervals of the store.
    Spectro {
        gen: u64,
        agg: Box<Aggregator>,
        width: u32,
        rows: usize,
        interval: Option<u64>,
    },
}

/// Commands for the capture thread (live only).
pub enum CapCmd {
    /// The view to sample every interval; `spectro_w` is the spectrogram
    /// width for `evt.latency.quantized` (0 for tables).
    SetAgg {
        gen: u64,
        agg: Box<Aggregator>,
        spectro_w: u32,
    },
}

/// Max dig lines / echo blocks kept for one pane.
pub const MAX_LINES: usize = 200_000;

/// Everything the capture thread needs.
pub struct CaptureJob {
    /// The capture file, or `None` for the live system.
    pub file: Option<String>,
    pub snaplen: u32,
    pub ring_mb: usize,
    /// Told once the source is open (or why it could not be).
    pub ready: Sender<Result<(), String>>,
    pub store: Arc<Mutex<Store>>,
    pub shared: Arc<Shared>,
    pub stop: Arc<AtomicBool>,
    pub to_ui: Sender<Msg>,
    pub cmds: Receiver<CapCmd>,
    pub interval: Duration,
    /// Capture files: the start view's aggregator (and its generation),
    /// fed while the file loads so the first table needs no replay.
    pub initial: Option<(u64, Box<Aggregator>)>,
}

fn open_source(
    file: Option<&str>,
    snaplen: u32,
    ring_mb: usize,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<Box<dyn Source>> {
    match file {
        Some(f) => crate::cli::multi::open_files(&[f.to_string()]),
        None => crate::cli::live::open(snaplen, ring_mb, Arc::clone(stop), None),
    }
}

/// Runs the capture loop until the source ends or `stop` is set.
pub fn capture_loop(job: CaptureJob) {
    let CaptureJob {
        file,
        snaplen,
        ring_mb,
        ready,
        store,
        shared,
        stop,
        to_ui,
        cmds,
        interval,
        initial,
    } = job;
    let live = file.is_none();
    let mut source = match open_source(file.as_deref(), snaplen, ring_mb, &stop) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let mut state = State::new();
    state.live = live;
    if live {
        state.load_meta(&crate::state::procfs::snapshot());
    } else {
        state.load_meta(source.meta());
    }
    if let Ok(mut s) = store.lock() {
        s.set_base(state.clone());
    }
    let _ = ready.send(Ok(()));
    let mut opts = FieldOpts::default();
    let mut agg: Option<(u64, Box<Aggregator>)> = if live { None } else { initial };
    // Newest timestamp of a shown event (the thread-table pass is stamped
    // from it, as the query thread does).
    let mut last_shown = 0u64;
    let mut num: u64 = 0;
    let mut first_ts = 0u64;
    let mut vis = Visibility::new(false, false).with_live(live);
    // What the view tables count, as the headless tables (and csysdig's)
    // do: internal events too (procinfo gives the CPU columns), but not
    // state-only ones nor the container events a capture starts with.
    let mut tab_vis = Visibility::new(true, false).with_live(live);
    let mut next_tick = Instant::now() + interval;
    let mut sample_start = 0u64;
    let mut last_ts = 0u64;
    let table_ns = interval.as_nanos() as u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let item = match source.next_item() {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(e) => {
                let msg = crate::cli::multi::read_error_text(file.as_slice(), &e, num);
                if let Ok(mut g) = shared.error.lock() {
                    *g = Some(msg.clone());
                }
                let _ = to_ui.send(Msg::Error(msg));
                break;
            }
        };
        let ev = match item {
            Item::Section(meta) => {
                state.load_meta(&meta);
                if let Ok(mut s) = store.lock() {
                    s.push_section(&meta);
                }
                continue;
            }
            Item::Event(ev) => ev,
        };
        let seen = vis.classify(&ev);
        if seen == Seen::Unnumbered {
            continue;
        }
        let tabled = matches!(tab_vis.classify(&ev), Seen::Shown | Seen::Silent);
        // Live procinfo events keep event numbers consecutive (no number of
        // their own) but feed the tables, as csysdig's tables see them.
        let silent = seen == Seen::Silent;
        if !silent {
            num += 1;
        }
        // (libsinsp's first event time skips container events, which a
        // capture starts with.)
        if first_ts == 0 && ev.ts() != 0 && !crate::event::table::ids::is_container(ev.etype()) {
            first_ts = ev.ts();
            sample_start = first_ts;
            shared.first_ts.store(first_ts, Ordering::Relaxed);
        }
        last_ts = last_ts.max(ev.ts());
        let ectx = state.process(&ev);
        let skip = seen == Seen::Hidden || silent;
        let (pid, container) = match state.thread(ev.tid()) {
            Some(t) => (t.pid, t.container_id.as_str()),
            None => (ev.tid(), ""),
        };
        if let Ok(mut s) = store.lock() {
            s.push(&ev, num, skip, tabled, ectx, pid, container);
        }
        if !skip {
            last_shown = last_shown.max(ev.ts());
        }
        // (Internal events count in the tables even though the dig pane
        // hides them, as sysdig does. A file's start view counts what a
        // replay of the store counts.)
        if let (Some((_, a)), true) = (agg.as_mut(), tabled) {
            let c = Ctx::new(ev, num, &state, &ectx, first_ts, 0, &opts);
            a.add(&c);
        }
        if num.is_multiple_of(256) || live {
            shared.events.store(num, Ordering::Relaxed);
            shared.last_ts.store(last_ts, Ordering::Relaxed);
        }
        if live && (num.is_multiple_of(64)) {
            while let Ok(cmd) = cmds.try_recv() {
                match cmd {
                    CapCmd::SetAgg {
                        gen,
                        agg: a,
                        spectro_w,
                    } => {
                        agg = Some((gen, a));
                        opts.spectro_w = spectro_w;
                    }
                }
            }
            let now = Instant::now();
            if now >= next_tick {
                next_tick = now + interval;
                shared.drops.store(source.stats().drops, Ordering::Relaxed);
                if let Ok(s) = store.lock() {
                    if let Ok(mut g) = shared.stats.lock() {
                        *g = s.stats();
                    }
                }
                if let Some((gen, a)) = agg.as_mut() {
                    a.add_thread_table(&state, last_ts, &opts);
                    let table = a.table(table_ns);
                    a.clear();
                    let _ = to_ui.send(Msg::Table {
                        gen: *gen,
                        table: Box::new(table),
                        window: (sample_start, last_ts),
                        live_tick: true,
                    });
                }
                sample_start = last_ts;
            }
        }
    }
    shared.events.store(num, Ordering::Relaxed);
    shared.last_ts.store(last_ts, Ordering::Relaxed);
    shared.drops.store(source.stats().drops, Ordering::Relaxed);
    let mut stats = None;
    if let Ok(s) = store.lock() {
        let st = s.stats();
        stats = Some((st, s.time_span()));
        if let Ok(mut g) = shared.stats.lock() {
            *g = st;
        }
    }
    // A file read whole into the store: the start view's table is the one
    // a replay of the store would give, without the replay. (When the
    // store had to drop old events, the table must come from the store.)
    if let (false, Some((gen, mut a)), Some((st, (t0, t1)))) = (live, agg.take(), stats) {
        if st.evicted == 0 && st.events > 0 {
            a.add_thread_table(&state, last_shown.max(t0), &opts);
            let span = t1.saturating_sub(t0).max(1);
            let _ = to_ui.send(Msg::Table {
                gen,
                table: Box::new(a.table(span)),
                window: (t0, t1),
                live_tick: false,
            });
        }
    }
    shared.done.store(true, Ordering::Relaxed);
    let _ = to_ui.send(Msg::Loaded);
}

/// Answers queries from snapshots of the store; a newer query cancels an
/// older one (`latest` holds the newest generation).
pub fn query_loop(
    store: Arc<Mutex<Store>>,
    shared: Arc<Shared>,
    queries: Receiver<Query>,
    latest_table: Arc<AtomicU64>,
    latest_pane: Arc<AtomicU64>,
    to_ui: Sender<Msg>,
) {
    while let Ok(q) = queries.recv() {
        let snap = match store.lock() {
            Ok(s) => s.snapshot(),
            Err(_) => break,
        };
        let first_ts = shared.first_ts.load(Ordering::Relaxed);
        let latest = match q {
            Query::Table { .. } | Query::Spectro { .. } => &latest_table,
            _ => &latest_pane,
        };
        let msg = run_query(q, &snap, first_ts, latest);
        if let Some(m) = msg {
            if to_ui.send(m).is_err() {
                break;
            }
        }
    }
}

/// Runs one query over a snapshot; `None` when cancelled.
pub fn run_query(q: Query, snap: &Snapshot, first_ts: u64, latest: &AtomicU64) -> Option<Msg> {
    let opts = FieldOpts::default();
    let mut n = 0u64;
    let cancelled = |gen: u64, n: &mut u64| {
        *n += 1;
        n.is_multiple_of(4096) && latest.load(Ordering::Relaxed) != gen
    };
    match q {
        Query::Table {
            gen,
            mut agg,
            window,
            after,
        } => {
            let mut stop = false;
            let mut last = 0u64;
            let state = snap.replay(&Select::All, |r| {
                if cancelled(gen, &mut n) {
                    stop = true;
                    return false;
                }
                if !r.tabled || r.num <= after {
                    return true;
                }
                let ts = r.ev.ts();
                if let Some((a, b)) = window {
                    if ts < a || ts > b {
                        return ts <= b;
                    }
                }
                last = last.max(ts);
                let c = Ctx::new(r.ev, r.num, r.state, &r.ectx, first_ts, 0, &opts);
                agg.add(&c);
                true
            });
            if stop {
                return None;
            }
            let (a, b) = window.unwrap_or((snap.first_ts(), snap.last_ts()));
            agg.add_thread_table(&state, last.max(a), &opts);
            let span = b.saturating_sub(a).max(1);
            Some(Msg::Table {
                gen,
                table: Box::new(agg.table(span)),
                window: (a, b),
                live_tick: false,
            })
        }
        Query::Spectro {
            gen,
            agg,
            width,
            rows,
            interval,
        } => spectro_history(snap, first_ts, latest, gen, agg, width, rows, interval),
        Query::Dig {
            gen,
            filter,
            sel,
            format,
        } => {
            let format = Format::parse(format.as_deref().unwrap_or(DEFAULT)).ok()?;
            let mut lines = std::collections::VecDeque::new();
            let mut truncated = false;
            let mut stop = false;
            let mut line = String::new();
            let mut prev = 0;
            snap.replay(&sel, |r| {
                if cancelled(gen, &mut n) {
                    stop = true;
                    return false;
                }
                if r.hidden || !r.selected {
                    return true;
                }
                let c = Ctx::new(r.ev, r.num, r.state, &r.ectx, first_ts, prev, &opts);
                if filter.as_ref().is_some_and(|f| !f.matches(&c)) {
                    return true;
                }
                prev = r.ev.ts();
                line.clear();
                if format.render(&c, &mut line) {
                    lines.push_back(sanitize_for_terminal(&line, false).into_owned());
                    if lines.len() > MAX_LINES {
                        lines.pop_front();
                        truncated = true;
                    }
                }
                true
            });
            if stop {
                return None;
            }
            Some(Msg::Lines {
                gen,
                lines: lines.into(),
                truncated,
            })
        }
        Query::Echo { gen, filter, sel } => {
            let io = crate::filter::fields::resolve("evt.is_io", None).ok()?;
            let dir = crate::filter::fields::resolve("evt.io_dir", None).ok()?;
            let buf = crate::filter::fields::resolve("evt.buffer", None).ok()?;
            let fdname = crate::filter::fields::resolve("fd.name", None).ok()?;
            let cname = crate::filter::fields::resolve("container.name", None).ok()?;
            let mut blocks = std::collections::VecDeque::new();
            let mut truncated = false;
            let mut stop = false;
            snap.replay(&sel, |r| {
                if cancelled(gen, &mut n) {
                    stop = true;
                    return false;
                }
                if r.hidden || !r.selected || r.ev.is_enter() {
                    return true;
                }
                let c = Ctx::new(r.ev, r.num, r.state, &r.ectx, first_ts, 0, &opts);
                use crate::filter::fields::Value;
                if io.extract(&c) != Value::B(true) {
                    return true;
                }
                if filter.as_ref().is_some_and(|f| !f.matches(&c)) {
                    return true;
                }
                let data = match buf.extract(&c) {
                    Value::Bytes(b) => b.into_owned(),
                    Value::S(s) => s.as_bytes().to_vec(),
                    _ => return true,
                };
                let write = matches!(dir.extract(&c), Value::S(s) if s == "write");
                let fd_name = fdname
                    .extract(&c)
                    .to_text()
                    .map(|s| s.into_owned())
                    .unwrap_or_default();
                let info = r.ev.info();
                let len = match (info.params.first(), r.ev.param(0)) {
                    (Some(p), Some(b)) => crate::event::params::as_i64(p.ptype, b).unwrap_or(0),
                    _ => 0,
                };
                // As csysdig: only calls that moved bytes (not EOF reads,
                // not failures).
                if len <= 0 {
                    return true;
                }
                let len = len as u64;
                blocks.push_back(EchoBlock {
                    write,
                    len: len.max(data.len() as u64),
                    fd_name,
                    comm: c.thread.map(|t| t.comm.clone()).unwrap_or_default(),
                    container: cname
                        .extract(&c)
                        .to_text()
                        .map(|s| s.into_owned())
                        .unwrap_or_default(),
                    data,
                });
                if blocks.len() > MAX_LINES / 4 {
                    blocks.pop_front();
                    truncated = true;
                }
                true
            });
            if stop {
                return None;
            }
            Some(Msg::Echo {
                gen,
                blocks: blocks.into(),
                truncated,
            })
        }
    }
}

/// Builds a spectrogram's rows from the store: the view's aggregator is
/// flushed at every interval boundary, each sample becoming one row.
#[allow(clippy::too_many_arguments)]
fn spectro_history(
    snap: &Snapshot,
    first_ts: u64,
    latest: &AtomicU64,
    gen: u64,
    mut agg: Box<Aggregator>,
    width: u32,
    rows: usize,
    interval: Option<u64>,
) -> Option<Msg> {
    let opts = FieldOpts {
        spectro_w: width,
        ..FieldOpts::default()
    };
    let (t_first, t_last) = (snap.first_ts(), snap.last_ts());
    let rows = rows.max(1);
    let interval = interval
        .unwrap_or_else(|| nice_interval(t_last.saturating_sub(t_first) + 1, rows))
        .max(1);
    let mut sp = Spectro::new(width, interval);
    // Rows are aligned on multiples of the interval; the last one holds
    // the newest event.
    let end_row = t_last / interval;
    let first_row = if interval.checked_mul(rows as u64).is_some() {
        (end_row + 1)
            .saturating_sub(rows as u64)
            .max(t_first / interval)
    } else {
        t_first / interval
    };
    let mut cur = first_row;
    let mut n = 0u64;
    let mut stop = false;
    let flush = |agg: &mut Aggregator, sp: &mut Spectro, upto: u64, cur: &mut u64| {
        while *cur < upto {
            let start = *cur * interval;
            let t = agg.table(interval);
            agg.clear();
            let row = sp.row_from_table(&t, start, start.saturating_add(interval));
            sp.push(row);
            *cur += 1;
            // A jump in time: only the last MAX_ROWS empty rows matter.
            if upto - *cur > MAX_ROWS as u64 {
                *cur = upto - MAX_ROWS as u64;
            }
        }
    };
    snap.replay(&Select::All, |r| {
        n += 1;
        if n.is_multiple_of(4096) && latest.load(Ordering::Relaxed) != gen {
            stop = true;
            return false;
        }
        let ts = r.ev.ts();
        if !r.tabled || ts == 0 {
            return true;
        }
        let row = ts / interval;
        if row < first_row {
            return true;
        }
        flush(&mut agg, &mut sp, row, &mut cur);
        let c = Ctx::new(r.ev, r.num, r.state, &r.ectx, first_ts, 0, &opts);
        agg.add(&c);
        true
    });
    if stop {
        return None;
    }
    flush(&mut agg, &mut sp, end_row + 1, &mut cur);
    // The newest row ends with the newest event (live samples follow it).
    if let Some(r) = sp.rows.back_mut() {
        r.end = r.end.min(t_last.saturating_add(1)).max(r.start);
    }
    Some(Msg::Spectro {
        gen,
        data: Box::new(sp),
    })
}

/// Reads a whole capture file into a store, synchronously (tests, tools).
/// Returns the store and the counters.
pub fn load_file(path: &str, cap_bytes: usize) -> Result<(Arc<Mutex<Store>>, Arc<Shared>), String> {
    let store = Arc::new(Mutex::new(Store::new(cap_bytes, State::new())));
    let shared = Arc::new(Shared::default());
    let (to_ui, _rx) = std::sync::mpsc::channel();
    let (_tx, cmds) = std::sync::mpsc::channel();
    let (ready, ready_rx) = std::sync::mpsc::channel();
    capture_loop(CaptureJob {
        file: Some(path.to_string()),
        snaplen: 80,
        ring_mb: 1,
        ready,
        store: Arc::clone(&store),
        shared: Arc::clone(&shared),
        stop: Arc::new(AtomicBool::new(false)),
        to_ui,
        cmds,
        interval: Duration::from_secs(2),
        initial: None,
    });
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(e) => return Err(e.to_string()),
    }
    if let Ok(g) = shared.error.lock() {
        if let Some(e) = g.as_ref() {
            return Err(e.clone());
        }
    }
    Ok((store, shared))
}
