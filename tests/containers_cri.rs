//! Live containers through CRI, against a real containerd (Debian's
//! `containerd` package, with runc): the test starts a private containerd
//! (own root, state and socket under a temporary directory, the CRI plugin
//! on, no CNI needed since the pod uses the host network), imports a
//! busybox-static image it writes itself as a docker-archive with `ctr`,
//! creates a pod sandbox and containers through CRI with syspect's own
//! client, and checks what a live `syspect dig --cri SOCKET` shows for the
//! processes inside.
//!
//! Needs root, eBPF, containerd, ctr, runc, busybox-static: without them
//! the test is skipped with the reason, except with CI=true where it fails.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{in_ci, root_or_skip, syspect_bin};
use syspect::state::containers::cri::{self, pb, CriClient};
use syspect::state::containers::ContainerType;

/// Skips (or fails under CI) with a reason.
fn skip(why: &str) {
    assert!(!in_ci(), "CI=true: containers_cri cannot run: {why}");
    eprintln!("SKIPPED: containers_cri: {why}");
}

fn find_tool(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

// The CRI requests the test makes (runtime.v1 api.proto field numbers);
// syspect itself only reads statuses.

#[derive(Clone, PartialEq, prost::Message)]
struct NamespaceOption {
    #[prost(int32, tag = "1")]
    network: i32,
    #[prost(int32, tag = "2")]
    pid: i32,
    #[prost(int32, tag = "3")]
    ipc: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxSandboxSecurityContext {
    #[prost(message, optional, tag = "1")]
    namespace_options: Option<NamespaceOption>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxPodSandboxConfig {
    #[prost(string, tag = "1")]
    cgroup_parent: String,
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxSandboxSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<pb::PodSandboxMetadata>,
    #[prost(string, tag = "2")]
    hostname: String,
    #[prost(string, tag = "3")]
    log_directory: String,
    #[prost(btree_map = "string, string", tag = "6")]
    labels: BTreeMap<String, String>,
    #[prost(message, optional, tag = "8")]
    linux: Option<LinuxPodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxRequest {
    #[prost(message, optional, tag = "1")]
    config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxResponse {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxContainerSecurityContext {
    #[prost(message, optional, tag = "3")]
    namespace_options: Option<NamespaceOption>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxContainerConfig {
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxContainerSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<pb::ContainerMetadata>,
    #[prost(message, optional, tag = "2")]
    image: Option<pb::ImageSpec>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(btree_map = "string, string", tag = "9")]
    labels: BTreeMap<String, String>,
    #[prost(message, optional, tag = "15")]
    linux: Option<LinuxContainerConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(message, optional, tag = "2")]
    config: Option<ContainerConfig>,
    #[prost(message, optional, tag = "3")]
    sandbox_config: Option<PodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerResponse {
    #[prost(string, tag = "1")]
    container_id: String,
}

/// StartContainer / StopPodSandbox / RemovePodSandbox take one id.
#[derive(Clone, PartialEq, prost::Message)]
struct IdRequest {
    #[prost(string, tag = "1")]
    id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

const NS_POD: i32 = 0;
const NS_CONTAINER: i32 = 1;
const NS_NODE: i32 = 2;

/// The private containerd and what the test made in it; all undone on
/// drop (pods removed through CRI, containerd stopped, leftover shims,
/// mounts and cgroups cleaned up).
struct Containerd {
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    pods: Vec<String>,
    cgroup_parent: String,
}

impl Containerd {
    fn sock(&self) -> PathBuf {
        self.dir.path().join("containerd.sock")
    }

    fn client(&self) -> Result<CriClient, String> {
        CriClient::new(&self.sock(), Duration::from_secs(60)).map_err(|e| e.to_string())
    }

    fn log(&self) -> String {
        let text =
            std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default();
        let tail: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("level=error") || l.contains("level=warn"))
            .collect();
        tail[tail.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        if let Ok(mut c) = self.client() {
            for p in &self.pods {
                let req = IdRequest { id: p.clone() };
                let _ = c.call::<_, Empty>("StopPodSandbox", &req);
                let _ = c.call::<_, Empty>("RemovePodSandbox", &req);
            }
        }
        if let Some(mut d) = self.daemon.take() {
            // SAFETY: kill has no memory-safety preconditions; the pid is
            // our own child, not yet reaped.
            unsafe {
                libc::kill(d.id() as i32, libc::SIGTERM);
            }
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = d.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = d.kill();
            let _ = d.wait();
        }
        // Shims of this containerd (they outlive it) and their containers.
        let sock = self.sock().display().to_string();
        if let Ok(rd) = std::fs::read_dir("/proc") {
            for e in rd.flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                    continue;
                };
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                if cmd.starts_with("/usr/bin/containerd-shim") && cmd.contains(&sock) {
                    // SAFETY: as above; the shim was started by our containerd.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
            }
        }
        let root = self.dir.path().display().to_string();
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut ours: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| m.starts_with(&root))
            .collect();
        ours.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in ours {
            let _ = Command::new("umount").args(["-l", m]).status();
        }
        for base in cgroup_roots() {
            let mut p = base.join(self.cgroup_parent.trim_start_matches('/'));
            // pod<uid>, then besteffort and kubepods when nothing else is left.
            for _ in 0..3 {
                let _ = std::fs::remove_dir(&p);
                if !p.pop() {
                    break;
                }
            }
        }
    }
}

fn cgroup_roots() -> Vec<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() > 2 && (f[2] == "cgroup" || f[2] == "cgroup2")).then(|| PathBuf::from(f[1]))
        })
        .collect()
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn sha256(path: &Path) -> Result<String, String> {
    let out = run(Command::new("sha256sum").arg(path))?;
    out.split_whitespace()
        .next()
        .map(str::to_string)
        .ok_or_else(|| "sha256sum: no output".into())
}

/// A docker-archive of one layer holding /bin/busybox (busybox-static)
/// and a few applets, whose default command sleeps (for the pause
/// container).
fn write_image(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).map_err(|e| e.to_string())?;
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).map_err(|e| e.to_string())?;
    for applet in ["sh", "cat", "sleep", "true"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
            .map_err(|e| e.to_string())?;
    }
    let arch = dir.join("archive");
    std::fs::create_dir_all(&arch).map_err(|e| e.to_string())?;
    let layer = arch.join("layer.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&layer)
        .arg("."))?;
    let diff_id = sha256(&layer)?;
    let goarch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let config = serde_json::json!({
        "architecture": goarch,
        "os": "linux",
        "config": {"Cmd": ["/bin/sleep", "1000000"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
    });
    let tmp = arch.join("config.tmp");
    std::fs::write(&tmp, config.to_string()).map_err(|e| e.to_string())?;
    let config_name = format!("{}.json", sha256(&tmp)?);
    std::fs::rename(&tmp, arch.join(&config_name)).map_err(|e| e.to_string())?;
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [name],
        "Layers": ["layer.tar"],
    }]);
    std::fs::write(arch.join("manifest.json"), manifest.to_string()).map_err(|e| e.to_string())?;
    let out = dir.join("image.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&arch)
        .arg("-cf")
        .arg(&out)
        .args(["manifest.json", &config_name, "layer.tar"]))?;
    Ok(out)
}

