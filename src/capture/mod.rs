//! Event sources: the live eBPF probe (`live`) and `.scap` files (`scap`).
//! Both hand out events in the one v2 layout of [`crate::event`], plus the
//! metadata that seeds state (process, fd, user and interface lists).

pub mod live;
pub mod meta;
pub mod pipeline;
pub mod progress;
pub mod scap;
pub mod spread;
pub mod suppress;

pub use meta::CaptureMeta;

use crate::event::{Checked, EventRef};

/// What a source yields, one at a time.
pub enum Item<'a> {
    /// An event, valid until the next call.
    Event(EventRef<'a>),
    /// The metadata of a new section (a concatenated capture starts one).
    Section(Box<CaptureMeta>),
}

/// What a source yields in bulk ([`Source::next_run`]).
pub enum Run<'a> {
    /// Consecutive events, in order, valid until the next call.
    Events(Events<'a>),
    /// The metadata of a new section (a concatenated capture starts one).
    Section(Box<CaptureMeta>),
}

/// Where an event lies in a batch's buffers (see [`Events`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub(crate) checked: Checked,
    /// The event's length (it is at most `u32::MAX`).
    pub(crate) len: u32,
    /// Where it starts in the batch's data, or, with [`IN_EXTRA`] set, in
    /// its extra buffer (the events copied there).
    pub(crate) start: usize,
}

/// The bit of [`Slot::start`] that says the event is in the extra buffer.
pub(crate) const IN_EXTRA: usize = 1 << (usize::BITS - 1);

impl Slot {
    /// The event's bytes, in `data` or (see [`IN_EXTRA`]) `extra`.
    #[inline]
    pub(crate) fn bytes<'a>(&self, data: &'a [u8], extra: &'a [u8]) -> Option<&'a [u8]> {
        self.bytes_in(&[data, extra])
    }

    /// [`Slot::bytes`] with `data` and `extra` in this order: the buffer
    /// picked by index (the top bit of `start`), not by a branch.
    #[inline]
    fn bytes_in<'a>(&self, bufs: &[&'a [u8]; 2]) -> Option<&'a [u8]> {
        let (buf, at) = self.place(bufs);
        // (One range, one check: `at` is below 2^63 and the length below
        // 2^32, so the end does not overflow on 64-bit targets; where it
        // wraps, on 32-bit ones, it lies before `at` and `get` finds none.)
        buf.get(at..at.wrapping_add(self.len as usize))
    }

    /// The buffer the event lies in (`data`, or `extra` with [`IN_EXTRA`])
    /// and where it starts there: picked by index, not by a branch.
    #[inline(always)]
    fn place<'a>(&self, bufs: &[&'a [u8]; 2]) -> (&'a [u8], usize) {
        (
            bufs[self.start >> (usize::BITS - 1)],
            self.start & !IN_EXTRA,
        )
    }

    /// Asks the CPU for the event's first and last bytes ([`prefetch`]),
    /// found with two single-byte lookups rather than the whole range's.
    #[inline(always)]
    fn prefetch_in(&self, bufs: &[&[u8]; 2]) {
        let (buf, at) = self.place(bufs);
        let last = at.wrapping_add(self.len as usize).wrapping_sub(1);
        if let Some(b) = buf.get(at) {
            prefetch(b);
        }
        if let Some(b) = buf.get(last) {
            prefetch(b);
        }
    }
}

/// How many events ahead of the one it hands out [`Events`] asks the CPU
/// to fetch an event's bytes. The consumer spends some 40 ns on an event;
/// its bytes were last touched by the reading thread, on the other core,
/// a few hundred kilobytes earlier, so they are no longer in this core's
/// caches, and the first read of an event would otherwise wait for them.
/// (64 events, two microseconds or so ahead: 3% faster than 32 in the
/// build for the host's CPU with LTO, 40 interleaved runs of the five
/// bench filters; 32 was 2% faster than 8 before those.)
const PREFETCH_AHEAD: usize = 64;

/// How far ahead [`Events`] fetches the slots themselves: the reading
/// thread wrote them on the other CPU, and reading slot
/// [`PREFETCH_AHEAD`] for its event's place waited on their cache lines in
/// turn (3% of the `dig -r` loop's samples on that one load). 96 and 192
/// measured alike, 2-3% faster than none (50 interleaved runs), with
/// [`PREFETCH_AHEAD`] at 32; it stays that far beyond it.
const SLOT_AHEAD: usize = 160;

/// Asks the CPU to bring the cache line holding `b` into its caches: a
/// hint, which changes nothing but timing.
#[inline(always)]
pub(crate) fn prefetch<T>(b: &T) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    safe_arch::prefetch_t0(b);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = b;
}

