//! Port numbers as service names (`dig -R`, sysdig's `--resolve-ports`),
//! looked up in `/etc/services` the way getservbyport(3) does: the first
//! entry for the port and protocol, or for the port alone when the socket
//! is neither TCP nor UDP. Off unless [`enable`] was called; a port with
//! no entry stays a number.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

/// The transport a port belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    /// Neither (ICMP, raw, unknown): any protocol's entry.
    Any,
}

static ON: AtomicBool = AtomicBool::new(false);
static TABLE: OnceLock<Services> = OnceLock::new();

/// Turns name resolution on for the rest of the process.
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Whether ports are shown as names.
#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Appends `port`: its service name for `proto` when resolution is on
/// and the services file names it, else (and always for `None`) in
/// decimal.
#[inline]
pub fn push_port(s: &mut String, port: u16, proto: Option<Proto>) {
    if let Some(p) = proto.filter(|_| enabled()) {
        if let Some(name) = table().name(port, p) {
            s.push_str(name);
            return;
        }
    }
    crate::event::render::push_u64(s, u64::from(port));
}

/// [`push_port`] into a new string.
pub fn port_text(port: u16, proto: Option<Proto>) -> String {
    let mut s = String::new();
    push_port(&mut s, port, proto);
    s
}

fn table() -> &'static Services {
    TABLE.get_or_init(|| {
        // (No file, no names: every port stays a number.)
        let text = std::fs::read_to_string("/etc/services").unwrap_or_default();
        Services::parse(&text)
    })
}

/// The port of a service name or alias (`http`, `www`), whatever its
/// protocol, as getservbyname(3) with no protocol finds it: libsinsp
/// accepts these as values of port fields (`fd.port=http`).
pub fn port_of_name(name: &str) -> Option<u16> {
    table().by_name.get(name).copied()
}

#[derive(Debug, Default)]
struct Services {
    tcp: FxHashMap<u16, String>,
    udp: FxHashMap<u16, String>,
    /// The first entry of each port, whatever its protocol.
    any: FxHashMap<u16, String>,
    /// The port of the first entry naming each service (or alias).
    by_name: FxHashMap<String, u16>,
}

impl Services {
    /// Lines of `name port/proto [aliases...] [# comment]`.
    fn parse(text: &str) -> Services {
        let mut t = Services::default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let (Some(name), Some(spec)) = (words.next(), words.next()) else {
                continue;
            };
            let Some((port, proto)) = spec.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            let by = match proto {
                "tcp" => Some(&mut t.tcp),
                "udp" => Some(&mut t.udp),
                _ => None,
            };
            if let Some(by) = by {
                by.entry(port).or_insert_with(|| name.to_string());
            }
            t.any.entry(port).or_insert_with(|| name.to_string());
            for n in std::iter::once(name).chain(words) {
                t.by_name.entry(n.to_string()).or_insert(port);
            }
        }
        t
    }

    fn name(&self, port: u16, proto: Proto) -> Option<&str> {
        match proto {
            Proto::Tcp => self.tcp.get(&port),
            Proto::Udp => self.udp.get(&port),
            Proto::Any => self.any.get(&port),
        }
        .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_entry_per_port_and_protocol() {
        let t = Services::parse(
            "# comment\n\
             tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n\
             echo\t\t7/tcp\n\
             echo\t\t7/udp\n\
             http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n\
             only-udp\t\t9999/udp\n\
             broken line\n\
             bad\t\tx/tcp\n",
        );
        assert_eq!(t.name(1, Proto::Tcp), Some("tcpmux"));
        assert_eq!(t.name(1, Proto::Udp), None);
        assert_eq!(t.name(1, Proto::Any), Some("tcpmux"));
        assert_eq!(t.name(80, Proto::Tcp), Some("http"));
        assert_eq!(t.name(9999, Proto::Any), Some("only-udp"));
        assert_eq!(t.name(9999, Proto::Tcp), None);
        assert_eq!(t.name(0, Proto::Any), None);
        assert_eq!(t.by_name.get("http"), Some(&80));
        assert_eq!(t.by_name.get("www"), Some(&80));
        assert_eq!(t.by_name.get("echo"), Some(&7));
        assert_eq!(t.by_name.get("nosuch"), None);
    }
}
