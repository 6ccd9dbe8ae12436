//! Completion: what may be written at the cursor.
//!
//! The text being typed is usually broken, so the context comes from the tokens before the
//! cursor rather than from the tree: the innermost open `{` says which block the cursor is
//! in (its schema is the one the checker recorded for that body), and the tokens of the
//! current entry say whether a field name, a value (of which type), a unit, a parent for
//! `extends` or a module path is expected. What is offered comes from the schema table and
//! the checked declarations, so completion offers exactly what the checker accepts.

use hostplan_core::check::DeclId;
use hostplan_core::schema::{self, BlockSchema, Ctor, CtorArgs, DeclKind, LabelRule, Ty};
use hostplan_core::Analysis;
use hostplan_diagnostics::TextRange;
use hostplan_syntax::ast::{Body, Dimension, EntryKind, Expr, Unit};
use hostplan_syntax::{lex, Token, TokenKind};

use crate::hover::{block_markdown, field_markdown};
use crate::FilePosition;

/// What a completion item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Field,
    Block,
    EnumValue,
    Constructor,
    Reference,
    Unit,
    Module,
    Keyword,
    Credential,
    Rule,
}

/// One completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// The text that replaces `replace`.
    pub insert: String,
    /// Whether `insert` has snippet tab stops (`$1`, `$0`, `${1:name}`).
    pub snippet: bool,
    /// The range the item replaces: the word being typed, or an empty range at the cursor.
    pub replace: TextRange,
}

/// The completions at `pos`, in the order the schema lists them.
pub fn completions(analysis: &Analysis, pos: FilePosition) -> Vec<CompletionItem> {
    let Some(module) = analysis
        .workspace
        .modules
        .iter()
        .position(|it| it.file == pos.file)
    else {
        return Vec::new();
    };
    let text = analysis.workspace.sources.text(pos.file);
    let offset = (pos.offset as usize).min(text.len());
    let Some(prefix) = text.get(..offset) else {
        return Vec::new();
    };
    let ctx = Ctx {
        analysis,
        module,
        text,
        offset: offset as u32,
    };
    if let Some(items) = ctx.import_path(prefix) {
        return items;
    }
    let (tokens, _) = lex(pos.file, prefix);
    let tokens: Vec<Token> = tokens
        .into_iter()
        .filter(|it| it.kind != TokenKind::Comment || it.range.end == offset as u32)
        .collect();
    if let Some(last) = tokens.last() {
        let ends_here = last.range.end == offset as u32;
        if ends_here && matches!(last.kind, TokenKind::Comment) {
            return Vec::new();
        }
        if ends_here
            && matches!(last.kind, TokenKind::Str(_))
            && !is_closed_string(text, last.range)
        {
            return ctx.inside_string(&tokens);
        }
    }
    ctx.complete(&tokens)
}

/// The declarations of `kind` that module `module` can name, as they would be written there:
/// its own by name, those of imported modules as `alias.name`.
pub(crate) fn visible_decls(
    analysis: &Analysis,
    module: usize,
    kind: DeclKind,
) -> Vec<(String, DeclId)> {
    let mut out: Vec<(String, DeclId)> = analysis
        .checked
        .decls_of(kind)
        .filter(|(_, decl)| decl.module.0 as usize == module)
        .map(|(id, decl)| (decl.name.clone(), id))
        .collect();
    let Some(current) = analysis.workspace.modules.get(module) else {
        return out;
    };
    for import in &current.imports {
        let Some(target) = import.target else {
            continue;
        };
        for (id, decl) in analysis
            .checked
            .decls_of(kind)
            .filter(|(_, decl)| decl.module == target)
        {
            out.push((format!("{}.{}", import.alias, decl.name), id));
        }
    }
    out
}

struct Ctx<'a> {
    analysis: &'a Analysis,
    module: usize,
    text: &'a str,
    offset: u32,
}

