//! Editor features over one [`Analysis`]: hover, completion, navigation, rename, symbols,
//! inlay hints, quick fixes and formatting.
//!
//! Everything here is protocol-free. Positions are byte offsets into a file of the
//! analysis, results are plain structs, and nothing knows LSP, JSON or UTF-16: the language
//! server converts at its edge. Every feature reads what the one checker run recorded
//! (`Analysis::checked`, its `SiteIndex`, and the plan model), so the editor and the command
//! line can never disagree.

mod actions;
mod completion;
mod describe;
mod estimate;
mod format;
mod hover;
mod inlay;
mod navigation;
mod symbols;
#[cfg(test)]
mod tests;

use hostplan_core::check::DeclId;
use hostplan_core::Analysis;
use hostplan_diagnostics::{FileId, Span, TextRange};

pub use actions::{code_actions, CodeAction};
pub use completion::{completions, CompletionItem, CompletionKind};
pub use estimate::{environment_estimate, EnvironmentEstimate};
pub use format::{format_file, FormatError};
pub use hover::{hover, Hover};
pub use inlay::{inlay_hints, InlayHint};
pub use navigation::{goto_definition, prepare_rename, references, rename, NavTarget, RenameError};
pub use symbols::{document_symbols, DocumentSymbol, SymbolKind};

/// A cursor: a byte offset in one file of the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePosition {
    pub file: FileId,
    pub offset: u32,
}

/// A text replacement in one file; the language server turns it into a protocol edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub replacement: String,
}

/// The declaration a reference at `pos` resolves to, with the range of the reference.
fn reference_at(analysis: &Analysis, pos: FilePosition) -> Option<(DeclId, TextRange)> {
    analysis
        .checked
        .sites
        .refs
        .iter()
        .filter(|(span, _)| span.file == pos.file && span.range.contains_inclusive(pos.offset))
        .min_by_key(|(span, _)| span.range.len())
        .map(|(span, id)| (*id, span.range))
}

/// The declaration whose name is at `pos`.
fn declaration_at(analysis: &Analysis, pos: FilePosition) -> Option<(DeclId, TextRange)> {
    analysis
        .checked
        .decls
        .iter()
        .enumerate()
        .find(|(_, decl)| {
            decl.name_span.file == pos.file && decl.name_span.range.contains_inclusive(pos.offset)
        })
        .map(|(idx, decl)| (DeclId(idx as u32), decl.name_span.range))
}

/// The declaration at `pos`, written either as a reference or as a declared name.
fn decl_at(analysis: &Analysis, pos: FilePosition) -> Option<(DeclId, TextRange)> {
    reference_at(analysis, pos).or_else(|| declaration_at(analysis, pos))
}

/// Whether a file belongs to the standard library.
fn is_std_file(analysis: &Analysis, file: FileId) -> bool {
    analysis
        .workspace
        .modules
        .iter()
        .any(|it| it.file == file && it.is_std)
}

/// The module path of the standard-library module of a declaration, such as `std/policies`,
/// or `None` for the plan's own files.
fn std_module_of(analysis: &Analysis, id: DeclId) -> Option<String> {
    let decl = analysis.checked.decl(id)?;
    let module = analysis.workspace.modules.get(decl.module.0 as usize)?;
    if !module.is_std {
        return None;
    }
    Some(module.path.trim_end_matches(".hplan").to_string())
}
