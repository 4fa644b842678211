//! View definitions: the TOML schema (see `views/README.md`), loading of the
//! built-in views and of the user's directory, and validation with errors
//! that name the file and the key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::filter::fields::{self, BoundField};
use crate::filter::Filter;

/// Why a view could not be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// A view file is malformed: `file: key 'path': message`.
    #[error("{file}: key '{key}': {msg}")]
    Key {
        file: String,
        key: String,
        msg: String,
    },
    /// A view file is not valid TOML, or unreadable.
    #[error("{file}: {msg}")]
    File { file: String, msg: String },
    #[error("unknown view '{0}'")]
    UnknownView(String),
    #[error("filter: {0}")]
    Filter(String),
}

/// csysdig's column aggregations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregation {
    /// No aggregation: a row keeps the first value seen in the sample.
    #[default]
    None,
    Sum,
    /// Sum ÷ number of values.
    Avg,
    /// Sum ÷ sample interval in seconds (a per-second rate).
    TimeAvg,
    Min,
    Max,
}

impl Aggregation {
    pub fn parse(s: &str) -> Option<Aggregation> {
        Some(match s {
            "SUM" => Aggregation::Sum,
            "AVG" => Aggregation::Avg,
            "TIME_AVG" => Aggregation::TimeAvg,
            "MIN" => Aggregation::Min,
            "MAX" => Aggregation::Max,
            "NONE" => Aggregation::None,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Aggregation::None => "NONE",
            Aggregation::Sum => "SUM",
            Aggregation::Avg => "AVG",
            Aggregation::TimeAvg => "TIME_AVG",
            Aggregation::Min => "MIN",
            Aggregation::Max => "MAX",
        }
    }
}

impl<'de> Deserialize<'de> for Aggregation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Aggregation::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown aggregation '{s}' (expected SUM, AVG, TIME_AVG, MIN, MAX)"
            ))
        })
    }
}

/// How a view shows its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewType {
    /// Rows keyed and aggregated per sample.
    #[default]
    Table,
    /// One row per event.
    List,
    /// Latency histogram over time.
    Spectrogram,
}

impl<'de> Deserialize<'de> for ViewType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "table" => Ok(ViewType::Table),
            "list" => Ok(ViewType::List),
            "spectrogram" => Ok(ViewType::Spectrogram),
            _ => Err(serde::de::Error::custom(format!(
                "unknown view_type '{s}' (expected table, list, spectrogram)"
            ))),
        }
    }
}

impl fmt::Display for ViewType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ViewType::Table => "table",
            ViewType::List => "list",
            ViewType::Spectrogram => "spectrogram",
        })
    }
}

/// One column of a view (csysdig's view_info `columns` entry).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    pub name: String,
    pub field: String,
    #[serde(default)]
    pub description: String,
    /// Width in characters; `Some(0)` = the rest of the line; `None` = by type.
    #[serde(default)]
    pub colsize: Option<u32>,
    #[serde(default)]
    pub aggregation: Aggregation,
    #[serde(default)]
    pub groupby_aggregation: Aggregation,
    #[serde(default)]
    pub is_key: bool,
    #[serde(default)]
    pub is_groupby_key: bool,
    #[serde(default)]
    pub is_sorting: bool,
    /// Field used instead of `field` when building the drill-down filter.
    #[serde(default)]
    pub filterfield: Option<String>,
    #[serde(default)]
    pub filter_in_child_only: bool,
    /// `default` = only without container mode; `containers` = only with it.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl ColumnDef {
    /// Whether the column is part of the view in this mode.
    pub fn enabled(&self, containers: bool) -> bool {
        if self.tags.iter().any(|t| t == "containers") {
            return containers;
        }
        if self.tags.iter().any(|t| t == "default") {
            return !containers;
        }
        true
    }
}

/// A hotkey action (F8 menu).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    pub hotkey: String,
    /// Shell command; `%field` is replaced with the selected row's value.
    pub command: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub ask_confirmation: bool,
    #[serde(default = "yes")]
    pub wait_finish: bool,
}

fn yes() -> bool {
    true
}

/// One view (csysdig's `view_info`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ViewDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tips: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub view_type: ViewType,
    /// Extra filter ANDed with the capture filter while the view is active.
    #[serde(default)]
    pub filter: String,
    /// Drill-down key fields this view can be applied under; `""` = top level.
    #[serde(default)]
    pub applies_to: Vec<String>,
    #[serde(default)]
    pub is_root: bool,
    #[serde(default)]
    pub drilldown_target: Option<String>,
    /// Missing numeric values count as 0 instead of dropping the event.
    #[serde(default)]
    pub use_defaults: bool,
    #[serde(default = "yes")]
    pub propagate_filter: bool,
    #[serde(default)]
    pub drilldown_increase_depth: bool,
    #[serde(default)]
    pub spectro_type: Option<String>,
    #[serde(default)]
    pub columns: Vec<ColumnDef>,
    #[serde(default)]
    pub actions: Vec<ActionDef>,
    /// Where the view came from (`views/procs.toml`, or a user path).
    #[serde(skip)]
    pub source: String,
}

