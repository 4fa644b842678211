//! Heap tuning for a short run that reads capture files as fast as it can
//! (`syspect dig -r`).
//!
//! Such a run builds its state (threads, fds, strings) in a few megabytes
//! of fresh heap, and with 4 KiB pages the kernel takes a page fault for
//! every one of them: on the VMs this was measured on, over a thousand
//! faults, a fifth of the run's CPU time. So the heap is made to grow in
//! one large step that the kernel can back with transparent huge pages
//! (2 MiB, one fault each):
//!
//! - the main thread (the consumer of the events, whose state this is)
//!   allocates from the main heap; the reading thread gets an arena of
//!   its own (`M_ARENA_MAX` 2). With a single arena for both, the two
//!   threads, each allocating and freeing thousands of strings (the
//!   reader those of later sections' process and fd lists), fought over
//!   its lock: some 1,700 futex calls a run on the bench's capture, and
//!   the lock's and bins' cache lines bouncing between the CPUs, which
//!   made both threads slower than on one CPU. With two: under 50 futex
//!   calls, the run's CPU -26%, wall -13% (`perf stat -r 20`). That
//!   arena is a 64 MiB region glibc maps at once (the pad below applies),
//!   marked for huge pages too by the reading thread as it starts, its
//!   first 2 MiB left behind ([`huge_thread_arena`]): some 900
//!   small-page faults otherwise, and as many pages to unmap at the exit;
//! - the heap grows by [`PAD`] bytes beyond what is asked
//!   (`M_TOP_PAD`), grown once here, and that room is marked
//!   `MADV_HUGEPAGE` (what glibc's own `glibc.malloc.hugetlb=1` tunable
//!   does, which can only be set from the environment);
//! - the heap is first moved on to a 2 MiB boundary ([`skip_to_boundary`]):
//!   its start is random, and the part of a huge page below the first
//!   boundary can only have small pages, which glibc would fill first
//!   (the first section's strings: 190 to 500 faults of the run's 300
//!   to 800 on the bench's capture; 280 with the skip, every run);
//! - the heap is grown by a block small enough that glibc writes nothing
//!   above the boundary (it cuts that block, and writes its new top's
//!   header, in the page below): the first write above is then a huge
//!   page's fault. (It used to grow by a large block, whose top header
//!   above the boundary faulted in a small page there, and that first
//!   2 MiB was made a huge page with `MADV_COLLAPSE`: 0.25-0.6 ms on the
//!   main thread of every run on the VMs measured, against 0.08-0.4 ms
//!   for the fault; `dig -r` 0.3-1.0 ms faster, 40-50 interleaved runs.
//!   Should glibc have written there after all, the collapse is still
//!   made.)
//! - that first huge page is faulted in by a bare thread on another CPU
//!   ([`start_fault_helper`]), started before the heap is set up, while
//!   the main thread goes on with its set-up, which glibc serves from the
//!   space left below the boundary: the fault (zeroing 2 MiB the host had
//!   taken back) no longer lies on the main thread's path (`dig -r` of the
//!   bench's capture, release builds, each run after a sysdig run, 120
//!   alternating rounds: p10 -3.3%, p25 -3.7%, median -4.2%).
//!
//! Memory is only committed as it is touched, 2 MiB at a time, and freed
//! memory above the pad goes back to the system as usual. Nothing here is
//! needed for correctness. Nothing changes on a libc other than glibc,
//! with transparent huge pages disabled, or under a data size limit
//! (`ulimit -d`: a growth padded by 64 MB could fail where the memory
//! needed fits); if the heap cannot grow, the pad is taken back.

/// The room the heap grows by (and keeps at its top when it shrinks).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const PAD: usize = 64 << 20;

/// The size of a transparent huge page on x86-64 and arm64 (4 KiB base
/// pages).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HUGE: usize = 2 << 20;

/// The base page size the layout below works in (x86-64 and arm64).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const PAGE: usize = 4096;

/// A block that fills `room` bytes of a free top but for 64 (a top of at
/// least 48 bytes is left, above glibc's 32-byte minimum chunk), and at
/// most 120 KiB: under glibc's 128 KiB threshold past which a block gets a
/// mapping of its own instead of coming from the top.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn block_filling(room: usize) -> usize {
    room.saturating_sub(64).min(120 << 10)
}

/// Whether [`prefer_huge_pages`] ran (once is enough).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets the heap up as the module says. To be called while the process
/// has one thread (the program break is moved under glibc's malloc, which
/// another thread could be in), before the threads that read are started
/// (a thread's arena is chosen at its first allocation).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn prefer_huge_pages() {
    // (Once: called before the arguments are parsed, then by `dig::run`.)
    if DONE.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    if !thp_possible() || !data_unlimited() {
        return;
    }
    // The thread that faults the heap's first huge page in is started
    // first, and waits for the page: it is on its way while the heap is
    // set up (some 0.15 ms, about half its time to start), and so done
    // sooner.
    let helper = start_fault_helper();
    let page = grow_heap();
    if helper {
        FAULT_AT.store(
            page.unwrap_or(GIVE_UP),
            std::sync::atomic::Ordering::Release,
        );
    }
}

