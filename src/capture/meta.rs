//! Capture metadata: the process, fd, user/group, interface and machine
//! blocks of a `.scap` file, or their procfs equivalents for a live capture.
//! Plain data; `state` builds its tables from it, the writer writes it out.

use std::sync::Arc;

/// One thread as listed in a process-list block (fields of PL_V1..V9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcEntry {
    pub tid: u64,
    pub pid: u64,
    pub ptid: u64,
    pub sid: u64,
    pub vpgid: u64,
    pub pgid: i64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    /// argv without `argv[0]`... as libscap stores it: NUL-separated list.
    pub args: StrList,
    pub cwd: String,
    pub fdlimit: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub env: StrList,
    pub vtid: i64,
    pub vpid: i64,
    /// `subsys=path` entries.
    pub cgroups: StrList,
    pub root: String,
    pub pidns_init_start_ts: u64,
    pub tty: u32,
    pub loginuid: u32,
    pub exe_writable: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_from_memfd: bool,
    pub exe_lower_layer: bool,
    /// Process start time (ns since epoch), when known (procfs only).
    pub start_ts: u64,
}

/// libscap fd types (`scap_fd_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FdType {
    Unknown = 0,
    File = 1,
    Directory = 2,
    Ipv4Sock = 3,
    Ipv6Sock = 4,
    Ipv4ServSock = 5,
    Ipv6ServSock = 6,
    Fifo = 7,
    UnixSock = 8,
    Event = 9,
    Unsupported = 10,
    Signalfd = 11,
    Eventpoll = 12,
    Inotify = 13,
    Timerfd = 14,
    Netlink = 15,
    FileV2 = 16,
    Bpf = 17,
    Userfaultfd = 18,
    Iouring = 19,
    Memfd = 20,
    Pidfd = 21,
}

impl FdType {
    pub fn from_u8(v: u8) -> FdType {
        use FdType::*;
        match v {
            0 => Unknown,
            1 => File,
            2 => Directory,
            3 => Ipv4Sock,
            4 => Ipv6Sock,
            5 => Ipv4ServSock,
            6 => Ipv6ServSock,
            7 => Fifo,
            8 => UnixSock,
            9 => Event,
            11 => Signalfd,
            12 => Eventpoll,
            13 => Inotify,
            14 => Timerfd,
            15 => Netlink,
            16 => FileV2,
            17 => Bpf,
            18 => Userfaultfd,
            19 => Iouring,
            20 => Memfd,
            21 => Pidfd,
            _ => Unsupported,
        }
    }
}

