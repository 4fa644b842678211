//! Lexing primitives for the filter language.
//!
//! The sysdig/Falco filter language is context sensitive at the token level
//! (what a "value" is depends on the operator in front of it: after `<` it
//! must be a number, after `=` any bare word, inside `[...]` a field
//! argument...), exactly like libsinsp's parser, which lexes on demand with
//! a different regular expression per context. So instead of a token stream
//! this module provides a [`Cursor`] with one `lex_*` method per token class;
//! the parser decides which one to call.
//!
//! Token classes (following `userspace/libsinsp/filter/parser.h`):
//!
//! | class            | shape                                                    |
//! |------------------|----------------------------------------------------------|
//! | identifier       | `[a-zA-Z][a-zA-Z0-9_]*`                                  |
//! | field name       | two or more identifiers joined by `.`                    |
//! | field arg (bare) | one or more chars other than blanks, `[`, `]`, `"`, `'`  |
//! | bare string      | one or more chars other than blanks, `(`, `)`, `,`, `=`, `"`, `'` |
//! | number           | `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?` or `0[xX][0-9a-fA-F]+` |
//! | quoted string    | `"…"` or `'…'` with backslash escapes (see [`Cursor::lex_quoted`]) |
//!
//! Blanks are space, tab, CR, LF, form feed, vertical tab and backspace
//! (libsinsp skips `\b` as a blank too).

use super::parser::ParseError;

/// True for the characters the filter language treats as blanks.
pub fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x08')
}

/// True if `c` may appear in a bare (unquoted) value.
pub fn is_bare_char(c: char) -> bool {
    !is_blank(c) && !matches!(c, '(' | ')' | ',' | '=' | '"' | '\'')
}

/// True if `c` may appear in a bare (unquoted) field argument (`[...]`).
pub fn is_field_arg_bare_char(c: char) -> bool {
    !is_blank(c) && !matches!(c, '[' | ']' | '"' | '\'')
}

/// True if `s` can be written as a bare value and read back unchanged.
pub fn is_bare_value(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_bare_char)
}

/// True if `s` can be written as a bare field argument and read back unchanged.
pub fn is_bare_field_arg(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_field_arg_bare_char)
}

/// True if `s` is a decimal number as libsinsp's `NumValue` defines it:
/// `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?` (note: the exponent sign is
/// mandatory), or a hex number `0[xX][0-9a-fA-F]+`.
pub fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        return b[2..].iter().all(u8::is_ascii_hexdigit);
    }
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == int_start {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        } else {
            return false;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// True if `s` is an identifier: `[a-zA-Z][a-zA-Z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True if `s` is a field name: two or more identifiers joined by `.`.
pub fn is_field_name(s: &str) -> bool {
    let mut n = 0;
    for part in s.split('.') {
        if !is_identifier(part) {
            return false;
        }
        n += 1;
    }
    n >= 2
}

/// Quote character of a quoted string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quote {
    /// `'...'`
    Single,
    /// `"..."`
    Double,
}

impl Quote {
    /// The delimiter character.
    pub fn char(self) -> char {
        match self {
            Quote::Single => '\'',
            Quote::Double => '"',
        }
    }
}

/// Writes `s` as a quoted string that [`Cursor::lex_quoted`] reads back as `s`.
pub fn quote(s: &str, q: Quote) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q.char());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' if q == Quote::Double => out.push_str("\\\""),
            '\'' if q == Quote::Single => out.push_str("\\'"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(q.char());
    out
}

/// A lexing position: byte offset into the input plus 1-based char column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// Byte offset.
    pub offset: usize,
    /// 1-based column, counted in chars from the start of the input
    /// (a line break counts as one char; columns do not restart per line).
    pub column: usize,
}

