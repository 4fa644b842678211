//! A capture file read on its own thread: decompression, block parsing,
//! event validation and metadata decoding run on one core while the caller
//! (state, filter, output) runs on another.
//!
//! Events travel in batches that hold the buffer they lie in (the reader
//! checks them where they are, and copies none). For a mapped file, that
//! is the mapping, shared, and a batch is a number of events. Otherwise it
//! is a read-ahead chunk: a batch is the events of one chunk, and its
//! chunk goes back to the reading thread once the caller is done with it.
//! The few events that lie elsewhere (a block that went on in the next
//! chunk, a v1 event converted into a scratch buffer) are copied into the
//! batch's extra buffer. Batches are handed back for reuse, so the steady
//! state allocates nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use super::scap::ahead::{Returns, BIG_DATA};
use super::scap::mapped::Mapping;
use super::scap::{ScapError, ScapReader};
use super::spread::{Pin, Plan};
use super::{CaptureMeta, Events, Item, Run, Slot, Source, SourceError, SourceStats, IN_EXTRA};
use crate::event::EventRef;

/// Entries per batch (events and sections) when only the types travel,
/// or the events lie in a mapped file.
const BATCH_ITEMS: usize = 4096;
/// Slots reserved in a new batch of a chunk: about as many events as a
/// chunk can hold (a small event block is some 40 bytes), so that the
/// vector is not grown and copied as it fills. (The heap is backed by
/// huge pages where it can be, so reserved room is not free: a mapped
/// file's batches reserve [`BATCH_ITEMS`].)
const SLOTS: usize = 16384;
/// Batches in flight between the threads (each holds a chunk).
const DEPTH: usize = 2;
/// Batches in flight for a mapped file (they hold no chunk: their slots,
/// some 100 KB, the events of an old-format capture converted, up to some
/// 400 KB more, and keep their part of the mapping in): enough for the
/// reading thread to run ahead of the consumer over the stretches it takes
/// longer on (a section's tables), so that the consumer waits less. (Max
/// RSS of `dig -r` of a 79 MB file: 21 MB, with the mapping released in
/// 4 MiB windows; 18 MB with 2 batches and 1 MiB windows. 16 batches: 4-6
/// MB more than 8 on the bench's capture, sysdig's own 33 MB still above.)
const MAPPED_DEPTH: usize = 16;
/// Batches in flight when only the types travel (they hold no chunk).
const TYPES_DEPTH: usize = 4;
/// Run by a mapped file's reading thread as it starts, before its first
/// batch, if set: the heap tuning of a `dig -r` gives the thread's own
/// malloc arena huge pages there (`cli::heap`), before the thread has
/// written into it. (It used to run right after the first batch and make
/// the arena's first 2 MiB, already written, a huge page with
/// `MADV_COLLAPSE`: that took 0.45 ms of the reader's time, or 1.1 ms when
/// it had to wait for the work the collapse queues on the consumer's CPU,
/// which that work interrupted; the consumer, done with the first batch,
/// then waited for the second in some 40% of runs, 0.4-0.75 ms. Now the
/// first batch comes a few tenths of a millisecond later, held up by the
/// arena's first huge page, but still before the consumer has decoded the
/// first section's lists; on the bench's capture, release builds, each
/// run after a sysdig run, 80-100 alternating rounds: `contains` p25 -8%,
/// median -9%; `10 terms` p25 -8%, median -8%.)
pub static READER_START: OnceLock<fn()> = OnceLock::new();

/// Entries in a mapped file's first batch: the consumer, done with its
/// set-up, waits for it (a few tenths of a millisecond after the reading
/// thread starts: it is moved to its CPU and maps the file's first pages
/// in), and a smaller one comes sooner.
const FIRST_ITEMS: usize = 1024;

/// Batches in flight past which a mapped file's reader decodes a later
/// section's lists before it sends the events ahead of them
/// (`produce_mapped`).
const GATE_LOW: usize = 3;

