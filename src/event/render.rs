//! Rendering of parameters and of `%evt.info` as sysdig prints them.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::params::{self, SockAddr, SockTuple};
use super::services::{self, Proto};
use super::table::{ids, pt, table, ParamExtra, ParamInfo, PrintFmt};
use super::EventRef;

/// How an fd is labelled in `evt.info`: `<4t>1.2.3.4:5->6.7.8.9:10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLabel<'a> {
    /// The type letter (an ASCII letter or digit: `evt.info` takes it
    /// for clean text).
    pub typechar: char,
    /// l4 protocol letter for IP sockets (t, u, i, r).
    pub l4: Option<char>,
    pub name: &'a str,
}

/// What rendering needs to know from state.
pub trait Resolver {
    /// The label of `fd` in `tid`'s process.
    fn fd_label(&self, tid: u64, fd: i64) -> Option<FdLabel<'_>>;
    /// comm of a thread.
    fn comm(&self, tid: u64) -> Option<&str>;
    /// True when the thread is known.
    fn has_thread(&self, tid: u64) -> bool;
    /// Working directory of a thread.
    fn cwd(&self, tid: u64) -> Option<&str>;
    /// Name of a user, when the user table has it.
    fn user_name(&self, uid: u32) -> Option<&str>;
    /// Name of a group.
    fn group_name(&self, gid: u32) -> Option<&str>;
}

/// A resolver that knows nothing.
pub struct NoState;
impl Resolver for NoState {
    fn fd_label(&self, _: u64, _: i64) -> Option<FdLabel<'_>> {
        None
    }
    fn comm(&self, _: u64) -> Option<&str> {
        None
    }
    fn has_thread(&self, _: u64) -> bool {
        false
    }
    fn cwd(&self, _: u64) -> Option<&str> {
        None
    }
    fn user_name(&self, _: u32) -> Option<&str> {
        None
    }
    fn group_name(&self, _: u32) -> Option<&str> {
        None
    }
}

/// How byte buffers are printed (`-A`, `-x`, `-X`, `-b`, default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufFormat {
    #[default]
    Dotted,
    Ascii,
    Hex,
    HexAscii,
    Base64,
}

/// Options for rendering.
#[derive(Debug, Clone, Copy)]
pub struct RenderOpts {
    pub buf: BufFormat,
    /// Maximum bytes of a buffer shown in `evt.info` (sysdig: 80 unless -v).
    pub max_buf: usize,
}

impl Default for RenderOpts {
    fn default() -> Self {
        RenderOpts {
            buf: BufFormat::Dotted,
            max_buf: 80,
        }
    }
}

/// libc errno names, for `res=-2(ENOENT)`.
pub fn errno_name(e: i64) -> Option<&'static str> {
    const NAMES: [&str; 134] = [
        "",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
        "",
        "ENOMSG",
        "EIDRM",
        "ECHRNG",
        "EL2NSYNC",
        "EL3HLT",
        "EL3RST",
        "ELNRNG",
        "EUNATCH",
        "ENOCSI",
        "EL2HLT",
        "EBADE",
        "EBADR",
        "EXFULL",
        "ENOANO",
        "EBADRQC",
        "EBADSLT",
        "",
        "EBFONT",
        "ENOSTR",
        "ENODATA",
        "ETIME",
        "ENOSR",
        "ENONET",
        "ENOPKG",
        "EREMOTE",
        "ENOLINK",
        "EADV",
        "ESRMNT",
        "ECOMM",
        "EPROTO",
        "EMULTIHOP",
        "EDOTDOT",
        "EBADMSG",
        "EOVERFLOW",
        "ENOTUNIQ",
        "EBADFD",
        "EREMCHG",
        "ELIBACC",
        "ELIBBAD",
        "ELIBSCN",
        "ELIBMAX",
        "ELIBEXEC",
        "EILSEQ",
        "ERESTART",
        "ESTRPIPE",
        "EUSERS",
        "ENOTSOCK",
        "EDESTADDRREQ",
        "EMSGSIZE",
        "EPROTOTYPE",
        "ENOPROTOOPT",
        "EPROTONOSUPPORT",
        "ESOCKTNOSUPPORT",
        "EOPNOTSUPP",
        "EPFNOSUPPORT",
        "EAFNOSUPPORT",
        "EADDRINUSE",
        "EADDRNOTAVAIL",
        "ENETDOWN",
        "ENETUNREACH",
        "ENETRESET",
        "ECONNABORTED",
        "ECONNRESET",
        "ENOBUFS",
        "EISCONN",
        "ENOTCONN",
        "ESHUTDOWN",
        "ETOOMANYREFS",
        "ETIMEDOUT",
        "ECONNREFUSED",
        "EHOSTDOWN",
        "EHOSTUNREACH",
        "EALREADY",
        "EINPROGRESS",
        "ESTALE",
        "EUCLEAN",
        "ENOTNAM",
        "ENAVAIL",
        "EISNAM",
        "EREMOTEIO",
        "EDQUOT",
        "ENOMEDIUM",
        "EMEDIUMTYPE",
        "ECANCELED",
        "ENOKEY",
        "EKEYEXPIRED",
        "EKEYREVOKED",
        "EKEYREJECTED",
        "EOWNERDEAD",
        "ENOTRECOVERABLE",
        "ERFKILL",
        "EHWPOISON",
    ];
    match e {
        512 => Some("ERESTARTSYS"),
        513 => Some("ERESTARTNOINTR"),
        514 => Some("ERESTARTNOHAND"),
        515 => Some("ENOIOCTLCMD"),
        516 => Some("ERESTART_RESTARTBLOCK"),
        e if e > 0 && (e as usize) < NAMES.len() && !NAMES[e as usize].is_empty() => {
            Some(NAMES[e as usize])
        }
        _ => None,
    }
}

