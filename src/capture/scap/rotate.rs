//! File rotation for `dig -w`: `-C` (size), `-G` (event time), `-e`
//! (event count) and `-W` (ring of files), with sysdig 0.29.3's rules and
//! file names.
//!
//! What sysdig does, and this module repeats:
//!
//! * The decision is taken before writing each event sysdig would write
//!   (the "considered" events), in this order: `-G` when the event's second
//!   (`ts / 10^9`, truncated) is at least S seconds past the second that
//!   opened the current period; `-C` when the file already holds more than
//!   N·10^6 bytes (compressed bytes with `-z`); `-e` when this is the N-th
//!   event counted since the last `-e` rotation. The event that triggers a
//!   rotation is the first one of the new file, so with `-e N` the first
//!   file holds N-1 events and the next ones N.
//! * Names: with `-G`, the `-w` name run through strftime (local time of
//!   the period's first second) when it contains a `%`, else the name plus
//!   the file index; with `-C`, the index is appended, zero-padded to the
//!   number of digits of `-W` (unpadded without `-W`); with `-e`, the name
//!   is always the `-w` name plus the index. Without `-W` the index grows
//!   forever; with `-W N` it wraps to 0 after N-1, overwriting that file
//!   (strftime-named files of the old slot are removed).
//! * Every file is a complete capture: section header and metadata blocks
//!   (the capture's metadata when reading a file, a fresh /proc scan when
//!   live), then one container event per container known so far, then the
//!   events.
//!
//! One deliberate difference: sysdig 0.29.3 writes the first period of a
//! `-G` capture read from a file with a strftime `-w` name into
//! `first_dump.scap` in the current directory (a known bug); here that
//! file gets the strftime name of its first event, like all the others.
//!
//! On error, the files already finished stay complete; a file whose
//! creation failed part-way is removed.

use chrono::format::{Item, StrftimeItems};
use chrono::{Local, TimeZone};

use super::{ScapError, ScapWriter, WriterOptions};
use crate::capture::CaptureMeta;
use crate::event::EventRef;

/// When to start a new file, and how many to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotateSpec {
    /// `-C`: rotate once the file holds more than this many bytes.
    pub max_bytes: Option<u64>,
    /// `-G`: rotate every this many seconds of event time.
    pub seconds: Option<u64>,
    /// `-e`: rotate every this many events.
    pub events: Option<u64>,
    /// `-W`: keep at most this many files (a ring).
    pub limit: Option<u32>,
}

impl RotateSpec {
    /// True when any rotation is asked for.
    pub fn rotates(&self) -> bool {
        self.max_bytes.is_some() || self.seconds.is_some() || self.events.is_some()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: ScapError },
    #[error("cannot remove old file {path}: {source}")]
    Remove {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid time pattern in -w name '{0}' (strftime % specifiers)")]
    Pattern(String),
}

/// Where the metadata of each new file comes from.
pub enum MetaSource {
    /// The capture's own metadata (sections read later replace it).
    Fixed(CaptureMeta),
    /// Taken anew for each file (a /proc scan for live capture).
    Fresh(Box<dyn FnMut() -> CaptureMeta>),
}

impl MetaSource {
    fn get(&mut self) -> std::borrow::Cow<'_, CaptureMeta> {
        match self {
            MetaSource::Fixed(m) => std::borrow::Cow::Borrowed(m),
            MetaSource::Fresh(f) => std::borrow::Cow::Owned(f()),
        }
    }
}

/// A copy of an event: a container event kept to be repeated at the start
/// of every new file, or an event waiting for the first file.
struct KeptEvent {
    id: String,
    cpu: u16,
    flags: u32,
    bytes: Vec<u8>,
}

impl KeptEvent {
    fn of(id: String, ev: &EventRef<'_>) -> KeptEvent {
        KeptEvent {
            id,
            cpu: ev.cpu,
            flags: ev.dump_flags,
            bytes: ev.bytes().to_vec(),
        }
    }
}

/// At most this many events wait for the first file's name.
const MAX_PENDING: usize = 100_000;

