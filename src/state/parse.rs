//! How each event changes the state (libsinsp's parsers, rewritten).

use std::net::IpAddr;
use std::sync::OnceLock;

use crate::capture::meta::{FdType, StrList};
use crate::event::params::{self, SockAddr, SockTuple};
use crate::event::table::{ef, pt, table};
use crate::event::{EventInfo, EventRef, HDR_LEN};

use rustc_hash::FxHashMap;

use super::fds::{l4, Fd, FdTable};
use super::table::Table;
use super::threads::Thread;
use super::{EvCtx, State};

/// What an event does to state, decided once per event id. Without data,
/// so that testing it is one byte compare (a named fd's type is in
/// [`Meta::named_ftype`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Other,
    Open,
    Close,
    Socket,
    SocketPair,
    Connect,
    Accept,
    Bind,
    Dup,
    Fcntl,
    Pipe,
    /// An fd of the type in [`Meta::named_ftype`].
    NamedFd,
    Clone,
    Execve,
    ProcExit,
    Chdir,
    Fchdir,
    /// getcwd: libsinsp takes the cwd it returns.
    Getcwd,
    /// setsid: the new session id is the result.
    Setsid,
    /// brk, mmap, munmap: their exits report the process's memory.
    Mem,
    /// switch: reports the page faults and memory of the thread leaving.
    Switch,
    SetUid,
    SetGid,
    SetResUid,
    SetResGid,
    SendRecv,
    /// A container metadata event (see `State::container_event`).
    Container,
}

/// The parameters the parsers read, by name. Their indexes are found once
/// per event id (see [`Meta::params`]) instead of by name for every event.
#[derive(Debug, Clone, Copy)]
enum P {
    Name,
    Flags,
    DirFd,
    Dev,
    Ino,
    Domain,
    Type,
    Fd1,
    Fd2,
    Source,
    Peer,
    Tuple,
    Addr,
    OldFd,
    Fd,
    Cmd,
    Path,
    Uid,
    Euid,
    Gid,
    Egid,
    Exe,
    Args,
    Cwd,
    Comm,
    Cgroups,
    FdLimit,
    Vtid,
    Vpid,
    Ptid,
    Pid,
    VmSize,
    VmRss,
    VmSwap,
    Env,
    Tty,
    LoginUid,
    TrustedExepath,
    CapEffective,
    CapPermitted,
    CapInheritable,
    Filename,
    Vpgid,
    PgftMaj,
    PgftMin,
}

/// The table names of [`P`], in its order.
const P_NAMES: [&str; 45] = [
    "name",
    "flags",
    "dirfd",
    "dev",
    "ino",
    "domain",
    "type",
    "fd1",
    "fd2",
    "source",
    "peer",
    "tuple",
    "addr",
    "oldfd",
    "fd",
    "cmd",
    "path",
    "uid",
    "euid",
    "gid",
    "egid",
    "exe",
    "args",
    "cwd",
    "comm",
    "cgroups",
    "fdlimit",
    "vtid",
    "vpid",
    "ptid",
    "pid",
    "vm_size",
    "vm_rss",
    "vm_swap",
    "env",
    "tty",
    "loginuid",
    "trusted_exepath",
    "cap_effective",
    "cap_permitted",
    "cap_inheritable",
    "filename",
    "vpgid",
    "pgft_maj",
    "pgft_min",
];

/// No such parameter in [`Meta::params`].
const NO_PARAM: u8 = u8::MAX;

/// Everything the parsers need to know about one event id, computed once.
struct Meta {
    info: &'static EventInfo,
    kind: Kind,
    /// The type of the fd a [`Kind::NamedFd`] event makes.
    named_ftype: FdType,
    /// Index of the `fd` parameter.
    fd_param: Option<u8>,
    /// EF_CREATES_FD.
    creates_fd: bool,
    /// An fd event as sysdig 0.29.3 saw it: EF_USES_FD (see
    /// [`uses_fd_029`]) or EF_CREATES_FD.
    fd_event: bool,
    /// Leaves the thread's pending enter event alone.
    skip_reset: bool,
    /// Parameter lengths are u32 (EF_LARGE_PAYLOAD).
    large: bool,
    /// The type of parameter 0 (the result of an exit).
    res_ptype: u8,
    /// Index of each [`P`] parameter, [`NO_PARAM`] when absent.
    params: [u8; P_NAMES.len()],
    /// The type of each [`P`] parameter (0 when absent).
    ptypes: [u8; P_NAMES.len()],
    /// An enter event with a parameter some exit reads from the pending
    /// enter ([`ENTER_PARAMS`]): only these are kept in `last_enter`. For
    /// the others every such lookup finds nothing, as with an empty one.
    keep_enter: bool,
    /// A thread missing from the table gets a placeholder on this event
    /// (see [`State::thread_missing`]), unless its tid is -1.
    makes_placeholder: bool,
    /// An exit with work past [`note_exit`] (see [`apply_exit`]).
    exit_work: bool,
    /// An exit whose result is read.
    needs_res: bool,
    /// An enter with work past [`note_enter`] (see [`enter_work`]).
    enter_work: bool,
}

/// The parameters exits read from their thread's pending enter event.
const ENTER_PARAMS: [P; 11] = [
    P::Name,
    P::DirFd,
    P::Domain,
    P::Type,
    P::Cmd,
    P::Path,
    P::Uid,
    P::Euid,
    P::Gid,
    P::Egid,
    P::Filename,
];

impl Meta {
    #[inline(always)]
    fn idx(&self, p: P) -> Option<usize> {
        match self.params[p as usize] {
            NO_PARAM => None,
            i => Some(usize::from(i)),
        }
    }
}

/// The [`Meta`] of each id, made at its first event ([`MetaTable::get`]):
/// a capture has some dozens of the table's 400-odd types, and making them
/// all took 400k instructions (0.1 ms) of every run's start.
struct Metas {
    by_id: Box<[OnceLock<Meta>]>,
    /// For ids past the table.
    unknown: OnceLock<Meta>,
}

/// The [`Kind`] of an event name, and the type of the fd it makes for
/// [`Kind::NamedFd`].
fn kind_of(name: &str) -> (Kind, FdType) {
    let plain = |k| (k, FdType::Unknown);
    let named = |t| (Kind::NamedFd, t);
    match name {
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => plain(Kind::Open),
        "close" => plain(Kind::Close),
        "socket" => plain(Kind::Socket),
        "socketpair" => plain(Kind::SocketPair),
        "connect" => plain(Kind::Connect),
        "accept" | "accept4" => plain(Kind::Accept),
        "bind" => plain(Kind::Bind),
        "dup" | "dup2" | "dup3" => plain(Kind::Dup),
        "fcntl" => plain(Kind::Fcntl),
        "pipe" | "pipe2" => plain(Kind::Pipe),
        "eventfd" | "eventfd2" => named(FdType::Event),
        "signalfd" | "signalfd4" => named(FdType::Signalfd),
        "timerfd_create" => named(FdType::Timerfd),
        "inotify_init" | "inotify_init1" => named(FdType::Inotify),
        "epoll_create" | "epoll_create1" => named(FdType::Eventpoll),
        "userfaultfd" => named(FdType::Userfaultfd),
        "io_uring_setup" => named(FdType::Iouring),
        "memfd_create" => named(FdType::Memfd),
        "pidfd_open" | "pidfd_getfd" => named(FdType::Pidfd),
        "bpf" => named(FdType::Bpf),
        "clone" | "clone3" | "fork" | "vfork" => plain(Kind::Clone),
        "execve" | "execveat" => plain(Kind::Execve),
        "procexit" => plain(Kind::ProcExit),
        "chdir" => plain(Kind::Chdir),
        "fchdir" => plain(Kind::Fchdir),
        "getcwd" => plain(Kind::Getcwd),
        "setsid" => plain(Kind::Setsid),
        "brk" | "mmap" | "mmap2" | "munmap" => plain(Kind::Mem),
        "switch" => plain(Kind::Switch),
        "setuid" => plain(Kind::SetUid),
        "setgid" => plain(Kind::SetGid),
        "setresuid" => plain(Kind::SetResUid),
        "setresgid" => plain(Kind::SetResGid),
        "sendto" | "recvfrom" => plain(Kind::SendRecv),
        _ => plain(Kind::Other),
    }
}

fn make_meta(e: &'static EventInfo) -> Meta {
    // Enter events that use an fd: their first fd parameter (fd,
    // out_fd, oldfd...). Exit events: a parameter named fd.
    let fd_param = if e.is_enter {
        enter_fd_index(e)
    } else {
        // copy_file_range's exit names the fd it wrote to, and that is the
        // event's fd in sysdig 0.29.3 (`fd.num`, `fd.name`), not the enter's
        // fdin.
        e.params.iter().position(|p| {
            (p.name == "fd" || (p.name == "fdout" && e.name == "copy_file_range"))
                && matches!(p.ptype, pt::FD | pt::FD32)
        })
    }
    .and_then(|i| u8::try_from(i).ok());
    // Each parameter's name looked up once; the first of a name counts
    // (as `EventInfo::param_index` finds it).
    let mut params = [NO_PARAM; P_NAMES.len()];
    let mut ptypes = [0; P_NAMES.len()];
    for (i, p) in e.params.iter().enumerate() {
        let Some(k) = p_index(&p.name) else {
            continue;
        };
        if let Ok(i) = u8::try_from(i) {
            if i != NO_PARAM && params[k] == NO_PARAM {
                params[k] = i;
                ptypes[k] = p.ptype;
            }
        }
    }
    let creates_fd = e.has_flag(ef::CREATES_FD);
    let keep_enter = ENTER_PARAMS.iter().any(|p| params[*p as usize] != NO_PARAM);
    let (kind, named_ftype) = match e.id {
        crate::event::table::ids::CONTAINER_E
        | crate::event::table::ids::CONTAINER_JSON_E
        | crate::event::table::ids::CONTAINER_JSON_2_E => (Kind::Container, FdType::Unknown),
        _ => kind_of(&e.name),
    };
    let exit_work = !matches!(
        kind,
        Kind::Other | Kind::ProcExit | Kind::SendRecv | Kind::Container | Kind::Switch
    );
    Meta {
        info: e,
        kind,
        named_ftype,
        fd_param,
        creates_fd,
        fd_event: fd_event(e),
        // Like libsinsp, events flagged EF_SKIPPARSERESET (switch, procinfo,
        // drop...) leave the thread's pending enter event alone, so the
        // syscall's exit still pairs with it (evt.latency).
        // (sysdig 0.29.3's table also flags switch this way.)
        skip_reset: e.has_flag(ef::SKIPPARSERESET) || e.name == "switch",
        large: e.large_payload(),
        res_ptype: e.params.first().map(|p| p.ptype).unwrap_or(pt::ERRNO),
        params,
        ptypes,
        keep_enter,
        makes_placeholder: !e.has_category(crate::event::table::ec::SCHEDULER)
            && !e.has_category(crate::event::table::ec::INTERNAL)
            && !e.has_flag(ef::SKIPPARSERESET)
            && e.id != crate::event::table::ids::CONTAINER_JSON_E
            && e.id != crate::event::table::ids::CONTAINER_JSON_2_E,
        exit_work,
        needs_res: exit_work || creates_fd,
        enter_work: matches!(kind, Kind::ProcExit | Kind::Connect | Kind::Switch)
            || e.id == crate::event::table::ids::PROCINFO_E,
    }
}

