//! Parser for the sysdig/Falco filter language, following the grammar of
//! current falcosecurity/libs (`userspace/libsinsp/filter/parser.h`):
//!
//! ```text
//! Expr        ::= OrExpr
//! OrExpr      ::= AndExpr ('or' AndExpr)*              -- 'and' binds tighter
//! AndExpr     ::= NotExpr ('and' NotExpr)*
//! NotExpr     ::= ('not')* ( '(' Expr ')' | Check | Identifier )
//! Check       ::= FieldExpr Condition
//! FieldExpr   ::= Field | Transformer '(' FieldExpr ')'
//! Transformer ::= 'tolower' | 'toupper' | 'b64' | 'basename' | 'len'
//! Condition   ::= 'exists'
//!               | NumOp (Number | FieldRhs)            -- < <= > >=
//!               | StrOp (Quoted | Bare | FieldRhs)     -- = == != contains icontains bcontains
//!                                                      -- startswith bstartswith endswith glob iglob regex
//!               | ListOp (List | Identifier | FieldRhs) -- in intersects pmatch
//! FieldRhs    ::= 'val(' Field ')' | Transformer '(' FieldExpr ')'
//! List        ::= '(' [ (Quoted | Bare) (',' (Quoted | Bare))* ] ')'
//! Field       ::= FieldName ['[' (Quoted | FieldArgBare) ']']
//! ```
//!
//! Token shapes are in [`super::lexer`]. Differences from libsinsp, all on
//! the side of clearer errors: operator words are matched as whole words
//! (so `in`/`intersects`/`inside` are never confused), `and`/`or`/`not` are
//! never taken as macro identifiers, `not` at the very end is an error, and
//! every string operator word needs a blank after it (any blank, where
//! libsinsp needs a space). Not implemented: libsinsp's newest multi-argument
//! `join(...)` transformer.
//!
//! The `and`/`or`/`not`/parenthesis structure and transformer chains are
//! parsed with explicit stacks, so nesting is limited by
//! [`Parser::max_depth`] (default [`DEFAULT_MAX_DEPTH`]), never by the call
//! stack: `(((...` 10 000 deep is a clean error.

use super::ast::{
    Check, Expr, FieldArg, FieldExpr, FieldRef, Identifier, List, Operator, OperatorKind, Rhs,
    Span, Transform, TransformKind, Value, ValueStyle,
};
use super::lexer::{is_blank, Cursor, Pos, Quote};

/// Default limit on nesting depth of the resulting tree: each `(` counts
/// 1, `not (` counts 2, each transformer counts 1.
///
/// libsinsp uses 100. Ours is higher but bounded so that code walking the
/// AST recursively (derived `Clone`/`PartialEq`/`Debug`, the compiler) stays
/// well within a 2 MiB thread stack even in debug builds, where a derived
/// `clone` of one `Expr` level takes on the order of 1-2 KiB of stack.
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// A syntax error, with the 1-based char column it refers to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter: {msg} at column {column}")]
pub struct ParseError {
    /// 1-based column, in chars from the start of the filter (the end of
    /// input is `chars + 1`).
    pub column: usize,
    /// What went wrong, without the position.
    pub msg: String,
}

impl ParseError {
    /// An error at `column`.
    pub fn new(column: usize, msg: impl Into<String>) -> Self {
        ParseError {
            column,
            msg: msg.into(),
        }
    }

