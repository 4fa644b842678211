//! libscap's event table (PPME ids, names, parameter lists, flag tables),
//! loaded once from `assets/event-table.json`.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

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

/// What a parameter's `info` refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamExtra {
    None,
    /// Index into [`EventTable::flag_tables`].
    Flags(usize),
    /// An `FSRELPATH` resolved against the `dirfd` parameter.
    DirFd,
    /// A `PT_DYN` parameter; the name of its dynamic table.
    Dyn(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    pub name: &'static str,
    pub ptype: u8,
    pub fmt: PrintFmt,
    pub extra: ParamExtra,
}

/// An event name from the compiled-in table. Derefs to `str` and keeps the
/// `as_str()` that call sites used when the name was a `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventName(&'static str);

impl EventName {
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl std::ops::Deref for EventName {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl PartialEq<str> for EventName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for EventName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[derive(Debug, Clone)]
pub struct EventInfo {
    pub id: u16,
    pub name: EventName,
    pub enum_name: &'static str,
    pub is_enter: bool,
    pub category: u32,
    pub flags: u32,
    pub params: Vec<ParamInfo>,
    /// The parameters as sysdig 0.29.3 names, types and shows them (a
    /// prefix of the event's layout); `params` when 0.29.3 has no entry.
    pub compat_params: Vec<ParamInfo>,
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
    pub name: &'static str,
    /// (name, value) in the order libscap lists them.
    pub entries: Vec<(&'static str, u32)>,
}

#[derive(Debug)]
pub struct EventTable {
    pub events: Vec<EventInfo>,
    pub flag_tables: Vec<FlagTable>,
    flag_index: HashMap<&'static str, usize>,
    by_name: HashMap<&'static str, Vec<u16>>,
    unknown: EventInfo,
}

impl EventTable {
    /// The event with this id; an "unknown" placeholder for ids past the table.
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
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
    pub fn flag_table(&self, name: &str) -> Option<&FlagTable> {
        self.flag_index.get(name).map(|&i| &self.flag_tables[i])
    }
    pub fn len(&self) -> usize {
        self.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// All distinct event names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().copied()
    }
}

/// The asset, borrowed from the compiled-in text (its strings have no
/// escapes; a unit test parses it). Unused top-level keys are skipped.
#[derive(Deserialize)]
struct JsonTable<'a> {
    /// Sorted by name, as the tables have always been indexed.
    #[serde(borrow)]
    flag_tables: BTreeMap<&'a str, Vec<(&'a str, u32)>>,
    #[serde(borrow)]
    events: Vec<JsonEvent<'a>>,
}

#[derive(Deserialize)]
struct JsonEvent<'a> {
    id: u16,
    #[serde(rename = "enum")]
    enum_name: &'a str,
    name: &'a str,
    dir: &'a str,
    /// `EC_*` names, or-ed into bits while parsing.
    #[serde(deserialize_with = "category_bits")]
    category: u32,
    /// `EF_*` names, or-ed into bits while parsing.
    #[serde(deserialize_with = "flag_bits")]
    flags: u32,
    #[serde(borrow)]
    params: Vec<JsonParam<'a>>,
}

#[derive(Deserialize)]
struct JsonParam<'a> {
    name: &'a str,
    type_id: u8,
    format: &'a str,
    #[serde(default, borrow)]
    info: Option<&'a str>,
}

/// Ors the bits of a JSON list of names (without collecting the names).
struct NameBits(fn(&str) -> u32);

impl<'de> serde::de::Visitor<'de> for NameBits {
    type Value = u32;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of names")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        let mut bits = 0;
        while let Some(n) = seq.next_element::<&'de str>()? {
            bits |= (self.0)(n);
        }
        Ok(bits)
    }
}

fn category_bits<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    d.deserialize_seq(NameBits(category_bit))
}

fn flag_bits<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    d.deserialize_seq(NameBits(flag_bit))
}

