//! Live capture through the eBPF probe (`ebpf/probe.bpf.c`).
//!
//! [`LiveSource::open`] checks capabilities, loads the probe with aya,
//! attaches it to the `sys_enter`/`sys_exit`/`sched_process_exit` BTF
//! tracepoints and then hands out the probe's events through the
//! [`Source`](crate::capture::Source) trait. Each ring-buffer record is an
//! 8-byte prefix (see [`record`]) followed by a libscap v2 event.

mod caps;
mod error;
mod options;
pub mod procinfo;
pub mod record;
mod source;

pub use caps::{check_capabilities, missing_capabilities};
pub use error::LiveError;
pub use options::LiveOptions;
pub use record::{decode_record, RecordError, REC_MAGIC, REC_PREFIX};
pub use source::{LiveSource, StopHandle};
