//! `cargo xtask bench <capture|filter|read|tui>`: syspect's benchmarks;
//! `cargo xtask dist`: the optimised binary they time (see `dist`).
//!
//! Each bench builds syspect as `dist` does, runs against sysdig on the same
//! input in the same run, prints a compact table and replaces its section in
//! `BENCHMARKS.md`. Temporary files live in one directory removed at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

mod dist;
mod tui;

const CAPTURES: &str = "/work/shared/captures";
const SYSDIG: &str = "/usr/bin/sysdig";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which: Vec<&str> = args.iter().map(String::as_str).collect();
    match which.as_slice() {
        ["bench", rest @ ..] if !rest.is_empty() => {
            for b in rest {
                match *b {
                    "capture" => bench_capture()?,
                    "containers" => bench_containers()?,
                    "filter" => bench_filter()?,
                    "read" => bench_read()?,
                    "tui" => tui::bench_tui()?,
                    "all" => {
                        bench_read()?;
                        bench_filter()?;
                        bench_containers()?;
                        tui::bench_tui()?;
                        bench_capture()?;
                    }
                    o => bail!(
                        "unknown bench '{o}': use capture, containers, filter, read, tui or all"
                    ),
                }
            }
            Ok(())
        }
        ["dist"] => {
            let bin = dist::dist()?;
            println!("{}", bin.display());
            Ok(())
        }
        _ => bail!(
            "usage: cargo xtask bench <capture|containers|filter|read|tui|all>... | cargo xtask dist"
        ),
    }
}

// ------------------------------------------------------------------ helpers

/// A temporary directory removed on drop (also on error paths).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<TempDir> {
        let p = std::env::temp_dir().join(format!("syspect-bench-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Bins {
    syspect: PathBuf,
    benchloop: PathBuf,
}

/// Cargo's target directory (CARGO_TARGET_DIR or `target/` of the repo).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
}

/// Where cargo puts the artifacts of its profiles: the directory above
/// this xtask's own (`target/<host triple>/` with the workspace's
/// `build.target`, built by the same cargo), or the target directory.
fn artifact_dir(root: &Path) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| target_dir(root))
}

/// `cargo build --release --quiet -p syspect TARGETS...` in the workspace;
/// returns the directory that holds the profiles' artifacts.
fn cargo_build_release(targets: &[&str]) -> Result<PathBuf> {
    let root = root();
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args(["build", "--release", "--quiet", "-p", "syspect"])
        .args(targets)
        .status()?;
    if !st.success() {
        bail!("cargo build --release {} failed", targets.join(" "));
    }
    Ok(artifact_dir(&root))
}

/// The binary users get (`cargo xtask dist`, as the README's setup
/// builds it) and the in-memory bench loop (release).
fn build() -> Result<Bins> {
    eprintln!("building syspect (dist)...");
    let syspect = dist::dist()?;
    let target = cargo_build_release(&["--example", "benchloop"])?;
    Ok(Bins {
        syspect,
        benchloop: target.join("release/examples/benchloop"),
    })
}

/// Wall and CPU (user+sys) time of one child run.
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

fn wait_rusage(child: &mut Child) -> Result<(std::process::ExitStatus, f64)> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own un-reaped child; status and ru are valid
    // exclusive pointers for the duration of the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    if r != pid {
        bail!("wait4: {}", std::io::Error::last_os_error());
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok((
        std::process::ExitStatus::from_raw(status),
        tv(ru.ru_utime) + tv(ru.ru_stime),
    ))
}

/// Runs `cmd args` with stdout to /dev/null; the best (lowest wall) of `n`.
/// Rounds of a [`time_pair`]. (The shared VM's noise moves single runs
/// by ±30%: with 5 rounds the best of either side still moved ±15% from
/// one bench run to the next, with 11 the filter bench's worst ratio was
/// 7.6x and 8.1x in two runs of one binary a minute apart, its filters'
/// anywhere from 7.6x to 12.1x.)
const PAIR_RUNS: usize = 21;

/// Two commands compared with each other: [`PAIR_RUNS`] rounds, each
/// running `a` then `b`, so that both meet the same moments of a shared
/// machine's load; the best run of each.
fn time_pair(a: (&Path, &[&str]), b: (&Path, &[&str])) -> Result<(Timing, Timing)> {
    time_pairs(&[(a, b)])?
        .pop()
        .context("no timing for the pair")
}

