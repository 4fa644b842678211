//! Filter compilation: the AST becomes a predicate tree whose constants are
//! parsed once (numbers, IPs, networks, sets, regexes, globs), plus the set
//! of event types the filter can match so other events skip evaluation.

use rustc_hash::FxHashSet;
use std::borrow::Cow;
use std::net::IpAddr;

use super::ast::{Check, Expr, FieldExpr, Operator, Rhs, TransformKind};
use super::fields::{self, BoundField, Ctx, FType, FieldArg, FieldError, StrRead, Value, F};
use super::parser::{parse, ParseError};
use crate::event::table::table;

/// A filter that failed to compile, with the 1-based column it points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter: {msg} at column {column}")]
pub struct FilterError {
    pub column: usize,
    pub msg: String,
}

impl From<ParseError> for FilterError {
    fn from(e: ParseError) -> FilterError {
        FilterError {
            column: e.column,
            msg: e.msg,
        }
    }
}

impl FilterError {
    /// The filter with a caret under the column.
    pub fn caret(&self, filter: &str) -> String {
        format!("{filter}\n{}^", " ".repeat(self.column.saturating_sub(1)))
    }
}

/// An IP network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Option<IpNet> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(IpNet { addr, prefix })
    }
    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(*a) & mask
            }
            (IpAddr::V4(n), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|a4| {
                IpNet {
                    addr: IpAddr::V4(n),
                    prefix: self.prefix,
                }
                .contains(&IpAddr::V4(a4))
            }),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// A constant on the right of an operator, parsed for the field's type.
#[derive(Debug, Clone)]
enum Const {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Net(IpNet),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Lhs {
    Field(BoundField),
    /// `proc.aname` / `proc.apid` without index in a filter: any ancestor.
    AnyAncestor(BoundField),
    Transform(TransformKind, Box<Lhs>),
}

#[derive(Debug, Clone)]
enum RhsC {
    None,
    One(Const),
    /// The constants, their texts, and whether every constant is a string
    /// (then a string value is in the set iff its text is).
    Set(Vec<Const>, FxHashSet<String>, bool),
    Regex(regex::Regex),
    Glob(Vec<char>, bool),
    Field(Lhs),
}

impl RhsC {
    fn set(consts: Vec<Const>, texts: impl IntoIterator<Item = String>) -> RhsC {
        let all_str = consts.iter().all(|k| matches!(k, Const::Str(_)));
        RhsC::Set(consts, texts.into_iter().collect(), all_str)
    }
}

#[derive(Debug, Clone)]
struct CheckC {
    lhs: Lhs,
    op: Operator,
    rhs: RhsC,
}

#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check(Box<CheckC>),
    /// Checks of one field, read once: true when any check passes (an
    /// `or` of checks on the same field).
    AnyOf(Box<MultiCheck>),
    /// Tests of one string field read as `&str` without a [`Value`]
    /// ([`fields::str_read`]): true when any test passes. `slow` is the
    /// same checks, generic, for the events the reader cannot serve.
    Str(Box<StrNode>),
    /// A signed integer field ([`fields::int_read`]) against a constant.
    Int(F, Operator, i64),
    /// Tests whose field the event type decides ([`fields::str_of_type`]):
    /// the answer per type, precomputed.
    ByType(Box<ByType>),
}

/// The answer of a [`StrNode`] for each event type that decides it.
#[derive(Debug, Clone)]
struct ByType {
    /// Per type id: `NO`, `YES`, or `ASK` (evaluate `slow`).
    answers: Vec<u8>,
    /// For `evt.type`, whose generic events ask: the answer per syscall
    /// code they carry (below [`ByType::CODES`]).
    by_code: Option<Vec<u8>>,
    slow: Node,
}

impl ByType {
    const NO: u8 = 0;
    const YES: u8 = 1;
    const ASK: u8 = 2;
    /// Syscall codes `by_code` answers for.
    const CODES: u16 = 1024;

    /// The types whose events may pass: all but those answered `NO` (and
    /// the generic events, as every [`TypeSet`] has them); exact when
    /// only generic events ask.
    fn types(&self) -> TypeSet {
        let mut t = TypeSet::none();
        t.exact = true;
        for (id, &a) in (0u16..).zip(&self.answers) {
            if a != ByType::NO {
                t.set(id);
            }
            if a == ByType::ASK && id > 1 {
                t.exact = false;
            }
        }
        // (Ids past `answers` ask: `has` answers true for them.)
        t.set(0);
        t.set(1);
        t
    }
}

/// A string node on a field the event type decides becomes a table of
/// answers per type (the node itself serves the other types).
fn by_type(sn: Box<StrNode>) -> Node {
    if !fields::decided_by_type(sn.id) {
        return Node::Str(sn);
    }
    // Every id a TypeSet has a bit for (past the table too: their name
    // and direction are decided as well), so `ByType::types` is exact.
    let answers = (0..TypeSet::words() * 64)
        .map(|id| {
            match u16::try_from(id)
                .ok()
                .and_then(|id| fields::str_of_type(sn.id, id))
            {
                Some(v) if sn.tests.iter().any(|t| t.test(v)) => ByType::YES,
                Some(_) => ByType::NO,
                None => ByType::ASK,
            }
        })
        .collect();
    // Generic events: the first syscall codes (all the named ones), the
    // others ask.
    let by_code = (sn.id == F::EvtType).then(|| {
        (0..ByType::CODES)
            .map(|k| match fields::generic_type_name(Some(k)) {
                v if sn.tests.iter().any(|t| t.test(v)) => ByType::YES,
                _ => ByType::NO,
            })
            .collect()
    });
    Node::ByType(Box::new(ByType {
        answers,
        by_code,
        slow: Node::Str(sn),
    }))
}

#[derive(Debug, Clone)]
struct MultiCheck {
    lhs: Lhs,
    checks: Vec<(Operator, RhsC)>,
}

#[derive(Debug, Clone)]
struct StrNode {
    id: F,
    tests: Vec<StrTest>,
    slow: Node,
}

/// A test on a string value, the same as `check_one` on `Value::S`.
#[derive(Debug, Clone)]
enum StrTest {
    Eq(Box<str>),
    Ne(Box<str>),
    In(StrSet),
    /// The text and its byte searched first ([`rare_byte`]).
    Contains(Box<str>, usize),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    /// Several `startswith` of one field: true when any prefix is.
    Prefixes(Prefixes),
}

impl StrTest {
    #[inline]
    fn test(&self, v: &str) -> bool {
        match self {
            StrTest::Eq(s) => v == &**s,
            StrTest::Ne(s) => v != &**s,
            StrTest::In(set) => set.contains(v),
            StrTest::Contains(s, k) => contains_at(v.as_bytes(), s.as_bytes(), *k),
            StrTest::StartsWith(s) => v.starts_with(&**s),
            StrTest::EndsWith(s) => v.ends_with(&**s),
            StrTest::Prefixes(p) => p.any(v),
        }
    }
}

/// Prefixes tested together: the first eight bytes of the value are read
/// once, and each prefix compares its own first eight (masked) against
/// them before a whole comparison.
#[derive(Debug, Clone)]
struct Prefixes {
    /// (first bytes, mask of the bytes the prefix has among the first
    /// eight, the prefix)
    items: Vec<(u64, u64, Box<str>)>,
}

impl Prefixes {
    fn new(items: Vec<Box<str>>) -> Prefixes {
        let items = items
            .into_iter()
            .map(|p| {
                let n = p.len().min(8);
                let mask = if n == 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * n)) - 1
                };
                (head8(p.as_bytes()), mask, p)
            })
            .collect();
        Prefixes { items }
    }

    /// True when `v` starts with one of the prefixes.
    #[inline]
    fn any(&self, v: &str) -> bool {
        let w = head8(v.as_bytes());
        self.items
            .iter()
            .any(|(head, mask, p)| w & mask == *head && v.starts_with(&**p))
    }
}

/// The first eight bytes of `b` (zeros past its end), little endian.
#[inline]
fn head8(b: &[u8]) -> u64 {
    match b.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => {
            let mut w = [0u8; 8];
            let n = b.len().min(8);
            w[..n].copy_from_slice(&b[..n]);
            u64::from_le_bytes(w)
        }
    }
}

/// A set of strings: a few are compared in turn, more are hashed.
#[derive(Debug, Clone)]
struct StrSet {
    /// Bit `n` (n < 63) set when a member is `n` bytes long; bit 63 for
    /// longer members.
    lens: u64,
    /// Bit [`StrSet::sig`] of every member set: most other values are
    /// turned away by one bit, without hashing them.
    sigs: Box<[u64; StrSet::SIG_WORDS]>,
    few: Vec<Box<str>>,
    many: FxHashSet<Box<str>>,
}

impl StrSet {
    const FEW: usize = 4;
    /// Words of `sigs` (4096 bits).
    const SIG_WORDS: usize = 64;

    fn new<'s>(items: impl IntoIterator<Item = &'s str>) -> StrSet {
        let mut set = StrSet {
            lens: 0,
            sigs: Box::new([0; StrSet::SIG_WORDS]),
            few: Vec::new(),
            many: FxHashSet::default(),
        };
        for it in items {
            set.insert(it);
        }
        set
    }
    /// A 12-bit digest of a value's length and first, middle and last
    /// bytes.
    #[inline]
    fn sig(v: &[u8]) -> usize {
        let n = v.len();
        let byte = |i: usize| u32::from(v.get(i).copied().unwrap_or(0));
        let h = (n as u32).wrapping_mul(0x27d4_eb2f)
            ^ byte(0).wrapping_mul(0x9e37_79b1)
            ^ byte(n / 2).wrapping_mul(0xc2b2_ae35)
            ^ byte(n.wrapping_sub(1)).wrapping_mul(0x85eb_ca6b);
        (h >> 20) as usize
    }
    fn insert(&mut self, it: &str) {
        if self.few.iter().any(|s| &**s == it) || self.many.contains(it) {
            return;
        }
        let h = Self::sig(it.as_bytes());
        if let Some(w) = self.sigs.get_mut(h / 64) {
            *w |= 1 << (h % 64);
        }
        self.lens |= Self::len_bit(it.len());
        if self.many.is_empty() && self.few.len() < Self::FEW {
            self.few.push(it.into());
        } else {
            self.many.extend(self.few.drain(..));
            self.many.insert(it.into());
        }
    }
    #[inline]
    fn len_bit(n: usize) -> u64 {
        1 << n.min(63)
    }
    #[inline]
    fn contains(&self, v: &str) -> bool {
        if self.lens & Self::len_bit(v.len()) == 0 {
            return false;
        }
        let h = Self::sig(v.as_bytes());
        if self
            .sigs
            .get(h / 64)
            .is_none_or(|w| w & (1 << (h % 64)) == 0)
        {
            return false;
        }
        if self.many.is_empty() {
            self.few.iter().any(|s| &**s == v)
        } else {
            self.many.contains(v)
        }
    }
}

