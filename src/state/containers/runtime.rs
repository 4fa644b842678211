//! Live container metadata: asks the container runtime about containers
//! seen in cgroups, on a worker thread, so that the event path never
//! waits. Answers are cached in the container table by the caller.
//!
//! Supported: the Docker Engine API and podman's Docker-compatible API
//! (`podman system service`) over their unix sockets, with a small
//! HTTP/1.1 client (`GET /containers/{id}/json`, `GET /images/{id}/json`).
//! Sockets tried: `$DOCKER_HOST` and `$CONTAINER_HOST` when they are
//! `unix://` URLs, `/var/run/docker.sock`, `/run/podman/podman.sock`,
//! `/run/user/$UID/podman/podman.sock`.
//!
//! Containers whose cgroups name containerd or cri-o (and bare ids no
//! Docker-compatible API knows) are asked about through the CRI API of
//! their runtime ([`super::cri`]), on the same worker thread.
//!
//! A lookup that fails or times out leaves the container with its id and
//! `<NA>` metadata, and one warning in all (not one per container or
//! event). A socket that did not answer is left alone for a while, so a
//! hung runtime does not make every new container wait for the timeout.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::Value as J;

use super::{cgroup, cri, Container, ContainerType, HealthProbe, Lookup, Mount, ProbeKind};

/// How long one API request may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}: malformed HTTP response")]
    Http(String),
    #[error("{0}: HTTP status {1}")]
    Status(String, u16),
    #[error("{0}: {1}")]
    Json(String, serde_json::Error),
}

/// Sockets of Docker-compatible APIs present on this machine.
pub fn docker_sockets() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for var in ["DOCKER_HOST", "CONTAINER_HOST"] {
        if let Ok(v) = std::env::var(var) {
            if let Some(p) = v.strip_prefix("unix://") {
                out.push(PathBuf::from(p));
            }
        }
    }
    out.push(PathBuf::from("/var/run/docker.sock"));
    out.push(PathBuf::from("/run/podman/podman.sock"));
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    out.push(PathBuf::from(format!("/run/user/{uid}/podman/podman.sock")));
    existing_once(out)
}

/// The paths that exist, each once, in their first order.
pub(crate) fn existing_once(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = Vec::new();
    paths.retain(|p| {
        let keep = p.exists() && !seen.contains(p);
        seen.push(p.clone());
        keep
    });
    paths
}

/// `GET path` on a unix-socket HTTP server; returns status and body.
pub fn http_get(
    sock: &Path,
    path: &str,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), RuntimeError> {
    let io = |source| RuntimeError::Io {
        path: sock.display().to_string(),
        source,
    };
    let deadline = Instant::now() + timeout;
    let mut s = UnixStream::connect(sock).map_err(io)?;
    s.set_read_timeout(Some(timeout)).map_err(io)?;
    s.set_write_timeout(Some(timeout)).map_err(io)?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: syspect\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).map_err(io)?;
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        if Instant::now() > deadline {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "timed out",
            )));
        }
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if let Some(done) = complete_response(&buf) {
                    buf.truncate(done);
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    }
    parse_response(&buf).ok_or_else(|| RuntimeError::Http(sock.display().to_string()))
}

fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn headers(buf: &[u8], end: usize) -> (Option<usize>, bool) {
    let text = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let mut len = None;
    let mut chunked = false;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("content-length:") {
            len = v.trim().parse().ok();
        }
        if let Some(v) = line.strip_prefix("transfer-encoding:") {
            chunked = v.contains("chunked");
        }
    }
    (len, chunked)
}

/// The length of a full response in `buf`, once it has arrived (servers
/// may keep the connection open despite `Connection: close`).
fn complete_response(buf: &[u8]) -> Option<usize> {
    let end = header_end(buf)?;
    let (len, chunked) = headers(buf, end);
    if chunked {
        let (_, used) = dechunk(&buf[end..])?;
        return Some(end + used);
    }
    let len = len?;
    (buf.len() >= end + len).then_some(end + len)
}

