//! Spectrogram views (`view_type = "spectrogram"`: Spectrogram-All on F12,
//! Spectrogram-File on Shift-F12): one screen row per time interval, one
//! column per latency bucket from 1 ns to 100 s on a log scale
//! (`evt.latency.quantized` at the screen's width), each cell's colour, or
//! character without colour, giving how many calls fell in it. The newest
//! row is at the bottom, just above the latency axis; older rows scroll up.
//!
//! The history comes from the event store (so a capture shows entirely and
//! a live spectrogram starts filled with the recent past); live, every
//! refresh adds a row. A rectangle of cells (keys or mouse) opens Dig on
//! exactly the calls it counts.

use std::collections::VecDeque;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::filter::fields::{latency_bucket_start, SPECTRO_DECADES};
use crate::views::{CellValue, Table};

/// Rows kept for a live spectrogram.
pub const MAX_ROWS: usize = 4096;

/// Density levels: 1 call, 2-3, 4-7, ... (powers of two), the last open.
pub const LEVELS: usize = 9;

/// Characters for the levels when colour is off (`NO_COLOR`).
const RAMP: [char; LEVELS] = ['.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// 256-colour backgrounds for the levels: greens, yellow, orange, red.
const PALETTE: [u8; LEVELS] = [22, 28, 34, 70, 148, 184, 220, 208, 196];

/// One time interval: call counts per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpectroRow {
    /// Events with `start <= ts < end`.
    pub start: u64,
    pub end: u64,
    /// One count per column (`counts[x]` = bucket `x + 1`).
    pub counts: Vec<u32>,
}

/// A spectrogram's data at one width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spectro {
    /// Columns (the `evt.latency.quantized` width the rows were built at).
    pub width: u32,
    /// Time per row.
    pub interval_ns: u64,
    /// Oldest first.
    pub rows: VecDeque<SpectroRow>,
}

impl Spectro {
    pub fn new(width: u32, interval_ns: u64) -> Spectro {
        Spectro {
            width: width.max(1),
            interval_ns: interval_ns.max(1),
            rows: VecDeque::new(),
        }
    }

    /// A row from one sample of the view: the first column is the bucket
    /// (`evt.latency.quantized`), the second the count.
    pub fn row_from_table(&self, t: &Table, start: u64, end: u64) -> SpectroRow {
        let mut counts = vec![0u32; self.width as usize];
        for r in &t.rows {
            let num = |i: usize| match r.cells.get(i).map(|c| &c.value) {
                Some(CellValue::U(v)) => Some(*v),
                Some(CellValue::I(v)) => u64::try_from(*v).ok(),
                Some(CellValue::D(v)) if *v >= 0.0 => Some(*v as u64),
                _ => None,
            };
            let Some(bucket) = num(0).or_else(|| r.key.parse().ok()) else {
                continue;
            };
            let n = num(1).unwrap_or(1);
            let x = (bucket.max(1) - 1).min(u64::from(self.width) - 1) as usize;
            counts[x] = counts[x].saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
        }
        SpectroRow { start, end, counts }
    }

    /// Appends a row, dropping the oldest past [`MAX_ROWS`].
    pub fn push(&mut self, row: SpectroRow) {
        self.rows.push_back(row);
        while self.rows.len() > MAX_ROWS {
            self.rows.pop_front();
        }
    }

    /// Latency range `[lo, hi)` of columns `x1..=x2` (ns).
    pub fn latency_range(&self, x1: u16, x2: u16) -> (u64, u64) {
        let (a, b) = (x1.min(x2), x1.max(x2));
        let lo = latency_bucket_start(u64::from(a) + 1, self.width);
        // The last column also holds everything past 100 s.
        let hi = if u32::from(b) + 1 >= self.width {
            u64::MAX
        } else {
            latency_bucket_start(u64::from(b) + 2, self.width)
        };
        (lo, hi)
    }

