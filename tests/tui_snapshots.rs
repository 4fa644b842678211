//! Snapshot tests of the explorer's screens through ratatui's TestBackend.
//! Expected screens live in `tests/snapshots/*.txt`; regenerate them with
//! `SYSPECT_UPDATE_SNAPSHOTS=1 cargo test --test tui_snapshots`.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{Backend, TestBackend};
use ratatui::Terminal;

use syspect::store::{Select, Snapshot};
use syspect::tui::app::{App, Effect, Overlay, PaneKind};
use syspect::tui::engine::{self, Msg, Query};
use syspect::tui::ui;
use syspect::views;

fn shared_dir() -> PathBuf {
    std::env::var_os("SYSPECT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// A capture of the shared set (skipped, with a note, when missing).
fn capture_of(rel: &str) -> Option<PathBuf> {
    let p = shared_dir().join("captures").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not found", p.display());
        None
    }
}

struct Fixture {
    snap: Snapshot,
    first_ts: u64,
    events: u64,
}

/// The capture most tests use, loaded as the explorer loads it.
fn fixture() -> Option<Fixture> {
    fixture_of("sysflow/files_files.scap")
}

fn fixture_of(rel: &str) -> Option<Fixture> {
    let path = capture_of(rel)?;
    let (store, shared) =
        engine::load_file(path.to_str().expect("utf-8 path"), 64 << 20).expect("capture loads");
    let snap = store.lock().expect("store").snapshot();
    Some(Fixture {
        snap,
        first_ts: shared.first_ts.load(std::sync::atomic::Ordering::Relaxed),
        events: shared.events.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// `view` of the fixture, its table built.
fn opened(fx: &Fixture, view: &str) -> App {
    let mut app = new_app(fx, Some(view));
    apply(&mut app, fx, vec![Effect::Reaggregate]);
    app
}

fn new_app(fx: &Fixture, view: Option<&str>) -> App {
    let views = views::builtin().expect("builtin views");
    let mut app = App::new(views, view).expect("app");
    app.color = false;
    app.status.source = format!("files_files.scap ({} evts, 11.00s)", fx.events);
    app.status.events = fx.events;
    app.status.store = format!("{} evts, 11.00s", fx.snap.len());
    app
}

/// Runs the effects a key produced, synchronously, like the driver does.
fn apply(app: &mut App, fx: &Fixture, effects: Vec<Effect>) {
    let latest = AtomicU64::new(0);
    for e in effects {
        let q = match e {
            Effect::Reaggregate => {
                let agg = views::Aggregator::with_mode(
                    app.view(),
                    app.extra_filter().as_deref(),
                    app.containers,
                )
                .expect("aggregator");
                latest.store(app.gen, std::sync::atomic::Ordering::Relaxed);
                if app.view().view_type == views::ViewType::Spectrogram {
                    Query::Spectro {
                        gen: app.gen,
                        agg: Box::new(agg),
                        width: u32::from(app.spectro_plot.0),
                        rows: usize::from(app.spectro_plot.1),
                        interval: None,
                    }
                } else {
                    Query::Table {
                        gen: app.gen,
                        agg: Box::new(agg),
                        window: None,
                        after: app.level().cleared,
                    }
                }
            }
            Effect::LoadPane => {
                let p = app.pane.as_ref().expect("pane");
                let filter = (!p.filter.is_empty())
                    .then(|| syspect::filter::Filter::compile(&p.filter).expect("filter"));
                latest.store(p.gen, std::sync::atomic::Ordering::Relaxed);
                match p.kind {
                    PaneKind::Dig => Query::Dig {
                        gen: p.gen,
                        filter,
                        sel: p.sel.clone(),
                        format: p.format.clone(),
                    },
                    PaneKind::Echo => Query::Echo {
                        gen: p.gen,
                        filter,
                        sel: p.sel.clone(),
                    },
                }
            }
            _ => continue,
        };
        match engine::run_query(q, &fx.snap, fx.first_ts, &latest) {
            Some(Msg::Table { gen, table, .. }) => {
                app.set_table(gen, *table, false);
            }
            Some(Msg::Spectro { gen, data }) => app.set_spectro(gen, *data),
            Some(Msg::Lines {
                gen,
                lines,
                truncated,
            }) => app.set_pane_lines(gen, lines, truncated),
            Some(Msg::Echo {
                gen,
                blocks,
                truncated,
            }) => app.set_pane_blocks(gen, blocks, truncated),
            _ => {}
        }
    }
}

fn key(app: &mut App, fx: &Fixture, code: KeyCode) {
    let e = app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    apply(app, fx, e);
    // (The driver checks the filter bar's text before each frame.)
    app.refresh_input();
}

/// The app on the Processes view, its table built.
fn processes(fx: &Fixture) -> App {
    let mut app = new_app(fx, None);
    apply(&mut app, fx, vec![Effect::Reaggregate]);
    app
}

/// The filter bar's error: its column and message.
fn input_error(app: &App) -> Option<(usize, String)> {
    app.input.as_ref().and_then(|i| i.error.clone())
}

/// Types `text` into the app, a key per char.
fn type_text(app: &mut App, fx: &Fixture, text: &str) {
    for c in text.chars() {
        key(app, fx, KeyCode::Char(c));
    }
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| ui::draw(f, app)).expect("draw");
    // Twice: the first draw records the page size used by scrolling.
    t.draw(|f| ui::draw(f, app)).expect("draw");
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut x = 0;
        while x < w {
            // A wide char's second column is blank in the buffer.
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            x += (unicode_width::UnicodeWidthStr::width(sym) as u16).max(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn check(name: &str, got: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let file = dir.join(format!("{name}.txt"));
    if std::env::var_os("SYSPECT_UPDATE_SNAPSHOTS").is_some() || !file.exists() {
        std::fs::create_dir_all(&dir).expect("snapshot dir");
        std::fs::write(&file, got).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&file).expect("read snapshot");
    assert_eq!(
        want, got,
        "snapshot {name} differs (SYSPECT_UPDATE_SNAPSHOTS=1 to accept):\n{got}"
    );
}

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

#[test]
fn every_view() {
    let Some(fx) = fixture() else { return };
    for v in views::builtin().expect("views") {
        let mut app = new_app(&fx, Some(&v.id));
        apply(&mut app, &fx, vec![Effect::Reaggregate]);
        for (w, h) in SIZES {
            if v.view_type == views::ViewType::Spectrogram {
                // Spectrograms are built at the screen's width.
                render(&mut app, w, h);
                apply(&mut app, &fx, vec![Effect::Reaggregate]);
            }
            check(&format!("view_{}_{w}x{h}", v.id), &render(&mut app, w, h));
        }
    }
}

/// Spectrograms: F12 from System Calls (the selected syscall), Shift-F12
/// and the letter keys, the cursor, a marked rectangle and its Dig, with
/// and without colour.
#[test]
fn spectrograms() {
    let Some(fx) = fixture() else { return };
    for (w, h) in SIZES {
        // F12 on the System Calls row of the busiest syscall.
        let mut app = opened(&fx, "syscalls");
        render(&mut app, w, h);
        // (sysdigevent, the thread-table pseudo-event, is no syscall.)
        let (i, sel) = app
            .table
            .as_ref()
            .and_then(|t| {
                t.rows
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.key != "sysdigevent")
                    .map(|(i, r)| (i, r.key.clone()))
            })
            .expect("a syscall row");
        for _ in 0..i {
            key(&mut app, &fx, KeyCode::Down);
        }
        key(&mut app, &fx, KeyCode::F(12));
        assert_eq!(app.view().id, "spectro_all");
        assert_eq!(app.level().path, vec![format!("evt.type={sel}")]);
        render(&mut app, w, h);
        apply(&mut app, &fx, vec![Effect::Reaggregate]);
        let s = render(&mut app, w, h);
        assert!(s.contains("|1ns") && s.contains("|1s"), "{s}");
        check(&format!("spectro_syscall_{w}x{h}"), &s);
        key(&mut app, &fx, KeyCode::Backspace);
        assert_eq!(app.view().id, "syscalls");

        // Shift-F12 from Files (whole machine when no row is wanted: the
        // first row here), the letter key S from Processes.
        let mut app = opened(&fx, "procs");
        app.on_key(KeyEvent::new(KeyCode::F(12), KeyModifiers::SHIFT));
        assert_eq!(app.view().id, "spectro_file");
        key(&mut app, &fx, KeyCode::Backspace);
        key(&mut app, &fx, KeyCode::Char('I'));
        assert_eq!(app.view().id, "spectro_file");
        key(&mut app, &fx, KeyCode::Backspace);
        key(&mut app, &fx, KeyCode::Char('S'));
        assert_eq!(app.view().id, "spectro_all");

        // The whole-machine file spectrogram: cursor, rectangle, dig.
        let mut app = new_app(&fx, Some("spectro_file"));
        render(&mut app, w, h);
        apply(&mut app, &fx, vec![Effect::Reaggregate]);
        let sp = app.spectro.clone().expect("spectrogram");
        assert_eq!(sp.width, u32::from(w));
        let total: u64 = sp
            .rows
            .iter()
            .flat_map(|r| &r.counts)
            .map(|&c| u64::from(c))
            .sum();
        assert!(total > 0);
        // The busiest cell of the newest non-empty row.
        let (ri, x) = sp
            .rows
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, r)| {
                let (x, c) = r.counts.iter().enumerate().max_by_key(|(_, c)| **c)?;
                (*c > 0).then_some((i, x))
            })
            .expect("a non-empty row");
        key(&mut app, &fx, KeyCode::Down);
        app.spectro_cur.row = ri;
        app.spectro_cur.col = x as u16;
        key(&mut app, &fx, KeyCode::Char(' '));
        key(&mut app, &fx, KeyCode::Right);
        key(&mut app, &fx, KeyCode::Up);
        check(&format!("spectro_marked_{w}x{h}"), &render(&mut app, w, h));
        let (r1, r2, c1, c2) = app.spectro_cur.rect();
        let want: u64 = sp
            .rows
            .iter()
            .skip(r1)
            .take(r2 + 1 - r1)
            .map(|r| {
                r.counts[c1 as usize..=c2 as usize]
                    .iter()
                    .map(|&c| u64::from(c))
                    .sum::<u64>()
            })
            .sum();
        key(&mut app, &fx, KeyCode::Enter);
        let p = app.pane.as_ref().expect("dig pane");
        assert!(p.filter.contains("evt.latency>="), "{}", p.filter);
        let dig = render(&mut app, w, h);
        let lines = app.pane.as_ref().map_or(0, |p| p.lines.len());
        assert_eq!(lines as u64, want, "dig shows exactly the counted calls");
        assert!(dig.contains("(latency="), "{dig}");
        check(&format!("spectro_dig_{w}x{h}"), &dig);
    }
}

/// Colour off (NO_COLOR) draws densities as characters; colour on draws
/// them as background colours.
#[test]
fn spectrogram_density_encoding() {
    let Some(fx) = fixture() else { return };
    let mut app = new_app(&fx, Some("spectro_all"));
    render(&mut app, 80, 24);
    apply(&mut app, &fx, vec![Effect::Reaggregate]);
    let mono = render(&mut app, 80, 24);
    assert!(mono.chars().any(|c| ".:-=+*#%@".contains(c)), "{mono}");
    app.color = true;
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| ui::draw(f, &mut app)).expect("draw");
    let buf = t.backend().buffer().clone();
    let colored = (0..80u16)
        .flat_map(|x| (3..20u16).map(move |y| (x, y)))
        .filter(|&(x, y)| matches!(buf[(x, y)].bg, ratatui::style::Color::Indexed(_)))
        .count();
    assert!(colored > 0, "no coloured cells");
}

#[test]
fn overlays_and_panes() {
    let Some(fx) = fixture() else { return };
    for (w, h) in SIZES {
        let mut app = new_app(&fx, None);
        apply(&mut app, &fx, vec![Effect::Reaggregate]);
        key(&mut app, &fx, KeyCode::F(1));
        check(&format!("help_{w}x{h}"), &render(&mut app, w, h));
        key(&mut app, &fx, KeyCode::Esc);
        key(&mut app, &fx, KeyCode::F(2));
        check(&format!("views_menu_{w}x{h}"), &render(&mut app, w, h));
        key(&mut app, &fx, KeyCode::Esc);
        key(&mut app, &fx, KeyCode::F(7));
        check(&format!("legend_{w}x{h}"), &render(&mut app, w, h));
        key(&mut app, &fx, KeyCode::Esc);

        // The filter bar with an error, pointing at its column.
        key(&mut app, &fx, KeyCode::Char('\\'));
        type_text(&mut app, &fx, "proc.name=cat and");
        check(&format!("filter_error_{w}x{h}"), &render(&mut app, w, h));
        assert!(input_error(&app).is_some());
        key(&mut app, &fx, KeyCode::Esc);

        // Files → the tested file → dig and echo.
        let mut app = opened(&fx, "files");
        key(&mut app, &fx, KeyCode::Char('/'));
        type_text(&mut app, &fx, "tested_file.txt");
        key(&mut app, &fx, KeyCode::Enter);
        key(&mut app, &fx, KeyCode::F(6));
        let dig = render(&mut app, w, h);
        assert!(dig.contains("tested_file.txt"), "{dig}");
        check(&format!("dig_{w}x{h}"), &dig);
        key(&mut app, &fx, KeyCode::Backspace);
        key(&mut app, &fx, KeyCode::F(5));
        let echo = render(&mut app, w, h);
        assert!(echo.contains("Write"), "{echo}");
        check(&format!("echo_{w}x{h}"), &echo);
    }
}

#[test]
fn too_small() {
    let Some(fx) = fixture() else { return };
    let mut app = new_app(&fx, None);
    let s = render(&mut app, 40, 10);
    assert!(s.contains("Terminal too small"));
    check("too_small_40x10", &s);
}

#[test]
fn tab_completes_field_names() {
    let Some(fx) = fixture() else { return };
    let mut app = new_app(&fx, None);
    key(&mut app, &fx, KeyCode::F(4));
    type_text(&mut app, &fx, "proc.na");
    key(&mut app, &fx, KeyCode::Tab);
    assert_eq!(
        app.input.as_ref().map(|i| i.text.as_str()),
        Some("proc.name ")
    );
}

#[test]
fn backspace_restores_view_selection_sort_and_filter() {
    let Some(fx) = fixture() else { return };
    let mut app = opened(&fx, "files");
    key(&mut app, &fx, KeyCode::Char('$')); // sort by column 4
    key(&mut app, &fx, KeyCode::Down);
    let before = app.level().clone();
    let sort = app.table.as_ref().map(|t| (t.sort_col, t.sort_desc));
    key(&mut app, &fx, KeyCode::Enter);
    assert_eq!(app.stack.len(), 2);
    key(&mut app, &fx, KeyCode::Backspace);
    assert_eq!(app.stack.len(), 1);
    assert_eq!(app.level().selected_key, before.selected_key);
    assert_eq!(app.table.as_ref().map(|t| (t.sort_col, t.sort_desc)), sort);
    let _ = Select::All;
}

/// Sorting keeps the row the user moved to (selected, and scrolled into
/// view, wherever it went); a view the user has not moved in starts at
/// the top of the new order. As csysdig does.
#[test]
fn sorting_keeps_the_users_row_else_starts_at_the_top() {
    let Some(fx) = fixture() else { return };
    let mut app = opened(&fx, "procs");
    key(&mut app, &fx, KeyCode::Char('$')); // sort by column 4
    assert_eq!((app.level().selected, app.level().top), (0, 0));
    let first = app
        .table
        .as_ref()
        .and_then(|t| t.rows.first())
        .map(|r| r.key.clone());
    assert_eq!(app.level().selected_key, first);
    for _ in 0..5 {
        key(&mut app, &fx, KeyCode::Down);
    }
    let picked = app.level().selected_key.clone();
    key(&mut app, &fx, KeyCode::Char('#')); // sort by column 3
    assert_eq!(app.level().selected_key, picked);
    let at = app.level().selected;
    let key_at = app
        .table
        .as_ref()
        .and_then(|t| t.rows.get(at))
        .map(|r| r.key.clone());
    assert_eq!(key_at, picked);
    render(&mut app, 80, 24);
    let (top, page) = (app.level().top, app.page);
    assert!(
        top <= at && at < top + page,
        "row {at} off screen (top {top}, page {page})"
    );
}

/// A table search that matched nothing says NOT FOUND once its bar is
/// closed (while typing, the bar hides messages), as csysdig does.
#[test]
fn table_search_says_not_found() {
    let Some(fx) = fixture() else { return };
    let mut app = opened(&fx, "procs");
    key(&mut app, &fx, KeyCode::Char('/'));
    type_text(&mut app, &fx, "qqqzz");
    key(&mut app, &fx, KeyCode::Enter);
    assert_eq!(app.message.as_deref(), Some("NOT FOUND: qqqzz"));
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("NOT FOUND: qqqzz"), "{screen}");
    // Found: no message.
    key(&mut app, &fx, KeyCode::Char('/'));
    let first = app
        .table
        .as_ref()
        .and_then(|t| t.rows.first())
        .map(|r| r.key.clone());
    type_text(&mut app, &fx, first.as_deref().unwrap_or(""));
    key(&mut app, &fx, KeyCode::Enter);
    assert_eq!(app.message, None);
}

/// Echo shows the calls that moved bytes, as csysdig does: reads at end
/// of file (0 bytes) and failed calls make no block. (The Apache capture
/// has 30 such reads for pid 10344.)
#[test]
fn echo_leaves_out_calls_that_moved_nothing() {
    let Some(fx) = fixture_of("sysflow/mpm-event_full_capture.scap") else {
        return;
    };
    let latest = std::sync::atomic::AtomicU64::new(1);
    let q = Query::Echo {
        gen: 1,
        filter: syspect::filter::Filter::compile("proc.pid=10344").ok(),
        sel: Select::All,
    };
    let Some(Msg::Echo { blocks, .. }) = engine::run_query(q, &fx.snap, fx.first_ts, &latest)
    else {
        panic!("no echo");
    };
    assert!(blocks.len() > 40, "{} blocks", blocks.len());
    assert!(blocks.iter().all(|b| b.len > 0 && !b.data.is_empty()));
}

/// A capture's span runs from its first event that is not a container
/// event (libsinsp's start of a capture) to its last one, as csysdig's:
/// the container events a capture starts with are stamped later than the
/// events after them. Rates are per second of that span.
#[test]
fn span_starts_at_the_first_event_after_the_container_events() {
    let Some(fx) = fixture_of("falco/psp_run_as_user_0_container.scap") else {
        return;
    };
    // Events 3 and 4143 (1 and 2 are container events).
    assert_eq!(fx.snap.first_ts(), 1_562_711_470_509_982_263);
    assert_eq!(fx.snap.last_ts(), 1_562_711_473_348_813_132);
    assert_eq!(fx.first_ts, 1_562_711_470_509_982_263);
    let app = opened(&fx, "io_by_type");
    let t = app.table.as_ref().expect("table");
    let file = t.rows.iter().find(|r| r.key == "file").expect("file row");
    let cells: Vec<&str> = file.cells.iter().map(|c| c.text.trim()).collect();
    // csysdig: 4.01K 2.52K 180.00 (11658 and 7330 bytes, 511 calls, 2.8388 s).
    assert_eq!(&cells[..3], ["4.01K", "2.52K", "180.00"]);
}

/// Another view chosen with F2 is a level of its own: Backspace comes
/// back to the view it replaced, with its drill-down, as in csysdig.
#[test]
fn view_switch_is_undone_by_backspace() {
    let Some(fx) = fixture() else { return };
    let mut app = opened(&fx, "syscalls");
    key(&mut app, &fx, KeyCode::Enter);
    assert_eq!(app.stack.len(), 2);
    let drilled = app.level().clone();
    key(&mut app, &fx, KeyCode::F(2));
    other_view(&mut app, &fx);
    assert_eq!(app.stack.len(), 3);
    assert_ne!(app.level().view, drilled.view);
    assert_eq!(app.level().drill_filter, drilled.drill_filter);
    key(&mut app, &fx, KeyCode::Backspace);
    assert_eq!(app.stack.len(), 2);
    assert_eq!(app.level().view, drilled.view);
    assert_eq!(app.level().drill_filter, drilled.drill_filter);
    // At the top level too.
    key(&mut app, &fx, KeyCode::Backspace);
    let top = app.level().view;
    key(&mut app, &fx, KeyCode::F(2));
    other_view(&mut app, &fx);
    assert_eq!(app.stack.len(), 2);
    key(&mut app, &fx, KeyCode::Backspace);
    assert_eq!((app.stack.len(), app.level().view), (1, top));
}

/// In the open views menu, picks a view other than the current one.
fn other_view(app: &mut App, fx: &Fixture) {
    let Overlay::Menu(m) = &app.overlay else {
        panic!("no menu: {:?}", app.overlay);
    };
    assert!(m.items.len() > 1);
    let step = if m.sel + 1 < m.items.len() {
        KeyCode::Down
    } else {
        KeyCode::Up
    };
    key(app, fx, step);
    key(app, fx, KeyCode::Enter);
}

/// Container mode (`-pc`) reaches the panes: Dig prints sysdig's `-pc`
/// line (container name and id), Echo names each block's container, as
/// csysdig -pc does. A pane's "For:" names the row it is for.
#[test]
fn container_mode_reaches_dig_and_echo() {
    let Some(fx) = fixture_of("falco/psp_run_as_user_0_container.scap") else {
        return;
    };
    let mut app = new_app(&fx, Some("containers"));
    app.containers = true;
    apply(&mut app, &fx, vec![Effect::Reaggregate]);
    key(&mut app, &fx, KeyCode::F(6));
    // The pane is for the selected row, and says so.
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("For: container.id=697956520d89"),
        "{screen}"
    );
    let dig = app.pane.as_ref().expect("dig pane");
    assert!(
        dig.lines
            .iter()
            .any(|l| l.contains(" hopeful_taussig (697956520d89) ")),
        "{:?}",
        &dig.lines[..dig.lines.len().min(3)]
    );
    key(&mut app, &fx, KeyCode::Backspace);
    key(&mut app, &fx, KeyCode::F(5));
    let echo = app.pane.as_ref().expect("echo pane");
    let heads: Vec<&String> = echo
        .lines
        .iter()
        .filter(|l| l.starts_with("------ "))
        .collect();
    assert!(!heads.is_empty());
    assert!(
        heads.iter().all(|l| l.ends_with(" [hopeful_taussig]")),
        "{heads:?}"
    );
}

