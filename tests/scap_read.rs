//! Reading the capture corpus: counts, metadata, damage handling.

mod common_scap;

use common_scap::*;
use syspect::capture::scap::{ScapError, ScapReader};
use syspect::capture::Source;

#[test]
fn corpus_counts() {
    let mut failures = Vec::new();
    for c in CORPUS {
        let r = match ScapReader::open(capture(c.path)) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: open failed: {e}", c.path));
                continue;
            }
        };
        let (n, skipped, err) = count(r);
        if let Some(e) = err {
            failures.push(format!("{}: read error after {n} events: {e}", c.path));
            continue;
        }
        if n + skipped != c.event_blocks {
            failures.push(format!(
                "{}: {n} events + {skipped} skipped != {} event blocks",
                c.path, c.event_blocks
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
