//! filter

pub mod fields;
