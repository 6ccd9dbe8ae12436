//! The formatter: one canonical layout for `.hplan` files.
//!
//! It prints the syntax tree, so it keeps every comment the parser attached. Layout rules:
//! two-space indentation; `=` aligned within runs of consecutive one-line fields, and
//! trailing comments aligned within the same runs; a blank line around multi-line blocks at
//! the top level; bodies and lists that the source wrote on one line stay on one line when
//! they hold no comments and fit in [`MAX_WIDTH`] columns, and are otherwise broken one entry
//! per line. Formatting its own output gives the same text, which a test checks on every
//! example.

use crate::ast::{Block, Body, Entry, EntryKind, Expr, File, List};

/// The width beyond which one-line bodies and lists are broken.
pub const MAX_WIDTH: usize = 100;

const INDENT: &str = "  ";

/// Formats a parsed file. Call it only on a file without syntax errors: error nodes are kept
/// verbatim from `source`, but their surroundings may not be.
pub fn format(file: &File, source: &str) -> String {
    let mut out = String::new();
    write_entries(&mut out, &file.entries, 0, source, true);
    if !file.trailing_comments.is_empty() {
        if !file.entries.is_empty() {
            out.push('\n');
        }
        for comment in &file.trailing_comments {
            out.push_str(&comment.text);
            out.push('\n');
        }
    }
    out
}

/// A rendered entry before alignment: the part before `=` (if any), the rest, and whether it
/// spans several lines.
struct Rendered {
    key: Option<String>,
    rest: String,
    multi_line: bool,
}

fn write_entries(out: &mut String, entries: &[Entry], depth: usize, source: &str, top_level: bool) {
    let indent = INDENT.repeat(depth);
    let rendered: Vec<Rendered> = entries
        .iter()
        .map(|entry| render_entry(entry, depth, source))
        .collect();
    let mut idx = 0;
    while idx < entries.len() {
        // A run of aligned one-line entries ends at a blank line, a comment line or a
        // multi-line entry. Within a run, `=` signs and trailing comments line up.
        let mut run_end = idx + 1;
        if is_alignable(&rendered[idx]) {
            while run_end < entries.len()
                && is_alignable(&rendered[run_end])
                && !needs_blank_line(entries, &rendered, run_end, top_level)
                && entries[run_end].comments_before.is_empty()
                && entries[run_end].inner_comments.is_empty()
            {
                run_end += 1;
            }
        }
        let key_width = (idx..run_end)
            .filter_map(|it| rendered[it].key.as_ref())
            .map(|it| it.len())
            .max()
            .unwrap_or(0);
        let lines: Vec<String> = (idx..run_end)
            .map(|it| join_aligned(&rendered[it], key_width))
            .collect();
        let code_width = lines.iter().map(|it| it.chars().count()).max().unwrap_or(0);
        for (offset, line) in lines.iter().enumerate() {
            let entry_idx = idx + offset;
            let entry = &entries[entry_idx];
            if entry_idx > 0 && needs_blank_line(entries, &rendered, entry_idx, top_level) {
                out.push('\n');
            }
            for comment in entry.comments_before.iter().chain(&entry.inner_comments) {
                out.push_str(&indent);
                out.push_str(&comment.text);
                out.push('\n');
            }
            out.push_str(&indent);
            out.push_str(line);
            if let Some(comment) = &entry.trailing_comment {
                let pad = if run_end - idx > 1 {
                    code_width - line.chars().count()
                } else {
                    0
                };
                out.push_str(&" ".repeat(pad + 2));
                out.push_str(&comment.text);
            }
            out.push('\n');
        }
        idx = run_end;
    }
}

fn is_alignable(rendered: &Rendered) -> bool {
    !rendered.multi_line
}

fn needs_blank_line(entries: &[Entry], rendered: &[Rendered], idx: usize, top_level: bool) -> bool {
    if entries[idx].blank_before {
        return true;
    }
    if !top_level {
        return false;
    }
    // At the top level, multi-line blocks stand apart from their neighbours.
    let is_multi_line_block =
        |it: usize| matches!(entries[it].kind, EntryKind::Block(_)) && rendered[it].multi_line;
    let kind_changes = std::mem::discriminant(&entries[idx].kind)
        != std::mem::discriminant(&entries[idx - 1].kind);
    is_multi_line_block(idx) || is_multi_line_block(idx - 1) || kind_changes
}

fn join_aligned(rendered: &Rendered, key_width: usize) -> String {
    match &rendered.key {
        Some(key) => format!("{key:key_width$} = {}", rendered.rest),
        None => rendered.rest.clone(),
    }
}

fn render_entry(entry: &Entry, depth: usize, source: &str) -> Rendered {
    match &entry.kind {
        EntryKind::Import(import) => {
            let mut rest = format!("import {}", quote(&import.path.value));
            if let Some(alias) = &import.alias {
                rest.push_str(" as ");
                rest.push_str(&alias.name);
            }
            Rendered {
                key: None,
                rest,
                multi_line: false,
            }
        }
        EntryKind::Attr(attr) => {
            let rest = render_value(&attr.value, depth, source);
            let multi_line = rest.contains('\n');
            Rendered {
                key: Some(attr.key.name.clone()),
                rest,
                multi_line,
            }
        }
        EntryKind::Labelled(labelled) => {
            let rest = render_value(&labelled.value, depth, source);
            let multi_line = rest.contains('\n');
            Rendered {
                key: Some(format!("{} {}", labelled.kind.name, labelled.name.name)),
                rest,
                multi_line,
            }
        }
        EntryKind::Block(block) => {
            let rest = render_block(block, depth, source);
            let multi_line = rest.contains('\n');
            Rendered {
                key: None,
                rest,
                multi_line,
            }
        }
        EntryKind::Error => {
            let text = source
                .get(entry.range.start as usize..entry.range.end as usize)
                .unwrap_or("")
                .to_string();
            let multi_line = text.contains('\n');
            Rendered {
                key: None,
                rest: text,
                multi_line,
            }
        }
    }
}

