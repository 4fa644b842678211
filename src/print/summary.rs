//! The `-S` per-event-type summary table.

use crate::event::table::table;

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
    /// [`MAX_ROWS`] rows.
    pub fn render(&self) -> String {
        // (direction, name, count)
        let mut rows: Vec<(char, String, u64)> = Vec::new();
        for (id, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let e = table().get(id as u16);
            let dir = if e.is_enter { '>' } else { '<' };
            rows.push((dir, e.name.to_string(), n));
        }
        for (&(enter, code), &n) in &self.generic {
            let dir = if enter { '>' } else { '<' };
            let name = crate::event::syscalls::name(code).unwrap_or("<unknown>");
            rows.push((dir, name.to_string(), n));
        }
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
        // sysdig prints the 100 most frequent.
        rows.truncate(MAX_ROWS);
        let mut s = String::from(
            "----------------------\nEvent           #Calls\n----------------------\n",
        );
        // The name is padded after the direction, as sysdig prints it.
        for (dir, name, n) in rows {
            // (Cut at 16 characters, the count right after: sysdig's
            // layout, `inotify_add_watc3`.)
            s.push_str(&format!("{dir} {name:<16.16}{n}\n"));
        }
        s
    }
}
