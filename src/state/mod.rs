//! System state rebuilt from events: threads, per-process fd tables, users
//! and groups. Seeded from a capture's metadata blocks or from procfs, then
//! kept current the way libsinsp's parsers do.

pub mod containers;
pub mod fds;
pub mod parse;
pub mod procfs;
pub mod table;
pub mod threads;

use rustc_hash::FxHashMap;

use crate::capture::meta::{CaptureMeta, FdInfo, GroupEntry, StrList, UserEntry};
use crate::event::EventRef;

pub use fds::{Fd, FdTable};
pub use threads::{Thread, ThreadTable};

/// What the current event is about, once state has seen it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvCtx {
    /// The fd the event uses (enter: its fd param; exit: the enter's fd or
    /// the fd it created).
    pub fd: Option<i64>,
    /// For an exit event: the timestamp of the thread's last enter event
    /// (of any type: libsinsp's latency start), when it has had one.
    pub enter_ts: Option<u64>,
    /// For an exit event: true when the thread's last enter event is this
    /// exit's own enter (libsinsp then attaches the fd to the event).
    pub paired: bool,
    /// True when this exit gave its fd a new name (an fd created with a
    /// name, a socket connected or bound): `fd.name_changed`.
    pub name_changed: bool,
    /// For a procinfo event: CPU ticks used since the thread's previous
    /// procinfo event (user+system, user, system), each at most 100 (a
    /// percentage for one-second samples); 0 for a thread's first sample.
    pub cpu: Option<[u8; 3]>,
    /// For a switch event: nanoseconds since the previous switch on its
    /// CPU (0 for a CPU's first), `thread.exectime`.
    pub exectime: u64,
}

impl EvCtx {
    /// Nothing known (what `default` gives), as a constant to borrow.
    pub const NONE: EvCtx = EvCtx {
        fd: None,
        enter_ts: None,
        paired: false,
        name_changed: false,
        cpu: None,
        exectime: 0,
    };
}

/// A container id and type found from cgroups.
type Found = (String, containers::ContainerType);

/// The cgroup lists [`State::set_container`] remembers: far more than the
/// containers of a machine, and a bound on what hostile input can grow.
const CGROUP_MEMO_MAX: usize = 1024;

#[derive(Debug, Default, Clone)]
pub struct State {
    pub threads: ThreadTable,
    /// fd tables keyed by pid (threads of a process share one table).
    pub fds: table::Table<FdTable>,
    pub users: FxHashMap<u32, UserEntry>,
    pub groups: FxHashMap<u32, GroupEntry>,
    /// Look missing threads up in /proc (live capture only).
    pub live: bool,
    /// Keep no user and group tables (`dig -E`): the `user.*` and
    /// `group.*` names stay unknown, as with sysdig's `--exclude-users`.
    pub exclude_users: bool,
    /// Removals deferred to the next event, as libsinsp does, so that an
    /// exit event still sees the fd it closed / the thread that exited.
    pending_fd_close: Option<(u64, i64)>,
    pending_thread_exit: Option<u64>,
    /// tids already looked up in /proc without success.
    proc_misses: rustc_hash::FxHashSet<u64>,
    /// Containers: metadata by id.
    pub containers: containers::Containers,
    /// The `container:<id>` thread of the current container event.
    evt_thread: Option<Thread>,
    /// True when one of the three above is set (one test per event).
    pending: bool,
    /// Threads per pid as (all, non-main), built on first use and then
    /// kept current by every change of the thread table (`put_thread`,
    /// `take_thread`, `set_thread_pid`): proc.nthreads is read for every
    /// event by the Processes view, and a thread exit asks whether its
    /// process has threads left; a table scan each time would be O(threads).
    thread_counts: std::cell::OnceCell<FxHashMap<u64, (u32, u32)>>,
    /// Name buffers of closed fds, reused for the names of new ones (an
    /// open/close pair then allocates nothing).
    pub(crate) spare_names: Vec<String>,
    /// What each event id does to the state (see `parse::Meta`).
    metas: parse::MetaTable,
    /// The last name an open took as it was (see [`parse::OpenMemo`]).
    pub(crate) open_memo: parse::OpenMemo,
    /// The time of the last switch event on each CPU (`thread.exectime`).
    pub(crate) last_switch: Vec<u64>,
    /// The cgroups looked up for a container and what they gave: threads
    /// share them with their process and its children, and a capture's
    /// sections list the same processes again (at most
    /// [`CGROUP_MEMO_MAX`] lists, forgotten all at once past that).
    cgroup_memo: FxHashMap<StrList, Option<Found>>,
    /// The list [`State::set_container`] looked up last, and what it gave.
    last_cgroups: (StrList, Option<Found>),
    /// The machine's interface addresses (a capture's interface list):
    /// libsinsp's "local" side of a connection for fd.is_server, fd.lip...
    pub local_ips: Vec<std::net::IpAddr>,
}