impl ViewDef {
    /// Parses and validates one view file's text. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<ViewDef, ViewError> {
        let de = toml::Deserializer::new(text);
        let mut v: ViewDef = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let msg = inner.message().to_string();
            if key.is_empty() || key == "." {
                // A syntax error: where it is, then what (toml's own text
                // quotes the line, which one line cannot show).
                let at = inner.span().map(|sp| {
                    let before = text.get(..sp.start).unwrap_or(text);
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!("line {line}, column {col}: ")
                });
                ViewError::File {
                    file: file.to_string(),
                    msg: format!(
                        "{}{}",
                        at.unwrap_or_default(),
                        msg.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            } else {
                ViewError::Key {
                    file: file.to_string(),
                    key,
                    msg: one_line(&msg),
                }
            }
        })?;
        v.source = file.to_string();
        v.validate()?;
        Ok(v)
    }

    fn key_err(&self, key: impl Into<String>, msg: impl Into<String>) -> ViewError {
        ViewError::Key {
            file: self.source.clone(),
            key: key.into(),
            msg: msg.into(),
        }
    }

    /// Checks ids, fields, filters and key rules.
    pub fn validate(&self) -> Result<(), ViewError> {
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(self.key_err("id", format!("invalid view id '{}'", self.id)));
        }
        if !self.filter.trim().is_empty() {
            if let Err(e) = Filter::compile(&self.filter) {
                return Err(self.key_err("filter", e.to_string()));
            }
        }
        if self.columns.is_empty() {
            return Err(self.key_err("columns", "a view needs at least one column"));
        }
        for (i, c) in self.columns.iter().enumerate() {
            if let Err(e) = bind_field(&c.field) {
                return Err(self.key_err(format!("columns[{i}].field"), e));
            }
            if let Some(ff) = &c.filterfield {
                if let Err(e) = bind_field(ff) {
                    return Err(self.key_err(format!("columns[{i}].filterfield"), e));
                }
            }
        }
        for mode in [false, true] {
            let keys = self
                .columns
                .iter()
                .filter(|c| c.is_key && c.enabled(mode))
                .count();
            let gkeys = self
                .columns
                .iter()
                .filter(|c| c.is_groupby_key && c.enabled(mode))
                .count();
            match self.view_type {
                ViewType::List if keys > 0 => {
                    return Err(self.key_err("columns", "a list view cannot have an is_key column"))
                }
                ViewType::Table | ViewType::Spectrogram if keys != 1 => {
                    return Err(self.key_err(
                        "columns",
                        format!(
                            "a {} view needs exactly one is_key column (found {keys})",
                            self.view_type
                        ),
                    ))
                }
                _ => {}
            }
            if gkeys > 1 {
                return Err(self.key_err("columns", "at most one is_groupby_key column"));
            }
            if self
                .columns
                .iter()
                .filter(|c| c.is_sorting && c.enabled(mode))
                .count()
                > 1
            {
                return Err(self.key_err("columns", "at most one is_sorting column"));
            }
        }
        for (i, a) in self.actions.iter().enumerate() {
            if a.hotkey.chars().count() != 1 {
                return Err(self.key_err(
                    format!("actions[{i}].hotkey"),
                    format!("hotkey must be one character, got '{}'", a.hotkey),
                ));
            }
        }
        Ok(())
    }

    /// The key column (tables, spectrograms) in this mode.
    pub fn key_column(&self, containers: bool) -> Option<&ColumnDef> {
        self.columns
            .iter()
            .find(|c| c.is_key && c.enabled(containers))
    }

    /// True when the view is offered under this drill-down key field
    /// (`""` = the whole machine).
    pub fn applies_to_field(&self, field: &str) -> bool {
        self.applies_to.iter().any(|a| a == field)
    }
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Resolves a column field (`evt.arg[3]`, `evt.type.is.3`, `proc.pid`).
pub fn bind_field(text: &str) -> Result<BoundField, String> {
    let (name, arg) = match text.find('[') {
        Some(i) if text.ends_with(']') => (&text[..i], Some(&text[i + 1..text.len() - 1])),
        _ => (text, None),
    };
    let b = fields::resolve(name, arg).map_err(|e| e.to_string())?;
    if b.def.filter_only {
        return Err(format!("field '{text}' can only be used in filters"));
    }
    Ok(b)
}

