//! One event format end to end: a libscap event (`ppm_evt_hdr` v2 + parameter
//! lengths + parameter bytes), viewed in place, decoded lazily.
//!
//! Every source (the eBPF probe, a `.scap` file of any generation) hands the
//! rest of syspect events in the **v2 layout**: a 26-byte header
//! `u64 ts, u64 tid, u32 len, u16 type, u32 nparams`, then `nparams` lengths
//! (u16, or u32 for `EF_LARGE_PAYLOAD` events), then the values back to back.

pub mod params;
pub mod render;
pub mod services;
pub mod syscalls;
pub mod table;
pub mod visibility;

pub use table::{table, EventInfo, EventTable, ParamInfo};

/// Size of the v2 event header.
pub const HDR_LEN: usize = 26;
/// Size of the v1 event header (no `nparams`).
pub const HDR_LEN_V1: usize = 22;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("event shorter than its header ({0} bytes)")]
    Short(usize),
    #[error("event length {len} exceeds the {avail} bytes available")]
    Overrun { len: usize, avail: usize },
    #[error("event parameters ({need} bytes) do not fit in its length {len}")]
    BadParams { need: usize, len: usize },
    #[error("event type id {0} is out of range")]
    BadType(u16),
}

#[inline]
fn rd_u16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}
#[inline]
fn rd_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}
#[inline]
fn rd_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map(|s| {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            u64::from_le_bytes(a)
        })
        .unwrap_or(0)
}

/// The outcome of [`EventRef::new`] for one event, kept apart from its
/// bytes: the pipelined reader copies events across threads and binds the
/// copy again without validating it twice.
#[derive(Clone, Copy, Debug)]
pub struct Checked {
    cpu: u16,
    /// [`EventRef`]'s `kind`: the type id, for a consumer that only needs
    /// that ([`Checked::etype`]), and the length size.
    kind: u16,
    dump_flags: u32,
}

impl Checked {
    /// The event's type id.
    #[inline]
    pub fn etype(&self) -> u16 {
        self.kind & !LARGE
    }
    /// The event's dump flags.
    #[inline]
    pub fn dump_flags(&self) -> u32 {
        self.dump_flags
    }
    /// The event again, borrowed from `copy`, which must be a byte-exact
    /// copy of the checked event. Only its length is checked again: every
    /// accessor is bounds-checked, so even a wrong copy cannot panic.
    #[inline]
    pub fn bind(self, copy: &[u8]) -> Option<EventRef<'_>> {
        let len = copy
            .get(16..20)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
        (len >= HDR_LEN && len == copy.len()).then(|| self.bind_copy(copy))
    }

    /// [`Checked::bind`] without the length check, for copies this process
    /// made itself and recorded the bounds of (the pipelined reader's
    /// batches). A wrong copy still cannot panic: every accessor is
    /// bounds-checked.
    #[inline]
    pub fn bind_copy(self, copy: &[u8]) -> EventRef<'_> {
        EventRef {
            cpu: self.cpu,
            dump_flags: self.dump_flags,
            kind: self.kind,
            bytes: copy,
        }
    }
}

/// A validated event in the v2 layout, borrowed from wherever it lives
/// (a ring buffer, a file buffer, the store).
#[derive(Clone, Copy, Debug)]
pub struct EventRef<'a> {
    /// CPU the event was recorded on.
    pub cpu: u16,
    /// scap dump flags (1 = state only, not to be shown).
    pub dump_flags: u32,
    /// The type id, read once from the header (what every stage asks
    /// first, then without a bounds check each time), and [`LARGE`] when
    /// a parameter length takes 4 bytes (`EF_LARGE_PAYLOAD`), else 2 (in
    /// one field, so that the event stays three words, as it is copied
    /// from stage to stage).
    kind: u16,
    bytes: &'a [u8],
}

/// The bit of [`EventRef`]'s `kind` that says its parameter lengths take 4
/// bytes (type ids are far below it: the table has some 400).
const LARGE: u16 = 1 << 15;

