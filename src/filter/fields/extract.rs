//! Extractors: the value of each field for one event.

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{Local, TimeZone, Utc};

use crate::capture::meta::FdType;
use crate::event::params;
use crate::event::render::{self, errno_name};
use crate::event::table::{ec, ef, pt};
use crate::state::containers::{self, Container, Lookup, ProbeKind};
use crate::state::fds::{l4, SockAddrs};
use crate::state::{Fd, Thread};

use super::{BoundField, Ctx, FieldArg, TimeMode, Value, F};

fn s(v: &str) -> Value<'_> {
    Value::S(Cow::Borrowed(v))
}
fn so<'a>(v: String) -> Value<'a> {
    Value::S(Cow::Owned(v))
}

/// A one-character string, borrowed for ASCII (no allocation).
fn char_value(ch: char) -> Value<'static> {
    const ASCII: &str = "\0\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f";
    let i = ch as usize;
    match ASCII.get(i..i + 1) {
        Some(t) if ch.is_ascii() => s(t),
        _ => so(ch.to_string()),
    }
}

pub fn fmt_time(ts: u64, date: bool, nanos: bool) -> String {
    let mut out = String::with_capacity(32);
    push_time(&mut out, ts, date, nanos);
    out
}

/// Appends [`fmt_time`].
pub fn push_time(out: &mut String, ts: u64, date: bool, nanos: bool) {
    // Consecutive events mostly fall in the same second: the local time of
    // that second is formatted once.
    thread_local! {
        static LAST: std::cell::RefCell<SecondText> =
            const { std::cell::RefCell::new(SecondText::new()) };
    }
    LAST.with(|l| match l.try_borrow_mut() {
        Ok(mut l) => l.push(out, ts, date, nanos),
        Err(_) => out.push_str(&fmt_time_uncached(ts, date, nanos)),
    });
}

/// The text of the last second [`SecondText::push`] printed, kept for
/// the events of the same second.
#[derive(Debug, Clone)]
pub struct SecondText {
    /// The second (since the epoch), -1 before the first.
    secs: i64,
    /// With the date.
    date: bool,
    /// `HH:MM:SS.` (`YYYY-mm-dd HH:MM:SS.` with the date): with the dot
    /// that comes before the nanoseconds.
    text: String,
}

impl Default for SecondText {
    fn default() -> Self {
        SecondText::new()
    }
}

impl SecondText {
    pub const fn new() -> SecondText {
        SecondText {
            secs: -1,
            date: false,
            text: String::new(),
        }
    }

    /// Appends [`fmt_time`] of `ts`, the second's text from the last call
    /// when it is the same second.
    #[inline]
    pub fn push(&mut self, out: &mut String, ts: u64, date: bool, nanos: bool) {
        let secs = (ts / 1_000_000_000) as i64;
        // (`secs` is never negative: -1 matches no second.)
        if (self.secs != secs || self.date != date) && !self.set(secs, date) {
            out.push_str(&fmt_time_uncached(ts, date, nanos));
            return;
        }
        let t = self.text.as_str();
        if !nanos {
            out.push_str(t.strip_suffix('.').unwrap_or(t));
            return;
        }
        // The time alone, "HH:MM:SS.", is nine bytes: copied as such (a
        // move, not a call).
        match t.get(..9) {
            Some(t9) if t.len() == 9 => out.push_str(t9),
            _ => out.push_str(t),
        }
        push_nanos(out, (ts % 1_000_000_000) as u32);
    }

    /// Formats second `secs`; false (and nothing changed) when it has no
    /// single local time.
    #[cold]
    #[inline(never)]
    fn set(&mut self, secs: i64, date: bool) -> bool {
        let Some(dt) = Local.timestamp_opt(secs, 0).single() else {
            return false;
        };
        self.text = if date {
            dt.format("%Y-%m-%d %H:%M:%S.").to_string()
        } else {
            dt.format("%H:%M:%S.").to_string()
        };
        self.secs = secs;
        self.date = date;
        true
    }
}

/// `ns` (below 10^9) as nine digits, zero-padded (`{ns:09}`).
#[inline]
fn push_nanos(out: &mut String, ns: u32) {
    render::push_nine(out, ns);
}

/// `d` nanoseconds as seconds with nine decimals (`-t a`, `-t r`...).
fn push_secs(out: &mut String, d: u64) {
    render::push_u64(out, d / 1_000_000_000);
    out.push('.');
    push_nanos(out, (d % 1_000_000_000) as u32);
}

fn fmt_time_uncached(ts: u64, date: bool, nanos: bool) -> String {
    let secs = (ts / 1_000_000_000) as i64;
    let ns = (ts % 1_000_000_000) as u32;
    let Some(dt) = Local.timestamp_opt(secs, ns).single() else {
        return ts.to_string();
    };
    let base = if date {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        dt.format("%H:%M:%S").to_string()
    };
    if nanos {
        format!("{base}.{ns:09}")
    } else {
        base
    }
}

fn fmt_iso(ts: u64) -> String {
    let secs = (ts / 1_000_000_000) as i64;
    let ns = (ts % 1_000_000_000) as u32;
    match Utc.timestamp_opt(secs, ns).single() {
        Some(dt) => format!("{}.{:09}+0000", dt.format("%Y-%m-%dT%H:%M:%S"), ns),
        None => ts.to_string(),
    }
}

/// Readable duration as sysdig prints evt.latency.human: nanoseconds
/// below 1us ("250ns"); else in us, ms or s, with two decimals below 10
/// of the unit and none above, always truncated ("9.08us", "93us").
pub fn human_duration(ns: u64) -> String {
    let (unit, name) = match ns {
        0..=999 => return format!("{ns}ns"),
        1_000..=999_999 => (1_000, "us"),
        1_000_000..=999_999_999 => (1_000_000, "ms"),
        _ => (1_000_000_000, "s"),
    };
    if ns < 10 * unit {
        let hundredths = ns / (unit / 100);
        format!("{}.{:02}{name}", hundredths / 100, hundredths % 100)
    } else {
        format!("{}{name}", ns / unit)
    }
}

fn res_of(c: &Ctx<'_>) -> Option<i64> {
    if c.ev.is_enter() {
        return None;
    }
    let info = c.ev.info();
    let p = info.params.first()?;
    // The result is the first exit parameter when it is called res (any
    // integer type, e.g. brk's UINT64) or is an errno/fd/pid.
    let named_res = p.name == "res"
        && matches!(
            p.ptype,
            pt::ERRNO
                | pt::FD
                | pt::PID
                | pt::INT64
                | pt::FD32
                | pt::PID32
                | pt::UINT64
                | pt::INT32
                | pt::UINT32
        );
    let typed = matches!(p.ptype, pt::ERRNO | pt::FD | pt::PID | pt::FD32 | pt::PID32);
    if !named_res && !typed {
        return None;
    }
    params::as_i64(p.ptype, c.ev.param(0)?)
}

fn is_io(c: &Ctx<'_>) -> (bool, bool) {
    let info = c.ev.info();
    if mmsg_029(&info.name) {
        return (false, false);
    }
    (
        info.has_flag(ef::READS_FROM_FD),
        info.has_flag(ef::WRITES_TO_FD),
    )
}

/// sendmmsg and recvmmsg had no parameters and no fd in sysdig 0.29.3's
/// event table (neither I/O nor fd events there).
fn mmsg_029(name: &str) -> bool {
    matches!(name, "sendmmsg" | "recvmmsg")
}

/// The fd libsinsp attaches to the event itself (what `evt.category`
/// looks at), as opposed to the fd.* fields, which fall back on the
/// thread's last event fd: an exit only has it when it pairs with the
/// thread's previous event, its enter.
fn own_fd<'a>(c: &Ctx<'a>) -> Option<&'a Fd> {
    if c.ev.is_enter() || c.ectx.paired {
        c.fd()
    } else {
        None
    }
}

/// A field of a docker infrastructure event's description, a list of
/// `Key: value` items separated by `;` ("Event: start; ID: 0123...;
/// name: web; Image: nginx@sha256:..."), as libsinsp reads it: the first
/// item that starts with the field's key, its value trimmed; the id cut
/// to 12 characters, the image without its digest.
fn docker_infra(desc: &[u8], id: F) -> Option<String> {
    let desc = String::from_utf8_lossy(desc);
    let desc = desc.trim_end_matches('\0');
    let key = match id {
        F::EvtInfraDockerName => "Event",
        F::EvtInfraDockerContainerId => "ID",
        F::EvtInfraDockerContainerName => "name",
        _ => "Image",
    };
    let item = desc
        .split(';')
        .map(str::trim)
        .find(|e| e.starts_with(key))?;
    let value = item.split(':').nth(1)?;
    Some(match id {
        F::EvtInfraDockerContainerId => value.trim().chars().take(12).collect(),
        F::EvtInfraDockerContainerImage => {
            if let Some(at) = value.find('@') {
                value[..at].trim().to_string()
            } else if value.contains("sha256") {
                item.split_once(':').map_or("", |x| x.1).trim().to_string()
            } else {
                value.trim().to_string()
            }
        }
        _ => value.trim().to_string(),
    })
}

fn opt_s(v: Option<&str>) -> Value<'_> {
    match v {
        Some(v) => s(v),
        None => Value::None,
    }
}

fn evt_dir(ev: &crate::event::EventRef<'_>) -> &'static str {
    dir_of_type(ev.etype())
}

/// `proc.name` / `proc.exe`.
#[inline]
fn proc_str<'a>(c: &Ctx<'a>, id: F) -> Option<&'a str> {
    let t = c.thread?;
    Some(if id == F::ProcName {
        comm_of(t)
    } else {
        exe_of(t)
    })
}

/// A thread's comm as libsinsp gives it: the stand-in it makes for a
/// thread it knows nothing of is named `<NA>`.
fn comm_of(t: &Thread) -> &str {
    if t.unnamed() {
        "<NA>"
    } else {
        &t.comm
    }
}

/// A thread's exe, `<NA>` for a stand-in thread (see [`comm_of`]).
fn exe_of(t: &Thread) -> &str {
    if !t.complete && t.exe.is_empty() {
        "<NA>"
    } else {
        &t.exe
    }
}

/// `proc.cmdline` of `t`: its comm (see [`comm_of`]) and arguments.
fn cmdline_of(t: &Thread) -> String {
    if t.complete || !t.comm.is_empty() {
        return t.cmdline();
    }
    let mut v = String::from("<NA>");
    for a in &t.args {
        v.push(' ');
        v.push_str(a);
    }
    v
}

/// `proc.env` of a process (its main thread): the variables without the
/// empty ones at the end (a process that blanked its environment area has
/// none), as sysdig 0.29.3 shows them.
fn env_text(t: &Thread) -> String {
    let n = t
        .env
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .last()
        .map_or(0, |(i, _)| i + 1);
    let mut out = String::new();
    for (i, v) in t.env.iter().take(n).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(v);
    }
    out
}

/// The parent of `t` as libsinsp's `proc.pname` finds it: the thread whose
/// tid is `t`'s ptid (not that thread's main thread).
fn parent_of<'a>(c: &Ctx<'a>, t: &Thread) -> Option<&'a Thread> {
    c.state.threads.get(&t.ptid)
}

