//! Seeding state from the running system: `/proc`, `/proc/net/*`,
//! `/etc/passwd` and `/etc/group`. Produces the same plain metadata a
//! capture file carries, so both paths build state the same way.

use std::collections::HashMap;
use std::net::IpAddr;

use procfs::process::{FDTarget, Process};

use crate::capture::meta::{
    CaptureMeta, FdEntry, FdInfo, FdType, GroupEntry, ProcEntry, UserEntry,
};

use super::fds::l4;

/// Socket endpoints by inode, from /proc/net.
type SockMap = HashMap<u64, FdInfo>;

fn sockets() -> SockMap {
    let mut m = SockMap::new();
    let v4 = |a: IpAddr| match a {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => [0; 4],
    };
    let v6 = |a: IpAddr| match a {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
    };
    let tcp = procfs::net::tcp()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e, l4::TCP, false));
    let udp = procfs::net::udp()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e, l4::UDP, false));
    let tcp6 = procfs::net::tcp6()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e, l4::TCP, true));
    let udp6 = procfs::net::udp6()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e, l4::UDP, true));
    for (e, proto, _is6) in tcp.chain(tcp6) {
        let listening = e.state == procfs::net::TcpState::Listen;
        insert_sock(
            &mut m,
            e.inode,
            e.local_address,
            e.remote_address,
            proto,
            listening,
            v4,
            v6,
        );
    }
    for (e, proto, _is6) in udp.chain(udp6) {
        let unconnected = e.remote_address.port() == 0;
        insert_sock(
            &mut m,
            e.inode,
            e.local_address,
            e.remote_address,
            proto,
            unconnected,
            v4,
            v6,
        );
    }
    for e in procfs::net::unix().unwrap_or_default() {
        let path = e
            .path
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        m.insert(
            e.inode,
            FdInfo::Unix {
                source: 0,
                dest: 0,
                path,
            },
        );
    }
    m
}

#[allow(clippy::too_many_arguments)]
fn insert_sock(
    m: &mut SockMap,
    inode: u64,
    local: std::net::SocketAddr,
    remote: std::net::SocketAddr,
    proto: u8,
    server: bool,
    v4: impl Fn(IpAddr) -> [u8; 4],
    v6: impl Fn(IpAddr) -> [u8; 16],
) {
    let info = match (local.ip(), server) {
        (IpAddr::V4(_), true) => FdInfo::Ipv4Server {
            ip: v4(local.ip()),
            port: local.port(),
            l4proto: proto,
        },
        (IpAddr::V6(_), true) => FdInfo::Ipv6Server {
            ip: v6(local.ip()),
            port: local.port(),
            l4proto: proto,
        },
        (IpAddr::V4(_), false) => FdInfo::Ipv4 {
            sip: v4(local.ip()),
            dip: v4(remote.ip()),
            sport: local.port(),
            dport: remote.port(),
            l4proto: proto,
        },
        (IpAddr::V6(_), false) => FdInfo::Ipv6 {
            sip: v6(local.ip()),
            dip: v6(remote.ip()),
            sport: local.port(),
            dport: remote.port(),
            l4proto: proto,
        },
    };
    m.insert(inode, info);
}