/// Batches left in flight at which a mapped file's reader, waiting for
/// room ([`Gate`]), is woken: a few below [`MAPPED_DEPTH`], so that it
/// keeps its lead. Woken only at [`GATE_LOW`], it came to the bench
/// capture's old-format sections (which it converts, and so takes longer
/// on than the consumer) three batches ahead, and the consumer waited
/// there 0.1-0.3 ms a run; with a lead of 12 to 16 batches it never
/// waited in 30 traced runs, and `contains` took 2% less time (40
/// interleaved runs; 24 and 32 batches were no faster). It is woken
/// every 4 batches instead of every 5.
const GATE_WAKE: usize = 12;

/// Paces the reader of a mapped file, which runs ahead of its consumer
/// (it checks an event in a fraction of the time the consumer takes): once
/// [`MAPPED_DEPTH`] batches wait, it sleeps until the consumer has taken
/// them down to [`GATE_WAKE`], rather than being woken for every batch the
/// consumer takes, as a full channel would (a futex call on the consumer's
/// path and an interrupt to the reader's CPU each time, some 50 a run on
/// the bench's file, a few microseconds each on a VM).
#[derive(Default)]
struct Gate {
    /// Batches sent and not yet taken.
    in_flight: AtomicUsize,
    /// The reader is (about to be) asleep.
    waiting: AtomicBool,
    /// The consumer is gone.
    closed: AtomicBool,
    /// The reading thread, to wake.
    reader: OnceLock<thread::Thread>,
    /// Later sections whose lists the reader decoded before it sent the
    /// batch before them (see `produce_mapped`).
    sections_ahead: AtomicUsize,
}

impl Gate {
    /// The reader, before it sends a batch: waits while [`MAPPED_DEPTH`]
    /// batches are in flight. False once the consumer is gone.
    fn before_send(&self) -> bool {
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return false;
            }
            if self.in_flight.load(Ordering::SeqCst) < MAPPED_DEPTH {
                break;
            }
            self.waiting.store(true, Ordering::SeqCst);
            // (Checked again after saying so: a batch taken in between
            // either is seen here or sees `waiting`.)
            if self.in_flight.load(Ordering::SeqCst) >= MAPPED_DEPTH
                && !self.closed.load(Ordering::SeqCst)
            {
                // (Bounded all the same: a lost wake-up only costs time.)
                thread::park_timeout(Duration::from_millis(50));
            }
            self.waiting.store(false, Ordering::SeqCst);
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// The consumer, for each batch it takes.
    fn taken(&self) {
        let before = self
            .in_flight
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before <= GATE_WAKE + 1 && self.waiting.load(Ordering::SeqCst) {
            self.wake();
        }
    }

    /// The consumer is gone: the reader stops waiting.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.wake();
    }

    fn wake(&self) {
        if let Some(t) = self.reader.get() {
            t.unpark();
        }
    }
}

/// The consumer's hold on a [`Gate`]: closes it when dropped.
struct GateHold(Arc<Gate>);

