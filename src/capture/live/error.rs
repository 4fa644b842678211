//! Errors of the live source.

use super::record::RecordError;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The process lacks the privileges needed to load and attach the probe.
    #[error("live capture needs root or CAP_BPF+CAP_PERFMON (missing: {missing})")]
    MissingCapabilities { missing: String },
    #[error("cannot read the process capabilities: {0}")]
    Capabilities(#[source] std::io::Error),
    #[error("loading the eBPF probe failed: {0}")]
    Load(#[source] Box<aya::EbpfError>),
    #[error("reading kernel BTF (/sys/kernel/btf/vmlinux) failed: {0}")]
    Btf(#[source] aya::BtfError),
    #[error("the eBPF probe has no program `{0}`")]
    MissingProgram(&'static str),
    #[error("the eBPF probe has no map `{0}`")]
    MissingMap(&'static str),
    #[error("eBPF program `{name}`: {source}")]
    Program {
        name: &'static str,
        #[source]
        source: Box<aya::programs::ProgramError>,
    },
    #[error("eBPF map `{name}`: {source}")]
    Map {
        name: &'static str,
        #[source]
        source: Box<aya::maps::MapError>,
    },
    #[error("counting CPUs failed ({what}): {source}")]
    Cpus {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid live capture option: {0}")]
    Options(String),
    #[error("polling the ring buffer failed: {0}")]
    Poll(#[source] std::io::Error),
    #[error("bad ring buffer record: {0}")]
    Record(#[from] RecordError),
}
