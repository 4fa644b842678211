//! Streaming `.scap` reader.
//!
//! A regular file opened with [`ScapReader::open_mapped`] is mapped into memory
//! ([`super::mapped`]): every block is already contiguous there, and events
//! are handed out as [`EventRef`]s borrowing the mapping. Anything else
//! (gzip, which is sniffed and decompressed on the fly, pipes, a file that
//! cannot be mapped, and the part of a file that grew after it was mapped)
//! is read in large chunks into one growable buffer; every block is made
//! contiguous in that buffer and events borrow it. Either way the common
//! path (v2 event blocks) copies and allocates nothing per event.
//! v1 events (22-byte header, no `nparams`) are converted into a reusable
//! scratch buffer.
//!
//! The metadata phase of the first section is read by [`ScapReader::open`]
//! (by [`ScapReader::open_mapped_lazy`], its process, fd, interface and
//! user lists only checked as blocks: [`Source::meta`] lacks them until the
//! caller decodes the [`FirstLists`] it takes, as `Pipelined` does once its
//! reading thread runs); a later section header (concatenated captures) is
//! announced with [`Item::Section`].
//!
//! After an error the reader is fused: further calls return `Ok(None)`.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::path::Path;
use std::sync::Arc;

use super::ahead::{Msg, ReadAhead, Returns, ROOM};
use super::blocks::{self, EvKind, Kind};
use super::mapped::Mapping;
use super::metablocks;
use super::ScapError;
use crate::capture::{CaptureMeta, Item, Source, SourceError, SourceStats};
use crate::event::{table, EventRef, HDR_LEN, HDR_LEN_V1};

/// How many bytes ahead of the event it checks [`ScapReader::take_ready`]
/// asks the CPU for the input (the mapped page cache, or the buffer read
/// into, which this CPU has not read yet): the hardware's own prefetcher
/// stops at each 4 KiB page, where the walk would otherwise wait (3-8% off
/// `dig -r` on the bench's capture).
const PREFETCH_BYTES: usize = 4096;

/// Bytes asked of the underlying reader at a time (and the initial buffer).
const CHUNK: usize = 1 << 20;
/// The first buffer: small captures (and the first section of big ones,
/// before read-ahead takes over) never touch a whole chunk.
const FIRST_CHUNK: usize = 64 << 10;
/// Bytes of a mapped file whose pages are mapped in at a time, ahead of
/// the reader (a multiple of the page size).
const POPULATE: usize = 1 << 20;

#[inline]
fn le16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}
#[inline]
fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

/// The buffered input: `bytes()[start..end]` is read but not yet consumed;
/// `base` is the stream offset of `bytes()[0]` (modulo 2^64: with read-ahead
/// chunks, `buf[0]` may lie before the start of the stream).
struct Input {
    src: Box<dyn Read + Send>,
    /// A mapped file: the bytes are the mapping's (`buf` is unused) until
    /// the reader is past its end.
    map: Option<Arc<Mapping>>,
    /// The mapped file, read from the mapping's end on if it grew.
    file: Option<File>,
    /// The bytes of the mapping mapped in so far ([`Input::populate`]).
    populated: usize,
    /// Set once `src` reads on a thread of its own.
    ahead: Option<ReadAhead>,
    gz: bool,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
    /// Keep the chunks read ahead once used, in `retired`, rather than
    /// give them back: the consumer of the events still reads them.
    keep: bool,
    /// The buffers replaced since the last [`ScapReader::take_retired`],
    /// oldest first.
    retired: Vec<Vec<u8>>,
    /// `buf` is a buffer of our own joining a tail longer than the room in
    /// front of a chunk to the chunks after it (not a read-ahead chunk).
    joined: bool,
}

impl Input {
    /// Input read from `src` (`gz`: decompressed), nothing read yet.
    fn new(src: Box<dyn Read + Send>, gz: bool) -> Input {
        Input {
            src,
            map: None,
            file: None,
            populated: 0,
            ahead: None,
            gz,
            buf: Vec::new(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            keep: false,
            retired: Vec::new(),
            joined: false,
        }
    }

    #[inline]
    fn avail(&self) -> usize {
        self.end - self.start
    }
    #[inline]
    fn offset(&self) -> u64 {
        self.base.wrapping_add(self.start as u64)
    }
    /// The buffer: the mapping, or `buf`.
    #[inline]
    fn bytes(&self) -> &[u8] {
        bytes_of(&self.map, &self.buf)
    }
    #[inline]
    fn data(&self) -> &[u8] {
        &self.bytes()[self.start..self.end]
    }

    /// With a mapping, maps in its pages ahead of `start` once the reader
    /// comes within half a window of those mapped so far (and counts them
    /// as read for `dig -P`).
    #[inline]
    fn populate(&mut self) {
        let Some(m) = self.map.as_ref() else {
            return;
        };
        let len = m.bytes().len();
        if self.populated >= len || self.start + POPULATE / 2 < self.populated {
            return;
        }
        let from = self.populated;
        let to = (self.start + POPULATE).next_multiple_of(POPULATE).min(len);
        m.populate(from, to);
        crate::capture::progress::add((to - from) as u64);
        self.populated = to;
    }
    #[inline]
    fn consume(&mut self, n: usize) {
        self.start += n.min(self.avail());
    }

    /// Makes at least `n` bytes available from `start`, unless the stream
    /// ends first. The buffer only grows as data actually arrives, so a
    /// corrupt huge length cannot make us allocate more than about twice
    /// the size of the input.
    #[inline]
    fn fill(&mut self, n: usize) -> Result<(), ScapError> {
        if self.avail() >= n || self.eof {
            return Ok(());
        }
        self.fill_slow(n)
    }

    #[inline(never)]
    fn fill_slow(&mut self, n: usize) -> Result<(), ScapError> {
        if self.map.is_some() {
            return self.leave_map(n);
        }
        if self.ahead.is_some() {
            return self.fill_ahead(n);
        }
        if self.avail() == 0 {
            self.base += self.end as u64;
            self.start = 0;
            self.end = 0;
        } else if self.start + n > self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        while self.avail() < n && !self.eof {
            if self.end == self.buf.len() {
                let need = self.start + n;
                let grow = (self.buf.len() * 2).max(FIRST_CHUNK).min(need.max(CHUNK));
                self.buf.resize(grow, 0);
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    let at = self.base + self.end as u64;
                    return Err(if self.gz {
                        ScapError::format(at, format!("corrupt or truncated gzip data: {e}"))
                    } else {
                        ScapError::Io(e)
                    });
                }
            }
        }
        Ok(())
    }

