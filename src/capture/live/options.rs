//! Options of a live capture.

use std::time::Duration;

use super::LiveError;

/// How the probe is configured when [`LiveSource::open`](super::LiveSource::open) loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Bytes of I/O buffers (read/write/send/recv data) copied into events.
    /// At most 16384.
    pub snaplen: u32,
    /// Size of the BPF ring buffer shared by all CPUs. Rounded up to a power
    /// of two (the kernel requires it), at least one page.
    pub ring_bytes: usize,
    /// Every this many events per CPU the probe checks the ring's backlog and
    /// forces a consumer wake-up if it exceeds 1/8 of the ring; other events
    /// are committed without a wake-up and found at the consumer's next poll
    /// (`poll_timeout`). 1 = wake up on every event (lowest latency).
    pub wakeup_every: u32,
    /// Longest time `next_item` sleeps before re-checking the stop flag.
    pub poll_timeout: Duration,
    /// Also capture the events of this process (normally excluded).
    pub capture_self: bool,
    /// Attach the programs but have them return at once, sending nothing:
    /// what the attachment alone costs every syscall (the floor under any
    /// tracepoint probe), for `cargo xtask bench capture`.
    pub attach_only: bool,
    /// Hand out a procinfo event (CPU ticks) for every thread once a second,
    /// as libsinsp does live; the CPU columns of the views need them.
    pub procinfo: bool,
    /// Once stopped, still hand out the events the ring holds from before
    /// the stop (`dig`: Ctrl-C, SIGHUP or `-M` loses none of them), instead
    /// of ending at once (the UI, quitting).
    pub drain_on_stop: bool,
}

pub const DEFAULT_SNAPLEN: u32 = 80;
pub const MAX_SNAPLEN: u32 = 16384;
pub const DEFAULT_RING_BYTES: usize = 64 << 20;

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            snaplen: DEFAULT_SNAPLEN,
            ring_bytes: DEFAULT_RING_BYTES,
            wakeup_every: 256,
            poll_timeout: Duration::from_millis(20),
            capture_self: false,
            attach_only: false,
            procinfo: true,
            drain_on_stop: false,
        }
    }
}

impl LiveOptions {
    /// The ring size the kernel will get: a power of two, at least a page,
    /// at most 1 GiB.
    pub fn ring_size(&self) -> Result<u32, LiveError> {
        let page = page_size();
        let want = self.ring_bytes.max(page);
        let size = want
            .checked_next_power_of_two()
            .filter(|&s| s <= 1 << 30)
            .ok_or_else(|| {
                LiveError::Options(format!("ring_bytes {} too large", self.ring_bytes))
            })?;
        u32::try_from(size).map_err(|_| LiveError::Options(format!("ring_bytes {size}")))
    }

    pub(crate) fn validate(&self) -> Result<(), LiveError> {
        if self.snaplen > MAX_SNAPLEN {
            return Err(LiveError::Options(format!(
                "snaplen {} exceeds {MAX_SNAPLEN}",
                self.snaplen
            )));
        }
        self.ring_size().map(|_| ())
    }
}

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions; it only reads a system constant.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).ok().filter(|&p| p > 0).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_size_rounds_up() {
        let o = LiveOptions {
            ring_bytes: 5000,
            ..LiveOptions::default()
        };
        assert_eq!(o.ring_size().ok(), Some(8192));
        let o = LiveOptions::default();
        assert_eq!(o.ring_size().ok(), Some(64 << 20));
        let o = LiveOptions {
            ring_bytes: 1,
            ..LiveOptions::default()
        };
        assert_eq!(o.ring_size().ok(), Some(page_size() as u32));
        let o = LiveOptions {
            snaplen: 20000,
            ..LiveOptions::default()
        };
        assert!(o.validate().is_err());
    }
}
