//! sysdig's `-p` output formats: `%field`, `%Nfield`, `%field[arg]`,
//! a leading `*`, literal text with `\n`, `\t`, `\\` escapes.

use std::fmt::Write as _;

use crate::event::render::is_unsafe_char;
use crate::filter::fields::{self, BoundField, Ctx, FType, FieldError, Pushed, TimeMode, Value};

/// The default line.
pub const DEFAULT: &str =
    "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info";
/// `-pc`: containers.
pub const CONTAINER: &str = "*%evt.num %evt.outputtime %evt.cpu %container.name (%container.id) %proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info";
/// `-pm`: Mesos.
pub const MESOS: &str = "*%evt.num %evt.outputtime %evt.cpu %mesos.task.name (%container.id) %proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info";
/// `-pk`: Kubernetes.
pub const KUBERNETES: &str = "*%evt.num %evt.outputtime %evt.cpu %k8s.pod.name (%container.id) %proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("invalid formatting token {0}")]
    Token(String),
    #[error("invalid formatting syntax: formatting cannot end with a %")]
    EndsWithPercent,
    #[error("invalid formatting syntax: formatting cannot end with a number")]
    EndsWithNumber,
    #[error("{0}")]
    Field(#[from] FieldError),
    #[error("invalid formatting token %{0}: a field is at most {MAX_WIDTH} characters wide")]
    Width(String),
}

/// The widest a field may be padded to (`%65535evt.num`): wider would only
/// fill memory and the terminal with spaces.
pub const MAX_WIDTH: usize = 65535;

#[derive(Debug, Clone)]
pub enum Token {
    Text(String),
    Field {
        field: BoundField,
        width: Option<usize>,
    },
}

/// A compiled `-p` format.
#[derive(Debug, Clone)]
pub struct Format {
    pub tokens: Vec<Token>,
    /// Print even when some fields have no value (`<NA>`).
    pub print_all: bool,
    /// The field tokens in the order of their `-j` keys: sorted by text,
    /// each text once.
    json_order: Vec<usize>,
    /// The text before the first field.
    lead: Literal,
    /// The fields, each with the text after it, as `render` goes through
    /// them (one step a field, not one a token).
    steps: Vec<Step>,
    /// The format is [`DEFAULT`]: `render` prints it field by field in
    /// straight-line code (see [`Format::render_default`]).
    default_line: bool,
    /// The time of the last second `render_default` printed.
    clock: std::cell::RefCell<fields::SecondText>,
}

/// A field of a format and the text that follows it.
#[derive(Debug, Clone)]
struct Step {
    field: BoundField,
    width: Option<usize>,
    after: Literal,
}

/// Literal text of a format, with how `render` appends it.
#[derive(Debug, Clone, Default)]
struct Literal {
    text: String,
    /// At most four bytes, ASCII: appended char by char, which costs less
    /// than a copy of a few bytes.
    short: bool,
}

impl Literal {
    fn new(text: &str) -> Literal {
        Literal {
            short: text.len() <= 4 && text.is_ascii(),
            text: text.to_string(),
        }
    }

    #[inline]
    fn push_to(&self, out: &mut String) {
        if self.short {
            for b in self.text.bytes() {
                // (ASCII: the mask changes nothing but spares `push` its
                // multi-byte path.)
                out.push(char::from(b & 0x7f));
            }
        } else {
            out.push_str(&self.text);
        }
    }
}

/// The text before the first field of `tokens`, and each field with the
/// text after it.
fn steps(tokens: &[Token]) -> (Literal, Vec<Step>) {
    let mut lead = String::new();
    let mut steps: Vec<(&BoundField, Option<usize>, String)> = Vec::new();
    for t in tokens {
        match t {
            Token::Text(s) => match steps.last_mut() {
                Some(last) => last.2.push_str(s),
                None => lead.push_str(s),
            },
            Token::Field { field, width } => steps.push((field, *width, String::new())),
        }
    }
    let steps = steps
        .into_iter()
        .map(|(field, width, after)| Step {
            field: field.clone(),
            width,
            after: Literal::new(&after),
        })
        .collect();
    (Literal::new(&lead), steps)
}

