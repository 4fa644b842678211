//! `--filter-proclist`: with `-w` and a filter, the process table written
//! at the start of each file (and of each later section) keeps only what
//! the filter passes, as sysdig's does.
//!
//! sysdig runs the filter once per open fd of each process, as if an event
//! of that process used that fd: the fds it passes are kept, and a process
//! is kept when at least one of its fds is. A thread whose fds its process
//! holds (not the main thread) has no fds of its own in the table, so it is
//! left out. The event behind each test has no type-specific data: number
//! 0, time 0, CPU 0, an exit event of the views' thread-table type, so
//! `evt.*` fields describe no real event there.

use std::collections::HashSet;

use crate::capture::CaptureMeta;
use crate::event::{build_event, EventRef};
use crate::filter::fields::{Ctx, FieldOpts};
use crate::filter::Filter;
use crate::state::{EvCtx, State};

/// `meta` with only the processes and fds `filter` passes.
pub fn filter_meta(meta: &CaptureMeta, filter: &Filter) -> CaptureMeta {
    let mut state = State::new();
    state.load_meta(meta);
    let opts = FieldOpts::default();
    let etype = crate::event::table::ids::THREAD_TABLE;
    let mut tids = HashSet::new();
    let mut fds = Vec::new();
    for f in &meta.fds {
        let bytes = build_event(0, f.tid, etype, &[]);
        let Ok(ev) = EventRef::new(0, 0, &bytes) else {
            continue;
        };
        let ectx = EvCtx {
            fd: Some(f.fd),
            ..EvCtx::default()
        };
        // (Every test is asked, whatever the types the filter narrows
        // events to: this stand-in's type is none of them, and a test of
        // `fd.name` would otherwise never be.)
        if filter.matches_typed(&Ctx::new(ev, 0, &state, &ectx, 0, 0, &opts)) {
            tids.insert(f.tid);
            fds.push(f.clone());
        }
    }
    CaptureMeta {
        machine: meta.machine.clone(),
        procs: meta
            .procs
            .iter()
            .filter(|p| tids.contains(&p.tid))
            .cloned()
            .collect(),
        fds,
        users: meta.users.clone(),
        groups: meta.groups.clone(),
        interfaces: meta.interfaces.clone(),
    }
}