    /// [`Input::fill_slow`] at the end of a mapping: reads on with `read`
    /// from the mapping's end if the file has grown since it was mapped
    /// (the unread tail of the mapping copied into `buf` first); otherwise
    /// the stream ends there. The mapping stays alive for the events
    /// handed out from it.
    #[cold]
    fn leave_map(&mut self, n: usize) -> Result<(), ScapError> {
        let Some(m) = self.map.as_ref() else {
            return Ok(());
        };
        let len = m.bytes().len();
        let grown = match self.file.as_ref() {
            Some(f) => f.metadata()?.len() > len as u64,
            None => false,
        };
        let Some(mut f) = self.file.take().filter(|_| grown) else {
            self.eof = true;
            return Ok(());
        };
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(len as u64))?;
        self.buf = self.data().to_vec();
        self.base = self.base.wrapping_add(self.start as u64);
        self.end -= self.start;
        self.start = 0;
        self.map = None;
        self.src = Box::new(crate::capture::progress::Counted(f));
        self.fill_slow(n)
    }

    /// [`Input::fill_slow`] from read-ahead chunks: each chunk becomes the
    /// buffer, with the unread tail of the previous one moved into the room
    /// in front of its data (or, for a tail longer than that, both copied
    /// into a new buffer).
    fn fill_ahead(&mut self, n: usize) -> Result<(), ScapError> {
        while self.avail() < n && !self.eof {
            let Some(ahead) = self.ahead.as_ref() else {
                return Ok(());
            };
            let (chunk, cend) = match ahead.next() {
                Msg::Data { buf, end } => (buf, end),
                Msg::End => {
                    self.eof = true;
                    break;
                }
                Msg::Failed(e) => {
                    self.eof = true;
                    let at = self.base.wrapping_add(self.end as u64);
                    return Err(if self.gz {
                        ScapError::format(at, format!("corrupt or truncated gzip data: {e}"))
                    } else {
                        ScapError::Io(e)
                    });
                }
            };
            let off = self.offset();
            let tail = self.avail();
            if self.joined && self.start == 0 {
                // Still gathering one block longer than a chunk in a buffer
                // of its own, nothing of it handed out yet: the chunk is
                // appended (the vector doubling as it grows), not the whole
                // copied into a new buffer each time, which cost time and,
                // with every old buffer kept, memory in the square of the
                // block's size.
                self.buf.truncate(self.end);
                self.buf.extend_from_slice(&chunk[ROOM..cend]);
                ahead.give_back(chunk);
                self.end = self.buf.len();
                continue;
            }
            let old = if tail <= ROOM {
                let mut chunk = chunk;
                let at = ROOM - tail;
                chunk[at..ROOM].copy_from_slice(&self.buf[self.start..self.end]);
                self.start = at;
                self.end = cend;
                self.joined = false;
                std::mem::replace(&mut self.buf, chunk)
            } else {
                let mut joined = Vec::with_capacity(tail + cend - ROOM);
                joined.extend_from_slice(&self.buf[self.start..self.end]);
                joined.extend_from_slice(&chunk[ROOM..cend]);
                ahead.give_back(chunk);
                self.start = 0;
                self.end = joined.len();
                self.joined = true;
                std::mem::replace(&mut self.buf, joined)
            };
            if self.keep {
                self.retired.push(old);
            } else {
                ahead.give_back(old);
            }
            self.base = off.wrapping_sub(self.start as u64);
        }
        Ok(())
    }
}

/// [`Input::bytes`], borrowing only the fields it reads.
#[inline]
fn bytes_of<'a>(map: &'a Option<Arc<Mapping>>, buf: &'a [u8]) -> &'a [u8] {
    match map {
        Some(m) => m.bytes(),
        None => buf,
    }
}

/// `f` mapped into memory, if it is a regular file, not empty and not
/// gzip-compressed, and the mapping works.
fn map_file(f: &File) -> Option<Mapping> {
    let md = f.metadata().ok()?;
    if !md.is_file() {
        return None;
    }
    // (Offsets into a mapping must stay clear of the bit that marks an
    // event in a batch's extra buffer: only a concern on 32-bit targets.)
    let len = usize::try_from(md.len())
        .ok()
        .filter(|&n| n > 0 && n < crate::capture::IN_EXTRA)?;
    let map = Mapping::new(f, len).ok()?;
    match map.bytes() {
        [0x1f, 0x8b, ..] => None,
        _ => Some(map),
    }
}

/// What `next_item` decided to return, computed before borrowing buffers.
enum Next {
    Event {
        scratch: bool,
        a: usize,
        b: usize,
        cpu: u16,
        flags: u32,
        off: u64,
    },
    Section(Box<CaptureMeta>),
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Events,
    Done,
}

/// Reader of `.scap` files (plain or gzip), all format generations.
pub struct ScapReader {
    input: Input,
    meta: CaptureMeta,
    version: (u16, u16),
    stats: SourceStats,
    skipped_unknown: u64,
    skipped_blocks: u64,
    sections: u64,
    /// v1 events converted to the v2 layout: the last one, or, with
    /// `keep_converted`, all of them since [`ScapReader::take_converted`].
    scratch: Vec<u8>,
    keep_converted: bool,
    state: State,
    table_len: usize,
    /// The fd list entries of the last section read.
    last_fds: usize,
    /// Decode the metadata of the sections after the first (otherwise it is
    /// only checked, and those sections arrive with machine info alone).
    later_meta: bool,
    /// The first section's lists, left for another thread to decode
    /// ([`ScapReader::open_mapped_lazy`]).
    first_lists: Option<FirstLists>,
}

/// The process, fd, interface and user lists of a mapped file's first
/// section, checked as blocks but not decoded: [`ScapReader::open_mapped_lazy`]
/// leaves them to [`FirstLists::decode`], which the thread that opened the
/// file runs while a pipeline's reading thread is already at the events
/// (`Pipelined::start_with`): the two overlap instead of one waiting for
/// the other (a few tenths of a millisecond of a `dig -r`).
pub(crate) struct FirstLists {
    map: Arc<Mapping>,
    /// Each block's kind, its body's place in the mapping, and that
    /// place's offset in the file (for errors).
    blocks: Vec<(Kind, std::ops::Range<usize>, u64)>,
}

impl FirstLists {
    /// Decodes the lists into `meta` (whose machine info is already there),
    /// as the reader would have; the same errors, for the first bad block.
    pub(crate) fn decode(&self, meta: &mut CaptureMeta) -> Result<(), ScapError> {
        let bytes = self.map.bytes();
        for (k, at, boff) in &self.blocks {
            let Some(body) = bytes.get(at.clone()) else {
                return Err(ScapError::format(*boff, "metadata block past the mapping"));
            };
            parse_list(*k, body, *boff, true, meta)?;
        }
        Ok(())
    }
}

/// Decodes (with `keep`; only checks, without) a process, fd, interface
/// or user list block's `body` at file offset `boff` into `meta`; other
/// kinds of block are left alone.
fn parse_list(
    k: Kind,
    body: &[u8],
    boff: u64,
    keep: bool,
    meta: &mut CaptureMeta,
) -> Result<(), ScapError> {
    match k {
        Kind::Pl(v) => metablocks::parse_pl(body, boff, v, keep, &mut meta.procs),
        Kind::Fdl(v) => metablocks::parse_fdl(body, boff, v, keep, &mut meta.fds),
        Kind::Il(v) => metablocks::parse_il(body, boff, v, keep, &mut meta.interfaces),
        Kind::Ul(v) => metablocks::parse_ul(body, boff, v, keep, &mut meta.users, &mut meta.groups),
        _ => Ok(()),
    }
}

impl std::fmt::Debug for ScapReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapReader")
            .field("offset", &self.input.offset())
            .field("compressed", &self.input.gz)
            .field("version", &self.version)
            .field("stats", &self.stats)
            .field("sections", &self.sections)
            .finish()
    }
}

