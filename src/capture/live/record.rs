//! The probe's ring-buffer record: an 8-byte prefix, then one libscap v2
//! event (`ppm_evt_hdr` with `nparams`, u16 lengths, values).
//!
//! ```text
//! offset size
//!   0     2   u16 cpu the event was recorded on
//!   2     2   u16 magic REC_MAGIC (0x5053, "SP")
//!   4     4   u32 reserved, 0
//!   8     -   the event, `len` bytes (len from the event header)
//! ```
//! The BPF ring buffer keeps records 8-byte aligned, so the event header
//! starts 8-byte aligned as well.

use crate::event::{EventError, EventRef, HDR_LEN};

pub const REC_MAGIC: u16 = 0x5053;
pub const REC_PREFIX: usize = 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("record of {0} bytes is shorter than prefix + event header")]
    Short(usize),
    #[error("record magic {0:#06x} is not {REC_MAGIC:#06x}")]
    Magic(u16),
    #[error("record event length {event} does not match the {avail} bytes after the prefix")]
    Length { event: usize, avail: usize },
    #[error(transparent)]
    Event(#[from] EventError),
}

/// Checks a ring-buffer record and views its event. The event's own `len`
/// must match the record exactly and its parameter lengths must add up.
pub fn decode_record(rec: &[u8]) -> Result<EventRef<'_>, RecordError> {
    if rec.len() < REC_PREFIX + HDR_LEN {
        return Err(RecordError::Short(rec.len()));
    }
    let cpu = u16::from_le_bytes([rec[0], rec[1]]);
    let magic = u16::from_le_bytes([rec[2], rec[3]]);
    if magic != REC_MAGIC {
        return Err(RecordError::Magic(magic));
    }
    let ev = &rec[REC_PREFIX..];
    let len = u32::from_le_bytes([ev[16], ev[17], ev[18], ev[19]]) as usize;
    if len != ev.len() {
        return Err(RecordError::Length {
            event: len,
            avail: ev.len(),
        });
    }
    Ok(EventRef::new(cpu, 0, ev)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::build_event;

    fn record(cpu: u16, ev: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&cpu.to_le_bytes());
        v.extend_from_slice(&REC_MAGIC.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(ev);
        v
    }

    #[test]
    fn good_record() {
        let ev = build_event(5, 77, 5, &[&0i64.to_le_bytes()]);
        let rec = record(3, &ev);
        let e = decode_record(&rec).expect("valid record");
        assert_eq!(e.cpu, 3);
        assert_eq!(e.tid(), 77);
        assert_eq!(e.etype(), 5);
    }

    #[test]
    fn garbage_rejected() {
        assert!(matches!(decode_record(&[]), Err(RecordError::Short(0))));
        assert!(matches!(
            decode_record(&[0u8; 20]),
            Err(RecordError::Short(20))
        ));
        let ev = build_event(5, 77, 5, &[&0i64.to_le_bytes()]);
        let mut rec = record(0, &ev);
        rec[2] = 0xff;
        assert!(matches!(decode_record(&rec), Err(RecordError::Magic(_))));
        let mut rec = record(0, &ev);
        rec.push(0);
        assert!(matches!(
            decode_record(&rec),
            Err(RecordError::Length { .. })
        ));
        let mut rec = record(0, &ev);
        rec[REC_PREFIX + HDR_LEN] = 0xff; // param length past the end
        assert!(matches!(decode_record(&rec), Err(RecordError::Event(_))));
        let mut rec = record(0, &ev);
        rec[REC_PREFIX + 22] = 0xff; // nparams
        assert!(decode_record(&rec).is_err());
        // deterministic pseudo-random garbage never panics
        let mut x: u32 = 12345;
        for n in 0..2000usize {
            let mut g = vec![0u8; n % 300];
            for b in g.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (x >> 16) as u8;
            }
            if g.len() >= 4 {
                g[2..4].copy_from_slice(&REC_MAGIC.to_le_bytes());
            }
            let _ = decode_record(&g);
        }
    }
}
