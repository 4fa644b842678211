//! syspect: an interactive syscall explorer for Linux.
//!
//! Flow: `capture` (live eBPF or `.scap`) → `event` → `state` → `store` →
//! `filter` → `views` → `tui` / `print`, wired by `cli`.

pub mod capture;
pub mod cli;
pub mod event;
pub mod filter;
pub mod print;
pub mod state;
pub mod store;
#[cfg(test)]
mod testing;
pub mod tui;
pub mod views;
