//! The YAML printer.
//!
//! Output is block style with two-space indentation, sequences indented under
//! their key (the layout `kubectl` and yamllint's default expect), maps inside
//! sequences in the compact `- key: value` form, and `{}` / `[]` for empty
//! collections. Nothing depends on hashing or the environment, so the same
//! tree always prints to the same bytes.
//!
//! Quoting is the part that matters most. The files are read by YAML 1.1
//! readers (go-yaml v2 inside `kubectl`, PyYAML inside docker-compose v1) as
//! well as YAML 1.2 readers, and those disagree about plain scalars: `yes`,
//! `on`, `0755`, `22:22` and `2024-01-01` are strings to one and booleans,
//! octal or base-60 numbers or dates to the other. A string is therefore
//! printed plain only when no reader of either version can take it for
//! anything but that string (see [`is_plain_safe`]); everything else is
//! double-quoted with escapes. The rule is deliberately conservative: quoting
//! a string that did not need it costs two characters, while leaving one plain
//! that did can silently change a port mapping or a ConfigMap value.
//!
//! Multi-line strings become literal block scalars (`|`, `|-`, `|+`, with an
//! explicit indentation indicator when the text starts with a space) when
//! that is exact; otherwise they are double-quoted with `\n` escapes.

use std::fmt::Write as _;

use crate::doc::{
    is_nonchar, is_unicode_line_break_or_bom, push_spaces, Comment, Document, Map, Node, Seq,
};

/// Spaces per nesting level.
const INDENT: usize = 2;

/// YAML readers only accept implicit (`key: value`) keys of up to 1024
/// characters; longer keys are written in the explicit `? key` form. The
/// margin keeps the quotes and the colon well inside the limit.
const MAX_IMPLICIT_KEY_CHARS: usize = 1000;

/// Prints one value as a YAML document body (no header, no `---`).
pub fn to_string(node: &Node) -> String {
    let mut out = String::new();
    write_root(&mut out, node);
    out
}

/// Prints a document: its header comment, then its root.
pub fn document(doc: &Document) -> String {
    let mut out = String::new();
    write_comment(&mut out, &doc.header, 0);
    write_root(&mut out, &doc.root);
    out
}

/// Prints a multi-document stream (as Kubernetes manifests are usually
/// shipped): for each document its header comment, a `---` line, then the
/// body. An empty slice prints nothing.
pub fn documents(docs: &[Document]) -> String {
    let mut out = String::new();
    for doc in docs {
        write_comment(&mut out, &doc.header, 0);
        out.push_str("---\n");
        write_root(&mut out, &doc.root);
    }
    out
}

/// True when `s` can be written as a plain (unquoted) scalar and every YAML
/// 1.1 and 1.2 reader will read it back as exactly this string.
///
/// This is the single quoting rule for keys and values; it errs towards
/// quoting.
pub fn is_plain_safe(s: &str) -> bool {
    // Most keys and many values are words: a letter, then letters, digits,
    // `-`, `_`, `.` or `/`. Such a string has no space, indicator, control
    // character or colon, and cannot be a number, date or special float, so
    // only the boolean and null words need quotes.
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    {
        return !is_boolean_or_null_word(s);
    }
    let Some(first) = s.chars().next() else {
        // The empty plain scalar is null.
        return false;
    };
    let last = s.chars().next_back().unwrap_or(first);
    if first.is_whitespace() || last.is_whitespace() {
        // Plain scalars lose surrounding spaces, and Unicode spaces at the
        // edges are a trap for human readers even where YAML keeps them.
        return false;
    }
    let needs_escapes = if s.is_ascii() {
        // The Unicode line breaks, byte-order mark and non-characters are not
        // ASCII, so for ASCII text only the control characters remain.
        s.bytes().any(|b| b.is_ascii_control())
    } else {
        s.chars()
            .any(|c| c.is_control() || is_unicode_line_break_or_bom(c) || is_nonchar(c))
    };
    if needs_escapes {
        // Tabs, line breaks and unprintable characters need escapes.
        return false;
    }
    match first {
        // Indicators that may never start a plain scalar.
        ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' | '?' | ':' => return false,
        // `-x` is a plain scalar, but `-`, `- x` and `---` are not.
        '-' => {
            let second = s.chars().nth(1);
            if second.is_none() || second.is_some_and(char::is_whitespace) || s.starts_with("---") {
                return false;
            }
        }
        _ => {}
    }
    if s.starts_with("...") {
        // A document end marker when it lands at column 0.
        return false;
    }
    // A mapping indicator or a comment inside the scalar. Both are ASCII, and
    // ASCII bytes never occur inside another character's UTF-8 encoding, so
    // looking at byte pairs finds exactly the `: ` and ` #` in the text.
    let indicator = bytes
        .windows(2)
        .any(|pair| matches!(pair, [b':', b' '] | [b' ', b'#']));
    if indicator || s.ends_with(':') {
        return false;
    }
    !may_resolve_to_non_string(s)
}

