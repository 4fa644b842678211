//! The field registry: one table of name, type, description and extractor,
//! serving filters, `-p` formats, JSON output and view columns.

mod category;
mod defs;
mod extract;

use std::borrow::Cow;
use std::cell::Cell;
use std::net::IpAddr;

use crate::event::render::RenderOpts;
use crate::event::EventRef;
use crate::state::{EvCtx, Fd, State, Thread};

pub use defs::{all, F};
pub use extract::{
    decided_by_type, fd_name_in_table, generic_code, generic_type_name, int_fast, int_read,
    latency_bucket, latency_bucket_start, push_text, str_fast, str_of_type, str_read, Pushed,
    SecondText, StrRead, SPECTRO_DECADES,
};

/// A field's value type, as `sysdig -lv` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FType {
    U64,
    U32,
    I64,
    I32,
    I16,
    Str,
    Bool,
    RelTime,
    AbsTime,
    Ip,
    IpNet,
    Port,
    Double,
    Bytes,
    /// Type depends on the argument (evt.rawarg).
    Dynamic,
}

impl FType {
    pub fn name(self) -> &'static str {
        match self {
            FType::U64 => "UINT64",
            FType::U32 => "UINT32",
            FType::I64 => "INT64",
            FType::I32 => "INT32",
            FType::I16 => "INT16",
            FType::Str => "CHARBUF",
            FType::Bool => "BOOL",
            FType::RelTime => "RELTIME",
            FType::AbsTime => "ABSTIME",
            FType::Ip => "IPADDR",
            FType::IpNet => "IPNET",
            FType::Port => "PORT",
            FType::Double => "DOUBLE",
            FType::Bytes => "BYTEBUF",
            FType::Dynamic => "DYNAMIC",
        }
    }
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FType::U64
                | FType::U32
                | FType::I64
                | FType::I32
                | FType::I16
                | FType::RelTime
                | FType::AbsTime
                | FType::Port
                | FType::Double
                | FType::Bool
        )
    }
}

/// What kind of argument a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSpec {
    None,
    /// `[N]` or `.name` required (evt.arg, evt.type.is, proc.apid...).
    Required,
    /// `[N]` optional (proc.aname, proc.apid).
    Optional,
}

/// One registered field.
#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub ftype: FType,
    pub desc: &'static str,
    pub arg: ArgSpec,
    pub id: F,
    /// Only valid in filters (matches either endpoint).
    pub filter_only: bool,
}

/// The argument a field was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldArg {
    None,
    Index(i64),
    Name(String),
}

/// A field resolved against the registry, with its argument.
#[derive(Debug, Clone)]
pub struct BoundField {
    pub def: &'static FieldDef,
    pub arg: FieldArg,
    /// The text the user wrote (`evt.arg.name`, `proc.aname[2]`).
    pub text: String,
    /// For `evt.arg.NAME` / `evt.rawarg.NAME`: param index per event type is
    /// looked up at extraction; cached name here.
    pub arg_name: Option<String>,
}

/// A field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    None,
    U(u64),
    I(i64),
    D(f64),
    B(bool),
    S(Cow<'a, str>),
    Ip(IpAddr),
    Bytes(Cow<'a, [u8]>),
    /// A list of values (fdlist fields, filter-only either-endpoint fields).
    List(Vec<Value<'a>>),
}

impl Value<'_> {
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
    /// As a string, the way `-p` prints it.
    pub fn to_text(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Value::None => return None,
            Value::U(v) => Cow::Owned(v.to_string()),
            Value::I(v) => Cow::Owned(v.to_string()),
            // sysdig prints doubles with one decimal (`%.1lf`).
            Value::D(v) => Cow::Owned(format!("{v:.1}")),
            Value::B(v) => Cow::Borrowed(if *v { "true" } else { "false" }),
            Value::S(s) => Cow::Borrowed(s.as_ref()),
            Value::Ip(ip) => Cow::Owned(crate::state::fds::ip_str(ip)),
            Value::Bytes(b) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
            Value::List(l) => Cow::Owned(
                l.iter()
                    .filter_map(|v| v.to_text().map(|c| c.into_owned()))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        })
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::U(v) => Some(*v as i64),
            Value::I(v) => Some(*v),
            Value::B(b) => Some(*b as i64),
            Value::D(d) => Some(*d as i64),
            Value::S(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::U(v) => Some(*v as f64),
            Value::I(v) => Some(*v as f64),
            Value::D(d) => Some(*d),
            Value::B(b) => Some(*b as u8 as f64),
            Value::S(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::None => Value::None,
            Value::U(v) => Value::U(v),
            Value::I(v) => Value::I(v),
            Value::D(v) => Value::D(v),
            Value::B(v) => Value::B(v),
            Value::S(s) => Value::S(Cow::Owned(s.into_owned())),
            Value::Ip(ip) => Value::Ip(ip),
            Value::Bytes(b) => Value::Bytes(Cow::Owned(b.into_owned())),
            Value::List(l) => Value::List(l.into_iter().map(Value::into_owned).collect()),
        }
    }
}

/// How `%evt.outputtime` is shown (`-t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeMode {
    #[default]
    Human,
    Absolute,
    Relative,
    /// Enter → exit delta.
    Delta,
    /// Delta from the previous event.
    PrevDelta,
}