    /// Two lines: `filter` (blanks and control chars shown as spaces, so
    /// columns line up) and a `^` under the error column.
    pub fn caret(&self, filter: &str) -> String {
        let line: String = filter
            .chars()
            .map(|c| {
                if is_blank(c) || c.is_control() {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let pad = " ".repeat(self.column.saturating_sub(1));
        format!("{line}\n{pad}^")
    }

    /// The message followed by [`ParseError::caret`]:
    ///
    /// ```text
    /// filter: expected a value after '=' at column 11
    /// proc.name=
    ///           ^
    /// ```
    pub fn render(&self, filter: &str) -> String {
        format!("{self}\n{}", self.caret(filter))
    }
}

/// Parses a filter with the default options.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    Parser::new(input).parse()
}

/// A configurable parser.
#[derive(Debug, Clone)]
pub struct Parser<'a> {
    cur: Cursor<'a>,
    max_depth: usize,
    /// Current nesting depth (see [`DEFAULT_MAX_DEPTH`]).
    depth: usize,
}

/// One parenthesis level of the boolean structure.
///
/// Spans of the `And`/`Or`/`Not` nodes built here cover their operands as
/// written, parentheses and `not`s included.
struct Frame {
    /// Completed `and` groups, joined by `or`.
    ors: Vec<Expr>,
    ors_start: Option<Pos>,
    /// The `and` group being built.
    ands: Vec<Expr>,
    ands_start: Option<Pos>,
    /// End of the last operand.
    last_end: Option<Pos>,
    /// Start of the operand being parsed (its first `not` or `(`).
    slot_start: Option<Pos>,
    /// Start of a pending odd number of `not`s for the next operand.
    not_at: Option<Pos>,
    /// The `(` that opened this level (`None` at top level).
    open: Option<Pos>,
    /// Depth this level adds (1, or 2 for `not (`).
    cost: usize,
}

impl Frame {
    fn new(open: Option<Pos>, cost: usize) -> Self {
        Frame {
            ors: Vec::new(),
            ors_start: None,
            ands: Vec::new(),
            ands_start: None,
            last_end: None,
            slot_start: None,
            not_at: None,
            open,
            cost,
        }
    }

    /// Adds a finished operand ending at `end`, applying pending `not`s.
    fn push(&mut self, e: Expr, end: Pos) {
        let e = match self.not_at.take() {
            Some(at) => Expr::Not {
                span: span(at, end),
                child: Box::new(e),
            },
            None => e,
        };
        let start = self.slot_start.take();
        if self.ands.is_empty() {
            self.ands_start = start;
        }
        self.last_end = Some(end);
        self.ands.push(e);
    }

    fn close_and_group(&mut self) {
        let ands = std::mem::take(&mut self.ands);
        if self.ors.is_empty() {
            self.ors_start = self.ands_start;
        }
        if let Some(e) = group(ands, true, self.ands_start, self.last_end) {
            self.ors.push(e);
        }
    }

    /// The expression of this level (`None` only if it has no operand,
    /// which the parser never lets happen).
    fn finish(mut self) -> Option<Expr> {
        self.close_and_group();
        group(self.ors, false, self.ors_start, self.last_end)
    }
}

/// One child as is, several as `And`/`Or` spanning `start..end`.
fn group(mut children: Vec<Expr>, and: bool, start: Option<Pos>, end: Option<Pos>) -> Option<Expr> {
    if children.len() <= 1 {
        return children.pop();
    }
    let span = match (start, end) {
        (Some(s), Some(e)) => span(s, e),
        _ => {
            let first = children.first().map(Expr::span).unwrap_or_default();
            let last = children.last().map(Expr::span).unwrap_or_default();
            first.to(last)
        }
    };
    Some(if and {
        Expr::And { children, span }
    } else {
        Expr::Or { children, span }
    })
}

fn span(start: Pos, end: Pos) -> Span {
    Span {
        start: start.offset,
        end: end.offset,
        column: start.column,
    }
}

/// A short excerpt of `rest` for error messages: up to the next blank,
/// at most 20 chars.
fn snippet(rest: &str) -> String {
    let word: String = rest
        .chars()
        .take_while(|c| !is_blank(*c))
        .take(20)
        .collect();
    if word.is_empty() {
        rest.chars().take(1).collect()
    } else {
        word
    }
}

fn transformer_names() -> String {
    let mut names = vec!["val"];
    names.extend(TransformKind::ALL.iter().map(|k| k.as_str()));
    names.join(", ")
}

/// What the next non-blank input looks like at an operand boundary.
enum Connective {
    And,
    Or,
    Close,
    End,
}

impl<'a> Parser<'a> {
    /// A parser for `input`.
    pub fn new(input: &'a str) -> Self {
        Parser {
            cur: Cursor::new(input),
            max_depth: DEFAULT_MAX_DEPTH,
            depth: 0,
        }
    }

