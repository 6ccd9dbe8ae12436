//! Compose-style interpolation (`${VAR:-default}`), as the official CHT files use it.
//!
//! The parser follows the Compose specification's interpolation section: `$$` is a literal
//! `$`; `$NAME` and `${NAME}` reference a variable; inside braces the operators `:-`, `-`,
//! `:?`, `?`, `:+` and `+` take the rest up to the matching `}` as their argument, which may
//! itself contain braces. Anything malformed stays text, so the parser never fails.

use crate::ir::{TemplatePart, VarOp, VarRef};

/// Splits interpolation text into text and variable references.
pub fn parse(text: &str) -> Vec<TemplatePart> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        literal.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            literal.push('$');
            rest = tail;
            continue;
        }
        if let Some(inner_start) = after.strip_prefix('{') {
            match braced(inner_start) {
                Some((var, consumed)) => {
                    flush(&mut literal, &mut parts);
                    parts.push(TemplatePart::Var(var));
                    rest = &inner_start[consumed..];
                }
                None => {
                    literal.push('$');
                    rest = after;
                }
            }
            continue;
        }
        let name_len = name_length(after);
        if name_len == 0 {
            literal.push('$');
            rest = after;
            continue;
        }
        flush(&mut literal, &mut parts);
        parts.push(TemplatePart::Var(VarRef {
            name: after[..name_len].to_string(),
            op: VarOp::Plain,
            arg: String::new(),
        }));
        rest = &after[name_len..];
    }
    literal.push_str(rest);
    flush(&mut literal, &mut parts);
    parts
}

/// Renders parts back to Compose syntax (`$` in text escaped as `$$`).
pub fn render(parts: &[TemplatePart]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            TemplatePart::Text(text) => out.push_str(&text.replace('$', "$$")),
            TemplatePart::Var(var) => {
                let op = match var.op {
                    VarOp::Plain => "",
                    VarOp::DefaultIfEmpty => ":-",
                    VarOp::DefaultIfUnset => "-",
                    VarOp::RequiredNonEmpty => ":?",
                    VarOp::Required => "?",
                    VarOp::AltIfNonEmpty => ":+",
                    VarOp::AltIfSet => "+",
                };
                out.push_str(&format!("${{{}{op}{}}}", var.name, var.arg));
            }
        }
    }
    out
}

fn flush(literal: &mut String, parts: &mut Vec<TemplatePart>) {
    if !literal.is_empty() {
        parts.push(TemplatePart::Text(std::mem::take(literal)));
    }
}

/// The length of a variable name at the start of `text`: a letter or `_`, then letters,
/// digits and `_`.
fn name_length(text: &str) -> usize {
    let mut len = 0;
    for (idx, c) in text.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (idx > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        len = idx + c.len_utf8();
    }
    len
}

/// Parses the inside of `${...}` (after the `{`); returns the reference and the bytes consumed
/// including the closing `}`.
fn braced(text: &str) -> Option<(VarRef, usize)> {
    let name_len = name_length(text);
    if name_len == 0 {
        return None;
    }
    let name = text[..name_len].to_string();
    let after_name = &text[name_len..];
    if let Some(stripped) = after_name.strip_prefix('}') {
        let _ = stripped;
        return Some((
            VarRef {
                name,
                op: VarOp::Plain,
                arg: String::new(),
            },
            name_len + 1,
        ));
    }
    let (op, op_len) = [
        (":-", VarOp::DefaultIfEmpty),
        (":?", VarOp::RequiredNonEmpty),
        (":+", VarOp::AltIfNonEmpty),
        ("-", VarOp::DefaultIfUnset),
        ("?", VarOp::Required),
        ("+", VarOp::AltIfSet),
    ]
    .into_iter()
    .find(|(prefix, _)| after_name.starts_with(prefix))
    .map(|(prefix, op)| (op, prefix.len()))?;
    let arg_text = &after_name[op_len..];
    let mut depth = 0usize;
    for (idx, c) in arg_text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                let arg = arg_text[..idx].to_string();
                return Some((VarRef { name, op, arg }, name_len + op_len + idx + 1));
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::ir::{Template, TemplatePart, VarOp};

    fn shape(text: &str) -> String {
        Template::parse(text)
            .parts()
            .iter()
            .map(|part| match part {
                TemplatePart::Text(text) => format!("[{text}]"),
                TemplatePart::Var(var) => format!("<{} {:?} {}>", var.name, var.op, var.arg),
            })
            .collect()
    }

    #[test]
    fn parses_the_forms_the_official_files_use() {
        assert_eq!(
            shape("${COUCHDB_DATA:-./srv}:/opt/couchdb/data"),
            "<COUCHDB_DATA DefaultIfEmpty ./srv>[:/opt/couchdb/data]"
        );
        assert_eq!(
            shape("http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}@haproxy"),
            "[http://]<COUCHDB_USER DefaultIfEmpty admin>[:]<COUCHDB_PASSWORD RequiredNonEmpty COUCHDB_PASSWORD must be set>[@haproxy]"
        );
        assert_eq!(shape("$DOMAIN and $$HOME"), "<DOMAIN Plain >[ and $HOME]");
        assert_eq!(
            shape("${A-x}${B?m}${C:+y}${D+z}"),
            "<A DefaultIfUnset x><B Required m><C AltIfNonEmpty y><D AltIfSet z>"
        );
    }

    #[test]
    fn keeps_malformed_references_as_text() {
        assert_eq!(shape("cost $5 ${unclosed"), "[cost $5 ${unclosed]");
        assert_eq!(shape("${A:-{nested}}"), "<A DefaultIfEmpty {nested}>");
        assert_eq!(shape("$"), "[$]");
        assert_eq!(shape(""), "");
    }

    #[test]
    fn resolves_defaults_and_requirements() {
        let template = Template::parse("${A:-one}-${B}");
        assert_eq!(template.resolve_defaults().as_deref(), Some("one-"));
        assert_eq!(
            template
                .resolve(&|name| (name == "B").then(|| "two".to_string()))
                .as_deref(),
            Some("one-two")
        );
        assert_eq!(Template::parse("${P:?must}").resolve_defaults(), None);
        assert_eq!(
            Template::parse("${P:?must}")
                .as_single_var()
                .map(|it| it.op),
            Some(VarOp::RequiredNonEmpty)
        );
        assert_eq!(Template::literal("a$b").text(), "a$$b");
        assert_eq!(
            super::render(Template::parse("x${A:-1}$$").parts()),
            "x${A:-1}$$"
        );
    }
}