/// Address payload of an fd-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FdInfo {
    /// Files, directories and every other named fd type.
    Named {
        name: String,
        open_flags: u32,
        dev: u32,
    },
    Ipv4 {
        sip: [u8; 4],
        dip: [u8; 4],
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv4Server {
        ip: [u8; 4],
        port: u16,
        l4proto: u8,
    },
    Ipv6 {
        sip: [u8; 16],
        dip: [u8; 16],
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv6Server {
        ip: [u8; 16],
        port: u16,
        l4proto: u8,
    },
    Unix {
        source: u64,
        dest: u64,
        path: String,
    },
    None,
}

impl FdInfo {
    /// A named fd's name, open flags and device (`None` for the others).
    pub fn named(&self) -> Option<(&str, u32, u32)> {
        match self {
            FdInfo::Named {
                name,
                open_flags,
                dev,
            } => Some((name.as_str(), *open_flags, *dev)),
            _ => None,
        }
    }
}

/// One fd of one thread (FDL / FDL_V2 entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    pub tid: u64,
    pub fd: i64,
    pub ino: u64,
    pub ftype: FdType,
    pub info: FdInfo,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserEntry {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub homedir: String,
    pub shell: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupEntry {
    pub gid: u32,
    pub name: String,
}

/// One interface address (IL / IL_V2 entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfAddr {
    V4 {
        name: String,
        addr: [u8; 4],
        netmask: [u8; 4],
        bcast: [u8; 4],
        linkspeed: u64,
    },
    V6 {
        name: String,
        addr: [u8; 16],
        netmask: [u8; 16],
        bcast: [u8; 16],
        linkspeed: u64,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineInfo {
    pub num_cpus: u32,
    pub memory_size_bytes: u64,
    pub max_pid: u64,
    pub hostname: String,
    pub boot_ts_epoch: u64,
    pub flags: u64,
}

/// Everything a section says before its first event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureMeta {
    pub machine: Option<MachineInfo>,
    pub procs: Vec<ProcEntry>,
    pub fds: Vec<FdEntry>,
    pub users: Vec<UserEntry>,
    pub groups: Vec<GroupEntry>,
    pub interfaces: Vec<IfAddr>,
}

/// A list of strings (argv, environment, cgroups) held the way libscap and
/// procfs hold them: one NUL-separated text, so a whole list costs one
/// allocation however many items it has. Items never contain NUL.
///
/// The text is shared, not copied, by clones: the threads of a process
/// list the same arguments, environment and cgroups, and a capture's
/// process list repeats them for every thread (in the bench's capture, 158
/// of 206 entries have their previous entry's environment, most of the
/// list's bytes), so its decoder hands out one list for all of them.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct StrList {
    /// The items joined by NUL (no trailing NUL); `None` for no items
    /// (`Some("")` is one empty item). The number of items is not kept: it
    /// is one more than the NULs of the text, counted when asked (rarely),
    /// not for every list a capture's process table holds.
    text: Option<Arc<str>>,
}

impl StrList {
    pub const fn new() -> StrList {
        StrList { text: None }
    }

    /// A NUL-separated list as libscap stores it: one trailing NUL is
    /// optional, and invalid UTF-8 is replaced, as item-by-item
    /// conversion would (an invalid sequence never spans a NUL).
    pub fn from_nul_separated(b: &[u8]) -> StrList {
        if b.is_empty() {
            return StrList::new();
        }
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        let text: Arc<str> = match std::str::from_utf8(b) {
            Ok(s) => Arc::from(s),
            Err(_) => Arc::from(String::from_utf8_lossy(b)),
        };
        StrList { text: Some(text) }
    }

    /// Whether `other` is this very list (a copy of it, sharing its text),
    /// not only one with the same items: a test that reads no item.
    pub fn same_list(&self, other: &StrList) -> bool {
        match (&self.text, &other.text) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    /// The text, empty for no items.
    fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    pub fn len(&self) -> usize {
        match &self.text {
            Some(t) => memchr::memchr_iter(0, t.as_bytes()).count() + 1,
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_none()
    }

    pub fn iter(&self) -> StrListIter<'_> {
        StrListIter {
            inner: self.text.as_deref().map(|t| t.split('\0')),
        }
    }

    pub fn first(&self) -> Option<&str> {
        self.iter().next()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        self.iter().nth(i)
    }

    /// The items joined by `sep`.
    pub fn join(&self, sep: &str) -> String {
        if sep.len() == 1 {
            // NUL and `sep` are both one byte: replace in place.
            return self.text().replace('\0', sep);
        }
        let mut s = String::with_capacity(self.text().len() + self.len());
        for (i, it) in self.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(it);
        }
        s
    }

    /// The items joined by NUL, without a trailing NUL.
    pub fn as_nul_separated(&self) -> &str {
        self.text()
    }

    /// Whether `other` is a clone of this list (the same text, not a copy).
    #[cfg(test)]
    pub(crate) fn shares_text(&self, other: &StrList) -> bool {
        match (&self.text, &other.text) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Appends an item; anything from a NUL on is dropped (items cannot
    /// hold one). (The text is made again: lists are built once, by
    /// [`FromIterator`] in bulk.)
    pub fn push(&mut self, item: &str) {
        let mut text = String::from(self.text());
        push_item(&mut text, self.text.is_some(), item);
        self.text = Some(Arc::from(text));
    }
}

/// Appends `item` (up to any NUL in it) to a list's text, after a NUL
/// when the list has items already.
fn push_item(text: &mut String, some: bool, item: &str) {
    if some {
        text.push('\0');
    }
    text.push_str(item.split('\0').next().unwrap_or(""));
}

impl std::fmt::Debug for StrList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrList {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> StrList {
        let mut text = String::new();
        let mut some = false;
        for it in items {
            push_item(&mut text, some, it.as_ref());
            some = true;
        }
        StrList {
            text: some.then(|| Arc::from(text)),
        }
    }
}

impl<S: AsRef<str>> From<Vec<S>> for StrList {
    fn from(v: Vec<S>) -> StrList {
        v.into_iter().collect()
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for StrList {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for StrList {
    fn eq(&self, other: &[S; N]) -> bool {
        self.len() == N && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<'a> IntoIterator for &'a StrList {
    type Item = &'a str;
    type IntoIter = StrListIter<'a>;
    fn into_iter(self) -> StrListIter<'a> {
        self.iter()
    }
}

/// The items of a [`StrList`].
#[derive(Clone)]
pub struct StrListIter<'a> {
    inner: Option<std::str::Split<'a, char>>,
}

impl<'a> Iterator for StrListIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.inner.as_mut()?.next()
    }
}

#[cfg(test)]
mod strlist_tests {
    use super::StrList;

    #[test]
    fn nul_separated_lists() {
        let l = |b: &[u8]| {
            StrList::from_nul_separated(b)
                .iter()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert!(l(b"").is_empty());
        assert_eq!(l(b"\0"), vec![""]);
        assert_eq!(l(b"\0\0"), vec!["", ""]);
        assert_eq!(l(b"a"), vec!["a"]);
        assert_eq!(l(b"a\0"), vec!["a"]);
        assert_eq!(l(b"a\0\0"), vec!["a", ""]);
        assert_eq!(l(b"\0a"), vec!["", "a"]);
        assert_eq!(
            l(b"ok\0bad\xff\xfe\0ok2"),
            vec!["ok", "bad\u{fffd}\u{fffd}", "ok2"]
        );
    }

    #[test]
    fn push_join_and_compare() {
        let mut s = StrList::new();
        assert!(s.is_empty() && s.first().is_none());
        s.push("a b");
        s.push("");
        s.push("c\0d");
        assert_eq!(s.len(), 3);
        assert_eq!(s, vec!["a b", "", "c"]);
        assert_eq!(s.join(" "), "a b  c");
        assert_eq!(s.join(", "), "a b, , c");
        assert_eq!(s.get(2), Some("c"));
        assert_eq!(StrList::from(vec![""]).len(), 1);
        assert_ne!(StrList::from(vec![""]), StrList::new());
    }
}
