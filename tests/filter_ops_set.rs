//! Set and structure operators (in, pmatch, exists, not, and, or,
//! parentheses) against sysdig 0.29.3.
mod common;

#[test]
fn set_and_boolean_operators_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "evt.type in (open, close, read)"),
        ("falco/cat_write.scap", "not evt.type in (mmap, mprotect)"),
        ("falco/cat_write.scap", "fd.name pmatch (/etc, /usr/lib)"),
        ("falco/cat_write.scap", "fd.name exists"),
        ("falco/cat_write.scap", "not fd.name exists"),
        (
            "libs/curl_google.scap",
            "(evt.type=connect or evt.type=sendto) and evt.dir=<",
        ),
        ("libs/curl_google.scap", "not (proc.name=curl)"),
        (
            "libs/curl_google.scap",
            "evt.type in (socket) or (fd.type=ipv6 and evt.dir=>)",
        ),
        (
            "sysflow/files_filesat.scap",
            "evt.type in ('openat', \"unlinkat\", renameat)",
        ),
        (
            "sysflow/client-server_tcp-client-server.scap",
            "fd.type in (ipv4, unix) and evt.is_io=true",
        ),
        (
            "sysflow/client-server_tcp-client-server.scap",
            "proc.name in (server, client) and not evt.type=switch",
        ),
    ]);
}