/// [`EventRef`]'s `kind` for this type id and length size.
#[inline]
fn kind_of(etype: u16, lsz: u8) -> u16 {
    (etype & !LARGE) | if lsz == 4 { LARGE } else { 0 }
}

/// The size of a parameter length (2, or 4 for `EF_LARGE_PAYLOAD`) of
/// every type id in the event table, by id: what [`EventRef::check`] takes.
pub fn lsz_by_type() -> &'static [u8] {
    static LSZ: std::sync::OnceLock<Box<[u8]>> = std::sync::OnceLock::new();
    LSZ.get_or_init(|| {
        (0..table().len())
            .map(|t| u16::try_from(t).map_or(2, |t| lensize(t) as u8))
            .collect()
    })
}

impl<'a> EventRef<'a> {
    /// [`EventRef::new`] for a bulk reader's fast path: the same checks,
    /// with the length size looked up in `lsz` ([`lsz_by_type`]), and
    /// `None` for anything that fails them or a type id past `lsz` (the
    /// reader's general path then gives the error).
    #[inline(always)]
    pub fn check(cpu: u16, dump_flags: u32, bytes: &'a [u8], lsz: &[u8]) -> Option<Self> {
        let etype = bytes
            .get(20..22)
            .map(|t| u16::from_le_bytes([t[0], t[1]]))?;
        let l = *lsz.get(usize::from(etype))?;
        Self::validate(cpu, dump_flags, bytes, |_| usize::from(l)).ok()
    }

    /// Checks the v2 layout and borrows it. `bytes` may be longer than the
    /// event; the view is cut to the header's `len`.
    #[inline]
    pub fn new(cpu: u16, dump_flags: u32, bytes: &'a [u8]) -> Result<Self, EventError> {
        Self::validate(cpu, dump_flags, bytes, lensize)
    }

    /// The checks of [`EventRef::new`] and [`EventRef::check`], with the
    /// length size of the event's type from `lsz_of`.
    #[inline(always)]
    fn validate(
        cpu: u16,
        dump_flags: u32,
        bytes: &'a [u8],
        lsz_of: impl FnOnce(u16) -> usize,
    ) -> Result<Self, EventError> {
        let Some(hdr) = bytes.first_chunk::<HDR_LEN>() else {
            return Err(EventError::Short(bytes.len()));
        };
        let len = u32::from_le_bytes([hdr[16], hdr[17], hdr[18], hdr[19]]) as usize;
        let etype = u16::from_le_bytes([hdr[20], hdr[21]]);
        let nparams = u32::from_le_bytes([hdr[22], hdr[23], hdr[24], hdr[25]]) as usize;
        if len < HDR_LEN {
            return Err(EventError::Short(len));
        }
        // (No event table comes near it: the bit holds the length size.)
        if etype & LARGE != 0 {
            return Err(EventError::BadType(etype));
        }
        let Some(bytes) = bytes.get(..len) else {
            return Err(EventError::Overrun {
                len,
                avail: bytes.len(),
            });
        };
        let lsz = lsz_of(etype);
        // nparams < 2^32 and lsz <= 4: no overflow on 64-bit targets, but
        // stay checked for 32-bit ones.
        let lens_end = nparams
            .checked_mul(lsz)
            .and_then(|x| x.checked_add(HDR_LEN))
            .ok_or(EventError::BadParams {
                need: usize::MAX,
                len,
            })?;
        if lens_end > bytes.len() {
            return Err(EventError::BadParams {
                need: lens_end,
                len,
            });
        }
        // At most 2^30 lengths of at most 2^32 each: no overflow on 64 bits.
        let total = lens_end + lens_in(bytes, HDR_LEN, lens_end, lsz);
        if total > len {
            return Err(EventError::BadParams { need: total, len });
        }
        Ok(EventRef {
            cpu,
            dump_flags,
            kind: kind_of(etype, lsz as u8),
            bytes,
        })
    }