/// Decodes a chunked body; `None` until the last chunk has arrived.
fn dechunk(mut b: &[u8]) -> Option<(Vec<u8>, usize)> {
    let total = b.len();
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..nl]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[nl + 2..];
        if size == 0 {
            // Optional trailers end with an empty line.
            let end = b.windows(2).position(|w| w == b"\r\n")?;
            b = &b[end + 2..];
            return Some((out, total - b.len()));
        }
        if b.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

fn parse_response(buf: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = header_end(buf)?;
    let status_line = std::str::from_utf8(&buf[..end]).ok()?.lines().next()?;
    let status: u16 = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let (len, chunked) = headers(buf, end);
    let body = &buf[end..];
    let body = if chunked {
        dechunk(body)?.0
    } else {
        match len {
            Some(n) => body.get(..n)?.to_vec(),
            None => body.to_vec(),
        }
    };
    Some((status, body))
}

fn get_json(sock: &Path, path: &str) -> Result<J, RuntimeError> {
    let (status, body) = http_get(sock, path, TIMEOUT)?;
    let where_ = format!("{} GET {path}", sock.display());
    if status != 200 {
        return Err(RuntimeError::Status(where_, status));
    }
    serde_json::from_slice(&body).map_err(|e| RuntimeError::Json(where_, e))
}

fn s_at<'a>(v: &'a J, path: &[&str]) -> &'a str {
    let mut cur = v;
    for k in path {
        match cur.get(k) {
            Some(x) => cur = x,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

/// `registry/repo:tag@digest` → (repository, tag, digest).
pub fn split_image(image: &str) -> (String, String, String) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, d.to_string()),
        None => (image, String::new()),
    };
    let slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    match name[slash..].rfind(':') {
        Some(i) => (
            name[..slash + i].to_string(),
            name[slash + i + 1..].to_string(),
            digest,
        ),
        None => (
            name.to_string(),
            if digest.is_empty() {
                "latest".to_string()
            } else {
                String::new()
            },
            digest,
        ),
    }
}

fn rfc3339_ns(s: &str) -> u64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|d| d.timestamp_nanos_opt())
        .filter(|n| *n > 0)
        .map(|n| n as u64)
        .unwrap_or(0)
}

