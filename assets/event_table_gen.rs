//! Build-time generator for `src/event/table.rs`: turns
//! `assets/event-table.json` and `assets/sysdig-0.29.3-events.txt` into Rust
//! statics (`EVENTS`, `FLAG_TABLES`, `BY_NAME`), so the event table costs
//! nothing at start-up. Used by `build.rs` only; the types it names
//! (`EventInfo`, `ParamInfo`, `StaticList`, `pt`, `ec`, `ef`...) are those of
//! `src/event/table.rs`, where the output is `include!`d.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// PPM_EVENT_MAX of sysdig 0.29.3 (`SYSDIG_0_29_EVENT_MAX` in table.rs).
const SYSDIG_0_29_EVENT_MAX: u64 = 336;
/// `pt::DYN`.
const PT_DYN: u8 = 27;

#[derive(Clone, PartialEq)]
enum Extra {
    None,
    Flags(usize),
    DirFd,
    Dyn(String),
}

#[derive(Clone, PartialEq)]
struct Param {
    name: String,
    /// The type as Rust source: a number (`type_id` of the JSON) or a
    /// `pt::` constant (the 0.29.3 list names its types).
    ptype: String,
    /// A `PrintFmt` variant.
    fmt: &'static str,
    extra: Extra,
}

struct Event {
    id: u64,
    name: String,
    enum_name: String,
    is_enter: bool,
    /// Or-ed `ec::` constants as Rust source.
    category: String,
    /// Or-ed `ef::` constants as Rust source.
    flags: String,
    params: Vec<Param>,
    compat: Vec<Param>,
}

/// The table's strings as one text: each string is written as `Str(at,
/// len)`, its place in that text (the same string once), so that the
/// generated arrays hold no pointers (see `Str` in `src/event/table.rs`).
#[derive(Default)]
struct Pool {
    text: String,
    places: BTreeMap<String, (usize, usize)>,
}

impl Pool {
    /// `Str(at, len)` for `s`, added to the text when new.
    fn str(&mut self, s: &str) -> String {
        let (at, len) = match self.places.get(s) {
            Some(&p) => p,
            None => {
                let p = (self.text.len(), s.len());
                self.text.push_str(s);
                self.places.insert(s.to_string(), p);
                p
            }
        };
        format!("Str({at}, {len})")
    }
}

/// One line of `sysdig -L`: (is_enter, name, [(pt:: constant, param name)]).
type Signature<'a> = (bool, &'a str, Vec<(&'static str, &'a str)>);

fn str_of<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{what}: expected a string"))
}

fn u64_of(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("{what}: expected an unsigned number"))
}

fn list_of<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("{what}: expected a list"))
}

/// `pt::` constant for a type name of the 0.29.3 list. Names without one
/// (CHARBUFARRAY...) show as BYTEBUF, as the table always did.
fn pt_of_029(name: &str) -> &'static str {
    match name {
        "INT8" => "pt::INT8",
        "INT16" => "pt::INT16",
        "INT32" => "pt::INT32",
        "INT64" => "pt::INT64",
        "UINT8" => "pt::UINT8",
        "UINT16" => "pt::UINT16",
        "UINT32" => "pt::UINT32",
        "UINT64" => "pt::UINT64",
        "CHARBUF" => "pt::CHARBUF",
        "BYTEBUF" => "pt::BYTEBUF",
        "ERRNO" => "pt::ERRNO",
        "SOCKADDR" => "pt::SOCKADDR",
        "SOCKTUPLE" => "pt::SOCKTUPLE",
        "FD" => "pt::FD",
        "PID" => "pt::PID",
        "FDLIST" => "pt::FDLIST",
        "FSPATH" => "pt::FSPATH",
        "SYSCALLID" => "pt::SYSCALLID",
        "SIGTYPE" => "pt::SIGTYPE",
        "RELTIME" => "pt::RELTIME",
        "ABSTIME" => "pt::ABSTIME",
        "PORT" => "pt::PORT",
        "L4PROTO" => "pt::L4PROTO",
        "SOCKFAMILY" => "pt::SOCKFAMILY",
        "BOOL" => "pt::BOOL",
        "IPV4ADDR" => "pt::IPV4ADDR",
        "DYNAMIC" | "DYN" => "pt::DYN",
        "FLAGS8" => "pt::FLAGS8",
        "FLAGS16" => "pt::FLAGS16",
        "FLAGS32" => "pt::FLAGS32",
        "UID" => "pt::UID",
        "GID" => "pt::GID",
        "DOUBLE" => "pt::DOUBLE",
        "SIGSET" => "pt::SIGSET",
        "MODE" => "pt::MODE",
        "FSRELPATH" => "pt::FSRELPATH",
        "IPV6ADDR" => "pt::IPV6ADDR",
        "IPADDR" => "pt::IPADDR",
        "IPNET" => "pt::IPNET",
        _ => "pt::BYTEBUF",
    }
}

