//! Decoding and encoding of the metadata blocks: MI, PL (V1..V9), FDL
//! (V1/V2), IL (V1/V2), UL (V1/V2). Decoders work on a block body already in
//! memory and report errors with the absolute byte offset of the bad field.

use super::blocks::{self, MAX_ARGS, MAX_CREDENTIALS_STR, MAX_PATH};
use super::ScapError;
use crate::capture::meta::{
    FdEntry, FdInfo, FdType, GroupEntry, IfAddr, MachineInfo, ProcEntry, StrList, UserEntry,
};

// ---------------------------------------------------------------- decoding

/// A bounds-checked little-endian cursor over a block body.
pub(crate) struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
    /// Stream offset of `b[0]`.
    base: u64,
    what: &'static str,
    /// Whether the decoded entries are kept: when not, every length and
    /// bound is still checked, but no text is copied and nothing is stored.
    keep: bool,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(b: &'a [u8], base: u64, what: &'static str) -> Self {
        Cur {
            b,
            pos: 0,
            base,
            what,
            keep: true,
        }
    }
    fn keeping(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }
    #[inline]
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    #[inline]
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    #[cold]
    fn err(&self, msg: impl std::fmt::Display) -> ScapError {
        ScapError::format(self.offset(), format!("{}: {}", self.what, msg))
    }
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], ScapError> {
        if self.remaining() < n {
            return Err(self.err(format_args!(
                "entry truncated (needs {} more bytes, {} left)",
                n,
                self.remaining()
            )));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    #[inline]
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], ScapError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    #[inline]
    fn u8(&mut self) -> Result<u8, ScapError> {
        Ok(self.take(1)?[0])
    }
    #[inline]
    fn u16(&mut self) -> Result<u16, ScapError> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    #[inline]
    fn u32(&mut self) -> Result<u32, ScapError> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    #[inline]
    fn u64(&mut self) -> Result<u64, ScapError> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    #[inline]
    fn i64(&mut self) -> Result<i64, ScapError> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    /// A `u16 len` + bytes string; `len` must be at most `max`.
    #[inline]
    fn str16(&mut self, max: usize, field: &str) -> Result<&'a [u8], ScapError> {
        let at = self.pos;
        let l = self.u16()? as usize;
        if l > max {
            self.pos = at;
            return Err(self.err(format_args!("invalid {field} length {l} (max {max})")));
        }
        self.take(l)
    }
    /// A [`Cur::str16`] C string as an owned String (empty when not keeping).
    #[inline]
    fn text16(&mut self, max: usize, field: &str) -> Result<String, ScapError> {
        let b = self.str16(max, field)?;
        Ok(if self.keep { cstr(b) } else { String::new() })
    }
    /// A [`Cur::str16`] NUL-separated list (empty when not keeping), given
    /// the previous entry's list of the field as read and as decoded: the
    /// same bytes again share that list (see [`StrList`]), with no copy,
    /// check or allocation of their own.
    #[inline]
    fn list16(
        &mut self,
        max: usize,
        field: &str,
        last: &mut (&'a [u8], StrList),
    ) -> Result<StrList, ScapError> {
        let b = self.str16(max, field)?;
        if !self.keep {
            return Ok(StrList::new());
        }
        if b != last.0 {
            *last = (b, StrList::from_nul_separated(b));
        }
        Ok(last.1.clone())
    }
    /// A sub-cursor over the next `n` bytes (an entry with a length prefix).
    #[inline]
    fn sub(&mut self, n: usize) -> Result<Cur<'a>, ScapError> {
        let base = self.offset();
        let b = self.take(n)?;
        Ok(Cur {
            b,
            pos: 0,
            base,
            what: self.what,
            keep: self.keep,
        })
    }
}

