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
