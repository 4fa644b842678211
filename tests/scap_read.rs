//! Reading the capture corpus: counts, metadata, damage handling.

mod common_scap;

use std::io::{Cursor, Read};

use common_scap::*;
use syspect::capture::meta::{FdInfo, FdType};
use syspect::capture::scap::{ScapError, ScapReader};
use syspect::capture::CaptureMeta;
use syspect::capture::{Item, Source};

fn file_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(capture(rel)).unwrap()
}

fn is_gz(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

/// The uncompressed bytes of a capture.
fn plain_bytes(rel: &str) -> Vec<u8> {
    let raw = file_bytes(rel);
    if !is_gz(&raw) {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn open_bytes(b: Vec<u8>) -> Result<ScapReader, ScapError> {
    ScapReader::from_reader(Cursor::new(b))
}

/// Offsets where blocks start in an uncompressed capture (plus its end).
fn block_starts(b: &[u8]) -> Vec<usize> {
    let mut v = Vec::new();
    let mut at = 0usize;
    while at + 8 <= b.len() {
        v.push(at);
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        assert!(len >= 12, "corpus block at {at} has length {len}");
        at += len;
    }
    assert_eq!(at, b.len(), "corpus file ends inside a block");
    v.push(at);
    v
}

/// xorshift64*: deterministic pseudo-random numbers.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn corpus_counts_and_versions() {
    let mut failures = Vec::new();
    for c in CORPUS {
        let r = match ScapReader::open(capture(c.path)) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: open failed: {e}", c.path));
                continue;
            }
        };
        if r.version() != (1, c.shb_minor) {
            failures.push(format!("{}: version {:?}", c.path, r.version()));
        }
        let gz = is_gz(&file_bytes(c.path));
        if r.is_compressed() != gz {
            failures.push(format!("{}: is_compressed() != {gz}", c.path));
        }
        let a = drain(r, false);
        if let Some(e) = a.error {
            failures.push(format!(
                "{}: read error after {} events: {e}",
                c.path, a.count
            ));
            continue;
        }
        if a.count + a.skipped_unknown != c.event_blocks {
            failures.push(format!(
                "{}: {} events + {} skipped != {} event blocks",
                c.path, a.count, a.skipped_unknown, c.event_blocks
            ));
        }
        if !a.sections.is_empty() {
            failures.push(format!("{}: unexpected extra sections", c.path));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_metadata_sanity() {
    for c in CORPUS {
        let r = ScapReader::open(capture(c.path)).unwrap();
        let m = r.meta();
        let p = c.path;
        let mi = m.machine.as_ref().unwrap_or_else(|| panic!("{p}: no MI"));
        assert!(mi.num_cpus > 0 && mi.num_cpus < 4096, "{p}: num_cpus");
        assert!(mi.memory_size_bytes > 0, "{p}: memory");
        assert!(!mi.hostname.is_empty(), "{p}: hostname");
        // Every corpus file has a process list, fd lists and interfaces.
        assert!(!m.procs.is_empty(), "{p}: no processes");
        assert!(
            m.procs.iter().all(|t| t.tid > 0 && t.pid > 0),
            "{p}: tid/pid"
        );
        assert!(m.procs.iter().any(|t| !t.comm.is_empty()), "{p}: comm");
        assert!(!m.fds.is_empty(), "{p}: no fds");
        assert!(!m.interfaces.is_empty(), "{p}: no interfaces");
        // Every thread of the fd lists is a listed thread.
        for f in &m.fds {
            assert!(
                m.procs.iter().any(|t| t.tid == f.tid),
                "{p}: fd of unknown tid {}",
                f.tid
            );
        }
        if p == "sysflow/rename_rename.scap" {
            assert!(
                m.users.is_empty() && m.groups.is_empty(),
                "{p}: has no UL block"
            );
        } else {
            assert!(
                !m.users.is_empty() && !m.groups.is_empty(),
                "{p}: users/groups"
            );
            assert!(
                m.users.iter().any(|u| u.uid == 0 && u.name == "root"),
                "{p}: root"
            );
        }
        // Version-dependent fields.
        let pl_v5 = [
            "bencer-examples/example2_502error.scap",
            "libs/curl_google.scap",
            "libs/curl_google_comments.scap",
            "libs/test_ipv6_client.scap",
        ];
        if pl_v5.contains(&p) {
            assert!(
                m.procs.iter().all(|t| t.sid == u64::MAX),
                "{p}: V5 has no sid"
            );
        }
        if c.shb_minor == 2 {
            // PL_V9 tails: sample.scap (66 B) and Aurelabe (68 B) are libs
            // >= 0.10; the "pre-0.10 hack" must not apply to them.
            if p == "libs/sample.scap" {
                assert!(
                    m.procs.iter().all(|t| t.pidns_init_start_ts != 0),
                    "{p}: pidns"
                );
                assert!(m.procs.iter().any(|t| t.exe_ino != 0), "{p}: exe_ino");
            } else if p != "students/Aurelabe_curl.scap" && p != "libs/single_ipv6_conn.scap" {
                assert!(
                    m.procs.iter().any(|t| t.loginuid != u32::MAX),
                    "{p}: loginuid"
                );
                assert!(
                    m.procs.iter().all(|t| t.pidns_init_start_ts == 0),
                    "{p}: pidns"
                );
            }
        }
    }
    // The 2025 capture lists memfd and pidfd fds.
    let r = ScapReader::open(capture("students/Aurelabe_curl.scap")).unwrap();
    let fds = &r.meta().fds;
    assert!(fds.iter().any(|f| f.ftype == FdType::Memfd));
    assert!(fds.iter().any(|f| f.ftype == FdType::Pidfd));
    // An IPv4 socket in a v1 fd list.
    let r = ScapReader::open(capture("libs/curl_google.scap")).unwrap();
    assert!(r
        .meta()
        .fds
        .iter()
        .any(|f| matches!(f.info, FdInfo::Ipv4 { .. } | FdInfo::Ipv4Server { .. })));
}

#[test]
fn events_are_valid_v2() {
    // Converted (v1) and native (v2) events both respect the v2 invariants
    // and carry at most the table's parameter count.
    for rel in [
        "libs/curl_google.scap",
        "libs/sample.scap",
        "falco/syscall.scap",
    ] {
        let mut r = ScapReader::open(capture(rel)).unwrap();
        let mut n = 0;
        while let Some(it) = r.next_item().unwrap() {
            let Item::Event(e) = it else {
                panic!("section")
            };
            assert_eq!(e.len(), e.bytes().len());
            assert!(e.nparams() <= e.info().params.len().max(e.nparams()));
            assert_eq!(e.params().count(), e.nparams());
            assert!(e.ts() > 0 || e.tid() != 0 || e.etype() != 0);
            n += 1;
        }
        assert!(n > 0);
    }
}

#[test]
fn comments_file_reads_like_its_source() {
    // curl_google_comments.scap is curl_google.scap re-saved by Wireshark
    // with pcapng options in the SHB and in every event block.
    let a = drain(
        ScapReader::open(capture("libs/curl_google.scap")).unwrap(),
        true,
    );
    let b = drain(
        ScapReader::open(capture("libs/curl_google_comments.scap")).unwrap(),
        true,
    );
    assert!(a.error.is_none() && b.error.is_none());
    assert_eq!(a.events.len(), 1536);
    assert_eq!(a.events, b.events);
    assert_eq!(a.meta, b.meta);
}

#[test]
fn aurelabe_reads_fully() {
    let a = drain(
        ScapReader::open(capture("students/Aurelabe_curl.scap")).unwrap(),
        false,
    );
    assert!(a.error.is_none(), "{:?}", a.error);
    assert_eq!(a.count + a.skipped_unknown, 5394);
}

#[test]
fn negative_pcapng_is_refused() {
    let e = ScapReader::open(capture(NEGATIVE_PCAPNG)).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ScapError::NotScap { .. }), "{e:?}");
    assert!(msg.contains("not a sysdig capture"), "{msg}");
    assert!(msg.contains("pcapng"), "{msg}");
    assert!(msg.contains("at byte"), "{msg}");
}

#[test]
fn other_files_are_refused() {
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("short", b"abc".to_vec()),
        ("text", b"hello, this is not a capture at all\n".to_vec()),
        (
            "readme",
            std::fs::read(captures_dir().join("README.md")).unwrap(),
        ),
    ] {
        let e = open_bytes(bytes).unwrap_err();
        assert!(
            matches!(e, ScapError::NotScap { offset: 0, .. }),
            "{what}: {e:?}"
        );
        assert!(
            e.to_string().starts_with("not a sysdig capture"),
            "{what}: {e}"
        );
        assert!(e.to_string().ends_with("at byte 0"), "{what}: {e}");
    }
    // A gzip file of something else.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"plain text, gzipped").unwrap();
    let e = open_bytes(gz.finish().unwrap()).unwrap_err();
    assert!(e.to_string().starts_with("not a sysdig capture"), "{e}");
    // A missing file is an I/O error.
    let e = ScapReader::open("/nonexistent/x.scap").unwrap_err();
    assert!(matches!(e, ScapError::Io(_)));
}

