//! The lexer, written with nom combinators over `&str`; the first byte of a token chooses the
//! combinator that reads it.
//!
//! Lexing never fails: a character that starts no token becomes an `Unknown` token and a
//! diagnostic. Comments and line breaks are tokens too, because the parser keeps comments
//! for the formatter and uses line breaks to recover from errors.

use hostplan_diagnostics::{codes, Diagnostic, FileId, Label, Span, TextRange};
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser};

use crate::ast::Unit;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    Ident,
    /// A string literal with its escapes resolved.
    Str(String),
    /// A plain number; `text` of the token keeps the digits as written.
    Number(f64),
    /// A number with a unit; `None` when the unit is unknown (already diagnosed).
    Quantity(f64, Option<Unit>),
    Money(f64),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Eq,
    Comma,
    Dot,
    Comment,
    Newline,
    Unknown,
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub range: TextRange,
}

/// Splits `text` into tokens. Whitespace other than line breaks is dropped.
pub fn lex(file: FileId, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    // About one token for every six bytes of a typical plan.
    let mut tokens = Vec::with_capacity(text.len() / 6);
    let mut diagnostics = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let blanks = rest
            .bytes()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r'))
            .unwrap_or(rest.len());
        if blanks > 0 {
            rest = rest.get(blanks..).unwrap_or("");
            continue;
        }
        let offset = (text.len() - rest.len()) as u32;
        let span = |len: usize| Span::new(file, TextRange::new(offset, offset + len as u32));
        let (kind, len) = match lex_token(rest) {
            Ok((remaining, kind)) => (kind, rest.len() - remaining.len()),
            Err(_) => {
                let len = rest.chars().next().map(char::len_utf8).unwrap_or(1);
                diagnostics.push(
                    Diagnostic::error(
                        &codes::E0004,
                        "unexpected character",
                        Label::new(span(len), "not part of any token"),
                    )
                    .with_value(rest.get(..len).unwrap_or("").to_string())
                    .with_help("remove it, or put it inside a string or after `#`"),
                );
                (Raw::Kind(TokenKind::Unknown), len)
            }
        };
        let token_text = rest.get(..len).unwrap_or("");
        let kind = match kind {
            Raw::Kind(kind) => kind,
            Raw::Str => lex_string_body(token_text, span(len), &mut diagnostics),
            Raw::Number => {
                let (number, unit_text) = split_number(token_text);
                let value = parse_number(number);
                match unit_text {
                    "" => TokenKind::Number(value),
                    unit_text => {
                        let unit = Unit::from_suffix(unit_text);
                        if unit.is_none() {
                            let unit_start = offset + number.len() as u32;
                            diagnostics.push(
                                Diagnostic::error(
                                    &codes::E0005,
                                    format!("unknown unit `{unit_text}`"),
                                    Label::new(
                                        Span::new(
                                            file,
                                            TextRange::new(unit_start, offset + len as u32),
                                        ),
                                        "not a unit",
                                    ),
                                )
                                .with_value(token_text.to_string())
                                .with_help(unit_help(unit_text)),
                            );
                        }
                        TokenKind::Quantity(value, unit)
                    }
                }
            }
            Raw::Money => TokenKind::Money(parse_number(token_text.get(1..).unwrap_or(""))),
        };
        tokens.push(Token {
            kind,
            range: span(len).range,
        });
        rest = rest.get(len..).unwrap_or("");
    }
    (tokens, diagnostics)
}

enum Raw {
    Kind(TokenKind),
    Str,
    Number,
    Money,
}