fn render_block(block: &Block, depth: usize, source: &str) -> String {
    let mut head = block.kind.name.clone();
    if let Some(label) = &block.label {
        head.push(' ');
        match label {
            crate::ast::BlockLabel::Ident(it) => head.push_str(&it.name),
            crate::ast::BlockLabel::Str(it) => head.push_str(&quote(&it.value)),
        }
    }
    if let Some(parent) = &block.extends {
        head.push_str(" extends ");
        head.push_str(&parent.text());
    }
    head.push(' ');
    head.push_str(&render_body(&block.body, depth, source, head.len()));
    head
}

fn render_body(body: &Body, depth: usize, source: &str, prefix_width: usize) -> String {
    if body.entries.is_empty() && body.dangling_comments.is_empty() {
        return "{}".to_string();
    }
    if body.single_line {
        if let Some(inline) = inline_body(body) {
            if depth * INDENT.len() + prefix_width + inline.len() <= MAX_WIDTH {
                return inline;
            }
        }
    }
    let mut out = String::from("{\n");
    write_entries(&mut out, &body.entries, depth + 1, source, false);
    let indent = INDENT.repeat(depth + 1);
    for comment in &body.dangling_comments {
        out.push_str(&indent);
        out.push_str(&comment.text);
        out.push('\n');
    }
    out.push_str(&INDENT.repeat(depth));
    out.push('}');
    out
}

/// The one-line form `{ a = 1, b = 2 }` of a body, if it has no comments and holds only
/// fields and blocks that are themselves one line.
fn inline_body(body: &Body) -> Option<String> {
    if !body.dangling_comments.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for entry in &body.entries {
        if !entry.comments_before.is_empty()
            || entry.trailing_comment.is_some()
            || !entry.inner_comments.is_empty()
        {
            return None;
        }
        let part = match &entry.kind {
            EntryKind::Attr(attr) => format!("{} = {}", attr.key.name, inline_value(&attr.value)?),
            EntryKind::Labelled(it) => format!(
                "{} {} = {}",
                it.kind.name,
                it.name.name,
                inline_value(&it.value)?
            ),
            EntryKind::Block(block) => {
                let rendered = render_block(block, 0, "");
                if rendered.contains('\n') {
                    return None;
                }
                rendered
            }
            EntryKind::Import(_) | EntryKind::Error => return None,
        };
        parts.push(part);
    }
    Some(format!("{{ {} }}", parts.join(", ")))
}

fn inline_value(expr: &Expr) -> Option<String> {
    let rendered = render_value(expr, 0, "");
    if rendered.contains('\n') {
        return None;
    }
    Some(rendered)
}

fn render_value(expr: &Expr, depth: usize, source: &str) -> String {
    match expr {
        Expr::Str(it) => quote(&it.value),
        Expr::Number { text, .. } | Expr::Quantity { text, .. } | Expr::Money { text, .. } => {
            text.clone()
        }
        Expr::Bool { value, .. } => value.to_string(),
        Expr::Path(path) => path.text(),
        Expr::Call(call) => {
            let args: Vec<String> = call
                .args
                .iter()
                .map(|arg| {
                    let value = render_value(&arg.value, depth, source);
                    match &arg.name {
                        Some(name) => format!("{} = {value}", name.name),
                        None => value,
                    }
                })
                .collect();
            format!("{}({})", call.callee.text(), args.join(", "))
        }
        Expr::Construct(construct) => {
            let head = construct.callee.text();
            let body = render_body(&construct.body, depth, source, head.len() + 1);
            format!("{head} {body}")
        }
        Expr::List(list) => render_list(list, depth, source),
        Expr::Error(range) => source
            .get(range.start as usize..range.end as usize)
            .unwrap_or("")
            .to_string(),
    }
}

fn render_list(list: &List, depth: usize, source: &str) -> String {
    let has_comments = !list.dangling_comments.is_empty()
        || list
            .items
            .iter()
            .any(|it| !it.comments_before.is_empty() || it.trailing_comment.is_some());
    if list.items.is_empty() && !has_comments {
        return "[]".to_string();
    }
    if list.single_line && !has_comments {
        let items: Option<Vec<String>> = list
            .items
            .iter()
            .map(|it| inline_value(&it.value))
            .collect();
        if let Some(items) = items {
            let inline = format!("[{}]", items.join(", "));
            if depth * INDENT.len() + inline.len() <= MAX_WIDTH {
                return inline;
            }
        }
    }
    let indent = INDENT.repeat(depth + 1);
    let mut out = String::from("[\n");
    for item in &list.items {
        for comment in &item.comments_before {
            out.push_str(&indent);
            out.push_str(&comment.text);
            out.push('\n');
        }
        out.push_str(&indent);
        out.push_str(&render_value(&item.value, depth + 1, source));
        out.push(',');
        if let Some(comment) = &item.trailing_comment {
            out.push_str("  ");
            out.push_str(&comment.text);
        }
        out.push('\n');
    }
    for comment in &list.dangling_comments {
        out.push_str(&indent);
        out.push_str(&comment.text);
        out.push('\n');
    }
    out.push_str(&INDENT.repeat(depth));
    out.push(']');
    out
}

/// Writes a string literal with the canonical escapes.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if ch.is_control() => out.push_str(&format!("\\u{{{:x}}}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}
