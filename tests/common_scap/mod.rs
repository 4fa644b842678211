//! Shared helpers of the scap reader/writer tests: where the corpus is,
//! its expected counts, and a "read everything" helper.
#![allow(dead_code)]

use std::path::PathBuf;

use syspect::capture::scap::{ScapError, ScapReader};
use syspect::capture::{CaptureMeta, Item, Source, SourceError};

/// The shared folder: `$SYSPECT_SHARED`, else `../shared` beside the repo.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SYSPECT_SHARED") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")),
    }
}

pub fn captures_dir() -> PathBuf {
    shared_dir().join("captures")
}

pub fn capture(rel: &str) -> PathBuf {
    let p = captures_dir().join(rel);
    assert!(
        p.exists(),
        "capture {} not found (set SYSPECT_SHARED to the shared folder)",
        p.display()
    );
    p
}

/// One corpus file with the counts from `captures/README.md`.
pub struct Case {
    pub path: &'static str,
    /// Event blocks in the file (= events yielded + unknown types skipped).
    pub event_blocks: u64,
    /// `sysdig -r FILE | wc -l` with sysdig 0.29.3, `None` if it cannot read it.
    pub sysdig_lines: Option<u64>,
    /// Minor version of the section header (major is always 1).
    pub shb_minor: u16,
}

pub const CORPUS: &[Case] = &[
    Case {
        path: "bencer-examples/example0_nginx.scap",
        shb_minor: 0,
        event_blocks: 143,
        sysdig_lines: Some(41),
    },
    Case {
        path: "bencer-examples/example2_502error.scap",
        shb_minor: 0,
        event_blocks: 22381,
        sysdig_lines: Some(9478),
    },
    Case {
        path: "bencer-examples/example4_example4-1.scap",
        shb_minor: 0,
        event_blocks: 6440,
        sysdig_lines: Some(6255),
    },
    Case {
        path: "bencer-examples/example4_example4-2.scap",
        shb_minor: 0,
        event_blocks: 6816,
        sysdig_lines: Some(6554),
    },
    Case {
        path: "bencer-examples/example5_httpd.scap",
        shb_minor: 0,
        event_blocks: 405,
        sysdig_lines: Some(253),
    },
    Case {
        path: "bencer-examples/example5_nginx.scap",
        shb_minor: 0,
        event_blocks: 310,
        sysdig_lines: Some(158),
    },
    Case {
        path: "falco/cat_write.scap",
        shb_minor: 0,
        event_blocks: 345,
        sysdig_lines: Some(85),
    },
    Case {
        path: "falco/connect_localhost.scap",
        shb_minor: 0,
        event_blocks: 374,
        sysdig_lines: Some(8),
    },
    Case {
        path: "falco/empty.scap",
        shb_minor: 2,
        event_blocks: 143,
        sysdig_lines: Some(0),
    },
    Case {
        path: "falco/empty_old_with_containers.scap",
        shb_minor: 0,
        event_blocks: 83,
        sysdig_lines: Some(0),
    },
    Case {
        path: "falco/open-multiple-files.scap",
        shb_minor: 0,
        event_blocks: 1272,
        sysdig_lines: Some(86),
    },
    Case {
        path: "falco/ping_sendto.scap",
        shb_minor: 2,
        event_blocks: 1526,
        sysdig_lines: Some(20),
    },
    Case {
        path: "falco/psp_privileged.scap",
        shb_minor: 2,
        event_blocks: 2059,
        sysdig_lines: Some(2),
    },
    Case {
        path: "falco/psp_run_as_user_0_container.scap",
        shb_minor: 2,
        event_blocks: 4143,
        sysdig_lines: Some(3796),
    },
    Case {
        path: "falco/psp_run_as_user_65534_container.scap",
        shb_minor: 2,
        event_blocks: 241,
        sysdig_lines: Some(2),
    },
    Case {
        path: "falco/psp_write_tmp_test.scap",
        shb_minor: 2,
        event_blocks: 229,
        sysdig_lines: Some(2),
    },
    Case {
        path: "falco/syscall.scap",
        shb_minor: 1,
        event_blocks: 368,
        sysdig_lines: Some(12),
    },
    Case {
        path: "libs/curl_google.scap",
        shb_minor: 0,
        event_blocks: 1536,
        sysdig_lines: Some(1221),
    },
    Case {
        path: "libs/curl_google_comments.scap",
        shb_minor: 0,
        event_blocks: 1536,
        sysdig_lines: None,
    },
    Case {
        path: "libs/sample.scap",
        shb_minor: 2,
        event_blocks: 572,
        sysdig_lines: Some(402),
    },
    Case {
        path: "libs/single_ipv6_conn.scap",
        shb_minor: 2,
        event_blocks: 1728,
        sysdig_lines: Some(28),
    },
    Case {
        path: "libs/test_ipv6_client.scap",
        shb_minor: 0,
        event_blocks: 326,
        sysdig_lines: Some(68),
    },
    Case {
        path: "students/Aurelabe_curl.scap",
        shb_minor: 2,
        event_blocks: 5394,
        sysdig_lines: None,
    },
    Case {
        path: "sysflow/alpine_alpine.scap",
        shb_minor: 2,
        event_blocks: 8840,
        sysdig_lines: Some(831),
    },
    Case {
        path: "sysflow/client-server_tcp-client-server.scap",
        shb_minor: 2,
        event_blocks: 2302,
        sysdig_lines: Some(173),
    },
    Case {
        path: "sysflow/files_files.scap",
        shb_minor: 2,
        event_blocks: 2186,
        sysdig_lines: Some(204),
    },
    Case {
        path: "sysflow/files_files_old.scap",
        shb_minor: 2,
        event_blocks: 3525,
        sysdig_lines: Some(183),
    },
    Case {
        path: "sysflow/files_filesat.scap",
        shb_minor: 2,
        event_blocks: 1697,
        sysdig_lines: Some(203),
    },
    Case {
        path: "sysflow/mpm-event_full_capture.scap",
        shb_minor: 2,
        event_blocks: 35860,
        sysdig_lines: Some(34682),
    },
    Case {
        path: "sysflow/namespaces_setns.scap",
        shb_minor: 2,
        event_blocks: 9947,
        sysdig_lines: Some(7899),
    },
    Case {
        path: "sysflow/objectstore_download.scap",
        shb_minor: 2,
        event_blocks: 20306,
        sysdig_lines: Some(18422),
    },
    Case {
        path: "sysflow/rename_rename.scap",
        shb_minor: 2,
        event_blocks: 4525,
        sysdig_lines: Some(360),
    },
    Case {
        path: "sysflow/rename_rename2at.scap",
        shb_minor: 2,
        event_blocks: 2253,
        sysdig_lines: Some(231),
    },
    Case {
        path: "sysflow/setuid_setuid.scap",
        shb_minor: 2,
        event_blocks: 1973,
        sysdig_lines: Some(156),
    },
];

