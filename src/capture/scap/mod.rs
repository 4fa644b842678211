//! `.scap` capture files: reader and writer. (Filled in by the capture-file work.)

#[derive(Debug, thiserror::Error)]
pub enum ScapError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("at byte {offset}: {msg}")]
    Format { offset: u64, msg: String },
}
