//! libscap's event table (PPME ids, names, parameter lists, flag tables).
//!
//! `build.rs` generates it from `assets/event-table.json` and
//! `assets/sysdig-0.29.3-events.txt` (see `assets/event_table_gen.rs`) as
//! statics: nothing is parsed or allocated at run time.

/// libscap parameter types (`enum ppm_param_type`).
pub mod pt {
    pub const NONE: u8 = 0;
    pub const INT8: u8 = 1;
    pub const INT16: u8 = 2;
    pub const INT32: u8 = 3;
    pub const INT64: u8 = 4;
    pub const UINT8: u8 = 5;
    pub const UINT16: u8 = 6;
    pub const UINT32: u8 = 7;
    pub const UINT64: u8 = 8;
    pub const CHARBUF: u8 = 9;
    pub const BYTEBUF: u8 = 10;
    pub const ERRNO: u8 = 11;
    pub const SOCKADDR: u8 = 12;
    pub const SOCKTUPLE: u8 = 13;
    pub const FD: u8 = 14;
    pub const PID: u8 = 15;
    pub const FDLIST: u8 = 16;
    pub const FSPATH: u8 = 17;
    pub const SYSCALLID: u8 = 18;
    pub const SIGTYPE: u8 = 19;
    pub const RELTIME: u8 = 20;
    pub const ABSTIME: u8 = 21;
    pub const PORT: u8 = 22;
    pub const L4PROTO: u8 = 23;
    pub const SOCKFAMILY: u8 = 24;
    pub const BOOL: u8 = 25;
    pub const IPV4ADDR: u8 = 26;
    pub const DYN: u8 = 27;
    pub const FLAGS8: u8 = 28;
    pub const FLAGS16: u8 = 29;
    pub const FLAGS32: u8 = 30;
    pub const UID: u8 = 31;
    pub const GID: u8 = 32;
    pub const DOUBLE: u8 = 33;
    pub const SIGSET: u8 = 34;
    pub const CHARBUFARRAY: u8 = 35;
    pub const CHARBUF_PAIR_ARRAY: u8 = 36;
    pub const IPV4NET: u8 = 37;
    pub const IPV6ADDR: u8 = 38;
    pub const IPV6NET: u8 = 39;
    pub const IPADDR: u8 = 40;
    pub const IPNET: u8 = 41;
    pub const MODE: u8 = 42;
    pub const FSRELPATH: u8 = 43;
    pub const ENUMFLAGS8: u8 = 44;
    pub const ENUMFLAGS16: u8 = 45;
    pub const ENUMFLAGS32: u8 = 46;
    pub const FD32: u8 = 47;
    pub const PID32: u8 = 48;
}

/// How a numeric parameter is printed (`enum ppm_print_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintFmt {
    Na,
    Dec,
    Hex,
    Oct,
}

/// Event flags (`enum ppm_event_flags`) as bits.
pub mod ef {
    pub const CREATES_FD: u32 = 1 << 0;
    pub const DESTROYS_FD: u32 = 1 << 1;
    pub const USES_FD: u32 = 1 << 2;
    pub const READS_FROM_FD: u32 = 1 << 3;
    pub const WRITES_TO_FD: u32 = 1 << 4;
    pub const MODIFIES_STATE: u32 = 1 << 5;
    pub const UNUSED: u32 = 1 << 6;
    pub const WAITS: u32 = 1 << 7;
    pub const SKIPPARSERESET: u32 = 1 << 8;
    pub const OLD_VERSION: u32 = 1 << 9;
    pub const LARGE_PAYLOAD: u32 = 1 << 11;
    pub const CONVERTER_MANAGED: u32 = 1 << 12;
}