/// Whether `needle` occurs in `hay` (`str::contains` on the strings
/// these bytes are, without building a searcher per call).
fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    contains_at(hay, needle, rare_byte(needle))
}

/// The index of the byte of `needle` likely rarest in paths, names and
/// command lines: the one searched for first.
fn rare_byte(needle: &[u8]) -> usize {
    // Most common first; bytes not listed count as rarest.
    const COMMON: &[u8] = b"/.e-tasoirnlc_dpmu0b1g2hfy3v4k5x6w7j8q9z:";
    const RANK: [u8; 256] = {
        let mut r = [COMMON.len() as u8; 256];
        let mut i = 0;
        while i < COMMON.len() {
            r[COMMON[i] as usize] = i as u8;
            i += 1;
        }
        r
    };
    let rank = |b: u8| RANK[usize::from(b)];
    let mut best = 0;
    for (i, &b) in needle.iter().enumerate() {
        if needle.get(best).is_some_and(|&o| rank(b) > rank(o)) {
            best = i;
        }
    }
    best
}

/// [`contains_bytes`], scanning for `needle[k]` eight bytes at a time and
/// comparing the whole needle at each hit.
fn contains_at(hay: &[u8], needle: &[u8], k: usize) -> bool {
    let n = needle.len();
    let Some(&b) = needle.get(k) else {
        return n == 0;
    };
    if hay.len() < n {
        return false;
    }
    let last = hay.len() - n;
    // Position j of `region` is byte k of a match starting at j.
    let Some(region) = hay.get(k..=last + k) else {
        return false;
    };
    let at = |start: usize| hay.get(start..start + n) == Some(needle);
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = LO.wrapping_mul(u64::from(b));
    // The positions of `b` among the eight bytes of `region` from `base`
    // that are a match.
    let hits = |base: usize, ch: &[u8; 8]| {
        let x = u64::from_le_bytes(*ch) ^ pat;
        // A high bit for every zero byte of x (and maybe some false hits
        // above one, which the comparison rules out).
        let mut m = x.wrapping_sub(LO) & !x & HI;
        while m != 0 {
            if at(base + (m.trailing_zeros() / 8) as usize) {
                return true;
            }
            m &= m - 1;
        }
        false
    };
    let len = region.len();
    let mut base = 0;
    while let Some(ch) = region.get(base..).and_then(|r| r.first_chunk::<8>()) {
        if hits(base, ch) {
            return true;
        }
        base += 8;
    }
    if base == len {
        return false;
    }
    // The last bytes: the eight that end the region (some looked at
    // already), or one by one in a region shorter than eight.
    match len.checked_sub(8) {
        Some(from) => region
            .get(from..)
            .and_then(|r| r.first_chunk::<8>())
            .is_some_and(|ch| hits(from, ch)),
        None => region.iter().enumerate().any(|(i, &c)| c == b && at(i)),
    }
}

/// The integer comparisons the fast path takes (`Node::Int`).
fn int_op(op: Operator) -> Option<Operator> {
    matches!(
        op,
        Operator::Eq | Operator::Ne | Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge
    )
    .then_some(op)
}

/// `v op k` for an operator [`int_op`] accepted.
#[inline]
fn int_test(op: Operator, v: i64, k: i64) -> bool {
    match op {
        Operator::Eq => v == k,
        Operator::Ne => v != k,
        Operator::Lt => v < k,
        Operator::Le => v <= k,
        Operator::Gt => v > k,
        Operator::Ge => v >= k,
        _ => false,
    }
}

/// The check as a specialized node when its field and operator allow.
fn specialize(k: CheckC) -> Node {
    let Lhs::Field(b) = &k.lhs else {
        return Node::Check(Box::new(k));
    };
    let id = b.def.id;
    if b.arg != FieldArg::None {
        return Node::Check(Box::new(k));
    }
    if fields::str_fast(id) && b.def.ftype == FType::Str {
        let text = |s: &str| -> Box<str> { s.into() };
        let t = match (k.op, &k.rhs) {
            (Operator::Eq, RhsC::One(Const::Str(s))) => Some(StrTest::Eq(text(s))),
            (Operator::Ne, RhsC::One(Const::Str(s))) => Some(StrTest::Ne(text(s))),
            (Operator::In | Operator::Intersects, RhsC::Set(_, strs, true)) => {
                Some(StrTest::In(StrSet::new(strs.iter().map(String::as_str))))
            }
            (Operator::Contains, RhsC::One(Const::Str(s))) => {
                Some(StrTest::Contains(text(s), rare_byte(s.as_bytes())))
            }
            (Operator::StartsWith, RhsC::One(Const::Str(s))) => Some(StrTest::StartsWith(text(s))),
            (Operator::EndsWith, RhsC::One(Const::Str(s))) => Some(StrTest::EndsWith(text(s))),
            _ => None,
        };
        if let Some(t) = t {
            return by_type(Box::new(StrNode {
                id,
                tests: vec![t],
                slow: Node::Check(Box::new(k)),
            }));
        }
    }
    if fields::int_fast(id) {
        if let (Some(op), RhsC::One(Const::Int(n))) = (int_op(k.op), &k.rhs) {
            return Node::Int(id, op, *n);
        }
    }
    Node::Check(Box::new(k))
}

/// Identifies a plain field operand, so that checks of the same field
/// can share one extraction.
fn lhs_key(l: &Lhs) -> Option<(bool, F, FieldArg)> {
    match l {
        Lhs::Field(b) => Some((false, b.def.id, b.arg.clone())),
        Lhs::AnyAncestor(b) => Some((true, b.def.id, b.arg.clone())),
        Lhs::Transform(..) => None,
    }
}

/// The children of an `or`, with the checks of one field merged into one
/// node that reads the field once (an `or` of pure checks is true when
/// any is, in any order).
fn merge_or(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for n in nodes {
        // Merged by their string node, tabled again below.
        let n = match n {
            Node::ByType(b) => b.slow,
            other => other,
        };
        match n {
            Node::Str(sn) => {
                let prev = out.iter_mut().find_map(|o| match o {
                    Node::Str(p) if p.id == sn.id => Some(p),
                    _ => None,
                });
                match prev {
                    Some(p) => {
                        let StrNode { tests, slow, .. } = *sn;
                        p.tests.extend(tests);
                        let old = std::mem::replace(&mut p.slow, Node::Or(Vec::new()));
                        p.slow = match old {
                            Node::Or(mut v) => {
                                v.push(slow);
                                Node::Or(v)
                            }
                            other => Node::Or(vec![other, slow]),
                        };
                    }
                    None => out.push(Node::Str(sn)),
                }
            }
            Node::Check(k) => {
                let key = lhs_key(&k.lhs);
                let i = key.as_ref().and_then(|key| {
                    out.iter().position(
                        |o| matches!(o, Node::AnyOf(m) if lhs_key(&m.lhs).as_ref() == Some(key)),
                    )
                });
                let CheckC { lhs, op, rhs } = *k;
                match i.and_then(|i| out.get_mut(i)) {
                    Some(Node::AnyOf(m)) => m.checks.push((op, rhs)),
                    _ => out.push(Node::AnyOf(Box::new(MultiCheck {
                        lhs,
                        checks: vec![(op, rhs)],
                    }))),
                }
            }
            other => out.push(other),
        }
    }
    out.into_iter()
        .map(|n| match n {
            Node::Str(mut sn) => {
                merge_eq_tests(&mut sn.tests);
                merge_prefix_tests(&mut sn.tests);
                by_type(sn)
            }
            // A field checked once stays a plain check.
            Node::AnyOf(m) if m.checks.len() == 1 => {
                let MultiCheck { lhs, mut checks } = *m;
                match checks.pop() {
                    Some((op, rhs)) => Node::Check(Box::new(CheckC { lhs, op, rhs })),
                    None => Node::Or(Vec::new()),
                }
            }
            other => other,
        })
        .collect()
}

/// Equality tests and sets of one string field become one set.
fn merge_eq_tests(tests: &mut Vec<StrTest>) {
    let n_sets = tests
        .iter()
        .filter(|t| matches!(t, StrTest::Eq(_) | StrTest::In(_)))
        .count();
    if n_sets < 2 {
        return;
    }
    let mut set = StrSet::new([]);
    let mut rest = Vec::with_capacity(tests.len());
    for t in tests.drain(..) {
        match t {
            StrTest::Eq(s) => set.insert(&s),
            StrTest::In(o) => {
                for s in o.few.iter().chain(o.many.iter()) {
                    set.insert(s);
                }
            }
            other => rest.push(other),
        }
    }
    tests.push(StrTest::In(set));
    tests.extend(rest);
}

/// `startswith` tests of one string field become one [`Prefixes`], in
/// place of the first.
fn merge_prefix_tests(tests: &mut Vec<StrTest>) {
    let n = tests
        .iter()
        .filter(|t| matches!(t, StrTest::StartsWith(_)))
        .count();
    if n < 2 {
        return;
    }
    let mut prefixes = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(tests.len() - n + 1);
    for t in tests.drain(..) {
        match t {
            StrTest::StartsWith(p) => {
                if prefixes.is_empty() {
                    // Its place, filled below.
                    out.push(StrTest::Prefixes(Prefixes { items: Vec::new() }));
                }
                prefixes.push(p);
            }
            other => out.push(other),
        }
    }
    for t in &mut out {
        if let StrTest::Prefixes(p) = t {
            *p = Prefixes::new(std::mem::take(&mut prefixes));
        }
    }
    *tests = out;
}

