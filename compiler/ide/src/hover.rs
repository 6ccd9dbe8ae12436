//! Hover: what the thing under the cursor is, in Markdown.
//!
//! A field shows its type, documentation and default; a reference or a declared name shows
//! what it is, its comment documentation and, for policies and environments, the computed
//! values after `extends` (the effective policy, the topology, the estimate).

use hostplan_core::check::DeclId;
use hostplan_core::schema::{self, BlockSchema, DeclKind, FieldSchema};
use hostplan_core::Analysis;
use hostplan_diagnostics::TextRange;

use crate::describe::{environment_lines, extends_chain, policy_lines};
use crate::{decl_at, environment_estimate, std_module_of, FilePosition};

/// A hover result: the range it is about and Markdown to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub range: TextRange,
    pub markdown: String,
}

/// The hover at `pos`, if there is anything to say about what is there.
pub fn hover(analysis: &Analysis, pos: FilePosition) -> Option<Hover> {
    let sites = &analysis.checked.sites;
    if let Some((id, range)) = decl_at(analysis, pos) {
        return Some(Hover {
            range,
            markdown: decl_markdown(analysis, id),
        });
    }
    if let Some(site) = sites
        .values
        .iter()
        .filter(|it| it.span.file == pos.file && it.span.range.contains_inclusive(pos.offset))
        .min_by_key(|it| it.span.range.len())
    {
        return Some(Hover {
            range: site.span.range,
            markdown: format!("`{}`\n\n{}", site.name, site.doc),
        });
    }
    if let Some((span, field)) = sites
        .fields
        .iter()
        .find(|(span, _)| span.file == pos.file && span.range.contains_inclusive(pos.offset))
    {
        return Some(Hover {
            range: span.range,
            markdown: field_markdown(field),
        });
    }
    if let Some(hover) = secret_slot_hover(analysis, pos) {
        return Some(hover);
    }
    if let Some((_, kind_span, block)) = sites
        .blocks
        .iter()
        .find(|(_, kind, _)| kind.file == pos.file && kind.range.contains_inclusive(pos.offset))
    {
        return Some(Hover {
            range: kind_span.range,
            markdown: block_markdown(block),
        });
    }
    if let Some((span, module)) = sites
        .imports
        .iter()
        .find(|(span, _)| span.file == pos.file && span.range.contains_inclusive(pos.offset))
    {
        let module = analysis.workspace.modules.get(module.0 as usize)?;
        let header = file_header(analysis.workspace.sources.text(module.file));
        let mut markdown = format!("module `{}`", module.path.trim_end_matches(".hplan"));
        if !header.is_empty() {
            markdown.push_str("\n\n");
            markdown.push_str(&header);
        }
        return Some(Hover {
            range: span.range,
            markdown,
        });
    }
    None
}

/// The documentation of a field: its type, whether it is required or its default, and its doc.
pub(crate) fn field_markdown(field: &FieldSchema) -> String {
    let presence = match (field.required, field.default) {
        (true, _) => "required".to_string(),
        (false, Some(default)) => format!("default `{default}`"),
        (false, None) => "optional".to_string(),
    };
    format!(
        "**`{}`**: {} · {presence}\n\n{}",
        field.name,
        field.ty.describe(),
        field.doc
    )
}

/// The documentation of a block kind, with its fields.
pub(crate) fn block_markdown(block: &BlockSchema) -> String {
    let mut markdown = format!("**`{}`** block\n\n{}", block.kind, block.doc);
    if !block.fields.is_empty() {
        markdown.push_str("\n\nFields:");
        for field in block.fields {
            let presence = if field.required { " (required)" } else { "" };
            markdown.push_str(&format!(
                "\n- `{}`: {}{presence}",
                field.name,
                field.ty.describe()
            ));
        }
    }
    if !block.blocks.is_empty() {
        let kinds: Vec<String> = block
            .blocks
            .iter()
            .map(|it| format!("`{}`", it.kind))
            .collect();
        markdown.push_str(&format!("\n\nBlocks: {}", kinds.join(", ")));
    }
    markdown
}