    /// Sets the nesting limit (see [`DEFAULT_MAX_DEPTH`]).
    pub fn max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Parses the whole input.
    pub fn parse(mut self) -> Result<Expr, ParseError> {
        self.cur.skip_blanks();
        if self.cur.at_end() {
            return Err(ParseError::new(1, "empty filter"));
        }
        let mut stack: Vec<Frame> = Vec::new();
        let mut frame = Frame::new(None, 0);
        // What the operand slot follows, for "expected ... after X" messages.
        let mut after: Option<&'static str> = None;
        loop {
            // --- operand position
            self.cur.skip_blanks();
            frame.slot_start = Some(self.cur.pos());
            if self.parse_nots(&mut frame)? {
                after = Some("not");
            }
            if self.cur.peek() == Some('(') {
                let cost = 1 + usize::from(frame.not_at.is_some());
                if self.depth + cost > self.max_depth {
                    return Err(self.err_here(format!(
                        "filter nested too deeply (more than {} levels)",
                        self.max_depth
                    )));
                }
                let open = self.cur.pos();
                self.cur.bump();
                self.cur.skip_blanks();
                stack.push(std::mem::replace(&mut frame, Frame::new(Some(open), cost)));
                self.depth += cost;
                after = Some("(");
                continue;
            }
            let mut operand = self.parse_operand(after)?;
            // --- after an operand: attach it, then look for a connective
            loop {
                let end = self.cur.pos();
                let last_was_bare_value = match &operand {
                    Expr::Check(c) => {
                        matches!(c.op, Operator::Eq | Operator::Ne)
                            && matches!(
                                &c.rhs,
                                Some(Rhs::Value(Value {
                                    style: ValueStyle::Bare,
                                    ..
                                }))
                            )
                    }
                    _ => false,
                };
                frame.push(operand, end);
                self.cur.skip_blanks();
                match self.connective(frame.open.is_some(), last_was_bare_value)? {
                    Connective::And => {
                        after = Some("and");
                        break;
                    }
                    Connective::Or => {
                        frame.close_and_group();
                        after = Some("or");
                        break;
                    }
                    Connective::Close => {
                        let Some(parent) = stack.pop() else {
                            return Err(self.err_here("unmatched ')'"));
                        };
                        self.cur.bump();
                        self.depth = self.depth.saturating_sub(frame.cost);
                        let done = std::mem::replace(&mut frame, parent);
                        operand = done
                            .finish()
                            .ok_or_else(|| self.err_here("expected a check before ')'"))?;
                    }
                    Connective::End => {
                        if let Some(open) = frame.open {
                            return Err(ParseError::new(open.column, "unmatched '(': missing ')'"));
                        }
                        return frame.finish().ok_or_else(|| self.err_here("empty filter"));
                    }
                }
            }
        }
    }

    fn err_here(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.cur.pos().column, msg)
    }

    fn err_at(&self, pos: Pos, msg: impl Into<String>) -> ParseError {
        ParseError::new(pos.column, msg)
    }

    /// Errors for C-style operators at `pos`, if any.
    fn c_style_error(&self) -> Option<ParseError> {
        let rest = self.cur.rest();
        let (tok, instead) = if rest.starts_with("&&") {
            ("&&", "and")
        } else if rest.starts_with("||") {
            ("||", "or")
        } else if rest.starts_with('!') && !rest.starts_with("!=") {
            ("!", "not")
        } else {
            return None;
        };
        Some(self.err_here(format!(
            "'{tok}' is not an operator in filters: use '{instead}'"
        )))
    }

    /// Consumes `not` prefixes (and blanks) before an operand; true if
    /// there was at least one.
    fn parse_nots(&mut self, frame: &mut Frame) -> Result<bool, ParseError> {
        let mut any = false;
        loop {
            self.cur.skip_blanks();
            if self.cur.peek_word() != "not" {
                return Ok(any);
            }
            let at = self.cur.pos();
            let mut probe = self.cur.clone();
            probe.eat_str("not");
            match probe.peek() {
                Some('.') => return Ok(any), // a field name such as `not.x`
                Some(c) if is_blank(c) || c == '(' => {}
                None => {
                    self.cur.reset(probe.pos());
                    return Err(self.err_here(
                        "unexpected end of filter: expected a check or '(' after 'not'",
                    ));
                }
                Some(_) => {
                    return Err(self.err_at(probe.pos(), "expected a blank or '(' after 'not'"))
                }
            }
            self.cur.reset(probe.pos());
            any = true;
            frame.not_at = match frame.not_at {
                Some(_) => None,
                None => Some(at),
            };
        }
    }