    /// The filter selecting the calls counted in rows `r1..=r2`, columns
    /// `x1..=x2` (csysdig's spectrogram selection).
    pub fn selection_filter(&self, r1: usize, r2: usize, x1: u16, x2: u16) -> Option<String> {
        let (a, b) = (r1.min(r2), r1.max(r2));
        let t1 = self.rows.get(a)?.start;
        let t2 = self.rows.get(b)?.end;
        let (lo, hi) = self.latency_range(x1, x2);
        let lat = if hi == u64::MAX {
            format!("evt.latency>={lo}")
        } else {
            format!("evt.latency>={lo} and evt.latency<{hi}")
        };
        Some(format!(
            "(evt.rawtime>={t1} and evt.rawtime<{t2}) and ({lat})"
        ))
    }
}

/// Density level (1..=LEVELS) of a count; 0 for none.
pub fn level(count: u32) -> usize {
    if count == 0 {
        0
    } else {
        ((u32::BITS - count.leading_zeros()) as usize).min(LEVELS)
    }
}

/// The lowest count of a level (for the scale legend).
fn level_min(l: usize) -> u32 {
    1u32 << (l.max(1) - 1)
}

/// A row interval for `span_ns` of capture over `rows` screen rows,
/// rounded up to 1, 2 or 5 times a power of ten (at least 1 µs).
pub fn nice_interval(span_ns: u64, rows: usize) -> u64 {
    let raw = (span_ns / rows.max(1) as u64).max(1);
    let mut p = 1000u64;
    loop {
        for m in [1, 2, 5] {
            if let Some(v) = p.checked_mul(m) {
                if v >= raw {
                    return v;
                }
            }
        }
        match p.checked_mul(10) {
            Some(n) => p = n,
            None => return u64::MAX,
        }
    }
}

/// `1ns`, `10us`, `100ms`, `10s`: a power of ten of nanoseconds.
fn decade_label(d: u32) -> String {
    let units = ["ns", "us", "ms", "s"];
    let u = (d / 3).min(3) as usize;
    let v = 10u64.pow(d - 3 * u as u32);
    format!("{v}{}", units[u])
}

/// Compact duration for the status line.
pub fn fmt_ns(ns: u64) -> String {
    if ns == u64::MAX {
        return "inf".into();
    }
    let f = ns as f64;
    let (v, unit) = if ns < 1_000 {
        return format!("{ns}ns");
    } else if ns < 1_000_000 {
        (f / 1e3, "us")
    } else if ns < 1_000_000_000 {
        (f / 1e6, "ms")
    } else {
        (f / 1e9, "s")
    };
    let t = format!("{v:.3}");
    format!("{}{unit}", t.trim_end_matches('0').trim_end_matches('.'))
}

/// Where the user is: a cursor cell and an optional anchor of a
/// rectangle (set with Space or `m`, or by a mouse press).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Shown once the user moves it.
    pub active: bool,
    /// Row index in [`Spectro::rows`] and column.
    pub row: usize,
    pub col: u16,
    pub anchor: Option<(usize, u16)>,
    /// Rows scrolled back from the newest (0 = follow the newest row).
    pub back: usize,
}

impl Cursor {
    /// The selected rectangle: (row1, row2, col1, col2), ordered.
    pub fn rect(&self) -> (usize, usize, u16, u16) {
        let (ar, ac) = self.anchor.unwrap_or((self.row, self.col));
        (
            ar.min(self.row),
            ar.max(self.row),
            ac.min(self.col),
            ac.max(self.col),
        )
    }

    /// Moves by (rows, cols), clamped to the data, and scrolls to keep the
    /// cursor on a screen of `page` rows.
    pub fn step(&mut self, sp: &Spectro, drow: isize, dcol: isize, page: usize) {
        let n = sp.rows.len();
        if n == 0 {
            return;
        }
        if !self.active {
            self.active = true;
            self.row = n - 1;
            self.col = (sp.width / 2) as u16;
            if drow == 0 && dcol == 0 {
                return;
            }
        }
        self.row = self.row.saturating_add_signed(drow).min(n - 1);
        let maxc = sp.width.saturating_sub(1) as isize;
        self.col = (self.col as isize + dcol).clamp(0, maxc) as u16;
        self.follow(n, page);
    }

