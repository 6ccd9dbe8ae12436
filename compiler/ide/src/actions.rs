//! Quick fixes: the fixes diagnostics carry, and adding a missing required field.

use hostplan_core::schema::{self, CtorArgs, Ty};
use hostplan_core::Analysis;
use hostplan_diagnostics::{codes, Diagnostic, FileId, Span, TextRange};

use crate::completion::visible_decls;
use crate::TextEdit;

/// How many alternatives one missing field offers at most (one action per enum value,
/// constructor or declaration that fits).
const MAX_ALTERNATIVES: usize = 8;

/// A quick fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// The index in `Analysis::diagnostics` of the diagnostic the action fixes.
    pub diagnostic: usize,
    /// Whether this is the one obvious fix, which editors may apply with one key.
    pub preferred: bool,
}

/// The quick fixes for the diagnostics of `file` that touch `range`.
pub fn code_actions(analysis: &Analysis, file: FileId, range: TextRange) -> Vec<CodeAction> {
    let mut actions = Vec::new();
    for (idx, diagnostic) in analysis.diagnostics.iter().enumerate() {
        let span = diagnostic.primary.span;
        let touches = span.range.start <= range.end && range.start <= span.range.end;
        if span.file != file || !touches {
            continue;
        }
        if let Some(fix) = &diagnostic.fix {
            let edits = fix
                .edits
                .iter()
                .map(|it| TextEdit {
                    span: it.span,
                    replacement: it.replacement.clone(),
                })
                .collect();
            actions.push(CodeAction {
                title: fix.title.clone(),
                edits,
                diagnostic: idx,
                preferred: true,
            });
        }
        if std::ptr::eq(diagnostic.code, &codes::E2102) {
            missing_field_actions(analysis, idx, diagnostic, &mut actions);
        }
    }
    actions
}

/// Offers to add a required field that a block lacks, with a value of the right type: one
/// action per allowed value when the type is a closed set, one with an example value
/// otherwise.
fn missing_field_actions(
    analysis: &Analysis,
    idx: usize,
    diagnostic: &Diagnostic,
    actions: &mut Vec<CodeAction>,
) {
    let head = diagnostic.primary.span;
    let Some((body, _, block)) = analysis
        .checked
        .sites
        .blocks
        .iter()
        .find(|(_, kind, _)| kind.file == head.file && kind.range.start == head.range.start)
    else {
        return;
    };
    // The checker names the field in the label: "`domain` is required".
    let Some(name) = diagnostic.primary.message.split('`').nth(1) else {
        return;
    };
    let Some(field) = block.field(name) else {
        return;
    };
    let text = analysis.workspace.sources.text(body.file);
    let Some(insert) = insertion(text, body.range) else {
        return;
    };
    let module = analysis
        .workspace
        .modules
        .iter()
        .position(|it| it.file == body.file);
    let values = candidate_values(analysis, module, &field.ty);
    let preferred = values.len() == 1;
    for value in values.into_iter().take(MAX_ALTERNATIVES) {
        let entry = format!("{} = {value}", field.name);
        let title = format!("add `{entry}`");
        let replacement = format!("{}{entry}{}", insert.before, insert.after);
        actions.push(CodeAction {
            title,
            edits: vec![TextEdit {
                span: Span::new(body.file, TextRange::empty(insert.offset)),
                replacement,
            }],
            diagnostic: idx,
            preferred,
        });
    }
}

struct Insertion {
    offset: u32,
    before: String,
    after: String,
}

