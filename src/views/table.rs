//! A sample as rows and columns: column info, cell formatting the way
//! csysdig prints numbers, bytes and times, sorting, and drill-down filters.

use std::cmp::Ordering;

use super::def::{Aggregation, ColumnDef, ViewDef, ViewType};
use super::engine::{field_format, CellValue, EngCol, Kind, PreRow, Slot};
use crate::filter::fields::FType;

/// A visible column of a table.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    pub field: String,
    pub description: String,
    pub ftype: FType,
    /// csysdig's type name for the legend (`INT64`, `CHARBUF`, `RELTIME`...).
    pub type_name: &'static str,
    /// csysdig's print format (`ID`, `DEC`, `NA`).
    pub format: &'static str,
    /// Width in characters; 0 = the rest of the line.
    pub size: u32,
    /// The width the view declares (`colsize`); `None` = by type.
    pub declared_size: Option<u32>,
    pub aggregation: Aggregation,
    pub groupby_aggregation: Aggregation,
    pub is_sorting: bool,
    pub kind: Kind,
}

impl ColumnInfo {
    pub(crate) fn new(d: &ColumnDef, c: &EngCol) -> ColumnInfo {
        let ftype = c.field.ftype();
        ColumnInfo {
            name: d.name.clone(),
            field: d.field.clone(),
            description: d.description.clone(),
            ftype,
            type_name: ftype.name(),
            format: field_format(&d.field, ftype),
            size: d.colsize.unwrap_or_else(|| default_width(ftype)),
            declared_size: d.colsize,
            aggregation: d.aggregation,
            groupby_aggregation: d.groupby_aggregation,
            is_sorting: d.is_sorting,
            kind: c.kind,
        }
    }

    /// TIME_AVG columns are rates: divided by the sample length.
    pub fn is_rate(&self) -> bool {
        self.aggregation == Aggregation::TimeAvg || self.groupby_aggregation == Aggregation::TimeAvg
    }

    /// Numbers, times, doubles and booleans sort descending first.
    pub fn sorts_descending(&self) -> bool {
        matches!(
            self.ftype,
            FType::U64
                | FType::U32
                | FType::I64
                | FType::I32
                | FType::I16
                | FType::RelTime
                | FType::AbsTime
                | FType::Double
                | FType::Bool
        )
    }
}

/// csysdig's default width for a column without `colsize`.
pub fn default_width(t: FType) -> u32 {
    match t {
        FType::RelTime | FType::AbsTime => 16,
        FType::Str | FType::Bytes | FType::Dynamic => 32,
        FType::Ip | FType::IpNet => 17,
        _ => 8,
    }
}

/// One cell: the aggregated value and the count csysdig keeps with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: CellValue,
    /// Values combined (AVG divides by it); 0 = a `use_defaults` zero.
    pub cnt: u32,
    /// The value as csysdig displays it at the column's width, trimmed.
    pub text: String,
}

/// One row: csysdig's row key (`"k"`) and the visible cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub cells: Vec<Cell>,
}

/// One sample of a view.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Row>,
    pub sort_col: usize,
    pub sort_desc: bool,
    pub view_type: ViewType,
    /// The sample length the rates were computed with.
    pub interval_ns: u64,
}

pub(crate) fn build(
    columns: Vec<ColumnInfo>,
    rows: Vec<PreRow>,
    sort_col: usize,
    interval_ns: u64,
    view_type: ViewType,
) -> Table {
    let rows = rows
        .into_iter()
        .map(|r| Row {
            key: r.key,
            cells: r
                .vals
                .into_iter()
                .zip(&columns)
                .map(|(Slot { value, cnt }, col)| {
                    let mut c = Cell {
                        value,
                        cnt,
                        text: String::new(),
                    };
                    let w = if col.size == 0 { 32 } else { col.size };
                    c.text = format_cell(col, &c, w, interval_ns).trim().to_string();
                    c
                })
                .collect(),
        })
        .collect();
    let sort_desc = columns
        .get(sort_col)
        .is_some_and(ColumnInfo::sorts_descending);
    let mut t = Table {
        columns,
        rows,
        sort_col,
        sort_desc,
        view_type,
        interval_ns,
    };
    t.sort_by(sort_col, sort_desc);
    t
}

fn num_for_sort(c: &Cell) -> Option<f64> {
    let v = match &c.value {
        CellValue::U(x) => *x as f64,
        CellValue::I(x) => *x as f64,
        CellValue::D(x) => *x,
        CellValue::S(_) => return None,
    };
    Some(if c.cnt > 1 { v / c.cnt as f64 } else { v })
}