impl State {
    pub fn new() -> State {
        State::default()
    }

    /// Seeds the tables from a capture section's metadata (a copy of it:
    /// see [`State::load_meta_taking`]).
    pub fn load_meta(&mut self, meta: &CaptureMeta) {
        self.load_meta_taking(&mut meta.clone());
    }

    /// Seeds the tables from a capture section's metadata lent for the
    /// purpose: its strings move into the tables, and what they replace
    /// (the threads, fds, users and groups listed again, most of a later
    /// section's) is left in `meta` instead of being freed here. Whoever owns `meta`
    /// drops it: a pipelined reader, on its own thread
    /// ([`crate::capture::Source::section_done`]). Only the entries' heap
    /// parts are left behind: `meta` says nothing meaningful afterwards.
    pub fn load_meta_taking(&mut self, meta: &mut CaptureMeta) {
        self.thread_counts = Default::default();
        self.local_ips = meta.interfaces.iter().map(fds::ifaddr_ip).collect();
        self.threads.reserve(meta.procs.len());
        for p in &mut meta.procs {
            let tid = p.tid;
            // A thread listed again is overwritten in place (its old
            // strings go to `p`); a new one takes the entry's.
            let kept = match self.threads.get_mut(&tid) {
                Some(t) => t.relist(p),
                None => {
                    self.threads
                        .insert(tid, Thread::from_entry_owned(std::mem::take(p)));
                    false
                }
            };
            // Its container, from its cgroups, as for the first section
            // (unless a relisted thread kept its own: same cgroups).
            if !kept {
                self.set_container(tid);
            }
        }
        // (A process's fds come one after the other: its table is looked
        // up once for all of them.)
        for run in meta.fds.chunk_by_mut(|a, b| a.tid == b.tid) {
            let Some(tid) = run.first().map(|f| f.tid) else {
                continue;
            };
            let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
            let table = self.fds.entry(pid).or_default();
            for f in run {
                // An fd listed again just as it is (most of them, from one
                // file of a rotated capture to the next) is left alone,
                // with what the filter remembers of its name; the entry
                // keeps its own name, for `meta`'s owner to free.
                if table.get(f.fd).is_some_and(|have| have.is_listed_as(f)) {
                    continue;
                }
                if let Some(old) = table.insert(f.fd, Fd::from_entry_taking(f)) {
                    // The replaced fd's name, for `meta`'s owner to free.
                    f.info = FdInfo::Named {
                        name: old.name.into_string(),
                        open_flags: 0,
                        dev: 0,
                    };
                }
            }
        }
        self.fix_socket_directions();
        if self.exclude_users {
            return;
        }
        for u in &mut meta.users {
            if let Some(old) = self.users.insert(u.uid, std::mem::take(u)) {
                *u = old;
            }
        }
        for g in &mut meta.groups {
            if let Some(old) = self.groups.insert(g.gid, std::mem::take(g)) {
                *g = old;
            }
        }
    }

    /// Connections listed in a capture or found in /proc carry local→remote
    /// tuples; like libsinsp, turn those whose local port is a listening
    /// port into client→server and mark them as the server side. (Each fd
    /// table keeps what it holds of both kinds until it changes: a later
    /// section looks through the tables changed since, not every fd of
    /// every process again.)
    fn fix_socket_directions(&mut self) {
        let mut server_ports = rustc_hash::FxHashSet::default();
        let mut listed = false;
        for t in self.fds.values_mut() {
            let (ports, has_listed) = t.sockets();
            server_ports.extend(ports.iter().copied());
            listed |= has_listed;
        }
        if server_ports.is_empty() || !listed {
            return;
        }
        for t in self.fds.values_mut() {
            if t.sockets().1 {
                t.turn_listed(|port| server_ports.contains(&port));
            }
        }
    }

    #[inline]
    pub fn thread(&self, tid: u64) -> Option<&Thread> {
        match &self.evt_thread {
            Some(t) if t.tid == tid => Some(t),
            _ => self.threads.get(&tid),
        }
    }

