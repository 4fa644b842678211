//! Container metadata from the CRI API of containerd and cri-o.
//!
//! CRI is gRPC: protobuf messages in length-prefixed frames, carried by
//! HTTP/2 `POST /runtime.v1.RuntimeService/<Method>` requests whose status
//! comes back in `grpc-status` trailers. This module speaks just enough of
//! it over a unix socket: [`h2`] for HTTP/2, a current-thread tokio runtime
//! owned by the caller's thread (the container lookup worker), and
//! hand-written [`prost`] messages holding only the fields syspect reads
//! (field numbers from the `runtime.v1` `api.proto` of k8s.io/cri-api).
//! Runtimes that only serve the older `runtime.v1alpha2` service (same
//! messages on the wire) are asked again under that name.
//!
//! A lookup asks `ContainerStatus` (verbose, for the sandbox id, pid,
//! privileged flag and OCI spec), `PodSandboxStatus` (pod name, namespace,
//! uid, labels and IP) and, for the image id, `ImageStatus`. An id that is
//! not a container but a pod sandbox (the pause process) is answered from
//! `PodSandboxStatus` alone.
//!
//! Sockets: `--cri PATH` or `$SYSPECT_CRI_SOCKET` (colon-separated) when
//! given, used as they are; otherwise `$CONTAINER_RUNTIME_ENDPOINT` (as
//! crictl reads it) and the default containerd and cri-o sockets that
//! exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde_json::Value as J;

use super::{cgroup, Container, ContainerType, Lookup, Mount, PodSandbox};