impl ScapReader {
    /// Opens a capture file and reads its metadata (first section), as a
    /// stream ([`ScapReader::from_reader`]).
    pub fn open(path: impl AsRef<Path>) -> Result<ScapReader, ScapError> {
        let f = File::open(path.as_ref())?;
        ScapReader::from_reader(crate::capture::progress::Counted(f))
    }

    /// [`ScapReader::open`], with a regular file mapped into memory (gzip,
    /// or a file that cannot be mapped, is read as a stream). The mapping
    /// saves the copy of every byte, at a risk `capture::scap::mapped` explains:
    /// a file truncated by another program while it is read ends the
    /// process (with a one-line error and exit status 2).
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<ScapReader, ScapError> {
        ScapReader::open_mapped_with(path.as_ref(), false)
    }

    /// [`ScapReader::open_mapped`], the first section's process, fd,
    /// interface and user lists only checked as blocks when the file is
    /// mapped: [`Source::meta`] lacks them until the caller decodes what
    /// [`ScapReader::take_first_lists`] hands it (as `Pipelined` does).
    pub(crate) fn open_mapped_lazy(path: impl AsRef<Path>) -> Result<ScapReader, ScapError> {
        ScapReader::open_mapped_with(path.as_ref(), true)
    }

    fn open_mapped_with(path: &Path, lazy: bool) -> Result<ScapReader, ScapError> {
        let f = File::open(path)?;
        match map_file(&f) {
            Some(map) => ScapReader::start(
                Input {
                    end: map.bytes().len(),
                    map: Some(Arc::new(map)),
                    file: Some(f),
                    ..Input::new(Box::new(std::io::empty()), false)
                },
                lazy,
            ),
            None => ScapReader::from_reader(crate::capture::progress::Counted(f)),
        }
    }

    /// Reads a capture from any byte stream (gzip is detected).
    pub fn from_reader(r: impl Read + Send + 'static) -> Result<ScapReader, ScapError> {
        let mut br = BufReader::with_capacity(64 * 1024, r);
        let gz = loop {
            match br.fill_buf() {
                Ok(b) => break b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(ScapError::Io(e)),
            }
        };
        let src: Box<dyn Read + Send> = if gz {
            Box::new(flate2::bufread::MultiGzDecoder::new(br))
        } else {
            Box::new(br)
        };
        ScapReader::start(Input::new(src, gz), false)
    }

    /// A reader of `input`, its first section read (its lists only
    /// checked, with `lazy` and a mapping: [`ScapReader::open_mapped_lazy`]).
    fn start(input: Input, lazy: bool) -> Result<ScapReader, ScapError> {
        let first_lists = match (&input.map, lazy) {
            (Some(map), true) => Some(FirstLists {
                map: Arc::clone(map),
                blocks: Vec::new(),
            }),
            _ => None,
        };
        let mut rd = ScapReader {
            input,
            meta: CaptureMeta::default(),
            version: (0, 0),
            stats: SourceStats::default(),
            skipped_unknown: 0,
            skipped_blocks: 0,
            sections: 0,
            scratch: Vec::new(),
            keep_converted: false,
            state: State::Events,
            table_len: table().len(),
            last_fds: 0,
            later_meta: true,
            first_lists,
        };
        // A mapped file's first section is read with its pages faulted in
        // as they are read, not a window mapped in ahead: that window is
        // mostly the events after it, which the reading thread of a
        // pipeline maps in itself (its first `populate` starts from 0),
        // and the opening thread saves some 0.1 ms.
        let held = rd.input.map.as_ref().map(|m| m.bytes().len());
        if let Some(len) = held {
            rd.input.populated = len;
        }
        rd.meta = match rd.read_section(true) {
            Ok(meta) => meta,
            Err(e) => {
                // A bad list before the bad block is the error an eager
                // read reports: the lists left for later are decoded now.
                if let Some(l) = &rd.first_lists {
                    l.decode(&mut CaptureMeta::default())?;
                }
                return Err(e);
            }
        };
        if held.is_some() {
            rd.input.populated = 0;
        }
        Ok(rd)
    }

    /// Whether the process, fd, user and interface lists of later sections
    /// (concatenated captures) are decoded, or only checked: a reader whose
    /// consumer keeps no state needs none of them.
    pub fn decode_later_metadata(&mut self, yes: bool) {
        self.later_meta = yes;
    }

    /// Moves the first section's metadata out (what [`Source::meta`]
    /// returns is empty afterwards): for a caller that keeps it elsewhere.
    pub(crate) fn take_meta(&mut self) -> CaptureMeta {
        std::mem::take(&mut self.meta)
    }

    /// Whether the next block is a section header (a concatenated
    /// capture's next part), as far as the bytes at hand say: a pipeline
    /// sends the events before it first, so that they are not held up while
    /// the new section's lists are decoded.
    pub(crate) fn section_next(&self) -> bool {
        self.state == State::Events
            && self
                .input
                .data()
                .first_chunk::<4>()
                .is_some_and(|b| u32::from_le_bytes(*b) == blocks::SHB)
    }

    /// The first section's lists a lazy open left undecoded, if any
    /// ([`ScapReader::open_mapped_lazy`]).
    pub(crate) fn take_first_lists(&mut self) -> Option<FirstLists> {
        self.first_lists.take().filter(|l| !l.blocks.is_empty())
    }

    /// From now on, the input is read (and decompressed) on a thread of its
    /// own, ahead of the decoding (a mapped file needs none: nothing
    /// changes, and what it grew by after it was mapped is read without
    /// read-ahead).
    /// `held` chunks may be held by the consumers of the events
    /// ([`ScapReader::keep_chunks`]) besides the reader's own; `data` is
    /// the bytes per chunk ([`ReadAhead::start`]).
    pub(crate) fn read_ahead(&mut self, held: usize, data: usize) -> std::io::Result<()> {
        if self.input.ahead.is_none() && self.input.map.is_none() && !self.input.eof {
            let src = std::mem::replace(&mut self.input.src, Box::new(std::io::empty()));
            self.input.ahead = Some(ReadAhead::start(src, held, data)?);
        }
        Ok(())
    }

    /// The mapping the events lie in, for a mapped file (until the reader
    /// is past its end: [`ScapReader::buf_range`] tells).
    pub(crate) fn mapping(&self) -> Option<Arc<Mapping>> {
        self.input.map.clone()
    }

    /// From now on, the buffers the events lie in are not reused once the
    /// reader is past them, but kept for [`ScapReader::take_retired`]: the
    /// events handed out stay valid after the reader moves on (in
    /// [`ScapReader::buf_range`] as it was when they were handed out).
    pub(crate) fn keep_chunks(&mut self) {
        self.input.keep = true;
    }

    /// A mapped file's position in the mapping: everything before it is
    /// read (None once the reader is past the mapping's end, or without
    /// one).
    pub(crate) fn mapped_pos(&self) -> Option<usize> {
        self.input.map.as_ref().map(|_| self.input.start)
    }