/// Reads damaged `bytes` of a file whose intact read gave `full_count`
/// events; with `prefix`, the events read must be a prefix of those.
/// Returns whether it ended with an error.
fn check_damaged(name: &str, bytes: Vec<u8>, full_count: u64, prefix: Option<&[Ev]>) -> bool {
    let r = match open_bytes(bytes) {
        Ok(r) => r,
        Err(e) => {
            assert!(
                e.offset().is_some(),
                "{name}: open error without offset: {e}"
            );
            return true;
        }
    };
    let a = drain(r, prefix.is_some());
    assert!(
        a.count <= full_count + 64,
        "{name}: {} events from a damaged file of {full_count}",
        a.count,
    );
    if let Some(full) = prefix {
        assert!(a.events.len() <= full.len(), "{name}");
        assert_eq!(
            a.events[..],
            full[..a.events.len()],
            "{name}: events differ"
        );
    }
    if let Some(e) = &a.error {
        assert!(e.offset().is_some(), "{name}: error without offset: {e}");
        assert!(e.to_string().contains("at byte"), "{name}: {e}");
    }
    a.error.is_some()
}

#[test]
fn truncated_files_error_with_offset() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for c in CORPUS {
        let plain = plain_bytes(c.path);
        let full = drain(open_bytes(plain.clone()).unwrap(), true);
        assert!(full.error.is_none());
        let starts = block_starts(&plain);
        let mut cuts: Vec<usize> = (0..12).map(|_| rng.below(plain.len())).collect();
        // Right after the metadata, around a few block boundaries.
        for _ in 0..4 {
            let b = starts[rng.below(starts.len())];
            cuts.extend([b.saturating_sub(1), b, b + 1, b + 7, b + 9]);
        }
        for cut in cuts {
            let cut = cut.min(plain.len());
            let name = format!("{} cut at {cut}", c.path);
            let errored =
                check_damaged(&name, plain[..cut].to_vec(), full.count, Some(&full.events));
            // A cut between blocks is a clean (shorter) file; any other cut
            // must be reported.
            assert_eq!(
                !errored,
                starts.contains(&cut) && cut > 0,
                "{name}: errored={errored}"
            );
        }
        // Truncated gzip streams.
        let raw = file_bytes(c.path);
        if is_gz(&raw) {
            for _ in 0..3 {
                let cut = 10 + rng.below(raw.len() - 10);
                let name = format!("{} (gzip) cut at {cut}", c.path);
                assert!(
                    check_damaged(&name, raw[..cut].to_vec(), full.count, Some(&full.events)),
                    "{name}: no error"
                );
            }
        }
    }
}

