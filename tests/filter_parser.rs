//! Integration tests for the filter parser (`syspect::filter`).

use syspect::filter::ast::{
    Check, Expr, FieldExpr, Identifier, Operator, Rhs, TransformKind, ValueStyle, Visitor,
    VisitorMut,
};
use syspect::filter::parser::{Parser, DEFAULT_MAX_DEPTH};
use syspect::filter::{parse, ParseError};

// ---------------------------------------------------------------------------
// helpers

fn p(s: &str) -> Expr {
    match parse(s) {
        Ok(e) => e,
        Err(e) => panic!("parse failed:\n{}", e.render(s)),
    }
}

fn err(s: &str) -> ParseError {
    match parse(s) {
        Ok(e) => panic!("expected an error for {s:?}, got {e:?}"),
        Err(e) => e,
    }
}

/// Asserts the error column and that the message contains `needle`.
fn assert_err(s: &str, column: usize, needle: &str) {
    let e = err(s);
    assert!(
        e.msg.contains(needle) && e.column == column,
        "for {s:?}: expected column {column} and a message containing {needle:?}, got:\n{}",
        e.render(s)
    );
}

/// A compact structural rendering: `(and a.b=1 (or ...))`.
/// Asserts that `src` parses but does not compile, with one line naming
/// `needle` at `column`.
fn assert_compile_err(src: &str, column: usize, needle: &str) {
    let e = syspect::filter::Filter::compile(src)
        .err()
        .unwrap_or_else(|| panic!("{src} compiled"));
    let msg = e.to_string();
    assert!(msg.contains(needle), "{src}: {msg}");
    assert!(msg.contains(&format!("column {column}")), "{src}: {msg}");
    assert!(!msg.contains('\n'), "{src}: {msg}");
}

fn sx(e: &Expr) -> String {
    match e {
        Expr::And { children, .. } => {
            let c: Vec<String> = children.iter().map(sx).collect();
            format!("(and {})", c.join(" "))
        }
        Expr::Or { children, .. } => {
            let c: Vec<String> = children.iter().map(sx).collect();
            format!("(or {})", c.join(" "))
        }
        Expr::Not { child, .. } => format!("(not {})", sx(child)),
        Expr::Identifier(i) => format!("#{}", i.name),
        Expr::Check(c) => {
            let rhs = match &c.rhs {
                None => String::new(),
                Some(r) => r.to_string(),
            };
            format!("{}{}{}", c.lhs, c.op, rhs.replace(' ', ""))
        }
    }
}

fn sxp(s: &str) -> String {
    sx(&p(s))
}

fn check(e: &Expr) -> &Check {
    match e {
        Expr::Check(c) => c,
        other => panic!("not a check: {other:?}"),
    }
}

/// parse → print → parse gives the same tree (modulo spans), and printing
/// is a fixed point.
fn round_trip(s: &str) -> String {
    let a = p(s);
    let printed = a.to_string();
    let b = match parse(&printed) {
        Ok(b) => b,
        Err(e) => panic!(
            "printed form of {s:?} does not parse:\n{}",
            e.render(&printed)
        ),
    };
    assert_eq!(
        a.without_spans(),
        b.without_spans(),
        "{s:?} printed as {printed:?}"
    );
    assert_eq!(b.to_string(), printed);
    printed
}

// ---------------------------------------------------------------------------
// precedence and boolean structure

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(
        sxp("a.a=1 or b.b=2 and c.c=3"),
        "(or a.a=1 (and b.b=2 c.c=3))"
    );
    assert_eq!(
        sxp("a.a=1 and b.b=2 or c.c=3"),
        "(or (and a.a=1 b.b=2) c.c=3)"
    );
    assert_eq!(
        sxp("a.a=1 and b.b=2 or c.c=3 and d.d=4 or e.e=5"),
        "(or (and a.a=1 b.b=2) (and c.c=3 d.d=4) e.e=5)"
    );
    assert_eq!(sxp("a.a=1 and b.b=2 and c.c=3"), "(and a.a=1 b.b=2 c.c=3)");
    assert_eq!(sxp("a.a=1 or b.b=2 or c.c=3"), "(or a.a=1 b.b=2 c.c=3)");
}

#[test]
fn parentheses() {
    assert_eq!(
        sxp("(a.a=1 or b.b=2) and c.c=3"),
        "(and (or a.a=1 b.b=2) c.c=3)"
    );
    assert_eq!(sxp("((((a.a=1))))"), "a.a=1");
    // explicit grouping is kept, not flattened
    assert_eq!(
        sxp("a.a=1 and (b.b=2 and c.c=3)"),
        "(and a.a=1 (and b.b=2 c.c=3))"
    );
    // no blank needed around parentheses / after and/or/not
    assert_eq!(
        sxp("(a.a=1)and(b.b=2)or(c.c=3)"),
        "(or (and a.a=1 b.b=2) c.c=3)"
    );
    assert_eq!(sxp("not(a.a=1)"), "(not a.a=1)");
    assert_eq!(sxp("  \t( a.a = 1 )\n and\tb.b=2  "), "(and a.a=1 b.b=2)");
}

