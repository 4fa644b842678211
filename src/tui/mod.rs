//! The csysdig-class terminal UI.
//!
//! Threads: the **capture thread** opens the source, runs `State::process`,
//! pushes every event into the [`crate::store::Store`] and (live) feeds the
//! current view's aggregator, sending a table every `-d` ms; the **query
//! thread** answers re-aggregations, Dig and Echo from store snapshots; the
//! **UI thread** (this one) only reads keys, drains result channels and
//! draws. See `engine.rs` for the diagram.

pub mod app;
mod cells;
pub mod engine;
pub mod spectro;
pub mod term;
pub mod ui;

use crate::views;

use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Parser;
use crossterm::event::{self as cev, Event, KeyEventKind};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::cli::UsageError;
use crate::filter::Filter;
use crate::store::Store;
use app::{App, Effect, PaneKind};
use engine::{CapCmd, CaptureJob, Msg, Query, Shared};

pub use crate::cli::top::TopArgs;

/// Parses `512M`, `2G`, `100000K`, `1048576B`; plain numbers are MiB.
pub fn parse_size(s: &str) -> Option<usize> {
    let t = s.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| {
            t.strip_suffix('B')
                .filter(|x| !x.is_empty() && x.ends_with(|c: char| c.is_ascii_alphabetic()))
        })
        .unwrap_or(&t)
        .to_string();
    let (num, mul) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1usize << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        'B' => (&t[..t.len() - 1], 1),
        _ => (&t[..], 1 << 20),
    };
    let n: f64 = num.trim().parse().ok()?;
    if !(n.is_finite() && n > 0.0) {
        return None;
    }
    Some((n * mul as f64) as usize)
}

/// `syspect [OPTIONS] [FILTER]`: the interactive explorer.
pub fn cli_main(args: Vec<String>) -> Result<()> {
    let a = match TopArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return Ok(());
        }
        Err(e) => return Err(UsageError(crate::cli::clap_message(&e)).into()),
    };
    run(a)
}

/// A span as csysdig prints a capture's duration: `959ms`, `2.83s` (cut,
/// not rounded), `1:22`, `01:02:03`.
fn fmt_span(ns: u64) -> String {
    crate::views::format_time(ns, 0)
}