    /// Sets a thread's container id from its cgroups (when known) and
    /// makes sure the container is in the table. Live, a thread whose
    /// cgroups the event did not carry reads them from /proc.
    pub(crate) fn set_container(&mut self, tid: u64) {
        let live = self.live;
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        if live && t.cgroups.is_empty() {
            if let Some(cg) = containers::cgroup::read_proc_cgroups(tid) {
                t.cgroups = cg;
            }
        }
        // The threads of a process, listed one after the other, share
        // their list: the last one's answer is taken without hashing it.
        let last = &mut self.last_cgroups;
        if !last.0.same_list(&t.cgroups) {
            let found = match self.cgroup_memo.get(&t.cgroups) {
                Some(found) => found.clone(),
                None => {
                    let found = containers::cgroup::container_of(&t.cgroups);
                    if self.cgroup_memo.len() >= CGROUP_MEMO_MAX {
                        self.cgroup_memo.clear();
                    }
                    self.cgroup_memo.insert(t.cgroups.clone(), found.clone());
                    found
                }
            };
            *last = (t.cgroups.clone(), found);
        }
        if let Some((id, ty)) = &last.1 {
            if t.container_id != *id {
                t.container_id.clone_from(id);
            }
            self.containers.note(id, *ty, live);
        }
    }

    /// A container metadata event: the container goes into the table and
    /// the event gets libsinsp's `container:<id>` thread.
    #[cold]
    #[inline(never)]
    pub(crate) fn container_event(&mut self, ev: &EventRef<'_>) -> EvCtx {
        if let Some(c) = containers::from_event(ev) {
            self.evt_thread = Some(containers::event_thread(ev.tid(), &c.id));
            self.pending = true;
            self.containers.insert(c);
        }
        EvCtx::default()
    }

    /// The main thread of `tid`'s process.
    pub fn main_thread(&self, tid: u64) -> Option<&Thread> {
        let t = self.threads.get(&tid)?;
        self.threads.get(&t.pid).or(Some(t))
    }

    /// The parent of a thread's process.
    pub fn parent(&self, tid: u64) -> Option<&Thread> {
        let t = self.main_thread(tid)?;
        self.threads.get(&t.ptid)
    }

    /// The fd table of `tid`'s process.
    pub fn fd_table(&self, tid: u64) -> Option<&FdTable> {
        let pid = self.threads.get(&tid).map(|t| t.pid).unwrap_or(tid);
        self.fds.get(&pid)
    }

    pub fn fd(&self, tid: u64, fd: i64) -> Option<&Fd> {
        self.fd_table(tid)?.get(fd)
    }

    pub fn user(&self, uid: u32) -> Option<&UserEntry> {
        self.users.get(&uid)
    }

    pub fn group(&self, gid: u32) -> Option<&GroupEntry> {
        self.groups.get(&gid)
    }

    /// Applies one event to the state and says what it is about.
    #[inline(always)]
    pub fn process(&mut self, ev: &EventRef<'_>) -> EvCtx {
        self.process_inner(ev)
    }

    /// Adds (or replaces) the thread `tid`, keeping the per-pid counts.
    pub(crate) fn put_thread(&mut self, tid: u64, t: Thread) {
        let key = (t.pid, t.tid);
        let old = self.threads.insert(tid, t);
        if let Some(m) = self.thread_counts.get_mut() {
            if let Some(o) = &old {
                count_thread(m, o.pid, o.tid, false);
            }
            count_thread(m, key.0, key.1, true);
        }
    }

    /// Removes the thread `tid`, keeping the per-pid counts.
    pub(crate) fn take_thread(&mut self, tid: u64) -> Option<Thread> {
        let old = self.threads.remove(&tid)?;
        if let Some(m) = self.thread_counts.get_mut() {
            count_thread(m, old.pid, old.tid, false);
        }
        Some(old)
    }

