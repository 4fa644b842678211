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

/// The reading thread: fills chunks until the end of the stream, an error,
/// or the reader going away.
fn produce(mut src: Box<dyn Read + Send>, tx: &SyncSender<Msg>, spares: &Receiver<Vec<u8>>) {
    // Buffers made so far: past a few (those in the channel, the reader's
    // and one being filled), wait a little for one to come back rather
    // than make another (a new one costs page faults and zeroing).
    let mut made = 0;
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
        // The room is written (zeroed) once per buffer; the data is read
        // into spare capacity, which `read_to_end` does not zero.
        buf.resize(ROOM, 0);
        buf.reserve(DATA);
        if let Err(e) = (&mut src).take(DATA as u64).read_to_end(&mut buf) {
            if buf.len() > ROOM {
                let end = buf.len();
                if tx.send(Msg::Data { buf, end }).is_err() {
                    return;
                }
            }
            let _ = tx.send(Msg::Failed(e));
            return;
        }
        let end = buf.len();
        if end == ROOM {
            let _ = tx.send(Msg::End);
            return;
        }
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
