//! Go to definition, find references and rename, over the references the checker resolved.

use std::fmt;

use hostplan_core::check::DeclId;
use hostplan_core::model::SecretSlot;
use hostplan_core::schema::DeclKind;
use hostplan_core::Analysis;
use hostplan_diagnostics::{FileId, Span, TextRange};

use crate::{decl_at, is_std_file, FilePosition, TextEdit};

/// Where a navigation lands: the whole item, and the part to put the cursor on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavTarget {
    pub file: FileId,
    pub full_range: TextRange,
    pub focus_range: TextRange,
}

/// Why a rename cannot be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenameError {
    /// Nothing renamable is at the cursor.
    NothingHere,
    /// The thing at the cursor cannot be renamed, and why.
    NotRenamable(String),
    /// The new name is not a valid name, and why.
    InvalidName(String),
    /// Another declaration already has the new name.
    Conflict(String),
}

impl fmt::Display for RenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenameError::NothingHere => {
                f.write_str("there is no policy, environment, secret or operator name here")
            }
            RenameError::NotRenamable(why)
            | RenameError::InvalidName(why)
            | RenameError::Conflict(why) => f.write_str(why),
        }
    }
}

/// The declaration that the reference or name at `pos` stands for, or the file an import
/// loads.
pub fn goto_definition(analysis: &Analysis, pos: FilePosition) -> Vec<NavTarget> {
    if let Some((id, _)) = decl_at(analysis, pos) {
        let Some(decl) = analysis.checked.decl(id) else {
            return Vec::new();
        };
        return vec![NavTarget {
            file: decl.name_span.file,
            full_range: decl.span.range,
            focus_range: decl.name_span.range,
        }];
    }
    let import = analysis
        .checked
        .sites
        .imports
        .iter()
        .find(|(span, _)| span.file == pos.file && span.range.contains_inclusive(pos.offset));
    if let Some((_, module)) = import {
        let Some(module) = analysis.workspace.modules.get(module.0 as usize) else {
            return Vec::new();
        };
        let len = analysis.workspace.sources.text(module.file).len() as u32;
        return vec![NavTarget {
            file: module.file,
            full_range: TextRange::new(0, len),
            focus_range: TextRange::empty(0),
        }];
    }
    Vec::new()
}

/// Every place that names the declaration at `pos`, in file and offset order; with
/// `include_declaration`, the declared name too.
pub fn references(analysis: &Analysis, pos: FilePosition, include_declaration: bool) -> Vec<Span> {
    let Some((id, _)) = decl_at(analysis, pos) else {
        return Vec::new();
    };
    let mut spans: Vec<Span> = analysis
        .checked
        .sites
        .refs
        .iter()
        .filter(|(_, it)| *it == id)
        .map(|(span, _)| *span)
        .collect();
    if include_declaration {
        if let Some(decl) = analysis.checked.decl(id) {
            spans.push(decl.name_span);
        }
    }
    spans.sort();
    spans.dedup();
    spans
}

/// The range of the name that a rename at `pos` would change.
pub fn prepare_rename(analysis: &Analysis, pos: FilePosition) -> Result<TextRange, RenameError> {
    let (id, range) = decl_at(analysis, pos).ok_or(RenameError::NothingHere)?;
    renamable(analysis, id)?;
    let decl = analysis.checked.decl(id).ok_or(RenameError::NothingHere)?;
    Ok(name_range(analysis, Span::new(pos.file, range), &decl.name))
}

/// The edits that rename the declaration at `pos` and every reference to it.
pub fn rename(
    analysis: &Analysis,
    pos: FilePosition,
    new_name: &str,
) -> Result<Vec<TextEdit>, RenameError> {
    let (id, _) = decl_at(analysis, pos).ok_or(RenameError::NothingHere)?;
    renamable(analysis, id)?;
    let decl = analysis.checked.decl(id).ok_or(RenameError::NothingHere)?;
    if !is_identifier(new_name) {
        return Err(RenameError::InvalidName(format!(
            "`{new_name}` is not a valid name: names are letters, digits and `_`, starting with a letter or `_`"
        )));
    }
    if new_name == decl.name {
        return Ok(Vec::new());
    }
    let clash = analysis.checked.decls.iter().find(|other| {
        let same_scope = other.module == decl.module
            || (matches!(decl.kind, DeclKind::Environment | DeclKind::Operator)
                && !is_std_file(analysis, other.name_span.file));
        other.kind == decl.kind && other.name == new_name && same_scope
    });
    if let Some(other) = clash {
        return Err(RenameError::Conflict(format!(
            "{} `{new_name}` already exists in `{}`",
            other.kind.noun(),
            analysis.workspace.sources.path(other.name_span.file)
        )));
    }
    let mut edits: Vec<TextEdit> = Vec::new();
    let mut spans: Vec<Span> = analysis
        .checked
        .sites
        .refs
        .iter()
        .filter(|(_, it)| *it == id)
        .map(|(span, _)| *span)
        .collect();
    spans.push(decl.name_span);
    spans.sort();
    spans.dedup();
    for span in spans {
        let range = name_range(analysis, span, &decl.name);
        edits.push(TextEdit {
            span: Span::new(span.file, range),
            replacement: new_name.to_string(),
        });
    }
    Ok(edits)
}

/// Refuses renames that would change what a plan means or that touch the standard library.
fn renamable(analysis: &Analysis, id: DeclId) -> Result<(), RenameError> {
    let decl = analysis.checked.decl(id).ok_or(RenameError::NothingHere)?;
    if is_std_file(analysis, decl.name_span.file) {
        return Err(RenameError::NotRenamable(format!(
            "{} `{}` belongs to the standard library, which cannot be edited",
            decl.kind.noun(),
            decl.name
        )));
    }
    match decl.kind {
        DeclKind::Policy | DeclKind::Environment | DeclKind::Operator => Ok(()),
        DeclKind::Secret if SecretSlot::from_name(&decl.name).is_some() => Err(RenameError::NotRenamable(format!(
            "secret `{}` supplies CHT's credential of the same name; bind it explicitly in each environment's `secrets {{ {} = {} }}` before renaming it",
            decl.name, decl.name, decl.name
        ))),
        DeclKind::Secret => Ok(()),
        DeclKind::Release | DeclKind::Layout | DeclKind::Provider => Err(RenameError::NotRenamable(format!(
            "{} `{}` is a catalogue entry, named by what it describes",
            decl.kind.noun(),
            decl.name
        ))),
    }
}

/// The part of a reference that is the name itself: `production` in `policies.production`.
fn name_range(analysis: &Analysis, span: Span, name: &str) -> TextRange {
    let text = analysis.workspace.sources.slice(span);
    if text.len() > name.len() && text.ends_with(name) {
        let start = span.range.end - name.len() as u32;
        return TextRange::new(start, span.range.end);
    }
    span.range
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|it| it.is_ascii_alphabetic() || it == '_');
    let reserved = matches!(name, "true" | "false" | "import" | "extends" | "as");
    starts_well && chars.all(|it| it.is_ascii_alphanumeric() || it == '_') && !reserved
}