pub const NEGATIVE_PCAPNG: &str = "negative/bennythejudge_output_is_tcpdump_pcapng.scap";

/// An event as read: cpu, dump flags, v2 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ev {
    pub cpu: u16,
    pub flags: u32,
    pub bytes: Vec<u8>,
}

/// Everything a reader produced until the end or its first error.
#[derive(Debug)]
pub struct ReadAll {
    pub meta: CaptureMeta,
    pub events: Vec<Ev>,
    /// Events delivered (also when not kept).
    pub count: u64,
    pub sections: Vec<CaptureMeta>,
    pub skipped_unknown: u64,
    pub error: Option<ScapError>,
}

/// Drains an opened reader (events kept only if `keep`).
pub fn drain(mut r: ScapReader, keep: bool) -> ReadAll {
    let mut events = Vec::new();
    let mut sections = Vec::new();
    let mut n = 0u64;
    let error = loop {
        match r.next_item() {
            Ok(None) => break None,
            Ok(Some(Item::Event(e))) => {
                n += 1;
                if keep {
                    events.push(Ev {
                        cpu: e.cpu,
                        flags: e.dump_flags,
                        bytes: e.bytes().to_vec(),
                    });
                }
            }
            Ok(Some(Item::Section(m))) => sections.push(*m),
            Err(SourceError::Scap(e)) => break Some(e),
            Err(e) => panic!("unexpected error kind: {e}"),
        }
        // A fused reader never yields more than the file can hold.
        assert!(n < 10_000_000, "reader does not terminate");
    };
    assert_eq!(
        r.stats().events,
        n,
        "stats().events counts delivered events"
    );
    // Fused after the end / an error.
    assert!(matches!(r.next_item(), Ok(None)));
    ReadAll {
        meta: r.meta().clone(),
        events,
        count: n,
        sections,
        skipped_unknown: r.skipped_unknown(),
        error,
    }
}

/// Counts items of an opened reader without keeping them.
pub fn count(r: ScapReader) -> (u64, u64, Option<ScapError>) {
    let a = drain(r, false);
    (a.count, a.skipped_unknown, a.error)
}

/// Whether sysdig is usable; with CI=true a missing sysdig is a failure.
pub fn sysdig() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/sysdig");
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but /usr/bin/sysdig is missing: install sysdig (apt-get install sysdig)");
    }
    eprintln!("skipping: /usr/bin/sysdig not installed");
    None
}

/// Output lines of `sysdig -r file` (stdout), or the error text.
pub fn sysdig_read(sysdig: &std::path::Path, file: &std::path::Path) -> Result<Vec<u8>, String> {
    let out = std::process::Command::new(sysdig)
        .arg("-r")
        .arg(file)
        .output()
        .map_err(|e| format!("running sysdig: {e}"))?;
    if !out.status.success() {
        let tail = &out.stdout[out.stdout.len().saturating_sub(300)..];
        return Err(format!(
            "sysdig -r {} failed ({}): {} / stdout ends with: {}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(tail)
        ));
    }
    Ok(out.stdout)
}
