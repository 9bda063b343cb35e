//! The tokenizer: turns expression text into operators, names, variables, literals and
//! regex literals, following the reference implementation's rules (comments, backtick
//! names, string escapes, JSON number syntax).

use crate::error::{JsonataError, Result};

/// One token with its end position (as the reference implementation reports positions).
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An operator or punctuation, e.g. `.`, `:=`, `and`.
    Op(&'static str),
    /// A field name (plain or backtick-quoted).
    Name(String),
    /// A `$variable` (without the `$`).
    Var(String),
    /// A string literal.
    Str(String),
    /// A number literal.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A regex literal: pattern and flags.
    Regex(String, String),
    /// End of input.
    End,
}

const OPERATORS: &[&str] = &[
    "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??", ".", "[", "]", "{", "}", "(", ")", ",",
    "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "&", "!", "~",
];

/// The tokenizer state.
pub struct Lexer<'a> {
    src: &'a [char],
    /// Current position (character index).
    pub pos: usize,
}

fn is_op_char(c: char) -> bool {
    matches!(
        c,
        '.' | '['
            | ']'
            | '{'
            | '}'
            | '('
            | ')'
            | ','
            | '@'
            | '#'
            | ';'
            | ':'
            | '?'
            | '+'
            | '-'
            | '*'
            | '/'
            | '%'
            | '|'
            | '='
            | '<'
            | '>'
            | '^'
            | '&'
            | '!'
            | '~'
    )
}

impl<'a> Lexer<'a> {
    /// A tokenizer over the expression's characters.
    pub fn new(src: &'a [char]) -> Self {
        Lexer { src, pos: 0 }
    }

    fn peek(&self, off: usize) -> Option<char> {
        self.src.get(self.pos + off).copied()
    }

    /// The next token; `prefix` is true when an operand is expected (so `/` starts a regex).
    pub fn next(&mut self, prefix: bool) -> Result<Tok> {
        loop {
            while self.peek(0).is_some_and(|c| c.is_whitespace()) {
                self.pos += 1;
            }
            if self.peek(0) == Some('/') && self.peek(1) == Some('*') {
                let start = self.pos;
                self.pos += 2;
                loop {
                    match self.peek(0) {
                        None => {
                            return Err(JsonataError::new(
                                "S0106",
                                start,
                                "Comment has no closing tag",
                            ));
                        }
                        Some('*') if self.peek(1) == Some('/') => {
                            self.pos += 2;
                            break;
                        }
                        _ => self.pos += 1,
                    }
                }
                continue;
            }
            break;
        }
        let Some(c) = self.peek(0) else {
            return Ok(Tok::End);
        };
        if prefix && c == '/' {
            return self.regex();
        }
        for op in OPERATORS {
            let chars: Vec<char> = op.chars().collect();
            if chars
                .iter()
                .enumerate()
                .all(|(i, ch)| self.peek(i) == Some(*ch))
            {
                // `..` must not swallow the first dot of a number like `1..5`; operators are fine.
                self.pos += chars.len();
                return Ok(Tok::Op(op));
            }
        }
        if c == '"' || c == '\'' {
            return self.string(c);
        }
        if c.is_ascii_digit() {
            return self.number();
        }
        if c == '`' {
            let start = self.pos;
            self.pos += 1;
            let mut name = String::new();
            loop {
                match self.peek(0) {
                    None => {
                        return Err(JsonataError::new(
                            "S0105",
                            start,
                            "Quoted property name must be terminated with a backquote (`)",
                        ));
                    }
                    Some('`') => {
                        self.pos += 1;
                        return Ok(Tok::Name(name));
                    }
                    Some(ch) => {
                        name.push(ch);
                        self.pos += 1;
                    }
                }
            }
        }
        let mut name = String::new();
        while let Some(ch) = self.peek(0) {
            if ch.is_whitespace() || is_op_char(ch) || ch == '"' || ch == '\'' {
                break;
            }
            name.push(ch);
            self.pos += 1;
        }
        if let Some(v) = name.strip_prefix('$') {
            return Ok(Tok::Var(v.to_string()));
        }
        Ok(match name.as_str() {
            "and" => Tok::Op("and"),
            "or" => Tok::Op("or"),
            "in" => Tok::Op("in"),
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "null" => Tok::Null,
            _ => Tok::Name(name),
        })
    }

