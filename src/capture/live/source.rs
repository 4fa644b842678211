//! [`LiveSource`]: loads and attaches the probe, drains its ring buffer.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::programs::BtfTracePoint;
use aya::{Btf, Ebpf, EbpfLoader};

use super::options::LiveOptions;
use super::procinfo::ProcinfoSampler;
use super::record::{decode_record, REC_PREFIX};
use super::{check_capabilities, LiveError};
use crate::capture::{CaptureMeta, Events, Item, Run, Source, SourceError, SourceStats};

/// The compiled probe (built by build.rs).
static PROBE: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// (program name in the object, BTF tracepoint it attaches to), in the
/// order they are attached. All are loaded (verified) before the first is
/// attached: loading `sys_enter` takes tens of milliseconds, and a capture
/// that saw exits during that time had no enter events for the processes
/// that ran then. `sys_enter` goes before `sys_exit`, so that the moment
/// between the two attachments only leaves syscalls whose exit comes after
/// the capture starts, as any capture has.
const PROGRAMS: &[(&str, &str)] = &[
    ("sched_process_exit", "sched_process_exit"),
    ("sys_enter", "sys_enter"),
    ("sys_exit", "sys_exit"),
];

/// The probe's BTF tracepoint program `name`.
fn program<'a>(
    ebpf: &'a mut aya::Ebpf,
    name: &'static str,
) -> Result<&'a mut BtfTracePoint, LiveError> {
    ebpf.program_mut(name)
        .ok_or(LiveError::MissingProgram(name))?
        .try_into()
        .map_err(|e| program_error(name, e))
}

fn program_error(name: &'static str, e: aya::programs::ProgramError) -> LiveError {
    LiveError::Program {
        name,
        source: Box::new(e),
    }
}

/// Per-CPU counters kept by the probe (`struct counters` in builder.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    drops: u64,
    sent: u64,
}

// SAFETY: `Counters` is `repr(C)`, made only of integers (any bit pattern is
// valid) and has no padding; it mirrors `struct counters` of the probe.
unsafe impl aya::Pod for Counters {}

/// Ends a live capture from another thread: once set, `next_item` returns
/// `Ok(None)` within one poll timeout.
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    /// The flag itself, for callers that keep an `Arc<AtomicBool>`.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

/// A live capture. Events are copied out of the ring buffer into one reused
/// buffer (no allocation per event) and lent out until the next call.
pub struct LiveSource {
    // Field order matters for drop: the maps before the object holding the
    // attached programs is irrelevant to the kernel, but keep the loader last.
    ring: RingBuf<MapData>,
    counters: PerCpuArray<MapData, Counters>,
    buf: Vec<u8>,
    stop: StopHandle,
    poll_timeout_ms: i32,
    delivered: u64,
    bad_records: u64,
    meta: CaptureMeta,
    procinfo: Option<ProcinfoSampler>,
    /// Timestamp of the latest event handed out (procinfo events get it, so
    /// timestamps never go back).
    last_ts: u64,
    boot_offset: u64,
    /// With `drain_on_stop`: the time the stop was first seen; events up to
    /// it are still handed out.
    drain: Option<Option<u64>>,
    _ebpf: Ebpf,
}

/// CLOCK_BOOTTIME now, in ns (the probe's clock).
fn boot_now_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the valid, exclusively borrowed
    // timespec it is given; the clock id is a constant of this platform.
    if unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut t) } != 0 {
        return 0;
    }
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

fn boot_offset_ns() -> u64 {
    let mut real = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut boot = real;
    // SAFETY: clock_gettime writes into the valid, exclusively borrowed
    // timespec it is given; the clock ids are constants of this platform.
    let ok = unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &mut real) == 0
            && libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut boot) == 0
    };
    if !ok {
        return 0;
    }
    let ns = |t: libc::timespec| (t.tv_sec as i128) * 1_000_000_000 + t.tv_nsec as i128;
    u64::try_from(ns(real) - ns(boot)).unwrap_or(0)
}