/// A set of event types (bit per event id; generic events are always
/// included because their type name comes from the syscall they carry).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeSet {
    bits: Vec<u64>,
    /// True when the set is exactly the matching types (so `not` can
    /// complement it).
    exact: bool,
}

impl TypeSet {
    fn words() -> usize {
        table().len().div_ceil(64).max(1)
    }
    fn all() -> TypeSet {
        TypeSet {
            bits: vec![u64::MAX; Self::words()],
            exact: false,
        }
    }
    fn none() -> TypeSet {
        TypeSet {
            bits: vec![0; Self::words()],
            exact: true,
        }
    }
    fn set(&mut self, id: u16) {
        if let Some(w) = self.bits.get_mut(id as usize / 64) {
            *w |= 1 << (id % 64);
        }
    }
    fn has(&self, id: u16) -> bool {
        match self.bits.get(id as usize / 64) {
            Some(w) => w & (1 << (id % 64)) != 0,
            None => true,
        }
    }
    fn and(mut self, o: &TypeSet) -> TypeSet {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a &= b;
        }
        self.exact = self.exact && o.exact;
        self
    }
    fn or(mut self, o: &TypeSet) -> TypeSet {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a |= b;
        }
        self.exact = self.exact && o.exact;
        self
    }
    fn not(self) -> TypeSet {
        if !self.exact {
            return TypeSet::all();
        }
        let mut t = TypeSet {
            bits: self.bits.iter().map(|w| !w).collect(),
            exact: true,
        };
        // Generic events stay possible.
        t.set(0);
        t.set(1);
        t
    }
}

/// The types of the events that can have an fd to name
/// ([`crate::state::parse::names_an_fd`]: the fd events, but the enters of
/// the calls that create their fd); not exact: their events may or may
/// not pass. (Unlike other sets, this one leaves out the generic events:
/// whatever syscall they carry, they have no fd.)
/// Worked out once: a filter may test many names.
fn fd_event_types() -> &'static TypeSet {
    static SET: std::sync::OnceLock<TypeSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let mut t = TypeSet::none();
        let tb = table();
        for id in (0..tb.len()).filter_map(|i| u16::try_from(i).ok()) {
            if crate::state::parse::names_an_fd(tb.get(id)) {
                t.set(id);
            }
        }
        t.exact = false;
        t
    })
}

