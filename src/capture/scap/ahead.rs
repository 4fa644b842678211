//! Read-ahead: a capture's bytes read (and decompressed) on a thread of
//! their own, so that the `read` system calls, which cost about as much as
//! decoding the events, overlap with it. Only for what is read as a stream
//! (gzip, pipes, several `-r` files, the TUI's and `-w` runs' input): a
//! capture file mapped into memory (`mapped.rs`) needs none.
//!
//! The bytes travel in chunks that leave [`ROOM`] free bytes in front: the
//! reader moves the unread tail of its current chunk (the start of a block
//! that goes on in the next chunk) there, and the block is whole without
//! copying the chunk. Chunks come back for reuse.

use std::io::Read;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;
use std::time::Duration;

/// Free bytes in front of each chunk's data.
pub(crate) const ROOM: usize = 512 * 1024;
/// Bytes of data per chunk.
/// (At least: a reader whose consumer keeps no chunk asks for
/// [`BIG_DATA`], fewer chunks and hand-overs.)
const DATA: usize = 256 * 1024;
/// Bytes of data per chunk for a reader whose consumer keeps none.
pub(crate) const BIG_DATA: usize = 512 * 1024;
/// Chunks read ahead of the reader.
const DEPTH: usize = 2;

/// What the reading thread sends.
pub(crate) enum Msg {
    /// A chunk: its data is `buf[ROOM..end]`.
    Data { buf: Vec<u8>, end: usize },
    /// The end of the stream.
    End,
    /// A read failed; nothing follows.
    Failed(std::io::Error),
}

/// The receiving end of a read-ahead thread.
pub(crate) struct ReadAhead {
    rx: Receiver<Msg>,
    spare: Sender<Vec<u8>>,
}

impl ReadAhead {
    /// Starts reading `src` on a new thread, in chunks of `data` bytes
    /// (at least [`DATA`]); `held` chunks may be kept by the reader's
    /// consumers besides the reader's own.
    pub(crate) fn start(
        src: Box<dyn Read + Send>,
        held: usize,
        data: usize,
    ) -> std::io::Result<ReadAhead> {
        let data = data.max(DATA);
        let (tx, rx) = mpsc::sync_channel::<Msg>(DEPTH);
        let (spare, spares) = mpsc::channel::<Vec<u8>>();
        thread::Builder::new()
            .name("syspect-io".into())
            .spawn(move || produce(src, &tx, &spares, DEPTH + 2 + held, data))?;
        Ok(ReadAhead { rx, spare })
    }

    /// The next message; `End` once the thread is gone.
    pub(crate) fn next(&self) -> Msg {
        self.rx.recv().unwrap_or(Msg::End)
    }

    /// A chunk buffer to fill again (its contents do not matter).
    pub(crate) fn give_back(&self, buf: Vec<u8>) {
        give_back(&self.spare, buf);
    }

    /// Where chunks are given back from another thread (one that holds
    /// them after the reader is done with them).
    pub(crate) fn returns(&self) -> Returns {
        Returns(self.spare.clone())
    }
}

/// Gives chunk buffers back to a read-ahead thread ([`ReadAhead::returns`]).
#[derive(Clone)]
pub(crate) struct Returns(Sender<Vec<u8>>);

impl Returns {
    /// [`ReadAhead::give_back`].
    pub(crate) fn give_back(&self, buf: Vec<u8>) {
        give_back(&self.0, buf);
    }
}

/// Sends `buf` back for reuse if it can hold a chunk and is not much
/// larger (others are freed: a buffer that gathered one huge event would
/// otherwise stay held in the pool).
fn give_back(spare: &Sender<Vec<u8>>, buf: Vec<u8>) {
    let cap = buf.capacity();
    if (ROOM + DATA..=4 * (ROOM + BIG_DATA)).contains(&cap) {
        let _ = spare.send(buf);
    }
}

/// Reads a chunk's data into `buf[ROOM..]` with as few `read` calls as
/// the source allows. Returns the end of the data, or where it stopped
/// and the error.
fn fill(
    src: &mut dyn Read,
    buf: &mut Vec<u8>,
    data: usize,
) -> Result<usize, (usize, std::io::Error)> {
    // A buffer that comes back is that long already (or longer: one
    // that gathered a block longer than a chunk).
    buf.resize(ROOM + data, 0);
    let mut end = ROOM;
    while let Some(free) = buf.get_mut(end..) {
        if free.is_empty() {
            break;
        }
        match src.read(free) {
            Ok(0) => break,
            Ok(n) => end += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err((end, e)),
        }
    }
    Ok(end)
}

/// A new chunk buffer. Allocated zeroed (`calloc`), not zeroed after:
/// fresh pages from the system are zero already, and a page is only
/// faulted in once written, so the room costs memory only as far as
/// the tails moved there reach into it, and a short stream's chunk only
/// as far as its data.
fn new_chunk(data: usize) -> Vec<u8> {
    vec![0; ROOM + data]
}

/// The reading thread: fills chunks until the end of the stream, an error,
/// or the reader going away.
fn produce(
    mut src: Box<dyn Read + Send>,
    tx: &SyncSender<Msg>,
    spares: &Receiver<Vec<u8>>,
    pool: usize,
    data: usize,
) {
    // Buffers made so far: past `pool` (those in the channel, the
    // reader's, one being filled and those its consumers hold), wait for
    // one to come back rather than make another (a new one costs page
    // faults and zeroing). One always comes back unless the reader keeps
    // more than it should: the wait is bounded all the same, so that
    // such a reader only costs memory.
    let mut made = 0;
    loop {
        let mut buf = match spares.try_recv() {
            Ok(b) => b,
            Err(_) if made < pool => {
                made += 1;
                new_chunk(data)
            }
            Err(_) => spares
                .recv_timeout(Duration::from_millis(100))
                .unwrap_or_else(|_| new_chunk(data)),
        };
        let end = match fill(&mut *src, &mut buf, data) {
            Ok(end) => end,
            Err((end, e)) => {
                if end > ROOM && tx.send(Msg::Data { buf, end }).is_err() {
                    return;
                }
                let _ = tx.send(Msg::Failed(e));
                return;
            }
        };
        if end == ROOM {
            let _ = tx.send(Msg::End);
            return;
        }
        let last = end < ROOM + data;
        if tx.send(Msg::Data { buf, end }).is_err() {
            return;
        }
        if last {
            let _ = tx.send(Msg::End);
            return;
        }
    }
}
