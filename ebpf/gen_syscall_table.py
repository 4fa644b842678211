#!/usr/bin/env python3
"""Generates ebpf/syscall_table.h: x86_64 syscall number -> (PPME enter event
id of the version sysdig 0.29.3 knows, libscap PPM_SC_* code).

Inputs: the kernel uapi header (asm/unistd_64.h), assets/event-table.json
(libscap event table) and the PPM_SC_* list below (libscap's append-only
`enum ppm_syscall_code` as of mid-2022). Run from the repository root:

    python3 ebpf/gen_syscall_table.py > ebpf/syscall_table.h

Every syscall listed in FULL has a dedicated filler in probe.bpf.c; any other
syscall is sent as the generic event (PPME_GENERIC_E/X 0/1).
"""
import json
import re
import sys

# syscall name -> enter event enum (exit = enter + 1). Only syscalls that
# probe.bpf.c has fillers for.
FULL = {
    "open": "PPME_SYSCALL_OPEN_E",
    "openat": "PPME_SYSCALL_OPENAT_2_E",
    "openat2": "PPME_SYSCALL_OPENAT2_E",
    "creat": "PPME_SYSCALL_CREAT_E",
    "close": "PPME_SYSCALL_CLOSE_E",
    "read": "PPME_SYSCALL_READ_E",
    "write": "PPME_SYSCALL_WRITE_E",
    "pread64": "PPME_SYSCALL_PREAD_E",
    "pwrite64": "PPME_SYSCALL_PWRITE_E",
    "readv": "PPME_SYSCALL_READV_E",
    "writev": "PPME_SYSCALL_WRITEV_E",
    "preadv": "PPME_SYSCALL_PREADV_E",
    "pwritev": "PPME_SYSCALL_PWRITEV_E",
    "sendfile": "PPME_SYSCALL_SENDFILE_E",
    "dup": "PPME_SYSCALL_DUP_E",
    "dup2": "PPME_SYSCALL_DUP_E",
    "dup3": "PPME_SYSCALL_DUP_E",
    "pipe": "PPME_SYSCALL_PIPE_E",
    "pipe2": "PPME_SYSCALL_PIPE_E",
    "socket": "PPME_SOCKET_SOCKET_E",
    "socketpair": "PPME_SOCKET_SOCKETPAIR_E",
    "connect": "PPME_SOCKET_CONNECT_E",
    "accept": "PPME_SOCKET_ACCEPT_5_E",
    "accept4": "PPME_SOCKET_ACCEPT4_5_E",
    "bind": "PPME_SOCKET_BIND_E",
    "listen": "PPME_SOCKET_LISTEN_E",
    "sendto": "PPME_SOCKET_SENDTO_E",
    "recvfrom": "PPME_SOCKET_RECVFROM_E",
    "sendmsg": "PPME_SOCKET_SENDMSG_E",
    "recvmsg": "PPME_SOCKET_RECVMSG_E",
    "shutdown": "PPME_SOCKET_SHUTDOWN_E",
    "getsockname": "PPME_SOCKET_GETSOCKNAME_E",
    "getpeername": "PPME_SOCKET_GETPEERNAME_E",
    "execve": "PPME_SYSCALL_EXECVE_19_E",
    "execveat": "PPME_SYSCALL_EXECVEAT_E",
    "clone": "PPME_SYSCALL_CLONE_20_E",
    "clone3": "PPME_SYSCALL_CLONE3_E",
    "fork": "PPME_SYSCALL_FORK_20_E",
    "vfork": "PPME_SYSCALL_VFORK_20_E",
    "kill": "PPME_SYSCALL_KILL_E",
    "tkill": "PPME_SYSCALL_TKILL_E",
    "tgkill": "PPME_SYSCALL_TGKILL_E",
    "unlink": "PPME_SYSCALL_UNLINK_2_E",
    "unlinkat": "PPME_SYSCALL_UNLINKAT_2_E",
    "rename": "PPME_SYSCALL_RENAME_E",
    "renameat": "PPME_SYSCALL_RENAMEAT_E",
    "renameat2": "PPME_SYSCALL_RENAMEAT2_E",
    "mkdir": "PPME_SYSCALL_MKDIR_2_E",
    "mkdirat": "PPME_SYSCALL_MKDIRAT_E",
    "rmdir": "PPME_SYSCALL_RMDIR_2_E",
    "chdir": "PPME_SYSCALL_CHDIR_E",
    "fchdir": "PPME_SYSCALL_FCHDIR_E",
    "chmod": "PPME_SYSCALL_CHMOD_E",
    "fchmodat": "PPME_SYSCALL_FCHMODAT_E",
    "fchmod": "PPME_SYSCALL_FCHMOD_E",
    "symlink": "PPME_SYSCALL_SYMLINK_E",
    "symlinkat": "PPME_SYSCALL_SYMLINKAT_E",
    "link": "PPME_SYSCALL_LINK_2_E",
    "linkat": "PPME_SYSCALL_LINKAT_2_E",
    "setuid": "PPME_SYSCALL_SETUID_E",
    "setgid": "PPME_SYSCALL_SETGID_E",
    "setresuid": "PPME_SYSCALL_SETRESUID_E",
    "setresgid": "PPME_SYSCALL_SETRESGID_E",
    "getuid": "PPME_SYSCALL_GETUID_E",
    "geteuid": "PPME_SYSCALL_GETEUID_E",
    "getgid": "PPME_SYSCALL_GETGID_E",
    "getegid": "PPME_SYSCALL_GETEGID_E",
    "setns": "PPME_SYSCALL_SETNS_E",
    "unshare": "PPME_SYSCALL_UNSHARE_E",
    "ptrace": "PPME_SYSCALL_PTRACE_E",
    "mmap": "PPME_SYSCALL_MMAP_E",
    "munmap": "PPME_SYSCALL_MUNMAP_E",
    "mprotect": "PPME_SYSCALL_MPROTECT_E",
    "brk": "PPME_SYSCALL_BRK_4_E",
    "mount": "PPME_SYSCALL_MOUNT_E",
    "umount2": "PPME_SYSCALL_UMOUNT_E",
    "bpf": "PPME_SYSCALL_BPF_E",
    "ioctl": "PPME_SYSCALL_IOCTL_3_E",
    "poll": "PPME_SYSCALL_POLL_E",
    "epoll_wait": "PPME_SYSCALL_EPOLLWAIT_E",
    "select": "PPME_SYSCALL_SELECT_E",
    "nanosleep": "PPME_SYSCALL_NANOSLEEP_E",
    "futex": "PPME_SYSCALL_FUTEX_E",
    "fcntl": "PPME_SYSCALL_FCNTL_E",
    "lseek": "PPME_SYSCALL_LSEEK_E",
    "getcwd": "PPME_SYSCALL_GETCWD_E",
    "stat": "PPME_SYSCALL_STAT_E",
    "lstat": "PPME_SYSCALL_LSTAT_E",
    "fstat": "PPME_SYSCALL_FSTAT_E",
    "access": "PPME_SYSCALL_ACCESS_E",
    "chroot": "PPME_SYSCALL_CHROOT_E",
    "setsid": "PPME_SYSCALL_SETSID_E",
    "setpgid": "PPME_SYSCALL_SETPGID_E",
    "getdents": "PPME_SYSCALL_GETDENTS_E",
    "getdents64": "PPME_SYSCALL_GETDENTS64_E",
    "flock": "PPME_SYSCALL_FLOCK_E",
    "eventfd": "PPME_SYSCALL_EVENTFD_E",
    "eventfd2": "PPME_SYSCALL_EVENTFD_E",
    "signalfd": "PPME_SYSCALL_SIGNALFD_E",
    "signalfd4": "PPME_SYSCALL_SIGNALFD_E",
    "timerfd_create": "PPME_SYSCALL_TIMERFD_CREATE_E",
    "inotify_init": "PPME_SYSCALL_INOTIFY_INIT_E",
    "inotify_init1": "PPME_SYSCALL_INOTIFY_INIT_E",
    "prlimit64": "PPME_SYSCALL_PRLIMIT_E",
    "getrlimit": "PPME_SYSCALL_GETRLIMIT_E",
    "setrlimit": "PPME_SYSCALL_SETRLIMIT_E",
    "userfaultfd": "PPME_SYSCALL_USERFAULTFD_E",
    "copy_file_range": "PPME_SYSCALL_COPY_FILE_RANGE_E",
    "splice": "PPME_SYSCALL_SPLICE_E",
    "seccomp": "PPME_SYSCALL_SECCOMP_E",
}

