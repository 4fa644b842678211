//! The explorer's model and key handling, free of terminals and threads so
//! tests can drive it and render it into a `TestBackend`.
//!
//! Every focusable component lists the keys it accepts (`commands()`); the
//! footer is generated from that list, and so is the help page.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::engine::EchoBlock;
use super::spectro::{self, Spectro};
use crate::filter::Filter;
use crate::store::Select;
use crate::views::{self, Table, ViewDef, ViewType};

/// One key hint: the key as shown and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmd {
    pub key: &'static str,
    pub label: &'static str,
}

const fn cmd(key: &'static str, label: &'static str) -> Cmd {
    Cmd { key, label }
}

/// One drill-down level: a view plus everything Backspace must restore.
#[derive(Debug, Clone, Default)]
pub struct Level {
    pub view: usize,
    /// Filter accumulated by the drill-downs above this level.
    pub drill_filter: Option<String>,
    /// `field=value` labels of the drill-downs, for the `For:` line.
    pub path: Vec<String>,
    /// The index to use for dig/echo at this level.
    pub select: Option<(String, String)>,
    /// Filter typed in the filter bar (sysdig language).
    pub user_filter: String,
    pub selected: usize,
    pub selected_key: Option<String>,
    pub sort: Option<(usize, bool)>,
    pub top: usize,
    pub hscroll: usize,
    /// A list view cleared with `c`/Del: the events numbered up to this
    /// are left out of it (0: none).
    pub cleared: u64,
    /// The user moved the selection here (keys, mouse, search): a new sort
    /// keeps that row; otherwise it starts at the top.
    pub moved: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKind {
    Views,
    Sort,
    Actions,
    /// Echo's "View As".
    ViewAs,
}

#[derive(Debug, Clone)]
pub struct Menu {
    pub kind: MenuKind,
    pub title: String,
    /// (label, payload index)
    pub items: Vec<(String, usize)>,
    pub sel: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EchoMode {
    #[default]
    Dotted,
    Printable,
    Hex,
}

impl EchoMode {
    pub fn name(self) -> &'static str {
        match self {
            EchoMode::Dotted => "Dotted ASCII",
            EchoMode::Printable => "Printable ASCII",
            EchoMode::Hex => "Hex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneKind {
    Dig,
    Echo,
}

/// The Dig or Echo window.
#[derive(Debug, Clone)]
pub struct Pane {
    pub kind: PaneKind,
    pub gen: u64,
    pub loading: bool,
    pub lines: Vec<String>,
    pub blocks: Vec<EchoBlock>,
    /// For echo: per line, true if it belongs to a write (for colour),
    /// `None` for separators.
    pub line_dir: Vec<Option<bool>>,
    pub echo_mode: EchoMode,
    pub top: usize,
    pub hscroll: usize,
    pub search: String,
    pub truncated: bool,
    pub not_found: bool,
    /// Where the search being typed started: each key searches from
    /// there, and a text not found (or Esc) goes back to it.
    pub search_from: usize,
    /// Filter used to build it, for the header.
    pub filter: String,
    pub sel: Select,
    /// Dig line format (None: sysdig's default).
    pub format: Option<String>,
    /// Container mode (`-pc`): Echo names each block's container.
    pub containers: bool,
    /// The selected row it was opened for (`field=value`), for "For:".
    pub row: Option<String>,
}

impl Pane {
    /// A pane that is loading `kind` for `filter`/`sel`.
    pub fn new(
        kind: PaneKind,
        gen: u64,
        filter: String,
        sel: Select,
        format: Option<String>,
    ) -> Pane {
        Pane {
            kind,
            gen,
            loading: true,
            lines: Vec::new(),
            blocks: Vec::new(),
            line_dir: Vec::new(),
            echo_mode: EchoMode::Dotted,
            top: 0,
            hscroll: 0,
            search: String::new(),
            truncated: false,
            not_found: false,
            search_from: 0,
            filter,
            sel,
            format,
            containers: false,
            row: None,
        }
    }