/// Bytes as a String (invalid UTF-8 replaced), fast path for valid UTF-8.
fn owned(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// A C string as libscap would see it: cut at the first NUL.
fn cstr(b: &[u8]) -> String {
    let end = memchr::memchr(0, b).unwrap_or(b.len());
    owned(&b[..end])
}

pub(crate) fn parse_mi(body: &[u8], base: u64) -> Result<MachineInfo, ScapError> {
    let mut c = Cur::new(body, base, "machine info");
    if body.len() < blocks::MI_BODY {
        return Err(c.err(format_args!(
            "block body is {} bytes, expected {}",
            body.len(),
            blocks::MI_BODY
        )));
    }
    let num_cpus = c.u32()?;
    let memory_size_bytes = c.u64()?;
    let max_pid = c.u64()?;
    let hostname = cstr(c.take(128)?);
    let boot_ts_epoch = c.u64()?;
    let flags = c.u64()?;
    Ok(MachineInfo {
        num_cpus,
        memory_size_bytes,
        max_pid,
        hostname,
        boot_ts_epoch,
        flags,
    })
}

pub(crate) fn parse_pl(
    body: &[u8],
    base: u64,
    ver: u8,
    keep: bool,
    out: &mut Vec<ProcEntry>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body, base, "process list").keeping(keep);
    if keep && ver >= 9 {
        out.reserve(count_entries(body));
    }
    let mut lists = ListMemo::default();
    while c.remaining() >= 4 {
        if ver >= 9 {
            let at = c.pos;
            let sub_len = c.u32()? as usize;
            if sub_len < 4 || sub_len - 4 > c.remaining() {
                c.pos = at;
                return Err(c.err(format_args!(
                    "invalid entry length {sub_len} ({} bytes left in block)",
                    c.remaining()
                )));
            }
            let mut e = c.sub(sub_len - 4)?;
            let p = parse_proc(&mut e, ver, &mut lists)?;
            if keep {
                out.push(p);
            }
        } else {
            let p = parse_proc(&mut c, ver, &mut lists)?;
            if keep {
                out.push(p);
            }
        }
    }
    Ok(())
}

/// The entries of a list of length-prefixed entries (PL_V9), as far as
/// their lengths are consistent: a capacity to reserve, not a check.
fn count_entries(body: &[u8]) -> usize {
    let mut at = 0;
    let mut n = 0;
    while let Some(l) = body.get(at..at + 4) {
        let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
        if len < 4 {
            break;
        }
        n += 1;
        at += len;
    }
    n
}

