//! The aggregation engine: events in, one sample's rows out, with csysdig's
//! table semantics (sinsp_table): keys, `use_defaults`, aggregations with
//! their per-value counts, group-by merging, and the thread table fed as
//! synthetic events at the end of each sample.

use rustc_hash::FxHashMap;

use super::def::{bind_field, Aggregation, ColumnDef, ViewDef, ViewError, ViewType};
use super::table::{self, ColumnInfo, Table};
use crate::filter::fields::{BoundField, Ctx, FType, FieldOpts, Value};
use crate::filter::Filter;
use crate::state::{EvCtx, State};

/// How a column's values are stored and combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unsigned integers, booleans, ports, times.
    U,
    /// Signed integers.
    I,
    D,
    /// Strings, IP addresses, buffers: compared as text, never summed.
    S,
}

impl Kind {
    pub fn of(t: FType) -> Kind {
        match t {
            FType::U64
            | FType::U32
            | FType::Bool
            | FType::RelTime
            | FType::AbsTime
            | FType::Port => Kind::U,
            FType::I64 | FType::I32 | FType::I16 => Kind::I,
            FType::Double => Kind::D,
            _ => Kind::S,
        }
    }
}

/// One aggregated value.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    U(u64),
    I(i64),
    D(f64),
    S(String),
}

/// A value and how many values were combined into it (csysdig's `m_cnt`:
/// AVG divides by it; 0 marks a default filled in by `use_defaults`).
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub value: CellValue,
    pub cnt: u32,
}

/// A column as the engine runs it.
#[derive(Debug, Clone)]
pub(crate) struct EngCol {
    pub field: BoundField,
    pub kind: Kind,
    pub agg: Aggregation,
    pub gagg: Aggregation,
    /// What a missing value becomes with `use_defaults` (None: drop the event).
    pub default: Option<CellValue>,
}

/// csysdig's print format of a field (`ID` numbers are never scaled).
pub fn field_format(field: &str, t: FType) -> &'static str {
    let name = field.split('[').next().unwrap_or(field);
    match name {
        "proc.pid" | "proc.ppid" | "thread.tid" | "proc.vpid" | "thread.vtid" | "proc.apid"
        | "proc.sid" | "proc.vpgid" | "proc.loginshellid" | "fd.num" => "ID",
        "evt.res" | "fd.type" => "DEC",
        "thread.cpu" | "thread.cpu.user" | "thread.cpu.system" => "NA",
        n if n.starts_with("evt.type.is") => "NA",
        _ if Kind::of(t) == Kind::S || t == FType::Ip => "NA",
        _ => "DEC",
    }
}

fn default_for(kind: Kind, t: FType, format: &str) -> Option<CellValue> {
    match (kind, t) {
        (_, FType::Port | FType::Ip | FType::IpNet) => None,
        (Kind::U, _) if format == "DEC" => Some(CellValue::U(0)),
        (Kind::I, _) if format == "DEC" => Some(CellValue::I(0)),
        (Kind::D, _) => Some(CellValue::D(0.0)),
        (Kind::S, FType::Str) => Some(CellValue::S(String::new())),
        _ => None,
    }
}

fn value_of(kind: Kind, v: &Value<'_>) -> Option<CellValue> {
    Some(match kind {
        Kind::U => match v {
            Value::U(x) => CellValue::U(*x),
            Value::I(x) => CellValue::U(*x as u64),
            Value::B(b) => CellValue::U(*b as u64),
            Value::D(d) => CellValue::U(*d as u64),
            other => CellValue::U(other.as_i64()? as u64),
        },
        Kind::I => CellValue::I(v.as_i64()?),
        Kind::D => CellValue::D(v.as_f64()?),
        Kind::S => CellValue::S(v.to_text()?.into_owned()),
    })
}

/// Writes a value as csysdig's row key text into `out`.
fn key_text(v: &Value<'_>, out: &mut String) -> bool {
    use std::fmt::Write;
    out.clear();
    match v {
        Value::None => return false,
        Value::U(x) => {
            let _ = write!(out, "{x}");
        }
        Value::I(x) => {
            let _ = write!(out, "{x}");
        }
        Value::S(s) => out.push_str(s),
        other => match other.to_text() {
            Some(t) => out.push_str(&t),
            None => return false,
        },
    }
    true
}

fn sum(dst: &mut CellValue, src: &CellValue) {
    match (dst, src) {
        (CellValue::U(a), CellValue::U(b)) => *a = a.wrapping_add(*b),
        (CellValue::I(a), CellValue::I(b)) => *a = a.wrapping_add(*b),
        (CellValue::D(a), CellValue::D(b)) => *a += *b,
        _ => {}
    }
}

