//! Opening the live eBPF source for a front end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::capture::live::{LiveOptions, LiveSource};
use crate::capture::Source;

use super::UsageError;

/// Opens a live capture. The capture ends when `stop` is set (signals) or
/// when `deadline` has passed, even if no event arrives.
pub fn open(
    snaplen: u32,
    buffer_mb: usize,
    stop: Arc<AtomicBool>,
    deadline: Option<Duration>,
) -> Result<Box<dyn Source>> {
    let opts = LiveOptions {
        snaplen,
        ring_bytes: buffer_mb.max(1) << 20,
        ..LiveOptions::default()
    };
    open_with(opts, stop, deadline)
}

/// [`open`] with every probe option given.
pub fn open_with(
    opts: LiveOptions,
    stop: Arc<AtomicBool>,
    deadline: Option<Duration>,
) -> Result<Box<dyn Source>> {
    let src = LiveSource::open(opts).map_err(|e| UsageError(e.to_string()))?;
    let handle = src.stop_handle();
    let started = Instant::now();
    std::thread::Builder::new()
        .name("syspect-stop".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(20));
            let timed_out = deadline.is_some_and(|d| started.elapsed() >= d);
            if stop.load(Ordering::Relaxed) || timed_out || handle.is_stopped() {
                handle.stop();
                break;
            }
        })
        .map_err(|e| UsageError(format!("cannot start the capture timer: {e}")))?;
    Ok(Box::new(src))
}