#[test]
fn truncated_error_reports_block_offset() {
    let plain = plain_bytes("libs/sample.scap");
    let starts = block_starts(&plain);
    let last = starts[starts.len() - 2];
    let mut r = open_bytes(plain[..last + 20].to_vec()).unwrap();
    let mut n = 0;
    let err = loop {
        match r.next_item() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("no error"),
            Err(e) => break e,
        }
    };
    assert_eq!(n, 571);
    let msg = err.to_string();
    assert!(msg.contains(&format!("at byte {last}")), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");
    // Fused afterwards.
    assert!(r.next_item().unwrap().is_none());
}

#[test]
fn bit_flips_never_panic() {
    let mut rng = Rng(0xb17f_11b5_0000_0042);
    for c in CORPUS {
        let plain = plain_bytes(c.path);
        let full = drain(open_bytes(plain.clone()).unwrap(), false);
        let starts = block_starts(&plain);
        for it in 0..24 {
            let mut b = plain.clone();
            let flips = 1 + rng.below(4);
            for _ in 0..flips {
                let pos = match it % 3 {
                    0 => rng.below(b.len()),
                    // The metadata phase and first events.
                    1 => rng.below(b.len().min(96 * 1024)),
                    // Block headers/trailers and event headers.
                    _ => {
                        let s = starts[rng.below(starts.len() - 1)];
                        (s + rng.below(40)).min(b.len() - 1)
                    }
                };
                b[pos] ^= 1 << rng.below(8);
            }
            let name = format!("{} flip #{it}", c.path);
            check_damaged(&name, b, full.count, None);
        }
        // A few on the compressed bytes.
        let raw = file_bytes(c.path);
        if is_gz(&raw) {
            for it in 0..2 {
                let mut b = raw.clone();
                let pos = 10 + rng.below(b.len() - 10);
                b[pos] ^= 1 << rng.below(8);
                let name = format!("{} gzip flip #{it}", c.path);
                check_damaged(&name, b, full.count, None);
            }
        }
    }
}

