//! Containers: ids from cgroups, metadata from capture events (container
//! JSON) or, live, from the container runtime's API; Kubernetes fields from
//! the container labels.

pub mod cgroup;
pub mod cri;
pub mod runtime;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use rustc_hash::FxHashMap;
use serde_json::Value as J;

use super::threads::Thread;

/// What kind of runtime a container belongs to (libsinsp's numbering in
/// container JSON events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContainerType {
    #[default]
    Docker,
    Lxc,
    LibvirtLxc,
    Mesos,
    Rkt,
    Custom,
    Cri,
    Containerd,
    Crio,
    Bpm,
    Static,
    Podman,
    /// Not a container.
    Host,
}

impl ContainerType {
    /// From the `type` number of a container JSON event.
    pub fn from_code(n: i64) -> ContainerType {
        match n {
            1 => ContainerType::Lxc,
            2 => ContainerType::LibvirtLxc,
            3 => ContainerType::Mesos,
            4 => ContainerType::Rkt,
            5 => ContainerType::Custom,
            6 => ContainerType::Cri,
            7 => ContainerType::Containerd,
            8 => ContainerType::Crio,
            9 => ContainerType::Bpm,
            10 => ContainerType::Static,
            11 => ContainerType::Podman,
            _ => ContainerType::Docker,
        }
    }

    /// `container.type`.
    pub fn name(self) -> &'static str {
        match self {
            ContainerType::Docker => "docker",
            ContainerType::Lxc => "lxc",
            ContainerType::LibvirtLxc => "libvirt-lxc",
            ContainerType::Mesos => "mesos",
            ContainerType::Rkt => "rkt",
            ContainerType::Custom => "custom",
            ContainerType::Cri => "cri",
            ContainerType::Containerd => "containerd",
            ContainerType::Crio => "cri-o",
            ContainerType::Bpm => "bpm",
            ContainerType::Static => "static",
            ContainerType::Podman => "podman",
            ContainerType::Host => "host",
        }
    }

    /// Runtimes whose privileged flag is known (docker API compatible).
    pub fn knows_privileged(self) -> bool {
        matches!(
            self,
            ContainerType::Docker
                | ContainerType::Podman
                | ContainerType::Cri
                | ContainerType::Containerd
                | ContainerType::Crio
        )
    }

    /// Runtimes reached through the CRI API.
    pub fn is_cri(self) -> bool {
        matches!(
            self,
            ContainerType::Cri | ContainerType::Containerd | ContainerType::Crio
        )
    }
}

/// One mount of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    pub mode: String,
    pub rdwr: bool,
    pub propagation: String,
}

impl Mount {
    /// `source:dest:mode:rdwr:propagation`, as libsinsp prints a mount.
    pub fn to_field(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source, self.dest, self.mode, self.rdwr, self.propagation
        )
    }
}

/// Health check / liveness / readiness probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Healthcheck,
    Liveness,
    Readiness,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthProbe {
    pub kind: ProbeKind,
    pub exe: String,
    pub args: Vec<String>,
}

impl HealthProbe {
    pub fn command(&self) -> String {
        let mut s = self.exe.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
}

/// Where a container's metadata stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lookup {
    /// Known from cgroups only; a runtime lookup is under way (live).
    Pending,
    /// Metadata known (capture event or runtime answer).
    #[default]
    Done,
    /// Known from cgroups only; no metadata to be had.
    Failed,
}

/// A container, as `container.*` fields show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Container {
    /// Short (12 character) id.
    pub id: String,
    pub full_id: String,
    pub name: String,
    pub image: String,
    pub image_repository: String,
    pub image_tag: String,
    pub image_id: String,
    pub image_digest: String,
    pub ctype: ContainerType,
    pub privileged: bool,
    pub mounts: Vec<Mount>,
    pub health_probes: Vec<HealthProbe>,
    /// Primary IPv4 address, as text (`0.0.0.0` when unknown).
    pub ip: String,
    /// Entry point and arguments.
    pub cmdline: String,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<String>,
    pub is_pod_sandbox: bool,
    /// Start time, ns since the epoch (0 when unknown).
    pub start_ts: u64,
    pub memory_limit: i64,
    pub cpu_shares: i64,
    pub cpu_quota: i64,
    pub cpu_period: i64,
    /// The pod sandbox, when the runtime (CRI) described it.
    pub pod: Option<PodSandbox>,
    pub lookup: Lookup,
}

