//! A capture file read on its own thread: decompression, block parsing,
//! event validation and metadata decoding run on one core while the caller
//! (state, filter, output) runs on another. Events travel in batches of
//! copied bytes, handed back for reuse, so the steady state allocates
//! nothing.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use super::scap::{ScapError, ScapReader};
use super::{CaptureMeta, Events, Item, Run, Slot, Source, SourceError, SourceStats};
use crate::event::EventRef;

/// Bytes of event data per batch: big enough to make the hand-over cheap,
/// small enough to stay in the cache.
const BATCH_BYTES: usize = 256 * 1024;
/// Entries per batch (events and sections).
const BATCH_ITEMS: usize = 4096;
/// Batches in flight between the threads.
const DEPTH: usize = 4;

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    /// The events copied into `data`, in order.
    slots: Vec<Slot>,
    /// The sections read with them: each comes after this many slots.
    /// (`None` once handed out.)
    sections: Vec<(usize, Option<Box<CaptureMeta>>)>,
    /// The reader's counters once this batch was filled.
    stats: SourceStats,
    /// Set on the last batch: how the reader ended.
    end: Option<Result<(), SourceError>>,
}

/// What the consumer of a [`Pipelined`] reader takes from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carry {
    /// The events themselves.
    Events,
    /// Only their type ids and dump flags ([`super::Events::types`]): the
    /// bytes are not copied, and iterating the events yields none.
    Types,
}

impl Batch {
    /// Records an event's type only ([`Carry::Types`]): a slot without
    /// bytes, which binds to no event.
    #[inline]
    fn push_type(&mut self, ev: &EventRef<'_>) {
        self.slots.push(Slot {
            checked: ev.checked(),
            len: 1,
            start: usize::MAX,
        });
    }

    /// Copies an event in.
    #[inline]
    fn push_event(&mut self, ev: &EventRef<'_>) {
        let start = self.data.len();
        self.data.extend_from_slice(ev.bytes());
        self.slots.push(Slot {
            checked: ev.checked(),
            // The header's u32 length.
            len: ev.len() as u32,
            start,
        });
    }

    fn full(&self) -> bool {
        self.data.len() >= BATCH_BYTES || self.slots.len() + self.sections.len() >= BATCH_ITEMS
    }
}

/// A [`ScapReader`] running on a thread of its own.
pub struct Pipelined {
    meta: CaptureMeta,
    rx: Receiver<Batch>,
    recycle: Sender<Batch>,
    cur: Batch,
    /// The next slot of `cur` to hand out.
    pos: usize,
    /// The next section of `cur` to hand out.
    sec: usize,
    stats: SourceStats,
    finished: bool,
}

impl Pipelined {
    /// Starts reading `reader` on a new thread.
    pub fn start(reader: ScapReader) -> std::io::Result<Pipelined> {
        Pipelined::start_with(reader, Carry::Events)
    }

    /// [`Pipelined::start`] for a consumer that takes only what `carry`
    /// says.
    pub fn start_with(mut reader: ScapReader, carry: Carry) -> std::io::Result<Pipelined> {
        let meta = reader.take_meta();
        // A third thread reads the file ahead of the decoding one.
        reader.read_ahead()?;
        let (tx, rx) = mpsc::sync_channel::<Batch>(DEPTH);
        let (recycle, spare) = mpsc::channel::<Batch>();
        thread::Builder::new()
            .name("syspect-read".into())
            .spawn(move || match carry {
                Carry::Events => produce(reader, &tx, &spare, Batch::push_event),
                Carry::Types => produce(reader, &tx, &spare, Batch::push_type),
            })?;
        Ok(Pipelined {
            meta,
            rx,
            recycle,
            cur: Batch::default(),
            pos: 0,
            sec: 0,
            stats: SourceStats::default(),
            finished: false,
        })
    }
}