/// `user.name` / `user.homedir` / `user.shell`.
fn user_str<'a>(c: &Ctx<'a>, id: F) -> Option<&'a str> {
    let t = c.thread?;
    match c.state.user(t.uid) {
        Some(u) => Some(match id {
            F::UserName => &u.name,
            F::UserHomedir => &u.homedir,
            _ => &u.shell,
        }),
        // libsinsp names uid 0 root even without a user table (not
        // with none at all: `-E`).
        None if t.uid == 0 && t.complete && !c.state.exclude_users => match id {
            F::UserName => Some("root"),
            F::UserHomedir => Some("/root"),
            _ => None,
        },
        None => None,
    }
}

/// `fd.name` when it is the table's name as is (the usual case); `None`
/// when it needs more work (no fd in the table, or an exit event's empty
/// name).
#[inline]
fn fd_name_direct<'a>(c: &Ctx<'a>) -> Option<&'a str> {
    if let Some(n) = fd_name_in_table(c) {
        return Some(n.as_str());
    }
    match c.fd() {
        // A connect that failed has no tuple: sysdig 0.29.3 names its exit's
        // fd after that empty tuple.
        Some(_) if failed_connect_exit(c) => Some("NULL"),
        _ => None,
    }
}

/// `fd.name` (and `fd.nameraw`) when [`str_read`] reads it as the name of
/// the fd in the table (through [`fd_name_direct`], which starts here):
/// that name, with the memo of the tests run on it.
#[inline]
pub fn fd_name_in_table<'a>(c: &Ctx<'a>) -> Option<&'a crate::state::fds::FdName> {
    match c.fd() {
        Some(f) if (!f.name.is_empty() || c.ev.is_enter()) && !failed_connect_exit(c) => {
            Some(&f.name)
        }
        _ => None,
    }
}

/// A connect exit without a tuple (the connect failed).
#[inline]
fn failed_connect_exit(c: &Ctx<'_>) -> bool {
    c.ev.etype() == crate::event::table::ids::CONNECT_X
        && c.ev.param_by_name("tuple").is_some_and(<[u8]>::is_empty)
}

/// `fd.directory` / `fd.filename` of the fd in the table, as libsinsp
/// cuts them: a file's directory is its name up to the last '/' ("/" when
/// that is the first character or there is none), its file name what
/// follows ("/" without a '/'); a name ending in '/' is kept whole. A
/// directory fd's directory is its whole name, and it has no file name.
/// Other fds have neither.
fn fd_path_part(f: &Fd, id: F) -> Option<&str> {
    let file = matches!(f.ftype, FdType::File | FdType::FileV2);
    if id == F::FdDirectory {
        return match f.ftype {
            FdType::Directory => Some(&f.name),
            _ if file => Some(dir_part(&f.name)),
            _ => None,
        };
    }
    if !file {
        return None;
    }
    Some(match f.name.rfind('/') {
        None => "/",
        Some(i) if i + 1 < f.name.len() => &f.name[i + 1..],
        Some(_) => &f.name,
    })
}

/// The directory part of a path, as libsinsp cuts it (see [`fd_path_part`]).
fn dir_part(name: &str) -> &str {
    match name.rfind('/') {
        Some(i) if i != 0 && i + 1 < name.len() => &name[..i],
        Some(i) if i != 0 => name,
        _ => "/",
    }
}

/// True for an fd event whose fd is not in the table (libsinsp's "null
/// fd" case, where some fd fields still have a value).
fn null_fd(c: &Ctx<'_>) -> bool {
    c.thread.is_some() && c.ectx.fd.is_some() && c.fd().is_none()
}

/// `fd.typechar` of an fd event whose fd is not in the table: guessed
/// from the kind of call (always '4' for sockets), 'o' for the others.
fn null_fd_typechar(ev: &crate::event::EventRef<'_>) -> char {
    match event_name(ev) {
        "open" | "openat" | "openat2" | "creat" => 'f',
        "socket" | "accept" | "accept4" => '4',
        "pipe" | "pipe2" => 'p',
        "eventfd" | "eventfd2" => 'e',
        "signalfd" | "signalfd4" => 's',
        "timerfd_create" => 't',
        "inotify_init" | "inotify_init1" => 'i',
        _ => 'o',
    }
}

/// The container id libsinsp prefixes fd.containername with: empty for
/// host threads.
fn fd_container_id(t: &Thread) -> &str {
    if t.container_id == "host" {
        ""
    } else {
        &t.container_id
    }
}

/// True when `ip` is one of the machine's addresses as libsinsp decides
/// it for the thread of the event: a container thread's address is its
/// container's IP (a container not known is remote), else one of the
/// interface list's addresses.
fn ip_is_local(c: &Ctx<'_>, ip: &IpAddr) -> bool {
    if let Some(t) = c.thread {
        if !fd_container_id(t).is_empty() {
            let Some(ci) = c.state.containers.get(&t.container_id) else {
                return false;
            };
            // (An IP not known is 0.0.0.0, which an unconnected socket's
            // zero address then matches, as in sysdig; IPv6 container
            // addresses are never local.)
            if ip.is_ipv6() {
                return false;
            }
            if containers::ip_text(&ci.ip).parse::<IpAddr>().ok() == Some(*ip) {
                return true;
            }
        }
    }
    on_interfaces(&c.state.local_ips, ip)
}

/// True when `ip` is one of the interface addresses `local`; an IPv6
/// address only has to be in the /64 of one (libsinsp compares the first
/// 64 bits).
fn on_interfaces(local: &[IpAddr], ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => local.contains(ip),
        IpAddr::V6(a) => local.iter().any(|l| match l {
            IpAddr::V6(b) => a.octets()[..8] == b.octets()[..8],
            IpAddr::V4(_) => false,
        }),
    }
}

/// A live capture knows no interface list: the local side is then the
/// one the state saw (the server side of accepted connections).
fn no_interfaces(c: &Ctx<'_>) -> bool {
    c.state.live && c.state.local_ips.is_empty()
}

/// (local ip, local port, remote ip, remote port) of a connected IP
/// socket: the client side is local when the client IP is the machine's.
fn local_remote(c: &Ctx<'_>, f: &Fd) -> Option<(IpAddr, u16, IpAddr, u16)> {
    if !matches!(f.ftype, FdType::Ipv4Sock | FdType::Ipv6Sock) {
        return None;
    }
    let (sip, sport, dip, dport) = tuple_parts(f)?;
    let client_local = match no_interfaces(c) {
        true => !f.is_server_side,
        false => ip_is_local(c, &sip),
    };
    Some(if client_local {
        (sip, sport, dip, dport)
    } else {
        (dip, dport, sip, sport)
    })
}

/// A string field read without building a [`Value`] (the filter's
/// specialized string checks).
pub enum StrRead<'a> {
    /// The field has no value ([`Value::None`]).
    None,
    /// The value, exactly what [`extract`] gives as `Value::S`.
    Str(&'a str),
    /// This event needs the generic extractor.
    Slow,
}

/// True for the fields [`str_read`] reads: string fields without argument
/// whose value is (almost always) borrowed from the event or the state.
pub fn str_fast(id: F) -> bool {
    matches!(
        id,
        F::ProcName
            | F::ProcExe
            | F::ProcPname
            | F::EvtType
            | F::EvtDir
            | F::FdName
            | F::FdNameraw
            | F::FdDirectory
            | F::FdFilename
            | F::FdType
            | F::FdTypechar
            | F::UserName
    )
}

/// The value of a [`str_fast`] field, as [`extract`] would give it.
#[inline]
pub fn str_read<'a>(id: F, c: &Ctx<'a>) -> StrRead<'a> {
    let v = match id {
        F::ProcName | F::ProcExe => proc_str(c, id),
        F::ProcPname => c.thread.and_then(|t| parent_of(c, t)).map(comm_of),
        F::EvtType => Some(event_name(&c.ev)),
        F::EvtDir => Some(evt_dir(&c.ev)),
        F::FdName | F::FdNameraw => match fd_name_direct(c) {
            Some(n) => Some(n),
            // What `fd_name_without_state` answers first.
            None if c.fd().is_none() && (c.ev.is_enter() || c.ectx.fd.is_none()) => None,
            None => return StrRead::Slow,
        },
        F::FdDirectory | F::FdFilename => match c.fd() {
            Some(f) => fd_path_part(f, id),
            None if id == F::FdDirectory && null_fd(c) => return StrRead::Slow,
            None => None,
        },
        F::FdType => c.fd().map(|f| f.type_name()),
        F::FdTypechar => match c.fd() {
            Some(f) => match char_value(f.typechar()) {
                Value::S(Cow::Borrowed(t)) => Some(t),
                _ => return StrRead::Slow,
            },
            None if null_fd(c) => return StrRead::Slow,
            None => None,
        },
        F::UserName => user_str(c, id),
        _ => return StrRead::Slow,
    };
    match v {
        Some(v) => StrRead::Str(v),
        None => StrRead::None,
    }
}

/// True for the fields [`int_read`] reads: signed integers ([`Value::I`]).
pub fn int_fast(id: F) -> bool {
    matches!(
        id,
        F::ProcPid | F::ThreadTid | F::EvtRawres | F::FdNum | F::EvtCpu
    )
}

/// The value of an [`int_fast`] field, as [`extract`] would give it in
/// `Value::I` (`None` for `Value::None`).
#[inline]
pub fn int_read(id: F, c: &Ctx<'_>) -> Option<i64> {
    match id {
        F::ProcPid => c.thread.map(|t| t.pid as i64),
        F::ThreadTid => Some(c.ev.tid() as i64),
        F::EvtRawres => res_of(c),
        F::FdNum => c.ectx.fd,
        F::EvtCpu => Some(c.ev.cpu as i64),
        _ => None,
    }
}

fn main_thread<'a>(c: &Ctx<'a>) -> Option<&'a Thread> {
    let t = c.thread?;
    c.state.threads.get(&t.pid).or(Some(t))
}

/// `proc.sname`'s thread: the one whose tid is the session id, else (the
/// leader has exited) the eldest ancestor of the process in its session.
fn session_leader<'a>(c: &Ctx<'a>, t: &'a Thread) -> Option<&'a Thread> {
    if let Some(l) = c.state.threads.get(&t.sid) {
        return Some(l);
    }
    let mut leader = c.state.threads.get(&t.pid).unwrap_or(t);
    let sid = leader.sid;
    // (bounded: a ptid loop ends the walk)
    for _ in 0..256 {
        match c.state.threads.get(&leader.ptid) {
            Some(p) if p.sid == sid && p.tid != leader.tid => leader = p,
            _ => break,
        }
    }
    Some(leader)
}

/// The container probe a thread runs as part of, as libsinsp classifies
/// it: none for a thread outside containers or a container's first
/// process (vpid 1); else its parent's, else the probe whose exe and
/// arguments are the thread's.
fn probe_category(c: &Ctx<'_>, t: &Thread, depth: u32) -> Option<ProbeKind> {
    if depth > 64 || t.container_id.is_empty() || t.container_id == "host" || t.vpid == 1 {
        return None;
    }
    if let Some(k) = c
        .state
        .threads
        .get(&t.ptid)
        .filter(|p| p.tid != t.tid)
        .and_then(|p| probe_category(c, p, depth + 1))
    {
        return Some(k);
    }
    c.state
        .containers
        .get(&t.container_id)?
        .health_probes
        .iter()
        .find(|p| p.exe == t.exe && t.args.iter().eq(p.args.iter().map(String::as_str)))
        .map(|p| p.kind)
}

