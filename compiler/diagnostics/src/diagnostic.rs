//! The diagnostic model shared by every phase.

use crate::{CodeInfo, Span};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A located message attached to a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// One text replacement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A mechanical fix: the language server offers it as a quick fix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
}

/// A problem in a plan, always located in a source file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: &'static CodeInfo,
    pub severity: Severity,
    /// A short lowercase phrase without a trailing period.
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    /// The offending value as written, when there is one.
    pub value: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// An error with the given code, message and primary label.
    pub fn error(
        code: &'static CodeInfo,
        message: impl Into<String>,
        primary: Label,
    ) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, message, primary)
    }

    /// A warning with the given code, message and primary label.
    pub fn warning(
        code: &'static CodeInfo,
        message: impl Into<String>,
        primary: Label,
    ) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, message, primary)
    }

    pub fn new(
        code: &'static CodeInfo,
        severity: Severity,
        message: impl Into<String>,
        primary: Label,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            value: None,
            fix: None,
        }
    }

    pub fn with_secondary(mut self, label: Label) -> Diagnostic {
        self.secondary.push(label);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_value(mut self, value: impl Into<String>) -> Diagnostic {
        self.value = Some(value.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (crate::FileId, u32, u32, &'static str, &str) {
        (
            self.primary.span.file,
            self.primary.span.range.start,
            self.primary.span.range.end,
            self.code.code,
            &self.message,
        )
    }
}

/// Sorts diagnostics by file, position and code, and removes exact duplicates, so that every
/// renderer shows them in the same order on every run.
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key());
}