/// The [`P`] (its index in [`P_NAMES`]) of a parameter name.
fn p_index(name: &str) -> Option<usize> {
    static BY_NAME: OnceLock<FxHashMap<&'static str, usize>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| P_NAMES.iter().enumerate().map(|(i, n)| (*n, i)).collect())
        .get(name)
        .copied()
}

fn metas() -> &'static Metas {
    static M: OnceLock<Metas> = OnceLock::new();
    M.get_or_init(|| Metas {
        by_id: table().events.iter().map(|_| OnceLock::new()).collect(),
        unknown: OnceLock::new(),
    })
}

/// The [`Meta`]s, held by the state (`State::metas`) so that an event's is
/// found without a look at the `OnceLock` first.
#[derive(Clone, Copy)]
pub(crate) struct MetaTable(&'static Metas);

impl Default for MetaTable {
    fn default() -> MetaTable {
        MetaTable(metas())
    }
}

impl std::fmt::Debug for MetaTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetaTable")
    }
}

impl MetaTable {
    /// [`meta`] of `etype`.
    #[inline(always)]
    fn get(self, etype: u16) -> &'static Meta {
        let cell = self
            .0
            .by_id
            .get(usize::from(etype))
            .unwrap_or(&self.0.unknown);
        match cell.get() {
            Some(m) => m,
            None => first_meta(cell, etype),
        }
    }
}

/// [`make_meta`] of `etype` into its `cell` (once: a second thread waits
/// for the first), for the first event of that type. (The table's
/// placeholder for ids it does not have is what it gives for them.)
#[cold]
#[inline(never)]
fn first_meta(cell: &'static OnceLock<Meta>, etype: u16) -> &'static Meta {
    cell.get_or_init(|| make_meta(table().get(etype)))
}

/// The [`Meta`] of `etype` (the table looked up first: where the state's
/// [`MetaTable`] is not at hand, off the hot path).
fn meta(etype: u16) -> &'static Meta {
    MetaTable::default().get(etype)
}

/// Whether events of this type are fd events: the only ones an fd is
/// found for ([`crate::state::EvCtx::fd`] stays `None` for the others, so `fd.*` fields
/// have no value on them; see [`names_an_fd`] for the types a filter's
/// `fd.name` test skips).
pub(crate) fn fd_event(e: &crate::event::EventInfo) -> bool {
    uses_fd_029(e) || e.has_flag(ef::CREATES_FD)
}

/// The index of an enter event's fd parameter: its first fd parameter,
/// if it uses an fd ([`uses_fd_029`]).
fn enter_fd_index(e: &crate::event::EventInfo) -> Option<usize> {
    if uses_fd_029(e) {
        e.params
            .iter()
            .position(|p| matches!(p.ptype, pt::FD | pt::FD32))
    } else {
        None
    }
}

/// Whether an event of this type can have an fd for `fd.name` to name: an
/// exit of an fd event, or the enter of a call that uses an fd
/// ([`uses_fd_029`]), whose fd parameter it is. (The enter of a call that
/// creates its fd has none yet, whatever other fd parameters it has, a
/// `dirfd` say: libsinsp gives it no fd, and `fd.name` has no value there.)
pub(crate) fn names_an_fd(e: &crate::event::EventInfo) -> bool {
    fd_event(e) && (!e.is_enter || enter_fd_index(e).is_some())
}

/// EF_USES_FD as sysdig 0.29.3 had it: mmap and some *at calls became fd
/// events later (found by comparing fd.num on the corpus); sendmmsg and
/// recvmmsg had no parameters at all then.
pub(crate) fn uses_fd_029(e: &crate::event::EventInfo) -> bool {
    e.flags & ef::USES_FD != 0
        && !matches!(
            e.name.as_str(),
            "mmap"
                | "mmap2"
                | "mkdirat"
                | "symlinkat"
                | "unlinkat"
                | "fchmodat"
                | "sendmmsg"
                | "recvmmsg"
        )
}

/// PPM_O_CLOEXEC in libscap's file flags.
const PPM_O_CLOEXEC: u32 = 1 << 12;
const PPM_O_DIRECTORY: u32 = 1 << 10;
const CLONE_THREAD: u32 = 8192;
/// PPM_AT_FDCWD.
const AT_FDCWD: i64 = -100;

fn rd_len(b: &[u8], large: bool, i: usize) -> usize {
    if large {
        let at = HDR_LEN + i * 4;
        b.get(at..at + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
            .unwrap_or(0)
    } else {
        let at = HDR_LEN + i * 2;
        b.get(at..at + 2)
            .map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
            .unwrap_or(0)
    }
}

/// Parameter `i` of the v2 event `b` (a whole, validated event: an
/// [`EventRef`]'s bytes or a copy of them), as [`EventRef::param`] finds
/// it, with the length size already known.
fn raw_param(b: &[u8], large: bool, i: usize) -> Option<&[u8]> {
    let n = b
        .get(22..26)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)?;
    if i >= n {
        return None;
    }
    let lsz = if large { 4 } else { 2 };
    let mut off = n.checked_mul(lsz)?.checked_add(HDR_LEN)?;
    for j in 0..i {
        off += rd_len(b, large, j);
    }
    let l = rd_len(b, large, i);
    b.get(off..off.checked_add(l)?)
}

/// How many parameters [`Params`] finds in its one pass, plus one: 12
/// unless said otherwise (opens and switches read fewer; clones more, see
/// [`CLONE_AT`]).
const PARAMS_AT: usize = 13;
/// [`PARAMS_AT`] for an open exit (open, openat and openat2 have at most 8
/// parameters).
const OPEN_AT: usize = 9;
/// [`PARAMS_AT`] for a clone exit (it has 20 parameters).
const CLONE_AT: usize = 25;

/// The parameters of one event, the offsets of the first `N - 1` found in
/// one pass (an exit that reads several parameters).
struct Params<'a, const N: usize = PARAMS_AT> {
    b: &'a [u8],
    large: bool,
    /// Number of parameters with an offset in `at` (less than `N`).
    n: usize,
    /// `at[i]..at[i + 1]` is parameter `i`, for `i < n`.
    at: [u32; N],
}

impl<'a, const N: usize> Params<'a, N> {
    /// `b` is a whole, validated event (see [`raw_param`]).
    #[inline]
    fn new(b: &'a [u8], large: bool) -> Params<'a, N> {
        let total = b
            .get(22..26)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
            .unwrap_or(0);
        let lsz = if large { 4 } else { 2 };
        let n = total.min(N.saturating_sub(1));
        let mut at = [0u32; N];
        let mut off = HDR_LEN + total * lsz;
        at[0] = off as u32;
        // The lengths are read from one slice (a validated event has them
        // all), each without its own bounds check.
        match b.get(HDR_LEN..HDR_LEN + n * lsz) {
            Some(lens) if large => {
                for (a, l) in at[1..].iter_mut().zip(lens.chunks_exact(4)) {
                    off += u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                    *a = off as u32;
                }
            }
            Some(lens) => {
                for (a, l) in at[1..].iter_mut().zip(lens.chunks_exact(2)) {
                    off += usize::from(u16::from_le_bytes([l[0], l[1]]));
                    *a = off as u32;
                }
            }
            None => {
                for i in 0..n {
                    off += rd_len(b, large, i);
                    at[i + 1] = off as u32;
                }
            }
        }
        Params { b, large, n, at }
    }

    /// Parameter `i`, as [`raw_param`] finds it.
    #[inline(always)]
    fn raw(&self, i: usize) -> Option<&'a [u8]> {
        if i < self.n {
            self.b.get(self.at[i] as usize..self.at[i + 1] as usize)
        } else {
            raw_param(self.b, self.large, i)
        }
    }

    /// Parameter `p` of an event whose id's [`Meta`] is `m`.
    #[inline]
    fn get(&self, m: &Meta, p: P) -> Option<&'a [u8]> {
        self.raw(m.idx(p)?)
    }

    /// Integer parameter `p`, as [`int_param`] reads it.
    #[inline(always)]
    fn int(&self, m: &Meta, p: P) -> Option<i64> {
        let i = m.idx(p)?;
        int_of(m.ptypes[p as usize], self.raw(i)?)
    }
}

/// The bytes of parameter `p` of `ev`, whose id's [`Meta`] is `m`.
fn param_bytes<'a>(ev: &EventRef<'a>, m: &Meta, p: P) -> Option<&'a [u8]> {
    raw_param(ev.bytes(), m.large, m.idx(p)?)
}

fn int_param(ev: &EventRef<'_>, m: &Meta, p: P) -> Option<i64> {
    let i = m.idx(p)?;
    let b = raw_param(ev.bytes(), m.large, i)?;
    int_of(m.ptypes[p as usize], b)
}

fn str_param(ev: &EventRef<'_>, m: &Meta, p: P) -> Option<String> {
    param_bytes(ev, m, p).map(params::as_str)
}

fn list_param(ev: &EventRef<'_>, m: &Meta, p: P) -> Option<StrList> {
    param_bytes(ev, m, p).map(StrList::from_nul_separated)
}

const HI: u64 = 0x8080_8080_8080_8080;

/// The zero bytes of `x`, exactly (the high bit of each): no carry crosses
/// a byte, since (b & 0x7f) + 0x7f <= 0xfe.
#[inline]
fn zeros(x: u64) -> u64 {
    !(((x & !HI) + !HI) | x) & HI
}

/// True when some `/` of `p` is followed by `/` or `.`, looked for 8 bytes
/// at a time.
fn slash_then_slash_or_dot(p: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const SLASH: u64 = 0x2f2f_2f2f_2f2f_2f2f;
    let mut bad = 0u64;
    let mut k = 0;
    while let (Some(x), Some(y)) = (
        p.get(k..).and_then(|s| s.first_chunk::<8>()),
        p.get(k + 1..).and_then(|s| s.first_chunk::<8>()),
    ) {
        let (x, y) = (u64::from_le_bytes(*x), u64::from_le_bytes(*y));
        // Byte i of `x` is p[k + i], byte i of `y` is p[k + i + 1]; '.' is
        // 0x2e and '/' 0x2f, so `y | 1` is '/' for both.
        bad |= zeros(x ^ SLASH) & zeros((y | LO) ^ SLASH);
        k += 8;
    }
    if bad != 0 {
        return true;
    }
    p.get(k..)
        .unwrap_or_default()
        .windows(2)
        .any(|w| w[0] == b'/' && (w[1] | 1) == b'/')
}

/// True when no component of `p` (split at `/`) is empty, `.` or `..`:
/// the path needs no normalising.
fn clean(p: &[u8]) -> bool {
    // Enough, and true of most paths: no leading `/` or `.`, no trailing
    // `/`, and no `/` followed by `/` or `.` (so every component is
    // non-empty and none starts with a dot).
    let quick = match (p.first(), p.last()) {
        (Some(&f), Some(&l)) => f != b'/' && f != b'.' && l != b'/' && !slash_then_slash_or_dot(p),
        _ => false,
    };
    quick || clean_bytewise(p)
}

/// [`clean`], one byte at a time.
fn clean_bytewise(p: &[u8]) -> bool {
    let mut len = 0usize;
    let mut dots = true;
    for &c in p {
        if c == b'/' {
            if len == 0 || (dots && len <= 2) {
                return false;
            }
            len = 0;
            dots = true;
        } else {
            len += 1;
            dots &= c == b'.';
        }
    }
    !(len == 0 || (dots && len <= 2))
}