/// The `n`th ancestor of the event's process, as libsinsp walks them:
/// from the main thread, each step to the thread whose tid is the ptid.
fn ancestor<'a>(c: &Ctx<'a>, n: i64) -> Option<&'a Thread> {
    let mut t = main_thread(c)?;
    for _ in 0..n {
        t = c.state.threads.get(&t.ptid)?;
    }
    Some(t)
}

fn param_value<'a>(c: &Ctx<'a>, f: &BoundField, raw: bool) -> Value<'a> {
    let info = c.ev.info();
    let idx = match &f.arg {
        FieldArg::Index(i) if *i >= 0 => Some(*i as usize),
        FieldArg::Name(n) => info
            .compat_params
            .iter()
            .position(|p| p.name == n.as_str())
            .or_else(|| info.param_index(n)),
        _ => None,
    };
    let Some(i) = idx else {
        return Value::None;
    };
    let p = info.compat_params.get(i).or_else(|| info.params.get(i));
    let (Some(p), Some(b)) = (p, c.ev.param(i)) else {
        return Value::None;
    };
    if raw {
        return match p.ptype {
            pt::CHARBUF | pt::FSPATH | pt::FSRELPATH => so(params::as_str(b)),
            pt::BYTEBUF => Value::Bytes(Cow::Borrowed(b)),
            pt::INT8
            | pt::INT16
            | pt::INT32
            | pt::INT64
            | pt::ERRNO
            | pt::FD
            | pt::PID
            | pt::FD32
            | pt::PID32 => params::as_i64(p.ptype, b)
                .map(Value::I)
                .unwrap_or(Value::None),
            pt::SOCKADDR | pt::SOCKTUPLE | pt::FDLIST => so(render::render_param(
                p,
                b,
                c.ev.tid(),
                c.state,
                &c.opts.render,
            )),
            _ => params::as_u64(p.ptype, b)
                .map(Value::U)
                .unwrap_or(Value::None),
        };
    }
    if p.ptype == pt::FSRELPATH {
        return so(render::relpath_resolved(&c.ev, i, b, c.state));
    }
    so(render::render_param_resolved(
        p,
        b,
        c.ev.tid(),
        c.state,
        &c.opts.render,
    ))
}

fn tuple_parts(fd: &Fd) -> Option<(IpAddr, u16, IpAddr, u16)> {
    match fd.addrs {
        SockAddrs::Ip {
            sip,
            sport,
            dip,
            dport,
        } => Some((sip, sport, dip, dport)),
        _ => None,
    }
}

fn l4_name(p: u8) -> &'static str {
    match p {
        l4::TCP => "tcp",
        l4::UDP => "udp",
        l4::ICMP => "icmp",
        l4::RAW => "raw",
        _ => "<NA>",
    }
}

fn cgroup_for<'a>(t: &'a Thread, subsys: &str) -> Option<&'a str> {
    t.cgroups.iter().find_map(|cg| {
        let (k, v) = cg.split_once('=')?;
        k.split(',')
            .any(|s| s == subsys || cgroup_subsys_name(s) == subsys)
            .then_some(v)
    })
}

/// A cgroup subsystem as libsinsp names it: the driver reports some by
/// their kernel names (`io`, `perf`, `cpu_cgroup`, `mem_cgroup`), which
/// libsinsp turns into their cgroup v1 names (`blkio`, `perf_event`, `cpu`,
/// `memory`).
fn cgroup_subsys_name(k: &str) -> &str {
    match k.strip_suffix("_cgroup").unwrap_or(k) {
        "io" => "blkio",
        "perf" => "perf_event",
        "mem" => "memory",
        other => other,
    }
}

/// `thread.cgroups`: every `subsystem=path`, subsystems named as libsinsp
/// names them (see [`cgroup_subsys_name`]).
fn cgroups_text(t: &Thread) -> String {
    let mut out = String::new();
    for cg in &t.cgroups {
        if !out.is_empty() {
            out.push(' ');
        }
        match cg.split_once('=') {
            Some((k, v)) => {
                out.push_str(cgroup_subsys_name(k));
                out.push('=');
                out.push_str(v);
            }
            None => out.push_str(cg),
        }
    }
    out
}

/// The event thread's container: `None` without a thread, `Some((true,
/// _))` for host threads, `Some((false, entry))` otherwise.
fn container_of<'a>(c: &Ctx<'a>) -> Option<(bool, Option<&'a Container>)> {
    let t = c.thread?;
    if t.container_id.is_empty() || t.container_id == "host" {
        return Some((true, None));
    }
    Some((false, c.state.containers.get(&t.container_id)))
}

fn nonempty(v: &str) -> Value<'_> {
    if v.is_empty() {
        Value::None
    } else {
        s(v)
    }
}

fn container_field<'a>(c: &Ctx<'a>, f: &BoundField) -> Value<'a> {
    let Some((is_host, info)) = container_of(c) else {
        return Value::None;
    };
    if is_host {
        return match f.def.id {
            F::ContainerId | F::ContainerName | F::ContainerType => s("host"),
            _ => Value::None,
        };
    }
    if f.def.id == F::ContainerId {
        return c.thread.map(|t| s(&t.container_id)).unwrap_or(Value::None);
    }
    let Some(ci) = info else {
        return Value::None;
    };
    let known = ci.lookup == Lookup::Done;
    match f.def.id {
        F::ContainerName => nonempty(&ci.name),
        F::ContainerImage => nonempty(&ci.image),
        F::ContainerImageId => nonempty(&ci.image_id),
        F::ContainerImageRepository => nonempty(&ci.image_repository),
        F::ContainerImageTag => nonempty(&ci.image_tag),
        F::ContainerImageDigest => nonempty(&ci.image_digest),
        F::ContainerType => s(ci.ctype.name()),
        F::ContainerPrivileged if known && ci.ctype.knows_privileged() => Value::B(ci.privileged),
        F::ContainerPrivileged => Value::None,
        F::ContainerMounts => so(ci
            .mounts
            .iter()
            .map(|m| m.to_field())
            .collect::<Vec<_>>()
            .join(",")),
        F::ContainerMount => ci
            .mount_by_source(&f.arg)
            .map(|m| so(m.to_field()))
            .unwrap_or(Value::None),
        F::ContainerMountSource => ci
            .mount_by_dest(&f.arg)
            .map(|m| s(&m.source))
            .unwrap_or(Value::None),
        F::ContainerMountDest
        | F::ContainerMountMode
        | F::ContainerMountRdwr
        | F::ContainerMountPropagation => match ci.mount_by_source(&f.arg) {
            Some(m) => match f.def.id {
                F::ContainerMountDest => s(&m.dest),
                F::ContainerMountMode => s(&m.mode),
                F::ContainerMountRdwr => s(if m.rdwr { "true" } else { "false" }),
                _ => s(&m.propagation),
            },
            None => Value::None,
        },
        F::ContainerHealthcheck | F::ContainerLivenessProbe | F::ContainerReadinessProbe => {
            let kind = match f.def.id {
                F::ContainerHealthcheck => ProbeKind::Healthcheck,
                F::ContainerLivenessProbe => ProbeKind::Liveness,
                _ => ProbeKind::Readiness,
            };
            match ci.probe(kind) {
                Some(p) => so(p.command()),
                None => s("NONE"),
            }
        }
        F::ContainerIp if known => so(containers::ip_text(&ci.ip)),
        F::ContainerCmdline => nonempty(&ci.cmdline),
        F::ContainerLabels if !ci.labels.is_empty() => so(ci.labels_text()),
        F::ContainerLabel => match &f.arg {
            FieldArg::Name(k) => ci.labels.get(k).map(|v| s(v)).unwrap_or(Value::None),
            FieldArg::Index(i) => ci
                .labels
                .get(&i.to_string())
                .map(|v| s(v))
                .unwrap_or(Value::None),
            FieldArg::None => Value::None,
        },
        F::ContainerStartTs if ci.start_ts != 0 => Value::U(ci.start_ts),
        _ => Value::None,
    }
}

fn k8s_field<'a>(c: &Ctx<'a>, f: &BoundField) -> Value<'a> {
    let Some((false, Some(ci))) = container_of(c) else {
        return Value::None;
    };
    let Some(pod) = ci.k8s() else {
        return Value::None;
    };
    let opt = |v: Option<&'a str>| v.map(nonempty).unwrap_or(Value::None);
    match f.def.id {
        F::K8sPodName => nonempty(pod.name),
        F::K8sPodId | F::K8sPodUid => opt(pod.uid),
        F::K8sPodSandboxId => opt(pod.sandbox_id),
        F::K8sNsName => opt(pod.namespace),
        F::K8sPodIp if ci.lookup == Lookup::Done => so(containers::ip_text(&ci.ip)),
        F::K8sPodLabels => {
            let l = pod.labels_text();
            if l.is_empty() {
                Value::None
            } else {
                so(l)
            }
        }
        F::K8sPodLabel => match &f.arg {
            FieldArg::Name(k) => opt(pod.label(k)),
            FieldArg::Index(i) => opt(pod.label(&i.to_string())),
            FieldArg::None => Value::None,
        },
        _ => Value::None,
    }
}

/// `-t D`: the time since the previous line printed, 0 for the first.
fn prev_delta(c: &Ctx<'_>) -> u64 {
    if c.prev_ts == 0 {
        0
    } else {
        c.ev.ts().saturating_sub(c.prev_ts)
    }
}

/// The major number of a device in user-space encoding (12 bits, above
/// the minor's low 8).
fn dev_major(dev: u32) -> i64 {
    i64::from((dev & 0xfff00) >> 8)
}