/// A Kubernetes pod as the CRI `PodSandboxStatus` describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSandbox {
    /// Full sandbox id.
    pub id: String,
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub ip: String,
}

/// Why a container description was not understood.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("container JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("container JSON has no \"container\" object with an id")]
    NoContainer,
}

fn jstr(v: &J, key: &str) -> String {
    match v.get(key) {
        Some(J::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn jint(v: &J, key: &str) -> i64 {
    v.get(key)
        .and_then(|x| x.as_i64().or_else(|| x.as_u64().map(|u| u as i64)))
        .unwrap_or(0)
}

fn jbool(v: &J, key: &str) -> bool {
    v.get(key).and_then(J::as_bool).unwrap_or(false)
}

fn jlabels(v: Option<&J>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(J::Object(m)) = v {
        for (k, val) in m {
            let text = match val {
                J::String(s) => s.clone(),
                J::Null => String::new(),
                other => other.to_string(),
            };
            out.insert(k.clone(), text);
        }
    }
    out
}

/// The strings of a JSON array (anything else: none).
pub(crate) fn jstrings(v: Option<&J>) -> Vec<String> {
    match v {
        Some(J::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn jmounts(v: Option<&J>) -> Vec<Mount> {
    let Some(J::Array(a)) = v else {
        return Vec::new();
    };
    a.iter()
        .map(|m| Mount {
            source: jstr(m, "Source"),
            dest: jstr(m, "Destination"),
            mode: jstr(m, "Mode"),
            rdwr: jbool(m, "RW"),
            propagation: jstr(m, "Propagation"),
        })
        .collect()
}

impl Container {
    /// A container known only by its id (from cgroups).
    pub fn bare(id: &str, ctype: ContainerType, lookup: Lookup) -> Container {
        Container {
            id: id.to_string(),
            ctype,
            lookup,
            ..Default::default()
        }
    }

    /// Parses the JSON of a `PPME_CONTAINER_JSON_E`/`_2_E` event:
    /// `{"container":{"id":…,"name":…,"image":…,…}}`.
    pub fn from_event_json(text: &str) -> Result<Container, ContainerError> {
        let root: J = serde_json::from_str(text.trim_end_matches(['\0', '\n', ' ']))?;
        let c = root.get("container").ok_or(ContainerError::NoContainer)?;
        let id = jstr(c, "id");
        if id.is_empty() {
            return Err(ContainerError::NoContainer);
        }
        let mut health_probes = Vec::new();
        for (key, kind) in [
            ("Healthcheck", ProbeKind::Healthcheck),
            ("LivenessProbe", ProbeKind::Liveness),
            ("ReadinessProbe", ProbeKind::Readiness),
        ] {
            // libsinsp writes probes as {"exe": …, "args": […]}; anything
            // else (e.g. a raw docker Healthcheck) is not a probe it knows.
            if let Some(p) = c.get(key) {
                if let Some(exe) = p.get("exe").and_then(J::as_str) {
                    health_probes.push(HealthProbe {
                        kind,
                        exe: exe.to_string(),
                        args: jstrings(p.get("args")),
                    });
                }
            }
        }
        Ok(Container {
            id,
            full_id: jstr(c, "full_id"),
            name: jstr(c, "name"),
            image: jstr(c, "image"),
            image_repository: jstr(c, "imagerepo"),
            image_tag: jstr(c, "imagetag"),
            image_id: jstr(c, "imageid"),
            image_digest: jstr(c, "imagedigest"),
            ctype: ContainerType::from_code(jint(c, "type")),
            privileged: jbool(c, "privileged"),
            mounts: jmounts(c.get("Mounts")),
            health_probes,
            ip: jstr(c, "ip"),
            cmdline: String::new(),
            labels: jlabels(c.get("labels")),
            env: jstrings(c.get("env")),
            is_pod_sandbox: jbool(c, "is_pod_sandbox"),
            start_ts: (jint(c, "created_time").max(0) as u64).saturating_mul(1_000_000_000),
            memory_limit: jint(c, "memory_limit"),
            cpu_shares: jint(c, "cpu_shares"),
            cpu_quota: jint(c, "cpu_quota"),
            cpu_period: jint(c, "cpu_period"),
            pod: None,
            lookup: Lookup::Done,
        })
    }

    /// `container.mount[N]` / `[glob]`: by index, or by source glob.
    pub fn mount_by_source(&self, arg: &crate::filter::fields::FieldArg) -> Option<&Mount> {
        self.mount_by(arg, |m| &m.source)
    }

    /// `container.mount.source[glob]` matches the destination instead.
    pub fn mount_by_dest(&self, arg: &crate::filter::fields::FieldArg) -> Option<&Mount> {
        self.mount_by(arg, |m| &m.dest)
    }

    fn mount_by(
        &self,
        arg: &crate::filter::fields::FieldArg,
        key: impl Fn(&Mount) -> &String,
    ) -> Option<&Mount> {
        use crate::filter::fields::FieldArg;
        match arg {
            FieldArg::Index(i) if *i >= 0 => self.mounts.get(*i as usize),
            FieldArg::Name(g) => self.mounts.iter().find(|m| glob_match(g, key(m))),
            _ => None,
        }
    }

    pub fn probe(&self, kind: ProbeKind) -> Option<&HealthProbe> {
        self.health_probes.iter().find(|p| p.kind == kind)
    }

    /// `container.labels`: `key:value` pairs, comma-separated.
    pub fn labels_text(&self) -> String {
        join_labels(self.labels.iter())
    }

    /// The Kubernetes pod this container belongs to: from the runtime's
    /// pod sandbox when known (CRI), else from the container labels.
    pub fn k8s(&self) -> Option<K8sPod<'_>> {
        let nonempty = |s: &'_ str| !s.is_empty();
        let label = |k: &str| self.labels.get(k).map(String::as_str);
        if let Some(p) = self.pod.as_ref().filter(|p| nonempty(&p.name)) {
            return Some(K8sPod {
                name: &p.name,
                namespace: Some(p.namespace.as_str())
                    .filter(|s| nonempty(s))
                    .or_else(|| label(K8S_POD_NAMESPACE)),
                uid: Some(p.uid.as_str())
                    .filter(|s| nonempty(s))
                    .or_else(|| label(K8S_POD_UID)),
                sandbox_id: Some(short_id(&p.id)).filter(|s| nonempty(s)),
                labels: &p.labels,
                container: self,
            });
        }
        let name = self.labels.get(K8S_POD_NAME)?;
        Some(K8sPod {
            name,
            namespace: label(K8S_POD_NAMESPACE),
            uid: label(K8S_POD_UID),
            sandbox_id: [
                "io.kubernetes.sandbox.id",
                "io.kubernetes.cri.sandbox-id",
                "io.kubernetes.cri-o.SandboxID",
            ]
            .iter()
            .find_map(|k| self.labels.get(*k))
            .map(|s| short_id(s)),
            labels: &self.labels,
            container: self,
        })
    }
}

/// The first 12 characters of an id, as libsinsp shows ids.
fn short_id(s: &str) -> &str {
    s.get(..cgroup::SHORT_ID_LEN).unwrap_or(s)
}

pub const K8S_POD_NAME: &str = "io.kubernetes.pod.name";
pub const K8S_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
pub const K8S_POD_UID: &str = "io.kubernetes.pod.uid";

/// A pod seen through one of its containers' labels.
#[derive(Debug, Clone, Copy)]
pub struct K8sPod<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub uid: Option<&'a str>,
    pub sandbox_id: Option<&'a str>,
    /// The pod's labels (sandbox labels from CRI, else the container's).
    pub labels: &'a BTreeMap<String, String>,
    pub container: &'a Container,
}

impl<'a> K8sPod<'a> {
    /// Pod labels: the labels that are not Kubernetes or runtime
    /// bookkeeping (`io.kubernetes.*`, `annotation.*`).
    pub fn labels(&self) -> impl Iterator<Item = (&'a String, &'a String)> {
        self.labels
            .iter()
            .filter(|(k, _)| !k.starts_with("io.kubernetes.") && !k.starts_with("annotation."))
    }

    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.labels()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn labels_text(&self) -> String {
        join_labels(self.labels())
    }
}

fn join_labels<'a>(it: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut s = String::new();
    for (k, v) in it {
        if !s.is_empty() {
            s.push(',');
        }
        s.push_str(k);
        s.push(':');
        s.push_str(v);
    }
    s
}

/// Shell-style glob with `*` and `?` (what libsinsp's fnmatch use needs).
pub fn glob_match(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The container a container event (`PPME_CONTAINER_E`, `_JSON_E`,
/// `_JSON_2_E`) describes, if it names one.
pub fn from_event(ev: &crate::event::EventRef<'_>) -> Option<Container> {
    use crate::event::params;
    if ev.etype() == crate::event::table::ids::CONTAINER_E {
        // The oldest form: id, type, name, image as parameters.
        let text = |i: usize| ev.param(i).map(params::as_str);
        text(0).filter(|id| !id.is_empty()).map(|id| {
            let code = ev
                .param(1)
                .and_then(|b| params::as_i64(crate::event::table::pt::UINT32, b))
                .unwrap_or(0);
            Container {
                id,
                ctype: ContainerType::from_code(code),
                name: text(2).unwrap_or_default(),
                image: text(3).unwrap_or_default(),
                ..Default::default()
            }
        })
    } else {
        ev.param(0)
            .map(params::as_str)
            .and_then(|j| Container::from_event_json(&j).ok())
    }
}

/// The container table.
#[derive(Debug, Default)]
pub struct Containers {
    pub map: FxHashMap<String, Container>,
    /// Live metadata lookups (None for captures and before the first
    /// container is seen live).
    runtime: Option<runtime::Runtime>,
    /// Warnings for the user (each said once), taken by the front end.
    warnings: Vec<String>,
    /// Ask the runtime even when not live (tests and measurements of the
    /// lookup path on captures).
    always_look_up: bool,
}

/// A copy of the table for replaying stored events: the metadata, without
/// the live runtime connection (replays never look containers up).
impl Clone for Containers {
    fn clone(&self) -> Containers {
        Containers {
            map: self.map.clone(),
            runtime: None,
            warnings: Vec::new(),
            always_look_up: false,
        }
    }
}

impl Containers {
    pub fn get(&self, id: &str) -> Option<&Container> {
        self.map.get(id)
    }

    /// Adds or replaces a container's metadata.
    pub fn insert(&mut self, c: Container) {
        self.map.insert(c.id.clone(), c);
    }

    /// Remembers a container known from cgroups; live, asks the runtime
    /// about it (once).
    pub fn note(&mut self, id: &str, ctype: ContainerType, live: bool) {
        if id.is_empty() || id == "host" || self.map.contains_key(id) {
            return;
        }
        if !live && !self.always_look_up {
            // A capture without metadata for this id: libsinsp keeps an
            // entry of the runtime's type with no name or image.
            self.map
                .insert(id.to_string(), Container::bare(id, ctype, Lookup::Failed));
            return;
        }
        let rt = self.runtime.get_or_insert_with(runtime::Runtime::start);
        let lookup = if rt.request(id, ctype) {
            Lookup::Pending
        } else {
            Lookup::Failed
        };
        self.map
            .insert(id.to_string(), Container::bare(id, ctype, lookup));
        let w = rt.take_warnings();
        self.warnings.extend(w);
    }

    /// Applies finished runtime lookups (never blocks). Called for every
    /// event: with nothing new it reads one flag.
    #[inline]
    pub fn poll(&mut self) {
        if self
            .runtime
            .as_ref()
            .is_some_and(runtime::Runtime::has_news)
        {
            self.apply_answers();
        }
    }

    fn apply_answers(&mut self) {
        let Some(rt) = self.runtime.as_mut() else {
            return;
        };
        for res in rt.poll() {
            // Only entries still waiting take the answer: metadata that
            // arrived meanwhile (a capture's container event) stays.
            match res {
                Ok(c) => {
                    if let Some(old) = self.map.get_mut(&c.id) {
                        if old.lookup == Lookup::Pending {
                            *old = c;
                        }
                    }
                }
                Err(id) => {
                    if let Some(c) = self.map.get_mut(&id) {
                        if c.lookup == Lookup::Pending {
                            c.lookup = Lookup::Failed;
                        }
                    }
                }
            }
        }
        let w = rt.take_warnings();
        self.warnings.extend(w);
    }

    /// Waits up to `timeout` for pending lookups (used by tests and at
    /// start-up, never on the event path).
    pub fn wait_pending(&mut self, timeout: std::time::Duration) {
        let end = std::time::Instant::now() + timeout;
        while self.lookups_answered() < self.lookups_requested() && std::time::Instant::now() < end
        {
            self.poll();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Makes containers seen in cgroups be looked up in the runtime even
    /// when the events do not come from a live capture (for tests and
    /// measurements of the lookup path; live captures always look up).
    pub fn set_lookups(&mut self, on: bool) {
        self.always_look_up = on;
    }

    /// How many runtime lookups were started.
    pub fn lookups_requested(&self) -> u64 {
        self.runtime.as_ref().map_or(0, runtime::Runtime::requests)
    }

    /// How many runtime lookups have finished (found or failed).
    pub fn lookups_answered(&self) -> u64 {
        self.runtime.as_ref().map_or(0, runtime::Runtime::answers)
    }

    /// Warnings not yet shown.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }
}

/// The thread libsinsp shows for a container event: `container:<id>`.
pub fn event_thread(tid: u64, id: &str) -> Thread {
    let name = format!("container:{id}");
    Thread {
        // libsinsp's thread for these events has pid -1 (and is a main
        // thread, see `thread.ismain`), no session or process group (-1)
        // and login uid 0.
        tid,
        pid: u64::MAX,
        ptid: 0,
        sid: u64::MAX,
        vpgid: u64::MAX,
        fdlimit: u64::MAX,
        vtid: -2,
        vpid: -2,
        comm: name,
        container_id: id.to_string(),
        uid: 0,
        gid: 0,
        loginuid: 0,
        last_enter_type: u16::MAX,
        complete: true,
        ..Default::default()
    }
}

/// Parses a dotted IPv4 address into the text libsinsp would show.
pub fn ip_text(s: &str) -> String {
    s.parse::<Ipv4Addr>()
        .map(|ip| ip.to_string())
        .unwrap_or_else(|_| "0.0.0.0".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_event_json() {
        let j = r#"{"container":{"Mounts":[{"Destination":"/data","Mode":"","Propagation":"rprivate","RW":true,"Source":"/srv"}],"id":"9dbcbd0c435f","image":"nginx:latest","imagedigest":"sha256:96","imageid":"f68d","imagerepo":"nginx","imagetag":"latest","ip":"172.17.0.2","labels":{"io.kubernetes.pod.name":"web-0","io.kubernetes.pod.namespace":"prod","app":"web"},"name":"epic_cray","privileged":true,"type":0}}
"#;
        let c = Container::from_event_json(j).expect("parse");
        assert_eq!(c.id, "9dbcbd0c435f");
        assert_eq!(c.name, "epic_cray");
        assert_eq!(c.ctype.name(), "docker");
        assert!(c.privileged);
        assert_eq!(c.mounts[0].to_field(), "/srv:/data::true:rprivate");
        let k = c.k8s().expect("pod");
        assert_eq!(k.name, "web-0");
        assert_eq!(k.namespace, Some("prod"));
        assert_eq!(k.labels_text(), "app:web");
    }

    #[test]
    fn null_labels_and_bad_json() {
        let c = Container::from_event_json(r#"{"container":{"id":"a","labels":null,"type":11}}"#)
            .expect("parse");
        assert!(c.labels.is_empty());
        assert_eq!(c.ctype, ContainerType::Podman);
        assert!(Container::from_event_json("{").is_err());
        assert!(Container::from_event_json("{}").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match("/usr/*", "/usr/local"));
        assert!(glob_match("/a?c", "/abc"));
        assert!(!glob_match("/mnt/*", "/data"));
    }
}