/// One token at the start of `input`. Every kind of token starts with characters no other
/// kind starts with, so the first byte chooses the one parser to try instead of trying each in
/// turn.
fn lex_token(input: &str) -> IResult<&str, Raw> {
    match input.as_bytes().first() {
        Some(b'#') => {
            // A comment runs to the end of the line. Comments and strings are short, so plain
            // loops find their ends: the `memchr` crate's first call would also detect the
            // processor's features, a dozen `cpuid` instructions that each exit to the
            // hypervisor on a virtual machine, on the thread that lexes the plan first; the
            // command line has an idle thread do that instead.
            let len = input
                .bytes()
                .position(|byte| byte == b'\n')
                .unwrap_or(input.len());
            Ok((
                input.get(len..).unwrap_or(""),
                Raw::Kind(TokenKind::Comment),
            ))
        }
        Some(b'\n') => Ok((input.get(1..).unwrap_or(""), Raw::Kind(TokenKind::Newline))),
        Some(byte) if byte.is_ascii_alphabetic() || *byte == b'_' => {
            // An identifier is ASCII, so it ends at the first byte that cannot continue it.
            let len = input
                .bytes()
                .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
                .unwrap_or(input.len());
            Ok((input.get(len..).unwrap_or(""), Raw::Kind(TokenKind::Ident)))
        }
        Some(byte) if byte.is_ascii_digit() => number_with_suffix.map(|_| Raw::Number).parse(input),
        Some(b'$') => recognize(pair(char('$'), number))
            .map(|_| Raw::Money)
            .parse(input),
        Some(b'"') => string.map(|_| Raw::Str).parse(input),
        _ => punct(input).map(|(rest, kind)| (rest, Raw::Kind(kind))),
    }
}

fn number(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        pair(
            satisfy(|c| c.is_ascii_digit()),
            take_while(|c: char| c.is_ascii_digit() || c == '_'),
        ),
        opt(pair(
            char('.'),
            take_while1(|c: char| c.is_ascii_digit() || c == '_'),
        )),
    ))
    .parse(input)
}

fn number_with_suffix(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        number,
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '%' || c == '_'),
    ))
    .parse(input)
}

/// A string up to its closing quote, or up to the end of the line when it is not closed;
/// the body is checked afterwards so that an unterminated string is one token.
fn string(input: &str) -> IResult<&str, &str> {
    let (after_quote, _) = char('"').parse(input)?;
    let bytes = after_quote.as_bytes();
    let mut idx = 0;
    // Only three bytes matter inside a string (see `lex_token` on why this is a plain loop).
    loop {
        let rest = bytes.get(idx..).unwrap_or(&[]);
        let Some(found) = rest
            .iter()
            .position(|byte| matches!(byte, b'"' | b'\\' | b'\n'))
        else {
            // Unterminated: the string runs to the end of the text.
            idx = bytes.len();
            break;
        };
        idx += found;
        match bytes.get(idx) {
            Some(b'\\') if bytes.get(idx + 1) == Some(&b'\n') => {
                idx += 1;
                break;
            }
            Some(b'\\') => idx += 2,
            Some(b'"') => {
                let len = 1 + idx + 1;
                return Ok((
                    input.get(len..).unwrap_or(""),
                    input.get(..len).unwrap_or(input),
                ));
            }
            // A line break: the string is not closed on its line.
            _ => break,
        }
    }
    let len = (1 + idx).min(input.len());
    Ok((
        input.get(len..).unwrap_or(""),
        input.get(..len).unwrap_or(input),
    ))
}

/// A one-byte punctuation token, chosen by the byte itself (these are the most frequent
/// tokens after identifiers, so they skip the combinators).
fn punct(input: &str) -> IResult<&str, TokenKind> {
    let kind = match input.as_bytes().first() {
        Some(b'{') => TokenKind::LBrace,
        Some(b'}') => TokenKind::RBrace,
        Some(b'[') => TokenKind::LBracket,
        Some(b']') => TokenKind::RBracket,
        Some(b'(') => TokenKind::LParen,
        Some(b')') => TokenKind::RParen,
        Some(b'=') => TokenKind::Eq,
        Some(b',') => TokenKind::Comma,
        Some(b'.') => TokenKind::Dot,
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Tag,
            )))
        }
    };
    Ok((input.get(1..).unwrap_or(""), kind))
}

