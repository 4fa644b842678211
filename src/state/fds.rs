//! File descriptors as libsinsp keeps them: one table per process.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use crate::capture::meta::{FdEntry, FdInfo, FdType};
use crate::event::services::{self, Proto};

/// Layer-4 protocol of a socket (`scap_l4_proto`).
pub mod l4 {
    pub const UNKNOWN: u8 = 0;
    pub const NA: u8 = 1;
    pub const TCP: u8 = 2;
    pub const UDP: u8 = 3;
    pub const ICMP: u8 = 4;
    pub const RAW: u8 = 5;
}

/// The endpoints of a socket, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddrs {
    None,
    /// A connected (or accepted) IP socket: client → server.
    Ip {
        sip: IpAddr,
        sport: u16,
        dip: IpAddr,
        dport: u16,
    },
    /// A listening IP socket.
    Server {
        ip: IpAddr,
        port: u16,
    },
    Unix {
        source: u64,
        dest: u64,
    },
}

/// `fd.name`, with the answer of the last string test a filter ran on it
/// ([`FdName::memo`]): a stream of reads and writes on one file asks the
/// same question of the same name over and over. Setting the name forgets
/// the answer, so the text can only change through [`FdName::set`] (it
/// reads as a `String`, through `Deref`).
#[derive(Default)]
pub struct FdName {
    text: String,
    /// `key << 1 | answer` of the last test, 0 for none ([`memo_key`]).
    memo: AtomicU64,
}

impl FdName {
    /// Replaces the name (and forgets the memo).
    pub fn set(&mut self, text: String) {
        self.text = text;
        *self.memo.get_mut() = 0;
    }

    /// Replaces the name with a copy of `text`, reusing its buffer.
    pub fn set_str(&mut self, text: &str) {
        self.text.clear();
        self.text.push_str(text);
        *self.memo.get_mut() = 0;
    }

    /// The text to change in place (the memo is forgotten).
    pub fn edit(&mut self) -> &mut String {
        *self.memo.get_mut() = 0;
        &mut self.text
    }

    /// The text, taken.
    pub fn into_string(self) -> String {
        self.text
    }

    /// `test(name)`, remembered under `key` (from [`memo_key`], one per
    /// compiled test): asked again with the same key before the name
    /// changes, the answer comes from the memo. (One answer is kept:
    /// another test on the name replaces it. Several readers at once, each
    /// with its own key, only miss more.)
    #[inline]
    pub fn memo(&self, key: u64, test: impl FnOnce(&str) -> bool) -> bool {
        let m = self.memo.load(Ordering::Relaxed);
        if m >> 1 == key {
            return m & 1 == 1;
        }
        let answer = test(&self.text);
        self.memo
            .store(key << 1 | u64::from(answer), Ordering::Relaxed);
        answer
    }
}

/// A key for [`FdName::memo`], never handed out before (and never 0).
pub fn memo_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // (2^63 keys: none is handed out twice in any process's life.)
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Deref for FdName {
    type Target = String;
    fn deref(&self) -> &String {
        &self.text
    }
}

impl Clone for FdName {
    fn clone(&self) -> FdName {
        FdName::from(self.text.clone())
    }
}

impl PartialEq for FdName {
    fn eq(&self, other: &FdName) -> bool {
        self.text == other.text
    }
}

impl Eq for FdName {}

impl PartialEq<str> for FdName {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for FdName {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<String> for FdName {
    fn eq(&self, other: &String) -> bool {
        self.text == *other
    }
}

impl std::fmt::Debug for FdName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.text.fmt(f)
    }
}

impl std::fmt::Display for FdName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.text.fmt(f)
    }
}