/// Signal names for `PT_SIGTYPE`.
pub fn signal_name(s: u64) -> Option<&'static str> {
    const SIGS: [&str; 32] = [
        "",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    SIGS.get(s as usize).copied().filter(|n| !n.is_empty())
}

/// The two digits of 0..100: a pair goes in as a two-byte `&str` (one
/// store and one capacity check; char by char is a check each). (An
/// array of strs, not one str cut in pairs: that cut checks char
/// boundaries in the table each time.)
const DIGIT_PAIRS: [&str; 100] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
    "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
    "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63",
    "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
    "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95",
    "96", "97", "98", "99",
];

/// Appends `v % 100` as two digits.
#[inline]
fn push_pair(s: &mut String, v: u32) {
    let p = DIGIT_PAIRS[(v % 100) as usize];
    // (Cut to its known length, the copy is a two-byte move, not a call.)
    s.push_str(p.get(..2).unwrap_or(p));
}

/// Appends the digit `d` (below 10).
#[inline]
fn push_digit(s: &mut String, d: u32) {
    // (The mask tells `push` the char is one byte long.)
    s.push(char::from((b'0' + d as u8) & 0x7f));
}

/// Appends `v` (below 100) in one or two digits.
#[inline]
fn push_upto2(s: &mut String, v: u32) {
    if v < 10 {
        push_digit(s, v);
    } else {
        push_pair(s, v);
    }
}

/// Appends `v` (below 10^8) in decimal, from the first digit on: the
/// divisions are by constants (multiplications).
#[inline(always)]
fn push_below_1e8(s: &mut String, v: u32) {
    if v < 100 {
        push_upto2(s, v);
    } else if v < 10_000 {
        push_upto2(s, v / 100);
        push_pair(s, v);
    } else if v < 1_000_000 {
        push_upto2(s, v / 10_000);
        push_pair(s, v / 100);
        push_pair(s, v);
    } else {
        push_upto2(s, v / 1_000_000);
        push_pair(s, v / 10_000);
        push_pair(s, v / 100);
        push_pair(s, v);
    }
}

/// Appends `v` (below 10^8) as eight digits, zero-padded.
#[inline]
fn push_eight(s: &mut String, v: u32) {
    push_pair(s, v / 1_000_000);
    push_pair(s, v / 10_000);
    push_pair(s, v / 100);
    push_pair(s, v);
}

/// Appends `v` (below 10^9) as nine digits, zero-padded (`{v:09}`).
#[inline]
pub(crate) fn push_nine(s: &mut String, v: u32) {
    push_digit(s, v / 100_000_000 % 10);
    push_eight(s, v % 100_000_000);
}

/// Appends `v` in decimal, zero-padded to `width` digits (the tests
/// check the digits against `format!` with it).
#[cfg(test)]
pub(crate) fn push_decimal(s: &mut String, v: u64, width: usize) {
    let n = v.checked_ilog10().map_or(1, |l| l as usize + 1);
    for _ in n..width {
        s.push('0');
    }
    push_u64(s, v);
}

/// Appends `v` in decimal (what `v.to_string()` gives, without the
/// formatting machinery).
#[inline]
pub(crate) fn push_u64(s: &mut String, v: u64) {
    // (A single digit, as CPUs, fds and most results are, is one push
    // where it is called; the call is for the longer numbers.)
    if v < 10 {
        push_digit(s, v as u32);
    } else {
        push_u64_long(s, v);
    }
}

/// [`push_u64`] of 10 or more.
#[inline(never)]
fn push_u64_long(s: &mut String, v: u64) {
    if v < E8 {
        push_below_1e8(s, v as u32);
    } else {
        push_u64_huge(s, v);
    }
}

const E8: u64 = 100_000_000;

/// [`push_u64`] of 10^8 or more.
#[inline(never)]
fn push_u64_huge(s: &mut String, v: u64) {
    if v < E8 * E8 {
        push_below_1e8(s, (v / E8) as u32);
        push_eight(s, (v % E8) as u32);
    } else {
        // (u64::MAX / 10^16 is 1844: below 10^8.)
        push_below_1e8(s, (v / (E8 * E8)) as u32);
        let r = v % (E8 * E8);
        push_eight(s, (r / E8) as u32);
        push_eight(s, (r % E8) as u32);
    }
}

/// True when every byte is printable ASCII (0x20 to 0x7e), looked at
/// eight bytes at a time.
#[inline]
pub(crate) fn printable_ascii(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    for ch in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(ch);
        let w = u64::from_le_bytes(w);
        // A high bit where a byte is 0x80 or more (w itself), 0x7f (+1
        // reaches 0x80; smaller bytes carry nothing into the next one) or
        // below 0x20 (-0x20 wraps; the lowest such byte is exact, as the
        // bytes below it borrow nothing): no false hits when all are good.
        if (w.wrapping_sub(LO * 0x20) | w | w.wrapping_add(LO)) & HI != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&c| (0x20..0x7f).contains(&c))
}