/// The heap set up as [`prefer_huge_pages`] says: the address of the last
/// byte of its first huge page, when that page is marked and untouched.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn grow_heap() -> Option<usize> {
    // SAFETY: `mallopt` only changes malloc's parameters; both values are
    // in range (an arena count, and a pad well under `c_int::MAX`).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_TOP_PAD, PAD as libc::c_int);
    }
    let start = heap_end()?;
    skip_to_boundary(start);
    let before = heap_end()?;
    // The heap grows (by `PAD` and a block) when a block does not fit in
    // what is left of its free top: that top is used up first, in blocks
    // under the mmap threshold, and then small blocks are asked for until
    // the heap grows. The one that makes it grow is cut, as is the new
    // top's header glibc writes after it, from the page below the boundary
    // (where the new space starts): above it nothing is touched, and the
    // first write there is a huge page's fault, with no collapse (see
    // below). All are freed again.
    // (Up to 256 blocks: blocks served from freed memory rather than the
    // top just take another turn, some 750 KB of them at most. 3072 bytes
    // and their header, and the new top's header after them, fit in the
    // 4 KiB below the boundary.)
    let mut held = [std::ptr::null_mut::<libc::c_void>(); 256];
    for slot in held.iter_mut() {
        let top = top_left();
        let size = if top > PAGE { block_filling(top) } else { 3072 };
        // SAFETY: a plain allocation, freed below.
        *slot = unsafe { libc::malloc(size) };
        if heap_end() != Some(before) {
            break;
        }
    }
    for p in held {
        // SAFETY: each pointer came from `malloc` above (or is null).
        unsafe { libc::free(p) };
    }
    // (Read after the frees, which may have given back what lay above the
    // pad.)
    let after = heap_end()?;
    if after == before {
        // The break could not move (brk failed, or another arena served
        // the blocks): without the pad again, or every later growth, which
        // glibc retries with mmap of the same padded size, fails too.
        // SAFETY: as above.
        unsafe { libc::mallopt(libc::M_TOP_PAD, 128 << 10) };
        return None;
    }
    let from = before.next_multiple_of(HUGE);
    let to = after / HUGE * HUGE;
    #[cfg(target_pointer_width = "64")]
    {
        ARENA_HUGE.store(true, std::sync::atomic::Ordering::Relaxed);
        // (Once: a second call finds it set.)
        let _ = crate::capture::pipeline::READER_START.set(huge_thread_arena);
    }
    if to <= from {
        return None;
    }
    // (`from..to` lies inside the heap just grown, between the old and the
    // new program break.)
    let small = touched(from);
    mark_huge(from, to - from, small);
    (!small).then_some(from + HUGE - 1)
}

/// Where [`start_fault_helper`]'s thread is to write (the last byte of
/// the main heap's first huge page): 0 until [`prefer_huge_pages`] knows,
/// [`GIVE_UP`] when there is no such page.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
static FAULT_AT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// [`FAULT_AT`] when there is nothing to fault in.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const GIVE_UP: usize = 1;

/// Starts a short-lived thread on another CPU that faults the main heap's
/// first huge page in, once [`prefer_huge_pages`] has it ([`FAULT_AT`]),
/// while this thread goes on with its set-up: the fault zeroes 2 MiB,
/// which took 0.3-0.45 ms of the main thread on the VMs measured (memory
/// the host had taken back). True when started.
///
/// The thread is a bare POSIX thread: one started by `std::thread`
/// allocates as it starts, and its first allocation would make it a
/// malloc arena, the second of the two allowed, which the reading thread
/// would then share with the main thread. It is made on a CPU other than
/// this one ([`crate::capture::spread::helper_cpu`]), detached, and runs
/// [`fault_when_known`]. Nothing happens with one CPU allowed; should it
/// not start, the main thread faults the page itself, as before.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn start_fault_helper() -> bool {
    let Some(set) = crate::capture::spread::helper_cpu() else {
        return false;
    };
    // SAFETY: the attribute object is a plain C struct, made by
    // `pthread_attr_init` and destroyed after use; the CPU set is a whole
    // one (from `helper_cpu`), read for its size; the thread's routine has
    // the C signature `pthread_create` takes, and ignores its argument.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_attr_init(&mut attr) != 0 {
            return false;
        }
        libc::pthread_attr_setaffinity_np(&mut attr, std::mem::size_of_val(&set), &set);
        libc::pthread_attr_setstacksize(&mut attr, 256 << 10);
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        let mut thread: libc::pthread_t = 0;
        let made = libc::pthread_create(&mut thread, &attr, fault_when_known, std::ptr::null_mut());
        libc::pthread_attr_destroy(&mut attr);
        made == 0
    }
}

