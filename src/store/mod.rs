//! The in-memory event store behind the explorer.
//!
//! Layout: a queue of **chunks**. A chunk holds the raw v2 bytes of up to
//! [`CHUNK_EVENTS`] events back to back (`data`), one `u32` offset, one `u16`
//! cpu and one flag byte per event, and small sorted posting lists
//! (`(key, index-in-chunk)` pairs, `u32` each) by tid, by pid, by (pid, fd)
//! and by container. Event numbers are implicit: `first_num + index`.
//! Sealed chunks are immutable and shared (`Arc`), so a query snapshots the
//! store by cloning a list of pointers and never blocks capture for long.
//!
//! **State for replay:** the store keeps `base`, a [`State`] as it was just
//! before its oldest stored event. Evicting a chunk (oldest first, when the
//! byte budget is exceeded) replays that chunk's events into `base`. A query
//! clones `base` and replays the stored events through `State::process`, so
//! every field (process names, fd names, latencies) is exactly what it was
//! when the event was captured, without storing per-event snapshots. On a
//! live system a thread that was unknown at its first event is looked up in
//! /proc during replay as during capture (so long-dead short-lived processes
//! may show as placeholders in replay when /proc no longer has them).

use std::sync::Arc;

use crate::capture::CaptureMeta;
use crate::event::EventRef;
use crate::state::{EvCtx, State};

/// Events per chunk before it is sealed.
pub const CHUNK_EVENTS: usize = 8192;
/// Raw bytes per chunk before it is sealed.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Flag: the event is state-only or internal and never shown.
pub const FLAG_HIDDEN: u8 = 1;
/// Flag: the scap dump flags had bit 0 set.
pub const FLAG_DUMP_STATE: u8 = 2;
/// Flag: the view tables count the event (shown events, and the internal
/// ones csysdig's tables see: procinfo gives the CPU columns).
pub const FLAG_TABLED: u8 = 4;

/// One block of stored events.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    first_num: u64,
    /// The time of the first event that is not a container event (that
    /// of the first event if all are): libsinsp's start of a capture.
    first_ts: u64,
    first_is_container: bool,
    last_ts: u64,
    data: Vec<u8>,
    offs: Vec<u32>,
    cpus: Vec<u16>,
    flags: Vec<u8>,
    by_tid: Vec<(u32, u32)>,
    by_pid: Vec<(u32, u32)>,
    by_fd: Vec<(u64, u32)>,
    /// Container ids seen in this chunk (non-host only) and their postings.
    containers: Vec<Box<str>>,
    by_container: Vec<(u32, u32)>,
    /// Section metadata of a concatenated capture, with the index of the
    /// event it comes before (`len()` when it came after the last one):
    /// replay loads it into the state there, as the reader did.
    sections: Vec<(u32, Arc<CaptureMeta>)>,
    sealed: bool,
}

fn key32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn fd_key(pid: u64, fd: i64) -> u64 {
    (u64::from(key32(pid)) << 32) | u64::from(fd as u32)
}

impl Chunk {
    fn new(first_num: u64) -> Chunk {
        Chunk {
            first_num,
            ..Chunk::default()
        }
    }

    pub fn len(&self) -> usize {
        self.offs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offs.is_empty()
    }

    /// The event at `i` with its number and flags.
    pub fn get(&self, i: usize) -> Option<(EventRef<'_>, u64, u8)> {
        let off = *self.offs.get(i)? as usize;
        let end = self
            .offs
            .get(i + 1)
            .map(|&o| o as usize)
            .unwrap_or(self.data.len());
        let bytes = self.data.get(off..end)?;
        let flags = self.flags.get(i).copied().unwrap_or(0);
        let dump = if flags & FLAG_DUMP_STATE != 0 { 1 } else { 0 };
        let cpu = self.cpus.get(i).copied().unwrap_or(0);
        let ev = EventRef::new(cpu, dump, bytes).ok()?;
        Some((ev, self.first_num + i as u64, flags))
    }