/// The reading thread: fills batches until the reader ends or the
/// consumer goes away.
fn produce(
    mut reader: ScapReader,
    tx: &SyncSender<Batch>,
    spare: &Receiver<Batch>,
    push: impl Fn(&mut Batch, &EventRef<'_>),
) {
    let mut batch = Batch::default();
    loop {
        // The events already in the reader's buffer, without a call each.
        let ready = reader.take_ready(|ev| {
            push(&mut batch, ev);
            !batch.full()
        });
        // Until the batch is full, events and sections only go in it.
        let end = match ready {
            Err(e) => Some(Err(e)),
            Ok(()) if batch.full() => None,
            Ok(()) => match reader.next_item() {
                Ok(Some(Item::Event(ev))) => {
                    push(&mut batch, &ev);
                    if !batch.full() {
                        continue;
                    }
                    None
                }
                Ok(Some(Item::Section(meta))) => {
                    batch.sections.push((batch.slots.len(), Some(meta)));
                    if !batch.full() {
                        continue;
                    }
                    None
                }
                Ok(None) => Some(Ok(())),
                Err(e) => Some(Err(e)),
            },
        };
        let last = end.is_some();
        batch.stats = reader.stats();
        batch.end = end;
        let mut next = spare.try_recv().unwrap_or_default();
        next.data.clear();
        next.slots.clear();
        next.sections.clear();
        next.end = None;
        if tx.send(std::mem::replace(&mut batch, next)).is_err() || last {
            return;
        }
    }
}

impl Pipelined {
    /// The slots of `cur` before its next section (all of them when no
    /// section is left).
    #[inline]
    fn stop(&self) -> usize {
        match self.cur.sections.get(self.sec) {
            Some((at, _)) => *at,
            None => self.cur.slots.len(),
        }
    }

    /// The next section of `cur`, when it comes now (after `pos` slots).
    fn section_now(&mut self) -> Option<Box<CaptureMeta>> {
        match self.cur.sections.get_mut(self.sec) {
            Some((at, meta)) if *at <= self.pos => {
                self.sec += 1;
                // Taken once: a `None` is never reached again.
                meta.take()
            }
            _ => None,
        }
    }

    /// Moves to the next batch once `cur` is used up: false at the end.
    fn refill(&mut self) -> Result<bool, SourceError> {
        if self.finished {
            return Ok(false);
        }
        if let Some(end) = self.cur.end.take() {
            self.finished = true;
            end?;
            return Ok(false);
        }
        let Ok(next) = self.rx.recv() else {
            // The reader thread is gone without a last batch.
            self.finished = true;
            return Err(SourceError::Scap(ScapError::Io(std::io::Error::other(
                "the reading thread stopped unexpectedly",
            ))));
        };
        let done = std::mem::replace(&mut self.cur, next);
        self.pos = 0;
        self.sec = 0;
        self.stats = self.cur.stats;
        let _ = self.recycle.send(done);
        Ok(true)
    }
}

impl Source for Pipelined {
    fn next_item(&mut self) -> Result<Option<Item<'_>>, SourceError> {
        loop {
            if self.pos < self.stop() {
                let Some(s) = self.cur.slots.get(self.pos).copied() else {
                    break;
                };
                self.pos += 1;
                // A copy of an event the reader checked: bound again
                // without a second validation.
                let ev = self
                    .cur
                    .data
                    .get(s.start..)
                    .and_then(|b| b.get(..s.len as usize))
                    .and_then(|b| s.checked.bind(b))
                    .ok_or_else(|| SourceError::Scap(ScapError::format(0, "invalid event copy")))?;
                return Ok(Some(Item::Event(ev)));
            }
            if let Some(meta) = self.section_now() {
                return Ok(Some(Item::Section(meta)));
            }
            let used_up = self.pos >= self.cur.slots.len() && self.sec >= self.cur.sections.len();
            if used_up && !self.refill()? {
                return Ok(None);
            }
        }
        Err(SourceError::Scap(ScapError::format(
            0,
            "invalid event copy",
        )))
    }

    fn next_run(&mut self) -> Result<Option<Run<'_>>, SourceError> {
        loop {
            let stop = self.stop();
            if self.pos < stop {
                let from = self.pos;
                self.pos = stop;
                let slots = self.cur.slots.get(from..stop).unwrap_or_default();
                return Ok(Some(Run::Events(Events::copies(&self.cur.data, slots))));
            }
            if let Some(meta) = self.section_now() {
                return Ok(Some(Run::Section(meta)));
            }
            let used_up = self.pos >= self.cur.slots.len() && self.sec >= self.cur.sections.len();
            if used_up && !self.refill()? {
                return Ok(None);
            }
        }
    }

    fn meta(&self) -> &CaptureMeta {
        &self.meta
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}