    /// Keeps the cursor row within the visible window.
    pub fn follow(&mut self, n: usize, page: usize) {
        let page = page.max(1);
        let newest = n.saturating_sub(1);
        // Visible rows: [first, last] with last = newest - back.
        let last = newest.saturating_sub(self.back);
        let first = (last + 1).saturating_sub(page);
        if self.row > last {
            self.back = newest - self.row;
        } else if self.row < first {
            self.back = newest - (self.row + page - 1).min(newest);
        }
    }
}

/// Styles of the spectrogram screen.
struct Look {
    color: bool,
}

impl Look {
    fn cell(&self, count: u32) -> (char, Style) {
        let l = level(count);
        if l == 0 {
            return (' ', Style::new());
        }
        if self.color {
            (' ', Style::new().bg(Color::Indexed(PALETTE[l - 1])))
        } else {
            (RAMP[l - 1], Style::new())
        }
    }
    fn axis(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Green)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

/// What the widget needs from the app.
pub struct View<'a> {
    pub data: Option<&'a Spectro>,
    pub cursor: &'a Cursor,
    pub color: bool,
    /// Message when there is no data yet.
    pub waiting: &'a str,
}

/// Plot size for a body area: (columns, rows) of cells.
pub fn plot_size(area: Rect) -> (u16, u16) {
    (area.width, area.height.saturating_sub(2))
}

/// Draws the spectrogram into `area` (the body between header and footer).
pub fn draw(f: &mut Frame<'_>, v: &View<'_>, area: Rect) {
    let look = Look { color: v.color };
    let (pw, ph) = plot_size(area);
    let Some(sp) = v.data else {
        f.render_widget(
            Paragraph::new(v.waiting).centered(),
            Rect::new(area.x, area.y + area.height / 2, area.width, 1),
        );
        return;
    };
    let n = sp.rows.len();
    let ph = ph as usize;
    let cur = v.cursor;
    let last = n.saturating_sub(1).saturating_sub(cur.back);
    let first = (last + 1).saturating_sub(ph);
    let shown = if n == 0 { 0 } else { last + 1 - first };
    let (r1, r2, c1, c2) = cur.rect();
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(area.height as usize);
    // Older rows above, blank lines first when there are few rows.
    for _ in shown..ph {
        lines.push(Line::raw(""));
    }
    for (ri, row) in sp.rows.iter().enumerate().skip(first).take(shown) {
        let mut spans = Vec::with_capacity(pw as usize);
        let mut run = String::new();
        let mut run_style = Style::new();
        for x in 0..pw {
            let count = row.counts.get(x as usize).copied().unwrap_or(0);
            let (mut ch, mut st) = look.cell(count);
            let in_sel = cur.active && ri >= r1 && ri <= r2 && x >= c1 && x <= c2;
            if in_sel {
                st = st.add_modifier(Modifier::REVERSED);
                if ri == cur.row && x == cur.col && ch == ' ' {
                    ch = '+';
                }
            }
            if st != run_style && !run.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut run), run_style));
            }
            run_style = st;
            run.push(ch);
        }
        if !run.is_empty() {
            spans.push(Span::styled(run, run_style));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled(axis(pw), look.axis()));
    lines.push(Line::raw(status(sp, cur, pw, v.color)));
    f.render_widget(Paragraph::new(lines), area);
}

/// `|1ns    |10ns   |100ns ...` at the decade positions of `w` columns.
fn axis(w: u16) -> String {
    let mut s: Vec<char> = vec![' '; w as usize];
    let decades = SPECTRO_DECADES as u32;
    let mut next_free = 0usize;
    for d in 0..decades {
        let x = (f64::from(d) * f64::from(w) / SPECTRO_DECADES).ceil() as usize;
        if x < next_free || x >= s.len() {
            continue;
        }
        let label = format!("|{}", decade_label(d));
        for (i, ch) in label.chars().enumerate() {
            if let Some(c) = s.get_mut(x + i) {
                *c = ch;
            }
        }
        next_free = x + label.len() + 1;
    }
    s.into_iter().collect()
}

