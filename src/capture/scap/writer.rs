//! `.scap` writer: format 1.2 as libscap's `scap_setup_dump` lays it out —
//! SHB 1.2, MI, IL_V2, UL_V2, PL_V9 (one block, omitted if empty), FDL_V2
//! (one block per thread with fds), then EV_V2 / EVF_V2 blocks (the LARGE
//! variants for events that need them).
//!
//! Durability: output goes through a buffer that is flushed to the file
//! every [`WriterOptions::flush_every`] events and on [`ScapWriter::flush`],
//! so an interrupted capture leaves a file readable up to the last flush.
//! A plain file is only ever cut at a flush point or by the OS at a buffer
//! boundary, after which readers report one truncated block at the end.
//! With gzip, a flush is a zlib *sync flush*: everything written so far
//! becomes decompressible, but the gzip trailer (CRC, size) is only written
//! by [`ScapWriter::finish`] (or on drop), so a killed gzip capture ends
//! with a "truncated gzip data" error after its last flushed event. Each
//! sync flush costs a few bytes and a little compression ratio, which is
//! why it is done every N events rather than per event.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::blocks;
use super::metablocks;
use super::ScapError;
use crate::capture::meta::FdEntry;
use crate::capture::CaptureMeta;
use crate::event::EventRef;

/// How a [`ScapWriter`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    /// gzip the whole file (as `sysdig -z`).
    pub compress: bool,
    /// gzip level 0..=9.
    pub level: u32,
    /// Flush to the OS every this many events (0 = only when the buffer
    /// fills, on `flush` and at the end).
    pub flush_every: u64,
    /// Keep the file readable by sysdig 0.29: fd types it does not know
    /// (memfd, pidfd) are written as "unsupported" fds (same name).
    pub sysdig_compat: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            compress: false,
            level: 6,
            flush_every: 4096,
            sysdig_compat: true,
        }
    }
}

enum Sink {
    Plain(BufWriter<Box<dyn Write + Send>>),
    Gz(GzEncoder<Counted<BufWriter<Box<dyn Write + Send>>>>),
}

/// Counts the bytes that pass through: the compressed size of a gzip file.
struct Counted<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Sink {
    fn out(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(w) => w,
            Sink::Gz(w) => w,
        }
    }
}

/// Writer of `.scap` files.
pub struct ScapWriter {
    sink: Option<Sink>,
    opts: WriterOptions,
    events: u64,
    since_flush: u64,
    bytes: u64,
    hdr: Vec<u8>,
}

impl std::fmt::Debug for ScapWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScapWriter")
            .field("opts", &self.opts)
            .field("events", &self.events)
            .field("bytes", &self.bytes)
            .finish()
    }
}

const BUF_SIZE: usize = 256 * 1024;

impl ScapWriter {
    /// Creates (truncates) `path` with mode 0600 and writes the metadata.
    pub fn create(
        path: impl AsRef<Path>,
        meta: &CaptureMeta,
        compress: bool,
    ) -> Result<ScapWriter, ScapError> {
        let opts = WriterOptions {
            compress,
            ..WriterOptions::default()
        };
        ScapWriter::create_with(path, meta, &opts)
    }

    /// [`ScapWriter::create`] with explicit options.
    pub fn create_with(
        path: impl AsRef<Path>,
        meta: &CaptureMeta,
        opts: &WriterOptions,
    ) -> Result<ScapWriter, ScapError> {
        let f = open_private(path.as_ref())?;
        ScapWriter::from_writer(f, meta, opts)
    }

    /// Writes a capture to any byte sink.
    pub fn from_writer(
        w: impl Write + Send + 'static,
        meta: &CaptureMeta,
        opts: &WriterOptions,
    ) -> Result<ScapWriter, ScapError> {
        let inner: Box<dyn Write + Send> = Box::new(w);
        let bw = BufWriter::with_capacity(BUF_SIZE, inner);
        let sink = if opts.compress {
            Sink::Gz(GzEncoder::new(
                Counted {
                    inner: bw,
                    count: 0,
                },
                Compression::new(opts.level.min(9)),
            ))
        } else {
            Sink::Plain(bw)
        };
        let mut wr = ScapWriter {
            sink: Some(sink),
            opts: opts.clone(),
            events: 0,
            since_flush: 0,
            bytes: 0,
            hdr: Vec::with_capacity(32),
        };
        wr.write_section(meta)?;
        wr.flush()?;
        Ok(wr)
    }

    /// Starts a new section (SHB + metadata blocks), as a concatenated
    /// capture has. `create` already wrote the first one.
    pub fn write_section(&mut self, meta: &CaptureMeta) -> Result<(), ScapError> {
        let buf = encode_section(meta, self.opts.sysdig_compat);
        self.put(&buf)
    }

