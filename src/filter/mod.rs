//! Filter language: sysdig/Falco filter expressions (`proc.name=cat and
//! evt.type in (open, openat)`). This module holds the parser; the field
//! registry and the compiler (AST → predicate) live next to it.

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{parse, ParseError};