fn div(v: &mut CellValue, n: u32) {
    match v {
        CellValue::U(a) => *a /= n as u64,
        CellValue::I(a) => *a /= n as i64,
        CellValue::D(a) => *a /= n as f64,
        CellValue::S(_) => {}
    }
}

fn divided(v: &CellValue, n: u32) -> CellValue {
    let mut v = v.clone();
    if n > 0 {
        div(&mut v, n);
    }
    v
}

fn max(dst: &mut CellValue, src: &CellValue) {
    match (dst, src) {
        (CellValue::U(a), CellValue::U(b)) => *a = (*a).max(*b),
        (CellValue::I(a), CellValue::I(b)) => *a = (*a).max(*b),
        (CellValue::D(a), CellValue::D(b)) if *a < *b => *a = *b,
        // csysdig's MAX on strings keeps the latest value.
        (CellValue::S(a), CellValue::S(b)) if a != b => {
            a.clear();
            a.push_str(b);
        }
        _ => {}
    }
}

fn min(dst: &mut CellValue, src: &CellValue) {
    match (dst, src) {
        (CellValue::U(a), CellValue::U(b)) => *a = (*a).min(*b),
        (CellValue::I(a), CellValue::I(b)) => *a = (*a).min(*b),
        (CellValue::D(a), CellValue::D(b)) if *a > *b => *a = *b,
        (CellValue::S(a), CellValue::S(b)) if a != b => {
            a.clear();
            a.push_str(b);
        }
        _ => {}
    }
}

/// Combines `src` into `dst` the way sinsp_table::add_fields does.
pub(crate) fn combine(agg: Aggregation, dst: &mut Slot, src: &Slot) {
    match agg {
        Aggregation::None => {}
        Aggregation::Sum | Aggregation::TimeAvg => {
            if src.cnt < 2 {
                sum(&mut dst.value, &src.value);
            } else {
                // Sum of averages (group-by of AVG columns).
                if dst.cnt > 1 {
                    div(&mut dst.value, dst.cnt);
                }
                let s = divided(&src.value, src.cnt);
                sum(&mut dst.value, &s);
                dst.cnt = 1;
            }
        }
        Aggregation::Avg => {
            dst.cnt = dst.cnt.saturating_add(src.cnt);
            sum(&mut dst.value, &src.value);
        }
        Aggregation::Max => max(&mut dst.value, &src.value),
        Aggregation::Min => {
            if src.cnt != 0 {
                if dst.cnt == 0 {
                    sum(&mut dst.value, &src.value);
                    dst.cnt += 1;
                } else {
                    min(&mut dst.value, &src.value);
                }
            }
        }
    }
}

/// One row before group-by: its key text and its values (key excluded).
#[derive(Debug, Clone)]
pub(crate) struct PreRow {
    pub key: String,
    pub vals: Vec<Slot>,
}

/// Feeds events into one view and produces its table.
#[derive(Debug)]
pub struct Aggregator {
    view_id: String,
    view_type: ViewType,
    use_defaults: bool,
    filter: Option<Filter>,
    /// Key first (tables), then the other enabled columns in view order.
    cols: Vec<EngCol>,
    /// The enabled view columns, in the same order as `cols`.
    defs: Vec<ColumnDef>,
    /// Index in `cols` of the group-by key, when the view merges.
    groupby: Option<usize>,
    index: FxHashMap<String, usize>,
    rows: Vec<PreRow>,
    /// Rows of a list view (no key).
    list_count: u64,
    keybuf: String,
    scratch: Vec<Value<'static>>,
    containers: bool,
    dropped: u64,
}

impl Aggregator {
    /// A view's aggregator, without container columns. `extra_filter` (the
    /// drill-down or user filter) is ANDed with the view's filter.
    pub fn new(view: &ViewDef, extra_filter: Option<&str>) -> Result<Aggregator, ViewError> {
        Aggregator::with_mode(view, extra_filter, false)
    }