/// Protobuf messages of the CRI `RuntimeService` and `ImageService`, with
/// only the fields syspect uses (unknown fields are skipped on decode).
/// The request messages a client needs to create pods and containers are
/// here too, for tests and tools.
pub mod pb {
    use std::collections::BTreeMap;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct VersionRequest {
        #[prost(string, tag = "1")]
        pub version: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct VersionResponse {
        #[prost(string, tag = "1")]
        pub version: String,
        #[prost(string, tag = "2")]
        pub runtime_name: String,
        #[prost(string, tag = "3")]
        pub runtime_version: String,
        #[prost(string, tag = "4")]
        pub runtime_api_version: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatusRequest {
        #[prost(string, tag = "1")]
        pub container_id: String,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatusResponse {
        #[prost(message, optional, tag = "1")]
        pub status: Option<ContainerStatus>,
        #[prost(btree_map = "string, string", tag = "2")]
        pub info: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerMetadata {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(uint32, tag = "2")]
        pub attempt: u32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ImageSpec {
        #[prost(string, tag = "1")]
        pub image: String,
    }

    /// `MountPropagation`: 0 private, 1 host-to-container, 2 bidirectional.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Mount {
        #[prost(string, tag = "1")]
        pub container_path: String,
        #[prost(string, tag = "2")]
        pub host_path: String,
        #[prost(bool, tag = "3")]
        pub readonly: bool,
        #[prost(bool, tag = "4")]
        pub selinux_relabel: bool,
        #[prost(int32, tag = "5")]
        pub propagation: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinuxContainerResources {
        #[prost(int64, tag = "1")]
        pub cpu_period: i64,
        #[prost(int64, tag = "2")]
        pub cpu_quota: i64,
        #[prost(int64, tag = "3")]
        pub cpu_shares: i64,
        #[prost(int64, tag = "4")]
        pub memory_limit_in_bytes: i64,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerResources {
        #[prost(message, optional, tag = "1")]
        pub linux: Option<LinuxContainerResources>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerStatus {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub metadata: Option<ContainerMetadata>,
        #[prost(int32, tag = "3")]
        pub state: i32,
        #[prost(int64, tag = "4")]
        pub created_at: i64,
        #[prost(int64, tag = "5")]
        pub started_at: i64,
        #[prost(message, optional, tag = "8")]
        pub image: Option<ImageSpec>,
        #[prost(string, tag = "9")]
        pub image_ref: String,
        #[prost(btree_map = "string, string", tag = "12")]
        pub labels: BTreeMap<String, String>,
        #[prost(btree_map = "string, string", tag = "13")]
        pub annotations: BTreeMap<String, String>,
        #[prost(message, repeated, tag = "14")]
        pub mounts: Vec<Mount>,
        #[prost(message, optional, tag = "16")]
        pub resources: Option<ContainerResources>,
        #[prost(string, tag = "17")]
        pub image_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatusRequest {
        #[prost(string, tag = "1")]
        pub pod_sandbox_id: String,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatusResponse {
        #[prost(message, optional, tag = "1")]
        pub status: Option<PodSandboxStatus>,
        #[prost(btree_map = "string, string", tag = "2")]
        pub info: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxMetadata {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub uid: String,
        #[prost(string, tag = "3")]
        pub namespace: String,
        #[prost(uint32, tag = "4")]
        pub attempt: u32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxNetworkStatus {
        #[prost(string, tag = "1")]
        pub ip: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PodSandboxStatus {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(message, optional, tag = "2")]
        pub metadata: Option<PodSandboxMetadata>,
        #[prost(int32, tag = "3")]
        pub state: i32,
        #[prost(int64, tag = "4")]
        pub created_at: i64,
        #[prost(message, optional, tag = "5")]
        pub network: Option<PodSandboxNetworkStatus>,
        #[prost(btree_map = "string, string", tag = "7")]
        pub labels: BTreeMap<String, String>,
        #[prost(btree_map = "string, string", tag = "8")]
        pub annotations: BTreeMap<String, String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ContainerFilter {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(string, tag = "3")]
        pub pod_sandbox_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListContainersRequest {
        #[prost(message, optional, tag = "1")]
        pub filter: Option<ContainerFilter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListedContainer {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(string, tag = "2")]
        pub pod_sandbox_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ListContainersResponse {
        #[prost(message, repeated, tag = "1")]
        pub containers: Vec<ListedContainer>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ImageStatusRequest {
        #[prost(message, optional, tag = "1")]
        pub image: Option<ImageSpec>,
        #[prost(bool, tag = "2")]
        pub verbose: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Image {
        #[prost(string, tag = "1")]
        pub id: String,
        #[prost(string, repeated, tag = "2")]
        pub repo_tags: Vec<String>,
        #[prost(string, repeated, tag = "3")]
        pub repo_digests: Vec<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ImageStatusResponse {
        #[prost(message, optional, tag = "1")]
        pub image: Option<Image>,
    }
}

/// gRPC status codes syspect tells apart.
pub mod code {
    pub const OK: u32 = 0;
    pub const NOT_FOUND: u32 = 5;
    pub const UNIMPLEMENTED: u32 = 12;
}

/// A failed CRI request.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: HTTP/2: {source}")]
    H2 { path: String, source: h2::Error },
    #[error("{path}: no answer to {method} within {timeout:?}")]
    Timeout {
        path: String,
        method: String,
        timeout: Duration,
    },
    #[error("{path} {method}: gRPC status {code}: {message}")]
    Status {
        path: String,
        method: String,
        code: u32,
        message: String,
    },
    #[error("{path} {method}: malformed gRPC response: {why}")]
    Protocol {
        path: String,
        method: String,
        why: String,
    },
}

impl CriError {
    /// The gRPC status code, for errors the server reported.
    pub fn grpc_code(&self) -> Option<u32> {
        match self {
            CriError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Where to find CRI runtimes, as set by the command line.
#[derive(Debug, Clone, Default)]
pub struct CriOptions {
    /// Sockets given by the user (`--cri`); empty: the defaults.
    pub sockets: Vec<PathBuf>,
    /// Per-request timeout (`--cri-timeout`); `None`: [`super::runtime::TIMEOUT`].
    pub timeout: Option<Duration>,
}

static OPTIONS: RwLock<Option<CriOptions>> = RwLock::new(None);

/// Sets the CRI sockets and timeout for lookups started from now on.
pub fn set_options(opts: CriOptions) {
    if let Ok(mut g) = OPTIONS.write() {
        *g = Some(opts);
    }
}

/// Applies `--cri` and `--cri-timeout` (nothing to do when neither is given).
pub fn configure(sockets: &[PathBuf], timeout_ms: Option<u64>) {
    if sockets.is_empty() && timeout_ms.is_none() {
        return;
    }
    set_options(CriOptions {
        sockets: sockets.to_vec(),
        timeout: timeout_ms.map(Duration::from_millis),
    });
}

fn options() -> CriOptions {
    OPTIONS
        .read()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

/// The per-request timeout in effect.
pub fn timeout() -> Duration {
    options().timeout.unwrap_or(super::runtime::TIMEOUT)
}

/// The default sockets of containerd and cri-o.
pub const DEFAULT_SOCKETS: &[&str] = &[
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
];

fn unix_path(s: &str) -> Option<PathBuf> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(p) = s.strip_prefix("unix://") {
        return Some(PathBuf::from(p));
    }
    s.starts_with('/').then(|| PathBuf::from(s))
}

/// The CRI sockets to ask: the user's (`--cri`, `$SYSPECT_CRI_SOCKET`)
/// as given, else `$CONTAINER_RUNTIME_ENDPOINT` and the defaults that
/// exist.
pub fn sockets() -> Vec<PathBuf> {
    let opts = options();
    if !opts.sockets.is_empty() {
        return opts.sockets;
    }
    if let Ok(v) = std::env::var("SYSPECT_CRI_SOCKET") {
        let given: Vec<PathBuf> = v.split(':').filter_map(unix_path).collect();
        if !given.is_empty() {
            return given;
        }
    }
    let mut out: Vec<PathBuf> = Vec::new();
    if let Ok(v) = std::env::var("CONTAINER_RUNTIME_ENDPOINT") {
        out.extend(unix_path(&v));
    }
    out.extend(DEFAULT_SOCKETS.iter().map(PathBuf::from));
    super::runtime::existing_once(out)
}

/// The gRPC services tried, newest first.
const SERVICES: [&str; 2] = ["runtime.v1", "runtime.v1alpha2"];

/// A gRPC client of one CRI socket. Blocking: each call runs the
/// connection on the client's own current-thread runtime until the answer
/// or the timeout; the HTTP/2 connection is kept between calls.
pub struct CriClient {
    path: PathBuf,
    timeout: Duration,
    rt: tokio::runtime::Runtime,
    conn: Option<h2::client::SendRequest<Bytes>>,
    /// Index into [`SERVICES`] of the service the runtime answered.
    service: usize,
}

impl std::fmt::Debug for CriClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CriClient")
            .field("path", &self.path)
            .field("timeout", &self.timeout)
            .field("connected", &self.conn.is_some())
            .finish()
    }
}

/// A length-prefixed, uncompressed gRPC message.
pub fn grpc_frame(msg: &impl prost::Message) -> Bytes {
    let len = msg.encoded_len();
    let mut b = BytesMut::with_capacity(5 + len);
    b.put_u8(0);
    b.put_u32(len as u32);
    // Encoding into a buffer with enough room cannot fail.
    let _ = msg.encode(&mut b);
    b.freeze()
}

/// The first message of a gRPC response body.
pub fn grpc_unframe(mut body: &[u8]) -> Result<&[u8], String> {
    if body.len() < 5 {
        return Err(format!("{} byte body", body.len()));
    }
    let compressed = body.get_u8();
    let len = body.get_u32() as usize;
    if compressed != 0 {
        return Err("compressed message (not asked for)".into());
    }
    body.get(..len)
        .ok_or_else(|| format!("message of {len} bytes cut at {}", body.len()))
}

/// gRPC `grpc-message` values are percent-encoded.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn grpc_status(h: &http::HeaderMap) -> Option<(u32, String)> {
    let code = h.get("grpc-status")?.to_str().ok()?.trim().parse().ok()?;
    let msg = h
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .unwrap_or_default();
    Some((code, msg))
}

impl CriClient {
    pub fn new(path: &Path, timeout: Duration) -> Result<CriClient, CriError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|source| CriError::Io {
                path: path.display().to_string(),
                source,
            })?;
        Ok(CriClient {
            path: path.to_path_buf(),
            timeout,
            rt,
            conn: None,
            service: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `RuntimeService/<method>` (or `ImageService/<method>` when
    /// `method` starts with `ImageService/`).
    pub fn call<Req, Resp>(&mut self, method: &str, req: &Req) -> Result<Resp, CriError>
    where
        Req: prost::Message,
        Resp: prost::Message + Default,
    {
        let body = grpc_frame(req);
        loop {
            let (svc, m) = match method.split_once('/') {
                Some((s, m)) => (s, m),
                None => ("RuntimeService", method),
            };
            let full = format!("/{}.{svc}/{m}", SERVICES[self.service]);
            match self.call_raw(&full, body.clone()) {
                Err(e)
                    if e.grpc_code() == Some(code::UNIMPLEMENTED)
                        && self.service + 1 < SERVICES.len() =>
                {
                    self.service += 1;
                }
                Err(e) => return Err(e),
                Ok(bytes) => {
                    return Resp::decode(bytes.as_slice()).map_err(|e| CriError::Protocol {
                        path: self.path.display().to_string(),
                        method: full,
                        why: e.to_string(),
                    })
                }
            }
        }
    }

    /// One unary gRPC call; returns the response message bytes.
    fn call_raw(&mut self, method: &str, body: Bytes) -> Result<Vec<u8>, CriError> {
        let reused = self.conn.is_some();
        match self.call_once(method, body.clone()) {
            // A kept connection the runtime has closed meanwhile (e.g. it
            // restarted): once more on a new one.
            Err(CriError::H2 { .. } | CriError::Io { .. }) if reused => {
                self.call_once(method, body)
            }
            other => other,
        }
    }

    fn call_once(&mut self, method: &str, body: Bytes) -> Result<Vec<u8>, CriError> {
        let path = self.path.clone();
        let timeout = self.timeout;
        let conn = self.conn.take();
        let fut = unary(path.clone(), conn, method.to_string(), body);
        let res = self
            .rt
            .block_on(async { tokio::time::timeout(timeout, fut).await });
        match res {
            Ok(Ok((conn, out))) => {
                self.conn = Some(conn);
                out
            }
            // A broken connection is dropped; the next call reconnects.
            Ok(Err(e)) => Err(e),
            Err(_) => Err(CriError::Timeout {
                path: path.display().to_string(),
                method: method.to_string(),
                timeout,
            }),
        }
    }

    pub fn version(&mut self) -> Result<pb::VersionResponse, CriError> {
        self.call(
            "Version",
            &pb::VersionRequest {
                version: "v1".into(),
            },
        )
    }

    pub fn container_status(
        &mut self,
        id: &str,
        verbose: bool,
    ) -> Result<pb::ContainerStatusResponse, CriError> {
        self.call(
            "ContainerStatus",
            &pb::ContainerStatusRequest {
                container_id: id.into(),
                verbose,
            },
        )
    }

    pub fn pod_sandbox_status(
        &mut self,
        id: &str,
    ) -> Result<pb::PodSandboxStatusResponse, CriError> {
        self.call(
            "PodSandboxStatus",
            &pb::PodSandboxStatusRequest {
                pod_sandbox_id: id.into(),
                verbose: false,
            },
        )
    }

    pub fn image_status(&mut self, image: &str) -> Result<pb::ImageStatusResponse, CriError> {
        self.call(
            "ImageService/ImageStatus",
            &pb::ImageStatusRequest {
                image: Some(pb::ImageSpec {
                    image: image.into(),
                }),
                verbose: false,
            },
        )
    }

    /// The sandbox of a container, from `ListContainers` (for runtimes
    /// whose verbose status does not say).
    pub fn sandbox_of(&mut self, id: &str) -> Result<Option<String>, CriError> {
        let r: pb::ListContainersResponse = self.call(
            "ListContainers",
            &pb::ListContainersRequest {
                filter: Some(pb::ContainerFilter {
                    id: id.into(),
                    pod_sandbox_id: String::new(),
                }),
            },
        )?;
        Ok(r.containers
            .into_iter()
            .map(|c| c.pod_sandbox_id)
            .find(|s| !s.is_empty()))
    }
}

type Conn = h2::client::SendRequest<Bytes>;

/// Connects (unless `conn` is open) and makes one call; gives back the
/// connection for reuse with the result.
async fn unary(
    path: PathBuf,
    conn: Option<Conn>,
    method: String,
    body: Bytes,
) -> Result<(Conn, Result<Vec<u8>, CriError>), CriError> {
    let p = path.display().to_string();
    let h2e = |source| CriError::H2 {
        path: p.clone(),
        source,
    };
    let conn = match conn {
        Some(c) => c,
        None => {
            let io = tokio::net::UnixStream::connect(&path)
                .await
                .map_err(|source| CriError::Io {
                    path: p.clone(),
                    source,
                })?;
            let (send, connection) = h2::client::handshake(io).await.map_err(h2e)?;
            // The connection task runs whenever the runtime is driven (in
            // each call's block_on).
            tokio::spawn(async move {
                let _ = connection.await;
            });
            send
        }
    };
    let mut send = conn.ready().await.map_err(h2e)?;
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://localhost{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("user-agent", "syspect")
        .body(())
        .map_err(|e| CriError::Protocol {
            path: p.clone(),
            method: method.clone(),
            why: e.to_string(),
        })?;
    let (resp, mut stream) = send.send_request(req, false).map_err(h2e)?;
    stream.send_data(body, true).map_err(h2e)?;
    let resp = resp.await.map_err(h2e)?;
    let proto = |why: String| CriError::Protocol {
        path: p.clone(),
        method: method.clone(),
        why,
    };
    let (parts, mut recv) = resp.into_parts();
    if parts.status != http::StatusCode::OK {
        return Ok((send, Err(proto(format!("HTTP status {}", parts.status)))));
    }
    // A "trailers-only" answer carries the status in the headers.
    let mut status = grpc_status(&parts.headers);
    let mut data = Vec::new();
    if status.is_none() {
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.map_err(h2e)?;
            let _ = recv.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        if let Some(t) = recv.trailers().await.map_err(h2e)? {
            status = grpc_status(&t);
        }
    }
    let out = match status {
        None => Err(proto("no grpc-status".into())),
        Some((code::OK, _)) => grpc_unframe(&data).map(<[u8]>::to_vec).map_err(proto),
        Some((code, message)) => Err(CriError::Status {
            path: p.clone(),
            method: method.clone(),
            code,
            message,
        }),
    };
    Ok((send, out))
}

/// `container.type` from the runtime's name in `Version`.
pub fn type_of_runtime(name: &str) -> ContainerType {
    match name {
        "containerd" => ContainerType::Containerd,
        "cri-o" => ContainerType::Crio,
        _ => ContainerType::Cri,
    }
}

fn propagation(p: i32) -> &'static str {
    match p {
        0 => "private",
        1 => "rslave",
        2 => "rshared",
        _ => "unknown",
    }
}

fn j_i64(v: Option<&J>) -> i64 {
    v.and_then(|x| x.as_i64().or_else(|| x.as_u64().map(|u| u as i64)))
        .unwrap_or(0)
}

/// The verbose `info` of a container status: containerd and cri-o put a
/// JSON object under the key `info`.
fn verbose_info(info: &BTreeMap<String, String>) -> J {
    info.get("info")
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(J::Null)
}

/// The sandbox id a verbose container status names, if any.
pub fn sandbox_id(resp: &pb::ContainerStatusResponse) -> Option<String> {
    let info = verbose_info(&resp.info);
    let from_info = ["sandboxID", "sandboxId", "sandbox_id"]
        .iter()
        .find_map(|k| info.get(*k).and_then(J::as_str))
        .map(str::to_string);
    let status = resp.status.as_ref()?;
    from_info
        .or_else(|| {
            [
                "io.kubernetes.cri.sandbox-id",
                "io.kubernetes.cri-o.SandboxID",
            ]
            .iter()
            .find_map(|k| status.annotations.get(*k).cloned())
        })
        .filter(|s| !s.is_empty())
}

/// A container from a CRI `ContainerStatus` answer, its pod sandbox's
/// status and its image's id.
pub fn container_from_status(
    resp: &pb::ContainerStatusResponse,
    sandbox: Option<&pb::PodSandboxStatus>,
    image_id: Option<&str>,
    ctype: ContainerType,
) -> Container {
    let st = resp.status.clone().unwrap_or_default();
    let info = verbose_info(&resp.info);
    let full_id = st.id.clone();
    let id = full_id
        .get(..cgroup::SHORT_ID_LEN)
        .unwrap_or(&full_id)
        .to_string();
    let mut image = st
        .image
        .as_ref()
        .map(|i| i.image.clone())
        .unwrap_or_default();
    let image_ref = st.image_ref.clone();
    if image.is_empty() || image.starts_with("sha256:") {
        // Some runtimes give the image id only; the config may name it.
        let named = info
            .pointer("/config/image/image")
            .and_then(J::as_str)
            .filter(|s| !s.starts_with("sha256:"))
            .or_else(|| {
                st.annotations
                    .get("io.kubernetes.cri.image-name")
                    .map(|s| s.as_str())
            });
        if let Some(n) = named {
            image = n.to_string();
        }
    }
    let (image_repository, image_tag, mut image_digest) = super::runtime::split_image(&image);
    if let Some((_, d)) = image_ref.split_once('@') {
        image_digest = d.to_string();
    }
    let image_id = image_id
        .map(str::to_string)
        .or_else(|| image_ref.strip_prefix("sha256:").map(str::to_string))
        .or_else(|| (!st.image_id.is_empty()).then(|| st.image_id.clone()))
        .unwrap_or_default()
        .trim_start_matches("sha256:")
        .to_string();
    let mounts = st
        .mounts
        .iter()
        .map(|m| Mount {
            source: m.host_path.clone(),
            dest: m.container_path.clone(),
            mode: String::new(),
            rdwr: !m.readonly,
            propagation: propagation(m.propagation).to_string(),
        })
        .collect();
    let spec = info.get("runtimeSpec").cloned().unwrap_or(J::Null);
    let env = super::jstrings(spec.pointer("/process/env"));
    let cmdline = spec
        .pointer("/process/args")
        .and_then(J::as_array)
        .map(|a| a.iter().filter_map(J::as_str).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let privileged = info
        .get("privileged")
        .and_then(J::as_bool)
        .or_else(|| {
            info.pointer("/config/linux/security_context/privileged")
                .and_then(J::as_bool)
        })
        .unwrap_or(false);
    let res = st
        .resources
        .as_ref()
        .and_then(|r| r.linux.clone())
        .unwrap_or_default();
    let spec_res = spec.pointer("/linux/resources");
    let pick = |own: i64, path: &str| {
        if own != 0 {
            own
        } else {
            j_i64(spec_res.and_then(|r| r.pointer(path)))
        }
    };
    let pod = sandbox.map(pod_from_status);
    let ip = sandbox
        .and_then(|s| s.network.as_ref())
        .map(|n| n.ip.clone())
        .unwrap_or_default();
    Container {
        id,
        full_id,
        name: st
            .metadata
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        image,
        image_repository,
        image_tag,
        image_id,
        image_digest,
        ctype,
        privileged,
        mounts,
        health_probes: Vec::new(),
        ip,
        cmdline,
        labels: st.labels.clone(),
        env,
        is_pod_sandbox: false,
        start_ts: st.created_at.max(0) as u64,
        memory_limit: pick(res.memory_limit_in_bytes, "/memory/limit"),
        cpu_shares: pick(res.cpu_shares, "/cpu/shares"),
        cpu_quota: pick(res.cpu_quota, "/cpu/quota"),
        cpu_period: pick(res.cpu_period, "/cpu/period"),
        pod,
        lookup: Lookup::Done,
    }
}

/// The pod of a `PodSandboxStatus`.
pub fn pod_from_status(s: &pb::PodSandboxStatus) -> PodSandbox {
    let md = s.metadata.clone().unwrap_or_default();
    PodSandbox {
        id: s.id.clone(),
        name: md.name,
        namespace: md.namespace,
        uid: md.uid,
        labels: s.labels.clone(),
        ip: s.network.as_ref().map(|n| n.ip.clone()).unwrap_or_default(),
    }
}

/// A pod sandbox (pause) container, known from `PodSandboxStatus` alone.
pub fn container_from_sandbox(s: &pb::PodSandboxStatus, ctype: ContainerType) -> Container {
    let id =
        s.id.get(..cgroup::SHORT_ID_LEN)
            .unwrap_or(&s.id)
            .to_string();
    let pod = pod_from_status(s);
    Container {
        id,
        full_id: s.id.clone(),
        name: pod.name.clone(),
        ctype,
        ip: pod.ip.clone(),
        labels: s.labels.clone(),
        is_pod_sandbox: true,
        start_ts: s.created_at.max(0) as u64,
        pod: Some(pod),
        lookup: Lookup::Done,
        ..Default::default()
    }
}

/// `Ok(None)` for an error status from the runtime, `Err` when it did not
/// answer.
fn answered<T>(r: Result<T, CriError>) -> Result<Option<T>, CriError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.grpc_code().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Asks one CRI runtime about container `id` (a full id or a unique
/// prefix, such as the 12 characters cgroups give).
pub fn lookup(
    client: &mut CriClient,
    id: &str,
    ctype: ContainerType,
) -> Result<Container, CriError> {
    let status = match client.container_status(id, true) {
        Ok(s) => s,
        Err(e) if e.grpc_code() == Some(code::NOT_FOUND) => {
            // Not a container: maybe the pod sandbox itself.
            return match client.pod_sandbox_status(id) {
                Ok(r) => match r.status {
                    Some(s) => Ok(container_from_sandbox(&s, ctype)),
                    None => Err(e),
                },
                Err(_) => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    let full_id = status
        .status
        .as_ref()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    // Follow-up calls: an error the runtime reports (say, a sandbox gone
    // meanwhile) leaves that part out; a runtime that stops answering
    // fails the lookup.
    let sandbox_id = match sandbox_id(&status) {
        Some(s) => Some(s),
        None => answered(client.sandbox_of(&full_id))?.flatten(),
    };
    let sandbox = match sandbox_id.as_deref() {
        Some(sid) => answered(client.pod_sandbox_status(sid))?.and_then(|r| r.status),
        None => None,
    };
    let image_ref = status
        .status
        .as_ref()
        .map(|s| s.image_ref.clone())
        .unwrap_or_default();
    let image_id = if image_ref.starts_with("sha256:") || image_ref.is_empty() {
        None
    } else {
        answered(client.image_status(&image_ref))?
            .and_then(|r| r.image)
            .map(|i| i.id)
            .filter(|s| !s.is_empty())
    };
    let mut c = container_from_status(&status, sandbox.as_ref(), image_id.as_deref(), ctype);
    if c.id.is_empty() {
        c.id = id.to_string();
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn frames_round_trip() {
        let req = pb::ContainerStatusRequest {
            container_id: "abc".into(),
            verbose: true,
        };
        let f = grpc_frame(&req);
        assert_eq!(&f[..5], &[0, 0, 0, 0, 7]);
        // field 1 (string, "abc"), field 2 (varint, 1)
        assert_eq!(&f[5..], &[0x0a, 3, b'a', b'b', b'c', 0x10, 1]);
        let back =
            pb::ContainerStatusRequest::decode(grpc_unframe(&f).expect("frame")).expect("decode");
        assert_eq!(back, req);
        assert!(grpc_unframe(&[0, 0, 0, 0, 9, 1]).is_err());
        assert!(grpc_unframe(&[1, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn messages() {
        assert_eq!(percent_decode("not%20found"), "not found");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(type_of_runtime("containerd"), ContainerType::Containerd);
        assert_eq!(type_of_runtime("cri-o"), ContainerType::Crio);
        assert_eq!(type_of_runtime("other"), ContainerType::Cri);
    }

    /// A fake CRI runtime that only serves `runtime.v1alpha2` (v1 calls get
    /// a trailers-only UNIMPLEMENTED), knows no container and one sandbox.
    fn fake_runtime(listener: std::os::unix::net::UnixListener) {
        async fn answer(
            req: http::Request<h2::RecvStream>,
            mut respond: h2::server::SendResponse<Bytes>,
        ) -> Result<(), h2::Error> {
            let path = req.uri().path().to_string();
            let mut body = req.into_body();
            while let Some(chunk) = body.data().await {
                let n = chunk?.len();
                let _ = body.flow_control().release_capacity(n);
            }
            let head = |status: Option<&str>| {
                let mut b = http::Response::builder()
                    .status(200)
                    .header("content-type", "application/grpc");
                if let Some(s) = status {
                    b = b
                        .header("grpc-status", s)
                        .header("grpc-message", "unknown%20service");
                }
                b.body(()).expect("response")
            };
            if path.starts_with("/runtime.v1.") {
                respond.send_response(head(Some("12")), true)?;
                return Ok(());
            }
            let (msg, status) = match path.rsplit('/').next() {
                Some("Version") => (
                    grpc_frame(&pb::VersionResponse {
                        runtime_name: "cri-o".into(),
                        ..Default::default()
                    }),
                    "0",
                ),
                Some("PodSandboxStatus") => (
                    grpc_frame(&pb::PodSandboxStatusResponse {
                        status: Some(pb::PodSandboxStatus {
                            id: "5a5a5a5a5a5a5a5a5a5a".into(),
                            metadata: Some(pb::PodSandboxMetadata {
                                name: "web-0".into(),
                                uid: "u-1".into(),
                                namespace: "prod".into(),
                                attempt: 0,
                            }),
                            ..Default::default()
                        }),
                        info: BTreeMap::new(),
                    }),
                    "0",
                ),
                _ => (Bytes::new(), "5"),
            };
            let mut send = respond.send_response(head(None), false)?;
            if !msg.is_empty() {
                send.send_data(msg, false)?;
            }
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static(status));
            trailers.insert(
                "grpc-message",
                http::HeaderValue::from_static("no%20such%20container"),
            );
            send.send_trailers(trailers)
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            listener.set_nonblocking(true).expect("nonblocking");
            let l = tokio::net::UnixListener::from_std(listener).expect("listener");
            while let Ok((sock, _)) = l.accept().await {
                tokio::spawn(async move {
                    let Ok(mut conn) = h2::server::handshake(sock).await else {
                        return;
                    };
                    while let Some(Ok((req, respond))) = conn.accept().await {
                        tokio::spawn(answer(req, respond));
                    }
                });
            }
        });
    }

    #[test]
    fn v1alpha2_fallback_errors_and_sandboxes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fake-cri.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        std::thread::spawn(move || fake_runtime(listener));
        let mut c = CriClient::new(&path, Duration::from_secs(5)).expect("client");
        let v = c.version().expect("version over v1alpha2");
        assert_eq!(type_of_runtime(&v.runtime_name), ContainerType::Crio);
        let e = c.container_status("abc", true).expect_err("not found");
        assert_eq!(e.grpc_code(), Some(code::NOT_FOUND));
        assert!(e.to_string().contains("no such container"), "{e}");
        assert!(
            e.to_string()
                .contains("/runtime.v1alpha2.RuntimeService/ContainerStatus"),
            "{e}"
        );
        // An id that is a sandbox, not a container.
        let sb = lookup(&mut c, "5a5a5a5a5a5a", ContainerType::Crio).expect("sandbox");
        assert!(sb.is_pod_sandbox);
        assert_eq!(sb.id, "5a5a5a5a5a5a");
        assert_eq!(sb.name, "web-0");
        assert_eq!(sb.k8s().and_then(|k| k.uid), Some("u-1"));
        // Nothing listens: an I/O error, quickly.
        let mut gone =
            CriClient::new(&dir.path().join("none.sock"), Duration::from_secs(5)).expect("client");
        assert!(matches!(gone.version(), Err(CriError::Io { .. })));
    }

    #[test]
    fn status_to_container() {
        let info = r#"{"sandboxID":"5a5a5a5a5a5a5a5a","pid":42,
            "config":{"linux":{"security_context":{"privileged":true}}},
            "runtimeSpec":{"process":{"args":["/bin/sh","-c","x"],"env":["A=1"]},
              "linux":{"resources":{"memory":{"limit":1048576},"cpu":{"shares":2,"quota":5000,"period":100000}}}}}"#;
        let resp = pb::ContainerStatusResponse {
            status: Some(pb::ContainerStatus {
                id: "0123456789abcdef0123456789abcdef".into(),
                metadata: Some(pb::ContainerMetadata {
                    name: "app".into(),
                    attempt: 0,
                }),
                created_at: 1_700_000_000_123_456_789,
                image: Some(pb::ImageSpec {
                    image: "docker.io/library/busybox:1.36".into(),
                }),
                image_ref: "docker.io/library/busybox@sha256:feed".into(),
                labels: [("app".to_string(), "web".to_string())].into(),
                mounts: vec![pb::Mount {
                    container_path: "/data".into(),
                    host_path: "/srv".into(),
                    readonly: true,
                    selinux_relabel: false,
                    propagation: 1,
                }],
                ..Default::default()
            }),
            info: [("info".to_string(), info.to_string())].into(),
        };
        assert_eq!(sandbox_id(&resp).as_deref(), Some("5a5a5a5a5a5a5a5a"));
        let sb = pb::PodSandboxStatus {
            id: "5a5a5a5a5a5a5a5a".into(),
            metadata: Some(pb::PodSandboxMetadata {
                name: "web-0".into(),
                uid: "u-1".into(),
                namespace: "prod".into(),
                attempt: 0,
            }),
            network: Some(pb::PodSandboxNetworkStatus {
                ip: "10.1.2.3".into(),
            }),
            labels: [
                ("tier".to_string(), "front".to_string()),
                ("io.kubernetes.pod.name".to_string(), "web-0".to_string()),
            ]
            .into(),
            ..Default::default()
        };
        let c = container_from_status(
            &resp,
            Some(&sb),
            Some("sha256:beef"),
            ContainerType::Containerd,
        );
        assert_eq!(c.id, "0123456789ab");
        assert_eq!(c.name, "app");
        assert_eq!(c.image, "docker.io/library/busybox:1.36");
        assert_eq!(c.image_repository, "docker.io/library/busybox");
        assert_eq!(c.image_tag, "1.36");
        assert_eq!(c.image_digest, "sha256:feed");
        assert_eq!(c.image_id, "beef");
        assert_eq!(c.ip, "10.1.2.3");
        assert!(c.privileged);
        assert_eq!(c.cmdline, "/bin/sh -c x");
        assert_eq!(c.env, vec!["A=1".to_string()]);
        assert_eq!(c.memory_limit, 1_048_576);
        assert_eq!(c.cpu_quota, 5000);
        assert_eq!(c.start_ts, 1_700_000_000_123_456_789);
        assert_eq!(c.mounts[0].to_field(), "/srv:/data::false:rslave");
        let k = c.k8s().expect("pod");
        assert_eq!(k.name, "web-0");
        assert_eq!(k.namespace, Some("prod"));
        assert_eq!(k.uid, Some("u-1"));
        assert_eq!(k.sandbox_id, Some("5a5a5a5a5a5a"));
        assert_eq!(k.labels_text(), "tier:front");
        let p = container_from_sandbox(&sb, ContainerType::Containerd);
        assert!(p.is_pod_sandbox);
        assert_eq!(p.k8s().map(|k| k.name), Some("web-0"));
    }
}
