//! Which events sysdig numbers and which it shows: one rule for `dig`, the
//! TUI and headless views.

use super::table::{ids, SYSDIG_0_29_EVENT_MAX};
use super::EventRef;

/// True for the event ids of category `EC_INTERNAL` in the event table
/// (drops, sysdigevent, container, procinfo, ...), without the table
/// lookup; a unit test checks the list against the table.
fn is_internal(t: u16) -> bool {
    matches!(t, 148 | 149 | 196 | 228 | 234 | 260 | 270 | 286)
}

/// How an event counts for output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// An event id sysdig 0.29.3 does not know: skipped without a number.
    Unnumbered,
    /// An internal event of a live capture (procinfo): state and the views
    /// see it, but it takes no number and is not shown, so live event
    /// numbers stay consecutive.
    Silent,
    /// Numbered but not shown: internal events, state-only events and the
    /// container events a capture starts with.
    Hidden,
    /// Numbered and shown.
    Shown,
}

/// The per-source memory the rule needs.
#[derive(Debug, Default, Clone)]
pub struct Visibility {
    /// Show internal events too (`-D`).
    pub debug: bool,
    /// Number and show event ids newer than sysdig 0.29.3 knows.
    pub all_events: bool,
    /// A live source: internal events are [`Seen::Silent`] (unless `debug`).
    pub live: bool,
    seen_real: bool,
}

impl Visibility {
    pub fn new(debug: bool, all_events: bool) -> Visibility {
        Visibility {
            debug,
            all_events,
            live: false,
            seen_real: false,
        }
    }

    /// The rule for a live source (see [`Seen::Silent`]).
    pub fn with_live(mut self, live: bool) -> Visibility {
        self.live = live;
        self
    }

    /// Classifies the next event of the source.
    pub fn classify(&mut self, ev: &EventRef<'_>) -> Seen {
        let t = ev.etype();
        // (`EventTable::known_to_sysdig_0_29`, without the table.)
        if !self.all_events && t >= SYSDIG_0_29_EVENT_MAX {
            return Seen::Unnumbered;
        }
        let container_meta = matches!(
            t,
            ids::CONTAINER_JSON_E | ids::CONTAINER_JSON_2_E | ids::CONTAINER_E
        );
        if !container_meta {
            self.seen_real = true;
        }
        let internal = !self.debug && is_internal(t);
        if internal && self.live {
            return Seen::Silent;
        }
        // libsinsp consumes the container events a capture starts with
        // before its event loop: they take a number but are never shown.
        if ev.dump_flags & 1 != 0 || internal || (container_meta && !self.seen_real) {
            Seen::Hidden
        } else {
            Seen::Shown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::{ec, table};
    use super::is_internal;

    #[test]
    fn internal_ids_match_the_table() {
        for t in 0..=u16::MAX {
            assert_eq!(
                is_internal(t),
                table().get(t).has_category(ec::INTERNAL),
                "event id {t}"
            );
        }
    }
}