/// The fields of [`DEFAULT`], in order, as [`Format::render_default`]
/// prints them.
const DEFAULT_FIELDS: [fields::F; 8] = [
    fields::F::EvtNum,
    fields::F::EvtOutputtime,
    fields::F::EvtCpu,
    fields::F::ProcName,
    fields::F::ThreadTid,
    fields::F::EvtDir,
    fields::F::EvtType,
    fields::F::EvtInfo,
];

/// Whether `steps` are those of [`DEFAULT`] (a check that what
/// [`Format::render_default`] assumes of them holds).
fn is_default_line(steps: &[Step]) -> bool {
    steps.len() == DEFAULT_FIELDS.len()
        && steps
            .iter()
            .zip(DEFAULT_FIELDS)
            .all(|(s, id)| s.field.def.id == id && s.width.is_none())
}

/// The format a `-p` value stands for: the presets `c`/`container`,
/// `k`/`kubernetes` and `m`/`mesos`, or the value itself.
pub fn preset(fmt: &str) -> &str {
    match fmt {
        "c" | "container" => CONTAINER,
        "k" | "kubernetes" => KUBERNETES,
        "m" | "mesos" => MESOS,
        f => f,
    }
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl Format {
    /// Compiles a format string; `c`/`container` and `k`/`kubernetes` name
    /// the presets.
    pub fn parse(fmt: &str) -> Result<Format, FormatError> {
        let fmt = preset(fmt);
        let (print_all, body) = match fmt.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, fmt),
        };
        let chars: Vec<char> = body.chars().collect();
        let mut tokens = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' && i + 1 < chars.len() {
                match chars[i + 1] {
                    'n' => text.push('\n'),
                    't' => text.push('\t'),
                    '\\' => text.push('\\'),
                    'e' => text.push('\x1b'),
                    // Any other: the backslash is text, and what follows
                    // is read as usual (so `\%f` is a backslash, then %f).
                    _ => {
                        text.push('\\');
                        i += 1;
                        continue;
                    }
                }
                i += 2;
                continue;
            }
            if c != '%' {
                text.push(c);
                i += 1;
                continue;
            }
            // A field.
            i += 1;
            if i >= chars.len() {
                return Err(FormatError::EndsWithPercent);
            }
            let wstart = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let width = if i > wstart {
                let w: String = chars[wstart..i].iter().collect();
                match w.parse::<usize>() {
                    // (sysdig reads a width of 0 as none.)
                    Ok(0) => None,
                    Ok(n) if n <= MAX_WIDTH => Some(n),
                    _ => return Err(FormatError::Width(w)),
                }
            } else {
                None
            };
            if i >= chars.len() {
                return Err(FormatError::EndsWithNumber);
            }
            let start = i;
            while i < chars.len() && is_field_char(chars[i]) {
                i += 1;
            }
            let mut name: String = chars[start..i].iter().collect();
            let mut arg = None;
            if i < chars.len() && chars[i] == '[' {
                if let Some(close) = chars[i..].iter().position(|&c| c == ']') {
                    arg = Some(chars[i + 1..i + close].iter().collect::<String>());
                    i += close + 1;
                }
            }
            // As sysdig reads a format: the longest prefix that names a
            // field (with its argument, if it takes one), the rest being
            // text: `%evt.numx` is evt.num then "x", `%proc.name[x]` is
            // proc.name then "[x]". Nothing to shrink to: the error of the
            // whole name.
            let mut bound = fields::resolve(&name, arg.as_deref());
            if bound.is_err() && arg.is_some() {
                // The name alone (`%proc.env[HOME]`, `%evt.arg.name[1]`),
                // or, unless it is a registered field, a shorter one below
                // (`%fd.namex[1]`: fd.name, then "x[1]").
                if let Ok(b) = fields::resolve(&name, None) {
                    bound = Ok(b);
                    arg = None;
                    i = start + name.chars().count();
                } else if !fields::is_registered(&name) {
                    arg = None;
                    i = start + name.chars().count();
                }
            }
            // (A registered name met on the way, such as evt.type.is or
            // container.mount.source, is one whose argument is wrong or
            // missing: an error, as in sysdig.)
            if bound.is_err() && arg.is_none() && !fields::is_registered(&name) {
                let mut shorter = name.clone();
                let mut at = i;
                while shorter.pop().is_some() && !shorter.is_empty() {
                    at -= 1;
                    match fields::resolve(&shorter, None) {
                        Ok(b) => {
                            bound = Ok(b);
                            name = shorter;
                            i = at;
                            break;
                        }
                        Err(_) if fields::is_registered(&shorter) => break,
                        Err(_) => {}
                    }
                }
            }
            let field = match bound {
                Ok(b) => b,
                Err(FieldError::Unknown { .. }) if name.is_empty() => {
                    let rest: String = chars[start..].iter().collect();
                    return Err(FormatError::Token(rest));
                }
                Err(e) => return Err(e.into()),
            };
            if !text.is_empty() {
                tokens.push(Token::Text(std::mem::take(&mut text)));
            }
            tokens.push(Token::Field { field, width });
        }
        if !text.is_empty() {
            tokens.push(Token::Text(text));
        }
        let json_order = json_order(&tokens);
        let (lead, steps) = steps(&tokens);
        let default_line = fmt == DEFAULT && is_default_line(&steps);
        Ok(Format {
            tokens,
            print_all,
            json_order,
            lead,
            steps,
            default_line,
            clock: Default::default(),
        })
    }

    /// The fields of this format, in order.
    pub fn fields(&self) -> impl Iterator<Item = &BoundField> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Field { field, .. } => Some(field),
            Token::Text(_) => None,
        })
    }

    /// Renders one event; `None` when a field is missing and `*` was not given.
    pub fn render(&self, c: &Ctx<'_>, out: &mut String) -> bool {
        if self.default_line {
            if let [num, time, cpu, name, tid, dir, etype, info] = self.steps.as_slice() {
                self.render_default([num, time, cpu, name, tid, dir, etype, info], c, out);
                return true;
            }
        }
        self.render_steps(c, out)
    }

    /// [`Format::render`] of the [`DEFAULT`] line, whose steps are `s`: what
    /// `render_steps` does for it, with the fields and the text between
    /// them known here, so with no step loop, no dispatch on the field and
    /// the separators written as constants. (`*`: a missing field is
    /// `<NA>`, the line is always printed.)
    #[inline(never)]
    fn render_default(&self, s: [&Step; 8], c: &Ctx<'_>, out: &mut String) {
        use fields::F;
        let [num, time, cpu, name, tid, dir, etype, info] = s;
        self.push_known(F::EvtNum, num, c, out);
        out.push(' ');
        match (c.opts.time, self.clock.try_borrow_mut()) {
            // (What `push_text` does for it, with the second's text kept
            // here rather than in a thread-local.)
            (TimeMode::Human, Ok(mut clock)) => clock.push(out, c.ev.ts(), false, true),
            _ => self.push_known(F::EvtOutputtime, time, c, out),
        }
        out.push(' ');
        self.push_known(F::EvtCpu, cpu, c, out);
        out.push(' ');
        self.push_known(F::ProcName, name, c, out);
        out.push_str(" (");
        self.push_known(F::ThreadTid, tid, c, out);
        out.push_str(") ");
        self.push_known(F::EvtDir, dir, c, out);
        out.push(' ');
        self.push_known(F::EvtType, etype, c, out);
        out.push(' ');
        self.push_known(F::EvtInfo, info, c, out);
    }

    /// One field of [`Format::render_default`], whose id is `id`: as the
    /// step loop of `render_steps` appends it with `*` (inlined, `id`
    /// being a constant, it is that field's own code).
    #[inline(always)]
    fn push_known(&self, id: fields::F, step: &Step, c: &Ctx<'_>, out: &mut String) {
        match push_field_text(id, c, out) {
            Some(Pushed::Clean | Pushed::Text) => {}
            Some(Pushed::Missing) => out.push_str("<NA>"),
            None => {
                push_value(out, &step.field, step.width, c, true);
            }
        }
    }

    /// [`Format::render`] step by step, for any format.
    #[inline(always)]
    fn render_steps(&self, c: &Ctx<'_>, out: &mut String) -> bool {
        let start = out.len();
        self.lead.push_to(out);
        for Step {
            field,
            width,
            after,
        } in &self.steps
        {
            if width.is_none() {
                // Most fields append their text without a `Value`.
                match push_field_text(field.def.id, c, out) {
                    Some(Pushed::Clean | Pushed::Text) => {
                        after.push_to(out);
                        continue;
                    }
                    Some(Pushed::Missing) if self.print_all => {
                        out.push_str("<NA>");
                        after.push_to(out);
                        continue;
                    }
                    Some(Pushed::Missing) => {
                        out.truncate(start);
                        return false;
                    }
                    None => {}
                }
            }
            if !push_value(out, field, *width, c, self.print_all) {
                out.truncate(start);
                return false;
            }
            after.push_to(out);
        }
        true
    }

    /// Renders one event as a JSON object (keys sorted, typed values), as
    /// compact as `serde_json` writes it; false (nothing appended) when a
    /// field is missing and `*` was not given.
    pub fn render_json(&self, c: &Ctx<'_>, out: &mut String) -> bool {
        let start = out.len();
        out.push('{');
        for (n, &i) in self.json_order.iter().enumerate() {
            let Some(Token::Field { field, .. }) = self.tokens.get(i) else {
                continue;
            };
            let v = field.extract(c);
            if v.is_none() && !self.print_all {
                out.truncate(start);
                return false;
            }
            if n > 0 {
                out.push(',');
            }
            push_json_str(out, &field.text);
            out.push(':');
            push_json_value(out, field, &v, c);
        }
        out.push('}');
        true
    }
}