/// Event categories (`enum ppm_event_category`), flattened to bits.
pub mod ec {
    pub const SYSCALL: u32 = 1 << 0;
    pub const TRACEPOINT: u32 = 1 << 1;
    pub const PLUGIN: u32 = 1 << 2;
    pub const METAEVENT: u32 = 1 << 3;
    pub const INTERNAL: u32 = 1 << 4;
    pub const FILE: u32 = 1 << 5;
    pub const NET: u32 = 1 << 6;
    pub const IPC: u32 = 1 << 7;
    pub const MEMORY: u32 = 1 << 8;
    pub const PROCESS: u32 = 1 << 9;
    pub const SLEEP: u32 = 1 << 10;
    pub const SYSTEM: u32 = 1 << 11;
    pub const SIGNAL: u32 = 1 << 12;
    pub const USER: u32 = 1 << 13;
    pub const TIME: u32 = 1 << 14;
    pub const IO_READ: u32 = 1 << 15;
    pub const IO_WRITE: u32 = 1 << 16;
    pub const IO_OTHER: u32 = 1 << 17;
    pub const WAIT: u32 = 1 << 18;
    pub const SCHEDULER: u32 = 1 << 19;
    pub const OTHER: u32 = 1 << 20;
    pub const UNKNOWN: u32 = 1 << 21;
}

/// A string of the compiled-in table: its place in the one text that holds
/// them all (`STRS`, generated), rather than a pointer. The table's arrays
/// then hold no addresses, which a position-independent binary would have
/// the loader relocate at every start, writing (and so copying) every page
/// they lie in: 40 pages, about 0.3 ms of each start on the VM measured.
/// Reads like the `&'static str` it stands for. (Equal strings are one
/// place: the generator writes each string once, so places compare as the
/// strings do.)
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Str(u32, u32);

impl Str {
    /// The string.
    #[inline]
    pub fn as_str(&self) -> &'static str {
        let at = self.0 as usize;
        STRS.get(at..at + self.1 as usize).unwrap_or_default()
    }
}

impl std::ops::Deref for Str {
    type Target = str;
    #[inline]
    fn deref(&self) -> &'static str {
        self.as_str()
    }
}

impl std::hash::Hash for Str {
    // (As the string hashes: equal strings are one place of the text.)
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h);
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl std::fmt::Display for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// What a parameter's `info` refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamExtra {
    None,
    /// Index into [`EventTable::flag_tables`].
    Flags(usize),
    /// An `FSRELPATH` resolved against the `dirfd` parameter.
    DirFd,
    /// A `PT_DYN` parameter; the name of its dynamic table.
    Dyn(Str),
}

#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    pub name: Str,
    pub ptype: u8,
    pub fmt: PrintFmt,
    pub extra: ParamExtra,
}

/// An event name from the compiled-in table. Derefs to `str` and keeps the
/// `as_str()` that call sites used when the name was a `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventName(Str);

impl EventName {
    pub fn as_str(&self) -> &'static str {
        self.0.as_str()
    }
}

impl std::ops::Deref for EventName {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq<str> for EventName {
    fn eq(&self, other: &str) -> bool {
        self.0.as_str() == other
    }
}

impl PartialEq<&str> for EventName {
    fn eq(&self, other: &&str) -> bool {
        self.0.as_str() == *other
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// The one array of the compiled-in table that holds every list of a
/// kind of item ([`StaticList`]).
pub trait Pooled: Sized + 'static {
    fn pool() -> &'static [Self];
}

impl Pooled for ParamInfo {
    fn pool() -> &'static [ParamInfo] {
        &PARAMS
    }
}

impl Pooled for (Str, u32) {
    fn pool() -> &'static [(Str, u32)] {
        &FLAG_ENTRIES
    }
}

impl Pooled for u16 {
    fn pool() -> &'static [u16] {
        &NAMED_IDS
    }
}

impl Pooled for EventInfo {
    fn pool() -> &'static [EventInfo] {
        &EVENTS
    }
}

impl Pooled for FlagTable {
    fn pool() -> &'static [FlagTable] {
        &FLAG_TABLES
    }
}

