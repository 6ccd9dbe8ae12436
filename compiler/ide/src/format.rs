//! Formatting a file with the `fmt` formatter, as one minimal edit.

use hostplan_core::Analysis;
use hostplan_diagnostics::{FileId, Span, TextRange};

use crate::TextEdit;

/// Why a file was not formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The file has syntax errors; formatting it could move or drop text.
    SyntaxErrors,
    /// The file is not part of the analysis.
    UnknownFile,
}

/// The edit that gives `file` its canonical layout, or `None` when it already has it. The
/// edit covers only the part that changes, so the editor keeps the cursor and folds
/// elsewhere.
pub fn format_file(analysis: &Analysis, file: FileId) -> Result<Option<TextEdit>, FormatError> {
    let module = analysis
        .workspace
        .modules
        .iter()
        .find(|it| it.file == file)
        .ok_or(FormatError::UnknownFile)?;
    let has_syntax_errors = analysis
        .diagnostics
        .iter()
        .any(|it| it.primary.span.file == file && it.is_error() && it.code.code.starts_with("E0"));
    if has_syntax_errors {
        return Err(FormatError::SyntaxErrors);
    }
    let text = analysis.workspace.sources.text(file);
    let formatted = hostplan_syntax::format(&module.ast, text);
    if formatted == text {
        return Ok(None);
    }
    let prefix = common_prefix(text, &formatted);
    let suffix = common_suffix(
        text.get(prefix..).unwrap_or(""),
        formatted.get(prefix..).unwrap_or(""),
    );
    let old_end = text.len() - suffix;
    let new_end = formatted.len() - suffix;
    let replacement = formatted.get(prefix..new_end).unwrap_or("").to_string();
    Ok(Some(TextEdit {
        span: Span::new(file, TextRange::new(prefix as u32, old_end as u32)),
        replacement,
    }))
}

/// The length in bytes of the longest common prefix, on a character boundary of both.
fn common_prefix(a: &str, b: &str) -> usize {
    let mut len = 0;
    for ((idx, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            return idx;
        }
        len = idx + x.len_utf8();
    }
    len
}

/// The length in bytes of the longest common suffix, on a character boundary of both.
fn common_suffix(a: &str, b: &str) -> usize {
    let mut len = 0;
    for (x, y) in a.chars().rev().zip(b.chars().rev()) {
        if x != y {
            break;
        }
        len += x.len_utf8();
    }
    len
}