impl LiveSource {
    /// Checks privileges, loads the probe and starts capturing.
    pub fn open(opts: LiveOptions) -> Result<LiveSource, LiveError> {
        opts.validate()?;
        check_capabilities()?;
        let ring_size = opts.ring_size()?;
        let ncpu =
            aya::util::nr_cpus().map_err(|(what, source)| LiveError::Cpus { what, source })?;
        let ncpu = u32::try_from(ncpu.max(1)).unwrap_or(u32::MAX);
        let self_tgid: u32 = if opts.capture_self {
            0
        } else {
            std::process::id()
        };
        let boot = boot_offset_ns();
        let snaplen = opts.snaplen;
        let wakeup = opts.wakeup_every.max(1);
        let wakeup_bytes = u64::from(ring_size / 8);
        let attach_only = u32::from(opts.attach_only);

        let mut loader = EbpfLoader::new();
        loader
            .override_global("cfg_snaplen", &snaplen, true)
            .override_global("cfg_self_tgid", &self_tgid, true)
            .override_global("cfg_boot_offset", &boot, true)
            .override_global("cfg_wakeup_every", &wakeup, true)
            .override_global("cfg_wakeup_bytes", &wakeup_bytes, true)
            .override_global("cfg_attach_only", &attach_only, true)
            .map_max_entries("events", ring_size)
            .map_max_entries("scratch_map", ncpu);
        let mut ebpf = loader
            .load(PROBE)
            .map_err(|e| LiveError::Load(Box::new(e)))?;

        let btf = Btf::from_sys_fs().map_err(LiveError::Btf)?;
        for &(name, tp) in PROGRAMS {
            program(&mut ebpf, name)?
                .load(tp, &btf)
                .map_err(|e| program_error(name, e))?;
        }
        for &(name, _) in PROGRAMS {
            program(&mut ebpf, name)?
                .attach()
                .map_err(|e| program_error(name, e))?;
        }

        let ring_map = ebpf
            .take_map("events")
            .ok_or(LiveError::MissingMap("events"))?;
        let ring = RingBuf::try_from(ring_map).map_err(|e| LiveError::Map {
            name: "events",
            source: Box::new(e),
        })?;
        let cnt_map = ebpf
            .take_map("counters")
            .ok_or(LiveError::MissingMap("counters"))?;
        let counters = PerCpuArray::try_from(cnt_map).map_err(|e| LiveError::Map {
            name: "counters",
            source: Box::new(e),
        })?;
        let poll_timeout_ms = i32::try_from(opts.poll_timeout.as_millis())
            .unwrap_or(i32::MAX)
            .max(1);
        Ok(LiveSource {
            ring,
            counters,
            buf: Vec::with_capacity(64 * 1024),
            stop: StopHandle::default(),
            poll_timeout_ms,
            delivered: 0,
            bad_records: 0,
            meta: CaptureMeta::default(),
            procinfo: (opts.procinfo && !opts.attach_only).then(ProcinfoSampler::default),
            last_ts: 0,
            boot_offset: boot,
            drain: opts.drain_on_stop.then_some(None),
            _ebpf: ebpf,
        })
    }

    /// A handle that ends the capture from any thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Records that failed [`decode_record`] and were skipped.
    pub fn bad_records(&self) -> u64 {
        self.bad_records
    }

    /// Events lost in the kernel because the ring buffer was full.
    pub fn drops(&self) -> u64 {
        match self.counters.get(&0, 0) {
            Ok(v) => v.iter().map(|c| c.drops).sum(),
            Err(_) => 0,
        }
    }

