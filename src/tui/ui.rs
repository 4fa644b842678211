//! Drawing: a pure function of [`App`] into a ratatui frame.

use std::borrow::Cow;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Input, InputKind, Overlay, PaneKind};
use super::{cells, spectro};
use crate::print::format::sanitize_for_terminal;
use crate::views::{self, ViewType};

/// Smallest usable terminal.
pub const MIN_W: u16 = 60;
pub const MIN_H: u16 = 12;

fn clean(s: &str) -> Cow<'_, str> {
    sanitize_for_terminal(s, false)
}

struct Theme {
    color: bool,
}

impl Theme {
    fn header(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new()
        }
    }
    fn label(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    fn colhdr(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Green)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn colhdr_list(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn sorted(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }
    fn selected(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn key(&self) -> Style {
        if self.color {
            Style::new().fg(Color::White).bg(Color::Black)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    fn keylabel(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn error(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    fn paused(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
    fn read(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        }
    }
    fn write(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new()
        }
    }
    fn found(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

fn ascii_arrows() -> bool {
    std::env::var("TERM").is_ok_and(|t| t == "linux")
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, app: &mut App) {
    app.refresh_input();
    let area = f.area();
    let th = Theme { color: app.color };
    if area.width < MIN_W || area.height < MIN_H {
        // (Nothing on screen takes a click.)
        app.footer_y = u16::MAX;
        app.footer.clear();
        let msg = format!(
            "Terminal too small: {}x{}.\nsyspect needs at least {MIN_W}x{MIN_H}.\nEnlarge the window, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(th.error())
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let bar = app
        .input
        .as_ref()
        .map(|i| InputBar::new(i, usize::from(area.width)));
    // A message too long for the line wraps (at most three lines).
    let message: Vec<String> = match (&bar, &app.message) {
        (None, Some(m)) => wrap_words(
            &clean(&m.replace(['\n', '\t'], " ")),
            usize::from(area.width),
            3,
        ),
        _ => Vec::new(),
    };
    let bottom_h = bar.as_ref().map_or(message.len().max(1), |b| b.lines.len()) as u16;
    let [head, body, msg, foot] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(1),
        Constraint::Length(bottom_h),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, app, &th, head);
    if app.pane.is_some() {
        draw_pane(f, app, &th, body);
    } else if app.view().view_type == ViewType::Spectrogram {
        draw_spectro(f, app, body);
    } else {
        draw_table(f, app, &th, body);
    }
    match &bar {
        Some(b) => b.draw(f, &th, msg),
        None => draw_msg(f, app, &message, &th, msg),
    }
    draw_footer(f, app, &th, foot);
    match app.overlay.clone() {
        Overlay::None => {}
        Overlay::Help { top } => draw_text_page(f, &th, body, "Help", &help_lines(), top),
        Overlay::Legend { top } => draw_text_page(f, &th, body, "Legend", &legend_lines(app), top),
        Overlay::Menu(m) => {
            let w = 32.min(body.width);
            let r = Rect::new(body.x, body.y, w, body.height);
            f.render_widget(Clear, r);
            let visible = r.height.saturating_sub(2) as usize;
            let start = m.sel.saturating_sub(visible.saturating_sub(1));
            let lines: Vec<Line<'_>> = m
                .items
                .iter()
                .enumerate()
                .skip(start)
                .take(visible)
                .map(|(i, (label, _))| {
                    let st = if i == m.sel {
                        th.selected()
                    } else {
                        Style::new()
                    };
                    Line::styled(format!("{:<30}", clean(label)), st)
                })
                .collect();
            f.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(m.title.clone())),
                r,
            );
            if m.kind == super::app::MenuKind::Views && body.width > w + 20 {
                if let Some(v) = m.items.get(m.sel).and_then(|(_, i)| app.views.get(*i)) {
                    let info = Rect::new(body.x + w, body.y, body.width - w, body.height);
                    f.render_widget(Clear, info);
                    let mut text = vec![Line::styled(v.name.clone(), th.label()), Line::raw("")];
                    text.push(Line::raw(v.description.clone()));
                    for t in &v.tips {
                        text.push(Line::raw(""));
                        text.push(Line::raw(t.clone()));
                    }
                    f.render_widget(
                        Paragraph::new(text)
                            .wrap(Wrap { trim: true })
                            .block(Block::bordered().title("Info")),
                        info,
                    );
                }
            }
        }
        Overlay::Confirm { command, .. } => {
            let w = (body.width.saturating_sub(4)).min(70);
            let r = Rect::new(
                body.x + (body.width - w) / 2,
                body.y + body.height / 3,
                w,
                5,
            );
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(vec![
                    Line::raw(format!("Run: {}", clean(&command))),
                    Line::raw(""),
                    Line::styled("Confirm? [y/N]", th.label()),
                ])
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title("Action")),
                r,
            );
        }
    }
}

fn draw_header(f: &mut Frame<'_>, app: &App, th: &Theme, area: Rect) {
    let l = app.level();
    // (A pane opened on a row is for that row too, as in csysdig.)
    let mut path: Vec<&str> = l.path.iter().map(String::as_str).collect();
    if let Some(row) = app.pane.as_ref().and_then(|p| p.row.as_deref()) {
        path.push(row);
    }
    let for_text = if path.is_empty() {
        "whole machine".to_string()
    } else {
        clean(&path.join(" > ")).into_owned()
    };
    let viewing = match app.pane.as_ref().map(|p| p.kind) {
        Some(PaneKind::Dig) => "sysdig output".to_string(),
        Some(PaneKind::Echo) => "I/O activity".to_string(),
        None => app.view().name.clone(),
    };
    let mut l0 = vec![
        Span::styled("Viewing: ", th.label()),
        Span::styled(viewing, th.header()),
        Span::styled("  For: ", th.label()),
        Span::raw(for_text),
    ];
    if app.paused {
        l0.push(Span::raw("  "));
        l0.push(Span::styled(" PAUSED ", th.paused()));
    }
    let s = &app.status;
    let filter = match &app.pane {
        Some(p) if !p.filter.is_empty() => p.filter.clone(),
        Some(_) => "none".into(),
        None => app.full_filter(),
    };
    let l1 = vec![
        Span::styled("Source: ", th.label()),
        Span::raw(clean(&s.source).into_owned()),
        Span::styled("  Filter: ", th.label()),
        Span::raw(clean(&filter).into_owned()),
    ];
    let mut l2 = vec![
        Span::styled("Evts: ", th.label()),
        Span::raw(s.events.to_string()),
    ];
    if s.live {
        l2.push(Span::styled("  Rate: ", th.label()));
        l2.push(Span::raw(format!("{:.0}/s", s.rate)));
    }
    l2.push(Span::styled("  Drops: ", th.label()));
    l2.push(Span::styled(
        s.drops.to_string(),
        if s.drops > 0 {
            th.error()
        } else {
            Style::new()
        },
    ));
    l2.push(Span::styled("  Store: ", th.label()));
    l2.push(Span::raw(s.store.clone()));
    f.render_widget(
        Paragraph::new(vec![Line::from(l0), Line::from(l1), Line::from(l2)]),
        area,
    );
}

/// What the table and spectrogram areas say before their first data.
fn waiting_text(app: &App) -> &'static str {
    if app.status.loading {
        "Processing file..."
    } else if app.status.live {
        "Collecting data..."
    } else {
        "Aggregating..."
    }
}

fn draw_table(f: &mut Frame<'_>, app: &mut App, th: &Theme, area: Rect) {
    app.page = area.height.saturating_sub(1) as usize;
    app.table_y = area.y;
    app.col_x.clear();
    app.fit_page();
    let Some(t) = app.table.as_ref() else {
        let text = waiting_text(app);
        f.render_widget(
            Paragraph::new(text).centered(),
            Rect::new(area.x, area.y + area.height / 2, area.width, 1),
        );
        return;
    };
    let l = app.level().clone();
    let width = area.width as usize;
    // Column widths; size 0 takes the rest of the line.
    let cols: Vec<(usize, usize)> = t
        .columns
        .iter()
        .enumerate()
        .skip(l.hscroll)
        .map(|(i, c)| (i, c.size as usize))
        .collect();
    let fixed: usize = cols
        .iter()
        .map(|(_, w)| if *w == 0 { 0 } else { w + 1 })
        .sum();
    let rest = width.saturating_sub(fixed).max(8);
    let arrows = ascii_arrows();
    let header_style = if t.view_type == ViewType::List {
        th.colhdr_list()
    } else {
        th.colhdr()
    };
    let mut spans = Vec::new();
    let mut x = 0usize;
    for &(i, w) in &cols {
        let w = if w == 0 { rest } else { w };
        if x >= width {
            break;
        }
        let c = &t.columns[i];
        let mut name = c.name.clone();
        let st = if i == t.sort_col {
            let m = match (t.sort_desc, arrows) {
                (true, false) => "▼",
                (false, false) => "▲",
                (true, true) => "v",
                (false, true) => "^",
            };
            name.push_str(m);
            th.sorted()
        } else {
            header_style
        };
        let cell = cells::fit(&name, w.min(width - x), false);
        app.col_x
            .push((area.x + x as u16, area.x + (x + w).min(width) as u16, i));
        spans.push(Span::styled(cell, st));
        x += w;
        if x < width {
            spans.push(Span::styled(" ", header_style));
            x += 1;
        }
    }
    if x < width {
        spans.push(Span::styled(" ".repeat(width - x), header_style));
    }
    let mut lines = vec![Line::from(spans)];
    let visible = area.height.saturating_sub(1) as usize;
    for (ri, row) in t.rows.iter().enumerate().skip(l.top).take(visible) {
        let mut s = String::with_capacity(width);
        for &(i, w) in &cols {
            if cells::width(&s) >= width {
                break;
            }
            let col = &t.columns[i];
            let Some(cell) = row.cells.get(i) else {
                continue;
            };
            let ww = if w == 0 { rest } else { w };
            let text = if w == 0 {
                cell.text.clone()
            } else {
                views::format_cell(col, cell, ww as u32, t.interval_ns)
            };
            let text = clean(&text);
            let right = text.starts_with(' ');
            s.push_str(&cells::fit(text.trim(), ww, right));
            s.push(' ');
        }
        let s = cells::take(&s, width);
        let st = if ri == l.selected {
            th.selected()
        } else {
            Style::new()
        };
        lines.push(Line::styled(cells::fit(s, width, false), st));
    }
    if t.rows.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw("No data for this view").centered());
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_spectro(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let (w, h) = spectro::plot_size(area);
    app.spectro_plot = (w, h);
    app.spectro_xy = (area.x, area.y);
    app.page = h as usize;
    let waiting = waiting_text(app);
    let v = spectro::View {
        data: app.spectro.as_ref(),
        cursor: &app.spectro_cur,
        color: app.color,
        waiting,
    };
    spectro::draw(f, &v, area);
}

fn highlight<'a>(line: &'a str, needle: &str, st: Style) -> Line<'a> {
    if needle.is_empty() || !line.contains(needle) {
        return Line::raw(line);
    }
    let mut spans = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find(needle) {
        spans.push(Span::raw(&rest[..i]));
        spans.push(Span::styled(&rest[i..i + needle.len()], st));
        rest = &rest[i + needle.len()..];
    }
    spans.push(Span::raw(rest));
    Line::from(spans)
}

fn draw_pane(f: &mut Frame<'_>, app: &mut App, th: &Theme, area: Rect) {
    app.page = area.height as usize;
    let Some(p) = app.pane.as_ref() else {
        return;
    };
    if p.loading {
        f.render_widget(
            Paragraph::new("Reading the event store...").centered(),
            Rect::new(area.x, area.y + area.height / 2, area.width, 1),
        );
        return;
    }
    if p.lines.is_empty() {
        let what = if p.kind == PaneKind::Dig {
            "No events for this selection in the store"
        } else {
            "No I/O data for this selection in the store"
        };
        f.render_widget(
            Paragraph::new(what).centered(),
            Rect::new(area.x, area.y + area.height / 2, area.width, 1),
        );
        return;
    }
    let width = area.width as usize;
    let lines: Vec<Line<'_>> = p
        .lines
        .iter()
        .enumerate()
        .skip(p.top)
        .take(area.height as usize)
        .map(|(i, l)| {
            let shown: &str = {
                let start = l
                    .char_indices()
                    .nth(p.hscroll)
                    .map(|(b, _)| b)
                    .unwrap_or(l.len());
                let s = &l[start..];
                let end = s
                    .char_indices()
                    .nth(width)
                    .map(|(b, _)| b)
                    .unwrap_or(s.len());
                &s[..end]
            };
            let mut line = highlight(shown, &p.search, th.found());
            if p.kind == PaneKind::Echo {
                match p.line_dir.get(i).copied().flatten() {
                    Some(true) => line = line.style(th.write()),
                    Some(false) => line = line.style(th.read()),
                    None => {}
                }
            }
            line
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

/// What a line of the input bar shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BarLine {
    Prompt,
    Error,
    Plain,
}

/// The filter or search bar laid out for a width: the prompt line, its text
/// scrolled sideways so that the cursor stays on screen (a `…` marks text cut
/// off), and under it the caret of an error with its message, wrapped to the
/// width (at most [`InputBar::MAX_ERROR_LINES`] lines), or the completion
/// candidates.
struct InputBar {
    label: &'static str,
    lines: Vec<(BarLine, String)>,
    /// The cursor's column on the prompt line, when it is on screen.
    cursor_x: Option<u16>,
}

impl InputBar {
    const MAX_ERROR_LINES: usize = 3;

    fn new(i: &Input, width: usize) -> InputBar {
        let label = match i.kind {
            InputKind::Filter => "Filter: ",
            InputKind::Search | InputKind::PaneSearch => "Search: ",
        };
        // Each char with the columns it takes: control chars and those of
        // no width (combining marks, joiners) show as '?', so that every
        // char the cursor steps over is seen.
        let chars: Vec<(char, usize)> = i
            .text
            .chars()
            .map(|c| match cells::char_width(c) {
                0 => ('?', 1),
                w => (c, w),
            })
            .collect();
        // The column each char starts at; at[n] is the text's width.
        let mut at = Vec::with_capacity(chars.len() + 1);
        at.push(0);
        for &(_, w) in &chars {
            at.push(at.last().copied().unwrap_or(0) + w);
        }
        let total = at[chars.len()];
        let room = width.saturating_sub(label.len()).max(1);
        let cursor = i.cursor.min(chars.len());
        let cursor_end = at[cursor] + chars.get(cursor).map_or(1, |c| c.1);
        // The first char shown: the first from which the cursor fits. The
        // last column shows '…' when text goes on past it, and the first
        // one when text is scrolled off to the left: the cursor sits on
        // neither, hiding the char under it.
        let goes_on = |off: usize| total - at[off] > room;
        let fits = |off: usize| {
            let avail = if goes_on(off) { room - 1 } else { room };
            cursor_end - at[off] <= avail && (off == 0 || cursor > off)
        };
        let mut off = 0;
        while off < cursor && !fits(off) {
            off += 1;
        }
        let avail = if goes_on(off) { room - 1 } else { room };
        let mut shown = String::new();
        let mut used = 0;
        let mut end = off;
        for (k, &(c, w)) in chars.iter().enumerate().skip(off) {
            if used + w > avail {
                break;
            }
            // (Unless the cursor is on it: on a line of two or three
            // columns, the cursor's char shows rather than the mark.)
            if k == off && off > 0 && k != cursor {
                shown.push('…');
                shown.push_str(&" ".repeat(w - 1));
            } else {
                shown.push(c);
            }
            used += w;
            end = k + 1;
        }
        if end < chars.len() {
            // A wide char that did not fit leaves a gap before the mark.
            shown.push_str(&" ".repeat(avail - used));
            shown.push('…');
        }
        let mut lines = vec![(BarLine::Prompt, shown)];
        if let Some((col, msg)) = &i.error {
            // The caret under the column; '<' or '>' at the edge when the
            // column is scrolled off the line.
            // (A char behind a '…' counts as off the line.)
            let pos = col.saturating_sub(1);
            let first = off + usize::from(off > 0);
            let cut_right = end < chars.len() && pos >= end;
            // (Past the text's end, a column a char.)
            let x = |pos: usize| {
                label.len() + at[pos.min(chars.len())] - at[off] + pos.saturating_sub(chars.len())
            };
            let (at, mark) = if pos < first {
                (label.len(), '<')
            } else if cut_right || x(pos) >= width {
                (width.saturating_sub(1), '>')
            } else {
                (x(pos), '^')
            };
            let caret = format!("{}{mark}", " ".repeat(at));
            let text = format!("column {col}: {}", clean(&msg.replace(['\n', '\t'], " ")));
            let one = format!("{caret} {text}");
            if cells::width(&one) <= width {
                lines.push((BarLine::Error, one));
            } else {
                lines.push((BarLine::Error, caret));
                for l in wrap_words(&text, width.max(1), Self::MAX_ERROR_LINES) {
                    lines.push((BarLine::Error, l));
                }
            }
        } else if !i.candidates.is_empty() {
            lines.push((BarLine::Plain, clean(&i.candidates.join("  ")).into_owned()));
        }
        let x = label.len() + at[cursor] - at[off];
        InputBar {
            label,
            lines,
            cursor_x: (x < width).then_some(x as u16),
        }
    }

    fn draw(&self, f: &mut Frame<'_>, th: &Theme, area: Rect) {
        let lines: Vec<Line<'_>> = self
            .lines
            .iter()
            .map(|(kind, text)| match kind {
                BarLine::Prompt => Line::from(vec![
                    Span::styled(self.label, th.label()),
                    Span::raw(text.as_str()),
                ]),
                BarLine::Error => Line::styled(text.as_str(), th.error()),
                BarLine::Plain => Line::raw(text.as_str()),
            })
            .collect();
        f.render_widget(Paragraph::new(lines), area);
        if let Some(x) = self.cursor_x {
            f.set_cursor_position((area.x + x, area.y));
        }
    }
}

/// `text` broken at spaces into lines of at most `width` columns (a word
/// wider than that is cut), at most `max` lines; a `…` ends the last line
/// when text is left over.
fn wrap_words(text: &str, width: usize, max: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for mut word in text.split(' ').filter(|w| !w.is_empty()) {
        if !cur.is_empty() && cells::width(&cur) + 1 + cells::width(word) > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        // A word wider than the line on its own is cut (a char wider
        // than the whole line still goes on one of its own).
        while cells::width(&cur) + cells::width(word) > width {
            let mut head = cells::take(word, width - cells::width(&cur));
            if head.is_empty() && cur.is_empty() {
                head = word.char_indices().nth(1).map_or(word, |(i, _)| &word[..i]);
            }
            cur.push_str(head);
            out.push(std::mem::take(&mut cur));
            word = &word[head.len()..];
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.len() > max {
        out.truncate(max);
        if let Some(last) = out.last_mut() {
            *last = format!("{}…", cells::take(last, width - 1));
        }
    }
    out
}

fn draw_msg(f: &mut Frame<'_>, app: &App, message: &[String], th: &Theme, area: Rect) {
    if !message.is_empty() {
        let lines: Vec<Line<'_>> = message
            .iter()
            .map(|l| Line::styled(l.as_str(), th.error()))
            .collect();
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    if let Some(p) = &app.pane {
        if p.not_found {
            f.render_widget(
                Paragraph::new(Line::styled(
                    format!(" NOT FOUND: {} ", clean(&p.search)),
                    th.error(),
                )),
                area,
            );
        }
    }
}

fn draw_footer(f: &mut Frame<'_>, app: &mut App, th: &Theme, area: Rect) {
    let pos = match &app.pane {
        Some(p) => {
            let n = p.lines.len();
            let cur = if n == 0 { 0 } else { p.top + 1 };
            format!(
                "{cur}/{n}({:.1}%){}",
                if n == 0 {
                    0.0
                } else {
                    cur as f64 * 100.0 / n as f64
                },
                if p.truncated { "(truncated)" } else { "" }
            )
        }
        None if app.view().view_type == ViewType::Spectrogram => {
            let n = app.spectro.as_ref().map_or(0, |s| s.rows.len());
            let c = &app.spectro_cur;
            let cur = if n == 0 {
                0
            } else if c.active {
                c.row + 1
            } else {
                n
            };
            format!("{cur}/{n}")
        }
        None => {
            let n = app.table.as_ref().map_or(0, |t| t.rows.len());
            let cur = if n == 0 { 0 } else { app.level().selected + 1 };
            format!(
                "{cur}/{n}({:.1}%)",
                if n == 0 {
                    0.0
                } else {
                    cur as f64 * 100.0 / n as f64
                }
            )
        }
    };
    let width = area.width as usize;
    let room = width.saturating_sub(pos.len() + 1);
    let mut spans = Vec::new();
    let mut used = 0;
    let mut hits = Vec::new();
    for c in app.commands() {
        let need = c.key.chars().count() + c.label.len() + 1;
        if used + need > room {
            break;
        }
        let x = area.x + used as u16;
        hits.push((x, x + (need - 1) as u16, c.key));
        spans.push(Span::styled(c.key, th.key()));
        spans.push(Span::styled(c.label, th.keylabel()));
        spans.push(Span::raw(" "));
        used += need;
    }
    app.footer_y = area.y;
    app.footer = hits;
    spans.push(Span::raw(
        " ".repeat(width.saturating_sub(used + pos.len())),
    ));
    spans.push(Span::raw(pos));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_text_page(
    f: &mut Frame<'_>,
    _th: &Theme,
    area: Rect,
    title: &str,
    lines: &[String],
    top: usize,
) {
    f.render_widget(Clear, area);
    let inner = area.width.saturating_sub(2) as usize;
    let lines: Vec<String> = lines
        .iter()
        .flat_map(|l| wrap_page_line(l, inner))
        .collect();
    let max_top = lines
        .len()
        .saturating_sub(area.height.saturating_sub(2) as usize);
    let top = top.min(max_top);
    let text: Vec<Line<'_>> = lines
        .iter()
        .skip(top)
        .map(|l| Line::raw(l.as_str()))
        .collect();
    f.render_widget(
        Paragraph::new(text).block(Block::new().borders(Borders::ALL).title(title.to_string())),
        area,
    );
}

/// A line of a text page broken at spaces to `width` columns. The lines
/// after the first start under its text: under the description of a
/// `name   description` row, else at its own indent.
fn wrap_page_line(line: &str, width: usize) -> Vec<String> {
    if cells::width(line) <= width || width < 16 {
        return vec![line.to_string()];
    }
    let lead = line.len() - line.trim_start().len();
    let indent = line[lead..]
        .find("  ")
        .map(|i| {
            let gap = &line[lead + i..];
            lead + i + gap.len() - gap.trim_start().len()
        })
        .filter(|&i| i * 2 <= width)
        .unwrap_or(lead)
        .min(width / 2);
    let mut out = Vec::new();
    let mut rest = line;
    let mut first = true;
    while !rest.is_empty() {
        let pad = if first { 0 } else { indent };
        let room = width - pad;
        if cells::width(rest) <= room {
            out.push(format!("{}{rest}", " ".repeat(pad)));
            break;
        }
        let head = cells::take(rest, room);
        // At the last space that leaves some text on the line, else cut.
        let min = if first { indent } else { 0 };
        let mut cut = head.rfind(' ').filter(|&i| i > min).unwrap_or(head.len());
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        out.push(format!("{}{}", " ".repeat(pad), rest[..cut].trim_end()));
        rest = rest[cut..].trim_start();
        first = false;
    }
    out
}

/// The help page: every key, with its letter alternative.
pub fn help_lines() -> Vec<String> {
    let keys: &[(&str, &str)] = &[
        ("Tables", ""),
        ("Up/Down k/j", "move the selection"),
        ("PgUp/PgDn Space", "move by a page"),
        ("Home/End g/G", "first / last row"),
        ("Left/Right", "scroll columns"),
        ("Enter", "drill down into the selected row"),
        ("Backspace", "back: previous view, selection, sort, filter"),
        ("F1 h ?", "this help"),
        ("F2 v", "views menu"),
        (
            "F4 \\ f",
            "filter (sysdig filter language, Tab completes fields)",
        ),
        ("/ Ctrl-F", "search rows;  n = next match"),
        ("F5 e", "echo: I/O data of the selection"),
        ("F6 d", "dig: the raw events behind the selection"),
        ("F7 l", "legend of the view"),
        ("F8 a", "actions (with confirmation)"),
        ("F9 > s", "sort menu;  r = reverse the order"),
        ("Shift+1..9", "sort by column 1..9 (again: reverse)"),
        ("F12 S", "latency spectrogram of the selection (all calls)"),
        (
            "Shift-F12 I",
            "file I/O latency spectrogram of the selection",
        ),
        (
            "p",
            "pause / resume the table (drill-down and dig still work)",
        ),
        ("c Del", "clear (list views)"),
        ("F10 q Ctrl-C", "quit"),
        (
            "mouse",
            "click: select, double-click: drill down, header: sort",
        ),
        ("", ""),
        ("Spectrograms", ""),
        (
            "arrows k/j",
            "move the cursor cell;  Shift+Left/Right: a decade",
        ),
        ("PgUp/PgDn Home/End", "older / newer rows"),
        ("Space m", "mark a corner of a rectangle (again: unmark)"),
        ("Enter F6 d", "dig the calls in the rectangle or cell"),
        ("mouse", "drag a rectangle: dig its calls"),
        ("Esc", "hide the cursor"),
        ("", ""),
        ("Echo / Dig", ""),
        ("Up/Down PgUp/PgDn", "scroll;  Home/End: first/last line"),
        ("/ Ctrl-F", "search;  n F3 = next, N = previous"),
        ("F2 x", "echo: view as dotted, printable or hex"),
        ("r", "reload from the store;  c = clear"),
        ("Backspace Esc", "back to the table"),
    ];
    keys.iter()
        .map(|(k, d)| {
            if d.is_empty() {
                format!(" {k}")
            } else {
                format!("   {k:<20} {d}")
            }
        })
        .collect()
}

fn legend_lines(app: &App) -> Vec<String> {
    let v = app.view();
    let mut out = vec![format!(" {} ({})", v.name, v.id), String::new()];
    out.push(format!(" {}", v.description));
    for t in &v.tips {
        out.push(String::new());
        out.push(format!(" Tip: {t}"));
    }
    out.push(String::new());
    out.push(" Columns".into());
    // The columns on screen: the table's (before its first data, the
    // view's in this mode, but for its hidden keys).
    let columns: Vec<(&str, &str)> = match app.table.as_ref() {
        Some(t) => t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.description.as_str()))
            .collect(),
        None => v
            .columns
            .iter()
            .filter(|c| c.enabled(app.containers) && !c.is_key && !c.is_groupby_key)
            .map(|c| (c.name.as_str(), c.description.as_str()))
            .collect(),
    };
    for (name, description) in columns {
        out.push(format!("   {name:<14} {description}"));
    }
    if !v.filter.trim().is_empty() {
        out.push(String::new());
        out.push(format!(" Filter: {}", v.filter.trim()));
    }
    if !v.actions.is_empty() {
        out.push(String::new());
        out.push(" Actions (F8)".into());
        for a in &v.actions {
            out.push(format!("   {}  {}", a.hotkey, a.description));
        }
    }
    out
}
