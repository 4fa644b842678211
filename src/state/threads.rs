//! Threads and processes as libsinsp keeps them.

use crate::capture::meta::{ProcEntry, StrList};

#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub tid: u64,
    pub pid: u64,
    pub ptid: u64,
    pub sid: u64,
    pub vpgid: u64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    pub args: StrList,
    pub cwd: String,
    pub env: StrList,
    pub fdlimit: u64,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub vtid: i64,
    pub vpid: i64,
    pub cgroups: StrList,
    pub root: String,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub cap_inheritable: u64,
    pub exe_writable: bool,
    /// Clone time (ns since epoch), 0 when unknown.
    pub start_ts: u64,
    /// Container id (`host` for host processes), filled by the container layer.
    pub container_id: String,
    /// The last enter event of this thread (v2 bytes), for exit events;
    /// empty when it has no parameter an exit reads (see `state::parse`).
    pub last_enter: Vec<u8>,
    /// The fd the last enter event used (`fd.num` of the exit).
    pub last_fd: Option<i64>,
    /// The enter event's timestamp, for `evt.latency`.
    pub last_enter_ts: u64,
    /// The enter event's type.
    pub last_enter_type: u16,
    /// libsinsp's latency of the thread: 0 from an enter event on, the
    /// time since the last enter from an exit on; events that leave the
    /// thread's pending enter alone (switch...) show it as it is.
    pub latency: u64,
    /// True when the thread was filled from a full source (procfs, capture
    /// list, clone/execve), false for a placeholder.
    pub complete: bool,
    /// True while the thread is as a process list (procfs, a capture's
    /// list) described it: a clone event for its tid then describes it
    /// anew (the list may have been read after the clone, and after an
    /// exec).
    pub listed: bool,
    /// CPU ticks of the previous procinfo event: user+system, user, system.
    pub cpu_last: [u64; 3],
    /// The run time its switch events add up (`thread.totexectime`).
    pub totexectime: u64,
}

impl Thread {
    pub fn from_entry(p: &ProcEntry) -> Thread {
        let mut t = Thread::from_entry_bare(p);
        t.container_id = super::containers::cgroup::container_id(&p.cgroups).unwrap_or_default();
        t
    }

    /// Like [`Thread::from_entry`], without the container id (left empty).
    pub(crate) fn from_entry_bare(p: &ProcEntry) -> Thread {
        Thread::from_entry_owned(p.clone())
    }

    /// [`Thread::from_entry_bare`] of an entry handed over (capture
    /// sections hand over owned metadata): its strings move.
    pub fn from_entry_owned(mut p: ProcEntry) -> Thread {
        let mut t = Thread::default();
        t.relist(&mut p);
        t
    }

    /// Makes this thread the one `p` lists, as [`Thread::from_entry_owned`]
    /// would make it, in place: `p`'s strings move in, and `p` is left
    /// holding the ones they replace (to be dropped by whoever owns `p`:
    /// a capture's reading thread, rather than the one keeping the state).
    /// Buffers only this thread has (container id, last enter) are
    /// emptied, not freed; the container id is kept when the thread lists
    /// the same cgroups again (they name the same container). Returns
    /// whether it was kept.
    pub(crate) fn relist(&mut self, p: &mut ProcEntry) -> bool {
        // Every field, named: a field added to Thread must be decided here.
        let Thread {
            tid,
            pid,
            ptid,
            sid,
            vpgid,
            comm,
            exe,
            exepath,
            args,
            cwd,
            env,
            fdlimit,
            uid,
            gid,
            loginuid,
            tty,
            vtid,
            vpid,
            cgroups,
            root,
            vmsize_kb,
            vmrss_kb,
            vmswap_kb,
            pfmajor,
            pfminor,
            cap_permitted,
            cap_effective,
            cap_inheritable,
            exe_writable,
            start_ts,
            container_id,
            last_enter,
            last_fd,
            last_enter_ts,
            last_enter_type,
            latency,
            complete,
            listed,
            cpu_last,
            totexectime,
        } = self;
        *tid = p.tid;
        *pid = p.pid;
        *ptid = p.ptid;
        *sid = p.sid;
        *vpgid = p.vpgid;
        std::mem::swap(comm, &mut p.comm);
        std::mem::swap(exe, &mut p.exe);
        std::mem::swap(exepath, &mut p.exepath);
        std::mem::swap(args, &mut p.args);
        std::mem::swap(cwd, &mut p.cwd);
        std::mem::swap(env, &mut p.env);
        *fdlimit = p.fdlimit;
        *uid = p.uid;
        *gid = p.gid;
        *loginuid = p.loginuid;
        *tty = p.tty;
        *vtid = p.vtid;
        *vpid = p.vpid;
        std::mem::swap(cgroups, &mut p.cgroups);
        std::mem::swap(root, &mut p.root);
        *vmsize_kb = p.vmsize_kb;
        *vmrss_kb = p.vmrss_kb;
        *vmswap_kb = p.vmswap_kb;
        *pfmajor = p.pfmajor;
        *pfminor = p.pfminor;
        *cap_permitted = p.cap_permitted;
        *cap_effective = p.cap_effective;
        *cap_inheritable = p.cap_inheritable;
        *exe_writable = p.exe_writable;
        *start_ts = p.start_ts;
        // (`p` holds the old cgroups now.)
        let same_container = !cgroups.is_empty() && *cgroups == p.cgroups;
        if !same_container {
            container_id.clear();
        }
        last_enter.clear();
        // libsinsp starts every thread's "last event fd" at 0.
        *last_fd = Some(0);
        *last_enter_ts = 0;
        *last_enter_type = u16::MAX;
        *latency = 0;
        *complete = true;
        *listed = true;
        *cpu_last = [0; 3];
        *totexectime = 0;
        same_container
    }

