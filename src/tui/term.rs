//! Terminal setup and restoration on every exit path: a guard with Drop, a
//! panic hook, and SIGTERM/SIGHUP/SIGINT flags polled by the UI loop.
//! `TERM` is never read for capabilities nor rewritten (crossterm emits
//! plain ANSI and SGR-1006 mouse reports).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Puts the terminal back; safe to call more than once.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// Owns the terminal while the UI runs.
pub struct TermGuard {
    /// Set by SIGTERM, SIGHUP or SIGINT.
    pub signal: Arc<AtomicBool>,
}

impl TermGuard {
    pub fn enter() -> io::Result<TermGuard> {
        HOOK.call_once(|| {
            let prev = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                prev(info);
            }));
        });
        let signal = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
            signal_hook::consts::SIGINT,
        ] {
            signal_hook::flag::register(sig, Arc::clone(&signal))?;
        }
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture, cursor::Hide) {
            restore();
            return Err(e);
        }
        Ok(TermGuard { signal })
    }

    /// Leaves the UI temporarily (to run an action); `resume` comes back.
    pub fn suspend(&self) {
        restore();
    }

    pub fn resume(&self) -> io::Result<()> {
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            cursor::Hide
        )
    }
}

impl Drop for TermGuard {
    fn drop(&mut self) {
        restore();
    }
}