/// Where and how a new entry goes into the body at `range` (from `{` to `}`): on its own line
/// before the `}` of a multi-line body, or after the last entry of a one-line body.
fn insertion(text: &str, range: TextRange) -> Option<Insertion> {
    let body = text.get(range.start as usize..range.end as usize)?;
    if !body.ends_with('}') {
        return None;
    }
    let close = range.end - 1;
    let inner = body.get(1..body.len() - 1).unwrap_or("");
    if !body.contains('\n') {
        let trimmed = inner.trim_end();
        let offset = range.start + 1 + trimmed.len() as u32;
        return Some(match trimmed.trim_start().is_empty() {
            true => Insertion {
                offset: range.start + 1,
                before: " ".into(),
                after: " ".into(),
            },
            false => Insertion {
                offset,
                before: ", ".into(),
                after: String::new(),
            },
        });
    }
    let line_start = text
        .get(..close as usize)?
        .rfind('\n')
        .map(|it| it as u32 + 1)?;
    let close_indent = text.get(line_start as usize..close as usize)?;
    if !close_indent.trim().is_empty() {
        // Something precedes `}` on its line: put the entry after it, separated by a comma.
        return Some(Insertion {
            offset: close,
            before: ", ".into(),
            after: " ".into(),
        });
    }
    let entry_indent = inner
        .lines()
        .skip(1)
        .find(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .unwrap_or(close_indent.len() + 2);
    Some(Insertion {
        offset: line_start,
        before: " ".repeat(entry_indent),
        after: "\n".into(),
    })
}

/// Values of type `ty` to offer: every value of a closed set, or one example of the type.
fn candidate_values(analysis: &Analysis, module: Option<usize>, ty: &Ty) -> Vec<String> {
    match ty {
        Ty::Enum(values) => values.iter().map(|it| it.name.to_string()).collect(),
        Ty::Ctor(ctors) => ctors.iter().map(ctor_example).collect(),
        Ty::Ref(kind) => match module {
            Some(module) => visible_decls(analysis, module, *kind)
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            None => Vec::new(),
        },
        Ty::List(item) => match candidate_values(analysis, module, item).as_slice() {
            [only] => vec![format!("[{only}]")],
            _ => vec!["[]".to_string()],
        },
        Ty::Str(schema::StrFormat::Release) => {
            let mut releases: Vec<&str> = analysis
                .checked
                .decls_of(schema::DeclKind::Release)
                .map(|(_, decl)| decl.name.as_str())
                .collect();
            releases.sort_by_key(|it| std::cmp::Reverse(version_key(it)));
            releases
                .into_iter()
                .take(3)
                .map(|it| format!("\"{it}\""))
                .collect()
        }
        Ty::Str(_) => vec!["\"\"".to_string()],
        Ty::Count => vec!["1".to_string()],
        Ty::Number => vec!["0".to_string()],
        Ty::Duration => vec!["1d".to_string()],
        Ty::Size => vec!["1GiB".to_string()],
        Ty::Percent => vec!["100%".to_string()],
        Ty::Money => vec!["$0".to_string()],
        Ty::Bool => vec!["false".to_string()],
    }
}

/// A constructor written with the first allowed value of each required argument.
fn ctor_example(ctor: &schema::Ctor) -> String {
    let first = |ty: &Ty| match ty {
        Ty::Enum(values) => values
            .first()
            .map(|it| it.name.to_string())
            .unwrap_or_default(),
        Ty::Count => "1".to_string(),
        _ => "\"\"".to_string(),
    };
    match &ctor.args {
        CtorArgs::None => ctor.name.to_string(),
        CtorArgs::Positional(params) => {
            let args: Vec<String> = params
                .iter()
                .filter(|it| it.required)
                .map(|it| first(&it.ty))
                .collect();
            format!("{}({})", ctor.name, args.join(", "))
        }
        CtorArgs::Named(params) => {
            let args: Vec<String> = params
                .iter()
                .filter(|it| it.required)
                .map(|it| format!("{} = {}", it.name, first(&it.ty)))
                .collect();
            format!("{}({})", ctor.name, args.join(", "))
        }
        CtorArgs::Body(_) => format!("{} {{}}", ctor.name),
    }
}

/// A sort key for version strings such as `5.2.0`: numeric parts compare as numbers.
fn version_key(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|it| it.parse().unwrap_or(0))
        .collect()
}
