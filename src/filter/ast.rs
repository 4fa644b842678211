//! Abstract syntax tree of a filter expression.
//!
//! The AST is purely syntactic: field names are not resolved, values are
//! not typed (numbers, IPs, CIDRs... are all strings here) and bare
//! identifiers (Falco macro / list references) are kept as such. Every node
//! carries a [`Span`] so later stages can report errors at a column.
//!
//! `Display` prints a normalized filter that parses back to the same tree
//! (modulo spans, see [`Expr::strip_spans`]).
//!
//! For rewriting (e.g. macro substitution by a rules engine) use
//! [`VisitorMut`]: `visit_expr` gets `&mut Expr` and may replace the node.

use std::fmt;

use super::lexer::{is_bare_field_arg, is_bare_value, quote, Quote};

/// A source range: byte offsets `start..end` into the filter text, plus the
/// 1-based char column of `start` (what error messages show).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first char.
    pub start: usize,
    /// Byte offset one past the last char.
    pub end: usize,
    /// 1-based column of `start`, counted in chars from the start of the
    /// filter (0 in synthesized nodes, e.g. after [`Expr::strip_spans`]).
    pub column: usize,
}

impl Span {
    /// The source text this span covers (empty if out of range).
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }

    /// Smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if other.start < self.start {
            return other.to(self);
        }
        Span {
            start: self.start,
            end: self.end.max(other.end),
            column: self.column,
        }
    }
}

/// A boolean filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `a and b and ...` (two or more children). Parentheses are not
    /// flattened: `a and (b and c)` is `And[a, And[b, c]]`.
    And { children: Vec<Expr>, span: Span },
    /// `a or b or ...` (two or more children).
    Or { children: Vec<Expr>, span: Span },
    /// `not a`. Consecutive `not`s are folded by parity as libsinsp does
    /// (`not not a` is `a`), so the parser never produces `Not(Not(_))`
    /// unless parenthesized: `not (not a)`.
    Not { child: Box<Expr>, span: Span },
    /// A field check: `proc.name = cat`, `fd.name exists`, ... (boxed to
    /// keep `Expr` small: deep trees then need little stack to walk).
    Check(Box<Check>),
    /// A bare identifier in expression position, e.g. `spawned_process`:
    /// a Falco macro reference. The parser keeps it; a rules engine
    /// substitutes it, the compiler rejects what is left (as libsinsp does:
    /// "unexpected identifier").
    Identifier(Identifier),
}

/// A bare identifier (`[a-zA-Z][a-zA-Z0-9_]*`, no dots).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    pub name: String,
    pub span: Span,
}

/// `lhs op rhs`, or `lhs exists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Left-hand side: a field, possibly wrapped in transformers.
    pub lhs: FieldExpr,
    pub op: Operator,
    /// Where the operator is written.
    pub op_span: Span,
    /// Right-hand side; `None` exactly when `op` is unary (`exists`).
    pub rhs: Option<Rhs>,
    /// From the start of `lhs` to the end of the check.
    pub span: Span,
}

/// A field reference, possibly wrapped in transformers:
/// `proc.name`, `proc.aname[2]`, `tolower(basename(fd.name))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldExpr {
    Field(FieldRef),
    Transform(Transform),
}

/// A field: dotted name plus optional `[arg]`.
///
/// The name is kept exactly as written (`evt.arg.fd`, `evt.type.is.open`,
/// `thread.cgroup.cpuacct` are plain names); splitting dotted arguments off
/// is the field registry's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub name: String,
    /// The `[...]` argument, unescaped if it was quoted.
    pub arg: Option<FieldArg>,
    /// Name and argument.
    pub span: Span,
}

/// The argument of `field[arg]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldArg {
    pub value: String,
    /// The argument text inside the brackets.
    pub span: Span,
}

/// `kind(arg)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    pub kind: TransformKind,
    pub arg: Box<FieldExpr>,
    /// From the transformer name to the closing parenthesis.
    pub span: Span,
}

/// Field transformers (libsinsp `FieldTransformerType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformKind {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
}

impl TransformKind {
    /// All transformers, in libsinsp's order.
    pub const ALL: [TransformKind; 5] = [
        TransformKind::ToLower,
        TransformKind::ToUpper,
        TransformKind::B64,
        TransformKind::Basename,
        TransformKind::Len,
    ];

