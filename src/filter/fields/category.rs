//! `evt.category` as sysdig 0.29.3 names it.
//!
//! Generic events (syscalls without their own event type) take their
//! category from libscap's syscall table, by `PPM_SC_*` code; other events
//! from the event table. I/O categories (read, write, other) are then
//! named after the kind of fd the event works on: file, net, ipc, or
//! unknown when the fd is of another kind or not known. Generic events
//! never look at an fd, so an I/O category names them "unknown".

use crate::capture::meta::FdType;
use crate::event::table::ec;

/// The base categories of the syscall table (one per `PPM_SC_*` code).
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cat {
    OTHER,
    FILE,
    NET,
    IPC,
    MEMORY,
    PROCESS,
    SLEEP,
    SYSTEM,
    SIGNAL,
    USER,
    TIME,
    IO_READ,
    IO_WRITE,
    IO_OTHER,
    WAIT,
}

use Cat::*;

/// Category of each `PPM_SC_*` code in libscap's syscall info table of
/// sysdig 0.29.3 (`unknown`, then `restart_syscall`, `exit`, ...). Codes
/// past its end (newer syscalls) have no entry.
#[rustfmt::skip]
static SYSCALL_CATS: [Cat; 320] = [
    OTHER, SYSTEM, PROCESS, IO_READ, IO_WRITE, FILE, FILE, FILE,
    FILE, FILE, FILE, TIME, FILE, FILE, FILE, FILE,
    PROCESS, FILE, OTHER, TIME, FILE, WAIT, TIME, FILE,
    IO_OTHER, IPC, FILE, FILE, FILE, IO_OTHER, IPC, TIME,
    MEMORY, PROCESS, IO_OTHER, WAIT, PROCESS, PROCESS, IPC, FILE,
    IO_OTHER, PROCESS, PROCESS, PROCESS, SYSTEM, PROCESS, PROCESS, TIME,
    TIME, FILE, FILE, FILE, PROCESS, PROCESS, SYSTEM, FILE,
    FILE, FILE, FILE, FILE, PROCESS, PROCESS, FILE, FILE,
    SYSTEM, TIME, TIME, SYSTEM, OTHER, WAIT, SYSTEM, SYSTEM,
    IO_OTHER, SYSTEM, SYSTEM, MEMORY, SYSTEM, SYSTEM, SYSTEM, PROCESS,
    FILE, SYSTEM, PROCESS, FILE, WAIT, FILE, IO_OTHER, IO_READ,
    IO_WRITE, PROCESS, IO_OTHER, MEMORY, MEMORY, MEMORY, MEMORY, PROCESS,
    PROCESS, PROCESS, PROCESS, SLEEP, PROCESS, PROCESS, PROCESS, SLEEP,
    FILE, WAIT, PROCESS, SIGNAL, SIGNAL, SIGNAL, SIGNAL, SIGNAL,
    SIGNAL, FILE, PROCESS, PROCESS, FILE, PROCESS, FILE, USER,
    USER, USER, USER, USER, USER, USER, USER, FILE,
    USER, USER, USER, USER, FILE, USER, USER, USER,
    USER, PROCESS, MEMORY, MEMORY, PROCESS, FILE, FILE, FILE,
    FILE, FILE, FILE, FILE, FILE, FILE, FILE, FILE,
    FILE, SIGNAL, IPC, PROCESS, PROCESS, PROCESS, PROCESS, IO_OTHER,
    IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, WAIT, WAIT, WAIT,
    FILE, PROCESS, TIME, TIME, TIME, TIME, TIME, TIME,
    TIME, TIME, SLEEP, SIGNAL, FILE, IPC, IPC, IPC,
    IPC, IPC, IPC, SYSTEM, WAIT, SYSTEM, SYSTEM, SYSTEM,
    PROCESS, PROCESS, IPC, IPC, IPC, FILE, FILE, FILE,
    FILE, FILE, FILE, FILE, FILE, FILE, FILE, FILE,
    FILE, WAIT, WAIT, PROCESS, PROCESS, PROCESS, IPC, IPC,
    IPC, PROCESS, WAIT, FILE, SIGNAL, TIME, IPC, TIME,
    TIME, SIGNAL, IPC, WAIT, IO_OTHER, IPC, IPC, IO_READ,
    IO_WRITE, OTHER, OTHER, IPC, PROCESS, OTHER, FILE, PROCESS,
    IPC, NET, NET, NET, NET, NET, NET, NET,
    NET, NET, NET, NET, NET, NET, NET, NET,
    NET, NET, NET, IPC, IPC, IPC, IPC, IPC,
    IPC, IPC, IPC, IPC, IPC, FILE, FILE, FILE,
    FILE, PROCESS, OTHER, SIGNAL, IPC, NET, FILE, FILE,
    FILE, FILE, FILE, WAIT, SIGNAL, SIGNAL, SIGNAL, SYSTEM,
    FILE, SIGNAL, PROCESS, TIME, FILE, WAIT, FILE, FILE,
    PROCESS, IPC, SIGNAL, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER,
    IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER, IO_OTHER,
    IO_OTHER, IO_OTHER, SYSTEM, OTHER, OTHER, IO_OTHER, IO_OTHER, IO_OTHER,
];