    /// Appends one event (its cpu and dump flags are kept).
    pub fn write_event(&mut self, ev: &EventRef<'_>) -> Result<(), ScapError> {
        let bytes = ev.bytes();
        let flags = ev.dump_flags;
        let pre = 2 + if flags != 0 { 4 } else { 0 };
        let total = blocks::block_len(pre + bytes.len());
        if total > u32::MAX as usize {
            return Err(ScapError::format(
                self.bytes,
                format!("event of {} bytes is too large for a block", bytes.len()),
            ));
        }
        let large =
            ev.info().large_payload() || total - blocks::BLOCK_HDR > blocks::READER_BUF_SIZE;
        let bt = match (flags != 0, large) {
            (false, false) => blocks::EV_V2,
            (true, false) => blocks::EVF_V2,
            (false, true) => blocks::EV_V2_LARGE,
            (true, true) => blocks::EVF_V2_LARGE,
        };
        self.hdr.clear();
        self.hdr.extend_from_slice(&bt.to_le_bytes());
        self.hdr.extend_from_slice(&(total as u32).to_le_bytes());
        self.hdr.extend_from_slice(&ev.cpu.to_le_bytes());
        if flags != 0 {
            self.hdr.extend_from_slice(&flags.to_le_bytes());
        }
        let pad = total - blocks::BLOCK_HDR - pre - bytes.len() - 4;
        let mut tail = [0u8; 7];
        tail[pad..pad + 4].copy_from_slice(&(total as u32).to_le_bytes());
        let sink = self.sink.as_mut().ok_or_else(closed)?.out();
        sink.write_all(&self.hdr)?;
        sink.write_all(bytes)?;
        sink.write_all(&tail[..pad + 4])?;
        self.bytes += total as u64;
        self.events += 1;
        self.since_flush += 1;
        if self.opts.flush_every > 0 && self.since_flush >= self.opts.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    /// Pushes everything written so far to the file (a sync flush for
    /// gzip), so a reader sees complete blocks up to here.
    pub fn flush(&mut self) -> Result<(), ScapError> {
        self.since_flush = 0;
        match self.sink.as_mut().ok_or_else(closed)? {
            Sink::Plain(w) => w.flush()?,
            Sink::Gz(w) => w.flush()?,
        }
        Ok(())
    }

    /// Events written.
    pub fn events_written(&self) -> u64 {
        self.events
    }

    /// Uncompressed bytes written (metadata included).
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// The size the file has reached: the bytes written for a plain file,
    /// the compressed bytes produced so far for gzip (data still inside the
    /// compressor is not counted, like zlib's `gzoffset` that libscap uses
    /// for `sysdig -C`).
    pub fn file_offset(&self) -> u64 {
        match &self.sink {
            Some(Sink::Gz(w)) => w.get_ref().count,
            _ => self.bytes,
        }
    }

    /// Completes the file (gzip trailer) and flushes it.
    pub fn finish(mut self) -> Result<(), ScapError> {
        self.close()
    }

    fn close(&mut self) -> Result<(), ScapError> {
        match self.sink.take() {
            None => Ok(()),
            Some(Sink::Plain(mut w)) => {
                w.flush()?;
                Ok(())
            }
            Some(Sink::Gz(w)) => {
                let mut bw = w.finish()?;
                bw.flush()?;
                Ok(())
            }
        }
    }

    fn put(&mut self, b: &[u8]) -> Result<(), ScapError> {
        self.sink.as_mut().ok_or_else(closed)?.out().write_all(b)?;
        self.bytes += b.len() as u64;
        Ok(())
    }
}

impl Drop for ScapWriter {
    fn drop(&mut self) {
        // Best effort: an error here has nowhere to go; `finish` reports it.
        let _ = self.close();
    }
}

fn closed() -> ScapError {
    ScapError::Io(std::io::Error::other("scap writer already finished"))
}

fn open_private(path: &Path) -> Result<File, ScapError> {
    let mut oo = OpenOptions::new();
    oo.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        oo.mode(0o600);
        let f = oo.open(path)?;
        // An existing file keeps its mode on open: tighten it.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    {
        Ok(oo.open(path)?)
    }
}

/// The bytes of one section: SHB 1.2, MI, IL_V2, UL_V2, PL_V9, FDL_V2s.
pub(crate) fn encode_section(meta: &CaptureMeta, compat: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    metablocks::put_shb(&mut out);
    if let Some(m) = &meta.machine {
        metablocks::put_mi(&mut out, m);
    }
    metablocks::put_il(&mut out, &meta.interfaces);
    metablocks::put_ul(&mut out, &meta.users, &meta.groups);
    if !meta.procs.is_empty() {
        metablocks::put_pl(&mut out, &meta.procs);
    }
    // One FDL block per thread, threads in order of first appearance.
    let mut groups: Vec<(u64, Vec<&FdEntry>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for f in &meta.fds {
        let i = *index.entry(f.tid).or_insert_with(|| {
            groups.push((f.tid, Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(f);
    }
    for (tid, fds) in groups {
        metablocks::put_fdl(&mut out, tid, fds.into_iter(), compat);
    }
    out
}