/// The minor number of a device in user-space encoding (the low 8 bits,
/// and 12 more above the major).
fn dev_minor(dev: u32) -> i64 {
    i64::from((dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// Decades of latency a spectrogram spans: 1 ns to 100 s.
pub const SPECTRO_DECADES: f64 = 11.0;

/// `evt.latency.quantized` as sysdig 0.29.3 computes it: the column of
/// `lat` on a spectrogram `width` columns wide that spans
/// [`SPECTRO_DECADES`] decades from 1 ns, plus one:
/// `floor(min(log10(lat), 11) * width / 11) + 1`. A zero latency has no
/// bucket. Without a screen (`width` 0: dig, headless `-j`) every latency
/// is bucket 1, which is what sysdig and `csysdig -j` print.
pub fn latency_bucket(lat: u64, width: u32) -> Option<u64> {
    if lat == 0 {
        return None;
    }
    let l = (lat as f64).log10().min(SPECTRO_DECADES);
    Some((l * f64::from(width) / SPECTRO_DECADES) as u64 + 1)
}

/// The smallest latency whose bucket is at least `bucket` at `width`
/// (`u64::MAX` past the last bucket): `[start(b), start(b + 1))` is the
/// latency range of bucket `b`, exact at the boundaries.
pub fn latency_bucket_start(bucket: u64, width: u32) -> u64 {
    if bucket <= 1 || width == 0 {
        return 1;
    }
    if bucket > u64::from(width) + 1 {
        return u64::MAX;
    }
    let e = (bucket - 1) as f64 * SPECTRO_DECADES / f64::from(width);
    let mut lat = 10f64.powf(e).ceil().clamp(1.0, u64::MAX as f64) as u64;
    let at = |l: u64| latency_bucket(l, width).unwrap_or(0);
    // log10 rounding: step to the exact boundary.
    while lat > 1 && at(lat - 1) >= bucket {
        lat -= 1;
    }
    while at(lat) < bucket && lat < u64::MAX {
        lat += 1;
    }
    lat
}

/// libsinsp's latency of the event's thread: the time since its last
/// enter for an exit, 0 for an enter, the thread's last value for the
/// events that do not touch it (switch...), 0 without a thread.
fn latency(c: &Ctx<'_>) -> Option<u64> {
    // A procinfo event (and csysdig's end-of-sample thread events) takes
    // no time, whatever the thread's last call took, as in libsinsp.
    let t = c.ev.etype();
    if t == crate::event::table::ids::PROCINFO_E || t == crate::event::table::ids::THREAD_TABLE {
        return Some(0);
    }
    Some(c.thread.map_or(0, |t| t.latency))
}

/// True when the event is a failure that `evt.count.error*` (`id`)
/// counts. A failure is a negative `res` parameter, or a negative `fd` on
/// the exit of a call that creates one. The kind comes from the event's
/// own fd: files and directories are file errors, sockets net errors;
/// without an fd, opens count as file errors, accepts and connects as net
/// errors, brk/mmap/munmap as memory errors; everything else is other.
fn count_error(c: &Ctx<'_>, id: F) -> bool {
    let ev = &c.ev;
    let info = ev.info();
    let failed = match info.param_index("res") {
        Some(i) => ev
            .param(i)
            .and_then(|b| params::as_i64(info.params[i].ptype, b))
            .is_some_and(|r| r < 0),
        None if info.has_flag(ef::CREATES_FD) && !ev.is_enter() => ev
            .param_by_name("fd")
            .and_then(|b| params::as_i64(pt::FD, b))
            .is_some_and(|r| r < 0),
        None => false,
    };
    if !failed {
        return false;
    }
    #[derive(PartialEq)]
    enum Kind {
        File,
        Net,
        Memory,
        Other,
    }
    let kind = match own_fd(c).map(|f| f.ftype) {
        Some(FdType::File | FdType::FileV2 | FdType::Directory) => Kind::File,
        Some(
            FdType::Ipv4Sock
            | FdType::Ipv6Sock
            | FdType::Ipv4ServSock
            | FdType::Ipv6ServSock
            | FdType::UnixSock,
        ) => Kind::Net,
        Some(_) => Kind::Other,
        None => match event_name(ev) {
            "open" | "openat" | "openat2" | "creat" => Kind::File,
            "accept" | "accept4" | "connect" => Kind::Net,
            "brk" | "mmap" | "mmap2" | "munmap" => Kind::Memory,
            _ => Kind::Other,
        },
    };
    match id {
        F::EvtCountErrorFile => kind == Kind::File,
        F::EvtCountErrorNet => kind == Kind::Net,
        F::EvtCountErrorMemory => kind == Kind::Memory,
        F::EvtCountErrorOther => kind == Kind::Other,
        _ => true,
    }
}

/// `evt.abspath` (`.src`, the default, or `.dst`): the path argument of
/// the *at calls sysdig 0.29.3 resolves (openat, mkdirat, unlinkat,
/// symlinkat, linkat, renameat/renameat2) made absolute against its
/// directory fd: the thread's cwd for AT_FDCWD, the fd's name, or
/// "<UNKNOWN>" for an fd not in the table. Other events have none.
fn abspath(c: &Ctx<'_>, f: &BoundField) -> Option<String> {
    let t = c.thread?;
    let ev = &c.ev;
    let info = ev.info();
    let dst = match &f.arg {
        FieldArg::None | FieldArg::Index(0 | 1) => false,
        FieldArg::Index(2) => true,
        FieldArg::Name(n) if n == "src" => false,
        FieldArg::Name(n) if n == "dst" => true,
        _ => return None,
    };
    let (dir_arg, path_arg) = match info.enum_name.as_str() {
        "PPME_SYSCALL_RENAMEAT_X" | "PPME_SYSCALL_RENAMEAT2_X" if dst => ("newdirfd", "newpath"),
        "PPME_SYSCALL_RENAMEAT_X" | "PPME_SYSCALL_RENAMEAT2_X" => ("olddirfd", "oldpath"),
        "PPME_SYSCALL_LINKAT_E" | "PPME_SYSCALL_LINKAT_2_X" if dst => ("newdir", "newpath"),
        "PPME_SYSCALL_LINKAT_E" | "PPME_SYSCALL_LINKAT_2_X" => ("olddir", "oldpath"),
        "PPME_SYSCALL_SYMLINKAT_X" => ("linkdirfd", "linkpath"),
        "PPME_SYSCALL_OPENAT_E"
        | "PPME_SYSCALL_OPENAT_2_X"
        | "PPME_SYSCALL_OPENAT2_X"
        | "PPME_SYSCALL_UNLINKAT_E"
        | "PPME_SYSCALL_UNLINKAT_2_X" => ("dirfd", "name"),
        "PPME_SYSCALL_MKDIRAT_X" => ("dirfd", "path"),
        _ => return None,
    };
    let di = info.param_index(dir_arg)?;
    let dirfd = params::as_i64(info.params[di].ptype, ev.param(di)?)?;
    let path = params::as_str(ev.param_by_name(path_arg)?);
    const AT_FDCWD: i64 = -100;
    let base = if path.starts_with('/') {
        String::new()
    } else if dirfd == AT_FDCWD {
        t.cwd.clone()
    } else {
        match c.state.fd(ev.tid(), dirfd) {
            Some(d) => format!("{}/", d.name),
            None => "<UNKNOWN>/".to_string(),
        }
    };
    Some(crate::state::parse::concat_path(&base, &path))
}

/// Time since the previous event shown; 0 for the first one.
fn deltatime(c: &Ctx<'_>) -> u64 {
    if c.prev_ts == 0 {
        0
    } else {
        c.ev.ts().saturating_sub(c.prev_ts)
    }
}

/// What [`push_text`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Appended text that needs no terminal sanitizing (digits, times, an
    /// `evt.info` without raw text).
    Clean,
    /// Appended text from the event or the state.
    Text,
    /// Nothing: the field has no value.
    Missing,
}

/// Appends the text `-p` prints for field `id` (before the terminal
/// sanitizing), without building a [`Value`], for the fields that can;
/// `None` (nothing appended) for the other fields: use [`extract`]. The
/// text is what `display_value` gives for the value [`extract`] returns.
/// Inlined where `id` is a constant, it comes down to that field's own
/// steps.
#[inline(always)]
pub fn push_text(id: F, c: &Ctx<'_>, out: &mut String) -> Option<Pushed> {
    let ev = &c.ev;
    match id {
        F::EvtNum => render::push_u64(out, c.num),
        F::EvtOutputtime => match c.opts.time {
            TimeMode::Human => push_time(out, ev.ts(), false, true),
            TimeMode::Absolute => push_secs(out, ev.ts()),
            TimeMode::Relative => push_secs(out, ev.ts().saturating_sub(c.first_ts)),
            TimeMode::PrevDelta => push_secs(out, prev_delta(c)),
            TimeMode::Delta => push_secs(out, latency(c).unwrap_or(0)),
        },
        F::EvtTime => push_time(out, ev.ts(), false, true),
        F::EvtTimeS => push_time(out, ev.ts(), false, false),
        F::EvtDatetime => push_time(out, ev.ts(), true, true),
        F::EvtDatetimeS => push_time(out, ev.ts(), true, false),
        F::EvtRawtime => render::push_u64(out, ev.ts()),
        // Names from the event and syscall tables: printable ASCII (see
        // the test `type_names_are_printable`).
        F::EvtType => out.push_str(event_name(ev)),
        F::EvtDir => out.push_str(evt_dir(ev)),
        F::EvtArgs | F::EvtInfo => {
            // (Only an exit carries a syslog line: `syslog_line`'s first
            // test, made here without a call for the enter half.)
            let syslog = if id == F::EvtInfo && !ev.is_enter() {
                syslog_info(c)
            } else {
                None
            };
            return match syslog {
                Some(line) => {
                    out.push_str(&line);
                    Some(Pushed::Text)
                }
                None if render::push_evt_info(out, ev, c.state, &c.opts.render) => {
                    Some(Pushed::Text)
                }
                None => Some(Pushed::Clean),
            };
        }
        id if int_fast(id) => match int_read(id, c) {
            Some(v) => render::push_i64(out, v),
            None => return Some(Pushed::Missing),
        },
        id if str_fast(id) => {
            return match str_read(id, c) {
                StrRead::Str(v) => {
                    out.push_str(v);
                    Some(Pushed::Text)
                }
                StrRead::None => Some(Pushed::Missing),
                StrRead::Slow => None,
            }
        }
        _ => return None,
    }
    Some(Pushed::Clean)
}

/// Extracts `f` for the event in `c`.
pub fn extract<'a>(f: &BoundField, c: &Ctx<'a>) -> Value<'a> {
    let ev = &c.ev;
    let t = c.thread;
    match f.def.id {
        F::EvtNum => Value::U(c.num),
        F::EvtTime => so(fmt_time(ev.ts(), false, true)),
        F::EvtTimeS => so(fmt_time(ev.ts(), false, false)),
        F::EvtTimeIso => so(fmt_iso(ev.ts())),
        F::EvtDatetime => so(fmt_time(ev.ts(), true, true)),
        F::EvtDatetimeS => so(fmt_time(ev.ts(), true, false)),
        F::EvtRawtime => Value::U(ev.ts()),
        F::EvtRawtimeS => Value::U(ev.ts() / 1_000_000_000),
        F::EvtRawtimeNs => Value::U(ev.ts() % 1_000_000_000),
        F::EvtReltime => Value::U(ev.ts().saturating_sub(c.first_ts)),
        F::EvtReltimeS => Value::U(ev.ts().saturating_sub(c.first_ts) / 1_000_000_000),
        F::EvtReltimeNs => Value::U(ev.ts().saturating_sub(c.first_ts) % 1_000_000_000),
        F::EvtOutputtime => {
            let secs = |d: u64| format!("{}.{:09}", d / 1_000_000_000, d % 1_000_000_000);
            match c.opts.time {
                TimeMode::Human => so(fmt_time(ev.ts(), false, true)),
                TimeMode::Absolute => so(secs(ev.ts())),
                TimeMode::Relative => so(secs(ev.ts().saturating_sub(c.first_ts))),
                TimeMode::PrevDelta => so(secs(prev_delta(c))),
                TimeMode::Delta => so(secs(latency(c).unwrap_or(0))),
            }
        }
        F::EvtPluginname | F::EvtPlugininfo => Value::None,
        F::EvtLatency => Value::U(latency(c).unwrap_or(0)),
        F::EvtLatencyS => Value::U(latency(c).unwrap_or(0) / 1_000_000_000),
        F::EvtLatencyNs => Value::U(latency(c).unwrap_or(0) % 1_000_000_000),
        F::EvtLatencyHuman => so(human_duration(latency(c).unwrap_or(0))),
        F::EvtLatencyQuantized => {
            match latency(c).and_then(|l| latency_bucket(l, c.opts.spectro_w)) {
                Some(b) => Value::U(b),
                None => Value::None,
            }
        }
        F::EvtDeltatime => Value::U(deltatime(c)),
        F::EvtDeltatimeS => Value::U(deltatime(c) / 1_000_000_000),
        F::EvtDeltatimeNs => Value::U(deltatime(c) % 1_000_000_000),
        F::EvtDir => s(evt_dir(ev)),
        F::EvtType => s(event_name(ev)),
        // By name (`evt.type.is.open`) or by event type number
        // (`evt.type.is.3`, the open exit: csysdig's Files view counts
        // opens so).
        F::EvtTypeIs => match &f.arg {
            FieldArg::Name(n) => Value::U((event_name(ev) == n) as u64),
            FieldArg::Index(i) => Value::U((i64::from(ev.etype()) == *i) as u64),
            _ => Value::U(0),
        },
        // sysdig 0.29.3 leaves out only the newer switch events and those
        // that leave a thread's state alone (procinfo...): its test of the
        // "internal" category reads the flags, where that bit is
        // EF_SKIPPARSERESET. procexit, signaldeliver, container have one.
        F::SyscallType => {
            if ev.etype() == crate::event::table::ids::SCHEDSWITCH_6_E
                || (ev.info().has_flag(crate::event::table::ef::SKIPPARSERESET)
                    && ev.etype() != crate::views::engine::SYNTHETIC_TYPE)
            {
                Value::None
            } else {
                s(event_name(ev))
            }
        }
        F::EvtCategory => s(if is_generic(ev) {
            super::category::generic(generic_code(ev))
        } else {
            super::category::of_event(ev.info().category, own_fd(c).map(|f| f.ftype))
        }),
        F::EvtInfo => {
            so(syslog_info(c).unwrap_or_else(|| render::evt_info(ev, c.state, &c.opts.render)))
        }
        F::EvtArgs => so(render::evt_info(ev, c.state, &c.opts.render)),
        F::EvtArg => param_value(c, f, false),
        F::EvtRawarg => param_value(c, f, true),
        F::EvtBuffer => {
            let info = ev.info();
            info.params
                .iter()
                .position(|p| p.ptype == pt::BYTEBUF && p.name == "data")
                .and_then(|i| ev.param(i))
                .map(|b| Value::Bytes(Cow::Borrowed(b)))
                .unwrap_or(Value::None)
        }
        // libsinsp's extract_buflen behind a test of the event's own fd,
        // its category and the fd's type: an I/O exit's first parameter
        // when not negative (close and fcntl included in the plain field).
        F::EvtBuflen
        | F::EvtBuflenIn
        | F::EvtBuflenOut
        | F::EvtBuflenFile
        | F::EvtBuflenFileIn
        | F::EvtBuflenFileOut
        | F::EvtBuflenNet
        | F::EvtBuflenNetIn
        | F::EvtBuflenNetOut => {
            let Some(fd) = own_fd(c) else {
                return Value::None;
            };
            let info = ev.info();
            // The in/out fields take one category; the others any I/O one.
            let io = match f.def.id {
                F::EvtBuflenIn | F::EvtBuflenFileIn | F::EvtBuflenNetIn => ec::IO_READ,
                F::EvtBuflenOut | F::EvtBuflenFileOut | F::EvtBuflenNetOut => ec::IO_WRITE,
                _ => ec::IO_READ | ec::IO_WRITE | ec::IO_OTHER,
            };
            // (A file here is a plain one: not a directory.)
            let kind = match f.def.id {
                F::EvtBuflenFile | F::EvtBuflenFileIn | F::EvtBuflenFileOut => {
                    matches!(fd.ftype, FdType::File | FdType::FileV2)
                }
                F::EvtBuflenNet | F::EvtBuflenNetIn | F::EvtBuflenNetOut => fd.is_ip(),
                _ => true,
            };
            if ev.is_enter() || !info.has_category(io) || !kind {
                return Value::None;
            }
            match (info.params.first(), ev.param(0)) {
                (Some(p), Some(b)) => match params::as_i64(p.ptype, b) {
                    Some(n) if n >= 0 => Value::U(n as u64),
                    _ => Value::None,
                },
                _ => Value::None,
            }
        }
        F::EvtRes => match res_of(c) {
            Some(r) if r < 0 => s(errno_name(-r).unwrap_or("E?")),
            Some(_) => s("SUCCESS"),
            None => Value::None,
        },
        F::EvtFailed => Value::B(res_of(c).is_some_and(|r| r < 0)),
        F::EvtIsIo => {
            let (r, w) = is_io(c);
            Value::B(r || w)
        }
        F::EvtIsIoRead => Value::B(is_io(c).0),
        F::EvtIsIoWrite => Value::B(is_io(c).1),
        F::EvtIoDir => match is_io(c) {
            (true, _) => s("read"),
            (_, true) => s("write"),
            _ => Value::None,
        },
        F::EvtIsWait => Value::B(ev.info().has_flag(ef::WAITS)),
        F::EvtWaitLatency => {
            if ev.info().has_flag(ef::WAITS) && !ev.is_enter() {
                Value::U(latency(c).unwrap_or(0))
            } else {
                Value::None
            }
        }
        F::EvtIsSyslog => {
            Value::B(c.fd().is_some_and(|f| f.name.contains("/dev/log")) && is_io(c).1)
        }
        F::EvtCount => Value::U(1),
        // The counts are 1 or nothing (sysdig sums them in views).
        F::EvtCountError
        | F::EvtCountErrorFile
        | F::EvtCountErrorNet
        | F::EvtCountErrorMemory
        | F::EvtCountErrorOther => {
            if count_error(c, f.def.id) {
                Value::U(1)
            } else {
                Value::None
            }
        }
        F::EvtCountExit => {
            if ev.is_enter() {
                Value::None
            } else {
                Value::U(1)
            }
        }
        // Process/thread counts come from the views' thread-table events
        // (one per thread at the end of each sample), as in csysdig.
        // Other events have no value, so averages only see the thread pass.
        F::EvtCountProcinfo => {
            if ev.etype() != crate::event::table::ids::THREAD_TABLE {
                return Value::None;
            }
            Value::U(t.is_some_and(|t| t.is_main_thread()) as u64)
        }
        F::EvtCountThreadinfo => {
            if ev.etype() != crate::event::table::ids::THREAD_TABLE {
                return Value::None;
            }
            Value::U(1)
        }
        F::EvtAround => Value::None,
        F::EvtAbspath => abspath(c, f).map(so).unwrap_or(Value::None),
        F::EvtInfraDockerName
        | F::EvtInfraDockerContainerId
        | F::EvtInfraDockerContainerName
        | F::EvtInfraDockerContainerImage => {
            if ev.etype() != crate::capture::scap::blocks::PPME_INFRASTRUCTURE_EVENT_E {
                return Value::None;
            }
            match ev.param(2).and_then(|d| docker_infra(d, f.def.id)) {
                Some(v) => so(v),
                None => Value::None,
            }
        }
        F::EvtIsOpenRead | F::EvtIsOpenWrite | F::EvtIsOpenExec => {
            let is_open = matches!(event_name(ev), "open" | "openat" | "openat2" | "creat");
            if !is_open || ev.is_enter() {
                return Value::B(false);
            }
            let flags = ev
                .param_by_name("flags")
                .and_then(|b| params::as_u64(pt::FLAGS32, b))
                .unwrap_or(0);
            Value::B(match f.def.id {
                F::EvtIsOpenRead => flags & 1 != 0,
                F::EvtIsOpenWrite => flags & 2 != 0,
                _ => {
                    let mode = ev
                        .param_by_name("mode")
                        .and_then(|b| params::as_u64(pt::UINT32, b))
                        .unwrap_or(0);
                    flags & 4 != 0 && mode & 0o111 != 0
                }
            })
        }
        // ---- process
        F::ProcPid | F::ThreadTid | F::FdNum | F::EvtCpu | F::EvtRawres => {
            int_read(f.def.id, c).map(Value::I).unwrap_or(Value::None)
        }
        F::ProcExe | F::ProcName => opt_s(proc_str(c, f.def.id)),
        F::ProcArgs => t.map(|t| so(t.args_string())).unwrap_or(Value::None),
        F::ProcEnv => main_thread(c)
            .map(|t| so(env_text(t)))
            .unwrap_or(Value::None),
        F::ProcCmdline => t.map(|t| so(cmdline_of(t))).unwrap_or(Value::None),
        // libsinsp: exe, a space, the arguments (so a trailing space when
        // there are none).
        F::ProcExeline => t
            .map(|t| {
                let mut v = exe_of(t).to_string();
                v.push(' ');
                v.push_str(&t.args_string());
                so(v)
            })
            .unwrap_or(Value::None),
        F::ProcCwd => t
            .map(|t| {
                if t.cwd.is_empty() {
                    s("")
                } else {
                    so(t.cwd_slash())
                }
            })
            .unwrap_or(Value::None),
        // libsinsp: the main thread's count of other threads, plus one.
        F::ProcNthreads => t
            .map(|t| Value::U(c.state.thread_count(t.pid).1 as u64 + 1))
            .unwrap_or(Value::None),
        // libsinsp counts a process's other threads on its main thread
        // only: any other thread has none.
        F::ProcNchilds => t
            .map(|t| {
                Value::U(if t.is_main_thread() {
                    c.state.thread_count(t.pid).1 as u64
                } else {
                    0
                })
            })
            .unwrap_or(Value::None),
        F::ProcPpid => main_thread(c)
            .map(|t| Value::I(t.ptid as i64))
            .unwrap_or(Value::None),
        F::ProcPname => opt_s(t.and_then(|t| parent_of(c, t)).map(comm_of)),
        F::ProcPcmdline => t
            .and_then(|t| parent_of(c, t))
            .map(|p| so(cmdline_of(p)))
            .unwrap_or(Value::None),
        F::ProcApid | F::ProcAname => {
            // Without an index (outside filters, which look at every
            // ancestor) libsinsp walks no step: the process itself.
            let n = match f.arg {
                FieldArg::Index(n) => n,
                _ => 0,
            };
            match ancestor(c, n) {
                Some(a) if f.def.id == F::ProcApid => Value::I(a.pid as i64),
                Some(a) => s(comm_of(a)),
                None => Value::None,
            }
        }
        F::ProcLoginshellid => {
            let mut found = None;
            let mut cur = main_thread(c);
            let mut guard = 0;
            while let Some(x) = cur {
                // libsinsp's test for a shell: a name ending in "sh".
                if x.comm.ends_with("sh") {
                    found = Some(x.pid);
                }
                guard += 1;
                if guard > 64 || x.ptid == 0 || x.ptid == x.pid {
                    break;
                }
                cur = c.state.threads.get(&x.ptid);
            }
            found.map(|p| Value::I(p as i64)).unwrap_or(Value::None)
        }
        // Since the event's own thread was cloned (libsinsp's clone time).
        F::ProcDuration => t
            .filter(|t| t.start_ts > 0)
            .map(|t| Value::U(ev.ts().saturating_sub(t.start_ts)))
            .unwrap_or(Value::None),
        F::ProcFdopencount => t
            .map(|t| Value::U(c.state.fds.get(&t.pid).map_or(0, |tb| tb.len() as u64)))
            .unwrap_or(Value::None),
        F::ProcFdlimit => main_thread(c)
            .map(|t| Value::I(t.fdlimit as i64))
            .unwrap_or(Value::None),
        // (0 without a limit, as libsinsp gives it)
        F::ProcFdusage => match (main_thread(c), t) {
            (Some(m), Some(t)) => {
                let open = c.state.fds.get(&t.pid).map_or(0, |tb| tb.len());
                let limit = m.fdlimit as i64;
                Value::D(if limit > 0 {
                    open as f64 * 100.0 / limit as f64
                } else {
                    0.0
                })
            }
            _ => Value::None,
        },
        // The event's own thread's figures (libsinsp reads the thread's).
        F::ProcVmsize => t
            .map(|t| Value::U(t.vmsize_kb as u64))
            .unwrap_or(Value::None),
        F::ProcVmrss => t
            .map(|t| Value::U(t.vmrss_kb as u64))
            .unwrap_or(Value::None),
        F::ProcVmswap => t
            .map(|t| Value::U(t.vmswap_kb as u64))
            .unwrap_or(Value::None),
        F::ThreadPfmajor => t.map(|t| Value::U(t.pfmajor)).unwrap_or(Value::None),
        F::ThreadPfminor => t.map(|t| Value::U(t.pfminor)).unwrap_or(Value::None),
        // (pid -1: a container event's thread, whose tid libsinsp makes -1
        // too)
        F::ThreadIsmain => t
            .map(|t| Value::B(t.is_main_thread() || t.pid == u64::MAX))
            .unwrap_or(Value::None),
        F::ThreadExectime => Value::U(c.ectx.exectime),
        F::ThreadTotexectime => t.map(|t| Value::U(t.totexectime)).unwrap_or(Value::None),
        F::ThreadCgroups => t
            .filter(|t| !t.cgroups.is_empty())
            .map(|t| so(cgroups_text(t)))
            .unwrap_or(Value::None),
        F::ThreadCgroup => match (&f.arg, t) {
            (FieldArg::Name(n), Some(t)) => cgroup_for(t, n).map(s).unwrap_or(Value::None),
            _ => Value::None,
        },
        // (-1: a thread known only from its own events; container events'
        // stand-in threads show -2, as in sysdig)
        F::ThreadVtid => t
            .filter(|t| t.vtid != -1)
            .map(|t| Value::I(t.vtid))
            .unwrap_or(Value::None),
        F::ProcVpid => t
            .filter(|t| t.vpid != -1)
            .map(|t| Value::I(t.vpid))
            .unwrap_or(Value::None),
        F::ThreadCpu | F::ThreadCpuUser | F::ThreadCpuSystem => procinfo_cpu(c, f.def.id),
        F::ThreadVmsize | F::ThreadVmrss | F::ThreadVmsizeB | F::ThreadVmrssB => match t {
            Some(t) if t.is_main_thread() => {
                let kb = if matches!(f.def.id, F::ThreadVmsize | F::ThreadVmsizeB) {
                    t.vmsize_kb
                } else {
                    t.vmrss_kb
                } as u64;
                let mult = if matches!(f.def.id, F::ThreadVmsizeB | F::ThreadVmrssB) {
                    1024
                } else {
                    1
                };
                Value::U(kb * mult)
            }
            Some(_) => Value::U(0),
            None => Value::None,
        },
        F::ThreadNametid => t
            .map(|t| so(format!("{}{}", comm_of(t), c.ev.tid() as i64)))
            .unwrap_or(Value::None),
        F::ProcSid => t.map(|t| Value::I(t.sid as i64)).unwrap_or(Value::None),
        F::ProcSname => t
            .and_then(|t| session_leader(c, t))
            .map(|x| s(comm_of(x)))
            .unwrap_or(Value::None),
        F::ProcTty => t
            .map(|t| Value::I(t.tty as i32 as i64))
            .unwrap_or(Value::None),
        F::ProcExepath => t.map(|t| s(&t.exepath)).unwrap_or(Value::None),
        F::ProcVpgid => t.map(|t| Value::I(t.vpgid as i64)).unwrap_or(Value::None),
        F::ProcIsContainerHealthcheck
        | F::ProcIsContainerLivenessProbe
        | F::ProcIsContainerReadinessProbe => t
            .map(|t| {
                let want = match f.def.id {
                    F::ProcIsContainerHealthcheck => ProbeKind::Healthcheck,
                    F::ProcIsContainerLivenessProbe => ProbeKind::Liveness,
                    _ => ProbeKind::Readiness,
                };
                Value::B(probe_category(c, t, 0) == Some(want))
            })
            .unwrap_or(Value::None),
        F::ProcIsExeWritable => t.map(|t| Value::B(t.exe_writable)).unwrap_or(Value::None),
        // ---- user / group
        F::UserUid => t.map(|t| Value::U(t.uid as u64)).unwrap_or(Value::None),
        F::UserName | F::UserHomedir | F::UserShell => opt_s(user_str(c, f.def.id)),
        F::UserLoginuid => t
            .map(|t| Value::I(t.loginuid as i32 as i64))
            .unwrap_or(Value::None),
        F::UserLoginname => t
            .and_then(|t| c.state.user(t.loginuid))
            .map(|u| s(&u.name))
            .unwrap_or(Value::None),
        F::GroupGid => t.map(|t| Value::U(t.gid as u64)).unwrap_or(Value::None),
        F::GroupName => match t {
            Some(t) => match c.state.group(t.gid) {
                Some(g) => s(&g.name),
                None if t.gid == 0 && t.complete && !c.state.exclude_users => s("root"),
                None => Value::None,
            },
            None => Value::None,
        },
        // ---- container (ids from cgroups, metadata from the container table)
        F::ContainerId
        | F::ContainerName
        | F::ContainerImage
        | F::ContainerImageId
        | F::ContainerType
        | F::ContainerPrivileged
        | F::ContainerMounts
        | F::ContainerMount
        | F::ContainerMountSource
        | F::ContainerMountDest
        | F::ContainerMountMode
        | F::ContainerMountRdwr
        | F::ContainerMountPropagation
        | F::ContainerImageRepository
        | F::ContainerImageTag
        | F::ContainerImageDigest
        | F::ContainerHealthcheck
        | F::ContainerLivenessProbe
        | F::ContainerReadinessProbe
        | F::ContainerIp
        | F::ContainerCmdline
        | F::ContainerLabels
        | F::ContainerLabel
        | F::ContainerStartTs => container_field(c, f),
        // ---- fd
        F::FdType => c.fd().map(|f| s(f.type_name())).unwrap_or(Value::None),
        F::FdTypechar => match c.fd() {
            Some(f) => char_value(f.typechar()),
            None if null_fd(c) => char_value(null_fd_typechar(ev)),
            None => Value::None,
        },
        F::FdName | F::FdNameraw => fd_name(c),
        F::FdDirectory | F::FdFilename => match c.fd() {
            Some(fd) => opt_s(fd_path_part(fd, f.def.id)),
            // The directory of the name the event gives ("" for most: "/").
            None if f.def.id == F::FdDirectory && null_fd(c) => match fd_name_without_state(c) {
                Value::S(n) => so(dir_part(&n).to_string()),
                _ => Value::None,
            },
            None => Value::None,
        },
        F::FdIp | F::FdNet => match c.fd().and_then(tuple_parts) {
            Some((a, _, b, _)) => Value::List(vec![Value::Ip(a), Value::Ip(b)]),
            None => match c.fd().map(|f| &f.addrs) {
                Some(SockAddrs::Server { ip, .. }) => Value::Ip(*ip),
                _ => Value::None,
            },
        },
        F::FdPort | F::FdProto => match c.fd().and_then(tuple_parts) {
            Some((_, a, _, b)) => Value::List(vec![Value::U(a as u64), Value::U(b as u64)]),
            None => match c.fd().map(|f| &f.addrs) {
                Some(SockAddrs::Server { port, .. }) => Value::U(*port as u64),
                _ => Value::None,
            },
        },
        F::FdCip | F::FdCnet => match c.fd().and_then(tuple_parts) {
            Some((a, _, _, _)) => Value::Ip(a),
            None => Value::None,
        },
        F::FdSip | F::FdSnet => match c.fd().and_then(tuple_parts) {
            Some((_, _, b, _)) => Value::Ip(b),
            None => match c.fd().map(|f| &f.addrs) {
                Some(SockAddrs::Server { ip, .. }) => Value::Ip(*ip),
                _ => Value::None,
            },
        },
        F::FdCport => match c.fd() {
            Some(fd) => match tuple_parts(fd) {
                Some((_, p, _, _)) => Value::U(p as u64),
                // sysdig gives a socket with a role but no connection
                // (unix, listening) client port 0.
                None if role_without_tuple(fd) => Value::U(0),
                None => Value::None,
            },
            None => Value::None,
        },
        F::FdSport => match c.fd().and_then(tuple_parts) {
            Some((_, _, _, p)) => Value::U(p as u64),
            None => match c.fd().map(|f| &f.addrs) {
                Some(SockAddrs::Server { port, .. }) => Value::U(*port as u64),
                _ => Value::None,
            },
        },
        F::FdLip | F::FdRip | F::FdLnet | F::FdRnet | F::FdLport | F::FdRport => {
            let Some((lip, lport, rip, rport)) = c.fd().and_then(|fd| local_remote(c, fd)) else {
                return Value::None;
            };
            match f.def.id {
                F::FdLip | F::FdLnet => Value::Ip(lip),
                F::FdRip | F::FdRnet => Value::Ip(rip),
                F::FdLport => Value::U(lport as u64),
                _ => Value::U(rport as u64),
            }
        }
        F::FdL4proto => match c.fd() {
            Some(f) if f.is_ip() => s(l4_name(f.l4proto)),
            Some(_) => s("<NA>"),
            None => Value::None,
        },
        F::FdSockfamily => match c.fd() {
            Some(f) if f.is_ip() => s("ip"),
            Some(f) if f.ftype == FdType::UnixSock => s("unix"),
            _ => Value::None,
        },
        // Listening sockets are servers; a connection is when its server
        // address is one of the machine's; any other fd is not.
        F::FdIsServer => match c.fd() {
            Some(f) => Value::B(match (f.ftype, &f.addrs) {
                (FdType::Ipv4ServSock | FdType::Ipv6ServSock, _)
                | (_, SockAddrs::Server { .. }) => true,
                (FdType::Ipv4Sock | FdType::Ipv6Sock, SockAddrs::Ip { .. }) if no_interfaces(c) => {
                    f.is_server_side
                }
                (FdType::Ipv4Sock | FdType::Ipv6Sock, SockAddrs::Ip { dip, .. }) => {
                    ip_is_local(c, dip)
                }
                // Not connected: the server address is still all zeros.
                (FdType::Ipv4Sock, SockAddrs::None) => ip_is_local(c, &IpAddr::from([0u8; 4])),
                (FdType::Ipv6Sock, SockAddrs::None) => ip_is_local(c, &IpAddr::from([0u8; 16])),
                _ => false,
            }),
            None => Value::None,
        },
        // The thread id and the fd number, whether the fd is known or not.
        F::FdUid => match (t, c.ectx.fd) {
            (Some(_), Some(n)) => so(format!("{}{}", ev.tid(), n)),
            _ => Value::None,
        },
        // The container id and fd.name (as libsinsp, which shares the code).
        F::FdContainername => match (t, fd_name(c)) {
            (Some(t), Value::S(n)) => so(format!("{}:{n}", fd_container_id(t))),
            _ => Value::None,
        },
        F::FdContainerdirectory => match (c.fd(), t) {
            (Some(f0), Some(t)) => match fd_path_part(f0, F::FdDirectory) {
                Some(d) => so(format!("{}:{d}", fd_container_id(t))),
                None => Value::None,
            },
            (None, Some(t)) if null_fd(c) => match fd_name_without_state(c) {
                Value::S(n) => so(format!("{}:{}", fd_container_id(t), dir_part(&n))),
                _ => Value::None,
            },
            _ => Value::None,
        },
        // Port numbers as text, or their service names with `dig -R`.
        F::FdCproto | F::FdSproto | F::FdLproto | F::FdRproto => {
            let Some(fd) = c.fd() else {
                return Value::None;
            };
            let port = match f.def.id {
                F::FdCproto | F::FdSproto => {
                    let conn = matches!(fd.ftype, FdType::Ipv4Sock | FdType::Ipv6Sock);
                    match (tuple_parts(fd), &fd.addrs) {
                        (Some((_, p, _, _)), _) if conn && f.def.id == F::FdCproto => Some(p),
                        (Some((_, _, _, p)), _) if conn => Some(p),
                        // A listening socket has a server port but no text,
                        // a socket with a role but no connection a client one.
                        (_, SockAddrs::Server { .. }) if f.def.id == F::FdSproto => return s(""),
                        _ if f.def.id == F::FdCproto && role_without_tuple(fd) => return s(""),
                        _ => None,
                    }
                }
                _ => local_remote(c, fd).map(
                    |(_, lp, _, rp)| {
                        if f.def.id == F::FdLproto {
                            lp
                        } else {
                            rp
                        }
                    },
                ),
            };
            // (Names with `dig -R`.)
            port.map(|p| {
                so(crate::event::services::port_text(
                    p,
                    Some(fd.services_proto()),
                ))
            })
            .unwrap_or(Value::None)
        }
        F::FdConnected => c
            .fd()
            .map(|f| Value::B(matches!(f.addrs, SockAddrs::Ip { .. }) || f.connected))
            .unwrap_or(Value::None),
        F::FdNameChanged => c
            .fd()
            .map(|_| Value::B(c.ectx.name_changed))
            .unwrap_or(Value::None),
        F::FdCipName | F::FdSipName | F::FdLipName | F::FdRipName => Value::None,
        F::FdDev => c
            .fd()
            .map(|f| Value::I(f.dev as i64))
            .unwrap_or(Value::None),
        // `dev` is in the kernel's user-space encoding (new_encode_dev:
        // the probe and libscap's drivers write it so).
        F::FdDevMajor => c
            .fd()
            .map(|f| Value::I(dev_major(f.dev)))
            .unwrap_or(Value::None),
        F::FdDevMinor => c
            .fd()
            .map(|f| Value::I(dev_minor(f.dev)))
            .unwrap_or(Value::None),
        F::FdIno => c
            .fd()
            .map(|f| Value::I(f.ino as i64))
            .unwrap_or(Value::None),
        // ---- syslog
        F::SyslogFacilityStr
        | F::SyslogFacility
        | F::SyslogSeverityStr
        | F::SyslogSeverity
        | F::SyslogMessage => syslog(c, f.def.id),
        // ---- fdlist
        F::FdlistNums
        | F::FdlistNames
        | F::FdlistCips
        | F::FdlistSips
        | F::FdlistCports
        | F::FdlistSports => fdlist(c, f.def.id),
        // ---- k8s (from the container's labels)
        F::K8sPodName
        | F::K8sPodId
        | F::K8sPodUid
        | F::K8sPodSandboxId
        | F::K8sPodLabel
        | F::K8sPodLabels
        | F::K8sPodIp
        | F::K8sNsName => k8s_field(c, f),
        // Orchestrator objects with no source yet (see defs.rs).
        F::K8sNsId
        | F::K8sNsLabel
        | F::K8sNsLabels
        | F::K8sRcName
        | F::K8sRcId
        | F::K8sRcLabel
        | F::K8sRcLabels
        | F::K8sSvcName
        | F::K8sSvcId
        | F::K8sSvcLabel
        | F::K8sSvcLabels
        | F::K8sRsName
        | F::K8sRsId
        | F::K8sRsLabel
        | F::K8sRsLabels
        | F::K8sDeploymentName
        | F::K8sDeploymentId
        | F::K8sDeploymentLabel
        | F::K8sDeploymentLabels
        | F::MesosTaskName
        | F::MesosTaskId
        | F::MesosTaskLabel
        | F::MesosTaskLabels
        | F::MesosFrameworkName
        | F::MesosFrameworkId
        | F::MarathonAppName
        | F::MarathonAppId
        | F::MarathonAppLabel
        | F::MarathonAppLabels
        | F::MarathonGroupName
        | F::MarathonGroupId => Value::None,
    }
}

