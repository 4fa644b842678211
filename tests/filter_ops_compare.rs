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

/// Booleans compare by `< <= > >=` as sysdig 0.29.3 compares them: false
/// before true. The value must be `true` or `false`, as for `=`.
#[test]
fn relational_operators_on_booleans_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "evt.failed >= false"),
        ("falco/cat_write.scap", "evt.failed <= false"),
        ("falco/cat_write.scap", "evt.failed > false"),
        ("falco/cat_write.scap", "evt.failed < true"),
        ("falco/cat_write.scap", "evt.is_io >= true"),
        ("falco/connect_localhost.scap", "thread.ismain < true"),
    ]);
}

/// An operator that a field's type does not take is refused when the
/// filter is compiled, with the operator's column, exit status 2. sysdig
/// 0.29.3 refuses each of these too: some when it parses the filter, the
/// rest at the first event that has a value ("'contains' not supported for
/// numeric filters"). Its messages are its own; the cases run on captures
/// where the field has values, so that sysdig's refusal shows.
#[test]
fn operators_a_field_type_does_not_take_are_refused_as_sysdig_does() {
    let sd = common::sysdig();
    for (cap, filter, column, ours) in [
        (
            "falco/cat_write.scap",
            "evt.num contains 1",
            9,
            "'contains' does not apply to numeric field evt.num",
        ),
        (
            "falco/cat_write.scap",
            "evt.latency endswith 0",
            13,
            "'endswith' does not apply to numeric field evt.latency",
        ),
        (
            "falco/cat_write.scap",
            "evt.failed startswith true",
            12,
            "'startswith' does not apply to boolean field evt.failed",
        ),
        (
            "falco/cat_write.scap",
            "evt.failed pmatch (true)",
            12,
            "'pmatch' does not apply to boolean field evt.failed",
        ),
        (
            "falco/cat_write.scap",
            "evt.failed = 1",
            14,
            "'1' is not true or false",
        ),
        (
            "falco/cat_write.scap",
            "evt.failed > 0",
            14,
            "'0' is not true or false",
        ),
        (
            "falco/cat_write.scap",
            "evt.buffer glob x",
            12,
            "'glob' does not apply to buffer field evt.buffer",
        ),
        (
            "falco/cat_write.scap",
            "evt.buffer < x",
            12,
            "'<' does not apply to buffer field evt.buffer",
        ),
        (
            "falco/connect_localhost.scap",
            "fd.sip contains 127",
            8,
            "'contains' does not apply to IP address and network field fd.sip",
        ),
        (
            "falco/connect_localhost.scap",
            "fd.snet < 1.2.3.0/24",
            9,
            "'<' does not apply to IP address and network field fd.snet",
        ),
        (
            "falco/connect_localhost.scap",
            "fd.sport contains 8",
            10,
            "'contains' does not apply to numeric field fd.sport",
        ),
        (
            "falco/cat_write.scap",
            "evt.num > 1.5",
            11,
            "'1.5' is not an integer (field evt.num is numeric)",
        ),
        (
            "falco/connect_localhost.scap",
            "fd.sip.name exists",
            13,
            "fd.sip.name takes only '=' and '!=', as in sysdig",
        ),
        (
            "falco/cat_write.scap",
            "evt.arg.foo = 1",
            1,
            "bad argument for field 'evt.arg': no event has an argument named 'foo'",
        ),
        (
            "falco/cat_write.scap",
            "proc.aname[x] = bash",
            1,
            "'x' is not a number of generations",
        ),
        (
            "falco/connect_localhost.scap",
            "fd.sport < -1",
            12,
            "'-1' is not a port number",
        ),
        (
            "falco/cat_write.scap",
            "evt.num = 1e3",
            11,
            "'1e3' is not an integer",
        ),
    ] {
        let p = common::capture(cap);
        let o = common::dig(&["-r", &p.to_string_lossy(), filter]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{filter}: {err}");
        assert!(
            err.contains(ours) && err.contains(&format!("at column {column}")),
            "{filter}: {err}"
        );
        assert!(o.stdout.is_empty(), "{filter}: printed events");
        if let Some(sd) = sd.as_deref() {
            let s = common::sysdig_run(sd, &["-r", &p.to_string_lossy(), filter]);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&s.stdout),
                String::from_utf8_lossy(&s.stderr)
            );
            assert!(
                text.contains("not supported")
                    || text.contains("filter error")
                    || text.contains("requires all charbuf"),
                "{filter}: sysdig 0.29.3 took it: {text}"
            );
        }
    }
}

/// A negative value for an unsigned field wraps as sysdig's parser reads
/// it: `evt.num < -1` holds for every event, `evt.num > -1` for none (for a
/// 32-bit field, -1 is 4294967295). Signed fields compare as numbers.
#[test]
fn negative_values_on_unsigned_fields_match_sysdig() {
    common::run_filter_cases(&[
        ("falco/cat_write.scap", "evt.num < -1"),
        ("falco/cat_write.scap", "evt.num > -1"),
        ("falco/cat_write.scap", "evt.num != -1"),
        ("falco/cat_write.scap", "evt.count < -1"),
        ("falco/cat_write.scap", "evt.latency <= -85"),
        ("falco/cat_write.scap", "evt.rawtime > -1"),
        ("falco/cat_write.scap", "evt.rawres < -1"),
    ]);
}
