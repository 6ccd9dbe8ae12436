//! Source positions, the diagnostic model, the code registry and the renderers.
//!
//! Every phase of the compiler reports problems as [`Diagnostic`] values that point at a
//! [`Span`] in a source file. They stay data until the edge: the CLI renders them with
//! [`render`], and the language server converts them to protocol types itself.

pub mod codes;
mod diagnostic;
pub mod render;
mod source;

pub use codes::{lookup, CodeInfo, CODES};
pub use diagnostic::{sort_and_dedup, Diagnostic, Edit, Fix, Label, Severity};
pub use source::{FileId, LineCol, LineIndex, Shift, SourceFile, Sources, Span, TextRange};