/// Joins `base` (a directory) and `rel` and normalises `.`/`..`, as
/// libsinsp's path concatenation does.
pub fn concat_path(base: &str, rel: &str) -> String {
    let mut s = String::new();
    concat_path_into(&mut s, base, rel);
    s
}

/// [`concat_path`], written into `s` (cleared first, its buffer kept).
pub fn concat_path_into(s: &mut String, base: &str, rel: &str) {
    s.clear();
    // Most paths need no normalising: copy them whole.
    if rel.starts_with('/') {
        if clean(&rel.as_bytes()[1..]) {
            s.push_str(rel);
            return;
        }
    } else if base.starts_with('/') {
        let head = base.trim_end_matches('/');
        let head_clean = head.is_empty() || clean(&head.as_bytes()[1..]);
        if head_clean && clean(rel.as_bytes()) {
            s.reserve(head.len() + rel.len() + 1);
            s.push_str(head);
            s.push('/');
            s.push_str(rel);
            return;
        }
    }
    // The path is `rel` alone, or `base` (without trailing slashes), a
    // slash and `rel`: its components are those of both parts.
    let (head, absolute) = if rel.starts_with('/') || base.is_empty() {
        ("", rel.starts_with('/'))
    } else {
        (base.trim_end_matches('/'), base.starts_with('/'))
    };
    s.reserve(head.len() + rel.len() + 1);
    if !absolute {
        // Relative (no cwd known): drop "." components, as libsinsp does.
        for c in head.split('/').chain(rel.split('/')) {
            if !c.is_empty() && c != "." {
                if !s.is_empty() {
                    s.push('/');
                }
                s.push_str(c);
            }
        }
        return;
    }
    for c in head.split('/').chain(rel.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                let cut = s.rfind('/').unwrap_or(0);
                s.truncate(cut);
            }
            c => {
                s.push('/');
                s.push_str(c);
            }
        }
    }
    if s.is_empty() {
        s.push('/');
    }
}

fn tuple_to_fd(fd: &mut Fd, t: &SockTuple) {
    // A zero destination (e.g. a connect with AF_UNSPEC) keeps the old one.
    let old_dst = match fd.addrs {
        super::fds::SockAddrs::Ip { dip, dport, .. } => Some((dip, dport)),
        _ => None,
    };
    let zero_dst = match t {
        SockTuple::V4 { dip, .. } => dip.is_unspecified(),
        SockTuple::V6 { dip, .. } => dip.is_unspecified(),
        _ => false,
    };
    tuple_to_fd_raw(fd, t);
    if let (true, Some((dip, dport)), super::fds::SockAddrs::Ip { sip, sport, .. }) =
        (zero_dst, old_dst, fd.addrs.clone())
    {
        fd.set_tuple(sip, sport, dip, dport);
    }
}

fn tuple_to_fd_raw(fd: &mut Fd, t: &SockTuple) {
    match t {
        SockTuple::V4 {
            sip,
            sport,
            dip,
            dport,
        } => {
            fd.ftype = FdType::Ipv4Sock;
            fd.set_tuple(IpAddr::V4(*sip), *sport, IpAddr::V4(*dip), *dport);
        }
        SockTuple::V6 {
            sip,
            sport,
            dip,
            dport,
        } => {
            let (s, d) = (IpAddr::V6(*sip), IpAddr::V6(*dip));
            let mapped = sip.to_ipv4_mapped().is_some() || dip.to_ipv4_mapped().is_some();
            fd.ftype = FdType::Ipv6Sock;
            if mapped {
                fd.ftype = FdType::Ipv4Sock;
                let s4 = sip.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(s);
                let d4 = dip.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(d);
                fd.set_tuple(s4, *sport, d4, *dport);
            } else {
                fd.set_tuple(s, *sport, d, *dport);
            }
        }
        SockTuple::Unix { src, dst, path } => {
            fd.ftype = FdType::UnixSock;
            fd.addrs = super::fds::SockAddrs::Unix {
                source: *src,
                dest: *dst,
            };
            fd.name.set(format!("{src:x}->{dst:x} {path}"));
        }
        SockTuple::Other(_) => {}
    }
}

/// The CPU ticks a procinfo event adds since the thread's previous one, as
/// libsinsp computes `thread.cpu`, `thread.cpu.user` and `thread.cpu.system`:
/// the difference of the running totals, 0 for the first sample, at most 100.
fn cpu_sample(t: &mut Thread, ev: &EventRef<'_>) -> [u8; 3] {
    let user = ev.param(0).and_then(|b| params::u64_at(b, 0)).unwrap_or(0);
    let sys = ev.param(1).and_then(|b| params::u64_at(b, 0)).unwrap_or(0);
    let now = [user.wrapping_add(sys), user, sys];
    let mut out = [0u8; 3];
    for i in 0..3 {
        if t.cpu_last[i] != 0 {
            out[i] = now[i].wrapping_sub(t.cpu_last[i]).min(100) as u8;
        }
        t.cpu_last[i] = now[i];
    }
    out
}

/// An integer parameter of type `ptype`, as [`params::as_i64`] reads it,
/// decoded in line.
#[inline(always)]
fn int_of(ptype: u8, b: &[u8]) -> Option<i64> {
    match ptype {
        pt::INT64 | pt::ERRNO | pt::FD | pt::PID => {
            b.first_chunk::<8>().map(|a| i64::from_le_bytes(*a))
        }
        pt::INT32 | pt::FD32 | pt::PID32 => b
            .first_chunk::<4>()
            .map(|a| i64::from(i32::from_le_bytes(*a))),
        pt::INT16 => b
            .first_chunk::<2>()
            .map(|a| i64::from(i16::from_le_bytes(*a))),
        pt::INT8 => b.first().map(|v| i64::from(*v as i8)),
        // Unsigned and flag types: by their length.
        _ => match *b {
            [v] => Some(i64::from(v)),
            [x, y] => Some(i64::from(u16::from_le_bytes([x, y]))),
            [x, y, z, w] => Some(i64::from(u32::from_le_bytes([x, y, z, w]))),
            [a0, a1, a2, a3, a4, a5, a6, a7] => {
                Some(u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]) as i64)
            }
            _ => None,
        },
    }
}

/// Records an enter event on its thread: the pending enter (for the exit),
/// its time and type, and libsinsp's "last event fd".
#[inline(always)]
fn note_enter(t: &mut Thread, ev: &EventRef<'_>, m: &Meta, etype: u16, fd: Option<i64>) {
    t.last_enter.clear();
    if m.keep_enter {
        t.last_enter.extend_from_slice(ev.bytes());
    }
    t.last_enter_ts = ev.ts();
    t.last_enter_type = etype;
    t.latency = 0;
    // libsinsp forgets its "last event fd" at every enter (but those it
    // skips, switch and the like) and takes the enter's fd for fd events:
    // the exit of a non-fd enter shows fd.num -1.
    t.last_fd = Some(-1);
    if m.fd_event && fd.is_some() {
        t.last_fd = fd;
    }
}

/// What an exit learns from its thread: the thread's last event fd (the
/// enter's) and pid; `ctx` gets the enter's time and the event's fd.
#[inline(always)]
fn note_exit(
    thread: Option<&mut Thread>,
    ev: &EventRef<'_>,
    m: &Meta,
    etype: u16,
    res: Option<i64>,
    ctx: &mut EvCtx,
) -> (Option<i64>, u64) {
    // The fd of an exit is the thread's last event fd, paired or not (as
    // libsinsp does); the latency runs from the thread's last enter,
    // whatever its type (libsinsp's rule too).
    let enter_fd = thread.as_ref().and_then(|t| t.last_fd);
    let mut thread = thread;
    if let Some(t) = &mut thread {
        let lt = t.last_enter_type;
        ctx.paired = lt != u16::MAX && (lt + 1 == etype || meta(lt).info.name == m.info.name);
        if t.last_enter_ts != 0 {
            ctx.enter_ts = Some(t.last_enter_ts);
            t.latency = ev.ts().saturating_sub(t.last_enter_ts);
        }
    }
    if m.fd_event {
        ctx.fd = exit_fd(ev, m, res, enter_fd);
    }
    match thread {
        Some(t) => {
            if m.fd_event && ctx.fd.is_some() {
                t.last_fd = ctx.fd;
            }
            (enter_fd, t.pid)
        }
        None => (enter_fd, ev.tid()),
    }
}

/// The fd of an exit that is an fd event (`fd.num`).
#[inline(always)]
fn exit_fd(ev: &EventRef<'_>, m: &Meta, res: Option<i64>, enter_fd: Option<i64>) -> Option<i64> {
    if !m.creates_fd {
        // The exit's own fd parameter, else the enter's.
        return m
            .fd_param
            .and_then(|i| raw_param(ev.bytes(), m.large, usize::from(i)))
            .and_then(|b| int_of(pt::FD, b))
            .or(enter_fd);
    }
    let ok = res.is_some_and(|r| r >= 0);
    match m.kind {
        // The second fd is the last one libsinsp adds.
        Kind::Pipe | Kind::SocketPair if ok => int_param(ev, m, P::Fd2).or(enter_fd),
        // fcntl creates an fd only for F_DUPFD*, handled in `apply_exit`.
        Kind::Pipe | Kind::SocketPair | Kind::Fcntl => enter_fd,
        _ if ok => res,
        _ => enter_fd,
    }
}

/// An enter event's fd: its first fd parameter (as sysdig 0.29.3 saw fd
/// events), -1 for one that creates an fd (it has none yet).
#[inline(always)]
fn enter_fd(ev: &EventRef<'_>, m: &Meta) -> Option<i64> {
    let fd = m
        .fd_param
        .and_then(|i| raw_param(ev.bytes(), m.large, usize::from(i)))
        .and_then(|b| match b.len() {
            4 => int_of(pt::FD32, b),
            _ => int_of(pt::FD, b),
        });
    if fd.is_none() && m.creates_fd {
        Some(-1)
    } else {
        fd
    }
}

/// Applies `ev` to `st`. The event's thread is looked up once; when it is
/// missing, [`State::thread_missing`] makes it (or not) first.
#[inline(always)]
pub fn apply(st: &mut State, ev: &EventRef<'_>) -> EvCtx {
    // Never true (`EventRef::new` checks it), but said here it spares the
    // header reads below their own checks.
    if ev.bytes().len() < HDR_LEN {
        return EvCtx::default();
    }
    let etype = ev.etype();
    let m = st.metas.get(etype);
    if etype.is_multiple_of(2) {
        if m.kind == Kind::Container {
            return st.container_event(ev);
        }
        apply_enter(st, ev, m, etype)
    } else {
        apply_exit_common(st, ev, m, etype)
    }
}

/// [`apply`] for an enter event.
#[inline(always)]
fn apply_enter(st: &mut State, ev: &EventRef<'_>, m: &Meta, etype: u16) -> EvCtx {
    let tid = ev.tid();
    let fd = enter_fd(ev, m);
    if !m.skip_reset {
        match st.threads.get_mut(&tid) {
            Some(t) => note_enter(t, ev, m, etype, fd),
            None => enter_missing_thread(st, ev, m, etype, fd),
        }
    } else if (st.live || m.makes_placeholder) && !st.threads.contains_key(&tid) {
        // Reading a capture, thread_missing would do nothing for the
        // events that make no placeholder (switch, procinfo...).
        st.thread_missing(ev);
    }
    let (cpu, exectime) = if m.enter_work {
        enter_work(st, ev, m, etype, fd)
    } else {
        (None, 0)
    };
    EvCtx {
        fd,
        enter_ts: None,
        paired: false,
        name_changed: false,
        cpu,
        exectime,
    }
}