    pub fn rebuild_echo(&mut self) {
        if self.kind != PaneKind::Echo {
            return;
        }
        self.lines.clear();
        self.line_dir.clear();
        for b in &self.blocks {
            let verb = if b.write { "Write" } else { "Read" };
            let prep = if b.write { "to" } else { "from" };
            let mut head = format!("------ {verb} {}B {prep} {} ({})", b.len, b.fd_name, b.comm);
            if self.containers && !b.container.is_empty() {
                head.push_str(&format!(" [{}]", b.container));
            }
            self.lines
                .push(crate::print::format::sanitize_for_terminal(&head, false).into_owned());
            self.line_dir.push(Some(b.write));
            self.lines.push(String::new());
            self.line_dir.push(None);
            for l in render_buffer(&b.data, self.echo_mode) {
                self.lines.push(l);
                self.line_dir.push(Some(b.write));
            }
            self.lines.push(String::new());
            self.line_dir.push(None);
        }
    }
}

/// Renders an I/O buffer as lines, never emitting control characters.
pub fn render_buffer(data: &[u8], mode: EchoMode) -> Vec<String> {
    match mode {
        EchoMode::Dotted => vec![data
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect()],
        EchoMode::Printable => {
            let text: String = data
                .iter()
                .filter(|&&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t')
                .map(|&b| if b == b'\t' { ' ' } else { b as char })
                .collect();
            text.lines().map(str::to_string).collect()
        }
        EchoMode::Hex => data
            .chunks(16)
            .enumerate()
            .map(|(i, c)| {
                let hex: Vec<String> = c.iter().map(|b| format!("{b:02x}")).collect();
                let asc: String = c
                    .iter()
                    .map(|&b| {
                        if (0x20..0x7f).contains(&b) {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                format!("0x{:04x}:  {:<48} {asc}", i * 16, hex.join(" "))
            })
            .collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    PaneSearch,
}

/// A one-line text prompt with a cursor.
#[derive(Debug, Clone)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// Cursor in chars.
    pub cursor: usize,
    /// Filter errors: 1-based column in `text` and message.
    pub error: Option<(usize, String)>,
    /// Completion candidates after Tab.
    pub candidates: Vec<String>,
    /// The text changed since `error` was worked out (a filter is checked
    /// once per drawn frame, not per key: a paste is thousands of keys).
    pub unchecked: bool,
}

impl Input {
    fn new(kind: InputKind, text: &str) -> Input {
        Input {
            kind,
            text: text.to_string(),
            cursor: text.chars().count(),
            error: None,
            candidates: Vec::new(),
            unchecked: false,
        }
    }
    fn byte_at(&self, c: usize) -> usize {
        self.text
            .char_indices()
            .nth(c)
            .map(|(i, _)| i)
            .unwrap_or(self.text.len())
    }
    fn insert(&mut self, ch: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, ch);
        self.cursor += 1;
    }
    fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }
    fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }
    /// Tab: completes the field name under the cursor.
    fn complete(&mut self) {
        let at = self.byte_at(self.cursor);
        let start = self.text[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &self.text[start..at];
        if word.is_empty() {
            self.candidates.clear();
            return;
        }
        let mut names: Vec<&'static str> = crate::filter::fields::all()
            .iter()
            .filter(|d| d.name.starts_with(word))
            .map(|d| d.name)
            .collect();
        names.dedup();
        if names.is_empty() {
            self.candidates.clear();
            return;
        }
        let mut prefix = names[0].to_string();
        for n in &names[1..] {
            let common = prefix
                .chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .count();
            prefix = prefix.chars().take(common).collect();
        }
        let add = prefix[word.len()..].to_string();
        let mut add = add;
        if names.len() == 1 {
            add.push(' ');
        }
        for ch in add.chars() {
            self.insert(ch);
        }
        self.candidates = if names.len() > 1 {
            names.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        };
    }
}

/// What the driver must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// The current level needs a new table (view, drill-down or filter changed).
    Reaggregate,
    /// Fill the open pane.
    LoadPane,
    /// Run a view action's shell command.
    Run {
        command: String,
        wait: bool,
    },
    TogglePause,
}

#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help { top: usize },
    Legend { top: usize },
    Menu(Menu),
    Confirm { command: String, wait: bool },
}

/// Header information the driver refreshes.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// "Live System" or the file name with its count and span.
    pub source: String,
    pub live: bool,
    pub loading: bool,
    pub events: u64,
    pub rate: f64,
    pub drops: u64,
    /// How far back the store reaches, already formatted.
    pub store: String,
    pub capture_filter: String,
}

pub struct App {
    pub views: Vec<ViewDef>,
    pub stack: Vec<Level>,
    pub table: Option<Table>,
    /// The data of a spectrogram view.
    pub spectro: Option<Spectro>,
    /// The spectrogram's cursor and marked rectangle.
    pub spectro_cur: spectro::Cursor,
    /// Plot size (columns, rows) of the last spectrogram draw.
    pub spectro_plot: (u16, u16),
    /// Screen position of the plot's top-left cell (last draw).
    pub spectro_xy: (u16, u16),
    /// Width of the spectrogram asked for after a resize.
    spectro_asked: u16,
    pub gen: u64,
    pub overlay: Overlay,
    pub pane: Option<Pane>,
    pub input: Option<Input>,
    pub paused: bool,
    pub status: Status,
    pub message: Option<String>,
    pub color: bool,
    /// Container mode (`-pc`): the views' `containers`-tagged columns, and
    /// their keys for drill-down.
    pub containers: bool,
    /// Rows visible in the table (set by the last draw).
    pub page: usize,
    /// Screen rows of the table header and first data row (last draw).
    pub table_y: u16,
    /// Column x ranges of the table header (last draw).
    pub col_x: Vec<(u16, u16, usize)>,
    /// The footer's row and the x ranges of its commands (last draw), for
    /// clicks.
    pub footer_y: u16,
    pub footer: Vec<(u16, u16, &'static str)>,
    last_click: Option<(std::time::Instant, u16)>,
    search_memory: Option<String>,
}

/// Whether a table row holds `text` (in its key or a cell), for '/'.
fn row_has(r: &views::Row, text: &str) -> bool {
    r.key.contains(text) || r.cells.iter().any(|c| c.text.contains(text))
}

/// The key a footer command's label stands for (None: not a single key).
fn key_of_label(label: &str) -> Option<KeyCode> {
    let first = label.split('/').next().unwrap_or(label);
    if let Some(n) = first.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
        return Some(KeyCode::F(n));
    }
    Some(match first {
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Bksp" => KeyCode::Backspace,
        "Tab" => KeyCode::Tab,
        "Space" => KeyCode::Char(' '),
        k if k.chars().count() == 1 => KeyCode::Char(k.chars().next()?),
        _ => return None,
    })
}

fn ctrl(k: &KeyEvent, c: char) -> bool {
    k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char(c)
}

impl App {
    /// `start` is a view id (or `echo`/`dig`); unknown ids are an error.
    pub fn new(views: Vec<ViewDef>, start: Option<&str>) -> Result<App, String> {
        let mut open = None;
        let idx = match start {
            None => default_view(&views),
            Some(s @ ("echo" | "dig")) => {
                open = Some(if s == "echo" {
                    PaneKind::Echo
                } else {
                    PaneKind::Dig
                });
                default_view(&views)
            }
            Some(id) => views.iter().position(|v| v.id == id).ok_or_else(|| {
                let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
                format!("unknown view '{id}'; views: {}", ids.join(", "))
            })?,
        };
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let mut app = App {
            views,
            stack: vec![Level {
                view: idx,
                ..Level::default()
            }],
            table: None,
            spectro: None,
            spectro_cur: spectro::Cursor::default(),
            spectro_plot: (80, 17),
            spectro_xy: (0, 3),
            spectro_asked: 0,
            gen: 1,
            overlay: Overlay::None,
            pane: None,
            input: None,
            paused: false,
            status: Status::default(),
            message: None,
            color,
            containers: false,
            page: 10,
            table_y: 0,
            col_x: Vec::new(),
            footer_y: u16::MAX,
            footer: Vec::new(),
            last_click: None,
            search_memory: None,
        };
        if let Some(k) = open {
            app.open_pane(k);
        }
        Ok(app)
    }

    pub fn level(&self) -> &Level {
        // The stack is never empty: Backspace stops at the root.
        &self.stack[self.stack.len() - 1]
    }
    fn level_mut(&mut self) -> &mut Level {
        let n = self.stack.len() - 1;
        &mut self.stack[n]
    }
    pub fn view(&self) -> &ViewDef {
        &self.views[self.level().view]
    }

    /// The filter the aggregator gets on top of the view's own filter.
    pub fn extra_filter(&self) -> Option<String> {
        let l = self.level();
        let f = and_filters(
            [
                Some(self.status.capture_filter.as_str()),
                l.drill_filter.as_deref(),
                Some(l.user_filter.as_str()),
            ]
            .map(|p| p.map(str::trim)),
        );
        (!f.is_empty()).then_some(f)
    }

    /// The full filter shown on the header line.
    pub fn full_filter(&self) -> String {
        let vf = self.view().filter.trim();
        match (vf.is_empty(), self.extra_filter()) {
            (true, None) => "none".into(),
            (false, None) => vf.to_string(),
            (true, Some(e)) => e,
            (false, Some(e)) => format!("({vf}) and ({e})"),
        }
    }

    /// True when the current view's data (table or spectrogram) is here.
    pub fn has_data(&self) -> bool {
        match self.view().view_type {
            ViewType::Spectrogram => self.spectro.is_some(),
            _ => self.table.is_some(),
        }
    }

    /// True when the screen shows complete data: the Dig/Echo window's
    /// lines when it is open, else the current view's table or spectrogram.
    pub fn has_full_frame(&self) -> bool {
        match &self.pane {
            Some(p) => !p.loading,
            None => self.has_data(),
        }
    }

