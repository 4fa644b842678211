//! fd.* fields in filters against sysdig 0.29.3.
mod common;

#[test]
fn fd_fields_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "fd.type=file"),
        ("falco/cat_write.scap", "fd.typechar=f"),
        ("falco/cat_write.scap", "fd.directory=/etc"),
        ("falco/cat_write.scap", "fd.filename=ld.so.cache"),
        ("libs/curl_google.scap", "fd.type=ipv6"),
        ("libs/curl_google.scap", "fd.l4proto=udp"),
        ("bencer-examples/example5_httpd.scap", "fd.sip=172.18.0.3"),
        ("bencer-examples/example5_httpd.scap", "fd.cip=172.18.0.1"),
        (
            "bencer-examples/example5_httpd.scap",
            "fd.net=172.18.0.0/16",
        ),
        ("bencer-examples/example5_httpd.scap", "fd.is_server=true"),
        (
            "sysflow/client-server_tcp-client-server.scap",
            "fd.port=8080",
        ),
        (
            "sysflow/client-server_tcp-client-server.scap",
            "fd.sockfamily=ip",
        ),
    ]);
}