fn cmp_cells(a: &Cell, b: &Cell) -> Ordering {
    match (num_for_sort(a), num_for_sort(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => match (&a.value, &b.value) {
            (CellValue::S(x), CellValue::S(y)) => x.cmp(y),
            _ => Ordering::Equal,
        },
    }
}

/// Orders row keys: numerically when both are numbers, else as text.
fn cmp_keys(a: &str, b: &str) -> Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

impl Table {
    /// Sorts by a column in a direction (ties keep the row key order).
    pub fn sort_by(&mut self, col: usize, desc: bool) {
        if col >= self.columns.len() {
            return;
        }
        self.sort_col = col;
        self.sort_desc = desc;
        // The same order as comparing cells and keys directly, with each
        // row's sort value and parsed key computed once (tables of 50k
        // rows are re-sorted at every refresh).
        let keyed: Vec<(Option<f64>, Option<i64>, usize)> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    r.cells.get(col).and_then(num_for_sort),
                    r.key.parse::<i64>().ok(),
                    i,
                )
            })
            .collect();
        let rows = &self.rows;
        let mut order = keyed;
        order.sort_by(|a, b| {
            let (ra, rb) = (&rows[a.2], &rows[b.2]);
            let o = match (a.0, b.0) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                _ => match (ra.cells.get(col), rb.cells.get(col)) {
                    (Some(x), Some(y)) => cmp_cells(x, y),
                    _ => Ordering::Equal,
                },
            };
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| match (a.1, b.1) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => cmp_keys(&ra.key, &rb.key),
            })
        });
        let mut old: Vec<Option<Row>> = std::mem::take(&mut self.rows)
            .into_iter()
            .map(Some)
            .collect();
        self.rows = order
            .iter()
            .filter_map(|&(_, _, i)| old.get_mut(i).and_then(Option::take))
            .collect();
    }

    /// csysdig's sort key press: choosing the current column again reverses
    /// the order; a new column starts descending for numbers and times,
    /// ascending for everything else.
    pub fn select_sort(&mut self, col: usize) {
        if col >= self.columns.len() {
            return;
        }
        let desc = if col == self.sort_col {
            !self.sort_desc
        } else {
            self.columns[col].sorts_descending()
        };
        self.sort_by(col, desc);
    }

    /// A cell's text at `width` (csysdig's padding and K/M/G scaling).
    pub fn cell_text(&self, row: usize, col: usize, width: u32) -> Option<String> {
        let c = self.rows.get(row)?.cells.get(col)?;
        Some(format_cell(
            self.columns.get(col)?,
            c,
            width,
            self.interval_ns,
        ))
    }

    /// The visible column that shows `field`, if any.
    pub fn column_of(&self, field: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.field == field)
    }
}

/// csysdig's number formatting: `1230` → `1.20K` (powers of 1024); integers
/// without decimals, others with two; right-aligned to `width` and cut
/// from the left when longer.
pub fn format_bytes(val: f64, width: u32, is_int: bool) -> String {
    const K: f64 = 1024.0;
    let units = [
        (K * K * K * K * K, 'P'),
        (K * K * K * K, 'T'),
        (K * K * K, 'G'),
        (K * K, 'M'),
        (K, 'K'),
    ];
    let prec = if is_int { 0 } else { 2 };
    let mut s = None;
    for (lim, u) in units {
        if val > lim {
            let w = width.saturating_sub(1) as usize;
            s = Some(format!("{:>w$.prec$}{u}", val / lim));
            break;
        }
    }
    let s = s.unwrap_or_else(|| {
        let w = width as usize;
        format!("{val:>w$.prec$}")
    });
    let w = width as usize;
    if s.len() > w && w > 0 {
        s[s.len() - w..].to_string()
    } else {
        s
    }
}

/// csysdig's duration formatting: `6.17ms`, `1.28s`, `10:02`, `01:02:03`,
/// right-aligned to `width`.
pub fn format_time(ns: u64, width: u32) -> String {
    const S: u64 = 1_000_000_000;
    let s = if ns >= 3600 * S {
        format!(
            "{:02}:{:02}:{:02}",
            ns / (3600 * S),
            (ns / (60 * S)) % 60,
            (ns / S) % 60
        )
    } else if ns >= 60 * S {
        format!("{}:{}", ns / (60 * S), (ns / S) % 60)
    } else if ns >= S {
        format!("{}.{:02}s", ns / S, (ns % S) / 10_000_000)
    } else if ns >= S / 100 {
        format!("{}ms", ns / 1_000_000)
    } else if ns >= S / 1000 {
        format!("{}.{:02}ms", ns / 1_000_000, (ns % 1_000_000) / 10_000)
    } else if ns >= S / 100_000 {
        format!("{}us", ns / 1000)
    } else if ns >= S / 1_000_000 {
        format!("{}.{:02}us", ns / 1000, (ns % 1000) / 10)
    } else {
        format!("{ns}ns")
    };
    let w = width as usize;
    format!("{s:>w$}")
}