/// [`apply_enter`] when the event's thread is not in the table.
#[cold]
#[inline(never)]
fn enter_missing_thread(st: &mut State, ev: &EventRef<'_>, m: &Meta, etype: u16, fd: Option<i64>) {
    st.thread_missing(ev);
    if let Some(t) = st.threads.get_mut(&ev.tid()) {
        note_enter(t, ev, m, etype, fd);
    }
}

/// The enter events with more to do: procexit, connect, switch (whose
/// `thread.exectime` it returns), procinfo (whose CPU sample it returns).
#[inline(never)]
fn enter_work(
    st: &mut State,
    ev: &EventRef<'_>,
    m: &Meta,
    etype: u16,
    fd: Option<i64>,
) -> (Option<[u8; 3]>, u64) {
    let tid = ev.tid();
    match m.kind {
        Kind::ProcExit => st.defer_thread_exit(tid),
        Kind::Connect => connect_enter(st, ev, m, tid, fd),
        Kind::Switch => return (None, switch_enter(st, ev, m, tid)),
        _ => {}
    }
    if etype == crate::event::table::ids::PROCINFO_E {
        return (st.threads.get_mut(&tid).map(|t| cpu_sample(t, ev)), 0);
    }
    (None, 0)
}

/// [`apply`] for an exit event.
#[inline(always)]
fn apply_exit_common(st: &mut State, ev: &EventRef<'_>, m: &Meta, etype: u16) -> EvCtx {
    let tid = ev.tid();
    // The result, when something reads it.
    let res = if m.needs_res {
        raw_param(ev.bytes(), m.large, 0).and_then(|b| int_of(m.res_ptype, b))
    } else {
        None
    };
    let Some(t) = st.threads.get_mut(&tid) else {
        return exit_missing_thread(st, ev, m, etype, res);
    };
    let mut ctx = EvCtx::default();
    let (enter_fd, pid) = note_exit(Some(&mut *t), ev, m, etype, res, &mut ctx);
    if m.kind == Kind::Open {
        // Done here (the thread's slot is the table's last one looked up).
        finish_open(st, ev, m, res, pid, &mut ctx);
        return ctx;
    }
    // Most exits change nothing else: the rest is kept out of line.
    if !m.exit_work {
        return ctx;
    }
    if m.kind == Kind::Close {
        // As in `apply_exit`, without the call.
        if let (true, Some(fd)) = (res.is_some_and(|r| r >= 0), ctx.fd) {
            st.defer_fd_close(pid, fd);
        }
        return ctx;
    }
    apply_exit_renames(st, ev, m, res, enter_fd, pid, ctx)
}

/// An open exit's fd put in process `pid`'s table, and its
/// `fd.name_changed` in `ctx`.
#[inline(always)]
fn finish_open(
    st: &mut State,
    ev: &EventRef<'_>,
    m: &Meta,
    res: Option<i64>,
    pid: u64,
    ctx: &mut EvCtx,
) {
    let put = open_exit(
        st.threads.get(&ev.tid()),
        &mut st.fds,
        &mut st.spare_names,
        &mut st.open_memo,
        ev,
        m,
        res,
        pid,
    );
    ctx.name_changed = open_named(st, put, pid, res, ctx.fd);
}

/// `fd.name_changed` of an open exit that put `put` (the fd and whether
/// it has a name): that answer for the event's own fd, without looking it
/// up again; [`new_fd_named`] otherwise.
#[inline]
fn open_named(
    st: &State,
    put: Option<(i64, bool)>,
    pid: u64,
    res: Option<i64>,
    fd: Option<i64>,
) -> bool {
    match put {
        Some((fdn, named)) if fd == Some(fdn) => named,
        _ => new_fd_named(st, pid, res, fd),
    }
}

/// True when an exit that creates an fd (`res`) made a named one.
#[inline]
fn new_fd_named(st: &State, pid: u64, res: Option<i64>, fd: Option<i64>) -> bool {
    res.is_some_and(|r| r >= 0)
        && fd
            .and_then(|n| st.fds.get(&pid)?.get(n))
            .is_some_and(|f| !f.name.is_empty())
}

/// [`apply_exit`], noting in the result whether the event renamed its fd
/// (libsinsp's "name changed" of the event's fd): a new fd with a name,
/// or a connect/bind that changed the name of the one it works on.
fn apply_exit_renames(
    st: &mut State,
    ev: &EventRef<'_>,
    m: &Meta,
    res: Option<i64>,
    enter_fd: Option<i64>,
    pid: u64,
    ctx: EvCtx,
) -> EvCtx {
    let name_of = |st: &State, fd: Option<i64>| -> Option<String> {
        fd.and_then(|n| st.fds.get(&pid)?.get(n))
            .map(|f| f.name.to_string())
    };
    let renames = matches!(m.kind, Kind::Connect | Kind::Bind);
    let before_fd = ctx.fd;
    let before = if renames {
        name_of(st, before_fd)
    } else {
        None
    };
    let mut out = apply_exit(st, ev, m, res, enter_fd, pid, ctx);
    out.name_changed = if renames && out.fd == before_fd {
        name_of(st, out.fd).is_some_and(|n| before.as_deref() != Some(n.as_str()))
    } else {
        // (a duplicate, dup or fcntl's, is a copy: its name is not new)
        let created = m.creates_fd && !matches!(m.kind, Kind::Dup | Kind::Fcntl);
        created && new_fd_named(st, pid, res, out.fd)
    };
    out
}

/// [`apply_exit_common`] when the event's thread is not in the table.
#[cold]
#[inline(never)]
fn exit_missing_thread(
    st: &mut State,
    ev: &EventRef<'_>,
    m: &Meta,
    etype: u16,
    res: Option<i64>,
) -> EvCtx {
    st.thread_missing(ev);
    let mut ctx = EvCtx::default();
    let t = st.threads.get_mut(&ev.tid());
    let (enter_fd, pid) = note_exit(t, ev, m, etype, res, &mut ctx);
    if m.kind == Kind::Open {
        finish_open(st, ev, m, res, pid, &mut ctx);
        return ctx;
    }
    if !m.exit_work {
        return ctx;
    }
    apply_exit_renames(st, ev, m, res, enter_fd, pid, ctx)
}

/// An open's exit: the new fd, named from the path (resolved against the
/// directory fd or the thread's cwd). Returns the fd put in the table of
/// `pid`, and whether it has a name.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn open_exit(
    thread: Option<&Thread>,
    fds: &mut Table<FdTable>,
    spare: &mut Vec<String>,
    memo: &mut OpenMemo,
    ev: &EventRef<'_>,
    m: &Meta,
    res: Option<i64>,
    pid: u64,
) -> Option<(i64, bool)> {
    let fdn = res.filter(|r| *r >= 0)?;
    let p: Params<'_, OPEN_AT> = Params::new(ev.bytes(), m.large);
    let flags = p.int(m, P::Flags).unwrap_or(0) as u32;
    let mut path = spare.pop().unwrap_or_default();
    let name = match p.get(m, P::Name) {
        Some(b) => Some(b),
        None => thread
            .and_then(|t| enter_of(&t.last_enter))
            .and_then(|(em, eb)| raw_param(eb, em.large, em.idx(P::Name)?)),
    };
    // The spare buffer still holds the name of the fd it came from.
    match name {
        None => path.clear(),
        Some(b) if memo.raw.as_slice() == b => {
            // The same bytes as the last clean name: the same name.
            let b = b.get(..memo.end).unwrap_or_default();
            if path.as_bytes() != b {
                path = path_from(path, b);
            }
        }
        Some(b) => {
            let (end, pairs_ok) = scan_name(b);
            let raw = b;
            let b = &b[..end];
            if pairs_ok && b.len() >= 2 && b[0] == b'/' && b[b.len() - 1] != b'/' {
                memo.raw.clear();
                memo.raw.extend_from_slice(raw);
                memo.end = end;
                // Most paths: absolute, with nothing to normalise (as
                // `concat_path_into` finds them, without a second look).
                // A program that opens and closes the same file again and
                // again gets back the buffer of its last close, already
                // holding the name.
                if path.as_bytes() != b {
                    path = path_from(path, b);
                }
            } else {
                path.clear();
                open_name(&mut path, thread, fds, &p, m, pid, b);
            }
        }
    }
    let ftype = if flags & PPM_O_DIRECTORY != 0 {
        FdType::Directory
    } else {
        FdType::File
    };
    let named = !path.is_empty();
    let mut f = Fd::new(ftype, path);
    f.open_flags = flags;
    f.dev = p.int(m, P::Dev).unwrap_or(0) as u32;
    f.ino = p.int(m, P::Ino).unwrap_or(0) as u64;
    if let Some(old) = fds.entry(pid).or_default().insert(fdn, f) {
        super::fds::keep_spare(spare, old.name.into_string());
    }
    Some((fdn, named))
}

/// The parameter bytes of the last name [`open_exit`] took as it was
/// (absolute, with nothing to normalise), and where the name ends in them:
/// an open of the same bytes again (a program that opens one file again and
/// again) needs no [`scan_name`].
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenMemo {
    raw: Vec<u8>,
    end: usize,
}

/// `b` (an absolute path) in the buffer of `path`. The bytes are copied
/// in first: `from_utf8` checks an aligned buffer a word at a time.
#[inline]
fn path_from(path: String, b: &[u8]) -> String {
    let mut v = path.into_bytes();
    v.clear();
    v.extend_from_slice(b);
    String::from_utf8(v).unwrap_or_else(|_| String::from_utf8_lossy(b).into_owned())
}

/// [`open_path`] for a name not yet known to be UTF-8.
#[allow(clippy::too_many_arguments)]
#[cold]
#[inline(never)]
fn open_name(
    path: &mut String,
    thread: Option<&Thread>,
    fds: &Table<FdTable>,
    p: &Params<'_, OPEN_AT>,
    m: &Meta,
    pid: u64,
    b: &[u8],
) {
    let enter = thread.and_then(|t| enter_of(&t.last_enter));
    match std::str::from_utf8(b) {
        Ok(name) => open_path(path, thread, fds, p, m, enter, pid, name),
        Err(_) => {
            let name = String::from_utf8_lossy(b);
            open_path(path, thread, fds, p, m, enter, pid, &name);
        }
    }
}

/// The name of an opened fd: `name` resolved against the directory fd or
/// the thread's cwd, written into `path`.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn open_path(
    path: &mut String,
    thread: Option<&Thread>,
    fds: &Table<FdTable>,
    p: &Params<'_, OPEN_AT>,
    m: &Meta,
    enter: Option<(&Meta, &[u8])>,
    pid: u64,
    name: &str,
) {
    if name.is_empty() {
        return;
    }
    // An absolute name needs no base.
    let dirfd = if name.starts_with('/') {
        None
    } else {
        p.int(m, P::DirFd).or_else(|| enter_int(enter, P::DirFd))
    };
    let base = match dirfd {
        // `pid` is the thread's (or `tid`), as `State::fd` finds it.
        Some(d) if d != AT_FDCWD => fds
            .get(&pid)
            .and_then(|t| t.get(d))
            .map(|f| f.name.as_str())
            .unwrap_or_default(),
        _ => thread.map(|t| t.cwd.as_str()).unwrap_or_default(),
    };
    concat_path_into(path, base, name);
}