impl From<String> for FdName {
    fn from(text: String) -> FdName {
        FdName {
            text,
            memo: AtomicU64::new(0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fd {
    pub ftype: FdType,
    /// `fd.name` as libsinsp shows it.
    pub name: FdName,
    pub open_flags: u32,
    pub dev: u32,
    pub ino: u64,
    pub l4proto: u8,
    pub addrs: SockAddrs,
    /// True when this side is the server side (accept), for fd.lip/rip.
    pub is_server_side: bool,
    /// The socket type given to socket() (1 stream, 2 dgram, 3 raw).
    pub sock_type: u8,
    /// Came from a capture's fd list or /proc, direction not yet fixed.
    pub from_list: bool,
    /// A connect on this socket succeeded (libsinsp's "connected" flag,
    /// which a unix socket only gets that way).
    pub connected: bool,
}

impl Fd {
    pub fn new(ftype: FdType, name: impl Into<String>) -> Fd {
        Fd {
            ftype,
            name: FdName::from(name.into()),
            open_flags: 0,
            dev: 0,
            ino: 0,
            l4proto: l4::UNKNOWN,
            addrs: SockAddrs::None,
            is_server_side: false,
            sock_type: 0,
            from_list: false,
            connected: false,
        }
    }

    /// Sets the l4 protocol from the socket type once the socket is used.
    pub fn learn_l4(&mut self) {
        if self.l4proto == l4::UNKNOWN {
            self.l4proto = match self.sock_type {
                1 => l4::TCP,
                2 => l4::UDP,
                3 => l4::RAW,
                _ => l4::UNKNOWN,
            };
        }
    }

    /// `fd.typechar`.
    pub fn typechar(&self) -> char {
        typechar(self.ftype)
    }

    /// The l4 letter sysdig adds after the type char of IP sockets.
    pub fn l4char(&self) -> Option<char> {
        if !self.is_ip() {
            return None;
        }
        match self.l4proto {
            l4::TCP => Some('t'),
            l4::UDP => Some('u'),
            l4::ICMP => Some('i'),
            l4::RAW => Some('r'),
            _ => None,
        }
    }

    /// `fd.type`.
    pub fn type_name(&self) -> &'static str {
        type_name(self.ftype)
    }

    pub fn is_socket(&self) -> bool {
        matches!(
            self.ftype,
            FdType::Ipv4Sock
                | FdType::Ipv6Sock
                | FdType::Ipv4ServSock
                | FdType::Ipv6ServSock
                | FdType::UnixSock
        )
    }

    pub fn is_ip(&self) -> bool {
        matches!(
            self.ftype,
            FdType::Ipv4Sock | FdType::Ipv6Sock | FdType::Ipv4ServSock | FdType::Ipv6ServSock
        )
    }

    /// Builds an fd from a capture's fd-list entry.
    pub fn from_entry(e: &FdEntry) -> Fd {
        Fd::from_info(e.ftype, e.ino, e.info.clone())
    }

    /// Like [`Fd::from_entry`], moving the entry's name instead of cloning it.
    pub fn from_entry_owned(e: FdEntry) -> Fd {
        Fd::from_info(e.ftype, e.ino, e.info)
    }

    /// Like [`Fd::from_entry_owned`], taking the entry's address (and
    /// name) out of it: the entry is left without one.
    pub(crate) fn from_entry_taking(e: &mut FdEntry) -> Fd {
        Fd::from_info(e.ftype, e.ino, std::mem::replace(&mut e.info, FdInfo::None))
    }

    /// Whether this fd is all that [`Fd::from_entry_taking`] would make of
    /// `e`: a named fd (or one without a name) that its list gives again
    /// just as it was, and that no event has changed since (one an event
    /// made is not `from_list`, and one an event changed differs from the
    /// entry in some field, all of which are compared). Sockets are not
    /// compared: their addresses are listed one way and may have been
    /// turned around since.
    pub(crate) fn is_listed_as(&self, e: &FdEntry) -> bool {
        let ftype = listed_type(e.ftype);
        let (name, open_flags, dev) = match e.info.named() {
            Some(named) => named,
            None if e.info == FdInfo::None => ("", 0, 0),
            None => return false,
        };
        // Every field, named: a field added to Fd must be decided here.
        // (Those `from_info` sets, and the defaults of the others.)
        let Fd {
            ftype: have_type,
            name: have_name,
            open_flags: have_flags,
            dev: have_dev,
            ino,
            l4proto,
            addrs,
            is_server_side,
            sock_type,
            from_list,
            connected,
        } = self;
        *from_list
            && *have_type == ftype
            && *ino == e.ino
            && *have_flags == open_flags
            && *have_dev == dev
            && *l4proto == l4::UNKNOWN
            && matches!(addrs, SockAddrs::None)
            && !is_server_side
            && *sock_type == 0
            && !connected
            && have_name.as_str() == name
    }

    /// An fd of a capture's (or /proc's) fd list.
    fn from_info(ftype: FdType, ino: u64, info: FdInfo) -> Fd {
        let mut fd = Fd::new(listed_type(ftype), String::new());
        fd.ino = ino;
        fd.from_list = true;
        match info {
            FdInfo::Named {
                name,
                open_flags,
                dev,
            } => {
                fd.name.set(name);
                fd.open_flags = open_flags;
                fd.dev = dev;
            }
            FdInfo::Ipv4 {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                fd.l4proto = l4proto;
                fd.set_tuple_as(IpAddr::from(sip), sport, IpAddr::from(dip), dport, false);
            }
            FdInfo::Ipv6 {
                sip,
                dip,
                sport,
                dport,
                l4proto,
            } => {
                fd.l4proto = l4proto;
                fd.set_tuple_as(v6_or_mapped(sip), sport, v6_or_mapped(dip), dport, false);
            }
            FdInfo::Ipv4Server { ip, port, l4proto } => {
                fd.l4proto = l4proto;
                fd.set_server_as(IpAddr::from(ip), port, false);
            }
            FdInfo::Ipv6Server { ip, port, l4proto } => {
                fd.l4proto = l4proto;
                fd.set_server_as(v6_or_mapped(ip), port, false);
            }
            FdInfo::Unix { source, dest, path } => {
                fd.addrs = SockAddrs::Unix { source, dest };
                fd.name.set(path);
            }
            FdInfo::None => {}
        }
        fd
    }

    /// Makes this a connected IP socket with the given tuple (its ports
    /// named with `dig -R`).
    pub fn set_tuple(&mut self, sip: IpAddr, sport: u16, dip: IpAddr, dport: u16) {
        self.set_tuple_as(sip, sport, dip, dport, true);
    }

    /// [`Fd::set_tuple`]; `resolve` false keeps the ports numbers whatever
    /// `-R` says (libsinsp keeps the names of a capture's fd list as they
    /// are).
    fn set_tuple_as(&mut self, sip: IpAddr, sport: u16, dip: IpAddr, dport: u16, resolve: bool) {
        let proto = self.port_proto(resolve);
        self.addrs = SockAddrs::Ip {
            sip,
            sport,
            dip,
            dport,
        };
        // Written over the old name, keeping its buffer (made big enough
        // for two IPv4 endpoints at once).
        let s = self.name.edit();
        s.clear();
        s.reserve(48);
        push_ip(s, &sip);
        s.push(':');
        services::push_port(s, sport, proto);
        s.push_str("->");
        push_ip(s, &dip);
        s.push(':');
        services::push_port(s, dport, proto);
    }

    /// Makes this a listening IP socket.
    pub fn set_server(&mut self, ip: IpAddr, port: u16) {
        self.set_server_as(ip, port, true);
    }

    /// [`Fd::set_server`], as [`Fd::set_tuple_as`] for `resolve`.
    fn set_server_as(&mut self, ip: IpAddr, port: u16, resolve: bool) {
        let proto = self.port_proto(resolve);
        self.addrs = SockAddrs::Server { ip, port };
        let s = self.name.edit();
        s.clear();
        s.reserve(24);
        push_ip(s, &ip);
        s.push(':');
        services::push_port(s, port, proto);
    }

    /// How this socket's ports are written in its name: `None` for numbers
    /// (and names only with `-R`, which [`services::push_port`] checks).
    fn port_proto(&self, resolve: bool) -> Option<Proto> {
        resolve.then(|| self.services_proto())
    }

    /// The protocol a service name of this socket's ports is looked up for.
    pub fn services_proto(&self) -> Proto {
        match self.l4proto {
            l4::TCP => Proto::Tcp,
            l4::UDP => Proto::Udp,
            _ => Proto::Any,
        }
    }
}

/// Appends [`ip_str`] of `ip` to `s`.
fn push_ip(s: &mut String, ip: &IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            push_dec(s, u32::from(a));
            s.push('.');
            push_dec(s, u32::from(b));
            s.push('.');
            push_dec(s, u32::from(c));
            s.push('.');
            push_dec(s, u32::from(d));
        }
        IpAddr::V6(a) => s.push_str(&crate::event::params::ipv6_string(a)),
    }
}

/// Appends `v` in decimal to `s` (what `write!(s, "{v}")` writes).
fn push_dec(s: &mut String, mut v: u32) {
    let mut buf = [0u8; 10];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &c in &buf[at..] {
        s.push(char::from(c));
    }
}

fn v6_or_mapped(b: [u8; 16]) -> IpAddr {
    let a = std::net::Ipv6Addr::from(b);
    match a.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(a),
    }
}