    /// Moves thread `tid` to process `pid` (an execve that reports another
    /// pid), keeping the per-pid counts.
    pub(crate) fn set_thread_pid(&mut self, tid: u64, pid: u64) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        if t.pid == pid {
            return;
        }
        let (old_pid, ttid) = (t.pid, t.tid);
        t.pid = pid;
        if let Some(m) = self.thread_counts.get_mut() {
            count_thread(m, old_pid, ttid, false);
            count_thread(m, pid, ttid, true);
        }
    }

    /// (threads, non-main threads) of process `pid`.
    pub fn thread_count(&self, pid: u64) -> (u32, u32) {
        let counts = self.thread_counts.get_or_init(|| {
            let mut m: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
            for t in self.threads.values() {
                count_thread(&mut m, t.pid, t.tid, true);
            }
            m
        });
        counts.get(&pid).copied().unwrap_or((0, 0))
    }

    #[inline]
    fn process_inner(&mut self, ev: &EventRef<'_>) -> EvCtx {
        // One test for the three things the previous event may have left.
        if self.pending {
            self.run_pending();
        }
        // Applies finished runtime lookups; returns at once when none were
        // started (captures).
        self.containers.poll();
        // The thread is looked up (and made when missing, see
        // `thread_missing`) by `parse::apply`, once; container events go
        // to `container_event`.
        parse::apply(self, ev)
    }

    /// What the previous event left for this one: a close and a thread exit
    /// deferred, as libsinsp does, and a container event's thread.
    #[cold]
    #[inline(never)]
    fn run_pending(&mut self) {
        if let Some((pid, fd)) = self.pending_fd_close.take() {
            self.close_fd(pid, fd);
        }
        if let Some(tid) = self.pending_thread_exit.take() {
            self.remove_thread(tid);
        }
        self.evt_thread = None;
        self.pending = false;
    }

    /// The event's thread is not in the table: look it up in /proc (live)
    /// and, like libsinsp, make a placeholder for an unknown thread that
    /// issues a syscall (so its fds can be tracked), not for scheduler
    /// events. Called by `parse::apply` before it uses the thread.
    #[cold]
    #[inline(never)]
    pub(crate) fn thread_missing(&mut self, ev: &EventRef<'_>) {
        let tid = ev.tid();
        if self.live {
            self.lookup_proc(tid);
        }
        let info = ev.info();
        if !self.threads.contains_key(&tid)
            && tid != u64::MAX
            && !info.has_category(crate::event::table::ec::SCHEDULER)
            && !info.has_category(crate::event::table::ec::INTERNAL)
            && !info.has_flag(crate::event::table::ef::SKIPPARSERESET)
            && ev.etype() != crate::event::table::ids::CONTAINER_JSON_E
            && ev.etype() != crate::event::table::ids::CONTAINER_JSON_2_E
        {
            self.put_thread(tid, Thread::placeholder(tid));
        }
    }

    /// A close deferred from the previous event.
    #[inline]
    fn close_fd(&mut self, pid: u64, fd: i64) {
        if let Some(f) = self.fds.get_mut(&pid).and_then(|t| t.remove(fd)) {
            fds::keep_spare(&mut self.spare_names, f.name.into_string());
        }
    }

    #[cold]
    #[inline(never)]
    fn remove_thread(&mut self, tid: u64) {
        if let Some(t) = self.take_thread(tid) {
            if t.is_main_thread() && self.thread_count(t.pid).0 == 0 {
                self.fds.remove(&t.pid);
            }
        }
    }

    fn lookup_proc(&mut self, tid: u64) {
        if tid == 0 || self.proc_misses.contains(&tid) {
            return;
        }
        match procfs::read_thread(tid) {
            Some((entry, fds)) => {
                let pid = entry.pid;
                self.put_thread(tid, Thread::from_entry(&entry));
                self.set_container(tid);
                if !self.fds.contains_key(&pid) {
                    let table = self.fds.entry(pid).or_default();
                    for f in &fds {
                        table.insert(f.fd, Fd::from_entry(f));
                    }
                }
            }
            None => {
                self.proc_misses.insert(tid);
            }
        }
    }

    pub(crate) fn defer_fd_close(&mut self, pid: u64, fd: i64) {
        self.pending_fd_close = Some((pid, fd));
        self.pending = true;
    }

    pub(crate) fn defer_thread_exit(&mut self, tid: u64) {
        self.pending_thread_exit = Some(tid);
        self.pending = true;
    }
}

impl crate::event::render::Resolver for State {
    fn fd_label(&self, tid: u64, fd: i64) -> Option<crate::event::render::FdLabel<'_>> {
        self.fd(tid, fd).map(|f| crate::event::render::FdLabel {
            typechar: f.typechar(),
            l4: f.l4char(),
            name: f.name.as_str(),
        })
    }
    fn comm(&self, tid: u64) -> Option<&str> {
        self.threads.get(&tid).map(|t| t.comm.as_str())
    }
    fn has_thread(&self, tid: u64) -> bool {
        self.threads.contains_key(&tid)
    }
    fn cwd(&self, tid: u64) -> Option<&str> {
        self.threads.get(&tid).map(|t| t.cwd.as_str())
    }
    fn user_name(&self, uid: u32) -> Option<&str> {
        self.users.get(&uid).map(|u| u.name.as_str())
    }
    fn group_name(&self, gid: u32) -> Option<&str> {
        self.groups.get(&gid).map(|g| g.name.as_str())
    }
}