/// Where a string parameter ends (its first NUL, else its length), and
/// whether no `/` before that is followed by `/` or `.` (as
/// [`slash_then_slash_or_dot`] finds), both looked for 8 bytes at a time.
#[inline]
fn scan_name(p: &[u8]) -> (usize, bool) {
    const LO: u64 = 0x0101_0101_0101_0101;
    const SLASH: u64 = 0x2f2f_2f2f_2f2f_2f2f;
    let mut ok = true;
    let mut k = 0;
    while let (Some(x), Some(y)) = (
        p.get(k..).and_then(|s| s.first_chunk::<8>()),
        p.get(k + 1..).and_then(|s| s.first_chunk::<8>()),
    ) {
        let (x, y) = (u64::from_le_bytes(*x), u64::from_le_bytes(*y));
        // As in `slash_then_slash_or_dot`: byte i is p[k + i] == '/' and
        // p[k + i + 1] one of '/' and '.'.
        let bad = zeros(x ^ SLASH) & zeros((y | LO) ^ SLASH);
        let z = zeros(x);
        if z != 0 {
            // The first NUL is byte `j`: only the pairs before it count
            // (the pair at j - 1 is '/' and NUL, never bad).
            let j = z.trailing_zeros() / 8;
            let before = (1u64 << (8 * j)) - 1;
            return (k + j as usize, ok && bad & before == 0);
        }
        ok &= bad == 0;
        k += 8;
    }
    let rest = p.get(k..).unwrap_or_default();
    for (i, &c) in rest.iter().enumerate() {
        if c == 0 {
            return (k + i, ok);
        }
        if c == b'/' && rest.get(i + 1).is_some_and(|n| (n | 1) == b'/') {
            ok = false;
        }
    }
    (p.len(), ok)
}

