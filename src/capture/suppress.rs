//! Events of processes by name left out (`dig -U COMM`, sysdig's
//! `--suppress-comm`), as libscap drops them before any state sees them:
//!
//! - a clone, fork, vfork, clone3, execve or execveat exit is suppressed,
//!   and suppresses its thread from then on, when the thread's parent is
//!   suppressed or the comm it reports is one of the names; otherwise it
//!   ends the thread's suppression (an execve into another program);
//! - a thread's exit (procexit) is suppressed, and ends its suppression,
//!   when the thread was suppressed;
//! - every other event is suppressed when its thread is.
//!
//! Suppressed events are not numbered and change no state.

use rustc_hash::FxHashSet;

use crate::event::table::ids;
use crate::event::EventRef;

/// The ids of the exits that report a thread's comm (14th parameter) and
/// parent (6th): clone, fork, vfork (the `_20` versions), execve (`_19`),
/// execveat and clone3.
const CHILD_EXITS: [u16; 6] = [223, 225, 227, 293, 331, 335];

/// The comm is the 14th parameter, the parent tid the 6th.
const COMM_PARAM: usize = 13;
const PTID_PARAM: usize = 5;

#[derive(Debug, Default)]
pub struct Suppress {
    comms: Vec<String>,
    tids: FxHashSet<u64>,
    /// Events suppressed so far.
    pub count: u64,
}

impl Suppress {
    /// Suppresses the processes named `comms`; `None` when there are none.
    pub fn new(comms: &[String]) -> Option<Suppress> {
        (!comms.is_empty()).then(|| Suppress {
            comms: comms.to_vec(),
            ..Suppress::default()
        })
    }

    /// Whether `ev` is left out (counted in [`Suppress::count`]).
    pub fn check(&mut self, ev: &EventRef<'_>) -> bool {
        let tid = ev.tid();
        let etype = ev.etype();
        let out = if CHILD_EXITS.contains(&etype) {
            self.child_exit(ev, tid)
        } else if etype == ids::PROCEXIT_1_E {
            self.tids.remove(&tid)
        } else {
            !self.tids.is_empty() && self.tids.contains(&tid)
        };
        self.count += u64::from(out);
        out
    }

    fn child_exit(&mut self, ev: &EventRef<'_>, tid: u64) -> bool {
        if ev.nparams() <= COMM_PARAM {
            return false;
        }
        let ptid = ev
            .param(PTID_PARAM)
            .and_then(|b| crate::event::params::u64_at(b, 0));
        let comm = ev.param(COMM_PARAM).unwrap_or_default();
        // (A C string: up to its first NUL.)
        let comm = comm.split(|&c| c == 0).next().unwrap_or_default();
        let suppressed = ptid.is_some_and(|p| self.tids.contains(&p))
            || self.comms.iter().any(|c| c.as_bytes() == comm);
        if suppressed {
            self.tids.insert(tid);
        } else {
            // A suppressed thread that now reports another name, under a
            // parent that is not suppressed (an execve), is shown again.
            self.tids.remove(&tid);
        }
        suppressed
    }
}