/// A cursor over the filter text with on-demand lexing methods.
///
/// All `lex_*` methods either consume a complete token and return it, or
/// consume nothing and return `None` (or an error for malformed tokens such
/// as an unterminated string).
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    input: &'a str,
    pos: Pos,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `input`.
    pub fn new(input: &'a str) -> Self {
        Cursor {
            input,
            pos: Pos {
                offset: 0,
                column: 1,
            },
        }
    }

    /// The whole input.
    pub fn input(&self) -> &'a str {
        self.input
    }

    /// Current position.
    pub fn pos(&self) -> Pos {
        self.pos
    }

    /// Moves back to a position previously returned by [`Cursor::pos`].
    pub fn reset(&mut self, pos: Pos) {
        self.pos = pos;
    }

    /// The not yet consumed input.
    pub fn rest(&self) -> &'a str {
        self.input.get(self.pos.offset..).unwrap_or("")
    }

    /// True at end of input.
    pub fn at_end(&self) -> bool {
        self.pos.offset >= self.input.len()
    }

    /// Next char, not consumed.
    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The char after the next one, not consumed.
    pub fn peek2(&self) -> Option<char> {
        let mut it = self.rest().chars();
        it.next();
        it.next()
    }

    /// Consumes one char.
    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos.offset += c.len_utf8();
        self.pos.column += 1;
        Some(c)
    }

    /// Consumes chars while `f` holds; returns the consumed text.
    pub fn eat_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos.offset;
        while let Some(c) = self.peek() {
            if !f(c) {
                break;
            }
            self.bump();
        }
        self.input.get(start..self.pos.offset).unwrap_or("")
    }

    /// Consumes `s` if the input continues with it.
    pub fn eat_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            for _ in s.chars() {
                self.bump();
            }
            true
        } else {
            false
        }
    }

    /// Skips blanks; true if at least one was skipped.
    pub fn skip_blanks(&mut self) -> bool {
        !self.eat_while(is_blank).is_empty()
    }

    /// The run of `[a-zA-Z0-9_]` chars at the cursor (not consumed). Used to
    /// read keywords and operator words without consuming them.
    pub fn peek_word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// Lexes an identifier or a dotted field name: identifiers
    /// (`[a-zA-Z][a-zA-Z0-9_]*`) joined by `.`. A `.` is only consumed when
    /// an identifier follows it. Returns the text and the number of
    /// dot-separated parts (1 = identifier, 2+ = field name).
    pub fn lex_dotted_name(&mut self) -> Option<(&'a str, usize)> {
        let start = self.pos.offset;
        if !self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let mut parts = 0;
        loop {
            self.eat_while(|c| c.is_ascii_alphanumeric() || c == '_');
            parts += 1;
            // (A part may start with a digit: `evt.type.is.3`, an event
            // type by number, as sysdig 0.29.3 and csysdig's views take it.)
            if self.peek() == Some('.')
                && self
                    .peek2()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                self.bump();
            } else {
                break;
            }
        }
        Some((self.input.get(start..self.pos.offset).unwrap_or(""), parts))
    }

    /// Lexes a bare value (see [`is_bare_char`]).
    pub fn lex_bare(&mut self) -> Option<&'a str> {
        let s = self.eat_while(is_bare_char);
        (!s.is_empty()).then_some(s)
    }

    /// Lexes a bare field argument (see [`is_field_arg_bare_char`]).
    pub fn lex_field_arg_bare(&mut self) -> Option<&'a str> {
        let s = self.eat_while(is_field_arg_bare_char);
        (!s.is_empty()).then_some(s)
    }

    /// Lexes a quoted string, returning its unescaped contents.
    ///
    /// Escapes (as libsinsp's `unescape_str`, plus `\xHH` from sysdig
    /// 0.29.3): `\b \f \n \r \t \\ \/`, `\"` (only inside `"…"`), `\'`
    /// (only inside `'…'`), `\xHH` (two hex digits, ASCII only: `\x00` to
    /// `\x7f`), and libsinsp's compatibility quirk `\<space>`, which yields
    /// a single backslash. Anything else is an error pointing at the
    /// backslash. An unterminated string is an error pointing at the
    /// opening quote.
    pub fn lex_quoted(&mut self) -> Result<Option<(String, Quote)>, ParseError> {
        let q = match self.peek() {
            Some('"') => Quote::Double,
            Some('\'') => Quote::Single,
            _ => return Ok(None),
        };
        let open = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let esc_pos = self.pos;
            let Some(c) = self.bump() else {
                return Err(ParseError::new(
                    open.column,
                    format!("unterminated string: missing closing {}", q.char()),
                ));
            };
            if c == q.char() {
                return Ok(Some((out, q)));
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.bump() else {
                return Err(ParseError::new(
                    open.column,
                    format!("unterminated string: missing closing {}", q.char()),
                ));
            };
            match e {
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '\\' | ' ' => out.push('\\'),
                '/' => out.push('/'),
                '"' | '\'' if e == q.char() => out.push(e),
                '"' => {
                    return Err(ParseError::new(
                        esc_pos.column,
                        "invalid escape '\\\"' in a '-quoted string (write \" unescaped)",
                    ))
                }
                '\'' => {
                    return Err(ParseError::new(
                        esc_pos.column,
                        "invalid escape '\\'' in a \"-quoted string (write ' unescaped)",
                    ))
                }
                'x' => {
                    let hex: String = self.rest().chars().take(2).collect();
                    let byte = (hex.len() == 2 && hex.chars().all(|c| c.is_ascii_hexdigit()))
                        .then(|| u8::from_str_radix(&hex, 16).ok())
                        .flatten();
                    match byte {
                        Some(b) if b.is_ascii() => {
                            self.bump();
                            self.bump();
                            out.push(char::from(b));
                        }
                        Some(_) => {
                            return Err(ParseError::new(
                                esc_pos.column,
                                format!(
                                    "unsupported escape '\\x{hex}': only ASCII (\\x00 to \\x7f) \
                                     can be escaped; for raw bytes use bcontains/bstartswith \
                                     with a hex string"
                                ),
                            ))
                        }
                        None => {
                            return Err(ParseError::new(
                                esc_pos.column,
                                "invalid escape '\\x': expected two hex digits (\\xHH)",
                            ))
                        }
                    }
                }
                other => {
                    return Err(ParseError::new(
                        esc_pos.column,
                        format!(
                            "unsupported escape sequence '\\{other}' (supported: \\\\ \\\" \\' \
                             \\/ \\b \\f \\n \\r \\t \\xHH)"
                        ),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for ok in [
            "0", "-1", "+3", "12.5", "1.", "1.5e+3", "2E-7", "0x1F", "0XaB", "007",
        ] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in [
            "", "-", "1e6", "1.5e", "abc", "0x", "1.2.3", ".5", "0xZZ", "1e+",
        ] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn dotted_names() {
        let mut c = Cursor::new("proc.name=cat");
        assert_eq!(c.lex_dotted_name(), Some(("proc.name", 2)));
        assert_eq!(c.rest(), "=cat");

        let mut c = Cursor::new("evt.type.is.open ");
        assert_eq!(c.lex_dotted_name(), Some(("evt.type.is.open", 4)));

        let mut c = Cursor::new("evt.type.is.3=1");
        assert_eq!(c.lex_dotted_name(), Some(("evt.type.is.3", 4)));
        assert_eq!(c.rest(), "=1");

        let mut c = Cursor::new("evt.arg.0");
        assert_eq!(c.lex_dotted_name(), Some(("evt.arg.0", 3)));
        assert_eq!(c.rest(), "");

        let mut c = Cursor::new("my_macro and");
        assert_eq!(c.lex_dotted_name(), Some(("my_macro", 1)));

        let mut c = Cursor::new("9abc");
        assert_eq!(c.lex_dotted_name(), None);
        assert_eq!(c.pos().offset, 0);
    }

    #[test]
    fn bare_values() {
        let mut c = Cursor::new("/etc/*.conf) and");
        assert_eq!(c.lex_bare(), Some("/etc/*.conf"));
        let mut c = Cursor::new("10.0.0.0/8,x");
        assert_eq!(c.lex_bare(), Some("10.0.0.0/8"));
        let mut c = Cursor::new("<");
        assert_eq!(c.lex_bare(), Some("<"));
        let mut c = Cursor::new("=x");
        assert_eq!(c.lex_bare(), None);
        let mut c = Cursor::new("ünï/cødé x");
        assert_eq!(c.lex_bare(), Some("ünï/cødé"));
        assert_eq!(c.pos().column, 9);
    }

    fn lq(s: &str) -> Result<Option<(String, Quote)>, ParseError> {
        Cursor::new(s).lex_quoted()
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(lq(r#""a b""#).unwrap(), Some(("a b".into(), Quote::Double)));
        assert_eq!(lq("'a b'").unwrap(), Some(("a b".into(), Quote::Single)));
        assert_eq!(lq(r#""a\"b""#).unwrap().unwrap().0, "a\"b");
        assert_eq!(lq(r"'a\'b'").unwrap().unwrap().0, "a'b");
        assert_eq!(lq(r#""a'b""#).unwrap().unwrap().0, "a'b");
        assert_eq!(lq(r#""\\""#).unwrap().unwrap().0, "\\");
        assert_eq!(
            lq(r#""\x41\x7e\t\n\r\b\f\/""#).unwrap().unwrap().0,
            "A~\t\n\r\x08\x0c/"
        );
        assert_eq!(lq(r#""C:\ ""#).unwrap().unwrap().0, "C:\\");
        assert_eq!(lq("\"\"").unwrap().unwrap().0, "");
        assert_eq!(lq("x").unwrap(), None);
    }

    #[test]
    fn quoted_string_errors() {
        let e = lq(r#""abc"#).unwrap_err();
        assert_eq!(e.column, 1);
        assert!(e.msg.contains("unterminated"), "{e}");
        let e = lq(r#""ab\q""#).unwrap_err();
        assert_eq!(e.column, 4);
        assert!(e.msg.contains("'\\q'"), "{e}");
        let e = lq(r#""ab\x4""#).unwrap_err();
        assert_eq!(e.column, 4);
        let e = lq(r#""\xff""#).unwrap_err();
        assert!(e.msg.contains("ASCII"), "{e}");
        let e = lq(r#"'\"'"#).unwrap_err();
        assert_eq!(e.column, 2);
        let e = lq(r#""\'""#).unwrap_err();
        assert_eq!(e.column, 2);
        let e = lq(r#""abc\"#).unwrap_err();
        assert!(e.msg.contains("unterminated"), "{e}");
    }

    #[test]
    fn quote_round_trips() {
        for s in ["", "a b", "a\"b'c", "\\", "\t\n\r\x08\x0c\x01\x7f", "ü/€"] {
            for q in [Quote::Single, Quote::Double] {
                let quoted = quote(s, q);
                assert_eq!(lq(&quoted).unwrap(), Some((s.to_string(), q)), "{quoted}");
            }
        }
    }
}
