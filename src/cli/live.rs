//! Opening the live eBPF source for a front end.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Result;

use crate::capture::Source;

/// Opens a live capture with the given snap length and ring size.
pub fn open(snaplen: u32, buffer_mb: usize, stop: Arc<AtomicBool>) -> Result<Box<dyn Source>> {
    let _ = (snaplen, buffer_mb, stop);
    Err(super::UsageError("live capture is not available in this build".into()).into())
}
