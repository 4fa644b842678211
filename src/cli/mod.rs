//! Command line: parses arguments and wires one source into one front end.

pub fn main() -> i32 {
    0
}
