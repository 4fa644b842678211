//! The sysdig filter language: parse → AST → compiled predicate, and the
//! field registry shared by filters, `-p` formats, JSON and views.

pub mod ast;
pub mod compile;
pub mod fields;
pub mod lexer;
pub mod parser;

pub use compile::{Filter, FilterError};
pub use parser::{parse, ParseError};