/// The lists of the previous entry of a process list (see
/// [`Cur::list16`]): the threads of a process come one after the
/// other, with the same arguments, environment and cgroups.
#[derive(Default)]
struct ListMemo<'a> {
    args: (&'a [u8], StrList),
    env: (&'a [u8], StrList),
    cgroups: (&'a [u8], StrList),
}

fn parse_proc<'a>(
    c: &mut Cur<'a>,
    ver: u8,
    lists: &mut ListMemo<'a>,
) -> Result<ProcEntry, ScapError> {
    let mut p = ProcEntry {
        sid: u64::MAX,
        vpgid: u64::MAX,
        pgid: -1,
        vtid: -1,
        vpid: -1,
        loginuid: u32::MAX,
        ..ProcEntry::default()
    };
    p.tid = c.u64()?;
    p.pid = c.u64()?;
    p.ptid = c.u64()?;
    if ver >= 6 {
        p.sid = c.u64()?;
    }
    if ver >= 8 {
        p.vpgid = c.u64()?;
    }
    p.comm = c.text16(MAX_PATH, "comm")?;
    p.exe = c.text16(MAX_PATH, "exe")?;
    if ver >= 7 {
        p.exepath = c.text16(MAX_PATH, "exepath")?;
    }
    p.args = c.list16(MAX_ARGS, "args", &mut lists.args)?;
    p.cwd = c.text16(MAX_PATH, "cwd")?;
    p.fdlimit = c.u64()?;
    p.flags = c.u32()?;
    p.uid = c.u32()?;
    p.gid = c.u32()?;
    if ver >= 2 {
        p.vmsize_kb = c.u32()?;
        p.vmrss_kb = c.u32()?;
        p.vmswap_kb = c.u32()?;
        p.pfmajor = c.u64()?;
        p.pfminor = c.u64()?;
        if ver >= 3 {
            p.env = c.list16(MAX_ARGS, "env", &mut lists.env)?;
        }
        if ver >= 4 {
            p.vtid = c.i64()?;
            p.vpid = c.i64()?;
            p.cgroups = c.list16(MAX_ARGS, "cgroups", &mut lists.cgroups)?;
            if ver >= 5 {
                p.root = c.text16(MAX_PATH, "root")?;
            }
        }
    }
    if ver < 9 {
        return Ok(p);
    }
    // V9 optional tail: each field only if it fits in the entry. Writers
    // before libs 0.10 did not have pidns_init_start_ts/tty in front of
    // loginuid; libscap detects them by the size of what is left.
    let pre_0_10 = c.remaining() <= 29;
    if !pre_0_10 {
        if c.remaining() >= 8 {
            p.pidns_init_start_ts = c.u64()?;
        }
        if c.remaining() >= 4 {
            p.tty = c.u32()?;
        }
    }
    if c.remaining() >= 4 {
        p.loginuid = c.u32()?;
    }
    if c.remaining() >= 1 {
        p.exe_writable = c.u8()? != 0;
    }
    if c.remaining() >= 8 {
        p.cap_inheritable = c.u64()?;
    }
    if c.remaining() >= 8 {
        p.cap_permitted = c.u64()?;
    }
    if c.remaining() >= 8 {
        p.cap_effective = c.u64()?;
    }
    if c.remaining() >= 1 {
        p.exe_upper_layer = c.u8()? != 0;
    }
    if c.remaining() >= 8 {
        p.exe_ino = c.u64()?;
    }
    if c.remaining() >= 8 {
        p.exe_ino_ctime = c.u64()?;
    }
    if c.remaining() >= 8 {
        p.exe_ino_mtime = c.u64()?;
    }
    if c.remaining() >= 1 {
        p.exe_from_memfd = c.u8()? != 0;
    }
    if c.remaining() >= 1 {
        p.exe_lower_layer = c.u8()? != 0;
    }
    if c.remaining() >= 8 {
        p.pgid = c.i64()?;
    }
    Ok(p)
}

pub(crate) fn parse_fdl(
    body: &[u8],
    base: u64,
    ver: u8,
    keep: bool,
    out: &mut Vec<FdEntry>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body, base, "fd list").keeping(keep);
    let tid = c.u64()?;
    while c.remaining() >= 4 {
        if ver >= 2 {
            let at = c.pos;
            let sub_len = c.u32()? as usize;
            if sub_len < 4 || sub_len - 4 > c.remaining() {
                c.pos = at;
                return Err(c.err(format_args!(
                    "invalid entry length {sub_len} ({} bytes left in block)",
                    c.remaining()
                )));
            }
            let mut e = c.sub(sub_len - 4)?;
            let f = parse_fd(&mut e, tid, true)?;
            if keep {
                out.push(f);
            }
        } else {
            let f = parse_fd(&mut c, tid, false)?;
            if keep {
                out.push(f);
            }
        }
    }
    Ok(())
}

/// A unix socket's path as listed: libscap took it from a line of
/// /proc/net/unix, and older versions kept the line's end, which
/// sysdig does not show (`.../docker.sock`, not `.../docker.sock\n`).
fn unix_path(mut p: String) -> String {
    while p.ends_with('\n') {
        p.pop();
    }
    p
}

fn parse_fd(c: &mut Cur<'_>, tid: u64, v2: bool) -> Result<FdEntry, ScapError> {
    let fd = c.i64()?;
    let ino = c.u64()?;
    let type_at = c.offset();
    let t = c.u8()?;
    let named = |c: &mut Cur<'_>| -> Result<FdInfo, ScapError> {
        Ok(FdInfo::Named {
            name: c.text16(MAX_PATH - 1, "fd name")?,
            open_flags: 0,
            dev: 0,
        })
    };
    let (ftype, info) = match t {
        0 => (FdType::Unknown, FdInfo::None),
        3 => (
            FdType::Ipv4Sock,
            FdInfo::Ipv4 {
                sip: c.arr()?,
                dip: c.arr()?,
                sport: c.u16()?,
                dport: c.u16()?,
                l4proto: c.u8()?,
            },
        ),
        5 => (
            FdType::Ipv4ServSock,
            FdInfo::Ipv4Server {
                ip: c.arr()?,
                port: c.u16()?,
                l4proto: c.u8()?,
            },
        ),
        4 => (
            FdType::Ipv6Sock,
            FdInfo::Ipv6 {
                sip: c.arr()?,
                dip: c.arr()?,
                sport: c.u16()?,
                dport: c.u16()?,
                l4proto: c.u8()?,
            },
        ),
        6 => (
            FdType::Ipv6ServSock,
            FdInfo::Ipv6Server {
                ip: c.arr()?,
                port: c.u16()?,
                l4proto: c.u8()?,
            },
        ),
        8 => (
            FdType::UnixSock,
            FdInfo::Unix {
                source: c.u64()?,
                dest: c.u64()?,
                path: unix_path(c.text16(MAX_PATH - 1, "unix socket path")?),
            },
        ),
        16 => {
            let open_flags = c.u32()?;
            let name = c.text16(MAX_PATH - 1, "file name")?;
            let dev = if v2 && c.remaining() >= 4 {
                c.u32()?
            } else {
                0
            };
            (
                FdType::FileV2,
                FdInfo::Named {
                    name,
                    open_flags,
                    dev,
                },
            )
        }
        1 | 2 | 7 | 9..=15 | 17..=21 => (FdType::from_u8(t), named(c)?),
        _ if v2 => {
            // A newer writer's fd type: libscap keeps it as "unsupported";
            // the entry length lets us skip its payload.
            (
                FdType::Unsupported,
                FdInfo::Named {
                    name: format!("unknown-type:[{t}]"),
                    open_flags: 0,
                    dev: 0,
                },
            )
        }
        _ => {
            return Err(ScapError::format(
                type_at,
                format!("fd list: unknown fd type {t} in a v1 fd list"),
            ))
        }
    };
    Ok(FdEntry {
        tid,
        fd,
        ino,
        ftype,
        info,
    })
}