    /// The name as written in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformKind::ToLower => "tolower",
            TransformKind::ToUpper => "toupper",
            TransformKind::B64 => "b64",
            TransformKind::Basename => "basename",
            TransformKind::Len => "len",
        }
    }

    /// Looks a transformer up by name.
    pub fn from_name(name: &str) -> Option<TransformKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Right-hand side of a binary check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rhs {
    /// A single value (string, number, IP, CIDR... untyped).
    Value(Value),
    /// `(v1, v2, ...)` after a list operator. May be empty: `()` is
    /// accepted, as in libsinsp (Falco lists expand to it).
    List(List),
    /// A bare identifier after a list operator: `proc.name in shell_binaries`,
    /// a Falco list reference. libsinsp's compiler treats an unresolved one
    /// as a one-element list holding the identifier text.
    ListRef(Identifier),
    /// Another field's value: `val(proc.pname)` (`expr` is then a plain
    /// [`FieldExpr::Field`]) or a transformer such as `tolower(proc.pname)`.
    Field { expr: FieldExpr, span: Span },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The value, unescaped if it was quoted.
    pub text: String,
    /// How it was written (kept so the printer reproduces it).
    pub style: ValueStyle,
    /// The value as written, quotes included.
    pub span: Span,
}

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueStyle {
    Bare,
    SingleQuoted,
    DoubleQuoted,
}

/// `(v1, v2, ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub items: Vec<Value>,
    /// From `(` to `)`.
    pub span: Span,
}

