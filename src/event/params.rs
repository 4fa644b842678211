//! Typed decoding of single parameter values (`PT_*` encodings).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::table::pt;

/// libscap socket families as carried in events (`PPM_AF_*`).
pub const PPM_AF_UNIX: u8 = 1;
pub const PPM_AF_INET: u8 = 2;
pub const PPM_AF_INET6: u8 = 10;

/// A decoded `PT_SOCKADDR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddr {
    V4(Ipv4Addr, u16),
    V6(Ipv6Addr, u16),
    Unix(String),
    Other(u8),
}

/// A decoded `PT_SOCKTUPLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockTuple {
    V4 {
        sip: Ipv4Addr,
        sport: u16,
        dip: Ipv4Addr,
        dport: u16,
    },
    V6 {
        sip: Ipv6Addr,
        sport: u16,
        dip: Ipv6Addr,
        dport: u16,
    },
    Unix {
        src: u64,
        dst: u64,
        path: String,
    },
    Other(u8),
}

fn arr<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    let s = b.get(at..at + N)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Some(a)
}

pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    arr::<2>(b, at).map(u16::from_le_bytes)
}
pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    arr::<4>(b, at).map(u32::from_le_bytes)
}
pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    arr::<8>(b, at).map(u64::from_le_bytes)
}

/// A fixed-size integer parameter as i64, sign-extended by its type.
pub fn as_i64(ptype: u8, b: &[u8]) -> Option<i64> {
    Some(match ptype {
        pt::INT8 => *b.first()? as i8 as i64,
        pt::INT16 => arr::<2>(b, 0).map(i16::from_le_bytes)? as i64,
        pt::INT32 | pt::FD32 | pt::PID32 => arr::<4>(b, 0).map(i32::from_le_bytes)? as i64,
        pt::INT64 | pt::ERRNO | pt::FD | pt::PID => arr::<8>(b, 0).map(i64::from_le_bytes)?,
        _ => as_u64(ptype, b)? as i64,
    })
}

/// A fixed-size integer parameter as u64 (by its length where the type is
/// variable, e.g. flags).
pub fn as_u64(ptype: u8, b: &[u8]) -> Option<u64> {
    match ptype {
        pt::INT8
        | pt::INT16
        | pt::INT32
        | pt::INT64
        | pt::ERRNO
        | pt::FD
        | pt::PID
        | pt::FD32
        | pt::PID32 => as_i64(ptype, b).map(|v| v as u64),
        _ => match b.len() {
            1 => Some(b[0] as u64),
            2 => u16_at(b, 0).map(u64::from),
            4 => u32_at(b, 0).map(u64::from),
            8 => u64_at(b, 0),
            _ => None,
        },
    }
}

/// A NUL-terminated string parameter, without the NUL (lossy UTF-8).
pub fn as_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// [`as_str`] without a copy when the bytes are valid UTF-8.
pub fn as_str_cow(b: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end])
}

pub fn sockaddr(b: &[u8]) -> Option<SockAddr> {
    let fam = *b.first()?;
    Some(match fam {
        PPM_AF_INET => SockAddr::V4(Ipv4Addr::from(arr::<4>(b, 1)?), u16_at(b, 5)?),
        PPM_AF_INET6 => SockAddr::V6(Ipv6Addr::from(arr::<16>(b, 1)?), u16_at(b, 17)?),
        PPM_AF_UNIX => SockAddr::Unix(as_str(b.get(1..).unwrap_or(&[]))),
        f => SockAddr::Other(f),
    })
}

pub fn socktuple(b: &[u8]) -> Option<SockTuple> {
    let fam = *b.first()?;
    Some(match fam {
        PPM_AF_INET => SockTuple::V4 {
            sip: Ipv4Addr::from(arr::<4>(b, 1)?),
            sport: u16_at(b, 5)?,
            dip: Ipv4Addr::from(arr::<4>(b, 7)?),
            dport: u16_at(b, 11)?,
        },
        PPM_AF_INET6 => SockTuple::V6 {
            sip: Ipv6Addr::from(arr::<16>(b, 1)?),
            sport: u16_at(b, 17)?,
            dip: Ipv6Addr::from(arr::<16>(b, 19)?),
            dport: u16_at(b, 35)?,
        },
        PPM_AF_UNIX => SockTuple::Unix {
            src: u64_at(b, 1)?,
            dst: u64_at(b, 9)?,
            path: as_str(b.get(17..).unwrap_or(&[])),
        },
        f => SockTuple::Other(f),
    })
}

/// `PT_FDLIST`: u16 count, then (u64 fd, u16 flags) pairs.
pub fn fdlist(b: &[u8]) -> Vec<(i64, u16)> {
    let n = u16_at(b, 0).unwrap_or(0) as usize;
    (0..n)
        .map_while(|i| {
            let at = 2 + i * 10;
            Some((u64_at(b, at)? as i64, u16_at(b, at + 8)?))
        })
        .collect()
}

/// Formats an IPv6 address the way libsinsp does (IPv4-mapped as dotted).
pub fn ipv6_string(a: &Ipv6Addr) -> String {
    match a.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => a.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_v4() {
        let b = [2u8, 0x7f, 0, 0, 1, 0xb8, 0x58, 0x7f, 0, 0, 1, 0x50, 0x00];
        assert_eq!(
            socktuple(&b),
            Some(SockTuple::V4 {
                sip: Ipv4Addr::new(127, 0, 0, 1),
                sport: 0x58b8,
                dip: Ipv4Addr::new(127, 0, 0, 1),
                dport: 80
            })
        );
    }

    #[test]
    fn ints() {
        assert_eq!(as_i64(pt::ERRNO, &(-2i64).to_le_bytes()), Some(-2));
        assert_eq!(as_i64(pt::INT32, &(-5i32).to_le_bytes()), Some(-5));
        assert_eq!(as_u64(pt::FLAGS32, &7u32.to_le_bytes()), Some(7));
        assert_eq!(as_str(b"x\0"), "x");
    }
}
