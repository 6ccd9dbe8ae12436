//! GitHub Actions workflow commands: one `::error` or `::warning` line per diagnostic, which
//! the Actions runner turns into annotations on the pull request's changed lines.
//!
//! Format: `::error file=PATH,line=L,col=C,endLine=L,endColumn=C,title=CODE name::MESSAGE`.
//! Values are escaped as the runner expects (`%`, CR and LF everywhere, and `:` and `,` in
//! properties); the message keeps the help and notes on further lines.

use crate::render::Artifacts;
use crate::{Diagnostic, Severity, Sources};

/// Renders one workflow command per diagnostic, each ending with a newline.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, artifacts: &Artifacts<'_>) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let span = diagnostic.primary.span;
        let mut properties = Vec::new();
        // An annotation on a file that is not in the repository would be dropped, so
        // diagnostics in the embedded standard library are shown without a file.
        if !artifacts.is_embedded(span.file) {
            let (line, column) = sources.location(span.file, span.range.start);
            let (end_line, end_column) = sources.location(span.file, span.range.end);
            properties.push(format!(
                "file={}",
                escape_property(&artifacts.path(sources, span.file))
            ));
            properties.push(format!("line={line}"));
            properties.push(format!("col={column}"));
            properties.push(format!("endLine={end_line}"));
            properties.push(format!("endColumn={end_column}"));
        }
        properties.push(format!(
            "title={}",
            escape_property(&format!(
                "{} {}",
                diagnostic.code.code, diagnostic.code.name
            ))
        ));
        let mut message = diagnostic.message.clone();
        if !diagnostic.primary.message.is_empty() {
            message.push_str(&format!(": {}", diagnostic.primary.message));
        }
        for label in &diagnostic.secondary {
            let (line, _) = sources.location(label.span.file, label.span.range.start);
            message.push_str(&format!(
                "\n{}:{line}: {}",
                artifacts.path(sources, label.span.file),
                label.message
            ));
        }
        if let Some(help) = &diagnostic.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        for note in &diagnostic.notes {
            message.push_str(&format!("\nnote: {note}"));
        }
        message.push_str(&format!(
            "\nsee `hostplan explain {}`",
            diagnostic.code.code
        ));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// Escapes a command's message, as `@actions/core` does.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value, as `@actions/core` does.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
