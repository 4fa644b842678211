//! In-process loops for `cargo xtask bench` (not a user tool).
//!
//! ```text
//! benchloop read FILE                     raw reader, then reader → state → ctx
//! benchloop filter FILE REPEAT FILTER...  evaluations/s of each filter
//! benchloop lookups REPS FILE...          state CPU time, container lookups off / to a hung runtime
//! ```
//! Output is one `key value` pair per line, for xtask to parse.

use std::hint::black_box;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use syspect::capture::scap::ScapReader;
use syspect::capture::{CaptureMeta, Item, Source};
use syspect::event::EventRef;
use syspect::filter::fields::{Ctx, FieldOpts};
use syspect::filter::Filter;
use syspect::state::State;

/// A capture held in memory: event bytes back to back, and where each
/// event (or section) starts.
struct Loaded {
    first: CaptureMeta,
    arena: Vec<u8>,
    items: Vec<Rec>,
    events: u64,
}

enum Rec {
    Ev {
        cpu: u16,
        flags: u32,
        a: usize,
        b: usize,
    },
    Section(Box<CaptureMeta>),
}

fn load(path: &str) -> Result<Loaded> {
    let mut r = ScapReader::open(path).with_context(|| format!("open {path}"))?;
    let first = r.meta().clone();
    let mut arena = Vec::with_capacity(64 << 20);
    let mut items = Vec::new();
    let mut events = 0;
    while let Some(it) = r.next_item()? {
        match it {
            Item::Event(ev) => {
                let a = arena.len();
                arena.extend_from_slice(ev.bytes());
                items.push(Rec::Ev {
                    cpu: ev.cpu,
                    flags: ev.dump_flags,
                    a,
                    b: arena.len(),
                });
                events += 1;
            }
            Item::Section(m) => items.push(Rec::Section(m)),
        }
    }
    Ok(Loaded {
        first,
        arena,
        items,
        events,
    })
}

/// One pass over the loaded capture as `syspect dig` does it (state
/// updated for every event, a Ctx built), evaluating each filter `repeat`
/// times per event. Returns (seconds, matches of the first filter).
fn pass(l: &Loaded, filters: &[Filter], repeat: u32) -> Result<(f64, u64)> {
    let opts = FieldOpts::default();
    let mut st = State::new();
    st.load_meta(&l.first);
    let mut matched = 0u64;
    let mut num = 0u64;
    let t = Instant::now();
    for it in &l.items {
        match it {
            Rec::Section(m) => st.load_meta(m),
            Rec::Ev { cpu, flags, a, b } => {
                let ev = EventRef::new(*cpu, *flags, &l.arena[*a..*b])?;
                num += 1;
                let ectx = st.process(&ev);
                let c = Ctx::new(ev, num, &st, &ectx, 0, 0, &opts);
                for f in filters {
                    for _ in 0..repeat {
                        if black_box(f.matches(black_box(&c))) {
                            matched += 1;
                        }
                    }
                }
            }
        }
    }
    Ok((
        t.elapsed().as_secs_f64(),
        matched / u64::from(repeat.max(1)),
    ))
}

fn best<T: Copy>(n: usize, mut f: impl FnMut() -> Result<(f64, T)>) -> Result<(f64, T)> {
    let mut out = f()?;
    for _ in 1..n {
        let r = f()?;
        if r.0 < out.0 {
            out = r;
        }
    }
    Ok(out)
}

fn cmd_read(path: &str) -> Result<()> {
    // 1. raw reader: blocks → validated EventRef, nothing else.
    let raw = best(3, || {
        let t = Instant::now();
        let mut r = ScapReader::open(path)?;
        let mut n = 0u64;
        let mut x = 0u64;
        while let Some(it) = r.next_item()? {
            if let Item::Event(ev) = it {
                n += 1;
                x = x.wrapping_add(u64::from(ev.etype()));
            }
        }
        black_box(x);
        Ok((t.elapsed().as_secs_f64(), n))
    })?;
    println!("events {}", raw.1);
    println!("raw_secs {:.6}", raw.0);
    // 2. reader → State::process → Ctx (the dig pipeline minus printing).
    let pipe = best(3, || {
        let opts = FieldOpts::default();
        let t = Instant::now();
        let mut r = ScapReader::open(path)?;
        let mut st = State::new();
        st.load_meta(r.meta());
        let mut n = 0u64;
        while let Some(it) = r.next_item()? {
            match it {
                Item::Section(m) => st.load_meta(&m),
                Item::Event(ev) => {
                    n += 1;
                    let ectx = st.process(&ev);
                    let c = Ctx::new(ev, n, &st, &ectx, 0, 0, &opts);
                    black_box(&c);
                }
            }
        }
        Ok((t.elapsed().as_secs_f64(), n))
    })?;
    println!("pipeline_secs {:.6}", pipe.0);
    Ok(())
}

