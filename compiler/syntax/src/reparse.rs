//! Incremental reparsing: after an edit, only the top-level entries the edit touches are
//! parsed again, and the rest of the tree is kept, shifted.
//!
//! A file is a sequence of top-level entries, and each occupies whole lines (with the
//! comments above it and the comment after it). Tokens never span lines, and the parser is
//! in the same state at the start of every top-level entry, so parsing the lines of the
//! entries around an edit gives what a full parse would give there, as long as the entry
//! before them is complete. The entry after them is parsed too and compared with the kept
//! one: if the edit changed how it parses (an unclosed `{` swallowing it, say), the file is
//! parsed in full instead. A property test checks the result against a full parse on
//! thousands of random edits.

use hostplan_diagnostics::{Diagnostic, FileId, TextRange};

use crate::ast::{Body, Comment, Entry, EntryKind, Expr, File, Ident, Path};
use crate::parser::parse;

/// How a reparse went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reparse {
    /// Only the entries of the returned region were parsed.
    Incremental(Region),
    /// The whole file was parsed.
    Full,
}

/// What an incremental reparse replaced: the entries `old_entries` of the old tree, which
/// occupied `old_range` of the old text, became the entries `new_entries`, which occupy
/// `new_range` of the new text. Entries before the region are untouched; entries after it
/// are the old ones moved by `delta` bytes. Later stages use this to redo only the work of
/// the replaced entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub old_entries: std::ops::Range<usize>,
    pub new_entries: std::ops::Range<usize>,
    pub old_range: TextRange,
    pub new_range: TextRange,
    pub delta: i64,
}

/// Turns `ast` and `diagnostics`, the parse of `old_text`, into the parse of `new_text`.
pub fn reparse(
    file: FileId,
    old_text: &str,
    ast: &mut File,
    diagnostics: &mut Vec<Diagnostic>,
    new_text: &str,
) -> Reparse {
    match plan(old_text, ast, diagnostics, new_text) {
        Some(region) => apply(file, ast, diagnostics, new_text, region),
        None => {
            let fresh = parse(file, new_text);
            *ast = fresh.file;
            *diagnostics = fresh.diagnostics;
            Reparse::Full
        }
    }
}

/// The entries to parse again: `entries[first..end]`, which occupy `old_start..old_end` of
/// the old text.
struct Planned {
    first: usize,
    end: usize,
    old_start: usize,
    old_end: usize,
    delta: i64,
}

fn plan(old_text: &str, ast: &File, diagnostics: &[Diagnostic], new_text: &str) -> Option<Planned> {
    let entries = &ast.entries;
    if entries.is_empty() {
        return None;
    }
    let prefix = common_prefix(old_text, new_text);
    let suffix = common_suffix(old_text.get(prefix..)?, new_text.get(prefix..)?);
    let edit_start = prefix;
    let edit_end = old_text.len() - suffix;
    let delta = new_text.len() as i64 - old_text.len() as i64;
    // The lines each entry occupies; entries that share a line cannot be split apart.
    let mut chunks: Vec<(usize, usize)> = Vec::with_capacity(entries.len());
    for entry in entries {
        let first = entry
            .comments_before
            .first()
            .map(|it| it.range.start)
            .unwrap_or(entry.range.start)
            .min(entry.range.start);
        let last = entry
            .trailing_comment
            .as_ref()
            .map(|it| it.range.end)
            .unwrap_or(entry.range.end)
            .max(entry.range.end);
        let start = line_start(old_text, first as usize);
        let end = line_end(old_text, last as usize);
        if chunks
            .last()
            .is_some_and(|(_, previous_end)| start < *previous_end)
        {
            return None;
        }
        chunks.push((start, end));
    }
    // The entry before the touched ones is parsed again too, since text added at the start
    // of a line could continue it.
    let touched = chunks
        .iter()
        .position(|(_, end)| *end > edit_start)
        .unwrap_or(entries.len());
    let first = touched.saturating_sub(1);
    // The first entry wholly after the edit is parsed again as a check (see `apply`).
    let after = (first..entries.len())
        .find(|idx| chunks.get(*idx).is_some_and(|(start, _)| *start > edit_end));
    let end = match after {
        Some(idx) => idx + 1,
        None => entries.len(),
    };
    // From the start of the file when the first entry is reparsed, so that anything before
    // it (comments, stray text) is parsed again with it.
    let old_start = if first == 0 { 0 } else { chunks.get(first)?.0 };
    let old_end = match chunks.get(end) {
        Some((start, _)) => *start,
        None => old_text.len(),
    };
    // The parser must be at the top level when the region starts: the entry before it is
    // complete, which a diagnostic-free parse of it guarantees, and nothing but blank lines
    // separates it from the region (a stray `}` belongs to no entry, yet counts).
    if first > 0 {
        let (start, end_of_previous) = chunks.get(first - 1)?;
        let gap = old_text.get(*end_of_previous..old_start)?;
        let troubled = diagnostics.iter().any(|it| {
            let at = it.primary.span.range.start as usize;
            *start <= at && at <= old_start
        });
        if troubled || !gap.trim().is_empty() {
            return None;
        }
    }
    if old_start > edit_start || old_end < edit_end {
        return None;
    }
    Some(Planned {
        first,
        end,
        old_start,
        old_end,
        delta,
    })
}

