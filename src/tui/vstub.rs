//! TEMPORARY stand-in for `crate::views` (the views branch) so the TUI
//! compiles before the merge. Same names and signatures; delete on merge.
#![allow(dead_code)]

use std::path::Path;

use crate::filter::fields::{Ctx, FieldOpts};
use crate::filter::Filter;
use crate::state::State;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("unknown view '{0}'")]
    UnknownView(String),
    #[error("{0}")]
    Filter(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewType {
    #[default]
    Table,
    List,
    Spectrogram,
}

#[derive(Debug, Clone, Default)]
pub struct ColumnDef {
    pub name: String,
    pub field: String,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct ActionDef {
    pub hotkey: String,
    pub command: String,
    pub description: String,
    pub ask_confirmation: bool,
    pub wait_finish: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ViewDef {
    pub id: String,
    pub name: String,
    pub description: String,
    pub tips: Vec<String>,
    pub view_type: ViewType,
    pub filter: String,
    pub applies_to: Vec<String>,
    pub is_root: bool,
    pub drilldown_target: Option<String>,
    pub columns: Vec<ColumnDef>,
    pub actions: Vec<ActionDef>,
}

impl ViewDef {
    pub fn applies_to_field(&self, field: &str) -> bool {
        self.applies_to.iter().any(|a| a == field)
    }
}

#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    pub field: String,
    pub description: String,
    pub size: u32,
}

impl ColumnInfo {
    pub fn sorts_descending(&self) -> bool {
        self.name == "EVENTS"
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Row>,
    pub sort_col: usize,
    pub sort_desc: bool,
    pub view_type: ViewType,
    pub interval_ns: u64,
}

impl Table {
    pub fn sort_by(&mut self, col: usize, desc: bool) {
        self.sort_col = col;
        self.sort_desc = desc;
        self.rows.sort_by(|a, b| {
            let (x, y) = (&a.cells[col].text, &b.cells[col].text);
            let o = match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(p), Ok(q)) => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
                _ => x.cmp(y),
            };
            if desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    pub fn select_sort(&mut self, col: usize) {
        let desc = if col == self.sort_col {
            !self.sort_desc
        } else {
            self.columns[col].sorts_descending()
        };
        self.sort_by(col, desc);
    }
}

pub fn format_cell(col: &ColumnInfo, c: &Cell, width: u32, _interval_ns: u64) -> String {
    let _ = col;
    format!("{:>w$}", c.text, w = width as usize)
}

pub struct Aggregator {
    filter: Option<Filter>,
    rows: rustc_hash::FxHashMap<String, u64>,
}

impl Aggregator {
    pub fn new(view: &ViewDef, extra_filter: Option<&str>) -> Result<Aggregator, ViewError> {
        let vf = view.filter.trim();
        let text = match (vf.is_empty(), extra_filter.filter(|s| !s.trim().is_empty())) {
            (true, None) => None,
            (false, None) => Some(vf.to_string()),
            (true, Some(e)) => Some(e.to_string()),
            (false, Some(e)) => Some(format!("({vf}) and ({e})")),
        };
        let filter = match text {
            Some(t) => Some(Filter::compile(&t).map_err(|e| ViewError::Filter(e.to_string()))?),
            None => None,
        };
        Ok(Aggregator {
            filter,
            rows: Default::default(),
        })
    }
    pub fn add(&mut self, c: &Ctx<'_>) {
        if self.filter.as_ref().is_some_and(|f| !f.matches(c)) {
            return;
        }
        if let Some(t) = c.thread {
            *self.rows.entry(t.comm.clone()).or_default() += 1;
        }
    }
    pub fn add_thread_table(&mut self, _state: &State, _last_ts: u64, _opts: &FieldOpts) {}
    pub fn clear(&mut self) {
        self.rows.clear();
    }
    pub fn table(&self, interval_ns: u64) -> Table {
        let mut t = Table {
            columns: vec![
                ColumnInfo {
                    name: "EVENTS".into(),
                    field: "evt.count".into(),
                    description: "events".into(),
                    size: 8,
                },
                ColumnInfo {
                    name: "Command".into(),
                    field: "proc.name".into(),
                    description: "name".into(),
                    size: 0,
                },
            ],
            rows: self
                .rows
                .iter()
                .map(|(k, v)| Row {
                    key: k.clone(),
                    cells: vec![Cell { text: v.to_string() }, Cell { text: k.clone() }],
                })
                .collect(),
            sort_col: 0,
            sort_desc: true,
            view_type: ViewType::Table,
            interval_ns,
        };
        t.sort_by(0, true);
        t
    }
}

pub fn builtin() -> Result<Vec<ViewDef>, ViewError> {
    let mk = |id: &str, name: &str, filter: &str, applies: &[&str]| ViewDef {
        id: id.into(),
        name: name.into(),
        description: format!("{name} (stub)"),
        filter: filter.into(),
        applies_to: applies.iter().map(|s| s.to_string()).collect(),
        is_root: id == "procs",
        columns: vec![ColumnDef {
            name: "Command".into(),
            field: "proc.name".into(),
            description: "name".into(),
        }],
        ..ViewDef::default()
    };
    Ok(vec![
        mk("files", "Files", "fd.type=file", &["", "proc.name"]),
        mk("procs", "Processes", "", &["", "proc.name"]),
    ])
}

pub fn load_all(_user_dir: Option<&Path>) -> Result<Vec<ViewDef>, ViewError> {
    builtin()
}

pub fn find<'a>(views: &'a [ViewDef], id: &str) -> Result<&'a ViewDef, ViewError> {
    views
        .iter()
        .find(|v| v.id == id)
        .ok_or_else(|| ViewError::UnknownView(id.to_string()))
}

pub fn drilldown_target<'a>(views: &'a [ViewDef], view: &ViewDef, _c: bool) -> Option<&'a ViewDef> {
    views.iter().find(|v| v.id != view.id)
}

pub fn drilldown_key_field(_view: &ViewDef, _containers: bool) -> Option<&str> {
    Some("proc.name")
}

pub fn drilldown_filter(_view: &ViewDef, row: &Row) -> String {
    format!("proc.name=\"{}\"", row.key)
}