    /// Rows of data on hand (Dig/Echo lines, table rows, or spectrogram
    /// rows).
    pub fn rows_shown(&self) -> usize {
        if let Some(p) = &self.pane {
            return p.lines.len();
        }
        match self.view().view_type {
            ViewType::Spectrogram => self.spectro.as_ref().map_or(0, |s| s.rows.len()),
            _ => self.table.as_ref().map_or(0, |t| t.rows.len()),
        }
    }

    /// A spectrogram's history arrived for generation `gen`.
    pub fn set_spectro(&mut self, gen: u64, sp: Spectro) {
        if gen != self.gen || self.view().view_type != ViewType::Spectrogram {
            return;
        }
        let n = sp.rows.len();
        self.spectro = Some(sp);
        let page = self.spectro_plot.1 as usize;
        let c = &mut self.spectro_cur;
        c.row = c.row.min(n.saturating_sub(1));
        c.anchor = None;
        c.follow(n, page);
    }

    /// A live sample of a spectrogram view (events with `window.0 <= ts <=
    /// window.1`): one more row, unless paused or stale.
    pub fn spectro_tick(&mut self, gen: u64, t: &Table, window: (u64, u64)) {
        if gen != self.gen || self.paused {
            return;
        }
        let page = self.spectro_plot.1 as usize;
        let Some(sp) = self.spectro.as_mut() else {
            return;
        };
        // Rows never overlap: the history may reach into this sample.
        let start = sp.rows.back().map_or(window.0, |r| r.end.max(window.0));
        let row = sp.row_from_table(t, start, window.1.saturating_add(1).max(start));
        sp.push(row);
        let n = sp.rows.len();
        let c = &mut self.spectro_cur;
        if c.back > 0 {
            // Scrolled back: keep the same rows on screen.
            c.back += 1;
        }
        c.row = c.row.min(n.saturating_sub(1));
        c.follow(n, page);
    }

    /// True when the spectrogram on hand was built for another width than
    /// the screen now has (after a resize): it must be rebuilt.
    pub fn spectro_stale(&self) -> bool {
        self.view().view_type == ViewType::Spectrogram
            && self.spectro_asked != self.spectro_plot.0
            && self
                .spectro
                .as_ref()
                .is_some_and(|s| s.width != u32::from(self.spectro_plot.0))
    }

    /// A fresh table arrived for generation `gen`.
    /// Returns false when the table was ignored (stale, or paused).
    pub fn set_table(&mut self, gen: u64, mut t: Table, live_tick: bool) -> bool {
        if gen != self.gen || (live_tick && self.paused && self.table.is_some()) {
            return false;
        }
        let l = self.level().clone();
        if let Some((c, d)) = l.sort {
            t.sort_by(c, d);
        }
        let sel = match &l.selected_key {
            Some(k) => t
                .rows
                .iter()
                .position(|r| &r.key == k)
                .unwrap_or(l.selected.min(t.rows.len().saturating_sub(1))),
            None => 0,
        };
        discard(self.table.replace(t));
        self.select(sel);
        true
    }

    /// Scrolls the table to the page size of the last draw: a taller
    /// screen (or fewer rows) shows from higher up, so that no rows stay
    /// hidden above blank lines; the selection stays on screen.
    pub fn fit_page(&mut self) {
        let n = self.table.as_ref().map_or(0, |t| t.rows.len());
        let page = self.page.max(1);
        let l = self.level_mut();
        l.top = l.top.min(n.saturating_sub(page));
        if l.selected >= l.top + page {
            l.top = l.selected + 1 - page;
        }
    }

    fn select(&mut self, i: usize) {
        let n = self.table.as_ref().map_or(0, |t| t.rows.len());
        let i = if n == 0 { 0 } else { i.min(n - 1) };
        let key = self
            .table
            .as_ref()
            .and_then(|t| t.rows.get(i))
            .map(|r| r.key.clone());
        let page = self.page.max(1);
        let l = self.level_mut();
        l.selected = i;
        if key.is_some() {
            l.selected_key = key;
        }
        if i < l.top {
            l.top = i;
        } else if i >= l.top + page {
            l.top = i + 1 - page;
        }
    }

    pub fn set_pane_lines(&mut self, gen: u64, lines: Vec<String>, truncated: bool) {
        if let Some(p) = self.pane.as_mut().filter(|p| p.gen == gen) {
            p.lines = lines;
            p.truncated = truncated;
            p.loading = false;
        }
    }

    pub fn set_pane_blocks(&mut self, gen: u64, blocks: Vec<EchoBlock>, truncated: bool) {
        if let Some(p) = self.pane.as_mut().filter(|p| p.gen == gen) {
            p.blocks = blocks;
            p.truncated = truncated;
            p.loading = false;
            p.rebuild_echo();
        }
    }

    /// The keys the focused component accepts, for the footer.
    pub fn commands(&self) -> Vec<Cmd> {
        if let Some(i) = &self.input {
            return match i.kind {
                InputKind::Filter => vec![
                    cmd("Enter", "Apply"),
                    cmd("Esc", "Cancel"),
                    cmd("Tab", "Complete"),
                    cmd("^U", "Clear"),
                ],
                _ => vec![cmd("Enter", "Done"), cmd("Esc", "Cancel"), cmd("n", "Next")],
            };
        }
        match &self.overlay {
            Overlay::Help { .. } | Overlay::Legend { .. } => {
                return vec![cmd("↑↓", "Scroll"), cmd("Esc", "Close"), cmd("q", "Quit")]
            }
            Overlay::Menu(m) => {
                let mut v = vec![
                    cmd("↑↓", "Move"),
                    cmd("Enter", "Select"),
                    cmd("Esc", "Cancel"),
                ];
                if m.kind == MenuKind::Actions {
                    v.push(cmd("key", "Run"));
                }
                return v;
            }
            Overlay::Confirm { .. } => return vec![cmd("y", "Run"), cmd("n/Esc", "Cancel")],
            Overlay::None => {}
        }
        if let Some(p) = &self.pane {
            let mut v = vec![
                cmd("F1", "Help"),
                cmd("/", "Search"),
                cmd("n", "Next"),
                cmd("N", "Prev"),
            ];
            if p.kind == PaneKind::Echo {
                v.push(cmd("F2/x", "ViewAs"));
            }
            v.extend([
                cmd("r", "Reload"),
                cmd("c", "Clear"),
                cmd("Bksp", "Back"),
                cmd("q", "Quit"),
            ]);
            return v;
        }
        if self.view().view_type == ViewType::Spectrogram {
            return vec![
                cmd("F1", "Help"),
                cmd("F2", "Views"),
                cmd("F4", "Filter"),
                cmd("←↑→↓", "Move"),
                cmd("Space", "Mark"),
                cmd("Enter", "Dig"),
                cmd("p", if self.paused { "Resume" } else { "Pause" }),
                cmd("Bksp", "Back"),
                cmd("q", "Quit"),
            ];
        }
        let mut v = vec![
            cmd("F1", "Help"),
            cmd("F2", "Views"),
            cmd("F4", "Filter"),
            cmd("F5", "Echo"),
            cmd("F6", "Dig"),
            cmd("F7", "Legend"),
            cmd("F8", "Actions"),
            cmd("F9", "Sort"),
            cmd("F12", "Spectro"),
            cmd("/", "Search"),
            cmd("p", if self.paused { "Resume" } else { "Pause" }),
        ];
        if self.view().view_type == ViewType::List {
            v.push(cmd("c", "Clear"));
        }
        v.push(cmd("q", "Quit"));
        v
    }