fn apply(
    file: FileId,
    ast: &mut File,
    diagnostics: &mut Vec<Diagnostic>,
    new_text: &str,
    region: Planned,
) -> Reparse {
    let Planned {
        first,
        end,
        old_start,
        old_end,
        delta,
    } = region;
    let new_end = (old_end as i64 + delta) as usize;
    let Some(fragment) = new_text.get(old_start..new_end) else {
        return full(file, ast, diagnostics, new_text);
    };
    let mut reparsed = parse(file, fragment);
    let offset = old_start as i64;
    for entry in &mut reparsed.file.entries {
        shift_entry(entry, offset);
    }
    for comment in &mut reparsed.file.trailing_comments {
        shift_comment(comment, offset);
    }
    for diagnostic in &mut reparsed.diagnostics {
        shift_diagnostic(diagnostic, offset);
    }
    let to_the_end = end == ast.entries.len();
    if !to_the_end {
        // The last entry parsed must come out as it was, moved by the edit: then the parser
        // left the region in the state a full parse would, and the kept entries stand.
        let Some(mut expected) = ast.entries.get(end - 1).cloned() else {
            return full(file, ast, diagnostics, new_text);
        };
        shift_entry(&mut expected, delta);
        let same = reparsed.file.entries.last() == Some(&expected)
            && reparsed.file.trailing_comments.is_empty();
        if !same {
            return full(file, ast, diagnostics, new_text);
        }
        for entry in ast.entries.iter_mut().skip(end) {
            shift_entry(entry, delta);
        }
        for comment in &mut ast.trailing_comments {
            shift_comment(comment, delta);
        }
    } else {
        ast.trailing_comments = reparsed.file.trailing_comments;
    }
    let new_count = reparsed.file.entries.len();
    ast.entries.splice(first..end, reparsed.file.entries);
    // A kept entry's `blank_before` depends on the lines above it, which are unchanged; the
    // first reparsed one saw no entry before it in the fragment, so it is set here as the
    // parser would: blank lines count only up to the first comment, and a trailing comment
    // of the entry before comes first.
    if first > 0 {
        let previous = ast
            .entries
            .get(first - 1)
            .map(|it| (it.range.end as usize, it.trailing_comment.is_some()));
        if let (Some((previous_end, false)), Some(entry)) = (previous, ast.entries.get_mut(first)) {
            entry.blank_before = blank_line_between(new_text, previous_end);
        }
    }
    diagnostics.retain_mut(|it| {
        let at = it.primary.span.range.start as usize;
        if at < old_start {
            return true;
        }
        if at >= old_end && !(to_the_end && at == old_end) {
            shift_diagnostic(it, delta);
            return true;
        }
        false
    });
    diagnostics.append(&mut reparsed.diagnostics);
    Reparse::Incremental(Region {
        old_entries: first..end,
        new_entries: first..first + new_count,
        old_range: TextRange::new(old_start as u32, old_end as u32),
        new_range: TextRange::new(old_start as u32, new_end as u32),
        delta,
    })
}

fn full(
    file: FileId,
    ast: &mut File,
    diagnostics: &mut Vec<Diagnostic>,
    new_text: &str,
) -> Reparse {
    let fresh = parse(file, new_text);
    *ast = fresh.file;
    *diagnostics = fresh.diagnostics;
    Reparse::Full
}

/// Whether an empty line follows the entry that ends at `from`, before the next comment or
/// token, as the parser counts blank lines.
fn blank_line_between(text: &str, from: usize) -> bool {
    let rest = text.get(from..).unwrap_or("");
    let gap = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
    rest.get(..gap)
        .is_some_and(|it| it.matches('\n').count() >= 2)
}

fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .and_then(|it| it.rfind('\n'))
        .map(|it| it + 1)
        .unwrap_or(0)
}

/// The offset after the line break that ends the line holding `offset`, or the text's end.
fn line_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.get(offset..)
        .and_then(|it| it.find('\n'))
        .map(|it| offset + it + 1)
        .unwrap_or(text.len())
}

fn common_prefix(a: &str, b: &str) -> usize {
    let len = a
        .as_bytes()
        .iter()
        .zip(b.as_bytes())
        .take_while(|(x, y)| x == y)
        .count();
    let mut len = len.min(a.len()).min(b.len());
    while !(a.is_char_boundary(len) && b.is_char_boundary(len)) {
        len -= 1;
    }
    len
}

