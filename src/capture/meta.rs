//! Capture metadata: the process, fd, user/group, interface and machine
//! blocks of a `.scap` file, or their procfs equivalents for a live capture.
//! Plain data; `state` builds its tables from it, the writer writes it out.

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
    /// argv without argv[0]... as libscap stores it: NUL-separated list.
    pub args: Vec<String>,
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
    pub env: Vec<String>,
    pub vtid: i64,
    pub vpid: i64,
    /// `subsys=path` entries.
    pub cgroups: Vec<String>,
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
