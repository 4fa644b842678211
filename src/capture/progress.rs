//! How much of the capture files has been read (`dig -P`): every file
//! opened for reading counts its bytes here (compressed bytes for gzip
//! files), one atomic add per `read` call (per window of pages mapped in,
//! for a mapped file).

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

static READ: AtomicU64 = AtomicU64::new(0);

/// Bytes read from capture files so far, by the whole process.
pub fn bytes_read() -> u64 {
    READ.load(Ordering::Relaxed)
}

/// A file whose reads are counted in [`bytes_read`].
pub struct Counted<R>(pub R);

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        READ.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Counts `n` bytes as read in [`bytes_read`] (a mapped file's, as the
/// reader gets to them).
pub(crate) fn add(n: u64) {
    READ.fetch_add(n, Ordering::Relaxed);
}
