//! Comparison operators (= != < <= > >=) against sysdig 0.29.3.
mod common;

#[test]
fn comparison_operators_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "proc.name=cat"),
        ("falco/cat_write.scap", "evt.type=open"),
        ("falco/cat_write.scap", "evt.type!=mmap and evt.dir=<"),
        ("libs/curl_google.scap", "evt.rawres<0"),
        ("libs/curl_google.scap", "evt.rawres>=0 and evt.type=read"),
        ("libs/curl_google.scap", "evt.buflen>=100"),
        ("libs/curl_google.scap", "evt.buflen<10"),
        ("libs/curl_google.scap", "fd.num<=2"),
        ("libs/curl_google.scap", "thread.tid>17497"),
        ("sysflow/files_filesat.scap", "evt.latency>10000"),
        ("sysflow/files_filesat.scap", "evt.num>200 and evt.num<=300"),
        ("bencer-examples/example5_httpd.scap", "fd.sport=80"),
        ("bencer-examples/example5_httpd.scap", "fd.cport>=60000"),
        ("bencer-examples/example5_httpd.scap", "evt.cpu=0"),
    ]);
}

/// `<` `<=` `>` `>=` on text fields compare the text as `strcmp` does, in
/// sysdig 0.29.3 and in libsinsp since: `proc.name > c` holds for cat,
/// `fd.sproto <= 9000` for the port text "9000", `fd.typechar > 4` for
/// every letter. Values may be quoted, numbers too (`proc.pid > "5"`).
#[test]
fn relational_operators_on_text_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "proc.name > c"),
        ("falco/cat_write.scap", "proc.name < c"),
        ("falco/cat_write.scap", "proc.name >= cat and evt.dir=<"),
        ("falco/cat_write.scap", "proc.name > \"c\""),
        ("falco/cat_write.scap", "proc.pid > \"5\""),
        ("falco/cat_write.scap", "fd.name <= /etc/zz"),
        ("falco/cat_write.scap", "evt.type < open"),
        ("sysflow/objectstore_download.scap", "fd.sproto <= 9000"),
        ("sysflow/objectstore_download.scap", "fd.sproto >= 80"),
        ("sysflow/mpm-event_full_capture.scap", "fd.typechar > 4"),
        ("bencer-examples/example4_example4-2.scap", "fd.rproto > 53"),
        ("libs/curl_google.scap", "fdlist.cports <= 40251"),
    ]);
}
