//! Effective-capability check done before loading the probe, so that an
//! unprivileged user gets a message naming what is missing instead of a
//! verifier/EPERM error from deep inside the loader.

use super::LiveError;

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The capabilities a live capture lacks, given the effective set
/// (`CapEff` of /proc/self/status). CAP_SYS_ADMIN alone also suffices.
pub fn missing_capabilities(cap_eff: u64) -> Vec<&'static str> {
    let has = |c: u32| cap_eff & (1u64 << c) != 0;
    if has(CAP_SYS_ADMIN) && (has(CAP_BPF) || has(CAP_PERFMON)) {
        return Vec::new();
    }
    let mut missing = Vec::new();
    if !has(CAP_BPF) {
        missing.push("CAP_BPF");
    }
    if !has(CAP_PERFMON) {
        missing.push("CAP_PERFMON");
    }
    missing
}

fn effective_caps() -> Result<u64, LiveError> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(LiveError::Capabilities)?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .ok_or_else(|| {
            LiveError::Capabilities(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "no CapEff line in /proc/self/status",
            ))
        })
}

/// Fails with [`LiveError::MissingCapabilities`] when the process cannot
/// load and attach tracing programs.
pub fn check_capabilities() -> Result<(), LiveError> {
    let missing = missing_capabilities(effective_caps()?);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LiveError::MissingCapabilities {
            missing: missing.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps() {
        assert!(missing_capabilities(0x1ff_ffff_ffff).is_empty());
        assert_eq!(missing_capabilities(0), vec!["CAP_BPF", "CAP_PERFMON"]);
        assert_eq!(missing_capabilities(1 << CAP_PERFMON), vec!["CAP_BPF"]);
        assert!(missing_capabilities((1 << CAP_PERFMON) | (1 << CAP_BPF)).is_empty());
        let e = LiveError::MissingCapabilities {
            missing: missing_capabilities(1 << CAP_PERFMON).join(", "),
        };
        assert_eq!(
            e.to_string(),
            "live capture needs root or CAP_BPF+CAP_PERFMON (missing: CAP_BPF)"
        );
    }
}
