//! Container ids from cgroup paths.
//!
//! A process in a container lives in a cgroup whose path names the
//! container: `/docker/<64 hex>` (docker, cgroupfs driver),
//! `/system.slice/docker-<64 hex>.scope` (docker, systemd driver),
//! `.../cri-containerd-<64 hex>.scope` or `...:cri-containerd:<64 hex>`
//! (containerd through CRI), `.../crio-<64 hex>.scope` or `.../crio-<64 hex>`
//! (cri-o), `.../libpod-<64 hex>.scope[/container]` or
//! `/libpod_parent/libpod-<64 hex>` (podman), `/kubepods/.../<64 hex>`
//! (Kubernetes, cgroupfs driver), `/lxc/<name>` (LXC). The same paths show
//! up in every cgroup v1 hierarchy and in the single v2 hierarchy; a thread's
//! cgroups are kept as `subsystems=path` strings (`=path` for v2), as
//! `/proc/PID/cgroup` and the capture process list give them.
//!
//! Like libsinsp, ids are cut to their first 12 characters.

use super::ContainerType;
use crate::capture::meta::StrList;

/// Length of the ids libsinsp shows.
pub const SHORT_ID_LEN: usize = 12;

/// The container a thread with these cgroups belongs to: `None` when the
/// cgroups are unknown (empty list), `Some(("host", Host))` when none of
/// them names a container.
pub fn container_of(cgroups: &StrList) -> Option<(String, ContainerType)> {
    if cgroups.is_empty() {
        return None;
    }
    for cg in cgroups {
        if let Some(found) = from_path(cgroup_path(cg)) {
            return Some(found);
        }
    }
    Some(("host".to_string(), ContainerType::Host))
}

/// Just the id (`host` for host processes).
pub fn container_id(cgroups: &StrList) -> Option<String> {
    container_of(cgroups).map(|(id, _)| id)
}

/// The path part of `subsys=path` (v1), `=path` (v2) or a bare path.
/// `/proc/PID/cgroup` lines (`N:subsys:path`) are accepted too.
pub fn cgroup_path(entry: &str) -> &str {
    // The first `=/` (a byte search: cheaper than a substring searcher for
    // these short strings).
    let b = entry.as_bytes();
    if let Some(i) = (0..b.len().saturating_sub(1)).find(|&i| b[i] == b'=' && b[i + 1] == b'/') {
        return &entry[i + 1..];
    }
    if entry.starts_with('/') {
        return entry;
    }
    // `hierarchy-id:controllers:path`
    let mut parts = entry.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(_), Some(p)) if p.starts_with('/') => p,
        _ => entry,
    }
}

/// `/proc/TID/cgroup` as `subsystems=path` entries (`=path` for v2).
pub fn read_proc_cgroups(tid: u64) -> Option<StrList> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/cgroup")).ok()?;
    let v: StrList = text
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, ctrl, path) = (parts.next()?, parts.next()?, parts.next()?);
            Some(format!("{ctrl}={path}"))
        })
        .collect();
    (!v.is_empty()).then_some(v)
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn short(id: &str) -> String {
    id[..SHORT_ID_LEN].to_string()
}

/// The container named by one cgroup path, if any. The deepest matching
/// component wins (podman puts the container's processes in
/// `libpod-<id>.scope/container`).
pub fn from_path(path: &str) -> Option<(String, ContainerType)> {
    if !may_name_container(path) {
        return None;
    }
    scan_components(path)
}

fn scan_components(path: &str) -> Option<(String, ContainerType)> {
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for (i, c) in comps.iter().enumerate().rev() {
        if let Some(found) = from_component(c, &comps[..i], path) {
            return Some(found);
        }
    }
    None
}

/// False when no component of `path` can name a container: every id
/// [`from_component`] recognises is a component of at least 64 bytes, and
/// LXC names come with `lxc` in the path. Host cgroups (most of them) are
/// ruled out with one pass over the bytes.
fn may_name_container(path: &str) -> bool {
    let b = path.as_bytes();
    let mut run = 0usize;
    for (i, &c) in b.iter().enumerate() {
        if c == b'/' {
            run = 0;
            continue;
        }
        run += 1;
        if run >= 64 || (c == b'l' && b.get(i + 1..i + 3) == Some(b"xc")) {
            return true;
        }
    }
    false
}

