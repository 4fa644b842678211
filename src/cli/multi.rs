//! Capture files as an event source: one file, or several `-r` files read
//! one after the other (their decompressed bytes chained, so the reader sees
//! each file's section header as a new section of a concatenated capture).
//! The source reads on its own thread ([`Pipelined`]).

use std::fs::File;
use std::io::{BufReader, Read};

use anyhow::Result;

use crate::capture::pipeline::{Carry, Pipelined};
use crate::capture::scap::ScapReader;
use crate::capture::Source;

use super::UsageError;

fn open_plain(path: &str) -> Result<Box<dyn Read + Send>> {
    let f = File::open(path).map_err(|e| UsageError(format!("{path}: {e}")))?;
    let mut f = BufReader::new(crate::capture::progress::Counted(f));
    let mut magic = [0u8; 2];
    let n = f
        .read(&mut magic)
        .map_err(|e| UsageError(format!("{path}: {e}")))?;
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let whole = head.chain(f);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(whole)))
    } else {
        Ok(Box::new(whole))
    }
}

/// The text of a read error met after `num` events, named after the
/// capture files it came from (none: a live capture).
pub fn read_error_text(files: &[String], e: &dyn std::fmt::Display, num: u64) -> String {
    if files.is_empty() {
        format!("{e} (after {num} events)")
    } else {
        format!("{}: {e} (after {num} events)", files.join(", "))
    }
}

/// A reader over the concatenation of `paths`.
pub fn open(paths: &[String]) -> Result<ScapReader> {
    let mut chain: Box<dyn Read + Send> = Box::new(std::io::empty());
    for p in paths {
        chain = Box::new(chain.chain(open_plain(p)?));
    }
    ScapReader::from_reader(chain)
        .map_err(|e| UsageError(format!("{}: {e}", paths.join(", "))).into())
}

/// The source for `-r` files: every front end (dig, the TUI, headless
/// views) opens capture files here.
pub fn open_files(paths: &[String]) -> Result<Box<dyn Source>> {
    open_files_with(paths, true, Carry::Events, false)
}

/// [`open_files`] for a consumer that may keep no state: unless
/// `later_meta`, the metadata of the sections after the first is checked
/// but not decoded ([`ScapReader::decode_later_metadata`]); `carry` says
/// whether it takes the events or only their types; with `map`, a single
/// regular file is mapped into memory (`ScapReader::open_mapped_lazy`: the
/// TUI, which holds the terminal, and runs that write a file, which must
/// not be left half-written, read it as a stream).
pub fn open_files_with(
    paths: &[String],
    later_meta: bool,
    carry: Carry,
    map: bool,
) -> Result<Box<dyn Source>> {
    let opened = |one: &String| {
        if map {
            ScapReader::open_mapped_lazy(one)
        } else {
            ScapReader::open(one)
        }
    };
    let mut r = match paths {
        [one] => opened(one).map_err(|e| UsageError(format!("{one}: {e}")))?,
        many => open(many)?,
    };
    r.decode_later_metadata(later_meta);
    let p = Pipelined::start_with(r, carry)
        .map_err(|e| UsageError(format!("{}: {e}", paths.join(", "))))?;
    Ok(Box::new(p))
}