/// A container from a Docker-compatible `GET /containers/{id}/json`.
pub fn container_from_inspect(v: &J, ctype: ContainerType) -> Container {
    let full_id = s_at(v, &["Id"]).to_string();
    let id = full_id
        .get(..cgroup::SHORT_ID_LEN)
        .unwrap_or(&full_id)
        .to_string();
    let image = s_at(v, &["Config", "Image"]).to_string();
    let (image_repository, image_tag, image_digest) = split_image(&image);
    let image_id = s_at(v, &["Image"])
        .trim_start_matches("sha256:")
        .to_string();
    let mut labels = BTreeMap::new();
    if let Some(J::Object(m)) = v.pointer("/Config/Labels") {
        for (k, val) in m {
            labels.insert(k.clone(), val.as_str().unwrap_or("").to_string());
        }
    }
    let env = super::jstrings(v.pointer("/Config/Env"));
    let mounts = v
        .get("Mounts")
        .and_then(J::as_array)
        .map(|a| {
            a.iter()
                .map(|m| Mount {
                    source: s_at(m, &["Source"]).to_string(),
                    dest: s_at(m, &["Destination"]).to_string(),
                    mode: s_at(m, &["Mode"]).to_string(),
                    rdwr: m.get("RW").and_then(J::as_bool).unwrap_or(false),
                    propagation: s_at(m, &["Propagation"]).to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ip = s_at(v, &["NetworkSettings", "IPAddress"]).to_string();
    if ip.is_empty() {
        if let Some(J::Object(nets)) = v.pointer("/NetworkSettings/Networks") {
            ip = nets
                .values()
                .map(|n| s_at(n, &["IPAddress"]))
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_string();
        }
    }
    let mut health_probes = Vec::new();
    if let Some(test) = v.pointer("/Config/Healthcheck/Test").and_then(J::as_array) {
        let t: Vec<&str> = test.iter().filter_map(J::as_str).collect();
        let probe = match t.as_slice() {
            ["CMD", exe, args @ ..] => Some((
                exe.to_string(),
                args.iter().map(|a| a.to_string()).collect(),
            )),
            ["CMD-SHELL", cmd, ..] => Some((
                "/bin/sh".to_string(),
                vec!["-c".to_string(), cmd.to_string()],
            )),
            _ => None,
        };
        if let Some((exe, args)) = probe {
            health_probes.push(HealthProbe {
                kind: ProbeKind::Healthcheck,
                exe,
                args,
            });
        }
    }
    let mut cmdline = s_at(v, &["Path"]).to_string();
    if let Some(args) = v.get("Args").and_then(J::as_array) {
        for a in args.iter().filter_map(J::as_str) {
            cmdline.push(' ');
            cmdline.push_str(a);
        }
    }
    let mut start_ts = rfc3339_ns(s_at(v, &["State", "StartedAt"]));
    if start_ts == 0 {
        start_ts = rfc3339_ns(s_at(v, &["Created"]));
    }
    let is_pod_sandbox = labels
        .get("io.kubernetes.docker.type")
        .is_some_and(|t| t == "podsandbox");
    Container {
        id,
        full_id,
        name: s_at(v, &["Name"]).trim_start_matches('/').to_string(),
        image,
        image_repository,
        image_tag,
        image_id,
        image_digest,
        ctype,
        privileged: v
            .pointer("/HostConfig/Privileged")
            .and_then(J::as_bool)
            .unwrap_or(false),
        mounts,
        health_probes,
        ip,
        cmdline,
        labels,
        env,
        is_pod_sandbox,
        start_ts,
        memory_limit: v
            .pointer("/HostConfig/Memory")
            .and_then(J::as_i64)
            .unwrap_or(0),
        cpu_shares: v
            .pointer("/HostConfig/CpuShares")
            .and_then(J::as_i64)
            .unwrap_or(0),
        cpu_quota: v
            .pointer("/HostConfig/CpuQuota")
            .and_then(J::as_i64)
            .unwrap_or(0),
        cpu_period: v
            .pointer("/HostConfig/CpuPeriod")
            .and_then(J::as_i64)
            .unwrap_or(0),
        pod: None,
        lookup: Lookup::Done,
    }
}

/// Looks a container up through a Docker-compatible API socket.
pub fn inspect(sock: &Path, id: &str, ctype: ContainerType) -> Result<Container, RuntimeError> {
    let v = get_json(sock, &format!("/containers/{id}/json"))?;
    let mut c = container_from_inspect(&v, ctype);
    if c.id.is_empty() {
        c.id = id.to_string();
    }
    if c.image_digest.is_empty() && !c.image_id.is_empty() {
        // The registry digest is on the image, under RepoDigests.
        if let Ok(img) = get_json(sock, &format!("/images/{}/json", c.image_id)) {
            let digests = img.get("RepoDigests").and_then(J::as_array);
            for d in digests.into_iter().flatten().filter_map(J::as_str) {
                if let Some((repo, digest)) = d.split_once('@') {
                    if repo == c.image_repository || c.image_digest.is_empty() {
                        c.image_digest = digest.to_string();
                    }
                }
            }
        }
    }
    Ok(c)
}

enum Msg {
    Found(Box<Container>),
    Failed(String),
    Warn(String),
}

/// The lookup worker and its channels.
#[derive(Debug)]
pub struct Runtime {
    tx: Option<mpsc::Sender<(String, ContainerType)>>,
    rx: Option<mpsc::Receiver<Msg>>,
    /// Set by the worker after it sent something: `poll`, called for every
    /// event, then reads one flag instead of the channel.
    ready: Arc<AtomicBool>,
    docker: Vec<PathBuf>,
    cri: Vec<PathBuf>,
    warned_cri: bool,
    warned_none: bool,
    warnings: Vec<String>,
    /// Lookups handed to the worker so far.
    requests: u64,
    /// Lookups the worker has finished (found or failed).
    answers: u64,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Found(c) => write!(f, "Found({})", c.id),
            Msg::Failed(id) => write!(f, "Failed({id})"),
            Msg::Warn(w) => write!(f, "Warn({w})"),
        }
    }
}

impl Runtime {
    /// Finds the runtime sockets; the worker thread starts only if there
    /// is one (Docker-compatible or CRI).
    pub fn start() -> Runtime {
        let docker = docker_sockets();
        let cri = cri::sockets();
        let mut rt = Runtime {
            tx: None,
            rx: None,
            ready: Arc::new(AtomicBool::new(false)),
            docker: docker.clone(),
            cri: cri.clone(),
            warned_cri: false,
            warned_none: false,
            warnings: Vec::new(),
            requests: 0,
            answers: 0,
        };
        if docker.is_empty() && cri.is_empty() {
            return rt;
        }
        let (req_tx, req_rx) = mpsc::channel::<(String, ContainerType)>();
        let (res_tx, res_rx) = mpsc::channel::<Msg>();
        let cri_timeout = cri::timeout();
        let ready = Arc::clone(&rt.ready);
        let spawned = std::thread::Builder::new()
            .name("syspect-containers".into())
            .spawn(move || {
                let mut w = Worker {
                    docker,
                    cri: cri.into_iter().map(CriSocket::new).collect(),
                    cri_timeout,
                    tx: res_tx,
                    ready,
                    warned: false,
                };
                w.run(req_rx)
            });
        match spawned {
            Ok(_) => {
                rt.tx = Some(req_tx);
                rt.rx = Some(res_rx);
            }
            Err(e) => rt
                .warnings
                .push(format!("container metadata lookups disabled: {e}")),
        }
        rt
    }

    /// Queues a lookup; false when nothing can answer it.
    pub fn request(&mut self, id: &str, ctype: ContainerType) -> bool {
        if ctype.is_cri() && self.cri.is_empty() && self.docker.is_empty() {
            if !self.warned_cri {
                self.warned_cri = true;
                self.warnings.push(format!(
                    "container {id} is a CRI container but no CRI socket was found (use --cri PATH or SYSPECT_CRI_SOCKET); its metadata shows <NA>"
                ));
            }
            return false;
        }
        match &self.tx {
            Some(tx) => {
                let sent = tx.send((id.to_string(), ctype)).is_ok();
                self.requests += u64::from(sent);
                sent
            }
            None => {
                if !self.warned_none {
                    self.warned_none = true;
                    self.warnings.push(format!(
                        "no container runtime API socket found (set DOCKER_HOST or CONTAINER_HOST, or --cri); container {id} and others show <NA> metadata"
                    ));
                }
                false
            }
        }
    }

    /// True when `poll` has something to give (answers or warnings).
    #[inline]
    pub fn has_news(&self) -> bool {
        self.ready.load(Ordering::Relaxed) || !self.warnings.is_empty()
    }

    /// Finished lookups: `Ok(container)` or `Err(id)`.
    pub fn poll(&mut self) -> Vec<Result<Container, String>> {
        let mut out = Vec::new();
        let Some(rx) = &self.rx else {
            return out;
        };
        if !self.ready.load(Ordering::Relaxed) {
            return out;
        }
        // Cleared before draining: a message sent after this is either
        // drained now or flagged again.
        self.ready.store(false, Ordering::SeqCst);
        while let Ok(m) = rx.try_recv() {
            match m {
                Msg::Found(c) => out.push(Ok(*c)),
                Msg::Failed(id) => out.push(Err(id)),
                Msg::Warn(w) => {
                    self.warnings.push(w);
                    continue;
                }
            }
            self.answers += 1;
        }
        out
    }

    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The Docker-compatible sockets in use.
    pub fn sockets(&self) -> &[PathBuf] {
        &self.docker
    }

    /// The CRI sockets in use.
    pub fn cri_sockets(&self) -> &[PathBuf] {
        &self.cri
    }

    /// How many lookups were handed to the worker.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// How many lookups the worker has finished (as seen by `poll`).
    pub fn answers(&self) -> u64 {
        self.answers
    }
}

/// How long a socket that failed (timeout, refused) is skipped.
const BACKOFF: Duration = Duration::from_secs(10);

/// One CRI runtime socket, with its client once connected.
struct CriSocket {
    path: PathBuf,
    client: Option<cri::CriClient>,
    /// `container.type` from the runtime's `Version` (once known).
    kind: Option<ContainerType>,
    /// Not asked again before this instant.
    failed_until: Option<Instant>,
}

impl CriSocket {
    fn new(path: PathBuf) -> CriSocket {
        CriSocket {
            path,
            client: None,
            kind: None,
            failed_until: None,
        }
    }

    /// How well this socket fits a container of type `t` (lower first).
    fn rank(&self, t: ContainerType) -> u8 {
        let p = self.path.to_string_lossy();
        let fits = match t {
            ContainerType::Containerd => p.contains("containerd"),
            ContainerType::Crio => p.contains("crio"),
            _ => true,
        };
        u8::from(!fits)
    }

    fn lookup(
        &mut self,
        id: &str,
        ctype: ContainerType,
        timeout: Duration,
    ) -> Result<Container, cri::CriError> {
        if let Some(t) = self.failed_until {
            if Instant::now() < t {
                return Err(cri::CriError::Io {
                    path: self.path.display().to_string(),
                    source: std::io::Error::other("did not answer recently; skipped"),
                });
            }
            self.failed_until = None;
        }
        let client = match &mut self.client {
            Some(c) => c,
            None => self
                .client
                .insert(cri::CriClient::new(&self.path, timeout)?),
        };
        if self.kind.is_none() {
            match client.version() {
                Ok(v) => self.kind = Some(cri::type_of_runtime(&v.runtime_name)),
                Err(e) => {
                    if e.grpc_code().is_none() {
                        self.failed_until = Some(Instant::now() + BACKOFF);
                        self.client = None;
                    }
                    return Err(e);
                }
            }
        }
        let kind = self.kind.unwrap_or(ctype);
        let res = cri::lookup(client, id, kind);
        if let Err(e) = &res {
            if e.grpc_code().is_none() {
                self.failed_until = Some(Instant::now() + BACKOFF);
                self.client = None;
            }
        }
        res
    }
}

struct Worker {
    docker: Vec<PathBuf>,
    cri: Vec<CriSocket>,
    cri_timeout: Duration,
    tx: mpsc::Sender<Msg>,
    ready: Arc<AtomicBool>,
    warned: bool,
}

impl Worker {
    fn run(&mut self, rx: mpsc::Receiver<(String, ContainerType)>) {
        for (id, ctype) in rx {
            let msg = match self.lookup(&id, ctype) {
                Ok(mut c) => {
                    // Keep the id the cgroups gave (the table's key).
                    c.id = id;
                    Msg::Found(Box::new(c))
                }
                Err(why) => {
                    if !self.warned {
                        self.warned = true;
                        let _ = self.tx.send(Msg::Warn(format!(
                            "container metadata lookup failed for {id} ({why}); such containers show <NA> metadata"
                        )));
                        self.ready.store(true, Ordering::SeqCst);
                    }
                    Msg::Failed(id)
                }
            };
            if self.tx.send(msg).is_err() {
                return;
            }
            self.ready.store(true, Ordering::SeqCst);
        }
    }

    fn lookup(&mut self, id: &str, ctype: ContainerType) -> Result<Container, String> {
        // CRI containers go to CRI first, others to the Docker-compatible
        // APIs first; then the other kind (Kubernetes on dockershim has
        // CRI-style cgroups, a bare `/<id>` cgroup may be either).
        let mut last_err = None;
        for cri_turn in [ctype.is_cri(), !ctype.is_cri()] {
            if cri_turn {
                if self.cri.is_empty() && ctype.is_cri() {
                    last_err = Some("no CRI socket; use --cri PATH".to_string());
                }
                let mut order: Vec<usize> = (0..self.cri.len()).collect();
                order.sort_by_key(|&i| self.cri[i].rank(ctype));
                for i in order {
                    match self.cri[i].lookup(id, ctype, self.cri_timeout) {
                        Ok(c) => return Ok(c),
                        // For another container, the Docker API's error
                        // says more.
                        Err(e) if last_err.is_none() || ctype.is_cri() => {
                            last_err = Some(e.to_string())
                        }
                        Err(_) => {}
                    }
                }
            } else {
                for s in &self.docker {
                    match inspect(s, id, ctype) {
                        Ok(c) => return Ok(c),
                        // For a CRI container, the CRI error says more.
                        Err(e) if last_err.is_none() || !ctype.is_cri() => {
                            last_err = Some(e.to_string())
                        }
                        Err(_) => {}
                    }
                }
            }
        }
        Err(last_err.unwrap_or_else(|| "no runtime socket".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(
            split_image("nginx:latest"),
            ("nginx".into(), "latest".into(), String::new())
        );
        assert_eq!(
            split_image("localhost:5000/a/b"),
            ("localhost:5000/a/b".into(), "latest".into(), String::new())
        );
        assert_eq!(
            split_image("docker.io/library/nginx@sha256:abc"),
            (
                "docker.io/library/nginx".into(),
                String::new(),
                "sha256:abc".into()
            )
        );
    }

    #[test]
    fn responses() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(complete_response(r), Some(r.len()));
        assert_eq!(parse_response(r), Some((200, b"{}".to_vec())));
        let c = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(complete_response(c), Some(c.len()));
        assert_eq!(parse_response(c), Some((200, b"{\"a\":1}".to_vec())));
        assert_eq!(
            complete_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}"),
            None
        );
    }

    #[test]
    fn inspect_json() {
        let v: J = serde_json::from_str(
            r#"{"Id":"0123456789abcdef0123","Name":"/web","Image":"sha256:feed","Path":"sh","Args":["-c","x"],
            "Config":{"Image":"busybox:1.36","Labels":{"io.kubernetes.pod.name":"p"},"Healthcheck":{"Test":["CMD-SHELL","true"]}},
            "HostConfig":{"Privileged":true},"NetworkSettings":{"IPAddress":"","Networks":{"n":{"IPAddress":"10.0.0.2"}}},
            "State":{"StartedAt":"2024-01-02T03:04:05.000000006Z"},
            "Mounts":[{"Source":"/s","Destination":"/d","Mode":"z","RW":false,"Propagation":"rprivate"}]}"#,
        )
        .expect("json");
        let c = container_from_inspect(&v, ContainerType::Docker);
        assert_eq!(c.id, "0123456789ab");
        assert_eq!(c.name, "web");
        assert_eq!(c.image_repository, "busybox");
        assert_eq!(c.image_tag, "1.36");
        assert_eq!(c.image_id, "feed");
        assert_eq!(c.ip, "10.0.0.2");
        assert_eq!(c.cmdline, "sh -c x");
        assert!(c.privileged);
        assert_eq!(c.health_probes[0].command(), "/bin/sh -c true");
        assert_eq!(c.start_ts, 1_704_164_645_000_000_006);
    }
}
