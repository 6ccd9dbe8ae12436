//! SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure DevOps) read.
//!
//! One run, whose driver lists the rules that appear in the results, each with its summary
//! and its full `hostplan explain` page as help text and Markdown. Results carry the primary
//! label as their location and the secondary labels as related locations. Findings that the
//! plan allows are kept as results with an accepted in-source suppression that carries the
//! written reason, so that reviewers see them and code scanning hides them.
//!
//! Paths are relative (see [`Artifacts`]): files on disk use the base id `%SRCROOT%`, the
//! embedded standard library `HOSTPLAN_STD`. Columns count Unicode code points.

use serde_json::{json, Map, Value};

use crate::render::Artifacts;
use crate::{CodeInfo, Diagnostic, Severity, Sources, Span};

/// The `$schema` of the logs written.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The tool that produced the log.
#[derive(Clone, Copy, Debug)]
pub struct Tool<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

/// A finding that the plan allows, with the reason it gives.
#[derive(Clone, Copy, Debug)]
pub struct Suppressed<'a> {
    pub diagnostic: &'a Diagnostic,
    pub justification: Option<&'a str>,
}

/// Renders a SARIF 2.1.0 log of the diagnostics and the suppressed findings.
pub fn render(
    diagnostics: &[Diagnostic],
    suppressed: &[Suppressed<'_>],
    sources: &Sources,
    artifacts: &Artifacts<'_>,
    tool: &Tool<'_>,
) -> Value {
    // The driver lists each rule once, in code order; results point at it by index.
    let mut rules: Vec<&'static CodeInfo> = Vec::new();
    for diagnostic in diagnostics
        .iter()
        .chain(suppressed.iter().map(|it| it.diagnostic))
    {
        if !rules.iter().any(|it| std::ptr::eq(*it, diagnostic.code)) {
            rules.push(diagnostic.code);
        }
    }
    rules.sort_by_key(|it| it.code);
    let rule_index = |code: &CodeInfo| {
        rules
            .iter()
            .position(|it| it.code == code.code)
            .unwrap_or(0)
    };

    let mut results: Vec<Value> = diagnostics
        .iter()
        .map(|it| result(it, rule_index(it.code), None, sources, artifacts))
        .collect();
    for it in suppressed {
        results.push(result(
            it.diagnostic,
            rule_index(it.diagnostic.code),
            Some(it.justification),
            sources,
            artifacts,
        ));
    }

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": tool.name,
                    "version": tool.version,
                    "semanticVersion": tool.version,
                    "rules": rules.iter().map(|it| descriptor(it)).collect::<Vec<_>>(),
                }
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "The directory hostplan was run in." } },
                "HOSTPLAN_STD": { "description": { "text": "The standard library embedded in the hostplan binary (`stdlib/` in its source)." } },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A rule's reporting descriptor: summary, full explanation, default level and tags.
fn descriptor(code: &CodeInfo) -> Value {
    let explain = format!(
        "Run `hostplan explain {}` to read this page in a terminal.",
        code.code
    );
    let (level, tags): (&str, &[&str]) = match code.code.as_bytes().first() {
        Some(b'R') => ("error", &["hosting-guide"]),
        Some(b'W') => ("warning", &["plan"]),
        Some(b'E') if code.code.starts_with("E0") => ("error", &["syntax"]),
        Some(b'E') if code.code.starts_with("E1") => ("error", &["names"]),
        _ => ("error", &["types"]),
    };
    json!({
        "id": code.code,
        "name": code.name,
        "shortDescription": { "text": sentence(code.summary) },
        "fullDescription": { "text": first_paragraph(code.doc) },
        "help": {
            "text": format!("{}\n\n{explain}", plain(code.doc)),
            "markdown": format!("{}\n\n{explain}", code.doc),
        },
        "defaultConfiguration": { "level": level },
        "properties": { "tags": tags },
    })
}

fn result(
    diagnostic: &Diagnostic,
    rule_index: usize,
    suppression: Option<Option<&str>>,
    sources: &Sources,
    artifacts: &Artifacts<'_>,
) -> Value {
    let level = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let mut text = diagnostic.message.clone();
    if !diagnostic.primary.message.is_empty() {
        text.push_str(&format!(": {}", diagnostic.primary.message));
    }
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    let mut out = Map::new();
    out.insert("ruleId".into(), json!(diagnostic.code.code));
    out.insert("ruleIndex".into(), json!(rule_index));
    out.insert("level".into(), json!(level));
    out.insert("message".into(), json!({ "text": text }));
    out.insert(
        "locations".into(),
        json!([{
            "physicalLocation": physical(diagnostic.primary.span, sources, artifacts),
            "message": { "text": non_empty(&diagnostic.primary.message, &diagnostic.message) },
        }]),
    );
    if !diagnostic.secondary.is_empty() {
        let related: Vec<Value> = diagnostic
            .secondary
            .iter()
            .enumerate()
            .map(|(idx, label)| {
                json!({
                    "id": idx + 1,
                    "physicalLocation": physical(label.span, sources, artifacts),
                    "message": { "text": non_empty(&label.message, "related") },
                })
            })
            .collect();
        out.insert("relatedLocations".into(), json!(related));
    }
    if let Some(justification) = suppression {
        let mut entry = Map::new();
        entry.insert("kind".into(), json!("inSource"));
        entry.insert("status".into(), json!("accepted"));
        if let Some(reason) = justification {
            entry.insert("justification".into(), json!(reason));
        }
        out.insert("suppressions".into(), json!([Value::Object(entry)]));
    }
    Value::Object(out)
}

fn physical(span: Span, sources: &Sources, artifacts: &Artifacts<'_>) -> Value {
    let (start_line, start_column) = sources.location(span.file, span.range.start);
    let (end_line, end_column) = sources.location(span.file, span.range.end);
    let base = if artifacts.is_embedded(span.file) {
        "HOSTPLAN_STD"
    } else {
        "%SRCROOT%"
    };
    json!({
        "artifactLocation": { "uri": artifacts.path(sources, span.file), "uriBaseId": base },
        "region": {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": end_line,
            "endColumn": end_column,
        },
    })
}

fn non_empty<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    if text.is_empty() {
        fallback
    } else {
        text
    }
}

/// A summary as a sentence: capitalized, with a final period.
fn sentence(summary: &str) -> String {
    let mut chars = summary.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The first paragraph of the `What it means` section, as plain text.
fn first_paragraph(doc: &str) -> String {
    let body = doc.strip_prefix("## What it means\n").unwrap_or(doc);
    plain(body.split("\n\n").next().unwrap_or(body).trim())
}

/// Markdown as plain text: headings lose their `#`, code fences disappear.
fn plain(markdown: &str) -> String {
    markdown
        .lines()
        .filter(|line| !line.starts_with("```"))
        .map(|line| line.trim_start_matches("## "))
        .collect::<Vec<_>>()
        .join("\n")
}
