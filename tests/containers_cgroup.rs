//! Container ids from real cgroup strings: docker, containerd (CRI),
//! cri-o, podman (libpod), systemd scopes and plain host processes, each
//! as cgroup v1 (`controllers=path`) and v2 (`=path`) entries.

use syspect::state::containers::cgroup::{container_of, from_path, read_proc_cgroups};
use syspect::state::containers::ContainerType as T;

const ID: &str = "b199b3b57988e3e14b08e95a0259000e048e894187d0326d61320500d0e82bb8";
const SHORT: &str = "b199b3b57988";
const POD: &str = "pod1b8e5c3a-6b0b-4bd1-9d0a-4c4c9c7f6e21";
const POD_SYSTEMD: &str = "pod1b8e5c3a_6b0b_4bd1_9d0a_4c4c9c7f6e21";

/// The same path as a v1 entry (several hierarchies) and a v2 entry.
fn v1(path: &str) -> Vec<String> {
    vec![
        "name=systemd=/".to_string(),
        format!("cpu,cpuacct={path}"),
        format!("memory={path}"),
    ]
}

fn v2(path: &str) -> Vec<String> {
    vec![format!("={path}")]
}

fn check(path: &str, want: (&str, T)) {
    for (gen, cg) in [("v1", v1(path)), ("v2", v2(path))] {
        assert_eq!(
            container_of(&cg.clone().into()),
            Some((want.0.to_string(), want.1)),
            "{gen} {path}"
        );
    }
}

#[test]
fn docker_cgroupfs() {
    check(&format!("/docker/{ID}"), (SHORT, T::Docker));
}

#[test]
fn docker_systemd_scope() {
    check(
        &format!("/system.slice/docker-{ID}.scope"),
        (SHORT, T::Docker),
    );
}

#[test]
fn containerd_kubernetes_cgroupfs() {
    check(&format!("/kubepods/besteffort/{POD}/{ID}"), (SHORT, T::Cri));
    // containerd's own namespace (ctr / nerdctl).
    check(&format!("/k8s.io/{ID}"), (SHORT, T::Containerd));
}

#[test]
fn containerd_systemd_scope() {
    check(
        &format!(
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-{POD_SYSTEMD}.slice/cri-containerd-{ID}.scope"
        ),
        (SHORT, T::Containerd),
    );
    // cgroupfs driver with systemd-style names.
    check(
        &format!("/system.slice/containerd.service/kubepods-burstable-{POD_SYSTEMD}.slice:cri-containerd:{ID}"),
        (SHORT, T::Containerd),
    );
}

#[test]
fn crio() {
    check(
        &format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-{POD_SYSTEMD}.slice/crio-{ID}.scope"
        ),
        (SHORT, T::Crio),
    );
    check(
        &format!("/kubepods/burstable/{POD}/crio-{ID}"),
        (SHORT, T::Crio),
    );
    // conmon's scope is not the container.
    check(
        &format!("/kubepods.slice/kubepods-burstable.slice/crio-conmon-{ID}.scope"),
        ("host", T::Host),
    );
}

#[test]
fn podman_libpod() {
    check(
        &format!("/machine.slice/libpod-{ID}.scope"),
        (SHORT, T::Podman),
    );
    check(
        &format!("/machine.slice/libpod-{ID}.scope/container"),
        (SHORT, T::Podman),
    );
    check(&format!("/libpod_parent/libpod-{ID}"), (SHORT, T::Podman));
    check(
        &format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"),
        (SHORT, T::Podman),
    );
    check(
        &format!("/machine.slice/libpod-conmon-{ID}.scope"),
        ("host", T::Host),
    );
}

#[test]
fn host_processes() {
    for p in [
        "/",
        "/init.scope",
        "/user.slice/user-0.slice/session-3.scope",
        "/system.slice/docker.service",
        "/system.slice/containerd.service",
        // 32 hex digits: not a container id.
        "/process_api/38858fd620a2d84829955895c69bf7ac",
    ] {
        check(p, ("host", T::Host));
    }
    // Unknown cgroups: no answer (the thread keeps what it had).
    assert_eq!(container_of(&Default::default()), None);
}

#[test]
fn lxc() {
    assert_eq!(from_path("/lxc/web1"), Some(("web1".into(), T::Lxc)));
    assert_eq!(
        from_path("/lxc.payload.web1"),
        Some(("web1".into(), T::Lxc))
    );
}

#[test]
fn capture_process_list_strings() {
    // As written by sysdig into sysflow/mpm-event_full_capture.scap.
    let cg: Vec<String> = [
        "cpuset=/docker/b199b3b57988e3e14b08e95a0259000e048e894187d0326d61320500d0e82bb8",
        "cpu=/docker/b199b3b57988e3e14b08e95a0259000e048e894187d0326d61320500d0e82bb8",
        "memory=/docker/b199b3b57988e3e14b08e95a0259000e048e894187d0326d61320500d0e82bb8",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        container_of(&cg.clone().into()),
        Some((SHORT.into(), T::Docker))
    );
}

#[test]
fn this_process_from_proc() {
    let me = std::process::id() as u64;
    let cg = read_proc_cgroups(me).expect("/proc/self/cgroup");
    assert!(cg.iter().all(|e| e.contains("=/")), "{cg:?}");
    // The test itself runs on the host or in some container; either way an
    // answer comes back.
    assert!(container_of(&cg).is_some());
}
