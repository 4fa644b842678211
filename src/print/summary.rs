//! The `-S` per-event-type summary table.

use super::cxxsort;
use crate::event::table::{table, SYSDIG_0_29_EVENT_MAX};

/// Syscall codes (`PPM_SC_*`) in sysdig 0.29.3's table: its `-S` table has
/// an entry for each direction of each. (Its PPM_SC_MAX: the one value
/// with which sorting its entries gives sysdig's order on every capture
/// it reads; the test `summary_matches_sysdig` holds it.)
const PPM_SC_MAX: usize = 329;

/// An entry of the table: an event id, or a syscall of the generic event
/// (enter?, PPM_SC code).
#[derive(Debug, Clone, Copy)]
enum Row {
    Event(u16),
    Generic(bool, u16),
}

/// Rows of the table at most, as in sysdig.
pub const MAX_ROWS: usize = 100;

/// Counts events by (type, generic syscall code).
#[derive(Debug, Default)]
pub struct Summary {
    counts: Vec<u64>,
    generic: std::collections::BTreeMap<(bool, u16), u64>,
}

impl Summary {
    pub fn new() -> Summary {
        Summary {
            counts: vec![0; table().len()],
            generic: Default::default(),
        }
    }

    pub fn add(&mut self, ev: &crate::event::EventRef<'_>) {
        let t = ev.etype();
        if t <= 1 {
            let code = ev
                .param(0)
                .and_then(|b| crate::event::params::u16_at(b, 0))
                .unwrap_or(0);
            *self.generic.entry((t == 0, code)).or_default() += 1;
        } else if let Some(c) = self.counts.get_mut(t as usize) {
            *c += 1;
        }
    }

    /// The table as sysdig prints it: count descending, at most
    /// [`MAX_ROWS`] rows, rows of equal count in sysdig's order.
    pub fn render(&self) -> String {
        // sysdig's table: an entry per event id it knows, then one per
        // direction of every PPM_SC syscall code (for the generic event),
        // sorted by count with C++'s std::sort; where counts tie, that
        // leaves its own order, reproduced by sorting the same entries the
        // same way.
        let known = usize::from(SYSDIG_0_29_EVENT_MAX);
        let (old, new) = self.counts.split_at(known.min(self.counts.len()));
        let mut entries: Vec<(u64, Row)> = Vec::with_capacity(self.counts.len() + 2 * PPM_SC_MAX);
        entries.extend(
            old.iter()
                .enumerate()
                .map(|(id, &n)| (n, Row::Event(id as u16))),
        );
        entries.extend((0..2 * PPM_SC_MAX).map(|i| {
            let code = (i / 2) as u16;
            let enter = i % 2 == 0;
            let n = self.generic.get(&(enter, code)).copied().unwrap_or(0);
            (n, Row::Generic(enter, code))
        }));
        // Events and syscall codes newer than sysdig's tables come after,
        // only where counted: sysdig's entries alone keep its order.
        entries.extend(
            new.iter()
                .enumerate()
                .filter(|(_, &n)| n > 0)
                .map(|(i, &n)| (n, Row::Event((known + i) as u16))),
        );
        entries.extend(
            self.generic
                .iter()
                .filter(|(&(_, code), _)| usize::from(code) >= PPM_SC_MAX)
                .map(|(&(enter, code), &n)| (n, Row::Generic(enter, code))),
        );
        cxxsort::sort(&mut entries, |a, b| a.0 > b.0);
        let rows = entries.iter().take_while(|e| e.0 > 0).map(|&(n, row)| {
            let (dir, name) = match row {
                Row::Event(id) => {
                    let e = table().get(id);
                    (e.is_enter, e.name.as_str())
                }
                Row::Generic(enter, code) => (
                    enter,
                    crate::event::syscalls::name(code).unwrap_or("<unknown>"),
                ),
            };
            (if dir { '>' } else { '<' }, name, n)
        });
        let mut s = String::from(
            "----------------------\nEvent           #Calls\n----------------------\n",
        );
        // The name is padded after the direction, as sysdig prints it.
        for (dir, name, n) in rows.take(MAX_ROWS) {
            // (Cut at 16 characters, the count right after: sysdig's
            // layout, `inotify_add_watc3`.)
            s.push_str(&format!("{dir} {name:<16.16}{n}\n"));
        }
        s
    }
}