const TABLE_JSON: &str = include_str!("../../assets/event-table.json");
const SYSDIG_029_EVENTS: &str = include_str!("../../assets/sysdig-0.29.3-events.txt");

fn type_id_of(name: &str) -> Option<u8> {
    Some(match name {
        "INT8" => pt::INT8,
        "INT16" => pt::INT16,
        "INT32" => pt::INT32,
        "INT64" => pt::INT64,
        "UINT8" => pt::UINT8,
        "UINT16" => pt::UINT16,
        "UINT32" => pt::UINT32,
        "UINT64" => pt::UINT64,
        "CHARBUF" => pt::CHARBUF,
        "BYTEBUF" => pt::BYTEBUF,
        "ERRNO" => pt::ERRNO,
        "SOCKADDR" => pt::SOCKADDR,
        "SOCKTUPLE" => pt::SOCKTUPLE,
        "FD" => pt::FD,
        "PID" => pt::PID,
        "FDLIST" => pt::FDLIST,
        "FSPATH" => pt::FSPATH,
        "SYSCALLID" => pt::SYSCALLID,
        "SIGTYPE" => pt::SIGTYPE,
        "RELTIME" => pt::RELTIME,
        "ABSTIME" => pt::ABSTIME,
        "PORT" => pt::PORT,
        "L4PROTO" => pt::L4PROTO,
        "SOCKFAMILY" => pt::SOCKFAMILY,
        "BOOL" => pt::BOOL,
        "IPV4ADDR" => pt::IPV4ADDR,
        "DYNAMIC" | "DYN" => pt::DYN,
        "FLAGS8" => pt::FLAGS8,
        "FLAGS16" => pt::FLAGS16,
        "FLAGS32" => pt::FLAGS32,
        "UID" => pt::UID,
        "GID" => pt::GID,
        "DOUBLE" => pt::DOUBLE,
        "SIGSET" => pt::SIGSET,
        "MODE" => pt::MODE,
        "FSRELPATH" => pt::FSRELPATH,
        "IPV6ADDR" => pt::IPV6ADDR,
        "IPADDR" => pt::IPADDR,
        "IPNET" => pt::IPNET,
        _ => return None,
    })
}

/// One line of `sysdig -L`: (is_enter, name, [(type, param name)]).
type Signature = (bool, &'static str, Vec<(u8, &'static str)>);

/// Every line of sysdig 0.29.3's `sysdig -L`.
fn sysdig_029_signatures() -> Vec<Signature> {
    let mut out = Vec::new();
    for line in SYSDIG_029_EVENTS.lines() {
        let line = line.trim();
        let (enter, rest) = match line.split_at_checked(2) {
            Some(("> ", r)) => (true, r),
            Some(("< ", r)) => (false, r),
            _ => continue,
        };
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        let args = args.trim_end_matches(')');
        let params = args
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .filter_map(|a| {
                let (t, n) = a.split_once(' ')?;
                Some((type_id_of(t).unwrap_or(pt::BYTEBUF), n))
            })
            .collect();
        out.push((enter, name, params));
    }
    out
}