    /// Heap bytes used by the raw event data.
    pub fn raw_bytes(&self) -> usize {
        self.data.capacity()
    }

    /// Heap bytes used by per-event metadata and indexes.
    pub fn index_bytes(&self) -> usize {
        self.offs.capacity() * 4
            + self.cpus.capacity() * 2
            + self.flags.capacity()
            + self.by_tid.capacity() * 8
            + self.by_pid.capacity() * 8
            + self.by_fd.capacity() * 16
            + self.by_container.capacity() * 8
            + self.containers.iter().map(|c| c.len() + 16).sum::<usize>()
            + std::mem::size_of::<Chunk>()
    }

    fn push(&mut self, ev: &EventRef<'_>, flags: u8, ectx: EvCtx, pid: u64, container: &str) {
        let idx = self.offs.len() as u32;
        let is_container = crate::event::table::ids::is_container(ev.etype());
        if self.first_ts == 0 || (self.first_is_container && !is_container) {
            self.first_ts = ev.ts();
            self.first_is_container = is_container;
        }
        self.last_ts = self.last_ts.max(ev.ts());
        self.offs.push(self.data.len() as u32);
        self.data.extend_from_slice(ev.bytes());
        self.cpus.push(ev.cpu);
        self.flags.push(flags);
        self.by_tid.push((key32(ev.tid()), idx));
        self.by_pid.push((key32(pid), idx));
        if let Some(fd) = ectx.fd {
            self.by_fd.push((fd_key(pid, fd), idx));
        }
        if !container.is_empty() && container != "host" {
            let c = match self.containers.iter().position(|c| &**c == container) {
                Some(c) => c,
                None => {
                    self.containers.push(container.into());
                    self.containers.len() - 1
                }
            };
            self.by_container.push((c as u32, idx));
        }
    }

    /// Loads into `state` the sections that came before event `i` (all the
    /// remaining ones with `i == len()`), starting at `*next`.
    fn apply_sections(&self, i: usize, next: &mut usize, state: &mut State) {
        while let Some((at, meta)) = self.sections.get(*next) {
            if (*at as usize) > i {
                break;
            }
            state.load_meta(meta);
            *next += 1;
        }
    }

    fn full(&self) -> bool {
        self.offs.len() >= CHUNK_EVENTS || self.data.len() >= CHUNK_BYTES
    }

    fn seal(&mut self) {
        if self.sealed {
            return;
        }
        self.by_tid.sort_unstable();
        self.by_pid.sort_unstable();
        self.by_fd.sort_unstable();
        self.by_container.sort_unstable();
        self.data.shrink_to_fit();
        self.offs.shrink_to_fit();
        self.cpus.shrink_to_fit();
        self.flags.shrink_to_fit();
        self.by_tid.shrink_to_fit();
        self.by_pid.shrink_to_fit();
        self.by_fd.shrink_to_fit();
        self.by_container.shrink_to_fit();
        self.sealed = true;
    }

    /// Indexes (in this chunk) of the events a selection picks, ascending;
    /// `None` means every event.
    pub fn select(&self, sel: &Select) -> Option<Vec<u32>> {
        fn range<K: Ord + Copy>(v: &[(K, u32)], k: K, sorted: bool) -> Vec<u32> {
            if sorted {
                let lo = v.partition_point(|p| p.0 < k);
                let hi = v.partition_point(|p| p.0 <= k);
                v[lo..hi].iter().map(|p| p.1).collect()
            } else {
                v.iter().filter(|p| p.0 == k).map(|p| p.1).collect()
            }
        }
        let s = self.sealed;
        match sel {
            Select::All => None,
            Select::Tid(t) => Some(range(&self.by_tid, key32(*t), s)),
            Select::Pid(p) => Some(range(&self.by_pid, key32(*p), s)),
            Select::Fd { pid, fd } => Some(range(&self.by_fd, fd_key(*pid, *fd), s)),
            Select::Container(c) => {
                let Some(ci) = self.containers.iter().position(|x| &**x == c.as_str()) else {
                    return Some(Vec::new());
                };
                let mut v = range(&self.by_container, ci as u32, s);
                v.sort_unstable();
                Some(v)
            }
        }
        .map(|mut v| {
            v.sort_unstable();
            v
        })
    }
}

