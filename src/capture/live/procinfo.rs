//! Per-thread CPU samples as `procinfo` events.
//!
//! The kernel probe does not report CPU time. Like libsinsp in live mode, the
//! live source reads every thread's user and system time once a second (here
//! from `/proc/PID/task/TID/stat`, in clock ticks) and hands them out as
//! PPME_PROCINFO_E events in the event stream. `thread.cpu` and the CPU
//! columns of the views are computed from consecutive samples.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::event::build_event;
use crate::event::table::ids::PROCINFO_E;

use super::record::{REC_MAGIC, REC_PREFIX};

/// Once a second, as libsinsp.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Produces the procinfo records of all threads when a sample is due.
#[derive(Debug)]
pub struct ProcinfoSampler {
    next: Instant,
    pending: VecDeque<Vec<u8>>,
}

impl Default for ProcinfoSampler {
    fn default() -> Self {
        ProcinfoSampler {
            next: Instant::now() + INTERVAL,
            pending: VecDeque::new(),
        }
    }
}

impl ProcinfoSampler {
    /// The next pending record (8-byte prefix + event), sampling all
    /// threads first when a sample is due; `ts` is the timestamp the
    /// records of a new sample get.
    pub fn next_record(&mut self, ts: u64) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            let now = Instant::now();
            if now < self.next {
                return None;
            }
            self.next = now + INTERVAL;
            sample_all(ts, &mut self.pending);
        }
        self.pending.pop_front()
    }
}

/// A procinfo record for every thread in /proc.
fn sample_all(ts: u64, out: &mut VecDeque<Vec<u8>>) {
    for pid in numeric_entries("/proc") {
        for tid in numeric_entries(&format!("/proc/{pid}/task")) {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")) else {
                continue;
            };
            if let Some((user, sys)) = cpu_ticks(&stat) {
                out.push_back(record(ts, tid, user, sys));
            }
        }
    }
}

/// The entries of a directory whose names are numbers (pids, tids).
fn numeric_entries(dir: &str) -> impl Iterator<Item = u64> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
}

/// utime and stime (fields 14 and 15) of a `stat` line; the command name
/// in parentheses may itself hold spaces and parentheses.
pub fn cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_ascii_whitespace();
    // After the name: state (field 3) ... utime is field 14.
    let utime = f.nth(11)?.parse().ok()?;
    let stime = f.next()?.parse().ok()?;
    Some((utime, stime))
}

/// A live record holding one procinfo event.
pub fn record(ts: u64, tid: u64, user: u64, sys: u64) -> Vec<u8> {
    let ev = build_event(
        ts,
        tid,
        PROCINFO_E,
        &[&user.to_le_bytes(), &sys.to_le_bytes()],
    );
    let mut rec = Vec::with_capacity(REC_PREFIX + ev.len());
    rec.extend_from_slice(&0u16.to_le_bytes()); // cpu
    rec.extend_from_slice(&REC_MAGIC.to_le_bytes());
    rec.extend_from_slice(&0u32.to_le_bytes());
    rec.extend_from_slice(&ev);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::live::decode_record;

    #[test]
    fn stat_fields() {
        let line =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 17 5 0 0 20 0 1 0 99 1000 10";
        assert_eq!(cpu_ticks(line), Some((17, 5)));
        assert_eq!(cpu_ticks("1 (x) S 1 2"), None);
        assert_eq!(cpu_ticks("no parenthesis"), None);
    }

    #[test]
    fn records_decode() {
        let rec = record(123, 77, 3, 4);
        let ev = decode_record(&rec).expect("valid record");
        assert_eq!(ev.etype(), PROCINFO_E);
        assert_eq!(ev.tid(), 77);
        assert_eq!(ev.ts(), 123);
        assert_eq!(ev.param(0), Some(&3u64.to_le_bytes()[..]));
        assert_eq!(ev.param(1), Some(&4u64.to_le_bytes()[..]));
    }

    #[test]
    fn sampling_sees_this_thread() {
        let mut s = ProcinfoSampler {
            next: Instant::now(),
            pending: VecDeque::new(),
        };
        let me = u64::from(std::process::id());
        let mut found = false;
        while let Some(rec) = s.next_record(1) {
            if decode_record(&rec).map(|e| e.tid()).ok() == Some(me) {
                found = true;
            }
        }
        assert!(found, "the test's own main thread is sampled");
        // Not due again for a second.
        assert!(s.next_record(2).is_none());
    }
}