/// An IP as libsinsp prints it.
pub fn ip_str(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => crate::event::params::ipv6_string(a),
    }
}

/// The address of a capture's interface-list entry.
pub fn ifaddr_ip(a: &crate::capture::meta::IfAddr) -> IpAddr {
    match a {
        crate::capture::meta::IfAddr::V4 { addr, .. } => IpAddr::from(*addr),
        crate::capture::meta::IfAddr::V6 { addr, .. } => IpAddr::from(*addr),
    }
}

pub fn typechar(t: FdType) -> char {
    use FdType::*;
    match t {
        File | FileV2 => 'f',
        Directory => 'd',
        Ipv4Sock | Ipv4ServSock => '4',
        Ipv6Sock | Ipv6ServSock => '6',
        UnixSock => 'u',
        Fifo => 'p',
        Event => 'e',
        Signalfd => 's',
        Eventpoll => 'l',
        Inotify => 'i',
        Timerfd => 't',
        Netlink => 'n',
        Bpf => 'b',
        Userfaultfd => 'u',
        Iouring => 'r',
        Memfd => 'm',
        Pidfd => 'P',
        Unknown => 'o',
        Unsupported => 'X',
    }
}

pub fn type_name(t: FdType) -> &'static str {
    use FdType::*;
    match t {
        File | FileV2 => "file",
        Directory => "directory",
        Ipv4Sock | Ipv4ServSock => "ipv4",
        Ipv6Sock | Ipv6ServSock => "ipv6",
        UnixSock => "unix",
        Fifo => "pipe",
        Event => "event",
        Signalfd => "signalfd",
        Eventpoll => "eventpoll",
        Inotify => "inotify",
        Timerfd => "timerfd",
        Netlink => "netlink",
        Bpf => "bpf",
        Userfaultfd => "userfaultfd",
        Iouring => "io_uring",
        Memfd => "memfd",
        Pidfd => "pidfd",
        Unsupported | Unknown => "unknown",
    }
}

