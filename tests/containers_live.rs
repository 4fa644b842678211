//! Live containers with podman: a busybox-static image made with
//! `podman import`, run with runc, metadata through podman's
//! Docker-compatible API (`podman system service` on a temporary socket).
//! Needs root, eBPF, podman, runc and busybox-static: without them the test
//! is skipped with the reason, except with CI=true where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// Skips (or fails under CI) with a reason.
fn skip(why: &str) {
    assert!(!ci(), "CI=true: containers_live cannot run: {why}");
    eprintln!("SKIPPED: containers_live: {why}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn find_tool(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

fn podman(args: &[&str]) -> Result<String, String> {
    let out = Command::new("podman")
        .args(args)
        .output()
        .map_err(|e| format!("podman: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "podman {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Everything the test made, removed on drop.
struct Fixture {
    dir: tempfile::TempDir,
    image: String,
    containers: Vec<String>,
    service: Option<Child>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = podman(&["rm", "-f", "-t", "0", c]);
        }
        let _ = podman(&["rmi", "-f", &self.image]);
        if let Some(mut s) = self.service.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

impl Fixture {
    fn socket(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }

    /// Runs a looping container; returns its full id.
    fn run(&mut self, name: &str, pod: &str, ns: &str) -> Result<String, String> {
        let id = podman(&[
            "--runtime",
            "runc",
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
            "--label",
            &format!("io.kubernetes.pod.name={pod}"),
            "--label",
            &format!("io.kubernetes.pod.namespace={ns}"),
            "--label",
            "app=syspect-test",
            &self.image,
            "/bin/sh",
            "-c",
            "while true; do cat /bin/busybox > /dev/null; sleep 0.1; done",
        ])?;
        self.containers.push(name.to_string());
        Ok(id)
    }
}

fn setup() -> Result<Fixture, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("bin")).map_err(|e| e.to_string())?;
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).map_err(|e| e.to_string())?;
    for applet in ["sh", "cat", "sleep", "true"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .map_err(|e| e.to_string())?;
    }
    let tar = dir.path().join("rootfs.tar");
    let st = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !st.success() {
        return Err("tar failed".into());
    }
    let image = format!("localhost/syspect-busybox:live{}", std::process::id());
    let mut fx = Fixture {
        dir,
        image: image.clone(),
        containers: Vec::new(),
        service: None,
    };
    podman(&["import", &tar.display().to_string(), &image])?;
    let sock = fx.socket();
    let child = Command::new("podman")
        .args(["system", "service", "--time=0"])
        .arg(format!("unix://{}", sock.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("podman system service: {e}"))?;
    fx.service = Some(child);
    let t0 = Instant::now();
    while !sock.exists() {
        if t0.elapsed() > Duration::from_secs(15) {
            return Err("podman system service did not create its socket".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(fx)
}

#[test]
fn podman_container_fields_live() {
    if !is_root() {
        return skip("needs root (and eBPF)");
    }
    for tool in ["podman", "runc", "tar"] {
        if find_tool(tool).is_none() {
            return skip(&format!("{tool} is not installed (apt-get install {tool})"));
        }
    }
    if !Path::new("/bin/busybox").exists() {
        return skip("/bin/busybox missing (apt-get install busybox-static)");
    }
    let mut fx = match setup() {
        Ok(f) => f,
        Err(e) => return skip(&e),
    };
    let tag = std::process::id();
    let name_a = format!("syspect-a-{tag}");
    let name_b = format!("syspect-b-{tag}");
    // A runs before the capture starts (found through /proc), B starts
    // during it (found through clone/execve).
    let id_a = match fx.run(&name_a, "web-0", "prod") {
        Ok(id) => id,
        Err(e) => return skip(&e),
    };
    let dig = Command::new(env!("CARGO_BIN_EXE_syspect"))
        .args([
            "dig",
            "-M",
            "5",
            "-p",
            "%evt.rawtime|%container.id|%container.name|%container.image|%container.type|%k8s.pod.name|%k8s.ns.name|%container.label.app|%proc.name",
            "container.id!=host",
        ])
        .env("CONTAINER_HOST", format!("unix://{}", fx.socket().display()))
        .env_remove("DOCKER_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn syspect dig");
    std::thread::sleep(Duration::from_millis(1500));
    let id_b = fx
        .run(&name_b, "web-1", "staging")
        .expect("second container");
    let out = dig.wait_with_output().expect("syspect dig");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return skip(&format!("live capture failed: {}", stderr.trim()));
    }
    let image = fx.image.clone();
    for (id, name, pod, ns) in [
        (&id_a, &name_a, "web-0", "prod"),
        (&id_b, &name_b, "web-1", "staging"),
    ] {
        let short = &id[..12];
        let lines: Vec<common::ContainerRow> = stdout
            .lines()
            .filter_map(|l| {
                let (ts, rest) = l.split_once('|')?;
                let (cols, comm) = rest.rsplit_once('|')?;
                Some((ts.parse().ok()?, cols, comm))
            })
            .filter(|r| r.1.starts_with(&format!("{short}|")))
            .collect();
        assert!(
            !lines.is_empty(),
            "no events from container {short} ({name}); stderr: {stderr}\nstdout head: {}",
            stdout.lines().take(5).collect::<Vec<_>>().join("\n")
        );
        let want = format!("{short}|{name}|{image}|podman|{pod}|{ns}|syspect-test");
        common::check_metadata_arrival(short, &lines, &want, &["cat", "sh", "exe"]);
    }
    assert!(!stderr.contains("warning"), "unexpected warnings: {stderr}");
    containers_view_drills_into_processes(&fx, &name_a, &id_a[..12]);
}

/// The live Containers view (a real terminal under tmux) lists container A
/// with its name and image, and Enter on it drills down to its processes.
fn containers_view_drills_into_processes(fx: &Fixture, name: &str, short: &str) {
    if find_tool("tmux").is_none() {
        return skip("tmux is not installed (apt-get install tmux)");
    }
    let sock = format!("syspect-ctr-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&sock)
            .args(args)
            .output()
            .expect("tmux")
    };
    let screen =
        || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    let wait = |what: &str, f: &dyn Fn(&str) -> bool| -> String {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let s = screen();
            if f(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    };
    let cmd = format!(
        "env -u DOCKER_HOST CONTAINER_HOST=unix://{} TERM=xterm-256color {} -v containers; sleep 30",
        fx.socket().display(),
        env!("CARGO_BIN_EXE_syspect")
    );
    let o = tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "200",
        "-y",
        "40",
        &cmd,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The tmux server (and the UI in it) goes away however the test ends.
    struct Server(String);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = Command::new("tmux")
                .args(["-L", &self.0, "kill-server"])
                .output();
        }
    }
    let _server = Server(sock.clone());
    let s = wait("container A in the Containers view", &|s| {
        s.contains("Viewing: Containers") && s.contains(name)
    });
    let row = s.lines().find(|l| l.contains(name)).unwrap_or_default();
    // The IMAGE column is 30 characters wide, as csysdig's.
    let shown: String = fx.image.chars().take(30).collect();
    assert!(row.contains(&shown), "image column: {row}");
    assert!(row.contains(short), "id column: {row}");
    // Select it with search, drill down with Enter.
    tmux(&["send-keys", "-t", "t", "/"]);
    std::thread::sleep(Duration::from_millis(150));
    tmux(&["send-keys", "-t", "t", "-l", name]);
    std::thread::sleep(Duration::from_millis(150));
    tmux(&["send-keys", "-t", "t", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux(&["send-keys", "-t", "t", "Enter"]);
    let s = wait("the container's processes", &|s| {
        s.contains("Viewing: Processes") && s.contains("cat /bin/busybox")
    });
    assert!(
        s.contains(&format!("For: container.id={short}")) || s.contains(name),
        "the drill-down names the container: {s}"
    );
    tmux(&["send-keys", "-t", "t", "q"]);
}