#[test]
fn absurd_lengths_are_capped() {
    let plain = plain_bytes("libs/sample.scap");
    let starts = block_starts(&plain);
    // A metadata block, then an event block, claiming 4 GiB and 200 MiB.
    for (idx, len) in [
        (1usize, 0xFFFF_FFF0u32),
        (1, 200 << 20),
        (starts.len() - 3, 0xFFFF_FFF0),
        (starts.len() - 3, 200 << 20),
    ] {
        let mut b = plain.clone();
        let at = starts[idx];
        b[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
        let t0 = std::time::Instant::now();
        let res = open_bytes(b).map(|r| drain(r, false));
        let err = match res {
            Err(e) => e,
            Ok(a) => a.error.expect("an error"),
        };
        assert!(
            err.offset() == Some(at as u64 + 4) || err.offset() == Some(at as u64),
            "{err}"
        );
        assert!(t0.elapsed().as_secs() < 5);
    }
}

#[test]
fn concatenated_captures_read_as_sum() {
    for (a, b) in [
        ("libs/sample.scap", "sysflow/files_files.scap"),
        ("falco/cat_write.scap", "falco/syscall.scap"), // two gzip members
        // gzip + plain cannot be concatenated as is: decompressed first.
        ("libs/curl_google.scap", "libs/sample.scap"),
    ] {
        let (x, y) = (file_bytes(a), file_bytes(b));
        let (x, y) = if is_gz(&x) == is_gz(&y) {
            (x, y)
        } else {
            (plain_bytes(a), plain_bytes(b))
        };
        let fa = drain(ScapReader::open(capture(a)).unwrap(), true);
        let fb = drain(ScapReader::open(capture(b)).unwrap(), true);
        let mut cat = x;
        cat.extend_from_slice(&y);
        let r = open_bytes(cat).unwrap();
        let all = drain(r, true);
        assert!(all.error.is_none(), "{a}+{b}: {:?}", all.error);
        assert_eq!(all.count, fa.count + fb.count, "{a}+{b}");
        assert_eq!(all.sections.len(), 1, "{a}+{b}");
        assert_eq!(all.meta, fa.meta);
        assert_eq!(all.sections[0], fb.meta);
        let mut want = fa.events.clone();
        want.extend(fb.events.iter().cloned());
        assert_eq!(all.events, want, "{a}+{b}");
    }
}

/// A reader whose consumer keeps no state checks the metadata of later
/// sections without decoding it (`decode_later_metadata(false)`, used by
/// `dig -q`): damage there must end the read exactly as decoding would,
/// with the same message and offset.
#[test]
fn later_metadata_is_checked_when_not_decoded() {
    let x = plain_bytes("libs/sample.scap");
    let split = x.len();
    let mut cat = x;
    cat.extend_from_slice(&plain_bytes("sysflow/files_files.scap"));
    let starts = block_starts(&cat);
    let ty = |at: usize| u32::from_le_bytes(cat[at..at + 4].try_into().unwrap());
    let is_event = |t: u32| {
        matches!(
            t,
            0x204 | 0x208 | 0x216 | 0x217 | 0x221 | 0x222 | 0x8010_ABCD
        )
    };
    // The metadata blocks of the second section (after its header).
    let meta: Vec<(usize, usize)> = starts
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|&(a, _)| a > split)
        .take_while(|&(a, _)| !is_event(ty(a)))
        .collect();
    assert!(meta.len() >= 3, "second section metadata blocks: {meta:?}");
    let outcome = |bytes: Vec<u8>, decode: bool| -> (u64, Option<String>) {
        let mut r = match open_bytes(bytes) {
            Ok(r) => r,
            Err(e) => return (0, Some(e.to_string())),
        };
        r.decode_later_metadata(decode);
        let mut n = 0;
        loop {
            match r.next_item() {
                Ok(None) => return (n, None),
                Ok(Some(Item::Event(_))) => n += 1,
                Ok(Some(Item::Section(m))) => {
                    assert_eq!(m.procs.is_empty(), !decode, "procs decoded iff asked");
                }
                Err(e) => return (n, Some(e.to_string())),
            }
        }
    };
    let clean = outcome(cat.clone(), false);
    assert_eq!(clean, outcome(cat.clone(), true));
    assert!(clean.1.is_none(), "{clean:?}");
    let mut rng = Rng(0x5eed);
    let mut errors = 0;
    for _ in 0..400 {
        let (a, b) = meta[rng.below(meta.len())];
        // A byte of the block body (not its framing).
        let at = a + 8 + rng.below(b - a - 12);
        let mut bad = cat.clone();
        bad[at] = (rng.next() & 0xff) as u8 | 0x80;
        let want = outcome(bad.clone(), true);
        let got = outcome(bad, false);
        assert_eq!(got, want, "byte {at} of block {a}..{b}");
        errors += usize::from(want.1.is_some());
    }
    // Most body bytes are text, which any value fits; some hit lengths.
    assert!(
        errors >= 10,
        "only {errors} of 400 damaged files gave an error"
    );
}

/// Everything a source hands out, for comparing two ways of reading.
fn drain_source(src: &mut dyn Source) -> (Vec<Ev>, Vec<CaptureMeta>, Option<String>) {
    let mut events = Vec::new();
    let mut sections = Vec::new();
    let error = loop {
        match src.next_item() {
            Ok(None) => break None,
            Ok(Some(Item::Event(e))) => events.push(Ev {
                cpu: e.cpu,
                flags: e.dump_flags,
                bytes: e.bytes().to_vec(),
            }),
            Ok(Some(Item::Section(m))) => sections.push(*m),
            Err(e) => break Some(e.to_string()),
        }
    };
    (events, sections, error)
}

/// The types of the events a source hands out in runs, its sections and
/// how it ended.
fn drain_types(src: &mut dyn Source) -> (Vec<(u16, u32)>, usize, Option<String>) {
    use syspect::capture::Run;
    let (mut types, mut sections) = (Vec::new(), 0);
    let error = loop {
        match src.next_run() {
            Ok(None) => break None,
            Ok(Some(Run::Events(e))) => types.extend(e.types()),
            Ok(Some(Run::Section(_))) => sections += 1,
            Err(e) => break Some(e.to_string()),
        }
    };
    (types, sections, error)
}