/// `c`/Del empties a list view, as csysdig does: its rows start over
/// from the events after that moment (none more, reading a file).
#[test]
fn clearing_a_list_view_starts_it_over() {
    let Some(fx) = fixture() else { return };
    let mut app = opened(&fx, "spy_users");
    let rows = |app: &App| app.table.as_ref().map_or(0, |t| t.rows.len());
    assert!(rows(&app) > 0);
    app.status.events = fx.events;
    key(&mut app, &fx, KeyCode::Char('c'));
    assert_eq!(rows(&app), 0);
    // Another view is whole.
    key(&mut app, &fx, KeyCode::F(2));
    other_view(&mut app, &fx);
    assert!(rows(&app) > 0);
}

#[test]
fn store_bytes_per_event() {
    let p = shared_dir().join("captures/sysflow/mpm-event_full_capture.scap");
    if !p.exists() {
        eprintln!("skipping: {} not found", p.display());
        return;
    }
    let (store, _) = engine::load_file(p.to_str().expect("utf-8"), 64 << 20).expect("loads");
    let st = store.lock().expect("store").stats();
    eprintln!(
        "store: {} events, raw {} B, index+meta {} B, {:.1} B/event index only, {:.1} B/event with raw bytes",
        st.events,
        st.raw_bytes,
        st.index_bytes,
        st.bytes_per_event_index(),
        st.bytes_per_event_total()
    );
    assert!(st.bytes_per_event_index() <= 150.0);
}

