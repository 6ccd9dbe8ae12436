//! Conversions between the compiler's byte offsets and the protocol's UTF-16 positions,
//! between paths and URIs, and from diagnostics to protocol diagnostics. This is the only
//! place where UTF-16 columns exist.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use hostplan_diagnostics::{Diagnostic, LineIndex, Severity, TextRange};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticTag, Location, NumberOrString, Position, Range, Uri,
};

/// The text of a file with its line index, for position arithmetic.
pub(crate) struct FileText<'a> {
    pub(crate) text: &'a str,
    pub(crate) index: &'a LineIndex,
}

impl FileText<'_> {
    pub(crate) fn position(&self, offset: u32) -> Position {
        let (line, character) = self.index.utf16_line_col(self.text, offset);
        Position { line, character }
    }

    pub(crate) fn range(&self, range: TextRange) -> Range {
        Range {
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }

    pub(crate) fn offset(&self, position: Position) -> u32 {
        self.index
            .offset_of_utf16(self.text, position.line, position.character)
    }

    pub(crate) fn text_range(&self, range: Range) -> TextRange {
        TextRange::new(self.offset(range.start), self.offset(range.end))
    }
}

/// The `file:` URI of an absolute path, percent-encoding what URIs do not allow.
pub(crate) fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let mut encoded = String::from("file://");
    if !text.starts_with('/') {
        encoded.push('/');
    }
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/');
        if keep {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&encoded).ok()
}

/// The path of a `file:` URI; `None` for other schemes.
pub(crate) fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file://host/path` names a host; only the local host (empty or `localhost`) is a path.
    let path = match rest.strip_prefix("localhost") {
        Some(path) => path,
        None => rest,
    };
    if !path.starts_with('/') {
        return None;
    }
    let bytes = percent_decode(path);
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while let Some(&byte) = bytes.get(idx) {
        if byte == b'%' {
            let hex = bytes
                .get(idx + 1..idx + 3)
                .and_then(|it| std::str::from_utf8(it).ok());
            if let Some(value) = hex.and_then(|it| u8::from_str_radix(it, 16).ok()) {
                out.push(value);
                idx += 3;
                continue;
            }
        }
        out.push(byte);
        idx += 1;
    }
    out
}

/// Converts a diagnostic whose primary label is in `file`. `locate` maps a span of any file
/// of the analysis to a protocol location, for labels in other files.
pub(crate) fn diagnostic(
    diagnostic: &Diagnostic,
    file: &FileText<'_>,
    locate: &dyn Fn(hostplan_diagnostics::Span) -> Option<Location>,
) -> lsp_types::Diagnostic {
    let severity = match diagnostic.severity {
        Severity::Error => lsp_types::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp_types::DiagnosticSeverity::WARNING,
        Severity::Note => lsp_types::DiagnosticSeverity::INFORMATION,
    };
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for note in &diagnostic.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    // The labels, as the terminal shows them under the source line: the primary label first.
    let mut related = Vec::new();
    let labels = std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary);
    for label in labels.filter(|it| !it.message.is_empty()) {
        if let Some(location) = locate(label.span) {
            related.push(DiagnosticRelatedInformation {
                location,
                message: label.message.clone(),
            });
        }
    }
    let tags = (diagnostic.code.code == hostplan_diagnostics::codes::W0001.code)
        .then(|| vec![DiagnosticTag::UNNECESSARY]);
    lsp_types::Diagnostic {
        range: file.range(diagnostic.primary.span.range),
        severity: Some(severity),
        code: Some(NumberOrString::String(diagnostic.code.code.to_string())),
        code_description: None,
        source: Some("hostplan".to_string()),
        message,
        related_information: if related.is_empty() {
            None
        } else {
            Some(related)
        },
        tags,
        data: None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hostplan_diagnostics::{LineIndex, TextRange};
    use lsp_types::Position;

    use super::{path_to_uri, uri_to_path, FileText};

    #[test]
    fn uris_round_trip_with_spaces_and_non_ascii() {
        let path = Path::new("/tmp/my plans/été #1/plan.hplan");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(
            uri.as_str(),
            "file:///tmp/my%20plans/%C3%A9t%C3%A9%20%231/plan.hplan"
        );
        assert_eq!(uri_to_path(&uri).unwrap(), path);
    }

    #[test]
    fn positions_count_utf16_units_on_non_ascii_lines() {
        let text = "owner = \"Minist\u{e8}re 😀\" # x\nb = 1";
        let index = LineIndex::new(text);
        let file = FileText {
            text,
            index: &index,
        };
        let hash = text.find('#').unwrap() as u32;
        // `owner = "Minist` is 15 units, `ère ` 4, the emoji 2 (a surrogate pair), `" ` 2.
        assert_eq!(
            file.position(hash),
            Position {
                line: 0,
                character: 23
            }
        );
        assert_eq!(
            file.offset(Position {
                line: 0,
                character: 23
            }),
            hash
        );
        assert_eq!(
            file.text_range(file.range(TextRange::new(hash, hash + 1))),
            TextRange::new(hash, hash + 1)
        );
        assert_eq!(
            file.offset(Position {
                line: 1,
                character: 4
            }),
            text.len() as u32 - 1
        );
    }
}