/// A compiled filter.
pub struct Filter {
    root: Node,
    /// `root` lowered to closures ([`lower`]): what [`Filter::matches`] runs.
    pred: Pred,
    types: TypeSet,
    text: String,
    /// Some test keeps the time of the last event it saw (`evt.deltatime`).
    keeps_time: bool,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("root", &self.root)
            .field("types", &self.types)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

fn err(column: usize, msg: impl Into<String>) -> FilterError {
    FilterError {
        column,
        msg: msg.into(),
    }
}

fn field_err(column: usize, e: FieldError) -> FilterError {
    err(column, e.to_string())
}

fn compile_lhs(f: &FieldExpr) -> Result<Lhs, FilterError> {
    match f {
        FieldExpr::Field(r) => {
            let b = fields::resolve(&r.name, r.arg.as_ref().map(|a| a.value.as_str()))
                .map_err(|e| field_err(r.span.column, e))?;
            if matches!(b.def.id, F::ProcAname | F::ProcApid) && b.arg == fields::FieldArg::None {
                return Ok(Lhs::AnyAncestor(b));
            }
            Ok(Lhs::Field(b))
        }
        FieldExpr::Transform(t) => {
            let inner = compile_lhs(&t.arg)?;
            // As libsinsp's transformers: text in, and `len` and `b64` also
            // take buffers.
            let ok = match lhs_type(&inner) {
                FType::Str | FType::Dynamic => true,
                FType::Bytes => matches!(t.kind, TransformKind::Len | TransformKind::B64),
                _ => false,
            };
            if !ok {
                return Err(err(
                    t.span.column,
                    format!(
                        "{}() takes a text field, not {} ({})",
                        t.kind.as_str(),
                        lhs_field(&inner).map_or("a number", |b| b.text.as_str()),
                        lhs_type(&inner).name()
                    ),
                ));
            }
            Ok(Lhs::Transform(t.kind, Box::new(inner)))
        }
    }
}

fn lhs_type(l: &Lhs) -> FType {
    match l {
        // `evt.rawarg.NAME` takes the type of the first argument so named
        // (libsinsp's rule): a text one compares as text (`evt.rawarg.name
        // < /lib` as strcmp does), the others as numbers where they can.
        Lhs::Field(b) if b.def.ftype == FType::Dynamic => {
            let ptype = b
                .arg_name
                .as_deref()
                .and_then(|n| crate::event::table().first_param_type(n));
            match ptype {
                Some(
                    crate::event::table::pt::CHARBUF
                    | crate::event::table::pt::FSPATH
                    | crate::event::table::pt::FSRELPATH,
                ) => FType::Str,
                _ => FType::Dynamic,
            }
        }
        Lhs::Field(b) | Lhs::AnyAncestor(b) => b.def.ftype,
        Lhs::Transform(TransformKind::Len, _) => FType::U64,
        Lhs::Transform(_, _) => FType::Str,
    }
}

fn lhs_field(l: &Lhs) -> Option<&BoundField> {
    match l {
        Lhs::Field(b) | Lhs::AnyAncestor(b) => Some(b),
        Lhs::Transform(_, _) => None,
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn parse_const(
    ft: FType,
    op: Operator,
    text: &str,
    column: usize,
    field: &str,
) -> Result<Const, FilterError> {
    if matches!(op, Operator::BContains | Operator::BStartsWith) {
        return parse_hex(text).map(Const::Bytes).ok_or_else(|| {
            err(
                column,
                format!("'{text}' is not a hex byte string (for {})", op.as_str()),
            )
        });
    }
    // `<` `<=` `>` `>=`: text fields compare as strcmp does (sysdig 0.29.3
    // and libsinsp since); numeric ones take an integer, as sysdig's parser
    // did before the field's type is known. (Buffers and addresses never get
    // here: `op_applies` refused them.)
    if matches!(
        op,
        Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge
    ) {
        if ft == FType::Str {
            return Ok(Const::Str(text.to_string()));
        }
        if ft != FType::Bool && !crate::filter::lexer::is_number(text) {
            return Err(err(
                column,
                format!("expected a number after '{}', found '{text}'", op.as_str()),
            ));
        }
    }
    let string_op = matches!(
        op,
        Operator::Contains
            | Operator::IContains
            | Operator::StartsWith
            | Operator::EndsWith
            | Operator::Glob
            | Operator::IGlob
            | Operator::Regex
            | Operator::PMatch
    );
    if string_op {
        return Ok(Const::Str(text.to_string()));
    }
    Ok(match ft {
        FType::U64
        | FType::U32
        | FType::I64
        | FType::I32
        | FType::I16
        | FType::RelTime
        | FType::AbsTime
        | FType::Port => match text.parse::<i64>() {
            // A negative value for an unsigned field wraps, as sysdig's
            // parser reads it (`evt.num < -1` holds for every event).
            Ok(n) if n < 0 => match ft {
                FType::U32 => Const::Int(i64::from(n as u32)),
                FType::Port => {
                    return Err(err(
                        column,
                        format!("'{text}' is not a port number (field {field})"),
                    ))
                }
                FType::U64 | FType::RelTime | FType::AbsTime => Const::Float(n as u64 as f64),
                _ => Const::Int(n),
            },
            Ok(n) => Const::Int(n),
            // A service name for a port (`fd.port=http`), as libsinsp
            // takes it: its port in /etc/services.
            Err(_) if ft == FType::Port => match crate::event::services::port_of_name(text) {
                Some(p) => Const::Int(i64::from(p)),
                None => {
                    return Err(err(
                        column,
                        format!(
                            "'{text}' is neither a port number nor a service name in /etc/services (field {field})"
                        ),
                    ))
                }
            },
            // (Past i64: the u64 values at the top of the range.)
            Err(_) => match text.parse::<u64>() {
                Ok(u) => Const::Float(u as f64),
                // `1.5`, `1e3`, `0x10`: sysdig wants a decimal integer too.
                Err(_) => {
                    return Err(err(
                        column,
                        format!("'{text}' is not an integer (field {field} is numeric)"),
                    ))
                }
            },
        },
        FType::Double => match text.parse::<f64>() {
            Ok(f) => Const::Float(f),
            Err(_) => {
                return Err(err(
                    column,
                    format!("'{text}' is not a number (field {field})"),
                ))
            }
        },
        FType::Bool => match text {
            // (Only these two words, as in sysdig: `= 1` is refused.)
            "true" => Const::Bool(true),
            "false" => Const::Bool(false),
            _ => {
                return Err(err(
                    column,
                    format!("'{text}' is not true or false (field {field})"),
                ))
            }
        },
        // evt.rawarg: numbers when they look like numbers, else text.
        FType::Dynamic => match text.parse::<i64>() {
            Ok(n) => Const::Int(n),
            Err(_) => Const::Str(text.to_string()),
        },
        FType::Ip | FType::IpNet => match IpNet::parse(text) {
            Some(n) => Const::Net(n),
            None => {
                return Err(err(
                    column,
                    format!("'{text}' is not an IP address or network (field {field})"),
                ))
            }
        },
        _ => Const::Str(text.to_string()),
    })
}

fn glob_match(p: &[char], s: &[char], ci: bool) -> bool {
    // Iterative glob with backtracking on '*'.
    let eq = |a: char, b: char| {
        if ci {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                '[' => {
                    if let Some(end) = p[pi + 1..]
                        .iter()
                        .position(|&c| c == ']')
                        .map(|e| e + pi + 1)
                    {
                        let class = &p[pi + 1..end];
                        let (neg, class) = match class.first() {
                            Some('!') | Some('^') => (true, &class[1..]),
                            _ => (false, class),
                        };
                        let mut hit = false;
                        let mut k = 0;
                        while k < class.len() {
                            if k + 2 < class.len() && class[k + 1] == '-' {
                                if class[k] <= s[si] && s[si] <= class[k + 2] {
                                    hit = true;
                                }
                                k += 3;
                            } else {
                                if eq(class[k], s[si]) {
                                    hit = true;
                                }
                                k += 1;
                            }
                        }
                        if hit != neg {
                            pi = end + 1;
                            si += 1;
                            continue;
                        }
                    } else if eq('[', s[si]) {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, s[si]) {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Which operators a field of type `ft` takes, as libsinsp decides
/// (`flt_is_comparable`): `Err` names the kind of field that refuses `op`.
/// sysdig 0.29.3 refuses the same, but only when an event first has a value
/// ("'contains' not supported for numeric filters"); we refuse at compile
/// time, with the column. Two places differ from 0.29.3, on purpose: it
/// compares booleans by `< <= > >=` (false < true), which we do too; and it
/// compares an IPv4 address by `<` as the address bytes read as a
/// little-endian integer, which current libsinsp refuses, and so do we.
fn op_applies(ft: FType, op: Operator) -> Result<(), &'static str> {
    use Operator as O;
    let relational = matches!(op, O::Lt | O::Le | O::Gt | O::Ge);
    let set = matches!(op, O::Eq | O::Ne | O::In | O::Intersects | O::Exists);
    let (ok, kind) = match ft {
        FType::Str | FType::Dynamic => (true, ""),
        FType::Bool => (set || relational, "boolean"),
        FType::Ip | FType::IpNet => (set, "IP address and network"),
        FType::Bytes => (
            set || matches!(
                op,
                O::Contains | O::StartsWith | O::EndsWith | O::BContains | O::BStartsWith
            ),
            "buffer",
        ),
        // (The rest: integers, times, ports, doubles.)
        _ => (set || relational, "numeric"),
    };
    if ok {
        Ok(())
    } else {
        Err(kind)
    }
}

/// The cause of a regex error, without the pattern and caret lines that
/// the regex crate puts before it.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error:"))
        .map_or_else(
            || text.split_whitespace().collect::<Vec<_>>().join(" "),
            |s| s.trim().to_string(),
        )
}

fn compile_check(c: &Check) -> Result<(Node, TypeSet), FilterError> {
    let lhs = compile_lhs(&c.lhs)?;
    let ft = lhs_type(&lhs);
    let fname = lhs_field(&lhs).map(|b| b.text.clone()).unwrap_or_default();
    let op = c.op;
    // (libsinsp answers these from its DNS cache, by name only.)
    if lhs_field(&lhs).is_some_and(|b| {
        matches!(
            b.def.id,
            F::FdCipName | F::FdSipName | F::FdLipName | F::FdRipName
        )
    }) && !matches!(op, Operator::Eq | Operator::Ne)
    {
        return Err(err(
            c.op_span.column,
            format!("{fname} takes only '=' and '!=', as in sysdig"),
        ));
    }
    if let Err(kind) = op_applies(ft, op) {
        let what = if fname.is_empty() {
            format!("a {kind} value")
        } else {
            format!("{kind} field {fname}")
        };
        return Err(err(
            c.op_span.column,
            format!("'{}' does not apply to {what}", op.as_str()),
        ));
    }
    let rhs = match &c.rhs {
        None => RhsC::None,
        Some(Rhs::Value(v)) => match op {
            Operator::Regex => {
                let re = regex::Regex::new(&format!("^(?:{})$", v.text))
                    .map_err(|e| err(v.span.column, format!("bad regex: {}", regex_error(&e))))?;
                RhsC::Regex(re)
            }
            Operator::Glob | Operator::IGlob => {
                RhsC::Glob(v.text.chars().collect(), op == Operator::IGlob)
            }
            Operator::In | Operator::Intersects | Operator::PMatch => {
                let k = parse_const(ft, op, &v.text, v.span.column, &fname)?;
                RhsC::set(vec![k], [v.text.clone()])
            }
            _ => RhsC::One(parse_const(ft, op, &v.text, v.span.column, &fname)?),
        },
        Some(Rhs::List(l)) => {
            let mut consts = Vec::new();
            let mut strs = Vec::new();
            for it in &l.items {
                consts.push(parse_const(ft, op, &it.text, it.span.column, &fname)?);
                strs.push(it.text.clone());
            }
            RhsC::set(consts, strs)
        }
        Some(Rhs::ListRef(id)) => {
            let k = parse_const(ft, op, &id.name, id.span.column, &fname)?;
            RhsC::set(vec![k], [id.name.clone()])
        }
        Some(Rhs::Field { expr, .. }) => RhsC::Field(compile_lhs(expr)?),
    };
    // Event-type pushdown and validation of evt.type values.
    let mut types = TypeSet::all();
    if let Some(b) = lhs_field(&lhs) {
        if b.def.id == F::EvtType && matches!(lhs, Lhs::Field(_)) {
            let names: Vec<&str> = match (&c.rhs, op) {
                (Some(Rhs::Value(v)), Operator::Eq | Operator::Ne) => vec![v.text.as_str()],
                (Some(Rhs::List(l)), Operator::In) => {
                    l.items.iter().map(|i| i.text.as_str()).collect()
                }
                _ => Vec::new(),
            };
            if !names.is_empty() {
                let mut set = TypeSet::none();
                for n in &names {
                    let ids = table().ids_named(n);
                    if ids.is_empty() && crate::event::syscalls::name_known(n).is_none() {
                        let col = match &c.rhs {
                            Some(Rhs::Value(v)) => v.span.column,
                            Some(Rhs::List(l)) => l
                                .items
                                .iter()
                                .find(|i| i.text == *n)
                                .map(|i| i.span.column)
                                .unwrap_or(l.span.column),
                            _ => c.span.column,
                        };
                        return Err(err(col, format!("unknown event type '{n}'")));
                    }
                    for id in ids {
                        set.set(*id);
                    }
                }
                set.set(0);
                set.set(1);
                types = if op == Operator::Ne { set.not() } else { set };
            }
        }
    }
    let node = specialize(CheckC { lhs, op, rhs });
    if let Node::Str(sn) = &node {
        if matches!(sn.id, F::FdName | F::FdNameraw) {
            // A string test of the fd's name is false where there is no
            // fd: events of other types skip it.
            types = types.and(fd_event_types());
        }
    }
    if let Node::ByType(b) = &node {
        // The types a per-type answer leaves possible (`evt.dir=<`: exit
        // events only) are pushed down too.
        let bt = b.types();
        types = if types.exact { types.and(&bt) } else { bt };
    }
    Ok((node, types))
}

fn compile_expr(e: &Expr) -> Result<(Node, TypeSet), FilterError> {
    match e {
        Expr::And { children, .. } => {
            let mut nodes = Vec::with_capacity(children.len());
            let mut t = TypeSet::all();
            t.exact = true;
            let mut first = true;
            for c in children {
                let (n, ct) = compile_expr(c)?;
                t = if first { ct.clone() } else { t.and(&ct) };
                first = false;
                nodes.push(n);
            }
            Ok((Node::And(nodes), t))
        }
        Expr::Or { children, .. } => {
            let mut nodes = Vec::with_capacity(children.len());
            let mut t = TypeSet::none();
            for c in children {
                let (n, ct) = compile_expr(c)?;
                t = t.or(&ct);
                nodes.push(n);
            }
            let mut nodes = merge_or(nodes);
            if nodes.len() == 1 {
                if let Some(n) = nodes.pop() {
                    return Ok((n, t));
                }
            }
            Ok((Node::Or(nodes), t))
        }
        Expr::Not { child, .. } => {
            let (n, t) = compile_expr(child)?;
            Ok((Node::Not(Box::new(n)), t.not()))
        }
        Expr::Check(c) => compile_check(c),
        Expr::Identifier(id) => Err(err(
            id.span.column,
            format!(
                "'{}' is not a field or a check (macros and lists need a rules file)",
                id.name
            ),
        )),
    }
}

impl Filter {
    /// Parses and compiles a filter.
    pub fn compile(text: &str) -> Result<Filter, FilterError> {
        let ast = parse(text)?;
        let (root, types) = compile_expr(&ast)?;
        let keeps_time = any_node(&root, &reads_deltatime);
        Ok(Filter {
            pred: lower(root.clone()),
            keeps_time,
            root,
            // A test of `evt.deltatime` measures from the last event that
            // reached it, and libsinsp's filter sees every event: one
            // first in an `and` sees the events the other terms' types
            // would skip (`evt.deltatime > 0 and fd.name contains x`).
            types: if keeps_time { TypeSet::all() } else { types },
            text: text.to_string(),
        })
    }

    /// Whether the filter keeps state from the events it sees (a test of
    /// `evt.deltatime` measures from the last one): then the events it
    /// does not decide on (hidden ones) are to be shown to it too, through
    /// [`Filter::observe`], as libsinsp's filter sees every event.
    pub fn keeps_time(&self) -> bool {
        self.keeps_time
    }

    /// Lets the filter see an event whose answer does not matter.
    pub fn observe(&self, c: &Ctx<'_>) {
        if self.keeps_time && self.types.has(c.ev.etype()) {
            let _ = (self.pred)(c);
        }
    }

    /// The source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when events of this type can match (others skip evaluation).
    pub fn may_match_type(&self, etype: u16) -> bool {
        self.types.has(etype)
    }

    /// Evaluates the filter on one event.
    #[inline]
    pub fn matches(&self, c: &Ctx<'_>) -> bool {
        self.types.has(c.ev.etype()) && (self.pred)(c)
    }

    /// [`Filter::matches`] for an event whose type [`Filter::may_match_type`]
    /// accepted (or a stand-in event whose type means nothing, on which
    /// every test is to be asked: `--filter-proclist`'s).
    #[inline]
    pub fn matches_typed(&self, c: &Ctx<'_>) -> bool {
        (self.pred)(c)
    }
}

/// A node lowered to a closure made for its field, operator and constant:
/// one indirect call per node, where [`eval`] matches on the node kind,
/// then on the field id, then on the test.
type Pred = Box<dyn Fn(&Ctx<'_>) -> bool + Send + Sync>;

fn lower(n: Node) -> Pred {
    match n {
        Node::And(v) => lower_many(v, true),
        Node::Or(v) => lower_many(v, false),
        Node::Not(n) => lower_neg(*n, true),
        other => lower_neg(other, false),
    }
}

/// The children of an `and` (`all`) or an `or`: those of three or more in
/// the [`adaptive`] order, unless one keeps time (`evt.deltatime`).
fn lower_many(v: Vec<Node>, all: bool) -> Pred {
    let adapt = !v.iter().any(|n| any_node(n, &reads_deltatime));
    let mut v: Vec<Pred> = v.into_iter().map(lower).collect();
    match (v.pop(), v.pop()) {
        (None, _) => Box::new(move |_| all),
        (Some(a), None) => a,
        (Some(b), Some(a)) if v.is_empty() => match all {
            true => Box::new(move |c| a(c) && b(c)),
            false => Box::new(move |c| a(c) || b(c)),
        },
        (Some(b), Some(a)) => {
            v.push(a);
            v.push(b);
            match adapt {
                true => adaptive(v, all),
                false => fixed(v, all),
            }
        }
    }
}

/// `preds` in their written order: all true (`all`), or any.
fn fixed(preds: Vec<Pred>, all: bool) -> Pred {
    let v = preds.into_boxed_slice();
    match all {
        true => Box::new(move |c| v.iter().all(|p| p(c))),
        false => Box::new(move |c| v.iter().any(|p| p(c))),
    }
}

/// Evaluations between two reorderings of an [`adaptive`] node.
const ADAPT_EVERY: u32 = 1024;

/// The children of an `and` (`all`: true when every one is) or an `or`
/// (true when one is), tried in an order that follows the events: every
/// [`ADAPT_EVERY`] evaluations, those that decided the answer most often
/// (a false for `and`, a true for `or`) go first, so that a selective test
/// written late (`... and fd.name contains /etc`) stops most evaluations
/// early. The answer does not depend on the order: the children have no
/// effects (a node with a test that keeps time, `evt.deltatime`, is not
/// built this way), and libsinsp's own order is only a matter of speed.
/// Up to 16 children (the order is packed in one word, so a thread reads
/// a whole one); more keep their order ([`fixed`]).
fn adaptive(preds: Vec<Pred>, all: bool) -> Pred {
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
    if preds.len() > 16 {
        return fixed(preds, all);
    }
    let n = preds.len();
    let preds = preds.into_boxed_slice();
    // Child k at nibble k: the written order.
    let order = AtomicU64::new((0..n as u64).fold(0, |o, k| o | k << (4 * k)));
    let decided: Box<[AtomicU32]> = (0..n).map(|_| AtomicU32::new(0)).collect();
    let runs = AtomicU32::new(0);
    Box::new(move |c| {
        // (Counts kept with plain loads and stores: a lost count among
        // threads only makes the order a little less apt.)
        let r = runs.load(Relaxed).wrapping_add(1);
        runs.store(r, Relaxed);
        if r.is_multiple_of(ADAPT_EVERY) {
            let mut idx = [0u8; 16];
            for (k, slot) in idx.iter_mut().enumerate().take(n) {
                *slot = k as u8;
            }
            let idx = &mut idx[..n];
            // Most decisive first; ties keep the written order.
            idx.sort_by_key(|&k| {
                std::cmp::Reverse(decided.get(usize::from(k)).map_or(0, |d| d.load(Relaxed)))
            });
            let packed = idx
                .iter()
                .enumerate()
                .fold(0u64, |o, (at, &k)| o | u64::from(k) << (4 * at));
            order.store(packed, Relaxed);
            // Older counts weigh half as much at each round.
            for d in decided.iter() {
                d.store(d.load(Relaxed) / 2, Relaxed);
            }
        }
        let mut o = order.load(Relaxed);
        for _ in 0..n {
            let k = (o & 0xf) as usize;
            o >>= 4;
            if let Some(p) = preds.get(k) {
                if p(c) != all {
                    if let Some(d) = decided.get(k) {
                        d.store(d.load(Relaxed).wrapping_add(1), Relaxed);
                    }
                    return !all;
                }
            }
        }
        all
    })
}

/// Whether `f` holds for `n` or a node below it.
fn any_node(n: &Node, f: &dyn Fn(&Node) -> bool) -> bool {
    f(n) || match n {
        Node::And(v) | Node::Or(v) => v.iter().any(|c| any_node(c, f)),
        Node::Not(c) => any_node(c, f),
        Node::ByType(b) => any_node(&b.slow, f),
        _ => false,
    }
}

/// Whether a leaf reads `evt.deltatime` (or its `.s`/`.ns` parts).
fn reads_deltatime(n: &Node) -> bool {
    fn is_delta(id: F) -> bool {
        matches!(id, F::EvtDeltatime | F::EvtDeltatimeS | F::EvtDeltatimeNs)
    }
    fn lhs_is(l: &Lhs) -> bool {
        match l {
            Lhs::Field(b) | Lhs::AnyAncestor(b) => is_delta(b.def.id),
            Lhs::Transform(_, inner) => lhs_is(inner),
        }
    }
    match n {
        Node::Int(id, ..) => is_delta(*id),
        Node::Check(k) => lhs_is(&k.lhs),
        Node::AnyOf(m) => lhs_is(&m.lhs),
        _ => false,
    }
}

/// A leaf node lowered, its answer negated when `neg` (for `not`).
///
/// A test of `evt.deltatime` measures from the last event it looked at,
/// as each libsinsp check keeps its own previous time: in a filter that is
/// the previous event to reach the test (every event, for a lone test),
/// not the previous one printed, which the output's column measures from.
fn lower_neg(n: Node, neg: bool) -> Pred {
    if reads_deltatime(&n) {
        let inner = lower_leaf(n, neg);
        let last = std::sync::atomic::AtomicU64::new(0);
        return Box::new(move |c| {
            let ts = c.ev.ts();
            let prev = last.swap(ts, std::sync::atomic::Ordering::Relaxed);
            // (The first event measures 0, from itself.)
            inner(&c.with_prev_ts(if prev == 0 { ts } else { prev }))
        });
    }
    lower_leaf(n, neg)
}

/// [`lower_neg`] without the `evt.deltatime` bookkeeping.
fn lower_leaf(n: Node, neg: bool) -> Pred {
    match n {
        Node::Str(sn) => lower_str(*sn, neg),
        Node::Int(id, op, k) => lower_int(id, op, k, neg),
        Node::ByType(b) => {
            let ByType {
                answers,
                by_code,
                slow,
            } = *b;
            let slow = lower_neg(slow, neg);
            match by_code {
                Some(codes) => Box::new(move |c| {
                    match answers.get(usize::from(c.ev.etype())) {
                        Some(&ByType::NO) => neg,
                        Some(&ByType::YES) => !neg,
                        // A generic event: its syscall decides.
                        Some(_) => match fields::generic_code(&c.ev)
                            .and_then(|k| codes.get(usize::from(k)))
                        {
                            Some(a) => (*a == ByType::YES) != neg,
                            None => slow(c),
                        },
                        None => slow(c),
                    }
                }),
                None => Box::new(move |c| match answers.get(usize::from(c.ev.etype())) {
                    Some(&ByType::NO) => neg,
                    Some(&ByType::YES) => !neg,
                    _ => slow(c),
                }),
            }
        }
        Node::Not(n) if neg => lower(*n),
        other if neg => {
            let p = lower(other);
            Box::new(move |c| !p(c))
        }
        // Generic checks.
        Node::Check(_) | Node::AnyOf(_) => Box::new(move |c| eval(&n, c)),
        other => lower(other),
    }
}

/// A [`StrNode`] on the reader of its field (`fields::str_read` for that
/// field, which inlines to the field's own code).
fn lower_str(sn: StrNode, neg: bool) -> Pred {
    macro_rules! by_field {
        ($($f:ident),*) => {
            match sn.id {
                $(F::$f => {
                    fn read<'a>(c: &Ctx<'a>) -> StrRead<'a> {
                        fields::str_read(F::$f, c)
                    }
                    str_pred(read, sn, neg, matches!(F::$f, F::FdName | F::FdNameraw))
                })*
                _ => {
                    let slow = lower_neg(sn.slow, neg);
                    Box::new(move |c| slow(c))
                }
            }
        };
    }
    by_field!(
        ProcName,
        ProcExe,
        ProcPname,
        EvtType,
        EvtDir,
        FdName,
        FdNameraw,
        FdDirectory,
        FdFilename,
        FdType,
        FdTypechar,
        UserName
    )
}

/// [`lower_str`] with the field's reader: a closure per kind of test.
/// With `memo` (the field is `fd.name` or `fd.nameraw`), the answer is
/// kept on the fd's name ([`str_test_memo`]).
fn str_pred<R>(read: R, sn: StrNode, neg: bool, memo: bool) -> Pred
where
    R: for<'a> Fn(&Ctx<'a>) -> StrRead<'a> + Copy + Send + Sync + 'static,
{
    let StrNode { tests, slow, .. } = sn;
    let slow = lower_neg(slow, neg);
    // (Both arms build the test; one runs.)
    macro_rules! with {
        ($test:expr) => {
            if memo {
                str_test_memo(read, $test, slow, neg)
            } else {
                str_test(read, $test, slow, neg)
            }
        };
    }
    match <[StrTest; 1]>::try_from(tests) {
        Ok([StrTest::Eq(k)]) => with!(move |v: &str| v == &*k),
        Ok([StrTest::Ne(k)]) => with!(move |v: &str| v != &*k),
        Ok([StrTest::In(set)]) => with!(move |v: &str| set.contains(v)),
        Ok([StrTest::Contains(k, at)]) => {
            with!(move |v: &str| contains_at(v.as_bytes(), k.as_bytes(), at))
        }
        Ok([StrTest::StartsWith(k)]) => with!(move |v: &str| v.starts_with(&*k)),
        Ok([StrTest::EndsWith(k)]) => with!(move |v: &str| v.ends_with(&*k)),
        Ok([StrTest::Prefixes(p)]) => with!(move |v: &str| p.any(v)),
        Err(tests) => with!(move |v: &str| tests.iter().any(|t| t.test(v))),
    }
}

/// [`str_test`] for `fd.name`: when the value is the name of the fd in
/// the table, the test's answer is remembered on it
/// ([`crate::state::fds::FdName::memo`]), so the reads and writes that
/// follow an open ask it once.
fn str_test_memo<R, T>(read: R, test: T, slow: Pred, neg: bool) -> Pred
where
    R: for<'a> Fn(&Ctx<'a>) -> StrRead<'a> + Send + Sync + 'static,
    T: Fn(&str) -> bool + Send + Sync + 'static,
{
    let key = crate::state::fds::memo_key();
    Box::new(move |c| match fields::fd_name_in_table(c) {
        Some(name) => name.memo(key, &test) != neg,
        None => match read(c) {
            StrRead::Str(v) => test(v) != neg,
            StrRead::None => neg,
            StrRead::Slow => slow(c),
        },
    })
}

fn str_test<R, T>(read: R, test: T, slow: Pred, neg: bool) -> Pred
where
    R: for<'a> Fn(&Ctx<'a>) -> StrRead<'a> + Send + Sync + 'static,
    T: Fn(&str) -> bool + Send + Sync + 'static,
{
    Box::new(move |c| match read(c) {
        StrRead::Str(v) => test(v) != neg,
        StrRead::None => neg,
        // (`slow` is negated already.)
        StrRead::Slow => slow(c),
    })
}

/// A [`Node::Int`] on the reader of its field.
fn lower_int(id: F, op: Operator, k: i64, neg: bool) -> Pred {
    macro_rules! by_field {
        ($($f:ident),*) => {
            match id {
                $(F::$f => {
                    fn read(c: &Ctx<'_>) -> Option<i64> {
                        fields::int_read(F::$f, c)
                    }
                    int_pred(read, op, k, neg)
                })*
                _ => Box::new(move |c| {
                    fields::int_read(id, c).is_some_and(|v| int_test(op, v, k)) != neg
                }),
            }
        };
    }
    by_field!(ProcPid, ThreadTid, EvtRawres, FdNum, EvtCpu)
}

fn int_pred<R>(read: R, op: Operator, k: i64, neg: bool) -> Pred
where
    R: Fn(&Ctx<'_>) -> Option<i64> + Send + Sync + 'static,
{
    match op {
        Operator::Eq => Box::new(move |c| read(c).is_some_and(|v| v == k) != neg),
        Operator::Ne => Box::new(move |c| read(c).is_some_and(|v| v != k) != neg),
        Operator::Lt => Box::new(move |c| read(c).is_some_and(|v| v < k) != neg),
        Operator::Le => Box::new(move |c| read(c).is_some_and(|v| v <= k) != neg),
        Operator::Gt => Box::new(move |c| read(c).is_some_and(|v| v > k) != neg),
        Operator::Ge => Box::new(move |c| read(c).is_some_and(|v| v >= k) != neg),
        _ => Box::new(move |c| read(c).is_some_and(|v| int_test(op, v, k)) != neg),
    }
}

fn eval(n: &Node, c: &Ctx<'_>) -> bool {
    match n {
        Node::And(v) => v.iter().all(|n| eval(n, c)),
        Node::Or(v) => v.iter().any(|n| eval(n, c)),
        Node::Not(n) => !eval(n, c),
        Node::Check(k) => check_lhs_value(k.op, &k.rhs, &k.lhs, &extract_lhs(&k.lhs, c), c),
        Node::AnyOf(m) => {
            let v = extract_lhs(&m.lhs, c);
            m.checks
                .iter()
                .any(|(op, rhs)| check_lhs_value(*op, rhs, &m.lhs, &v, c))
        }
        Node::Str(n) => match fields::str_read(n.id, c) {
            StrRead::Str(v) => n.tests.iter().any(|t| t.test(v)),
            StrRead::None => false,
            StrRead::Slow => eval(&n.slow, c),
        },
        Node::Int(id, op, k) => fields::int_read(*id, c).is_some_and(|v| int_test(*op, v, *k)),
        Node::ByType(b) => match b.answers.get(usize::from(c.ev.etype())) {
            Some(&ByType::NO) => false,
            Some(&ByType::YES) => true,
            _ => eval(&b.slow, c),
        },
    }
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for ch in s.bytes() {
        let v = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'a'..=b'z' => ch - b'a' + 26,
            b'0'..=b'9' => ch - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        } as u32;
        buf = buf << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

fn apply_transform<'a>(k: TransformKind, v: Value<'a>) -> Value<'a> {
    let text = |v: &Value<'_>| v.to_text().map(|t| t.into_owned());
    match k {
        TransformKind::ToLower => text(&v)
            .map(|t| Value::S(Cow::Owned(t.to_lowercase())))
            .unwrap_or(Value::None),
        TransformKind::ToUpper => text(&v)
            .map(|t| Value::S(Cow::Owned(t.to_uppercase())))
            .unwrap_or(Value::None),
        TransformKind::B64 => text(&v)
            .and_then(|t| b64_decode(&t))
            .map(|b| Value::S(Cow::Owned(String::from_utf8_lossy(&b).into_owned())))
            .unwrap_or(Value::None),
        TransformKind::Basename => text(&v)
            .map(|t| {
                let b = t.rsplit('/').next().unwrap_or("").to_string();
                Value::S(Cow::Owned(b))
            })
            .unwrap_or(Value::None),
        TransformKind::Len => match &v {
            Value::None => Value::None,
            Value::Bytes(b) => Value::U(b.len() as u64),
            Value::List(l) => Value::U(l.len() as u64),
            other => Value::U(text(other).map(|t| t.len()).unwrap_or(0) as u64),
        },
    }
}

fn extract_lhs<'a>(l: &Lhs, c: &Ctx<'a>) -> Value<'a> {
    match l {
        Lhs::Field(b) => b.extract(c),
        Lhs::AnyAncestor(b) => {
            let mut out = Vec::new();
            for n in 1..64 {
                let mut bb = b.clone();
                bb.arg = fields::FieldArg::Index(n);
                let v = bb.extract(c);
                if v.is_none() {
                    break;
                }
                out.push(v);
            }
            if out.is_empty() {
                Value::None
            } else {
                Value::List(out)
            }
        }
        Lhs::Transform(k, inner) => apply_transform(*k, extract_lhs(inner, c)),
    }
}

