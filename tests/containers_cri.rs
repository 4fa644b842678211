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
use syspect::state::containers::cri::{pb, CriClient};

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
            "%container.id %container.name %container.image %k8s.pod.name %k8s.ns.name %container.type %k8s.pod.uid %k8s.pod.sandbox_id %k8s.pod.label.tier %container.label.app %proc.name",
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
    let mut kinds: Vec<&str> = stdout.lines().collect();
    kinds.sort_by_key(|l| l.rsplit_once(' ').map(|(a, _)| a).unwrap_or(l));
    kinds.dedup_by_key(|l| l.rsplit_once(' ').map(|(a, _)| a).unwrap_or(l));
    eprintln!("distinct container columns seen:\n{}", kinds.join("\n"));
    for (id, name) in [(&id_a, "app-a"), (&id_b, "app-b")] {
        let short = &id[..12];
        let lines: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{short} ")))
            .collect();
        assert!(
            !lines.is_empty(),
            "no events from container {short} ({name}); stderr: {stderr}\nstdout head: {}",
            stdout.lines().take(5).collect::<Vec<_>>().join("\n")
        );
        let want = format!(
            "{short} {name} {image} web-0 prod containerd {uid} {} front syspect-test ",
            &pod_id[..12]
        );
        let good = lines.iter().filter(|l| l.starts_with(&want)).count();
        // The first events of a container started during the capture may
        // come before the runtime answered (fields <NA>).
        assert!(
            good * 10 >= lines.len() * 8,
            "{short}: {good} of {} lines carry {want:?}; e.g. {:?}",
            lines.len(),
            lines.iter().find(|l| !l.starts_with(&want))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&want) && (l.ends_with(" cat") || l.ends_with(" sh"))),
            "{short}: no events of the container's shell loop"
        );
    }
    assert!(!stderr.contains("warning"), "unexpected warnings: {stderr}");
}
