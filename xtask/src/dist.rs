//! `cargo xtask dist`: the syspect binary the README installs and the
//! benches time, optimised with a profile of its own runs (profile-guided
//! optimisation, PGO).
//!
//! 1. An instrumented build (cargo profile `pgo-gen`) counts, as it runs,
//!    how often each branch and call is taken.
//! 2. It reads every capture of `$SYSPECT_SHARED/captures` (default:
//!    `../shared/captures` beside the repository) the ways users read
//!    them: printed, filtered, `-j`, `-p`, `-q`, through the views as
//!    `-j`; and, as root with eBPF, a second of live capture.
//! 3. `llvm-profdata` (rustup's `llvm-tools`) merges the counts.
//! 4. The final build (cargo profile `dist`) lays out and inlines the code
//!    by them: `target/<host triple>/dist/syspect`.
//!
//! Profiles change only how the code is arranged, never what it does; the
//! test suite checks the `dist` binary prints what the release one does
//! (`scripts/test.sh`). Whatever stops the profile (no `llvm-profdata`, no
//! captures, a failed instrumented build) leaves a `dist` binary built
//! without one, and says so. Two runs at once in one target directory
//! would share the training's directory: run one at a time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// Filters the training runs use on every capture: the kinds users
/// write (names, types, fds, sockets, users, negations, lists), not the
/// benches' own.
const FILTERS: &[&str] = &[
    "",
    "evt.type=open",
    "proc.name contains http",
    "fd.type=ipv4",
    "evt.type in (read, write) and fd.num>2",
    "not evt.dir=< and proc.pid>1",
    "fd.directory=/etc or fd.filename startswith lib",
    "evt.type=execve and evt.dir=<",
    "user.name=root and container.id!=host",
    "evt.failed=true",
    "proc.pname in (bash, sh, sshd) or proc.cmdline icontains python",
    "fd.sport=80 or fd.cport>1024",
];

/// Views read headless (`syspect -r F -j -v VIEW`) on each capture.
const VIEWS: &[&str] = &["procs", "files", "connections", "syscalls", "containers"];

/// Builds the `dist` binary (with PGO when it can) and returns its path.
/// Whatever stops the profile (no captures, no `llvm-profdata`, a failed
/// instrumented build, runs that left no counts) leaves a `dist` binary
/// built without one, and a line saying why.
pub fn dist() -> Result<PathBuf> {
    let root = super::root();
    let dir = super::artifact_dir(&root);
    let out = dir.join("dist/syspect");
    let stamp = dir.join("pgo/dist.stamp");
    let cpu = host_cpu_flags();
    match profile(&root, &dir, &stamp, &cpu) {
        Ok(profdata) => {
            eprintln!("dist: optimised build (cargo profile dist)...");
            let mut flags = cpu;
            flags.push(format!("-Cprofile-use={}", profdata.display()));
            cargo_build(&root, "dist", &flags)?;
            fs::write(&stamp, b"")?;
        }
        Err(why) => {
            eprintln!("dist: building without a profile: {why:#}");
            let _ = fs::remove_file(&stamp);
            cargo_build(&root, "dist", &cpu)?;
        }
    }
    Ok(out)
}

/// The flags that build for this machine's processor:
/// `-Ctarget-cpu=native` (its model, every feature it has, and off every
/// feature the model implies but it lacks, as a VM may hide some), and the
/// features rustc finds on it named as well: redundant for the code, but
/// they make a build on another processor (a VM moved to another host)
/// differ in its flags, so cargo rebuilds it rather than reuse a binary
/// that may not run there. On the bench's capture, 4-5% faster than a
/// build for the baseline (`cargo xtask bench filter`, 40 interleaved
/// runs of each filter): LLVM schedules for the model and uses its wider
/// instructions, and no Rust crate probes the CPU at start-up (`CPUID`,
/// which traps to the hypervisor on a VM; glibc's own probes stay). None
/// with `SYSPECT_PORTABLE=1` (a binary to copy to other machines), or
/// when rustc cannot tell what the host has.
fn host_cpu_flags() -> Vec<String> {
    if std::env::var_os("SYSPECT_PORTABLE").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("dist: SYSPECT_PORTABLE is set: building for the target's baseline CPU");
        return Vec::new();
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let features: Vec<String> = Command::new(&rustc)
        .args(["-Ctarget-cpu=native", "--print", "cfg"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("target_feature=\"")?.strip_suffix('"'))
        .map(|f| format!("+{f}"))
        .collect();
    if features.is_empty() {
        eprintln!("dist: rustc did not say what this machine's CPU has: building for the target's baseline");
        return Vec::new();
    }
    vec![
        "-Ctarget-cpu=native".to_string(),
        format!("-Ctarget-feature={}", features.join(",")),
    ]
}

/// The merged profile of the instrumented build's training runs: taken
/// again unless `stamp` (written once a dist binary is built from the
/// profile) is newer than the instrumented binary. (Training twice never
/// gives the same counts, and a new profile file rebuilds everything; the
/// final build runs either way, and is a no-op when nothing changed.)
fn profile(root: &Path, dir: &Path, stamp: &Path, cpu: &[String]) -> Result<PathBuf> {
    let (profdata_tool, captures) = pgo_inputs(root)?;
    let work = dir.join("pgo");
    let raw = work.join("raw");
    let profdata = work.join("syspect.profdata");
    eprintln!("dist: instrumented build (cargo profile pgo-gen)...");
    let mut flags = cpu.to_vec();
    flags.push(format!("-Cprofile-generate={}", raw.display()));
    cargo_build(root, "pgo-gen", &flags)?;
    let gen = dir.join("pgo-gen/syspect");
    if newer(stamp, &gen) && profdata.is_file() {
        return Ok(profdata);
    }
    let _ = fs::remove_file(stamp);
    let _ = fs::remove_dir_all(&raw);
    fs::create_dir_all(&raw)?;
    eprintln!("dist: training on {}...", captures.display());
    let runs = train(&gen, &captures, &raw);
    let profiles: Vec<PathBuf> = fs::read_dir(&raw)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "profraw"))
        .collect();
    if profiles.is_empty() {
        bail!(
            "the {runs} training runs left no profile in {} (was the build instrumented?)",
            raw.display()
        );
    }
    let st = Command::new(&profdata_tool)
        .arg("merge")
        .arg("-o")
        .arg(&profdata)
        .args(&profiles)
        .status()
        .with_context(|| format!("run {}", profdata_tool.display()))?;
    if !st.success() {
        bail!("llvm-profdata merge failed");
    }
    eprintln!("dist: profile from {runs} runs");
    Ok(profdata)
}