/// `v` against `k` for `<` `<=` `>` `>=`: numbers by value, text byte by
/// byte (`strcmp`).
fn cmp_const(v: &Value<'_>, k: &Const) -> Option<std::cmp::Ordering> {
    match k {
        Const::Str(s) => text_of(v).map(|t| t.as_bytes().cmp(s.as_bytes())),
        _ => cmp_num(v, k),
    }
}

fn cmp_num(v: &Value<'_>, k: &Const) -> Option<std::cmp::Ordering> {
    match k {
        Const::Int(n) => match v {
            Value::U(u) => Some((*u as i128).cmp(&(*n as i128))),
            Value::I(i) => Some(i.cmp(n)),
            Value::B(b) => Some((*b as i64).cmp(n)),
            Value::D(d) => d.partial_cmp(&(*n as f64)),
            Value::S(s) => s.trim().parse::<i64>().ok().map(|x| x.cmp(n)),
            _ => None,
        },
        Const::Float(f) => v.as_f64().and_then(|x| x.partial_cmp(f)),
        Const::Bool(b) => v.as_i64().map(|x| (x != 0).cmp(b)),
        _ => None,
    }
}

fn eq_const(v: &Value<'_>, k: &Const) -> bool {
    match k {
        Const::Str(s) => match v {
            Value::S(x) => x.as_ref() == s,
            Value::Bytes(b) => b.as_ref() == s.as_bytes(),
            other => other.to_text().is_some_and(|t| t == s.as_str()),
        },
        Const::Net(n) => match v {
            Value::Ip(ip) => n.contains(ip),
            Value::S(x) => x.parse::<IpAddr>().is_ok_and(|ip| n.contains(&ip)),
            _ => false,
        },
        Const::Bytes(b) => match v {
            Value::Bytes(x) => x.as_ref() == b.as_slice(),
            Value::S(x) => x.as_bytes() == b.as_slice(),
            _ => false,
        },
        _ => cmp_num(v, k) == Some(std::cmp::Ordering::Equal),
    }
}