/// A capture's start view is aggregated while the file loads (no replay
/// for the first frame): that table must be the one a replay of the store
/// gives, for every table and list view.
#[test]
fn table_built_while_loading_equals_replay() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc, Mutex};
    // A concatenated capture too: its later sections' process lists must
    // reach the replay (the store keeps them).
    let dir = tempfile::tempdir().expect("tempdir");
    let cat = dir.path().join("cat.scap");
    let mut bytes = Vec::new();
    for part in [
        "captures/sysflow/objectstore_download.scap",
        "captures/bencer-examples/example2_502error.scap",
    ] {
        if let Ok(b) = std::fs::read(shared_dir().join(part)) {
            bytes.extend_from_slice(&b);
        }
    }
    std::fs::write(&cat, &bytes).expect("write");
    let cat = cat.to_string_lossy().into_owned();
    for cap in [
        "captures/sysflow/files_files.scap",
        "captures/sysflow/mpm-event_full_capture.scap",
        cat.as_str(),
    ] {
        let path = shared_dir().join(cap);
        if !path.exists() || bytes.is_empty() {
            eprintln!("skipping: {} not found", path.display());
            continue;
        }
        for v in views::builtin().expect("views") {
            if v.view_type == views::ViewType::Spectrogram {
                continue;
            }
            let store = Arc::new(Mutex::new(syspect::store::Store::new(
                1 << 30,
                syspect::state::State::new(),
            )));
            let shared = Arc::new(engine::Shared::default());
            let (to_ui, rx) = mpsc::channel();
            let (_tx, cmds) = mpsc::channel();
            let (ready, _ready_rx) = mpsc::channel();
            let agg = views::Aggregator::new(&v, None).expect("aggregator");
            engine::capture_loop(engine::CaptureJob {
                file: Some(path.to_string_lossy().into_owned()),
                snaplen: 80,
                ring_mb: 1,
                ready,
                store: Arc::clone(&store),
                shared: Arc::clone(&shared),
                stop: Arc::new(AtomicBool::new(false)),
                to_ui,
                cmds,
                interval: std::time::Duration::from_secs(2),
                initial: Some((7, Box::new(agg))),
            });
            let loaded = rx
                .try_iter()
                .find_map(|m| match m {
                    Msg::Table { gen: 7, table, .. } => Some(table),
                    _ => None,
                })
                .expect("a table with the file");
            let snap = store.lock().expect("store").snapshot();
            let latest = AtomicU64::new(8);
            let agg = views::Aggregator::new(&v, None).expect("aggregator");
            let Some(Msg::Table { table, .. }) = engine::run_query(
                Query::Table {
                    gen: 8,
                    agg: Box::new(agg),
                    window: None,
                    after: 0,
                },
                &snap,
                shared.first_ts.load(Ordering::Relaxed),
                &latest,
            ) else {
                panic!("no replayed table");
            };
            assert_eq!(loaded.rows, table.rows, "{cap} {}", v.id);
            assert_eq!(loaded.interval_ns, table.interval_ns, "{cap} {}", v.id);
        }
    }
}

