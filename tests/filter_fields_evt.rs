//! evt.* fields in filters against sysdig 0.29.3.
mod common;

#[test]
fn evt_fields_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "evt.dir=>"),
        ("falco/cat_write.scap", "evt.failed=true"),
        ("falco/cat_write.scap", "evt.res=ENOENT"),
        ("falco/cat_write.scap", "evt.res=SUCCESS and evt.type=open"),
        ("falco/cat_write.scap", "evt.is_io=true"),
        ("falco/cat_write.scap", "evt.is_io_read=true"),
        ("falco/cat_write.scap", "evt.category=file"),
        ("libs/curl_google.scap", "evt.type.is.connect=1"),
        ("libs/curl_google.scap", "evt.rawarg.res<0"),
        ("libs/curl_google.scap", "evt.arg.fd=4"),
        ("libs/curl_google.scap", "evt.arg[0]=4"),
        ("libs/curl_google.scap", "syscall.type=poll"),
        ("sysflow/files_filesat.scap", "evt.is_wait=true"),
    ]);
}
