//! sysdig-style output: event lines (`-p` formats), JSON (`-j`), the `-S`
//! summary and `-v` statistics.

mod cxxsort;
pub mod format;
pub mod summary;

pub use format::{Format, FormatError};