/// The line under the axis: time per row, the cursor cell or selection,
/// and the density scale.
fn status(sp: &Spectro, cur: &Cursor, w: u16, color: bool) -> String {
    let mut s = format!("row={}", fmt_ns(sp.interval_ns));
    if cur.active && !sp.rows.is_empty() {
        let (r1, r2, c1, c2) = cur.rect();
        let (lo, hi) = sp.latency_range(c1, c2);
        let calls: u64 = sp
            .rows
            .iter()
            .skip(r1)
            .take(r2 + 1 - r1)
            .map(|r| {
                r.counts
                    .iter()
                    .skip(c1 as usize)
                    .take((c2 - c1) as usize + 1)
                    .map(|&c| u64::from(c))
                    .sum::<u64>()
            })
            .sum();
        let rows = r2 + 1 - r1;
        s.push_str(&format!(
            "  latency {}..{}  {} row{}  {calls} calls",
            fmt_ns(lo),
            fmt_ns(hi),
            rows,
            if rows == 1 { "" } else { "s" }
        ));
        if cur.anchor.is_some() {
            s.push_str("  [marked]");
        }
    } else {
        let total: u64 = sp
            .rows
            .iter()
            .flat_map(|r| r.counts.iter())
            .map(|&c| u64::from(c))
            .sum();
        s.push_str(&format!("  {} rows  {total} calls", sp.rows.len()));
    }
    if !color {
        let scale: String = RAMP
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", level_min(i + 1)))
            .collect::<Vec<_>>()
            .join(" ");
        let candidate = format!("{s}  calls: {scale}+");
        if candidate.chars().count() <= w as usize {
            return candidate;
        }
    }
    s.chars().take(w as usize).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::fields::latency_bucket;

    #[test]
    fn levels_and_intervals() {
        assert_eq!(level(0), 0);
        assert_eq!(level(1), 1);
        assert_eq!(level(3), 2);
        assert_eq!(level(4), 3);
        assert_eq!(level(u32::MAX), LEVELS);
        assert_eq!(nice_interval(4_000_000_000, 20), 200_000_000);
        assert_eq!(nice_interval(10, 20), 1000);
        assert_eq!(nice_interval(11_000_000_000, 17), 1_000_000_000);
        assert_eq!(fmt_ns(500_000_000), "500ms");
        assert_eq!(fmt_ns(190_547), "190.547us");
        assert_eq!(fmt_ns(2_000_000_000), "2s");
    }

    #[test]
    fn latency_ranges_are_exact() {
        for w in [1u32, 7, 80, 200, 333] {
            let sp = Spectro::new(w, 1);
            for x in 0..w as u16 {
                // [lo, hi) holds exactly the latencies of column x (empty
                // when no integer latency falls in it, at low ns).
                let (lo, hi) = sp.latency_range(x, x);
                let b = Some(u64::from(x) + 1);
                if lo < hi {
                    assert_eq!(latency_bucket(lo, w), b, "w={w} x={x}");
                    if hi != u64::MAX {
                        assert_eq!(latency_bucket(hi - 1, w), b, "w={w} x={x}");
                    }
                }
                if lo > 1 {
                    assert!(latency_bucket(lo - 1, w) < b, "w={w} x={x}");
                }
                if hi != u64::MAX {
                    assert!(latency_bucket(hi, w) > b, "w={w} x={x}");
                }
            }
        }
        assert_eq!(latency_bucket(123_456, 0), Some(1));
        assert_eq!(latency_bucket(0, 80), None);
    }

    #[test]
    fn axis_labels() {
        let a = axis(80);
        assert!(a.starts_with("|1ns"), "{a}");
        assert!(a.contains("|100ms") && a.contains("|10s"), "{a}");
        assert_eq!(a.chars().count(), 80);
    }
}
