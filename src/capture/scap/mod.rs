//! `.scap` capture files (the libscap "savefile" format): a streaming reader
//! that hands out events in the v2 layout of [`crate::event`] and a writer
//! producing format 1.2 files readable by libscap-based tools.
//!
//! The format is described block by block in
//! `shared/reference/scap-format.md`; [`blocks`] holds the ids.
//!
//! Byte offsets in errors are offsets in the *uncompressed* stream (for a
//! gzip file, the offset inside the decompressed data).

pub(crate) mod ahead;
pub mod blocks;
pub(crate) mod mapped;
mod metablocks;
mod reader;
pub mod rotate;
mod writer;

pub use reader::ScapReader;
pub use rotate::{MetaSource, RotateSpec, RotatingWriter};
pub use writer::{ScapWriter, WriterOptions};

/// Errors of the scap reader and writer.
#[derive(Debug, thiserror::Error)]
pub enum ScapError {
    /// An operating-system error (opening, reading or writing a file).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is a capture, but damaged or truncated at `offset`.
    #[error("at byte {offset}: {msg}")]
    Format { offset: u64, msg: String },
    /// The file is not a sysdig/scap capture at all.
    #[error("not a sysdig capture: {msg} at byte {offset}")]
    NotScap { offset: u64, msg: String },
}

impl ScapError {
    /// The byte offset of a format error, if any.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ScapError::Io(_) => None,
            ScapError::Format { offset, .. } | ScapError::NotScap { offset, .. } => Some(*offset),
        }
    }

    pub(crate) fn format(offset: u64, msg: impl Into<String>) -> ScapError {
        ScapError::Format {
            offset,
            msg: msg.into(),
        }
    }
}