/// A list in the compiled-in table: a run of the array of its kind of
/// item ([`Pooled`]), not a pointer (see [`Str`] for why). Reads like the
/// `Vec` it used to be (`iter`, `len`, indexing, `for x in &list`).
pub struct StaticList<T: Pooled>(u32, u32, std::marker::PhantomData<T>);

impl<T: Pooled> StaticList<T> {
    /// Items `at..at + len` of the array of their kind.
    const fn new(at: u32, len: u32) -> StaticList<T> {
        StaticList(at, len, std::marker::PhantomData)
    }

    #[inline]
    fn items(&self) -> &'static [T] {
        let at = self.0 as usize;
        T::pool().get(at..at + self.1 as usize).unwrap_or_default()
    }
}

impl<T: Pooled> Clone for StaticList<T> {
    fn clone(&self) -> StaticList<T> {
        *self
    }
}

impl<T: Pooled> Copy for StaticList<T> {}

impl<T: Pooled> std::ops::Deref for StaticList<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.items()
    }
}

impl<'a, T: Pooled> IntoIterator for &'a StaticList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items().iter()
    }
}

impl<T: Pooled + std::fmt::Debug> std::fmt::Debug for StaticList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.items().fmt(f)
    }
}

#[derive(Debug, Clone)]
pub struct EventInfo {
    pub id: u16,
    pub name: EventName,
    pub enum_name: Str,
    pub is_enter: bool,
    pub category: u32,
    pub flags: u32,
    pub params: StaticList<ParamInfo>,
    /// The parameters as sysdig 0.29.3 names, types and shows them (a
    /// prefix of the event's layout); `params` when 0.29.3 has no entry.
    pub compat_params: StaticList<ParamInfo>,
}

impl EventInfo {
    pub fn has_flag(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    pub fn has_category(&self, c: u32) -> bool {
        self.category & c != 0
    }
    /// Index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
    /// True when parameter lengths are u32 (EF_LARGE_PAYLOAD).
    pub fn large_payload(&self) -> bool {
        self.has_flag(ef::LARGE_PAYLOAD)
    }
}

#[derive(Debug, Clone)]
pub struct FlagTable {
    pub name: Str,
    /// (name, value) in the order libscap lists them.
    pub entries: StaticList<(Str, u32)>,
}

#[derive(Debug)]
pub struct EventTable {
    /// Indexed by event id.
    pub events: StaticList<EventInfo>,
    /// Sorted by name.
    pub flag_tables: StaticList<FlagTable>,
    /// (name, every id with that name), sorted by name.
    by_name: &'static [(Str, StaticList<u16>)],
    unknown: EventInfo,
}

impl EventTable {
    /// The event with this id; an "unknown" placeholder for ids past the table.
    #[inline]
    pub fn get(&self, id: u16) -> &EventInfo {
        self.events.get(id as usize).unwrap_or(&self.unknown)
    }
    pub fn known(&self, id: u16) -> bool {
        (id as usize) < self.events.len()
    }
    /// True for the event ids sysdig 0.29.3 knows (its PPM_EVENT_MAX was
    /// 336: clone3 was the last event). Newer ids are skipped by its reader.
    pub fn known_to_sysdig_0_29(&self, id: u16) -> bool {
        id < SYSDIG_0_29_EVENT_MAX
    }
    /// Every event id (enter and exit, all versions) with this name.
    pub fn ids_named(&self, name: &str) -> &[u16] {
        match self.by_name.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => &self.by_name[i].1,
            Err(_) => &[],
        }
    }
    /// Whether some event has a parameter of this name (as this table or
    /// sysdig 0.29.3 names it).
    pub fn has_param_named(&self, name: &str) -> bool {
        self.events.iter().any(|e| {
            e.params.iter().any(|p| p.name == name)
                || e.compat_params.iter().any(|p| p.name == name)
        })
    }
    /// The type of the first argument named `name`, in event id order (as
    /// libsinsp types `evt.rawarg.NAME`).
    pub fn first_param_type(&self, name: &str) -> Option<u8> {
        self.events.iter().find_map(|e| {
            e.params
                .iter()
                .chain(e.compat_params.iter())
                .find(|p| p.name == name)
                .map(|p| p.ptype)
        })
    }
    pub fn flag_table(&self, name: &str) -> Option<&FlagTable> {
        self.flag_tables
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.flag_tables.get(i))
    }
    pub fn len(&self) -> usize {
        self.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// All distinct event names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.iter().map(|(n, _)| n.as_str())
    }
}