    /// Like `new`; `containers` selects the `containers`-tagged columns
    /// (csysdig's `-pc`) instead of the `default`-tagged ones.
    pub fn with_mode(
        view: &ViewDef,
        extra_filter: Option<&str>,
        containers: bool,
    ) -> Result<Aggregator, ViewError> {
        let vf = view.filter.trim();
        let ef = extra_filter.map(str::trim).filter(|s| !s.is_empty());
        let text = match (vf.is_empty(), ef) {
            (true, None) => None,
            (false, None) => Some(vf.to_string()),
            (true, Some(e)) => Some(e.to_string()),
            (false, Some(e)) => Some(format!("({vf}) and ({e})")),
        };
        let filter = match text {
            Some(t) => Some(Filter::compile(&t).map_err(|e| ViewError::Filter(e.to_string()))?),
            None => None,
        };
        let mut defs: Vec<ColumnDef> = Vec::new();
        if view.view_type != ViewType::List {
            if let Some(k) = view.key_column(containers) {
                defs.push(k.clone());
            }
        }
        defs.extend(
            view.columns
                .iter()
                .filter(|c| c.enabled(containers) && !c.is_key)
                .cloned(),
        );
        let mut cols = Vec::with_capacity(defs.len());
        for c in &defs {
            let field = bind_field(&c.field).map_err(|e| ViewError::Key {
                file: view.source.clone(),
                key: "columns.field".into(),
                msg: e,
            })?;
            let t = field.ftype();
            let kind = Kind::of(t);
            let format = field_format(&c.field, t);
            cols.push(EngCol {
                default: default_for(kind, t, format),
                field,
                kind,
                agg: c.aggregation,
                gagg: c.groupby_aggregation,
            });
        }
        let groupby = if view.view_type == ViewType::Table {
            defs.iter().position(|c| c.is_groupby_key)
        } else {
            None
        };
        Ok(Aggregator {
            view_id: view.id.clone(),
            view_type: view.view_type,
            use_defaults: view.use_defaults,
            filter,
            cols,
            defs,
            groupby,
            index: FxHashMap::default(),
            rows: Vec::new(),
            list_count: 0,
            keybuf: String::with_capacity(64),
            scratch: Vec::new(),
            containers,
            dropped: 0,
        })
    }

    pub fn view_id(&self) -> &str {
        &self.view_id
    }

    /// The filter the aggregator applies (view filter AND extra filter).
    pub fn filter_text(&self) -> Option<&str> {
        self.filter.as_ref().map(Filter::text)
    }

    /// Feeds one event (already processed by the state).
    pub fn add(&mut self, c: &Ctx<'_>) {
        if let Some(f) = &self.filter {
            if !f.matches(c) {
                return;
            }
        }
        self.add_unfiltered(c);
    }

