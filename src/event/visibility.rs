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

/// How [`Visibility::classify`] treats an event id (its table `kinds`).
mod kind {
    /// Shown unless its dump flags say state only.
    pub const PLAIN: u8 = 0;
    /// Internal: hidden (silent live).
    pub const INTERNAL: u8 = 1;
    /// A container event: hidden before the first other event.
    pub const CONTAINER: u8 = 2;
    /// A container event that is internal too (hidden or silent, without
    /// counting as a first other event).
    pub const CONTAINER_INTERNAL: u8 = 3;
    /// Unknown to sysdig 0.29.3.
    pub const UNNUMBERED: u8 = 4;
}

/// Event ids the table of [`Visibility`] covers: every id sysdig 0.29.3
/// knows (the others are all [`kind::PLAIN`] or all [`kind::UNNUMBERED`]).
const KINDS: usize = SYSDIG_0_29_EVENT_MAX as usize;

/// The per-source memory the rule needs.
#[derive(Debug, Clone)]
pub struct Visibility {
    /// Show internal events too (`-D`).
    debug: bool,
    /// Number and show event ids newer than sysdig 0.29.3 knows.
    all_events: bool,
    /// A live source: internal events are [`Seen::Silent`] (unless `debug`).
    live: bool,
    seen_real: bool,
    /// The [`kind`] of each id below [`KINDS`], for these settings.
    kinds: [u8; KINDS],
    /// The kind of the ids from [`KINDS`] on.
    beyond: u8,
}

impl Default for Visibility {
    fn default() -> Visibility {
        Visibility::new(false, false)
    }
}

impl Visibility {
    /// Whether an event other than a container event has been seen: the
    /// container events before it are the ones a capture starts with,
    /// which libsinsp consumes before its event loop.
    pub fn past_leading_containers(&self) -> bool {
        self.seen_real
    }

    pub fn new(debug: bool, all_events: bool) -> Visibility {
        Visibility::with(debug, all_events, false)
    }

    fn with(debug: bool, all_events: bool, live: bool) -> Visibility {
        let mut kinds = [kind::PLAIN; KINDS];
        for (t, k) in (0u16..).zip(kinds.iter_mut()) {
            let container_meta = matches!(
                t,
                ids::CONTAINER_JSON_E | ids::CONTAINER_JSON_2_E | ids::CONTAINER_E
            );
            let internal = !debug && is_internal(t);
            *k = match (container_meta, internal) {
                (false, false) => kind::PLAIN,
                (false, true) => kind::INTERNAL,
                (true, false) => kind::CONTAINER,
                (true, true) => kind::CONTAINER_INTERNAL,
            };
        }
        Visibility {
            debug,
            all_events,
            live,
            seen_real: false,
            kinds,
            // (`EventTable::known_to_sysdig_0_29`, without the table.)
            beyond: if all_events {
                kind::PLAIN
            } else {
                kind::UNNUMBERED
            },
        }
    }

    /// The rule for a live source (see [`Seen::Silent`]).
    pub fn with_live(self, live: bool) -> Visibility {
        Visibility::with(self.debug, self.all_events, live)
    }

    /// Classifies the next event of the source.
    #[inline]
    pub fn classify(&mut self, ev: &EventRef<'_>) -> Seen {
        self.classify_type(ev.etype(), ev.dump_flags)
    }

    /// [`Visibility::classify`] for an event of this type id and these
    /// dump flags.
    #[inline]
    pub fn classify_type(&mut self, etype: u16, dump_flags: u32) -> Seen {
        let k = self
            .kinds
            .get(usize::from(etype))
            .copied()
            .unwrap_or(self.beyond);
        if k == kind::PLAIN {
            self.seen_real = true;
            return if dump_flags & 1 != 0 {
                Seen::Hidden
            } else {
                Seen::Shown
            };
        }
        self.classify_other(k, dump_flags)
    }

    /// Classifies the events of these type ids and dump flags only to
    /// count them: adds those that take a number to `num` and those shown
    /// to `shown`, and stops after the event that brings the events
    /// counted for `-n` to `limit` (true then): all numbered events but the
    /// container events a capture starts with. For a source without silent
    /// events.
    pub fn count(
        &mut self,
        types: impl Iterator<Item = (u16, u32)>,
        num: &mut u64,
        shown: &mut u64,
        counted: &mut u64,
        limit: u64,
    ) -> bool {
        // Kept in registers through the loop, stored back once.
        let (mut n, mut s, mut c) = (*num, *shown, *counted);
        let mut stop = false;
        for (etype, dump_flags) in types {
            let k = self
                .kinds
                .get(usize::from(etype))
                .copied()
                .unwrap_or(self.beyond);
            // (Container events a capture starts with are consumed by
            // libsinsp before its loop, and state-only ones kept to itself:
            // not handed to sysdig, not counted for -n.)
            let (is_shown, counts) = if k == kind::PLAIN {
                self.seen_real = true;
                n += 1;
                (dump_flags & 1 == 0, dump_flags & 1 == 0)
            } else {
                let leading = !self.seen_real && ids::is_container(etype);
                match self.classify_other(k, dump_flags) {
                    Seen::Unnumbered | Seen::Silent => continue,
                    seen => {
                        n += 1;
                        (seen == Seen::Shown, !leading && dump_flags & 1 == 0)
                    }
                }
            };
            s += u64::from(is_shown);
            // (Every other numbered event counts for the limit, as sysdig's
            // -n counts all the events it is handed without a filter.)
            c += u64::from(counts);
            if c >= limit {
                stop = true;
                break;
            }
        }
        (*num, *shown, *counted) = (n, s, c);
        stop
    }