    /// Reads what follows an operand: `and`, `or`, `)` or the end.
    fn connective(&mut self, in_parens: bool, bare_value: bool) -> Result<Connective, ParseError> {
        let Some(c) = self.cur.peek() else {
            return Ok(Connective::End);
        };
        if c == ')' {
            return Ok(Connective::Close);
        }
        if let Some(e) = self.c_style_error() {
            return Err(e);
        }
        let word = self.cur.peek_word();
        if word == "and" || word == "or" {
            let kw = if word == "and" { "and" } else { "or" };
            let mut probe = self.cur.clone();
            probe.eat_str(kw);
            match probe.peek() {
                Some(c) if is_blank(c) || c == '(' => {}
                None => {
                    return Err(self.err_at(
                        probe.pos(),
                        format!("unexpected end of filter: expected a check after '{kw}'"),
                    ))
                }
                Some(_) => {
                    return Err(
                        self.err_at(probe.pos(), format!("expected a blank or '(' after '{kw}'"))
                    )
                }
            }
            self.cur.reset(probe.pos());
            return Ok(if kw == "and" {
                Connective::And
            } else {
                Connective::Or
            });
        }
        let lower = word.to_ascii_lowercase();
        if lower == "and" || lower == "or" {
            return Err(self.err_here(format!(
                "unexpected '{word}': keywords are lower-case, use '{lower}'"
            )));
        }
        let close = if in_parens { ", ')'" } else { "" };
        let hint = if bare_value {
            " (quote values that contain blanks)"
        } else {
            ""
        };
        Err(self.err_here(format!(
            "unexpected '{}': expected 'and', 'or'{close} or the end of the filter{hint}",
            snippet(self.cur.rest())
        )))
    }