    /// The address range of the buffer the events handed out now lie in
    /// (unless they were converted into a scratch buffer): for telling
    /// where an event is in the buffer [`ScapReader::take_retired`] or
    /// [`ScapReader::take_buf`] hands over later.
    pub(crate) fn buf_range(&self) -> std::ops::Range<usize> {
        let b = self.input.bytes();
        let p = b.as_ptr() as usize;
        p..p + b.len()
    }

    /// With [`ScapReader::keep_chunks`], the buffer the reader left since
    /// the last call, if it did: the one `buf_range` described then. (Any
    /// buffer it went through after that one holds no event handed out,
    /// and goes back for reuse.)
    pub(crate) fn take_retired(&mut self) -> Option<Vec<u8>> {
        if self.input.retired.is_empty() {
            return None;
        }
        let mut more = self.input.retired.drain(..);
        let first = more.next();
        if let Some(ahead) = self.input.ahead.as_ref() {
            for b in more {
                ahead.give_back(b);
            }
        }
        first
    }

    /// The reader's current buffer, for a consumer of the events in it
    /// once the reader is done ([`Source::next_item`] ended or failed):
    /// the reader reads nothing more afterwards.
    pub(crate) fn take_buf(&mut self) -> Vec<u8> {
        self.state = State::Done;
        self.input.eof = true;
        self.input.start = 0;
        self.input.end = 0;
        std::mem::take(&mut self.input.buf)
    }

    /// Where the consumer of the events gives chunks back once done with
    /// them ([`ScapReader::keep_chunks`]); `None` without read-ahead.
    pub(crate) fn chunk_returns(&self) -> Option<Returns> {
        self.input.ahead.as_ref().map(ReadAhead::returns)
    }

    /// Events skipped because their type is beyond the event table.
    pub fn skipped_unknown(&self) -> u64 {
        self.skipped_unknown
    }
    /// Blocks of unknown type skipped (metadata or event phase).
    pub fn skipped_blocks(&self) -> u64 {
        self.skipped_blocks
    }
    /// Sections (section header blocks) read so far.
    pub fn sections(&self) -> u64 {
        self.sections
    }
    /// `(major, minor)` of the current section header.
    pub fn version(&self) -> (u16, u16) {
        self.version
    }
    /// Whether the input is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.input.gz
    }
    /// Offset of the next unread block in the (uncompressed) stream.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// Reads one whole block into the buffer: returns its type and total
    /// length; the block is `input.data()[..total]`, not yet consumed.
    /// `Ok(None)` at a clean end of stream.
    fn read_block(&mut self, first: bool) -> Result<Option<(u32, usize)>, ScapError> {
        self.input.populate();
        let off = self.input.offset();
        self.input.fill(blocks::BLOCK_HDR)?;
        let avail = self.input.avail();
        if avail == 0 {
            return Ok(None);
        }
        if avail < blocks::BLOCK_HDR {
            return Err(if first && off == 0 {
                ScapError::NotScap {
                    offset: 0,
                    msg: format!("file too short ({avail} bytes)"),
                }
            } else {
                ScapError::format(
                    off,
                    format!("truncated block header ({avail} of 8 bytes before end of file)"),
                )
            });
        }
        let d = self.input.data();
        let bt = le32(d, 0);
        let total = le32(d, 4) as usize;
        if first && off == 0 && bt != blocks::SHB {
            return Err(ScapError::NotScap {
                offset: 0,
                msg: format!("the file starts with 0x{bt:08x}, not a section header block"),
            });
        }
        if total < blocks::MIN_BLOCK {
            return Err(ScapError::format(
                off + 4,
                format!("block of type 0x{bt:x} has invalid length {total}"),
            ));
        }
        if total > blocks::MAX_BLOCK_LEN {
            return Err(ScapError::format(
                off + 4,
                format!(
                    "block of type 0x{bt:x} has length {total}, over the {} limit",
                    blocks::MAX_BLOCK_LEN
                ),
            ));
        }
        self.input.fill(total)?;
        let avail = self.input.avail();
        if avail < total {
            return Err(ScapError::format(
                off,
                format!(
                    "truncated block of type 0x{bt:x}: {total} bytes long, only {avail} left in the file"
                ),
            ));
        }
        let trailer = le32(self.input.data(), total - 4) as usize;
        if trailer != total {
            return Err(ScapError::format(
                off + total as u64 - 4,
                format!(
                    "wrong block total length for block of type 0x{bt:x}: header={total}, trailer={trailer}"
                ),
            ));
        }
        Ok(Some((bt, total)))
    }

    /// Reads a section header and the metadata blocks after it, stopping
    /// (without consuming) at the first event block, the next section
    /// header or the end of the stream.
    fn read_section(&mut self, first: bool) -> Result<CaptureMeta, ScapError> {
        let off = self.input.offset();
        let Some((bt, total)) = self.read_block(first)? else {
            return Err(if first {
                ScapError::NotScap {
                    offset: 0,
                    msg: "the file is empty".into(),
                }
            } else {
                ScapError::format(off, "expected a section header")
            });
        };
        if bt != blocks::SHB {
            return Err(ScapError::format(
                off,
                format!("expected a section header block, found type 0x{bt:x}"),
            ));
        }
        let body = &self.input.data()[blocks::BLOCK_HDR..total - 4];
        if body.len() < blocks::SHB_BODY {
            return Err(ScapError::format(
                off + 4,
                format!("section header block too short ({total} bytes)"),
            ));
        }
        let magic = le32(body, 0);
        if magic == blocks::BYTE_ORDER_MAGIC_SWAPPED {
            return Err(ScapError::format(
                off + 8,
                "byte-swapped (big-endian) capture: not supported",
            ));
        }
        if magic != blocks::BYTE_ORDER_MAGIC {
            let msg = format!("bad byte-order magic 0x{magic:08x} in the section header");
            return Err(if first {
                ScapError::NotScap {
                    offset: off + 8,
                    msg,
                }
            } else {
                ScapError::format(off + 8, msg)
            });
        }
        let major = le16(body, 4);
        let minor = le16(body, 6);
        if major != 1 {
            return Err(ScapError::format(
                off + 12,
                format!("unsupported scap version {major}.{minor} (only 1.x is known)"),
            ));
        }
        // Any pcapng options after the 16-byte body are skipped.
        self.input.consume(total);
        self.version = (major, minor);
        self.sections += 1;

        let mut meta = CaptureMeta::default();
        let keep = first || self.later_meta;
        if keep {
            // About as many as the last section had: the fd list comes in
            // a block per thread, so the vector would grow (and copy)
            // many times.
            meta.fds.reserve(self.last_fds);
        }
        let mut seen_scap = false;
        let mut deferred_fds = 0;
        loop {
            let off = self.input.offset();
            // Peek the type first: an event block ends the phase unread.
            self.input.fill(blocks::BLOCK_HDR)?;
            if self.input.avail() >= 4 {
                let bt = le32(self.input.data(), 0);
                if matches!(blocks::kind(bt), Kind::Ev(_) | Kind::Shb) {
                    break;
                }
            }
            let Some((bt, total)) = self.read_block(false)? else {
                break;
            };
            let k = blocks::kind(bt);
            let body = &self.input.data()[blocks::BLOCK_HDR..total - 4];
            let boff = off + blocks::BLOCK_HDR as u64;
            let at = self.input.start + blocks::BLOCK_HDR..self.input.start + total - 4;
            match k {
                Kind::Pl(_) | Kind::Fdl(_) | Kind::Il(_) | Kind::Ul(_)
                    if first && self.first_lists.is_some() =>
                {
                    if let Some(l) = self.first_lists.as_mut() {
                        if matches!(k, Kind::Fdl(_)) {
                            // (The hint `last_fds` gives the next section:
                            // an fd entry takes some 50 bytes.)
                            deferred_fds += at.len() / 50;
                        }
                        l.blocks.push((k, at, boff));
                    }
                }
                Kind::Mi => meta.machine = Some(metablocks::parse_mi(body, boff)?),
                Kind::Pl(_) | Kind::Fdl(_) | Kind::Il(_) | Kind::Ul(_) => {
                    parse_list(k, body, boff, keep, &mut meta)?
                }
                Kind::Pcapng(name) if first && !seen_scap => {
                    return Err(ScapError::NotScap {
                        offset: off,
                        msg: format!(
                            "this is a network pcapng capture (pcapng {name} block, type 0x{bt:x})"
                        ),
                    });
                }
                Kind::Pcapng(_) | Kind::Unknown => self.skipped_blocks += 1,
                Kind::Ev(_) | Kind::Shb => {}
            }
            if !matches!(k, Kind::Pcapng(_) | Kind::Unknown) {
                seen_scap = true;
            }
            self.input.consume(total);
        }
        self.last_fds = meta.fds.len() + deferred_fds;
        if first && !seen_scap && self.skipped_blocks > 0 && self.input.avail() == 0 {
            return Err(ScapError::NotScap {
                offset: off,
                msg: "a pcapng file without any sysdig block".into(),
            });
        }
        Ok(meta)
    }

    /// Decodes the event block at the front of the buffer (already checked
    /// by `read_block`). `Ok(None)` if the event type is unknown (skipped).
    fn event_block(
        &mut self,
        k: EvKind,
        total: usize,
        off: u64,
    ) -> Result<Option<Next>, ScapError> {
        let pre = 2 + if k.flags { 4 } else { 0 };
        let hdr = if k.v2 { HDR_LEN } else { HDR_LEN_V1 };
        if total < blocks::MIN_BLOCK + pre + hdr {
            return Err(ScapError::format(
                off + 4,
                format!("event block too short ({total} bytes)"),
            ));
        }
        let a = self.input.start + blocks::BLOCK_HDR + pre;
        let b = self.input.start + total - 4;
        let blk = &self.input.bytes()[self.input.start..self.input.start + total];
        let cpu = le16(blk, blocks::BLOCK_HDR);
        let flags = if k.flags {
            le32(blk, blocks::BLOCK_HDR + 2)
        } else {
            0
        };
        let ev = &self.input.bytes()[a..b];
        let ev_off = off + (blocks::BLOCK_HDR + pre) as u64;
        let etype = le16(ev, 20);
        if etype as usize >= self.table_len {
            return Ok(None);
        }
        if k.v2 {
            // Validated once, when the EventRef is built in `next_item`.
            let len = (le32(ev, 16) as usize).min(ev.len());
            Ok(Some(Next::Event {
                scratch: false,
                a,
                b: a + len,
                cpu,
                flags,
                off: ev_off,
            }))
        } else {
            let at = scratch_at(&mut self.scratch, self.keep_converted);
            if let Err(msg) = convert_v1(ev, &mut self.scratch) {
                return Err(ScapError::format(ev_off, msg));
            }
            let n = self.scratch.len();
            Ok(Some(Next::Event {
                scratch: true,
                a: at,
                b: n,
                cpu,
                flags,
                off: ev_off,
            }))
        }
    }

    /// If the buffer starts with a complete event block (lengths and
    /// trailer consistent, event type in the table), returns whether it
    /// is v2, where its event starts in `input.buf`, the block's total
    /// length, cpu and dump flags. Checks the same things as `read_block`
    /// + `event_block`.
    #[inline]
    fn peek_event(&self) -> Option<(bool, usize, usize, u16, u32)> {
        let d = self.input.bytes().get(self.input.start..self.input.end)?;
        let f = event_frame(d)?;
        if le16(d, f.event + 20) as usize >= self.table_len {
            return None;
        }
        Some((f.v2, self.input.start + f.event, f.total, f.cpu, f.flags))
    }

    fn advance(&mut self) -> Result<Next, ScapError> {
        loop {
            let off = self.input.offset();
            let Some((bt, total)) = self.read_block(false)? else {
                return Ok(Next::End);
            };
            match blocks::kind(bt) {
                Kind::Ev(k) => {
                    let r = self.event_block(k, total, off)?;
                    self.input.consume(total);
                    match r {
                        Some(n) => {
                            self.stats.events += 1;
                            return Ok(n);
                        }
                        None => self.skipped_unknown += 1,
                    }
                }
                Kind::Shb => {
                    let meta = self.read_section(false)?;
                    return Ok(Next::Section(Box::new(meta)));
                }
                Kind::Pcapng(_) | Kind::Unknown => {
                    self.skipped_blocks += 1;
                    self.input.consume(total);
                }
                k => {
                    return Err(ScapError::format(
                        off,
                        format!(
                            "unexpected metadata block ({k:?}, type 0x{bt:x}) after events without a new section header"
                        ),
                    ));
                }
            }
        }
    }
}

