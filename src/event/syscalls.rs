//! libscap's system-independent syscall codes (`PPM_SC_*`, carried by the
//! generic `syscall` event) and the x86_64 native syscall numbers.

use std::sync::OnceLock;

const PPM_SC: &str = include_str!("../../assets/ppm_sc.txt");
const X86_64: &str = include_str!("../../assets/syscalls_x86_64.txt");

struct Tables {
    ppm: Vec<&'static str>,
    native: Vec<&'static str>,
    /// native number → PPM_SC code (0 = unknown).
    native_to_ppm: Vec<u16>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let ppm: Vec<&str> = PPM_SC.lines().map(str::trim).collect();
        let mut native: Vec<&str> = Vec::new();
        for l in X86_64.lines() {
            let mut it = l.split_whitespace();
            if let (Some(n), Some(name)) =
                (it.next().and_then(|n| n.parse::<usize>().ok()), it.next())
            {
                if native.len() <= n {
                    native.resize(n + 1, "");
                }
                native[n] = name;
            }
        }
        let native_to_ppm = native
            .iter()
            .map(|n| {
                if n.is_empty() {
                    return 0;
                }
                ppm.iter().position(|p| p == n).unwrap_or(0) as u16
            })
            .collect();
        Tables {
            ppm,
            native,
            native_to_ppm,
        }
    })
}

/// Name of a `PPM_SC_*` code, as sysdig prints generic events.
pub fn name(code: u16) -> Option<&'static str> {
    tables()
        .ppm
        .get(code as usize)
        .copied()
        .filter(|n| *n != "unknown")
}

/// Name of an x86_64 syscall number.
pub fn native_name(nr: u32) -> Option<&'static str> {
    tables()
        .native
        .get(nr as usize)
        .copied()
        .filter(|n| !n.is_empty())
}

/// The `PPM_SC_*` code of an x86_64 syscall number (0 when libscap has none).
pub fn ppm_code_of_native(nr: u32) -> u16 {
    tables()
        .native_to_ppm
        .get(nr as usize)
        .copied()
        .unwrap_or(0)
}

/// Number of known native syscalls (table size for the probe).
pub fn native_count() -> usize {
    tables().native.len()
}

/// The PPM_SC code of a syscall name, when libscap has one.
pub fn name_known(n: &str) -> Option<u16> {
    tables().ppm.iter().position(|p| *p == n).map(|i| i as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(name(3), Some("read"));
        assert_eq!(name(75), Some("mprotect"));
        assert_eq!(name(320), Some("renameat2"));
        assert_eq!(name(0), None);
        assert_eq!(native_name(0), Some("read"));
        assert_eq!(ppm_code_of_native(10), 75); // mprotect
        assert_eq!(ppm_code_of_native(158), 296); // arch_prctl
    }
}