    fn wait(&self, timeout: Duration) -> Result<(), LiveError> {
        let fd: RawFd = self.ring.as_raw_fd();
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `pfd` is a valid pollfd for the duration of the call and we
        // pass a count of exactly one; the fd is owned by `self.ring`.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(LiveError::Poll(err));
            }
        }
        Ok(())
    }

    /// Copies a due procinfo record into `buf`; false when none is due.
    fn fill_procinfo(&mut self) -> bool {
        let Some(sampler) = self.procinfo.as_mut() else {
            return false;
        };
        let ts = if self.last_ts != 0 {
            self.last_ts
        } else {
            boot_now_ns().saturating_add(self.boot_offset)
        };
        match sampler.next_record(ts) {
            Some(rec) => {
                self.buf = rec;
                true
            }
            None => false,
        }
    }

    /// Notes the timestamp of the event in `buf` (before it is handed out).
    fn note_ts(&mut self) {
        if let Some(ts) = self.buf_ts() {
            self.last_ts = self.last_ts.max(ts);
        }
    }

    /// Copies the next valid record into `buf`; false when the ring is empty.
    fn fill_next(&mut self) -> bool {
        loop {
            let Some(item) = self.ring.next() else {
                return false;
            };
            self.buf.clear();
            self.buf.extend_from_slice(&item);
            drop(item);
            if decode_record(&self.buf).is_ok() {
                return true;
            }
            self.bad_records += 1;
        }
    }

    /// Next event, waiting at most `timeout`; `Ok(None)` if none arrived
    /// (or the capture was stopped).
    pub fn next_event_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<crate::event::EventRef<'_>>, LiveError> {
        if self.stop.is_stopped() {
            return Ok(None);
        }
        if self.fill_procinfo() {
            return Ok(Some(decode_record(&self.buf)?));
        }
        if !self.fill_next() {
            self.wait(timeout)?;
            if !self.fill_next() {
                return Ok(None);
            }
        }
        self.take_record();
        Ok(Some(decode_record(&self.buf)?))
    }
}

/// What [`LiveSource::fill`] found.
enum Filled {
    Stopped,
    /// A procinfo record in `buf`.
    Procinfo,
    /// An event record in `buf`.
    Record,
    /// Nothing by the deadline.
    Idle,
}

impl LiveSource {
    /// Counts the event record in `buf` as handed out.
    fn take_record(&mut self) -> Filled {
        self.delivered += 1;
        self.note_ts();
        Filled::Record
    }

    /// Stopped: with `drain_on_stop`, the next event the ring holds from
    /// before the stop (those after it are dropped), else the end.
    fn drained(&mut self) -> Filled {
        let Some(until) = self.drain.as_mut() else {
            return Filled::Stopped;
        };
        let boot_offset = self.boot_offset;
        let until = *until.get_or_insert_with(|| boot_now_ns().saturating_add(boot_offset));
        if !self.fill_next() || self.buf_ts().is_none_or(|ts| ts > until) {
            return Filled::Stopped;
        }
        self.take_record()
    }

    /// The timestamp of the record in `buf`.
    fn buf_ts(&self) -> Option<u64> {
        self.buf
            .get(REC_PREFIX..REC_PREFIX + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
    }

    /// Waits for the next record (into `buf`), until stopped or, with
    /// `by`, until that time passes with nothing at hand.
    fn fill(&mut self, by: Option<Instant>) -> Result<Filled, SourceError> {
        let timeout = Duration::from_millis(self.poll_timeout_ms as u64);
        loop {
            if self.stop.is_stopped() {
                return Ok(self.drained());
            }
            if self.fill_procinfo() {
                return Ok(Filled::Procinfo);
            }
            if self.fill_next() {
                return Ok(self.take_record());
            }
            if by.is_some_and(|t| Instant::now() >= t) {
                return Ok(Filled::Idle);
            }
            self.wait(timeout)?;
        }
    }
}

impl Source for LiveSource {
    fn next_item(&mut self) -> Result<Option<Item<'_>>, SourceError> {
        match self.fill(None)? {
            Filled::Stopped | Filled::Idle => Ok(None),
            Filled::Procinfo | Filled::Record => {
                let ev = decode_record(&self.buf).map_err(LiveError::from)?;
                Ok(Some(Item::Event(ev)))
            }
        }
    }

    fn next_run_by(&mut self, by: Option<Instant>) -> Result<Option<Run<'_>>, SourceError> {
        match self.fill(by)? {
            Filled::Stopped => Ok(None),
            Filled::Idle => Ok(Some(Run::Events(Events::none()))),
            Filled::Procinfo | Filled::Record => {
                let ev = decode_record(&self.buf).map_err(LiveError::from)?;
                Ok(Some(Run::Events(Events::one(ev))))
            }
        }
    }

    fn meta(&self) -> &CaptureMeta {
        &self.meta
    }

    fn stats(&self) -> SourceStats {
        SourceStats {
            events: self.delivered,
            drops: self.drops(),
        }
    }
}