/// Settings that change how fields render.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldOpts {
    pub render: RenderOpts,
    pub time: TimeMode,
    /// Columns of the spectrogram on screen (sysdig's `g_csysdig_screen_w`),
    /// which `evt.latency.quantized` divides the latency range into; 0
    /// without a screen.
    pub spectro_w: u32,
}

/// Everything an extractor can look at for one event.
///
/// Building one is cheap: the thread is one table lookup, and the event's
/// fd (two more lookups) is found on first use and then kept.
pub struct Ctx<'a> {
    pub ev: EventRef<'a>,
    pub num: u64,
    pub state: &'a State,
    /// Borrowed, not copied: the state has just written it field by field,
    /// and a copy read it back in 16-byte loads that could not be
    /// forwarded from those stores (each waited for them to reach the
    /// cache: a fifth of the `dig -r` loop's samples, 3.5% of a run).
    pub ectx: &'a EvCtx,
    pub thread: Option<&'a Thread>,
    /// The event's fd, once looked up.
    fd: Cell<Option<Option<&'a Fd>>>,
    /// Timestamp of the first event of the source.
    pub first_ts: u64,
    /// Timestamp of the previous event.
    pub prev_ts: u64,
    pub opts: &'a FieldOpts,
}

impl<'a> Ctx<'a> {
    #[inline(always)]
    pub fn new(
        ev: EventRef<'a>,
        num: u64,
        state: &'a State,
        ectx: &'a EvCtx,
        first_ts: u64,
        prev_ts: u64,
        opts: &'a FieldOpts,
    ) -> Ctx<'a> {
        Ctx {
            thread: state.thread(ev.tid()),
            ev,
            num,
            state,
            ectx,
            fd: Cell::new(None),
            first_ts,
            prev_ts,
            opts,
        }
    }

    /// This context with another previous-event time (what `evt.deltatime`
    /// is measured from). The fd looked up so far is kept.
    pub fn with_prev_ts(&self, prev_ts: u64) -> Ctx<'a> {
        Ctx {
            ev: self.ev,
            num: self.num,
            state: self.state,
            ectx: self.ectx,
            thread: self.thread,
            fd: Cell::new(self.fd.get()),
            first_ts: self.first_ts,
            prev_ts,
            opts: self.opts,
        }
    }

    /// The event's fd in the table (looked up on first use).
    #[inline]
    pub fn fd(&self) -> Option<&'a Fd> {
        if let Some(f) = self.fd.get() {
            return f;
        }
        let f = self.find_fd();
        self.fd.set(Some(f));
        f
    }

    fn find_fd(&self) -> Option<&'a Fd> {
        // Same as `state.fd(tid, fd)`, reusing the thread found above.
        let fd = self.ectx.fd?;
        let pid = self.thread.map_or_else(|| self.ev.tid(), |t| t.pid);
        self.state.fds.get(&pid).and_then(|t| t.get(fd))
    }
}

/// Why a field name was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("unknown field '{name}'{}", suggest_text(.suggestions))]
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
    #[error("field '{0}' needs an argument, e.g. {0}[1] or {0}.name")]
    NeedsArg(String),
    #[error("field '{0}' takes no argument")]
    NoArg(String),
    #[error("bad argument for field '{0}': {1}")]
    BadArg(String, String),
}

fn suggest_text(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", s.join(", "))
    }
}

fn lookup_exact(name: &str) -> Option<&'static FieldDef> {
    all().iter().find(|d| d.name == name)
}

/// Whether `name` is a registered field's name (whatever argument it
/// takes).
pub fn is_registered(name: &str) -> bool {
    lookup_exact(name).is_some()
}