    /// Handles a key; returns what the driver must do.
    pub fn on_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        self.message = None;
        if ctrl(&k, 'c') {
            return vec![Effect::Quit];
        }
        if self.input.is_some() {
            return self.on_input_key(k);
        }
        match self.overlay.clone() {
            Overlay::None => {}
            Overlay::Help { top } => return self.on_scroll_page(k, top, true),
            Overlay::Legend { top } => return self.on_scroll_page(k, top, false),
            Overlay::Menu(m) => return self.on_menu_key(k, m),
            Overlay::Confirm { command, wait } => {
                self.overlay = Overlay::None;
                if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    return vec![Effect::Run { command, wait }];
                }
                self.message = Some("Action cancelled".into());
                return vec![];
            }
        }
        if self.pane.is_some() {
            return self.on_pane_key(k);
        }
        if self.view().view_type == ViewType::Spectrogram {
            if let Some(e) = self.on_spectro_key(k) {
                return e;
            }
        }
        self.on_table_key(k)
    }

    /// Keys of a spectrogram view; `None` passes the key on to the common
    /// table keys (help, views, filter, legend, pause, back, quit).
    fn on_spectro_key(&mut self, k: KeyEvent) -> Option<Vec<Effect>> {
        let page = self.spectro_plot.1 as usize;
        let wide = (self.spectro_plot.0 / 11).max(1) as isize;
        let Some(sp) = self.spectro.as_ref() else {
            return match k.code {
                KeyCode::Enter | KeyCode::F(6) | KeyCode::Char('d') => {
                    self.message = Some("No spectrogram data yet".into());
                    Some(vec![])
                }
                _ => None,
            };
        };
        let c = &mut self.spectro_cur;
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => c.step(sp, -1, 0, page),
            KeyCode::Down | KeyCode::Char('j') => c.step(sp, 1, 0, page),
            KeyCode::Left if k.modifiers.contains(KeyModifiers::SHIFT) => {
                c.step(sp, 0, -wide, page)
            }
            KeyCode::Right if k.modifiers.contains(KeyModifiers::SHIFT) => {
                c.step(sp, 0, wide, page)
            }
            KeyCode::Left => c.step(sp, 0, -1, page),
            KeyCode::Right => c.step(sp, 0, 1, page),
            KeyCode::PageUp => c.step(sp, -(page.max(1) as isize), 0, page),
            KeyCode::PageDown => c.step(sp, page.max(1) as isize, 0, page),
            KeyCode::Home | KeyCode::Char('g') => c.step(sp, -(sp.rows.len() as isize), 0, page),
            KeyCode::End | KeyCode::Char('G') => c.step(sp, sp.rows.len() as isize, 0, page),
            KeyCode::Char(' ') | KeyCode::Char('m') => {
                c.step(sp, 0, 0, page);
                c.anchor = match c.anchor {
                    Some(_) => None,
                    None => Some((c.row, c.col)),
                };
            }
            KeyCode::Esc => {
                c.anchor = None;
                c.active = false;
            }
            KeyCode::Enter | KeyCode::F(6) | KeyCode::Char('d') => {
                return Some(self.spectro_dig());
            }
            KeyCode::F(5) | KeyCode::Char('e') => {
                self.message = Some("Echo works on table views".into());
            }
            _ => return None,
        }
        Some(vec![])
    }

    /// Dig on the calls in the marked rectangle (or the cursor cell; the
    /// whole spectrogram when no cell is selected).
    fn spectro_dig(&mut self) -> Vec<Effect> {
        let Some(sp) = self.spectro.as_ref() else {
            return vec![];
        };
        let c = &self.spectro_cur;
        let sel_filter = if c.active {
            let (r1, r2, c1, c2) = c.rect();
            match sp.selection_filter(r1, r2, c1, c2) {
                Some(f) => Some(f),
                None => {
                    self.message = Some("Nothing selected".into());
                    return vec![];
                }
            }
        } else {
            None
        };
        let l = self.level();
        let filter = and_filters([
            Some(self.status.capture_filter.as_str()),
            l.drill_filter.as_deref(),
            Some(self.view().filter.trim()),
            Some(l.user_filter.as_str()),
            sel_filter.as_deref(),
        ]);
        let sel = l
            .select
            .as_ref()
            .map(|(f, v)| Select::from_key(f, v))
            .unwrap_or(Select::All);
        self.gen += 1;
        self.pane = Some(Pane::new(
            PaneKind::Dig,
            self.gen,
            filter,
            sel,
            Some(format!(
                "(latency=%evt.latency.human) (fd=%fd.name) {}",
                crate::print::format::DEFAULT
            )),
        ));
        vec![Effect::LoadPane]
    }

    /// F12 / Shift-F12: the spectrogram `id` for the selected row (as a
    /// drill-down), or for everything at this level when no row is
    /// selected.
    fn open_spectro(&mut self, id: &str) -> Vec<Effect> {
        let Some(target) = self.views.iter().position(|v| v.id == id) else {
            self.message = Some(format!("No view '{id}'"));
            return vec![];
        };
        if self.level().view == target {
            return vec![];
        }
        let parent = self.level().clone();
        let (drill, path, select) = match self.row_drill() {
            Some((f, field, value)) => {
                let drill = match &parent.drill_filter {
                    Some(p) => format!("({p}) and ({f})"),
                    None => f,
                };
                let mut path = parent.path.clone();
                path.push(format!("{field}={value}"));
                (Some(drill), path, Some((field, value)))
            }
            None => (
                parent.drill_filter.clone(),
                parent.path.clone(),
                parent.select.clone(),
            ),
        };
        self.stack.push(Level {
            view: target,
            drill_filter: drill,
            path,
            select,
            user_filter: parent.user_filter.clone(),
            ..Level::default()
        });
        self.restart()
    }

    fn on_scroll_page(&mut self, k: KeyEvent, top: usize, help: bool) -> Vec<Effect> {
        let top = match k.code {
            KeyCode::Up | KeyCode::Char('k') => top.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => top + 1,
            KeyCode::PageUp => top.saturating_sub(10),
            KeyCode::PageDown | KeyCode::Char(' ') => top + 10,
            KeyCode::Home => 0,
            KeyCode::End => 10_000,
            KeyCode::Char('q') | KeyCode::F(10) => return vec![Effect::Quit],
            _ => {
                self.overlay = Overlay::None;
                return vec![];
            }
        };
        self.overlay = if help {
            Overlay::Help { top }
        } else {
            Overlay::Legend { top }
        };
        vec![]
    }

    fn on_menu_key(&mut self, k: KeyEvent, mut m: Menu) -> Vec<Effect> {
        let n = m.items.len();
        // An action's hotkey runs it, before j/k move the selection (the
        // kill action's is `k`).
        if let (MenuKind::Actions, KeyCode::Char(c)) = (m.kind, k.code) {
            if let Some(i) = self
                .view()
                .actions
                .iter()
                .position(|a| a.hotkey.starts_with(c))
            {
                self.overlay = Overlay::None;
                return self.menu_choose(MenuKind::Actions, i);
            }
        }
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => m.sel = m.sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => m.sel = (m.sel + 1).min(n.saturating_sub(1)),
            KeyCode::PageUp => m.sel = m.sel.saturating_sub(10),
            KeyCode::PageDown => m.sel = (m.sel + 10).min(n.saturating_sub(1)),
            KeyCode::Home => m.sel = 0,
            KeyCode::End => m.sel = n.saturating_sub(1),
            KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('q') => {
                self.overlay = Overlay::None;
                return vec![];
            }
            KeyCode::Enter => {
                self.overlay = Overlay::None;
                return match m.items.get(m.sel) {
                    Some(&(_, payload)) => self.menu_choose(m.kind, payload),
                    None => vec![],
                };
            }
            KeyCode::Char(c) if m.kind != MenuKind::Actions && c.is_alphanumeric() => {
                // Type-ahead: the next item starting with that letter.
                let up = c.to_ascii_lowercase();
                if let Some(i) = (1..=n).map(|d| (m.sel + d) % n.max(1)).find(|&i| {
                    m.items[i].0.chars().next().map(|x| x.to_ascii_lowercase()) == Some(up)
                }) {
                    m.sel = i;
                }
            }
            _ => {}
        }
        self.overlay = Overlay::Menu(m);
        vec![]
    }

    fn menu_choose(&mut self, kind: MenuKind, payload: usize) -> Vec<Effect> {
        match kind {
            MenuKind::Views => {
                if payload == self.level().view {
                    return vec![];
                }
                // Another view is a level of its own (with the same
                // drill-down), as in csysdig: Backspace comes back to the
                // view it replaced.
                let l = self.level().clone();
                self.stack.push(l);
                let l = self.level_mut();
                l.view = payload;
                l.cleared = 0;
                l.moved = false;
                l.sort = None;
                l.selected = 0;
                l.top = 0;
                l.selected_key = None;
                l.hscroll = 0;
                self.restart()
            }
            MenuKind::Sort => {
                self.sort_by_col(payload);
                vec![]
            }
            MenuKind::ViewAs => {
                if let Some(p) = self.pane.as_mut() {
                    p.echo_mode = match payload {
                        0 => EchoMode::Dotted,
                        1 => EchoMode::Printable,
                        _ => EchoMode::Hex,
                    };
                    p.rebuild_echo();
                }
                vec![]
            }
            MenuKind::Actions => {
                let Some(a) = self.view().actions.get(payload).cloned() else {
                    return vec![];
                };
                let Some(command) = self.expand_action(&a.command) else {
                    self.message = Some("No row selected for this action".into());
                    return vec![];
                };
                // Always confirm: actions run shell commands.
                self.overlay = Overlay::Confirm {
                    command,
                    wait: a.wait_finish,
                };
                vec![]
            }
        }
    }

    /// Replaces `%field` tokens with the selected row's values.
    fn expand_action(&self, template: &str) -> Option<String> {
        let t = self.table.as_ref()?;
        let row = t.rows.get(self.level().selected)?;
        let key_field = views::drilldown_key_field(self.view(), self.containers).unwrap_or("");
        let mut out = String::new();
        let mut rest = template;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                .unwrap_or(after.len());
            let field = &after[..end];
            let val = if field == key_field {
                Some(row.key.clone())
            } else {
                t.columns
                    .iter()
                    .position(|c| c.field == field)
                    .and_then(|c| row.cells.get(c))
                    .map(|c| c.text.clone())
            };
            match val {
                Some(v) => out.push_str(&shell_quote(&v)),
                None => {
                    out.push('%');
                    out.push_str(field);
                }
            }
            rest = &after[end..];
        }
        out.push_str(rest);
        Some(out)
    }

    /// A new table is needed for the current level.
    fn restart(&mut self) -> Vec<Effect> {
        self.gen += 1;
        discard(self.table.take());
        self.spectro = None;
        self.spectro_cur = spectro::Cursor::default();
        vec![Effect::Reaggregate]
    }

    /// Rebuilds the spectrogram at the screen's new width, keeping the
    /// current one on screen until the new one arrives.
    pub fn respectro(&mut self) -> Vec<Effect> {
        self.gen += 1;
        self.spectro_asked = self.spectro_plot.0;
        vec![Effect::Reaggregate]
    }

    fn sort_by_col(&mut self, col: usize) {
        let Some(t) = self.table.as_mut() else {
            return;
        };
        if col >= t.columns.len() {
            return;
        }
        t.select_sort(col);
        let s = (t.sort_col, t.sort_desc);
        self.level_mut().sort = Some(s);
        // As csysdig: the row the user picked stays selected (and in
        // view); one the user never moved to gives way to the top row of
        // the new order.
        let idx = match (&self.level().selected_key, self.level().moved) {
            (Some(k), true) => self
                .table
                .as_ref()
                .and_then(|t| t.rows.iter().position(|r| &r.key == k))
                .unwrap_or(0),
            _ => 0,
        };
        self.select(idx);
    }

    /// [`App::select`] by the user's hand.
    fn user_select(&mut self, i: usize) {
        self.select(i);
        self.level_mut().moved = true;
    }

    fn open_menu(&mut self, kind: MenuKind) {
        let (title, items, sel): (&str, Vec<(String, usize)>, usize) = match kind {
            MenuKind::Views => {
                let field = self
                    .level()
                    .select
                    .as_ref()
                    .map(|s| s.0.clone())
                    .unwrap_or_default();
                let mut items: Vec<(String, usize)> = self
                    .views
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.applies_to_field(&field) || v.applies_to.is_empty())
                    .map(|(i, v)| (v.name.clone(), i))
                    .collect();
                if items.is_empty() {
                    items = self
                        .views
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v.name.clone(), i))
                        .collect();
                }
                items.sort_by(|a, b| a.0.cmp(&b.0));
                let cur = self.level().view;
                let sel = items.iter().position(|x| x.1 == cur).unwrap_or(0);
                ("Select View", items, sel)
            }
            MenuKind::Sort => {
                let Some(t) = &self.table else {
                    self.message = Some("Nothing to sort yet".into());
                    return;
                };
                let items = t
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.name.clone(), i))
                    .collect();
                ("Sort By", items, t.sort_col)
            }
            MenuKind::Actions => {
                let items: Vec<(String, usize)> = self
                    .view()
                    .actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (format!("{}: {}", a.hotkey, a.description), i))
                    .collect();
                if items.is_empty() {
                    self.message = Some("This view has no actions".into());
                    return;
                }
                ("Actions", items, 0)
            }
            MenuKind::ViewAs => {
                let cur = self.pane.as_ref().map_or(0, |p| p.echo_mode as usize);
                (
                    "View As",
                    [EchoMode::Dotted, EchoMode::Printable, EchoMode::Hex]
                        .iter()
                        .enumerate()
                        .map(|(i, m)| (m.name().to_string(), i))
                        .collect(),
                    cur,
                )
            }
        };
        self.overlay = Overlay::Menu(Menu {
            kind,
            title: title.to_string(),
            items,
            sel,
        });
    }

    /// The drill-down of the selected row: (filter, field, value).
    fn row_drill(&self) -> Option<(String, String, String)> {
        let t = self.table.as_ref()?;
        let row = t.rows.get(self.level().selected)?;
        let v = self.view();
        if v.view_type != ViewType::Table {
            return None;
        }
        let field = views::drilldown_key_field(v, self.containers)?.to_string();
        let f = views::drilldown_filter(v, row, self.containers);
        if f.is_empty() {
            return None;
        }
        Some((f, field, row.key.clone()))
    }

    fn drill_down(&mut self) -> Vec<Effect> {
        let Some((f, field, value)) = self.row_drill() else {
            self.message = Some("Nothing to drill down into here".into());
            return vec![];
        };
        let Some(target) = views::drilldown_target(&self.views, self.view(), self.containers)
            .and_then(|t| self.views.iter().position(|v| v.id == t.id))
        else {
            self.message = Some("This view has no drill-down target".into());
            return vec![];
        };
        let parent = self.level().clone();
        let drill = match &parent.drill_filter {
            Some(p) => format!("({p}) and ({f})"),
            None => f,
        };
        let mut path = parent.path.clone();
        path.push(format!("{field}={value}"));
        self.stack.push(Level {
            view: target,
            drill_filter: Some(drill),
            path,
            select: Some((field, value)),
            user_filter: parent.user_filter.clone(),
            ..Level::default()
        });
        self.restart()
    }

    fn go_back(&mut self) -> Vec<Effect> {
        if self.stack.len() <= 1 {
            self.message = Some("Already at the top level".into());
            return vec![];
        }
        self.stack.pop();
        self.restart()
    }

    fn open_pane(&mut self, kind: PaneKind) {
        let l = self.level();
        let mut row = None;
        let (row_filter, sel) = match self.row_drill() {
            Some((f, field, value)) => {
                let sel = Select::from_key(&field, &value);
                row = Some(format!("{field}={value}"));
                (Some(f), sel)
            }
            None => {
                let sel = l
                    .select
                    .as_ref()
                    .map(|(f, v)| Select::from_key(f, v))
                    .unwrap_or(Select::All);
                let vf = self.view().filter.trim();
                ((!vf.is_empty()).then(|| vf.to_string()), sel)
            }
        };
        let filter = and_filters([
            Some(self.status.capture_filter.as_str()),
            l.drill_filter.as_deref(),
            row_filter.as_deref(),
            Some(l.user_filter.as_str()),
        ]);
        self.gen += 1;
        // Container mode: Dig prints sysdig's -pc line.
        let format = (self.containers && kind == PaneKind::Dig)
            .then(|| crate::print::format::CONTAINER.to_string());
        let mut pane = Pane::new(kind, self.gen, filter, sel, format);
        pane.containers = self.containers;
        pane.row = row;
        self.pane = Some(pane);
    }

    fn on_table_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let sel = self.level().selected;
        let page = self.page.max(1);
        let shifted_digit = |c: char| "!@#$%^&*(".find(c);
        match k.code {
            KeyCode::Char('q') | KeyCode::F(10) => return vec![Effect::Quit],
            KeyCode::F(1) | KeyCode::Char('h') | KeyCode::Char('?') => {
                self.overlay = Overlay::Help { top: 0 }
            }
            KeyCode::F(2) | KeyCode::Char('v') => self.open_menu(MenuKind::Views),
            KeyCode::F(4) | KeyCode::Char('\\') | KeyCode::Char('f') => {
                let text = self.level().user_filter.clone();
                let mut i = Input::new(InputKind::Filter, &text);
                check_filter(&mut i);
                self.input = Some(i);
            }
            KeyCode::Char('/') => self.input = Some(Input::new(InputKind::Search, "")),
            _ if ctrl(&k, 'f') => self.input = Some(Input::new(InputKind::Search, "")),
            KeyCode::Char('n') | KeyCode::F(3) => self.search_rows(true),
            KeyCode::F(5) | KeyCode::Char('e') => {
                if self.view().view_type == ViewType::Table {
                    self.open_pane(PaneKind::Echo);
                    return vec![Effect::LoadPane];
                }
                self.message = Some("Echo works on table views".into());
            }
            KeyCode::F(6) | KeyCode::Char('d') => {
                self.open_pane(PaneKind::Dig);
                return vec![Effect::LoadPane];
            }
            KeyCode::F(7) | KeyCode::Char('l') => self.overlay = Overlay::Legend { top: 0 },
            KeyCode::F(8) | KeyCode::Char('a') => self.open_menu(MenuKind::Actions),
            KeyCode::F(9) | KeyCode::Char('>') | KeyCode::Char('s') => {
                self.open_menu(MenuKind::Sort)
            }
            KeyCode::Char('r') => {
                if let Some(t) = &self.table {
                    let c = t.sort_col;
                    self.sort_by_col(c);
                }
            }
            KeyCode::Char(c) if shifted_digit(c).is_some() => {
                if let Some(i) = shifted_digit(c) {
                    self.sort_by_col(i);
                }
            }
            KeyCode::F(12) if k.modifiers.contains(KeyModifiers::SHIFT) => {
                return self.open_spectro("spectro_file")
            }
            KeyCode::F(24) | KeyCode::Char('I') => return self.open_spectro("spectro_file"),
            KeyCode::F(12) | KeyCode::Char('S') => return self.open_spectro("spectro_all"),
            KeyCode::Char('p') => {
                self.paused = !self.paused;
                return vec![Effect::TogglePause];
            }
            KeyCode::Char('c') | KeyCode::Delete if self.view().view_type == ViewType::List => {
                // As csysdig: the list starts over from the events after now.
                self.level_mut().cleared = self.status.events;
                self.table = None;
                return self.restart();
            }
            KeyCode::Enter => return self.drill_down(),
            KeyCode::Backspace => return self.go_back(),
            KeyCode::Up | KeyCode::Char('k') => self.user_select(sel.saturating_sub(1)),
            KeyCode::Down | KeyCode::Char('j') => self.user_select(sel + 1),
            KeyCode::PageUp => self.user_select(sel.saturating_sub(page)),
            KeyCode::PageDown | KeyCode::Char(' ') => self.user_select(sel + page),
            KeyCode::Home | KeyCode::Char('g') => self.user_select(0),
            KeyCode::End | KeyCode::Char('G') => self.user_select(usize::MAX),
            KeyCode::Left => {
                let l = self.level_mut();
                l.hscroll = l.hscroll.saturating_sub(1);
            }
            KeyCode::Right => {
                let n = self.table.as_ref().map_or(0, |t| t.columns.len());
                let l = self.level_mut();
                l.hscroll = (l.hscroll + 1).min(n.saturating_sub(1));
            }
            _ => {}
        }
        vec![]
    }

    fn search_rows(&mut self, from_next: bool) {
        let Some(text) = self.last_search() else {
            return;
        };
        let Some(t) = &self.table else {
            return;
        };
        let n = t.rows.len();
        let start = self.level().selected + usize::from(from_next);
        let found = (0..n)
            .map(|i| (start + i) % n.max(1))
            .find(|&i| row_has(&t.rows[i], &text));
        match found {
            Some(i) => self.user_select(i),
            None => self.message = Some(format!("NOT FOUND: {text}")),
        }
    }

    fn last_search(&self) -> Option<String> {
        self.input
            .as_ref()
            .filter(|i| i.kind == InputKind::Search)
            .map(|i| i.text.clone())
            .or_else(|| self.search_memory.clone())
            .filter(|s| !s.is_empty())
    }

    fn on_input_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let Some(mut input) = self.input.take() else {
            return vec![];
        };
        match k.code {
            KeyCode::Esc => {
                if input.kind == InputKind::Search || input.kind == InputKind::PaneSearch {
                    self.search_memory = Some(input.text);
                }
                if input.kind == InputKind::PaneSearch {
                    if let Some(p) = self.pane.as_mut() {
                        p.top = p.search_from;
                        p.not_found = false;
                    }
                }
                return vec![];
            }
            KeyCode::Enter => match input.kind {
                InputKind::Filter => {
                    check_filter(&mut input);
                    if input.error.is_some() {
                        self.input = Some(input);
                        return vec![];
                    }
                    self.level_mut().user_filter = input.text.trim().to_string();
                    return self.restart();
                }
                InputKind::Search | InputKind::PaneSearch => {
                    // A table search that found nothing says so once the
                    // bar is closed (typing hid it), as csysdig does.
                    let missing = input.kind == InputKind::Search
                        && !input.text.is_empty()
                        && self
                            .table
                            .as_ref()
                            .is_some_and(|t| !t.rows.iter().any(|r| row_has(r, &input.text)));
                    if missing {
                        self.message = Some(format!("NOT FOUND: {}", input.text));
                    }
                    self.search_memory = Some(input.text);
                    return vec![];
                }
            },
            KeyCode::Tab if input.kind == InputKind::Filter => input.complete(),
            KeyCode::Backspace => input.backspace(),
            KeyCode::Delete => input.delete(),
            KeyCode::Left => input.cursor = input.cursor.saturating_sub(1),
            KeyCode::Right => input.cursor = (input.cursor + 1).min(input.text.chars().count()),
            KeyCode::Home => input.cursor = 0,
            KeyCode::End => input.cursor = input.text.chars().count(),
            _ if ctrl(&k, 'u') => {
                input.text.clear();
                input.cursor = 0;
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() => {
                input.insert(c);
            }
            _ => {}
        }
        match input.kind {
            InputKind::Filter => input.unchecked = true,
            InputKind::Search => {
                let text = input.text.clone();
                self.input = Some(input);
                self.search_memory = Some(text);
                if self.table.is_some() {
                    self.search_rows(false);
                }
                return vec![];
            }
            InputKind::PaneSearch => {
                let text = input.text.clone();
                self.input = Some(input);
                self.pane_search(&text, false, true);
                return vec![];
            }
        }
        self.input = Some(input);
        vec![]
    }

    fn pane_search(&mut self, text: &str, next: bool, forward: bool) {
        let Some(p) = self.pane.as_mut() else {
            return;
        };
        p.search = text.to_string();
        if text.is_empty() {
            p.not_found = false;
            return;
        }
        let n = p.lines.len();
        if n == 0 {
            return;
        }
        // Typing searches from where the search started; `n`/`N` from the
        // current match.
        if !next {
            p.top = p.search_from;
        }
        let found = if forward {
            let start = p.top + usize::from(next);
            (0..n)
                .map(|i| (start + i) % n)
                .find(|&i| p.lines[i].contains(text))
        } else {
            let start = p.top + n - 1;
            (0..n)
                .map(|i| (start + n - i) % n)
                .find(|&i| p.lines[i].contains(text))
        };
        match found {
            Some(i) => {
                p.top = i;
                p.not_found = false;
            }
            None => {
                if !next {
                    p.top = p.search_from;
                }
                p.not_found = true;
            }
        }
    }

    fn on_pane_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        let page = self.page.max(1);
        let Some(p) = self.pane.as_mut() else {
            return vec![];
        };
        let n = p.lines.len();
        let max_top = n.saturating_sub(page);
        match k.code {
            KeyCode::Char('q') | KeyCode::F(10) => return vec![Effect::Quit],
            KeyCode::Backspace | KeyCode::Esc => {
                self.pane = None;
                return vec![];
            }
            KeyCode::F(1) | KeyCode::Char('h') | KeyCode::Char('?') => {
                self.overlay = Overlay::Help { top: 0 }
            }
            KeyCode::Up | KeyCode::Char('k') => p.top = p.top.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Enter => p.top = (p.top + 1).min(max_top),
            KeyCode::PageUp => p.top = p.top.saturating_sub(page),
            KeyCode::PageDown | KeyCode::Char(' ') => p.top = (p.top + page).min(max_top),
            KeyCode::Home | KeyCode::Char('g') => p.top = 0,
            KeyCode::End | KeyCode::Char('G') => p.top = max_top,
            KeyCode::Left => p.hscroll = p.hscroll.saturating_sub(8),
            KeyCode::Right => p.hscroll += 8,
            _ if k.code == KeyCode::Char('/') || ctrl(&k, 'f') => {
                p.search_from = p.top;
                self.input = Some(Input::new(InputKind::PaneSearch, ""));
            }
            KeyCode::Char('n') | KeyCode::F(3) => {
                let s = p.search.clone();
                self.pane_search(&s, true, true);
            }
            KeyCode::Char('N') => {
                let s = p.search.clone();
                self.pane_search(&s, true, false);
            }
            KeyCode::F(2) | KeyCode::Char('x') if p.kind == PaneKind::Echo => {
                self.open_menu(MenuKind::ViewAs)
            }
            KeyCode::Char('c') | KeyCode::Delete => {
                p.lines.clear();
                p.blocks.clear();
                p.line_dir.clear();
                p.top = 0;
            }
            KeyCode::Char('r') => {
                p.loading = true;
                self.gen += 1;
                p.gen = self.gen;
                return vec![Effect::LoadPane];
            }
            KeyCode::Char('p') => {
                self.paused = !self.paused;
                return vec![Effect::TogglePause];
            }
            _ => {}
        }
        vec![]
    }

    /// Mouse: click selects, double-click drills down, header click sorts,
    /// the wheel scrolls.
    pub fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        // No screen drawn yet, or only "too small": nothing to click.
        if self.footer_y == u16::MAX {
            return vec![];
        }
        // A command of the footer runs as its key does, as in csysdig
        // (but a letter while a text is typed would only be typed).
        if m.kind == MouseEventKind::Down(MouseButton::Left) && m.row == self.footer_y {
            let hit = self
                .footer
                .iter()
                .find(|(a, b, _)| m.column >= *a && m.column < *b)
                .and_then(|(_, _, k)| key_of_label(k))
                .filter(|c| self.input.is_none() || !matches!(c, KeyCode::Char(_)));
            return match hit {
                Some(code) => self.on_key(key(code)),
                None => vec![],
            };
        }
        if self.input.is_some() || !matches!(self.overlay, Overlay::None) {
            return vec![];
        }
        // The header's filter line opens the filter editor (F4).
        if m.kind == MouseEventKind::Down(MouseButton::Left) && m.row == 1 && self.pane.is_none() {
            return self.on_key(key(KeyCode::F(4)));
        }
        if self.pane.is_none() && self.view().view_type == ViewType::Spectrogram {
            return self.on_spectro_mouse(m);
        }
        match m.kind {
            MouseEventKind::ScrollUp => self.on_key(key(KeyCode::Up)),
            MouseEventKind::ScrollDown => self.on_key(key(KeyCode::Down)),
            MouseEventKind::Down(MouseButton::Left) if self.pane.is_none() => {
                if m.row == self.table_y {
                    if let Some(&(_, _, c)) = self
                        .col_x
                        .iter()
                        .find(|(a, b, _)| m.column >= *a && m.column < *b)
                    {
                        self.sort_by_col(c);
                    }
                    return vec![];
                }
                // (Only on a row of the table: not below it, on the footer.)
                let line = (m.row as usize).wrapping_sub(self.table_y as usize + 1);
                if m.row > self.table_y && line < self.page {
                    let i = self.level().top + line;
                    let n = self.table.as_ref().map_or(0, |t| t.rows.len());
                    if i < n {
                        let now = std::time::Instant::now();
                        let double = self.last_click.is_some_and(|(t, r)| {
                            r == m.row && now.duration_since(t).as_millis() < 400
                        });
                        self.last_click = Some((now, m.row));
                        self.user_select(i);
                        if double {
                            return self.drill_down();
                        }
                    }
                }
                vec![]
            }
            _ => vec![],
        }
    }
}

