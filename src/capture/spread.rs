//! Keeping a capture file's reading thread and its consumer on two CPUs.
//!
//! The reading thread hands batches to the consumer (state, filter,
//! output), and each waits for the other now and then. Every such wake-up
//! lets the scheduler move the woken thread next to the one that woke it,
//! and on a small machine the two then take turns on one CPU while the
//! other idles, until load balancing parts them again: measured on a
//! 2-CPU VM, the consumer of `dig -r` waited about 1.3 ms of a 12 ms run
//! for batches (p25), and 0.2-0.4 ms with the threads pinned apart.
//!
//! So a read pins each of the two threads to a CPU of its own, among those
//! the process may use, for about its first second only ([`PINNED_FOR`]):
//! a long read goes back to the scheduler's choice, so that a CPU taken by
//! other work later does not hold either thread. Each thread gives its own
//! mask back, at its first batch past that time or when its [`Pin`] is
//! dropped (a thread blocked meanwhile, on a full queue or a slow stdout,
//! holds no CPU). Nothing happens when the process may use one CPU
//! (`taskset`, a cpuset) or a call fails: pinning changes where the
//! threads run, never what they do.

use std::time::{Duration, Instant};

/// How long the threads stay pinned.
pub const PINNED_FOR: Duration = Duration::from_secs(1);

/// The two CPUs chosen for a read, before either thread is pinned.
#[derive(Clone)]
pub struct Plan {
    /// The CPUs the process could use.
    before: libc::cpu_set_t,
    consumer_cpu: usize,
    reader_cpu: usize,
    until: Instant,
}

/// One thread's pin: its mask before, given back by [`Pin::check`] past
/// its time, or when dropped. To be kept by the thread it pinned.
pub struct Pin {
    before: libc::cpu_set_t,
    until: Instant,
    pinned: bool,
}

impl Plan {
    /// Two CPUs the process may use: the one the caller (the consumer)
    /// runs on, and the next allowed one for the reading thread; `None`
    /// with one CPU allowed.
    pub fn new() -> Option<Plan> {
        Plan::pinned_for(PINNED_FOR)
    }

    fn pinned_for(d: Duration) -> Option<Plan> {
        let (before, here) = mask_and_cpu()?;
        // The next allowed CPU after this one, around.
        let reader_cpu = others(&before, here).next()?;
        Some(Plan {
            before,
            consumer_cpu: here,
            reader_cpu,
            until: Instant::now() + d,
        })
    }

    /// Pins the calling thread, the consumer, to its CPU. (Called after
    /// the reading thread is started, which would otherwise inherit it.)
    pub fn pin_consumer(&self) -> Pin {
        self.pin(self.consumer_cpu)
    }

    /// Pins the calling thread, the reading one, to its CPU.
    pub fn pin_reader(&self) -> Pin {
        self.pin(self.reader_cpu)
    }

    fn pin(&self, cpu: usize) -> Pin {
        Pin {
            before: self.before,
            until: self.until,
            pinned: set_affinity(&one_cpu(cpu)),
        }
    }
}

impl Pin {
    /// Gives the thread its mask back once [`PINNED_FOR`] has passed
    /// (cheap: to be called for every batch).
    #[inline]
    pub fn check(&mut self) {
        if self.pinned && Instant::now() >= self.until {
            self.unpin();
        }
    }

    fn unpin(&mut self) {
        if self.pinned {
            self.pinned = false;
            set_affinity(&self.before);
        }
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        self.unpin();
    }
}

/// A CPU for a short-lived helper of the calling thread (the main one,
/// before a read's [`Plan`] is made), to be pinned to so that it does not
/// take the caller's turns: the second allowed CPU after the caller's,
/// clear of the one a plan gives the reading thread, or that one with
/// two CPUs. As a set of one CPU; `None` with one CPU allowed.
pub fn helper_cpu() -> Option<libc::cpu_set_t> {
    let (before, here) = mask_and_cpu()?;
    let mut after = others(&before, here);
    let first = after.next()?;
    Some(one_cpu(after.next().unwrap_or(first)))
}