/// A cheap pre-selection of stored events, answered from the indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    Tid(u64),
    Pid(u64),
    Fd { pid: u64, fd: i64 },
    Container(String),
}

impl Select {
    /// Picks an index for a simple `field=value` drill-down filter.
    pub fn from_key(field: &str, value: &str) -> Select {
        let num = value.trim_matches('"').parse::<u64>();
        match (field, num) {
            ("thread.tid", Ok(n)) => Select::Tid(n),
            ("proc.pid", Ok(n)) => Select::Pid(n),
            ("container.id", _) if value.trim_matches('"') != "host" => {
                Select::Container(value.trim_matches('"').to_string())
            }
            _ => Select::All,
        }
    }
}

/// Memory and span figures for the header and the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub events: u64,
    pub evicted: u64,
    pub first_ts: u64,
    pub last_ts: u64,
    pub raw_bytes: usize,
    pub index_bytes: usize,
    pub cap_bytes: usize,
}

impl StoreStats {
    pub fn bytes_per_event_total(&self) -> f64 {
        (self.raw_bytes + self.index_bytes) as f64 / self.events.max(1) as f64
    }
    pub fn bytes_per_event_index(&self) -> f64 {
        self.index_bytes as f64 / self.events.max(1) as f64
    }
}

/// The bounded store.
#[derive(Debug)]
pub struct Store {
    cap_bytes: usize,
    base: State,
    sealed: std::collections::VecDeque<Arc<Chunk>>,
    open: Chunk,
    sealed_raw: usize,
    sealed_index: usize,
    evicted: u64,
    next_num: u64,
}

impl Store {
    /// An empty store; `base` is the state before the first event pushed.
    pub fn new(cap_bytes: usize, base: State) -> Store {
        Store {
            cap_bytes: cap_bytes.max(CHUNK_BYTES * 2),
            base,
            sealed: Default::default(),
            open: Chunk::new(1),
            sealed_raw: 0,
            sealed_index: 0,
            evicted: 0,
            next_num: 1,
        }
    }

    /// Replaces the starting state (before any event is pushed).
    pub fn set_base(&mut self, base: State) {
        self.base = base;
    }

    /// Records the metadata of a new section (a concatenated capture), so
    /// replays load it at the same point as the capture did.
    pub fn push_section(&mut self, meta: &CaptureMeta) {
        let at = self.open.len() as u32;
        self.open.sections.push((at, Arc::new(meta.clone())));
    }