/// `ef::` constant of an `EF_*` name; names without one add no bit.
fn ef_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "EF_CREATES_FD" => "ef::CREATES_FD",
        "EF_DESTROYS_FD" => "ef::DESTROYS_FD",
        "EF_USES_FD" => "ef::USES_FD",
        "EF_READS_FROM_FD" => "ef::READS_FROM_FD",
        "EF_WRITES_TO_FD" => "ef::WRITES_TO_FD",
        "EF_MODIFIES_STATE" => "ef::MODIFIES_STATE",
        "EF_UNUSED" => "ef::UNUSED",
        "EF_WAITS" => "ef::WAITS",
        "EF_SKIPPARSERESET" => "ef::SKIPPARSERESET",
        "EF_OLD_VERSION" => "ef::OLD_VERSION",
        "EF_LARGE_PAYLOAD" => "ef::LARGE_PAYLOAD",
        "EF_CONVERTER_MANAGED" => "ef::CONVERTER_MANAGED",
        _ => return None,
    })
}

/// `ec::` constant of an `EC_*` name; other names are `ec::UNKNOWN`.
fn ec_of(name: &str) -> &'static str {
    match name {
        "EC_SYSCALL" => "ec::SYSCALL",
        "EC_TRACEPOINT" => "ec::TRACEPOINT",
        "EC_PLUGIN" => "ec::PLUGIN",
        "EC_METAEVENT" => "ec::METAEVENT",
        "EC_INTERNAL" => "ec::INTERNAL",
        "EC_FILE" => "ec::FILE",
        "EC_NET" => "ec::NET",
        "EC_IPC" => "ec::IPC",
        "EC_MEMORY" => "ec::MEMORY",
        "EC_PROCESS" => "ec::PROCESS",
        "EC_SLEEP" => "ec::SLEEP",
        "EC_SYSTEM" => "ec::SYSTEM",
        "EC_SIGNAL" => "ec::SIGNAL",
        "EC_USER" => "ec::USER",
        "EC_TIME" => "ec::TIME",
        "EC_IO_READ" => "ec::IO_READ",
        "EC_IO_WRITE" => "ec::IO_WRITE",
        "EC_IO_OTHER" => "ec::IO_OTHER",
        "EC_WAIT" => "ec::WAIT",
        "EC_SCHEDULER" => "ec::SCHEDULER",
        "EC_OTHER" => "ec::OTHER",
        _ => "ec::UNKNOWN",
    }
}

/// `a | b | c` of distinct constants, in first-seen order; `0` for none.
fn or_expr(consts: impl Iterator<Item = &'static str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for c in consts {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    if seen.is_empty() {
        "0".to_string()
    } else {
        seen.join(" | ")
    }
}

/// Every line of sysdig 0.29.3's `sysdig -L`.
fn signatures(text: &str) -> Vec<Signature<'_>> {
    let mut out = Vec::new();
    for line in text.lines() {
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
                Some((pt_of_029(t), n))
            })
            .collect();
        out.push((enter, name, params));
    }
    out
}