/// The calling thread's CPU mask and the CPU it runs on, if the mask
/// allows that CPU.
fn mask_and_cpu() -> Option<(libc::cpu_set_t, usize)> {
    let before = affinity()?;
    // SAFETY: sched_getcpu only reads the current CPU number.
    let here = usize::try_from(unsafe { libc::sched_getcpu() }).ok()?;
    allowed(&before, here).then_some((before, here))
}

/// Whether `set` allows `cpu`.
fn allowed(set: &libc::cpu_set_t, cpu: usize) -> bool {
    // SAFETY: CPU_ISSET reads bit `cpu` of the set, which is in range
    // (below CPU_SETSIZE).
    cpu < libc::CPU_SETSIZE as usize && unsafe { libc::CPU_ISSET(cpu, set) }
}

/// The CPUs `set` allows other than `here`, from the one after it, around.
fn others(set: &libc::cpu_set_t, here: usize) -> impl Iterator<Item = usize> + '_ {
    let n = libc::CPU_SETSIZE as usize;
    (1..n)
        .map(move |k| (here + k) % n)
        .filter(move |&c| allowed(set, c))
}

/// The calling thread's CPU mask.
fn affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: a zeroed cpu_set_t is an empty set; sched_getaffinity writes
    // at most `size_of::<cpu_set_t>()` bytes into the one we own.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: as above.
    (unsafe { libc::sched_getaffinity(0, size, &mut set) } == 0).then_some(set)
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

/// `sched_setaffinity` of the calling thread; true when done.
fn set_affinity(set: &libc::cpu_set_t) -> bool {
    // SAFETY: the kernel reads `size_of::<cpu_set_t>()` bytes from `set`,
    // which we own.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPUs of the calling thread's mask.
    fn cpus() -> Vec<usize> {
        cpus_of(&affinity().expect("sched_getaffinity"))
    }

    fn cpus_of(set: &libc::cpu_set_t) -> Vec<usize> {
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| allowed(set, c))
            .collect()
    }

    /// Two threads pinned to two CPUs, each given its mask back (at its
    /// time, or when its pin is dropped); nothing planned with one CPU.
    #[test]
    fn pins_apart_then_gives_back() {
        // (On a thread of its own: the mask is the thread's.)
        std::thread::spawn(|| {
            let before = cpus();
            let Some(plan) = Plan::pinned_for(Duration::from_secs(3600)) else {
                assert_eq!(before.len(), 1, "two CPUs or more: a plan");
                return;
            };
            let theirs = std::thread::scope(|s| {
                s.spawn(|| {
                    let mut pin = plan.pin_reader();
                    let theirs = cpus();
                    pin.check();
                    assert_eq!(cpus(), theirs, "still pinned before its time");
                    drop(pin);
                    assert_eq!(cpus(), before, "given back when dropped");
                    theirs
                })
                .join()
                .expect("reader thread")
            });
            // A helper's CPU (chosen before this thread is pinned, as the
            // main thread does): one, and one it may use.
            let helper = cpus_of(&helper_cpu().expect("two CPUs or more: a helper's"));
            assert_eq!(helper.len(), 1);
            assert!(before.contains(&helper[0]));
            let mut pin = plan.pin_consumer();
            let mine = cpus();
            assert_eq!((mine.len(), theirs.len()), (1, 1));
            assert_ne!(theirs, mine);
            assert!(before.contains(&theirs[0]) && before.contains(&mine[0]));
            // Past its time, `check` gives the mask back.
            pin.until = Instant::now();
            pin.check();
            assert_eq!(cpus(), before);
            // With one CPU allowed, no plan.
            assert!(set_affinity(&one_cpu(mine[0])));
            assert!(Plan::new().is_none());
            assert!(helper_cpu().is_none());
            assert!(set_affinity(&plan.before));
        })
        .join()
        .expect("test thread");
    }
}