/// Shorthand for the generated parameter lists.
const fn param(name: Str, ptype: u8, fmt: PrintFmt, extra: ParamExtra) -> ParamInfo {
    ParamInfo {
        name,
        ptype,
        fmt,
        extra,
    }
}

// FLAG_TABLES, EVENTS and BY_NAME, the arrays of the items of their lists
// (PARAMS, FLAG_ENTRIES, NAMED_IDS), the text of their strings (STRS) and
// the unknown event's names.
include!(concat!(env!("OUT_DIR"), "/event_table.rs"));

static TABLE: EventTable = EventTable {
    events: StaticList::new(0, EVENTS.len() as u32),
    flag_tables: StaticList::new(0, FLAG_TABLES.len() as u32),
    by_name: &BY_NAME,
    unknown: EventInfo {
        id: u16::MAX,
        name: EventName(UNKNOWN_NAME),
        enum_name: UNKNOWN_ENUM,
        is_enter: true,
        category: ec::UNKNOWN,
        flags: 0,
        params: StaticList::new(0, 0),
        compat_params: StaticList::new(0, 0),
    },
};

/// The process-wide event table.
#[inline]
pub fn table() -> &'static EventTable {
    &TABLE
}

/// PPM_EVENT_MAX of sysdig 0.29.3.
pub const SYSDIG_0_29_EVENT_MAX: u16 = 336;

/// Well-known event ids used by the decoder, state and probe.
pub mod ids {
    pub const GENERIC_E: u16 = 0;
    pub const GENERIC_X: u16 = 1;
    pub const CONNECT_X: u16 = 23;
    pub const DROP_E: u16 = 148;
    pub const DROP_X: u16 = 149;
    pub const SCHEDSWITCH_6_E: u16 = 152;
    pub const PROCEXIT_1_E: u16 = 186;
    pub const CONTAINER_E: u16 = 228;
    pub const PROCINFO_E: u16 = 234;
    pub const CONTAINER_JSON_E: u16 = 272;
    pub const CONTAINER_JSON_2_E: u16 = 324;
    pub const ASYNCEVENT_E: u16 = 402;
    pub const PLUGINEVENT_E: u16 = 322;
    /// The views' end-of-sample per-thread events (an unused id of the
    /// table; sysdig 0.29.3 calls them "sysdigevent"). They carry the
    /// thread table into view aggregations, as csysdig does.
    pub const THREAD_TABLE: u16 = 197;

