//! Read-ahead: a capture's bytes read (and decompressed) on a thread of
//! their own, so that the `read` system calls, which cost about as much as
//! decoding the events, overlap with it.
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
const DATA: usize = 512 * 1024;
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
    /// Starts reading `src` on a new thread.
    pub(crate) fn start(src: Box<dyn Read + Send>) -> std::io::Result<ReadAhead> {
        let (tx, rx) = mpsc::sync_channel::<Msg>(DEPTH);
        let (spare, spares) = mpsc::channel::<Vec<u8>>();
        thread::Builder::new()
            .name("syspect-io".into())
            .spawn(move || produce(src, &tx, &spares))?;
        Ok(ReadAhead { rx, spare })
    }

    /// The next message; `End` once the thread is gone.
    pub(crate) fn next(&self) -> Msg {
        self.rx.recv().unwrap_or(Msg::End)
    }

    /// A chunk buffer to fill again (its contents do not matter).
    pub(crate) fn give_back(&self, buf: Vec<u8>) {
        if buf.capacity() >= ROOM + DATA {
            let _ = self.spare.send(buf);
        }
    }
}

/// Reads a chunk's data into `buf`'s spare capacity, which
/// `read_to_end` does not zero: for the first chunk, so a short stream
/// does not touch memory it never uses. Returns the end of the data, or
/// where it stopped and the error.
fn fill_spare(src: &mut dyn Read, buf: &mut Vec<u8>) -> Result<usize, (usize, std::io::Error)> {
    // The room is written (zeroed) once per buffer.
    buf.resize(ROOM, 0);
    buf.reserve(DATA);
    match src.take(DATA as u64).read_to_end(buf) {
        Ok(_) => Ok(buf.len()),
        Err(e) => Err((buf.len(), e)),
    }
}

/// Reads a chunk's data with as few `read` calls as the source allows
/// (`read_to_end` starts small, and doubles): into the buffer's whole
/// length, zeroed once when the buffer is new, and kept at that length
/// when it comes back. Returns what [`fill_spare`] does.
fn fill_whole(src: &mut dyn Read, buf: &mut Vec<u8>) -> Result<usize, (usize, std::io::Error)> {
    buf.resize(ROOM + DATA, 0);
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

/// The reading thread: fills chunks until the end of the stream, an error,
/// or the reader going away.
fn produce(mut src: Box<dyn Read + Send>, tx: &SyncSender<Msg>, spares: &Receiver<Vec<u8>>) {
    // Buffers made so far: past a few (those in the channel, the reader's
    // and one being filled), wait a little for one to come back rather
    // than make another (a new one costs page faults and zeroing).
    let mut made = 0;
    let mut big = false;
    loop {
        let mut buf = match spares.try_recv() {
            Ok(b) => b,
            Err(_) if made < DEPTH + 2 => {
                made += 1;
                Vec::new()
            }
            Err(_) => spares
                .recv_timeout(Duration::from_millis(5))
                .unwrap_or_default(),
        };
        let filled = if big {
            fill_whole(&mut *src, &mut buf)
        } else {
            fill_spare(&mut *src, &mut buf)
        };
        let end = match filled {
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
        // A full chunk: the stream is long, and the next chunks are read
        // whole.
        big = true;
        let last = end < ROOM + DATA;
        if tx.send(Msg::Data { buf, end }).is_err() {
            return;
        }
        if last {
            let _ = tx.send(Msg::End);
            return;
        }
    }
}