/// The pipelined reader (the file read ahead in chunks on one thread,
/// decoded on another) hands out exactly what the plain reader does: plain
/// and gzip, concatenated sections whose process list is longer than a
/// read-ahead chunk (so blocks straddle chunks), and truncated copies,
/// whose errors must match too.
#[test]
fn pipelined_reads_like_the_plain_reader() {
    use syspect::capture::pipeline::{Carry, Pipelined};
    use syspect::capture::scap::{ScapWriter, WriterOptions};
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.scap");
    {
        let r = ScapReader::open(capture("libs/sample.scap")).unwrap();
        let mut meta = r.meta().clone();
        let tmpl = meta.procs[0].clone();
        for i in 0..6000u64 {
            let mut p = tmpl.clone();
            p.tid = 1_000_000 + i;
            p.pid = p.tid;
            p.env = (0..8)
                .map(|k| format!("VAR{k}={}", "x".repeat(40 + (i as usize % 57))))
                .collect();
            meta.procs.push(p);
        }
        let mut w = ScapWriter::create_with(&big, &meta, &WriterOptions::default()).unwrap();
        for round in 0..3 {
            if round > 0 {
                w.write_section(&meta).unwrap();
            }
            let mut r = ScapReader::open(capture("libs/sample.scap")).unwrap();
            while let Some(it) = r.next_item().unwrap() {
                if let Item::Event(e) = it {
                    w.write_event(&e).unwrap();
                }
            }
        }
        w.finish().unwrap();
    }
    let big = std::fs::read(&big).unwrap();
    assert!(big.len() > 4 << 20, "{} bytes", big.len());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &big).unwrap();
    let gz = gz.finish().unwrap();
    let mut cases = vec![("big", big.clone()), ("big.gz", gz.clone())];
    for cut in [big.len() / 3, big.len() / 2 + 7, big.len() - 5] {
        cases.push(("big, truncated", big[..cut].to_vec()));
    }
    cases.push(("big.gz, truncated", gz[..gz.len() * 2 / 3].to_vec()));
    for rel in [
        "sysflow/mpm-event_full_capture.scap",
        "falco/cat_write.scap",
    ] {
        cases.push((rel, file_bytes(rel)));
    }
    // Damaged events, v2 and v1 (the batch loop checks v2 blocks in a
    // pass of its own): the same events up to the damage, the same error.
    for rel in [
        "falco/cat_write.scap",
        "bencer-examples/example0_nginx.scap",
    ] {
        let good = file_bytes(rel);
        for k in 1..=60 {
            let mut b = good.clone();
            let at = b.len() * k / 61;
            b[at] ^= if k % 2 == 0 { 0x5a } else { 0x01 };
            cases.push(("flipped", b));
        }
    }
    for (name, bytes) in cases {
        let plain = match open_bytes(bytes.clone()) {
            Ok(mut r) => drain_source(&mut r),
            // Damage in the first section's metadata: nothing to compare.
            Err(_) if name == "flipped" => continue,
            Err(e) => panic!("{name}: {e}"),
        };
        // A consumer of the types alone sees the same types and error.
        let mut types =
            Pipelined::start_with(open_bytes(bytes.clone()).unwrap(), Carry::Types).unwrap();
        let types = drain_types(&mut types);
        let want: Vec<(u16, u32)> = plain
            .0
            .iter()
            .map(|e| (u16::from_le_bytes([e.bytes[20], e.bytes[21]]), e.flags))
            .collect();
        assert_eq!(types.2, plain.2, "{name}: the error, types only");
        assert!(types.0 == want, "{name}: types differ");
        assert_eq!(types.1, plain.1.len(), "{name}: sections, types only");
        let mut piped = Pipelined::start(open_bytes(bytes).unwrap()).unwrap();
        let piped = drain_source(&mut piped);
        assert_eq!(piped.2, plain.2, "{name}: the error");
        assert_eq!(piped.0.len(), plain.0.len(), "{name}: events");
        assert!(piped.0 == plain.0, "{name}: event bytes differ");
        assert!(piped.1 == plain.1, "{name}: sections differ");
        if name == "big" {
            assert_eq!(plain.1.len(), 2);
            assert!(plain.2.is_none());
        }
    }
}

// ------------------------------------------------------------ synthetic files

fn block(bt: u32, body: &[u8]) -> Vec<u8> {
    let total = (8 + body.len() + 4 + 3) & !3;
    let mut v = Vec::new();
    v.extend_from_slice(&bt.to_le_bytes());
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(body);
    v.resize(total - 4, 0);
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v
}

fn shb(major: u16, minor: u16, options: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    b.extend_from_slice(&major.to_le_bytes());
    b.extend_from_slice(&minor.to_le_bytes());
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(options);
    block(0x0A0D_0D0A, &b)
}

