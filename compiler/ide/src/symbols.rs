//! The outline of a file: its imports, blocks and secrets, with nested blocks and fields.

use hostplan_core::Analysis;
use hostplan_diagnostics::{FileId, TextRange};
use hostplan_syntax::ast::{Entry, EntryKind};

/// What a symbol is; the language server maps these onto the protocol's symbol kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Import,
    /// `plan`, `population`, `users` and `assumptions`.
    Plan,
    Policy,
    Environment,
    Secret,
    Operator,
    /// `release`, `layout` and `provider` blocks of a catalogue.
    Catalogue,
    /// A block inside another block.
    Block,
    Field,
}

/// One entry of the outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub full_range: TextRange,
    pub focus_range: TextRange,
    pub children: Vec<DocumentSymbol>,
}

/// The outline of `file`, in source order.
pub fn document_symbols(analysis: &Analysis, file: FileId) -> Vec<DocumentSymbol> {
    let Some(module) = analysis.workspace.modules.iter().find(|it| it.file == file) else {
        return Vec::new();
    };
    let text = analysis.workspace.sources.text(file);
    module
        .ast
        .entries
        .iter()
        .filter_map(|entry| top_level_symbol(entry, text))
        .collect()
}

fn top_level_symbol(entry: &Entry, text: &str) -> Option<DocumentSymbol> {
    match &entry.kind {
        EntryKind::Import(import) => Some(DocumentSymbol {
            name: import.path.value.clone(),
            detail: import.alias.as_ref().map(|it| format!("as {}", it.name)),
            kind: SymbolKind::Import,
            full_range: entry.range,
            focus_range: import.path.range,
            children: Vec::new(),
        }),
        EntryKind::Labelled(labelled) if labelled.kind.name == "secret" => Some(DocumentSymbol {
            name: labelled.name.name.clone(),
            detail: Some(format!("secret = {}", slice(text, labelled.value.range()))),
            kind: SymbolKind::Secret,
            full_range: entry.range,
            focus_range: labelled.name.range,
            children: Vec::new(),
        }),
        EntryKind::Block(block) => {
            let kind = match block.kind.name.as_str() {
                "policy" => SymbolKind::Policy,
                "environment" => SymbolKind::Environment,
                "operator" => SymbolKind::Operator,
                "release" | "layout" | "provider" => SymbolKind::Catalogue,
                _ => SymbolKind::Plan,
            };
            Some(block_symbol(entry, block, kind, text))
        }
        EntryKind::Labelled(_) | EntryKind::Attr(_) | EntryKind::Error => None,
    }
}

fn block_symbol(
    entry: &Entry,
    block: &hostplan_syntax::ast::Block,
    kind: SymbolKind,
    text: &str,
) -> DocumentSymbol {
    let (name, focus_range, mut detail) = match &block.label {
        Some(label) => (
            label.name().to_string(),
            label.range(),
            Some(block.kind.name.clone()),
        ),
        None => (block.kind.name.clone(), block.kind.range, None),
    };
    if let Some(parent) = &block.extends {
        let base = detail.take().unwrap_or_default();
        detail = Some(
            format!("{base} extends {}", parent.text())
                .trim_start()
                .to_string(),
        );
    }
    let children = block
        .body
        .entries
        .iter()
        .filter_map(|child| match &child.kind {
            EntryKind::Attr(attr) => Some(DocumentSymbol {
                name: attr.key.name.clone(),
                detail: Some(short(slice(text, attr.value.range()))),
                kind: SymbolKind::Field,
                full_range: child.range,
                focus_range: attr.key.range,
                children: Vec::new(),
            }),
            EntryKind::Block(nested) => Some(block_symbol(child, nested, SymbolKind::Block, text)),
            EntryKind::Import(_) | EntryKind::Labelled(_) | EntryKind::Error => None,
        })
        .collect();
    DocumentSymbol {
        name,
        detail,
        kind,
        full_range: entry.range,
        focus_range,
        children,
    }
}

fn slice(text: &str, range: TextRange) -> &str {
    text.get(range.start as usize..range.end as usize)
        .unwrap_or("")
}

/// A value as written, cut to one short line for the outline.
fn short(value: &str) -> String {
    let line = value.lines().next().unwrap_or("");
    if line.chars().count() <= 40 && !value.contains('\n') {
        return line.to_string();
    }
    let cut: String = line.chars().take(39).collect();
    format!("{cut}…")
}
