//! Keeping a capture file's reading thread and its consumer on two CPUs.
//!
//! The reading thread hands batches to the consumer (state, filter,
//! output), and each waits for the other now and then. Every such wake-up
//! lets the scheduler move the woken thread next to the one that woke it,
//! and on a small machine the two then take turns on one CPU while the
//! other idles, until load balancing parts them again: measured on a
//! 2-CPU VM, the consumer of `dig -r` waited about 1.3 ms of a 12 ms run
//! for batches (p25), and 0.4 ms with the threads pinned apart.
//!
//! So a short read pins the two threads to two of the CPUs the process
//! may use, and for a limited time only ([`PINNED_FOR`]): a long read goes
//! back to the scheduler's choice, so that a CPU taken by other work later
//! does not hold either thread. Nothing happens when the process may use
//! one CPU (`taskset`, a cpuset) or the calls fail: pinning changes where
//! the threads run, never what they do.

use std::time::{Duration, Instant};

/// How long the threads stay pinned.
pub const PINNED_FOR: Duration = Duration::from_secs(1);

/// The two threads' CPUs, and the mask to give them back.
pub struct Spread {
    /// The CPUs the process could use before.
    before: libc::cpu_set_t,
    /// The consumer's thread id (the thread that made this).
    consumer: libc::pid_t,
    /// The CPU the reading thread takes.
    reader_cpu: usize,
    pinned_at: Instant,
    /// Whether the mask was given back.
    undone: bool,
}

impl Spread {
    /// Pins the calling thread (the consumer) to the CPU it runs on, and
    /// picks another for the reading thread ([`Spread::pin_reader`]), when
    /// the process may use two CPUs or more.
    pub fn pin_consumer() -> Option<Spread> {
        // SAFETY: a zeroed cpu_set_t is an empty set; sched_getaffinity
        // writes at most `size_of::<cpu_set_t>()` bytes into the one we own.
        let mut before: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as above.
        if unsafe { libc::sched_getaffinity(0, size, &mut before) } != 0 {
            return None;
        }
        // SAFETY: sched_getcpu only reads the current CPU number.
        let here = usize::try_from(unsafe { libc::sched_getcpu() }).ok()?;
        let allowed = |cpu: usize| {
            // SAFETY: CPU_ISSET reads bit `cpu` of the set, which is in
            // range (below CPU_SETSIZE).
            cpu < libc::CPU_SETSIZE as usize && unsafe { libc::CPU_ISSET(cpu, &before) }
        };
        if !allowed(here) {
            return None;
        }
        // The next allowed CPU after this one, around.
        let n = libc::CPU_SETSIZE as usize;
        let reader_cpu = (1..n).map(|k| (here + k) % n).find(|&c| allowed(c))?;
        set_affinity(0, &one_cpu(here)).then_some(())?;
        // SAFETY: gettid has no arguments and cannot fail.
        let consumer = unsafe { libc::gettid() };
        Some(Spread {
            before,
            consumer,
            reader_cpu,
            pinned_at: Instant::now(),
            undone: false,
        })
    }

    /// Pins the calling thread (the reading one) to its CPU.
    pub fn pin_reader(&self) {
        set_affinity(0, &one_cpu(self.reader_cpu));
    }

    /// Gives both threads their mask back once [`PINNED_FOR`] has passed
    /// (cheap to call for every batch).
    pub fn check(&mut self) {
        if !self.undone && self.pinned_at.elapsed() >= PINNED_FOR {
            self.undo();
        }
    }

    /// Gives both threads their mask back (once; the reading thread calls
    /// this, at the latest when it ends).
    pub fn undo(&mut self) {
        if !self.undone {
            self.undone = true;
            set_affinity(self.consumer, &self.before);
            set_affinity(0, &self.before);
        }
    }
}

impl Drop for Spread {
    fn drop(&mut self) {
        self.undo();
    }
}

/// A set of one CPU.
fn one_cpu(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: a zeroed cpu_set_t is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes bit `cpu` of the set; callers pass a CPU
    // found allowed, so below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    set
}

/// `sched_setaffinity` of thread `tid` (0: the caller); true when done.
fn set_affinity(tid: libc::pid_t, set: &libc::cpu_set_t) -> bool {
    // SAFETY: the kernel reads `size_of::<cpu_set_t>()` bytes from `set`,
    // which we own; an unknown or exited tid only makes the call fail.
    unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), set) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus_of(tid: libc::pid_t) -> Vec<usize> {
        // SAFETY: as in `pin_consumer`.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `pin_consumer`.
        assert_eq!(unsafe { libc::sched_getaffinity(tid, size, &mut set) }, 0);
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: in range, as in `pin_consumer`.
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .collect()
    }

    /// Two threads pinned to two CPUs, and both masks given back; nothing
    /// pinned with one CPU allowed.
    #[test]
    fn pins_apart_then_gives_back() {
        // (On a thread of its own: the mask is the thread's.)
        std::thread::spawn(|| {
            let before = cpus_of(0);
            let Some(s) = Spread::pin_consumer() else {
                assert_eq!(before.len(), 1, "two CPUs or more: pinned");
                return;
            };
            // SAFETY: gettid has no arguments and cannot fail.
            let me = unsafe { libc::gettid() };
            let mine = cpus_of(me);
            assert_eq!(mine.len(), 1);
            let (theirs, s) = std::thread::spawn(move || {
                s.pin_reader();
                let theirs = cpus_of(0);
                (theirs, s)
            })
            .join()
            .expect("reader thread");
            assert_eq!(theirs.len(), 1);
            assert_ne!(theirs, mine);
            assert!(before.contains(&theirs[0]) && before.contains(&mine[0]));
            let mut s = s;
            s.check();
            assert_eq!(cpus_of(me), mine, "still pinned before PINNED_FOR");
            s.undo();
            assert_eq!(cpus_of(me), before);
            // With one CPU allowed, nothing is pinned.
            assert!(set_affinity(0, &one_cpu(mine[0])));
            assert!(Spread::pin_consumer().is_none());
            assert!(set_affinity(0, &s.before));
        })
        .join()
        .expect("test thread");
    }
}