# libscap `enum ppm_syscall_code` (append-only list; index = code).
PPM_SC = """UNKNOWN RESTART_SYSCALL EXIT READ WRITE OPEN CLOSE CREAT LINK UNLINK CHDIR TIME MKNOD
CHMOD STAT LSEEK GETPID MOUNT PTRACE ALARM FSTAT PAUSE UTIME ACCESS SYNC KILL RENAME MKDIR RMDIR
DUP PIPE TIMES BRK ACCT IOCTL FCNTL SETPGID UMASK CHROOT USTAT DUP2 GETPPID GETPGRP SETSID
SETHOSTNAME SETRLIMIT GETRUSAGE GETTIMEOFDAY SETTIMEOFDAY SYMLINK LSTAT READLINK USELIB SWAPON
REBOOT MMAP MUNMAP TRUNCATE FTRUNCATE FCHMOD GETPRIORITY SETPRIORITY STATFS FSTATFS SYSLOG
SETITIMER GETITIMER UNAME VHANGUP WAIT4 SWAPOFF SYSINFO FSYNC SETDOMAINNAME ADJTIMEX MPROTECT
INIT_MODULE DELETE_MODULE QUOTACTL GETPGID FCHDIR SYSFS PERSONALITY GETDENTS SELECT FLOCK MSYNC
READV WRITEV GETSID FDATASYNC MLOCK MUNLOCK MLOCKALL MUNLOCKALL SCHED_SETPARAM SCHED_GETPARAM
SCHED_SETSCHEDULER SCHED_GETSCHEDULER SCHED_YIELD SCHED_GET_PRIORITY_MAX SCHED_GET_PRIORITY_MIN
SCHED_RR_GET_INTERVAL NANOSLEEP MREMAP POLL PRCTL RT_SIGACTION RT_SIGPROCMASK RT_SIGPENDING
RT_SIGTIMEDWAIT RT_SIGQUEUEINFO RT_SIGSUSPEND GETCWD CAPGET CAPSET SENDFILE GETRLIMIT LCHOWN
GETUID GETGID GETEUID GETEGID SETREUID SETREGID GETGROUPS SETGROUPS FCHOWN SETRESUID GETRESUID
SETRESGID GETRESGID CHOWN SETUID SETGID SETFSUID SETFSGID PIVOT_ROOT MINCORE MADVISE GETTID
SETXATTR LSETXATTR FSETXATTR GETXATTR LGETXATTR FGETXATTR LISTXATTR LLISTXATTR FLISTXATTR
REMOVEXATTR LREMOVEXATTR FREMOVEXATTR TKILL FUTEX SCHED_SETAFFINITY SCHED_GETAFFINITY
SET_THREAD_AREA GET_THREAD_AREA IO_SETUP IO_DESTROY IO_GETEVENTS IO_SUBMIT IO_CANCEL EXIT_GROUP
EPOLL_CREATE EPOLL_CTL EPOLL_WAIT REMAP_FILE_PAGES SET_TID_ADDRESS TIMER_CREATE TIMER_SETTIME
TIMER_GETTIME TIMER_GETOVERRUN TIMER_DELETE CLOCK_SETTIME CLOCK_GETTIME CLOCK_GETRES
CLOCK_NANOSLEEP TGKILL UTIMES MQ_OPEN MQ_UNLINK MQ_TIMEDSEND MQ_TIMEDRECEIVE MQ_NOTIFY
MQ_GETSETATTR KEXEC_LOAD WAITID ADD_KEY REQUEST_KEY KEYCTL IOPRIO_SET IOPRIO_GET INOTIFY_INIT
INOTIFY_ADD_WATCH INOTIFY_RM_WATCH OPENAT MKDIRAT MKNODAT FCHOWNAT FUTIMESAT UNLINKAT RENAMEAT
LINKAT SYMLINKAT READLINKAT FCHMODAT FACCESSAT PSELECT6 PPOLL UNSHARE SET_ROBUST_LIST
GET_ROBUST_LIST SPLICE TEE VMSPLICE GETCPU EPOLL_PWAIT UTIMENSAT SIGNALFD TIMERFD_CREATE EVENTFD
TIMERFD_SETTIME TIMERFD_GETTIME SIGNALFD4 EVENTFD2 EPOLL_CREATE1 DUP3 PIPE2 INOTIFY_INIT1 PREADV
PWRITEV RT_TGSIGQUEUEINFO PERF_EVENT_OPEN FANOTIFY_INIT PRLIMIT64 CLOCK_ADJTIME SYNCFS SETNS
GETDENTS64 SOCKET BIND CONNECT LISTEN ACCEPT GETSOCKNAME GETPEERNAME SOCKETPAIR SENDTO RECVFROM
SHUTDOWN SETSOCKOPT GETSOCKOPT SENDMSG SENDMMSG RECVMSG RECVMMSG ACCEPT4 SEMOP SEMGET SEMCTL
MSGSND MSGRCV MSGGET MSGCTL SHMDT SHMGET SHMCTL STATFS64 FSTATFS64 FSTATAT64 SENDFILE64 UGETRLIMIT
BDFLUSH SIGPROCMASK IPC SOCKETCALL STAT64 LSTAT64 FSTAT64 FCNTL64 MMAP2 _NEWSELECT SGETMASK
SSETMASK SIGPENDING OLDUNAME UMOUNT SIGNAL NICE STIME _LLSEEK WAITPID PREAD64 PWRITE64 ARCH_PRCTL
SHMAT SIGRETURN FALLOCATE NEWFSSTAT PROCESS_VM_READV PROCESS_VM_WRITEV FORK VFORK SETUID32
GETUID32 SETGID32 GETEUID32 GETGID32 SETRESUID32 SETRESGID32 GETRESUID32 GETRESGID32
FINIT_MODULE BPF SECCOMP SIGALTSTACK GETRANDOM FADVISE64 RENAMEAT2 USERFAULTFD OPENAT2 UMOUNT2
EXECVE EXECVEAT COPY_FILE_RANGE CLONE CLONE3 OPEN_BY_HANDLE_AT IO_URING_SETUP IO_URING_ENTER
IO_URING_REGISTER MLOCK2 GETEGID32""".split()