fn strip_scope(c: &str) -> &str {
    c.strip_suffix(".scope").unwrap_or(c)
}

fn from_component(c: &str, parents: &[&str], path: &str) -> Option<(String, ContainerType)> {
    let prefixed: [(&str, ContainerType); 4] = [
        ("docker-", ContainerType::Docker),
        ("cri-containerd-", ContainerType::Containerd),
        ("crio-", ContainerType::Crio),
        ("libpod-", ContainerType::Podman),
    ];
    let base = strip_scope(c);
    for (prefix, ty) in prefixed {
        if let Some(id) = base.strip_prefix(prefix) {
            if is_hex64(id) {
                return Some((short(id), ty));
            }
        }
    }
    // containerd with the cgroupfs driver under a systemd-style parent:
    // `kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>`.
    if let Some(i) = c.find(":cri-containerd:") {
        let id = &c[i + ":cri-containerd:".len()..];
        if is_hex64(id) {
            return Some((short(id), ContainerType::Containerd));
        }
    }
    if is_hex64(c) {
        let ty = if parents.contains(&"docker") || parents.contains(&"actions_job") {
            ContainerType::Docker
        } else if parents.contains(&"k8s.io") || path.contains("containerd") {
            ContainerType::Containerd
        } else if parents.iter().any(|p| p.starts_with("kubepods")) {
            ContainerType::Cri
        } else if parents.iter().any(|p| p.starts_with("libpod")) {
            ContainerType::Podman
        } else {
            ContainerType::Docker
        };
        return Some((short(c), ty));
    }
    // LXC: `/lxc/<name>`, `/lxc.payload/<name>`, `/lxc.payload.<name>`.
    if let Some(name) = c.strip_prefix("lxc.payload.") {
        if !name.is_empty() {
            return Some((name.to_string(), ContainerType::Lxc));
        }
    }
    if let Some(parent) = parents.last() {
        if (*parent == "lxc" || *parent == "lxc.payload") && parents.len() == 1 {
            return Some((c.to_string(), ContainerType::Lxc));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "b199b3b57988e3e14b08e95a0259000e048e894187d0326d61320500d0e82bb8";

    #[test]
    fn paths_of_entries() {
        assert_eq!(cgroup_path("cpu,cpuacct=/docker/x"), "/docker/x");
        assert_eq!(cgroup_path("=/init.scope"), "/init.scope");
        assert_eq!(cgroup_path("name=systemd=/user.slice"), "/user.slice");
        assert_eq!(cgroup_path("0::/system.slice"), "/system.slice");
        assert_eq!(cgroup_path("4:memory:/docker/x"), "/docker/x");
    }

    #[test]
    fn quick_rejection_agrees() {
        let paths = [
            format!("/docker/{ID}"),
            format!("/system.slice/docker-{ID}.scope"),
            format!("/kubepods/besteffort/pod1/{ID}"),
            format!("/kubepods.slice/x.slice:cri-containerd:{ID}"),
            format!("/machine.slice/libpod-{ID}.scope/container"),
            "/lxc/web".to_string(),
            "/lxc.payload/web".to_string(),
            "/lxc.payload.web".to_string(),
            "/x/lxc/web".to_string(),
            "/user.slice/user-1000.slice/session-2.scope".to_string(),
            "/".to_string(),
            String::new(),
        ];
        for p in &paths {
            assert_eq!(from_path(p), scan_components(p), "{p}");
        }
        assert!(may_name_container(&paths[0]));
        assert!(may_name_container("/lxc/web"));
        assert!(!may_name_container(
            "/user.slice/user-1000.slice/session-2.scope"
        ));
        assert_eq!(cgroup_path("a=b=/c"), "/c");
        assert_eq!(cgroup_path("="), "=");
        assert_eq!(cgroup_path("=/"), "/");
    }

    #[test]
    fn conmon_is_not_the_container() {
        let cg = StrList::from(vec![format!("=/machine.slice/libpod-conmon-{ID}.scope")]);
        assert_eq!(container_id(&cg).as_deref(), Some("host"));
    }
}