/// A run of events: the copies in a batch of a pipelined reader, or one
/// event of a source that hands them out one at a time.
pub struct Events<'a> {
    /// The batch's data and extra buffers (see [`Slot::bytes`]).
    bufs: [&'a [u8]; 2],
    slots: std::slice::Iter<'a, Slot>,
    one: Option<EventRef<'a>>,
}

impl<'a> Events<'a> {
    /// One event.
    pub fn one(ev: EventRef<'a>) -> Events<'a> {
        Events {
            bufs: [&[], &[]],
            slots: [].iter(),
            one: Some(ev),
        }
    }

    /// No events: what a live source hands out when asked to come back by
    /// a deadline with nothing at hand ([`Source::next_run_by`]).
    pub fn none() -> Events<'a> {
        Events {
            bufs: [&[], &[]],
            slots: [].iter(),
            one: None,
        }
    }

    /// The events at `slots` in `data` and `extra`, which the reader
    /// checked there (or before it copied them there byte for byte).
    pub(crate) fn copies(data: &'a [u8], extra: &'a [u8], slots: &'a [Slot]) -> Events<'a> {
        // (`next` fetches the events after these.)
        for s in slots.iter().take(PREFETCH_AHEAD) {
            s.prefetch_in(&[data, extra]);
        }
        Events {
            bufs: [data, extra],
            slots: slots.iter(),
            one: None,
        }
    }
}

impl<'a> Events<'a> {
    /// The type id and dump flags of each event, without the events.
    pub fn types(self) -> Types<'a> {
        Types {
            slots: self.slots,
            one: self.one.map(|ev| (ev.etype(), ev.dump_flags)),
        }
    }
}

/// The type ids and dump flags of a run of events ([`Events::types`]).
pub struct Types<'a> {
    slots: std::slice::Iter<'a, Slot>,
    one: Option<(u16, u32)>,
}

impl Iterator for Types<'_> {
    type Item = (u16, u32);

    #[inline]
    fn next(&mut self) -> Option<(u16, u32)> {
        match self.slots.next() {
            Some(s) => Some((s.checked.etype(), s.checked.dump_flags())),
            None => self.one.take(),
        }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = EventRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<EventRef<'a>> {
        if let Some(ahead) = self.slots.as_slice().get(PREFETCH_AHEAD) {
            ahead.prefetch_in(&self.bufs);
            if let Some(s) = self.slots.as_slice().get(SLOT_AHEAD) {
                prefetch(s);
            }
        }
        match self.slots.next() {
            // The slots are the reader's own record of what it copied
            // where, so `get` cannot fail.
            Some(s) => Some(s.checked.bind_copy(s.bytes_in(&self.bufs)?)),
            None => self.one.take(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.slots.len() + usize::from(self.one.is_some());
        (n, Some(n))
    }
}

/// Counters a source keeps about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Events delivered.
    pub events: u64,
    /// Events lost before they reached us (full ring buffer).
    pub drops: u64,
}

/// A source of events: a lending iterator.
pub trait Source {
    /// The next item, `Ok(None)` at the end (live sources end when stopped).
    fn next_item(&mut self) -> Result<Option<Item<'_>>, SourceError>;
    /// The next items in bulk: as many consecutive events as the source
    /// has at hand (a pipelined reader's batch up to its next section), so
    /// that a consumer loops over them without a call per event.
    fn next_run(&mut self) -> Result<Option<Run<'_>>, SourceError> {
        Ok(self.next_item()?.map(|it| match it {
            Item::Event(ev) => Run::Events(Events::one(ev)),
            Item::Section(meta) => Run::Section(meta),
        }))
    }
    /// As [`Source::next_run`], but a live source that has nothing at hand
    /// by `by` comes back then with an empty run instead of waiting on for
    /// the next event (so that the caller can write out its output). Files
    /// always have their next events at hand.
    fn next_run_by(
        &mut self,
        by: Option<std::time::Instant>,
    ) -> Result<Option<Run<'_>>, SourceError> {
        let _ = by;
        self.next_run()
    }
    /// Metadata read when the source opened (first section).
    fn meta(&self) -> &CaptureMeta;
    /// [`Source::meta`] handed over, for a caller that needs it no more
    /// afterwards: a source that can gives its own and keeps an empty one.
    fn take_meta(&mut self) -> CaptureMeta {
        self.meta().clone()
    }
    fn stats(&self) -> SourceStats;
    /// Hands back a section's metadata the caller is done with (see
    /// [`crate::state::State::load_meta_taking`]): a source that read it on
    /// another thread frees it there.
    // (Boxed as sections travel: a source may keep the box.)
    #[allow(clippy::boxed_local)]
    fn section_done(&mut self, meta: Box<CaptureMeta>) {
        let _ = meta;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Scap(#[from] scap::ScapError),
    #[error(transparent)]
    Live(#[from] live::LiveError),
}