/// YAML 1.1 booleans (go-yaml v2 also takes `y` and `n`), YAML 1.1/1.2
/// nulls. Matching case-insensitively covers every spelling any reader
/// accepts and a few no reader does, which is harmless.
fn is_boolean_or_null_word(s: &str) -> bool {
    const WORDS: [&str; 10] = [
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
    ];
    s.len() <= 5 && WORDS.iter().any(|word| s.eq_ignore_ascii_case(word))
}

/// True when some YAML 1.1 or 1.2 reader could resolve the plain scalar `s` to
/// a null, boolean, number, date or special key instead of a string.
fn may_resolve_to_non_string(s: &str) -> bool {
    if is_boolean_or_null_word(s) {
        return true;
    }
    // The YAML 1.1 merge key and PyYAML's `value` type.
    if s == "<<" || s == "=" {
        return true;
    }
    // Infinities and NaN in any case, with or without sign.
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    // Numbers in every notation (decimal, `0x`, `0o`, `0b`, leading-zero
    // octal, `1_000`, `.5`, `1e3`), YAML 1.1 base-60 numbers (`22:22`) and
    // dates (`2024-01-01`) all start with a digit or a dot after an optional
    // sign and use only these characters. Quoting everything of that shape
    // also quotes some strings no reader would misread (`1.27.0`), which is
    // harmless.
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let starts_numeric = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    if starts_numeric
        && unsigned
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "xXoObB_.:+-".contains(c))
    {
        return true;
    }
    // YAML 1.1 timestamps also allow `T`, spaces and zone suffixes after the
    // date; they all start with four digits and a dash.
    let bytes = s.as_bytes();
    if bytes.len() >= 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-' {
        return true;
    }
    false
}

/// The double-quoted form of `s`, on one line.
///
/// Only escapes that YAML 1.1 and 1.2 share are used, so every reader decodes
/// the same string.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_double_quoted(&mut out, s);
    out
}

fn push_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    // Runs of characters that need no escape are copied as they are.
    let mut run_start = 0;
    for (index, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            '\0' => "\\0",
            c if c.is_control() || is_unicode_line_break_or_bom(c) || is_nonchar(c) => "",
            _ => continue,
        };
        out.push_str(s.get(run_start..index).unwrap_or(""));
        run_start = index + c.len_utf8();
        if escape.is_empty() {
            // Every such character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(s.get(run_start..).unwrap_or(""));
    out.push('"');
}

/// Appends `s` as a single-line scalar: plain when safe, double-quoted
/// otherwise.
fn push_inline_string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        push_double_quoted(out, s);
    }
}