/// A v1 event: 22-byte header, u16 lengths, values.
fn v1_event(ts: u64, tid: u64, etype: u16, params: &[&[u8]]) -> Vec<u8> {
    let len = 22 + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
    let mut v = Vec::new();
    v.extend_from_slice(&ts.to_le_bytes());
    v.extend_from_slice(&tid.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v.extend_from_slice(&etype.to_le_bytes());
    for p in params {
        v.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        v.extend_from_slice(p);
    }
    v
}

fn ev_body(cpu: u16, flags: Option<u32>, ev: &[u8], trailing: &[u8]) -> Vec<u8> {
    let mut b = cpu.to_le_bytes().to_vec();
    if let Some(f) = flags {
        b.extend_from_slice(&f.to_le_bytes());
    }
    b.extend_from_slice(ev);
    b.extend_from_slice(trailing);
    b
}

fn mi_body(host: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(&(8u64 << 30).to_le_bytes());
    b.extend_from_slice(&32768u64.to_le_bytes());
    let mut h = [0u8; 128];
    h[..host.len()].copy_from_slice(host.as_bytes());
    b.extend_from_slice(&h);
    b.extend_from_slice(&[0u8; 32]);
    b
}

#[test]
fn synthetic_generations() {
    use syspect::event::build_event;
    let fd = 3i64.to_le_bytes();
    let mut f = shb(1, 0, &[1, 0, 4, 0, b'a', b'b', b'c', b'd', 0, 0, 0, 0]);
    f.extend(block(0x999, b"unknown block before events"));
    f.extend(block(0x8002_ABCD, &mi_body("legacy-host"))); // legacy MI id
                                                           // close enter (4), v1, in an EVF block with flags = 1 and trailing
                                                           // pcapng-option bytes after the event.
    f.extend(block(
        0x208,
        &ev_body(2, Some(1), &v1_event(10, 7, 4, &[&fd]), &[9, 9, 9, 9]),
    ));
    // open exit (3) from an old writer: 4 of today's 6 parameters.
    let name = b"/etc/passwd\0";
    let res = 3i64.to_le_bytes();
    let fl = 1u32.to_le_bytes();
    let mode = 0u32.to_le_bytes();
    f.extend(block(
        0x8010_ABCD,
        &ev_body(1, None, &v1_event(11, 7, 3, &[&res, name, &fl, &mode]), &[]),
    ));
    // An event type beyond the table: skipped and counted.
    f.extend(block(
        0x216,
        &ev_body(0, None, &build_event(12, 7, 60000, &[b"x"]), &[]),
    ));
    // EVF_V2_LARGE with a container JSON 2 event (u32 lengths).
    let json = vec![b'{'; 70000];
    let big = build_event(13, 7, 324, &[&json]);
    f.extend(block(0x222, &ev_body(3, Some(1), &big, &[])));
    f.extend(block(
        0x216,
        &ev_body(0, None, &build_event(14, 7, 5, &[&0i64.to_le_bytes()]), &[]),
    ));

    let mut r = open_bytes(f).unwrap();
    assert_eq!(r.version(), (1, 0));
    assert_eq!(r.meta().machine.as_ref().unwrap().hostname, "legacy-host");
    let mut got = Vec::new();
    while let Some(it) = r.next_item().unwrap() {
        let Item::Event(e) = it else { panic!() };
        got.push((
            e.cpu,
            e.dump_flags,
            e.etype(),
            e.nparams(),
            e.ts(),
            e.bytes().to_vec(),
        ));
    }
    assert_eq!(r.skipped_unknown(), 1);
    assert_eq!(r.skipped_blocks(), 1);
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].5, build_event(10, 7, 4, &[&fd]));
    assert_eq!((got[0].0, got[0].1, got[0].3), (2, 1, 1));
    assert_eq!(got[1].5, build_event(11, 7, 3, &[&res, name, &fl, &mode]));
    assert_eq!((got[1].0, got[1].1, got[1].3), (1, 0, 4));
    assert_eq!(got[2].5, big);
    assert_eq!((got[2].0, got[2].1), (3, 1));
    assert_eq!(got[3].4, 14);
    assert_eq!(r.stats().events, 4);
}

#[test]
fn synthetic_errors() {
    use syspect::event::build_event;
    let ev = block(
        0x216,
        &ev_body(0, None, &build_event(1, 1, 4, &[&3i64.to_le_bytes()]), &[]),
    );
    let check = |f: Vec<u8>, want: &str| {
        let e = match open_bytes(f) {
            Err(e) => e,
            Ok(r) => drain(r, false).error.expect("an error"),
        };
        assert!(e.to_string().contains(want), "want {want:?}: {e}");
        assert!(e.offset().is_some());
    };
    // Major version 2.
    check(shb(2, 0, &[]), "unsupported scap version 2.0");
    // Byte-swapped section.
    let mut f = shb(1, 2, &[]);
    f[8..12].copy_from_slice(&0x4D3C_2B1Au32.to_le_bytes());
    check(f, "byte-swapped");
    // Bad trailer.
    let mut f = shb(1, 2, &[]);
    f.extend(block(0x201, &mi_body("h")));
    let n = f.len();
    f[n - 1] ^= 0x40;
    check(f, "wrong block total length");
    // Metadata block after events without a new section header.
    let mut f = shb(1, 2, &[]);
    f.extend(ev.clone());
    f.extend(block(0x201, &mi_body("h")));
    check(f, "after events");
    // Event whose parameter lengths overrun it.
    let mut bad = build_event(1, 1, 4, &[&3i64.to_le_bytes()]);
    bad[26] = 0xff;
    let mut f = shb(1, 2, &[]);
    f.extend(block(0x216, &ev_body(0, None, &bad, &[])));
    check(f, "invalid event");
    // v1 event whose lengths cannot match any parameter count.
    let mut v1 = v1_event(1, 1, 4, &[&3i64.to_le_bytes()]);
    v1.extend_from_slice(&[0; 4]);
    let l = v1.len() as u32;
    v1[16..20].copy_from_slice(&l.to_le_bytes());
    let mut f = shb(1, 0, &[]);
    f.extend(block(0x204, &ev_body(0, None, &v1, &[])));
    check(f, "cannot convert v1 event");
    // A truncated second section header.
    let mut f = shb(1, 2, &[]);
    f.extend(ev.clone());
    f.extend(&shb(1, 2, &[])[..20]);
    check(f, "truncated");
}