    /// Adds an event the caller's state has just processed (`ectx` and `pid`
    /// come from that state). `num` is its event number; numbers must grow
    /// by one per pushed event. `hidden`: never shown; `tabled`: counted by
    /// the view tables.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        ev: &EventRef<'_>,
        num: u64,
        hidden: bool,
        tabled: bool,
        ectx: EvCtx,
        pid: u64,
        container: &str,
    ) {
        if self.open.is_empty() {
            self.open.first_num = num;
        } else if num != self.next_num {
            // A gap: start a new chunk so numbers stay implicit.
            self.seal_open();
            self.open.first_num = num;
        }
        self.next_num = num + 1;
        let mut flags = 0;
        if hidden {
            flags |= FLAG_HIDDEN;
        }
        if tabled {
            flags |= FLAG_TABLED;
        }
        if ev.dump_flags & 1 != 0 {
            flags |= FLAG_DUMP_STATE;
        }
        self.open.push(ev, flags, ectx, pid, container);
        if self.open.full() {
            self.seal_open();
        }
    }

    fn seal_open(&mut self) {
        if self.open.is_empty() {
            return;
        }
        let mut c = std::mem::replace(&mut self.open, Chunk::new(self.next_num));
        c.seal();
        self.sealed_raw += c.raw_bytes();
        self.sealed_index += c.index_bytes();
        self.sealed.push_back(Arc::new(c));
        self.evict();
    }

    fn evict(&mut self) {
        while self.sealed_raw + self.sealed_index > self.cap_bytes && self.sealed.len() > 1 {
            let Some(c) = self.sealed.pop_front() else {
                break;
            };
            let mut next = 0;
            for i in 0..c.len() {
                c.apply_sections(i, &mut next, &mut self.base);
                if let Some((ev, _, _)) = c.get(i) {
                    self.base.process(&ev);
                }
            }
            c.apply_sections(c.len(), &mut next, &mut self.base);
            self.sealed_raw -= c.raw_bytes();
            self.sealed_index -= c.index_bytes();
            self.evicted += c.len() as u64;
        }
    }

    pub fn stats(&self) -> StoreStats {
        let events =
            self.sealed.iter().map(|c| c.len() as u64).sum::<u64>() + self.open.len() as u64;
        // (The newest time is the largest of any chunk: the sections of a
        // concatenated capture need not come in time order.)
        let (first_ts, last_ts) = self.time_span();
        StoreStats {
            events,
            evicted: self.evicted,
            first_ts,
            last_ts,
            raw_bytes: self.sealed_raw + self.open.data.capacity(),
            index_bytes: self.sealed_index + self.open.index_bytes(),
            cap_bytes: self.cap_bytes,
        }
    }

    /// (first, newest) timestamps of the stored events, as a
    /// [`Snapshot`] of the store gives them.
    pub fn time_span(&self) -> (u64, u64) {
        let open = (!self.open.is_empty()).then_some(&self.open);
        let first = self
            .sealed
            .front()
            .map(|c| c.first_ts)
            .or(open.map(|c| c.first_ts))
            .unwrap_or(0);
        let last = self
            .sealed
            .iter()
            .map(|c| c.last_ts)
            .chain(open.map(|c| c.last_ts))
            .max()
            .unwrap_or(0);
        (first, last)
    }

    /// A consistent, independent view of the stored events.
    pub fn snapshot(&self) -> Snapshot {
        let mut chunks: Vec<Arc<Chunk>> = self.sealed.iter().cloned().collect();
        if !self.open.is_empty() {
            chunks.push(Arc::new(self.open.clone()));
        }
        Snapshot {
            base: self.base.clone(),
            chunks,
        }
    }
}

/// What a replay callback sees for one event.
pub struct Replayed<'a> {
    pub ev: EventRef<'a>,
    pub num: u64,
    pub state: &'a State,
    pub ectx: EvCtx,
    /// Internal / state-only: never shown.
    pub hidden: bool,
    /// Counted by the view tables (see [`FLAG_TABLED`]).
    pub tabled: bool,
    /// Picked by the [`Select`] given to the replay.
    pub selected: bool,
}

/// Stored events at one moment, with the state to replay them.
#[derive(Debug, Clone)]
pub struct Snapshot {
    base: State,
    chunks: Vec<Arc<Chunk>>,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn first_ts(&self) -> u64 {
        self.chunks.first().map(|c| c.first_ts).unwrap_or(0)
    }
    pub fn last_ts(&self) -> u64 {
        self.chunks.iter().map(|c| c.last_ts).max().unwrap_or(0)
    }