/// The type of an fd that a list gives as `ftype` (a file listed with the
/// newer file record is a file).
fn listed_type(ftype: FdType) -> FdType {
    if ftype == FdType::FileV2 {
        FdType::File
    } else {
        ftype
    }
}

/// Keeps the buffer of an fd name that is no longer used, to be reused for
/// the name of a new fd (an open/close pair then allocates nothing). The
/// buffer keeps its text: a file opened again under the same name needs
/// no copy (users overwrite or clear it).
#[inline]
pub(crate) fn keep_spare(spare: &mut Vec<String>, name: String) {
    if name.capacity() != 0 && name.capacity() <= 1024 && spare.len() < 64 {
        spare.push(name);
    }
}

/// fds below this number live in a vector indexed by fd; the others (rare:
/// negative or very large numbers) in a map.
const DENSE: usize = 1024;

/// The fds of one process.
#[derive(Debug, Clone, Default)]
pub struct FdTable {
    /// fds `0..DENSE`, by number.
    low: Vec<Option<Fd>>,
    /// The other fds.
    high: FxHashMap<i64, Fd>,
    /// Number of fds in the table.
    len: usize,
    /// What the last look at the sockets found ([`FdTable::sockets`]),
    /// while [`SocketSummary::current`]: every change forgets it.
    sockets: SocketSummary,
}