#[test]
fn empty_section_is_an_empty_capture() {
    let mut r = open_bytes(shb(1, 2, &[])).unwrap();
    assert!(r.meta().procs.is_empty());
    assert!(r.next_item().unwrap().is_none());
}

#[test]
#[ignore]
fn read_speed() {
    // cargo test --release --test scap_read read_speed -- --ignored --nocapture
    let mut total = 0u64;
    let mut events = 0u64;
    let t0 = std::time::Instant::now();
    for _ in 0..20 {
        for c in CORPUS {
            let r = ScapReader::open(capture(c.path)).unwrap();
            total += std::fs::metadata(capture(c.path)).unwrap().len();
            events += drain(r, false).count;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "{events} events, {:.1} MB on disk in {dt:.2}s: {:.1} Mevents/s, {:.0} MB/s",
        total as f64 / 1e6,
        events as f64 / dt / 1e6,
        total as f64 / dt / 1e6
    );
}

#[test]
#[ignore]
fn read_speed_one() {
    // FILE=sysflow/mpm-event_full_capture.scap cargo test --release ...
    let rel =
        std::env::var("FILE").unwrap_or_else(|_| "sysflow/mpm-event_full_capture.scap".into());
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..50 {
        let t0 = std::time::Instant::now();
        events = drain(ScapReader::open(capture(&rel)).unwrap(), false).count;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "{rel}: {events} events, best {:.3} ms per read: {:.1} Mevents/s",
        best * 1e3,
        events as f64 / best / 1e6
    );
}

fn s16(v: &mut Vec<u8>, s: &[u8]) {
    v.extend_from_slice(&(s.len() as u16).to_le_bytes());
    v.extend_from_slice(s);
}

/// One process-list entry of version `ver` (1..=8), per scap-format.md §6.
fn pl_entry(ver: u8, tid: u64) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [tid, tid, 1] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    if ver >= 6 {
        v.extend_from_slice(&77u64.to_le_bytes()); // sid
    }
    if ver >= 8 {
        v.extend_from_slice(&78u64.to_le_bytes()); // vpgid
    }
    s16(&mut v, b"bash");
    s16(&mut v, b"/bin/bash");
    if ver >= 7 {
        s16(&mut v, b"/usr/bin/bash");
    }
    s16(&mut v, b"-c\0echo hi"); // no trailing NUL: tolerated
    s16(&mut v, b"/root");
    v.extend_from_slice(&1024u64.to_le_bytes());
    for x in [0u32, 1000, 1001] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    if ver >= 2 {
        for x in [10u32, 11, 12] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend_from_slice(&13u64.to_le_bytes());
        v.extend_from_slice(&14u64.to_le_bytes());
        if ver >= 3 {
            s16(&mut v, b"A=1\0B=2\0");
        }
        if ver >= 4 {
            v.extend_from_slice(&5i64.to_le_bytes());
            v.extend_from_slice(&6i64.to_le_bytes());
            s16(&mut v, b"cpu=/x\0");
            if ver >= 5 {
                s16(&mut v, b"/");
            }
        }
    }
    v
}