/// The framing of a whole event block at the start of `d`.
struct Frame {
    /// v2 layout (else v1).
    v2: bool,
    /// Where the event starts in `d`.
    event: usize,
    /// The block's total length.
    total: usize,
    cpu: u16,
    flags: u32,
}

/// The framing of the event block at the start of `d`, when the whole
/// block is there with consistent lengths and trailer; `None` otherwise
/// (other block types too).
#[inline(always)]
fn event_frame(d: &[u8]) -> Option<Frame> {
    let h = d.first_chunk::<{ blocks::BLOCK_HDR + 6 }>()?;
    let bt = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let total = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let cpu = u16::from_le_bytes([h[8], h[9]]);
    // (Read only for the block types that have them.)
    let flags = || u32::from_le_bytes([h[10], h[11], h[12], h[13]]);
    let (v2, pre, flags) = match bt {
        blocks::EV_V2 | blocks::EV_V2_LARGE => (true, 2, 0),
        blocks::EVF_V2 | blocks::EVF_V2_LARGE => (true, 6, flags()),
        blocks::EV | blocks::EV_INT => (false, 2, 0),
        blocks::EVF => (false, 6, flags()),
        _ => return None,
    };
    let hdr = if v2 { HDR_LEN } else { HDR_LEN_V1 };
    if total < blocks::MIN_BLOCK + pre + hdr || total > blocks::MAX_BLOCK_LEN {
        return None;
    }
    let blk = d.get(..total)?;
    if le32(blk, total - 4) as usize != total {
        return None;
    }
    Some(Frame {
        v2,
        event: blocks::BLOCK_HDR + pre,
        total,
        cpu,
        flags,
    })
}

/// Why [`v1_count`] found no parameter count.
enum V1Miss {
    /// Lengths and values end before the event does.
    EndsBefore,
    /// No count makes them end where it does.
    NoCount,
}