/// The indices of the field tokens sorted by their text (stable), each
/// text once: the keys of a `-j` object.
fn json_order(tokens: &[Token]) -> Vec<usize> {
    let mut order: Vec<(usize, &str)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::Field { field, .. } => Some((i, field.text.as_str())),
            Token::Text(_) => None,
        })
        .collect();
    order.sort_by(|a, b| a.1.cmp(b.1));
    order.dedup_by(|a, b| a.1 == b.1);
    order.into_iter().map(|(i, _)| i).collect()
}

/// Appends a field's text through its extracted `Value`, cut or padded to
/// `width`; false when the value is missing and `<NA>` is not wanted.
fn push_value(
    out: &mut String,
    field: &BoundField,
    width: Option<usize>,
    c: &Ctx<'_>,
    print_all: bool,
) -> bool {
    let mut v = field.extract(c);
    if width.is_none() && push_plain(out, field, &v, c) {
        return true;
    }
    // sysdig prints the buffer as evt.info shows the data argument (cut
    // at 80 bytes unless -v, with "..."; in the -A/-x/-X/-b layout).
    if let (fields::F::EvtBuffer, Value::Bytes(b)) = (field.def.id, &v) {
        v = Value::S(std::borrow::Cow::Owned(crate::event::render::render_buf(
            b,
            &c.opts.render,
        )));
    }
    let text = match display_value(field, &v) {
        Some(t) => t,
        None if print_all => "<NA>".into(),
        None => return false,
    };
    let clean = sanitize_for_terminal(&text, allows_layout(field, c));
    match width {
        Some(w) => {
            let n = clean.chars().count().min(w);
            out.extend(clean.chars().take(n));
            out.extend(std::iter::repeat_n(' ', w - n));
        }
        None => out.push_str(&clean),
    }
    true
}