/// Whether `a` was written after `b` (false if either is missing).
fn newer(a: &Path, b: &Path) -> bool {
    let m = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((m(a), m(b)), (Some(x), Some(y)) if x > y)
}

/// `llvm-profdata` (installing rustup's `llvm-tools` if it is missing)
/// and the captures to train on; an error says why PGO cannot be done.
fn pgo_inputs(root: &Path) -> Result<(PathBuf, PathBuf)> {
    let shared = std::env::var_os("SYSPECT_SHARED")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    let captures = shared.join("captures");
    if !captures.is_dir() {
        bail!("no captures to train on at {}", captures.display());
    }
    let tool = match profdata_tool() {
        Some(t) => t,
        None => {
            eprintln!("dist: adding rustup's llvm-tools (for llvm-profdata)...");
            let _ = Command::new("rustup")
                .args(["component", "add", "llvm-tools"])
                .stdout(Stdio::null())
                .status();
            profdata_tool().context("llvm-profdata not found (rustup component llvm-tools)")?
        }
    };
    Ok((tool, captures))
}

/// rustc's own `llvm-profdata` (its LLVM reads the counts rustc writes).
fn profdata_tool() -> Option<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8(out.stdout).ok()?;
    let vv = Command::new(&rustc).arg("-vV").output().ok()?;
    let host = String::from_utf8(vv.stdout)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))?;
    let p = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/llvm-profdata");
    p.is_file().then_some(p)
}

/// `cargo build --profile PROFILE --bin syspect`, with `flags` added to
/// the rustflags: to those of `.cargo/config.toml` (`--config` adds to
/// them, the values quoted for TOML), or, when the environment sets
/// rustflags (which replace the configured ones), to those.
fn cargo_build(root: &Path, profile: &str, flags: &[String]) -> Result<()> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root)
        .args([
            "build", "--quiet", "--locked", "-p", "syspect", "--bin", "syspect",
        ])
        .args(["--profile", profile]);
    if !flags.is_empty() {
        // (Cargo takes the encoded form over the plain one.)
        let from_env: Option<Vec<String>> = match std::env::var("CARGO_ENCODED_RUSTFLAGS") {
            Ok(e) => Some(
                e.split('\x1f')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            Err(_) => std::env::var("RUSTFLAGS")
                .ok()
                .map(|r| r.split_whitespace().map(str::to_string).collect()),
        };
        match from_env {
            Some(mut all) => {
                all.extend_from_slice(flags);
                c.env_remove("RUSTFLAGS")
                    .env("CARGO_ENCODED_RUSTFLAGS", all.join("\x1f"));
            }
            None => {
                let quoted: Vec<String> = flags
                    .iter()
                    .map(|f| format!("\"{}\"", f.replace('\\', "\\\\").replace('"', "\\\"")))
                    .collect();
                c.arg("--config")
                    .arg(format!("build.rustflags=[{}]", quoted.join(", ")));
            }
        }
    }
    if !c.status()?.success() {
        bail!("cargo build --profile {profile} failed");
    }
    Ok(())
}

/// Runs the instrumented binary the ways users do; returns the number of
/// runs. Their exit status does not matter (some captures are refused on
/// purpose), only that they ran.
fn train(bin: &Path, captures: &Path, raw: &Path) -> usize {
    let files = scap_files(captures);
    let profile_file = raw.join("syspect-%m.profraw");
    let mut n = 0;
    let mut run = |args: &[&str]| {
        n += 1;
        let _ = Command::new(bin)
            .args(args)
            .env("LLVM_PROFILE_FILE", &profile_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    for f in &files {
        let f = f.to_string_lossy();
        for flt in FILTERS {
            run(&["dig", "-r", &f, flt]);
        }
        run(&["dig", "-r", &f, "-j", "evt.type!=switch"]);
        run(&[
            "dig",
            "-r",
            &f,
            "-p",
            "%evt.num %proc.cmdline %fd.name %evt.args %user.name %container.name",
        ]);
        run(&["dig", "-r", &f, "-q"]);
        run(&["dig", "-r", &f, "-S", "-q"]);
        for v in VIEWS {
            run(&["-r", &f, "-j", "-v", v]);
        }
    }
    // As root with eBPF: a second of live capture (quietly, then printed).
    if super::is_root() {
        run(&["dig", "-M", "1", "-q"]);
        run(&["dig", "-M", "1", "evt.type=open"]);
    }
    n
}

// scap_files: the capture files under a directory, found as the tests find them.
include!("../../tests/common/scap_files.rs");