/// Live: every sample of a spectrogram view adds a row after the history,
/// spanning the sample's window; nothing is added while paused.
#[test]
fn spectrogram_live_samples_add_rows() {
    let Some(fx) = fixture() else { return };
    let mut app = new_app(&fx, Some("spectro_all"));
    render(&mut app, 80, 24);
    apply(&mut app, &fx, vec![Effect::Reaggregate]);
    let before = app.spectro.clone().expect("history");
    let last_end = before.rows.back().map_or(0, |r| r.end);
    // A sample of the view without a screen width: every call in bucket 1.
    let agg = views::Aggregator::new(app.view(), None).expect("aggregator");
    let latest = AtomicU64::new(1);
    let Some(Msg::Table { table, .. }) = engine::run_query(
        Query::Table {
            gen: 1,
            agg: Box::new(agg),
            window: None,
            after: 0,
        },
        &fx.snap,
        fx.first_ts,
        &latest,
    ) else {
        panic!("no sample");
    };
    let calls: u64 = before
        .rows
        .iter()
        .flat_map(|r| &r.counts)
        .map(|&c| u64::from(c))
        .sum();
    app.spectro_tick(app.gen, &table, (last_end, last_end + 2_000_000_000));
    let after = app.spectro.clone().expect("spectrogram");
    assert_eq!(after.rows.len(), before.rows.len() + 1);
    let row = after.rows.back().expect("row");
    assert_eq!((row.start, row.end), (last_end, last_end + 2_000_000_001));
    assert_eq!(u64::from(row.counts[0]), calls);
    key(&mut app, &fx, KeyCode::Char('p'));
    app.spectro_tick(app.gen, &table, (row.end, row.end + 1000));
    assert_eq!(
        app.spectro.as_ref().map(|s| s.rows.len()),
        Some(after.rows.len())
    );
}