/// Appends the text of the common values (strings and integers of fields
/// without a special display) the way `render` would, without building a
/// `String`; false (nothing appended) for the others.
fn push_plain(out: &mut String, f: &BoundField, v: &Value<'_>, c: &Ctx<'_>) -> bool {
    use fields::F;
    if matches!(
        f.def.id,
        F::EvtLatencyNs
            | F::EvtRawtimeNs
            | F::EvtReltimeNs
            | F::EvtDeltatimeNs
            | F::EvtReltime
            | F::FdDev
            | F::EvtBuffer
    ) {
        return false;
    }
    match v {
        Value::S(s) => out.push_str(&sanitize_for_terminal(s, allows_layout(f, c))),
        Value::U(n) => crate::event::render::push_u64(out, *n),
        Value::I(n) => crate::event::render::push_i64(out, *n),
        _ => return false,
    }
    true
}

/// Buffer layouts of `-A`/`-x`/`-X` put newlines and tabs in `evt.info`
/// on purpose.
fn allows_layout(f: &BoundField, c: &Ctx<'_>) -> bool {
    allows_layout_of(f.def.id, c)
}

/// Appends the text of field `id` where it needs no `Value`
/// ([`fields::push_text`]), made safe for a terminal when it is raw
/// event text; says what was appended (`None`: nothing, a `Value` is
/// needed). One place for both renderers, so no field text skips the
/// sanitizing.
#[inline(always)]
fn push_field_text(id: fields::F, c: &Ctx<'_>, out: &mut String) -> Option<Pushed> {
    let at = out.len();
    let pushed = fields::push_text(id, c, out);
    if pushed == Some(Pushed::Text) {
        sanitize_tail(out, at, allows_layout_of(id, c));
    }
    pushed
}