/// The word being typed, and the module alias written before it (`policies.` in
/// `policies.pro`).
struct Word {
    range: TextRange,
    text: String,
    qualifier: Option<String>,
}

impl Ctx<'_> {
    /// `import "std/...`: the modules of the standard library.
    fn import_path(&self, prefix: &str) -> Option<Vec<CompletionItem>> {
        let line = prefix.rsplit('\n').next().unwrap_or(prefix);
        let rest = line
            .trim_start()
            .strip_prefix("import")?
            .trim_start()
            .strip_prefix('"')?;
        if rest.contains('"') {
            return None;
        }
        let start = self.offset - rest.len() as u32;
        let line_rest = self.text.get(self.offset as usize..).unwrap_or("");
        let end = self.offset
            + line_rest
                .find(['"', '\n'])
                .filter(|it| line_rest.as_bytes().get(*it) == Some(&b'"'))
                .unwrap_or(0) as u32;
        let replace = TextRange::new(start, end);
        Some(
            hostplan_core::modules::STDLIB
                .iter()
                .map(|(name, source)| CompletionItem {
                    label: format!("std/{name}"),
                    kind: CompletionKind::Module,
                    detail: Some("standard library".to_string()),
                    documentation: Some(module_summary(source)),
                    insert: format!("std/{name}"),
                    snippet: false,
                    replace,
                })
                .collect(),
        )
    }

    /// Inside an unclosed string: CHT releases for `cht = "`.
    fn inside_string(&self, tokens: &[Token]) -> Vec<CompletionItem> {
        let Some((last, before)) = tokens.split_last() else {
            return Vec::new();
        };
        let is_cht = matches!(before, [.., key, eq] if eq.kind == TokenKind::Eq && self.slice(key.range) == "cht");
        if !is_cht {
            return Vec::new();
        }
        let replace = TextRange::new(last.range.start + 1, self.offset);
        let mut releases: Vec<(&str, DeclId)> = self
            .analysis
            .checked
            .decls_of(DeclKind::Release)
            .map(|(id, decl)| (decl.name.as_str(), id))
            .collect();
        releases.sort_by_key(|it| std::cmp::Reverse(version_key(it.0)));
        releases
            .into_iter()
            .map(|(name, id)| CompletionItem {
                label: name.to_string(),
                kind: CompletionKind::Reference,
                detail: Some("CHT release".to_string()),
                documentation: self
                    .analysis
                    .checked
                    .decl(id)
                    .map(|it| it.docs.join("\n"))
                    .filter(|it| !it.is_empty()),
                insert: name.to_string(),
                snippet: false,
                replace,
            })
            .collect()
    }

    fn complete(&self, tokens: &[Token]) -> Vec<CompletionItem> {
        // The innermost `{` still open before the cursor is the body the cursor is in.
        let mut open: Vec<usize> = Vec::new();
        for (idx, token) in tokens.iter().enumerate() {
            match token.kind {
                TokenKind::LBrace => open.push(idx),
                TokenKind::RBrace => {
                    open.pop();
                }
                _ => {}
            }
        }
        let (block, body_start_token) = match open.last() {
            Some(&idx) => {
                let brace = tokens.get(idx).map(|it| it.range.start).unwrap_or(0);
                let found = self
                    .analysis
                    .checked
                    .sites
                    .blocks
                    .iter()
                    .find(|(body, _, _)| body.file == self.file() && body.range.start == brace);
                match found {
                    Some((_, _, block)) => (Some(*block), idx + 1),
                    // A body the checker did not accept (an unknown block): nothing is known.
                    None => return Vec::new(),
                }
            }
            None => (None, 0),
        };
        let body_tokens = tokens.get(body_start_token..).unwrap_or(&[]);
        let entry = current_entry(body_tokens);
        let (entry, word) = self.split_word(entry);
        let significant: Vec<&Token> = entry
            .iter()
            .filter(|it| it.kind != TokenKind::Newline)
            .collect();
        match significant.as_slice() {
            [] => match word.text.chars().next() {
                Some(first) if first.is_ascii_digit() => Vec::new(),
                _ => match block {
                    Some(block) => self.keys_in_block(
                        block,
                        tokens
                            .get(body_start_token.saturating_sub(1))
                            .map(|it| it.range.start),
                        &word,
                    ),
                    None => self.top_level_keys(&word),
                },
            },
            [kind] if kind.kind == TokenKind::Ident => {
                let separated = kind.range.end < word.range.start
                    || word.text.is_empty() && kind.range.end < self.offset;
                if separated && self.slice(kind.range) == "allow" {
                    return self.rules(&word);
                }
                Vec::new()
            }
            [kind, .., extends]
                if extends.kind == TokenKind::Ident
                    && self.slice(extends.range) == "extends"
                    && block.is_none() =>
            {
                let Some(decl_kind) =
                    schema::top_level(self.slice(kind.range)).and_then(|it| it.decl)
                else {
                    return Vec::new();
                };
                let own_name = match significant.get(1) {
                    Some(label) if significant.len() == 3 => {
                        self.slice(label.range).trim_matches('"').to_string()
                    }
                    _ => String::new(),
                };
                self.references(decl_kind, &word, Some(&own_name))
            }
            [key, eq, rest @ ..] if key.kind == TokenKind::Ident && eq.kind == TokenKind::Eq => {
                let name = self.slice(key.range);
                let ty: Option<&'static Ty> = match block {
                    Some(block) => match (block.field(name), block.open) {
                        (Some(field), _) => Some(&field.ty),
                        (None, open) => open,
                    },
                    None => None,
                };
                match ty {
                    Some(ty) => self.value(ty, rest, &word),
                    None => Vec::new(),
                }
            }
            [kind, _, eq, rest @ ..]
                if eq.kind == TokenKind::Eq
                    && self.slice(kind.range) == "secret"
                    && block.is_none() =>
            {
                self.value(&schema::SECRET_SOURCE, rest, &word)
            }
            _ => Vec::new(),
        }
    }

    /// Splits the word being typed (and its module qualifier) off the end of the entry.
    fn split_word<'t>(&self, entry: &'t [Token]) -> (&'t [Token], Word) {
        let mut end = entry.len();
        let mut word = Word {
            range: TextRange::empty(self.offset),
            text: String::new(),
            qualifier: None,
        };
        if let Some(last) = entry.last() {
            let is_word = matches!(
                last.kind,
                TokenKind::Ident | TokenKind::Number(_) | TokenKind::Quantity(..)
            );
            if is_word && last.range.end == self.offset {
                word.range = last.range;
                word.text = self.slice(last.range).to_string();
                end -= 1;
            }
        }
        let before = entry.get(..end).unwrap_or(&[]);
        if let [.., qualifier, dot] = before {
            if dot.kind == TokenKind::Dot
                && qualifier.kind == TokenKind::Ident
                && dot.range.end == word.range.start
            {
                word.qualifier = Some(self.slice(qualifier.range).to_string());
                end -= 2;
            }
        }
        (entry.get(..end).unwrap_or(&[]), word)
    }

    fn file(&self) -> hostplan_diagnostics::FileId {
        self.analysis
            .workspace
            .modules
            .get(self.module)
            .map(|it| it.file)
            .unwrap_or(hostplan_diagnostics::FileId(0))
    }

    fn slice(&self, range: TextRange) -> &str {
        self.text
            .get(range.start as usize..range.end as usize)
            .unwrap_or("")
    }

    fn top_level_keys(&self, word: &Word) -> Vec<CompletionItem> {
        let mut items = Vec::new();
        for block in schema::TOP_LEVEL {
            let present = block.singleton && self.analysis.checked.singleton(block.kind).is_some();
            let catalogue = matches!(
                block.decl,
                Some(DeclKind::Release | DeclKind::Layout | DeclKind::Provider)
            );
            if present || catalogue {
                continue;
            }
            items.push(block_item(block, word.range));
        }
        items.push(CompletionItem {
            label: "secret".to_string(),
            kind: CompletionKind::Keyword,
            detail: Some("secret NAME = source".to_string()),
            documentation: Some("A named credential: `env(\"VAR\")`, `file(\"path\")`, `generate(words = 7)` or `external(store = ..., key = ...)`. Its value never appears in an output.".to_string()),
            insert: "secret ${1:name} = $0".to_string(),
            snippet: true,
            replace: word.range,
        });
        items.push(CompletionItem {
            label: "import".to_string(),
            kind: CompletionKind::Keyword,
            detail: Some("import \"std/NAME\"".to_string()),
            documentation: Some(
                "Loads a standard library module or another plan file.".to_string(),
            ),
            insert: "import \"$1\"".to_string(),
            snippet: true,
            replace: word.range,
        });
        items
    }

    /// Field names not yet set in the body, nested blocks, and credential names in `secrets`.
    fn keys_in_block(
        &self,
        block: &'static BlockSchema,
        brace: Option<u32>,
        word: &Word,
    ) -> Vec<CompletionItem> {
        let body = brace.and_then(|start| {
            let module = self.analysis.workspace.modules.get(self.module)?;
            find_body(&module.ast.entries, start)
        });
        let present = |name: &str| {
            body.is_some_and(|body| {
                body.entries.iter().any(|entry| match &entry.kind {
                    EntryKind::Attr(attr) => attr.key.name == name && attr.key.range != word.range,
                    EntryKind::Block(nested) => {
                        nested.kind.name == name
                            && nested.label.is_none()
                            && nested.kind.range != word.range
                    }
                    _ => false,
                })
            })
        };
        let mut items = Vec::new();
        for field in block.fields {
            if present(field.name) {
                continue;
            }
            items.push(CompletionItem {
                label: field.name.to_string(),
                kind: CompletionKind::Field,
                detail: Some(field.ty.describe()),
                documentation: Some(field_markdown(field)),
                insert: format!("{} = ", field.name),
                snippet: false,
                replace: word.range,
            });
        }
        for nested in block.blocks {
            if nested.singleton && present(nested.kind) {
                continue;
            }
            items.push(block_item(nested, word.range));
        }
        if matches!(block.open, Some(Ty::Ref(DeclKind::Secret))) {
            for slot in schema::SECRET_SLOTS {
                if present(slot.name) {
                    continue;
                }
                items.push(CompletionItem {
                    label: slot.name.to_string(),
                    kind: CompletionKind::Credential,
                    detail: Some("credential".to_string()),
                    documentation: Some(slot.doc.to_string()),
                    insert: format!("{} = ", slot.name),
                    snippet: false,
                    replace: word.range,
                });
            }
        }
        items
    }

    /// Values for a field of type `ty`, given the tokens written after `=`.
    fn value(&self, ty: &'static Ty, rest: &[&Token], word: &Word) -> Vec<CompletionItem> {
        let Some((ty, in_list)) = self.type_at_cursor(ty, rest) else {
            return Vec::new();
        };
        let numeric = word
            .text
            .chars()
            .next()
            .is_some_and(|it| it.is_ascii_digit());
        if numeric {
            return units(ty, word);
        }
        match ty {
            Ty::Enum(values) => values
                .iter()
                .map(|value| CompletionItem {
                    label: value.name.to_string(),
                    kind: CompletionKind::EnumValue,
                    detail: None,
                    documentation: Some(value.doc.to_string()),
                    insert: value.name.to_string(),
                    snippet: false,
                    replace: word.range,
                })
                .collect(),
            Ty::Ctor(ctors) => ctors
                .iter()
                .map(|ctor| ctor_item(ctor, word.range))
                .collect(),
            Ty::Ref(kind) => self.references(*kind, word, None),
            Ty::Bool => ["true", "false"]
                .iter()
                .map(|it| CompletionItem {
                    label: it.to_string(),
                    kind: CompletionKind::Keyword,
                    detail: None,
                    documentation: None,
                    insert: it.to_string(),
                    snippet: false,
                    replace: word.range,
                })
                .collect(),
            Ty::List(item) if !in_list => {
                // No `[` yet: offer the items already in brackets.
                let mut items = self.value(item, &[], word);
                for it in &mut items {
                    if !it.snippet {
                        it.insert = format!("[{}]", it.insert);
                    }
                }
                items
            }
            _ => Vec::new(),
        }
    }

    /// The type expected at the cursor after the value tokens `rest`, following lists and
    /// constructor arguments; `None` when a complete value is already there. The flag says
    /// whether the cursor is directly inside a list.
    fn type_at_cursor(&self, ty: &'static Ty, rest: &[&Token]) -> Option<(&'static Ty, bool)> {
        enum Frame {
            List(&'static Ty),
            Call(&'static Ctor, usize),
        }
        let mut frames: Vec<Frame> = Vec::new();
        let mut current: Option<&'static Ty> = Some(ty);
        let mut expect_value = true;
        let mut idx = 0;
        while let Some(token) = rest.get(idx) {
            let next = rest.get(idx + 1);
            match &token.kind {
                TokenKind::LBracket => {
                    match current {
                        Some(Ty::List(item)) => {
                            frames.push(Frame::List(item));
                            current = Some(item);
                        }
                        _ => return None,
                    }
                    expect_value = true;
                }
                TokenKind::Ident if next.is_some_and(|it| it.kind == TokenKind::LParen) => {
                    let name = self.slice(token.range);
                    let ctor = match current {
                        Some(Ty::Ctor(ctors)) => ctors.iter().find(|it| it.name == name)?,
                        _ => return None,
                    };
                    frames.push(Frame::Call(ctor, 0));
                    current = param_type(ctor, 0, None);
                    expect_value = true;
                    idx += 1;
                }
                TokenKind::Ident if next.is_some_and(|it| it.kind == TokenKind::Eq) => {
                    let name = self.slice(token.range);
                    let Some(Frame::Call(ctor, index)) = frames.last() else {
                        return None;
                    };
                    current = param_type(ctor, *index, Some(name));
                    expect_value = true;
                    idx += 1;
                }
                TokenKind::Comma => {
                    match frames.last_mut() {
                        Some(Frame::List(item)) => current = Some(*item),
                        Some(Frame::Call(ctor, index)) => {
                            *index += 1;
                            current = param_type(ctor, *index, None);
                        }
                        None => return None,
                    }
                    expect_value = true;
                }
                TokenKind::RBracket | TokenKind::RParen => {
                    frames.pop();
                    expect_value = false;
                }
                TokenKind::Dot => expect_value = true,
                _ => expect_value = false,
            }
            idx += 1;
        }
        if !expect_value {
            return None;
        }
        let in_list = matches!(frames.last(), Some(Frame::List(_)));
        current.map(|it| (it, in_list))
    }

    /// Declarations of `kind` visible here; after `alias.`, only those of that module.
    fn references(
        &self,
        kind: DeclKind,
        word: &Word,
        exclude: Option<&str>,
    ) -> Vec<CompletionItem> {
        let mut items = Vec::new();
        for (written, id) in visible_decls(self.analysis, self.module, kind) {
            if exclude == Some(written.as_str()) {
                continue;
            }
            let (insert, replace) = match &word.qualifier {
                Some(qualifier) => match written.strip_prefix(&format!("{qualifier}.")) {
                    Some(name) => (name.to_string(), word.range),
                    None => continue,
                },
                None => (written.clone(), word.range),
            };
            let docs = self
                .analysis
                .checked
                .decl(id)
                .map(|it| it.docs.join("\n"))
                .filter(|it| !it.is_empty());
            items.push(CompletionItem {
                label: written,
                kind: CompletionKind::Reference,
                detail: Some(kind.noun().to_string()),
                documentation: docs,
                insert,
                snippet: false,
                replace,
            });
        }
        items
    }

    /// Hosting-guide rule codes, for `allow CODE { ... }`.
    fn rules(&self, word: &Word) -> Vec<CompletionItem> {
        hostplan_diagnostics::CODES
            .iter()
            .filter(|it| it.code.starts_with('R'))
            .map(|info| CompletionItem {
                label: info.code.to_string(),
                kind: CompletionKind::Rule,
                detail: Some(info.name.to_string()),
                documentation: Some(info.summary.to_string()),
                insert: info.code.to_string(),
                snippet: false,
                replace: word.range,
            })
            .collect()
    }
}

/// The tokens of the entry the cursor is in: those after the last newline or comma that is
/// not inside brackets.
fn current_entry(tokens: &[Token]) -> &[Token] {
    let mut depth = 0i32;
    let mut start = 0;
    for (idx, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::LBracket | TokenKind::LParen | TokenKind::LBrace => depth += 1,
            TokenKind::RBracket | TokenKind::RParen | TokenKind::RBrace => depth -= 1,
            TokenKind::Newline | TokenKind::Comma if depth <= 0 => {
                depth = 0;
                start = idx + 1;
            }
            _ => {}
        }
    }
    tokens.get(start..).unwrap_or(&[])
}