/// The routine of [`start_fault_helper`]'s thread: waits (on its own CPU,
/// a fraction of a millisecond) for [`FAULT_AT`], then writes there,
/// which faults the page in. That byte lies in the heap's free top,
/// handed out only after 2 MiB of allocations (the main thread's set-up
/// takes a few kilobytes, and glibc serves them from the space left below
/// the boundary); even then, a compare-and-swap of 0 for 0 changes no bit.
/// (It writes, or fails, as one step; an atomic OR with 0 would be made a
/// plain read, which maps the shared zero page in instead.) A plain fault
/// takes the heap's own lock, not the process's mapping lock, so the main
/// thread's mappings (the capture, the reading thread's stack) do not wait
/// for it, as they did for an `MADV_POPULATE_WRITE`. Gives up after 5 ms.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn fault_when_known(_: *mut libc::c_void) -> *mut libc::c_void {
    let acquire = std::sync::atomic::Ordering::Acquire;
    let give_up = std::time::Instant::now() + std::time::Duration::from_millis(5);
    let at = loop {
        match FAULT_AT.load(acquire) {
            0 if std::time::Instant::now() < give_up => std::hint::spin_loop(),
            0 | GIVE_UP => return std::ptr::null_mut(),
            at => break at,
        }
    };
    // SAFETY: `at` lies in the main heap's free top, grown and mapped
    // read-write by `prefer_huge_pages` (valid for a byte's access for the
    // life of the process), and is accessed atomically here.
    let byte = unsafe { std::sync::atomic::AtomicU8::from_ptr(at as *mut u8) };
    let relaxed = std::sync::atomic::Ordering::Relaxed;
    let _ = byte.compare_exchange(0, 0, relaxed, relaxed);
    std::ptr::null_mut()
}

/// The size of the main heap's free top (what a block can be cut from
/// without the heap growing).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn top_left() -> usize {
    // SAFETY: `mallinfo2` (glibc 2.33) takes each arena's lock and reads
    // its free lists, writing nothing; called before a second thread.
    unsafe { libc::mallinfo2() }.keepcost
}

/// Whether any page of the 2 MiB at `from` (inside the heap) is in memory:
/// then it holds small pages, and only a collapse makes it a huge page. If
/// that cannot be told, it is taken as touched.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn touched(from: usize) -> bool {
    let mut pages = [0u8; HUGE / PAGE];
    // SAFETY: `mincore` writes one byte per page of the range into
    // `pages`; pages are at least 4 KiB, and `pages` has a byte for each
    // 4 KiB.
    let r = unsafe { libc::mincore(from as *mut libc::c_void, HUGE, pages.as_mut_ptr()) };
    r != 0 || pages.iter().any(|p| p & 1 != 0)
}

/// Marks `from..from + len` (a 2 MiB-aligned range of this process's heap
/// or of a malloc arena) for huge pages and, with `collapse`, makes its
/// first 2 MiB one now: for a range whose first 2 MiB already holds small
/// pages (the main heap's, should glibc have written there after all),
/// those pages, their neighbours and their contents become one huge page.
/// A kernel before 6.1 refuses the second advice: that first 2 MiB then
/// stays small pages.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn mark_huge(from: usize, len: usize, collapse: bool) {
    // SAFETY: the callers pass memory of their own heap or arena; the
    // advice changes no byte of it, only how the kernel backs it
    // (collapsing keeps every byte).
    unsafe {
        libc::madvise(from as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        if collapse {
            libc::madvise(from as *mut libc::c_void, HUGE, MADV_COLLAPSE);
        }
    }
}

/// The size and alignment of the region glibc maps for an arena other
/// than the main one (`HEAP_MAX_SIZE` on 64-bit: twice the largest mmap
/// threshold).
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
const ARENA_REGION: usize = 64 << 20;