/// A v1 event's parameter count, found the way libscap finds it: from
/// `top` u16 lengths (at the start of `body`, the event after its
/// header) down, the first count whose lengths and values take exactly
/// `target` bytes of `body`; taking fewer is an error.
#[inline(always)]
fn v1_count(body: &[u8], top: usize, target: usize) -> Result<usize, V1Miss> {
    let Some(lens) = body.get(..2 * top) else {
        return Err(V1Miss::NoCount);
    };
    let mut n = top;
    // (At least 2 + the last length while n > 0: no underflow below.)
    let mut used = 2 * n + crate::event::sum_lens(lens, 2);
    loop {
        if used == target {
            return Ok(n);
        }
        if used < target {
            return Err(V1Miss::EndsBefore);
        }
        let Some(last) = n.checked_sub(1).and_then(|i| lens.get(2 * i..2 * i + 2)) else {
            return Err(V1Miss::NoCount);
        };
        n -= 1;
        used -= 2 + usize::from(u16::from_le_bytes([last[0], last[1]]));
    }
}

/// How a v1 event (22-byte header, u16 lengths) maps onto the v2 layout.
struct V1Layout {
    etype: u16,
    /// Parameter count.
    n: usize,
    /// u32 lengths in v2 (`EF_LARGE_PAYLOAD`).
    large: bool,
    /// End of the values in the v1 event.
    values_end: usize,
    /// Length of the v2 event.
    newlen: usize,
}

/// Checks a v1 event and works out its v2 layout, inferring `nparams` the
/// way libscap does: start from the event table's parameter count and
/// decrease it until header + lengths + values end exactly at the event's
/// end.
fn v1_layout(ev: &[u8]) -> Result<V1Layout, String> {
    if ev.len() < HDR_LEN_V1 {
        return Err(format!(
            "v1 event shorter than its header ({} bytes)",
            ev.len()
        ));
    }
    let len = le32(ev, 16) as usize;
    let etype = le16(ev, 20);
    if len < HDR_LEN_V1 || len > ev.len() {
        return Err(format!(
            "v1 event length {len} invalid ({} bytes in the block)",
            ev.len()
        ));
    }
    // End of the event in v2 coordinates (4 bytes longer header).
    let mut end = len + 4;
    if etype == blocks::PPME_NOTIFICATION_E || etype == blocks::PPME_INFRASTRUCTURE_EVENT_E {
        // Old captures stored a length 3 bytes too long for these.
        end -= 3;
        if end < HDR_LEN {
            return Err(format!("v1 event length {len} too short for its type"));
        }
    }
    let body = &ev[HDR_LEN_V1..len];
    let info = table().get(etype);
    let top = info.params.len().min(end.saturating_sub(HDR_LEN) / 2);
    let n = v1_count(body, top, end - HDR_LEN).map_err(|miss| {
        let why = match miss {
            V1Miss::EndsBefore => "parameters end before the event",
            V1Miss::NoCount => "no parameter count matches its length",
        };
        format!("cannot convert v1 event (type {etype}) to v2: {why}")
    })?;
    let large = info.large_payload();
    let values_end = end - 4;
    let values = values_end - HDR_LEN_V1 - 2 * n;
    Ok(V1Layout {
        etype,
        n,
        large,
        values_end,
        newlen: HDR_LEN + if large { 4 } else { 2 } * n + values,
    })
}

/// Where the next v1 event converted into the scratch buffer goes: after
/// those kept there (`keep`, see [`ScapReader::keep_converted`]), or at
/// its start, the last one dropped.
fn scratch_at(scratch: &mut Vec<u8>, keep: bool) -> usize {
    if !keep {
        scratch.clear();
    }
    scratch.len()
}

/// The v2 header of a converted v1 event.
fn v2_header(ev: &[u8], l: &V1Layout) -> [u8; HDR_LEN] {
    let mut hdr = [0u8; HDR_LEN];
    hdr[..16].copy_from_slice(&ev[..16]);
    hdr[16..20].copy_from_slice(&(l.newlen as u32).to_le_bytes());
    hdr[20..22].copy_from_slice(&l.etype.to_le_bytes());
    hdr[22..26].copy_from_slice(&(l.n as u32).to_le_bytes());
    hdr
}

/// Converts a v1 event into the v2 layout, in `out`.
fn convert_v1(ev: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let l = v1_layout(ev)?;
    out.reserve(l.newlen);
    out.extend_from_slice(&v2_header(ev, &l));
    if l.large {
        let lens = &ev[HDR_LEN_V1..HDR_LEN_V1 + 2 * l.n];
        for c in lens.chunks_exact(2) {
            let l = u16::from_le_bytes([c[0], c[1]]);
            out.extend_from_slice(&u32::from(l).to_le_bytes());
        }
        out.extend_from_slice(&ev[HDR_LEN_V1 + 2 * l.n..l.values_end]);
    } else {
        // Same u16 lengths as in the v1 layout, the values after them.
        out.extend_from_slice(&ev[HDR_LEN_V1..l.values_end]);
    }
    Ok(())
}

/// [`convert_v1`] for the common case, appended to `out`: the event's
/// lengths stay u16 in v2 (its type is not `EF_LARGE_PAYLOAD`, nor one
/// whose stored length is off) and [`v1_layout`] finds its parameter
/// count. False (`out` untouched) for anything else, which `convert_v1`
/// then handles, errors included. The same event as `convert_v1` makes:
/// a v2 header, then the v1 lengths and values as they are.
#[inline(always)]
fn convert_v1_common(ev: &[u8], lsz: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(h) = ev.first_chunk::<HDR_LEN_V1>() else {
        return false;
    };
    let len = u32::from_le_bytes([h[16], h[17], h[18], h[19]]) as usize;
    let etype = u16::from_le_bytes([h[20], h[21]]);
    if len < HDR_LEN_V1
        || etype == blocks::PPME_NOTIFICATION_E
        || etype == blocks::PPME_INFRASTRUCTURE_EVENT_E
        || lsz.get(usize::from(etype)) != Some(&2)
    {
        return false;
    }
    let Some(body) = ev.get(HDR_LEN_V1..len) else {
        return false;
    };
    // (`v1_layout`'s search; its end is the body's here.)
    let top = table().get(etype).params.len().min(body.len() / 2);
    let Ok(n) = v1_count(body, top, body.len()) else {
        return false;
    };
    // (The v2 length and count must fit their u32 header fields.)
    if u32::try_from(len + 4).is_err() || u32::try_from(n).is_err() {
        return false;
    }
    let l = V1Layout {
        etype,
        n,
        large: false,
        values_end: len,
        newlen: len + 4,
    };
    out.reserve(l.newlen);
    out.extend_from_slice(&v2_header(ev, &l));
    out.extend_from_slice(body);
    true
}