fn param_type(ctor: &'static Ctor, index: usize, name: Option<&str>) -> Option<&'static Ty> {
    let params = match &ctor.args {
        CtorArgs::Positional(params) | CtorArgs::Named(params) => *params,
        CtorArgs::None | CtorArgs::Body(_) => return None,
    };
    match name {
        Some(name) => params.iter().find(|it| it.name == name).map(|it| &it.ty),
        None if matches!(ctor.args, CtorArgs::Positional(_)) => params.get(index).map(|it| &it.ty),
        None => None,
    }
}

fn block_item(block: &'static BlockSchema, replace: TextRange) -> CompletionItem {
    let insert = match block.label {
        LabelRule::None => format!("{} {{\n\t$0\n}}", block.kind),
        LabelRule::Ident => format!("{} ${{1:name}} {{\n\t$0\n}}", block.kind),
        LabelRule::Any => format!("{} \"${{1:name}}\" {{\n\t$0\n}}", block.kind),
    };
    CompletionItem {
        label: block.kind.to_string(),
        kind: CompletionKind::Block,
        detail: Some("block".to_string()),
        documentation: Some(block_markdown(block)),
        insert,
        snippet: true,
        replace,
    }
}

fn ctor_item(ctor: &'static Ctor, replace: TextRange) -> CompletionItem {
    let (insert, snippet, usage) = match &ctor.args {
        CtorArgs::None => (ctor.name.to_string(), false, ctor.name.to_string()),
        CtorArgs::Positional(params) => {
            let names: Vec<&str> = params.iter().map(|it| it.name).collect();
            let first = match params.first().map(|it| &it.ty) {
                Some(Ty::Enum(values)) => {
                    format!(
                        "${{1|{}|}}",
                        values
                            .iter()
                            .map(|it| it.name)
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                }
                _ => "$1".to_string(),
            };
            (
                format!("{}({first})", ctor.name),
                true,
                format!("{}({})", ctor.name, names.join(", ")),
            )
        }
        CtorArgs::Named(params) => {
            let names: Vec<String> = params
                .iter()
                .map(|it| format!("{} = ...", it.name))
                .collect();
            let required: Vec<String> = params
                .iter()
                .filter(|it| it.required)
                .enumerate()
                .map(|(idx, it)| format!("{} = ${}", it.name, idx + 1))
                .collect();
            (
                format!("{}({})", ctor.name, required.join(", ")),
                true,
                format!("{}({})", ctor.name, names.join(", ")),
            )
        }
        CtorArgs::Body(_) => (
            format!("{} {{ $0 }}", ctor.name),
            true,
            format!("{} {{ ... }}", ctor.name),
        ),
    };
    CompletionItem {
        label: ctor.name.to_string(),
        kind: CompletionKind::Constructor,
        detail: Some(usage),
        documentation: Some(ctor.doc.to_string()),
        insert,
        snippet,
        replace,
    }
}

/// Units that complete the number being typed; only those of the expected dimension when
/// the type has one.
fn units(ty: &Ty, word: &Word) -> Vec<CompletionItem> {
    let dimension = match ty {
        Ty::Duration => Some(Dimension::Duration),
        Ty::Size => Some(Dimension::Size),
        Ty::Percent => Some(Dimension::Percent),
        _ => return Vec::new(),
    };
    let number: String = word
        .text
        .chars()
        .take_while(|it| it.is_ascii_digit() || *it == '_' || *it == '.')
        .collect();
    Unit::ALL
        .iter()
        .filter(|(unit, _)| dimension.is_none_or(|it| unit.dimension() == it))
        .map(|(unit, suffix)| CompletionItem {
            label: format!("{number}{suffix}"),
            kind: CompletionKind::Unit,
            detail: Some(unit_name(*unit).to_string()),
            documentation: None,
            insert: format!("{number}{suffix}"),
            snippet: false,
            replace: word.range,
        })
        .collect()
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Second => "seconds",
        Unit::Minute => "minutes",
        Unit::Hour => "hours",
        Unit::Day => "days",
        Unit::Week => "weeks",
        Unit::Year => "years of 365 days",
        Unit::Byte => "bytes",
        Unit::Kilobyte => "kilobytes (1000 bytes)",
        Unit::Megabyte => "megabytes (1000² bytes)",
        Unit::Gigabyte => "gigabytes (1000³ bytes)",
        Unit::Terabyte => "terabytes (1000⁴ bytes)",
        Unit::Kibibyte => "kibibytes (1024 bytes)",
        Unit::Mebibyte => "mebibytes (1024² bytes)",
        Unit::Gibibyte => "gibibytes (1024³ bytes)",
        Unit::Tebibyte => "tebibytes (1024⁴ bytes)",
        Unit::Percent => "percent",
    }
}

/// The body that opens at `start`, searched through blocks and constructor values.
fn find_body(entries: &[hostplan_syntax::ast::Entry], start: u32) -> Option<&Body> {
    for entry in entries {
        if !(entry.range.start <= start && start <= entry.range.end) {
            continue;
        }
        let found = match &entry.kind {
            EntryKind::Block(block) if block.body.range.start == start => Some(&block.body),
            EntryKind::Block(block) => find_body(&block.body.entries, start),
            EntryKind::Attr(attr) => find_body_in_expr(&attr.value, start),
            EntryKind::Labelled(labelled) => find_body_in_expr(&labelled.value, start),
            EntryKind::Import(_) | EntryKind::Error => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn find_body_in_expr(expr: &Expr, start: u32) -> Option<&Body> {
    match expr {
        Expr::Construct(construct) if construct.body.range.start == start => Some(&construct.body),
        Expr::Construct(construct) => find_body(&construct.body.entries, start),
        Expr::List(list) => list
            .items
            .iter()
            .find_map(|it| find_body_in_expr(&it.value, start)),
        _ => None,
    }
}

fn is_closed_string(text: &str, range: TextRange) -> bool {
    let token = text
        .get(range.start as usize..range.end as usize)
        .unwrap_or("");
    token.len() >= 2 && token.ends_with('"') && !token.ends_with("\\\"")
}

/// The first paragraph of a module's header comment.
fn module_summary(source: &str) -> String {
    let mut lines = Vec::new();
    for line in source.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        if comment.trim().is_empty() {
            break;
        }
        lines.push(comment.trim().to_string());
    }
    lines.join(" ")
}

fn version_key(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|it| it.parse().unwrap_or(0))
        .collect()
}