/// What the event's fd (if any) is, for the I/O categories.
fn io_name(fd: Option<FdType>) -> &'static str {
    use FdType::*;
    match fd {
        Some(File | FileV2 | Directory) => "file",
        Some(Ipv4Sock | Ipv6Sock | Ipv4ServSock | Ipv6ServSock) => "net",
        Some(Fifo | UnixSock | Event | Signalfd | Inotify | Userfaultfd) => "ipc",
        _ => "unknown",
    }
}

fn cat_name(c: Cat) -> &'static str {
    match c {
        OTHER => "other",
        FILE => "file",
        NET => "net",
        IPC => "IPC",
        MEMORY => "memory",
        PROCESS => "process",
        SLEEP => "sleep",
        SYSTEM => "system",
        SIGNAL => "signal",
        USER => "user",
        TIME => "time",
        // A generic event: no fd looked at.
        IO_READ | IO_WRITE | IO_OTHER => "unknown",
        WAIT => "wait",
    }
}

/// `evt.category` of a generic event carrying syscall `code`.
pub fn generic(code: Option<u16>) -> &'static str {
    match code.and_then(|c| SYSCALL_CATS.get(usize::from(c))) {
        Some(c) => cat_name(*c),
        None => "unknown",
    }
}

/// `evt.category` of an event whose event-table category bits are `bits`
/// (the source bits, syscall/tracepoint/meta/plugin, are not part of the
/// name); `fd` is the type of the event's fd when it is in the table.
pub fn of_event(bits: u32, fd: Option<FdType>) -> &'static str {
    if bits & (ec::IO_READ | ec::IO_WRITE | ec::IO_OTHER) != 0 {
        return io_name(fd);
    }
    const NAMES: [(u32, &str); 14] = [
        (ec::FILE, "file"),
        (ec::NET, "net"),
        (ec::IPC, "IPC"),
        (ec::MEMORY, "memory"),
        (ec::PROCESS, "process"),
        (ec::SLEEP, "sleep"),
        (ec::SYSTEM, "system"),
        (ec::SIGNAL, "signal"),
        (ec::USER, "user"),
        (ec::TIME, "time"),
        (ec::WAIT, "wait"),
        (ec::SCHEDULER, "scheduler"),
        (ec::INTERNAL, "internal"),
        (ec::OTHER, "other"),
    ];
    NAMES
        .iter()
        .find(|(b, _)| bits & b != 0)
        .map_or("unknown", |(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions checked against sysdig 0.29.3's output on the captures.
    #[test]
    fn syscall_table_positions() {
        let at = |name: &str| {
            let code = crate::event::syscalls::name_known(name).expect(name);
            generic(Some(code))
        };
        assert_eq!(at("clock_gettime"), "time");
        assert_eq!(at("futex"), "IPC");
        assert_eq!(at("keyctl"), "system");
        assert_eq!(at("mknodat"), "file");
        assert_eq!(at("sched_yield"), "sleep");
        assert_eq!(at("pselect6"), "wait");
        assert_eq!(at("rt_sigaction"), "signal");
        assert_eq!(at("getgroups"), "user");
        assert_eq!(at("madvise"), "memory");
        assert_eq!(at("seccomp"), "other");
        // I/O categories of generic events have no fd to name them.
        assert_eq!(at("exit_group"), "unknown");
        assert_eq!(at("newfstatat"), "unknown");
        assert_eq!(at("fadvise64"), "unknown");
        // Past the table (renameat2) and no code at all.
        assert_eq!(at("renameat2"), "unknown");
        assert_eq!(generic(None), "unknown");
        assert_eq!(generic(Some(0)), "other");
    }

    #[test]
    fn io_categories_follow_the_fd() {
        let r = ec::IO_READ | ec::SYSCALL;
        assert_eq!(of_event(r, Some(FdType::File)), "file");
        assert_eq!(of_event(r, Some(FdType::Ipv6ServSock)), "net");
        assert_eq!(of_event(r, Some(FdType::Fifo)), "ipc");
        assert_eq!(of_event(r, Some(FdType::Netlink)), "unknown");
        assert_eq!(of_event(r, Some(FdType::Timerfd)), "unknown");
        assert_eq!(of_event(r, None), "unknown");
        assert_eq!(of_event(ec::IPC | ec::SYSCALL, None), "IPC");
        assert_eq!(of_event(ec::PROCESS | ec::METAEVENT, None), "process");
    }
}
