//! Rendering of parameters and of `%evt.info` as sysdig prints them.

use std::fmt::Write as _;

use super::params::{self, SockAddr, SockTuple};
use super::table::{pt, table, ParamExtra, ParamInfo, PrintFmt};
use super::EventRef;

/// What rendering needs to know from state: fd labels and thread names.
pub trait Resolver {
    /// `(typechar, name)` of `fd` in `tid`'s process.
    fn fd_label(&self, tid: u64, fd: i64) -> Option<(char, &str)>;
    /// comm of a thread.
    fn comm(&self, tid: u64) -> Option<&str>;
}

/// A resolver that knows nothing.
pub struct NoState;
impl Resolver for NoState {
    fn fd_label(&self, _: u64, _: i64) -> Option<(char, &str)> {
        None
    }
    fn comm(&self, _: u64) -> Option<&str> {
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

fn fmt_num_u(v: u64, fmt: PrintFmt) -> String {
    match fmt {
        PrintFmt::Hex => format!("{v:X}"),
        PrintFmt::Oct => {
            if v == 0 {
                "0".into()
            } else {
                format!("0{v:o}")
            }
        }
        _ => v.to_string(),
    }
}

fn fmt_num_i(v: i64, fmt: PrintFmt) -> String {
    match fmt {
        PrintFmt::Hex => format!("{:X}", v as u64),
        PrintFmt::Oct => fmt_num_u(v as u64, fmt),
        _ => v.to_string(),
    }
}

/// Renders a flags value with its table: `4097(O_RDONLY|O_CLOEXEC)`.
pub fn render_flags(v: u64, table_idx: usize, ptype: u8, fmt: PrintFmt) -> String {
    let Some(ft) = table().flag_tables.get(table_idx) else {
        return fmt_num_u(v, fmt);
    };
    let is_enum = matches!(ptype, pt::ENUMFLAGS8 | pt::ENUMFLAGS16 | pt::ENUMFLAGS32);
    let mut names: Vec<&str> = Vec::new();
    let mut rest = v;
    if is_enum {
        if let Some((n, _)) = ft.entries.iter().find(|(_, fv)| *fv as u64 == v) {
            names.push(n);
        }
    } else {
        for (n, fv) in &ft.entries {
            let fv = *fv as u64;
            if fv == 0 {
                if v == 0 && names.is_empty() {
                    names.push(n);
                }
                continue;
            }
            if rest & fv == fv && v & fv == fv {
                names.push(n);
                rest &= !fv;
            }
        }
    }
    // sysdig prints flag values in decimal whatever the print format.
    let _ = fmt;
    let num = v.to_string();
    if names.is_empty() {
        num
    } else {
        format!("{}({})", num, names.join("|"))
    }
}

/// Renders a byte buffer.
pub fn render_buf(b: &[u8], opts: &RenderOpts) -> String {
    let b = &b[..b.len().min(opts.max_buf)];
    match opts.buf {
        BufFormat::Dotted => b
            .iter()
            .map(|&c| {
                if (32..127).contains(&c) {
                    c as char
                } else {
                    '.'
                }
            })
            .collect(),
        BufFormat::Ascii => b
            .iter()
            .map(|&c| {
                if (32..127).contains(&c) || c == b'\n' || c == b'\t' {
                    c as char
                } else {
                    '.'
                }
            })
            .collect(),
        BufFormat::Hex | BufFormat::HexAscii => {
            let mut s = String::new();
            for (line, chunk) in b.chunks(16).enumerate() {
                let _ = write!(s, "\n\t0x{:04x}:", line * 16);
                for pair in chunk.chunks(2) {
                    s.push(' ');
                    for c in pair {
                        let _ = write!(s, "{c:02x}");
                    }
                }
                if opts.buf == BufFormat::HexAscii {
                    let pad = 40 - (chunk.len() * 2 + chunk.len().div_ceil(2));
                    s.push_str(&" ".repeat(pad + 2));
                    for &c in chunk {
                        s.push(if (32..127).contains(&c) {
                            c as char
                        } else {
                            '.'
                        });
                    }
                }
            }
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

fn tuple_string(t: &SockTuple) -> String {
    match t {
        SockTuple::V4 {
            sip,
            sport,
            dip,
            dport,
        } => format!("{sip}:{sport}->{dip}:{dport}"),
        SockTuple::V6 {
            sip,
            sport,
            dip,
            dport,
        } => format!(
            "{}:{}->{}:{}",
            params::ipv6_string(sip),
            sport,
            params::ipv6_string(dip),
            dport
        ),
        SockTuple::Unix { src, dst, path } => format!("{src:x}->{dst:x} {path}"),
        SockTuple::Other(f) => f.to_string(),
    }
}

fn addr_string(a: &SockAddr) -> String {
    match a {
        SockAddr::V4(ip, port) => format!("{ip}:{port}"),
        SockAddr::V6(ip, port) => format!("{}:{}", params::ipv6_string(ip), port),
        SockAddr::Unix(p) => p.clone(),
        SockAddr::Other(f) => f.to_string(),
    }
}

/// Renders one parameter value as `evt.info` shows it.
pub fn render_param(
    p: &ParamInfo,
    b: &[u8],
    tid: u64,
    res: &dyn Resolver,
    opts: &RenderOpts,
) -> String {
    match p.ptype {
        pt::FD | pt::FD32 => {
            let Some(fd) = params::as_i64(p.ptype, b) else {
                return String::new();
            };
            if fd == -100 {
                return "-100(AT_FDCWD)".into();
            }
            if fd < 0 {
                return fd.to_string();
            }
            match res.fd_label(tid, fd) {
                Some((c, name)) => format!("{fd}(<{c}>{name})"),
                None => fd.to_string(),
            }
        }
        pt::PID | pt::PID32 => {
            let Some(v) = params::as_i64(p.ptype, b) else {
                return String::new();
            };
            match (v >= 0).then(|| res.comm(v as u64)).flatten() {
                Some(c) => format!("{v}({c})"),
                None => v.to_string(),
            }
        }
        pt::ERRNO => {
            let Some(v) = params::as_i64(p.ptype, b) else {
                return String::new();
            };
            match (v < 0).then(|| errno_name(-v)).flatten() {
                Some(n) => format!("{v}({n})"),
                None => v.to_string(),
            }
        }
        pt::INT8 | pt::INT16 | pt::INT32 | pt::INT64 => params::as_i64(p.ptype, b)
            .map(|v| fmt_num_i(v, p.fmt))
            .unwrap_or_default(),
        pt::UINT8
        | pt::UINT16
        | pt::UINT32
        | pt::UINT64
        | pt::UID
        | pt::GID
        | pt::SYSCALLID
        | pt::PORT
        | pt::L4PROTO
        | pt::RELTIME
        | pt::ABSTIME
        | pt::SIGSET
        | pt::BOOL => params::as_u64(p.ptype, b)
            .map(|v| fmt_num_u(v, p.fmt))
            .unwrap_or_default(),
        pt::SIGTYPE => {
            let v = params::as_u64(p.ptype, b).unwrap_or(0);
            match signal_name(v) {
                Some(n) => format!("{v}({n})"),
                None => v.to_string(),
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
            match &p.extra {
                ParamExtra::Flags(i) => render_flags(v, *i, p.ptype, p.fmt),
                _ => fmt_num_u(v, p.fmt),
            }
        }
        pt::CHARBUF | pt::FSPATH | pt::FSRELPATH => params::as_str(b),
        pt::BYTEBUF => render_buf(b, opts),
        pt::SOCKADDR => params::sockaddr(b)
            .map(|a| addr_string(&a))
            .unwrap_or_else(|| "NULL".into()),
        pt::SOCKTUPLE => params::socktuple(b)
            .map(|t| tuple_string(&t))
            .unwrap_or_else(|| "NULL".into()),
        pt::FDLIST => params::fdlist(b)
            .iter()
            .map(|(fd, fl)| format!("{fd}:{fl}"))
            .collect::<Vec<_>>()
            .join(" "),
        pt::IPV4ADDR => {
            if b.len() >= 4 {
                std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()
            } else {
                String::new()
            }
        }
        pt::DOUBLE => params::u64_at(b, 0)
            .map(|v| format!("{:.6}", f64::from_bits(v)))
            .unwrap_or_default(),
        _ => render_buf(b, opts),
    }
}

/// `%evt.info`: `name=value ` for every parameter of the event.
pub fn evt_info(ev: &EventRef<'_>, res: &dyn Resolver, opts: &RenderOpts) -> String {
    let info = ev.info();
    let mut s = String::new();
    for (i, b) in ev.params().enumerate() {
        let Some(p) = info.params.get(i) else {
            break;
        };
        s.push_str(&p.name);
        s.push('=');
        s.push_str(&render_param(p, b, ev.tid(), res, opts));
        s.push(' ');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::build_event;

    struct OneFd;
    impl Resolver for OneFd {
        fn fd_label(&self, _: u64, fd: i64) -> Option<(char, &str)> {
            (fd == 3).then_some(('f', "/etc/passwd"))
        }
        fn comm(&self, _: u64) -> Option<&str> {
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