/// The built-in view files, embedded at build time.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "views/backlog.toml",
        include_str!("../../views/backlog.toml"),
    ),
    (
        "views/connections.toml",
        include_str!("../../views/connections.toml"),
    ),
    (
        "views/containers.toml",
        include_str!("../../views/containers.toml"),
    ),
    (
        "views/containers_errors.toml",
        include_str!("../../views/containers_errors.toml"),
    ),
    (
        "views/directories.toml",
        include_str!("../../views/directories.toml"),
    ),
    ("views/errors.toml", include_str!("../../views/errors.toml")),
    (
        "views/file_opens.toml",
        include_str!("../../views/file_opens.toml"),
    ),
    ("views/files.toml", include_str!("../../views/files.toml")),
    (
        "views/incoming_connections.toml",
        include_str!("../../views/incoming_connections.toml"),
    ),
    (
        "views/io_by_type.toml",
        include_str!("../../views/io_by_type.toml"),
    ),
    (
        "views/k8s_namespaces.toml",
        include_str!("../../views/k8s_namespaces.toml"),
    ),
    (
        "views/k8s_pods.toml",
        include_str!("../../views/k8s_pods.toml"),
    ),
    (
        "views/page_faults.toml",
        include_str!("../../views/page_faults.toml"),
    ),
    ("views/procs.toml", include_str!("../../views/procs.toml")),
    (
        "views/procs_cpu.toml",
        include_str!("../../views/procs_cpu.toml"),
    ),
    (
        "views/procs_errors.toml",
        include_str!("../../views/procs_errors.toml"),
    ),
    (
        "views/procs_fd_usage.toml",
        include_str!("../../views/procs_fd_usage.toml"),
    ),
    (
        "views/slow_io.toml",
        include_str!("../../views/slow_io.toml"),
    ),
    (
        "views/spectro_all.toml",
        include_str!("../../views/spectro_all.toml"),
    ),
    (
        "views/spectro_file.toml",
        include_str!("../../views/spectro_file.toml"),
    ),
    ("views/sports.toml", include_str!("../../views/sports.toml")),
    (
        "views/spy_syslog.toml",
        include_str!("../../views/spy_syslog.toml"),
    ),
    (
        "views/spy_users.toml",
        include_str!("../../views/spy_users.toml"),
    ),
    (
        "views/syscall_procs.toml",
        include_str!("../../views/syscall_procs.toml"),
    ),
    (
        "views/syscalls.toml",
        include_str!("../../views/syscalls.toml"),
    ),
    (
        "views/threads.toml",
        include_str!("../../views/threads.toml"),
    ),
];

/// The built-in views, sorted by name as csysdig's F2 menu is.
pub fn builtin() -> Result<Vec<ViewDef>, ViewError> {
    let mut out = Vec::with_capacity(BUILTIN.len());
    for (file, text) in BUILTIN {
        out.push(ViewDef::from_toml(file, text)?);
    }
    sort_views(&mut out);
    Ok(out)
}

fn sort_views(v: &mut [ViewDef]) {
    v.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
}

/// The user's view directory: `$XDG_CONFIG_HOME/syspect/views`, else
/// `~/.config/syspect/views`.
pub fn default_user_dir() -> Option<std::path::PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(Path::new(&x).join("syspect/views"));
    }
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".config/syspect/views"))
}

/// The built-in views plus the `*.toml` files of `user_dir` (a user view
/// replaces the built-in view with the same id). A missing directory is
/// not an error; a broken file is.
pub fn load_all(user_dir: Option<&Path>) -> Result<Vec<ViewDef>, ViewError> {
    let mut by_id: BTreeMap<String, ViewDef> = BTreeMap::new();
    for v in builtin()? {
        by_id.insert(v.id.clone(), v);
    }
    if let Some(dir) = user_dir {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => Some(rd),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ViewError::File {
                    file: dir.display().to_string(),
                    msg: e.to_string(),
                })
            }
        };
        let mut paths: Vec<_> = rd
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            let file = p.display().to_string();
            let text = std::fs::read_to_string(&p).map_err(|e| ViewError::File {
                file: file.clone(),
                msg: e.to_string(),
            })?;
            let v = ViewDef::from_toml(&file, &text)?;
            by_id.insert(v.id.clone(), v);
        }
    }
    let mut out: Vec<ViewDef> = by_id.into_values().collect();
    sort_views(&mut out);
    Ok(out)
}

/// Finds a view by id.
pub fn find<'a>(views: &'a [ViewDef], id: &str) -> Result<&'a ViewDef, ViewError> {
    views
        .iter()
        .find(|v| v.id == id)
        .ok_or_else(|| ViewError::UnknownView(id.to_string()))
}