/// What kind of right-hand side an operator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorKind {
    /// No right-hand side (`exists`).
    Unary,
    /// A number (or a field): `< <= > >=`.
    Numeric,
    /// A single value (or a field): `= == != contains ...`.
    String,
    /// A list, a list reference (or a field): `in intersects pmatch`.
    List,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=` and `==` (both are equality; printed as `=`).
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    PMatch,
    Exists,
}

impl Operator {
    /// Every operator.
    pub const ALL: [Operator; 19] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::Contains,
        Operator::IContains,
        Operator::BContains,
        Operator::StartsWith,
        Operator::BStartsWith,
        Operator::EndsWith,
        Operator::Glob,
        Operator::IGlob,
        Operator::Regex,
        Operator::In,
        Operator::Intersects,
        Operator::PMatch,
        Operator::Exists,
    ];

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "!=",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::Contains => "contains",
            Operator::IContains => "icontains",
            Operator::BContains => "bcontains",
            Operator::StartsWith => "startswith",
            Operator::BStartsWith => "bstartswith",
            Operator::EndsWith => "endswith",
            Operator::Glob => "glob",
            Operator::IGlob => "iglob",
            Operator::Regex => "regex",
            Operator::In => "in",
            Operator::Intersects => "intersects",
            Operator::PMatch => "pmatch",
            Operator::Exists => "exists",
        }
    }

    /// Looks an operator up by spelling (`==` gives [`Operator::Eq`]).
    pub fn from_name(s: &str) -> Option<Operator> {
        if s == "==" {
            return Some(Operator::Eq);
        }
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// What the operator takes on its right.
    pub fn kind(self) -> OperatorKind {
        match self {
            Operator::Exists => OperatorKind::Unary,
            Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => OperatorKind::Numeric,
            Operator::In | Operator::Intersects | Operator::PMatch => OperatorKind::List,
            _ => OperatorKind::String,
        }
    }

    /// True for `exists`.
    pub fn is_unary(self) -> bool {
        self.kind() == OperatorKind::Unary
    }

    /// True for word operators (`contains`, `in`, ...), false for symbols.
    pub fn is_word(self) -> bool {
        self.as_str().chars().all(|c| c.is_ascii_alphabetic())
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Expr {
    /// The node's span.
    pub fn span(&self) -> Span {
        match self {
            Expr::And { span, .. } | Expr::Or { span, .. } | Expr::Not { span, .. } => *span,
            Expr::Check(c) => c.span,
            Expr::Identifier(i) => i.span,
        }
    }

    /// Sets every span in the tree to `Span::default()`, so trees can be
    /// compared structurally (`parse(a)` vs `parse(&a_printed)`).
    pub fn strip_spans(&mut self) {
        struct Strip;
        impl VisitorMut for Strip {
            fn visit_span(&mut self, span: &mut Span) {
                *span = Span::default();
            }
        }
        Strip.visit_expr(self);
    }

    /// A copy without spans (see [`Expr::strip_spans`]).
    pub fn without_spans(&self) -> Expr {
        let mut e = self.clone();
        e.strip_spans();
        e
    }

    /// Calls `f` on every check, in source order.
    pub fn for_each_check(&self, f: impl FnMut(&Check)) {
        struct Each<F>(F);
        impl<F: FnMut(&Check)> Visitor for Each<F> {
            fn visit_check(&mut self, c: &Check) {
                (self.0)(c);
                walk_check(self, c);
            }
        }
        Each(f).visit_expr(self);
    }

    /// Calls `f` on every field reference (left-hand sides, `val()` and
    /// transformer arguments), in source order.
    pub fn for_each_field(&self, f: impl FnMut(&FieldRef)) {
        struct Each<F>(F);
        impl<F: FnMut(&FieldRef)> Visitor for Each<F> {
            fn visit_field(&mut self, r: &FieldRef) {
                (self.0)(r);
            }
        }
        Each(f).visit_expr(self);
    }
}

impl FieldExpr {
    /// The node's span.
    pub fn span(&self) -> Span {
        match self {
            FieldExpr::Field(f) => f.span,
            FieldExpr::Transform(t) => t.span,
        }
    }

    /// The innermost field.
    pub fn field(&self) -> &FieldRef {
        let mut e = self;
        loop {
            match e {
                FieldExpr::Field(f) => return f,
                FieldExpr::Transform(t) => e = &t.arg,
            }
        }
    }

    /// Transformers from outermost to innermost
    /// (`tolower(basename(x))` gives `[ToLower, Basename]`).
    pub fn transforms(&self) -> Vec<TransformKind> {
        let mut out = Vec::new();
        let mut e = self;
        while let FieldExpr::Transform(t) = e {
            out.push(t.kind);
            e = &t.arg;
        }
        out
    }
}

impl Rhs {
    /// The node's span.
    pub fn span(&self) -> Span {
        match self {
            Rhs::Value(v) => v.span,
            Rhs::List(l) => l.span,
            Rhs::ListRef(i) => i.span,
            Rhs::Field { span, .. } => *span,
        }
    }
}

// ---------------------------------------------------------------------------
// Visitors

/// Read-only traversal. Override the hooks you need; call the matching
/// `walk_*` function from an override to keep descending.
pub trait Visitor {
    fn visit_expr(&mut self, e: &Expr) {
        walk_expr(self, e);
    }
    fn visit_check(&mut self, c: &Check) {
        walk_check(self, c);
    }
    /// A macro reference in expression position.
    fn visit_identifier(&mut self, _i: &Identifier) {}
    fn visit_field_expr(&mut self, f: &FieldExpr) {
        walk_field_expr(self, f);
    }
    fn visit_field(&mut self, _f: &FieldRef) {}
    fn visit_rhs(&mut self, r: &Rhs) {
        walk_rhs(self, r);
    }
    /// A literal value (single, or a list item).
    fn visit_value(&mut self, _v: &Value) {}
    /// A list reference (`in my_list`).
    fn visit_list_ref(&mut self, _i: &Identifier) {}
}

/// Visits the children of `e`.
pub fn walk_expr<V: Visitor + ?Sized>(v: &mut V, e: &Expr) {
    match e {
        Expr::And { children, .. } | Expr::Or { children, .. } => {
            for c in children {
                v.visit_expr(c);
            }
        }
        Expr::Not { child, .. } => v.visit_expr(child),
        Expr::Check(c) => v.visit_check(c),
        Expr::Identifier(i) => v.visit_identifier(i),
    }
}

/// Visits the sides of `c`.
pub fn walk_check<V: Visitor + ?Sized>(v: &mut V, c: &Check) {
    v.visit_field_expr(&c.lhs);
    if let Some(r) = &c.rhs {
        v.visit_rhs(r);
    }
}

/// Visits the field inside `f`.
pub fn walk_field_expr<V: Visitor + ?Sized>(v: &mut V, f: &FieldExpr) {
    match f {
        FieldExpr::Field(r) => v.visit_field(r),
        FieldExpr::Transform(t) => v.visit_field_expr(&t.arg),
    }
}

/// Visits the contents of `r`.
pub fn walk_rhs<V: Visitor + ?Sized>(v: &mut V, r: &Rhs) {
    match r {
        Rhs::Value(x) => v.visit_value(x),
        Rhs::List(l) => {
            for x in &l.items {
                v.visit_value(x);
            }
        }
        Rhs::ListRef(i) => v.visit_list_ref(i),
        Rhs::Field { expr, .. } => v.visit_field_expr(expr),
    }
}

/// Mutating traversal; hooks may replace the node they are given (e.g.
/// `*e = macro_body.clone()` in `visit_expr` for an [`Expr::Identifier`],
/// or `*r = Rhs::List(..)` in `visit_rhs` for an [`Rhs::ListRef`]).
/// Call the matching `walk_*_mut` to keep descending.
pub trait VisitorMut {
    fn visit_expr(&mut self, e: &mut Expr) {
        walk_expr_mut(self, e);
    }
    fn visit_check(&mut self, c: &mut Check) {
        walk_check_mut(self, c);
    }
    fn visit_identifier(&mut self, i: &mut Identifier) {
        self.visit_span(&mut i.span);
    }
    fn visit_field_expr(&mut self, f: &mut FieldExpr) {
        walk_field_expr_mut(self, f);
    }
    fn visit_field(&mut self, f: &mut FieldRef) {
        self.visit_span(&mut f.span);
        if let Some(a) = &mut f.arg {
            self.visit_span(&mut a.span);
        }
    }
    fn visit_rhs(&mut self, r: &mut Rhs) {
        walk_rhs_mut(self, r);
    }
    fn visit_value(&mut self, v: &mut Value) {
        self.visit_span(&mut v.span);
    }
    fn visit_list_ref(&mut self, i: &mut Identifier) {
        self.visit_span(&mut i.span);
    }
    /// Called for every span of every node (by the default hooks).
    fn visit_span(&mut self, _s: &mut Span) {}
}

/// Visits the children (and own span) of `e`.
pub fn walk_expr_mut<V: VisitorMut + ?Sized>(v: &mut V, e: &mut Expr) {
    match e {
        Expr::And { children, span } | Expr::Or { children, span } => {
            v.visit_span(span);
            for c in children {
                v.visit_expr(c);
            }
        }
        Expr::Not { child, span } => {
            v.visit_span(span);
            v.visit_expr(child);
        }
        Expr::Check(c) => v.visit_check(c),
        Expr::Identifier(i) => v.visit_identifier(i),
    }
}

/// Visits the sides (and spans) of `c`.
pub fn walk_check_mut<V: VisitorMut + ?Sized>(v: &mut V, c: &mut Check) {
    v.visit_span(&mut c.span);
    v.visit_span(&mut c.op_span);
    v.visit_field_expr(&mut c.lhs);
    if let Some(r) = &mut c.rhs {
        v.visit_rhs(r);
    }
}

/// Visits the field inside `f`.
pub fn walk_field_expr_mut<V: VisitorMut + ?Sized>(v: &mut V, f: &mut FieldExpr) {
    match f {
        FieldExpr::Field(r) => v.visit_field(r),
        FieldExpr::Transform(t) => {
            v.visit_span(&mut t.span);
            v.visit_field_expr(&mut t.arg);
        }
    }
}

/// Visits the contents of `r`.
pub fn walk_rhs_mut<V: VisitorMut + ?Sized>(v: &mut V, r: &mut Rhs) {
    match r {
        Rhs::Value(x) => v.visit_value(x),
        Rhs::List(l) => {
            v.visit_span(&mut l.span);
            for x in &mut l.items {
                v.visit_value(x);
            }
        }
        Rhs::ListRef(i) => v.visit_list_ref(i),
        Rhs::Field { expr, span } => {
            v.visit_span(span);
            v.visit_field_expr(expr);
        }
    }
}

// ---------------------------------------------------------------------------
// Printing

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And { children, .. } => write_joined(f, children, " and ", |c| {
                matches!(c, Expr::And { .. } | Expr::Or { .. })
            }),
            Expr::Or { children, .. } => {
                write_joined(f, children, " or ", |c| matches!(c, Expr::Or { .. }))
            }
            Expr::Not { child, .. } => match **child {
                Expr::Check(_) | Expr::Identifier(_) => write!(f, "not {child}"),
                _ => write!(f, "not ({child})"),
            },
            Expr::Check(c) => c.fmt(f),
            Expr::Identifier(i) => i.fmt(f),
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    children: &[Expr],
    sep: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, c) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(c) {
            write!(f, "({c})")?;
        } else {
            write!(f, "{c}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.lhs, self.op)?;
        if let Some(r) = &self.rhs {
            write!(f, " {r}")?;
        }
        Ok(())
    }
}

impl fmt::Display for FieldExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldExpr::Field(r) => r.fmt(f),
            FieldExpr::Transform(t) => t.fmt(f),
        }
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.kind.as_str(), self.arg)
    }
}

impl fmt::Display for TransformKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(a) = &self.arg {
            if is_bare_field_arg(&a.value) {
                write!(f, "[{}]", a.value)?;
            } else {
                write!(f, "[{}]", quote(&a.value, Quote::Double))?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Value(v) => v.fmt(f),
            Rhs::List(l) => l.fmt(f),
            Rhs::ListRef(i) => i.fmt(f),
            Rhs::Field {
                expr: FieldExpr::Field(r),
                ..
            } => write!(f, "val({r})"),
            Rhs::Field { expr, .. } => expr.fmt(f),
        }
    }
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, v) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            v.fmt(f)?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for Value {
    /// Bare values are printed bare when they read back unchanged;
    /// otherwise (and for quoted ones) quoted with the original quote
    /// (double quotes for bare values that need quoting).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            ValueStyle::Bare if is_bare_value(&self.text) => f.write_str(&self.text),
            ValueStyle::SingleQuoted => f.write_str(&quote(&self.text, Quote::Single)),
            _ => f.write_str(&quote(&self.text, Quote::Double)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> Span {
        Span::default()
    }

    fn field(name: &str) -> FieldExpr {
        FieldExpr::Field(FieldRef {
            name: name.into(),
            arg: None,
            span: sp(),
        })
    }

    fn check(name: &str, op: Operator, rhs: Option<Rhs>) -> Expr {
        Expr::Check(Box::new(Check {
            lhs: field(name),
            op,
            op_span: sp(),
            rhs,
            span: sp(),
        }))
    }

    fn val(s: &str, style: ValueStyle) -> Rhs {
        Rhs::Value(Value {
            text: s.into(),
            style,
            span: sp(),
        })
    }

    #[test]
    fn operators_round_trip_names() {
        for op in Operator::ALL {
            assert_eq!(Operator::from_name(op.as_str()), Some(op));
        }
        assert_eq!(Operator::from_name("=="), Some(Operator::Eq));
        assert_eq!(Operator::from_name("inn"), None);
        assert!(Operator::Exists.is_unary());
        assert_eq!(Operator::Intersects.kind(), OperatorKind::List);
        assert_eq!(Operator::Le.kind(), OperatorKind::Numeric);
        assert!(Operator::Regex.is_word());
        assert!(!Operator::Ne.is_word());
        for k in TransformKind::ALL {
            assert_eq!(TransformKind::from_name(k.as_str()), Some(k));
        }
    }

    #[test]
    fn display_parenthesizes_by_precedence() {
        let a = check("a.a", Operator::Eq, Some(val("1", ValueStyle::Bare)));
        let b = check("b.b", Operator::Exists, None);
        let or = Expr::Or {
            children: vec![a.clone(), b.clone()],
            span: sp(),
        };
        let and = Expr::And {
            children: vec![or.clone(), a.clone()],
            span: sp(),
        };
        assert_eq!(and.to_string(), "(a.a = 1 or b.b exists) and a.a = 1");
        let or2 = Expr::Or {
            children: vec![
                Expr::And {
                    children: vec![a.clone(), b.clone()],
                    span: sp(),
                },
                b.clone(),
            ],
            span: sp(),
        };
        assert_eq!(or2.to_string(), "a.a = 1 and b.b exists or b.b exists");
        let not = Expr::Not {
            child: Box::new(or),
            span: sp(),
        };
        assert_eq!(not.to_string(), "not (a.a = 1 or b.b exists)");
        let not2 = Expr::Not {
            child: Box::new(b),
            span: sp(),
        };
        assert_eq!(not2.to_string(), "not b.b exists");
    }

    #[test]
    fn display_values() {
        let c = check("a.b", Operator::Eq, Some(val("x y", ValueStyle::Bare)));
        assert_eq!(c.to_string(), r#"a.b = "x y""#);
        let c = check(
            "a.b",
            Operator::Eq,
            Some(val("it's", ValueStyle::SingleQuoted)),
        );
        assert_eq!(c.to_string(), r"a.b = 'it\'s'");
        let c = check("a.b", Operator::Eq, Some(val("", ValueStyle::Bare)));
        assert_eq!(c.to_string(), r#"a.b = """#);
    }
}
