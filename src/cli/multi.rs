//! Several `-r` files read one after the other as one source: their
//! (decompressed) bytes are chained, and the reader sees each file's
//! section header as a new section of a concatenated capture.

use std::fs::File;
use std::io::{BufReader, Read};

use anyhow::Result;

use crate::capture::scap::ScapReader;

use super::UsageError;

fn open_plain(path: &str) -> Result<Box<dyn Read + Send>> {
    let mut f = BufReader::new(File::open(path).map_err(|e| UsageError(format!("{path}: {e}")))?);
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

/// A reader over the concatenation of `paths`.
pub fn open(paths: &[String]) -> Result<ScapReader> {
    let mut chain: Box<dyn Read + Send> = Box::new(std::io::empty());
    for p in paths {
        chain = Box::new(chain.chain(open_plain(p)?));
    }
    ScapReader::from_reader(chain)
        .map_err(|e| UsageError(format!("{}: {e}", paths.join(", "))).into())
}