/// [`allows_layout`] of the field `id`.
#[inline]
fn allows_layout_of(id: fields::F, c: &Ctx<'_>) -> bool {
    use crate::event::render::BufFormat;
    matches!(
        id,
        fields::F::EvtInfo | fields::F::EvtArgs | fields::F::EvtArg | fields::F::EvtBuffer
    ) && c.opts.render.buf != BufFormat::Dotted
}

/// The text of a value as `-p` prints it.
pub fn display_value(f: &BoundField, v: &Value<'_>) -> Option<String> {
    match (f.def.id, v) {
        (
            fields::F::EvtLatencyNs
            | fields::F::EvtRawtimeNs
            | fields::F::EvtReltimeNs
            | fields::F::EvtDeltatimeNs
            // (sysdig pads evt.reltime to nine digits as well)
            | fields::F::EvtReltime,
            Value::U(n),
        ) => Some(format!("{n:09}")),
        // fd.dev is a hexadecimal field in sysdig.
        (fields::F::FdDev, Value::I(n)) => Some(format!("{:X}", *n as u32)),
        (fields::F::EvtBuffer, Value::Bytes(b)) => Some(
            b.iter()
                .map(|&c| {
                    if (0x20..0x7f).contains(&c) {
                        c as char
                    } else {
                        '.'
                    }
                })
                .collect(),
        ),
        _ => v.to_text().map(|c| c.into_owned()),
    }
}

/// Appends a field's `-j` value: a number, a boolean, `null` or a string.
fn push_json_value(out: &mut String, f: &BoundField, v: &Value<'_>, c: &Ctx<'_>) {
    use crate::event::render::{push_i64, push_u64};
    use fields::F;
    if v.is_none() {
        out.push_str("null");
        return;
    }
    if matches!(
        f.def.id,
        F::EvtOutputtime
            | F::EvtTime
            | F::EvtDatetime
            | F::EvtTimeS
            | F::EvtDatetimeS
            | F::EvtTimeIso
    ) {
        push_u64(out, c.ev.ts());
        return;
    }
    // (-A/-x/-X/-b lay the buffer out as in text.)
    if let (F::EvtBuffer, Value::Bytes(b)) = (f.def.id, v) {
        if c.opts.render.buf != crate::event::render::BufFormat::Dotted {
            push_json_str(out, &crate::event::render::render_buf(b, &c.opts.render));
            return;
        }
    }
    match v {
        Value::U(n) => push_u64(out, *n),
        Value::I(n) => push_i64(out, *n),
        Value::D(d) => match serde_json::Number::from_f64(*d) {
            // (serde_json's own float text.)
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("null"),
        },
        Value::B(b) => out.push_str(if *b { "true" } else { "false" }),
        _ => match f.def.ftype {
            FType::Bool => out.push_str(if v.as_i64().unwrap_or(0) != 0 {
                "true"
            } else {
                "false"
            }),
            _ => match json_text(f, v) {
                Some(t) => push_json_str(out, &t),
                None => push_json_str(out, ""),
            },
        },
    }
}