/// The 0.29.3 view of an event's parameters: the signature of the same
/// name and direction that shares the longest name prefix with `params`.
fn compat_params(
    id: u16,
    name: &str,
    enter: bool,
    params: &[ParamInfo],
    sigs: &[Signature],
) -> Vec<ParamInfo> {
    if id >= SYSDIG_0_29_EVENT_MAX {
        return params.to_vec();
    }
    let mut best: Option<(usize, &Vec<(u8, &'static str)>)> = None;
    // `sigs` is sorted by (name, direction), stably: the same-named
    // signatures are one run, in their file order.
    let lo = sigs.partition_point(|(e, n, _)| (*n, *e) < (name, enter));
    let run = sigs[lo..].partition_point(|(e, n, _)| *n == name && *e == enter);
    for (_, _, sig) in &sigs[lo..lo + run] {
        let common = sig
            .iter()
            .zip(params)
            .take_while(|((_, a), p)| *a == p.name)
            .count();
        // The whole signature must describe a layout prefix: all but
        // renamed trailing params match by name.
        if common == 0 && !sig.is_empty() {
            continue;
        }
        let better = match best {
            None => true,
            Some((c, b)) => common > c || (common == c && sig.len() > b.len()),
        };
        if better {
            best = Some((common, sig));
        }
    }
    match best {
        Some((_, sig)) => sig
            .iter()
            .enumerate()
            .map(|(i, (t, n))| {
                let Some(head) = params.get(i) else {
                    return ParamInfo {
                        name: n,
                        ptype: *t,
                        fmt: PrintFmt::Dec,
                        extra: ParamExtra::None,
                    };
                };
                let same = head.name == *n;
                ParamInfo {
                    name: n,
                    ptype: *t,
                    fmt: if same { head.fmt } else { PrintFmt::Dec },
                    extra: if same { head.extra } else { ParamExtra::None },
                }
            })
            .collect(),
        None => params.to_vec(),
    }
}

fn flag_bit(name: &str) -> u32 {
    match name {
        "EF_CREATES_FD" => ef::CREATES_FD,
        "EF_DESTROYS_FD" => ef::DESTROYS_FD,
        "EF_USES_FD" => ef::USES_FD,
        "EF_READS_FROM_FD" => ef::READS_FROM_FD,
        "EF_WRITES_TO_FD" => ef::WRITES_TO_FD,
        "EF_MODIFIES_STATE" => ef::MODIFIES_STATE,
        "EF_UNUSED" => ef::UNUSED,
        "EF_WAITS" => ef::WAITS,
        "EF_SKIPPARSERESET" => ef::SKIPPARSERESET,
        "EF_OLD_VERSION" => ef::OLD_VERSION,
        "EF_LARGE_PAYLOAD" => ef::LARGE_PAYLOAD,
        "EF_CONVERTER_MANAGED" => ef::CONVERTER_MANAGED,
        _ => 0,
    }
}

fn category_bit(name: &str) -> u32 {
    match name {
        "EC_SYSCALL" => ec::SYSCALL,
        "EC_TRACEPOINT" => ec::TRACEPOINT,
        "EC_PLUGIN" => ec::PLUGIN,
        "EC_METAEVENT" => ec::METAEVENT,
        "EC_INTERNAL" => ec::INTERNAL,
        "EC_FILE" => ec::FILE,
        "EC_NET" => ec::NET,
        "EC_IPC" => ec::IPC,
        "EC_MEMORY" => ec::MEMORY,
        "EC_PROCESS" => ec::PROCESS,
        "EC_SLEEP" => ec::SLEEP,
        "EC_SYSTEM" => ec::SYSTEM,
        "EC_SIGNAL" => ec::SIGNAL,
        "EC_USER" => ec::USER,
        "EC_TIME" => ec::TIME,
        "EC_IO_READ" => ec::IO_READ,
        "EC_IO_WRITE" => ec::IO_WRITE,
        "EC_IO_OTHER" => ec::IO_OTHER,
        "EC_WAIT" => ec::WAIT,
        "EC_SCHEDULER" => ec::SCHEDULER,
        "EC_OTHER" => ec::OTHER,
        _ => ec::UNKNOWN,
    }
}

fn build() -> Result<EventTable, serde_json::Error> {
    let raw: JsonTable<'static> = serde_json::from_str(TABLE_JSON)?;
    let mut flag_tables = Vec::with_capacity(raw.flag_tables.len());
    let mut flag_index = HashMap::with_capacity(raw.flag_tables.len());
    for (name, entries) in raw.flag_tables {
        flag_index.insert(name, flag_tables.len());
        flag_tables.push(FlagTable { name, entries });
    }
    let mut sigs = sysdig_029_signatures();
    // (Stable: equal keys keep their file order, which breaks ties.)
    sigs.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let mut events = Vec::with_capacity(raw.events.len());
    let mut by_name: HashMap<&'static str, Vec<u16>> = HashMap::new();
    for e in raw.events {
        let params: Vec<ParamInfo> = e
            .params
            .into_iter()
            .map(|p| {
                let fmt = match p.format {
                    "PF_DEC" => PrintFmt::Dec,
                    "PF_HEX" => PrintFmt::Hex,
                    "PF_OCT" => PrintFmt::Oct,
                    _ => PrintFmt::Na,
                };
                let info = p.info.unwrap_or("");
                let extra = if info == "DIRFD_PARAM" {
                    ParamExtra::DirFd
                } else if p.type_id == pt::DYN {
                    ParamExtra::Dyn(info)
                } else if let Some(&i) = flag_index.get(info) {
                    ParamExtra::Flags(i)
                } else {
                    ParamExtra::None
                };
                ParamInfo {
                    name: p.name,
                    ptype: p.type_id,
                    fmt,
                    extra,
                }
            })
            .collect();
        by_name.entry(e.name).or_default().push(e.id);
        let is_enter = e.dir == "enter";
        let compat = compat_params(e.id, e.name, is_enter, &params, &sigs);
        events.push(EventInfo {
            id: e.id,
            name: EventName(e.name),
            enum_name: e.enum_name,
            is_enter,
            category: e.category,
            flags: e.flags,
            params,
            compat_params: compat,
        });
    }
    events.sort_by_key(|e| e.id);
    Ok(EventTable {
        events,
        flag_tables,
        flag_index,
        by_name,
        unknown: EventInfo {
            id: u16::MAX,
            name: EventName("unknown"),
            enum_name: "PPME_UNKNOWN",
            is_enter: true,
            category: ec::UNKNOWN,
            flags: 0,
            params: Vec::new(),
            compat_params: Vec::new(),
        },
    })
}

/// The process-wide event table.
pub fn table() -> &'static EventTable {
    static TABLE: OnceLock<EventTable> = OnceLock::new();
    TABLE.get_or_init(|| match build() {
        Ok(t) => t,
        // The asset is compiled in and checked by a unit test, so this
        // cannot fail at run time; fall back to an empty table rather than panic.
        Err(_) => EventTable {
            events: Vec::new(),
            flag_tables: Vec::new(),
            flag_index: HashMap::new(),
            by_name: HashMap::new(),
            unknown: EventInfo {
                id: u16::MAX,
                name: EventName("unknown"),
                enum_name: "PPME_UNKNOWN",
                is_enter: true,
                category: ec::UNKNOWN,
                flags: 0,
                params: Vec::new(),
                compat_params: Vec::new(),
            },
        },
    })
}

/// PPM_EVENT_MAX of sysdig 0.29.3.
pub const SYSDIG_0_29_EVENT_MAX: u16 = 336;

/// Well-known event ids used by the decoder, state and probe.
pub mod ids {
    pub const GENERIC_E: u16 = 0;
    pub const GENERIC_X: u16 = 1;
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

    #[test]
    fn table_loads() {
        let t = build().expect("event table parses");
        assert_eq!(t.events.len(), 454);
        for (i, e) in t.events.iter().enumerate() {
            assert_eq!(e.id as usize, i);
        }
        let openat = t.get(307);
        assert_eq!(openat.name, "openat");
        assert!(!openat.is_enter);
        assert_eq!(
            openat.params[3].extra,
            ParamExtra::Flags(t.flag_index["file_flags"])
        );
        assert_eq!(openat.params[2].extra, ParamExtra::DirFd);
        assert!(t.get(324).large_payload());
        assert!(t.ids_named("execve").contains(&293));
        // 0.29.3 shows 6 openat exit params, and names execve's 18th pgid.
        assert_eq!(openat.compat_params.len(), 6);
        let ex = t.get(293);
        assert_eq!(ex.compat_params.len(), 20);
        assert_eq!(ex.compat_params[17].name, "pgid");
        assert_eq!(ex.compat_params[18].ptype, pt::INT32);
    }
}
