//! filter

pub mod compile;
pub mod fields;
pub use compile::{Filter, FilterError};