/// [`time_pair`] for several pairs at once, the rounds going through all
/// of them in turn: a slow spell of the shared machine then falls on every
/// pair alike, not on the rounds of one (which made one row of a table
/// 30% off while the others were not).
fn time_pairs(pairs: &[Pair<'_>]) -> Result<Vec<(Timing, Timing)>> {
    let mut best: Vec<Option<(Timing, Timing)>> = vec![None; pairs.len()];
    for _ in 0..PAIR_RUNS {
        for ((a, b), slot) in pairs.iter().zip(best.iter_mut()) {
            let (ta, tb) = (time_cmd(1, a.0, a.1)?, time_cmd(1, b.0, b.1)?);
            *slot = Some((faster(ta, slot.map(|s| s.0)), faster(tb, slot.map(|s| s.1))));
        }
    }
    Ok(best.into_iter().flatten().collect())
}

/// Two commands (program, arguments) to compare.
type Pair<'a> = ((&'a Path, &'a [&'a str]), (&'a Path, &'a [&'a str]));

/// The best runs of a pair two ways: each run right after a run of the
/// other command (as [`time_pairs`] times them), and each after an untimed
/// run of the same command, as `hyperfine --warmup` would.
struct ColdWarm {
    cold: (Timing, Timing),
    warm: (Timing, Timing),
}

/// [`time_pairs`], with the runs after a run of the same command timed
/// too, in the same rounds. Why both: on the VM measured, a short run
/// started after some 80 ms of anything else (sysdig, another program, or
/// idle CPUs) is about 11% slower than one right after a run of itself,
/// and sysdig's 80 ms run about 1% (BENCHMARKS.md, session 27): the
/// alternation charges the short program for the start-up of a machine
/// that has been doing something else, and the same command run twice
/// does not.
fn time_pairs_cold_warm(pairs: &[Pair<'_>]) -> Result<Vec<ColdWarm>> {
    // Per pair, the best of: a cold, b cold, a warm, b warm.
    let mut best = vec![[None::<Timing>; 4]; pairs.len()];
    for _ in 0..PAIR_RUNS {
        for ((a, b), slot) in pairs.iter().zip(best.iter_mut()) {
            let (ca, cb) = (time_cmd(1, a.0, a.1)?, time_cmd(1, b.0, b.1)?);
            time_cmd(1, a.0, a.1)?;
            let wa = time_cmd(1, a.0, a.1)?;
            time_cmd(1, b.0, b.1)?;
            let wb = time_cmd(1, b.0, b.1)?;
            for (s, t) in slot.iter_mut().zip([ca, cb, wa, wb]) {
                *s = Some(faster(t, *s));
            }
        }
    }
    best.into_iter()
        .map(|[ca, cb, wa, wb]| {
            Some(ColdWarm {
                cold: (ca?, cb?),
                warm: (wa?, wb?),
            })
        })
        .collect::<Option<Vec<_>>>()
        .context("no timing for a pair")
}

/// The faster of a run and the best so far (if any).
fn faster(t: Timing, best: Option<Timing>) -> Timing {
    match best {
        Some(b) if b.wall <= t.wall => b,
        _ => t,
    }
}

fn time_cmd(n: usize, cmd: &Path, args: &[&str]) -> Result<Timing> {
    let mut best: Option<Timing> = None;
    for _ in 0..n {
        let t0 = Instant::now();
        let mut child = Command::new(cmd)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("run {}", cmd.display()))?;
        let (st, cpu) = wait_rusage(&mut child)?;
        let wall = t0.elapsed().as_secs_f64();
        if !st.success() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            bail!("{} {:?} failed ({st}): {err}", cmd.display(), args);
        }
        best = Some(faster(Timing { wall, cpu }, best));
    }
    best.ok_or_else(|| anyhow!("no runs"))
}

fn kv(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn num(m: &BTreeMap<String, String>, k: &str) -> Result<f64> {
    m.get(k)
        .ok_or_else(|| anyhow!("missing '{k}' in output"))?
        .parse::<f64>()
        .with_context(|| format!("parse '{k}'"))
}

fn run_capture(cmd: &Path, args: &[&str]) -> Result<String> {
    let o = Command::new(cmd).args(args).output()?;
    if !o.status.success() {
        bail!(
            "{} {:?} failed: {}",
            cmd.display(),
            args,
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn sh(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    format!(
        "{} x {}, {} GiB RAM, Linux {}, load average at start {}",
        sh("nproc"),
        cpu.trim(),
        sh("awk '/MemTotal/ {printf \"%.0f\", $2/1048576}' /proc/meminfo"),
        sh("uname -r"),
        sh("cut -d' ' -f1-3 /proc/loadavg"),
    )
}

fn sysdig_version() -> String {
    sh(&format!("{SYSDIG} --version")).replace('\n', " ")
}

/// Replaces (or appends) the `<!-- bench:NAME -->` section of BENCHMARKS.md.
fn update_md(name: &str, body: &str) -> Result<()> {
    let path = root().join("BENCHMARKS.md");
    let mut text = fs::read_to_string(&path).unwrap_or_else(|_| {
        "# syspect benchmarks\n\nWritten by `cargo xtask bench <capture|filter|read|tui>`; each \
         section is replaced by the latest run of its bench. Figures from a shared 2-core VM \
         vary run to run (other jobs compete for the CPUs): the load average at start is \
         recorded with each run, wall times are the best of several runs and CPU times \
         (user+sys, from wait4) are given next to them. The syspect timed is the one the \
         README installs: `cargo xtask dist`, profile-guided.\n"
            .to_string()
    });
    let open = format!("<!-- bench:{name} -->");
    let close = format!("<!-- /bench:{name} -->");
    let section = format!("{open}\n{body}\n{close}");
    if let (Some(a), Some(b)) = (text.find(&open), text.find(&close)) {
        if b > a {
            text.replace_range(a..b + close.len(), &section);
        }
    } else {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&section);
        text.push('\n');
    }
    fs::write(&path, text)?;
    eprintln!("updated {}", path.display());
    Ok(())
}

fn now_utc() -> String {
    sh("date -u +'%Y-%m-%d %H:%M UTC'")
}

fn header(title: &str, cmd: &str) -> String {
    format!(
        "## {title}\n\n- command: `{cmd}`\n- date: {}\n- machine: {}\n- sysdig: {}\n",
        now_utc(),
        machine(),
        sysdig_version()
    )
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2}M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1}k", r / 1e3)
    } else {
        format!("{r:.0}")
    }
}

/// Concatenates plain (uncompressed) captures into `out` until at least
/// `min_events` events; returns the event count (as syspect counts them).
fn make_capture(bins: &Bins, out: &Path, min_events: u64) -> Result<u64> {
    // A realistic mix: a busy Apache (mpm-event) capture dominates, with
    // container start-up, object store downloads, nginx 502s and setns.
    let set = [
        "sysflow/mpm-event_full_capture.scap",
        "sysflow/mpm-event_full_capture.scap",
        "sysflow/mpm-event_full_capture.scap",
        "sysflow/mpm-event_full_capture.scap",
        "sysflow/objectstore_download.scap",
        "bencer-examples/example2_502error.scap",
        "sysflow/namespaces_setns.scap",
        "bencer-examples/example4_example4-1.scap",
        "bencer-examples/example4_example4-2.scap",
    ];
    let mut one = Vec::new();
    for f in set {
        let b = fs::read(Path::new(CAPTURES).join(f)).with_context(|| format!("read {f}"))?;
        if b.starts_with(&[0x1f, 0x8b]) {
            bail!("{f} is gzip-compressed; the bench needs plain captures");
        }
        one.extend_from_slice(&b);
    }
    let probe = out.with_extension("one");
    fs::write(&probe, &one)?;
    let per = count_events(bins, &probe)?;
    let _ = fs::remove_file(&probe);
    if per == 0 {
        bail!("the capture set has no events");
    }
    let reps = min_events.div_ceil(per).max(1);
    let mut all = Vec::with_capacity(one.len() * reps as usize);
    for _ in 0..reps {
        all.extend_from_slice(&one);
    }
    fs::write(out, &all)?;
    Ok(per * reps)
}

fn count_events(bins: &Bins, f: &Path) -> Result<u64> {
    let o = run_capture(&bins.benchloop, &["read", &f.to_string_lossy()])?;
    Ok(num(&kv(&o), "events")? as u64)
}

// --------------------------------------------------------------------- read

fn bench_read() -> Result<()> {
    let bins = build()?;
    let tmp = TempDir::new("read")?;
    let file = tmp.path("read.scap");
    let events = make_capture(&bins, &file, 1_000_000)?;
    let f = file.to_string_lossy().to_string();
    let size_mb = fs::metadata(&file)?.len() as f64 / 1e6;
    eprintln!("read: {events} events, {size_mb:.0} MB");

    let lo = kv(&run_capture(&bins.benchloop, &["read", &f])?);
    let raw = events as f64 / num(&lo, "raw_secs")?;
    let pipe = events as f64 / num(&lo, "pipeline_secs")?;

    let nomatch = "proc.name=nomatch-xyz";
    let cases: [(&str, Vec<&str>); 4] = [
        ("-q (no filter)", vec!["-r", &f, "-q"]),
        ("non-matching filter", vec!["-r", &f, nomatch]),
        ("every event printed", vec!["-r", &f]),
        ("-j (every event as JSON)", vec!["-r", &f, "-j"]),
    ];
    let mut rows = Vec::new();
    for (label, args) in &cases {
        let mut dig = vec!["dig"];
        dig.extend(args.iter().copied());
        let (ours, theirs) = time_pair((&bins.syspect, &dig), (Path::new(SYSDIG), args))?;
        rows.push((label.to_string(), ours, theirs));
    }

    let mut t = String::new();
    let _ = writeln!(t, "\nInput: {events} events, {size_mb:.0} MB (plain captures from `{CAPTURES}` concatenated).\n");
    let _ = writeln!(
        t,
        "| measure | syspect | sysdig 0.29.3 | ratio (wall) | ratio (CPU) | target |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    let _ = writeln!(
        t,
        "| raw reader, in process | {} ev/s | | | | |",
        fmt_rate(raw)
    );
    let _ = writeln!(
        t,
        "| reader → state → Ctx, in process | {} ev/s | | | | |",
        fmt_rate(pipe)
    );
    for (label, o, s) in &rows {
        let _ = writeln!(
            t,
            "| `dig -r F` {label}: wall (CPU) | {:.3} s ({:.3} s) = {} ev/s | {:.3} s ({:.3} s) = {} ev/s | {:.1}x | {:.1}x | >= 10x |",
            o.wall,
            o.cpu,
            fmt_rate(events as f64 / o.wall),
            s.wall,
            s.cpu,
            fmt_rate(events as f64 / s.wall),
            s.wall / o.wall,
            s.cpu / o.cpu.max(1e-6),
        );
    }
    println!("{t}");
    let body = format!(
        "{}{}\nThe non-matching filter is `{nomatch}` (state is still updated for every event).\nEnd-to-end runs: best wall time of {PAIR_RUNS}, the runs of syspect and sysdig alternating, stdout to /dev/null.\n",
        header("Read (`cargo xtask bench read`)", "cargo xtask bench read"),
        t
    );
    update_md("read", &body)?;
    Ok(())
}

// ------------------------------------------------------------------- filter

/// The five filters: simple, `in` of 50, contains, 10 terms, 100 terms.
fn filters() -> Vec<(&'static str, String)> {
    let mut names: Vec<String> = (0..47).map(|i| format!("proc{i}")).collect();
    names.extend(["curl".into(), "sudo".into(), "cat".into()]);
    let in50 = format!("proc.name in ({})", names.join(", "));
    let ten = "evt.type in (open, openat) and evt.dir=< and fd.typechar=f and \
               not proc.name in (bash, sh) and fd.name contains /etc and \
               not fd.name startswith /etc/ld.so and proc.pid > 0 and \
               not user.name=nobody and evt.rawres >= 0 and not fd.directory=/tmp"
        .to_string();
    // A Falco-rule-like condition: sensitive file opened for reading by a
    // process that is not in a long allow list.
    let mut terms: Vec<String> = Vec::new();
    let mut dirs = Vec::new();
    for d in [
        "/etc",
        "/usr/bin",
        "/usr/sbin",
        "/bin",
        "/sbin",
        "/usr/lib",
        "/lib",
        "/boot",
        "/root",
        "/var/lib/dpkg",
        "/var/lib/rpm",
        "/usr/local/bin",
        "/opt",
        "/srv",
        "/proc/self",
        "/dev/shm",
        "/run/secrets",
        "/var/run/docker.sock",
        "/home",
        "/var/spool/cron",
    ] {
        dirs.push(format!("fd.name startswith {d}"));
    }
    let mut procs = Vec::new();
    for i in 0..30 {
        procs.push(format!("proc.name=allowed{i}"));
    }
    let mut parents = Vec::new();
    for i in 0..20 {
        parents.push(format!("proc.pname=parent{i}"));
    }
    let mut cmds = Vec::new();
    for i in 0..15 {
        cmds.push(format!("proc.cmdline contains \"--flag{i}\""));
    }
    let mut files = Vec::new();
    for i in 0..10 {
        files.push(format!("fd.filename=secret{i}.key"));
    }
    terms.push("evt.type in (open, openat, openat2)".into());
    terms.push("evt.dir=<".into());
    terms.push("fd.typechar=f".into());
    terms.push("evt.rawres >= 0".into());
    let hundred = format!(
        "{} and ({}) and not ({}) and not ({}) and not ({}) and not ({})",
        terms.join(" and "),
        dirs.join(" or "),
        procs.join(" or "),
        parents.join(" or "),
        cmds.join(" or "),
        files.join(" or "),
    );
    vec![
        ("simple", "proc.name=curl".to_string()),
        ("in (50 items)", in50),
        ("contains", "fd.name contains /etc".to_string()),
        ("10 terms", ten),
        ("100 terms (Falco-style)", hundred),
    ]
}

// IN_CONTAINERS: the captures whose processes live in containers (the
// list the container tests use).
include!("../../tests/common/container_captures.rs");

/// What container runtime lookups cost the event path (in process, lookups
/// to a runtime that never answers against lookups off), and the container
/// columns end to end against sysdig on the same captures.
fn bench_containers() -> Result<()> {
    const REPS: u32 = 24;
    let bins = build()?;
    let files: Vec<String> = IN_CONTAINERS
        .iter()
        .map(|c| format!("{CAPTURES}/{c}"))
        .collect();
    let mut argv = vec!["lookups".to_string(), REPS.to_string()];
    argv.extend(files.iter().cloned());
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let lo = kv(&run_capture(&bins.benchloop, &argv)?);
    let events = num(&lo, "events")?;
    let off = num(&lo, "off_cpu_secs")?;
    let hung = num(&lo, "hung_cpu_secs")?;
    let ratio = hung / off.max(1e-9);

    let fmt = "%evt.num %container.id %container.name %container.image %proc.name";
    let (mut ours, mut theirs) = (
        Timing {
            wall: 0.0,
            cpu: 0.0,
        },
        Timing {
            wall: 0.0,
            cpu: 0.0,
        },
    );
    for f in &files {
        let s: [&str; 4] = ["-r", f, "-p", fmt];
        let dig = ["dig", "-r", f, "-p", fmt];
        let (o, t) = time_pair((&bins.syspect, &dig), (Path::new(SYSDIG), &s))?;
        ours.wall += o.wall;
        ours.cpu += o.cpu;
        theirs.wall += t.wall;
        theirs.cpu += t.cpu;
    }

    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nInput: the {} captures of `{CAPTURES}` whose processes live in containers.\n",
        files.len()
    );
    let _ = writeln!(
        t,
        "| measure | lookups off | lookups to a hung runtime | ratio |"
    );
    let _ = writeln!(t, "|---|---|---|---|");
    let _ = writeln!(
        t,
        "| state update, CPU of the event thread, {events:.0} events ({REPS} passes) | {off:.3} s = {} ev/s | {hung:.3} s = {} ev/s | {ratio:.3} |",
        fmt_rate(events / off.max(1e-9)),
        fmt_rate(events / hung.max(1e-9)),
    );
    let _ = writeln!(
        t,
        "\n| measure | syspect | sysdig 0.29.3 | ratio (wall) | ratio (CPU) |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|");
    let _ = writeln!(
        t,
        "| `dig -r F -p \"{fmt}\"`, summed over the captures: wall (CPU) | {:.3} s ({:.3} s) | {:.3} s ({:.3} s) | {:.1}x | {:.1}x |",
        ours.wall,
        ours.cpu,
        theirs.wall,
        theirs.cpu,
        theirs.wall / ours.wall.max(1e-9),
        theirs.cpu / ours.cpu.max(1e-9),
    );
    println!("{t}");
    let body = format!(
        "{}{}\nThe hung runtime is a CRI socket that accepts connections and never answers, so every lookup stays pending: the worst case for the event path, which only hands each container's lookup to the worker thread once and reads one flag per event; what is left of the ratio above 1 is mostly starting that worker thread, once per capture, and the machine's noise. CPU times are the event thread's own (CLOCK_THREAD_CPUTIME_ID), best of 7 alternating runs. Neither syspect nor sysdig asks a runtime when reading a capture (the metadata comes from the capture), so the end-to-end row compares printing the container columns. End-to-end runs: best wall time of {PAIR_RUNS} per capture, the runs of syspect and sysdig alternating, stdout to /dev/null.\n",
        header("Containers (`cargo xtask bench containers`)", "cargo xtask bench containers"),
        t
    );
    update_md("containers", &body)
}