impl Drop for GateHold {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Bytes of events outside the mapping (converted from an old format, or
/// copied) past which a mapped file's batch ends before [`BATCH_ITEMS`]:
/// each batch in flight keeps its buffer of them, and without a bound
/// the batches of an old-format section held some 400 KB each (4 MB with
/// [`MAPPED_DEPTH`] of them, every byte of it zeroed by the kernel when
/// first touched).
const EXTRA_BYTES: usize = 64 << 10;

#[derive(Default)]
struct Batch {
    /// The chunk the events lie in (empty when only types travel, or
    /// with `map`).
    data: Vec<u8>,
    /// The mapped file the events lie in, instead of `data`.
    map: Option<Arc<Mapping>>,
    /// Events that lie outside `data` (or `map`): the v1 events the reader
    /// converted for it ([`ScapReader::keep_converted`]), then the others,
    /// copied from `copies` when the batch is sent.
    extra: Vec<u8>,
    /// Events copied (they lay in none of the buffers above), until they
    /// are appended to `extra`.
    copies: Vec<u8>,
    /// The slots of the events in `copies` (their `start` is in `copies`
    /// until then).
    moved: Vec<usize>,
    /// The bytes of the events converted or copied for it so far (see
    /// [`EXTRA_BYTES`]).
    extra_bytes: usize,
    /// A mapped file's reader's position in the mapping when the batch
    /// was sealed (0 when unknown).
    read_to: usize,
    /// The events, in order.
    slots: Vec<Slot>,
    /// The sections read with them: each comes after this many slots.
    /// (`None` once handed out.)
    sections: Vec<(usize, Option<Box<CaptureMeta>>)>,
    /// The reader's counters once this batch was filled.
    stats: SourceStats,
    /// Set on the last batch: how the reader ended.
    end: Option<Result<(), SourceError>>,
    /// The entries at which the batch is full ([`BATCH_ITEMS`], fewer
    /// for a mapped file's first: [`FIRST_ITEMS`]).
    limit: usize,
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

    /// Records an event that lies in the buffer at the addresses `chunk`
    /// (which becomes `data`, or is `map`), or at `converted` in the
    /// reader's converted events (which become `extra`), or copies it if
    /// it lies elsewhere.
    #[inline]
    fn push_event(
        &mut self,
        ev: &EventRef<'_>,
        converted: Option<usize>,
        chunk: &std::ops::Range<usize>,
    ) {
        let b = ev.bytes();
        let at = b.as_ptr() as usize;
        let start = if chunk.start <= at && at + b.len() <= chunk.end {
            at - chunk.start
        } else if let Some(c) = converted {
            // (Converted events lie one after the other from 0.)
            self.extra_bytes = c + b.len() + self.copies.len();
            c | IN_EXTRA
        } else {
            self.moved.push(self.slots.len());
            let start = self.copies.len() | IN_EXTRA;
            self.copies.extend_from_slice(b);
            self.extra_bytes += b.len();
            start
        };
        self.slots.push(Slot {
            checked: ev.checked(),
            // The header's u32 length.
            len: ev.len() as u32,
            start,
        });
    }

    fn full(&self) -> bool {
        self.slots.len() + self.sections.len() >= self.limit || self.extra_bytes >= EXTRA_BYTES
    }

    /// Sets the events converted for the batch (empty if none), and
    /// appends the copied ones after them.
    fn seal_extra(&mut self, converted: Vec<u8>) {
        self.extra = converted;
        if self.moved.is_empty() {
            return;
        }
        if self.extra.is_empty() {
            std::mem::swap(&mut self.extra, &mut self.copies);
            return;
        }
        let base = self.extra.len();
        self.extra.extend_from_slice(&self.copies);
        for &i in &self.moved {
            if let Some(s) = self.slots.get_mut(i) {
                s.start += base;
            }
        }
    }

    /// How far into the mapping the file is read once this batch is:
    /// where the reader was when it sealed the batch (its events, in the
    /// mapping or converted from it, lie before), or, once the reader is
    /// past the mapping's end, the end of the batch's last event that lies
    /// in it (0 if none).
    fn mapped_end(&self) -> usize {
        self.slots
            .iter()
            .rev()
            .find(|s| s.start & IN_EXTRA == 0)
            .map_or(0, |s| s.start + s.len as usize)
            .max(self.read_to)
    }

    /// The buffer the events lie in: the mapping, or `data`.
    #[inline]
    fn bytes(&self) -> &[u8] {
        match &self.map {
            Some(m) => m.bytes(),
            None => &self.data,
        }
    }

    /// A batch to fill: `spare`, emptied, or a new one; its events lie in
    /// `map`, if any.
    fn reuse(spare: Option<Batch>, map: Option<&Arc<Mapping>>) -> Batch {
        // (A mapped file's batches end at BATCH_ITEMS entries.)
        let slots = if map.is_some() { BATCH_ITEMS } else { SLOTS };
        let mut b = spare.unwrap_or_else(|| Batch {
            slots: Vec::with_capacity(slots),
            ..Batch::default()
        });
        b.data.clear();
        b.map = map.cloned();
        b.extra.clear();
        b.copies.clear();
        b.moved.clear();
        b.extra_bytes = 0;
        b.read_to = 0;
        b.slots.clear();
        b.sections.clear();
        b.end = None;
        b.limit = BATCH_ITEMS;
        b
    }
}

/// A [`ScapReader`] running on a thread of its own.
pub struct Pipelined {
    /// The consumer's CPU pin, while it lasts ([`super::spread`]).
    pin: Option<Pin>,
    meta: CaptureMeta,
    rx: Receiver<Batch>,
    recycle: Sender<Batch>,
    /// Where the chunks of used batches go back to be read into again.
    chunks: Option<Returns>,
    cur: Batch,
    /// The next slot of `cur` to hand out.
    pos: usize,
    /// The next section of `cur` to hand out.
    sec: usize,
    stats: SourceStats,
    finished: bool,
    /// The pacing of a mapped file's reader.
    gate: Option<GateHold>,
}

impl Pipelined {
    /// Starts reading `reader` on a new thread.
    pub fn start(reader: ScapReader) -> Result<Pipelined, ScapError> {
        Pipelined::start_with(reader, Carry::Events)
    }

    /// [`Pipelined::start`] for a consumer that takes only what `carry`
    /// says. The first section's lists a lazy open left
    /// (`ScapReader::open_mapped_lazy`) are decoded here, once the
    /// reading thread is on its way (their errors are returned).
    pub fn start_with(mut reader: ScapReader, carry: Carry) -> Result<Pipelined, ScapError> {
        let mut meta = reader.take_meta();
        let lists = reader.take_first_lists();
        // A third thread reads the file ahead of the decoding one. The
        // batches in flight, the caller's and the one being filled hold a
        // chunk each.
        // Without the events, no chunk is held past the reader, and
        // bigger ones mean fewer hand-overs.
        let (held, data) = match carry {
            Carry::Events => (DEPTH + 2, 0),
            Carry::Types => (0, BIG_DATA),
        };
        reader.read_ahead(held, data)?;
        let chunks = match carry {
            Carry::Events => {
                reader.keep_chunks();
                reader.chunk_returns()
            }
            Carry::Types => None,
        };
        let map = reader.mapping();
        let (tx, rx) = mpsc::sync_channel::<Batch>(match (carry, &map) {
            (Carry::Events, Some(_)) => MAPPED_DEPTH,
            (Carry::Events, None) => DEPTH,
            (Carry::Types, _) => TYPES_DEPTH,
        });
        let (recycle, spare) = mpsc::channel::<Batch>();
        // (A mapped file is what `dig -r` reads, as fast as it can.)
        let plan = match (carry, &map) {
            (Carry::Events, Some(_)) => Plan::new(),
            _ => None,
        };
        let reader_plan = plan.clone();
        let gate = matches!((carry, &map), (Carry::Events, Some(_))).then(Arc::<Gate>::default);
        let reader_gate = gate.clone();
        thread::Builder::new()
            .name("syspect-read".into())
            .spawn(move || match (carry, map, reader_gate) {
                (Carry::Events, Some(map), Some(gate)) => {
                    let pin = reader_plan.as_ref().map(Plan::pin_reader);
                    gate.reader.get_or_init(thread::current);
                    produce_mapped(reader, &tx, &spare, &map, pin, &gate)
                }
                (Carry::Events, _, _) => produce_events(reader, &tx, &spare),
                (Carry::Types, _, _) => produce_types(reader, &tx, &spare),
            })?;
        // (Once the reading thread is started: it would take the mask.)
        let pin = plan.as_ref().map(Plan::pin_consumer);
        // (Held before the decoding: an error drops the channels and
        // closes the gate, and the reading thread stops.)
        let gate = gate.map(GateHold);
        if let Some(l) = lists {
            l.decode(&mut meta)?;
        }
        Ok(Pipelined {
            pin,
            meta,
            rx,
            recycle,
            chunks,
            cur: Batch::default(),
            pos: 0,
            sec: 0,
            stats: SourceStats::default(),
            finished: false,
            gate,
        })
    }
}

/// The reading thread with [`Carry::Events`]: a batch per chunk, until
/// the reader ends or the consumer goes away.
fn produce_events(mut reader: ScapReader, tx: &SyncSender<Batch>, spare: &Receiver<Batch>) {
    let mut batch = Batch::reuse(None, None);
    // Where the events of `batch` lie, until the reader leaves that chunk.
    let mut chunk = reader.buf_range();
    loop {
        let ready = reader.take_ready(|ev, _| {
            batch.push_event(ev, None, &chunk);
            true
        });
        let end = match ready {
            Err(e) => Some(Err(e)),
            Ok(()) => match reader.next_item() {
                Ok(Some(Item::Event(ev))) => {
                    batch.push_event(&ev, None, &chunk);
                    None
                }
                Ok(Some(Item::Section(meta))) => {
                    batch.sections.push((batch.slots.len(), Some(meta)));
                    None
                }
                Ok(None) => Some(Ok(())),
                Err(e) => Some(Err(e)),
            },
        };
        // The batch goes once the reader leaves its chunk, or ends.
        let data = match reader.take_retired() {
            Some(old) => old,
            None if end.is_some() => reader.take_buf(),
            None => continue,
        };
        let last = end.is_some();
        batch.data = data;
        // (Nothing converted is kept: the emptied buffer, for its capacity.)
        let none = std::mem::take(&mut batch.extra);
        batch.seal_extra(none);
        batch.stats = reader.stats();
        batch.end = end;
        let next = Batch::reuse(spare.try_recv().ok(), None);
        if tx.send(std::mem::replace(&mut batch, next)).is_err() || last {
            return;
        }
        chunk = reader.buf_range();
    }
}

/// The reading thread with [`Carry::Events`] for a mapped file: batches
/// of [`BATCH_ITEMS`] events and sections lying in `map` (the first of
/// [`FIRST_ITEMS`]; one ends early before a new section), paced by `gate`,
/// until the reader ends or the consumer goes away.
fn produce_mapped(
    mut reader: ScapReader,
    tx: &SyncSender<Batch>,
    spare: &Receiver<Batch>,
    map: &Arc<Mapping>,
    mut pin: Option<Pin>,
    gate: &Gate,
) {
    // (The reader's buffer is the mapping.)
    let range = reader.buf_range();
    reader.keep_converted();
    if let Some(f) = READER_START.get() {
        f();
    }
    let mut batch = Batch::reuse(None, Some(map));
    batch.limit = FIRST_ITEMS;
    loop {
        // (A batch that already ends, with the error of a section read
        // ahead, goes as it is.)
        let end = match batch.end.take() {
            Some(e) => Some(e),
            None => fill(&mut reader, &mut batch, |b, ev, converted| {
                b.push_event(ev, converted, &range)
            }),
        };
        if let Some(p) = pin.as_mut() {
            p.check();
        }
        let last = end.is_some();
        batch.stats = reader.stats();
        batch.end = end;
        batch.read_to = reader.mapped_pos().unwrap_or(0);
        let back = spare.try_recv().ok();
        // (Batches come back in order: the mapping before a returned
        // batch's last event is done with.)
        if let Some(b) = &back {
            map.release(b.mapped_end());
        }
        let mut next = Batch::reuse(back, Some(map));
        batch.seal_extra(reader.take_converted(std::mem::take(&mut next.extra)));
        if !last && reader.section_next() && gate.in_flight.load(Ordering::SeqCst) > GATE_LOW {
            // A new section comes next, and the consumer has more than
            // `GATE_LOW` batches to work on: its lists are decoded now (a
            // few tenths of a millisecond for a large one), before this
            // batch goes, rather than after it, when the send below may
            // first wait for room (and the consumer, done with what it
            // has, would then wait for the lists). They open the next
            // batch.
            gate.sections_ahead.fetch_add(1, Ordering::Relaxed);
            match reader.next_item() {
                Ok(Some(Item::Section(meta))) => next.sections.push((0, Some(meta))),
                // (Only a section can come next; were it an event, it
                // would open the next batch, as `fill` would have put it.)
                Ok(Some(Item::Event(ev))) => next.push_event(&ev, None, &range),
                Ok(None) => {}
                Err(e) => next.end = Some(Err(e)),
            }
        }
        // (With room for it, the send below never waits.)
        if !gate.before_send() || tx.send(std::mem::replace(&mut batch, next)).is_err() {
            return;
        }
        if last {
            break;
        }
    }
    // The consumer is still at the batches in flight: their part of the
    // mapping is released here as each comes back, rather than by the
    // process's exit, after the consumer (a third of a millisecond for
    // the 3 MB in flight at the end of the bench's capture). Until the
    // consumer goes away (or the process ends).
    drop(pin);
    while let Ok(b) = spare.recv() {
        map.release(b.mapped_end());
    }
}

/// Fills `batch` from `reader` (each event through `push`, with where
/// the reader keeps it converted, if it does) until the batch is full or
/// a new section comes after its events (`None`), or the reader ends (how
/// it ended).
fn fill(
    reader: &mut ScapReader,
    batch: &mut Batch,
    mut push: impl FnMut(&mut Batch, &EventRef<'_>, Option<usize>),
) -> Option<Result<(), SourceError>> {
    loop {
        // The events already in the reader's buffer, without a call each.
        let ready = reader.take_ready(|ev, converted| {
            push(batch, ev, converted);
            !batch.full()
        });
        // Until the batch is full, events and sections only go in it.
        match ready {
            Err(e) => return Some(Err(e)),
            Ok(()) if batch.full() => return None,
            // The events before a new section go now, ahead of its lists
            // (decoded by `next_item`, a few tenths of a millisecond for a
            // large one, which the consumer would otherwise wait out;
            // `produce_mapped` decodes them before it sends those events
            // when the consumer has more than `GATE_LOW` batches queued).
            Ok(()) if !batch.slots.is_empty() && reader.section_next() => return None,
            Ok(()) => match reader.next_item() {
                Ok(Some(Item::Event(ev))) => push(batch, &ev, None),
                Ok(Some(Item::Section(meta))) => {
                    batch.sections.push((batch.slots.len(), Some(meta)));
                }
                Ok(None) => return Some(Ok(())),
                Err(e) => return Some(Err(e)),
            },
        }
        if batch.full() {
            return None;
        }
    }
}

/// The reading thread with [`Carry::Types`]: fills batches until the
/// reader ends or the consumer goes away.
fn produce_types(mut reader: ScapReader, tx: &SyncSender<Batch>, spare: &Receiver<Batch>) {
    let mut batch = Batch::reuse(None, None);
    loop {
        let end = fill(&mut reader, &mut batch, |b, ev, _| b.push_type(ev));
        let last = end.is_some();
        batch.stats = reader.stats();
        batch.end = end;
        let next = Batch::reuse(spare.try_recv().ok(), None);
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
        // The chunk goes back to be read into before the wait.
        let chunk = std::mem::take(&mut self.cur.data);
        if let Some(r) = self.chunks.as_ref() {
            r.give_back(chunk);
        }
        if let Some(p) = self.pin.as_mut() {
            p.check();
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
        // (After the used batch went back: the reader, woken, reuses it.)
        if let Some(g) = &self.gate {
            g.0.taken();
        }
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
                let ev = s
                    .bytes(self.cur.bytes(), &self.cur.extra)
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
                return Ok(Some(Run::Events(Events::copies(
                    self.cur.bytes(),
                    &self.cur.extra,
                    slots,
                ))));
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

    fn take_meta(&mut self) -> CaptureMeta {
        std::mem::take(&mut self.meta)
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }

    /// The metadata goes back into the section's place in its batch: the
    /// reading thread frees it when the batch comes back to be reused
    /// (thousands of strings, most of a section's).
    fn section_done(&mut self, meta: Box<CaptureMeta>) {
        if let Some((_, slot)) = self
            .sec
            .checked_sub(1)
            .and_then(|i| self.cur.sections.get_mut(i))
        {
            // (The section last handed out, whose slot it emptied.)
            debug_assert!(slot.is_none(), "a section handed back twice");
            *slot = Some(meta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{captures_dir, mapped_rss_kb, missing_capture};

    /// `n` copies of the capture `rel` one after the other, in a file of
    /// a new temporary directory (there while the directory is kept);
    /// `None`, with why said, when the capture is missing.
    fn repeated(rel: &str, n: usize) -> Option<(tempfile::TempDir, std::path::PathBuf)> {
        let path = captures_dir().join(rel);
        let Ok(one) = std::fs::read(&path) else {
            missing_capture(&path);
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(format!("{n}-copies.scap"));
        std::fs::write(&file, one.repeat(n)).expect("write");
        Some((dir, file))
    }

    /// Waits (yielding) until `cond` holds; fails after a minute.
    fn until(cond: impl Fn() -> bool) {
        let give_up = std::time::Instant::now() + Duration::from_secs(60);
        while !cond() {
            assert!(std::time::Instant::now() < give_up, "waited a minute");
            thread::yield_now();
        }
    }

    /// The gate holds a mapped file's reader at [`MAPPED_DEPTH`] batches
    /// in flight, lets it go on once the consumer has taken them down to
    /// [`GATE_WAKE`], and lets it go when the consumer goes away.
    #[test]
    fn gate_paces_the_reader_and_lets_it_go() {
        let gate = Arc::new(Gate::default());
        let g = Arc::clone(&gate);
        let reader = thread::spawn(move || {
            g.reader.get_or_init(thread::current);
            let mut sent = 0;
            while g.before_send() {
                sent += 1;
            }
            sent
        });
        let in_flight = || gate.in_flight.load(Ordering::SeqCst);
        until(|| in_flight() == MAPPED_DEPTH && gate.waiting.load(Ordering::SeqCst));
        // Taken down to the mark: woken, it fills the room again, and no
        // more.
        for _ in 0..MAPPED_DEPTH - GATE_WAKE {
            gate.taken();
        }
        until(|| in_flight() == MAPPED_DEPTH && gate.waiting.load(Ordering::SeqCst));
        drop(GateHold(Arc::clone(&gate)));
        let sent = reader.join().expect("reader");
        assert_eq!(sent, 2 * MAPPED_DEPTH - GATE_WAKE);
    }

    /// A later section that the reading thread comes to while the
    /// consumer has more than [`GATE_LOW`] batches to work on is decoded
    /// before the batch ahead of it goes (here: the second copy's, after
    /// 20,306 events, six batches, none taken yet), and opens the next
    /// batch: read so, a concatenated capture gives what a plain reader
    /// gives, item for item.
    #[test]
    fn a_section_met_with_batches_in_flight_is_decoded_before_the_send() {
        let Some((_dir, file)) = repeated("sysflow/objectstore_download.scap", 2) else {
            return;
        };
        // Each item: an event's bytes, or a section's process count.
        let items = |src: &mut dyn Source| {
            let mut out: Vec<Result<Vec<u8>, usize>> = Vec::new();
            while let Some(it) = src.next_item().expect("read") {
                out.push(match it {
                    Item::Event(e) => Ok(e.bytes().to_vec()),
                    Item::Section(m) => Err(m.procs.len()),
                });
            }
            out
        };
        let want = items(&mut ScapReader::open(&file).expect("open"));
        let mapped = ScapReader::open_mapped(&file).expect("open mapped");
        assert!(mapped.mapping().is_some(), "the capture is not mapped");
        let mut piped = Pipelined::start(mapped).expect("start");
        let gate = piped
            .gate
            .as_ref()
            .map(|g| Arc::clone(&g.0))
            .expect("a mapped file's gate");
        until(|| gate.sections_ahead.load(Ordering::Relaxed) == 1);
        let got = items(&mut piped);
        assert_eq!(gate.sections_ahead.load(Ordering::Relaxed), 1);
        assert_eq!(
            got.iter().filter(|i| i.is_err()).count(),
            1,
            "one later section"
        );
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the items differ");
    }

    /// A concatenated capture read by the mapped reader's `fill`: each
    /// later section comes first in its batch, the events before it having
    /// gone in the batch before (`fill` returns them before it decodes the
    /// section's lists).
    #[test]
    fn a_new_section_starts_a_batch() {
        let Some((_dir, file)) = repeated("sysflow/namespaces_setns.scap", 3) else {
            return;
        };
        let mut reader = ScapReader::open_mapped(&file).expect("open mapped");
        let map = reader.mapping().expect("the capture is not mapped");
        let range = reader.buf_range();
        reader.keep_converted();
        let (mut sections, mut events) = (0, 0);
        loop {
            let mut batch = Batch::reuse(None, Some(&map));
            let end = fill(&mut reader, &mut batch, |b, ev, converted| {
                b.push_event(ev, converted, &range)
            });
            for (at, _) in &batch.sections {
                assert_eq!(*at, 0, "a section after {at} events of its batch");
            }
            sections += batch.sections.len();
            events += batch.slots.len();
            let _ = reader.take_converted(Vec::new());
            if let Some(end) = end {
                end.expect("read");
                break;
            }
        }
        assert_eq!(sections, 2, "the two later sections");
        assert!(events > 0);
    }

    /// An old-format capture, mapped, read through the pipeline (its
    /// events converted by the reading thread): the same events as the
    /// plain reader's, in batches that end once they hold
    /// [`EXTRA_BYTES`] of converted events (a batch of 4096 held some
    /// 400 KB before).
    #[test]
    fn mapped_batches_bound_their_converted_events() {
        let path = captures_dir().join("bencer-examples/example2_502error.scap");
        let Ok(mut plain) = ScapReader::open(&path) else {
            return missing_capture(&path);
        };
        let mut want = Vec::new();
        while let Some(it) = plain.next_item().expect("plain read") {
            if let Item::Event(e) = it {
                want.push(e.bytes().to_vec());
            }
        }
        let mapped = ScapReader::open_mapped(&path).expect("open mapped");
        assert!(mapped.mapping().is_some(), "the capture is not mapped");
        let mut piped = Pipelined::start(mapped).expect("start");
        let (mut got, mut most) = (Vec::new(), 0);
        while let Some(it) = piped.next_item().expect("piped read") {
            if let Item::Event(e) = it {
                got.push(e.bytes().to_vec());
            }
            most = most.max(piped.cur.extra.len());
        }
        assert_eq!(got.len(), want.len());
        assert!(got == want, "the events differ");
        // (Converted, the largest event of this capture is under 4 KB.)
        assert!(most > EXTRA_BYTES / 2, "nothing converted? {most}");
        assert!(most < EXTRA_BYTES + 4096, "{most} bytes in one batch");
    }

    /// A mapped file read to its end, the consumer still holding its last
    /// batch: the reading thread has dropped from the page tables the part
    /// of the mapping behind every batch handed back, up to the end (not
    /// only while it was reading: the batches in flight when it finished,
    /// some 3 MB of the bench's capture, were left to the process's exit),
    /// old-format captures too (whose events are all converted, and lie in
    /// none of the batches' slices of the mapping).
    #[test]
    fn mapped_pages_are_released_behind_the_consumer_to_the_end() {
        for rel in [
            "sysflow/mpm-event_full_capture.scap",
            "bencer-examples/example2_502error.scap",
        ] {
            let Some((_dir, path)) = repeated(rel, 4) else {
                return;
            };
            let mapped = ScapReader::open_mapped(&path).expect("open mapped");
            let Some(map) = mapped.mapping() else {
                panic!("{rel}: not mapped");
            };
            let start = map.bytes().as_ptr() as usize;
            let mut piped = Pipelined::start(mapped).expect("start");
            let mut events = 0;
            while let Some(it) = piped.next_item().expect("read") {
                events += u64::from(matches!(it, Item::Event(_)));
            }
            assert!(events > 5 * BATCH_ITEMS as u64, "{rel}: {events} events");
            // What may be left: the last batch and the rest of its release
            // window (released a little after each batch comes back).
            let most = (crate::capture::scap::mapped::RELEASE as u64 >> 10) + 1024;
            let mut rss = None;
            for _ in 0..200 {
                rss = mapped_rss_kb(start);
                if rss.is_some_and(|kb| kb < most) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let rss = rss.expect("the mapping in smaps");
            assert!(rss < most, "{rel}: {rss} kB of the mapping still mapped in");
        }
    }
}
