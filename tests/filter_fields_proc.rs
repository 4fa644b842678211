//! proc.* and thread.* fields in filters against sysdig 0.29.3.
mod common;

#[test]
fn proc_fields_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "proc.pname=bash"),
        ("falco/cat_write.scap", "proc.args contains null"),
        ("falco/cat_write.scap", "proc.pid=20072"),
        ("falco/cat_write.scap", "thread.ismain=true"),
        ("libs/curl_google.scap", "proc.aname=bash"),
        ("libs/curl_google.scap", "proc.apid[1]>0"),
        // Without an index, each ancestor is compared in turn, `!=` too.
        ("sysflow/namespaces_setns.scap", "proc.aname!=bash"),
        ("sysflow/namespaces_setns.scap", "not proc.aname=bash"),
        ("libs/curl_google.scap", "proc.apid!=3200"),
        ("sysflow/files_filesat.scap", "proc.exe endswith filesat"),
        ("sysflow/files_filesat.scap", "proc.cwd exists"),
        (
            "bencer-examples/example5_httpd.scap",
            "proc.name=httpd and thread.ismain=true",
        ),
    ]);
}