fn split_number(text: &str) -> (&str, &str) {
    let number_len = number(text)
        .map(|(rest, _)| text.len() - rest.len())
        .unwrap_or(text.len());
    (
        text.get(..number_len).unwrap_or(text),
        text.get(number_len..).unwrap_or(""),
    )
}

fn parse_number(text: &str) -> f64 {
    if !text.contains('_') {
        return text.parse::<f64>().unwrap_or(0.0);
    }
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    cleaned.parse::<f64>().unwrap_or(0.0)
}

fn unit_help(unit: &str) -> String {
    let suggestion = match unit.to_ascii_lowercase().as_str() {
        "sec" | "secs" | "second" | "seconds" => Some("s"),
        "min" | "mins" | "minute" | "minutes" => Some("m"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "day" | "days" => Some("d"),
        "week" | "weeks" => Some("w"),
        "yr" | "yrs" | "year" | "years" => Some("y"),
        "g" | "gb" | "gig" => Some("GiB"),
        "m" | "mb" => Some("MiB"),
        "t" | "tb" => Some("TiB"),
        "percent" | "pct" => Some("%"),
        _ => None,
    };
    match suggestion {
        Some(it) => {
            format!("did you mean `{it}`? units: s m h d w y, B KB MB GB TB KiB MiB GiB TiB, %")
        }
        None => {
            "units: s m h d w y (durations), B KB MB GB TB KiB MiB GiB TiB (sizes), % (percentages)"
                .to_string()
        }
    }
}

/// Resolves the escapes of a string token and reports the bad ones.
fn lex_string_body(token_text: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> TokenKind {
    let terminated =
        token_text.len() >= 2 && token_text.ends_with('"') && !ends_with_escaped_quote(token_text);
    if !terminated {
        diagnostics.push(
            Diagnostic::error(
                &codes::E0002,
                "unterminated string",
                Label::new(span, "this string is not closed"),
            )
            .with_help("add the closing `\"` on the same line"),
        );
    }
    let body_end = if terminated {
        token_text.len() - 1
    } else {
        token_text.len()
    };
    let body = token_text.get(1..body_end).unwrap_or("");
    if !body.contains('\\') {
        // Most strings have no escapes: their value is their text.
        return TokenKind::Str(body.to_string());
    }
    let mut value = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((idx, ch)) = chars.next() {
        if ch != '\\' {
            value.push(ch);
            continue;
        }
        let escape_start = span.range.start + 1 + idx as u32;
        let resolved = match chars.next() {
            Some((_, '"')) => Some('"'),
            Some((_, '\\')) => Some('\\'),
            Some((_, 'n')) => Some('\n'),
            Some((_, 'r')) => Some('\r'),
            Some((_, 't')) => Some('\t'),
            Some((_, 'u')) => {
                let mut hex = String::new();
                let mut closed = false;
                if chars.peek().map(|(_, c)| *c) == Some('{') {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        hex.push(c);
                    }
                }
                if closed {
                    u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                } else {
                    None
                }
            }
            _ => None,
        };
        match resolved {
            Some(ch) => value.push(ch),
            None => {
                let escape_end = chars
                    .peek()
                    .map(|(next, _)| span.range.start + 1 + *next as u32)
                    .unwrap_or(span.range.start + 1 + body.len() as u32);
                let escape_span = Span::new(
                    span.file,
                    TextRange::new(escape_start, escape_end.max(escape_start + 1)),
                );
                diagnostics.push(
                    Diagnostic::error(
                        &codes::E0003,
                        "invalid escape sequence",
                        Label::new(escape_span, "unknown escape"),
                    )
                    .with_help(
                        "escapes are \\\" \\\\ \\n \\r \\t and \\u{HEX}; write a backslash as \\\\",
                    ),
                );
            }
        }
    }
    TokenKind::Str(value)
}

fn ends_with_escaped_quote(text: &str) -> bool {
    // A closing quote preceded by an odd number of backslashes is escaped.
    let body = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
    let trailing = body.chars().rev().take_while(|c| *c == '\\').count();
    trailing % 2 == 1
}