/// Writes `-w` output, rotating files as a [`RotateSpec`] says. Without
/// rotation it writes the one file named by `-w`.
pub struct RotatingWriter {
    base: String,
    spec: RotateSpec,
    opts: WriterOptions,
    meta: MetaSource,
    live: bool,
    current: Option<(ScapWriter, String)>,
    /// Index of the next file (sysdig's `m_file_index`).
    index: u32,
    /// Names written per ring slot, for strftime names with `-W`.
    past: Vec<Option<String>>,
    /// Second that opened the current `-G` period.
    period_start: Option<u64>,
    /// Events counted toward `-e` since its last rotation.
    counted: u64,
    /// Still in the capture's leading container events, which sysdig takes
    /// as initial state: written, but not counted.
    leading: bool,
    containers: Vec<KeptEvent>,
    /// Events that came before the first file could be named (its name
    /// needs the first counted event's time): written once it is open.
    pending: Vec<KeptEvent>,
    /// Files opened so far (a ring slot counts again).
    opened: u64,
}

impl std::fmt::Debug for RotatingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatingWriter")
            .field("base", &self.base)
            .field("spec", &self.spec)
            .field("index", &self.index)
            .finish()
    }
}

impl RotatingWriter {
    /// Checks the name and creates the first file (except for a strftime
    /// name when reading a capture: that one is named after its first
    /// event, so it is created when that event comes).
    pub fn create(
        base: &str,
        spec: RotateSpec,
        opts: WriterOptions,
        meta: MetaSource,
        live: bool,
    ) -> Result<RotatingWriter, RotateError> {
        if spec.seconds.is_some() && base.contains('%') {
            check_pattern(base)?;
        }
        let slots = spec.limit.unwrap_or(0) as usize;
        let mut w = RotatingWriter {
            base: base.to_string(),
            spec,
            opts,
            meta,
            live,
            current: None,
            index: 0,
            past: vec![None; slots],
            period_start: None,
            counted: 0,
            leading: true,
            containers: Vec::new(),
            pending: Vec::new(),
            opened: 0,
        };
        if live && w.spec.seconds.is_some() {
            w.period_start = Some(now_secs());
        }
        if !w.deferred_first() {
            w.next_file(None)?;
        }
        Ok(w)
    }

    /// The first file waits for the first event's time.
    fn deferred_first(&self) -> bool {
        !self.live && self.spec.seconds.is_some() && self.base.contains('%')
    }

    /// Starts a new section in the current file; later files get this
    /// metadata.
    pub fn write_section(&mut self, meta: &CaptureMeta) -> Result<(), RotateError> {
        if let MetaSource::Fixed(m) = &mut self.meta {
            *m = meta.clone();
        }
        let (w, path) = self.current_or_open(None)?;
        w.write_section(meta).map_err(|e| write_err(path, e))
    }

    /// Keeps a container event (by container id) to repeat it at the start
    /// of each new file, as sysdig dumps its container table there.
    pub fn note_container(&mut self, id: String, ev: &EventRef<'_>) {
        let kept = KeptEvent::of(id, ev);
        match self.containers.iter_mut().find(|k| k.id == kept.id) {
            Some(k) => *k = kept,
            None => self.containers.push(kept),
        }
    }

    /// Writes an event. `counted` is false for events sysdig 0.29.3 never
    /// sees (event types it does not know): they go to the current file
    /// and take no part in the rotation decisions.
    pub fn write_event(&mut self, ev: &EventRef<'_>, counted: bool) -> Result<(), RotateError> {
        let is_container = crate::event::table::ids::is_container(ev.etype());
        if !is_container {
            self.leading = false;
        }
        let counts = counted && !(is_container && self.leading) && self.spec.rotates();
        if !counts && self.current.is_none() && self.deferred_first() {
            if self.pending.len() < MAX_PENDING {
                self.pending.push(KeptEvent::of(String::new(), ev));
                return Ok(());
            }
            // Too many events with no time to name the file: use this one.
            self.period_start = Some(ev.ts() / 1_000_000_000);
        }
        if counts {
            self.consider(ev)?;
        }
        let (w, path) = self.current_or_open(Some(ev.ts()))?;
        w.write_event(ev).map_err(|e| write_err(path, e))
    }