pub(crate) fn parse_il(
    body: &[u8],
    base: u64,
    ver: u8,
    keep: bool,
    out: &mut Vec<IfAddr>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body, base, "interface list").keeping(keep);
    while c.remaining() >= 4 {
        if ver >= 2 {
            let at = c.pos;
            // IL_V2 entry length excludes its own 4 bytes.
            let len = c.u32()? as usize;
            if len < 4 || len > c.remaining() {
                c.pos = at;
                return Err(c.err(format_args!(
                    "invalid entry length {len} ({} bytes left in block)",
                    c.remaining()
                )));
            }
            let mut e = c.sub(len)?;
            if let (Some(a), true) = (parse_if(&mut e, true)?, keep) {
                out.push(a);
            }
        } else if let (Some(a), true) = (parse_if(&mut c, false)?, keep) {
            out.push(a);
        }
    }
    Ok(())
}

fn parse_if(c: &mut Cur<'_>, v2: bool) -> Result<Option<IfAddr>, ScapError> {
    let type_at = c.offset();
    let t = c.u16()?;
    let namelen = c.u16()? as usize;
    if namelen >= MAX_PATH {
        return Err(c.err(format_args!("invalid interface name length {namelen}")));
    }
    let a = match t {
        1 | 3 => {
            let addr = c.arr()?;
            let netmask = c.arr()?;
            let bcast = c.arr()?;
            let linkspeed = if t == 1 { c.u64()? } else { 0 };
            let name = cstr(c.take(namelen)?);
            IfAddr::V4 {
                name,
                addr,
                netmask,
                bcast,
                linkspeed,
            }
        }
        2 | 4 => {
            let addr = c.arr()?;
            let netmask = c.arr()?;
            let bcast = c.arr()?;
            let linkspeed = if t == 2 { c.u64()? } else { 0 };
            let name = cstr(c.take(namelen)?);
            IfAddr::V6 {
                name,
                addr,
                netmask,
                bcast,
                linkspeed,
            }
        }
        _ if v2 => return Ok(None),
        _ => {
            return Err(ScapError::format(
                type_at,
                format!("interface list: unknown interface type {t}"),
            ))
        }
    };
    Ok(Some(a))
}

pub(crate) fn parse_ul(
    body: &[u8],
    base: u64,
    ver: u8,
    keep: bool,
    users: &mut Vec<UserEntry>,
    groups: &mut Vec<GroupEntry>,
) -> Result<(), ScapError> {
    let mut c = Cur::new(body, base, "user list").keeping(keep);
    while c.remaining() >= 4 {
        if ver >= 2 {
            let at = c.pos;
            let sub_len = c.u32()? as usize;
            if sub_len < 4 || sub_len - 4 > c.remaining() {
                c.pos = at;
                return Err(c.err(format_args!(
                    "invalid entry length {sub_len} ({} bytes left in block)",
                    c.remaining()
                )));
            }
            let mut e = c.sub(sub_len - 4)?;
            parse_user(&mut e, users, groups)?;
        } else {
            parse_user(&mut c, users, groups)?;
        }
    }
    Ok(())
}

