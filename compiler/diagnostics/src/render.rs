//! Renderers: the only place where diagnostics become text.
//!
//! `human` uses codespan-reporting, like Gleam, Typst, Taplo and Nickel. `json` is the
//! documented machine format (see `docs/diagnostics-json.md`), versioned by
//! [`JSON_FORMAT_VERSION`]. [`sarif`] writes SARIF 2.1.0 for code-scanning tools and
//! [`github`] writes GitHub Actions workflow commands.

pub mod github;
mod paths;
pub mod sarif;

pub use paths::Artifacts;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;
use serde_json::{json, Value};

use crate::{Diagnostic, Severity, Sources, Span};

/// The version of the JSON diagnostic format; it changes only when a field is removed or
/// changes meaning.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// Renders diagnostics for people, with source excerpts. `color` adds ANSI colours.
pub fn human(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let config = term::Config::default();
    let mut out = String::new();
    for diagnostic in diagnostics {
        let cs_diagnostic = to_codespan(diagnostic);
        let rendered = if color {
            let mut buffer = term::termcolor::Buffer::ansi();
            match term::emit_to_write_style(&mut buffer, &config, sources, &cs_diagnostic) {
                Ok(()) => String::from_utf8_lossy(buffer.as_slice()).into_owned(),
                Err(_) => fallback(diagnostic, sources),
            }
        } else {
            term::emit_into_string(&config, sources, &cs_diagnostic)
                .unwrap_or_else(|_| fallback(diagnostic, sources))
        };
        out.push_str(&rendered);
    }
    out
}

/// A one-line summary such as `2 errors, 1 warning`, or `None` when there is nothing.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics
        .iter()
        .filter(|it| it.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|it| it.severity == Severity::Warning)
        .count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(plural(w, "warning")),
        (e, 0) => Some(plural(e, "error")),
        (e, w) => Some(format!("{}, {}", plural(e, "error"), plural(w, "warning"))),
    }
}

fn to_codespan(diagnostic: &Diagnostic) -> cs::Diagnostic<crate::FileId> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let mut labels =
        vec![
            cs::Label::primary(diagnostic.primary.span.file, range(diagnostic.primary.span))
                .with_message(&diagnostic.primary.message),
        ];
    for label in &diagnostic.secondary {
        labels.push(
            cs::Label::secondary(label.span.file, range(label.span)).with_message(&label.message),
        );
    }
    let mut notes = Vec::new();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    for note in &diagnostic.notes {
        notes.push(format!("note: {note}"));
    }
    notes.push(format!(
        "see `hostplan explain {}` ({})",
        diagnostic.code.code, diagnostic.code.name
    ));
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.code)
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

fn range(span: Span) -> std::ops::Range<usize> {
    span.range.start as usize..span.range.end as usize
}

/// A plain rendering for the case where codespan cannot read a span, which only happens if a
/// phase produced a span outside its file; the message must still reach the user.
fn fallback(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let (line, column) = sources.location(
        diagnostic.primary.span.file,
        diagnostic.primary.span.range.start,
    );
    format!(
        "{}[{}]: {}\n  --> {}:{}:{}\n",
        diagnostic.severity.as_str(),
        diagnostic.code.code,
        diagnostic.message,
        sources.path(diagnostic.primary.span.file),
        line,
        column
    )
}

/// The position of a span's ends, one-based, as every machine format reports them.
pub fn position(sources: &Sources, span: Span) -> Value {
    let (start_line, start_column) = sources.location(span.file, span.range.start);
    let (end_line, end_column) = sources.location(span.file, span.range.end);
    json!({
        "file": sources.path(span.file),
        "start": { "line": start_line, "column": start_column, "offset": span.range.start },
        "end": { "line": end_line, "column": end_column, "offset": span.range.end },
    })
}

/// Renders diagnostics as one JSON document (format version [`JSON_FORMAT_VERSION`]).
pub fn json(diagnostics: &[Diagnostic], sources: &Sources) -> Value {
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let mut location = position(sources, diagnostic.primary.span);
            let labels: Vec<Value> = diagnostic
                .secondary
                .iter()
                .map(|label| {
                    let mut it = position(sources, label.span);
                    it["message"] = json!(label.message);
                    it
                })
                .collect();
            let mut item = json!({
                "code": diagnostic.code.code,
                "name": diagnostic.code.name,
                "severity": diagnostic.severity.as_str(),
                "message": diagnostic.message,
            });
            if let (Value::Object(item), Value::Object(location)) = (&mut item, &mut location) {
                item.append(location);
                item.insert("label".into(), json!(diagnostic.primary.message));
                item.insert("secondary".into(), json!(labels));
                item.insert("help".into(), json!(diagnostic.help));
                item.insert("notes".into(), json!(diagnostic.notes));
                item.insert("value".into(), json!(diagnostic.value));
                item.insert(
                    "fix".into(),
                    match &diagnostic.fix {
                        Some(fix) => json!({
                            "title": fix.title,
                            "edits": fix.edits.iter().map(|edit| {
                                let mut it = position(sources, edit.span);
                                it["replacement"] = json!(edit.replacement);
                                it
                            }).collect::<Vec<_>>(),
                        }),
                        None => Value::Null,
                    },
                );
            }
            item
        })
        .collect();
    let errors = diagnostics
        .iter()
        .filter(|it| it.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|it| it.severity == Severity::Warning)
        .count();
    json!({
        "version": JSON_FORMAT_VERSION,
        "diagnostics": items,
        "summary": { "errors": errors, "warnings": warnings },
    })
}