# x86_64 names whose PPM_SC name differs.
SC_ALIAS = {"newfstatat": "NEWFSSTAT", "rt_sigreturn": "SIGRETURN"}

TABLE_SIZE = 512


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    uapi = sys.argv[2] if len(sys.argv) > 2 else "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
    table = json.load(open(f"{root}/assets/event-table.json"))
    by_enum = {e["enum"]: e for e in table["events"]}
    nrs = {}
    for line in open(uapi):
        m = re.match(r"#define __NR_(\w+)\s+(\d+)", line)
        if m:
            nrs[m.group(1)] = int(m.group(2))
    sc_code = {n: i for i, n in enumerate(PPM_SC)}
    out = []
    out.append("/* Generated by ebpf/gen_syscall_table.py -- do not edit. */")
    out.append("#pragma once")
    out.append(f"#define SC_TABLE_SIZE {TABLE_SIZE}")
    out.append("struct sc_info { __u16 enter_event; __u16 ppm_sc; };")
    out.append("/* x86_64 syscall nr -> {enter event (0 = generic), PPM_SC code} */")
    out.append("static const struct sc_info sc_table[SC_TABLE_SIZE] = {")
    for name, nr in sorted(nrs.items(), key=lambda x: x[1]):
        if nr >= TABLE_SIZE:
            continue
        code = sc_code.get(SC_ALIAS.get(name, name.upper()), 0)
        ev = 0
        if name in FULL:
            e = by_enum[FULL[name]]
            x = table["events"][e["id"] + 1]
            assert e["dir"] == "enter" and x["dir"] == "exit" and x["name"] == e["name"], name
            ev = e["id"]
        out.append(f"\t[{nr}] = {{ {ev}, {code} }}, /* {name} */")
    out.append("};")
    missing = [n for n in FULL if n not in nrs]
    assert not missing, missing
    print("\n".join(out))


main()