/// Converts the v1 event at `buf[at..end]` into the v2 layout where it
/// lies, when its lengths stay u16: the v2 header, 4 bytes longer, takes
/// the 4 bytes before `at` (block framing already read), and the lengths
/// and values stay put. Returns where the v2 event starts, or `None` when
/// it cannot be done in place (u32 lengths, or no room before `at`).
fn convert_v1_in_place(buf: &mut [u8], at: usize, end: usize) -> Result<Option<usize>, String> {
    let Some(ev) = buf.get(at..end) else {
        return Ok(None);
    };
    let l = v1_layout(ev)?;
    if l.large || at < 4 {
        return Ok(None);
    }
    let hdr = v2_header(ev, &l);
    buf[at - 4..at + HDR_LEN_V1].copy_from_slice(&hdr);
    Ok(Some(at - 4))
}

impl ScapReader {
    /// The fast path of `next_item`: the event of a whole event block of a
    /// known type, its lengths and trailer consistent, already in the
    /// buffer; `None` for anything else (partial block, other block types,
    /// unknown event types, inconsistent lengths), which the general path
    /// handles and turns into errors. Both paths check the same things and
    /// give the same errors.
    ///
    /// Also returns where the event starts in the scratch buffer when it
    /// was converted there and is kept ([`ScapReader::keep_converted`]).
    #[inline(always)]
    fn ready_event(&mut self) -> Option<Result<(EventRef<'_>, Option<usize>), SourceError>> {
        let (v2, a, total, cpu, flags) = self.peek_event()?;
        let end = self.input.start + total - 4;
        let off = self.input.base.wrapping_add(a as u64);
        let mut kept = None;
        let bytes: &[u8] = if v2 {
            &bytes_of(&self.input.map, &self.input.buf)[a..end]
        } else {
            // The block is consumed below: its framing before the event
            // can take the longer v2 header. (Not in a mapping, which is
            // read-only: the event is converted into the scratch buffer.)
            let in_place = if self.input.map.is_none() {
                convert_v1_in_place(&mut self.input.buf, a, end)
            } else {
                Ok(None)
            };
            match in_place {
                Ok(Some(from)) => &self.input.buf[from..end],
                Ok(None) => {
                    let at = scratch_at(&mut self.scratch, self.keep_converted);
                    if let Err(msg) = convert_v1(&self.input.bytes()[a..end], &mut self.scratch) {
                        self.state = State::Done;
                        return Some(Err(ScapError::format(off, msg).into()));
                    }
                    if self.keep_converted {
                        kept = Some(at);
                    }
                    &self.scratch[at..]
                }
                Err(msg) => {
                    self.state = State::Done;
                    return Some(Err(ScapError::format(off, msg).into()));
                }
            }
        };
        self.input.start += total;
        Some(match EventRef::new(cpu, flags, bytes) {
            Ok(ev) => {
                self.stats.events += 1;
                Ok((ev, kept))
            }
            Err(e) => {
                self.state = State::Done;
                Err(invalid_event(off, e))
            }
        })
    }

    /// From now on, the v1 events converted into the scratch buffer stay
    /// there, one after the other, until [`ScapReader::take_converted`]:
    /// [`ScapReader::take_ready`] tells where each starts, and a consumer
    /// keeps them without a copy.
    pub(crate) fn keep_converted(&mut self) {
        self.keep_converted = true;
    }

    /// The events converted since the last call
    /// ([`ScapReader::keep_converted`]); `empty` takes their place.
    pub(crate) fn take_converted(&mut self, mut empty: Vec<u8>) -> Vec<u8> {
        // Room for as many as last time, so that the buffer is not grown
        // (and copied) step by step again when `empty` is a new one.
        empty.reserve(self.scratch.len());
        std::mem::replace(&mut self.scratch, empty)
    }

    /// Hands the events already in the buffer to `take`, one after the
    /// other, while it returns true: the events `next_item` would return
    /// next, without a call per event. Stops before anything else
    /// (sections, partial blocks, the end), which `next_item` returns.
    /// With [`ScapReader::keep_converted`], `take` is also told where an
    /// event converted into the scratch buffer starts there.
    pub(crate) fn take_ready(
        &mut self,
        mut take: impl FnMut(&EventRef<'_>, Option<usize>) -> bool,
    ) -> Result<(), SourceError> {
        if self.state == State::Done {
            return Ok(());
        }
        let lsz = crate::event::lsz_by_type();
        self.input.populate();
        loop {
            // (The scratch buffer is only written for v1 events out of a
            // mapping: the others are converted in place by `ready_event`.)
            let mapped = self.input.map.is_some();
            // Whole event blocks in one pass, the position and count kept
            // in locals; everything else (and every error) through
            // `ready_event`, which checks the same.
            let buf = bytes_of(&self.input.map, &self.input.buf);
            let data = buf.get(..self.input.end).unwrap_or_default();
            let mut pos = self.input.start;
            let mut n = 0;
            let mut more = true;
            while let Some(d) = data.get(pos..) {
                if let Some(b) = d.get(PREFETCH_BYTES) {
                    crate::capture::prefetch(b);
                }
                let Some(f) = event_frame(d) else {
                    break;
                };
                let (ev, kept) = if f.v2 {
                    match d
                        .get(f.event..f.total - 4)
                        .and_then(|e| EventRef::check(f.cpu, f.flags, e, lsz))
                    {
                        Some(ev) => (ev, None),
                        None => break,
                    }
                } else if mapped {
                    let at = scratch_at(&mut self.scratch, self.keep_converted);
                    let ev = d
                        .get(f.event..f.total - 4)
                        .filter(|e| convert_v1_common(e, lsz, &mut self.scratch))
                        .and_then(|_| EventRef::check(f.cpu, f.flags, &self.scratch[at..], lsz));
                    match ev {
                        Some(ev) => (ev, self.keep_converted.then_some(at)),
                        None => {
                            // Converted again (or not) by the general path.
                            self.scratch.truncate(at);
                            break;
                        }
                    }
                } else {
                    break;
                };
                pos += f.total;
                n += 1;
                if !take(&ev, kept) {
                    more = false;
                    break;
                }
            }
            self.input.start = pos;
            self.stats.events += n;
            if !more {
                break;
            }
            match self.ready_event() {
                Some(r) => {
                    let (ev, kept) = r?;
                    if !take(&ev, kept) {
                        break;
                    }
                }
                None => break,
            }
        }
        Ok(())
    }
}

impl Source for ScapReader {
    fn next_item(&mut self) -> Result<Option<Item<'_>>, SourceError> {
        if self.state == State::Done {
            return Ok(None);
        }
        self.input.populate();
        if self.peek_event().is_none() {
            return self.next_slow();
        }
        match self.ready_event() {
            Some(Ok((ev, _))) => Ok(Some(Item::Event(ev))),
            Some(Err(e)) => Err(e),
            // peek_event just found the event: not reached.
            None => Err(ScapError::format(0, "reader: an event in the buffer vanished").into()),
        }
    }