    /// Parses a check or a bare identifier (the cursor is on a non-blank
    /// that is not `(`).
    fn parse_operand(&mut self, after: Option<&str>) -> Result<Expr, ParseError> {
        let start = self.cur.pos();
        let after_msg = after.map(|a| format!(" after '{a}'")).unwrap_or_default();
        let Some(c) = self.cur.peek() else {
            return Err(self.err_here(format!(
                "unexpected end of filter: expected a check{after_msg}"
            )));
        };
        if let Some(e) = self.c_style_error() {
            return Err(e);
        }
        if c == ')' {
            return Err(self.err_here(format!("expected a check{after_msg}, found ')'")));
        }
        let Some((name, parts)) = self.cur.lex_dotted_name() else {
            return Err(self.err_here(format!(
                "expected a check (field operator value), 'not' or '('{after_msg}, found '{}'",
                snippet(self.cur.rest())
            )));
        };
        if parts >= 2 {
            let field = self.parse_field_rest(name, start)?;
            return self.parse_condition(FieldExpr::Field(field), start);
        }
        // A single identifier: a transformer, a keyword in the wrong place,
        // or a macro reference.
        if self.cur.peek() == Some('(') {
            if let Some(kind) = TransformKind::from_name(name) {
                let lhs = self.parse_transform_chain(kind, start)?;
                return self.parse_condition(lhs, start);
            }
            if name == "val" {
                return Err(self.err_at(
                    start,
                    "val() can only be used on the right-hand side of a check",
                ));
            }
            return Err(self.err_at(
                start,
                format!(
                    "unknown field transformer '{name}' (known: {})",
                    transformer_names()
                ),
            ));
        }
        if self.cur.peek() == Some('.') {
            return Err(self.err_at(start, invalid_field_name(name, self.cur.rest())));
        }
        if name == "and" || name == "or" {
            return Err(self.err_at(
                start,
                format!("expected a check{after_msg}, found '{name}'"),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "and" | "or" | "not") {
            return Err(self.err_at(
                start,
                format!("unexpected '{name}': keywords are lower-case, use '{lower}'"),
            ));
        }
        // `foo = bar`: a field name without a class.
        let mut probe = self.cur.clone();
        probe.skip_blanks();
        let next_word = probe.peek_word();
        if matches!(probe.peek(), Some('=' | '<' | '>'))
            || probe.rest().starts_with("!=")
            || Operator::from_name(next_word).is_some_and(Operator::is_word)
        {
            return Err(self.err_at(
                start,
                format!("'{name}' is not a valid field name (fields look like 'class.name')"),
            ));
        }
        Ok(Expr::Identifier(Identifier {
            name: name.to_string(),
            span: span(start, self.cur.pos()),
        }))
    }

    /// After a field name: optional `[arg]`.
    fn parse_field_rest(&mut self, name: &str, start: Pos) -> Result<FieldRef, ParseError> {
        if self.cur.peek() == Some('.') {
            return Err(self.err_at(start, invalid_field_name(name, self.cur.rest())));
        }
        let mut arg = None;
        if self.cur.peek() == Some('[') {
            let open = self.cur.pos();
            self.cur.bump();
            let arg_start = self.cur.pos();
            let value = if let Some((s, _)) = self.cur.lex_quoted()? {
                s
            } else if let Some(s) = self.cur.lex_field_arg_bare() {
                s.to_string()
            } else if self.cur.at_end() {
                return Err(self.err_at(open, "unmatched '[': missing ']'"));
            } else {
                return Err(self.err_here(format!("expected an argument inside '{name}[...]'")));
            };
            let arg_end = self.cur.pos();
            match self.cur.peek() {
                Some(']') => {
                    self.cur.bump();
                }
                None => return Err(self.err_at(open, "unmatched '[': missing ']'")),
                Some(_) => {
                    return Err(self.err_here(format!(
                        "expected ']' after the argument of '{name}', found '{}'",
                        snippet(self.cur.rest())
                    )))
                }
            }
            arg = Some(FieldArg {
                value,
                span: span(arg_start, arg_end),
            });
        }
        Ok(FieldRef {
            name: name.to_string(),
            arg,
            span: span(start, self.cur.pos()),
        })
    }

    /// After `kind` (at the `(`): `kind(kind2(...(field)...))`.
    fn parse_transform_chain(
        &mut self,
        first: TransformKind,
        start: Pos,
    ) -> Result<FieldExpr, ParseError> {
        let mut kinds = vec![(first, start)];
        self.cur.bump(); // '('
        let field = loop {
            if let Some(&(_, at)) = kinds
                .last()
                .filter(|_| self.depth + kinds.len() > self.max_depth)
            {
                return Err(self.err_at(
                    at,
                    format!(
                        "filter nested too deeply (more than {} levels)",
                        self.max_depth
                    ),
                ));
            }
            self.cur.skip_blanks();
            let at = self.cur.pos();
            let inside = kinds.last().map(|k| k.0.as_str()).unwrap_or("");
            match self.cur.lex_dotted_name() {
                Some((name, 2..)) => break self.parse_field_rest(name, at)?,
                Some((name, _)) if self.cur.peek() == Some('(') => {
                    if let Some(kind) = TransformKind::from_name(name) {
                        self.cur.bump();
                        kinds.push((kind, at));
                    } else if name == "val" {
                        return Err(self.err_at(at, "val() cannot be used inside a transformer"));
                    } else {
                        return Err(self.err_at(
                            at,
                            format!(
                                "unknown field transformer '{name}' (known: {})",
                                transformer_names()
                            ),
                        ));
                    }
                }
                _ => {
                    self.cur.reset(at);
                    let found = if self.cur.at_end() {
                        "the end of the filter".to_string()
                    } else {
                        format!("'{}'", snippet(self.cur.rest()))
                    };
                    return Err(self.err_here(format!(
                        "expected a field or a transformer inside '{inside}(...)', found {found}"
                    )));
                }
            }
        };
        let mut expr = FieldExpr::Field(field);
        while let Some((kind, kstart)) = kinds.pop() {
            self.cur.skip_blanks();
            if self.cur.peek() != Some(')') {
                return Err(self.err_here(format!("expected ')' to close '{}('", kind.as_str())));
            }
            self.cur.bump();
            expr = FieldExpr::Transform(Transform {
                kind,
                arg: Box::new(expr),
                span: span(kstart, self.cur.pos()),
            });
        }
        Ok(expr)
    }

    /// Operator and right-hand side.
    fn parse_condition(&mut self, lhs: FieldExpr, start: Pos) -> Result<Expr, ParseError> {
        self.cur.skip_blanks();
        let op_start = self.cur.pos();
        let lhs_text = lhs.to_string();
        let op = self.lex_operator(&lhs_text)?;
        let op_span = span(op_start, self.cur.pos());
        let rhs = match op.kind() {
            OperatorKind::Unary => None,
            OperatorKind::Numeric => Some(self.parse_num_rhs(op)?),
            OperatorKind::String => Some(self.parse_str_rhs(op)?),
            OperatorKind::List => Some(self.parse_list_rhs(op)?),
        };
        Ok(Expr::Check(Box::new(Check {
            lhs,
            op,
            op_span,
            rhs,
            span: span(start, self.cur.pos()),
        })))
    }

    fn lex_operator(&mut self, lhs: &str) -> Result<Operator, ParseError> {
        let rest = self.cur.rest();
        let sym = ["<=", ">=", "==", "!=", "<", ">", "="]
            .into_iter()
            .find(|s| rest.starts_with(s));
        if let Some(s) = sym {
            self.cur.eat_str(s);
            return Operator::from_name(s).ok_or_else(|| self.err_here("internal: bad operator"));
        }
        let Some(c) = self.cur.peek() else {
            return Err(self.err_here(format!(
                "unexpected end of filter: expected an operator after '{lhs}'"
            )));
        };
        if c == '!' {
            return Err(self.err_here(
                "'!' is not an operator in filters: use '!=' for inequality, \
                 or 'not' before the check",
            ));
        }
        let word = self.cur.peek_word();
        if word.is_empty() {
            return Err(self.err_here(format!(
                "expected an operator after '{lhs}', found '{}'",
                snippet(rest)
            )));
        }
        let op = match Operator::from_name(word) {
            Some(op) if op.is_word() => op,
            _ if word == "and" || word == "or" => {
                return Err(self.err_here(format!(
                    "expected an operator after '{lhs}', found '{word}' \
                     (a field alone is not a check: use '{lhs} exists')"
                )))
            }
            _ => {
                let known: Vec<&str> = Operator::ALL.iter().map(|o| o.as_str()).collect();
                return Err(self.err_here(format!(
                    "unknown operator '{word}' (expected one of: {})",
                    known.join(" ")
                )));
            }
        };
        self.cur.eat_str(word);
        if op.kind() == OperatorKind::String {
            match self.cur.peek() {
                Some(c) if is_blank(c) => {}
                None => {
                    return Err(self.err_here(format!("expected a value after '{op}'")));
                }
                Some(_) => {
                    return Err(self.err_here(format!("expected a blank after '{op}'")));
                }
            }
        }
        Ok(op)
    }

    /// `val(field)` or `transformer(...)` on the right-hand side, if present.
    fn try_rhs_field(&mut self) -> Result<Option<Rhs>, ParseError> {
        let start = self.cur.pos();
        let Some((name, 1)) = self.cur.lex_dotted_name() else {
            self.cur.reset(start);
            return Ok(None);
        };
        if self.cur.peek() != Some('(') {
            self.cur.reset(start);
            return Ok(None);
        }
        if name == "val" {
            self.cur.bump();
            self.cur.skip_blanks();
            let at = self.cur.pos();
            let field = match self.cur.lex_dotted_name() {
                Some((fname, 2..)) => self.parse_field_rest(fname, at)?,
                _ => {
                    self.cur.reset(at);
                    return Err(self.err_here("expected a field inside 'val(...)'"));
                }
            };
            self.cur.skip_blanks();
            if self.cur.peek() != Some(')') {
                return Err(self.err_here("expected ')' to close 'val('"));
            }
            self.cur.bump();
            return Ok(Some(Rhs::Field {
                expr: FieldExpr::Field(field),
                span: span(start, self.cur.pos()),
            }));
        }
        if let Some(kind) = TransformKind::from_name(name) {
            let expr = self.parse_transform_chain(kind, start)?;
            return Ok(Some(Rhs::Field {
                expr,
                span: span(start, self.cur.pos()),
            }));
        }
        Err(self.err_at(
            start,
            format!(
                "unknown field transformer '{name}' (known: {}); quote the value if it is a string",
                transformer_names()
            ),
        ))
    }

    /// The value after `<`, `<=`, `>` or `>=`: a number for a numeric
    /// field, any value for a text field (compared as `strcmp` does), as
    /// sysdig 0.29.3 takes them, quoted or not. (Which one is the compiler's
    /// to say: it knows the field's type.)
    fn parse_num_rhs(&mut self, op: Operator) -> Result<Rhs, ParseError> {
        self.cur.skip_blanks();
        if let Some(r) = self.try_rhs_field()? {
            return Ok(r);
        }
        match self.lex_value()? {
            Some(v) => Ok(Rhs::Value(v)),
            None => Err(self.err_here(format!("expected a number after '{op}'"))),
        }
    }

    fn lex_value(&mut self) -> Result<Option<Value>, ParseError> {
        let start = self.cur.pos();
        if let Some((text, q)) = self.cur.lex_quoted()? {
            let style = match q {
                Quote::Single => ValueStyle::SingleQuoted,
                Quote::Double => ValueStyle::DoubleQuoted,
            };
            return Ok(Some(Value {
                text,
                style,
                span: span(start, self.cur.pos()),
            }));
        }
        Ok(self.cur.lex_bare().map(|w| Value {
            text: w.to_string(),
            style: ValueStyle::Bare,
            span: span(start, self.cur.pos()),
        }))
    }

    fn parse_str_rhs(&mut self, op: Operator) -> Result<Rhs, ParseError> {
        self.cur.skip_blanks();
        if let Some(r) = self.try_rhs_field()? {
            return Ok(r);
        }
        match self.lex_value()? {
            Some(v) => Ok(Rhs::Value(v)),
            None => Err(self.err_here(format!("expected a value after '{op}'"))),
        }
    }

    fn parse_list_rhs(&mut self, op: Operator) -> Result<Rhs, ParseError> {
        self.cur.skip_blanks();
        if self.cur.peek() == Some('(') {
            return self.parse_list().map(Rhs::List);
        }
        if let Some(r) = self.try_rhs_field()? {
            return Ok(r);
        }
        let start = self.cur.pos();
        match self.cur.lex_dotted_name() {
            Some((name, 1)) => Ok(Rhs::ListRef(Identifier {
                name: name.to_string(),
                span: span(start, self.cur.pos()),
            })),
            Some((name, _)) => Err(self.err_at(
                start,
                format!(
                    "expected a list after '{op}', found the field '{name}' \
                     (write val({name}) to compare with a field)"
                ),
            )),
            None => Err(self.err_here(format!(
                "expected a list after '{op}', like ({op_example})",
                op_example = "a, b"
            ))),
        }
    }

    /// `( item, ... )`, at the `(`.
    fn parse_list(&mut self) -> Result<List, ParseError> {
        let open = self.cur.pos();
        self.cur.bump();
        let mut items = Vec::new();
        self.cur.skip_blanks();
        if self.cur.peek() == Some(')') {
            self.cur.bump();
            return Ok(List {
                items,
                span: span(open, self.cur.pos()),
            });
        }
        loop {
            self.cur.skip_blanks();
            match self.lex_value()? {
                Some(v) => items.push(v),
                None => {
                    return Err(match self.cur.peek() {
                        None => self.err_at(open, "unmatched '(': the list is missing ')'"),
                        Some(',') => self.err_here("empty list item"),
                        Some(')') => self.err_here("expected a list item after ','"),
                        Some(_) => self.err_here(format!(
                            "expected a list item, found '{}'",
                            snippet(self.cur.rest())
                        )),
                    })
                }
            }
            self.cur.skip_blanks();
            match self.cur.peek() {
                Some(',') => {
                    self.cur.bump();
                }
                Some(')') => {
                    self.cur.bump();
                    return Ok(List {
                        items,
                        span: span(open, self.cur.pos()),
                    });
                }
                None => return Err(self.err_at(open, "unmatched '(': the list is missing ')'")),
                Some(_) => {
                    return Err(self.err_here(format!(
                        "expected ',' or ')' in the list, found '{}'",
                        snippet(self.cur.rest())
                    )))
                }
            }
        }
    }
}

fn invalid_field_name(name: &str, rest: &str) -> String {
    format!(
        "invalid field name '{name}{}': each dot-separated part must start with a letter",
        snippet(rest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        match parse(s) {
            Ok(e) => e,
            Err(e) => panic!("{}", e.render(s)),
        }
    }

    fn e(s: &str) -> ParseError {
        match parse(s) {
            Ok(x) => panic!("{s:?} parsed as {x}"),
            Err(e) => e,
        }
    }

    #[test]
    fn spans_of_boolean_nodes() {
        let src = "not a.b=1 and (c.d=2 or e.f exists)";
        let x = p(src);
        let Expr::And { children, span } = &x else {
            panic!("{x:?}")
        };
        assert_eq!(span.text(src), src);
        assert_eq!(children[0].span().text(src), "not a.b=1");
        assert_eq!(children[0].span().column, 1);
        assert_eq!(children[1].span().text(src), "c.d=2 or e.f exists");
        assert_eq!(children[1].span().column, 16);
        let Expr::Not { child, .. } = &children[0] else {
            panic!()
        };
        assert_eq!(child.span().text(src), "a.b=1");
        assert_eq!(child.span().column, 5);
    }

    #[test]
    fn not_before_parenthesis_spans_the_group() {
        let src = "not (a.b=1 or c.d=2)";
        let x = p(src);
        assert!(matches!(&x, Expr::Not { child, .. } if matches!(**child, Expr::Or { .. })));
        assert_eq!(x.span().text(src), src);
        let src = "(a.b=1 or c.d=2) and not (e.f=3)";
        let x = p(src);
        assert_eq!(x.span().text(src), src);
        let Expr::And { children, .. } = &x else {
            panic!()
        };
        assert_eq!(children[0].span().text(src), "a.b=1 or c.d=2");
        assert_eq!(children[1].span().text(src), "not (e.f=3)");
    }

    #[test]
    fn columns_count_chars_not_bytes() {
        let err = e("proc.name=ünï dog");
        assert_eq!(err.column, 15);
        let src = "proc.name='€' and x.y=1";
        let x = p(src);
        let mut cols = Vec::new();
        x.for_each_check(|c| cols.push(c.span.column));
        assert_eq!(cols, [1, 19]);
    }

    #[test]
    fn error_context_mentions_previous_token() {
        assert_eq!(
            e("a.b=1 and not )").msg,
            "expected a check after 'not', found ')'"
        );
        assert_eq!(
            e("(").msg,
            "unexpected end of filter: expected a check after '('"
        );
        assert_eq!(
            e("a.b=1 or").msg,
            "unexpected end of filter: expected a check after 'or'"
        );
    }

    #[test]
    fn transformer_depth_error_points_at_the_transformer() {
        let src = "tolower(tolower(tolower(a.b))) = x";
        let err = Parser::new(src).max_depth(2).parse().err();
        assert_eq!(err.map(|e| e.column), Some(17));
        assert!(Parser::new(src).max_depth(3).parse().is_ok());
    }

    #[test]
    fn error_display_format() {
        let err = ParseError::new(11, "expected a value after '='");
        assert_eq!(
            err.to_string(),
            "filter: expected a value after '=' at column 11"
        );
        assert_eq!(err.caret("proc.name="), "proc.name=\n          ^");
    }

    #[test]
    fn group_builds_nary_nodes() {
        assert!(group(Vec::new(), true, None, None).is_none());
        let one = p("a.b=1");
        assert_eq!(
            group(vec![one.clone()], true, None, None),
            Some(one.clone())
        );
        let two = group(vec![one.clone(), one.clone()], false, None, None);
        assert!(matches!(two, Some(Expr::Or { children, .. }) if children.len() == 2));
    }
}
