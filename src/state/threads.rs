//! Threads and processes as libsinsp keeps them.

use std::cell::Cell;

use rustc_hash::FxHashMap;

use crate::capture::meta::ProcEntry;

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
    pub args: Vec<String>,
    pub cwd: String,
    pub env: Vec<String>,
    pub fdlimit: u64,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub tty: u32,
    pub vtid: i64,
    pub vpid: i64,
    pub cgroups: Vec<String>,
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
    /// True when the thread was filled from a full source (procfs, capture
    /// list, clone/execve), false for a placeholder.
    pub complete: bool,
    /// CPU ticks of the previous procinfo event: user+system, user, system.
    pub cpu_last: [u64; 3],
}

impl Thread {
    pub fn from_entry(p: &ProcEntry) -> Thread {
        let mut t = Thread::from_entry_bare(p);
        t.container_id = super::containers::cgroup::container_id(&p.cgroups).unwrap_or_default();
        t
    }

    /// Like [`Thread::from_entry`], without the container id (left empty).
    pub(crate) fn from_entry_bare(p: &ProcEntry) -> Thread {
        Thread {
            tid: p.tid,
            pid: p.pid,
            ptid: p.ptid,
            sid: p.sid,
            vpgid: p.vpgid,
            comm: p.comm.clone(),
            exe: p.exe.clone(),
            exepath: p.exepath.clone(),
            args: p.args.clone(),
            cwd: p.cwd.clone(),
            env: p.env.clone(),
            fdlimit: p.fdlimit,
            uid: p.uid,
            gid: p.gid,
            loginuid: p.loginuid,
            tty: p.tty,
            vtid: p.vtid,
            vpid: p.vpid,
            cgroups: p.cgroups.clone(),
            root: p.root.clone(),
            vmsize_kb: p.vmsize_kb,
            vmrss_kb: p.vmrss_kb,
            vmswap_kb: p.vmswap_kb,
            pfmajor: p.pfmajor,
            pfminor: p.pfminor,
            cap_permitted: p.cap_permitted,
            cap_effective: p.cap_effective,
            cap_inheritable: p.cap_inheritable,
            exe_writable: p.exe_writable,
            start_ts: p.start_ts,
            container_id: String::new(),
            last_enter: Vec::new(),
            // libsinsp starts every thread's "last event fd" at 0.
            last_fd: Some(0),
            last_enter_ts: 0,
            last_enter_type: u16::MAX,
            complete: true,
            cpu_last: [0; 3],
        }
    }

    /// Like [`Thread::from_entry`], moving the entry's strings instead of
    /// cloning them (capture sections hand over owned metadata).
    pub fn from_entry_owned(p: ProcEntry) -> Thread {
        let mut t = Thread::from_entry_bare(&ProcEntry {
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            env: Vec::new(),
            cgroups: Vec::new(),
            root: String::new(),
            ..p
        });
        t.comm = p.comm;
        t.exe = p.exe;
        t.exepath = p.exepath;
        t.args = p.args;
        t.cwd = p.cwd;
        t.env = p.env;
        t.cgroups = p.cgroups;
        t.root = p.root;
        t
    }