/// The part of an [`FdTable`] that turning listed connections around
/// needs (`State::fix_socket_directions`, after each process list): a
/// capture's sections list every process again, and most tables are not
/// changed from one section to the next, so each is looked through again
/// only once changed, not at every section.
#[derive(Debug, Clone, Default)]
struct SocketSummary {
    /// True while the two fields below say what the table holds.
    current: bool,
    /// The ports of its listening IP sockets.
    server_ports: Vec<u16>,
    /// Whether it holds a connection from a list (`from_list`).
    listed: bool,
}

/// Makes room in `low` (an [`FdTable`]'s) for fd `i`: at least 32 slots
/// at once, as most processes open a few dozen fds.
#[cold]
#[inline(never)]
fn grow(low: &mut Vec<Option<Fd>>, i: usize) {
    if low.capacity() < 32 {
        low.reserve_exact(32usize.max(i + 1) - low.len());
    }
    low.resize_with(i + 1, || None);
}

/// The `low` index of `fd`, when it goes there.
#[inline]
fn dense(fd: i64) -> Option<usize> {
    usize::try_from(fd).ok().filter(|i| *i < DENSE)
}

impl FdTable {
    #[inline]
    pub fn get(&self, fd: i64) -> Option<&Fd> {
        match dense(fd) {
            Some(i) => self.low.get(i)?.as_ref(),
            None => self.high.get(&fd),
        }
    }
    #[inline]
    pub fn get_mut(&mut self, fd: i64) -> Option<&mut Fd> {
        self.sockets.current = false;
        match dense(fd) {
            Some(i) => self.low.get_mut(i)?.as_mut(),
            None => self.high.get_mut(&fd),
        }
    }
    /// Adds (or replaces) `fd`, handing back the fd it replaced.
    #[inline]
    pub fn insert(&mut self, fd: i64, f: Fd) -> Option<Fd> {
        self.sockets.current = false;
        let old = match dense(fd) {
            Some(i) => {
                if i >= self.low.len() {
                    grow(&mut self.low, i);
                }
                self.low.get_mut(i).and_then(|s| s.replace(f))
            }
            None => self.high.insert(fd, f),
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }
    #[inline]
    pub fn remove(&mut self, fd: i64) -> Option<Fd> {
        self.sockets.current = false;
        let old = match dense(fd) {
            Some(i) => self.low.get_mut(i)?.take(),
            None => self.high.remove(&fd),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }
    /// The fd `fd`, added with `make` when missing.
    pub fn get_or_insert_with(&mut self, fd: i64, make: impl FnOnce() -> Fd) -> &mut Fd {
        self.sockets.current = false;
        let len = &mut self.len;
        match dense(fd) {
            Some(i) => {
                if i >= self.low.len() {
                    grow(&mut self.low, i);
                }
                let slot = &mut self.low[i];
                if slot.is_none() {
                    *len += 1;
                }
                slot.get_or_insert_with(make)
            }
            None => self.high.entry(fd).or_insert_with(|| {
                *len += 1;
                make()
            }),
        }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// All fds, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Fd> {
        self.low.iter().flatten().chain(self.high.values())
    }
    /// All fds, in no particular order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Fd> {
        self.sockets.current = false;
        self.low.iter_mut().flatten().chain(self.high.values_mut())
    }
    /// Keeps the fds `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Fd) -> bool) {
        self.sockets.current = false;
        let mut removed = 0;
        for slot in &mut self.low {
            if slot.as_ref().is_some_and(|f| !keep(f)) {
                *slot = None;
                removed += 1;
            }
        }
        self.high.retain(|_, f| {
            let k = keep(f);
            removed += usize::from(!k);
            k
        });
        self.len -= removed;
    }