/// The filter bar at the smallest and the usual size: a message longer than
/// the line wraps under its caret instead of being cut, and a filter longer
/// than the line scrolls so that the cursor and the end of the text stay on
/// screen.
#[test]
fn filter_bar_wraps_errors_and_scrolls() {
    let Some(fx) = fixture() else { return };
    // The filter bar: from the prompt to the key bar (the last line).
    let bottom = |screen: &str| -> Vec<String> {
        let lines: Vec<&str> = screen.lines().collect();
        let from = lines
            .iter()
            .rposition(|l| l.starts_with("Filter: "))
            .unwrap_or(0);
        lines[from..lines.len() - 1]
            .iter()
            .map(|l| l.to_string())
            .collect()
    };
    for (w, h) in [(80u16, 24u16), (60, 12)] {
        let mut app = processes(&fx);
        key(&mut app, &fx, KeyCode::F(4));
        type_text(&mut app, &fx, "fd.sip > 1.2.3.4");
        let msg = input_error(&app).map(|(_, m)| m).unwrap_or_default();
        assert!(msg.contains("fd.sip"), "{msg}");
        let screen = render(&mut app, w, h);
        check(&format!("filter_error_long_{w}x{h}"), &screen);
        // Prompt, caret under the '>' (column 8), then the message.
        let b = bottom(&screen);
        assert!(b.len() >= 3, "{screen}");
        assert_eq!(b[0], "Filter: fd.sip > 1.2.3.4", "{screen}");
        assert_eq!(b[1], format!("{}^", " ".repeat(8 + 7)), "{screen}");
        let words: Vec<&str> = b[2..].iter().flat_map(|l| l.split_whitespace()).collect();
        let want: Vec<String> = format!("column 8: {msg}")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        assert_eq!(words, want, "{screen}");
        assert!(b.iter().all(|l| l.chars().count() <= usize::from(w)));
        key(&mut app, &fx, KeyCode::Esc);

        // A filter longer than the line, with its error at the end.
        let long: String = (0..20)
            .map(|i| format!("proc.name=p{i}"))
            .collect::<Vec<_>>()
            .join(" or ")
            + " or";
        key(&mut app, &fx, KeyCode::F(4));
        type_text(&mut app, &fx, &long);
        let screen = render(&mut app, w, h);
        check(&format!("filter_scrolled_{w}x{h}"), &screen);
        let b = bottom(&screen);
        assert!(b.len() >= 2, "{screen}");
        assert!(b[0].starts_with("Filter: …"), "{screen}");
        assert!(b[0].ends_with("proc.name=p19 or"), "{screen}");
        assert!(b[0].chars().count() < usize::from(w), "{screen}");
        // The caret sits in the cell after the text (where the cursor is),
        // where the check is missing.
        let caret = b[1].find('^').unwrap_or(usize::MAX);
        assert_eq!(caret, b[0].chars().count(), "{screen}");
        // Home: the text scrolls back to its start, and the error's column,
        // now off the line to the right, is marked '>' at the edge.
        key(&mut app, &fx, KeyCode::Home);
        let screen = render(&mut app, w, h);
        let b = bottom(&screen);
        assert!(b[0].starts_with("Filter: proc.name=p0 or"), "{screen}");
        assert!(b[0].ends_with('…'), "{screen}");
        assert_eq!(b[1].find('>'), Some(usize::from(w) - 1), "{screen}");
        key(&mut app, &fx, KeyCode::Esc);

        // An error early in a long filter, typed to its end: its column is
        // off the line to the left, marked '<' where the text starts.
        let long = format!("proc.name=\"unterminated and {}", "x ".repeat(60));
        key(&mut app, &fx, KeyCode::F(4));
        type_text(&mut app, &fx, &long);
        let screen = render(&mut app, w, h);
        check(&format!("filter_error_left_{w}x{h}"), &screen);
        let b = bottom(&screen);
        assert!(b[0].starts_with("Filter: …"), "{screen}");
        assert!(b[1].starts_with("        < column 11: "), "{screen}");
        key(&mut app, &fx, KeyCode::Esc);
    }
}