    /// A thread known only from events, with no name yet (libsinsp calls
    /// such a stand-in `<NA>`).
    pub fn unnamed(&self) -> bool {
        !self.complete && self.comm.is_empty()
    }

    /// A thread seen in events before anything else told us about it.
    pub fn placeholder(tid: u64) -> Thread {
        Thread {
            tid,
            pid: tid,
            ptid: u64::MAX,
            // libsinsp's stand-in threads keep its defaults: no session,
            // process group or fd limit (-1).
            sid: u64::MAX,
            vpgid: u64::MAX,
            fdlimit: u64::MAX,
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            // Unknown, as libsinsp's stand-in threads have them.
            vtid: -1,
            vpid: -1,
            last_enter_type: u16::MAX,
            last_fd: Some(0),
            complete: false,
            cpu_last: [0; 3],
            ..Default::default()
        }
    }

    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }

    /// `proc.cmdline`: comm followed by the arguments.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// `proc.args`.
    pub fn args_string(&self) -> String {
        self.args.join(" ")
    }

    /// The cwd with a trailing slash, as libsinsp stores it.
    pub fn cwd_slash(&self) -> String {
        if self.cwd.ends_with('/') {
            self.cwd.clone()
        } else {
            format!("{}/", self.cwd)
        }
    }
}

/// The thread table, by tid.
pub type ThreadTable = super::table::Table<Thread>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Moving an entry's strings builds the same thread as cloning them.
    #[test]
    fn owned_entry_same_thread() {
        let p = ProcEntry {
            tid: 7,
            pid: 5,
            ptid: 1,
            sid: 2,
            vpgid: 3,
            comm: "curl".into(),
            exe: "/usr/bin/curl".into(),
            exepath: "/usr/bin/curl".into(),
            args: StrList::from_nul_separated(b"-s\0http://x\0"),
            cwd: "/tmp/".into(),
            env: StrList::from_nul_separated(b"PATH=/bin\0HOME=/root\0"),
            cgroups: StrList::from_nul_separated(b"cpu=/docker/abc\0"),
            root: "/".into(),
            fdlimit: 1024,
            uid: 1000,
            gid: 100,
            loginuid: 4,
            tty: 34816,
            vtid: 9,
            vpid: 8,
            vmsize_kb: 10,
            vmrss_kb: 11,
            vmswap_kb: 12,
            pfmajor: 13,
            pfminor: 14,
            cap_permitted: 15,
            cap_effective: 16,
            cap_inheritable: 17,
            exe_writable: true,
            start_ts: 18,
            ..ProcEntry::default()
        };
        assert_eq!(
            format!("{:?}", Thread::from_entry_owned(p.clone())),
            format!("{:?}", Thread::from_entry_bare(&p))
        );
        // Listed again over a thread that events changed: the same thread,
        // and the entry keeps what it replaced.
        let mut t = Thread::from_entry_owned(p.clone());
        t.comm = "old".into();
        t.args = StrList::from(vec!["a"]);
        // (Other cgroups than listed: the container id is worked out
        // again, see the next test.)
        t.cgroups = StrList::from(vec!["cpu=/"]);
        t.container_id = "abc".into();
        t.last_enter = vec![1, 2];
        t.last_fd = Some(3);
        t.last_enter_ts = 4;
        t.last_enter_type = 5;
        t.latency = 6;
        t.complete = false;
        t.listed = false;
        t.cpu_last = [7; 3];
        t.totexectime = 8;
        let mut q = p.clone();
        t.relist(&mut q);
        assert_eq!(
            format!("{:?}", t),
            format!("{:?}", Thread::from_entry_owned(p.clone()))
        );
        assert_eq!(q.comm, "old");
        assert_eq!(q.args, ["a"]);
    }

    #[test]
    fn relisting_keeps_the_container_of_the_same_cgroups() {
        let cg = StrList::from(vec!["cpu=/docker/0123456789abcdef"]);
        let p = ProcEntry {
            tid: 7,
            pid: 7,
            cgroups: cg.clone(),
            ..ProcEntry::default()
        };
        let mut t = Thread::from_entry_owned(p.clone());
        t.container_id = "0123456789ab".into();
        // The same cgroups: the same container, kept.
        assert!(t.relist(&mut p.clone()));
        assert_eq!(t.container_id, "0123456789ab");
        // Other cgroups, or none: emptied, for the caller to work out.
        let other = ProcEntry {
            cgroups: StrList::from(vec!["cpu=/"]),
            ..p.clone()
        };
        assert!(!t.relist(&mut other.clone()));
        assert_eq!(t.container_id, "");
        t.container_id = "x".into();
        let none = ProcEntry {
            cgroups: StrList::new(),
            ..p
        };
        assert!(!t.relist(&mut none.clone()));
        assert!(!t.relist(&mut none.clone()));
        assert_eq!(t.container_id, "");
    }
}