#[test]
fn synthetic_old_metadata_blocks() {
    let pl_ids = [
        0x8000_ABCDu32,
        0x8013_ABCD,
        0x209,
        0x210,
        0x211,
        0x212,
        0x213,
        0x214,
    ];
    for (i, &bt) in pl_ids.iter().enumerate() {
        let ver = i as u8 + 1;
        let mut f = shb(1, 0, &[]);
        let mut body = pl_entry(ver, 100);
        body.extend(pl_entry(ver, 101));
        f.extend(block(bt, &body));
        // FDL v1: a unix socket and a v1 file.
        let mut fdl = 100u64.to_le_bytes().to_vec();
        fdl.extend_from_slice(&5i64.to_le_bytes());
        fdl.extend_from_slice(&9u64.to_le_bytes());
        fdl.push(8);
        fdl.extend_from_slice(&1u64.to_le_bytes());
        fdl.extend_from_slice(&2u64.to_le_bytes());
        s16(&mut fdl, b"/run/sock");
        fdl.extend_from_slice(&6i64.to_le_bytes());
        fdl.extend_from_slice(&10u64.to_le_bytes());
        fdl.push(1);
        s16(&mut fdl, b"/tmp/f");
        f.extend(block(0x203, &fdl));
        // IL v1: IPv4 without link speed, IPv6 without link speed.
        let mut il = Vec::new();
        il.extend_from_slice(&3u16.to_le_bytes());
        il.extend_from_slice(&2u16.to_le_bytes());
        il.extend_from_slice(&[127, 0, 0, 1, 255, 0, 0, 0, 127, 255, 255, 255]);
        il.extend_from_slice(b"lo");
        il.extend_from_slice(&4u16.to_le_bytes());
        il.extend_from_slice(&4u16.to_le_bytes());
        il.extend_from_slice(&[1u8; 48]);
        il.extend_from_slice(b"eth0");
        f.extend(block(0x205, &il));
        // UL v1: a user and a group.
        let mut ul = vec![0u8];
        ul.extend_from_slice(&0u32.to_le_bytes());
        ul.extend_from_slice(&0u32.to_le_bytes());
        s16(&mut ul, b"root");
        s16(&mut ul, b"/root");
        s16(&mut ul, b"/bin/sh");
        ul.push(1);
        ul.extend_from_slice(&0u32.to_le_bytes());
        s16(&mut ul, b"root");
        f.extend(block(0x206, &ul));

        let r = open_bytes(f).unwrap_or_else(|e| panic!("PL_V{ver}: {e}"));
        let m = r.meta();
        assert_eq!(m.procs.len(), 2, "PL_V{ver}");
        let p = &m.procs[1];
        assert_eq!(
            (p.tid, p.comm.as_str(), p.exe.as_str()),
            (101, "bash", "/bin/bash")
        );
        assert_eq!(p.args, ["-c", "echo hi"], "PL_V{ver}");
        assert_eq!(
            (p.cwd.as_str(), p.fdlimit, p.uid, p.gid),
            ("/root", 1024, 1000, 1001)
        );
        assert_eq!(p.sid, if ver >= 6 { 77 } else { u64::MAX }, "PL_V{ver}");
        assert_eq!(p.vpgid, if ver >= 8 { 78 } else { u64::MAX }, "PL_V{ver}");
        assert_eq!(p.exepath, if ver >= 7 { "/usr/bin/bash" } else { "" });
        assert_eq!(p.vmrss_kb, if ver >= 2 { 11 } else { 0 }, "PL_V{ver}");
        assert_eq!(p.env.len(), if ver >= 3 { 2 } else { 0 }, "PL_V{ver}");
        assert_eq!(p.vpid, if ver >= 4 { 6 } else { -1 }, "PL_V{ver}");
        assert_eq!(p.cgroups.len(), usize::from(ver >= 4), "PL_V{ver}");
        assert_eq!(p.root, if ver >= 5 { "/" } else { "" }, "PL_V{ver}");
        assert_eq!(p.loginuid, u32::MAX);
        assert_eq!(m.fds.len(), 2);
        assert!(
            matches!(&m.fds[0].info, FdInfo::Unix { source: 1, dest: 2, path } if path == "/run/sock")
        );
        assert!(matches!(&m.fds[1].info, FdInfo::Named { name, .. } if name == "/tmp/f"));
        assert_eq!(m.fds[1].ftype, FdType::File);
        assert_eq!(m.interfaces.len(), 2);
        assert_eq!(m.users.len(), 1);
        assert_eq!(m.groups.len(), 1);
    }
}

/// One event longer than many read-ahead chunks (a 40 MB container JSON,
/// legal in a large-payload block) is gathered in one buffer that grows:
/// memory stays near the event's size. (Each further chunk used to copy
/// all that was gathered into a new buffer, every old one kept: a 24 MB
/// event took 565 MB, a 240 MB one over 8 GB, found by fuzzing.) Run with
/// its address space capped at 1 GB (`prlimit`), which the old reader
/// (1.6 GB for this event) overran and aborted. (A child's peak RSS from
/// wait4 would count the test process's own memory: a spawned child
/// starts on its parent's pages.)
#[test]
fn one_huge_event_reads_in_linear_memory() {
    use syspect::event::build_event;
    let path = {
        let json = vec![b'{'; 40 << 20];
        let big = build_event(13, 7, 324, &[&json]);
        let mut f = shb(1, 0, &[]);
        // A small event first: a capture's leading container events are
        // libsinsp's own (not counted by -v).
        let small = build_event(12, 7, 4, &[&3i64.to_le_bytes()]);
        f.extend(block(0x217, &ev_body(0, Some(0), &small, &[])));
        f.extend(block(0x222, &ev_body(0, Some(0), &big, &[])));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("huge.scap");
        std::fs::write(&path, &f).expect("write capture");
        (dir, path)
    };
    let o = std::process::Command::new("prlimit")
        .arg("--as=1000000000")
        .arg(env!("CARGO_BIN_EXE_syspect"))
        .args(["dig", "-r", &path.1.to_string_lossy(), "-q", "-v"])
        .output()
        .expect("run prlimit (util-linux)");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("Captured Events: 2"), "{err}");
}