/// [`display_value`] without a copy for the values that are text already.
fn json_text<'v>(f: &BoundField, v: &'v Value<'_>) -> Option<std::borrow::Cow<'v, str>> {
    use fields::F;
    match (f.def.id, v) {
        (
            F::EvtLatencyNs | F::EvtRawtimeNs | F::EvtReltimeNs | F::EvtDeltatimeNs | F::EvtReltime,
            Value::U(_),
        )
        | (F::FdDev, Value::I(_))
        | (F::EvtBuffer, Value::Bytes(_)) => display_value(f, v).map(std::borrow::Cow::Owned),
        _ => v.to_text(),
    }
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes it: `"`,
/// `\` and the control characters below 0x20 (`\b \f \n \r \t`, the
/// others as `\u00XX`), and, unlike it, the other chars that must not
/// reach a terminal raw ([`is_unsafe_char`]: DEL, C1, bidi controls) as
/// `\uXXXX`; everything else as it is.
fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let b = s.as_bytes();
    let mut from = 0;
    let mut i = 0;
    while i < b.len() {
        // Eight bytes at a time while none needs an escape (the last few
        // padded with spaces, which need none).
        let mut w = [b' '; 8];
        let n = (b.len() - i).min(8);
        w[..n].copy_from_slice(&b[i..i + n]);
        if !json_special(u64::from_le_bytes(w)) {
            i += n;
            continue;
        }
        let c = b.get(i).copied().unwrap_or(b' ');
        if c >= 0x7f {
            i = json_non_ascii(out, s, &mut from, i);
            continue;
        }
        i += 1;
        let esc: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // (The byte at `i - 1` is ASCII: both ends are char boundaries.)
        out.push_str(s.get(from..i - 1).unwrap_or_default());
        from = i;
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(s.get(from..).unwrap_or_default());
    out.push('"');
}

/// [`push_json_str`] on the char at `i` (DEL, or one that starts with a
/// byte of 0x80 or more): escaped when [`is_unsafe_char`], the text before
/// it flushed.
/// Returns where the next char starts.
#[inline(never)]
fn json_non_ascii(out: &mut String, s: &str, from: &mut usize, i: usize) -> usize {
    let ch = s.get(i..).and_then(|t| t.chars().next()).unwrap_or(' ');
    if is_unsafe_char(ch) {
        out.push_str(s.get(*from..i).unwrap_or_default());
        push_u_escape(out, ch);
        *from = i + ch.len_utf8();
    }
    i + ch.len_utf8()
}

/// Whether one of the eight bytes of `w` may need a JSON escape: below
/// 0x20, `"`, `\`, DEL or any byte of a non-ASCII char (which the slow path
/// decodes). (Each test finds whether such a byte exists without false
/// hits; which one it is does not matter.)
#[inline]
fn json_special(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let below = w.wrapping_sub(LO * 0x20) & !w & HI;
    // A high bit where a byte is 0x80 or more (w itself) or 0x7f (+1).
    let high = (w | (w & !HI).wrapping_add(LO)) & HI;
    (below | high | zero(w ^ (LO * u64::from(b'"'))) | zero(w ^ (LO * u64::from(b'\\')))) != 0
}

/// `\uXXXX` for a char of the Basic Multilingual Plane.
fn push_u_escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{:04x}", u32::from(c));
}