    fn add_unfiltered<'a>(&mut self, c: &Ctx<'a>) {
        // Reuse the scratch vector's allocation for this event's lifetime.
        let mut vals: Vec<Value<'a>> = std::mem::take(&mut self.scratch)
            .into_iter()
            .map(|_| Value::None)
            .collect();
        let mut ok = true;
        for col in &self.cols {
            let v = col.field.extract(c);
            let missing = v.is_none() || matches!(&v, Value::List(l) if l.is_empty());
            if missing {
                // csysdig: with use_defaults a missing value of a field that
                // has a zero (numbers, strings) counts as that zero;
                // otherwise the event adds nothing.
                if self.use_defaults && col.default.is_some() {
                    vals.push(Value::None);
                    continue;
                }
                ok = false;
                break;
            }
            vals.push(v);
        }
        if ok {
            self.insert(&vals);
        } else {
            self.dropped += 1;
        }
        vals.clear();
        self.scratch = vals.into_iter().map(|_| Value::None).collect();
    }

    fn slot(col: &EngCol, v: &Value<'_>) -> Slot {
        if v.is_none() {
            return Slot {
                value: col.default.clone().unwrap_or(CellValue::U(0)),
                cnt: 0,
            };
        }
        match value_of(col.kind, v) {
            Some(value) => Slot { value, cnt: 1 },
            None => Slot {
                value: col.default.clone().unwrap_or(match col.kind {
                    Kind::S => CellValue::S(String::new()),
                    Kind::D => CellValue::D(0.0),
                    Kind::I => CellValue::I(0),
                    Kind::U => CellValue::U(0),
                }),
                cnt: 0,
            },
        }
    }

    fn insert(&mut self, vals: &[Value<'_>]) {
        if self.view_type == ViewType::List {
            self.list_count += 1;
            let row = PreRow {
                key: self.list_count.to_string(),
                vals: self
                    .cols
                    .iter()
                    .zip(vals)
                    .map(|(c, v)| Self::slot(c, v))
                    .collect(),
            };
            self.rows.push(row);
            return;
        }
        let Some((kv, rest)) = vals.split_first() else {
            return;
        };
        if kv.is_none() {
            // A defaulted key: 0 for numbers, "" for strings.
            self.keybuf.clear();
            if self.cols[0].kind != Kind::S {
                self.keybuf.push('0');
            }
        } else if !key_text(kv, &mut self.keybuf) {
            return;
        }
        match self.index.get(self.keybuf.as_str()) {
            Some(&i) => {
                let row = &mut self.rows[i];
                for ((col, v), dst) in self.cols[1..].iter().zip(rest).zip(row.vals.iter_mut()) {
                    if col.agg == Aggregation::None {
                        continue;
                    }
                    let src = Self::slot(col, v);
                    combine(col.agg, dst, &src);
                }
            }
            None => {
                let vals = self.cols[1..]
                    .iter()
                    .zip(rest)
                    .map(|(c, v)| Self::slot(c, v))
                    .collect();
                self.index.insert(self.keybuf.clone(), self.rows.len());
                self.rows.push(PreRow {
                    key: self.keybuf.clone(),
                    vals,
                });
            }
        }
    }

    /// csysdig's end-of-sample step: every thread in the thread table is
    /// fed as a synthetic `sysdigevent` (so idle processes still get rows),
    /// stamped one nanosecond before the second `last_ts` falls in.
    pub fn add_thread_table(&mut self, state: &State, last_ts: u64, opts: &FieldOpts) {
        if self.view_type == ViewType::List {
            return;
        }
        let ts = (last_ts - last_ts % 1_000_000_000).wrapping_sub(1);
        let mut tids: Vec<u64> = state.threads.keys().copied().collect();
        tids.sort_unstable();
        // v2 header: ts u64, tid u64, len u32, type u16, nparams u32.
        let mut hdr = [0u8; crate::event::HDR_LEN];
        hdr[0..8].copy_from_slice(&ts.to_le_bytes());
        hdr[16..20].copy_from_slice(&(crate::event::HDR_LEN as u32).to_le_bytes());
        hdr[20..22].copy_from_slice(&SYNTHETIC_TYPE.to_le_bytes());
        for tid in tids {
            hdr[8..16].copy_from_slice(&tid.to_le_bytes());
            let Ok(ev) = crate::event::EventRef::new(0, 0, &hdr) else {
                continue;
            };
            let c = Ctx::new(ev, 0, state, &EvCtx::NONE, 0, 0, opts);
            self.add(&c);
        }
    }

    /// Starts a new sample.
    pub fn clear(&mut self) {
        self.index.clear();
        self.rows.clear();
        self.list_count = 0;
    }

    /// Events dropped because a column had no value (diagnostics).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Number of rows in the current sample (before group-by).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The current sample as a table, sorted by the view's default column.
    /// `interval_ns` is the sample length TIME_AVG columns divide by.
    pub fn table(&self, interval_ns: u64) -> Table {
        let (cols, rows): (Vec<ColumnInfo>, Vec<PreRow>) = match self.groupby {
            Some(g) => self.merged(g),
            None => {
                let skip = usize::from(self.view_type != ViewType::List);
                let cols = self.defs[skip..]
                    .iter()
                    .zip(&self.cols[skip..])
                    .map(|(d, c)| ColumnInfo::new(d, c))
                    .collect();
                (cols, self.rows.clone())
            }
        };
        let sort_col = self.default_sort_col(&cols);
        table::build(cols, rows, sort_col, interval_ns, self.view_type)
    }

    fn default_sort_col(&self, cols: &[ColumnInfo]) -> usize {
        let s = cols.iter().position(|c| c.is_sorting).unwrap_or(0);
        s.min(cols.len().saturating_sub(1))
    }

    /// Group-by: rows keyed by the key column are merged by the group-by
    /// column, each column combined with its `groupby_aggregation`.
    fn merged(&self, g: usize) -> (Vec<ColumnInfo>, Vec<PreRow>) {
        // Post-merge layout: the value columns, in order, without the key
        // (index 0) and the group-by key.
        let order: Vec<usize> = (1..self.cols.len()).filter(|&j| j != g).collect();
        let cols = order
            .iter()
            .map(|&j| ColumnInfo::new(&self.defs[j], &self.cols[j]))
            .collect();
        let mut index: FxHashMap<String, usize> = FxHashMap::default();
        let mut out: Vec<PreRow> = Vec::new();
        let gcol = &self.cols[g];
        let mut key = String::new();
        for r in &self.rows {
            let gslot = &r.vals[g - 1];
            key.clear();
            match &gslot.value {
                CellValue::U(x) => key.push_str(&x.to_string()),
                CellValue::I(x) => key.push_str(&x.to_string()),
                CellValue::D(x) => key.push_str(&x.to_string()),
                CellValue::S(s) => key.push_str(s),
            }
            let _ = gcol;
            match index.get(key.as_str()) {
                Some(&i) => {
                    let dst = &mut out[i];
                    for (k, &j) in order.iter().enumerate() {
                        combine(self.cols[j].gagg, &mut dst.vals[k], &r.vals[j - 1]);
                    }
                }
                None => {
                    index.insert(key.clone(), out.len());
                    out.push(PreRow {
                        key: key.clone(),
                        vals: order.iter().map(|&j| r.vals[j - 1].clone()).collect(),
                    });
                }
            }
        }
        (cols, out)
    }

    /// Whether container columns are shown.
    pub fn containers(&self) -> bool {
        self.containers
    }
}

/// Event type used for the synthetic thread-table events (libscap's unused
/// `PPME_SCAPEVENT_X`, sysdig 0.29.3's `sysdigevent`).
pub const SYNTHETIC_TYPE: u16 = crate::event::table::ids::THREAD_TABLE;