/// `fd.name` (and `fd.nameraw`).
fn fd_name<'a>(c: &Ctx<'a>) -> Value<'a> {
    let ev = &c.ev;
    match fd_name_direct(c) {
        Some(n) => s(n),
        None => match c.fd() {
            Some(f) => match ev.param_by_name("tuple").and_then(params::socktuple) {
                Some(t) if event_name(ev) == "connect" => so(render::tuple_string(&t)),
                _ => s(&f.name),
            },
            None => fd_name_without_state(c),
        },
    }
}

/// `fd.name` when the fd is not in the table: libsinsp takes it from the
/// event (a failed open's path, a failed connect's tuple), or says "" on
/// exit events that use an fd.
fn fd_name_without_state<'a>(c: &Ctx<'a>) -> Value<'a> {
    let ev = &c.ev;
    if ev.is_enter() || c.ectx.fd.is_none() {
        return Value::None;
    }
    let info = ev.info();
    if info.has_flag(ef::CREATES_FD) {
        if let Some(b) = ev
            .param_by_name("name")
            .or_else(|| ev.param_by_name("path"))
        {
            let n = params::as_str(b);
            // open and creat show an absolute path as given ("//lib/x"
            // stays); relative paths, and openat's, are resolved.
            if n.starts_with('/') && matches!(event_name(ev), "open" | "creat") {
                return so(n);
            }
            let base = c.thread.map(|t| t.cwd.as_str()).unwrap_or("");
            return so(crate::state::parse::concat_path(base, &n));
        }
    }
    let named_by_tuple = info.has_flag(ef::CREATES_FD) || event_name(ev) == "connect";
    if let (Some(b), true) = (ev.param_by_name("tuple"), named_by_tuple) {
        // An empty tuple prints as NULL, as in evt.info.
        return match params::socktuple(b) {
            Some(t) => so(render::tuple_string(&t)),
            None => s("NULL"),
        };
    }
    s("")
}