    /// What an exact copy of this event needs to be handed out again
    /// without a second check (see [`Checked::bind`]).
    #[inline]
    pub fn checked(&self) -> Checked {
        Checked {
            cpu: self.cpu,
            kind: self.kind,
            dump_flags: self.dump_flags,
        }
    }

    /// The raw event bytes (header included), exactly `len()` long.
    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    #[inline]
    pub fn ts(&self) -> u64 {
        rd_u64(self.bytes, 0)
    }
    #[inline]
    pub fn tid(&self) -> u64 {
        rd_u64(self.bytes, 8)
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    #[inline]
    pub fn etype(&self) -> u16 {
        self.kind & !LARGE
    }

    /// The size of one parameter length: 2, or 4 for `EF_LARGE_PAYLOAD`.
    #[inline]
    fn lsz(&self) -> usize {
        if self.kind & LARGE != 0 {
            4
        } else {
            2
        }
    }
    #[inline]
    pub fn nparams(&self) -> usize {
        rd_u32(self.bytes, 22) as usize
    }
    pub fn info(&self) -> &'static EventInfo {
        table().get(self.etype())
    }
    #[inline]
    pub fn is_enter(&self) -> bool {
        self.etype().is_multiple_of(2)
    }
    /// The bytes of parameter `i`, or `None` past `nparams`.
    #[inline]
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        let n = self.nparams();
        if i >= n {
            return None;
        }
        let lsz = self.lsz();
        // `new` checked that the lengths and values fit in `bytes`.
        let end = HDR_LEN + i * lsz;
        let off = HDR_LEN + n * lsz + lens_in(self.bytes, HDR_LEN, end, lsz);
        let l = plen(self.bytes, lsz, i);
        self.bytes.get(off..off + l)
    }
    /// All parameters in order.
    #[inline]
    pub fn params(&self) -> ParamIter<'a> {
        let n = self.nparams();
        let lsz = self.lsz();
        ParamIter {
            bytes: self.bytes,
            lsz,
            n,
            i: 0,
            off: HDR_LEN + n * lsz,
        }
    }
    /// The parameter called `name` in this event's table entry.
    pub fn param_by_name(&self, name: &str) -> Option<&'a [u8]> {
        self.info().param_index(name).and_then(|i| self.param(i))
    }
}

/// Iterator over the parameter values of an event.
pub struct ParamIter<'a> {
    bytes: &'a [u8],
    lsz: usize,
    n: usize,
    i: usize,
    off: usize,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.i >= self.n {
            return None;
        }
        let l = plen(self.bytes, self.lsz, self.i);
        let v = self.bytes.get(self.off..self.off + l)?;
        self.off += l;
        self.i += 1;
        Some(v)
    }
}

#[inline]
fn lensize(etype: u16) -> usize {
    if table().get(etype).large_payload() {
        4
    } else {
        2
    }
}

#[inline]
fn plen(bytes: &[u8], lsz: usize, i: usize) -> usize {
    let at = HDR_LEN + i * lsz;
    if lsz == 4 {
        rd_u32(bytes, at) as usize
    } else {
        rd_u16(bytes, at) as usize
    }
}

/// Sum of the parameter lengths (`lsz` bytes each) in `bytes[start..end]`
/// (0 if out of range), where `start` is at least 8: two-byte lengths are added
/// four at a time from 8-byte words ([`sum4_u16`]), the last ones from the
/// word that ends with them (its bytes before them shifted out), so that
/// an event of up to three parameters takes one load and no loop, where a
/// loop per length (which LLVM vectorized, for the host's CPU, with masked
/// loads and a horizontal sum) ran to a count that changes from one event
/// to the next. The reading thread checks every event this way: its CPU
/// time went down about 1%, `contains` on the bench's capture 2-3% (tenth
/// percentile of 21 runs after a sysdig run, twice); most of what the
/// profile showed there is the wait for the lengths' cache line, which
/// stays.
#[inline(always)]
fn lens_in(bytes: &[u8], start: usize, end: usize, lsz: usize) -> usize {
    if lsz != 2 || start < 8 || end > bytes.len() {
        return bytes.get(start..end).map_or(0, |l| sum_lens(l, lsz));
    }
    let mut total = 0;
    let mut at = start;
    while at + 8 <= end {
        total += sum4_u16(rd_u64(bytes, at));
        at += 8;
    }
    // The last `end - at` (0, 2, 4 or 6) bytes are the top ones of the
    // word that ends at `end`.
    let rest = (end - at) as u32;
    total
        + sum4_u16(
            rd_u64(bytes, end - 8)
                .checked_shr(64 - 8 * rest)
                .unwrap_or(0),
        )
}