fn common_suffix(a: &str, b: &str) -> usize {
    let len = a
        .as_bytes()
        .iter()
        .rev()
        .zip(b.as_bytes().iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut len = len.min(a.len()).min(b.len());
    while !(a.is_char_boundary(a.len() - len) && b.is_char_boundary(b.len() - len)) {
        len -= 1;
    }
    len
}

// ----- moving a tree by an offset -----

fn shift_range(range: &mut TextRange, delta: i64) {
    range.start = (range.start as i64 + delta).max(0) as u32;
    range.end = (range.end as i64 + delta).max(0) as u32;
}

fn shift_diagnostic(diagnostic: &mut Diagnostic, delta: i64) {
    shift_range(&mut diagnostic.primary.span.range, delta);
    for label in &mut diagnostic.secondary {
        shift_range(&mut label.span.range, delta);
    }
    if let Some(fix) = &mut diagnostic.fix {
        for edit in &mut fix.edits {
            shift_range(&mut edit.span.range, delta);
        }
    }
}

fn shift_comment(comment: &mut Comment, delta: i64) {
    shift_range(&mut comment.range, delta);
}

fn shift_ident(ident: &mut Ident, delta: i64) {
    shift_range(&mut ident.range, delta);
}

fn shift_path(path: &mut Path, delta: i64) {
    shift_range(&mut path.range, delta);
    for segment in &mut path.segments {
        shift_ident(segment, delta);
    }
}

fn shift_body(body: &mut Body, delta: i64) {
    shift_range(&mut body.range, delta);
    for entry in &mut body.entries {
        shift_entry(entry, delta);
    }
    for comment in &mut body.dangling_comments {
        shift_comment(comment, delta);
    }
}

/// Moves every range of an entry by `delta` bytes.
fn shift_entry(entry: &mut Entry, delta: i64) {
    shift_range(&mut entry.range, delta);
    for comment in entry
        .comments_before
        .iter_mut()
        .chain(&mut entry.inner_comments)
        .chain(&mut entry.trailing_comment)
    {
        shift_comment(comment, delta);
    }
    match &mut entry.kind {
        EntryKind::Import(import) => {
            shift_range(&mut import.path.range, delta);
            if let Some(alias) = &mut import.alias {
                shift_ident(alias, delta);
            }
        }
        EntryKind::Attr(attr) => {
            shift_ident(&mut attr.key, delta);
            shift_expr(&mut attr.value, delta);
        }
        EntryKind::Block(block) => {
            shift_ident(&mut block.kind, delta);
            match &mut block.label {
                Some(crate::ast::BlockLabel::Ident(it)) => shift_ident(it, delta),
                Some(crate::ast::BlockLabel::Str(it)) => shift_range(&mut it.range, delta),
                None => {}
            }
            if let Some(parent) = &mut block.extends {
                shift_path(parent, delta);
            }
            shift_body(&mut block.body, delta);
        }
        EntryKind::Labelled(labelled) => {
            shift_ident(&mut labelled.kind, delta);
            shift_ident(&mut labelled.name, delta);
            shift_expr(&mut labelled.value, delta);
        }
        EntryKind::Error => {}
    }
}

fn shift_expr(expr: &mut Expr, delta: i64) {
    match expr {
        Expr::Str(it) => shift_range(&mut it.range, delta),
        Expr::Number { range, .. }
        | Expr::Quantity { range, .. }
        | Expr::Money { range, .. }
        | Expr::Bool { range, .. } => shift_range(range, delta),
        Expr::List(list) => {
            shift_range(&mut list.range, delta);
            for comment in &mut list.dangling_comments {
                shift_comment(comment, delta);
            }
            for item in &mut list.items {
                shift_expr(&mut item.value, delta);
                for comment in item
                    .comments_before
                    .iter_mut()
                    .chain(&mut item.trailing_comment)
                {
                    shift_comment(comment, delta);
                }
            }
        }
        Expr::Path(path) => shift_path(path, delta),
        Expr::Call(call) => {
            shift_range(&mut call.range, delta);
            shift_path(&mut call.callee, delta);
            for arg in &mut call.args {
                if let Some(name) = &mut arg.name {
                    shift_ident(name, delta);
                }
                shift_expr(&mut arg.value, delta);
            }
        }
        Expr::Construct(construct) => {
            shift_range(&mut construct.range, delta);
            shift_path(&mut construct.callee, delta);
            shift_body(&mut construct.body, delta);
        }
        Expr::Error(range) => shift_range(range, delta),
    }
}

#[cfg(test)]
mod tests {
    use hostplan_diagnostics::{Diagnostic, FileId};

    use super::{reparse, Reparse};
    use crate::parse;

    const SNIPPETS: &[&str] = &[
        "{",
        "}",
        "\"",
        "#",
        "\n",
        " = ",
        "x",
        "environment e {\n",
        "]",
        "[",
        "(",
        ")",
        "\n\n",
        "# note\n",
        "5d",
        ",",
        "policy p extends q ",
        "  kind = test\n",
        "\\",
        "é😀",
        "import \"std/cht\"\n",
        "}\n\n",
        "\t",
    ];

    fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<(u32, u32, &'static str, String)> {
        let mut out: Vec<_> = diagnostics
            .drain(..)
            .map(|it| {
                (
                    it.primary.span.range.start,
                    it.primary.span.range.end,
                    it.code.code,
                    it.message,
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Applies random edits and checks, after each, that the incremental parse is the full
    /// parse.
    fn check_random_edits(text: &str, steps: usize, seed: u64) -> usize {
        let file = FileId(3);
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut current = text.to_string();
        let start = parse(file, &current);
        let (mut ast, mut diagnostics) = (start.file, start.diagnostics);
        let mut incremental = 0;
        for step in 0..steps {
            let mut at = (next() % (current.len() as u64 + 1)) as usize;
            while !current.is_char_boundary(at) {
                at -= 1;
            }
            let mut edited = current.clone();
            if next() % 3 == 0 {
                let mut end = (at + 1 + (next() % 12) as usize).min(edited.len());
                while !edited.is_char_boundary(end) {
                    end += 1;
                }
                edited.replace_range(at..end, "");
            } else {
                edited.insert_str(at, SNIPPETS[(next() % SNIPPETS.len() as u64) as usize]);
            }
            if let Reparse::Incremental(_) =
                reparse(file, &current, &mut ast, &mut diagnostics, &edited)
            {
                incremental += 1;
            }
            let expected = parse(file, &edited);
            if ast != expected.file {
                eprintln!("BEFORE:\n{current}\n-----");
                for (idx, (a, b)) in ast.entries.iter().zip(&expected.file.entries).enumerate() {
                    if a != b {
                        eprintln!("entry {idx}\nGOT {a:?}\nWANT {b:?}");
                        break;
                    }
                }
                eprintln!(
                    "counts {} {}",
                    ast.entries.len(),
                    expected.file.entries.len()
                );
            }
            assert!(
                ast == expected.file,
                "step {step}: the tree differs from a full parse of:\n{edited}"
            );
            assert_eq!(
                sorted(diagnostics.clone()),
                sorted(expected.diagnostics),
                "step {step}: diagnostics of:\n{edited}"
            );
            current = edited;
        }
        incremental
    }

    #[test]
    fn incremental_reparse_equals_a_full_parse_after_random_edits() {
        let national = include_str!("../../../examples/national/plan.hplan");
        let policies = include_str!("../../../stdlib/policies.hplan");
        let aws = include_str!("../../../stdlib/aws.hplan");
        let mut incremental = 0;
        for (idx, text) in [national, policies, aws].iter().enumerate() {
            for seed in 1..=4u64 {
                incremental += check_random_edits(text, 150, seed * 7919 + idx as u64);
            }
        }
        // Most edits of a healthy file stay incremental; the check above is what matters.
        assert!(incremental > 300, "only {incremental} incremental reparses");
    }

    #[test]
    fn an_edit_inside_one_entry_reparses_only_that_region() {
        let text = "plan \"x\" {\n  cht = \"5.2.0\"\n}\n\npolicy a {\n  encryption = none\n}\n\npolicy b {\n  encryption = none\n}\n\npolicy c {}\n";
        let parsed = parse(FileId(0), text);
        let (mut ast, mut diagnostics) = (parsed.file, parsed.diagnostics);
        let edited = text.replacen(
            "policy b {\n  encryption = none",
            "policy b {\n  encryption = at_rest",
            1,
        );
        let result = reparse(FileId(0), text, &mut ast, &mut diagnostics, &edited);
        let start = edited.find("policy a").unwrap() as u32;
        let end = edited.find("policy c").unwrap() as u32 + "policy c {}\n".len() as u32;
        let Reparse::Incremental(region) = result else {
            panic!("the edit is reparsed incrementally");
        };
        assert_eq!(
            region.new_range,
            hostplan_diagnostics::TextRange::new(start, end)
        );
        assert_eq!(region.delta, 3);
        assert_eq!(region.old_entries.len(), region.new_entries.len());
        let expected = parse(FileId(0), &edited).file;
        for (idx, (a, b)) in ast.entries.iter().zip(&expected.entries).enumerate() {
            assert_eq!(a, b, "entry {idx}");
        }
        assert!(ast == expected);
    }
}