    /// Completes the last file.
    pub fn finish(mut self) -> Result<(), RotateError> {
        if self.current.is_none() {
            // Only uncounted events, or none: name the file after the last
            // of them, or the clock, and still leave one capture.
            if self.spec.seconds.is_some() && self.period_start.is_none() {
                let last = self.pending.last().map(|k| ts_of(&k.bytes) / 1_000_000_000);
                self.period_start = Some(last.filter(|s| *s > 0).unwrap_or_else(now_secs));
            }
            self.next_file(None)?;
        }
        match self.current.take() {
            Some((w, path)) => w.finish().map_err(|e| write_err(&path, e)),
            None => Ok(()),
        }
    }

    /// sysdig's `cycle_writer::consider`, for one event about to be written.
    fn consider(&mut self, ev: &EventRef<'_>) -> Result<(), RotateError> {
        self.counted += 1;
        let sec = ev.ts() / 1_000_000_000;
        if let Some(period) = self.spec.seconds {
            match self.period_start {
                None => {
                    self.period_start = Some(sec);
                    if self.current.is_none() {
                        self.next_file(Some(ev.ts()))?;
                    }
                }
                Some(start) => {
                    if sec >= start && sec - start >= period {
                        self.period_start = Some(sec);
                        return self.next_file(Some(ev.ts()));
                    }
                }
            }
        }
        if let (Some(max), Some((w, _))) = (self.spec.max_bytes, self.current.as_ref()) {
            if w.file_offset() > max {
                return self.next_file(Some(ev.ts()));
            }
        }
        if let Some(n) = self.spec.events {
            if self.counted >= n {
                self.counted = 0;
                return self.next_file(Some(ev.ts()));
            }
        }
        Ok(())
    }

    fn current_or_open(&mut self, ts: Option<u64>) -> Result<(&mut ScapWriter, &str), RotateError> {
        if self.current.is_none() {
            if self.spec.seconds.is_some() && self.period_start.is_none() {
                self.period_start = Some(ts.map_or_else(now_secs, |t| t / 1_000_000_000));
            }
            self.next_file(ts)?;
        }
        match self.current.as_mut() {
            Some((w, p)) => Ok((w, p.as_str())),
            // next_file either sets `current` or fails.
            None => Err(RotateError::Write {
                path: self.base.clone(),
                source: ScapError::Io(std::io::Error::other("no output file")),
            }),
        }
    }

    /// Closes the current file and opens the next one (sysdig's
    /// `next_file` + `autodump_next_file`). `ts` is the time of the event
    /// that caused it, stamped on the repeated container events.
    fn next_file(&mut self, ts: Option<u64>) -> Result<(), RotateError> {
        if let Some((w, path)) = self.current.take() {
            w.finish().map_err(|e| write_err(&path, e))?;
        }
        if let Some(limit) = self.spec.limit {
            if self.index >= limit {
                self.index = 0;
            }
        }
        let period = self.period_start.unwrap_or_else(now_secs);
        let name = file_name(&self.base, &self.spec, self.index, period)?;
        if let Some(slot) = self.past.get_mut(self.index as usize) {
            if self.spec.seconds.is_some() && self.base.contains('%') {
                if let Some(old) = slot.replace(name.clone()) {
                    if old != name {
                        match std::fs::remove_file(&old) {
                            Ok(()) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => {
                                return Err(RotateError::Remove {
                                    path: old,
                                    source: e,
                                })
                            }
                        }
                    }
                }
            }
        }
        let writer = self.open(&name, ts)?;
        self.current = Some((writer, name.clone()));
        self.opened += 1;
        self.index += 1;
        Ok(())
    }

    /// Creates one file: metadata, then the container events known so far
    /// (none for the first file: the capture's own come as events).
    fn open(&mut self, name: &str, ts: Option<u64>) -> Result<ScapWriter, RotateError> {
        let first = self.opened == 0;
        let pending = std::mem::take(&mut self.pending);
        let meta = self.meta.get();
        let made = ScapWriter::create_with(name, &meta, &self.opts).and_then(|mut w| {
            for k in &pending {
                let ev = EventRef::new(k.cpu, k.flags, &k.bytes)
                    .map_err(|e| ScapError::format(0, e.to_string()))?;
                w.write_event(&ev)?;
            }
            if !first {
                for k in &self.containers {
                    let mut bytes = k.bytes.clone();
                    if let (Some(t), Some(head)) = (ts, bytes.get_mut(0..8)) {
                        head.copy_from_slice(&t.to_le_bytes());
                    }
                    let ev = EventRef::new(k.cpu, k.flags, &bytes)
                        .map_err(|e| ScapError::format(0, e.to_string()))?;
                    w.write_event(&ev)?;
                }
            }
            Ok(w)
        });
        match made {
            Ok(w) => Ok(w),
            Err(e) => {
                // Leave no half-written file behind.
                let _ = std::fs::remove_file(name);
                Err(write_err(name, e))
            }
        }
    }
}

