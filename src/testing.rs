//! Helpers for the unit tests: replaying the shared real captures.

use std::path::PathBuf;

use crate::capture::scap::ScapReader;
use crate::capture::{Item, Source};
use crate::event::EventRef;
use crate::state::{EvCtx, State};

/// The shared captures folder (`$SYSPECT_SHARED/captures`, or
/// `../shared/captures` next to the crate).
pub(crate) fn captures_dir() -> PathBuf {
    match std::env::var_os("SYSPECT_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")),
    }
    .join("captures")
}

/// Replays capture `rel` (relative to [`captures_dir`]) through the state
/// as `dig` does, calling `f` with each event's number, the event, the
/// state after it and its context. False when the file is missing.
pub(crate) fn replay(rel: &str, mut f: impl FnMut(u64, EventRef<'_>, &State, EvCtx)) -> bool {
    let Ok(mut r) = ScapReader::open(captures_dir().join(rel)) else {
        eprintln!("skipped {rel}: not found");
        return false;
    };
    let mut st = State::new();
    st.load_meta(r.meta());
    let mut num = 0;
    while let Ok(Some(it)) = r.next_item() {
        let ev = match it {
            Item::Event(ev) => ev,
            Item::Section(mut m) => {
                st.load_meta_taking(&mut m);
                continue;
            }
        };
        num += 1;
        let ectx = st.process(&ev);
        f(num, ev, &st, ectx);
    }
    true
}

/// Ends a test whose shared capture `path` is missing: a failure in CI
/// (`CI=true`), a skip, said, elsewhere.
pub(crate) fn missing_capture(path: &std::path::Path) {
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{} not found (set SYSPECT_SHARED)",
        path.display()
    );
    eprintln!("skipped: {} not found", path.display());
}

/// The kilobytes of `/proc/self/smaps`' `Rss` for the mapping that starts
/// at `start` (None if not found).
pub(crate) fn mapped_rss_kb(start: usize) -> Option<u64> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let head = format!("{start:x}-");
    let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&head));
    lines.next()?;
    lines
        .find_map(|l| l.strip_prefix("Rss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
