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