    /// The ports of the table's listening IP sockets, and whether it holds
    /// a connection from a list; looked up again only when the table
    /// changed since the last call.
    pub(crate) fn sockets(&mut self) -> (&[u16], bool) {
        if !self.sockets.current {
            let mut ports = std::mem::take(&mut self.sockets.server_ports);
            ports.clear();
            let mut listed = false;
            for f in self.low.iter().flatten().chain(self.high.values()) {
                match f.addrs {
                    SockAddrs::Server { port, .. } => ports.push(port),
                    SockAddrs::Ip { .. } if f.from_list => listed = true,
                    _ => {}
                }
            }
            self.sockets = SocketSummary {
                current: true,
                server_ports: ports,
                listed,
            };
        }
        (&self.sockets.server_ports, self.sockets.listed)
    }

    /// Turns the table's connections from a list whose local port
    /// `serves` says is a listening one into client→server, marks them as
    /// the server side, and takes them as no longer from a list (the
    /// listening sockets, which [`FdTable::sockets`] keeps, stay as they
    /// are).
    pub(crate) fn turn_listed(&mut self, serves: impl Fn(u16) -> bool) {
        for f in self.low.iter_mut().flatten().chain(self.high.values_mut()) {
            if let SockAddrs::Ip {
                sip,
                sport,
                dip,
                dport,
            } = f.addrs
            {
                if !f.from_list {
                    continue;
                }
                if !f.is_server_side && serves(sport) {
                    f.set_tuple(dip, dport, sip, sport);
                    f.is_server_side = true;
                }
                f.from_list = false;
            }
        }
        self.sockets.listed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memo answers for its own key only, and every way of changing the
    /// name forgets it.
    #[test]
    fn name_memo_forgets_on_change() {
        let (a, b) = (memo_key(), memo_key());
        assert_ne!(a, b);
        let mut n = FdName::from("/etc/passwd".to_string());
        let calls = std::cell::Cell::new(0);
        let etc = |v: &str| {
            calls.set(calls.get() + 1);
            v.contains("/etc")
        };
        assert!(n.memo(a, etc));
        assert!(n.memo(a, etc));
        assert_eq!(calls.get(), 1, "the second answer comes from the memo");
        // Another key asks again.
        assert!(!n.memo(b, |v| v.contains("/tmp")));
        assert!(n.memo(a, etc));
        assert_eq!(calls.get(), 2);
        // set, set_str and edit all forget.
        n.set("/tmp/x".to_string());
        assert!(!n.memo(a, etc));
        assert_eq!(calls.get(), 3);
        n.set_str("/etc/group");
        assert!(n.memo(a, etc));
        assert_eq!(calls.get(), 4);
        n.edit().replace_range(.., "/var/log");
        assert!(!n.memo(a, etc));
        assert_eq!(calls.get(), 5);
        // A clone starts without one, and compares by its text.
        let c = n.clone();
        assert_eq!(c, n);
        assert_eq!(c, "/var/log");
        assert!(!c.memo(a, etc));
        assert_eq!(calls.get(), 6);
    }

    /// Fds built from owned and borrowed list entries are the same.
    #[test]
    fn owned_entry_same_fd() {
        let infos = [
            FdInfo::Named {
                name: "/etc/passwd".into(),
                open_flags: 1,
                dev: 2,
            },
            FdInfo::Ipv4 {
                sip: [10, 0, 0, 1],
                dip: [10, 0, 0, 2],
                sport: 40000,
                dport: 80,
                l4proto: l4::TCP,
            },
            FdInfo::Ipv4Server {
                ip: [0, 0, 0, 0],
                port: 80,
                l4proto: l4::TCP,
            },
            FdInfo::Ipv6 {
                sip: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4],
                dip: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                sport: 1,
                dport: 2,
                l4proto: l4::UDP,
            },
            FdInfo::Ipv6Server {
                ip: [0; 16],
                port: 22,
                l4proto: l4::TCP,
            },
            FdInfo::Unix {
                source: 1,
                dest: 2,
                path: "/run/x.sock".into(),
            },
            FdInfo::None,
        ];
        for (i, info) in infos.into_iter().enumerate() {
            for ftype in [FdType::File, FdType::FileV2, FdType::Ipv4Sock] {
                let e = FdEntry {
                    tid: 1,
                    fd: i as i64,
                    ino: 99,
                    ftype,
                    info: info.clone(),
                };
                assert_eq!(Fd::from_entry_owned(e.clone()), Fd::from_entry(&e));
            }
        }
    }