#[test]
fn not_combinations() {
    assert_eq!(sxp("not a.a=1"), "(not a.a=1)");
    assert_eq!(sxp("not a.a=1 and b.b=2"), "(and (not a.a=1) b.b=2)");
    assert_eq!(sxp("not (a.a=1 and b.b=2)"), "(not (and a.a=1 b.b=2))");
    assert_eq!(sxp("a.a=1 and not b.b=2"), "(and a.a=1 (not b.b=2))");
    assert_eq!(sxp("a.a=1 or not b.b=2"), "(or a.a=1 (not b.b=2))");
    // parity folding, like libsinsp
    assert_eq!(sxp("not not a.a=1"), "a.a=1");
    assert_eq!(sxp("not not not a.a=1"), "(not a.a=1)");
    assert_eq!(sxp("not not(a.a=1)"), "a.a=1");
    // explicit nesting is kept
    assert_eq!(sxp("not (not a.a=1)"), "(not (not a.a=1))");
    assert_eq!(sxp("not fd.name exists"), "(not fd.nameexists)");
    assert_eq!(sxp("not my_macro"), "(not #my_macro)");
    // `not` as the first part of a field name is not the keyword
    assert_eq!(sxp("not.x = 1"), "not.x=1");
    assert_eq!(sxp("nothing.x = 1"), "nothing.x=1");
    assert_eq!(sxp("notafield"), "#notafield");
}

#[test]
fn bare_identifiers_are_macro_references() {
    let e = p("spawned_process and not container");
    assert_eq!(sx(&e), "(and #spawned_process (not #container))");
    assert_eq!(sxp("(a) or b"), "(or #a #b)");
}

// ---------------------------------------------------------------------------
// operators

#[test]
fn every_operator() {
    let cases: &[(&str, Operator)] = &[
        ("proc.name = x", Operator::Eq),
        ("proc.name == x", Operator::Eq),
        ("proc.name != x", Operator::Ne),
        ("proc.pid < 5", Operator::Lt),
        ("proc.pid <= 5", Operator::Le),
        ("proc.pid > 5", Operator::Gt),
        ("proc.pid >= 5", Operator::Ge),
        ("fd.name contains x", Operator::Contains),
        ("fd.name icontains x", Operator::IContains),
        ("evt.buffer bcontains 2f6574", Operator::BContains),
        ("fd.name startswith /etc", Operator::StartsWith),
        ("evt.buffer bstartswith 7f454c46", Operator::BStartsWith),
        ("fd.name endswith .so", Operator::EndsWith),
        ("fd.name glob /etc/*", Operator::Glob),
        ("fd.name iglob /ETC/*", Operator::IGlob),
        ("proc.name regex '^ba.*sh$'", Operator::Regex),
        ("evt.type in (open, openat)", Operator::In),
        ("proc.aname intersects (bash, sh)", Operator::Intersects),
        ("fd.name pmatch (/etc, /proc)", Operator::PMatch),
        ("fd.name exists", Operator::Exists),
    ];
    for (src, op) in cases {
        let e = p(src);
        let c = check(&e);
        assert_eq!(c.op, *op, "{src}");
        assert_eq!(c.rhs.is_none(), *op == Operator::Exists, "{src}");
        round_trip(src);
    }
    // every operator is covered above
    for op in Operator::ALL {
        assert!(cases.iter().any(|(_, o)| *o == op), "{op} not tested");
    }
}

#[test]
fn symbolic_operators_need_no_blanks() {
    assert_eq!(sxp("proc.name=cat"), "proc.name=cat");
    assert_eq!(sxp("proc.name==cat"), "proc.name=cat");
    assert_eq!(sxp("proc.name!=cat"), "proc.name!=cat");
    assert_eq!(sxp("evt.rawres<0"), "evt.rawres<0");
    assert_eq!(sxp("evt.rawres<=-1"), "evt.rawres<=-1");
    assert_eq!(sxp("evt.buflen>=1480"), "evt.buflen>=1480");
    // == is equality with the value "cat" (0.29.3 read it as '=' with "=cat")
    let e = p("proc.name==cat");
    let c = check(&e);
    assert_eq!(c.op, Operator::Eq);
    assert_eq!(
        c.rhs.as_ref().map(|r| r.to_string()).as_deref(),
        Some("cat")
    );
}

#[test]
fn in_and_intersects_are_not_confused() {
    let e = p("proc.aname intersects (bash, sh)");
    assert_eq!(check(&e).op, Operator::Intersects);
    let e = p("evt.type in(open,openat)");
    assert_eq!(check(&e).op, Operator::In);
    let e = p("evt.type in\t(open)");
    assert_eq!(check(&e).op, Operator::In);
    // `inside`/`inx` are not `in` followed by something
    assert_err("evt.type inside (a)", 10, "unknown operator 'inside'");
    assert_err("evt.type intersect (a)", 10, "unknown operator 'intersect'");
    // `existsx` is not `exists`
    assert_err("fd.name existsx", 9, "unknown operator 'existsx'");
}

#[test]
fn operator_spans() {
    let src = "fd.name  contains /etc";
    let e = p(src);
    let c = check(&e);
    assert_eq!(c.op_span.text(src), "contains");
    assert_eq!(c.op_span.column, 10);
    assert_eq!(c.span.text(src), src);
}

// ---------------------------------------------------------------------------
// values

fn rhs_value(src: &str) -> (String, ValueStyle, usize) {
    let e = p(src);
    match &check(&e).rhs {
        Some(Rhs::Value(v)) => (v.text.clone(), v.style, v.span.column),
        other => panic!("{src}: not a single value: {other:?}"),
    }
}

#[test]
fn bare_values() {
    assert_eq!(rhs_value("proc.name=cat").0, "cat");
    assert_eq!(rhs_value("fd.name contains /etc/passwd").0, "/etc/passwd");
    assert_eq!(rhs_value("fd.name glob /etc/*.conf").0, "/etc/*.conf");
    assert_eq!(rhs_value("evt.dir=<").0, "<");
    assert_eq!(rhs_value("evt.dir = >").0, ">");
    assert_eq!(rhs_value("fd.name=a:b-c!d[0]&|x").0, "a:b-c!d[0]&|x");
    assert_eq!(rhs_value("proc.name=ünïcødé").0, "ünïcødé");
    // keywords are plain values in value position
    assert_eq!(rhs_value("proc.name = and").0, "and");
    // bare values end at blanks, parentheses, commas, '=' and quotes
    assert_eq!(sxp("(proc.name=cat)"), "proc.name=cat");
    let (text, style, col) = rhs_value("proc.name = cat");
    assert_eq!((text.as_str(), style, col), ("cat", ValueStyle::Bare, 13));
}