fn write_err(path: &str, source: ScapError) -> RotateError {
    RotateError::Write {
        path: path.to_string(),
        source,
    }
}

/// The timestamp of a v2 event's bytes.
fn ts_of(bytes: &[u8]) -> u64 {
    bytes
        .get(0..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn check_pattern(base: &str) -> Result<(), RotateError> {
    if StrftimeItems::new(base).any(|i| matches!(i, Item::Error)) {
        return Err(RotateError::Pattern(base.to_string()));
    }
    Ok(())
}

/// The name of file number `index` (already wrapped by `-W`) whose period
/// started at `period_secs` (seconds since the epoch), as sysdig 0.29.3
/// names it.
pub fn file_name(
    base: &str,
    spec: &RotateSpec,
    index: u32,
    period_secs: u64,
) -> Result<String, RotateError> {
    if spec.events.is_some() {
        return Ok(format!("{base}{index}"));
    }
    let mut name = match spec.seconds {
        Some(_) if base.contains('%') => strftime(base, period_secs)?,
        Some(_) => format!("{base}{index}"),
        None => base.to_string(),
    };
    if spec.max_bytes.is_some() {
        let width = digits(spec.limit.unwrap_or(0));
        name.push_str(&format!("{index:0width$}"));
    }
    Ok(name)
}

fn strftime(pattern: &str, secs: u64) -> Result<String, RotateError> {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| Local.timestamp_opt(s, 0).single())
        .ok_or_else(|| RotateError::Pattern(pattern.to_string()))?;
    let items: Vec<Item<'_>> = StrftimeItems::new(pattern).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(RotateError::Pattern(pattern.to_string()));
    }
    Ok(t.format_with_items(items.into_iter()).to_string())
}

/// Decimal digits of `n` (0 for 0), as sysdig pads `-C` file numbers.
fn digits(mut n: u32) -> usize {
    let mut d = 0;
    while n > 0 {
        d += 1;
        n /= 10;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(c: bool, g: bool, e: bool, w: Option<u32>) -> RotateSpec {
        RotateSpec {
            max_bytes: c.then_some(1_000_000),
            seconds: g.then_some(1),
            events: e.then_some(10),
            limit: w,
        }
    }

    #[test]
    fn names_follow_sysdig() {
        let n = |s: &RotateSpec, i| file_name("a.scap", s, i, 0).unwrap_or_default();
        assert_eq!(n(&spec(true, false, false, None), 3), "a.scap3");
        assert_eq!(n(&spec(true, false, false, Some(10)), 3), "a.scap03");
        assert_eq!(n(&spec(true, false, false, Some(2)), 1), "a.scap1");
        assert_eq!(n(&spec(false, false, true, Some(10)), 3), "a.scap3");
        assert_eq!(n(&spec(true, false, true, Some(100)), 3), "a.scap3");
        assert_eq!(n(&spec(false, true, false, None), 2), "a.scap2");
        assert_eq!(n(&spec(true, true, false, None), 2), "a.scap22");
        assert_eq!(n(&spec(false, false, false, None), 0), "a.scap");
    }

    #[test]
    fn strftime_names() {
        let s = spec(false, true, false, None);
        let name = file_name("x-%Y.scap", &s, 0, 1_555_011_816).unwrap_or_default();
        assert!(
            name.starts_with("x-2019") || name.starts_with("x-2020"),
            "{name}"
        );
        assert!(check_pattern("x-%Q.scap").is_err());
    }

    #[test]
    fn digit_counts() {
        assert_eq!(digits(0), 0);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(100), 3);
    }
}