/// What a declaration is, its documentation, and its computed values.
fn decl_markdown(analysis: &Analysis, id: DeclId) -> String {
    let Some(decl) = analysis.checked.decl(id) else {
        return String::new();
    };
    let mut markdown = format!("{} **`{}`**", decl.kind.noun(), decl.name);
    if let Some(module) = std_module_of(analysis, id) {
        markdown.push_str(&format!(" · from `{module}`"));
    }
    if !decl.docs.is_empty() {
        markdown.push_str("\n\n");
        markdown.push_str(&decl.docs.join("\n"));
    }
    let plan = analysis.plan.as_ref();
    match decl.kind {
        DeclKind::Policy => {
            let policy = plan.and_then(|plan| {
                plan.policies
                    .iter()
                    .find(|it| it.name_span == decl.name_span)
            });
            if let Some(policy) = policy {
                match extends_chain(policy) {
                    Some(chain) => markdown
                        .push_str(&format!("\n\nEffective policy, after extending {chain}:\n")),
                    None => markdown.push_str("\n\nEffective policy:\n"),
                }
                markdown.push_str(&policy_lines(policy).join("\n"));
            }
        }
        DeclKind::Environment => {
            let env = plan.and_then(|plan| {
                plan.environments
                    .iter()
                    .find(|it| it.name_span == decl.name_span)
            });
            if let Some(env) = env {
                markdown.push_str("\n\n");
                markdown.push_str(&environment_lines(env).join("\n"));
                if let Some(estimate) = environment_estimate(analysis, env) {
                    markdown.push_str("\n\nEstimate (`hostplan estimate` has the details):\n");
                    markdown.push_str(&estimate.details.join("\n"));
                }
                markdown.push_str(&format!("\n\nPolicy `{}`", env.policy.qualified));
                if let Some(chain) = extends_chain(&env.policy) {
                    markdown.push_str(&format!(", extending {chain}"));
                }
                markdown.push_str(":\n");
                markdown.push_str(&policy_lines(&env.policy).join("\n"));
            }
        }
        DeclKind::Secret => {
            let secret =
                plan.and_then(|plan| plan.secrets.iter().find(|it| it.span == decl.name_span));
            if let Some(secret) = secret {
                // The source says how the value is supplied; the value itself is never known here.
                markdown.push_str(&format!("\n\nSupplied {}.", secret.source.describe()));
            }
        }
        DeclKind::Operator => {
            let operator =
                plan.and_then(|plan| plan.operators.iter().find(|it| it.span == decl.name_span));
            if let Some(operator) = operator {
                let role = match operator.role {
                    hostplan_core::model::OperatorRole::Admin => "admin",
                    hostplan_core::model::OperatorRole::Deployer => "deployer",
                    hostplan_core::model::OperatorRole::Viewer => "viewer",
                };
                let access: Vec<String> =
                    operator.access.iter().map(|it| format!("`{it}`")).collect();
                markdown.push_str(&format!("\n\n`{role}` of {}", access.join(", ")));
            }
        }
        DeclKind::Release | DeclKind::Layout | DeclKind::Provider => {
            // Catalogue entries: list their own fields as written.
            if let Some(record) = &decl.record {
                let lines: Vec<String> = record
                    .fields
                    .iter()
                    .map(|field| {
                        format!(
                            "- `{}` = `{}`",
                            field.name,
                            analysis.workspace.sources.slice(field.value.span)
                        )
                    })
                    .collect();
                if !lines.is_empty() {
                    markdown.push_str("\n\n");
                    markdown.push_str(&lines.join("\n"));
                }
            }
        }
    }
    markdown
}

/// Hover on a credential name inside `secrets { ... }`.
fn secret_slot_hover(analysis: &Analysis, pos: FilePosition) -> Option<Hover> {
    let inside_secrets = analysis
        .checked
        .sites
        .blocks
        .iter()
        .any(|(body, _, block)| {
            block.kind == "secrets"
                && body.file == pos.file
                && body.range.contains_inclusive(pos.offset)
        });
    if !inside_secrets {
        return None;
    }
    let text = analysis.workspace.sources.text(pos.file);
    let range = word_at(text, pos.offset)?;
    let word = text.get(range.start as usize..range.end as usize)?;
    let after = text.get(range.end as usize..)?.trim_start();
    if !after.starts_with('=') {
        return None;
    }
    let slot = schema::SECRET_SLOTS.iter().find(|it| it.name == word)?;
    Some(Hover {
        range,
        markdown: format!("credential **`{}`**\n\n{}", slot.name, slot.doc),
    })
}

/// The identifier around `offset`.
pub(crate) fn word_at(text: &str, offset: u32) -> Option<TextRange> {
    let bytes = text.as_bytes();
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let mut start = (offset as usize).min(bytes.len());
    while start > 0 && bytes.get(start - 1).copied().is_some_and(is_word) {
        start -= 1;
    }
    let mut end = (offset as usize).min(bytes.len());
    while bytes.get(end).copied().is_some_and(is_word) {
        end += 1;
    }
    if start == end {
        return None;
    }
    Some(TextRange::new(start as u32, end as u32))
}

/// The first paragraph of the comment at the top of a file: the module's summary.
fn file_header(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        if comment.trim().is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(comment.strip_prefix(' ').unwrap_or(comment).to_string());
    }
    lines.join("\n")
}