    /// Replays every stored event through a copy of the base state, in
    /// order. `f` returns `false` to stop early.
    /// Returns the state after the last event replayed.
    pub fn replay(&self, sel: &Select, mut f: impl FnMut(&Replayed<'_>) -> bool) -> State {
        let mut state = self.base.clone();
        for c in &self.chunks {
            let picked = c.select(sel);
            let mut next = 0usize;
            let mut next_section = 0usize;
            for i in 0..c.len() {
                c.apply_sections(i, &mut next_section, &mut state);
                let Some((ev, num, flags)) = c.get(i) else {
                    continue;
                };
                let ectx = state.process(&ev);
                let selected = match &picked {
                    None => true,
                    Some(p) => {
                        while next < p.len() && (p[next] as usize) < i {
                            next += 1;
                        }
                        p.get(next).is_some_and(|&x| x as usize == i)
                    }
                };
                let r = Replayed {
                    ev,
                    num,
                    state: &state,
                    ectx,
                    hidden: flags & FLAG_HIDDEN != 0,
                    tabled: flags & FLAG_TABLED != 0,
                    selected,
                };
                if !f(&r) {
                    return state;
                }
            }
            c.apply_sections(c.len(), &mut next_section, &mut state);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::build_event;

    fn ev(ts: u64, tid: u64) -> Vec<u8> {
        build_event(
            ts,
            tid,
            307,
            &[&3i64.to_le_bytes(), &(-100i64).to_le_bytes(), b"/x\0"],
        )
    }

    #[test]
    fn push_select_replay() {
        let mut s = Store::new(0, State::new());
        for i in 0..20_000u64 {
            let b = ev(1000 + i, 10 + i % 3);
            let e = EventRef::new(0, 0, &b).expect("valid");
            s.push(
                &e,
                i + 1,
                false,
                true,
                EvCtx {
                    fd: Some(3),
                    ..EvCtx::default()
                },
                10 + i % 3,
                "",
            );
        }
        let st = s.stats();
        assert_eq!(st.events, 20_000);
        let snap = s.snapshot();
        let mut n = 0;
        let mut last = 0;
        snap.replay(&Select::Tid(11), |r| {
            if r.selected {
                assert_eq!(r.ev.tid(), 11);
                n += 1;
            }
            assert_eq!(r.num, last + 1);
            last = r.num;
            true
        });
        assert_eq!(n, 6667);
        assert_eq!(last, 20_000);
    }

    /// The stored span of a concatenated capture, whose later sections may
    /// be older: the newest time is the largest stored, not the last one's.
    #[test]
    fn span_of_sections_out_of_time_order() {
        let mut s = Store::new(256 << 20, State::new());
        let mut num = 0;
        for base in [5_000_000_000u64, 1_000_000_000] {
            for i in 0..CHUNK_BYTES as u64 / 16 {
                let b = ev(base + i, 10);
                let e = EventRef::new(0, 0, &b).expect("valid");
                num += 1;
                s.push(&e, num, false, true, EvCtx::default(), 10, "");
            }
        }
        let st = s.stats();
        assert_eq!(st.first_ts, 5_000_000_000);
        assert_eq!(st.last_ts, 5_000_000_000 + CHUNK_BYTES as u64 / 16 - 1);
        assert_eq!((st.first_ts, st.last_ts), s.time_span());
    }

    #[test]
    fn evicts_oldest() {
        let mut s = Store::new(0, State::new());
        let cap = s.stats().cap_bytes;
        let mut i = 0u64;
        while s.stats().evicted == 0 {
            let b = ev(1000 + i, 10);
            let e = EventRef::new(0, 0, &b).expect("valid");
            i += 1;
            s.push(&e, i, false, true, EvCtx::default(), 10, "");
            assert!(i < 10_000_000);
        }
        let st = s.stats();
        assert!(st.raw_bytes + st.index_bytes <= cap + 2 * CHUNK_BYTES);
        let snap = s.snapshot();
        let mut first = None;
        snap.replay(&Select::All, |r| {
            first.get_or_insert(r.num);
            false
        });
        assert_eq!(first, Some(st.evicted + 1));
    }
}