fn bench_filter() -> Result<()> {
    let bins = build()?;
    let tmp = TempDir::new("filter")?;
    let file = tmp.path("filter.scap");
    let events = make_capture(&bins, &file, 150_000)?;
    let f = file.to_string_lossy().to_string();
    eprintln!("filter: {events} events");
    let fl = filters();
    let mut args = vec!["filter".to_string(), f.clone(), "16".into()];
    args.extend(fl.iter().map(|(_, t)| t.clone()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let lo = kv(&run_capture(&bins.benchloop, &argv)?);

    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nInput: {events} events (plain captures from `{CAPTURES}` concatenated).\n"
    );
    let _ = writeln!(t, "| filter | evaluations/s (in memory) | matches | `syspect dig -r F FILTER` wall (CPU) | `sysdig -r F FILTER` wall (CPU) | ratio wall | ratio CPU | warm: syspect / sysdig wall | warm ratio wall |");
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|");
    let mut worst_ratio = f64::MAX;
    let mut worst_warm = f64::MAX;
    let mut simple_rate = 0.0;
    let ours_args: Vec<[&str; 4]> = fl.iter().map(|(_, t)| ["dig", "-r", &f, t]).collect();
    let sysdig_args: Vec<[&str; 3]> = fl
        .iter()
        .map(|(_, t)| ["-r", f.as_str(), t.as_str()])
        .collect();
    let pairs: Vec<Pair<'_>> = ours_args
        .iter()
        .zip(&sysdig_args)
        .map(|(o, t)| {
            (
                (bins.syspect.as_path(), &o[..]),
                (Path::new(SYSDIG), &t[..]),
            )
        })
        .collect();
    let timed = time_pairs_cold_warm(&pairs)?;
    for (i, ((label, _), cw)) in fl.iter().zip(timed).enumerate() {
        let (ours, theirs) = cw.cold;
        let (warm_ours, warm_theirs) = cw.warm;
        let rate = num(&lo, &format!("filter{i}_evals_per_s"))?;
        let matches = num(&lo, &format!("filter{i}_matches"))? as u64;
        if i == 0 {
            simple_rate = rate;
        }
        let ratio = theirs.wall / ours.wall;
        worst_ratio = worst_ratio.min(ratio);
        let warm_ratio = warm_theirs.wall / warm_ours.wall;
        worst_warm = worst_warm.min(warm_ratio);
        let _ = writeln!(
            t,
            "| {label} | {} | {matches} | {:.4} s ({:.4} s) | {:.4} s ({:.4} s) | {:.1}x | {:.1}x | {:.4} s / {:.4} s | {:.1}x |",
            fmt_rate(rate),
            ours.wall,
            ours.cpu,
            theirs.wall,
            theirs.cpu,
            ratio,
            theirs.cpu / ours.cpu.max(1e-6),
            warm_ours.wall,
            warm_theirs.wall,
            warm_ratio
        );
    }
    let _ = writeln!(
        t,
        "\nTargets: >= 20M evaluations/s for the simple filter (now {}), syspect >= 10x faster than sysdig end to end (now {:.1}x at worst, wall, each run right after the other program's; {:.1}x at worst with each timed run after an untimed run of the same command).",
        fmt_rate(simple_rate),
        worst_ratio,
        worst_warm
    );
    println!("{t}");
    let mut filt = String::from("\nFilters:\n\n");
    for (label, text) in &fl {
        let _ = writeln!(filt, "- {label}: `{text}`");
    }
    let body = format!(
        "{}{}{}\nEvaluations/s: the capture is loaded in memory, then replayed as `dig` does (state updated, Ctx built for every event) with each filter evaluated 16 times per event; the time of a replay without filter is subtracted (best of 3). End-to-end: best wall time of {PAIR_RUNS} runs, the runs of syspect and sysdig alternating, each round going through the five filters in turn, matching events printed to /dev/null. \"Warm\": in the same rounds, each command run twice more in a row, the second run timed (as `hyperfine --warmup` times a command): on this VM a run of some milliseconds started after 80 ms of other work, or of idle CPUs, is about 11% slower than right after a run of itself (sysdig's longer run, about 1%); the target is judged on the first figures.\n",
        header("Filter (`cargo xtask bench filter`)", "cargo xtask bench filter"),
        t,
        filt
    );
    update_md("filter", &body)?;
    Ok(())
}

// ------------------------------------------------------------------ capture

fn bpf_links(pid: u32) -> usize {
    let Ok(rd) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| fs::read_link(e.path()).ok())
        .filter(|l| {
            l.to_string_lossy().contains("bpf-link") || l.to_string_lossy().contains("bpf_link")
        })
        .count()
}