/// Appends `v` in upper-case hexadecimal (`{v:X}`).
fn push_hex(s: &mut String, v: u64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let n = (u64::BITS - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..n).rev() {
        let d = HEX[((v >> (4 * i)) & 0xf) as usize];
        // (The mask tells `push` the char is one byte long.)
        s.push(char::from(d & 0x7f));
    }
}

/// Appends `v` in decimal, with a `-` when negative.
#[inline]
pub(crate) fn push_i64(s: &mut String, v: i64) {
    if v < 0 {
        s.push('-');
    }
    push_u64(s, v.unsigned_abs());
}

fn push_num_u(s: &mut String, v: u64, fmt: PrintFmt) {
    match fmt {
        PrintFmt::Hex => push_hex(s, v),
        PrintFmt::Oct => {
            if v == 0 {
                s.push('0');
            } else {
                let _ = write!(s, "0{v:o}");
            }
        }
        _ => push_u64(s, v),
    }
}

fn push_num_i(s: &mut String, v: i64, fmt: PrintFmt) {
    match fmt {
        PrintFmt::Hex | PrintFmt::Oct => push_num_u(s, v as u64, fmt),
        _ => push_i64(s, v),
    }
}

/// Appends `(r)` unless `r` is empty.
fn push_resolved(s: &mut String, r: &str) {
    if !r.is_empty() {
        s.push('(');
        s.push_str(r);
        s.push(')');
    }
}

/// Flag names that libscap added after sysdig 0.29.3; 0.29.3 prints the
/// bare number for them.
const NEWER_THAN_0_29: &[&str] = &[
    "CLONE_CHILD_IN_PIDNS",
    "O_F_CREATED",
    "FD_UPPER_LAYER",
    "FD_LOWER_LAYER",
];

/// The names of a flags value, `|`-joined, in flag-table order, the way
/// sysdig 0.29.3 composes them: entries whose bits are all set are named and
/// cleared; the walk stops at an entry equal to the whole value, which is
/// named too; leftover unknown bits are dropped. Enum-typed flags are treated
/// the same way, as 0.29.3 knows them as plain flags.
pub fn flag_names(v: u64, table_idx: usize) -> String {
    let mut s = String::new();
    push_flag_names(&mut s, v, table_idx, "");
    s
}

/// Appends the [`flag_names`] of `v`, `open` before the first name; returns
/// whether any name was appended.
fn push_flag_names(s: &mut String, v: u64, table_idx: usize, open: &str) -> bool {
    let Some(ft) = table().flag_tables.get(table_idx) else {
        return false;
    };
    let initial = v;
    let mut val = v;
    let mut any = false;
    let mut push = |s: &mut String, n: &str| {
        s.push_str(if any { "|" } else { open });
        s.push_str(n);
        any = true;
    };
    for &(n, fv) in &ft.entries {
        let n = n.as_str();
        let fv = fv as u64;
        let whole = fv == initial;
        let named = whole || (fv == 0 && initial == 0) || (fv != 0 && val != 0 && val & fv == fv);
        if !named {
            continue;
        }
        // Entries 0.29.3 does not know are skipped (only checked for the
        // entries that would be named: the rest are skipped anyway).
        if NEWER_THAN_0_29.contains(&n) {
            continue;
        }
        push(s, n);
        if whole {
            break;
        }
        val &= !fv;
    }
    any
}

/// Renders a flags value with its table: `4097(O_RDONLY|O_CLOEXEC)`.
pub fn render_flags(v: u64, table_idx: usize, ptype: u8, fmt: PrintFmt) -> String {
    let mut s = String::new();
    push_flags(&mut s, v, table_idx, ptype, fmt);
    s
}