/// Wherever the cursor moves in a filter longer than the line, the char
/// under it is shown (never the '…' that marks text cut off).
#[test]
fn filter_bar_cursor_never_sits_on_a_cut_mark() {
    let Some(fx) = fixture() else { return };
    let mut app = processes(&fx);
    key(&mut app, &fx, KeyCode::F(4));
    let text: String = (0..120)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    type_text(&mut app, &fx, &text);
    key(&mut app, &fx, KeyCode::Home);
    let (w, h) = (60u16, 12u16);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    for i in 0..text.chars().count() {
        t.draw(|f| ui::draw(f, &mut app)).expect("draw");
        let pos = t.backend_mut().get_cursor_position().expect("cursor");
        let under = t.backend().buffer()[(pos.x, pos.y)].symbol().to_string();
        let want = text.chars().nth(i).map(String::from).unwrap_or_default();
        assert_eq!(under, want, "cursor at char {i}, cell {pos:?}");
        key(&mut app, &fx, KeyCode::Right);
    }
}

/// A message longer than the line (an action's error, say) wraps onto up to
/// three lines above the key bar, with its control characters taken out.
#[test]
fn long_messages_wrap() {
    let Some(fx) = fixture() else { return };
    let mut app = processes(&fx);
    let msg = "action 'kill' failed: \x1b[31mkill: (4242) - No such process\x1b[0m; the \
               process may have exited since the table was drawn";
    app.message = Some(msg.to_string());
    let screen = render(&mut app, 60, 12);
    check("long_message_60x12", &screen);
    let lines: Vec<&str> = screen.lines().collect();
    let from = lines
        .iter()
        .position(|l| l.starts_with("action 'kill'"))
        .unwrap_or(0);
    let shown = &lines[from..lines.len() - 1];
    assert_eq!(shown.len(), 2, "{screen}");
    assert!(shown.iter().all(|l| l.chars().count() <= 60), "{screen}");
    assert!(!screen.contains('\x1b'), "{screen}");
    assert!(
        shown.join(" ").ends_with("since the table was drawn"),
        "{screen}"
    );

    // Past three lines the last one ends in '…'.
    app.message = Some(format!("{msg} {msg} {msg}"));
    let screen = render(&mut app, 60, 12);
    let lines: Vec<&str> = screen.lines().collect();
    let shown = &lines[lines.len() - 4..lines.len() - 1];
    assert!(shown[0].starts_with("action 'kill'"), "{screen}");
    assert!(shown[2].ends_with('…'), "{screen}");
    assert!(shown.iter().all(|l| l.chars().count() <= 60), "{screen}");
}