/// The 0.29.3 view of an event's parameters: the signature of the same
/// name and direction that shares the longest name prefix with `params`
/// (ties: the longer signature, then the first in the file).
fn compat_params(
    id: u64,
    name: &str,
    enter: bool,
    params: &[Param],
    sigs: &[Signature],
) -> Vec<Param> {
    if id >= SYSDIG_0_29_EVENT_MAX {
        return params.to_vec();
    }
    let mut best: Option<(usize, &Vec<(&'static str, &str)>)> = None;
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
    let Some((_, sig)) = best else {
        return params.to_vec();
    };
    sig.iter()
        .enumerate()
        .map(|(i, (t, n))| {
            let same = params.get(i).filter(|head| head.name == *n);
            Param {
                name: (*n).to_string(),
                ptype: (*t).to_string(),
                fmt: same.map_or("Dec", |h| h.fmt),
                extra: same.map_or(Extra::None, |h| h.extra.clone()),
            }
        })
        .collect()
}

fn parse_param(p: &Value, what: &str, flag_index: &BTreeMap<&str, usize>) -> Result<Param, String> {
    let name = str_of(&p["name"], &format!("{what}.name"))?;
    let type_id = u64_of(&p["type_id"], &format!("{what}.type_id"))?;
    let type_id = u8::try_from(type_id).map_err(|_| format!("{what}.type_id: {type_id} > 255"))?;
    let fmt = match str_of(&p["format"], &format!("{what}.format"))? {
        "PF_DEC" => "Dec",
        "PF_HEX" => "Hex",
        "PF_OCT" => "Oct",
        _ => "Na",
    };
    let info = match &p["info"] {
        Value::Null => "",
        v => str_of(v, &format!("{what}.info"))?,
    };
    let extra = if info == "DIRFD_PARAM" {
        Extra::DirFd
    } else if type_id == PT_DYN {
        Extra::Dyn(info.to_string())
    } else if let Some(&i) = flag_index.get(info) {
        Extra::Flags(i)
    } else {
        Extra::None
    };
    Ok(Param {
        name: name.to_string(),
        ptype: type_id.to_string(),
        fmt,
        extra,
    })
}

/// Appends `ps` to the items of `PARAMS` (`items`, `n` of them so far):
/// the `StaticList::new(at, len)` of the list.
fn write_params(items: &mut String, n: &mut usize, pool: &mut Pool, ps: &[Param]) -> String {
    let at = *n;
    for p in ps {
        let extra = match &p.extra {
            Extra::None => "ParamExtra::None".to_string(),
            Extra::Flags(i) => format!("ParamExtra::Flags({i})"),
            Extra::DirFd => "ParamExtra::DirFd".to_string(),
            Extra::Dyn(n) => format!("ParamExtra::Dyn({})", pool.str(n)),
        };
        let _ = write!(
            items,
            "\n    param({}, {}, PrintFmt::{}, {extra}),",
            pool.str(&p.name),
            p.ptype,
            p.fmt
        );
        *n += 1;
    }
    format!("StaticList::new({at}, {})", ps.len())
}

/// The Rust source of the table: `FLAG_TABLES`, `EVENTS` (indexed by id)
/// and `BY_NAME` (sorted by name), plus the arrays they point to.
pub fn generate(json: &str, sysdig_029_events: &str) -> Result<String, String> {
    let root: Value = serde_json::from_str(json).map_err(|e| format!("event-table.json: {e}"))?;
    let flag_tables = root["flag_tables"]
        .as_object()
        .ok_or("event-table.json: flag_tables: expected an object")?;
    // Sorted by name: `EventTable::flag_table` searches them.
    let mut flag_list: Vec<(&str, Vec<(&str, u32)>)> = Vec::new();
    for (name, entries) in flag_tables {
        let what = format!("flag_tables.{name}");
        let mut es = Vec::new();
        for e in list_of(entries, &what)? {
            let pair = list_of(e, &what)?;
            let [n, v] = pair else {
                return Err(format!("{what}: expected [name, value] pairs"));
            };
            let v = u64_of(v, &what)?;
            let v = u32::try_from(v).map_err(|_| format!("{what}: {v} does not fit u32"))?;
            es.push((str_of(n, &what)?, v));
        }
        flag_list.push((name.as_str(), es));
    }
    flag_list.sort_by(|a, b| a.0.cmp(b.0));
    let flag_index: BTreeMap<&str, usize> = flag_list
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i))
        .collect();

    let mut sigs = signatures(sysdig_029_events);
    // (Stable: equal keys keep their file order, which breaks ties.)
    sigs.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));

    let mut events = Vec::new();
    for (k, e) in list_of(&root["events"], "events")?.iter().enumerate() {
        let what = format!("events[{k}]");
        let id = u64_of(&e["id"], &format!("{what}.id"))?;
        let name = str_of(&e["name"], &format!("{what}.name"))?;
        // The names sysdig 0.29.3 gave events that libs renamed since
        // (they show in `-D` output, `evt.type` and `-S`).
        let name = match name {
            "scapevent" => "sysdigevent",
            n => n,
        };
        let is_enter = str_of(&e["dir"], &format!("{what}.dir"))? == "enter";
        let mut cats = Vec::new();
        for c in list_of(&e["category"], &format!("{what}.category"))? {
            cats.push(ec_of(str_of(c, &format!("{what}.category"))?));
        }
        let mut flags = Vec::new();
        for f in list_of(&e["flags"], &format!("{what}.flags"))? {
            flags.extend(ef_of(str_of(f, &format!("{what}.flags"))?));
        }
        let mut params = Vec::new();
        for (j, p) in list_of(&e["params"], &format!("{what}.params"))?
            .iter()
            .enumerate()
        {
            params.push(parse_param(p, &format!("{what}.params[{j}]"), &flag_index)?);
        }
        let compat = compat_params(id, name, is_enter, &params, &sigs);
        events.push(Event {
            id,
            name: name.to_string(),
            enum_name: str_of(&e["enum"], &format!("{what}.enum"))?.to_string(),
            is_enter,
            category: or_expr(cats.into_iter()),
            flags: or_expr(flags.into_iter()),
            params,
            compat,
        });
    }
    // Stable: ids_named lists an id's entries in the file's order.
    events.sort_by_key(|e| e.id);
    for (i, e) in events.iter().enumerate() {
        if e.id != i as u64 {
            return Err(format!(
                "events: ids must be 0..{} without gaps or repeats (found {} at {i})",
                events.len(),
                e.id
            ));
        }
    }
    let mut by_name: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &events {
        by_name.entry(e.name.as_str()).or_default().push(e.id);
    }

    let mut out = String::with_capacity(1 << 20);
    let mut pool = Pool::default();
    out.push_str(
        "// @generated by build.rs (assets/event_table_gen.rs) from \
         assets/event-table.json and assets/sysdig-0.29.3-events.txt.\n\n",
    );
    let _ = writeln!(
        out,
        "static FLAG_TABLES: [FlagTable; {}] = [",
        flag_list.len()
    );
    let mut entries_out = String::new();
    let mut n_entries = 0;
    for (name, entries) in &flag_list {
        let _ = writeln!(
            out,
            "FlagTable {{ name: {}, entries: StaticList::new({n_entries}, {}) }},",
            pool.str(name),
            entries.len()
        );
        for (n, v) in entries {
            let _ = write!(entries_out, "({}, {v}), ", pool.str(n));
            n_entries += 1;
        }
    }
    out.push_str("];\n\n");
    let _ = writeln!(
        out,
        "static FLAG_ENTRIES: [(Str, u32); {n_entries}] = [{entries_out}];\n"
    );
    let mut params_out = String::new();
    let mut n_params = 0;
    let mut lists = Vec::new();
    for e in &events {
        let params = write_params(&mut params_out, &mut n_params, &mut pool, &e.params);
        let compat = if e.compat != e.params {
            write_params(&mut params_out, &mut n_params, &mut pool, &e.compat)
        } else {
            params.clone()
        };
        lists.push((params, compat));
    }
    let _ = writeln!(
        out,
        "static PARAMS: [ParamInfo; {n_params}] = [{params_out}\n];"
    );
    let _ = writeln!(out, "\nstatic EVENTS: [EventInfo; {}] = [", events.len());
    for (e, (params, compat)) in events.iter().zip(&lists) {
        let _ = writeln!(
            out,
            "EventInfo {{ id: {id}, name: EventName({name}), enum_name: {en}, \
             is_enter: {ie}, category: {cat}, flags: {fl}, params: {params}, \
             compat_params: {compat} }},",
            id = e.id,
            name = pool.str(&e.name),
            en = pool.str(&e.enum_name),
            ie = e.is_enter,
            cat = e.category,
            fl = e.flags,
        );
    }
    out.push_str("];\n\n");
    let _ = writeln!(
        out,
        "static BY_NAME: [(Str, StaticList<u16>); {}] = [",
        by_name.len()
    );
    let mut ids_out = String::new();
    let mut n_ids = 0;
    for (name, ids) in &by_name {
        let _ = writeln!(
            out,
            "({}, StaticList::new({n_ids}, {})),",
            pool.str(name),
            ids.len()
        );
        for id in ids {
            let _ = write!(ids_out, "{id}, ");
            n_ids += 1;
        }
    }
    out.push_str("];\n");
    let _ = writeln!(out, "\nstatic NAMED_IDS: [u16; {n_ids}] = [{ids_out}];");
    // The name of ids past the table (`EventTable::get`).
    let _ = writeln!(out, "\nconst UNKNOWN_NAME: Str = {};", pool.str("unknown"));
    let _ = writeln!(
        out,
        "const UNKNOWN_ENUM: Str = {};",
        pool.str("PPME_UNKNOWN")
    );
    let _ = writeln!(out, "\nconst STRS: &str = {:?};", pool.text);
    Ok(out)
}
