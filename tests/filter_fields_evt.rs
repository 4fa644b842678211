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
        // By event type number: 3 is the open exit.
        ("falco/cat_write.scap", "evt.type.is.3=1"),
        ("libs/curl_google.scap", "evt.rawarg.res<0"),
        ("libs/curl_google.scap", "evt.arg.fd=4"),
        ("libs/curl_google.scap", "evt.arg[0]=4"),
        // An argument's resolved text alone, where it has one, as libsinsp
        // compares it (`%evt.info` shows `1(O_RDONLY)`, `3(<f>/dev/null)`).
        ("falco/syscall.scap", "evt.arg.flags=O_RDONLY"),
        ("falco/syscall.scap", "evt.arg.flags contains CLOEXEC"),
        ("falco/syscall.scap", "evt.arg.fd=\"<f>/dev/null\""),
        ("falco/syscall.scap", "evt.arg[0]=\"<f>/dev/null\""),
        ("libs/sample.scap", "evt.arg.res=ETIMEDOUT"),
        ("libs/sample.scap", "evt.arg.next=containerd"),
        // evt.rawarg.NAME has the type of the first argument so named: a
        // path compares as text (strcmp), even against a number.
        ("falco/syscall.scap", "evt.rawarg.name < /lib"),
        ("falco/syscall.scap", "evt.rawarg.name=/dev/null"),
        (
            "sysflow/objectstore_download.scap",
            "evt.rawarg.name < 65535",
        ),
        ("libs/curl_google.scap", "evt.rawarg.size>100"),
        ("libs/curl_google.scap", "syscall.type=poll"),
        ("sysflow/files_filesat.scap", "evt.is_wait=true"),
    ]);
}

/// `evt.deltatime` in a filter measures from the last event the test
/// looked at, as each libsinsp check keeps its own previous time: for a
/// lone test every event (hidden ones too), for a test behind `and` the
/// events that got that far. (The output column measures from the
/// previous event printed.) The first event measures 0.
#[test]
fn deltatime_in_filters_matches_sysdig() {
    common::run_filter_cases(&[
        ("bencer-examples/example0_nginx.scap", "evt.deltatime>13745"),
        (
            "bencer-examples/example0_nginx.scap",
            "evt.deltatime<=13745",
        ),
        (
            "falco/open-multiple-files.scap",
            "evt.deltatime.ns>000002149",
        ),
        ("sysflow/alpine_alpine.scap", "evt.deltatime.s>=1"),
        (
            "sysflow/files_files_old.scap",
            "evt.type=read and evt.deltatime>2000",
        ),
        ("sysflow/files_files_old.scap", "not evt.deltatime>5000"),
        ("falco/cat_write.scap", "evt.deltatime>100 or proc.name=cat"),
    ]);
}