impl App {
    /// The spectrogram cell under a screen position: (row index, column).
    fn spectro_cell(&self, x: u16, y: u16) -> Option<(usize, u16)> {
        let sp = self.spectro.as_ref()?;
        let (x0, y0) = self.spectro_xy;
        let (w, h) = self.spectro_plot;
        if x < x0 || y < y0 || x >= x0 + w || y >= y0 + h {
            return None;
        }
        let n = sp.rows.len();
        let last = n.checked_sub(1)?.saturating_sub(self.spectro_cur.back);
        let first = (last + 1).saturating_sub(h as usize);
        let shown = last + 1 - first;
        let line = (y - y0) as usize;
        let blank = h as usize - shown;
        if line < blank {
            return None;
        }
        Some((first + line - blank, x - x0))
    }

    /// Mouse on a spectrogram: press marks a corner, drag extends the
    /// rectangle, release opens Dig on it (a plain click just moves the
    /// cursor); the wheel scrolls.
    fn on_spectro_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let page = self.spectro_plot.1 as usize;
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let d = if m.kind == MouseEventKind::ScrollUp {
                    -1
                } else {
                    1
                };
                if let Some(sp) = self.spectro.as_ref() {
                    self.spectro_cur.step(sp, d, 0, page);
                }
                vec![]
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some((r, c)) = self.spectro_cell(m.column, m.row) {
                    let cur = &mut self.spectro_cur;
                    cur.active = true;
                    cur.row = r;
                    cur.col = c;
                    cur.anchor = Some((r, c));
                }
                vec![]
            }
            MouseEventKind::Drag(MouseButton::Left) => {
                if let Some((r, c)) = self.spectro_cell(m.column, m.row) {
                    let cur = &mut self.spectro_cur;
                    if cur.anchor.is_some() {
                        cur.row = r;
                        cur.col = c;
                    }
                }
                vec![]
            }
            MouseEventKind::Up(MouseButton::Left) => {
                let cur = &mut self.spectro_cur;
                match cur.anchor {
                    Some(a) if a != (cur.row, cur.col) => self.spectro_dig(),
                    _ => {
                        cur.anchor = None;
                        vec![]
                    }
                }
            }
            _ => vec![],
        }
    }

    /// Status text for the message line.
    pub fn take_message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