/// Starts containerd with the CRI plugin and imports the image.
fn start(image: &str, pod_uid: &str) -> Result<Containerd, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path().display().to_string();
    let config = format!(
        r#"version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/containerd.sock"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "{d}/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "{image}"
    # Lowering oom_score_adj (-998 for the pause process) needs
    # CAP_SYS_RESOURCE, which sandboxed CI machines may not grant.
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "{d}/cni/bin"
      conf_dir = "{d}/cni/conf"
"#
    );
    std::fs::write(dir.path().join("config.toml"), config).map_err(|e| e.to_string())?;
    let log =
        std::fs::File::create(dir.path().join("containerd.log")).map_err(|e| e.to_string())?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let tarball = write_image(dir.path(), image)?;
    let daemon = Command::new("containerd")
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| format!("containerd: {e}"))?;
    let ctd = Containerd {
        dir,
        daemon: Some(daemon),
        pods: Vec::new(),
        cgroup_parent: format!("/kubepods/besteffort/pod{pod_uid}"),
    };
    let t0 = Instant::now();
    loop {
        if ctd.sock().exists() {
            if let Ok(mut c) = ctd.client() {
                if let Ok(v) = c.version() {
                    eprintln!(
                        "containerd CRI: {} {} (API {})",
                        v.runtime_name, v.runtime_version, v.runtime_api_version
                    );
                    break;
                }
            }
        }
        if t0.elapsed() > Duration::from_secs(20) {
            return Err(format!("containerd's CRI did not answer: {}", ctd.log()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    run(Command::new("ctr")
        .arg("--address")
        .arg(ctd.sock())
        .args(["-n", "k8s.io", "images", "import"])
        .arg(&tarball))?;
    Ok(ctd)
}

fn sandbox_config(uid: &str, cgroup_parent: &str) -> PodSandboxConfig {
    let labels: BTreeMap<String, String> = [
        ("io.kubernetes.pod.name", "web-0"),
        ("io.kubernetes.pod.namespace", "prod"),
        ("io.kubernetes.pod.uid", uid),
        ("tier", "front"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    PodSandboxConfig {
        metadata: Some(pb::PodSandboxMetadata {
            name: "web-0".into(),
            uid: uid.into(),
            namespace: "prod".into(),
            attempt: 0,
        }),
        hostname: String::new(),
        log_directory: String::new(),
        labels,
        linux: Some(LinuxPodSandboxConfig {
            cgroup_parent: cgroup_parent.into(),
            security_context: Some(LinuxSandboxSecurityContext {
                namespace_options: Some(NamespaceOption {
                    network: NS_NODE,
                    pid: NS_POD,
                    ipc: NS_POD,
                }),
            }),
        }),
    }
}

/// Creates and starts a looping container in the pod; returns its id.
fn run_container(
    c: &mut CriClient,
    pod: &str,
    sandbox: &PodSandboxConfig,
    name: &str,
    image: &str,
) -> Result<String, String> {
    // Like kubelet's, but without the io.kubernetes.pod.* labels: the pod
    // fields must come from the pod sandbox.
    let labels = [
        ("io.kubernetes.container.name", name),
        ("app", "syspect-test"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let created: CreateContainerResponse = c
        .call(
            "CreateContainer",
            &CreateContainerRequest {
                pod_sandbox_id: pod.into(),
                config: Some(ContainerConfig {
                    metadata: Some(pb::ContainerMetadata {
                        name: name.into(),
                        attempt: 0,
                    }),
                    image: Some(pb::ImageSpec {
                        image: image.into(),
                    }),
                    command: [
                        "/bin/sh",
                        "-c",
                        "while true; do cat /bin/busybox > /dev/null; sleep 0.1; done",
                    ]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                    labels,
                    linux: Some(LinuxContainerConfig {
                        security_context: Some(LinuxContainerSecurityContext {
                            namespace_options: Some(NamespaceOption {
                                network: NS_NODE,
                                pid: NS_CONTAINER,
                                ipc: NS_POD,
                            }),
                        }),
                    }),
                }),
                sandbox_config: Some(sandbox.clone()),
            },
        )
        .map_err(|e| format!("CreateContainer: {e}"))?;
    c.call::<_, Empty>(
        "StartContainer",
        &IdRequest {
            id: created.container_id.clone(),
        },
    )
    .map_err(|e| format!("StartContainer: {e}"))?;
    Ok(created.container_id)
}

#[test]
fn containerd_cri_fields_live() {
    if !root_or_skip("containers_cri (live capture, containerd)") {
        return;
    }
    for tool in [
        "containerd",
        "ctr",
        "containerd-shim-runc-v2",
        "runc",
        "tar",
        "sha256sum",
    ] {
        if find_tool(tool).is_none() {
            return skip(&format!(
                "{tool} is not installed (scripts/deps.sh installs containerd and runc)"
            ));
        }
    }
    if !Path::new("/bin/busybox").exists() {
        return skip("/bin/busybox missing (apt-get install busybox-static)");
    }
    let _live = live_lock();
    let tag = std::process::id();
    let image = format!("localhost/syspect-busybox:cri{tag}");
    let uid = format!("5e7c0de0-0000-4000-8000-{tag:012}");
    let mut ctd = match start(&image, &uid) {
        Ok(c) => c,
        Err(e) => return skip(&format!("containerd with CRI did not start: {e}")),
    };
    let mut c = ctd.client().expect("CRI client");
    let sandbox = sandbox_config(&uid, &ctd.cgroup_parent);
    let pod: RunPodSandboxResponse = match c.call(
        "RunPodSandbox",
        &RunPodSandboxRequest {
            config: Some(sandbox.clone()),
        },
    ) {
        Ok(p) => p,
        Err(e) => panic!("RunPodSandbox: {e}\ncontainerd log:\n{}", ctd.log()),
    };
    ctd.pods.push(pod.pod_sandbox_id.clone());
    let pod_id = pod.pod_sandbox_id.clone();
    // A runs before the capture starts (found through /proc), B starts
    // during it (found through clone/execve).
    let id_a = run_container(&mut c, &pod_id, &sandbox, "app-a", &image)
        .unwrap_or_else(|e| panic!("{e}\ncontainerd log:\n{}", ctd.log()));
    let dig = Command::new(syspect_bin())
        .args([
            "dig",
            "-M",
            "6",
            "--cri",
            &ctd.sock().display().to_string(),
            "-p",
            "*%evt.rawtime %container.id %container.name %container.image %k8s.pod.name %k8s.ns.name %container.type %k8s.pod.uid %k8s.pod.sandbox_id %k8s.pod.label.tier %container.label.app %proc.name",
            "container.id!=host",
        ])
        .env_remove("DOCKER_HOST")
        .env_remove("CONTAINER_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn syspect dig");
    std::thread::sleep(Duration::from_millis(1500));
    let id_b = run_container(&mut c, &pod_id, &sandbox, "app-b", &image)
        .unwrap_or_else(|e| panic!("{e}\ncontainerd log:\n{}", ctd.log()));
    let out = dig.wait_with_output().expect("syspect dig");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "syspect dig failed: {stderr}");
    // Each line: the event's time, then the container columns, then the
    // process name.
    let rows: Vec<(u64, &str, &str)> = stdout
        .lines()
        .filter_map(|l| {
            let (ts, rest) = l.split_once(' ')?;
            let (cols, comm) = rest.rsplit_once(' ')?;
            Some((ts.parse().ok()?, cols, comm))
        })
        .collect();
    let mut kinds: Vec<&str> = rows.iter().map(|r| r.1).collect();
    kinds.sort_unstable();
    kinds.dedup();
    eprintln!("distinct container columns seen:\n{}", kinds.join("\n"));
    for (id, name) in [(&id_a, "app-a"), (&id_b, "app-b")] {
        let short = &id[..12];
        let lines: Vec<common::ContainerRow> = rows
            .iter()
            .filter(|r| r.1.starts_with(&format!("{short} ")))
            .copied()
            .collect();
        assert!(
            !lines.is_empty(),
            "no events from container {short} ({name}); stderr: {stderr}\nstdout head: {}",
            stdout.lines().take(5).collect::<Vec<_>>().join("\n")
        );
        let want = format!(
            "{short} {name} {image} web-0 prod containerd {uid} {} front syspect-test",
            &pod_id[..12]
        );
        common::check_metadata_arrival(short, &lines, &want, &["cat", "sh"]);
    }
    // The library's lookup directly, by the short ids cgroups give: a
    // container (verbose status, sandbox, image) and the pod sandbox itself
    // (ContainerStatus says NotFound; PodSandboxStatus answers).
    let ca = cri::lookup(&mut c, &id_a[..12], ContainerType::Containerd).expect("lookup A");
    assert_eq!(ca.full_id, id_a);
    assert_eq!(ca.name, "app-a");
    assert_eq!(ca.image_repository, "localhost/syspect-busybox");
    assert_eq!(ca.image_tag, format!("cri{tag}"));
    assert_eq!(ca.image_id.len(), 64, "image id {:?}", ca.image_id);
    assert!(
        ca.cmdline.starts_with("/bin/sh -c while true"),
        "{}",
        ca.cmdline
    );
    assert!(ca.env.iter().any(|e| e == "PATH=/bin"), "{:?}", ca.env);
    assert!(ca.start_ts > 0 && !ca.privileged && !ca.is_pod_sandbox);
    assert_eq!(
        ca.labels.get("app").map(String::as_str),
        Some("syspect-test")
    );
    let pod = ca.pod.as_ref().expect("pod sandbox");
    assert_eq!(
        (pod.id.as_str(), pod.uid.as_str()),
        (pod_id.as_str(), uid.as_str())
    );
    assert_eq!(pod.labels.get("tier").map(String::as_str), Some("front"));
    let sb = cri::lookup(&mut c, &pod_id[..12], ContainerType::Containerd).expect("lookup pod");
    assert!(sb.is_pod_sandbox);
    assert_eq!(
        sb.k8s().map(|k| (k.name, k.namespace)),
        Some(("web-0", Some("prod")))
    );
    // Other containers on the machine may fail to be looked up (they are
    // not in this containerd); ours must not.
    for id in [&id_a, &id_b, &pod_id] {
        assert!(
            !stderr.contains(&id[..12]),
            "unexpected warning about {}: {stderr}",
            &id[..12]
        );
    }
}

// ---------------------------------------------------------------------
// With no runtime (or one that never answers): nothing waits, nothing is
// printed per event.

use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use syspect::capture::scap::ScapReader;
use syspect::capture::{CaptureMeta, Item, Source};
use syspect::event::EventRef;
use syspect::state::containers::cri::{set_options, CriOptions};
use syspect::state::containers::Lookup;
use syspect::state::State;

/// Live captures of this binary run one at a time.
static LIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn live_lock() -> std::sync::MutexGuard<'static, ()> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// A capture in memory: its first metadata and its events.
struct Loaded {
    meta: CaptureMeta,
    events: Vec<(u16, u32, Vec<u8>)>,
}

fn load(path: &Path) -> Loaded {
    let mut r = ScapReader::open(path).expect("open capture");
    let meta = r.meta().clone();
    let mut events = Vec::new();
    while let Some(it) = r.next_item().expect("read capture") {
        if let Item::Event(ev) = it {
            events.push((ev.cpu, ev.dump_flags, ev.bytes().to_vec()));
        }
    }
    Loaded { meta, events }
}

/// State over the capture's events with runtime lookups on; (slowest
/// event, state).
fn pass(l: &Loaded) -> (Duration, State) {
    let mut st = State::new();
    st.containers.set_lookups(true);
    let t0 = Instant::now();
    st.load_meta(&l.meta);
    let mut slowest = t0.elapsed();
    for (cpu, flags, bytes) in &l.events {
        let t = Instant::now();
        let ev = EventRef::new(*cpu, *flags, bytes).expect("event");
        std::hint::black_box(st.process(&ev));
        slowest = slowest.max(t.elapsed());
    }
    (slowest, st)
}

/// A CRI socket that accepts connections and never answers.
fn hung_socket(dir: &Path) -> (PathBuf, Arc<AtomicUsize>) {
    let path = dir.join("hung.sock");
    let listener = UnixListener::bind(&path).expect("bind");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(conn);
        }
    });
    (path, accepted)
}

#[test]
fn unanswered_lookups_never_hold_up_events() {
    const TIMEOUT: Duration = Duration::from_secs(3);
    let dir = tempfile::tempdir().expect("tempdir");
    let (sock, accepted) = hung_socket(dir.path());
    set_options(CriOptions {
        sockets: vec![sock],
        timeout: Some(TIMEOUT),
    });
    let caps: Vec<Loaded> = common::IN_CONTAINERS
        .iter()
        .map(|c| load(&common::capture(c)))
        .collect();
    let events: usize = caps.iter().map(|l| l.events.len()).sum();
    // Lookups on, to a runtime that never answers.
    let started = Instant::now();
    let mut states = Vec::new();
    let mut slowest = Duration::ZERO;
    for l in &caps {
        let (s, st) = pass(l);
        slowest = slowest.max(s);
        states.push(st);
    }
    let ended = started.elapsed();
    let asked: u64 = states
        .iter()
        .map(|s| s.containers.lookups_requested())
        .sum();
    let answered: u64 = states.iter().map(|s| s.containers.lookups_answered()).sum();
    eprintln!(
        "{events} events of {} captures in {ended:?} (slowest event {slowest:?}); {asked} lookups asked, {answered} answered by the end",
        caps.len()
    );
    assert!(
        asked > 0,
        "the captures' containers should have been looked up"
    );
    // Deterministic: every event was processed before the runtime had
    // answered a single lookup (it never answers: a lookup ends only by
    // timing out, and the passes ended before the first could).
    assert!(
        ended < TIMEOUT,
        "the passes took {ended:?}, longer than the lookup timeout"
    );
    assert_eq!(answered, 0, "no lookup can have ended before its timeout");
    assert!(
        slowest < TIMEOUT / 3,
        "one event took {slowest:?}: the event path waited"
    );
    let t0 = Instant::now();
    while accepted.load(Ordering::SeqCst) == 0 && t0.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        accepted.load(Ordering::SeqCst) > 0,
        "the lookup worker should have connected to the socket"
    );
    // Once the runtime has timed out: <NA> metadata, one warning per
    // capture (per State) in all, none per container or event.
    for st in &mut states {
        st.containers.wait_pending(TIMEOUT * 3);
        assert!(
            st.containers
                .map
                .values()
                .all(|c| c.lookup != Lookup::Pending),
            "lookups should have timed out"
        );
        let asked = st.containers.lookups_requested();
        let warnings = st.containers.take_warnings();
        if asked == 0 {
            assert!(warnings.is_empty(), "{warnings:?}");
            continue;
        }
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("no answer"), "{warnings:?}");
    }

    // What lookups cost the event path is measured by
    // `cargo xtask bench containers` (BENCHMARKS.md), not asserted here:
    // a timed ratio is a benchmark's job.
}

/// Cgroups named like a Docker container's (`/docker/<64 hex>`) in every
/// cgroup hierarchy, as Docker makes them, for a process of the test to
/// move into; removed on drop.
struct FakeContainerCgroup {
    dirs: Vec<PathBuf>,
}

impl FakeContainerCgroup {
    fn new(id: &str) -> Option<FakeContainerCgroup> {
        let dirs: Vec<PathBuf> = cgroup_roots()
            .into_iter()
            .map(|root| root.join("docker").join(id))
            .filter(|dir| std::fs::create_dir_all(dir).is_ok() && dir.join("cgroup.procs").exists())
            .collect();
        (!dirs.is_empty()).then_some(FakeContainerCgroup { dirs })
    }

    /// Shell commands moving the shell into the cgroups.
    fn enter(&self) -> String {
        self.dirs
            .iter()
            .map(|d| {
                format!(
                    "{{ echo $$ > {}; }} 2>/dev/null; ",
                    d.join("cgroup.procs").display()
                )
            })
            .collect()
    }
}

impl Drop for FakeContainerCgroup {
    fn drop(&mut self) {
        for dir in &self.dirs {
            for _ in 0..50 {
                if std::fs::remove_dir(dir).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if let Some(parent) = dir.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

/// `syspect dig -M 5 ARGS` with every runtime socket pointing nowhere,
/// while `workload` runs (started once the capture is up).
fn dig_without_runtime(dir: &Path, args: &[&str], workload: &str) -> (String, String) {
    let absent = dir.join("absent");
    let dig = Command::new(syspect_bin())
        .args(["dig", "-M", "5", "--cri"])
        .arg(absent.join("cri.sock"))
        .args(args)
        .env(
            "CONTAINER_HOST",
            format!("unix://{}", absent.join("podman.sock").display()),
        )
        .env_remove("DOCKER_HOST")
        .env_remove("CONTAINER_RUNTIME_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn syspect dig");
    std::thread::sleep(Duration::from_millis(1500));
    let st = Command::new("/bin/sh")
        .args(["-c", workload])
        .status()
        .expect("workload");
    assert!(st.success(), "workload failed");
    let out = dig.wait_with_output().expect("syspect dig");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "syspect dig failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

#[test]
fn no_runtime_live_nothing_per_event() {
    if !root_or_skip("containers_cri (live capture, no runtime)") {
        return;
    }
    let _live = live_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let lp = "i=0; while [ $i -lt 25 ]; do /bin/true; sleep 0.1; i=$((i+1)); done";

    // 1. A container-less workload: no lookup, nothing on stderr (at most
    // one line, should a container of someone else's show up meanwhile).
    let (stdout, stderr) = dig_without_runtime(
        dir.path(),
        &["-p", "%proc.name %container.id", "proc.name=true"],
        lp,
    );
    let events = stdout.lines().filter(|l| *l == "true host").count();
    assert!(
        events >= 25,
        "too few events of the workload: {events}\n{stderr}"
    );
    assert!(
        stderr.lines().count() <= 1,
        "{events} events, and stderr says:\n{stderr}"
    );

    // 2. A process in a cgroup named like a Docker container's, with no
    // runtime to ask: its events carry the id with <NA> metadata, and one
    // warning is printed in all.
    let tag = u64::from(std::process::id());
    let id = format!("{:016x}", tag.wrapping_mul(0x9e37_79b9_7f4a_7c15)).repeat(4);
    let Some(cg) = FakeContainerCgroup::new(&id) else {
        return skip("cannot create a cgroup");
    };
    let script = format!("{}{lp}", cg.enter());
    let (stdout, stderr) = dig_without_runtime(
        dir.path(),
        &[
            "-p",
            "*%container.id %container.name %container.image %proc.name",
            "container.id!=host",
        ],
        &script,
    );
    let short = &id[..12];
    let mine: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with(&format!("{short} ")))
        .collect();
    assert!(
        mine.len() >= 25,
        "too few events of the fake container: {}\n{stderr}\nstdout head:\n{}",
        mine.len(),
        stdout.lines().take(5).collect::<Vec<_>>().join("\n")
    );
    assert!(
        mine.iter()
            .all(|l| l.starts_with(&format!("{short} <NA> <NA> "))),
        "{:?}",
        mine.iter()
            .find(|l| !l.starts_with(&format!("{short} <NA> <NA> ")))
    );
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        warnings.len(),
        1,
        "{} events of the container; stderr:\n{stderr}",
        mine.len()
    );
    assert!(warnings[0].contains("warning"), "{stderr}");
    drop(cg);
}