/// The divisor csysdig applies when printing: the value count, or for
/// rates the sample length in seconds.
fn divisor(col: &ColumnInfo, c: &Cell, interval_ns: u64) -> f64 {
    if col.is_rate() && interval_ns != 0 {
        interval_ns as f64 / 1e9
    } else {
        c.cnt as f64
    }
}

/// A cell as csysdig's table shows it (`tostring_nice`) at `width`.
pub fn format_cell(col: &ColumnInfo, c: &Cell, width: u32, interval_ns: u64) -> String {
    let cnt = divisor(col, c, interval_ns);
    let w = width as usize;
    match (&c.value, col.ftype) {
        (CellValue::U(v), FType::RelTime) => {
            let mut x = *v as f64;
            if cnt > 1.0 {
                x /= cnt;
            }
            format_time(x as i64 as u64, width)
        }
        (CellValue::D(v), _) => {
            let mut x = *v;
            if cnt > 1.0 {
                x /= cnt;
            }
            format!("{x:>w$.2}")
        }
        (CellValue::U(_) | CellValue::I(_), FType::Port | FType::Bool | FType::AbsTime) => {
            let s = value_text(&c.value);
            format!("{s:>w$}")
        }
        (CellValue::U(_) | CellValue::I(_), _) => {
            let v = match &c.value {
                CellValue::U(x) => *x as i64,
                CellValue::I(x) => *x,
                _ => 0,
            };
            if col.format == "ID" || cnt == 1.0 || cnt == 0.0 {
                let mut v = v;
                if cnt > 1.0 {
                    v /= cnt as i64;
                }
                if col.format == "ID" {
                    format!("{v:>w$}")
                } else {
                    format_bytes(v as f64, width, true)
                }
            } else {
                let mut x = v as f64;
                if cnt > 1.0 {
                    x /= cnt;
                }
                format_bytes(x, width, false)
            }
        }
        (CellValue::S(s), _) => s.clone(),
    }
}

/// A value as plain text (row keys, action substitution).
pub fn value_text(v: &CellValue) -> String {
    match v {
        CellValue::U(x) => x.to_string(),
        CellValue::I(x) => x.to_string(),
        CellValue::D(x) => format!("{x:.2}"),
        CellValue::S(s) => s.clone(),
    }
}

/// The field a view's rows are drilled down on: the group-by key for
/// merged views, else the key (or its `filterfield`).
pub fn drilldown_key_field(view: &ViewDef, containers: bool) -> Option<&str> {
    if view.view_type != ViewType::Table {
        return None;
    }
    if let Some(g) = view
        .columns
        .iter()
        .find(|c| c.is_groupby_key && c.enabled(containers))
    {
        return Some(g.filterfield.as_deref().unwrap_or(&g.field));
    }
    let k = view.key_column(containers)?;
    Some(k.filterfield.as_deref().unwrap_or(&k.field))
}

/// Quotes a value for a filter the way csysdig does (always in double
/// quotes; embedded quotes and backslashes escaped).
pub fn quote_value(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for ch in v.chars() {
        if ch == '"' || ch == '\\' {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('"');
    s
}

/// csysdig's drill-down filter template: `(<view filter>) and <key>="<v>"`
/// (just `<key>="<v>"` when the view has no filter or does not propagate it).
pub fn filter_template(view: &ViewDef, containers: bool, value: &str) -> Option<String> {
    let key = drilldown_key_field(view, containers)?;
    let cond = format!("{key}={}", quote_value(value));
    let f = view.filter.trim();
    Some(if f.is_empty() || !view.propagate_filter {
        cond
    } else {
        format!("({f}) and {cond}")
    })
}

/// The filter Enter on `row` adds (keyed as in container mode when
/// `containers`).
pub fn drilldown_filter(view: &ViewDef, row: &Row, containers: bool) -> String {
    filter_template(view, containers, &row.key).unwrap_or_default()
}