/// The sum of the four little-endian u16 in `x`.
#[inline(always)]
fn sum4_u16(x: u64) -> usize {
    // Lanes added in pairs into two u32 lanes (no carry across: at most
    // 2 * 0xffff each), then those two.
    const LOW: u64 = 0x0000_ffff_0000_ffff;
    let pairs = (x & LOW) + ((x >> 16) & LOW);
    ((pairs & 0xffff_ffff) + (pairs >> 32)) as usize
}

/// Sum of the little-endian parameter lengths in `lens` (`lsz` bytes each):
/// what [`lens_in`] does for a slice with no bytes before it, and for
/// four-byte lengths.
#[inline]
pub(crate) fn sum_lens(lens: &[u8], lsz: usize) -> usize {
    let mut total = 0usize;
    let mut i = 0;
    if lsz == 4 {
        while let Some(c) = lens.get(i..i + 4) {
            total += u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize;
            i += 4;
        }
    } else {
        while let Some(c) = lens.get(i..i + 2) {
            total += u16::from_le_bytes([c[0], c[1]]) as usize;
            i += 2;
        }
    }
    total
}

/// Builds a v2 event from parts: used by the probe tests, the converters
/// and the writer's tests.
pub fn build_event(ts: u64, tid: u64, etype: u16, params: &[&[u8]]) -> Vec<u8> {
    let lsz = lensize(etype);
    let len = HDR_LEN + params.len() * lsz + params.iter().map(|p| p.len()).sum::<usize>();
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&ts.to_le_bytes());
    v.extend_from_slice(&tid.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v.extend_from_slice(&etype.to_le_bytes());
    v.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        if lsz == 4 {
            v.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
    }
    for p in params {
        v.extend_from_slice(p);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_add_up_whatever_their_count() {
        // Header bytes of all ones before the lengths: what the shift of
        // the last word drops must not count.
        for n in 0..20usize {
            let mut b = vec![0xffu8; HDR_LEN];
            let mut want = 0;
            for i in 0..n {
                let l = (i * 7919 + 0xfff0) as u16;
                want += usize::from(l);
                b.extend_from_slice(&l.to_le_bytes());
            }
            b.extend_from_slice(&[0xff; 3]);
            for i in 0..=n {
                let part: usize = (0..i)
                    .map(|k| usize::from(rd_u16(&b, HDR_LEN + 2 * k)))
                    .sum();
                assert_eq!(lens_in(&b, HDR_LEN, HDR_LEN + 2 * i, 2), part, "{i} of {n}");
                assert_eq!(sum_lens(&b[HDR_LEN..HDR_LEN + 2 * i], 2), part);
            }
            assert_eq!(lens_in(&b, HDR_LEN, HDR_LEN + 2 * n, 2), want);
        }
        // Out of range: nothing, as `sum_lens` of no slice.
        assert_eq!(lens_in(&[0u8; 30], HDR_LEN, 40, 2), 0);
        assert_eq!(lens_in(&[1u8; 40], 4, 8, 2), 0x0101 * 2);
    }

    #[test]
    fn build_and_view() {
        let fd = 3i64.to_le_bytes();
        let name = b"/etc/passwd\0";
        let ev = build_event(10, 42, 307, &[&fd, &(-100i64).to_le_bytes(), name]);
        let e = EventRef::new(1, 0, &ev).expect("valid");
        assert_eq!(e.ts(), 10);
        assert_eq!(e.tid(), 42);
        assert_eq!(e.etype(), 307);
        assert_eq!(e.nparams(), 3);
        assert_eq!(e.param(2), Some(&name[..]));
        assert_eq!(e.params().count(), 3);
        assert_eq!(e.param_by_name("name"), Some(&name[..]));
        assert!(e.param(3).is_none());
    }

    #[test]
    fn params_of_every_shape() {
        // 324 has u32 lengths (EF_LARGE_PAYLOAD), 307 u16 ones.
        for etype in [307u16, 324] {
            for n in 0..12usize {
                let vals: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; (i * 7) % 5]).collect();
                let refs: Vec<&[u8]> = vals.iter().map(|v| v.as_slice()).collect();
                let ev = build_event(1, 2, etype, &refs);
                let mut longer = ev.clone();
                longer.extend_from_slice(b"trailing");
                let e = EventRef::new(0, 0, &longer).expect("valid");
                assert_eq!(e.bytes(), &ev[..]);
                assert_eq!(e.nparams(), n);
                for (i, v) in vals.iter().enumerate() {
                    assert_eq!(e.param(i), Some(v.as_slice()), "type {etype} param {i}/{n}");
                }
                assert_eq!(e.param(n), None);
                assert_eq!(e.params().collect::<Vec<_>>(), refs);
            }
        }
    }

    #[test]
    fn error_kinds() {
        let ev = build_event(10, 42, 307, &[b"abc", b"de"]);
        assert_eq!(
            EventRef::new(0, 0, &ev[..25]).err(),
            Some(EventError::Short(25))
        );
        let mut short = ev.clone();
        short[16..20].copy_from_slice(&20u32.to_le_bytes());
        assert_eq!(
            EventRef::new(0, 0, &short).err(),
            Some(EventError::Short(20))
        );
        assert_eq!(
            EventRef::new(0, 0, &ev[..ev.len() - 1]).err(),
            Some(EventError::Overrun {
                len: ev.len(),
                avail: ev.len() - 1
            })
        );
        let mut many = ev.clone();
        many[22..26].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(
            EventRef::new(0, 0, &many).err(),
            Some(EventError::BadParams {
                need: 26 + 200,
                len: ev.len()
            })
        );
        let mut long = ev.clone();
        long[28] = 9; // second value 9 bytes instead of 2
        assert_eq!(
            EventRef::new(0, 0, &long).err(),
            Some(EventError::BadParams {
                need: ev.len() + 7,
                len: ev.len()
            })
        );
    }

    /// The type id and the length size travel in one field: a type id
    /// with its top bit set is refused rather than read as another, and
    /// both length sizes come back out whole, through a copy too.
    #[test]
    fn type_id_and_length_size_share_a_field() {
        let mut ev = build_event(10, 42, 307, &[b"abc"]);
        ev[20..22].copy_from_slice(&0x8133u16.to_le_bytes());
        assert_eq!(
            EventRef::new(0, 0, &ev).err(),
            Some(EventError::BadType(0x8133))
        );
        let large = (0u16..400)
            .find(|&t| lensize(t) == 4)
            .expect("the table has large-payload events");
        for etype in [307u16, large] {
            let b = build_event(10, 42, etype, &[b"abc", b"de"]);
            let e = EventRef::new(3, 1, &b).expect("valid");
            let copy = e.checked().bind_copy(&b);
            for x in [e, copy] {
                assert_eq!((x.etype(), x.cpu, x.dump_flags), (etype, 3, 1));
                assert_eq!(x.lsz(), lensize(etype));
                assert_eq!(x.param(1), Some(&b"de"[..]));
            }
        }
    }

    #[test]
    fn rejects_bad() {
        let ev = build_event(10, 42, 307, &[b"abc"]);
        assert!(EventRef::new(0, 0, &ev[..20]).is_err());
        let mut bad = ev.clone();
        bad[26] = 200; // param length past the end
        assert!(EventRef::new(0, 0, &bad).is_err());
    }
}
