//! csysdig's `-j` output: `{"slices": [ {"progress": N}, ..., {"progress":
//! 100, "data": [{"d":[...],"k":"..."}], "count": N, "info": {...}} ]}`.

use std::io::{self, Write};

use serde_json::{json, Map, Value as J};

use crate::print::format::json_terminal_safe;

use super::def::{drilldown_target, ViewDef, ViewType};
use super::engine::CellValue;
use super::table::{drilldown_key_field, filter_template, format_time, Cell, ColumnInfo, Table};
use crate::filter::fields::FType;

/// The placeholder csysdig puts where the selected row's key goes.
pub const TEMPLATE_VALUE: &str = "@#$f1CA^&;";

/// One cell as csysdig's `tojson`: integers raw (not divided, even for
/// rates and averages), doubles divided by their count (or the sample
/// length in seconds for rates), durations as padded text.
pub fn cell_json(col: &ColumnInfo, c: &Cell, interval_ns: u64) -> J {
    let cnt = if col.is_rate() && interval_ns != 0 {
        interval_ns as f64 / 1e9
    } else {
        c.cnt as f64
    };
    match (&c.value, col.ftype) {
        (CellValue::U(v), FType::RelTime) => {
            let mut x = *v as f64;
            if cnt > 1.0 {
                x /= cnt;
            }
            J::String(format_time(x as i64 as u64, 10))
        }
        (CellValue::D(v), _) => {
            let mut x = *v;
            if cnt > 1.0 {
                x /= cnt;
            }
            json!(x)
        }
        (CellValue::U(v), _) => json!(*v),
        (CellValue::I(v), _) => json!(*v),
        (CellValue::S(s), _) => J::String(s.clone()),
    }
}

/// The `info` object of a sample.
pub fn info(views: &[ViewDef], view: &ViewDef, table: &Table, containers: bool) -> J {
    let mut m = Map::new();
    m.insert("appliesTo".into(), json!(view.applies_to));
    let target = drilldown_target(views, view, containers);
    // csysdig: every table can "drill down"; with no target view the
    // template is empty and the child filter is the view's own.
    let is_table = view.view_type == ViewType::Table;
    let is_spectro = view.view_type == ViewType::Spectrogram;
    m.insert("canDrillDown".into(), J::Bool(is_table || is_spectro));
    if is_spectro {
        // csysdig names the bucket field, with no filter template.
        if let Some(k) = view.key_column(containers) {
            m.insert("drillDownKeyField".into(), J::String(k.field.clone()));
        }
    }
    if is_table {
        if let Some(k) = drilldown_key_field(view, containers) {
            m.insert("drillDownKeyField".into(), J::String(k.to_string()));
        }
        let (t, tf) = match (target, filter_template(view, containers, TEMPLATE_VALUE)) {
            (Some(target), Some(t)) => {
                let tf = match target.filter.trim() {
                    "" => t.clone(),
                    f => format!("({t}) and ({f})"),
                };
                (t, tf)
            }
            _ => (String::new(), view.filter.clone()),
        };
        m.insert("filterTemplate".into(), J::String(t));
        m.insert("filterTemplateF".into(), J::String(tf));
    }
    let legend: Vec<J> = table
        .columns
        .iter()
        .map(|c| {
            json!({
                "format": c.format,
                "name": c.name,
                // csysdig prints -1 for a column without colsize.
                "size": c.declared_size.map_or(-1, i64::from),
                "type": c.type_name,
            })
        })
        .collect();
    m.insert("legend".into(), J::Array(legend));
    m.insert("sortingCol".into(), json!(table.sort_col + 1));
    J::Object(m)
}

/// Writes one data slice (without the surrounding `{"slices": [`).
pub fn write_slice(
    out: &mut dyn Write,
    views: &[ViewDef],
    view: &ViewDef,
    table: &Table,
    progress: u32,
    containers: bool,
) -> io::Result<()> {
    write!(out, "{{\"progress\": {progress}, ")?;
    if !table.rows.is_empty() {
        writeln!(out, "\"data\": [")?;
        let n = table.rows.len();
        for (i, r) in table.rows.iter().enumerate() {
            let d: Vec<J> = r
                .cells
                .iter()
                .zip(&table.columns)
                .map(|(c, col)| cell_json(col, c, table.interval_ns))
                .collect();
            let row = json!({"d": d, "k": r.key});
            write!(out, "{}", json_terminal_safe(&row.to_string()))?;
            if i + 1 < n {
                writeln!(out, ",")?;
            }
        }
        writeln!(out, "],")?;
    }
    let info = info(views, view, table, containers);
    write!(
        out,
        "\"count\": {}, \"info\": {}}}",
        table.rows.len(),
        json_terminal_safe(&info.to_string())
    )?;
    Ok(())
}

/// The `--list-views -j` array (csysdig's shape).
pub fn views_json(views: &[ViewDef]) -> J {
    J::Array(
        views
            .iter()
            .map(|v| {
                let mut m = Map::new();
                m.insert("appliesTo".into(), json!(v.applies_to));
                let target = drilldown_target(views, v, false);
                m.insert(
                    "canDrillDown".into(),
                    J::Bool(v.view_type == ViewType::Table && target.is_some()),
                );
                m.insert("description".into(), J::String(v.description.clone()));
                m.insert(
                    "drilldownTarget".into(),
                    J::String(v.drilldown_target.clone().unwrap_or_default()),
                );
                m.insert("filter".into(), J::String(v.filter.clone()));
                m.insert("id".into(), J::String(v.id.clone()));
                m.insert("isRoot".into(), J::Bool(v.is_root));
                m.insert("name".into(), J::String(v.name.clone()));
                if !v.tags.is_empty() {
                    m.insert("tags".into(), json!(v.tags));
                }
                if !v.tips.is_empty() {
                    m.insert("tips".into(), json!(v.tips));
                }
                J::Object(m)
            })
            .collect(),
    )
}