fn fd_entries(p: &Process, tid: u64, socks: &SockMap) -> Vec<FdEntry> {
    let Ok(fds) = p.fd() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for fd in fds.flatten() {
        let fdn = fd.fd as i64;
        let (ftype, info, ino) = match &fd.target {
            FDTarget::Path(path) => {
                let name = path.to_string_lossy().into_owned();
                let ftype = if path.is_dir() {
                    FdType::Directory
                } else {
                    FdType::File
                };
                (
                    ftype,
                    FdInfo::Named {
                        name,
                        open_flags: 0,
                        dev: 0,
                    },
                    0,
                )
            }
            FDTarget::Socket(ino) => match socks.get(ino) {
                Some(info) => {
                    let t = match info {
                        FdInfo::Ipv4 { .. } => FdType::Ipv4Sock,
                        FdInfo::Ipv6 { .. } => FdType::Ipv6Sock,
                        FdInfo::Ipv4Server { .. } => FdType::Ipv4ServSock,
                        FdInfo::Ipv6Server { .. } => FdType::Ipv6ServSock,
                        FdInfo::Unix { .. } => FdType::UnixSock,
                        _ => FdType::Unknown,
                    };
                    (t, info.clone(), *ino)
                }
                None => (FdType::UnixSock, FdInfo::None, *ino),
            },
            FDTarget::Pipe(ino) => (
                FdType::Fifo,
                FdInfo::Named {
                    name: String::new(),
                    open_flags: 0,
                    dev: 0,
                },
                *ino,
            ),
            FDTarget::AnonInode(kind) => {
                let t = match kind.as_str() {
                    "[eventfd]" => FdType::Event,
                    "[signalfd]" => FdType::Signalfd,
                    "[eventpoll]" => FdType::Eventpoll,
                    "inotify" => FdType::Inotify,
                    "[timerfd]" => FdType::Timerfd,
                    "bpf-map" | "bpf-prog" | "bpf_link" => FdType::Bpf,
                    "[userfaultfd]" => FdType::Userfaultfd,
                    "[io_uring]" => FdType::Iouring,
                    "[pidfd]" => FdType::Pidfd,
                    _ => FdType::Unknown,
                };
                (
                    t,
                    FdInfo::Named {
                        name: String::new(),
                        open_flags: 0,
                        dev: 0,
                    },
                    0,
                )
            }
            FDTarget::MemFD(name) => (
                FdType::Memfd,
                FdInfo::Named {
                    name: name.clone(),
                    open_flags: 0,
                    dev: 0,
                },
                0,
            ),
            FDTarget::Net(ino) => (FdType::Netlink, FdInfo::None, *ino),
            FDTarget::Other(_, ino) => (FdType::Unknown, FdInfo::None, *ino),
        };
        out.push(FdEntry {
            tid,
            fd: fdn,
            ino,
            ftype,
            info,
        });
    }
    out
}

fn boot_time_ns() -> u64 {
    procfs::boot_time_secs().unwrap_or(0) * 1_000_000_000
}