fn text_of<'b>(v: &'b Value<'_>) -> Option<Cow<'b, str>> {
    v.to_text()
}

fn pmatch(path: &str, prefix: &str) -> bool {
    let p = prefix.trim_end_matches('/');
    path == p
        || (path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'))
        || p.is_empty()
}

fn check_one(op: Operator, rhs: &RhsC, v: &Value<'_>, c: &Ctx<'_>) -> bool {
    use std::cmp::Ordering::*;
    match (op, rhs) {
        (Operator::Exists, _) => !v.is_none(),
        (_, _) if v.is_none() => false,
        (Operator::Eq, RhsC::One(k)) => eq_const(v, k),
        (Operator::Ne, RhsC::One(k)) => !eq_const(v, k),
        (Operator::Lt, RhsC::One(k)) => cmp_const(v, k) == Some(Less),
        (Operator::Le, RhsC::One(k)) => matches!(cmp_const(v, k), Some(Less | Equal)),
        (Operator::Gt, RhsC::One(k)) => cmp_const(v, k) == Some(Greater),
        (Operator::Ge, RhsC::One(k)) => matches!(cmp_const(v, k), Some(Greater | Equal)),
        (Operator::Contains, RhsC::One(Const::Str(s))) => {
            text_of(v).is_some_and(|t| contains_bytes(t.as_bytes(), s.as_bytes()))
        }
        (Operator::IContains, RhsC::One(Const::Str(s))) => {
            text_of(v).is_some_and(|t| t.to_lowercase().contains(&s.to_lowercase()))
        }
        (Operator::StartsWith, RhsC::One(Const::Str(s))) => {
            text_of(v).is_some_and(|t| t.starts_with(s.as_str()))
        }
        (Operator::EndsWith, RhsC::One(Const::Str(s))) => {
            text_of(v).is_some_and(|t| t.ends_with(s.as_str()))
        }
        (Operator::BContains, RhsC::One(Const::Bytes(b))) => {
            let hay: Cow<'_, [u8]> = match v {
                Value::Bytes(x) => Cow::Borrowed(x.as_ref()),
                other => Cow::Owned(
                    text_of(other)
                        .map(|t| t.as_bytes().to_vec())
                        .unwrap_or_default(),
                ),
            };
            b.is_empty() || hay.windows(b.len()).any(|w| w == b.as_slice())
        }
        (Operator::BStartsWith, RhsC::One(Const::Bytes(b))) => match v {
            Value::Bytes(x) => x.starts_with(b),
            other => text_of(other).is_some_and(|t| t.as_bytes().starts_with(b)),
        },
        (Operator::Glob | Operator::IGlob, RhsC::Glob(p, ci)) => text_of(v).is_some_and(|t| {
            let s: Vec<char> = t.chars().collect();
            glob_match(p, &s, *ci)
        }),
        (Operator::Regex, RhsC::Regex(re)) => text_of(v).is_some_and(|t| re.is_match(&t)),
        (Operator::In | Operator::Intersects, RhsC::Set(consts, strs, all_str)) => match v {
            Value::S(s) => {
                strs.contains(s.as_ref()) || (!*all_str && consts.iter().any(|k| eq_const(v, k)))
            }
            _ => consts.iter().any(|k| eq_const(v, k)),
        },
        (Operator::PMatch, RhsC::Set(_, strs, _)) => {
            text_of(v).is_some_and(|t| strs.iter().any(|p| pmatch(&t, p)))
        }
        (_, RhsC::Field(l)) => {
            let other = extract_lhs(l, c);
            let Some(ot) = other.to_text().map(|t| t.into_owned()) else {
                return false;
            };
            let k = match other {
                Value::U(n) => Const::Int(n as i64),
                Value::I(n) => Const::Int(n),
                Value::D(d) => Const::Float(d),
                _ => Const::Str(ot.clone()),
            };
            let r = RhsC::One(k);
            match op {
                Operator::Contains
                | Operator::IContains
                | Operator::StartsWith
                | Operator::EndsWith => check_one(op, &RhsC::One(Const::Str(ot)), v, c),
                _ => check_one(op, &r, v, c),
            }
        }
        _ => false,
    }
}