    /// A thread seen in events before anything else told us about it.
    pub fn placeholder(tid: u64) -> Thread {
        Thread {
            tid,
            pid: tid,
            ptid: u64::MAX,
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            vtid: tid as i64,
            vpid: tid as i64,
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

/// No slot in [`ThreadTable::last`].
const NO_SLOT: u32 = u32::MAX;

/// The thread table: threads by tid, with a map-like interface.
///
/// Threads live in slots found through a tid → slot map, and the slot of
/// the last thread looked up is remembered: the events of a thread mostly
/// come in runs (an enter, then its exit), so most lookups skip the hash.
#[derive(Debug, Clone)]
pub struct ThreadTable {
    slots: Vec<Option<Thread>>,
    index: FxHashMap<u64, u32>,
    /// Empty slots.
    free: Vec<u32>,
    /// The last tid looked up and its slot ([`NO_SLOT`]: none). Always
    /// right: a removal forgets it.
    last: Cell<(u64, u32)>,
}

impl Default for ThreadTable {
    fn default() -> ThreadTable {
        ThreadTable {
            slots: Vec::new(),
            index: FxHashMap::default(),
            free: Vec::new(),
            last: Cell::new((0, NO_SLOT)),
        }
    }
}

impl ThreadTable {
    /// The slot of `tid`, remembered for the next lookup.
    #[inline]
    fn slot(&self, tid: u64) -> Option<usize> {
        let (ltid, lslot) = self.last.get();
        if ltid == tid && lslot != NO_SLOT {
            return Some(lslot as usize);
        }
        let s = *self.index.get(&tid)?;
        self.last.set((tid, s));
        Some(s as usize)
    }

    #[inline]
    pub fn get(&self, tid: &u64) -> Option<&Thread> {
        let s = self.slot(*tid)?;
        self.slots.get(s)?.as_ref()
    }

    #[inline]
    pub fn get_mut(&mut self, tid: &u64) -> Option<&mut Thread> {
        let s = self.slot(*tid)?;
        self.slots.get_mut(s)?.as_mut()
    }

    #[inline]
    pub fn contains_key(&self, tid: &u64) -> bool {
        self.slot(*tid).is_some()
    }

    /// Adds (or replaces) thread `tid`, handing back the one it replaced.
    pub fn insert(&mut self, tid: u64, t: Thread) -> Option<Thread> {
        if let Some(s) = self.slot(tid) {
            return self.slots.get_mut(s).and_then(|x| x.replace(t));
        }
        let s = match self.free.pop() {
            Some(s) => {
                if let Some(x) = self.slots.get_mut(s as usize) {
                    *x = Some(t);
                }
                s
            }
            None => {
                // More than 2^32 - 1 threads cannot be: a tid map that
                // large would not fit in memory either.
                let s = u32::try_from(self.slots.len()).unwrap_or(NO_SLOT - 1);
                self.slots.push(Some(t));
                s
            }
        };
        self.index.insert(tid, s);
        self.last.set((tid, s));
        None
    }

    pub fn remove(&mut self, tid: &u64) -> Option<Thread> {
        let s = self.index.remove(tid)?;
        if self.last.get().0 == *tid {
            self.last.set((0, NO_SLOT));
        }
        let old = self.slots.get_mut(s as usize)?.take();
        self.free.push(s);
        old
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
        self.slots.reserve(n.saturating_sub(self.free.len()));
    }

    /// The tids, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &u64> {
        self.index.keys()
    }

    /// The threads, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Thread> {
        self.slots.iter().flatten()
    }

    /// The threads, in no particular order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Thread> {
        self.slots.iter_mut().flatten()
    }

    /// (tid, thread) pairs, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&u64, &Thread)> {
        self.index
            .iter()
            .filter_map(|(tid, s)| Some((tid, self.slots.get(*s as usize)?.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table against a plain map, with the remembered slot in play.
    #[test]
    fn table_matches_map() {
        let mut t = ThreadTable::default();
        let mut m: std::collections::HashMap<u64, u64> = Default::default();
        for step in 0u64..400 {
            let tid = (step * 7919) % 37;
            match step % 5 {
                0 | 1 => {
                    let th = Thread {
                        tid,
                        pid: step,
                        ..Default::default()
                    };
                    assert_eq!(t.insert(tid, th).map(|x| x.pid), m.insert(tid, step));
                }
                2 => assert_eq!(t.remove(&tid).map(|x| x.pid), m.remove(&tid)),
                3 => {
                    if let Some(x) = t.get_mut(&tid) {
                        x.pid += 1000;
                    }
                    if let Some(x) = m.get_mut(&tid) {
                        *x += 1000;
                    }
                }
                _ => {}
            }
            // Looked up twice: the second time through the remembered slot.
            for _ in 0..2 {
                assert_eq!(t.get(&tid).map(|x| x.pid), m.get(&tid).copied());
                assert_eq!(t.contains_key(&tid), m.contains_key(&tid));
            }
            assert_eq!(t.len(), m.len());
        }
        for tid in 0..40 {
            assert_eq!(t.get(&tid).map(|x| x.pid), m.get(&tid).copied());
        }
        let mut keys: Vec<u64> = t.keys().copied().collect();
        keys.sort_unstable();
        let mut want: Vec<u64> = m.keys().copied().collect();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(t.values().count(), m.len());
        assert!(t.iter().all(|(k, x)| m.get(k) == Some(&x.pid)));
    }
}