fn fmt_clock(ns: u64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt((ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as u32)
        .single()
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

struct Driver {
    live: bool,
    interval: Duration,
    cap_tx: Sender<CapCmd>,
    q_tx: Sender<Query>,
    latest_table: Arc<AtomicU64>,
    latest_pane: Arc<AtomicU64>,
    shared: Arc<Shared>,
    loaded: bool,
    /// The window of the table on screen (for paused live drill-downs).
    frozen: Option<(u64, u64)>,
    file: Option<String>,
}

impl Driver {
    fn reaggregate(&mut self, app: &mut App) {
        let view = app.view().clone();
        let extra = app.extra_filter();
        let containers = app.containers;
        let mk = || views::Aggregator::with_mode(&view, extra.as_deref(), containers);
        let gen = app.gen;
        self.latest_table.store(gen, Ordering::Relaxed);
        let spectro = view.view_type == views::ViewType::Spectrogram;
        let spectro_w = if spectro {
            u32::from(app.spectro_plot.0.max(1))
        } else {
            0
        };
        if spectro && (self.live || self.loaded) {
            match mk() {
                Ok(agg) => {
                    let _ = self.q_tx.send(Query::Spectro {
                        gen,
                        agg: Box::new(agg),
                        width: spectro_w,
                        rows: usize::from(app.spectro_plot.1.max(1)),
                        interval: self.live.then_some(self.interval.as_nanos() as u64),
                    });
                }
                Err(e) => {
                    app.message = Some(e.to_string());
                    return;
                }
            }
        }
        if self.live {
            match mk() {
                Ok(agg) => {
                    let _ = self.cap_tx.send(CapCmd::SetAgg {
                        gen,
                        agg: Box::new(agg),
                        spectro_w,
                    });
                }
                Err(e) => {
                    app.message = Some(e.to_string());
                    return;
                }
            }
            if spectro {
                return;
            }
            let last = self.shared.last_ts.load(Ordering::Relaxed);
            let window = match (app.paused, self.frozen) {
                (true, Some(w)) => w,
                _ => (last.saturating_sub(self.interval.as_nanos() as u64), last),
            };
            if let Ok(agg) = mk() {
                let _ = self.q_tx.send(Query::Table {
                    gen,
                    agg: Box::new(agg),
                    window: Some(window),
                    after: app.level().cleared,
                });
            }
        } else if self.loaded {
            if spectro {
                return;
            }
            match mk() {
                Ok(agg) => {
                    let _ = self.q_tx.send(Query::Table {
                        gen,
                        agg: Box::new(agg),
                        window: None,
                        after: app.level().cleared,
                    });
                }
                Err(e) => app.message = Some(e.to_string()),
            }
        }
        // Still loading: the table is built when the file is read.
    }

    fn load_pane(&mut self, app: &mut App) {
        // A capture still loading: the pane is filled once it is read.
        if !self.loaded {
            return;
        }
        let Some(p) = app.pane.as_ref() else {
            return;
        };
        let filter = if p.filter.trim().is_empty() {
            None
        } else {
            match Filter::compile(&p.filter) {
                Ok(f) => Some(f),
                Err(e) => {
                    app.message = Some(e.to_string());
                    return;
                }
            }
        };
        self.latest_pane.store(p.gen, Ordering::Relaxed);
        let q = match p.kind {
            PaneKind::Dig => Query::Dig {
                gen: p.gen,
                filter,
                sel: p.sel.clone(),
                format: p.format.clone(),
            },
            PaneKind::Echo => Query::Echo {
                gen: p.gen,
                filter,
                sel: p.sel.clone(),
            },
        };
        let _ = self.q_tx.send(q);
    }

    fn status(&self, app: &mut App, rate: f64) {
        let sh = &self.shared;
        let events = sh.events.load(Ordering::Relaxed);
        let st = sh.stats.lock().map(|g| *g).unwrap_or_default();
        let s = &mut app.status;
        s.live = self.live;
        s.loading = !self.loaded;
        s.events = events;
        s.drops = sh.drops.load(Ordering::Relaxed);
        s.rate = rate;
        let first = sh.first_ts.load(Ordering::Relaxed);
        let last = sh.last_ts.load(Ordering::Relaxed);
        s.source = match &self.file {
            None => "Live System".into(),
            Some(f) => {
                let name = std::path::Path::new(f)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| f.clone());
                if self.loaded {
                    format!(
                        "{name} ({events} evts, {})",
                        // (A capture of container events alone has no
                        // start: no span.)
                        fmt_span(if first == 0 {
                            0
                        } else {
                            last.saturating_sub(first)
                        })
                    )
                } else {
                    format!("{name} (loading, {events} evts)")
                }
            }
        };
        s.store = if st.events == 0 {
            "empty".into()
        } else {
            format!(
                "{} evts, {} back to {}{}, {:.1}/{}MiB",
                st.events,
                fmt_span(st.last_ts.saturating_sub(st.first_ts)),
                fmt_clock(st.first_ts),
                if st.evicted > 0 {
                    format!(" ({} oldest dropped)", st.evicted)
                } else {
                    String::new()
                },
                (st.raw_bytes + st.index_bytes) as f64 / (1 << 20) as f64,
                st.cap_bytes >> 20
            )
        };
    }
}

fn run(a: TopArgs) -> Result<()> {
    let started = Instant::now();
    crate::state::containers::cri::configure(&a.cri, a.cri_timeout);
    if a.delay_ms < 100 {
        return Err(UsageError("-d: the update period must be at least 100 ms".into()).into());
    }
    let cap_bytes = parse_size(&a.buffer)
        .ok_or_else(|| UsageError(format!("--buffer: cannot read size '{}'", a.buffer)))?;
    let filter_text = a.filter.join(" ");
    if !filter_text.trim().is_empty() {
        Filter::compile(&filter_text).map_err(|e| UsageError(e.to_string()))?;
    }
    let views = views::load_all(views::default_user_dir().as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    let mut app = App::new(views, a.view.as_deref()).map_err(UsageError)?;
    app.status.capture_filter = filter_text;
    app.containers = a.print.is_some();

    let live = a.read.is_none();
    let interval = Duration::from_millis(a.delay_ms);
    let store = Arc::new(Mutex::new(Store::new(
        cap_bytes,
        crate::state::State::new(),
    )));
    let shared = Arc::new(Shared::default());
    let stop = Arc::new(AtomicBool::new(false));
    let (ui_tx, ui_rx) = mpsc::channel::<Msg>();
    let (cap_tx, cap_rx) = mpsc::channel::<CapCmd>();
    let (q_tx, q_rx) = mpsc::channel::<Query>();
    let (ready_tx, ready_rx) = mpsc::channel();
    // A capture file: the start view is aggregated while the file loads.
    let initial = if live || app.view().view_type == views::ViewType::Spectrogram {
        None
    } else {
        views::Aggregator::with_mode(app.view(), app.extra_filter().as_deref(), app.containers)
            .ok()
            .map(|agg| (app.gen, Box::new(agg)))
    };
    let job = CaptureJob {
        initial,
        file: a.read.clone(),
        snaplen: a.snaplen,
        ring_mb: a.ring_mb,
        ready: ready_tx,
        store: Arc::clone(&store),
        shared: Arc::clone(&shared),
        stop: Arc::clone(&stop),
        to_ui: ui_tx.clone(),
        cmds: cap_rx,
        interval,
    };
    let cap_thread = std::thread::Builder::new()
        .name("syspect-capture".into())
        .spawn(move || engine::capture_loop(job))?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(UsageError(e).into()),
        Err(_) => return Err(UsageError("the capture thread failed to start".into()).into()),
    }
    let latest_table = Arc::new(AtomicU64::new(0));
    let latest_pane = Arc::new(AtomicU64::new(0));
    {
        let (store, shared, lt, lp) = (
            Arc::clone(&store),
            Arc::clone(&shared),
            Arc::clone(&latest_table),
            Arc::clone(&latest_pane),
        );
        std::thread::Builder::new()
            .name("syspect-query".into())
            .spawn(move || engine::query_loop(store, shared, q_rx, lt, lp, ui_tx))?;
    }
    let mut drv = Driver {
        live,
        interval,
        cap_tx,
        q_tx,
        latest_table,
        latest_pane,
        shared,
        loaded: live,
        frozen: None,
        file: a.read.clone(),
    };
    let result = ui_loop(&mut app, &mut drv, &ui_rx, started);
    stop.store(true, Ordering::Relaxed);
    drop(drv);
    if !live {
        // A file reader ends on its own quickly; a live one is stopped above.
        let _ = cap_thread.join();
    }
    result
}

/// `SYSPECT_EXIT_AFTER_FIRST_FRAME=1`: quit right after the first full
/// frame (the start view's complete table; for a capture, after the whole
/// file is loaded) and print how long it took on stderr. For benchmarks
/// and scripted checks (`cargo xtask bench tui`).
const FIRST_FRAME_ENV: &str = "SYSPECT_EXIT_AFTER_FIRST_FRAME";

fn ui_loop(app: &mut App, drv: &mut Driver, rx: &Receiver<Msg>, started: Instant) -> Result<()> {
    let exit_after_first =
        std::env::var_os(FIRST_FRAME_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    let mut loaded_at: Option<Duration> = None;
    let guard = term::TermGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let mut effects = vec![Effect::Reaggregate];
    if app.pane.is_some() {
        effects.push(Effect::LoadPane);
    }
    let mut dirty = true;
    let mut last_draw = Instant::now();
    let mut rate_at = (Instant::now(), 0u64);
    let mut rate = 0.0;
    let mut frames = (0u64, Duration::ZERO, Duration::ZERO);
    loop {
        for e in std::mem::take(&mut effects) {
            match e {
                Effect::Quit => {
                    if std::env::var_os("SYSPECT_FRAME_STATS").is_some() {
                        drop(terminal);
                        drop(guard);
                        eprintln!(
                            "frames: {}, avg {:.2} ms, max {:.2} ms",
                            frames.0,
                            frames.1.as_secs_f64() * 1e3 / frames.0.max(1) as f64,
                            frames.2.as_secs_f64() * 1e3
                        );
                    }
                    return Ok(());
                }
                Effect::Reaggregate => drv.reaggregate(app),
                Effect::LoadPane => drv.load_pane(app),
                Effect::TogglePause => {
                    if app.paused {
                        drv.frozen = drv
                            .frozen
                            .or(Some((0, drv.shared.last_ts.load(Ordering::Relaxed))));
                    } else {
                        drv.frozen = None;
                    }
                }
                Effect::Run { command, wait } => {
                    guard.suspend();
                    let status = std::process::Command::new("sh")
                        .arg("-c")
                        .arg(&command)
                        .status();
                    let mut out = io::stdout();
                    match status {
                        Ok(s) if !s.success() => {
                            let _ = writeln!(out, "\nCommand exited with {s}.");
                        }
                        Err(e) => {
                            let _ = writeln!(out, "\nCannot run the command: {e}");
                        }
                        _ => {}
                    }
                    if wait {
                        let _ = write!(out, "Command finished. Press ENTER to return to syspect.");
                        let _ = out.flush();
                        let mut line = String::new();
                        let _ = io::stdin().lock().read_line(&mut line);
                    }
                    guard.resume()?;
                    terminal.clear()?;
                }
            }
            dirty = true;
        }
        while let Ok(m) = rx.try_recv() {
            dirty = true;
            match m {
                Msg::Table {
                    gen,
                    table,
                    window,
                    live_tick,
                } => {
                    if app.view().view_type == views::ViewType::Spectrogram {
                        if live_tick {
                            app.spectro_tick(gen, &table, window);
                        }
                    } else if app.set_table(gen, *table, live_tick) {
                        drv.frozen = Some(window);
                    }
                }
                Msg::Lines {
                    gen,
                    lines,
                    truncated,
                } => app.set_pane_lines(gen, lines, truncated),
                Msg::Echo {
                    gen,
                    blocks,
                    truncated,
                } => app.set_pane_blocks(gen, blocks, truncated),
                Msg::Spectro { gen, data } => app.set_spectro(gen, *data),
                Msg::Loaded => {
                    loaded_at.get_or_insert(started.elapsed());
                    if !drv.live {
                        drv.loaded = true;
                        // The start view's table may have come with the
                        // file (aggregated while loading).
                        if !app.has_data() {
                            drv.reaggregate(app);
                        }
                        if app.pane.is_some() {
                            drv.load_pane(app);
                        }
                    }
                }
                Msg::Error(e) => app.message = Some(e),
            }
        }
        if guard.signal.load(Ordering::Relaxed) {
            return Ok(());
        }
        let now = Instant::now();
        if now.duration_since(rate_at.0) >= Duration::from_secs(1) {
            let ev = drv.shared.events.load(Ordering::Relaxed);
            rate = (ev - rate_at.1.min(ev)) as f64 / now.duration_since(rate_at.0).as_secs_f64();
            rate_at = (now, ev);
            dirty = true;
        }
        if dirty || now.duration_since(last_draw) >= Duration::from_millis(500) {
            drv.status(app, rate);
            let t0 = Instant::now();
            terminal.draw(|f| ui::draw(f, app))?;
            let dt = t0.elapsed();
            frames.0 += 1;
            frames.1 += dt;
            frames.2 = frames.2.max(dt);
            last_draw = Instant::now();
            dirty = false;
            if app.spectro_stale() {
                effects.extend(app.respectro());
            }
            if exit_after_first && drv.loaded && app.has_full_frame() {
                let total = started.elapsed();
                drop(terminal);
                drop(guard);
                let ms = |d: Duration| d.as_secs_f64() * 1e3;
                eprintln!(
                    "first full frame: {:.1} ms after start (capture loaded at {:.1} ms), {} rows, {} events, draw {:.2} ms",
                    ms(total),
                    ms(loaded_at.unwrap_or(total)),
                    app.rows_shown(),
                    drv.shared.events.load(Ordering::Relaxed),
                    ms(dt)
                );
                return Ok(());
            }
        }
        if cev::poll(Duration::from_millis(50))? {
            // Then what else is queued, before one draw: a paste arrives as
            // thousands of keys, and a draw after each held them back. (At
            // most a frame's time; up to an effect other than a new query,
            // which runs first.)
            let until = Instant::now() + Duration::from_millis(30);
            loop {
                let produced = match cev::read()? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => app.on_key(k),
                    Event::Mouse(m) => app.on_mouse(m),
                    Event::Resize(..) => vec![],
                    _ => {
                        if cev::poll(Duration::ZERO)? {
                            continue;
                        }
                        break;
                    }
                };
                dirty = true;
                let other = produced
                    .iter()
                    .any(|e| !matches!(e, Effect::Reaggregate | Effect::LoadPane));
                effects.extend(produced);
                if other || Instant::now() >= until || !cev::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans_are_cut_to_hundredths_as_csysdig_prints_them() {
        assert_eq!(super::fmt_span(2_838_830_869), "2.83s");
        assert_eq!(super::fmt_span(12_099_999_999), "12.09s");
        // (csysdig: libs/sample.scap, falco/empty.scap.)
        assert_eq!(super::fmt_span(959_300_000), "959ms");
        assert_eq!(super::fmt_span(0), "0ns");
    }
}