    fn meta(&self) -> &CaptureMeta {
        &self.meta
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}

#[cold]
#[inline(never)]
fn invalid_event(off: u64, e: crate::event::EventError) -> SourceError {
    ScapError::format(off, format!("invalid event: {e}")).into()
}

impl ScapReader {
    /// `next_item` for everything but a v2 event block already in the
    /// buffer: kept out of line so the fast path stays small.
    #[inline(never)]
    fn next_slow(&mut self) -> Result<Option<Item<'_>>, SourceError> {
        let next = match self.advance() {
            Ok(n) => n,
            Err(e) => {
                self.state = State::Done;
                return Err(e.into());
            }
        };
        match next {
            Next::End => {
                self.state = State::Done;
                Ok(None)
            }
            Next::Section(m) => Ok(Some(Item::Section(m))),
            Next::Event {
                scratch,
                a,
                b,
                cpu,
                flags,
                off,
            } => {
                let bytes = if scratch {
                    &self.scratch[a..b]
                } else {
                    &self.input.bytes()[a..b]
                };
                // Only `state` and `stats` are touched on the error path, so
                // the borrow of the buffers can be returned on success.
                match EventRef::new(cpu, flags, bytes) {
                    Ok(ev) => Ok(Some(Item::Event(ev))),
                    Err(e) => {
                        self.state = State::Done;
                        self.stats.events = self.stats.events.saturating_sub(1);
                        Err(invalid_event(off, e))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::ScapReader;
    use crate::capture::pipeline::Pipelined;
    use crate::capture::{Item, Run, Source};

    /// A first section with a bad interface list and, after it, a block
    /// whose trailer is wrong: opened lazily, it gives the error an eager
    /// open gives (the list's, the first in the file), not the later one.
    #[test]
    fn a_lazy_open_reports_the_first_bad_block() {
        use super::super::blocks::{self, Kind};
        let path = crate::testing::captures_dir().join("sysflow/mpm-event_full_capture.scap");
        let Ok(mut bytes) = std::fs::read(&path) else {
            return crate::testing::missing_capture(&path);
        };
        // The first section's blocks: (kind, offset, total length).
        let mut at = 0;
        let mut found = Vec::new();
        while at + 8 <= bytes.len() {
            let (bt, total) = (
                super::le32(&bytes, at),
                super::le32(&bytes, at + 4) as usize,
            );
            let k = blocks::kind(bt);
            if matches!(k, Kind::Ev(_)) {
                break;
            }
            found.push((k, at, total));
            at += total;
        }
        let il = found
            .iter()
            .find(|b| matches!(b.0, Kind::Il(_)))
            .expect("an interface list");
        let later = found.iter().find(|b| b.1 > il.1).expect("a block after it");
        // The list's first entry length, then the later block's trailer.
        bytes[il.1 + 12..il.1 + 16].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        let trailer = later.1 + later.2 - 4;
        bytes[trailer..trailer + 4].copy_from_slice(&12345u32.to_le_bytes());
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("two-bad.scap");
        std::fs::write(&file, &bytes).expect("write");
        let eager = ScapReader::open_mapped(&file)
            .map(|_| ())
            .expect_err("a bad file")
            .to_string();
        let lazy = ScapReader::open_mapped_lazy(&file)
            .map(|_| ())
            .expect_err("a bad file")
            .to_string();
        assert!(eager.contains("interface list"), "{eager}");
        assert_eq!(lazy, eager);
    }

    /// Every event of `src`, its cpu and bytes, one item per section too.
    fn all(src: &mut dyn Source) -> Vec<(u16, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(run) = src.next_run().expect("read") {
            match run {
                Run::Events(evs) => out.extend(evs.map(|e| (e.cpu, e.bytes().to_vec()))),
                Run::Section(_) => out.push((u16::MAX, Vec::new())),
            }
        }
        out
    }

    /// The conversion of the batch loop makes the same v2 event as
    /// `convert_v1`, or leaves the event to it (corrupt ones included).
    #[test]
    fn common_v1_conversion_is_convert_v1() {
        use super::{convert_v1, convert_v1_common};
        use crate::event::{lsz_by_type, table};
        let lsz = lsz_by_type();
        let mut same = 0;
        for etype in [1u16, 2, 3, 5, 280, 286, 306, 307, 324, 9999] {
            let max = table().get(etype).params.len();
            for n in 0..=max + 1 {
                for tweak in 0..5 {
                    let vals: Vec<Vec<u8>> =
                        (0..n).map(|i| vec![i as u8; (i * 5 + 1) % 7]).collect();
                    let mut ev = Vec::new();
                    ev.extend_from_slice(&7u64.to_le_bytes());
                    ev.extend_from_slice(&9u64.to_le_bytes());
                    ev.extend_from_slice(&0u32.to_le_bytes());
                    ev.extend_from_slice(&etype.to_le_bytes());
                    for v in &vals {
                        ev.extend_from_slice(&(v.len() as u16).to_le_bytes());
                    }
                    for v in &vals {
                        ev.extend_from_slice(v);
                    }
                    let mut len = ev.len();
                    match tweak {
                        // Values past the end, or ending before it.
                        1 => len -= 1,
                        2 => len += 1,
                        // A length off.
                        3 if n > 0 => ev[22] ^= 0x40,
                        // Shorter than the header.
                        4 => len = 21,
                        _ => {}
                    }
                    ev[16..20].copy_from_slice(&(len as u32).to_le_bytes());
                    // (The block's bytes after the event.)
                    ev.extend_from_slice(b"pad");
                    let mut want = b"before".to_vec();
                    let mut got = want.clone();
                    let ok = convert_v1(&ev, &mut want).is_ok();
                    if convert_v1_common(&ev, lsz, &mut got) {
                        assert!(ok, "type {etype}, {n} params, tweak {tweak}");
                        assert_eq!(got, want, "type {etype}, {n} params, tweak {tweak}");
                        same += 1;
                    } else {
                        assert_eq!(got, b"before");
                    }
                }
            }
        }
        assert!(same > 30, "{same}");
    }

    /// A mapped file (of v1 events, which the pipeline keeps converted),
    /// and one that grows after it was opened, are read to their end,
    /// alone and pipelined, as a stream of the whole file would be.
    #[test]
    fn mapped_file_read_as_a_stream_and_past_its_mapping() {
        let path = crate::testing::captures_dir().join("bencer-examples/example2_502error.scap");
        let Ok(whole) = std::fs::read(&path) else {
            return crate::testing::missing_capture(&path);
        };
        let mut streamed =
            ScapReader::from_reader(std::io::Cursor::new(whole.clone())).expect("stream");
        let want = all(&mut streamed);
        assert!(want.len() > 20000);
        let dir = tempfile::tempdir().expect("tempdir");
        let half = whole.len() / 2 + 7;
        for (cut, pipelined) in [(whole.len(), true), (half, false), (half, true)] {
            let file = dir.path().join(format!("grows-{cut}-{pipelined}.scap"));
            std::fs::write(&file, &whole[..cut]).expect("write");
            let mut r = ScapReader::open_mapped(&file).expect("open");
            assert!(r.mapping().is_some());
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&file)
                .expect("reopen");
            f.write_all(&whole[cut..]).expect("append");
            drop(f);
            let got = if pipelined {
                all(&mut Pipelined::start(r).expect("pipeline"))
            } else {
                let mut got = Vec::new();
                while let Some(it) = r.next_item().expect("read") {
                    got.push(match it {
                        Item::Event(e) => (e.cpu, e.bytes().to_vec()),
                        Item::Section(_) => (u16::MAX, Vec::new()),
                    });
                }
                got
            };
            assert_eq!(got.len(), want.len());
            assert!(
                got == want,
                "events differ (cut {cut}, pipelined: {pipelined})"
            );
        }
    }
}
