//! The `-S` per-event-type summary table.

use crate::event::table::table;

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

    /// The table as sysdig prints it: count descending.
    pub fn render(&self) -> String {
        let mut rows: Vec<(String, u64)> = Vec::new();
        for (id, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let e = table().get(id as u16);
            let dir = if e.is_enter { ">" } else { "<" };
            rows.push((format!("{dir} {}", e.name), n));
        }
        for (&(enter, code), &n) in &self.generic {
            let dir = if enter { ">" } else { "<" };
            let name = crate::event::syscalls::name(code).unwrap_or("<unknown>");
            rows.push((format!("{dir} {name}"), n));
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut s = String::from(
            "----------------------\nEvent           #Calls\n----------------------\n",
        );
        for (name, n) in rows {
            s.push_str(&format!("{name:<16}{n}\n"));
        }
        s
    }
}