fn proc_entry(p: &Process, tid: u64, boot_ns: u64) -> Option<ProcEntry> {
    let stat = p.stat().ok()?;
    let status = p.status().ok();
    let cmdline = p.cmdline().unwrap_or_default();
    // Kernel threads have no command line: like libscap, their exe (and
    // so proc.name and the Command column) is the comm.
    let exe = match cmdline.first() {
        Some(e) if !e.is_empty() => e.clone(),
        _ => stat.comm.clone(),
    };
    let tps = procfs::ticks_per_second().max(1);
    let start_ts = boot_ns + stat.starttime * 1_000_000_000 / tps;
    let cgroups = p
        .cgroups()
        .map(|cg| {
            cg.0.iter()
                .map(|c| {
                    let sub = if c.controllers.is_empty() {
                        String::new()
                    } else {
                        c.controllers.join(",")
                    };
                    format!("{}={}", sub, c.pathname)
                })
                .collect()
        })
        .unwrap_or_default();
    let (uid, gid) = status.as_ref().map(|s| (s.euid, s.egid)).unwrap_or((0, 0));
    let pid = status.as_ref().map(|s| s.tgid as u64).unwrap_or(tid);
    let env = p
        .environ()
        .map(|e| {
            e.iter()
                .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    Some(ProcEntry {
        tid,
        pid,
        ptid: stat.ppid.max(0) as u64,
        sid: stat.session.max(0) as u64,
        vpgid: stat.pgrp.max(0) as u64,
        pgid: stat.pgrp as i64,
        comm: stat.comm.clone(),
        exe,
        exepath: p
            .exe()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default(),
        args: cmdline.into_iter().skip(1).collect(),
        cwd: p
            .cwd()
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default(),
        fdlimit: p
            .limits()
            .ok()
            .and_then(|l| match l.max_open_files.soft_limit {
                procfs::process::LimitValue::Value(v) => Some(v),
                procfs::process::LimitValue::Unlimited => None,
            })
            .unwrap_or(0),
        uid,
        gid,
        vmsize_kb: (stat.vsize / 1024) as u32,
        vmrss_kb: (stat.rss * procfs::page_size() / 1024) as u32,
        pfmajor: stat.majflt,
        pfminor: stat.minflt,
        env,
        vtid: status
            .as_ref()
            .and_then(|s| s.nspid.as_ref().and_then(|v| v.last().copied()))
            .unwrap_or(tid as i32) as i64,
        vpid: status
            .as_ref()
            .and_then(|s| s.nstgid.as_ref().and_then(|v| v.last().copied()))
            .unwrap_or(pid as i32) as i64,
        cgroups,
        root: p
            .root()
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default(),
        tty: stat.tty_nr as u32,
        loginuid: p.loginuid().unwrap_or(u32::MAX),
        cap_effective: status.as_ref().map(|s| s.capeff).unwrap_or(0),
        cap_permitted: status.as_ref().map(|s| s.capprm).unwrap_or(0),
        cap_inheritable: status.as_ref().map(|s| s.capinh).unwrap_or(0),
        start_ts,
        ..Default::default()
    })
}

/// One thread (and its process's fds) read from /proc, for threads that
/// appear in events before we knew them.
pub fn read_thread(tid: u64) -> Option<(ProcEntry, Vec<FdEntry>)> {
    let p = Process::new(tid as i32).ok()?;
    let e = proc_entry(&p, tid, boot_time_ns())?;
    let main = Process::new(e.pid as i32).ok();
    let fds = main
        .map(|m| fd_entries(&m, e.pid, &sockets()))
        .unwrap_or_default();
    Some((e, fds))
}

/// Every thread, fd, user and group of the running system.
pub fn snapshot() -> CaptureMeta {
    let mut meta = CaptureMeta::default();
    let socks = sockets();
    let boot_ns = boot_time_ns();
    if let Ok(all) = procfs::process::all_processes() {
        for p in all.flatten() {
            let pid = p.pid() as u64;
            let Some(main) = proc_entry(&p, pid, boot_ns) else {
                continue;
            };
            meta.fds.extend(fd_entries(&p, pid, &socks));
            if let Ok(tasks) = p.tasks() {
                for t in tasks.flatten() {
                    let tid = t.tid as u64;
                    if tid == pid {
                        continue;
                    }
                    let mut e = main.clone();
                    e.tid = tid;
                    if let Ok(st) = t.stat() {
                        e.comm = st.comm;
                    }
                    meta.procs.push(e);
                }
            }
            meta.procs.push(main);
        }
    }
    let (users, groups) = users_and_groups();
    meta.users = users;
    meta.groups = groups;
    meta
}

/// Users from /etc/passwd and groups from /etc/group.
pub fn users_and_groups() -> (Vec<UserEntry>, Vec<GroupEntry>) {
    let users = std::fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(UserEntry {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                homedir: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect();
    let groups = std::fs::read_to_string("/etc/group")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 3 {
                return None;
            }
            Some(GroupEntry {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
            })
        })
        .collect();
    (users, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_self() {
        let me = std::process::id() as u64;
        let (e, fds) = read_thread(me).expect("own process readable");
        assert_eq!(e.pid, me);
        assert!(!e.comm.is_empty());
        assert!(fds.iter().any(|f| f.fd == 0 || f.fd == 1 || f.fd == 2));
        let (users, _) = users_and_groups();
        assert!(users.iter().any(|u| u.uid == 0 && u.name == "root"));
    }
}