fn push_flags(s: &mut String, v: u64, table_idx: usize, ptype: u8, fmt: PrintFmt) {
    if ptype == pt::MODE {
        push_num_u(s, v, fmt);
    } else {
        push_u64(s, v);
    }
    // The names of a value come from a walk of its whole table (a few
    // dozen entries): the last few hundred are kept, most lines repeat a
    // handful of values.
    thread_local! {
        static NAMES: std::cell::RefCell<Vec<(usize, u64, String)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    const SLOTS: usize = 256;
    let slot = (v as usize ^ (v >> 17) as usize ^ table_idx.wrapping_mul(31)) % SLOTS;
    let cached = NAMES.with(|n| {
        let mut n = n.try_borrow_mut().ok()?;
        if n.len() < SLOTS {
            n.resize_with(SLOTS, || (usize::MAX, 0, String::new()));
        }
        let e = n.get_mut(slot)?;
        if e.0 != table_idx || e.1 != v {
            e.2.clear();
            push_flag_suffix(&mut e.2, v, table_idx);
            e.0 = table_idx;
            e.1 = v;
        }
        s.push_str(&e.2);
        Some(())
    });
    if cached.is_none() {
        push_flag_suffix(s, v, table_idx);
    }
}

/// Appends `(NAME|NAME)` for the [`flag_names`] of `v`, nothing when
/// there are none.
fn push_flag_suffix(s: &mut String, v: u64, table_idx: usize) {
    // An empty name list (e.g. a single empty-named entry) adds nothing,
    // as `names.is_empty()` did.
    let mark = s.len();
    if push_flag_names(s, v, table_idx, "(") {
        if s.len() == mark + 1 {
            s.truncate(mark);
        } else {
            s.push(')');
        }
    }
}

fn printable(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// Renders a byte buffer in the selected format.
pub fn render_buf(b: &[u8], opts: &RenderOpts) -> String {
    let mut s = String::new();
    push_buf(&mut s, b, opts);
    s
}

fn push_buf(out: &mut String, b: &[u8], opts: &RenderOpts) {
    if opts.buf == BufFormat::Dotted {
        let cut = opts.max_buf > 3 && b.len() > opts.max_buf;
        let shown = if cut { &b[..opts.max_buf - 3] } else { b };
        out.reserve(shown.len() + 3);
        for &c in shown {
            out.push(if printable(c) { c as char } else { '.' });
        }
        if cut {
            out.push_str("...");
        }
        return;
    }
    out.push_str(&render_buf_other(b, opts));
}

fn render_buf_other(b: &[u8], opts: &RenderOpts) -> String {
    // An empty buffer is empty in every layout (no line break to start
    // the -A/-x/-X block), as sysdig prints it.
    if b.is_empty() {
        return String::new();
    }
    match opts.buf {
        BufFormat::Dotted => {
            let mut s: String = b
                .iter()
                .map(|&c| if printable(c) { c as char } else { '.' })
                .collect();
            if opts.max_buf > 3 && s.len() > opts.max_buf {
                s.truncate(opts.max_buf - 3);
                s.push_str("...");
            }
            s
        }
        BufFormat::Ascii => {
            let mut s = String::from("\n");
            for (j, &c) in b.iter().enumerate() {
                if printable(c) {
                    s.push(c as char);
                } else if c == b'\r' || (c == b'\n' && j > 0 && b[j - 1] != b'\r') {
                    s.push('\n');
                }
            }
            s
        }
        BufFormat::Hex | BufFormat::HexAscii => {
            let mut s = String::new();
            for (line, chunk) in b.chunks(16).enumerate() {
                let _ = write!(s, "\n\t0x{:04x}:", line * 16);
                for pair in chunk.chunks(2) {
                    if pair.len() == 2 {
                        let _ = write!(s, " {:02x}{:02x}", pair[0], pair[1]);
                    } else {
                        let _ = write!(s, " {:02x}", pair[0]);
                    }
                }
                if opts.buf == BufFormat::HexAscii {
                    // (A last odd byte is padded as a whole group less the
                    // two digits it lacks: its text starts two columns
                    // early, as in sysdig and tcpdump -X.)
                    let used = chunk.len().div_ceil(2) * 5;
                    s.push_str(&" ".repeat(40 - used));
                    s.push_str("  ");
                    for &c in chunk {
                        s.push(if printable(c) { c as char } else { '.' });
                    }
                }
            }
            s.push('\n');
            s
        }
        BufFormat::Base64 => base64(b),
    }
}

pub fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(b.len().div_ceil(3) * 4);
    for ch in b.chunks(3) {
        let n = (ch[0] as u32) << 16
            | (*ch.get(1).unwrap_or(&0) as u32) << 8
            | *ch.get(2).unwrap_or(&0) as u32;
        s.push(A[(n >> 18) as usize & 63] as char);
        s.push(A[(n >> 12) as usize & 63] as char);
        s.push(if ch.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if ch.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

/// A socket tuple as sysdig prints it.
pub fn tuple_string(t: &SockTuple) -> String {
    tuple_string_as(t, None)
}

/// [`tuple_string`] with the ports named for `proto` (`dig -R`).
pub fn tuple_string_as(t: &SockTuple, proto: Option<Proto>) -> String {
    let port = |p: &u16| services::port_text(*p, proto);
    match t {
        SockTuple::V4 {
            sip,
            sport,
            dip,
            dport,
        } => format!("{sip}:{}->{dip}:{}", port(sport), port(dport)),
        SockTuple::V6 {
            sip,
            sport,
            dip,
            dport,
        } => format!(
            "{}:{}->{}:{}",
            params::ipv6_string(sip),
            port(sport),
            params::ipv6_string(dip),
            port(dport)
        ),
        SockTuple::Unix { src, dst, path } => format!("{src:x}->{dst:x} {path}"),
        SockTuple::Other(f) => format!("family {f}"),
    }
}

fn addr_string(a: &SockAddr, proto: Option<Proto>) -> String {
    match a {
        SockAddr::V4(ip, p) => format!("{ip}:{}", services::port_text(*p, proto)),
        SockAddr::V6(ip, p) => format!(
            "{}:{}",
            params::ipv6_string(ip),
            services::port_text(*p, proto)
        ),
        SockAddr::Unix(p) => p.clone(),
        SockAddr::Other(f) => format!("family {f}"),
    }
}

/// A SOCKADDR or SOCKTUPLE parameter, its ports named for `proto`.
fn push_sock_param(s: &mut String, ptype: u8, b: &[u8], proto: Option<Proto>) {
    let text = if ptype == pt::SOCKTUPLE {
        params::socktuple(b).map(|t| tuple_string_as(&t, proto))
    } else {
        params::sockaddr(b).map(|a| addr_string(&a, proto))
    };
    s.push_str(text.as_deref().unwrap_or("NULL"));
}

/// With `dig -R`, the protocol an event's addresses name their ports for:
/// that of the event's `fd` (TCP or UDP), else any (`None` without `-R`).
fn event_port_proto(ev: &EventRef<'_>, res: &dyn Resolver) -> Option<Proto> {
    if !services::enabled() {
        return None;
    }
    let info = ev.info();
    let fd = info
        .params
        .iter()
        .position(|p| p.name == "fd" && matches!(p.ptype, pt::FD | pt::FD32))
        .and_then(|i| Some((info.params.get(i)?.ptype, ev.param(i)?)))
        .and_then(|(t, b)| params::as_i64(t, b));
    Some(
        match fd
            .and_then(|fd| res.fd_label(ev.tid(), fd))
            .and_then(|l| l.l4)
        {
            Some('t') => Proto::Tcp,
            Some('u') => Proto::Udp,
            _ => Proto::Any,
        },
    )
}

/// The `(resolved)` part of an fd: `<f>/etc/passwd`, `AT_FDCWD`, `ENOENT`.
pub fn fd_resolved(fd: i64, tid: u64, res: &dyn Resolver) -> Option<String> {
    let mut s = String::new();
    push_fd_resolved(&mut s, fd, tid, res, "", "").then_some(s)
}

/// Appends the [`fd_resolved`] text between `open` and `close`; false (and
/// nothing appended) when there is none.
fn push_fd_resolved(
    s: &mut String,
    fd: i64,
    tid: u64,
    res: &dyn Resolver,
    open: &str,
    close: &str,
) -> bool {
    if !res.has_thread(tid) {
        return false;
    }
    if fd >= 0 {
        let Some(l) = res.fd_label(tid, fd) else {
            return false;
        };
        s.push_str(open);
        s.push('<');
        s.push(l.typechar);
        if let Some(c) = l.l4 {
            s.push(c);
        }
        s.push('>');
        s.push_str(&sanitize(l.name));
    } else if fd == -100 {
        s.push_str(open);
        s.push_str("AT_FDCWD");
    } else {
        let Some(n) = errno_name(-fd) else {
            return false;
        };
        s.push_str(open);
        s.push_str(n);
    }
    s.push_str(close);
    true
}

/// Removes control characters (and so escape sequences) from text that
/// will reach a terminal.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    // Fast path: printable ASCII has no control characters.
    if printable_ascii(s.as_bytes()) || !s.chars().any(is_unsafe_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| !is_unsafe_char(c)).collect())
    }
}

/// A char that must not reach a terminal as it is: a control char (C0,
/// DEL, C1: `\u{9b}` starts a CSI sequence on some terminals) or a
/// bidirectional formatting char (`\u{202e}` shows what follows reversed,
/// so a file name can pass for another).
#[inline]
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn reltime_secs(ns: u64) -> String {
    // C's %lg: up to 6 significant digits, no trailing zeros.
    let secs = ns as f64 / 1e9;
    let mut s = format!("{:.6}", secs);
    if let Some(p) = s.find('.') {
        let digits_before = p;
        let keep = 6usize.saturating_sub(if secs >= 1.0 { digits_before } else { 0 });
        s.truncate((p + 1 + keep).min(s.len()));
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// Renders one parameter value as `evt.info` shows it.
pub fn render_param(
    p: &ParamInfo,
    b: &[u8],
    tid: u64,
    res: &dyn Resolver,
    opts: &RenderOpts,
) -> String {
    let mut s = String::new();
    push_param(&mut s, p, b, tid, res, opts);
    s
}

/// A parameter as libsinsp's `evt.arg` fields give it (in filters and
/// `-p`): its resolved text alone where it has one (`<f>/etc/passwd` for an
/// fd, `ENOENT` for an error, `O_RDONLY|O_CLOEXEC` for flags, the full path
/// of a relative one), else its value. `%evt.info` shows both, as
/// `value(resolved)`.
pub fn render_param_resolved(
    p: &ParamInfo,
    b: &[u8],
    tid: u64,
    res: &dyn Resolver,
    opts: &RenderOpts,
) -> String {
    if p.ptype == pt::FSPATH {
        let v = params::as_str_cow(b);
        return match resolved_path(&v, res.cwd(tid)) {
            Some(full) => sanitize(&full).into_owned(),
            None => sanitize(&v).into_owned(),
        };
    }
    let full = render_param(p, b, tid, res, opts);
    // The other resolved types show a number, then the resolved text in
    // parentheses: the number holds no '('. (These are the types
    // `push_param` gives a resolved part; `evt_arg_fields_print_as_sysdig`
    // checks them against sysdig.)
    let numeric = matches!(
        p.ptype,
        pt::FD
            | pt::FD32
            | pt::PID
            | pt::PID32
            | pt::ERRNO
            | pt::UID
            | pt::GID
            | pt::SIGTYPE
            | pt::RELTIME
            | pt::FLAGS8
            | pt::FLAGS16
            | pt::FLAGS32
            | pt::ENUMFLAGS8
            | pt::ENUMFLAGS16
            | pt::ENUMFLAGS32
            | pt::MODE
            | pt::SOCKFAMILY
    );
    match full.split_once('(') {
        Some((_, rest)) if numeric && rest.len() > 1 && rest.ends_with(')') => {
            rest[..rest.len() - 1].to_string()
        }
        _ => full,
    }
}

/// A path parameter with its resolution against `base`:
/// `name(/base/name)`, or the bare (sanitised) value when it is absolute,
/// empty, `<NA>` or there is no base.
fn push_path(s: &mut String, v: &str, base: Option<&str>) {
    s.push_str(&sanitize(v));
    if let Some(full) = resolved_path(v, base) {
        s.push('(');
        s.push_str(&full);
        s.push(')');
    }
}

/// The path a relative `v` names under `base`; `None` when `v` is
/// absolute, empty or `<NA>`, or there is no base.
fn resolved_path(v: &str, base: Option<&str>) -> Option<String> {
    if v.is_empty() || v.starts_with('/') || v == "<NA>" {
        return None;
    }
    base.map(|b| crate::state::parse::concat_path(b, v))
}

/// Appends [`render_param`]'s text to `s`. True when that text may hold
/// characters of the event or the state as they are (a string, a name, a
/// path, a buffer in a layout), which a terminal must not get raw; false
/// when it is digits, names from the tables and sanitized text only.
fn push_param(
    s: &mut String,
    p: &ParamInfo,
    b: &[u8],
    tid: u64,
    res: &dyn Resolver,
    opts: &RenderOpts,
) -> bool {
    match p.ptype {
        pt::FD | pt::FD32 => {
            let Some(fd) = params::as_i64(p.ptype, b) else {
                return false;
            };
            push_i64(s, fd);
            // (The fd's name is sanitized; its type letters are ASCII.)
            push_fd_resolved(s, fd, tid, res, "(", ")");
        }
        pt::PID | pt::PID32 => {
            let Some(v) = params::as_i64(p.ptype, b) else {
                return false;
            };
            push_i64(s, v);
            if v >= 0 {
                if let Some(r) = res.comm(v as u64) {
                    push_resolved(s, r);
                    return true;
                }
            }
        }
        pt::ERRNO => {
            let Some(v) = params::as_i64(p.ptype, b) else {
                return false;
            };
            push_num_i(s, v, p.fmt);
            if v < 0 {
                if let Some(r) = errno_name(-v) {
                    push_resolved(s, r);
                }
            }
        }
        pt::INT8 | pt::INT16 | pt::INT32 | pt::INT64 => {
            if let Some(v) = params::as_i64(p.ptype, b) {
                push_num_i(s, v, p.fmt);
            }
        }
        pt::UINT64 => {
            if let Some(v) = params::as_u64(p.ptype, b) {
                match p.fmt {
                    PrintFmt::Hex | PrintFmt::Oct => push_num_u(s, v, p.fmt),
                    _ => push_i64(s, v as i64),
                }
            }
        }
        // A generic event's syscall, by name (its number if unknown).
        pt::SYSCALLID => {
            if let Some(v) = params::as_u64(p.ptype, b) {
                match u16::try_from(v).ok().and_then(crate::event::syscalls::name) {
                    Some(n) => s.push_str(n),
                    None => push_num_u(s, v, p.fmt),
                }
            }
        }
        pt::UINT8 | pt::UINT16 | pt::UINT32 | pt::PORT | pt::L4PROTO | pt::ABSTIME | pt::BOOL => {
            if let Some(v) = params::as_u64(p.ptype, b) {
                push_num_u(s, v, p.fmt);
            }
        }
        pt::UID | pt::GID => {
            let Some(v) = params::as_u64(p.ptype, b) else {
                return false;
            };
            let v = v as u32;
            if v == u32::MAX {
                s.push_str("-1(<NONE>)");
                return false;
            }
            let name = if p.ptype == pt::UID {
                res.user_name(v)
            } else {
                res.group_name(v)
            };
            push_i64(s, v as i32 as i64);
            s.push('(');
            s.push_str(name.unwrap_or("<NA>"));
            s.push(')');
            return true;
        }
        pt::RELTIME => {
            let v = params::as_u64(p.ptype, b).unwrap_or(0);
            if v == u64::MAX {
                s.push_str("none");
            } else {
                push_u64(s, v);
                s.push('(');
                s.push_str(&reltime_secs(v));
                s.push_str("s)");
            }
        }
        pt::SIGSET => {
            let v = params::as_u64(p.ptype, b).unwrap_or(0);
            let mut first = true;
            for n in (0..32)
                .filter(|i| v & (1 << i) != 0)
                .filter_map(|i| signal_name(i + 1))
            {
                if !first {
                    s.push(' ');
                }
                first = false;
                s.push_str(n);
            }
        }
        pt::SIGTYPE => {
            let v = params::as_u64(p.ptype, b).unwrap_or(0);
            push_u64(s, v);
            if let Some(r) = signal_name(v) {
                push_resolved(s, r);
            }
        }
        pt::FLAGS8
        | pt::FLAGS16
        | pt::FLAGS32
        | pt::ENUMFLAGS8
        | pt::ENUMFLAGS16
        | pt::ENUMFLAGS32
        | pt::MODE
        | pt::SOCKFAMILY => {
            let v = params::as_u64(p.ptype, b).unwrap_or(0);
            match p.extra {
                ParamExtra::Flags(i) => push_flags(s, v, i, p.ptype, p.fmt),
                _ if p.ptype == pt::MODE => push_num_u(s, v, p.fmt),
                _ => push_u64(s, v),
            }
        }
        pt::CHARBUF => {
            s.push_str(&params::as_str_cow(b));
            return true;
        }
        pt::FSPATH | pt::FSRELPATH => {
            let v = params::as_str_cow(b);
            let base = if p.ptype == pt::FSPATH {
                res.cwd(tid)
            } else {
                // FSRELPATH: the dirfd's path unless it is AT_FDCWD.
                None
            };
            push_path(s, &v, base);
            return true;
        }
        pt::BYTEBUF => {
            push_buf(s, b, opts);
            return opts.buf != BufFormat::Dotted;
        }
        pt::SOCKADDR | pt::SOCKTUPLE => {
            push_sock_param(s, p.ptype, b, None);
            return true;
        }
        pt::FDLIST => {
            if !res.has_thread(tid) {
                return false;
            }
            for (k, (fd, fl)) in params::fdlist(b).iter().enumerate() {
                if k > 0 {
                    s.push(' ');
                }
                let _ = match res.fd_label(tid, *fd) {
                    Some(l) => write!(s, "{fd}:{}{fl:x}", l.typechar),
                    None => write!(s, "{fd}:?{fl:x}"),
                };
            }
        }
        pt::IPV4ADDR => {
            if b.len() >= 4 {
                let _ = write!(s, "{}", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]));
            }
        }
        pt::DOUBLE => {
            if let Some(v) = params::u64_at(b, 0) {
                let _ = write!(s, "{:.6}", f64::from_bits(v));
            }
        }
        _ => {
            push_buf(s, b, opts);
            return opts.buf != BufFormat::Dotted;
        }
    }
    false
}

/// `%evt.info`: `name=value ` for every parameter of the event; empty for
/// generic `syscall` events.
pub fn evt_info(ev: &EventRef<'_>, res: &dyn Resolver, opts: &RenderOpts) -> String {
    let mut s = String::with_capacity(128);
    push_evt_info(&mut s, ev, res, opts);
    s
}

/// Appends [`evt_info`]. True when the text appended may need terminal
/// sanitizing: false when it holds nothing but printable ASCII, table
/// names and sanitized text (no char [`is_unsafe_char`]), as most lines
/// do, which spares a look at the whole line. (The parameters that copy
/// text as it is are looked at as they are appended.)
pub fn push_evt_info(
    s: &mut String,
    ev: &EventRef<'_>,
    res: &dyn Resolver,
    opts: &RenderOpts,
) -> bool {
    let info = ev.info();
    if info.id == ids::GENERIC_E || info.id == ids::GENERIC_X {
        return false;
    }
    s.reserve(128);
    let tid = ev.tid();
    let mut unsafe_text = false;
    for (i, b) in ev.params().enumerate() {
        let Some(p) = info.compat_params.get(i) else {
            break;
        };
        s.push_str(&p.name);
        s.push('=');
        let at = s.len();
        let raw = if p.ptype == pt::FSRELPATH {
            push_relpath(s, ev, i, b, res);
            true
        } else if matches!(p.ptype, pt::SOCKTUPLE | pt::SOCKADDR) && services::enabled() {
            // `-R`: ports by name.
            push_sock_param(s, p.ptype, b, event_port_proto(ev, res));
            true
        } else {
            push_param(s, p, b, tid, res, opts)
        };
        if raw && !unsafe_text {
            unsafe_text = !printable_ascii(s.as_bytes().get(at..).unwrap_or_default());
        }
        s.push(' ');
    }
    // (The parameter names come from the event table: printable ASCII,
    // see the test `param_names_are_printable`.)
    unsafe_text
}

/// An FSRELPATH parameter (the `i`th of `ev`) as the `evt.arg` fields give
/// it: resolved against the event's dirfd (or the cwd), the text
/// `%evt.info` shows in parentheses; the value itself when it has none.
pub fn relpath_resolved(ev: &EventRef<'_>, i: usize, b: &[u8], res: &dyn Resolver) -> String {
    let v = params::as_str_cow(b);
    let full = if v.is_empty() || v.starts_with('/') || v == "<NA>" {
        None
    } else {
        resolved_path(&v, relpath_base(ev, i, res))
    };
    sanitize(full.as_deref().unwrap_or(&v)).into_owned()
}

/// FSRELPATH: resolved against the event's dirfd parameter (or the cwd).
fn push_relpath(s: &mut String, ev: &EventRef<'_>, i: usize, b: &[u8], res: &dyn Resolver) {
    let v = params::as_str_cow(b);
    if v.is_empty() || v.starts_with('/') || v == "<NA>" {
        s.push_str(&sanitize(&v));
        return;
    }
    push_path(s, &v, relpath_base(ev, i, res));
}

/// The directory the FSRELPATH parameter `i` of `ev` is relative to: that
/// of the nearest fd parameter before it (dirfd, olddir, newdir...), or the
/// cwd for AT_FDCWD.
fn relpath_base<'r>(ev: &EventRef<'_>, i: usize, res: &'r dyn Resolver) -> Option<&'r str> {
    let info = ev.info();
    let dirfd = (0..i)
        .rev()
        .find(|&j| {
            matches!(
                info.params.get(j).map(|p| p.ptype),
                Some(pt::FD) | Some(pt::FD32)
            ) && info.params[j].name != "fd"
        })
        .and_then(|di| {
            ev.param(di)
                .and_then(|db| params::as_i64(info.params[di].ptype, db))
        });
    match dirfd {
        Some(fd) if fd != -100 => res.fd_label(ev.tid(), fd).map(|l| l.name),
        _ => res.cwd(ev.tid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_is_the_bytewise_check() {
        let slow = |b: &[u8]| b.iter().all(|&c| (0x20..0x7f).contains(&c));
        let mut bytes: Vec<u8> = (0x20..0x7f).collect();
        for bad in [0u8, 0x1f, 0x7f, 0x80, 0xff, b'\n', 0x20, 0x7e] {
            for at in 0..bytes.len().min(40) {
                for len in [at + 1, at + 8, at + 17, bytes.len()] {
                    let mut b = bytes.clone();
                    b[at] = bad;
                    let b = &b[..len.min(b.len())];
                    assert_eq!(printable_ascii(b), slow(b), "{bad:#x} at {at} of {len}");
                    // Every alignment of the eight-byte words.
                    for skip in 1..8.min(b.len()) {
                        assert_eq!(printable_ascii(&b[skip..]), slow(&b[skip..]));
                    }
                }
            }
        }
        bytes.clear();
        assert!(printable_ascii(&bytes));
    }

    /// `push_evt_info` appends the parameter names, and the names of
    /// flags, errnos, signals and syscalls, without a look at them (its
    /// line is only sanitized when a raw parameter was appended).
    #[test]
    fn names_appended_unchecked_are_printable() {
        let t = table();
        for id in 0..=u16::MAX {
            let info = t.get(id);
            for p in info.compat_params.iter().chain(info.params.iter()) {
                assert!(
                    printable_ascii(p.name.as_bytes()),
                    "{}: {:?}",
                    info.name,
                    p.name
                );
            }
            if let Some(n) = crate::event::syscalls::name(id) {
                assert!(printable_ascii(n.as_bytes()), "syscall {id}: {n:?}");
            }
        }
        for ft in &t.flag_tables {
            for &(n, _) in &ft.entries {
                assert!(printable_ascii(n.as_bytes()), "flag {n:?}");
            }
        }
        for e in 0..200 {
            let n = errno_name(e).unwrap_or_default();
            assert!(printable_ascii(n.as_bytes()), "errno {e}: {n:?}");
        }
        for sig in 0..64 {
            let n = signal_name(sig).unwrap_or_default();
            assert!(printable_ascii(n.as_bytes()), "signal {sig}: {n:?}");
        }
    }

    #[test]
    fn decimal_digits() {
        let mut s = String::new();
        // Every power of ten, one either side (the digit-pair branches
        // turn at 10^2, 10^4, 10^6, 10^8 and 10^16), and a few others.
        let mut values = vec![0u64, 12345, u64::MAX - 1, u64::MAX];
        for k in 0..20 {
            let p = 10u64.pow(k);
            values.extend([p - 1, p, p + 1]);
        }
        for v in values {
            for width in [1usize, 2, 3, 9, 20] {
                s.clear();
                push_decimal(&mut s, v, width);
                assert_eq!(s, format!("{v:0width$}"), "{v} {width}");
            }
            if let Ok(small) = u32::try_from(v).and_then(|v| {
                if v < 1_000_000_000 {
                    Ok(v)
                } else {
                    u32::try_from(u64::MAX)
                }
            }) {
                s.clear();
                push_nine(&mut s, small);
                assert_eq!(s, format!("{v:09}"));
            }
            s.clear();
            push_u64(&mut s, v);
            assert_eq!(s, v.to_string());
            s.clear();
            push_i64(&mut s, v as i64);
            assert_eq!(s, (v as i64).to_string());
        }
    }
    use crate::event::build_event;

    struct OneFd;
    impl Resolver for OneFd {
        fn fd_label(&self, _: u64, fd: i64) -> Option<FdLabel<'_>> {
            (fd == 3).then_some(FdLabel {
                typechar: 'f',
                l4: None,
                name: "/etc/passwd",
            })
        }
        fn comm(&self, _: u64) -> Option<&str> {
            None
        }
        fn has_thread(&self, _: u64) -> bool {
            true
        }
        fn cwd(&self, _: u64) -> Option<&str> {
            Some("/")
        }
        fn user_name(&self, _: u32) -> Option<&str> {
            None
        }
        fn group_name(&self, _: u32) -> Option<&str> {
            None
        }
    }

    #[test]
    fn openat_line() {
        let ev = build_event(
            1,
            7,
            307,
            &[
                &3i64.to_le_bytes(),
                &(-100i64).to_le_bytes(),
                b"/etc/passwd\0",
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &0x801u32.to_le_bytes(),
            ],
        );
        let e = EventRef::new(0, 0, &ev).expect("valid");
        assert_eq!(
            evt_info(&e, &OneFd, &RenderOpts::default()),
            "fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd flags=1(O_RDONLY) mode=0 dev=801 "
        );
    }

    #[test]
    fn flags_and_errno() {
        let t = table();
        let ff = t
            .flag_tables
            .iter()
            .position(|f| f.name == "file_flags")
            .expect("table");
        assert_eq!(
            render_flags(4097, ff, pt::FLAGS32, PrintFmt::Hex),
            "4097(O_RDONLY|O_CLOEXEC)"
        );
        assert_eq!(errno_name(2), Some("ENOENT"));
        assert_eq!(base64(b"hello"), "aGVsbG8=");
    }
}
