//! `hostplan check --explain-policy`: per environment, the effective policy after `extends`,
//! where each part was set, the rules it satisfies, and every rule's outcome.

use hostplan_core::rules::report::PolicyView;
use hostplan_core::rules::{Level, Status};
use hostplan_diagnostics::{Sources, Span};
use serde_json::{json, Value};

/// The report as text, one section per environment.
pub(crate) fn text(views: &[PolicyView], sources: &Sources) -> String {
    let mut out = String::new();
    for view in views {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "environment {} ({}, {} data): rules are {}{}\n",
            view.environment,
            view.kind,
            view.data,
            level_words(view.level),
            if view.strict { " (strict)" } else { "" }
        ));
        out.push_str(&format!("  policy {}", view.policy));
        if !view.extends.is_empty() {
            out.push_str(&format!(", extends {}", view.extends.join(" < ")));
        }
        out.push_str("\n\n");
        let rows: Vec<[String; 4]> = view
            .parts
            .iter()
            .map(|part| {
                [
                    part.key.to_string(),
                    part.value.clone(),
                    part.set_at
                        .map(|it| location(sources, it))
                        .unwrap_or_else(|| "default".to_string()),
                    part.satisfies
                        .iter()
                        .map(|it| it.code.code)
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect();
        table(&mut out, &["part", "value", "set at", "satisfies"], &rows);
        out.push_str("\n  rules\n");
        let rows: Vec<[String; 4]> = view
            .outcomes
            .iter()
            .map(|outcome| {
                let (status, detail) = match &outcome.status {
                    Status::NotApplicable => ("n/a".to_string(), String::new()),
                    Status::Passed => ("pass".to_string(), String::new()),
                    Status::Failed { level, findings } => (
                        match level {
                            Level::Error => "error",
                            Level::Warning => "warning",
                            Level::Silent => "silent",
                        }
                        .to_string(),
                        if 1 < *findings {
                            format!("{findings} findings")
                        } else {
                            String::new()
                        },
                    ),
                    Status::Allowed { reason } => (
                        "allowed".to_string(),
                        reason
                            .as_deref()
                            .map(|it| format!("{it:?}"))
                            .unwrap_or_else(|| "no reason given".to_string()),
                    ),
                };
                [
                    status,
                    outcome.rule.code.code.to_string(),
                    outcome.rule.code.name.to_string(),
                    join_non_empty(outcome.rule.question.title(), &detail),
                ]
            })
            .collect();
        table(
            &mut out,
            &["status", "code", "name", "guide question"],
            &rows,
        );
    }
    out
}

/// The report as JSON, for `--format json`.
pub(crate) fn json(views: &[PolicyView], sources: &Sources) -> Value {
    let environments: Vec<Value> = views
        .iter()
        .map(|view| {
            json!({
                "environment": view.environment,
                "kind": view.kind,
                "data": view.data,
                "level": view.level.name(),
                "strict": view.strict,
                "policy": view.policy,
                "extends": view.extends,
                "parts": view.parts.iter().map(|part| json!({
                    "key": part.key,
                    "value": part.value,
                    "set_at": part.set_at.map(|it| location(sources, it)),
                    "satisfies": part.satisfies.iter().map(|it| it.code.code).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "rules": view.outcomes.iter().map(|outcome| {
                    let (status, level, reason) = match &outcome.status {
                        Status::NotApplicable => ("not_applicable", None, None),
                        Status::Passed => ("passed", None, None),
                        Status::Failed { level, .. } => ("failed", Some(level.name()), None),
                        Status::Allowed { reason } => ("allowed", None, reason.clone()),
                    };
                    json!({
                        "code": outcome.rule.code.code,
                        "name": outcome.rule.code.name,
                        "question": outcome.rule.question.title(),
                        "status": status,
                        "level": level,
                        "reason": reason,
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "environments": environments })
}

fn level_words(level: Level) -> &'static str {
    match level {
        Level::Silent => "silent",
        Level::Warning => "warnings",
        Level::Error => "errors",
    }
}

fn location(sources: &Sources, span: Span) -> String {
    let (line, _) = sources.location(span.file, span.range.start);
    format!("{}:{line}", sources.path(span.file))
}

fn join_non_empty(first: &str, second: &str) -> String {
    if second.is_empty() {
        first.to_string()
    } else {
        format!("{first}: {second}")
    }
}

/// Appends an indented table with aligned columns; the last column is not padded.
fn table(out: &mut String, header: &[&str; 4], rows: &[[String; 4]]) {
    let mut widths = header.map(|it| it.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut line = |cells: [&str; 4]| {
        let mut text = String::from("  ");
        for (idx, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if idx + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(*header);
    for row in rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
}
