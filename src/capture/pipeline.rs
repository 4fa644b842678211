//! A capture file read on its own thread: decompression, block parsing,
//! event validation and metadata decoding run on one core while the caller
//! (state, filter, output) runs on another. Events travel in batches of
//! copied bytes, handed back for reuse, so the steady state allocates
//! nothing.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use super::scap::{ScapError, ScapReader};
use super::{CaptureMeta, Item, Source, SourceError, SourceStats};
use crate::event::Checked;

/// Bytes of event data per batch: big enough to make the hand-over cheap,
/// small enough to stay in the cache.
const BATCH_BYTES: usize = 256 * 1024;
/// Entries per batch (events and sections).
const BATCH_ITEMS: usize = 4096;
/// Batches in flight between the threads.
const DEPTH: usize = 4;

enum Entry {
    Event {
        checked: Checked,
        start: usize,
        end: usize,
    },
    Section(Box<CaptureMeta>),
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    entries: Vec<Entry>,
    /// The reader's counters once this batch was filled.
    stats: SourceStats,
    /// Set on the last batch: how the reader ended.
    end: Option<Result<(), SourceError>>,
}

impl Batch {
    fn full(&self) -> bool {
        self.data.len() >= BATCH_BYTES || self.entries.len() >= BATCH_ITEMS
    }
}

/// A [`ScapReader`] running on a thread of its own.
pub struct Pipelined {
    meta: CaptureMeta,
    rx: Receiver<Batch>,
    recycle: Sender<Batch>,
    cur: Batch,
    pos: usize,
    stats: SourceStats,
    finished: bool,
}

impl Pipelined {
    /// Starts reading `reader` on a new thread.
    pub fn start(mut reader: ScapReader) -> std::io::Result<Pipelined> {
        let meta = reader.take_meta();
        let (tx, rx) = mpsc::sync_channel::<Batch>(DEPTH);
        let (recycle, spare) = mpsc::channel::<Batch>();
        thread::Builder::new()
            .name("syspect-read".into())
            .spawn(move || produce(reader, &tx, &spare))?;
        Ok(Pipelined {
            meta,
            rx,
            recycle,
            cur: Batch::default(),
            pos: 0,
            stats: SourceStats::default(),
            finished: false,
        })
    }
}

/// The reading thread: fills batches until the reader ends or the
/// consumer goes away.
fn produce(mut reader: ScapReader, tx: &SyncSender<Batch>, spare: &Receiver<Batch>) {
    let mut batch = Batch::default();
    loop {
        let end = match reader.next_item() {
            Ok(Some(Item::Event(ev))) => {
                let start = batch.data.len();
                batch.data.extend_from_slice(ev.bytes());
                batch.entries.push(Entry::Event {
                    checked: ev.checked(),
                    start,
                    end: batch.data.len(),
                });
                None
            }
            Ok(Some(Item::Section(meta))) => {
                batch.entries.push(Entry::Section(meta));
                None
            }
            Ok(None) => Some(Ok(())),
            Err(e) => Some(Err(e)),
        };
        let last = end.is_some();
        if last || batch.full() {
            batch.stats = reader.stats();
            batch.end = end;
            let mut next = spare.try_recv().unwrap_or_default();
            next.data.clear();
            next.entries.clear();
            next.end = None;
            if tx.send(std::mem::replace(&mut batch, next)).is_err() || last {
                return;
            }
        }
    }
}

impl Source for Pipelined {
    fn next_item(&mut self) -> Result<Option<Item<'_>>, SourceError> {
        loop {
            if self.pos < self.cur.entries.len() {
                let i = self.pos;
                self.pos += 1;
                return match &mut self.cur.entries[i] {
                    Entry::Event {
                        checked,
                        start,
                        end,
                    } => {
                        // A copy of an event the reader checked: bound
                        // again without a second validation.
                        let ev = checked.bind(&self.cur.data[*start..*end]).ok_or_else(|| {
                            SourceError::Scap(ScapError::format(0, "invalid event copy"))
                        })?;
                        Ok(Some(Item::Event(ev)))
                    }
                    Entry::Section(meta) => Ok(Some(Item::Section(std::mem::take(meta)))),
                };
            }
            if self.finished {
                return Ok(None);
            }
            if let Some(end) = self.cur.end.take() {
                self.finished = true;
                end?;
                return Ok(None);
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
            self.stats = self.cur.stats;
            let _ = self.recycle.send(done);
        }
    }

    fn meta(&self) -> &CaptureMeta {
        &self.meta
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}
