//! A capture file mapped into memory, read-only: the reader decodes the
//! events where they lie in the page cache, with no `read` copy and no
//! buffers of its own (see `reader.rs`, which falls back to `read` for
//! gzip files, pipes and anything that cannot be mapped).
//!
//! Pages are mapped in ahead of the reader a window at a time
//! ([`Mapping::populate`], `MADV_POPULATE_READ`): one system call per
//! window rather than a page fault every few pages. Those the consumers
//! are done with are dropped from our page tables behind them
//! ([`Mapping::release`]; they stay in the page cache), so that the
//! memory the process is charged with does not grow with the file.
//!
//! Risks: the mapping is of the file as it was when opened (its length
//! then). A file another process truncates while it is mapped makes the
//! access to the pages past its new end fail with `SIGBUS`: a handler
//! installed with the first mapping ([`guard`]) turns that into the
//! one-line error and exit status 2 of any bad input, at once (what is
//! not yet written out is lost; callers that write a file, or hold the
//! terminal, read as a stream instead). A `SIGBUS` at any other address
//! goes on to the handler there was before. A file rewritten in place
//! while it is read (a ring of `-W` files starting over, say) yields
//! whatever bytes are there when they are read: formally, bytes changing
//! under a shared slice are undefined behaviour in Rust; in practice the
//! events are checked where they are read and every accessor of an event
//! is bounds-checked, so bad bytes make bad events or a format error.
//! A file that grows after it was mapped is read on past the mapping
//! with `read` (see `reader.rs`).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Bytes released at a time ([`Mapping::release`]): a multiple of the
/// page size. Each release interrupts the consumer's CPU (the other
/// threads' TLBs are flushed): with 1 MiB, 28 such interrupts a run of the
/// bench's 15.8 MB file; with 4 MiB, 19, and the five filters 3-9% faster
/// (interleaved dist runs), for at most 3 MiB more of the file mapped in.
pub(crate) const RELEASE: usize = 4 << 20;

/// A read-only private mapping of a whole file.
pub(crate) struct Mapping {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
    /// Its entry in [`GUARDED`].
    slot: usize,
    /// The bytes released so far ([`Mapping::release`]).
    released: AtomicUsize,
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
        let Some(slot) = guard(p as usize, len) else {
            // SAFETY: the mapping just made, which nothing refers to.
            unsafe { libc::munmap(p, len) };
            return Err(std::io::Error::other("no SIGBUS guard for a mapping"));
        };
        let ptr = std::ptr::NonNull::new(p.cast::<u8>())
            .ok_or_else(|| std::io::Error::other("mmap returned a null address"))?;
        Ok(Mapping {
            ptr,
            len,
            slot,
            released: AtomicUsize::new(0),
        })
    }

    /// The file's bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is the start of a live mapping of `len` readable
        // bytes (unmapped only on drop), never written through by us. Not
        // sound if another process changes the file meanwhile: the module
        // doc says what that risks, and why it is taken.
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
        // (Populating only maps in the file's pages, with no effect on
        // their contents.)
        self.advise(from, to, libc::MADV_POPULATE_READ);
    }

    /// Drops the pages of `bytes()[..upto]` (whole [`RELEASE`] windows)
    /// from our page tables: every consumer is past them. Only a hint: the
    /// page cache keeps them, and one read again comes back from there.
    pub(crate) fn release(&self, upto: usize) {
        let to = upto.min(self.len) / RELEASE * RELEASE;
        let from = self.released.load(Ordering::Relaxed);
        if to <= from {
            return;
        }
        // (The mapping is private and never written: dropping its pages
        // loses nothing, and a later access maps them in again from the
        // file.)
        self.advise(from, to, libc::MADV_DONTNEED);
        self.released.store(to, Ordering::Relaxed);
    }

    /// `madvise` of `bytes()[from..to]` (`from < to <= len`, `from` a
    /// multiple of the page size); its failure is ignored (a hint).
    fn advise(&self, from: usize, to: usize, advice: libc::c_int) {
        if from >= to || to > self.len {
            return;
        }
        // SAFETY: the range lies inside our mapping, and the callers'
        // advice (populate, drop pages of a private read-only mapping)
        // changes no byte of it.
        unsafe {
            libc::madvise(self.ptr.as_ptr().add(from).cast(), to - from, advice);
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
        unguard(self.slot);
    }
}

/// Mappings a `SIGBUS` may be about, as (start, length); a start of 0 is a
/// free entry. A fixed table, as the handler may neither allocate nor
/// lock; a file opened when all are taken is read as a stream.
static GUARDED: [(AtomicUsize, AtomicUsize); 64] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 64];

/// The `SIGBUS` action in place before ours, once ours is installed
/// (`None` inside: it could not be).
static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();

/// Makes a `SIGBUS` in `start..start + len` end the process with a
/// one-line error (the handler installed on first use). Returns the entry
/// to free with [`unguard`], or `None` when the handler cannot be
/// installed or the table is full.
fn guard(start: usize, len: usize) -> Option<usize> {
    // SAFETY: an all-zero `sigaction` is a valid value (no flags, an empty
    // mask) before the fields are set; the handler installed only reads
    // atomics and makes async-signal-safe calls. Installed once (the
    // OnceLock), so the previous action is never our own.
    PREVIOUS
        .get_or_init(|| unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            let mut old: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            (libc::sigaction(libc::SIGBUS, &sa, &mut old) == 0).then_some(old)
        })
        .as_ref()?;
    GUARDED.iter().enumerate().find_map(|(i, (s, l))| {
        s.compare_exchange(0, start, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| {
                l.store(len, Ordering::Release);
                i
            })
    })
}

/// Frees entry `slot` of [`GUARDED`].
fn unguard(slot: usize) {
    if let Some((s, l)) = GUARDED.get(slot) {
        l.store(0, Ordering::Release);
        s.store(0, Ordering::Release);
    }
}

/// Set by the first thread whose fault [`on_sigbus`] reports: both the
/// reading and the consuming thread can touch the truncated pages at once,
/// and the error is one line.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// The `SIGBUS` handler: a fault in a guarded mapping is a capture file
/// truncated under us; any other goes to the previous action (the fault
/// happens again once this returns).
extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo, whose
    // si_addr is the faulting address for SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    let ours = GUARDED.iter().any(|(s, l)| {
        let start = s.load(Ordering::Acquire);
        start != 0 && addr.wrapping_sub(start) < l.load(Ordering::Acquire)
    });
    if ours {
        if REPORTED.swap(true, Ordering::AcqRel) {
            // Another thread is writing the error and ends the process.
            loop {
                // SAFETY: pause(2) is async-signal-safe; this thread only
                // waits for that exit.
                unsafe { libc::pause() };
            }
        }
        const MSG: &[u8] =
            b"syspect: the capture file was truncated by another program while it was read\n";
        // SAFETY: write(2) and _exit(2) are async-signal-safe; MSG is static.
        unsafe {
            libc::write(2, MSG.as_ptr().cast(), MSG.len());
            libc::_exit(2);
        }
    }
    // SAFETY: sigaction is async-signal-safe; the previous action (or the
    // default) takes the fault when the access runs again.
    unsafe {
        match PREVIOUS.get() {
            Some(Some(old)) => libc::sigaction(libc::SIGBUS, old, std::ptr::null_mut()),
            _ => {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut())
            }
        };
    }
}
