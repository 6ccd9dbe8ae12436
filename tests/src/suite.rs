//! The `check` suite: plans with expected diagnostics written inline.
//!
//! A case is one `.hplan` file, or several separated by `#- path` lines (the first is the
//! entry plan). Under a source line, a line of the form
//!
//! ```text
//!     ^^^^^^^^^ error[E2103]: unknown field `retension` in `backup`
//! ```
//!
//! expects a diagnostic whose primary span starts and ends at the carets' columns on the
//! nearest source line above, with that severity, code and message. Annotation lines are
//! blanked before the plan is analysed, so line numbers stay as written. A case may import
//! `./prelude.hplan`, which the harness provides: a valid plan to add one broken piece to.
//! The expectations must list every diagnostic of the case's own files, no more, no fewer.

use std::sync::Arc;

use hostplan_core::modules::ParseCache;
use hostplan_core::MemoryLoader;
use hostplan_diagnostics::Severity;

/// A valid plan that cases import so that each case holds only what it tests.
pub const PRELUDE: &str = r#"import "std/cht"
import "std/policies"

plan "suite" { cht = "5.2.0", owner = "Suite" }
population { people = 10_000, workflows = 2 }
users { role chw { count = 100 } }
secret couchdb_admin = generate(words = 7)
secret couchdb_secret = generate(words = 7)

environment base {
  kind   = development
  target = compose
  infra  = local
  domain = "localhost"
  data   = synthetic
  policy = policies.development
}
"#;

/// One expected or actual diagnostic, in the form both sides are compared in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expectation {
    pub file: String,
    /// One-based line.
    pub line: u32,
    /// One-based columns, counted in characters; `end` is exclusive.
    pub start: u32,
    pub end: u32,
    pub severity: String,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}-{} {}[{}]: {}",
            self.file, self.line, self.start, self.end, self.severity, self.code, self.message
        )
    }
}

/// A parsed case: its files (annotations blanked) and its expectations.
pub struct Case {
    pub files: Vec<(String, String)>,
    pub expected: Vec<Expectation>,
}

/// Splits a case into files and expectations.
pub fn parse_case(text: &str) -> Case {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    let mut expected = Vec::new();
    let mut current = ("main.hplan".to_string(), Vec::new());
    let mut started = false;
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("#- ") {
            if started {
                files.push(std::mem::replace(
                    &mut current,
                    (path.trim().trim_start_matches('/').to_string(), Vec::new()),
                ));
            } else {
                current.0 = path.trim().trim_start_matches('/').to_string();
            }
            started = true;
            continue;
        }
        started = true;
        let trimmed = line.trim_start();
        if trimmed.starts_with('^') {
            let start = (line.len() - trimmed.len()) as u32 + 1;
            let carets = trimmed.chars().take_while(|c| *c == '^').count() as u32;
            let rest = trimmed.trim_start_matches('^').trim();
            let (head, message) = rest.split_once("]: ").unwrap_or((rest, ""));
            let (severity, code) = head.split_once('[').unwrap_or((head, ""));
            let source_line = current
                .1
                .iter()
                .rposition(|it: &String| !it.is_empty())
                .map(|it| it as u32 + 1)
                .unwrap_or(1);
            expected.push(Expectation {
                file: current.0.clone(),
                line: source_line,
                start,
                end: start + carets,
                severity: severity.to_string(),
                code: code.to_string(),
                message: message.to_string(),
            });
            current.1.push(String::new());
            continue;
        }
        current.1.push(line.to_string());
    }
    files.push(current);
    let files = files
        .into_iter()
        .map(|(path, lines)| (path, lines.join("\n") + "\n"))
        .collect();
    expected.sort();
    Case { files, expected }
}

/// Analyses a case and returns the diagnostics of its own files in the comparable form.
pub fn run_case(case: &Case) -> Vec<Expectation> {
    let mut loader = MemoryLoader::default();
    for (path, text) in &case.files {
        loader.files.push((path.clone(), Arc::from(text.as_str())));
    }
    if !case.files.iter().any(|(path, _)| path == "prelude.hplan") {
        loader
            .files
            .push(("prelude.hplan".to_string(), Arc::from(PRELUDE)));
    }
    let entry = case
        .files
        .first()
        .map(|(path, _)| path.clone())
        .unwrap_or_default();
    let Ok(analysis) = hostplan_core::analyze(&loader, &entry, &mut ParseCache::default()) else {
        return Vec::new();
    };
    let sources = &analysis.workspace.sources;
    let expects_rules = case.expected.iter().any(|it| it.code.starts_with('R'));
    let mut actual: Vec<Expectation> = analysis
        .diagnostics
        .iter()
        .filter(|it| sources.path(it.primary.span.file) != "prelude.hplan")
        // Hosting-guide findings (R codes) have their own suite in `hostplan_core::rules`;
        // a front-end case checks them only when it expects one.
        .filter(|it| !it.code.code.starts_with('R') || expects_rules)
        .map(|it| {
            let span = it.primary.span;
            let (line, start) = sources.location(span.file, span.range.start);
            let (end_line, mut end) = sources.location(span.file, span.range.end);
            if end_line != line {
                end = start + 1;
            }
            if span.range.is_empty() {
                end = start + 1;
            }
            Expectation {
                file: sources.path(span.file).to_string(),
                line,
                start,
                end,
                severity: match it.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Note => "note",
                }
                .to_string(),
                code: it.code.code.to_string(),
                message: it.message.clone(),
            }
        })
        .collect();
    actual.sort();
    actual
}