fn parse_user(
    c: &mut Cur<'_>,
    users: &mut Vec<UserEntry>,
    groups: &mut Vec<GroupEntry>,
) -> Result<(), ScapError> {
    let t = c.u8()?;
    if t == 0 {
        let uid = c.u32()?;
        let gid = c.u32()?;
        let name = c.text16(MAX_CREDENTIALS_STR - 1, "user name")?;
        let homedir = c.text16(MAX_PATH - 1, "home directory")?;
        let shell = c.text16(MAX_PATH - 1, "shell")?;
        if !c.keep {
            return Ok(());
        }
        users.push(UserEntry {
            uid,
            gid,
            name,
            homedir,
            shell,
        });
    } else {
        let gid = c.u32()?;
        let name = c.text16(MAX_CREDENTIALS_STR - 1, "group name")?;
        if c.keep {
            groups.push(GroupEntry { gid, name });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- encoding

/// Appends one whole block (header, body written by `f`, padding, trailer).
pub(crate) fn put_block(out: &mut Vec<u8>, bt: u32, f: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&bt.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    f(out);
    let body = out.len() - start - blocks::BLOCK_HDR;
    let total = blocks::block_len(body);
    out.resize(start + total - 4, 0);
    let tl = (total as u32).to_le_bytes();
    out[start + 4..start + 8].copy_from_slice(&tl);
    out.extend_from_slice(&tl);
}

fn p16(o: &mut Vec<u8>, v: u16) {
    o.extend_from_slice(&v.to_le_bytes());
}
fn p32(o: &mut Vec<u8>, v: u32) {
    o.extend_from_slice(&v.to_le_bytes());
}
fn p64(o: &mut Vec<u8>, v: u64) {
    o.extend_from_slice(&v.to_le_bytes());
}

/// Longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn clip(s: &str, max: usize) -> &[u8] {
    if s.len() <= max {
        return s.as_bytes();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s.as_bytes()[..end]
}

/// `u16 len` + bytes, clipped to `max` bytes.
fn pstr(o: &mut Vec<u8>, s: &str, max: usize) {
    let b = clip(s, max);
    p16(o, b.len() as u16);
    o.extend_from_slice(b);
}

/// A NUL-terminated list, clipped (at an item boundary when possible) to `max`.
fn plist(o: &mut Vec<u8>, items: &StrList, max: usize) {
    let text = items.as_nul_separated();
    if !items.is_empty() && text.len() < max {
        // The whole list fits: its NUL-separated text plus the last NUL.
        p16(o, text.len() as u16 + 1);
        o.extend_from_slice(text.as_bytes());
        o.push(0);
        return;
    }
    let mut buf: Vec<u8> = Vec::new();
    for it in items {
        if buf.len() + it.len() + 1 > max {
            if buf.is_empty() {
                buf.extend_from_slice(clip(it, max - 1));
                buf.push(0);
            }
            break;
        }
        buf.extend_from_slice(it.as_bytes());
        buf.push(0);
    }
    p16(o, buf.len() as u16);
    o.extend_from_slice(&buf);
}

/// Writes an entry with a u32 length prefix; `incl` says whether the length
/// counts its own 4 bytes (PL, FDL, UL) or not (IL).
fn entry(o: &mut Vec<u8>, incl: bool, f: impl FnOnce(&mut Vec<u8>)) {
    let at = o.len();
    p32(o, 0);
    f(o);
    let mut len = o.len() - at;
    if !incl {
        len -= 4;
    }
    o[at..at + 4].copy_from_slice(&(len as u32).to_le_bytes());
}

pub(crate) fn put_shb(out: &mut Vec<u8>) {
    put_block(out, blocks::SHB, |o| {
        p32(o, blocks::BYTE_ORDER_MAGIC);
        p16(o, 1);
        p16(o, 2);
        p64(o, u64::MAX);
    });
}

pub(crate) fn put_mi(out: &mut Vec<u8>, m: &MachineInfo) {
    put_block(out, blocks::MI, |o| {
        p32(o, m.num_cpus);
        p64(o, m.memory_size_bytes);
        p64(o, m.max_pid);
        let mut host = [0u8; 128];
        let h = clip(&m.hostname, 127);
        host[..h.len()].copy_from_slice(h);
        o.extend_from_slice(&host);
        p64(o, m.boot_ts_epoch);
        p64(o, m.flags);
        p64(o, 0);
        p64(o, 0);
    });
}

pub(crate) fn put_il(out: &mut Vec<u8>, ifs: &[IfAddr]) {
    put_block(out, blocks::IL_V2, |o| {
        for a in ifs {
            entry(o, false, |o| match a {
                IfAddr::V4 {
                    name,
                    addr,
                    netmask,
                    bcast,
                    linkspeed,
                } => {
                    let n = clip(name, MAX_PATH - 1);
                    p16(o, 1);
                    p16(o, n.len() as u16);
                    o.extend_from_slice(addr);
                    o.extend_from_slice(netmask);
                    o.extend_from_slice(bcast);
                    p64(o, *linkspeed);
                    o.extend_from_slice(n);
                }
                IfAddr::V6 {
                    name,
                    addr,
                    netmask,
                    bcast,
                    linkspeed,
                } => {
                    let n = clip(name, MAX_PATH - 1);
                    p16(o, 2);
                    p16(o, n.len() as u16);
                    o.extend_from_slice(addr);
                    o.extend_from_slice(netmask);
                    o.extend_from_slice(bcast);
                    p64(o, *linkspeed);
                    o.extend_from_slice(n);
                }
            });
        }
    });
}

pub(crate) fn put_ul(out: &mut Vec<u8>, users: &[UserEntry], groups: &[GroupEntry]) {
    // Old readers (sysdig 0.29) limit every credential string to 255 bytes.
    let lim = MAX_CREDENTIALS_STR - 1;
    put_block(out, blocks::UL_V2, |o| {
        for u in users {
            entry(o, true, |o| {
                o.push(0);
                p32(o, u.uid);
                p32(o, u.gid);
                pstr(o, &u.name, lim);
                pstr(o, &u.homedir, lim);
                pstr(o, &u.shell, lim);
            });
        }
        for g in groups {
            entry(o, true, |o| {
                o.push(1);
                p32(o, g.gid);
                pstr(o, &g.name, lim);
            });
        }
    });
}

/// Whether an entry's post-0.10 fields are all at their "absent" values, so
/// the short (29-byte) tail that every reader agrees on loses nothing.
fn short_tail_enough(p: &ProcEntry) -> bool {
    p.pidns_init_start_ts == 0
        && p.tty == 0
        && !p.exe_upper_layer
        && p.exe_ino == 0
        && p.exe_ino_ctime == 0
        && p.exe_ino_mtime == 0
        && !p.exe_from_memfd
        && !p.exe_lower_layer
        && p.pgid == -1
}

pub(crate) fn put_pl(out: &mut Vec<u8>, procs: &[ProcEntry]) {
    put_block(out, blocks::PL_V9, |o| {
        for p in procs {
            entry(o, true, |o| {
                p64(o, p.tid);
                p64(o, p.pid);
                p64(o, p.ptid);
                p64(o, p.sid);
                p64(o, p.vpgid);
                pstr(o, &p.comm, MAX_PATH);
                pstr(o, &p.exe, MAX_PATH);
                pstr(o, &p.exepath, MAX_PATH);
                plist(o, &p.args, MAX_ARGS);
                pstr(o, &p.cwd, MAX_PATH);
                p64(o, p.fdlimit);
                p32(o, p.flags);
                p32(o, p.uid);
                p32(o, p.gid);
                p32(o, p.vmsize_kb);
                p32(o, p.vmrss_kb);
                p32(o, p.vmswap_kb);
                p64(o, p.pfmajor);
                p64(o, p.pfminor);
                plist(o, &p.env, MAX_ARGS);
                p64(o, p.vtid as u64);
                p64(o, p.vpid as u64);
                plist(o, &p.cgroups, MAX_ARGS);
                pstr(o, &p.root, MAX_PATH);
                // Tail. Readers from before libs 0.10 (sysdig 0.29) expect
                // loginuid first; newer ones tell the layouts apart by size
                // (<= 29 bytes left = old layout). Write the old layout when
                // it is lossless, the current one otherwise.
                let short = short_tail_enough(p);
                if !short {
                    p64(o, p.pidns_init_start_ts);
                    p32(o, p.tty);
                }
                p32(o, p.loginuid);
                o.push(p.exe_writable as u8);
                p64(o, p.cap_inheritable);
                p64(o, p.cap_permitted);
                p64(o, p.cap_effective);
                if !short {
                    o.push(p.exe_upper_layer as u8);
                    p64(o, p.exe_ino);
                    p64(o, p.exe_ino_ctime);
                    p64(o, p.exe_ino_mtime);
                    o.push(p.exe_from_memfd as u8);
                    o.push(p.exe_lower_layer as u8);
                    if p.pgid != -1 {
                        p64(o, p.pgid as u64);
                    }
                }
            });
        }
    });
}

/// One FDL_V2 block for the fds of `tid`. With `compat`, fd types newer
/// than sysdig 0.29 knows (memfd, pidfd) are written as "unsupported".
pub(crate) fn put_fdl<'a>(
    out: &mut Vec<u8>,
    tid: u64,
    fds: impl Iterator<Item = &'a FdEntry>,
    compat: bool,
) {
    put_block(out, blocks::FDL_V2, |o| {
        p64(o, tid);
        for f in fds {
            entry(o, true, |o| put_fd(o, f, compat));
        }
    });
}

fn put_fd(o: &mut Vec<u8>, f: &FdEntry, compat: bool) {
    p64(o, f.fd as u64);
    p64(o, f.ino);
    let mut t = f.ftype;
    // sysdig 0.29.3 refuses fd types past FILE_V2 (bpf, userfaultfd,
    // io_uring, memfd, pidfd): write them as "unsupported" with their name.
    if compat
        && matches!(
            t,
            FdType::Bpf | FdType::Userfaultfd | FdType::Iouring | FdType::Memfd | FdType::Pidfd
        )
    {
        t = FdType::Unsupported;
    }
    o.push(t as u8);
    let lim = MAX_PATH - 1;
    match t {
        FdType::Unknown => {}
        FdType::Ipv4Sock => {
            let (sip, dip, sport, dport, l4) = match &f.info {
                FdInfo::Ipv4 {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto,
                } => (*sip, *dip, *sport, *dport, *l4proto),
                _ => ([0; 4], [0; 4], 0, 0, 0),
            };
            o.extend_from_slice(&sip);
            o.extend_from_slice(&dip);
            p16(o, sport);
            p16(o, dport);
            o.push(l4);
        }
        FdType::Ipv4ServSock => {
            let (ip, port, l4) = match &f.info {
                FdInfo::Ipv4Server { ip, port, l4proto } => (*ip, *port, *l4proto),
                _ => ([0; 4], 0, 0),
            };
            o.extend_from_slice(&ip);
            p16(o, port);
            o.push(l4);
        }
        FdType::Ipv6Sock => {
            let (sip, dip, sport, dport, l4) = match &f.info {
                FdInfo::Ipv6 {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto,
                } => (*sip, *dip, *sport, *dport, *l4proto),
                _ => ([0; 16], [0; 16], 0, 0, 0),
            };
            o.extend_from_slice(&sip);
            o.extend_from_slice(&dip);
            p16(o, sport);
            p16(o, dport);
            o.push(l4);
        }
        FdType::Ipv6ServSock => {
            let (ip, port, l4) = match &f.info {
                FdInfo::Ipv6Server { ip, port, l4proto } => (*ip, *port, *l4proto),
                _ => ([0; 16], 0, 0),
            };
            o.extend_from_slice(&ip);
            p16(o, port);
            o.push(l4);
        }
        FdType::UnixSock => {
            let (src, dst, path) = match &f.info {
                FdInfo::Unix { source, dest, path } => (*source, *dest, path.as_str()),
                FdInfo::Named { name, .. } => (0, 0, name.as_str()),
                _ => (0, 0, ""),
            };
            p64(o, src);
            p64(o, dst);
            pstr(o, path, lim);
        }
        FdType::FileV2 => {
            let (name, flags, dev) = f.info.named().unwrap_or(("", 0, 0));
            p32(o, flags);
            pstr(o, name, lim);
            p32(o, dev);
        }
        _ => {
            let name = match &f.info {
                FdInfo::Named { name, .. } => name.as_str(),
                FdInfo::Unix { path, .. } => path.as_str(),
                _ => "",
            };
            pstr(o, name, lim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Item-by-item conversion: what `StrList::from_nul_separated` must equal.
    fn list_ref(b: &[u8]) -> Vec<String> {
        if b.is_empty() {
            return Vec::new();
        }
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        b.split(|&c| c == 0).map(owned).collect()
    }

    /// Consecutive entries with the same lists share them; a different
    /// list in between, an empty one or one of another field is decoded
    /// as itself (the memo is per field and follows the last entry).
    #[test]
    fn process_lists_share_repeated_lists() {
        let l = |items: &[&str]| StrList::from(items.to_vec());
        let env = l(&["HOME=/root", "PATH=/usr/bin"]);
        let other = l(&["HOME=/home/a"]);
        let cg = l(&["cpu=/a", "memory=/a"]);
        let mk = |tid: u64, env: &StrList, args: &StrList| ProcEntry {
            tid,
            pid: 1,
            comm: "httpd".into(),
            args: args.clone(),
            env: env.clone(),
            cgroups: cg.clone(),
            ..ProcEntry::default()
        };
        let procs = vec![
            mk(1, &env, &l(&["-k", "start"])),
            mk(2, &env, &l(&["-k", "start"])),
            mk(3, &other, &StrList::new()),
            mk(4, &StrList::new(), &l(&[""])),
            mk(5, &env, &l(&["-k", "start"])),
            mk(6, &env, &l(&["-k", "start"])),
            // (Arguments with the bytes of the previous environment.)
            mk(7, &env, &env),
        ];
        let mut block = Vec::new();
        put_pl(&mut block, &procs);
        let body = &block[blocks::BLOCK_HDR..block.len() - 4];
        let mut out = Vec::new();
        parse_pl(body, 0, 9, true, &mut out).expect("a block just written");
        assert_eq!(out.len(), procs.len());
        for (got, want) in out.iter().zip(&procs) {
            assert_eq!(got.env, want.env, "tid {}", want.tid);
            assert_eq!(got.args, want.args, "tid {}", want.tid);
            assert_eq!(got.cgroups, want.cgroups, "tid {}", want.tid);
        }
        assert_eq!(out[3].args.len(), 1);
        assert!(out[3].env.is_empty());
        // Shared, not copied: entries 0-1 and 4-5 (not across 2-3).
        assert!(out[0].env.shares_text(&out[1].env));
        assert!(out[4].env.shares_text(&out[5].env));
        assert!(!out[1].env.shares_text(&out[4].env));
        assert!(out[0].cgroups.shares_text(&out[5].cgroups));
        assert!(!out[6].args.shares_text(&out[5].env));
    }

    #[test]
    fn unix_paths_lose_the_proc_line_end() {
        assert_eq!(unix_path("/run/docker.sock\n".into()), "/run/docker.sock");
        assert_eq!(unix_path("/run/a.sock".into()), "/run/a.sock");
        assert_eq!(unix_path(String::new()), "");
    }

    #[test]
    fn nul_lists_match_item_by_item() {
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\0".to_vec(),
            b"\0\0".to_vec(),
            b"a".to_vec(),
            b"a\0".to_vec(),
            b"a\0\0".to_vec(),
            b"\0a".to_vec(),
            b"HOME=/root\0PATH=/usr/bin:/bin\0TERM=xterm-256color\0".to_vec(),
            b"cpuset=/\0cpu=/user.slice\0memory=/user.slice/user-0.slice/session-1.scope\0"
                .to_vec(),
            "caf\u{e9}\0na\u{ef}ve\0\u{1f600}\0".as_bytes().to_vec(),
            b"ok\0bad\xff\xfe\0ok2".to_vec(),
            b"\x80\0\x01\x01\x01\x01\x01\x01\x01\x01\0\x7f\x80\x81\0".to_vec(),
            vec![0u8; 17],
            (0u8..=255).collect(),
            (0u8..=255).rev().cycle().take(1000).collect(),
        ];
        for c in &cases {
            assert_eq!(StrList::from_nul_separated(c), list_ref(c), "{c:?}");
        }
        // Every NUL position within and across words.
        for len in 0..20 {
            for at in 0..len {
                let mut b = vec![b'x'; len];
                b[at] = 0;
                assert_eq!(StrList::from_nul_separated(&b), list_ref(&b), "{b:?}");
            }
        }
    }
}