    /// Socket names as `format!` writes them.
    #[test]
    fn tuple_names() {
        let mut f = Fd::new(FdType::Ipv4Sock, "old");
        for (a, p) in [
            ([0, 0, 0, 0], 0u16),
            ([10, 1, 200, 255], 65535),
            ([127, 0, 0, 1], 80),
        ] {
            let ip = IpAddr::from(a);
            let dip = IpAddr::from([192, 168, 0, 9]);
            f.set_tuple(ip, p, dip, 443);
            assert_eq!(
                f.name,
                format!("{}:{}->{}:{}", ip_str(&ip), p, ip_str(&dip), 443)
            );
            f.set_server(ip, p);
            assert_eq!(f.name, format!("{}:{}", ip_str(&ip), p));
        }
        let v6: IpAddr = "2001:db8::1".parse().expect("v6");
        f.set_tuple(v6, 1, v6, 2);
        assert_eq!(f.name, format!("{}:1->{}:2", ip_str(&v6), ip_str(&v6)));
        let mut s = String::new();
        for v in [0, 9, 10, 99, 100, 65535, u32::MAX] {
            s.clear();
            push_dec(&mut s, v);
            assert_eq!(s, v.to_string());
        }
    }

    /// The table against a plain map, for fds in the vector and out of it.
    #[test]
    fn table_matches_map() {
        let mut t = FdTable::default();
        let mut m: std::collections::HashMap<i64, Fd> = Default::default();
        let fds = [0i64, 3, 3, 7, -1, -100, 1023, 1024, 5000, 7, 0, 2];
        for (k, &fd) in fds.iter().enumerate() {
            let f = Fd::new(FdType::File, format!("/f{k}"));
            assert_eq!(t.insert(fd, f.clone()), m.insert(fd, f));
            assert_eq!(t.len(), m.len());
            if k % 3 == 2 {
                let gone = fds[k / 2];
                assert_eq!(t.remove(gone), m.remove(&gone));
                assert_eq!(t.len(), m.len());
            }
        }
        for fd in -200..6000 {
            assert_eq!(t.get(fd), m.get(&fd), "{fd}");
        }
        let mut names: Vec<&str> = t.values().map(|f| f.name.as_str()).collect();
        let mut want: Vec<&str> = m.values().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        want.sort_unstable();
        assert_eq!(names, want);
        t.get_or_insert_with(9, || Fd::new(FdType::Fifo, "p")).ino = 4;
        t.get_or_insert_with(9, || Fd::new(FdType::File, "x")).dev = 5;
        assert_eq!(
            t.get(9).map(|f| (f.name.as_str(), f.ino, f.dev)),
            Some(("p", 4, 5))
        );
        t.get_or_insert_with(-7, || Fd::new(FdType::Fifo, "q"));
        assert_eq!(t.len(), m.len() + 2);
        t.retain(|f| f.name.starts_with("/f1"));
        assert!(t.values().all(|f| f.name.starts_with("/f1")));
        assert_eq!(t.len(), t.values().count());
    }
}