struct Storm {
    syscalls: f64,
    wall: f64,
    cpu: f64,
}

fn storm(bin: &Path, secs: f64) -> Result<Storm> {
    let o = run_capture(bin, &[&format!("{secs}"), "/etc/hostname"])?;
    let m = kv(&o);
    Ok(Storm {
        syscalls: num(&m, "syscalls")?,
        wall: num(&m, "wall")?,
        cpu: num(&m, "cpu")?,
    })
}

struct Consumed {
    events: f64,
    drops: f64,
    storm: Storm,
}

/// The storm while `syspect dig -q -v` captures; with `attach_only` the
/// probe is attached but sends nothing (`--probe-attach-only`).
fn storm_with_capture(
    bins: &Bins,
    storm_bin: &Path,
    secs: f64,
    attach_only: bool,
) -> Result<Consumed> {
    let mut args = vec!["dig", "-q", "-v", "-M", "60"];
    if attach_only {
        args.push("--probe-attach-only");
    }
    let mut child = Command::new(&bins.syspect)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let t0 = Instant::now();
    while bpf_links(pid) < 3 {
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            bail!("syspect did not attach its probe within 20 s");
        }
        if let Some(st) = child.try_wait()? {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            bail!("syspect dig exited early ({st}): {err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let s = storm(storm_bin, secs);
    // SAFETY: kill(2) on the pid of our own live child, with SIGINT.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGINT);
    }
    let o = child.wait_with_output()?;
    let s = s?;
    let err = String::from_utf8_lossy(&o.stderr);
    let field = |k: &str| -> Result<f64> {
        err.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| anyhow!("no '{k}' in syspect -v output: {err}"))
    };
    Ok(Consumed {
        events: field("Driver Events:")?,
        drops: field("Driver Drops:")?,
        storm: s,
    })
}

