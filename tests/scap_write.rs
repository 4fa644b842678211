//! Writing captures: round trips through our reader and through sysdig.

mod common_scap;

use std::path::Path;

use common_scap::*;
use syspect::capture::scap::{ScapReader, ScapWriter, WriterOptions};
use syspect::capture::{CaptureMeta, Item, Source};
use syspect::event::EventRef;

/// Reads `src` and writes everything (sections included) to `dst`.
fn copy_capture(src: &Path, dst: &Path, opts: &WriterOptions) -> (CaptureMeta, u64) {
    let mut r = ScapReader::open(src).unwrap();
    let mut w = ScapWriter::create_with(dst, r.meta(), opts).unwrap();
    let meta = r.meta().clone();
    let mut n = 0;
    while let Some(it) = r.next_item().unwrap() {
        match it {
            Item::Event(e) => {
                w.write_event(&e).unwrap();
                n += 1;
            }
            Item::Section(m) => w.write_section(&m).unwrap(),
        }
    }
    w.finish().unwrap();
    (meta, n)
}

#[test]
#[ignore]
fn sysdig_diff_explore() {
    let Some(sd) = sysdig() else { return };
    let dir = tempfile::tempdir().unwrap();
    for c in CORPUS.iter().filter(|c| c.sysdig_lines.is_some()) {
        let f = capture(c.path);
        let g = dir.path().join("g.scap");
        copy_capture(&f, &g, &WriterOptions::default());
        let fmt = "%evt.num %proc.pid %proc.exe %proc.name %proc.args %proc.env %proc.cwd %proc.ppid %proc.pname %proc.fdlimit %thread.tid %thread.cgroups %thread.vtid %proc.vpid %proc.sid %proc.sname %proc.tty %proc.exepath %proc.vpgid %proc.is_exe_writable %user.uid %user.name %user.homedir %user.shell %user.loginuid %user.loginname %group.gid %group.name %container.id %container.name %fd.num %fd.type %fd.name %fd.sip %fd.cip %fd.lport %fd.rport %fd.l4proto %fd.dev %evt.info";
        let run = |p: &Path| -> Result<Vec<u8>, String> {
            let o = std::process::Command::new(&sd)
                .arg("-r")
                .arg(p)
                .arg("-p")
                .arg(fmt)
                .output()
                .map_err(|e| e.to_string())?;
            if !o.status.success() {
                return Err(String::from_utf8_lossy(&o.stderr).into_owned());
            }
            Ok(o.stdout)
        };
        let a = run(&f).unwrap();
        let b = run(&g);
        match b {
            Err(e) => println!("{}: G unreadable: {e}", c.path),
            Ok(b) => {
                let la = a.split(|&x| x == b'\n').count();
                let lb = b.split(|&x| x == b'\n').count();
                let same = a == b;
                println!(
                    "{}: F {} lines (expect {:?}) G {} lines same={}",
                    c.path,
                    la - 1,
                    c.sysdig_lines,
                    lb - 1,
                    same
                );
                if !same {
                    std::fs::write(dir.path().join("a.txt"), &a).unwrap();
                    std::fs::write(dir.path().join("b.txt"), &b).unwrap();
                    let d = std::process::Command::new("diff")
                        .arg(dir.path().join("a.txt"))
                        .arg(dir.path().join("b.txt"))
                        .output()
                        .unwrap();
                    println!(
                        "{}",
                        String::from_utf8_lossy(&d.stdout)
                            .lines()
                            .take(10)
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            }
        }
    }
}

#[test]
#[ignore]
fn write_one() {
    let src = std::env::var("SRC").unwrap();
    let dst = std::env::var("DST").unwrap();
    let compat = std::env::var("COMPAT").map(|v| v == "1").unwrap_or(true);
    let opts = WriterOptions {
        sysdig_compat: compat,
        ..WriterOptions::default()
    };
    copy_capture(Path::new(&src), Path::new(&dst), &opts);
}
