//! Terminal setup and restoration on every exit path: a guard with Drop, a
//! panic hook, and SIGTERM/SIGHUP/SIGINT flags polled by the UI loop, plus a
//! watchdog for a terminal that went away (an SSH session that dropped):
//! crossterm's input reader spins forever on a hung-up tty, so the UI loop
//! would never see the flag.
//! `TERM` is never read for capabilities nor rewritten (crossterm emits
//! plain ANSI and SGR-1006 mouse reports).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

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
        spawn_watchdog(Arc::clone(&signal));
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

/// Of fds 0 and 1, those that are terminals (looked at once, when the UI
/// starts: a terminal that hung up is no longer one to `isatty`, whose
/// ioctl then fails with EIO).
fn terminal_fds() -> Vec<i32> {
    [0, 1]
        .into_iter()
        // SAFETY: isatty only reads the fd number.
        .filter(|&fd| unsafe { libc::isatty(fd) } == 1)
        .collect()
}

/// True when one of `fds` (terminals) has hung up.
fn terminal_hung_up(fds: &[i32]) -> bool {
    fds.iter().any(|&fd| {
        let mut p = libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        };
        // SAFETY: poll reads and writes the one pollfd we own, and keeps no
        // pointer to it.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        n == 1 && p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
    })
}

/// Ends the process when the terminal hung up, or when a signal asked to
/// stop and the UI loop did not manage to within two seconds (it may be
/// stuck in the input reader).
fn spawn_watchdog(signal: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("syspect-tty".into())
        .spawn(move || {
            let ttys = terminal_fds();
            let mut asked: Option<Instant> = None;
            loop {
                // (Often: crossterm's reader spins on a hung-up terminal
                // until this ends the process.)
                std::thread::sleep(Duration::from_millis(100));
                if !ACTIVE.load(Ordering::SeqCst) && asked.is_none() {
                    // The UI is suspended for an action or finishing.
                    continue;
                }
                if terminal_hung_up(&ttys) {
                    signal.store(true, Ordering::SeqCst);
                    // Nothing can be drawn or restored on a dead terminal.
                    ACTIVE.store(false, Ordering::SeqCst);
                    std::process::exit(129);
                }
                if signal.load(Ordering::SeqCst) {
                    let since = *asked.get_or_insert_with(Instant::now);
                    if since.elapsed() >= Duration::from_secs(2) {
                        restore();
                        std::process::exit(143);
                    }
                }
            }
        });
}
