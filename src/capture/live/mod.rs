//! Live capture through the eBPF probe. (Filled in by the live-capture work.)

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Msg(String),
}
