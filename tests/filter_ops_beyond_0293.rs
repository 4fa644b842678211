//! Where sysdig 0.29.3's filter language is broken or older, syspect does
//! what current libsinsp does. Each case asserts our answer and says why
//! it differs from 0.29.3.
mod common;

use common::*;

fn lines(cap: &str, filter: &str) -> Vec<String> {
    let p = capture(cap);
    let o = dig(&["-r", &p.to_string_lossy(), "-p", FILTER_FORMAT, filter]);
    assert!(
        o.status.success(),
        "[{filter}]: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout_lines(&o)
}

#[test]
fn double_equals_is_equality() {
    // 0.29.3 reads `==curl` as `=` with the value "=curl" and matches
    // nothing; current libsinsp treats == as =.
    let a = lines("libs/curl_google.scap", "proc.name==curl");
    assert!(!a.is_empty());
    assert_eq!(a, lines("libs/curl_google.scap", "proc.name=curl"));
}

#[test]
fn intersects_is_a_list_operator() {
    // 0.29.3 declares intersects but its parser matches the prefix `in`
    // first and errors. Here it means "any element in common".
    let a = lines("falco/cat_write.scap", "evt.type intersects (open, close)");
    assert_eq!(
        a,
        lines("falco/cat_write.scap", "evt.type in (open, close)")
    );
    assert!(!a.is_empty());
}

#[test]
fn mixing_and_or_follows_precedence() {
    // 0.29.3 rejects mixing and/or without brackets; current libsinsp binds
    // `and` tighter than `or`.
    let a = lines(
        "falco/cat_write.scap",
        "evt.type=open or evt.type=close and evt.dir=<",
    );
    let b = lines(
        "falco/cat_write.scap",
        "evt.type=open or (evt.type=close and evt.dir=<)",
    );
    assert_eq!(a, b);
    assert!(!a.is_empty());
}

#[test]
fn newer_operators() {
    // regex, iglob, bcontains, bstartswith are not in 0.29.3.
    let cap = "falco/cat_write.scap";
    assert_eq!(
        lines(cap, "fd.name regex '/lib/.*[.]so[.]6'"),
        lines(cap, "fd.name startswith /lib/ and fd.name endswith .so.6")
    );
    assert_eq!(
        lines(cap, "fd.name iglob '/ETC/LD.SO.*'"),
        lines(cap, "fd.name glob '/etc/ld.so.*'")
    );
    // "ELF" is 45 4c 46.
    let elf = lines(cap, "evt.buffer bcontains 454c46");
    assert!(!elf.is_empty());
    assert_eq!(elf, lines(cap, "evt.buffer contains ELF"));
    assert_eq!(lines(cap, "evt.buffer bstartswith 7f454c46"), elf);
}

#[test]
fn transformers_and_field_values() {
    let cap = "falco/cat_write.scap";
    assert_eq!(
        lines(cap, "toupper(proc.name)=CAT"),
        lines(cap, "proc.name=cat")
    );
    assert_eq!(
        lines(cap, "tolower(evt.type)=open"),
        lines(cap, "evt.type=open")
    );
    assert_eq!(
        lines(cap, "basename(fd.name)=libc.so.6"),
        lines(cap, "fd.name endswith /libc.so.6")
    );
    assert_eq!(
        lines(cap, "len(proc.name)=3"),
        lines(cap, "proc.name exists")
    );
    assert_eq!(
        lines(cap, "proc.pid=val(thread.tid)"),
        lines(cap, "thread.ismain=true")
    );
}

#[test]
fn ip_addresses_take_no_order() {
    // 0.29.3 answers `fd.sip < 200.0.0.1`: it compares the four address
    // bytes read as a little-endian integer, so the order follows the last
    // byte first (10.0.0.2 > 200.0.0.1). Current libsinsp refuses `<` `<=`
    // `>` `>=` on addresses and networks, and so do we: exit status 2, the
    // operator's column.
    let p = capture("falco/connect_localhost.scap");
    let o = dig(&["-r", &p.to_string_lossy(), "fd.sip < 200.0.0.1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("'<' does not apply to IP address and network field fd.sip at column 8"),
        "{err}"
    );
}

#[test]
fn double_fields_compare_as_numbers() {
    // 0.29.3 refuses any comparison on its DOUBLE fields (thread.cpu,
    // proc.fdusage...): "wrong parameter type 33". Current libsinsp
    // compares them as numbers, and so do we.
    let cap = "libs/curl_google.scap";
    let p = capture(cap);
    let o = dig(&["-r", &p.to_string_lossy(), "-p", "%evt.num %proc.fdusage"]);
    let values: Vec<f64> = stdout_lines(&o)
        .iter()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
        .collect();
    assert!(!values.is_empty());
    let above = values.iter().filter(|v| **v > 0.15).count();
    assert!(above > 0 && above < values.len(), "{values:?}");
    assert_eq!(
        lines(cap, "proc.fdusage > 0.15").len(),
        above,
        "proc.fdusage > 0.15"
    );
}

#[test]
fn text_operators_apply_to_event_type_names() {
    // 0.29.3 wants an event name after evt.type whatever the operator, so
    // `evt.type startswith ope` fails ("unknown event type ope") and the
    // text operators are useless there. We check names for = != in (a typo
    // there is an error), and apply the text operators to the name.
    let cap = "falco/cat_write.scap";
    let a = lines(cap, "evt.type startswith ope");
    assert!(!a.is_empty());
    assert_eq!(a, lines(cap, "evt.type in (open, openat, openat2)"));
    assert_eq!(a, lines(cap, "evt.type glob 'ope*'"));
    let p = capture(cap);
    let o = dig(&["-r", &p.to_string_lossy(), "evt.type = opne"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown event type 'opne' at column 12"));
}
