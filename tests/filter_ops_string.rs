//! String operators (contains icontains startswith endswith glob) against
//! sysdig 0.29.3.
mod common;

#[test]
fn string_operators_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "fd.name contains /lib"),
        ("falco/cat_write.scap", "fd.name icontains /LIB"),
        ("falco/cat_write.scap", "fd.name startswith /etc"),
        ("falco/cat_write.scap", "fd.name endswith .so.6"),
        ("falco/cat_write.scap", "fd.name glob '/lib/*'"),
        ("falco/cat_write.scap", "fd.name glob '/etc/ld.so.*'"),
        ("libs/curl_google.scap", "evt.info contains google"),
        (
            "libs/curl_google.scap",
            "proc.cmdline contains www.google.com",
        ),
        ("libs/curl_google.scap", "evt.arg.name startswith /usr"),
        ("sysflow/files_filesat.scap", "fd.name endswith .txt"),
        ("sysflow/files_filesat.scap", "proc.exe icontains FILES"),
        (
            "bencer-examples/example5_httpd.scap",
            "evt.buffer contains GET",
        ),
    ]);
}