/// Whether [`huge_thread_arena`] is to act: set with the main heap's
/// tuning, cleared by [`not_a_file_read`].
#[cfg(all(target_os = "linux", target_env = "gnu"))]
static ARENA_HUGE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the calling thread's malloc arena for huge pages, as
/// [`prefer_huge_pages`] did the main heap, before the thread writes into
/// it: for the reading thread of a `dig -r`, which has an arena of its
/// own, as it starts.
///
/// The arena's first 2 MiB already hold small pages (glibc wrote the
/// arena's header there as it made it), and a huge page can only replace
/// them by a collapse, which copies them and waits for work it queues on
/// every CPU (the consumer's too). So that 2 MiB is left behind instead,
/// as [`skip_to_boundary`] does for the main heap: it is filled with
/// blocks that are never freed (never touched either, but for their
/// headers, a page each), and what the thread allocates next lies above
/// the boundary, in huge pages.
///
/// The region is found from a block just allocated (rounded down to
/// [`ARENA_REGION`], where glibc aligns its arenas); nothing happens on a
/// thread that allocates from the main heap. Should glibc's layout not be
/// the one expected, the advice still changes no byte of any memory, and
/// the blocks are at most 2 MiB the process does not use.
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
fn huge_thread_arena() {
    if !ARENA_HUGE.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    // SAFETY: a plain allocation from the thread's arena, freed below;
    // only its address is used.
    let p = unsafe { libc::malloc(64) };
    let at = p as usize;
    // SAFETY: `p` came from `malloc` (or is null).
    unsafe { libc::free(p) };
    // (The main heap lies below the program break, an arena's region
    // elsewhere.)
    if p.is_null() || heap_end().is_none_or(|end| at < end) {
        return;
    }
    let base = at / ARENA_REGION * ARENA_REGION;
    let boundary = base + HUGE;
    mark_huge(boundary, ARENA_REGION - HUGE, false);
    // Blocks from the arena's free top, each cut to end below the boundary
    // (a block's chunk ends 8 bytes before the end of its usable size),
    // until less than a page is left: the top's header then lies in the
    // page below the boundary, and the next block mostly above it. (17 or
    // so.)
    let mut size = PAGE;
    for _ in 0..32 {
        // SAFETY: a plain allocation, kept for the life of the process.
        let q = unsafe { libc::malloc(size) };
        if q.is_null() {
            return;
        }
        // SAFETY: `q` came from `malloc` just above.
        let end = q as usize + unsafe { libc::malloc_usable_size(q) }.saturating_sub(8);
        if (q as usize) < at || end > boundary {
            // (Not from the top below the boundary: not needed.)
            // SAFETY: `q` came from `malloc` and is not used.
            unsafe { libc::free(q) };
            return;
        }
        let left = boundary - end;
        if left < PAGE {
            return;
        }
        size = block_filling(left);
    }
}

/// `MADV_COLLAPSE` (Linux 6.1; the `libc` crate does not have it yet).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MADV_COLLAPSE: libc::c_int = 25;

/// Moves the program break from `start` to one page below the next 2 MiB
/// boundary (a gap never touched, so never backed by memory). glibc, which
/// finds the break moved by someone else when it next grows the heap,
/// starts its free space at the new break, and writes its bookkeeping
/// into that one page: past the few kilobytes left in it, everything it
/// hands out lies above the boundary, in what can be huge pages. What was
/// left of its old space goes into its free lists, as for any foreign
/// `sbrk`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn skip_to_boundary(start: usize) {
    let gap = (start + PAGE).next_multiple_of(HUGE) - PAGE - start;
    let Ok(gap) = libc::intptr_t::try_from(gap) else {
        return;
    };
    if gap > 0 {
        // SAFETY: `sbrk` only moves the break up by `gap` bytes (or fails,
        // changing nothing); the memory between is ours and never used,
        // and glibc's malloc is built to cope with a break others move.
        unsafe { libc::sbrk(gap) };
    }
}

/// Gives glibc its own arena and pad settings back after
/// [`prefer_huge_pages`] was called for what turned out not to be a read
/// of files (the arguments before parsing looked like one): a live
/// capture's threads then allocate as usual, and the heap's free top goes
/// back to the system. (What the heap grew by stays marked for huge pages:
/// harmless.) To be called before a second thread allocates.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn not_a_file_read() {
    if !DONE.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    ARENA_HUGE.store(false, std::sync::atomic::Ordering::Relaxed);
    // SAFETY: `mallopt` only changes malloc's parameters: 0 arenas is
    // glibc's default (its own limit), 128 KiB its default pad.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 0);
        libc::mallopt(libc::M_TOP_PAD, 128 << 10);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn prefer_huge_pages() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn not_a_file_read() {}

/// The program break (the end of the main heap), if it can be read.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap_end() -> Option<usize> {
    // SAFETY: `sbrk(0)` only reads the current break.
    let p = unsafe { libc::sbrk(0) } as usize;
    (p != usize::MAX).then_some(p)
}

/// Whether the data segment is unlimited (`ulimit -d`): under a limit,
/// growths padded by [`PAD`] fail where the memory needed would fit.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn data_unlimited() -> bool {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we own.
    unsafe { libc::getrlimit(libc::RLIMIT_DATA, &mut r) == 0 && r.rlim_cur == libc::RLIM_INFINITY }
}

/// Whether transparent huge pages can back a region that asks for them
/// (the mode is `always` or `madvise`, not `never`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn thp_possible() -> bool {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .is_ok_and(|s| !s.contains("[never]"))
}