/// The part of an exit's work that depends on its [`Kind`] (not `Other`).
#[inline(never)]
fn apply_exit(
    st: &mut State,
    ev: &EventRef<'_>,
    m: &Meta,
    res: Option<i64>,
    enter_fd: Option<i64>,
    pid: u64,
    mut ctx: EvCtx,
) -> EvCtx {
    let kind = m.kind;
    let info = m.info;
    let tid = ev.tid();
    match kind {
        Kind::Close => {
            if res.is_some_and(|r| r >= 0) {
                if let Some(fd) = ctx.fd {
                    st.defer_fd_close(pid, fd);
                }
            }
        }
        Kind::Socket => {
            let Some(fdn) = res.filter(|r| *r >= 0) else {
                return ctx;
            };
            let domain =
                int_param(ev, m, P::Domain).or_else(|| enter_param_int(st, tid, P::Domain));
            let stype = int_param(ev, m, P::Type).or_else(|| enter_param_int(st, tid, P::Type));
            let ftype = match domain {
                Some(2) => FdType::Ipv4Sock,
                Some(10) => FdType::Ipv6Sock,
                Some(1) => FdType::UnixSock,
                Some(16) => FdType::Netlink,
                _ => FdType::Unknown,
            };
            let mut f = Fd::new(ftype, "");
            // libsinsp learns the l4 protocol later (connect/accept/bind),
            // and shows `<4>` until then; keep the socket type for that.
            f.sock_type = stype.map(|t| (t & 0xf) as u8).unwrap_or(0);
            st.fds.entry(pid).or_default().insert(fdn, f);
        }
        Kind::SocketPair => {
            if res.is_some_and(|r| r >= 0) {
                let table = st.fds.entry(pid).or_default();
                for n in [P::Fd1, P::Fd2] {
                    if let Some(fdn) = int_param(ev, m, n) {
                        let mut f = Fd::new(FdType::UnixSock, "");
                        f.addrs = super::fds::SockAddrs::Unix {
                            source: int_param(ev, m, P::Source).unwrap_or(0) as u64,
                            dest: int_param(ev, m, P::Peer).unwrap_or(0) as u64,
                        };
                        table.insert(fdn, f);
                    }
                }
            }
        }
        Kind::Connect => {
            let tuple = param_bytes(ev, m, P::Tuple).and_then(params::socktuple);
            if let (Some(fd), Some(t)) = (ctx.fd, tuple) {
                let r = res.unwrap_or(0);
                // libsinsp keeps the tuple for success and EINPROGRESS.
                if r >= 0 || r == -115 {
                    let table = st.fds.entry(pid).or_default();
                    let f = table.get_or_insert_with(fd, || Fd::new(FdType::Unknown, ""));
                    tuple_to_fd(f, &t);
                    f.learn_l4();
                    f.connected |= r >= 0;
                }
            }
        }
        Kind::Accept => {
            let Some(fdn) = res.filter(|r| *r >= 0) else {
                return ctx;
            };
            let mut f = Fd::new(FdType::Unknown, "");
            f.l4proto = l4::TCP;
            f.is_server_side = true;
            if let Some(listener) = enter_fd.and_then(|lfd| st.fd(tid, lfd)) {
                if listener.sock_type == 2 {
                    f.l4proto = l4::UDP;
                }
            }
            if let Some(t) = param_bytes(ev, m, P::Tuple).and_then(params::socktuple) {
                tuple_to_fd(&mut f, &t);
            }
            st.fds.entry(pid).or_default().insert(fdn, f);
        }
        Kind::Bind => {
            if res.is_some_and(|r| r >= 0) {
                if let (Some(fd), Some(addr)) = (
                    ctx.fd,
                    param_bytes(ev, m, P::Addr).and_then(params::sockaddr),
                ) {
                    if let Some(f) = st.fds.get_mut(&pid).and_then(|t| t.get_mut(fd)) {
                        match addr {
                            // (A bind to port 0, the client side of a
                            // connection, only names the socket: libsinsp
                            // makes it no server and learns no protocol.)
                            SockAddr::V4(ip, port) => {
                                f.set_server(IpAddr::V4(ip), port);
                                if port != 0 {
                                    f.ftype = FdType::Ipv4ServSock;
                                    f.learn_l4();
                                } else {
                                    f.addrs = super::fds::SockAddrs::None;
                                }
                            }
                            SockAddr::V6(ip, port) => {
                                f.set_server(IpAddr::V6(ip), port);
                                if port != 0 {
                                    f.ftype = FdType::Ipv6ServSock;
                                    f.learn_l4();
                                } else {
                                    f.addrs = super::fds::SockAddrs::None;
                                }
                            }
                            SockAddr::Unix(p) => f.name.set(p),
                            // (netlink and other families: sysdig names
                            // the socket after the address as it prints it)
                            SockAddr::Other(fam) => f.name.set(format!("family {fam}")),
                        }
                    }
                }
            }
        }
        Kind::Dup => {
            let Some(newfd) = res.filter(|r| *r >= 0) else {
                return ctx;
            };
            let old = int_param(ev, m, P::OldFd)
                .or_else(|| int_param(ev, m, P::Fd))
                .or(enter_fd);
            let copied = old
                .and_then(|o| st.fds.get(&pid).and_then(|t| t.get(o)).cloned())
                .map(|mut f| {
                    f.open_flags &= !PPM_O_CLOEXEC;
                    st.fds.entry(pid).or_default().insert(newfd, f);
                })
                .is_some();
            // libsinsp only moves the "last event fd" to the new fd when it
            // could copy the old one.
            if !copied {
                ctx.fd = enter_fd;
                if let Some(t) = st.threads.get_mut(&tid) {
                    t.last_fd = enter_fd;
                }
            }
        }
        Kind::Fcntl => {
            // F_DUPFD (0) and F_DUPFD_CLOEXEC (libscap value 9 in fcntl_commands).
            let cmd = int_param(ev, m, P::Cmd).or_else(|| enter_param_int(st, tid, P::Cmd));
            if let (Some(newfd), Some(c)) = (res.filter(|r| *r >= 0), cmd) {
                // F_DUPFD (1) and F_DUPFD_CLOEXEC (26) in libscap's numbering.
                if c == 1 || c == 26 {
                    let mut copied = false;
                    if let (Some(old), Some(table)) = (enter_fd, st.fds.get_mut(&pid)) {
                        if let Some(f) = table.get(old).cloned() {
                            table.insert(newfd, f);
                            copied = true;
                        }
                    }
                    // The new fd becomes the event's only when the old one
                    // was known (libsinsp stops at an unknown fd; the event
                    // keeps the enter's).
                    if copied {
                        ctx.fd = Some(newfd);
                        if let Some(t) = st.threads.get_mut(&tid) {
                            t.last_fd = ctx.fd;
                        }
                    }
                }
            }
        }
        Kind::Pipe => {
            if res.is_some_and(|r| r >= 0) {
                let ino = int_param(ev, m, P::Ino).unwrap_or(0) as u64;
                let table = st.fds.entry(pid).or_default();
                for n in [P::Fd1, P::Fd2] {
                    if let Some(fdn) = int_param(ev, m, n) {
                        let mut f = Fd::new(FdType::Fifo, "");
                        f.ino = ino;
                        table.insert(fdn, f);
                    }
                }
            }
        }
        Kind::NamedFd => {
            let ftype = m.named_ftype;
            if let Some(fdn) = res.filter(|r| *r >= 0) {
                if ftype != FdType::Bpf || info.has_flag(ef::CREATES_FD) {
                    let name = if ftype == FdType::Memfd {
                        str_param(ev, m, P::Name)
                            .or_else(|| enter_param_str(st, tid, P::Name))
                            .map(|n| format!("memfd:{n}"))
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    st.fds
                        .entry(pid)
                        .or_default()
                        .insert(fdn, Fd::new(ftype, name));
                }
            }
        }
        Kind::Clone => apply_clone(st, ev, m, res),
        Kind::Execve => {
            if res == Some(0) {
                apply_execve(st, ev, m);
            }
        }
        Kind::Chdir => {
            if res == Some(0) {
                let p = str_param(ev, m, P::Path)
                    .or_else(|| enter_param_str(st, tid, P::Path))
                    .unwrap_or_default();
                set_cwd(st, tid, &p);
            }
        }
        Kind::Mem => {
            if let Some(t) = st.threads.get_mut(&tid) {
                set_memory(t, &Params::new(ev.bytes(), m.large), m);
            }
        }
        Kind::Setsid => {
            if let Some(r) = res.filter(|r| *r >= 0) {
                if let Some(t) = st.threads.get_mut(&tid) {
                    t.sid = r as u64;
                }
            }
        }
        Kind::Getcwd => {
            if res.is_some_and(|r| r >= 0) {
                if let Some(p) = str_param(ev, m, P::Path) {
                    set_cwd(st, tid, &p);
                }
            }
        }
        Kind::Fchdir => {
            if res == Some(0) {
                if let Some(name) = enter_fd
                    .and_then(|fd| st.fd(tid, fd))
                    .map(|f| f.name.clone())
                {
                    set_cwd(st, tid, &name);
                }
            }
        }
        Kind::SetUid | Kind::SetResUid => {
            if res == Some(0) {
                let p = if kind == Kind::SetUid {
                    P::Uid
                } else {
                    P::Euid
                };
                let uid = int_param(ev, m, p).or_else(|| enter_param_int(st, tid, p));
                if let Some(u) = uid.filter(|u| *u >= 0 && *u != u32::MAX as i64) {
                    set_all_threads(st, pid, |t| t.uid = u as u32);
                }
            }
        }
        Kind::SetGid | Kind::SetResGid => {
            if res == Some(0) {
                let p = if kind == Kind::SetGid {
                    P::Gid
                } else {
                    P::Egid
                };
                let gid = int_param(ev, m, p).or_else(|| enter_param_int(st, tid, p));
                if let Some(g) = gid.filter(|g| *g >= 0 && *g != u32::MAX as i64) {
                    set_all_threads(st, pid, |t| t.gid = g as u32);
                }
            }
        }
        // libsinsp 0.29 does not name unconnected sockets from
        // sendto/recvfrom tuples (verified on the corpus).
        Kind::SendRecv => {}
        // Open is done by `open_exit`.
        Kind::Open | Kind::ProcExit | Kind::Other | Kind::Container | Kind::Switch => {}
    }
    ctx
}

/// A connect enter: a unix socket takes the path it connects to as its
/// name (see inside).
fn connect_enter(st: &mut State, ev: &EventRef<'_>, m: &Meta, tid: u64, fd: Option<i64>) {
    // sysdig 0.29.3 names a unix socket after the path it connects to, at
    // the enter, before the exit says whether it could (a failed connect
    // keeps that name). An IP socket keeps its name until the exit's tuple.
    let (Some(fd), Some(SockAddr::Unix(path))) =
        (fd, param_bytes(ev, m, P::Addr).and_then(params::sockaddr))
    else {
        return;
    };
    let pid = st.threads.get(&tid).map(|t| t.pid).unwrap_or(tid);
    if let Some(f) = st.fds.get_mut(&pid).and_then(|t| t.get_mut(fd)) {
        if f.ftype == FdType::UnixSock && !path.is_empty() {
            f.name.set_str(&path);
        }
    }
}

fn set_all_threads(st: &mut State, pid: u64, f: impl Fn(&mut Thread)) {
    for t in st.threads.values_mut() {
        if t.pid == pid {
            f(t);
        }
    }
}

fn set_cwd(st: &mut State, tid: u64, p: &str) {
    let Some(t) = st.threads.get(&tid) else {
        return;
    };
    let new = concat_path(&t.cwd, p);
    let pid = t.pid;
    set_all_threads(st, pid, |t| t.cwd = new.clone());
}

/// The pending enter event of thread `tid` (its id's [`Meta`] and bytes).
fn enter_event(st: &State, tid: u64) -> Option<(&'static Meta, &[u8])> {
    enter_of(&st.threads.get(&tid)?.last_enter)
}

/// A thread's pending enter event (see [`enter_event`]).
fn enter_of(b: &[u8]) -> Option<(&'static Meta, &[u8])> {
    // Empty until the thread's first enter; otherwise a copy of a whole,
    // validated event.
    if b.len() < HDR_LEN {
        return None;
    }
    let etype = u16::from_le_bytes([b[20], b[21]]);
    Some((meta(etype), b))
}

/// An integer parameter of a pending enter event.
fn enter_int(enter: Option<(&Meta, &[u8])>, p: P) -> Option<i64> {
    debug_assert!(ENTER_PARAMS.iter().any(|q| *q as usize == p as usize));
    let (m, b) = enter?;
    let i = m.idx(p)?;
    int_of(m.ptypes[p as usize], raw_param(b, m.large, i)?)
}

fn enter_param_str(st: &State, tid: u64, p: P) -> Option<String> {
    debug_assert!(ENTER_PARAMS.iter().any(|q| *q as usize == p as usize));
    let (m, b) = enter_event(st, tid)?;
    raw_param(b, m.large, m.idx(p)?).map(params::as_str)
}

fn enter_param_int(st: &State, tid: u64, p: P) -> Option<i64> {
    enter_int(enter_event(st, tid), p)
}

/// What a new thread takes from its parent.
struct Parent {
    pid: u64,
    sid: u64,
    vpgid: u64,
    loginuid: u32,
    tty: u32,
    uid: u32,
    gid: u32,
    env: StrList,
    exepath: String,
    root: String,
    container_id: String,
    cwd: String,
}

fn apply_clone(st: &mut State, ev: &EventRef<'_>, m: &Meta, res: Option<i64>) {
    let Some(res) = res else {
        return;
    };
    if res < 0 {
        return;
    }
    // One pass over the parameters: a clone reads most of its twenty.
    let ps: Params<'_, CLONE_AT> = Params::new(ev.bytes(), m.large);
    let flags = ps.int(m, P::Flags).unwrap_or(0) as u32;
    let is_thread = flags & CLONE_THREAD != 0;
    let caller = ev.tid();
    // Inside a pid namespace the parent sees the child's namespaced pid,
    // which is not a tid we can use: wait for the child's own event.
    // (libsinsp reads the caller's vtid from the event; without one, the
    // table's.)
    if res > 0 {
        let in_container = match ps.int(m, P::Vtid) {
            Some(v) => v != caller as i64,
            None => st
                .threads
                .get(&caller)
                .is_some_and(|p| p.vtid != p.tid as i64 && p.vtid > 0),
        };
        if in_container {
            return;
        }
    }
    let (child_tid, parent_tid) = if res == 0 {
        // Child side: the event's thread is the child; libsinsp takes a new
        // thread's process (the pid parameter) as its parent, and a new
        // process's ptid parameter.
        let p = if is_thread { P::Pid } else { P::Ptid };
        (caller, ps.int(m, p).unwrap_or(0) as u64)
    } else {
        (res as u64, caller)
    };
    // A thread from a process list is made again from the clone: the list
    // may have been read after the clone, and after an exec (libsinsp
    // does the same).
    if let Some(existing) = st
        .threads
        .get_mut(&child_tid)
        .filter(|t| t.complete && !t.listed)
    {
        // Made from the parent's side already: the child's own event knows
        // its namespace ids.
        if res == 0 {
            if let Some(v) = ps.int(m, P::Vtid) {
                existing.vtid = v;
            }
            if let Some(v) = ps.int(m, P::Vpid) {
                existing.vpid = v;
            }
        }
        return;
    }
    // A thread entry the clone replaces (from a process list, or made for
    // events seen before the clone): libsinsp removes it, with its fd table
    // when it is a process, and makes the child anew.
    let replaces = st.threads.contains_key(&child_tid);
    // A caller known only from its own events (no process list or clone
    // described it: it started just before a live capture, between the
    // probe's start and the /proc read): libsinsp drops the stand-in and
    // makes another, named from the clone event, with no parent, user or
    // fds, and the child inherits nothing from it.
    if res > 0
        && st
            .threads
            .get(&caller)
            .is_some_and(|p| !p.complete && p.comm.is_empty() && p.uid == u32::MAX)
    {
        let mut p = Thread::placeholder(caller);
        p.complete = true;
        p.exe = ps.get(m, P::Exe).map(params::as_str).unwrap_or_default();
        p.args = ps
            .get(m, P::Args)
            .map(StrList::from_nul_separated)
            .unwrap_or_default();
        p.comm = event_comm(ev, m, &p.exe);
        st.fds.remove(&caller);
        st.put_thread(caller, p);
    }
    // Live, a parent missing from the table is read from /proc first, as
    // libsinsp looks it up there before making one up.
    if st.live && res == 0 && !st.threads.contains_key(&parent_tid) {
        st.lookup_proc(parent_tid);
    }
    // Only what the child inherits is copied, not the whole parent. A
    // stand-in parent (known only from its own events) gives nothing:
    // libsinsp replaces it (see below).
    let parent = st
        .threads
        .get(&parent_tid)
        .filter(|p| !is_stand_in(p))
        .map(|p| Parent {
            pid: p.pid,
            sid: p.sid,
            vpgid: p.vpgid,
            loginuid: p.loginuid,
            tty: p.tty,
            uid: p.uid,
            gid: p.gid,
            env: p.env.clone(),
            exepath: p.exepath.clone(),
            root: p.root.clone(),
            container_id: p.container_id.clone(),
            cwd: p.cwd.clone(),
        });
    let mut t = Thread {
        tid: child_tid,
        complete: true,
        cpu_last: [0; 3],
        last_fd: Some(0),
        ..Default::default()
    };
    let ev_pid = ps.int(m, P::Pid).unwrap_or(0) as u64;
    if res == 0 {
        t.pid = if ev_pid != 0 { ev_pid } else { child_tid };
        t.ptid = parent_tid;
    } else {
        t.pid = if is_thread {
            parent.as_ref().map(|p| p.pid).unwrap_or(ev_pid)
        } else {
            child_tid
        };
        // libsinsp 0.29 makes the caller the parent, whatever the flags
        // (CLONE_PARENT, CLONE_THREAD): proc.pname reads it.
        t.ptid = parent_tid;
    }
    let parent_known = parent.is_some();
    let parent_pid = parent.as_ref().map(|p| p.pid).unwrap_or(parent_tid);
    let (parent_uid, parent_gid) = match &parent {
        Some(p) => (Some(p.uid), Some(p.gid)),
        None => (None, None),
    };
    let mut parent_cwd = None;
    if parent.is_none() {
        // libsinsp's defaults: no session or process group.
        t.sid = u64::MAX;
        t.vpgid = u64::MAX;
    }
    if let Some(p) = parent {
        t.sid = p.sid;
        t.vpgid = p.vpgid;
        t.env = p.env;
        t.exepath = p.exepath;
        t.loginuid = p.loginuid;
        t.tty = p.tty;
        t.root = p.root;
        t.container_id = p.container_id;
        parent_cwd = Some(p.cwd);
    }
    t.exe = ps.get(m, P::Exe).map(params::as_str).unwrap_or_default();
    t.args = ps
        .get(m, P::Args)
        .map(StrList::from_nul_separated)
        .unwrap_or_default();
    // The cwd belongs to the process: take the parent's when known.
    t.cwd = parent_cwd
        .filter(|c| !c.is_empty())
        .or_else(|| ps.get(m, P::Cwd).map(params::as_str))
        .unwrap_or_default();
    t.comm = event_comm(ev, m, &t.exe);
    t.cgroups = ps
        .get(m, P::Cgroups)
        .map(StrList::from_nul_separated)
        .unwrap_or_default();
    if t.cgroups.is_empty() && st.live {
        // The live probe does not report cgroups: a child starts in its
        // parent's.
        if let Some(p) = st.threads.get(&parent_tid) {
            t.cgroups = p.cgroups.clone();
        }
    }
    t.fdlimit = ps.int(m, P::FdLimit).unwrap_or(0) as u64;
    t.uid = ps
        .int(m, P::Uid)
        .map(|v| v as u32)
        .or(parent_uid)
        .unwrap_or(0);
    t.gid = ps
        .int(m, P::Gid)
        .map(|v| v as u32)
        .or(parent_gid)
        .unwrap_or(0);
    if res == 0 {
        // Child side: the parameters describe the child itself.
        t.vtid = ps.int(m, P::Vtid).unwrap_or(child_tid as i64);
        t.vpid = ps.int(m, P::Vpid).unwrap_or(t.pid as i64);
    } else {
        // Parent side: they describe the caller; the child shares its
        // pid namespace, where we only know the child's host ids.
        t.vtid = child_tid as i64;
        t.vpid = t.pid as i64;
    }
    t.vmsize_kb = ps.int(m, P::VmSize).unwrap_or(0) as u32;
    t.vmrss_kb = ps.int(m, P::VmRss).unwrap_or(0) as u32;
    t.vmswap_kb = ps.int(m, P::VmSwap).unwrap_or(0) as u32;
    t.pfmajor = ps.int(m, P::PgftMaj).unwrap_or(0) as u64;
    t.pfminor = ps.int(m, P::PgftMin).unwrap_or(0) as u64;
    t.start_ts = ev.ts();
    t.last_enter_type = u16::MAX;
    t.last_enter_ts = 0;
    t.latency = 0;
    // A child whose parent (for a thread: its process) libsinsp does not
    // know gets a stand-in parent named from the child's event: its name,
    // exe and arguments, nothing else (no parent, user, session or fds).
    if res == 0 && !parent_known && parent_tid != 0 && parent_tid != child_tid {
        let mut p = Thread::placeholder(parent_tid);
        p.complete = true;
        p.comm = t.comm.clone();
        p.exe = t.exe.clone();
        p.args = t.args.clone();
        p.start_ts = 0;
        st.fds.remove(&parent_tid);
        st.put_thread(parent_tid, p);
        st.set_container(parent_tid);
    }
    // A new thread whose process libsinsp does not know yet gets a main
    // thread made from the same information.
    if t.pid != t.tid && !st.threads.contains_key(&t.pid) {
        let mut main = t.clone();
        main.tid = t.pid;
        main.vtid = t.vpid;
        st.put_thread(t.pid, main);
        st.set_container(t.pid);
    }
    if !is_thread && (replaces || !st.fds.contains_key(&t.pid)) {
        match st.fds.get(&parent_pid).cloned() {
            Some(pt) => {
                st.fds.insert(t.pid, pt);
            }
            None if replaces => {
                st.fds.remove(&t.pid);
            }
            None => {}
        }
    }
    st.put_thread(child_tid, t);
    st.set_container(child_tid);
}

/// A switch: the page faults of the thread switched out, and its
/// process's memory (kept on the main thread), as libsinsp takes them.
/// Returns its `thread.exectime`: the time since the previous switch on
/// its CPU (0 for the CPU's first), also added to the thread's total, as
/// sysdig 0.29.3 counts them.
fn switch_enter(st: &mut State, ev: &EventRef<'_>, m: &Meta, tid: u64) -> u64 {
    let cpu = ev.cpu as usize;
    if st.last_switch.len() <= cpu {
        st.last_switch.resize(cpu + 1, 0);
    }
    let ts = ev.ts();
    let last = std::mem::replace(&mut st.last_switch[cpu], ts);
    let d = if last != 0 { ts.wrapping_sub(last) } else { 0 };
    let Some(t) = st.threads.get_mut(&tid) else {
        return d;
    };
    t.totexectime = t.totexectime.wrapping_add(d);
    // One pass over the parameters: a switch reads five of them, and
    // switches are frequent.
    let ps = Params::new(ev.bytes(), m.large);
    if let Some(v) = ps.int(m, P::PgftMaj) {
        t.pfmajor = v as u64;
    }
    if let Some(v) = ps.int(m, P::PgftMin) {
        t.pfminor = v as u64;
    }
    let pid = t.pid;
    if pid == tid {
        set_memory(t, &ps, m);
        return d;
    }
    let main = if st.threads.contains_key(&pid) {
        pid
    } else {
        tid
    };
    if let Some(t) = st.threads.get_mut(&main) {
        set_memory(t, &ps, m);
    }
    d
}

/// The `vm_size`, `vm_rss` and `vm_swap` an event reports, on `t`.
#[inline(always)]
fn set_memory(t: &mut Thread, ps: &Params<'_>, m: &Meta) {
    if let Some(v) = ps.int(m, P::VmSize) {
        t.vmsize_kb = v as u32;
    }
    if let Some(v) = ps.int(m, P::VmRss) {
        t.vmrss_kb = v as u32;
    }
    if let Some(v) = ps.int(m, P::VmSwap) {
        t.vmswap_kb = v as u32;
    }
}

/// A thread libsinsp made up for events of a tid it knew nothing of
/// (named `<NA>`, no user): not a parent a clone copies from.
fn is_stand_in(t: &Thread) -> bool {
    t.unnamed() && t.uid == u32::MAX
}

/// The comm a clone or execve event gives its thread: its comm parameter,
/// else the base name of `exe`.
fn event_comm(ev: &EventRef<'_>, m: &Meta, exe: &str) -> String {
    str_param(ev, m, P::Comm)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| exe.rsplit('/').next().unwrap_or("").to_string())
}