/// The view Enter opens from `view`: its `drilldown_target`, or else the
/// first view (by name) whose `applies_to` contains the key field. Lists
/// and keyless views have none.
pub fn drilldown_target<'a>(
    views: &'a [ViewDef],
    view: &ViewDef,
    containers: bool,
) -> Option<&'a ViewDef> {
    if view.view_type != ViewType::Table {
        return None;
    }
    if let Some(t) = &view.drilldown_target {
        return views.iter().find(|v| &v.id == t);
    }
    let key = view.key_column(containers)?;
    let field = key.filterfield.as_deref().unwrap_or(&key.field);
    views.iter().find(|v| v.applies_to_field(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
id = "t"
name = "T"
view_type = "table"
[[columns]]
name = "NA"
field = "proc.pid"
is_key = true
[[columns]]
name = "N"
field = "evt.count"
aggregation = "SUM"
"#;

    #[test]
    fn builtin_views_load() {
        let v = builtin().expect("built-in views are valid");
        assert_eq!(v.len(), BUILTIN.len());
        assert!(v.iter().any(|v| v.id == "procs" && v.is_root));
    }

    #[test]
    fn good_view_parses() {
        let v = ViewDef::from_toml("views/t.toml", OK).expect("valid");
        assert_eq!(v.columns[1].aggregation, Aggregation::Sum);
        assert!(v.propagate_filter);
    }

    #[test]
    fn bad_aggregation_names_file_and_key() {
        let text = OK.replace("\"SUM\"", "\"SUMM\"");
        let e = ViewDef::from_toml("views/foo.toml", &text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "views/foo.toml: key 'columns[1].aggregation': unknown aggregation 'SUMM' (expected SUM, AVG, TIME_AVG, MIN, MAX)"
        );
    }

    #[test]
    fn unknown_field_names_key() {
        let text = OK.replace("evt.count", "evt.cuont");
        let e = ViewDef::from_toml("views/foo.toml", &text).unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("views/foo.toml: key 'columns[1].field': unknown field 'evt.cuont'"),
            "{s}"
        );
        assert!(!s.contains('\n'));
    }

    #[test]
    fn wrong_type_and_unknown_key() {
        let text = OK.replace("is_key = true", "is_key = \"yes\"");
        let s = ViewDef::from_toml("a.toml", &text).unwrap_err().to_string();
        assert!(s.starts_with("a.toml: key 'columns[0].is_key': "), "{s}");
        let text = OK.replace("is_key = true", "is_kye = true");
        let s = ViewDef::from_toml("a.toml", &text).unwrap_err().to_string();
        assert!(s.starts_with("a.toml: key 'columns[0]"), "{s}");
        assert!(s.contains("is_kye"), "{s}");
        let text = OK.replace("view_type = \"table\"", "view_type = \"tabel\"");
        let s = ViewDef::from_toml("a.toml", &text).unwrap_err().to_string();
        assert!(
            s.starts_with("a.toml: key 'view_type': unknown view_type 'tabel'"),
            "{s}"
        );
    }

    #[test]
    fn bad_filter_and_missing_key() {
        let text = OK.replace("view_type = \"table\"", "filter = \"proc.name = \"");
        let s = ViewDef::from_toml("a.toml", &text).unwrap_err().to_string();
        assert!(s.starts_with("a.toml: key 'filter': filter:"), "{s}");
        let text = OK.replace("is_key = true", "");
        let s = ViewDef::from_toml("a.toml", &text).unwrap_err().to_string();
        assert!(
            s.starts_with("a.toml: key 'columns': a table view needs exactly one is_key column"),
            "{s}"
        );
        let s = ViewDef::from_toml("a.toml", "id = ")
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("a.toml: "), "{s}");
        assert!(!s.contains('\n'), "{s}");
        // A syntax error says where, in the file's own terms.
        let s = ViewDef::from_toml("a.toml", "id = \"x\"\nname = \n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            s,
            "a.toml: line 2, column 8: invalid string, expected `\"`, `'`"
        );
    }

    #[test]
    fn user_dir_overrides_by_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = OK
            .replace("id = \"t\"", "id = \"procs\"")
            .replace("name = \"T\"", "name = \"Mine\"");
        std::fs::write(dir.path().join("procs.toml"), text).expect("write");
        let all = load_all(Some(dir.path())).expect("loads");
        let p = find(&all, "procs").expect("procs");
        assert_eq!(p.name, "Mine");
        assert_eq!(all.len(), BUILTIN.len());
        std::fs::write(dir.path().join("bad.toml"), "id = 3").expect("write");
        let s = load_all(Some(dir.path())).unwrap_err().to_string();
        assert!(s.contains("bad.toml: key 'id'"), "{s}");
    }
}