/// Frees a replaced table. A big one is freed on a short-lived thread:
/// freeing 50,000 rows of strings takes tens of milliseconds, longer than
/// a frame.
fn discard(t: Option<Table>) {
    match t {
        Some(t) if t.rows.len() > 4096 => {
            let spawned = std::thread::Builder::new()
                .name("syspect-free".into())
                .spawn(move || drop(t));
            // Without a thread, it is freed here.
            drop(spawned);
        }
        _ => {}
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:".contains(c))
        && !s.is_empty()
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn default_view(views: &[ViewDef]) -> usize {
    let mut roots: Vec<(usize, &ViewDef)> = views
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_root)
        .collect();
    roots.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    roots
        .first()
        .map(|r| r.0)
        .or_else(|| views.iter().position(|v| v.id == "procs"))
        .unwrap_or(0)
}

impl App {
    /// Checks the filter bar's text if it changed since (before a frame is
    /// drawn: keys come faster than a filter compiles).
    pub fn refresh_input(&mut self) {
        if let Some(i) = self.input.as_mut().filter(|i| i.unchecked) {
            check_filter(i);
        }
    }
}

/// Compiles the filter bar's text and records an error with its column.
fn check_filter(i: &mut Input) {
    i.unchecked = false;
    i.error = None;
    let t = i.text.trim();
    if t.is_empty() {
        return;
    }
    if let Err(e) = Filter::compile(&i.text) {
        i.error = Some((e.column, e.msg));
    }
}

/// The non-blank filters ANDed, each in parentheses when there are several.
fn and_filters<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let parts: Vec<&str> = parts
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].to_string(),
        _ => parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" and "),
    }
}
