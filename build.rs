//! Generates the event and syscall tables (Rust statics from the files in
//! `assets/`, see `assets/*_gen.rs`) and compiles the eBPF probe
//! (`ebpf/probe.bpf.c`) with clang `-target bpf`.
//!
//! `vmlinux.h` is generated into `OUT_DIR` with `bpftool btf dump` from the
//! running kernel's BTF (or taken from `$SYSPECT_VMLINUX_H`); the probe uses
//! CO-RE, so the object loads on other BTF-enabled kernels too.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "assets/event_table_gen.rs"]
mod event_table_gen;
#[path = "assets/syscalls_gen.rs"]
mod syscalls_gen;

const SOURCES: &[&str] = &[
    "ebpf/probe.bpf.c",
    "ebpf/builder.h",
    "ebpf/kread.h",
    "ebpf/ppm.h",
    "ebpf/syscall_table.h",
];

fn fail(msg: &str) -> ! {
    eprintln!("\nerror: {msg}\n");
    std::process::exit(1);
}

fn tool_exists(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn vmlinux_h(out: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=SYSPECT_VMLINUX_H");
    if let Ok(p) = env::var("SYSPECT_VMLINUX_H") {
        return PathBuf::from(p);
    }
    let dest = out.join("vmlinux.h");
    let btf = Path::new("/sys/kernel/btf/vmlinux");
    if !btf.exists() {
        fail(
            "building the eBPF probe needs kernel BTF at /sys/kernel/btf/vmlinux \
             (or set SYSPECT_VMLINUX_H to a vmlinux.h file)",
        );
    }
    let bpftool = ["bpftool", "/usr/sbin/bpftool"]
        .into_iter()
        .find(|t| {
            Command::new(t)
                .arg("version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        })
        .unwrap_or_else(|| {
            fail(
                "building the eBPF probe needs `bpftool` to generate vmlinux.h \
                 (apt-get install bpftool), or set SYSPECT_VMLINUX_H to a vmlinux.h file",
            )
        });
    let outp = Command::new(bpftool)
        .args(["btf", "dump", "file"])
        .arg(btf)
        .args(["format", "c"])
        .output()
        .unwrap_or_else(|e| fail(&format!("running bpftool failed: {e}")));
    if !outp.status.success() {
        fail(&format!(
            "bpftool btf dump failed: {}",
            String::from_utf8_lossy(&outp.stderr)
        ));
    }
    std::fs::write(&dest, &outp.stdout)
        .unwrap_or_else(|e| fail(&format!("writing {}: {e}", dest.display())));
    dest
}

/// Writes `OUT_DIR/<name>` from the two asset files `inputs`, with `gen`
/// (`what` names the result in errors).
fn generate<E: std::fmt::Display>(
    out: &Path,
    name: &str,
    inputs: [&str; 2],
    what: &str,
    gen: fn(&str, &str) -> Result<String, E>,
) {
    for p in inputs {
        println!("cargo:rerun-if-changed={p}");
    }
    let read =
        |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| fail(&format!("reading {p}: {e}")));
    let src = gen(&read(inputs[0]), &read(inputs[1]))
        .unwrap_or_else(|e| fail(&format!("generating {what}: {e}")));
    let dest = out.join(name);
    std::fs::write(&dest, src)
        .unwrap_or_else(|e| fail(&format!("writing {}: {e}", dest.display())));
}

/// Writes `OUT_DIR/event_table.rs` for `src/event/table.rs`.
fn event_table(out: &Path) {
    generate(
        out,
        "event_table.rs",
        ["assets/event-table.json", "assets/sysdig-0.29.3-events.txt"],
        "the event table",
        event_table_gen::generate,
    );
}

/// Writes `OUT_DIR/syscalls.rs` for `src/event/syscalls.rs`.
fn syscall_tables(out: &Path) {
    generate(
        out,
        "syscalls.rs",
        ["assets/ppm_sc.txt", "assets/syscalls_x86_64.txt"],
        "the syscall tables",
        syscalls_gen::generate,
    );
}

/// Whether the binary gets its relative relocations packed: a GNU/Linux
/// build for the machine it runs on, whose glibc is 2.36 or later. The
/// linker (lld as ld) marks a packed binary as needing glibc's
/// `GLIBC_ABI_DT_RELR` whatever the glibc it links against: an older one
/// refuses to start it ("version `GLIBC_ABI_DT_RELR' not found"). Only
/// the build machine's glibc is known, so a cross build leaves them be.
fn packs_relocs() -> bool {
    let var = |k: &str| env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("HOST") != var("TARGET")
    {
        return false;
    }
    // "glibc 2.36"
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut v = text
        .trim()
        .strip_prefix("glibc ")
        .unwrap_or_default()
        .split('.')
        .map(|n| n.parse::<u32>().ok());
    matches!((v.next(), v.next()), (Some(Some(major)), Some(Some(minor))) if (major, minor) >= (2, 36))
}

fn main() {
    // The binary's relative relocations packed (DT_RELR, glibc 2.36 and
    // later): the loader applied some 27,000 of them one by one at every
    // start. Packed, a `dig -r` of a small capture starts about 0.5 ms
    // sooner (3.0 -> 2.4 ms); the binary stays position-independent. (The
    // binary is static, `.cargo/config.toml`: glibc's static start-up code
    // applies them, packed or not.)
    if packs_relocs() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    for s in SOURCES {
        println!("cargo:rerun-if-changed={s}");
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| fail("OUT_DIR not set")));
    event_table(&out);
    syscall_tables(&out);
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".to_string());
    println!("cargo:rerun-if-env-changed=CLANG");
    if !tool_exists(&clang) {
        fail(&format!(
            "building the eBPF probe needs clang with the BPF target, but `{clang}` was not \
             found (apt-get install clang libbpf-dev, or set CLANG=/path/to/clang)"
        ));
    }
    if !Path::new("/usr/include/bpf/bpf_helpers.h").exists() {
        fail("building the eBPF probe needs libbpf headers (apt-get install libbpf-dev)");
    }
    let vmlinux = vmlinux_h(&out);
    let vdir = vmlinux.parent().map(Path::to_path_buf).unwrap_or_default();
    let obj = out.join("probe.bpf.o");
    // Extra clang flags for probe experiments (e.g. -DSOME_SWITCH).
    println!("cargo:rerun-if-env-changed=SYSPECT_PROBE_CFLAGS");
    let extra = env::var("SYSPECT_PROBE_CFLAGS").unwrap_or_default();
    let status = Command::new(&clang)
        .args([
            "-target",
            "bpf",
            "-O2",
            "-g",
            "-D__TARGET_ARCH_x86",
            "-Wall",
        ])
        .args(["-Wno-unused-function", "-Wno-address-of-packed-member"])
        .args(extra.split_whitespace())
        .arg("-I")
        .arg(&vdir)
        .args(["-I", "ebpf", "-c", "ebpf/probe.bpf.c", "-o"])
        .arg(&obj)
        .status()
        .unwrap_or_else(|e| fail(&format!("running clang failed: {e}")));
    if !status.success() {
        fail("clang failed to compile ebpf/probe.bpf.c (see the messages above)");
    }
}