/// One check on the value `lhs` gave. `proc.aname` and `proc.apid`
/// without an index hold when some ancestor satisfies the operator, `!=`
/// included (libsinsp compares each ancestor in turn: `proc.aname!=bash`
/// holds when an ancestor is not bash).
fn check_lhs_value(op: Operator, rhs: &RhsC, lhs: &Lhs, v: &Value<'_>, c: &Ctx<'_>) -> bool {
    match (lhs, v) {
        (Lhs::AnyAncestor(_), Value::List(items)) if op != Operator::Exists => {
            items.iter().any(|i| check_one(op, rhs, i, c))
        }
        _ => check_value(op, rhs, v, c),
    }
}

/// One check on an extracted value.
fn check_value(op: Operator, rhs: &RhsC, v: &Value<'_>, c: &Ctx<'_>) -> bool {
    match v {
        // Either-endpoint and multi-valued fields: any element satisfies.
        Value::List(items) if op != Operator::Exists => {
            if op == Operator::Ne {
                !items.iter().any(|i| check_one(Operator::Eq, rhs, i, c))
            } else {
                items.iter().any(|i| check_one(op, rhs, i, c))
            }
        }
        _ => check_one(op, rhs, v, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_and_globs() {
        let n = IpNet::parse("10.0.0.0/8").expect("net");
        assert!(n.contains(&"10.1.2.3".parse().expect("ip")));
        assert!(!n.contains(&"11.1.2.3".parse().expect("ip")));
        let g = |p: &str, s: &str| {
            glob_match(
                &p.chars().collect::<Vec<_>>(),
                &s.chars().collect::<Vec<_>>(),
                false,
            )
        };
        assert!(g("/etc/*.conf", "/etc/ld.so.conf"));
        assert!(!g("/etc/*.conf", "/etc/passwd"));
        assert!(g("a?c", "abc"));
        assert!(g("[a-c]x", "bx"));
        assert!(pmatch("/etc/passwd", "/etc"));
        assert!(!pmatch("/etcx", "/etc"));
    }

    #[test]
    fn errors_have_columns() {
        let e = Filter::compile("proc.nmae=cat").expect_err("unknown field");
        assert_eq!(e.column, 1);
        assert!(e.msg.contains("proc.name"), "{}", e.msg);
        let e = Filter::compile("evt.type=opne").expect_err("bad type");
        assert_eq!(e.column, 10);
        let e = Filter::compile("evt.rawres<abc").expect_err("not a number");
        assert!(e.column >= 11, "{e}");
        let e = Filter::compile("proc.name=").expect_err("parse error");
        assert_eq!(
            e.to_string(),
            "filter: expected a value after '=' at column 11"
        );
    }

    #[test]
    fn substring_search() {
        for (hay, needle) in [
            ("/etc/passwd", "/etc"),
            ("/usr/etc", "/etc"),
            ("/et", "/etc"),
            ("", ""),
            ("abc", ""),
            ("", "a"),
            ("aaab", "aab"),
            ("abab", "bab"),
            ("xyz", "z"),
            ("xyz", "xyz"),
            ("xyz", "xyzz"),
            ("héllo wörld", "ö"),
            ("/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc"),
            ("/usr/lib/x86_64-linux-gnu/libc.so.6", "libc.so"),
            ("/usr/lib/x86_64-linux-gnu/libc.so.6", ".6"),
            (
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
            ),
            (
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/usr/lib/x86_64-linux-gnu/libc.so.7",
            ),
            ("curl --flag1 --flag12 http://x", "--flag12"),
            ("curl --flag1 --flag12 http://x", "--flag13"),
            ("aaaaaaaaaaaaaaaaaaaaaaab", "aab"),
            ("\0\0\0\0\0\0\0\0\0\x01", "\0\x01"),
            ("\x01\0\0\0\0\0\0\0\0\0", "\x01\0"),
        ] {
            assert_eq!(
                contains_bytes(hay.as_bytes(), needle.as_bytes()),
                hay.contains(needle),
                "{hay:?} {needle:?}"
            );
            for k in 0..needle.len() {
                assert_eq!(
                    contains_at(hay.as_bytes(), needle.as_bytes(), k),
                    hay.contains(needle),
                    "{hay:?} {needle:?} {k}"
                );
            }
        }
        // Every length of haystack (region shorter than, equal to and
        // longer than a word, with a tail) and match position.
        let long = "/var/lib/x/etc/y/etc/zz/et/etc/q/etcetc/e/t/c/0123456789/etc";
        for n in 0..=long.len() {
            let hay = &long.as_bytes()[..n];
            for needle in [
                "/etc",
                "etc",
                "c",
                "/e",
                "9/etc",
                "zz/et/etc/q",
                "0123456789/etc",
            ] {
                let expect = hay.windows(needle.len()).any(|w| w == needle.as_bytes());
                for k in 0..needle.len() {
                    assert_eq!(
                        contains_at(hay, needle.as_bytes(), k),
                        expect,
                        "{n} {needle:?} {k}"
                    );
                }
            }
        }
        // Every needle position against every window of a haystack with
        // repeats and high bytes.
        let hay = "ab\u{80}a\u{ff}abaab/etc/ab\u{80}\u{80}xyzab".as_bytes();
        for i in 0..hay.len() {
            for j in i..=hay.len().min(i + 6) {
                let needle = &hay[i..j];
                for k in 0..needle.len().max(1) {
                    assert!(contains_at(hay, needle, k) || needle.is_empty());
                }
                let mut other = needle.to_vec();
                if let Some(b) = other.last_mut() {
                    *b ^= 0x40;
                    let expect = hay.windows(other.len()).any(|w| w == other.as_slice());
                    for k in 0..other.len() {
                        assert_eq!(contains_at(hay, &other, k), expect, "{other:?} {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn string_sets() {
        let few = StrSet::new(["a", "bc"]);
        assert!(few.contains("a") && few.contains("bc"));
        assert!(!few.contains("b") && !few.contains("") && !few.contains("bcd"));
        let names: Vec<String> = (0..70).map(|i| "x".repeat(i)).collect();
        let many = StrSet::new(names.iter().map(String::as_str));
        assert!(!many.many.is_empty());
        for n in &names {
            assert!(many.contains(n), "{n}");
        }
        assert!(!many.contains(&"x".repeat(70)));
        assert!(!many.contains("y"));
        // Against a plain set, members and not.
        let members: Vec<String> = (0..47)
            .map(|i| format!("proc{i}"))
            .chain(["curl", "sudo", "cat", "", "é", "a/b"].map(String::from))
            .collect();
        let set = StrSet::new(members.iter().map(String::as_str));
        let plain: std::collections::HashSet<&str> = members.iter().map(String::as_str).collect();
        let probes: Vec<String> = (0..200)
            .map(|i| format!("proc{i}"))
            .chain((0..200).map(|i| format!("p{i}c")))
            .chain(
                [
                    "bash", "sh", "curl", "curl2", "cat", "ca", "é", "è", "a/b", "", "sudo ",
                ]
                .map(String::from),
            )
            .collect();
        for p in &probes {
            assert_eq!(set.contains(p), plain.contains(p.as_str()), "{p:?}");
        }
    }

    /// A prefix set answers as its `starts_with` tests one by one.
    #[test]
    fn prefix_sets() {
        let prefixes = [
            "",
            "/",
            "/etc",
            "/etc/ld.so",
            "/usr/bin",
            "/var/run/docker.sock",
            "é/x",
            "abcdefgh",
            "abcdefghi",
        ];
        let values = [
            "",
            "/",
            "/e",
            "/etc",
            "/etc/",
            "/etc/ld.so.cache",
            "/usr/bin/x",
            "/usr/bi",
            "/var/run/docker.sock",
            "/var/run/docker.soc",
            "é/x/y",
            "é",
            "abcdefgh",
            "abcdefg",
            "abcdefghi!",
            "abcdefgX",
        ];
        for n in 1..=prefixes.len() {
            for skip in 0..prefixes.len() {
                let chosen: Vec<&str> = prefixes
                    .iter()
                    .cycle()
                    .skip(skip)
                    .take(n)
                    .copied()
                    .collect();
                let set = Prefixes::new(chosen.iter().map(|p| Box::from(*p)).collect());
                for v in values {
                    assert_eq!(
                        set.any(v),
                        chosen.iter().any(|p| v.starts_with(p)),
                        "{chosen:?} {v:?}"
                    );
                }
            }
        }
        let f = Filter::compile("fd.name startswith /a or fd.name=/b or fd.name startswith /c")
            .expect("ok");
        match &f.root {
            Node::Str(n) => {
                assert_eq!(n.tests.len(), 2);
                assert!(matches!(&n.tests[0], StrTest::Prefixes(p) if p.items.len() == 2));
                assert!(matches!(&n.tests[1], StrTest::Eq(s) if &**s == "/b"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ors_of_one_field_merge() {
        let f = Filter::compile("proc.name=a or proc.name=b or proc.name in (c, d) or fd.name=x")
            .expect("ok");
        let Node::Or(v) = &f.root else {
            panic!("{:?}", f.root)
        };
        assert_eq!(v.len(), 2);
        match &v[0] {
            Node::Str(n) => {
                assert_eq!(n.tests.len(), 1);
                assert!(matches!(&n.tests[0], StrTest::In(s) if s.contains("d")));
            }
            other => panic!("{other:?}"),
        }
        let f =
            Filter::compile("proc.cmdline contains a or proc.cmdline contains b or proc.name=c")
                .expect("ok");
        let Node::Or(v) = &f.root else {
            panic!("{:?}", f.root)
        };
        assert!(matches!(&v[0], Node::AnyOf(m) if m.checks.len() == 2));
        let f = Filter::compile("evt.type=open or evt.type=read or evt.dir=<").expect("ok");
        let Node::Or(v) = &f.root else {
            panic!("{:?}", f.root)
        };
        assert!(v.len() == 2 && v.iter().all(|n| matches!(n, Node::ByType(_))));
        let f = Filter::compile("proc.pid > 0").expect("ok");
        assert!(matches!(f.root, Node::Int(F::ProcPid, Operator::Gt, 0)));
        // An integer field takes integers only; one past i64 stays generic.
        assert!(Filter::compile("proc.pid > 0.5").is_err());
        let f = Filter::compile("evt.rawtime > 18446744073709551615").expect("ok");
        assert!(matches!(f.root, Node::Check(_)));
    }

    /// The lowered closures and the type pushdown against the tree
    /// evaluated without them, on every event of real captures (skipped
    /// without the shared captures folder).
    #[test]
    fn lowered_filters_match_the_tree() {
        use crate::filter::fields::FieldOpts;
        let files = [
            "libs/curl_google.scap",
            "falco/cat_write.scap",
            "sysflow/files_filesat.scap",
            "bencer-examples/example5_httpd.scap",
            "sysflow/client-server_tcp-client-server.scap",
            "sysflow/files_files_old.scap",
            "bencer-examples/example2_502error.scap",
            "sysflow/alpine_alpine.scap",
        ];
        let filters: Vec<Filter> = [
            "proc.name=curl",
            "proc.name!=curl",
            "not proc.name=curl",
            "proc.name in (bash, sh, curl)",
            "not proc.name in (bash, sh)",
            "proc.name=curl or proc.name=cat or proc.exe contains bin",
            "proc.exe startswith /usr",
            "proc.exe endswith curl",
            "proc.pname=bash",
            "not proc.pname in (bash, sshd)",
            "fd.name contains /etc",
            "not fd.name contains /etc",
            "fd.name startswith /lib or fd.name endswith .so.6",
            "fd.name startswith /etc or fd.name startswith /usr/lib or fd.name startswith /dev/urandom \
             or fd.name startswith /lib/x86_64-linux-gnu/libc or fd.name=/tmp",
            "fd.nameraw contains lib",
            "fd.directory=/etc",
            "not fd.directory=/tmp",
            "fd.filename in (passwd, hosts, ld.so.cache)",
            "fd.type=file",
            "fd.type in (ipv4, unix)",
            "fd.typechar=f",
            "not fd.typechar=f",
            "user.name=root",
            "not user.name=nobody",
            "evt.type=openat",
            "evt.type!=read",
            "not evt.type=read",
            "evt.type in (open, openat, read, write)",
            "not evt.type in (switch, read)",
            "evt.dir=<",
            "evt.dir=>",
            "not evt.dir=<",
            "evt.dir!=<",
            "evt.type=openat or evt.dir=>",
            "evt.type contains open",
            "evt.type startswith f or evt.type endswith at",
            "evt.type=mprotect",
            // Generic events (their syscall names them).
            "evt.type in (clock_gettime, set_robust_list, rt_sigaction)",
            "not evt.type=clock_gettime and evt.dir=>",
            "evt.type in (mprotect, brk) and evt.dir=<",
            "not (evt.type in (mprotect, brk) and evt.dir=<)",
            "proc.pid > 0",
            "proc.pid < 1000",
            "proc.pid = 1",
            "proc.pid != 1",
            "not proc.pid <= 100",
            "thread.tid >= 100",
            "evt.rawres >= 0",
            "evt.rawres < 0",
            "not evt.rawres >= 0",
            "fd.num > 2 and fd.num < 10",
            "evt.cpu=1",
            "evt.cpu!=0",
            "proc.cmdline contains curl or proc.cmdline contains cat",
            "fd.name exists",
            "not fd.name exists",
            "evt.type in (open, openat) and evt.dir=< and fd.typechar=f and not proc.name in (bash, sh) \
             and fd.name contains /etc and not fd.name startswith /etc/ld.so and proc.pid > 0 \
             and not user.name=nobody and evt.rawres >= 0 and not fd.directory=/tmp",
            "(evt.type=read or evt.type=write) and not (proc.name=curl or fd.name contains lib)",
            "not (proc.name=curl and evt.dir=<) or fd.num=3",
            // fd.name tests skip the types without an fd.
            "fd.name contains /",
            "fd.name != /dev/null",
            "fd.nameraw startswith /",
            "not fd.name contains /etc",
            "fd.name in (/dev/null, /etc/passwd) or proc.name=bash",
            "fd.name = \"\"",
            "not fd.name != \"\"",
        ]
        .iter()
        .map(|t| Filter::compile(t).unwrap_or_else(|e| panic!("{t}: {e}")))
        .collect();
        let opts = FieldOpts::default();
        let mut seen = 0;
        let mut hits = vec![0usize; filters.len()];
        for f in files {
            crate::testing::replay(f, |num, ev, st, ectx| {
                seen += 1;
                let c = Ctx::new(ev, num, st, &ectx, 0, 0, &opts);
                for (i, flt) in filters.iter().enumerate() {
                    let want = eval(&flt.root, &c);
                    assert_eq!(
                        flt.matches(&c),
                        want,
                        "{f} event {num} type {}: {}",
                        ev.etype(),
                        flt.text()
                    );
                    if flt.may_match_type(ev.etype()) {
                        assert_eq!(flt.matches_typed(&c), want, "{f} {num}: {}", flt.text());
                    }
                    hits[i] += usize::from(want);
                }
            });
        }
        if seen > 0 {
            eprintln!("replayed {seen} events");
            // Most filters both pass and fail somewhere.
            let split = hits.iter().filter(|&&h| h > 0 && h < seen).count();
            assert!(split * 10 >= filters.len() * 8, "{hits:?} of {seen}");
        }
    }

    #[test]
    fn type_pushdown() {
        let f = Filter::compile("evt.type=openat and proc.name=cat").expect("ok");
        assert!(f.may_match_type(307));
        assert!(!f.may_match_type(3));
        let f = Filter::compile("not evt.type in (switch)").expect("ok");
        assert!(!f.may_match_type(152));
        assert!(f.may_match_type(307));
        let f = Filter::compile("proc.name=cat or evt.type=open").expect("ok");
        assert!(f.may_match_type(152));
        // A string test of fd.name: only the fd events' types (read exit 7,
        // open exit 3), not clock_gettime's or switch's; negated, all.
        let id = |name: &str| table().ids_named(name)[0];
        let f = Filter::compile("fd.name contains /etc").expect("ok");
        assert!(f.may_match_type(3) && f.may_match_type(7));
        assert!(!f.may_match_type(id("switch")) && !f.may_match_type(id("nanosleep")));
        // (Generic events, clock_gettime's say, have no fd either.)
        assert!(!f.may_match_type(0) && !f.may_match_type(1));
        // Nor the enter of a call that creates its fd (open 2, openat 306,
        // socket): its fd comes with the exit. An enter that uses one
        // (read 6, close 4...) has it.
        assert!(!f.may_match_type(2) && !f.may_match_type(306));
        assert!(!f.may_match_type(id("socket")));
        assert!(f.may_match_type(6) && f.may_match_type(id("close")));
        let f = Filter::compile("not fd.name contains /etc").expect("ok");
        assert!(f.may_match_type(id("switch")));
        let f = Filter::compile("fd.name contains /etc or proc.name=cat").expect("ok");
        assert!(f.may_match_type(id("switch")));
        // A filter that keeps time sees every type.
        let f = Filter::compile("evt.deltatime > 0 and fd.name contains /etc").expect("ok");
        assert!(f.may_match_type(id("switch")) && f.may_match_type(2));
    }
}