fn cmd_filter(path: &str, repeat: u32, texts: &[String]) -> Result<()> {
    let l = load(path)?;
    println!("events {}", l.events);
    let base = best(3, || pass(&l, &[], 1))?;
    println!("base_secs {:.6}", base.0);
    for (i, text) in texts.iter().enumerate() {
        let f = Filter::compile(text).with_context(|| format!("filter {i}"))?;
        let fs = [f];
        let (secs, matched) = best(3, || pass(&l, &fs, repeat))?;
        let eval = (secs - base.0).max(1e-9);
        let per_s = (l.events as f64 * f64::from(repeat)) / eval;
        println!("filter{i}_evals_per_s {per_s:.0}");
        println!("filter{i}_matches {matched}");
    }
    Ok(())
}

/// CPU time used by the calling thread.
fn thread_cpu() -> Result<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        bail!("clock_gettime: {}", std::io::Error::last_os_error());
    }
    Ok(ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
}

/// State over every capture's events `reps` times (one State per capture,
/// as one `dig -r` per file), container lookups on or off; seconds of this
/// thread's CPU (the lookup worker runs on its own thread).
fn lookups_pass(caps: &[Loaded], on: bool, reps: u32) -> Result<f64> {
    let t = thread_cpu()?;
    for l in caps {
        let mut st = State::new();
        st.containers.set_lookups(on);
        for _ in 0..reps {
            st.load_meta(&l.first);
            for it in &l.items {
                match it {
                    Rec::Section(m) => st.load_meta(m),
                    Rec::Ev { cpu, flags, a, b } => {
                        let ev = EventRef::new(*cpu, *flags, &l.arena[*a..*b])?;
                        black_box(st.process(&ev));
                    }
                }
            }
        }
        black_box(&st);
    }
    Ok(thread_cpu()? - t)
}

/// The event path's cost of container lookups: captures whose processes
/// live in containers, processed with lookups off and with lookups to a
/// CRI socket that accepts connections and never answers (the worst case:
/// every lookup is pending until its timeout). Best of 7 alternating runs.
fn cmd_lookups(reps: u32, paths: &[String]) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("syspect-benchloop-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sock = dir.join("hung.sock");
    let _ = std::fs::remove_file(&sock);
    let listener = std::os::unix::net::UnixListener::bind(&sock)?;
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    syspect::state::containers::cri::set_options(syspect::state::containers::cri::CriOptions {
        sockets: vec![sock.clone()],
        timeout: Some(std::time::Duration::from_secs(60)),
    });
    let caps = paths.iter().map(|p| load(p)).collect::<Result<Vec<_>>>()?;
    let events: u64 = caps.iter().map(|l| l.events).sum();
    println!("events {}", events * u64::from(reps));
    let (mut off, mut on) = (f64::MAX, f64::MAX);
    for _ in 0..7 {
        off = off.min(lookups_pass(&caps, false, reps)?);
        on = on.min(lookups_pass(&caps, true, reps)?);
    }
    println!("off_cpu_secs {off:.6}");
    println!("hung_cpu_secs {on:.6}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("read") if args.len() == 2 => cmd_read(&args[1]),
        Some("filter") if args.len() >= 4 => {
            let repeat: u32 = args[2].parse().context("REPEAT")?;
            cmd_filter(&args[1], repeat, &args[3..])
        }
        Some("lookups") if args.len() >= 3 => {
            let reps: u32 = args[1].parse().context("REPS")?;
            cmd_lookups(reps, &args[2..])
        }
        _ => bail!(
            "usage: benchloop read FILE | benchloop filter FILE REPEAT FILTER... | benchloop lookups REPS FILE..."
        ),
    }
}