/// A literal block scalar for `s`: the header (`|`, `|-`, `|+`, maybe with an
/// indentation indicator) and the content lines (without indentation).
///
/// `None` when a block scalar could not carry `s` exactly and readably: no
/// line break, characters that need escapes, trailing spaces on a line (kept
/// by YAML but invisible and stripped by many editors), or nothing but line
/// breaks.
fn literal_block(s: &str) -> Option<(String, Vec<&str>)> {
    if !s.contains('\n') {
        return None;
    }
    if s.chars().any(|c| {
        c != '\n'
            && c != '\t'
            && (c.is_control() || is_unicode_line_break_or_bom(c) || is_nonchar(c))
    }) {
        return None;
    }
    let content = s.trim_end_matches('\n');
    if content.is_empty() {
        return None;
    }
    let lines: Vec<&str> = content.split('\n').collect();
    if lines.iter().any(|l| l.ends_with(' ') || l.ends_with('\t')) {
        return None;
    }
    let chomping = match s.len() - content.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // Readers detect the content indentation from the first non-empty line;
    // when that line itself starts with white space the indentation must be
    // stated. Content always sits two columns right of its parent, so the
    // indicator is always 2.
    let first_text = lines.iter().find(|l| !l.is_empty()).copied().unwrap_or("");
    let indicator = if first_text.starts_with([' ', '\t']) {
        "2"
    } else {
        ""
    };
    let mut header = String::from("|");
    header.push_str(indicator);
    header.push_str(chomping);
    // With keep chomping, the trailing line breaks beyond the last one are
    // written as empty lines.
    let mut lines = lines;
    if chomping == "+" {
        let extra = s.len() - content.len() - 1;
        lines.extend(std::iter::repeat_n("", extra));
    }
    Some((header, lines))
}

fn pad(out: &mut String, indent: usize) {
    push_spaces(out, indent);
}

fn write_comment(out: &mut String, comment: &Comment, indent: usize) {
    comment.write_rendered(out, indent);
}

/// Appends a scalar or empty collection on one line; nothing for non-empty
/// collections.
fn push_inline_scalar(out: &mut String, node: &Node) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Float(f) => out.push_str(&f.canonical()),
        Node::Str(s) => push_inline_string(out, s),
        Node::Seq(seq) if seq.is_empty() => out.push_str("[]"),
        Node::Map(map) if map.is_empty() => out.push_str("{}"),
        Node::Seq(_) | Node::Map(_) => {}
    }
}

fn write_root(out: &mut String, node: &Node) {
    match node {
        Node::Map(map) if !map.is_empty() => write_map(out, map, 0, false),
        Node::Seq(seq) if !seq.is_empty() => write_seq(out, seq, 0, false),
        // A block scalar at the root is read with different indentation by
        // different readers when it needs an indicator; a root string is
        // always written on one line.
        other => {
            push_inline_scalar(out, other);
            out.push('\n');
        }
    }
}