fn event_name<'a>(ev: &crate::event::EventRef<'a>) -> &'static str {
    match type_name_of_id(ev.etype()) {
        Some(n) => n,
        // Generic events are named after the syscall they carry.
        None => generic_type_name(generic_code(ev)),
    }
}

/// True for the generic events (syscalls without their own event type).
fn is_generic(ev: &crate::event::EventRef<'_>) -> bool {
    let id = ev.etype();
    id == crate::event::table::ids::GENERIC_E || id == crate::event::table::ids::GENERIC_X
}

/// The syscall code a generic event carries (its first parameter).
#[inline]
pub fn generic_code(ev: &crate::event::EventRef<'_>) -> Option<u16> {
    ev.param(0).and_then(|b| params::u16_at(b, 0))
}

/// `evt.type` of a generic event carrying this syscall code.
pub fn generic_type_name(code: Option<u16>) -> &'static str {
    code.and_then(crate::event::syscalls::name)
        .unwrap_or("<unknown>")
}

/// `evt.type` of the events with this id; `None` for the generic events,
/// whose name is the syscall they carry.
fn type_name_of_id(id: u16) -> Option<&'static str> {
    let info = crate::event::table::table().get(id);
    if info.id == crate::event::table::ids::THREAD_TABLE {
        // The views' end-of-sample thread events (sysdig 0.29.3's name).
        return Some("sysdigevent");
    }
    if info.id == crate::event::table::ids::GENERIC_E
        || info.id == crate::event::table::ids::GENERIC_X
    {
        return None;
    }
    Some(info.name.as_str())
}