/// Resolves `name` (and an optional `[arg]`) against the registry.
/// Handles dotted arguments: `evt.arg.fd`, `evt.type.is.open`,
/// `thread.cgroup.cpu`, `k8s.pod.label.app`.
pub fn resolve(name: &str, arg: Option<&str>) -> Result<BoundField, FieldError> {
    let dotted = lookup_exact(name).is_none();
    let (def, arg) = match lookup_exact(name) {
        Some(d) => (d, arg.map(str::to_string)),
        None => {
            // Longest registered prefix that takes an argument.
            let mut found = None;
            for (i, _) in name
                .match_indices('.')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                let (head, tail) = (&name[..i], &name[i + 1..]);
                if let Some(d) = lookup_exact(head) {
                    if d.arg != ArgSpec::None && arg.is_none() {
                        found = Some((d, Some(tail.to_string())));
                        break;
                    }
                }
            }
            match found {
                Some(f) => f,
                None => {
                    return Err(FieldError::Unknown {
                        name: name.to_string(),
                        suggestions: suggest(name),
                    })
                }
            }
        }
    };
    let text = match &arg {
        Some(a) if lookup_exact(name).is_some() => format!("{name}[{a}]"),
        _ => name.to_string(),
    };
    let farg = match (&arg, def.arg) {
        (None, ArgSpec::Required) => return Err(FieldError::NeedsArg(def.name.to_string())),
        (None, _) => FieldArg::None,
        (Some(_), ArgSpec::None) => return Err(FieldError::NoArg(def.name.to_string())),
        (Some(a), _) => match a.parse::<i64>() {
            Ok(n) => FieldArg::Index(n),
            Err(_) => FieldArg::Name(a.clone()),
        },
    };
    // As sysdig: an ancestor is a number, an argument a name some event has
    // (a position goes in brackets: `evt.arg[0]`, not `evt.arg.0`).
    match (def.id, &farg) {
        (F::EvtArg | F::EvtRawarg, FieldArg::Index(n)) if dotted => {
            return Err(FieldError::BadArg(
                def.name.to_string(),
                format!(
                    "no event has an argument named '{n}' (a position goes in brackets: {}[{n}])",
                    def.name
                ),
            ))
        }
        (F::ProcApid | F::ProcAname, FieldArg::Name(a)) => {
            return Err(FieldError::BadArg(
                def.name.to_string(),
                format!("'{a}' is not a number of generations"),
            ))
        }
        (F::EvtArg | F::EvtRawarg, FieldArg::Name(a))
            if !crate::event::table().has_param_named(a) =>
        {
            return Err(FieldError::BadArg(
                def.name.to_string(),
                format!("no event has an argument named '{a}'"),
            ))
        }
        _ => {}
    }
    let arg_name = match &farg {
        FieldArg::Name(n) => Some(n.clone()),
        _ => None,
    };
    Ok(BoundField {
        def,
        arg: farg,
        text,
        arg_name,
    })
}

/// Registered names closest to `name` (edit distance, then shared prefix).
pub fn suggest(name: &str) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = all()
        .iter()
        .map(|d| (levenshtein(name, d.name), d.name))
        .collect();
    scored.sort();
    let best = scored.first().map(|s| s.0).unwrap_or(0);
    let limit = (name.len() / 3).max(2);
    let mut out: Vec<String> = scored
        .iter()
        .take_while(|(d, _)| *d <= limit && *d <= best + 1)
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect();
    if out.is_empty() {
        // Same class prefix: offer the class's fields that start alike.
        if let Some((class, rest)) = name.split_once('.') {
            out = all()
                .iter()
                .filter(|d| {
                    d.name.starts_with(class)
                        && d.name[class.len()..]
                            .trim_start_matches('.')
                            .starts_with(rest.get(..1).unwrap_or(""))
                })
                .take(3)
                .map(|d| d.name.to_string())
                .collect();
        }
    }
    out
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

impl BoundField {
    /// Extracts this field's value for the event in `c`.
    pub fn extract<'a>(&self, c: &Ctx<'a>) -> Value<'a> {
        extract::extract(self, c)
    }
    pub fn ftype(&self) -> FType {
        self.def.ftype
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves() {
        assert_eq!(
            resolve("proc.name", None).map(|b| b.def.name),
            Ok("proc.name")
        );
        let b = resolve("evt.arg.fd", None).expect("dotted arg");
        assert_eq!(b.def.name, "evt.arg");
        assert_eq!(b.arg, FieldArg::Name("fd".into()));
        let b = resolve("proc.aname", Some("2")).expect("index arg");
        assert_eq!(b.arg, FieldArg::Index(2));
        assert!(matches!(
            resolve("evt.arg", None),
            Err(FieldError::NeedsArg(_))
        ));
        match resolve("proc.nmae", None) {
            Err(FieldError::Unknown { suggestions, .. }) => {
                assert!(suggestions.contains(&"proc.name".to_string()))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn registry_names_unique() {
        let mut names: Vec<&str> = all().iter().map(|d| d.name).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
