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