fn apply_execve(st: &mut State, ev: &EventRef<'_>, m: &Meta) {
    let tid = ev.tid();
    // libsinsp names the executable from the path its execve enter event
    // asked for (when that enter has one): `<NA>` stays, a relative path is
    // taken from the thread's cwd.
    let enter_path = st.threads.get(&tid).and_then(|t| {
        let lt = t.last_enter_type;
        if lt == u16::MAX || meta(lt).info.name != m.info.name {
            return None;
        }
        let (em, b) = enter_of(&t.last_enter)?;
        let p = params::as_str(raw_param(b, em.large, em.idx(P::Filename)?)?);
        Some(if p.starts_with("<NA>") {
            "<NA>".to_string()
        } else {
            concat_path(&t.cwd, &p)
        })
    });
    let cwd_param = str_param(ev, m, P::Cwd).filter(|c| !c.is_empty());
    if !st.threads.contains_key(&tid) {
        st.put_thread(
            tid,
            Thread {
                tid,
                pid: tid,
                last_enter_type: u16::MAX,
                last_fd: Some(0),
                ..Default::default()
            },
        );
    }
    let new_pid = int_param(ev, m, P::Pid)
        .filter(|p| *p > 0)
        .map(|p| p as u64);
    let live = st.live;
    let Some(t) = st.threads.get_mut(&tid) else {
        return;
    };
    t.complete = true;
    if let Some(exe) = str_param(ev, m, P::Exe) {
        t.exe = exe;
    }
    if let Some(a) = list_param(ev, m, P::Args) {
        t.args = a;
    }
    t.comm = event_comm(ev, m, &t.exe);
    if let Some(c) = cwd_param {
        t.cwd = c;
    }
    // libsinsp takes the parent from an execve only for a thread that had
    // none (-1).
    if t.ptid == u64::MAX {
        if let Some(p) = int_param(ev, m, P::Ptid).filter(|p| *p > 0) {
            t.ptid = p as u64;
        }
    }
    if let Some(e) = list_param(ev, m, P::Env) {
        t.env = e;
    }
    if let Some(c) = list_param(ev, m, P::Cgroups) {
        t.cgroups = c;
    }
    if let Some(v) = int_param(ev, m, P::FdLimit) {
        t.fdlimit = v as u64;
    }
    if let Some(v) = int_param(ev, m, P::Tty) {
        t.tty = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::LoginUid) {
        t.loginuid = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::Vpgid) {
        t.vpgid = v as u64;
    }
    if let Some(v) = int_param(ev, m, P::Uid) {
        t.uid = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::Gid) {
        t.gid = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::VmSize) {
        t.vmsize_kb = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::VmRss) {
        t.vmrss_kb = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::VmSwap) {
        t.vmswap_kb = v as u32;
    }
    if let Some(v) = int_param(ev, m, P::PgftMaj) {
        t.pfmajor = v as u64;
    }
    if let Some(v) = int_param(ev, m, P::PgftMin) {
        t.pfminor = v as u64;
    }
    if let Some(v) = enter_path {
        t.exepath = v;
    } else if live {
        // (Live, the enter may have been lost: the best guess.)
        if let Some(v) = str_param(ev, m, P::TrustedExepath).filter(|s| !s.is_empty()) {
            t.exepath = v;
        } else if t.exe.starts_with('/') {
            t.exepath = t.exe.clone();
        }
    }
    // Reading a capture, without the enter sysdig 0.29.3 keeps the path.
    if let Some(v) = int_param(ev, m, P::CapEffective) {
        t.cap_effective = v as u64;
    }
    if let Some(v) = int_param(ev, m, P::CapPermitted) {
        t.cap_permitted = v as u64;
    }
    if let Some(v) = int_param(ev, m, P::CapInheritable) {
        t.cap_inheritable = v as u64;
    }
    if let Some(p) = new_pid {
        st.set_thread_pid(tid, p);
    }
    let pid = st.threads.get(&tid).map_or(tid, |t| t.pid);
    // Live events carry empty cgroups, and set_container reads /proc:
    // exec is where runc's child turns into the container's first process.
    st.set_container(tid);
    // Close-on-exec fds go away.
    if let Some(table) = st.fds.get_mut(&pid) {
        table.retain(|f| f.open_flags & PPM_O_CLOEXEC == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path concatenation as it was first written (split, collect,
    /// join), to check the single-pass one against.
    fn concat_path_ref(base: &str, rel: &str) -> String {
        let full = if rel.starts_with('/') || base.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{}", base.trim_end_matches('/'), rel)
        };
        if !full.starts_with('/') {
            let parts: Vec<&str> = full
                .split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect();
            return parts.join("/");
        }
        let mut parts: Vec<&str> = Vec::new();
        for c in full.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        let mut s = String::with_capacity(full.len());
        for c in &parts {
            s.push('/');
            s.push_str(c);
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    #[test]
    fn paths() {
        assert_eq!(concat_path("/root", "a/b"), "/root/a/b");
        assert_eq!(concat_path("/root/", "../etc/./passwd"), "/etc/passwd");
        assert_eq!(concat_path("/x", "/abs"), "/abs");
        assert_eq!(concat_path("/", ".."), "/");
    }

    #[test]
    fn paths_match_reference() {
        let parts = [
            "",
            "/",
            "//",
            "///",
            ".",
            "..",
            "./",
            "../",
            "a",
            "a/",
            "/a",
            "/a/",
            "a/b",
            "/a/b/",
            "a//b",
            "./a",
            "../a",
            "a/..",
            "a/../..",
            "/a/./b/../c",
            "...",
            "a/...",
            "ä/ö",
            "x/./",
            "/..",
            "../../x",
            "a/b/../../..",
            ".a",
            "..a",
            "a.",
            "/.x/..y/",
            "/usr/lib",
            "etc/passwd",
            "/a/b/.",
            "/a/b/..",
            "a/.../b",
        ];
        for base in parts {
            for rel in parts {
                assert_eq!(
                    concat_path(base, rel),
                    concat_path_ref(base, rel),
                    "base {base:?} rel {rel:?}"
                );
            }
        }
    }

    /// `clean` (with its 8-byte scan) agrees with the byte-at-a-time
    /// check on every string of '/', '.' and 'a' up to 10 bytes, and on
    /// longer ones with a bad spot at each position.
    #[test]
    fn clean_matches_bytewise() {
        each_string(b"/.a", 10, |b| {
            assert_eq!(clean(b), clean_bytewise(b), "{b:?}")
        });
        let base = b"usr/lib/x86_64-linux-gnu/libc.so.6";
        assert!(clean(base));
        let ins: [&[u8]; 8] = [b"/", b".", b"/.", b"./", b"//", b"/../", b"/./", b"\x80/"];
        each_splice(base, &ins, |p| {
            assert_eq!(clean(p), clean_bytewise(p), "{p:?}")
        });
    }

    /// Calls `f` with every string of up to `max_len` bytes of `alphabet`.
    fn each_string(alphabet: &[u8], max_len: u32, mut f: impl FnMut(&[u8])) {
        let k = alphabet.len();
        let mut buf = Vec::new();
        for len in 0..=max_len {
            for mut code in 0..k.pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(alphabet[code % k]);
                    code /= k;
                }
                f(&buf);
            }
        }
    }

    /// Calls `f` with `base` with each of `inserts` put in at each position.
    fn each_splice(base: &[u8], inserts: &[&[u8]], mut f: impl FnMut(&[u8])) {
        for at in 0..=base.len() {
            for ins in inserts {
                let mut p = base.to_vec();
                p.splice(at..at, ins.iter().copied());
                f(&p);
            }
        }
    }

    /// `int_of` reads every type and length as `params::as_i64` does.
    #[test]
    fn int_of_matches_as_i64() {
        let bytes: Vec<u8> = (0..10u8)
            .map(|i| i.wrapping_mul(77).wrapping_add(200))
            .collect();
        for ptype in 0..=u8::MAX {
            for len in 0..=bytes.len() {
                let b = &bytes[..len];
                assert_eq!(int_of(ptype, b), params::as_i64(ptype, b), "{ptype} {len}");
            }
        }
    }

    /// `scan_name` finds the first NUL and the `/` pairs before it as a
    /// byte-at-a-time search does.
    #[test]
    fn scan_name_matches_bytewise() {
        let check = |b: &[u8]| {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            let want = (end, !slash_then_slash_or_dot(&b[..end]));
            assert_eq!(scan_name(b), want, "{b:?}");
        };
        each_string(b"/.a\0", 9, check);
        let ins: [&[u8]; 7] = [b"/", b"\0", b"/.", b"//", b"\0//", b"//\0", b"\x80/"];
        each_splice(b"/usr/lib/x86_64-linux-gnu/libc.so.6", &ins, check);
    }

    /// `makes_placeholder` is thread_missing's test of the event, for
    /// every id (by_id is indexed by id).
    #[test]
    fn placeholder_flag_matches_event_info() {
        let t = table();
        for (i, e) in t.events.iter().enumerate() {
            assert_eq!(usize::from(e.id), i);
            let etype = e.id;
            let expected = !e.has_category(crate::event::table::ec::SCHEDULER)
                && !e.has_category(crate::event::table::ec::INTERNAL)
                && !e.has_flag(ef::SKIPPARSERESET)
                && etype != crate::event::table::ids::CONTAINER_JSON_E
                && etype != crate::event::table::ids::CONTAINER_JSON_2_E;
            assert_eq!(meta(etype).makes_placeholder, expected, "{}", e.name);
        }
        // Ids past the table share the unknown event's entry.
        let u = t.get(u16::MAX);
        let expected = !u.has_category(crate::event::table::ec::SCHEDULER)
            && !u.has_category(crate::event::table::ec::INTERNAL)
            && !u.has_flag(ef::SKIPPARSERESET);
        assert_eq!(meta(u16::MAX).makes_placeholder, expected);
    }

    #[test]
    fn param_indexes_match_names() {
        let t = table();
        for e in &t.events {
            let m = meta(e.id);
            for (i, name) in P_NAMES.iter().enumerate() {
                assert_eq!(
                    m.params[i] as usize,
                    e.param_index(name).unwrap_or(NO_PARAM as usize),
                    "{} {}",
                    e.name,
                    name
                );
            }
        }
    }

    #[test]
    fn raw_params_match_event_ref() {
        let fd = 3i64.to_le_bytes();
        let name = b"/etc/passwd\0";
        for etype in [307u16, 324, 293] {
            let evb =
                crate::event::build_event(10, 42, etype, &[&fd, &(-100i64).to_le_bytes(), name]);
            let ev = EventRef::new(0, 0, &evb).expect("valid");
            for i in 0..5 {
                assert_eq!(raw_param(ev.bytes(), meta(etype).large, i), ev.param(i));
            }
        }
    }

    /// A process list read after a clone (and the child's exec) lists the
    /// child under its new name; the child's clone event describes it as
    /// it was then, and wins, as in libsinsp: a live `-w` capture starts
    /// the probe before it reads /proc.
    /// A clone exit (`clone` 20) of thread `tid` (its own process) with
    /// parent `ptid`, returning `res` (0: the child's side).
    fn clone_exit(tid: u64, ptid: i64, res: i64, comm: &str) -> Vec<u8> {
        let (i64b, u64b, u32b) = (
            |v: i64| v.to_le_bytes().to_vec(),
            |v: u64| v.to_le_bytes().to_vec(),
            |v: u32| v.to_le_bytes().to_vec(),
        );
        let params: Vec<Vec<u8>> = vec![
            i64b(res),
            format!("/bin/{comm}\0").into_bytes(),
            b"-c\0".to_vec(),
            i64b(tid as i64),
            i64b(tid as i64),
            i64b(ptid),
            b"/\0".to_vec(),
            i64b(1024),
            u64b(0),
            u64b(0),
            u32b(0),
            u32b(0),
            u32b(0),
            format!("{comm}\0").into_bytes(),
            Vec::new(),
            u32b(0),
            u32b(0),
            u32b(0),
            i64b(tid as i64),
            i64b(tid as i64),
            u64b(0),
        ];
        let refs: Vec<&[u8]> = params.iter().map(|p| p.as_slice()).collect();
        crate::event::build_event(10, tid, 223, &refs)
    }

    /// The child's side of a clone that made thread `tid` of process
    /// `pid` (CLONE_THREAD): libsinsp 0.29 takes the process as the parent
    /// and, not knowing it, makes it up from the child's event: named like
    /// the child, without parent, user, session, fd limit or clone time.
    #[test]
    fn a_thread_of_an_unknown_process_gets_a_stand_in_main_thread() {
        use crate::state::State;
        let mut evb = clone_exit(843, 774, 0, "curl");
        // pid 842, flags CLONE_THREAD (params 4 and 15).
        let p = EventRef::new(0, 0, &evb).expect("valid");
        let (pid_at, flags_at) = (param_offset(&p, 4), param_offset(&p, 15));
        evb[pid_at..pid_at + 8].copy_from_slice(&842i64.to_le_bytes());
        evb[flags_at..flags_at + 4].copy_from_slice(&CLONE_THREAD.to_le_bytes());
        let mut st = State::new();
        st.process(&EventRef::new(0, 0, &evb).expect("valid"));
        let c = st.thread(843).expect("child");
        assert_eq!(
            (c.pid, c.ptid, c.sid, c.vpgid),
            (842, 842, u64::MAX, u64::MAX)
        );
        let m = st.thread(842).expect("stand-in process");
        assert_eq!(
            (m.comm.as_str(), m.ptid, m.uid, m.fdlimit, m.sid, m.start_ts),
            ("curl", u64::MAX, u32::MAX, u64::MAX, u64::MAX, 0)
        );
    }

    /// Where parameter `i` of `ev` starts in its bytes (2-byte lengths).
    fn param_offset(ev: &EventRef<'_>, i: usize) -> usize {
        let b = ev.bytes();
        let n = u32::from_le_bytes([b[22], b[23], b[24], b[25]]) as usize;
        let mut at = HDR_LEN + 2 * n;
        for k in 0..i {
            at += u16::from_le_bytes([b[HDR_LEN + 2 * k], b[HDR_LEN + 2 * k + 1]]) as usize;
        }
        at
    }

    /// thread.exectime: a switch gives the time since the previous switch
    /// on the same CPU (0 for the CPU's first); the switching thread adds
    /// it up (thread.totexectime). A switch also reports the thread's page
    /// faults and its process's memory.
    #[test]
    fn switches_time_each_cpu() {
        use crate::state::State;
        let switch = |ts: u64, tid: u64| {
            crate::event::build_event(
                ts,
                tid,
                crate::event::table::ids::SCHEDSWITCH_6_E,
                &[
                    &1i64.to_le_bytes(),
                    &2u64.to_le_bytes(),
                    &3u64.to_le_bytes(),
                    &40u32.to_le_bytes(),
                    &50u32.to_le_bytes(),
                    &60u32.to_le_bytes(),
                ],
            )
        };
        let mut st = State::new();
        let mut t = Thread::placeholder(7);
        t.complete = true;
        st.put_thread(7, t);
        let mut run = |cpu: u16, ts: u64| {
            let b = switch(ts, 7);
            st.process(&EventRef::new(cpu, 0, &b).expect("valid"))
                .exectime
        };
        assert_eq!(run(0, 1000), 0);
        assert_eq!(run(1, 1500), 0);
        assert_eq!(run(0, 1700), 700);
        assert_eq!(run(1, 1600), 100);
        let t = st.thread(7).expect("thread");
        assert_eq!(t.totexectime, 800);
        assert_eq!((t.pfmajor, t.pfminor), (2, 3));
        assert_eq!((t.vmsize_kb, t.vmrss_kb, t.vmswap_kb), (40, 50, 60));
    }

    #[test]
    fn an_unknown_caller_is_named_by_its_clone() {
        use crate::state::State;
        let mut st = State::new();
        // A thread seen only through its own events, with an fd from an
        // earlier process of that pid.
        st.thread_missing(&EventRef::new(0, 0, &clone_exit(300, 1, 0, "x")).expect("valid"));
        st.fds
            .entry(300)
            .or_default()
            .insert(4, Fd::new(FdType::Fifo, ""));
        let evb = clone_exit(300, 1, 301, "bash");
        st.process(&EventRef::new(0, 0, &evb).expect("valid"));
        let t = st.thread(300).expect("caller");
        assert_eq!(
            (t.comm.as_str(), t.complete, t.pid, t.ptid, t.uid),
            ("bash", true, 300, u64::MAX, u32::MAX)
        );
        assert!(st.fd_table(300).is_none_or(|tb| tb.get(4).is_none()));
        let c = st.thread(301).expect("child");
        assert_eq!((c.comm.as_str(), c.ptid), ("bash", 300));
    }

    #[test]
    fn a_clone_describes_a_listed_thread_anew() {
        use crate::capture::meta::{ProcEntry, StrList};
        use crate::state::State;
        let entry = |tid: u64, comm: &str| ProcEntry {
            tid,
            pid: tid,
            ptid: 1,
            comm: comm.into(),
            exe: comm.into(),
            args: StrList::new(),
            ..ProcEntry::default()
        };
        let fd = |tid: u64, fd: i64, name: &str| crate::capture::meta::FdEntry {
            tid,
            fd,
            ino: 0,
            ftype: crate::capture::meta::FdType::File,
            info: crate::capture::meta::FdInfo::Named {
                name: name.into(),
                open_flags: 0,
                dev: 0,
            },
        };
        // The list was read after the child exec'd sleep and opened a file.
        let meta = crate::capture::CaptureMeta {
            procs: vec![entry(100, "bash"), entry(200, "sleep")],
            fds: vec![fd(100, 13, "/dev/null"), fd(200, 5, "/tmp/later")],
            ..Default::default()
        };
        let mut st = State::new();
        st.load_meta(&meta);
        // The child's side of bash's fork: tid 200, parent 100.
        let evb = clone_exit(200, 100, 0, "bash");
        let ev = EventRef::new(0, 0, &evb).expect("valid");
        st.process(&ev);
        let t = st.thread(200).expect("thread");
        assert_eq!((t.comm.as_str(), t.ptid), ("bash", 100));
        assert!(!t.listed);
        // Its fds are its parent's at the clone, not the listed ones.
        let name = |fd: i64| {
            st.fd_table(200)
                .and_then(|tb| tb.get(fd))
                .map(|f| f.name.to_string())
        };
        assert_eq!(name(13).as_deref(), Some("/dev/null"));
        assert_eq!(name(5), None);
    }
}