/// Writes a string value that follows `key:` or `-` on the current line,
/// as a block scalar when possible; `parent_indent` is the column of the key
/// or dash.
fn write_string_value(out: &mut String, s: &str, parent_indent: usize) {
    match literal_block(s) {
        Some((header, lines)) => {
            out.push(' ');
            out.push_str(&header);
            out.push('\n');
            for line in lines {
                if !line.is_empty() {
                    pad(out, parent_indent + INDENT);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        None => {
            out.push(' ');
            push_inline_string(out, s);
            out.push('\n');
        }
    }
}

/// Writes what follows `key:` (or the `:` of an explicit key): a scalar on
/// the same line, or a nested collection on the following lines.
fn write_after_key(out: &mut String, value: &Node, indent: usize) {
    match value {
        Node::Str(s) => write_string_value(out, s, indent),
        Node::Map(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + INDENT, false);
        }
        Node::Seq(seq) if !seq.is_empty() => {
            out.push('\n');
            write_seq(out, seq, indent + INDENT, false);
        }
        other => {
            out.push(' ');
            push_inline_scalar(out, other);
            out.push('\n');
        }
    }
}

/// Writes what follows a sequence dash: scalars on the same line, and
/// collections in compact form starting on the same line.
fn write_after_dash(out: &mut String, value: &Node, indent: usize) {
    match value {
        Node::Str(s) => write_string_value(out, s, indent),
        Node::Map(map) if !map.is_empty() => {
            out.push(' ');
            write_map(out, map, indent + INDENT, true);
        }
        Node::Seq(seq) if !seq.is_empty() => {
            out.push(' ');
            write_seq(out, seq, indent + INDENT, true);
        }
        other => {
            out.push(' ');
            push_inline_scalar(out, other);
            out.push('\n');
        }
    }
}

/// Writes the comments that belong above a compact item's first line: in
/// `- key: v` or `- - v` the first inner entry starts on the dash line, so its
/// comment (and recursively that of its own first item) is printed above the
/// dash.
fn write_hoisted_comments(out: &mut String, value: &Node, indent: usize) {
    match value {
        Node::Map(map) => {
            if let Some(first) = map.iter().next() {
                write_comment(out, &first.comment, indent);
            }
        }
        Node::Seq(seq) => {
            if let Some(first) = seq.iter().next() {
                write_comment(out, &first.comment, indent);
                write_hoisted_comments(out, &first.value, indent);
            }
        }
        _ => {}
    }
}

/// Writes the entries of a non-empty map at `indent`. With `first_inline`
/// the first entry continues the current line (after `- `) and its comment
/// has already been written above.
fn write_map(out: &mut String, map: &Map, indent: usize, first_inline: bool) {
    for (i, entry) in map.iter().enumerate() {
        if !(i == 0 && first_inline) {
            write_comment(out, &entry.comment, indent);
            pad(out, indent);
        }
        let key_start = out.len();
        push_inline_string(out, &entry.key);
        // A key of at most that many bytes has at most that many characters.
        let short = out.len() - key_start <= MAX_IMPLICIT_KEY_CHARS
            || out
                .get(key_start..)
                .is_some_and(|key| key.chars().count() <= MAX_IMPLICIT_KEY_CHARS);
        if short {
            out.push(':');
            write_after_key(out, &entry.value, indent);
        } else {
            let key = out.split_off(key_start);
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            pad(out, indent);
            out.push(':');
            write_after_key(out, &entry.value, indent);
        }
    }
}

/// Writes the items of a non-empty sequence at `indent`, with the same
/// `first_inline` convention as [`write_map`].
fn write_seq(out: &mut String, seq: &Seq, indent: usize, first_inline: bool) {
    for (i, item) in seq.iter().enumerate() {
        if !(i == 0 && first_inline) {
            write_comment(out, &item.comment, indent);
            write_hoisted_comments(out, &item.value, indent);
            pad(out, indent);
        }
        out.push('-');
        write_after_dash(out, &item.value, indent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_safe_basics() {
        for s in [
            "web",
            "nginx:1.27.0",
            "http://x",
            "-x",
            "a:b",
            "a#b",
            "Zürich",
            "500m",
            "api-server",
            "apps/v1",
            "cht.example.org",
            "yesterday",
        ] {
            assert!(is_plain_safe(s), "{s} should be plain");
        }
        for s in [
            "", " a", "a ", "yes", "Off", "NULL", "y", "22:22", "- a", "-", "a: b", "a #b", "#a",
            "1e3",
        ] {
            assert!(!is_plain_safe(s), "{s:?} should be quoted");
        }
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(
            double_quoted("a\"b\\c\n\t\u{7}\u{85}"),
            "\"a\\\"b\\\\c\\n\\t\\u0007\\u0085\""
        );
    }

    #[test]
    fn block_scalar_headers() {
        let header = |s: &str| literal_block(s).map(|(h, _)| h);
        assert_eq!(header("a\nb"), Some("|-".into()));
        assert_eq!(header("a\nb\n"), Some("|".into()));
        assert_eq!(header("a\nb\n\n"), Some("|+".into()));
        assert_eq!(header("  a\nb\n"), Some("|2".into()));
        assert_eq!(header("\n  a\nb"), Some("|2-".into()));
        assert_eq!(header("a \nb"), None);
        assert_eq!(header("\n\n"), None);
        assert_eq!(header("a\rb\n"), None);
        assert_eq!(header("single line"), None);
    }
}