/// Wide chars (CJK, fullwidth forms) take two screen columns: the filter
/// bar scrolls, places its cursor and its error caret by columns, and a
/// table cell holding them keeps the columns after it in line.
#[test]
fn wide_chars_keep_their_columns() {
    let Some(fx) = fixture() else { return };
    let (w, h) = (60u16, 12u16);
    let mut app = processes(&fx);
    key(&mut app, &fx, KeyCode::F(4));
    // A filter longer than the line, a wide char every third.
    let text: String = (0..90)
        .map(|i| match i % 3 {
            0 => char::from_u32(0x65e5 + i).unwrap_or('日'),
            _ => char::from(b'a' + (i % 26) as u8),
        })
        .collect();
    type_text(&mut app, &fx, &text);
    key(&mut app, &fx, KeyCode::Home);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    for (i, want) in text.chars().enumerate() {
        t.draw(|f| ui::draw(f, &mut app)).expect("draw");
        let pos = t.backend_mut().get_cursor_position().expect("cursor");
        let buf = t.backend().buffer();
        let under = buf[(pos.x, pos.y)].symbol().to_string();
        assert_eq!(under, want.to_string(), "cursor at char {i}, cell {pos:?}");
        // The prompt line never runs past the edge (where the '…' mark
        // would be lost): its last cell is blank, the mark, or the text's
        // own end.
        let last = buf[(w - 1, pos.y)].symbol().to_string();
        let end = text.chars().last().map(String::from).unwrap_or_default();
        assert!(
            last == " " || last == "…" || last == end,
            "char {i}: last cell {last:?}"
        );
        key(&mut app, &fx, KeyCode::Right);
    }
    key(&mut app, &fx, KeyCode::Esc);

    // The error caret sits under the '>' it is about, after wide chars.
    key(&mut app, &fx, KeyCode::F(4));
    type_text(&mut app, &fx, "proc.name=日本語 and fd.sip > 1.2.3.4");
    let col = input_error(&app).map(|e| e.0);
    assert_eq!(col, Some(26), "the error is at the '>'");
    t.draw(|f| ui::draw(f, &mut app)).expect("draw");
    let buf = t.backend().buffer().clone();
    let caret_row = (0..h)
        .find(|&y| (0..w).any(|x| buf[(x, y)].symbol() == "^"))
        .expect("a caret line");
    let caret_x = (0..w)
        .find(|&x| buf[(x, caret_row)].symbol() == "^")
        .expect("caret");
    assert_eq!(
        buf[(caret_x, caret_row - 1)].symbol(),
        ">",
        "caret under '>'"
    );
    let screen = render(&mut app, w, h);
    check("filter_wide_chars_60x12", &screen);
    key(&mut app, &fx, KeyCode::Esc);

    // A user name of wide chars, wider than its column: cut to the column,
    // and the next column starts where its header does.
    let mut table = app.table.clone().expect("table");
    let user = table
        .columns
        .iter()
        .position(|c| c.name == "USER")
        .expect("a USER column");
    for (row, name) in [(0, "用户名日本語ユーザー"), (1, "ｒｏｏｔ")] {
        let cell = &mut table.rows[row].cells[user];
        cell.text = name.to_string();
        cell.value = views::CellValue::S(name.to_string());
    }
    app.table = Some(table);
    let screen = render(&mut app, 80, 24);
    check("table_wide_chars_80x24", &screen);
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| ui::draw(f, &mut app)).expect("draw");
    let buf = t.backend().buffer();
    let header = (0..24u16)
        .find(|&y| {
            let line: String = (0..80u16).map(|x| buf[(x, y)].symbol()).collect();
            line.contains("USER") && line.contains("PID")
        })
        .expect("the column header");
    let line = |y: u16| -> String { (0..80u16).map(|x| buf[(x, y)].symbol()).collect() };
    let cells = |y: u16| -> Vec<&str> { (0..80u16).map(|x| buf[(x, y)].symbol()).collect() };
    let head = cells(header);
    let th = (0..79)
        .find(|&x| head[x] == "T" && head[x + 1] == "H")
        .expect("TH column");
    let virt = (th..79).find(|&x| head[x] == "V").expect("VIRT column");
    for row in [header + 1, header + 2] {
        // The TH value (right-aligned) fills the cells from the TH header
        // to the column before VIRT's.
        let c = cells(row);
        assert_eq!(c[th - 1], " ", "row {row}: {:?}", line(row));
        let value: String = c[th..virt - 1].concat();
        assert!(
            value.trim().parse::<u32>().is_ok() && c[virt - 1] == " ",
            "row {row}: the TH value under its header: {:?}",
            line(row)
        );
    }
}