    fn regex(&mut self) -> Result<Tok> {
        let start = self.pos;
        self.pos += 1;
        let mut pattern = String::new();
        let mut depth = 0i32;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(JsonataError::new(
                    "S0302",
                    start,
                    "No terminating / in regular expression",
                ));
            };
            if c == '/' && depth == 0 {
                break;
            }
            if c == '\\' {
                pattern.push(c);
                self.pos += 1;
                if let Some(n) = self.peek(0) {
                    pattern.push(n);
                    self.pos += 1;
                }
                continue;
            }
            if c == '[' {
                depth += 1;
            } else if c == ']' && depth > 0 {
                depth -= 1;
            }
            pattern.push(c);
            self.pos += 1;
        }
        self.pos += 1;
        if pattern.is_empty() {
            return Err(JsonataError::new(
                "S0301",
                start,
                "Empty regular expressions are not allowed",
            ));
        }
        let mut flags = String::new();
        while let Some(c) = self.peek(0) {
            if c.is_ascii_lowercase() {
                flags.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(Tok::Regex(pattern, flags))
    }

    fn string(&mut self, quote: char) -> Result<Tok> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(JsonataError::new(
                    "S0101",
                    start,
                    "String literal must be terminated by a matching quote",
                ));
            };
            self.pos += 1;
            if c == quote {
                return Ok(Tok::Str(s));
            }
            if c != '\\' {
                s.push(c);
                continue;
            }
            let Some(e) = self.peek(0) else {
                return Err(JsonataError::new(
                    "S0101",
                    start,
                    "String literal must be terminated by a matching quote",
                ));
            };
            self.pos += 1;
            match e {
                '"' | '\\' | '/' | '\'' => s.push(e),
                'b' => s.push('\u{8}'),
                'f' => s.push('\u{c}'),
                'n' => s.push('\n'),
                'r' => s.push('\r'),
                't' => s.push('\t'),
                'u' => {
                    let hi = self.hex4()?;
                    if (0xD800..0xDC00).contains(&hi)
                        && self.peek(0) == Some('\\')
                        && self.peek(1) == Some('u')
                    {
                        self.pos += 2;
                        let lo = self.hex4()?;
                        let cp =
                            0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                        s.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    } else {
                        s.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                    }
                }
                other => {
                    return Err(JsonataError::new(
                        "S0103",
                        self.pos,
                        format!("Unsupported escape sequence: \\{other}"),
                    )
                    .with_token(other.to_string()));
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits: String = (0..4).filter_map(|i| self.peek(i)).collect();
        if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            self.pos += 4;
            Ok(u32::from_str_radix(&digits, 16).unwrap_or(0xFFFD))
        } else {
            Err(JsonataError::new(
                "S0104",
                self.pos,
                "The escape sequence \\u must be followed by 4 hex digits",
            ))
        }
    }

    fn number(&mut self) -> Result<Tok> {
        let start = self.pos;
        let mut end = self.pos;
        let at = |i: usize| self.src.get(i).copied();
        if at(end) == Some('0') {
            end += 1;
        } else {
            while at(end).is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
            }
        }
        if at(end) == Some('.') && at(end + 1).is_some_and(|c| c.is_ascii_digit()) {
            end += 1;
            while at(end).is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
            }
        }
        if matches!(at(end), Some('e') | Some('E')) {
            let mut e = end + 1;
            if matches!(at(e), Some('+') | Some('-')) {
                e += 1;
            }
            if at(e).is_some_and(|c| c.is_ascii_digit()) {
                while at(e).is_some_and(|c| c.is_ascii_digit()) {
                    e += 1;
                }
                end = e;
            }
        }
        let text: String = self.src[start..end].iter().collect();
        let n: f64 = text.parse().unwrap_or(f64::NAN);
        if !n.is_finite() {
            return Err(
                JsonataError::new("S0102", start, format!("Number out of range: {text}"))
                    .with_token(text),
            );
        }
        self.pos = end;
        Ok(Tok::Num(n))
    }
}