/// Compact JSON text (as `serde_json` writes it: no line breaks or tabs
/// between tokens) with the chars that must not reach a terminal raw
/// escaped as `\uXXXX` (in compact JSON they can only stand in strings).
pub fn json_terminal_safe(j: &str) -> std::borrow::Cow<'_, str> {
    if j.is_ascii() && !j.contains('\x7f') {
        return std::borrow::Cow::Borrowed(j);
    }
    if !j.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(j);
    }
    let mut out = String::with_capacity(j.len() + 16);
    for c in j.chars() {
        if is_unsafe_char(c) {
            push_u_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`sanitize_for_terminal`] on the text appended to `out` from `at` on.
#[inline]
fn sanitize_tail(out: &mut String, at: usize, layout: bool) {
    // (Printable ASCII, as most names and paths are, is left as it is
    // without a call.)
    if out
        .as_bytes()
        .get(at..)
        .is_none_or(crate::event::render::printable_ascii)
    {
        return;
    }
    sanitize_tail_slow(out, at, layout);
}

/// [`sanitize_tail`] of text that is not all printable ASCII.
#[inline(never)]
fn sanitize_tail_slow(out: &mut String, at: usize, layout: bool) {
    let Some(tail) = out.get(at..) else {
        return;
    };
    if let std::borrow::Cow::Owned(clean) = sanitize_for_terminal(tail, layout) {
        out.truncate(at);
        out.push_str(&clean);
    }
}

/// Removes escape sequences and control characters from event data before
/// it reaches a terminal. `layout` keeps `\n` and `\t` (hex/ascii dumps).
pub fn sanitize_for_terminal(s: &str, layout: bool) -> std::borrow::Cow<'_, str> {
    // Printable ASCII needs no look at the characters.
    if crate::event::render::printable_ascii(s.as_bytes()) || !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            // Skip a CSI (ESC [ ... final) or OSC (ESC ] ... BEL/ST) sequence.
            match it.peek() {
                Some('[') => {
                    it.next();
                    for d in it.by_ref() {
                        if ('\x40'..='\x7e').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    it.next();
                    while let Some(d) = it.next() {
                        if d == '\x07' {
                            break;
                        }
                        if d == '\x1b' && it.peek() == Some(&'\\') {
                            it.next();
                            break;
                        }
                    }
                }
                _ => {
                    it.next();
                }
            }
            continue;
        }
        if layout && (c == '\n' || c == '\t') {
            out.push(c);
        } else if is_unsafe_char(c) {
            continue;
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped_as_serde_json_does_and_terminal_safe() {
        let cases = [
            "",
            "plain /etc/passwd",
            "quote \" and backslash \\ end",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1b}[31m\u{1f} \u{7f}",
            "utf-8 \u{e9}\u{20ac}\u{1f600} and \u{85} \u{2028}",
            "a long clean run of text, then \"quoted\" 01234567\\89\u{7}abcdefgh\n",
            "\u{1f}\u{20}\u{21}\u{22}\u{5b}\u{5c}\u{5d}\u{7e}\u{7f}\u{80}\u{ff}abcdefghijklmnop",
        ];
        // Every byte value at every position of an eight-byte word.
        let mut cases: Vec<String> = cases.iter().map(|s| s.to_string()).collect();
        for c in 0u8..0x80 {
            for at in 0..9 {
                let mut t = "abcdefghijklmnopq".to_string();
                t.insert(at, char::from(c));
                cases.push(t);
            }
        }
        cases.push(
            "bidi \u{202e}reversed\u{202c}, C1 \u{9b}31m, DEL \u{7f}, \u{200f}\u{2066}".into(),
        );
        for s in &cases {
            let mut out = String::from("x");
            push_json_str(&mut out, s);
            // serde_json's escapes, and \uXXXX for what must not reach a
            // terminal raw; the string decodes back to itself.
            let serde = serde_json::Value::String(s.to_string()).to_string();
            let want = format!("x{}", json_terminal_safe(&serde));
            assert_eq!(out, want, "{s:?}");
            let back: String = serde_json::from_str(&out[1..]).unwrap();
            assert_eq!(&back, s);
            assert!(!out.chars().any(is_unsafe_char), "{out:?}");
        }
    }

    #[test]
    fn json_keys_are_sorted_and_unique() {
        let f = Format::parse("%proc.name %evt.num %proc.name %evt.cpu").unwrap();
        let keys: Vec<&str> = f
            .json_order
            .iter()
            .filter_map(|&i| match &f.tokens[i] {
                Token::Field { field, .. } => Some(field.text.as_str()),
                Token::Text(_) => None,
            })
            .collect();
        assert_eq!(keys, ["evt.cpu", "evt.num", "proc.name"]);
    }

    /// `render` as it was before `push_text`: every field extracted as a
    /// `Value`, then shown.
    fn render_by_values(f: &Format, c: &Ctx<'_>, out: &mut String) -> bool {
        let start = out.len();
        for t in &f.tokens {
            match t {
                Token::Text(s) => out.push_str(s),
                Token::Field { field, width } => {
                    if !push_value(out, field, *width, c, f.print_all) {
                        out.truncate(start);
                        return false;
                    }
                }
            }
        }
        true
    }

    /// The text fields append against their values, on every event of
    /// real captures, in every time mode and buffer layout (skipped without
    /// the shared captures folder).
    #[test]
    fn pushed_text_is_the_value_text() {
        use crate::event::render::{BufFormat, RenderOpts};
        use crate::filter::fields::{FieldOpts, TimeMode};
        let formats: Vec<Format> = [
            DEFAULT,
            "%evt.num %evt.time %evt.time.s %evt.datetime %evt.datetime.s %evt.rawtime \
             %evt.outputtime %evt.args",
            "%proc.name %proc.exe %proc.pname %evt.type %evt.dir %fd.name %fd.nameraw \
             %fd.directory %fd.filename %fd.type %fd.typechar %user.name",
            "%proc.pid %thread.tid %evt.rawres %fd.num %evt.cpu %5evt.num|%3proc.name|",
            "%fd.name %evt.res",
        ]
        .iter()
        .map(|f| Format::parse(f).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect();
        let mut seen = 0;
        for file in [
            "libs/curl_google.scap",
            "falco/cat_write.scap",
            "sysflow/client-server_tcp-client-server.scap",
            "bencer-examples/example5_httpd.scap",
        ] {
            for (time, buf) in [
                (TimeMode::Human, BufFormat::Dotted),
                (TimeMode::Absolute, BufFormat::Ascii),
                (TimeMode::Relative, BufFormat::HexAscii),
                (TimeMode::Delta, BufFormat::Hex),
                (TimeMode::PrevDelta, BufFormat::Base64),
            ] {
                let opts = FieldOpts {
                    render: RenderOpts { buf, max_buf: 80 },
                    time,
                    ..FieldOpts::default()
                };
                let (mut first, mut prev) = (0, 0);
                let found = crate::testing::replay(file, |num, ev, st, ectx| {
                    seen += 1;
                    if first == 0 {
                        first = ev.ts();
                    }
                    let c = Ctx::new(ev, num, st, &ectx, first, prev, &opts);
                    for f in &formats {
                        let (mut a, mut b) = (String::from("x"), String::from("x"));
                        let ok = f.render(&c, &mut a);
                        assert_eq!(ok, render_by_values(f, &c, &mut b), "{file} {num}");
                        assert_eq!(a, b, "{file} event {num}");
                    }
                    prev = ev.ts();
                });
                if !found {
                    break;
                }
            }
        }
        eprintln!("rendered {seen} events");
    }

    #[test]
    fn parses_default() {
        let f = Format::parse(DEFAULT).expect("default parses");
        assert!(f.print_all);
        // (The default line has its own renderer; the presets do not.)
        assert!(f.default_line);
        for other in [CONTAINER, KUBERNETES, MESOS, "%evt.num"] {
            assert!(!Format::parse(other).expect("parses").default_line);
        }
        let names: Vec<&str> = f.fields().map(|b| b.def.name).collect();
        assert_eq!(
            names,
            [
                "evt.num",
                "evt.outputtime",
                "evt.cpu",
                "proc.name",
                "thread.tid",
                "evt.dir",
                "evt.type",
                "evt.info"
            ]
        );
    }

    #[test]
    fn widths_args_errors() {
        let f = Format::parse("%5evt.num|%proc.aname[2].").expect("parses");
        assert_eq!(f.tokens.len(), 4);
        assert!(matches!(
            Format::parse("abc %"),
            Err(FormatError::EndsWithPercent)
        ));
        assert!(matches!(
            Format::parse("abc %12"),
            Err(FormatError::EndsWithNumber)
        ));
        assert!(Format::parse("%evt.foo").is_err());
    }

    #[test]
    fn plain_numbers() {
        let mut s = String::new();
        for n in [0u64, 7, 10, 1234567890, u64::MAX] {
            s.clear();
            crate::event::render::push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn strips_escapes() {
        assert_eq!(sanitize_for_terminal("plain", false), "plain");
        assert_eq!(sanitize_for_terminal("héllo", false), "héllo");
        assert_eq!(sanitize_for_terminal("a\u{85}b", false), "ab");
        assert_eq!(
            sanitize_for_terminal("a\x1b[31mred\x1b[0m\x07b", false),
            "aredb"
        );
        assert_eq!(sanitize_for_terminal("x\x1b]0;title\x07y", false), "xy");
        assert_eq!(sanitize_for_terminal("l1\nl2", true), "l1\nl2");
        assert_eq!(sanitize_for_terminal("l1\nl2", false), "l1l2");
    }
}
