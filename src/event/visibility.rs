//! Which events sysdig numbers and which it shows: one rule for `dig`, the
//! TUI and headless views.

use super::table::{ec, ids, table};
use super::EventRef;

/// How an event counts for output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// An event id sysdig 0.29.3 does not know: skipped without a number.
    Unnumbered,
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
    seen_real: bool,
}

impl Visibility {
    pub fn new(debug: bool, all_events: bool) -> Visibility {
        Visibility {
            debug,
            all_events,
            seen_real: false,
        }
    }

    /// Classifies the next event of the source.
    pub fn classify(&mut self, ev: &EventRef<'_>) -> Seen {
        let t = ev.etype();
        if !self.all_events && !table().known_to_sysdig_0_29(t) {
            return Seen::Unnumbered;
        }
        let container_meta = matches!(
            t,
            ids::CONTAINER_JSON_E | ids::CONTAINER_JSON_2_E | ids::CONTAINER_E
        );
        if !container_meta {
            self.seen_real = true;
        }
        let internal = !self.debug && ev.info().has_category(ec::INTERNAL);
        // libsinsp consumes the container events a capture starts with
        // before its event loop: they take a number but are never shown.
        if ev.dump_flags & 1 != 0 || internal || (container_meta && !self.seen_real) {
            Seen::Hidden
        } else {
            Seen::Shown
        }
    }
}