    /// The event types that carry container metadata.
    pub fn is_container(etype: u16) -> bool {
        matches!(etype, CONTAINER_E | CONTAINER_JSON_E | CONTAINER_JSON_2_E)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const TABLE_JSON: &str = include_str!("../../assets/event-table.json");

    #[test]
    fn table_loads() {
        let t = table();
        assert_eq!(t.events.len(), 454);
        for (i, e) in t.events.iter().enumerate() {
            assert_eq!(e.id as usize, i);
        }
        let openat = t.get(307);
        assert_eq!(openat.name, "openat");
        assert!(!openat.is_enter);
        let file_flags = t
            .flag_tables
            .iter()
            .position(|f| f.name == "file_flags")
            .expect("file_flags");
        assert_eq!(openat.params[3].extra, ParamExtra::Flags(file_flags));
        assert_eq!(openat.params[2].extra, ParamExtra::DirFd);
        assert!(t.get(324).large_payload());
        assert!(t.ids_named("execve").contains(&293));
        assert!(t.ids_named("no-such-event").is_empty());
        assert_eq!(t.get(9999).name, "unknown");
        // 0.29.3 shows 6 openat exit params, and names execve's 18th pgid.
        assert_eq!(openat.compat_params.len(), 6);
        let ex = t.get(293);
        assert_eq!(ex.compat_params.len(), 20);
        assert_eq!(ex.compat_params[17].name, "pgid");
        assert_eq!(ex.compat_params[18].ptype, pt::INT32);
    }

    /// The generated statics say what the JSON asset says.
    #[test]
    fn matches_the_asset() {
        let root: Value = serde_json::from_str(TABLE_JSON).expect("asset parses");
        let t = table();
        let flags = root["flag_tables"].as_object().expect("flag_tables");
        assert_eq!(flags.len(), t.flag_tables.len());
        for (name, entries) in flags {
            let ft = t.flag_table(name).expect("flag table by name");
            assert_eq!(ft.name, name.as_str());
            let entries = entries.as_array().expect("entries");
            assert_eq!(entries.len(), ft.entries.len(), "{name}");
            for (e, &(n, v)) in entries.iter().zip(&ft.entries) {
                assert_eq!(e[0].as_str(), Some(n.as_str()), "{name}");
                assert_eq!(e[1].as_u64(), Some(u64::from(v)), "{name}");
            }
        }
        assert!(t
            .flag_tables
            .windows(2)
            .all(|w| w[0].name.as_str() < w[1].name.as_str()));
        let events = root["events"].as_array().expect("events");
        assert_eq!(events.len(), t.len());
        for e in events {
            let id = e["id"].as_u64().and_then(|i| u16::try_from(i).ok());
            let info = t.get(id.expect("id"));
            // (Renamed to its sysdig 0.29.3 name.)
            let name = match e["name"].as_str() {
                Some("scapevent") => Some("sysdigevent"),
                n => n,
            };
            assert_eq!(name, Some(info.name.as_str()));
            assert_eq!(e["enum"].as_str(), Some(info.enum_name.as_str()));
            assert_eq!(e["dir"].as_str() == Some("enter"), info.is_enter);
            assert!(t.ids_named(&info.name).contains(&info.id));
            let has = |key: &str, name: &str| {
                e[key]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(name)))
            };
            assert_eq!(has("flags", "EF_USES_FD"), info.has_flag(ef::USES_FD));
            assert_eq!(
                has("flags", "EF_LARGE_PAYLOAD"),
                info.has_flag(ef::LARGE_PAYLOAD)
            );
            assert_eq!(
                has("category", "EC_INTERNAL"),
                info.has_category(ec::INTERNAL)
            );
            assert_eq!(has("category", "EC_NET"), info.has_category(ec::NET));
            let params = e["params"].as_array().expect("params");
            assert_eq!(params.len(), info.params.len(), "{}", info.name);
            for (p, pi) in params.iter().zip(&info.params) {
                assert_eq!(p["name"].as_str(), Some(pi.name.as_str()));
                assert_eq!(p["type_id"].as_u64(), Some(u64::from(pi.ptype)));
                let info_text = p["info"].as_str().unwrap_or("");
                match pi.extra {
                    ParamExtra::Flags(i) => assert_eq!(t.flag_tables[i].name, info_text),
                    ParamExtra::DirFd => assert_eq!(info_text, "DIRFD_PARAM"),
                    ParamExtra::Dyn(n) => assert_eq!(n, info_text),
                    ParamExtra::None => assert!(t.flag_table(info_text).is_none()),
                }
            }
        }
        let mut names: Vec<&str> = t.names().collect();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }
}