    /// [`Visibility::classify`] for the ids that are not plain (rare:
    /// kept out of the callers' loops).
    #[inline(never)]
    fn classify_other(&mut self, k: u8, dump_flags: u32) -> Seen {
        match k {
            kind::UNNUMBERED => Seen::Unnumbered,
            kind::INTERNAL | kind::CONTAINER_INTERNAL => {
                if k == kind::INTERNAL {
                    self.seen_real = true;
                }
                if self.live {
                    Seen::Silent
                } else {
                    Seen::Hidden
                }
            }
            // libsinsp consumes the container events a capture starts with
            // before its event loop: they take a number but are never shown.
            _ => {
                if dump_flags & 1 != 0 || !self.seen_real {
                    Seen::Hidden
                } else {
                    Seen::Shown
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::{ec, table};
    use super::*;

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

    /// The rule as it was written before the table: the table must give
    /// the same answers for every id, setting and order of events.
    fn reference(v: &mut (bool, bool, bool, bool), t: u16, dump_flags: u32) -> Seen {
        let (debug, all_events, live, seen_real) = v;
        if !*all_events && t >= SYSDIG_0_29_EVENT_MAX {
            return Seen::Unnumbered;
        }
        let container_meta = matches!(
            t,
            ids::CONTAINER_JSON_E | ids::CONTAINER_JSON_2_E | ids::CONTAINER_E
        );
        if !container_meta {
            *seen_real = true;
        }
        let internal = !*debug && is_internal(t);
        if internal && *live {
            return Seen::Silent;
        }
        if dump_flags & 1 != 0 || internal || (container_meta && !*seen_real) {
            Seen::Hidden
        } else {
            Seen::Shown
        }
    }

    #[test]
    fn counts_as_classify_does() {
        let order: Vec<(u16, u32)> = [ids::CONTAINER_E, ids::CONTAINER_JSON_E, 228, 400, 3]
            .into_iter()
            .chain(0..400u16)
            .enumerate()
            .map(|(i, t)| (t, u32::from(i % 3 == 0)))
            .collect();
        for debug in [false, true] {
            for all_events in [false, true] {
                for limit in [0u64, 1, 5, 100, u64::MAX] {
                    let mut a = Visibility::new(debug, all_events);
                    let mut b = a.clone();
                    let (mut num, mut shown, mut counted) = (0u64, 0u64, 0u64);
                    let mut stop = false;
                    for &(t, df) in &order {
                        let leading = !a.past_leading_containers() && ids::is_container(t);
                        let seen = a.classify_type(t, df);
                        if matches!(seen, Seen::Unnumbered | Seen::Silent) {
                            continue;
                        }
                        num += 1;
                        shown += u64::from(seen == Seen::Shown);
                        counted += u64::from(!leading && df & 1 == 0);
                        if counted >= limit {
                            stop = true;
                            break;
                        }
                    }
                    // In two runs, as a reader hands them out.
                    let (mut n2, mut s2, mut c2) = (0u64, 0u64, 0u64);
                    let (first, rest) = order.split_at(7);
                    let stop2 = b.count(first.iter().copied(), &mut n2, &mut s2, &mut c2, limit)
                        || b.count(rest.iter().copied(), &mut n2, &mut s2, &mut c2, limit);
                    assert_eq!(
                        (num, shown, counted, stop),
                        (n2, s2, c2, stop2),
                        "{debug} {all_events} {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn table_matches_the_rule() {
        // (0x7fff: the largest id an event can carry; `EventRef::new`
        // refuses those from 0x8000 on.)
        let ids: Vec<u16> = (0..400u16).chain([1000, 0x7fff]).collect();
        for debug in [false, true] {
            for all_events in [false, true] {
                for live in [false, true] {
                    // Container events first, then every id, twice.
                    let order: Vec<u16> = [ids::CONTAINER_E, ids::CONTAINER_JSON_E, 228]
                        .into_iter()
                        .chain(ids.iter().copied())
                        .chain(ids.iter().copied())
                        .collect();
                    for every in [0usize, 1, 3] {
                        let mut vis = Visibility::new(debug, all_events).with_live(live);
                        let mut r = (debug, all_events, live, false);
                        for (i, &t) in order.iter().enumerate() {
                            // State-only events: none, all, or every third.
                            let dump_flags = u32::from(every != 0 && i % every == 0);
                            let ev = crate::event::build_event(1, 2, t, &[]);
                            let e = EventRef::new(0, dump_flags, &ev).expect("valid");
                            assert_eq!(
                                vis.classify(&e),
                                reference(&mut r, t, dump_flags),
                                "id {t} debug {debug} all {all_events} live {live} flags {dump_flags}"
                            );
                        }
                    }
                }
            }
        }
    }
}
