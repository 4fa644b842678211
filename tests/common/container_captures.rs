// Captures of the shared corpus whose processes live in containers.
// Included by tests/common/mod.rs and by xtask (`bench containers`), so
// that both use one list.

/// Captures whose processes live in containers.
pub const IN_CONTAINERS: &[&str] = &[
    "bencer-examples/example0_nginx.scap",
    "bencer-examples/example2_502error.scap",
    "bencer-examples/example4_example4-1.scap",
    "bencer-examples/example4_example4-2.scap",
    "bencer-examples/example5_httpd.scap",
    "bencer-examples/example5_nginx.scap",
    "falco/empty_old_with_containers.scap",
    "falco/psp_privileged.scap",
    "sysflow/alpine_alpine.scap",
    "sysflow/client-server_tcp-client-server.scap",
    "sysflow/files_files.scap",
    "sysflow/mpm-event_full_capture.scap",
    "sysflow/namespaces_setns.scap",
    "sysflow/objectstore_download.scap",
    "sysflow/rename_rename.scap",
    "sysflow/setuid_setuid.scap",
];