/// True for the fields [`str_of_type`] can decide.
pub fn decided_by_type(id: F) -> bool {
    matches!(id, F::EvtType | F::EvtDir)
}

/// The value of string field `id` for every event of type `etype`, when
/// the type alone decides it (evt.type but for generic events, evt.dir):
/// what [`str_read`] gives as `StrRead::Str`.
pub fn str_of_type(id: F, etype: u16) -> Option<&'static str> {
    match id {
        F::EvtType => type_name_of_id(etype),
        F::EvtDir => Some(dir_of_type(etype)),
        _ => None,
    }
}

fn dir_of_type(etype: u16) -> &'static str {
    if etype.is_multiple_of(2) {
        ">"
    } else {
        "<"
    }
}

/// CPU used since the thread's previous procinfo event (state computes it).
fn procinfo_cpu<'a>(c: &Ctx<'a>, id: F) -> Value<'a> {
    let Some(cpu) = c.ectx.cpu else {
        return Value::None;
    };
    let v = match id {
        F::ThreadCpuUser => cpu[1],
        F::ThreadCpuSystem => cpu[2],
        _ => cpu[0],
    };
    Value::D(f64::from(v))
}

/// `evt.info` of a write to /dev/log that carries a syslog message: what
/// sysdig's syslog decoder says instead of the arguments.
fn syslog_info(c: &Ctx<'_>) -> Option<String> {
    let (pri, msg) = syslog_line(c)?;
    Some(format!(
        "syslog sev={} msg={msg}",
        SYSLOG_SEV[(pri & 7) as usize]
    ))
}

const SYSLOG_FAC: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "clock", "authpriv",
    "ftp", "ntp", "logaudit", "logalert", "cron", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
const SYSLOG_SEV: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
];

/// The priority and message of the syslog line an exit wrote to
/// /dev/log (`<PRI>message`). Checked cheapest first: it is asked for
/// every event printed with `evt.info`. (libsinsp decodes what is
/// written: the I/O write events.)
fn syslog_line(c: &Ctx<'_>) -> Option<(u32, String)> {
    if c.ev.is_enter() || !is_io(c).1 || !c.fd().is_some_and(|f| f.name.contains("/dev/log")) {
        return None;
    }
    let data = c.ev.param_by_name("data")?;
    let text = String::from_utf8_lossy(data);
    let (num, msg) = text.strip_prefix('<')?.split_once('>')?;
    let pri = num.parse::<u32>().ok()?;
    Some((pri, msg.to_string()))
}

