//! The per-process thread counts (proc.nthreads, proc.nchilds) are kept
//! current as threads come and go instead of being recounted: after every
//! event of every capture they equal a full count of the thread table.
mod common;

use std::collections::HashMap;

use syspect::capture::scap::ScapReader;
use syspect::capture::{Item, Source};
use syspect::state::State;

use common::*;

fn full_count(st: &State) -> HashMap<u64, (u32, u32)> {
    let mut m: HashMap<u64, (u32, u32)> = HashMap::new();
    for t in st.threads.values() {
        let e = m.entry(t.pid).or_default();
        e.0 += 1;
        e.1 += u32::from(t.tid != t.pid);
    }
    m
}

#[test]
fn counts_follow_every_event() {
    let mut files = all_captures();
    files.retain(|p| p.extension().is_some_and(|e| e == "scap"));
    assert!(files.len() >= 20, "captures found: {}", files.len());
    let mut checked = 0u64;
    for f in &files {
        let Ok(mut r) = ScapReader::open(f) else {
            continue; // the pcapng is not a capture
        };
        let mut st = State::new();
        st.load_meta(r.meta());
        // Build the counts once so that every change after is incremental.
        let _ = st.thread_count(1);
        let mut n = 0u64;
        loop {
            let ev = match r.next_item() {
                Ok(Some(Item::Event(ev))) => ev,
                Ok(Some(Item::Section(mut meta))) => {
                    st.load_meta_taking(&mut meta);
                    continue;
                }
                _ => break,
            };
            st.process(&ev);
            n += 1;
            // Every event touching threads, and a sample of the rest.
            let info = ev.info();
            let interesting = matches!(
                info.name.as_str(),
                "clone" | "clone3" | "fork" | "vfork" | "execve" | "execveat" | "procexit"
            );
            if interesting || n.is_multiple_of(97) {
                let want = full_count(&st);
                for (pid, c) in &want {
                    assert_eq!(
                        st.thread_count(*pid),
                        *c,
                        "{}: pid {pid} after event {n} ({})",
                        f.display(),
                        info.name
                    );
                }
                let tid = ev.tid();
                if let Some(t) = st.threads.get(&tid) {
                    assert_eq!(st.thread_count(t.pid), want[&t.pid]);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "checked {checked} points");
}