#[test]
fn quoted_values_and_escapes() {
    let (t, s, c) = rhs_value(r#"proc.name = "a b""#);
    assert_eq!((t.as_str(), s, c), ("a b", ValueStyle::DoubleQuoted, 13));
    let (t, s, _) = rhs_value("proc.name = 'a b'");
    assert_eq!((t.as_str(), s), ("a b", ValueStyle::SingleQuoted));
    assert_eq!(rhs_value(r#"proc.name = "say \"hi\"""#).0, r#"say "hi""#);
    assert_eq!(rhs_value(r"proc.name = 'it\'s'").0, "it's");
    assert_eq!(rhs_value(r#"proc.name = "it's""#).0, "it's");
    assert_eq!(rhs_value(r#"proc.name = 'say "hi"'"#).0, r#"say "hi""#);
    assert_eq!(rhs_value(r#"fd.name = "C:\\dir""#).0, r"C:\dir");
    assert_eq!(rhs_value(r#"evt.arg.data contains "\x41\x42""#).0, "AB");
    assert_eq!(
        rhs_value(r#"evt.arg.data contains "a\tb\nc\rd\be\ff\/""#).0,
        "a\tb\nc\rd\x08e\x0cf/"
    );
    assert_eq!(rhs_value(r#"proc.name = """#).0, "");
    assert_eq!(rhs_value(r#"proc.name = "(x, y) = z""#).0, "(x, y) = z");
}

#[test]
fn numbers_ips_cidrs_are_strings() {
    assert_eq!(rhs_value("evt.rawres < -2").0, "-2");
    assert_eq!(rhs_value("evt.latency > 1000000").0, "1000000");
    assert_eq!(rhs_value("thread.cpu > 1.5").0, "1.5");
    assert_eq!(rhs_value("evt.latency > 1.5e+3").0, "1.5e+3");
    assert_eq!(rhs_value("proc.pid > +3").0, "+3");
    assert_eq!(rhs_value("evt.arg.flags >= 0x1F").0, "0x1F");
    assert_eq!(rhs_value("fd.sport = 80").0, "80");
    assert_eq!(rhs_value("fd.ip = 192.168.1.1").0, "192.168.1.1");
    assert_eq!(rhs_value("fd.ip = ::1").0, "::1");
    assert_eq!(
        rhs_value("fd.ip = fe80::1:2ff:fe03:405").0,
        "fe80::1:2ff:fe03:405"
    );
    assert_eq!(rhs_value("fd.net = 10.0.0.0/8").0, "10.0.0.0/8");
    assert_eq!(rhs_value("fd.net = 2001:db8::/32").0, "2001:db8::/32");
    assert_eq!(rhs_value("fd.net=10.0.0.0/8").0, "10.0.0.0/8");
}

#[test]
fn lists() {
    let e = p(r#"evt.type in (open, 'open at', "c d", 10.0.0.0/8, ::1)"#);
    let Some(Rhs::List(l)) = &check(&e).rhs else {
        panic!("not a list")
    };
    let items: Vec<(&str, ValueStyle)> =
        l.items.iter().map(|v| (v.text.as_str(), v.style)).collect();
    assert_eq!(
        items,
        [
            ("open", ValueStyle::Bare),
            ("open at", ValueStyle::SingleQuoted),
            ("c d", ValueStyle::DoubleQuoted),
            ("10.0.0.0/8", ValueStyle::Bare),
            ("::1", ValueStyle::Bare),
        ]
    );
    assert_eq!(l.items[1].span.column, 20);
    assert_eq!(l.span.column, 13);
    // blanks are optional
    assert_eq!(sxp("evt.type in(open,openat)"), "evt.typein(open,openat)");
    assert_eq!(
        sxp("evt.type in ( open ,\n openat )"),
        "evt.typein(open,openat)"
    );
    // a single item and an empty list (libsinsp accepts `()`)
    assert_eq!(sxp("evt.type in (open)"), "evt.typein(open)");
    let e = p("evt.type in ()");
    assert!(matches!(&check(&e).rhs, Some(Rhs::List(l)) if l.items.is_empty()));
    assert_eq!(sxp("evt.type in ( )"), "evt.typein()");
    // a list reference (Falco list name)
    let e = p("proc.name in shell_binaries");
    assert!(
        matches!(&check(&e).rhs, Some(Rhs::ListRef(Identifier { name, .. })) if name == "shell_binaries")
    );
    round_trip(r#"evt.type in (open, 'open at', "c d")"#);
    round_trip("proc.name in shell_binaries");
    round_trip("evt.type in ()");
}

// ---------------------------------------------------------------------------
// fields, arguments, transformers, val()

fn lhs(src: &str) -> FieldExpr {
    check(&p(src)).lhs.clone()
}

#[test]
fn field_names_and_args() {
    for name in [
        "evt.arg.fd",
        "evt.rawarg.res",
        "evt.type.is.open",
        "thread.cgroup.cpuacct",
        "k8s.pod.label.app",
        "evt.count.error.file",
        "a_b.c_d9",
    ] {
        let f = lhs(&format!("{name} exists"));
        assert_eq!(f.field().name, name);
        assert!(f.field().arg.is_none());
    }
    let cases = [
        ("proc.aname[2] = bash", "proc.aname", "2"),
        ("evt.arg[0] = 3", "evt.arg", "0"),
        ("proc.apid[1] > 1", "proc.apid", "1"),
        ("k8s.pod.label[app] = web", "k8s.pod.label", "app"),
        ("span.tag[-1] = x", "span.tag", "-1"),
        (
            "container.mount[/var/lib/*] exists",
            "container.mount",
            "/var/lib/*",
        ),
        (
            "evt.around[1700000000000000000] = 100",
            "evt.around",
            "1700000000000000000",
        ),
        (
            r#"k8s.pod.label["app.kubernetes.io/name"] = web"#,
            "k8s.pod.label",
            "app.kubernetes.io/name",
        ),
        (r#"k8s.pod.label['a b'] = web"#, "k8s.pod.label", "a b"),
        ("k8s.pod.label[a(b),c=d] = x", "k8s.pod.label", "a(b),c=d"),
    ];
    for (src, name, arg) in cases {
        let f = lhs(src);
        let r = f.field();
        assert_eq!(r.name, name, "{src}");
        assert_eq!(r.arg.as_ref().map(|a| a.value.as_str()), Some(arg), "{src}");
        round_trip(src);
    }
    let src = "proc.aname[2] = bash";
    let f = lhs(src);
    let r = f.field();
    assert_eq!(r.span.text(src), "proc.aname[2]");
    assert_eq!(r.arg.as_ref().map(|a| a.span.column), Some(12));
}

#[test]
fn transformers() {
    for (src, kinds) in [
        ("tolower(proc.name) = bash", vec![TransformKind::ToLower]),
        ("toupper(proc.name) = BASH", vec![TransformKind::ToUpper]),
        ("b64(evt.arg.data) contains abc", vec![TransformKind::B64]),
        ("basename(fd.name) = passwd", vec![TransformKind::Basename]),
        ("len(proc.args) > 100", vec![TransformKind::Len]),
        (
            "tolower(basename(fd.name)) = passwd",
            vec![TransformKind::ToLower, TransformKind::Basename],
        ),
        (
            "len( toupper( proc.aname[1] ) ) >= 3",
            vec![TransformKind::Len, TransformKind::ToUpper],
        ),
    ] {
        let f = lhs(src);
        assert_eq!(f.transforms(), kinds, "{src}");
        round_trip(src);
    }
    let src = "tolower(basename(fd.name)) = passwd";
    let f = lhs(src);
    assert_eq!(f.span().text(src), "tolower(basename(fd.name))");
    let FieldExpr::Transform(t) = &f else {
        panic!()
    };
    assert_eq!(t.arg.span().text(src), "basename(fd.name)");
    assert_eq!(t.arg.span().column, 9);
    assert_eq!(f.field().span.column, 18);
}

#[test]
fn val_and_rhs_transformers() {
    let src = "proc.name = val(proc.pname)";
    let e = p(src);
    let c = check(&e);
    let Some(Rhs::Field { expr, span }) = &c.rhs else {
        panic!("{:?}", c.rhs)
    };
    assert!(matches!(expr, FieldExpr::Field(f) if f.name == "proc.pname"));
    assert_eq!(span.text(src), "val(proc.pname)");
    assert_eq!(span.column, 13);
    assert_eq!(round_trip(src), src);

    let e = p("proc.name != tolower(proc.pname)");
    let Some(Rhs::Field { expr, .. }) = &check(&e).rhs else {
        panic!()
    };
    assert_eq!(expr.transforms(), [TransformKind::ToLower]);
    round_trip("proc.name != tolower(proc.pname)");

    round_trip("evt.rawres < val(proc.pid)");
    round_trip("proc.pid > len(proc.name)");
    round_trip("proc.name in val(proc.aname[1])");
    round_trip("fd.name startswith val( proc.cwd )");
    round_trip("tolower(proc.name) = toupper(basename(proc.exepath))");
    round_trip("proc.aname[2] = val(proc.aname[3])");
    // `val` without parenthesis is a plain value
    assert_eq!(rhs_value("proc.name = val").0, "val");
    assert_eq!(rhs_value("proc.name = tolower").0, "tolower");
}

// ---------------------------------------------------------------------------
// errors

#[test]
fn error_display_and_caret() {
    let src = "proc.name=";
    let e = err(src);
    assert_eq!(
        e.to_string(),
        "filter: expected a value after '=' at column 11"
    );
    assert_eq!(e.column, 11);
    assert_eq!(e.caret(src), "proc.name=\n          ^");
    assert_eq!(
        e.render(src),
        "filter: expected a value after '=' at column 11\nproc.name=\n          ^"
    );
    // tabs/newlines are shown as spaces so the caret lines up
    let src = "proc.name=cat and\n\tfoo.bar";
    let e = err(src);
    assert_eq!(e.column, 27);
    assert_eq!(
        e.caret(src),
        "proc.name=cat and  foo.bar\n                          ^"
    );
}

#[test]
fn error_unexpected_end() {
    assert_err("", 1, "empty filter");
    assert_err("   ", 1, "empty filter");
    assert_err(
        "proc.name",
        10,
        "unexpected end of filter: expected an operator after 'proc.name'",
    );
    assert_err(
        "proc.name=cat and",
        18,
        "unexpected end of filter: expected a check after 'and'",
    );
    assert_err(
        "proc.name=cat or ",
        18,
        "unexpected end of filter: expected a check after 'or'",
    );
    assert_err("not", 4, "expected a check or '(' after 'not'");
    assert_err(
        "proc.name contains",
        19,
        "expected a value after 'contains'",
    );
    assert_err(
        "proc.name contains ",
        20,
        "expected a value after 'contains'",
    );
    assert_err("evt.type in", 12, "expected a list after 'in'");
    assert_err("proc.pid >", 11, "expected a number after '>'");
    assert_err("tolower(proc.name", 18, "expected ')' to close 'tolower('");
    assert_err(
        "tolower(",
        9,
        "expected a field or a transformer inside 'tolower(...)'",
    );
    assert_err(
        "proc.name = val(proc.pname",
        27,
        "expected ')' to close 'val('",
    );
}

#[test]
fn error_unmatched_parentheses() {
    assert_err("(proc.name=cat", 1, "unmatched '(': missing ')'");
    assert_err("((proc.name=cat)", 1, "unmatched '(': missing ')'");
    assert_err(
        "proc.name=cat and (evt.type=open or (a.b=1)",
        19,
        "unmatched '('",
    );
    assert_err("proc.name=cat)", 14, "unmatched ')'");
    assert_err("(proc.name=cat))", 16, "unmatched ')'");
    assert_err("()", 2, "expected a check after '(', found ')'");
    assert_err(
        "evt.type in (open, openat",
        13,
        "unmatched '(': the list is missing ')'",
    );
    assert_err(
        "proc.aname[2 = x",
        13,
        "expected ']' after the argument of 'proc.aname'",
    );
    assert_err("proc.aname[2", 11, "unmatched '[': missing ']'");
    assert_err(
        "proc.aname[] = x",
        12,
        "expected an argument inside 'proc.aname[...]'",
    );
}

#[test]
fn error_unknown_operator() {
    assert_err("proc.name equals cat", 11, "unknown operator 'equals'");
    assert_err("proc.name Contains cat", 11, "unknown operator 'Contains'");
    assert_err(
        "proc.name ~= cat",
        11,
        "expected an operator after 'proc.name', found '~='",
    );
    assert_err(
        "proc.name and x.y=1",
        11,
        "found 'and' (a field alone is not a check",
    );
    assert_err(
        "proc.name containsfoo",
        11,
        "unknown operator 'containsfoo'",
    );
    assert_err(
        "proc.name contains\"x\"",
        19,
        "expected a blank after 'contains'",
    );
    assert_err("proc.name ! = cat", 11, "'!' is not an operator in filters");
}

#[test]
fn error_missing_value() {
    assert_err("proc.name = and x.y=1", 17, "unexpected 'x.y=1'"); // `and` is the value
    assert_err("proc.name = )", 13, "expected a value after '='");
    assert_err("proc.name = ,x", 13, "expected a value after '='");
    assert_err("proc.name != ", 14, "expected a value after '!='");
}

/// After `<` `<=` `>` `>=` the parser takes any value, as sysdig 0.29.3
/// does; the field's type decides: a numeric field wants an integer (the
/// error names the value and its column), a text field compares as
/// `strcmp` does, quoted or not.
#[test]
fn relational_values_follow_the_field_type() {
    use syspect::filter::Filter;
    for (src, column, needle) in [
        (
            "proc.pid > abc",
            12,
            "expected a number after '>', found 'abc'",
        ),
        (
            "proc.pid > 1e6",
            12,
            "expected a number after '>', found '1e6'",
        ),
        ("proc.pid > 5abc", 12, "found '5abc'"),
        (
            "evt.num <= \"x\"",
            12,
            "expected a number after '<=', found 'x'",
        ),
    ] {
        assert_compile_err(src, column, needle);
    }
    for src in [
        "proc.pid > '5'",
        "proc.pid >= 0",
        "proc.name > c",
        "proc.name <= \"cat\"",
        "fd.name < /etc/zz",
        "fd.sproto <= 9000",
    ] {
        assert!(Filter::compile(src).is_ok(), "{src}");
    }
}

/// Each field type takes the operators libsinsp gives it: numbers and
/// booleans no text operators, booleans only `true`/`false`, addresses no
/// order and no text operators, buffers no `glob`, `icontains` or order.
/// The error points at the operator.
#[test]
fn operators_follow_the_field_type() {
    use syspect::filter::Filter;
    for (src, column, needle) in [
        (
            "evt.num contains 1",
            9,
            "'contains' does not apply to numeric field evt.num",
        ),
        (
            "thread.cpu glob 1",
            12,
            "'glob' does not apply to numeric field thread.cpu",
        ),
        (
            "evt.failed icontains t",
            12,
            "'icontains' does not apply to boolean field",
        ),
        (
            "evt.failed regex t",
            12,
            "'regex' does not apply to boolean field",
        ),
        (
            "fd.cip > 1.2.3.4",
            8,
            "'>' does not apply to IP address and network field fd.cip",
        ),
        (
            "fd.net startswith 10",
            8,
            "'startswith' does not apply to IP address",
        ),
        (
            "evt.buffer iglob x",
            12,
            "'iglob' does not apply to buffer field evt.buffer",
        ),
        ("evt.buffer >= x", 12, "'>=' does not apply to buffer field"),
        (
            "len(proc.name) contains 1",
            16,
            "'contains' does not apply to a numeric value",
        ),
        ("evt.failed = 1", 14, "'1' is not true or false"),
        ("evt.failed in (true, 0)", 22, "'0' is not true or false"),
        (
            "evt.num = 1.5",
            11,
            "'1.5' is not an integer (field evt.num is numeric)",
        ),
        ("evt.num in (2, 1e3)", 16, "'1e3' is not an integer"),
        ("fd.num > 0x10", 10, "'0x10' is not an integer"),
        (
            "toupper(evt.num) = 5",
            1,
            "toupper() takes a text field, not evt.num (UINT64)",
        ),
        (
            "len(evt.failed) = 1",
            1,
            "len() takes a text field, not evt.failed (BOOL)",
        ),
        (
            "proc.pid = 1 and basename(fd.cip) = x",
            18,
            "basename() takes a text field, not fd.cip",
        ),
        (
            "tolower(len(proc.name)) = 3",
            1,
            "tolower() takes a text field, not a number",
        ),
        ("proc.name regex '('", 17, "bad regex: unclosed group"),
        ("evt.arg.foo = 1", 1, "no event has an argument named 'foo'"),
        (
            "evt.rawarg.foo = 1",
            1,
            "no event has an argument named 'foo'",
        ),
        ("proc.aname[x] = 1", 1, "'x' is not a number of generations"),
    ] {
        assert_compile_err(src, column, needle);
    }
    for src in [
        "evt.failed > false",
        "evt.failed in (true, false)",
        "evt.failed exists",
        "evt.num in (1, 2)",
        "fd.cip in (1.2.3.4, 10.0.0.0/8)",
        "fd.net != 10.0.0.0/8",
        "evt.buffer contains x",
        "evt.buffer bstartswith 7f",
        "evt.rawarg.fd contains 1",
        "tolower(evt.type) glob op*",
        "thread.cpu > 1.5",
        "evt.rawtime < 18446744073709551615",
        "len(evt.buffer) > 3",
        "b64(evt.buffer) contains x",
        "len(toupper(proc.name)) = 3",
    ] {
        assert!(Filter::compile(src).is_ok(), "{src}");
    }
}

#[test]
fn error_lists() {
    assert_err("evt.type in (open,)", 19, "expected a list item after ','");
    assert_err("evt.type in (,open)", 14, "empty list item");
    assert_err("evt.type in (open,,x)", 19, "empty list item");
    assert_err(
        "evt.type in (open openat)",
        19,
        "expected ',' or ')' in the list, found 'openat)'",
    );
    assert_err(
        "evt.type in (a=b)",
        15,
        "expected ',' or ')' in the list, found '=b)'",
    );
    assert_err(
        "evt.type in proc.name",
        13,
        "found the field 'proc.name' (write val(proc.name)",
    );
}

#[test]
fn error_bad_escapes_and_strings() {
    assert_err(
        r#"proc.name = "a\qb""#,
        15,
        r"unsupported escape sequence '\q'",
    );
    assert_err(r#"proc.name = "a\x4""#, 15, r"invalid escape '\x'");
    assert_err(r#"proc.name = "\xff""#, 14, "only ASCII");
    assert_err(r#"proc.name = 'a\"b'"#, 15, "invalid escape");
    assert_err(
        r#"proc.name = "abc"#,
        13,
        "unterminated string: missing closing \"",
    );
    assert_err(
        "proc.name = 'abc",
        13,
        "unterminated string: missing closing '",
    );
    assert_err(
        r#"k8s.pod.label["a\q"] = x"#,
        17,
        r"unsupported escape sequence '\q'",
    );
}

#[test]
fn error_trailing_garbage() {
    assert_err("proc.name=cat dog", 15, "unexpected 'dog': expected 'and', 'or' or the end of the filter (quote values that contain blanks)");
    assert_err(
        "(proc.name=cat dog)",
        16,
        "expected 'and', 'or', ')' or the end",
    );
    assert_err("fd.name exists foo", 16, "unexpected 'foo'");
    assert_err(
        "proc.name=cat AND evt.type=open",
        15,
        "keywords are lower-case, use 'and'",
    );
    assert_err("NOT proc.name=cat", 1, "keywords are lower-case, use 'not'");
    assert_err("proc.name=cat andx.y=1", 15, "unexpected 'andx.y=1'");
    // like libsinsp, no blank is needed between a quoted value and `and`
    assert_eq!(
        sxp("proc.name=\"a\"and x.y=1"),
        "(and proc.name=\"a\" x.y=1)"
    );
    assert_err(
        "proc.name=cat or\"x\"",
        17,
        "expected a blank or '(' after 'or'",
    );
    assert_err(
        "a.b=1 and and c.d=1",
        11,
        "expected a check after 'and', found 'and'",
    );
}

#[test]
fn error_c_style_operators() {
    assert_err(
        "proc.name=cat && evt.type=open",
        15,
        "'&&' is not an operator in filters: use 'and'",
    );
    assert_err(
        "proc.name=cat || evt.type=open",
        15,
        "'||' is not an operator in filters: use 'or'",
    );
    assert_err(
        "!proc.name=cat",
        1,
        "'!' is not an operator in filters: use 'not'",
    );
    assert_err("proc.name=cat and !evt.type=open", 19, "use 'not'");
    assert_err("(a.b=1) && (c.d=1)", 9, "use 'and'");
}

#[test]
fn error_names_and_misc() {
    assert_err(
        "name = cat",
        1,
        "'name' is not a valid field name (fields look like 'class.name')",
    );
    assert_err("foo in (a)", 1, "'foo' is not a valid field name");
    // A name part may start with a digit (`evt.type.is.3`), so this parses;
    // an argument's position goes in brackets, which compiling says.
    assert_compile_err("evt.arg.0 = 1", 1, "argument named '0'");
    assert_err(
        "1.2 = x",
        1,
        "expected a check (field operator value), 'not' or '(', found '1.2'",
    );
    assert_err(
        "upper(proc.name) = x",
        1,
        "unknown field transformer 'upper'",
    );
    assert_err(
        "val(proc.name) = x",
        1,
        "val() can only be used on the right-hand side",
    );
    assert_err(
        "tolower(val(proc.name)) = x",
        9,
        "val() cannot be used inside a transformer",
    );
    assert_err(
        "proc.name = foo(proc.pname)",
        13,
        "unknown field transformer 'foo'",
    );
    assert_err(
        "proc.name = val(bash)",
        17,
        "expected a field inside 'val(...)'",
    );
    assert_err(
        "proc.name = val(tolower(proc.pname))",
        17,
        "expected a field inside 'val(...)'",
    );
    assert_err(
        "tolower(proc.name)",
        19,
        "expected an operator after 'tolower(proc.name)'",
    );
}

// ---------------------------------------------------------------------------
// depth and performance

#[test]
fn deep_nesting_is_capped_not_overflowing() {
    let n = 10_000;
    let src = format!("{}proc.name=cat{}", "(".repeat(n), ")".repeat(n));
    let e = err(&src);
    assert_eq!(e.column, DEFAULT_MAX_DEPTH + 1);
    assert!(e.msg.contains("nested too deeply"), "{e}");

    let src = format!("{}proc.name=cat", "not (".repeat(n));
    let e = err(&src);
    assert!(e.msg.contains("nested too deeply"));
    assert_eq!(e.column, DEFAULT_MAX_DEPTH / 2 * 5 + 5); // `not (` costs 2

    let src = format!("{}proc.name{} = x", "tolower(".repeat(n), ")".repeat(n));
    assert!(err(&src).msg.contains("nested too deeply"));

    // exactly at the limit is fine
    let d = DEFAULT_MAX_DEPTH;
    let src = format!("{}proc.name=cat{}", "(".repeat(d), ")".repeat(d));
    assert_eq!(sxp(&src), "proc.name=cat");

    // a configurable limit
    assert!(Parser::new("((a.b=1))").max_depth(1).parse().is_err());
    assert!(Parser::new("(a.b=1)").max_depth(1).parse().is_ok());
}

/// `a.b=0 and (a.b=1 or (a.b=2 and (...)))`, `levels` parentheses deep,
/// optionally with `not` before each parenthesis.
fn deep_filter(levels: usize, with_not: bool) -> String {
    let mut src = String::new();
    for i in 0..levels {
        let conn = if i % 2 == 0 { "and" } else { "or" };
        let not = if with_not { "not " } else { "" };
        src.push_str(&format!("a.b={i} {conn} {not}("));
    }
    src.push_str("tolower(basename(a.b))=x");
    src.push_str(&")".repeat(levels));
    src
}

#[test]
fn deepest_accepted_trees_are_safe_to_walk() {
    // the deepest trees the default limit lets through: ~256 nested
    // And/Or nodes, or ~128 levels of `not (` (And/Or + Not per level).
    // (the innermost check has 2 transformers, which count too)
    let max = DEFAULT_MAX_DEPTH - 2;
    let cases = [
        (deep_filter(max, false), max + 1),
        (deep_filter(max / 2, true), max / 2 + 1),
    ];
    for (src, checks) in cases {
        // run in a thread with the default test-thread stack (2 MiB)
        let h = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let e = p(&src);
                round_trip(&src);
                let copy = e.clone();
                assert_eq!(copy, e);
                assert!(!format!("{e:?}").is_empty());
                let mut n = 0;
                e.for_each_check(|_| n += 1);
                drop(e);
                n
            });
        let n = h.and_then(|h| h.join().map_err(|_| std::io::Error::other("panicked")));
        assert_eq!(n.ok(), Some(checks));
    }
    // one level more is refused
    assert!(err(&deep_filter(max + 1, false))
        .msg
        .contains("nested too deeply"));
    assert!(err(&deep_filter(max / 2 + 1, true))
        .msg
        .contains("nested too deeply"));
}

#[test]
fn long_flat_filters_parse_in_linear_time() {
    let n = 50_000;
    let src = (0..n)
        .map(|i| format!("proc.name={i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let t = std::time::Instant::now();
    let e = p(&src);
    assert!(matches!(&e, Expr::Or { children, .. } if children.len() == n));
    let mut big_list = String::from("evt.type in (");
    big_list.push_str(
        &(0..n)
            .map(|i| format!("v{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    big_list.push(')');
    let e = p(&big_list);
    assert!(matches!(&check(&e).rhs, Some(Rhs::List(l)) if l.items.len() == n));
    assert!(t.elapsed().as_secs() < 20, "too slow: {:?}", t.elapsed());
}

// ---------------------------------------------------------------------------
// real-world filters

#[test]
fn real_world_filters() {
    assert_eq!(
        sxp("proc.name=cat and evt.type=openat"),
        "(and proc.name=cat evt.type=openat)"
    );
    assert_eq!(
        sxp("evt.type in (open, openat) and fd.name contains /etc"),
        "(and evt.typein(open,openat) fd.namecontains/etc)"
    );
    assert_eq!(
        sxp("(evt.type=execve and evt.dir=<) and not proc.pname in (bash, sh)"),
        "(and (and evt.type=execve evt.dir=<) (not proc.pnamein(bash,sh)))"
    );
    assert_eq!(sxp("fd.net=10.0.0.0/8"), "fd.net=10.0.0.0/8");
    assert_eq!(sxp("evt.rawarg.res<0"), "evt.rawarg.res<0");
    assert_eq!(
        sxp("container.id != host and proc.name = bash"),
        "(and container.id!=host proc.name=bash)"
    );
    assert_eq!(
        sxp("fd.name glob '/etc/*.conf'"),
        "fd.nameglob'/etc/*.conf'"
    );
    for src in [
        "proc.name=cat and evt.type=openat",
        "evt.type in (open, openat) and fd.name contains /etc",
        "(evt.type=execve and evt.dir=<) and not proc.pname in (bash, sh)",
        "fd.net=10.0.0.0/8",
        "evt.rawarg.res<0",
        "container.id != host and proc.name = bash",
        "fd.name glob '/etc/*.conf'",
        "evt.type=execve and evt.dir=< and proc.aname[2]=sshd and not user.name in (root, \"my user\")",
        "fd.type in (ipv4, ipv6) and (fd.sport=22 or fd.dport=22) and fd.rip != 127.0.0.1",
    ] {
        round_trip(src);
    }
    assert_eq!(
        round_trip("(evt.type=execve and evt.dir=<) and not proc.pname in (bash, sh)"),
        "(evt.type = execve and evt.dir = <) and not proc.pname in (bash, sh)"
    );
}

/// Builds a ~100-term Falco-style condition (macros, lists, nesting,
/// transformers, every value kind) from a seed.
fn falco_condition(seed: u64) -> (String, usize) {
    let mut rng = seed;
    let mut next = move |n: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % n
    };
    let terms = [
        "evt.type in (open, openat, openat2)",
        "evt.dir = <",
        "fd.name startswith /etc",
        "fd.name pmatch (/etc, /usr/lib, \"/var/lib/my app\")",
        "proc.name in shell_binaries",
        "proc.aname[2] in (sshd, 'systemd-logind')",
        "not proc.pname exists",
        "container.id != host",
        "tolower(proc.name) = bash",
        "basename(fd.name) glob '*.conf'",
        "len(proc.args) > 1024",
        "evt.rawres < 0",
        "fd.sip in (10.0.0.1, ::1)",
        "fd.net = 192.168.0.0/16",
        "k8s.pod.label[app] = web",
        "proc.name = val(proc.pname)",
        "evt.arg.flags contains O_CREAT",
        "user.uid >= 0x3e8",
        "proc.cmdline icontains \"curl -s\"",
        "evt.buffer bcontains 2f6574632f706173737764",
        "proc.exepath regex '^/tmp/.*'",
        "spawned_process",
        "open_write",
        "proc.aname intersects (bash, zsh)",
        "fd.name iglob /ETC/*",
        "proc.name endswith .sh",
    ];
    let mut out = String::new();
    let mut count = 0;
    let mut open = 0;
    while count < 100 {
        if count > 0 {
            out.push_str(if next(3) == 0 { " or " } else { " and " });
        }
        if next(4) == 0 {
            out.push_str("not ");
        }
        if next(5) == 0 && open < 8 {
            out.push('(');
            open += 1;
        }
        out.push_str(terms[next(terms.len() as u64) as usize]);
        count += 1;
        if open > 0 && next(3) == 0 {
            out.push(')');
            open -= 1;
        }
    }
    out.push_str(&")".repeat(open));
    (out, count)
}

#[test]
fn falco_style_hundred_term_condition() {
    for seed in 0..20 {
        let (src, n) = falco_condition(seed);
        let e = p(&src);
        struct Count(usize, usize);
        impl Visitor for Count {
            fn visit_check(&mut self, _: &Check) {
                self.0 += 1;
            }
            fn visit_identifier(&mut self, _: &Identifier) {
                self.1 += 1;
            }
        }
        let mut c = Count(0, 0);
        c.visit_expr(&e);
        assert_eq!(c.0 + c.1, n, "{src}");
        round_trip(&src);
    }
}

// ---------------------------------------------------------------------------
// visitor API: macro and list substitution

#[test]
fn visitor_mut_substitutes_macros_and_lists() {
    let mut e = p("spawned_process and proc.name in shell_binaries and not container");
    struct Subst;
    impl VisitorMut for Subst {
        fn visit_expr(&mut self, e: &mut Expr) {
            if let Expr::Identifier(i) = e {
                let body = match i.name.as_str() {
                    "spawned_process" => "evt.type in (execve, execveat) and evt.dir = <",
                    "container" => "container.id != host",
                    _ => return,
                };
                if let Ok(b) = syspect::filter::parse(body) {
                    *e = b;
                }
                return;
            }
            syspect::filter::ast::walk_expr_mut(self, e);
        }
        fn visit_rhs(&mut self, r: &mut Rhs) {
            if let Rhs::ListRef(i) = r {
                if i.name == "shell_binaries" {
                    if let Ok(Expr::Check(c)) = syspect::filter::parse("x.x in (bash, sh, zsh)") {
                        if let Some(list) = c.rhs {
                            *r = list;
                        }
                    }
                }
            }
        }
    }
    Subst.visit_expr(&mut e);
    assert_eq!(
        e.to_string(),
        "(evt.type in (execve, execveat) and evt.dir = <) and proc.name in (bash, sh, zsh) \
         and not container.id != host"
    );
    let mut fields = Vec::new();
    e.for_each_field(|f| fields.push(f.name.clone()));
    assert_eq!(fields, ["evt.type", "evt.dir", "proc.name", "container.id"]);
}

// ---------------------------------------------------------------------------
// robustness: pseudo-random inputs never panic; whatever parses round-trips

#[test]
fn random_inputs_do_not_panic_and_round_trip() {
    let pieces = [
        "proc.name",
        "evt.type",
        "fd.name",
        "proc.aname[1]",
        "k8s.pod.label[\"a b\"]",
        " ",
        " ",
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "!",
        "&&",
        "||",
        " and ",
        " or ",
        "not ",
        "(",
        ")",
        ",",
        "'",
        "\"",
        "\\",
        "\\x41",
        "\\q",
        "in",
        " in ",
        " intersects ",
        " contains ",
        " exists",
        " glob ",
        " pmatch ",
        "tolower(",
        "val(",
        "len(",
        "cat",
        "/etc/*",
        "10.0.0.0/8",
        "-1",
        "0x1f",
        "1.5",
        "ü",
        "€",
        "\t",
        "\n",
        "[",
        "]",
        "my_macro",
        "x.",
        ".y",
    ];
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut parsed = 0;
    for _ in 0..20_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let len = (rng % 12) as usize + 1;
        let mut s = String::new();
        let mut r = rng;
        for _ in 0..len {
            r = r.wrapping_mul(6364136223846793005).wrapping_add(1);
            s.push_str(pieces[((r >> 33) % pieces.len() as u64) as usize]);
        }
        match parse(&s) {
            Ok(_) => {
                parsed += 1;
                round_trip(&s);
            }
            Err(e) => {
                let chars = s.chars().count();
                assert!(e.column >= 1 && e.column <= chars + 1, "{s:?}: {e}");
                let _ = e.render(&s);
            }
        }
    }
    assert!(parsed > 50, "only {parsed} random inputs parsed");
}
