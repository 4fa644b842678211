//! In-process measurements for `cargo xtask bench tui` (not a user tool).
//!
//! ```text
//! benchtui synth SRC OUT N           SRC's events with N extra processes in
//!                                    its process list (a big thread table)
//! benchtui frames FILE VIEW FRAMES   frame times of VIEW over FILE's store,
//!                                    drawn by the real UI into a TestBackend
//! benchtui store FILE...             store bytes per event of each capture
//! ```
//! Output is one `key value` pair per line, for xtask to parse.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use syspect::capture::scap::{ScapReader, ScapWriter};
use syspect::capture::{Item, Source};
use syspect::tui::app::App;
use syspect::tui::engine::{self, Msg, Query};
use syspect::tui::ui;
use syspect::views;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["synth", src, out, n] => synth(src, out, n.parse().context("N")?),
        ["frames", file, view, frames] => {
            frames_bench(file, view, frames.parse().context("FRAMES")?)
        }
        ["store", files @ ..] if !files.is_empty() => store(files),
        _ => bail!("usage: benchtui synth SRC OUT N | frames FILE VIEW FRAMES | store FILE..."),
    }
}

/// Copies `src` adding `n` processes (one thread each) to the process list
/// of its first section, cloned from a real entry with new pids and names.
fn synth(src: &str, out: &str, n: u64) -> Result<()> {
    let mut r = ScapReader::open(src).with_context(|| format!("open {src}"))?;
    let mut meta = r.meta().clone();
    let template = meta
        .procs
        .iter()
        .find(|p| p.pid == p.tid && !p.comm.is_empty())
        .cloned()
        .ok_or_else(|| anyhow!("{src} has no process list"))?;
    let base = 4_000_000u64;
    for i in 0..n {
        let mut p = template.clone();
        p.tid = base + i;
        p.pid = base + i;
        p.ptid = 1;
        p.vtid = (base + i) as i64;
        p.vpid = (base + i) as i64;
        p.comm = format!("worker-{i}");
        p.exe = p.comm.clone();
        p.args = vec![format!("--id={i}")].into();
        meta.procs.push(p);
    }
    let mut w = ScapWriter::create(out, &meta, false)?;
    let mut events = 0u64;
    while let Some(it) = r.next_item()? {
        match it {
            Item::Event(ev) => {
                w.write_event(&ev)?;
                events += 1;
            }
            Item::Section(m) => w.write_section(&m)?,
        }
    }
    w.finish()?;
    println!("events {events}");
    println!("procs {}", meta.procs.len());
    Ok(())
}

/// CPU time of the calling thread (immune to other processes taking the
/// CPU, which the wall times of a shared machine are not).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, exclusive out-pointer for the call.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if r != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Loads `file` into a store, aggregates `view` from it (the query
/// thread's work), then draws `frames` frames at 80x24 and 200x50, each
/// after one key (mostly Down, with PgDn, End and Home mixed in).
fn frames_bench(file: &str, view: &str, frames: usize) -> Result<()> {
    let t = Instant::now();
    let (store, shared) = engine::load_file(file, 4 << 30).map_err(|e| anyhow!(e))?;
    println!("load_ms {:.1}", ms(t.elapsed()));
    let snap = store.lock().map_err(|_| anyhow!("store lock"))?.snapshot();
    let first_ts = shared.first_ts.load(Ordering::Relaxed);
    let all = views::builtin()?;
    let mut app = App::new(all, Some(view)).map_err(|e| anyhow!(e))?;
    app.color = true;
    app.status.source = file.to_string();
    let agg = views::Aggregator::new(app.view(), None)?;
    let latest = AtomicU64::new(app.gen);
    let t = Instant::now();
    let msg = engine::run_query(
        Query::Table {
            gen: app.gen,
            agg: Box::new(agg),
            window: None,
            after: 0,
        },
        &snap,
        first_ts,
        &latest,
    );
    let Some(Msg::Table { gen, table, .. }) = msg else {
        bail!("no table");
    };
    println!("aggregate_ms {:.1}", ms(t.elapsed()));
    println!("rows {}", table.rows.len());
    app.set_table(gen, (*table).clone(), false);
    let keys = |i: usize| match i % 100 {
        25 => KeyCode::PageDown,
        50 => KeyCode::End,
        51..=60 => KeyCode::Up,
        75 => KeyCode::Home,
        _ => KeyCode::Down,
    };
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut term = Terminal::new(TestBackend::new(w, h))?;
        term.draw(|f| ui::draw(f, &mut app))?;
        let mut times = Vec::with_capacity(frames);
        let mut cpu = Vec::with_capacity(frames);
        for i in 0..frames {
            let c0 = thread_cpu();
            let t = Instant::now();
            let _ = app.on_key(KeyEvent::new(keys(i), KeyModifiers::NONE));
            term.draw(|f| ui::draw(f, &mut app))?;
            times.push(t.elapsed());
            cpu.push(thread_cpu().saturating_sub(c0));
        }
        let sum: Duration = times.iter().sum();
        times.sort();
        let tag = format!("w{w}x{h}");
        println!("{tag}_frames {frames}");
        println!("{tag}_avg_ms {:.3}", ms(sum) / frames.max(1) as f64);
        println!("{tag}_p99_ms {:.3}", ms(percentile(&times, 0.99)));
        println!("{tag}_max_ms {:.3}", ms(percentile(&times, 1.0)));
        let csum: Duration = cpu.iter().sum();
        cpu.sort();
        println!("{tag}_cpu_avg_ms {:.3}", ms(csum) / frames.max(1) as f64);
        println!("{tag}_cpu_p99_ms {:.3}", ms(percentile(&cpu, 0.99)));
        println!("{tag}_cpu_max_ms {:.3}", ms(percentile(&cpu, 1.0)));
    }
    // A refresh: a new sample replaces the table, re-sorted by the
    // user's column with the selected row kept (what every -d tick does
    // live), after choosing to sort by the second column.
    let _ = app.on_key(KeyEvent::new(KeyCode::Char('@'), KeyModifiers::NONE));
    let mut refresh = Vec::new();
    for _ in 0..5 {
        let tb = (*table).clone();
        let t = Instant::now();
        app.set_table(gen, tb, false);
        refresh.push(t.elapsed());
    }
    refresh.sort();
    println!("refresh_ms {:.2}", ms(refresh[0]));
    Ok(())
}

/// Store bytes (raw event bytes + per-event metadata and indexes) per
/// event, for each capture loaded whole.
fn store(files: &[&str]) -> Result<()> {
    for (i, f) in files.iter().enumerate() {
        println!("file{i} {f}");
        match engine::load_file(f, 4 << 30) {
            Ok((store, _)) => {
                let st = store.lock().map_err(|_| anyhow!("store lock"))?.stats();
                println!("file{i}_events {}", st.events);
                println!("file{i}_raw {}", st.raw_bytes);
                println!("file{i}_index {}", st.index_bytes);
            }
            Err(e) => println!("file{i}_error {}", e.replace('\n', " ")),
        }
    }
    Ok(())
}
