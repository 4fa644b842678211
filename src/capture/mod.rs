//! Event sources: the live eBPF probe (`live`) and `.scap` files (`scap`).
//! Both hand out events in the one v2 layout of [`crate::event`], plus the
//! metadata that seeds state (process, fd, user and interface lists).

pub mod live;
pub mod meta;
pub mod pipeline;
pub mod scap;

pub use meta::CaptureMeta;

use crate::event::EventRef;

/// What a source yields, one at a time.
pub enum Item<'a> {
    /// An event, valid until the next call.
    Event(EventRef<'a>),
    /// The metadata of a new section (a concatenated capture starts one).
    Section(Box<CaptureMeta>),
}

/// Counters a source keeps about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Events delivered.
    pub events: u64,
    /// Events lost before they reached us (full ring buffer).
    pub drops: u64,
}

/// A source of events: a lending iterator.
pub trait Source {
    /// The next item, `Ok(None)` at the end (live sources end when stopped).
    fn next_item(&mut self) -> Result<Option<Item<'_>>, SourceError>;
    /// Metadata read when the source opened (first section).
    fn meta(&self) -> &CaptureMeta;
    fn stats(&self) -> SourceStats;
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Scap(#[from] scap::ScapError),
    #[error(transparent)]
    Live(#[from] live::LiveError),
}