/// The tables count internal events, as csysdig's (and our headless
/// output) do: procinfo gives the Processes view its CPU column, which was
/// 0.00 for every process of a capture. `-pc` shows the container columns.
#[test]
fn tables_count_procinfo_and_container_mode_shows_its_columns() {
    let Some(fx) = fixture() else { return };
    let app = processes(&fx);
    let t = app.table.as_ref().expect("table");
    let cpu = t.columns.iter().position(|c| c.name == "CPU").expect("CPU");
    let row = t.rows.iter().find(|r| r.key == "21839").expect("pid 21839");
    assert_eq!(
        views::format_cell(&t.columns[cpu], &row.cells[cpu], 8, t.interval_ns).trim(),
        "0.50",
        "as `syspect -r files_files.scap --raw -v procs` and csysdig give it"
    );
    // The top row is the busiest.
    assert_eq!(t.rows.first().map(|r| r.key.as_str()), Some("21839"));

    let mut app = new_app(&fx, None);
    app.containers = true;
    apply(&mut app, &fx, vec![Effect::Reaggregate]);
    let names: Vec<&str> = app
        .table
        .as_ref()
        .expect("table")
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(
        names.contains(&"VPID") && names.contains(&"CONTAINER"),
        "{names:?}"
    );
}

/// An action's hotkey runs it from the actions menu (F8), even `k` (kill),
/// which moved the menu's selection up instead.
#[test]
fn action_hotkeys_beat_menu_navigation() {
    let Some(fx) = fixture() else { return };
    let mut app = processes(&fx);
    key(&mut app, &fx, KeyCode::F(8));
    assert!(matches!(app.overlay, Overlay::Menu(_)));
    key(&mut app, &fx, KeyCode::Char('k'));
    match &app.overlay {
        Overlay::Confirm { command, .. } => assert!(command.contains("kill"), "{command}"),
        _ => panic!("k should ask to confirm the kill action"),
    }
}

/// A click below the table's rows (on the footer) selects nothing; a
/// taller screen shows the rows that were scrolled off above.
#[test]
fn footer_clicks_and_resizes_keep_the_table_in_view() {
    let Some(fx) = fixture() else { return };
    let mut app = processes(&fx);
    let n = app.table.as_ref().map_or(0, |t| t.rows.len());
    assert!(n > 20, "{n} rows");
    render(&mut app, 80, 24);
    let before = app.stack.last().map(|l| l.selected);
    let click = crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: 9,
        row: 23,
        modifiers: KeyModifiers::NONE,
    };
    let _ = app.on_mouse(click);
    assert_eq!(
        app.stack.last().map(|l| l.selected),
        before,
        "the footer selects no row"
    );
    // Its commands run as their keys do (x=9 is F2 Views), as in csysdig.
    assert!(
        matches!(&app.overlay, Overlay::Menu(m) if m.title == "Select View"),
        "{:?}",
        app.overlay
    );
    key(&mut app, &fx, KeyCode::Esc);
    assert!(matches!(app.overlay, Overlay::None));
    // The header's filter line opens the filter editor.
    let _ = app.on_mouse(crossterm::event::MouseEvent { row: 1, ..click });
    assert!(app.input.is_some());
    key(&mut app, &fx, KeyCode::Esc);
    assert!(app.input.is_none());
    // While a search is typed, a letter of the footer (n Next) is not typed.
    key(&mut app, &fx, KeyCode::Char('/'));
    type_text(&mut app, &fx, "ab");
    render(&mut app, 80, 24);
    let next = app
        .footer
        .iter()
        .find(|c| c.2 == "n")
        .map(|c| c.0)
        .expect("n in the footer");
    let _ = app.on_mouse(crossterm::event::MouseEvent {
        column: next,
        ..click
    });
    assert_eq!(app.input.as_ref().map(|i| i.text.as_str()), Some("ab"));
    key(&mut app, &fx, KeyCode::Esc);
    // On the "too small" screen nothing takes a click.
    render(&mut app, 30, 8);
    let _ = app.on_mouse(crossterm::event::MouseEvent { row: 1, ..click });
    assert!(app.input.is_none() && matches!(app.overlay, Overlay::None));

    // End on a short screen, then a screen tall enough for every row.
    render(&mut app, 80, 12);
    key(&mut app, &fx, KeyCode::End);
    render(&mut app, 80, 12);
    assert!(app.stack.last().is_some_and(|l| l.top > 0));
    let tall = render(&mut app, 80, (n + 10) as u16);
    assert_eq!(app.stack.last().map(|l| l.top), Some(0), "{tall}");
    assert_eq!(app.stack.last().map(|l| l.selected), Some(n - 1));
}

/// Typing a search in the Dig pane searches from where the search began:
/// a text not found goes back there (it stayed on the match of a shorter
/// prefix), and so does Esc.
#[test]
fn pane_search_returns_to_its_start() {
    let Some(fx) = fixture() else { return };
    let mut app = opened(&fx, "files");
    key(&mut app, &fx, KeyCode::Char('/'));
    type_text(&mut app, &fx, "tested_file.txt");
    key(&mut app, &fx, KeyCode::Enter);
    key(&mut app, &fx, KeyCode::F(6));
    render(&mut app, 80, 12);
    let top = |app: &App| app.pane.as_ref().map(|p| (p.top, p.not_found));
    assert_eq!(top(&app), Some((0, false)));
    key(&mut app, &fx, KeyCode::Char('/'));
    type_text(&mut app, &fx, "close");
    let (at, nf) = top(&app).expect("pane");
    assert!(at > 0 && !nf, "a later line holds 'close': {at}");
    type_text(&mut app, &fx, "zzqq");
    assert_eq!(top(&app), Some((0, true)), "not found: back to the start");
    for _ in 0..4 {
        key(&mut app, &fx, KeyCode::Backspace);
    }
    assert_eq!(top(&app), Some((at, false)));
    key(&mut app, &fx, KeyCode::Esc);
    assert_eq!(top(&app), Some((0, false)), "Esc: back to the start");
}