/// Whether we run as root (needed to load the eBPF probe).
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn bench_capture() -> Result<()> {
    if !is_root() {
        bail!("the capture bench needs root (it loads the eBPF probe)");
    }
    let bins = build()?;
    let tmp = TempDir::new("capture")?;
    let src = root().join("xtask/src/storm.c");
    let storm_bin = tmp.path("storm");
    let st = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&storm_bin)
        .arg(&src)
        .status()?;
    if !st.success() {
        bail!("cc storm.c failed");
    }
    let secs = 4.0;
    // off, attached, on, repeated: each configuration keeps its best run.
    let per_syscall = |s: &Storm| s.cpu / s.syscalls;
    let mut off: Option<Storm> = None;
    let mut floor: Option<Consumed> = None;
    let mut on: Option<Consumed> = None;
    let rounds = 3;
    for round in 0..rounds {
        eprintln!("capture: round {} of {rounds}", round + 1);
        let a = storm(&storm_bin, secs)?;
        if off
            .as_ref()
            .is_none_or(|o| per_syscall(&a) < per_syscall(o))
        {
            off = Some(a);
        }
        let f = storm_with_capture(&bins, &storm_bin, secs, true)?;
        if floor
            .as_ref()
            .is_none_or(|o| per_syscall(&f.storm) < per_syscall(&o.storm))
        {
            floor = Some(f);
        }
        let b = storm_with_capture(&bins, &storm_bin, secs, false)?;
        if on
            .as_ref()
            .is_none_or(|o| per_syscall(&b.storm) < per_syscall(&o.storm))
        {
            on = Some(b);
        }
    }
    let (Some(off), Some(floor), Some(on)) = (off, floor, on) else {
        bail!("no runs");
    };
    let off_ns = off.cpu / off.syscalls * 1e9;
    let floor_ns = per_syscall(&floor.storm) * 1e9;
    let on_ns = on.storm.cpu / on.storm.syscalls * 1e9;
    let slow_floor = floor_ns / off_ns - 1.0;
    let slow_cpu = on_ns / off_ns - 1.0;
    let off_rate = off.syscalls / off.wall;
    let on_rate = on.storm.syscalls / on.storm.wall;
    let slow_wall = off_rate / on_rate - 1.0;
    let storm_events = 2.0 * on.storm.syscalls;
    let consumed_rate = on.events / on.storm.wall;
    let storm_ev_rate = storm_events / on.storm.wall;
    let drop_pct = 100.0 * on.drops / (on.events + on.drops).max(1.0);

    let mut t = String::new();
    let _ = writeln!(t, "\nStorm (`xtask/src/storm.c`, {secs} s per run): per iteration getpid, 2 x 1-byte read of /dev/zero, 2 x 1-byte write to /dev/null, open + close of /etc/hostname = 7 syscalls, 14 events. Consumer: `syspect dig -q -v` (decode, state update, Ctx; nothing printed), probe defaults (snaplen 80, 64 MiB ring).\n");
    let _ = writeln!(
        t,
        "| measure | capture off | probe attached, sending nothing | capture on | target |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|");
    let _ = writeln!(
        t,
        "| storm syscalls/s (wall) | {} | {} | {} | |",
        fmt_rate(off_rate),
        fmt_rate(floor.storm.syscalls / floor.storm.wall),
        fmt_rate(on_rate)
    );
    let _ = writeln!(
        t,
        "| storm CPU per syscall (user+sys) | {off_ns:.0} ns | {floor_ns:.0} ns | {on_ns:.0} ns | |"
    );
    let _ = writeln!(
        t,
        "| storm slowdown, CPU per syscall | | {:.0}% | {:.0}% | <= 30% |",
        slow_floor * 100.0,
        slow_cpu * 100.0
    );
    let _ = writeln!(
        t,
        "| storm slowdown, wall throughput | | | {:.0}% | <= 30% |",
        slow_wall * 100.0
    );
    let _ = writeln!(
        t,
        "| events consumed by syspect / storm seconds | | | {} ev/s (storm alone: {} ev/s) | >= 1M ev/s |",
        fmt_rate(consumed_rate),
        fmt_rate(storm_ev_rate)
    );
    let _ = writeln!(
        t,
        "| dropped | | | {:.0} of {:.0} ({drop_pct:.3}%) | < 0.1% |",
        on.drops,
        on.events + on.drops
    );
    println!("{t}");
    let body = format!(
        "{}{}\nSlowdown by CPU per syscall is the primary figure: the probe runs in the storm's context, so its cost shows up as the storm's system time, while wall throughput also moves with whatever else the shared VM runs. \"Probe attached, sending nothing\" (`dig --probe-attach-only`) attaches the same programs but has them return at once: it is the cost of enabling the syscall tracepoints themselves (the syscall slow path, the tracepoint and BPF trampoline calls, on a kernel with retpolines and Safe-RET mitigations), a floor under any tracepoint-based probe, Falco's included; only the difference between it and \"capture on\" is the probe's own work. Events consumed include every process on the machine during the window (the storm dominates). Reference: Falco's modern eBPF probe is published at 25-35% slowdown at 0.2-1.6M events/s. sysdig's kernel module is not loaded on this machine, so there is no sysdig figure for capture.\n",
        header("Capture (`cargo xtask bench capture`)", "sudo cargo xtask bench capture"),
        t
    );
    update_md("capture", &body)?;
    Ok(())
}