/// Counts a thread in (or out of) the per-pid (all, non-main) counts.
fn count_thread(m: &mut FxHashMap<u64, (u32, u32)>, pid: u64, tid: u64, add: bool) {
    let e = m.entry(pid).or_default();
    let non_main = u32::from(tid != pid);
    if add {
        e.0 += 1;
        e.1 += non_main;
    } else {
        e.0 = e.0.saturating_sub(1);
        e.1 = e.1.saturating_sub(non_main);
        if e.0 == 0 {
            m.remove(&pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::meta::{FdEntry, FdType, ProcEntry};

    #[test]
    fn evctx_none_is_the_default() {
        assert_eq!(EvCtx::NONE, EvCtx::default());
    }

    fn entry(tid: u64, comm: &str) -> ProcEntry {
        ProcEntry {
            tid,
            pid: tid,
            comm: comm.into(),
            cgroups: StrList::from(vec!["cpu=/docker/0123456789ab"]),
            ..ProcEntry::default()
        }
    }

    fn fd(tid: u64, fd: i64, name: &str) -> FdEntry {
        FdEntry {
            tid,
            fd,
            ino: 0,
            ftype: FdType::File,
            info: FdInfo::Named {
                name: name.into(),
                open_flags: 0,
                dev: 0,
            },
        }
    }

    fn user(uid: u32, name: &str) -> UserEntry {
        UserEntry {
            uid,
            name: name.into(),
            ..UserEntry::default()
        }
    }

    /// A later section replaces what it lists (threads as listed, with
    /// their container found again), adds what is new, keeps the rest,
    /// and is left holding what it replaced.
    #[test]
    fn a_later_section_replaces_what_it_lists() {
        let mut st = State::new();
        st.load_meta(&CaptureMeta {
            procs: vec![entry(1, "init"), entry(2, "old")],
            fds: vec![fd(2, 3, "/old"), fd(2, 4, "/kept")],
            users: vec![user(0, "root"), user(7, "seven")],
            ..Default::default()
        });
        let container = st.thread(2).expect("listed").container_id.clone();
        assert!(!container.is_empty());
        if let Some(t) = st.threads.get_mut(&2) {
            t.last_enter = vec![1];
            t.latency = 9;
        }
        let mut later = CaptureMeta {
            procs: vec![entry(2, "new"), entry(3, "added")],
            fds: vec![fd(2, 3, "/new"), fd(3, 0, "/added")],
            users: vec![user(7, "renamed")],
            ..Default::default()
        };
        st.load_meta_taking(&mut later);
        let t = st.thread(2).expect("relisted");
        assert_eq!(
            format!("{t:?}"),
            format!("{:?}", Thread::from_entry(&entry(2, "new")))
        );
        assert_eq!(t.container_id, container);
        assert_eq!(
            st.thread(3).map(|t| t.container_id.as_str()),
            Some(container.as_str())
        );
        assert_eq!(st.thread(3).map(|t| t.comm.as_str()), Some("added"));
        assert_eq!(st.thread(1).map(|t| t.comm.as_str()), Some("init"));
        let name = |tid, n| st.fd(tid, n).map(|f| f.name.as_str());
        assert_eq!(name(2, 3), Some("/new"));
        assert_eq!(name(2, 4), Some("/kept"));
        assert_eq!(name(3, 0), Some("/added"));
        assert_eq!(st.user(7).map(|u| u.name.as_str()), Some("renamed"));
        assert_eq!(st.user(0).map(|u| u.name.as_str()), Some("root"));
        // What was replaced, for the section's owner to free.
        assert_eq!(later.procs[0].comm, "old");
        assert!(later.procs[1].comm.is_empty());
        assert!(matches!(&later.fds[0].info, FdInfo::Named { name, .. } if name == "/old"));
        assert_eq!(later.users[0].name, "seven");
    }

    /// An fd a later section lists just as the state has it is left as it
    /// is (what the filter remembers of its name included); one that
    /// differs in any way, or that an event changed since, is replaced.
    #[test]
    fn an_fd_listed_again_as_it_is_is_kept() {
        let mut st = State::new();
        let listed = CaptureMeta {
            procs: vec![entry(2, "p")],
            fds: vec![
                fd(2, 3, "/same"),
                fd(2, 4, "/renamed"),
                fd(2, 5, "/reopened"),
            ],
            ..Default::default()
        };
        st.load_meta(&listed);
        let key = crate::state::fds::memo_key();
        let memo = |st: &State, n| {
            st.fd(2, n)
                .map(|f| f.name.memo(key, |_| panic!("asked again")))
        };
        for n in [3, 4, 5] {
            assert_eq!(st.fd(2, n).map(|f| f.name.memo(key, |_| true)), Some(true));
        }
        // An event's open makes fd 5 anew, with the same name.
        if let Some(t) = st.fds.get_mut(&2) {
            t.insert(5, Fd::new(FdType::File, "/reopened"));
        }
        let mut later = listed.clone();
        later.fds[1] = fd(2, 4, "/other");
        st.load_meta_taking(&mut later);
        // Kept, memo and all; the entry still holds its own name.
        assert_eq!(memo(&st, 3), Some(true));
        assert!(matches!(&later.fds[0].info, FdInfo::Named { name, .. } if name == "/same"));
        // Replaced: listed under another name, or made by an event since.
        let fresh = Fd::from_entry(&listed.fds[2]);
        assert_eq!(st.fd(2, 4).map(|f| f.name.as_str()), Some("/other"));
        assert_eq!(
            st.fd(2, 5).map(|f| (f.name.as_str(), f.from_list)),
            Some((fresh.name.as_str(), true))
        );
        for n in [4, 5] {
            assert_eq!(
                st.fd(2, n).map(|f| f.name.memo(key, |_| false)),
                Some(false)
            );
        }
    }

    /// A listed connection whose local port a listening socket serves is
    /// turned around, in a later section too, by a listening socket of a
    /// table that section leaves alone; once that socket is closed, its
    /// port no longer turns one.
    #[test]
    fn listed_connections_to_a_served_port_are_turned_around_in_every_section() {
        let ip4 = |tid, n, sport, dport| FdEntry {
            tid,
            fd: n,
            ino: 0,
            ftype: FdType::Ipv4Sock,
            info: FdInfo::Ipv4 {
                sip: [10, 0, 0, 1],
                dip: [10, 0, 0, 2],
                sport,
                dport,
                l4proto: crate::state::fds::l4::TCP,
            },
        };
        let procs = |tids: &[u64]| tids.iter().map(|&t| entry(t, "p")).collect::<Vec<_>>();
        let mut st = State::new();
        st.load_meta(&CaptureMeta {
            procs: procs(&[1, 2]),
            fds: vec![server(1, 3, 80), ip4(2, 4, 80, 5000), ip4(2, 5, 6000, 443)],
            ..Default::default()
        });
        let shown = |st: &State, tid, n| {
            st.fd(tid, n)
                .map(|f| (f.name.to_string(), f.is_server_side, f.from_list))
        };
        let turned = |n: &str| Some((n.to_string(), true, false));
        let kept = |n: &str| Some((n.to_string(), false, false));
        assert_eq!(shown(&st, 2, 4), turned("10.0.0.2:5000->10.0.0.1:80"));
        assert_eq!(shown(&st, 2, 5), kept("10.0.0.1:6000->10.0.0.2:443"));
        // A later section lists only process 3: process 1's table, not
        // changed since, still serves port 80.
        st.load_meta(&CaptureMeta {
            procs: procs(&[3]),
            fds: vec![ip4(3, 7, 80, 5001)],
            ..Default::default()
        });
        assert_eq!(shown(&st, 3, 7), turned("10.0.0.2:5001->10.0.0.1:80"));
        // The listening socket closed (as an event closes it): port 80
        // turns nothing around any more (a listener on 8080, which no
        // connection uses, keeps the fix running).
        if let Some(t) = st.fds.get_mut(&1) {
            t.remove(3);
        }
        st.load_meta(&CaptureMeta {
            procs: procs(&[4]),
            fds: vec![ip4(4, 8, 80, 5002), server(4, 9, 8080)],
            ..Default::default()
        });
        assert_eq!(shown(&st, 4, 8), kept("10.0.0.1:80->10.0.0.2:5002"));
    }

    /// A listed IPv4 TCP socket listening on `port`.
    fn server(tid: u64, n: i64, port: u16) -> FdEntry {
        FdEntry {
            tid,
            fd: n,
            ino: 0,
            ftype: FdType::Ipv4ServSock,
            info: FdInfo::Ipv4Server {
                ip: [0, 0, 0, 0],
                port,
                l4proto: crate::state::fds::l4::TCP,
            },
        }
    }
}