fn syslog<'a>(c: &Ctx<'a>, id: F) -> Value<'a> {
    let Some((pri, msg)) = syslog_line(c) else {
        return Value::None;
    };
    match id {
        F::SyslogFacility => Value::U((pri >> 3) as u64),
        F::SyslogFacilityStr => s(SYSLOG_FAC.get((pri >> 3) as usize).copied().unwrap_or("")),
        F::SyslogSeverity => Value::U((pri & 7) as u64),
        F::SyslogSeverityStr => s(SYSLOG_SEV[(pri & 7) as usize]),
        _ => so(msg),
    }
}

/// A socket libsinsp gives a client or server role without a connection
/// tuple: a (non-UDP) server socket bound to a port, or a unix socket
/// that connected, was accepted or came from the capture's fd list.
/// (Found by comparing fd.cport with sysdig 0.29.3 on the corpus.)
fn role_without_tuple(f: &Fd) -> bool {
    match f.addrs {
        SockAddrs::Server { port, .. } => port != 0 && f.l4proto != l4::UDP,
        _ => f.ftype == FdType::UnixSock && (f.connected || f.is_server_side || f.from_list),
    }
}

fn is_v6(t: FdType) -> bool {
    matches!(t, FdType::Ipv6Sock | FdType::Ipv6ServSock)
}

/// The fdlist.* fields of poll and ppoll (the only calls sysdig reads
/// them from): one item per polled fd, comma-separated. Names are "<NA>"
/// for fds not in the table (or unnamed); addresses and ports are left
/// out for fds that are not IP sockets (listening sockets have a server
/// address and port only). No items at all is no value.
fn fdlist<'a>(c: &Ctx<'a>, id: F) -> Value<'a> {
    if !matches!(event_name(&c.ev), "poll" | "ppoll") {
        return Value::None;
    }
    let info = c.ev.info();
    let Some(i) = info.params.iter().position(|p| p.ptype == pt::FDLIST) else {
        return Value::None;
    };
    let Some(b) = c.ev.param(i) else {
        return Value::None;
    };
    let tid = c.ev.tid();
    let mut out: Vec<String> = Vec::new();
    for (fdn, _) in params::fdlist(b) {
        let f = c.state.fd(tid, fdn);
        let conn = f
            .filter(|f| matches!(f.ftype, FdType::Ipv4Sock | FdType::Ipv6Sock))
            .and_then(tuple_parts);
        let server = match f.map(|f| &f.addrs) {
            Some(SockAddrs::Server { ip, port }) => Some((*ip, *port)),
            _ => None,
        };
        let item = match id {
            F::FdlistNums => Some(fdn.to_string()),
            F::FdlistNames => Some(match f {
                Some(f) if !f.name.is_empty() => f.name.to_string(),
                _ => "<NA>".to_string(),
            }),
            F::FdlistCips => conn.map(|t| crate::state::fds::ip_str(&t.0)),
            F::FdlistSips => conn
                .map(|t| t.2)
                .or(server.map(|s| s.0))
                .map(|ip| crate::state::fds::ip_str(&ip)),
            F::FdlistCports => conn.map(|t| t.1.to_string()),
            // (sysdig gives IPv6 listening sockets no port here)
            _ => conn
                .map(|t| t.3)
                .or(server
                    .filter(|_| !f.is_some_and(|f| is_v6(f.ftype)))
                    .map(|s| s.1))
                .map(|p| p.to_string()),
        };
        if let Some(x) = item {
            out.push(x);
        }
    }
    if out.is_empty() {
        Value::None
    } else {
        so(out.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_decode_the_user_space_encoding() {
        // dm-0 (253:0), xvda2 (202:2), and 8:300 whose minor needs the
        // bits above the major.
        assert_eq!((dev_major(0xfd00), dev_minor(0xfd00)), (253, 0));
        assert_eq!((dev_major(0xca02), dev_minor(0xca02)), (202, 2));
        assert_eq!((dev_major(0x0010_082c), dev_minor(0x0010_082c)), (8, 300));
    }

    /// `push_text` shows evt.type and evt.dir without terminal sanitizing:
    /// every name they can give is printable ASCII.
    #[test]
    fn type_names_are_printable() {
        let ok = |n: &str| render::printable_ascii(n.as_bytes()) && !n.is_empty();
        for id in 0..=u16::MAX {
            if let Some(n) = type_name_of_id(id) {
                assert!(ok(n), "{id}: {n:?}");
            }
            assert!(ok(dir_of_type(id)), "{id}");
            assert!(ok(generic_type_name(Some(id))), "code {id}");
        }
        assert!(ok(generic_type_name(None)));
    }

    #[test]
    fn cached_times_are_the_times() {
        for ts in [
            0u64,
            1,
            999_999_999,
            1_000_000_000,
            1_700_000_000_123_456_789,
            1_700_000_000_999_999_999,
            1_700_000_001_000_000_007,
            1_600_000_000_000_000_000,
        ] {
            for (date, nanos) in [(false, true), (false, false), (true, true), (true, false)] {
                assert_eq!(
                    fmt_time(ts, date, nanos),
                    fmt_time_uncached(ts, date, nanos),
                    "{ts} {date} {nanos}"
                );
            }
        }
        let mut s = String::new();
        for ns in [
            0u32,
            1,
            9,
            10,
            42,
            999,
            1000,
            123_456_789,
            999_999_999,
            100_000_000,
            7_000_001,
        ] {
            let mut a = String::new();
            let mut b = String::new();
            push_nanos(&mut a, ns);
            render::push_decimal(&mut b, u64::from(ns), 9);
            assert_eq!(a, b);
            assert_eq!(a, format!("{ns:09}"));
        }
        render::push_decimal(&mut s, 42, 9);
        render::push_decimal(&mut s, 0, 3);
        render::push_decimal(&mut s, 12345, 2);
        assert_eq!(s, "00000004200012345");
    }

    /// sysdig truncates, with two decimals below 10 of a unit only.
    #[test]
    fn human_durations() {
        for (ns, text) in [
            (0, "0ns"),
            (999, "999ns"),
            (1_000, "1.00us"),
            (1_054, "1.05us"),
            (4_037, "4.03us"),
            (9_999, "9.99us"),
            (10_222, "10us"),
            (93_193, "93us"),
            (999_203, "999us"),
            (1_571_370, "1.57ms"),
            (61_653_754, "61ms"),
            (1_000_170_434, "1.00s"),
            (12_500_000_000, "12s"),
        ] {
            assert_eq!(human_duration(ns), text, "{ns}");
        }
    }

    /// libsinsp's cut of file names: the last '/' splits, a trailing one
    /// keeps the name whole, no '/' gives "/".
    #[test]
    fn path_parts() {
        let file = |n: &str| Fd::new(FdType::File, n);
        let part = |n: &str, id| fd_path_part(&file(n), id).map(str::to_string);
        assert_eq!(part("/etc/passwd", F::FdDirectory).as_deref(), Some("/etc"));
        assert_eq!(
            part("/etc/passwd", F::FdFilename).as_deref(),
            Some("passwd")
        );
        assert_eq!(part("/passwd", F::FdDirectory).as_deref(), Some("/"));
        assert_eq!(part("/passwd", F::FdFilename).as_deref(), Some("passwd"));
        assert_eq!(part("/etc/", F::FdDirectory).as_deref(), Some("/etc/"));
        assert_eq!(part("/etc/", F::FdFilename).as_deref(), Some("/etc/"));
        assert_eq!(part("passwd", F::FdDirectory).as_deref(), Some("/"));
        assert_eq!(part("passwd", F::FdFilename).as_deref(), Some("/"));
        assert_eq!(part("//lib/x", F::FdDirectory).as_deref(), Some("//lib"));
        // A directory fd is its own directory and has no file name.
        let dir = Fd::new(FdType::Directory, "/usr/lib");
        assert_eq!(fd_path_part(&dir, F::FdDirectory), Some("/usr/lib"));
        assert_eq!(fd_path_part(&dir, F::FdFilename), None);
        // Other fds have neither.
        let pipe = Fd::new(FdType::Fifo, "pipe:[1]");
        assert_eq!(fd_path_part(&pipe, F::FdDirectory), None);
        assert_eq!(dir_part(""), "/");
    }

    /// IPv4 addresses must be an interface's; IPv6 ones share its /64.
    #[test]
    fn local_addresses() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        let local = [
            ip("127.0.0.1"),
            ip("10.0.0.79"),
            ip("::1"),
            ip("fe80::ceb:feff:fe7d:6f7e"),
        ];
        assert!(on_interfaces(&local, &ip("10.0.0.79")));
        assert!(!on_interfaces(&local, &ip("10.0.0.80")));
        assert!(!on_interfaces(&local, &ip("0.0.0.0")));
        assert!(on_interfaces(&local, &ip("::1")));
        // The unspecified address shares ::1's (all-zero) /64.
        assert!(on_interfaces(&local, &ip("::")));
        assert!(on_interfaces(&local, &ip("fe80::1")));
        assert!(!on_interfaces(&local, &ip("2001:4860:4860::8888")));
        assert!(!on_interfaces(&[], &ip("::1")));
    }

    #[test]
    fn char_values_are_the_char() {
        for ch in (0u8..=0x7f).map(char::from).chain(['é', 'P']) {
            match char_value(ch) {
                Value::S(t) => assert_eq!(t, ch.to_string()),
                other => panic!("{other:?}"),
            }
        }
    }

    /// thread.cgroups names subsystems as libsinsp does, whatever name
    /// the driver reported.
    #[test]
    fn cgroup_subsystems_take_their_v1_names() {
        let t = Thread {
            cgroups: crate::capture::meta::StrList::from_nul_separated(
                b"cpu_cgroup=/a\0io=/b\0mem_cgroup=/c\0perf=/d\0pids=/e\0",
            ),
            ..Thread::default()
        };
        assert_eq!(
            cgroups_text(&t),
            "cpu=/a blkio=/b memory=/c perf_event=/d pids=/e"
        );
        assert_eq!(cgroup_for(&t, "blkio"), Some("/b"));
        assert_eq!(cgroup_for(&t, "io"), Some("/b"));
    }

    /// proc.env drops the empty variables at its end (a process that
    /// blanked its environment area has none), not those before others.
    #[test]
    fn env_drops_trailing_empty_variables() {
        let t = Thread {
            env: crate::capture::meta::StrList::from_nul_separated(b"A=1\0B=2\0\0C=3\0\0\0"),
            exe: "nginx".into(),
            ..Thread::default()
        };
        assert_eq!(env_text(&t), "A=1 B=2  C=3");
        let blank = Thread {
            env: crate::capture::meta::StrList::from_nul_separated(b"\0\0\0"),
            ..Thread::default()
        };
        assert_eq!(env_text(&blank), "");
    }

    /// A thread libsinsp made up for a tid it knew nothing of is `<NA>`.
    #[test]
    fn stand_in_threads_are_na() {
        let t = Thread::placeholder(5);
        assert_eq!(
            (comm_of(&t), exe_of(&t), cmdline_of(&t).as_str()),
            ("<NA>", "<NA>", "<NA>")
        );
        let mut named = Thread::placeholder(5);
        named.comm = "sh".into();
        assert_eq!(comm_of(&named), "sh");
    }
}
