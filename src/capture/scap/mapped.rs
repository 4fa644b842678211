//! A capture file mapped into memory, read-only: the reader decodes the
//! events where they lie in the page cache, with no `read` copy and no
//! buffers of its own (see `reader.rs`, which falls back to `read` for
//! gzip files, pipes and anything that cannot be mapped).
//!
//! Pages are mapped in ahead of the reader a window at a time
//! ([`Mapping::populate`], `MADV_POPULATE_READ`): one system call per
//! window rather than a page fault every few pages.
//!
//! Risks, accepted: the mapping is of the file as it was when opened (its
//! length then); a file another process truncates while it is mapped makes
//! the access to the pages past its new end fail with `SIGBUS`, which ends
//! the process (as it would for any program reading a mapped file), and a
//! file rewritten in place while it is read yields whatever bytes are
//! there when they are read (events still cannot make the program panic:
//! every accessor of an event is bounds-checked). Captures are written
//! once and then read, so neither happens in practice; a capture still
//! being written is read through `read` only when it is not a regular
//! file (a pipe).

use std::fs::File;
use std::os::fd::AsRawFd;

/// `MADV_POPULATE_READ` (Linux 5.14): maps in the pages of a range,
/// faulting them in as a read would. (Not in the `libc` crate's list.)
const MADV_POPULATE_READ: libc::c_int = 22;

/// A read-only private mapping of a whole file.
pub(crate) struct Mapping {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; the
// bytes are only ever read (through `bytes`), from any thread.
unsafe impl Send for Mapping {}
// SAFETY: as above: shared access is read-only.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of `file` (its length when opened; not
    /// zero).
    pub(crate) fn new(file: &File, len: usize) -> std::io::Result<Mapping> {
        if len == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
        }
        // SAFETY: a new private read-only mapping chosen by the kernel
        // (address null) overlaps no memory of ours; `file` is an open
        // descriptor, which the mapping does not need after the call.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let ptr = std::ptr::NonNull::new(p.cast::<u8>())
            .ok_or_else(|| std::io::Error::other("mmap returned a null address"))?;
        Ok(Mapping { ptr, len })
    }

    /// The file's bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is the start of a live mapping of `len` readable
        // bytes (unmapped only on drop), never written through by us. See
        // the module doc for a file changed by another process meanwhile.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Maps in the pages of `bytes()[from..to]` now (`from` a multiple of
    /// the page size) rather than on first access. Only a hint: failures
    /// (a kernel without `MADV_POPULATE_READ`) are ignored, the pages
    /// then come in as they are read.
    pub(crate) fn populate(&self, from: usize, to: usize) {
        let to = to.min(self.len);
        if from >= to {
            return;
        }
        // SAFETY: the range lies inside our mapping; populating it only
        // maps in the file's pages, with no effect on their contents.
        unsafe {
            libc::madvise(
                self.ptr.as_ptr().add(from).cast(),
                to - from,
                MADV_POPULATE_READ,
            );
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once: no reference
        // to its bytes outlives `self` (`bytes` borrows it).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}
