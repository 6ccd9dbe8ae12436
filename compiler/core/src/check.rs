//! The checker: validates every block against the schema, resolves references, and turns
//! the syntax tree into typed [`Record`]s.
//!
//! It reports unknown and duplicate fields and blocks, type and unit mismatches, malformed
//! strings and unresolved references. Required fields of policies and environments are
//! checked later, on the records that `extends` produces, by [`check_required`]. For the
//! editor, it records where every reference, field and block is ([`SiteIndex`]).

use std::collections::{BTreeMap, HashMap};

use hostplan_diagnostics::{codes, Diagnostic, Edit, Fix, Label, Span, TextRange};
use hostplan_syntax::ast::{self, BlockLabel, Dimension, Entry, EntryKind, Expr};

use crate::modules::{ModuleId, Workspace};
use crate::schema::{self, BlockSchema, CtorArgs, DeclKind, FieldSchema, LabelRule, StrFormat, Ty};
use crate::suggest::{closest, did_you_mean};

/// An index into [`Checked::decls`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeclId(pub u32);

/// A checked value, with where it was written.
#[derive(Clone, Debug)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

/// The typed forms of values. Quantities are in base units: seconds, bytes, and fractions
/// for percentages (`80%` is `0.8`).
#[derive(Clone, Debug)]
pub enum ValueKind {
    Str(String),
    Count(u64),
    Number(f64),
    Duration(f64),
    Size(f64),
    Percent(f64),
    Money(f64),
    Bool(bool),
    Enum(&'static str),
    Ref(DeclId),
    List(Vec<Value>),
    Ctor {
        name: &'static str,
        args: Vec<(&'static str, Value)>,
        body: Option<Box<Record>>,
    },
    /// A value that was diagnosed; readers treat it as absent.
    Error,
}

/// A field as set in a block.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub key_span: Span,
    pub entry_span: Span,
    pub value: Value,
}

/// A checked block.
#[derive(Clone, Debug)]
pub struct Record {
    pub schema: &'static BlockSchema,
    pub label: Option<(String, Span)>,
    /// The kind and label, for diagnostics about the block as a whole.
    pub head: Span,
    pub span: Span,
    pub fields: Vec<Field>,
    pub blocks: Vec<Record>,
    /// Whether the block had fields its schema does not know. A misspelt field is often the
    /// required one, so missing-field errors are not reported for such a block.
    pub has_unknown_fields: bool,
}

impl Record {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|it| it.name == name)
    }

    pub fn value(&self, name: &str) -> Option<&ValueKind> {
        self.field(name)
            .map(|it| &it.value.kind)
            .filter(|it| !matches!(it, ValueKind::Error))
    }

    pub fn block(&self, kind: &str) -> Option<&Record> {
        self.blocks.iter().find(|it| it.schema.kind == kind)
    }

    pub fn label_name(&self) -> &str {
        self.label
            .as_ref()
            .map(|(name, _)| name.as_str())
            .unwrap_or("")
    }
}

/// A named declaration.
#[derive(Clone, Debug)]
pub struct Decl {
    pub kind: DeclKind,
    pub name: String,
    pub module: ModuleId,
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// The comment lines just above the declaration, without `#`: its documentation.
    pub docs: Vec<String>,
    /// For blocks: the checked block, before `extends` is applied.
    pub record: Option<Record>,
    /// For secrets: the checked source.
    pub source: Option<Value>,
    /// The declaration this one extends, and where `extends` names it.
    pub extends: Option<(DeclId, Span)>,
}

/// Where things are, for the editor.
#[derive(Clone, Debug, Default)]
pub struct SiteIndex {
    /// Every reference and what it resolved to.
    pub refs: Vec<(Span, DeclId)>,
    /// Every field key and its schema.
    pub fields: Vec<(Span, &'static FieldSchema)>,
    /// Every block body and its schema, with the span of its kind keyword.
    pub blocks: Vec<(Span, Span, &'static BlockSchema)>,
    /// Every import path and the module it loads.
    pub imports: Vec<(Span, ModuleId)>,
    /// Every enumeration value and constructor name written as a value, with its schema
    /// entry, so that hover can document `acme` or `kubernetes`.
    pub values: Vec<ValueSite>,
}

/// A named value as written in a plan: an enumeration value or a constructor.
#[derive(Clone, Copy, Debug)]
pub struct ValueSite {
    pub span: Span,
    pub name: &'static str,
    pub doc: &'static str,
}

/// The result of checking a workspace.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub decls: Vec<Decl>,
    /// The blocks that appear once per plan (`plan`, `population`, `users`, `assumptions`).
    pub singletons: Vec<Record>,
    pub sites: SiteIndex,
    pub diagnostics: Vec<Diagnostic>,
    /// How often each declaration is referred to.
    pub uses: Vec<u32>,
    /// Declarations that misspelt references were meant for: they count as used, since
    /// calling them unused would be a second diagnostic for one mistake.
    pub(crate) guesses: Vec<DeclId>,
    /// Per module, where the outputs of each top-level entry start, and one mark after the
    /// last entry, so that [`check_reusing`] can replace the outputs of edited entries.
    pub(crate) marks: Vec<Vec<Mark>>,
    /// Per module and top-level entry, the kind of a singleton block (`plan`, `users`).
    pub(crate) singleton_kinds: Vec<Vec<Option<&'static str>>>,
}

/// The lengths of the checker's output lists at one point of the check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Mark {
    refs: usize,
    fields: usize,
    blocks: usize,
    values: usize,
    diagnostics: usize,
    singletons: usize,
    guesses: usize,
}

impl Mark {
    /// Whether every length of this mark is at most that of `other`.
    fn all_le(self, other: Mark) -> bool {
        self.refs <= other.refs
            && self.fields <= other.fields
            && self.blocks <= other.blocks
            && self.values <= other.values
            && self.diagnostics <= other.diagnostics
            && self.singletons <= other.singletons
            && self.guesses <= other.guesses
    }

    /// This mark moved by the difference between `new` and `old` lengths, field by field.
    fn moved(self, old: Mark, new: Mark) -> Mark {
        let by = |at: usize, old: usize, new: usize| (at + new).saturating_sub(old);
        Mark {
            refs: by(self.refs, old.refs, new.refs),
            fields: by(self.fields, old.fields, new.fields),
            blocks: by(self.blocks, old.blocks, new.blocks),
            values: by(self.values, old.values, new.values),
            diagnostics: by(self.diagnostics, old.diagnostics, new.diagnostics),
            singletons: by(self.singletons, old.singletons, new.singletons),
            guesses: by(self.guesses, old.guesses, new.guesses),
        }
    }
}

impl Checked {
    /// The lengths of the output lists.
    fn lengths(&self) -> Mark {
        Mark {
            refs: self.sites.refs.len(),
            fields: self.sites.fields.len(),
            blocks: self.sites.blocks.len(),
            values: self.sites.values.len(),
            diagnostics: self.diagnostics.len(),
            singletons: self.singletons.len(),
            guesses: self.guesses.len(),
        }
    }

    pub fn decl(&self, id: DeclId) -> Option<&Decl> {
        self.decls.get(id.0 as usize)
    }

    pub fn singleton(&self, kind: &str) -> Option<&Record> {
        self.singletons.iter().find(|it| it.schema.kind == kind)
    }

    /// Declarations of one kind, in declaration order.
    pub fn decls_of(&self, kind: DeclKind) -> impl Iterator<Item = (DeclId, &Decl)> {
        self.decls
            .iter()
            .enumerate()
            .filter(move |(_, it)| it.kind == kind)
            .map(|(idx, it)| (DeclId(idx as u32), it))
    }
}

/// Checks every module of a workspace.
pub fn check(workspace: &Workspace) -> Checked {
    check_full(workspace).0
}

fn check_full(workspace: &Workspace) -> (Checked, Scopes) {
    let mut ctx = Ctx {
        workspace,
        out: Checked::default(),
        scopes: Vec::new(),
        module: ModuleId(0),
    };
    ctx.collect_decls();
    for (idx, module) in workspace.modules.iter().enumerate() {
        ctx.module = ModuleId(idx as u32);
        let ast = module.ast.clone();
        ctx.check_module(&ast);
    }
    ctx.finish()
}

/// What each module's names refer to, kept between checks by [`check_reusing`].
#[derive(Default)]
pub struct Scopes(Vec<Scope>);

impl std::fmt::Debug for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scopes({} modules)", self.0.len())
    }
}

struct Scope {
    decls: HashMap<(DeclKind, String), DeclId>,
    names: HashMap<String, Vec<DeclId>>,
    imports: BTreeMap<String, ModuleId>,
}

struct Ctx<'w> {
    workspace: &'w Workspace,
    out: Checked,
    scopes: Vec<Scope>,
    module: ModuleId,
}

impl Ctx<'_> {
    fn file(&self) -> hostplan_diagnostics::FileId {
        self.workspace
            .modules
            .get(self.module.0 as usize)
            .map(|it| it.file)
            .unwrap_or(hostplan_diagnostics::FileId(0))
    }

    fn span(&self, range: TextRange) -> Span {
        Span::new(self.file(), range)
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    // ----- declarations -----

    fn collect_decls(&mut self) {
        for (idx, module) in self.workspace.modules.iter().enumerate() {
            self.module = ModuleId(idx as u32);
            let mut scope = Scope {
                decls: HashMap::new(),
                names: HashMap::new(),
                imports: BTreeMap::new(),
            };
            for import in &module.imports {
                if let Some(target) = import.target {
                    scope.imports.insert(import.alias.clone(), target);
                    self.out.sites.imports.push((import.span, target));
                }
            }
            for entry in &module.ast.entries {
                let Some((kind, name, name_range)) = declared(entry) else {
                    continue;
                };
                let name = name.to_string();
                let name_span = self.span(name_range);
                if let Some(previous) = scope.decls.get(&(kind, name.clone())).copied() {
                    let previous_span = self
                        .out
                        .decls
                        .get(previous.0 as usize)
                        .map(|it| it.name_span)
                        .unwrap_or(name_span);
                    self.error(
                        Diagnostic::error(
                            &codes::E1005,
                            format!("{} `{name}` is declared twice", kind.noun()),
                            Label::new(name_span, "declared again here"),
                        )
                        .with_secondary(Label::new(previous_span, "first declared here"))
                        .with_help(format!("rename one of the two {}s", kind.noun())),
                    );
                    continue;
                }
                let id = DeclId(self.out.decls.len() as u32);
                scope.decls.insert((kind, name.clone()), id);
                scope.names.entry(name.clone()).or_default().push(id);
                let docs = docs(entry);
                self.out.decls.push(Decl {
                    kind,
                    name,
                    module: self.module,
                    name_span,
                    span: self.span(entry.range),
                    docs,
                    record: None,
                    source: None,
                    extends: None,
                });
            }
            self.scopes.push(scope);
        }
        self.report_duplicate_environments_across_modules();
    }

    /// Environments, operators and secrets from every user file form one plan, so their
    /// names must be unique across files, not just within one.
    fn report_duplicate_environments_across_modules(&mut self) {
        let mut seen: FirstSeen<(DeclKind, &str)> = FirstSeen::default();
        let mut found = Vec::new();
        for decl in &self.out.decls {
            let is_std = self
                .workspace
                .modules
                .get(decl.module.0 as usize)
                .is_some_and(|it| it.is_std);
            if is_std || !matches!(decl.kind, DeclKind::Environment | DeclKind::Operator) {
                continue;
            }
            match seen.first_or_insert((decl.kind, &decl.name), decl.name_span) {
                Some(first) if first.file != decl.name_span.file => {
                    found.push((decl.kind, decl.name.clone(), decl.name_span, first))
                }
                Some(_) | None => {}
            }
        }
        for (kind, name, span, first) in found {
            self.error(
                Diagnostic::error(
                    &codes::E1005,
                    format!("{} `{name}` is declared twice", kind.noun()),
                    Label::new(span, "declared again here"),
                )
                .with_secondary(Label::new(first, "first declared here"))
                .with_help(format!(
                    "{}s of every file form one plan; rename one of them",
                    kind.noun()
                )),
            );
        }
    }

    // ----- modules and blocks -----

    fn check_module(&mut self, file: &ast::File) {
        let mut marks = Vec::with_capacity(file.entries.len() + 1);
        let mut kinds = Vec::with_capacity(file.entries.len());
        for entry in &file.entries {
            marks.push(self.mark());
            kinds.push(singleton_kind(entry));
            self.check_entry(entry);
        }
        marks.push(self.mark());
        self.out.marks.push(marks);
        self.out.singleton_kinds.push(kinds);
    }

    /// The current lengths of the output lists.
    fn mark(&self) -> Mark {
        self.out.lengths()
    }

    /// The checks that span declarations, and the use counts, once every entry is checked.
    fn finish(mut self) -> (Checked, Scopes) {
        self.report_extends_cycles();
        let mut uses = vec![0_u32; self.out.decls.len()];
        let used = self.out.sites.refs.iter().map(|(_, id)| *id);
        for id in used.chain(self.out.guesses.iter().copied()) {
            if let Some(count) = uses.get_mut(id.0 as usize) {
                *count += 1;
            }
        }
        self.out.uses = uses;
        (self.out, Scopes(self.scopes))
    }

    /// Checks one top-level entry of the current module. What it produces depends only on
    /// the entry, the declarations' kinds and names, and the singleton blocks before it,
    /// which is what lets [`check_reusing`] keep the outputs of entries an edit left alone.
    fn check_entry(&mut self, entry: &Entry) {
        let is_std = self
            .workspace
            .modules
            .get(self.module.0 as usize)
            .is_some_and(|it| it.is_std);
        match &entry.kind {
            EntryKind::Import(_) | EntryKind::Error => {}
            EntryKind::Attr(attr) => {
                let span = self.span(attr.key.range);
                self.error(
                        Diagnostic::error(&codes::E2103, format!("field `{}` outside any block", attr.key.name), Label::new(span, "not inside a block"))
                            .with_help("fields belong inside a block such as `plan { ... }` or `environment NAME { ... }`"),
                    );
            }
            EntryKind::Labelled(labelled) => {
                if labelled.kind.name != "secret" {
                    self.unknown_block(&labelled.kind, schema::TOP_LEVEL, "at the top level");
                    return;
                }
                let value = self.check_value(&schema::SECRET_SOURCE, &labelled.value);
                if let Some(id) = self.decl_at(DeclKind::Secret, &labelled.name.name) {
                    if let Some(decl) = self.out.decls.get_mut(id.0 as usize) {
                        decl.source = Some(value);
                    }
                }
            }
            EntryKind::Block(block) => {
                let Some(block_schema) = schema::top_level(&block.kind.name) else {
                    self.unknown_block(&block.kind, schema::TOP_LEVEL, "at the top level");
                    return;
                };
                let record = self.check_block(block_schema, block, entry);
                match block_schema.decl {
                    Some(kind) => {
                        let Some(label) = &block.label else { return };
                        let Some(id) = self.decl_at(kind, label.name()) else {
                            return;
                        };
                        let extends = match &block.extends {
                            Some(path) if block_schema.extends => self
                                .resolve(path, kind)
                                .map(|target| (target, self.span(path.range))),
                            _ => None,
                        };
                        if extends.is_none() && !block_schema.extends {
                            check_required(&record, &mut self.out.diagnostics);
                        }
                        let label_span = Span::new(self.file(), label.range());
                        if let Some(decl) = self.out.decls.get_mut(id.0 as usize) {
                            // Only the first of two same-named declarations owns the id.
                            if decl.name_span == label_span {
                                decl.record = Some(record);
                                decl.extends = extends;
                            }
                        }
                    }
                    None => {
                        if let Some(first) = self
                            .out
                            .singletons
                            .iter()
                            .find(|it| it.schema.kind == block_schema.kind)
                        {
                            let first_head = first.head;
                            let head = record.head;
                            self.error(
                                Diagnostic::error(
                                    &codes::E1005,
                                    format!(
                                        "`{}` appears more than once in the plan",
                                        block_schema.kind
                                    ),
                                    Label::new(head, "appears again here"),
                                )
                                .with_secondary(Label::new(first_head, "first appears here"))
                                .with_help(format!(
                                    "a plan has one `{}` block; merge the two",
                                    block_schema.kind
                                )),
                            );
                            return;
                        }
                        if is_std {
                            return;
                        }
                        check_required(&record, &mut self.out.diagnostics);
                        self.out.singletons.push(record);
                    }
                }
            }
        }
    }

    fn decl_at(&self, kind: DeclKind, name: &str) -> Option<DeclId> {
        self.scopes
            .get(self.module.0 as usize)
            .and_then(|scope| scope.decls.get(&(kind, name.to_string())).copied())
    }

    fn unknown_block(&mut self, kind: &ast::Ident, allowed: &[&'static BlockSchema], place: &str) {
        let names: Vec<&str> = allowed.iter().map(|it| it.kind).collect();
        let span = self.span(kind.range);
        let mut diagnostic = Diagnostic::error(
            &codes::E2101,
            format!("unknown block `{}` {place}", kind.name),
            Label::new(span, "not a block that is allowed here"),
        )
        .with_value(kind.name.clone());
        diagnostic = match closest(&kind.name, names.iter().copied()) {
            Some(best) => diagnostic
                .with_help(format!("did you mean `{best}`?"))
                .with_fix(Fix {
                    title: format!("replace with `{best}`"),
                    edits: vec![Edit {
                        span,
                        replacement: best.to_string(),
                    }],
                }),
            None if names.is_empty() => diagnostic.with_help("this block takes no nested blocks"),
            None => diagnostic.with_help(format!("blocks allowed here: {}", names.join(", "))),
        };
        self.error(diagnostic);
    }

    fn check_block(
        &mut self,
        block_schema: &'static BlockSchema,
        block: &ast::Block,
        entry: &Entry,
    ) -> Record {
        let head_range = match &block.label {
            Some(label) => block.kind.range.cover(label.range()),
            None => block.kind.range,
        };
        let head = self.span(head_range);
        self.out.sites.blocks.push((
            self.span(block.body.range),
            self.span(block.kind.range),
            block_schema,
        ));
        let label = self.check_label(block_schema, block);
        if block.extends.is_some() && !block_schema.extends {
            let range = block
                .extends
                .as_ref()
                .map(|it| it.range)
                .unwrap_or(head_range);
            self.error(
                Diagnostic::error(
                    &codes::E2113,
                    format!("`{}` cannot extend another block", block_schema.kind),
                    Label::new(self.span(range), "`extends` is not allowed here"),
                )
                .with_help("only policies and environments extend others"),
            );
        }
        let mut record = Record {
            schema: block_schema,
            label,
            head,
            span: self.span(entry.range),
            fields: Vec::new(),
            blocks: Vec::new(),
            has_unknown_fields: false,
        };
        self.check_body(block_schema, &block.body, &mut record);
        record
    }

    fn check_label(
        &mut self,
        block_schema: &'static BlockSchema,
        block: &ast::Block,
    ) -> Option<(String, Span)> {
        let kind = block_schema.kind;
        match (block_schema.label, &block.label) {
            (LabelRule::None, None) => None,
            (LabelRule::None, Some(label)) => {
                let span = self.span(label.range());
                self.error(
                    Diagnostic::error(
                        &codes::E2109,
                        format!("`{kind}` takes no name"),
                        Label::new(span, "unexpected name"),
                    )
                    .with_value(label.name())
                    .with_help(format!("write `{kind} {{ ... }}`"))
                    .with_fix(Fix {
                        title: "remove the name".into(),
                        edits: vec![Edit {
                            span,
                            replacement: String::new(),
                        }],
                    }),
                );
                None
            }
            (LabelRule::Ident | LabelRule::Any, None) => {
                let span = self.span(block.kind.range);
                self.error(
                    Diagnostic::error(
                        &codes::E2109,
                        format!("`{kind}` needs a name"),
                        Label::new(span, "no name after this"),
                    )
                    .with_help(format!("write `{kind} NAME {{ ... }}`")),
                );
                None
            }
            (LabelRule::Ident, Some(BlockLabel::Str(label))) => {
                let span = self.span(label.range);
                let valid_ident = !label.value.is_empty()
                    && label
                        .value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !label.value.starts_with(|c: char| c.is_ascii_digit());
                let mut diagnostic = Diagnostic::error(
                    &codes::E2109,
                    format!("the name of a `{kind}` is written without quotes"),
                    Label::new(span, "a quoted name"),
                )
                .with_value(label.value.clone());
                if valid_ident {
                    diagnostic = diagnostic
                        .with_help(format!("write `{kind} {}`", label.value))
                        .with_fix(Fix {
                            title: "remove the quotes".into(),
                            edits: vec![Edit {
                                span,
                                replacement: label.value.clone(),
                            }],
                        });
                } else {
                    diagnostic = diagnostic
                        .with_help("names are letters, digits and `_`, starting with a letter");
                }
                self.error(diagnostic);
                Some((label.value.clone(), span))
            }
            (_, Some(label)) => Some((label.name().to_string(), self.span(label.range()))),
        }
    }

    fn check_body(
        &mut self,
        block_schema: &'static BlockSchema,
        body: &ast::Body,
        record: &mut Record,
    ) {
        let mut seen_fields: FirstSeen<&str> = FirstSeen::default();
        let mut seen_blocks: FirstSeen<(&str, &str)> = FirstSeen::default();
        for entry in &body.entries {
            match &entry.kind {
                EntryKind::Error => {}
                EntryKind::Import(import) => {
                    let span = self.span(import.path.range);
                    self.error(
                        Diagnostic::error(
                            &codes::E2101,
                            "`import` inside a block",
                            Label::new(span, "imports belong at the top of a file"),
                        )
                        .with_help("move the import to the top of the file"),
                    );
                }
                EntryKind::Labelled(labelled) => {
                    self.unknown_block(
                        &labelled.kind,
                        block_schema.blocks,
                        &format!("in `{}`", block_schema.kind),
                    );
                }
                EntryKind::Attr(attr) => {
                    let key_span = self.span(attr.key.range);
                    if let Some(first) = seen_fields.first_or_insert(&attr.key.name, key_span) {
                        self.error(
                            Diagnostic::error(
                                &codes::E2107,
                                format!("field `{}` is set twice", attr.key.name),
                                Label::new(key_span, "set again here"),
                            )
                            .with_secondary(Label::new(first, "first set here"))
                            .with_help("remove one of them"),
                        );
                        continue;
                    }
                    let ty: &'static Ty =
                        match (block_schema.open, block_schema.field(&attr.key.name)) {
                            (_, Some(field)) => {
                                self.out.sites.fields.push((key_span, field));
                                &field.ty
                            }
                            (Some(ty), None) => ty,
                            (None, None) => {
                                self.unknown_field(block_schema, &attr.key);
                                record.has_unknown_fields = true;
                                continue;
                            }
                        };
                    let value = self.check_value(ty, &attr.value);
                    record.fields.push(Field {
                        name: attr.key.name.clone(),
                        key_span,
                        entry_span: self.span(entry.range),
                        value,
                    });
                }
                EntryKind::Block(block) => {
                    let Some(child_schema) = block_schema.block(&block.kind.name) else {
                        if block_schema.field(&block.kind.name).is_some() {
                            let span = self.span(block.kind.range);
                            self.error(
                                Diagnostic::error(
                                    &codes::E2104,
                                    format!("`{}` is a field, not a block", block.kind.name),
                                    Label::new(span, "written as a block"),
                                )
                                .with_help(format!("write `{} = value`", block.kind.name)),
                            );
                            continue;
                        }
                        self.unknown_block(
                            &block.kind,
                            block_schema.blocks,
                            &format!("in `{}`", block_schema.kind),
                        );
                        continue;
                    };
                    let child = self.check_block(child_schema, block, entry);
                    // The child's label is the block's own name whenever it has one.
                    let label = match (&child.label, &block.label) {
                        (Some(_), Some(label)) => label.name(),
                        _ => "",
                    };
                    if let Some(first) =
                        seen_blocks.first_or_insert((child_schema.kind, label), child.head)
                    {
                        let what = match &child.label {
                            Some((name, _)) => format!("`{} {name}`", child_schema.kind),
                            None => format!("`{}`", child_schema.kind),
                        };
                        self.error(
                            Diagnostic::error(
                                &codes::E1005,
                                format!("{what} appears twice in `{}`", block_schema.kind),
                                Label::new(child.head, "appears again here"),
                            )
                            .with_secondary(Label::new(first, "first appears here"))
                            .with_help("merge the two blocks"),
                        );
                        continue;
                    }
                    record.blocks.push(child);
                }
            }
        }
    }

    fn unknown_field(&mut self, block_schema: &'static BlockSchema, key: &ast::Ident) {
        let span = self.span(key.range);
        let names: Vec<&str> = block_schema.fields.iter().map(|it| it.name).collect();
        let mut diagnostic = Diagnostic::error(
            &codes::E2103,
            format!("unknown field `{}` in `{}`", key.name, block_schema.kind),
            Label::new(span, "unknown field"),
        )
        .with_value(key.name.clone());
        if block_schema.block(&key.name).is_some() {
            diagnostic = diagnostic.with_help(format!(
                "`{}` is a block: write `{} {{ ... }}`",
                key.name, key.name
            ));
        } else {
            let synonym = FIELD_SYNONYMS
                .iter()
                .find(|(kind, words, field)| {
                    *kind == block_schema.kind
                        && words
                            .iter()
                            .any(|it| closest(&key.name, std::iter::once(*it)).is_some())
                        && names.contains(field)
                })
                .map(|(_, _, field)| *field);
            match synonym.or_else(|| closest(&key.name, names.iter().copied())) {
                Some(best) => {
                    diagnostic = diagnostic
                        .with_help(format!("did you mean `{best}`?"))
                        .with_fix(Fix {
                            title: format!("replace with `{best}`"),
                            edits: vec![Edit {
                                span,
                                replacement: best.to_string(),
                            }],
                        })
                }
                None if names.is_empty() => {
                    diagnostic =
                        diagnostic.with_help(format!("`{}` has no fields", block_schema.kind))
                }
                None => {
                    diagnostic = diagnostic.with_help(format!(
                        "fields of `{}`: {}",
                        block_schema.kind,
                        names.join(", ")
                    ))
                }
            }
        }
        self.error(diagnostic);
    }

    // ----- values -----

    fn check_value(&mut self, ty: &'static Ty, expr: &Expr) -> Value {
        let span = self.span(expr.range());
        let kind = self.check_value_kind(ty, expr, span);
        Value { kind, span }
    }

    fn mismatch(&mut self, ty: &Ty, expr: &Expr, span: Span) -> ValueKind {
        let found = describe_expr(expr);
        let mut diagnostic = Diagnostic::error(
            &codes::E2104,
            format!("expected {}, found {found}", with_article(&ty.describe())),
            Label::new(span, format!("expected {}", ty.describe())),
        )
        .with_value(self.workspace.sources.slice(span).to_string());
        match (ty, expr) {
            (Ty::Str(format), Expr::Path(path)) => {
                let text = path.text();
                // A release written as a name (`cht.v5_2_0`, `v5_2_0`) means its version: the
                // quoted name would only be an unknown release next.
                let version = (*format == StrFormat::Release)
                    .then(|| {
                        path.segments
                            .last()
                            .and_then(|it| release_of_name(&it.name))
                    })
                    .flatten();
                let quoted = format!("\"{}\"", version.as_deref().unwrap_or(&text));
                let help = match version {
                    Some(_) => {
                        format!("a CHT release is written as its version, in quotes: {quoted}")
                    }
                    None => format!("write it in quotes: {quoted}"),
                };
                diagnostic = diagnostic.with_help(help).with_fix(Fix {
                    title: "put it in quotes".into(),
                    edits: vec![Edit {
                        span,
                        replacement: quoted,
                    }],
                });
            }
            (Ty::List(item), _) if !matches!(expr, Expr::List(_)) => {
                let text = self.workspace.sources.slice(span).to_string();
                diagnostic = diagnostic
                    .with_help(format!(
                        "a list of {} is written in brackets: [{text}]",
                        item.describe()
                    ))
                    .with_fix(Fix {
                        title: "put it in a list".into(),
                        edits: vec![Edit {
                            span,
                            replacement: format!("[{text}]"),
                        }],
                    });
            }
            (Ty::Enum(_) | Ty::Ctor(_), Expr::Str(lit)) if ty_accepts_name(ty, &lit.value) => {
                diagnostic = diagnostic
                    .with_help(format!("names are written without quotes: {}", lit.value))
                    .with_fix(Fix {
                        title: "remove the quotes".into(),
                        edits: vec![Edit {
                            span,
                            replacement: lit.value.clone(),
                        }],
                    });
            }
            (Ty::Size | Ty::Duration | Ty::Percent, Expr::Number { .. }) => {
                diagnostic = diagnostic.with_help(format!(
                    "{} needs a unit, such as {}",
                    with_article(&ty.describe()),
                    unit_examples(ty)
                ));
            }
            _ => {
                diagnostic =
                    diagnostic.with_help(format!("write {}", with_article(&ty.describe())));
            }
        }
        self.error(diagnostic);
        ValueKind::Error
    }

    fn check_value_kind(&mut self, ty: &'static Ty, expr: &Expr, span: Span) -> ValueKind {
        if let Expr::Error(_) = expr {
            return ValueKind::Error;
        }
        // A secret may only flow where a secret is expected: anywhere else its value could
        // reach an output file.
        if !matches!(ty, Ty::Ref(DeclKind::Secret)) {
            if let Expr::Path(path) = expr {
                if path.segments.len() == 1 && !ty_accepts_name(ty, &path.text()) {
                    if let Some(id) = self.decl_at(DeclKind::Secret, &path.text()) {
                        self.use_decl(id, span);
                        self.error(
                            Diagnostic::error(
                                &codes::E2111,
                                format!("secret `{}` used where {} is expected", path.text(), with_article(&ty.describe())),
                                Label::new(span, "a secret cannot be used here"),
                            )
                            .with_help("secrets flow only into an environment's `secrets { ... }` block, which every backend renders as a reference"),
                        );
                        return ValueKind::Error;
                    }
                }
            }
        }
        match ty {
            Ty::Str(format) => match expr {
                Expr::Str(lit) => {
                    if let Err(help) = check_format(*format, &lit.value) {
                        self.error(
                            Diagnostic::error(
                                &codes::E2112,
                                format!("`{}` is not a valid {}", lit.value, format.describe()),
                                Label::new(span, format!("expected a {}", format.describe())),
                            )
                            .with_value(lit.value.clone())
                            .with_help(help),
                        );
                        return ValueKind::Error;
                    }
                    ValueKind::Str(lit.value.clone())
                }
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Count => match expr {
                Expr::Number { value, .. }
                    if value.fract() == 0.0 && *value >= 0.0 && *value <= 9.0e15 =>
                {
                    ValueKind::Count(*value as u64)
                }
                Expr::Number { value, .. } => {
                    self.error(
                        Diagnostic::error(
                            &codes::E2108,
                            "expected a whole number, zero or more",
                            Label::new(span, "not a whole number"),
                        )
                        .with_value(value.to_string())
                        .with_help("counts are whole numbers such as `12_000`"),
                    );
                    ValueKind::Error
                }
                Expr::Quantity { unit: Some(_), .. } => self.unit_mismatch(ty, expr, span),
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Number => match expr {
                Expr::Number { value, .. } => ValueKind::Number(*value),
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Duration | Ty::Size | Ty::Percent => {
                let wanted = match ty {
                    Ty::Duration => Dimension::Duration,
                    Ty::Size => Dimension::Size,
                    _ => Dimension::Percent,
                };
                match expr {
                    Expr::Quantity { unit: None, .. } => ValueKind::Error,
                    Expr::Quantity {
                        value,
                        unit: Some(unit),
                        ..
                    } if unit.dimension() == wanted => {
                        let base = value * unit.factor();
                        match wanted {
                            Dimension::Duration => ValueKind::Duration(base),
                            Dimension::Size => ValueKind::Size(base),
                            Dimension::Percent => ValueKind::Percent(base),
                        }
                    }
                    Expr::Quantity { .. } => self.unit_mismatch(ty, expr, span),
                    _ => self.mismatch(ty, expr, span),
                }
            }
            Ty::Money => match expr {
                Expr::Money { value, .. } => ValueKind::Money(*value),
                Expr::Number { .. } => {
                    let text = self.workspace.sources.slice(span).to_string();
                    self.error(
                        Diagnostic::error(
                            &codes::E2104,
                            "expected money, found a number",
                            Label::new(span, "expected money"),
                        )
                        .with_value(text.clone())
                        .with_help(format!("money is written with a dollar sign: ${text}"))
                        .with_fix(Fix {
                            title: "add `$`".into(),
                            edits: vec![Edit {
                                span,
                                replacement: format!("${text}"),
                            }],
                        }),
                    );
                    ValueKind::Error
                }
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Bool => match expr {
                Expr::Bool { value, .. } => ValueKind::Bool(*value),
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Enum(values) => match expr {
                Expr::Path(path) if path.segments.len() == 1 => {
                    let name = path.text();
                    if let Some(value) = values.iter().find(|it| it.name == name) {
                        self.out.sites.values.push(ValueSite {
                            span,
                            name: value.name,
                            doc: value.doc,
                        });
                        return ValueKind::Enum(value.name);
                    }
                    self.unknown_variant(&name, values.iter().map(|it| it.name), span);
                    ValueKind::Error
                }
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Ref(kind) => match expr {
                Expr::Path(path) => match self.resolve(path, *kind) {
                    Some(id) => ValueKind::Ref(id),
                    None => ValueKind::Error,
                },
                Expr::Str(lit) => {
                    self.error(
                        Diagnostic::error(
                            &codes::E2104,
                            format!(
                                "expected {} name, found a string",
                                with_article(kind.noun())
                            ),
                            Label::new(span, "a name is written without quotes"),
                        )
                        .with_value(lit.value.clone())
                        .with_help(format!("write {}", lit.value))
                        .with_fix(Fix {
                            title: "remove the quotes".into(),
                            edits: vec![Edit {
                                span,
                                replacement: lit.value.clone(),
                            }],
                        }),
                    );
                    ValueKind::Error
                }
                _ => self.mismatch(ty, expr, span),
            },
            Ty::List(item) => match expr {
                Expr::List(list) => ValueKind::List(
                    list.items
                        .iter()
                        .map(|it| self.check_value(item, &it.value))
                        .collect(),
                ),
                _ => self.mismatch(ty, expr, span),
            },
            Ty::Ctor(ctors) => self.check_ctor(ty, ctors, expr, span),
        }
    }

    fn unit_mismatch(&mut self, ty: &Ty, expr: &Expr, span: Span) -> ValueKind {
        let found = describe_expr(expr);
        let text = self.workspace.sources.slice(span).to_string();
        self.error(
            Diagnostic::error(
                &codes::E2105,
                format!(
                    "expected {}, found {found} `{text}`",
                    with_article(&ty.describe())
                ),
                Label::new(span, format!("this is {found}")),
            )
            .with_value(text)
            .with_help(format!(
                "use a unit of {}, such as {}",
                with_article(&ty.describe()),
                unit_examples(ty)
            )),
        );
        ValueKind::Error
    }

    fn unknown_variant<'a>(
        &mut self,
        name: &str,
        names: impl Iterator<Item = &'a str> + Clone,
        span: Span,
    ) {
        let all: Vec<String> = names.clone().map(|it| format!("`{it}`")).collect();
        let mut diagnostic = Diagnostic::error(
            &codes::E2106,
            format!("`{name}` is not one of the allowed values"),
            Label::new(span, "unknown value"),
        )
        .with_value(name.to_string());
        match closest(name, names) {
            Some(best) => {
                diagnostic = diagnostic
                    .with_help(format!(
                        "did you mean `{best}`? allowed: {}",
                        all.join(", ")
                    ))
                    .with_fix(Fix {
                        title: format!("replace with `{best}`"),
                        edits: vec![Edit {
                            span,
                            replacement: best.to_string(),
                        }],
                    })
            }
            None => diagnostic = diagnostic.with_help(format!("allowed: {}", all.join(", "))),
        }
        self.error(diagnostic);
    }

    fn check_ctor(
        &mut self,
        ty: &'static Ty,
        ctors: &'static [schema::Ctor],
        expr: &Expr,
        span: Span,
    ) -> ValueKind {
        let (callee, args, body) = match expr {
            Expr::Path(path) => (path, None, None),
            Expr::Call(call) => (&call.callee, Some(&call.args), None),
            Expr::Construct(construct) => (&construct.callee, None, Some(&construct.body)),
            _ => return self.mismatch(ty, expr, span),
        };
        let name = callee.text();
        let Some(ctor) = ctors.iter().find(|it| it.name == name) else {
            self.unknown_variant(
                &name,
                ctors.iter().map(|it| it.name),
                self.span(callee.range),
            );
            return ValueKind::Error;
        };
        self.out.sites.values.push(ValueSite {
            span: self.span(callee.range),
            name: ctor.name,
            doc: ctor.doc,
        });
        let usage = ty_usage(ctor);
        match (&ctor.args, args, body) {
            (CtorArgs::None, None, None) => ValueKind::Ctor {
                name: ctor.name,
                args: Vec::new(),
                body: None,
            },
            (CtorArgs::Positional(params) | CtorArgs::Named(params), Some(args), None) => {
                let errors_before = self.out.diagnostics.len();
                let positional = matches!(ctor.args, CtorArgs::Positional(_));
                let mut checked: Vec<(&'static str, Value)> = Vec::new();
                for (idx, arg) in args.iter().enumerate() {
                    let param = match &arg.name {
                        Some(arg_name) => params.iter().find(|it| it.name == arg_name.name),
                        None if positional => params.get(idx),
                        None => {
                            let arg_span = self.span(arg.value.range());
                            self.error(
                                Diagnostic::error(
                                    &codes::E2110,
                                    format!("`{}` takes its arguments by name", ctor.name),
                                    Label::new(arg_span, "an argument without a name"),
                                )
                                .with_help(format!("write {usage}")),
                            );
                            continue;
                        }
                    };
                    let Some(param) = param else {
                        let arg_span = match &arg.name {
                            Some(it) => self.span(it.range),
                            None => self.span(arg.value.range()),
                        };
                        let message = match &arg.name {
                            Some(it) => format!("`{}` has no argument `{}`", ctor.name, it.name),
                            None => format!("too many arguments for `{}`", ctor.name),
                        };
                        self.error(
                            Diagnostic::error(
                                &codes::E2110,
                                message,
                                Label::new(arg_span, "unexpected argument"),
                            )
                            .with_help(format!("write {usage}")),
                        );
                        continue;
                    };
                    if checked.iter().any(|(it, _)| *it == param.name) {
                        let arg_span = self.span(arg.value.range());
                        self.error(
                            Diagnostic::error(
                                &codes::E2110,
                                format!("argument `{}` is given twice", param.name),
                                Label::new(arg_span, "given again here"),
                            )
                            .with_help(format!("write {usage}")),
                        );
                        continue;
                    }
                    let value = self.check_value(&param.ty, &arg.value);
                    checked.push((param.name, value));
                }
                for param in params.iter().filter(|it| it.required) {
                    if !checked.iter().any(|(it, _)| *it == param.name) {
                        self.error(
                            Diagnostic::error(
                                &codes::E2110,
                                format!("`{}` needs the argument `{}`", ctor.name, param.name),
                                Label::new(span, format!("`{}` is missing", param.name)),
                            )
                            .with_help(format!("write {usage}")),
                        );
                    }
                }
                if self.out.diagnostics.len() > errors_before {
                    // A half-checked constructor would make later stages report follow-up
                    // errors about arguments that were merely misspelt.
                    return ValueKind::Error;
                }
                ValueKind::Ctor {
                    name: ctor.name,
                    args: checked,
                    body: None,
                }
            }
            (CtorArgs::Body(body_schema), None, Some(body)) => {
                self.out.sites.blocks.push((
                    self.span(body.range),
                    self.span(callee.range),
                    body_schema,
                ));
                let mut record = Record {
                    schema: body_schema,
                    label: None,
                    head: self.span(callee.range),
                    span,
                    fields: Vec::new(),
                    blocks: Vec::new(),
                    has_unknown_fields: false,
                };
                self.check_body(body_schema, body, &mut record);
                check_required(&record, &mut self.out.diagnostics);
                ValueKind::Ctor {
                    name: ctor.name,
                    args: Vec::new(),
                    body: Some(Box::new(record)),
                }
            }
            _ => {
                self.error(
                    Diagnostic::error(
                        &codes::E2110,
                        format!("wrong form of `{}`", ctor.name),
                        Label::new(span, "written in another form"),
                    )
                    .with_value(self.workspace.sources.slice(span).to_string())
                    .with_help(format!("write {usage}")),
                );
                ValueKind::Error
            }
        }
    }

    // ----- references -----

    fn use_decl(&mut self, id: DeclId, span: Span) {
        self.out.sites.refs.push((span, id));
    }

    /// Resolves a reference to a declaration of `kind`, reporting what is wrong if it does not.
    pub(crate) fn resolve(&mut self, path: &ast::Path, kind: DeclKind) -> Option<DeclId> {
        let span = self.span(path.range);
        let text = path.text();
        let (scope_module, name) = match path.segments.as_slice() {
            [name] => (self.module, name),
            [module_name, name] => {
                let target = self
                    .scopes
                    .get(self.module.0 as usize)
                    .and_then(|scope| scope.imports.get(&module_name.name))
                    .copied();
                let Some(target) = target else {
                    let is_std = crate::modules::STDLIB
                        .iter()
                        .any(|(it, _)| *it == module_name.name);
                    let help = if is_std {
                        format!(
                            "add `import \"std/{}\"` at the top of the file",
                            module_name.name
                        )
                    } else {
                        "import the file that declares it, or check the spelling".to_string()
                    };
                    self.error(
                        Diagnostic::error(
                            &codes::E1002,
                            format!("no module `{}` is imported", module_name.name),
                            Label::new(self.span(module_name.range), "unknown module"),
                        )
                        .with_value(text)
                        .with_help(help),
                    );
                    return None;
                };
                (target, name)
            }
            _ => {
                self.error(
                    Diagnostic::error(
                        &codes::E1002,
                        format!("`{text}` is not a valid reference"),
                        Label::new(span, "too many parts"),
                    )
                    .with_help("references are `name` or `module.name`"),
                );
                return None;
            }
        };
        let scope = self.scopes.get(scope_module.0 as usize)?;
        if let Some(id) = scope.decls.get(&(kind, name.name.clone())).copied() {
            self.use_decl(id, span);
            return Some(id);
        }
        if let Some(other) = scope
            .names
            .get(&name.name)
            .and_then(|ids| ids.first())
            .copied()
        {
            let other_kind = self
                .out
                .decls
                .get(other.0 as usize)
                .map(|it| it.kind.noun())
                .unwrap_or("declaration");
            let other_span = self
                .out
                .decls
                .get(other.0 as usize)
                .map(|it| it.name_span)
                .unwrap_or(span);
            self.error(
                Diagnostic::error(
                    &codes::E1007,
                    format!(
                        "`{text}` is {} {other_kind}, not {}",
                        article(other_kind),
                        with_article(kind.noun())
                    ),
                    Label::new(span, format!("expected {}", with_article(kind.noun()))),
                )
                .with_secondary(Label::new(
                    other_span,
                    format!(
                        "`{}` is declared here as {} {other_kind}",
                        name.name,
                        article(other_kind)
                    ),
                ))
                .with_value(text),
            );
            return None;
        }
        // Suggest the closest name of the right kind, here or in an imported module.
        let mut candidates: Vec<String> = scope
            .decls
            .keys()
            .filter(|(it, _)| *it == kind)
            .map(|(_, it)| it.clone())
            .collect();
        if path.segments.len() == 1 {
            if let Some(current) = self.scopes.get(self.module.0 as usize) {
                for (alias, module) in &current.imports {
                    if let Some(imported) = self.scopes.get(module.0 as usize) {
                        candidates.extend(
                            imported
                                .decls
                                .keys()
                                .filter(|(it, _)| *it == kind)
                                .map(|(_, it)| format!("{alias}.{it}")),
                        );
                    }
                }
            }
        }
        candidates.sort();
        let exact_elsewhere = candidates
            .iter()
            .find(|it| it.rsplit('.').next() == Some(name.name.as_str()))
            .cloned();
        let suggestion = exact_elsewhere
            .or_else(|| closest(&text, candidates.iter().map(String::as_str)).map(str::to_string));
        // The declaration the misspelt reference was meant for is not "unused": saying so
        // would be a second diagnostic for one mistake.
        if let Some(meant) = suggestion
            .as_ref()
            .and_then(|best| scope.decls.get(&(kind, best.clone())).copied())
        {
            self.out.guesses.push(meant);
        }
        let mut diagnostic = Diagnostic::error(
            &codes::E1002,
            format!("no {} named `{text}`", kind.noun()),
            Label::new(span, format!("unknown {}", kind.noun())),
        )
        .with_value(text);
        diagnostic = match suggestion {
            Some(best) => diagnostic.with_help(did_you_mean(&best)).with_fix(Fix {
                title: format!("replace with `{best}`"),
                edits: vec![Edit {
                    span,
                    replacement: best,
                }],
            }),
            None if candidates.is_empty() => diagnostic.with_help(format!(
                "declare it with `{} {} {{ ... }}`",
                kind.noun(),
                name.name
            )),
            None => diagnostic.with_help(format!(
                "{}s in scope: {}",
                kind.noun(),
                candidates.join(", ")
            )),
        };
        self.error(diagnostic);
        None
    }

    fn report_extends_cycles(&mut self) {
        let mut reported: Vec<DeclId> = Vec::new();
        for start in 0..self.out.decls.len() {
            let start = DeclId(start as u32);
            let mut chain = vec![start];
            let mut current = start;
            while let Some((next, _)) = self
                .out
                .decls
                .get(current.0 as usize)
                .and_then(|it| it.extends)
            {
                if let Some(pos) = chain.iter().position(|it| *it == next) {
                    let cycle: Vec<DeclId> =
                        chain.get(pos..).map(<[DeclId]>::to_vec).unwrap_or_default();
                    let first = cycle.iter().min().copied().unwrap_or(next);
                    if !reported.contains(&first) {
                        reported.push(first);
                        self.report_cycle(&cycle);
                    }
                    break;
                }
                chain.push(next);
                current = next;
            }
        }
        // Break the cycles so that resolving `extends` later terminates.
        for id in reported {
            let mut current = id;
            let mut seen = vec![id];
            while let Some((next, _)) = self
                .out
                .decls
                .get(current.0 as usize)
                .and_then(|it| it.extends)
            {
                if seen.contains(&next) {
                    if let Some(decl) = self.out.decls.get_mut(current.0 as usize) {
                        decl.extends = None;
                    }
                    break;
                }
                seen.push(next);
                current = next;
            }
        }
    }

    fn report_cycle(&mut self, cycle: &[DeclId]) {
        let mut rotated: Vec<DeclId> = cycle.to_vec();
        if let Some(min_pos) = rotated
            .iter()
            .enumerate()
            .min_by_key(|(_, it)| **it)
            .map(|(idx, _)| idx)
        {
            rotated.rotate_left(min_pos);
        }
        let names: Vec<String> = rotated
            .iter()
            .filter_map(|id| self.out.decls.get(id.0 as usize))
            .map(|it| it.name.clone())
            .collect();
        let Some(first) = rotated
            .first()
            .and_then(|id| self.out.decls.get(id.0 as usize))
        else {
            return;
        };
        let kind = first.kind.noun();
        let primary = first
            .extends
            .map(|(_, span)| span)
            .unwrap_or(first.name_span);
        let mut shown = names.clone();
        if let Some(head) = names.first() {
            shown.push(head.clone());
        }
        let mut diagnostic = Diagnostic::error(
            &codes::E1006,
            format!("{kind} `extends` cycle: {}", shown.join(" -> ")),
            Label::new(primary, "this `extends` starts the cycle"),
        )
        .with_help("break the cycle: one of them must stand on its own");
        for id in rotated.iter().skip(1) {
            if let Some((_, span)) = self.out.decls.get(id.0 as usize).and_then(|it| it.extends) {
                diagnostic = diagnostic
                    .with_secondary(Label::new(span, "which extends the next in the cycle"));
            }
        }
        self.error(diagnostic);
    }
}

/// Reports required fields and blocks that a record (after `extends`) does not set.
pub fn check_required(record: &Record, diagnostics: &mut Vec<Diagnostic>) {
    let fields = if record.has_unknown_fields {
        &[][..]
    } else {
        record.schema.fields
    };
    for field in fields.iter().filter(|it| it.required) {
        if record.field(field.name).is_none() {
            let what = match &record.label {
                Some((name, _)) => format!("`{} {name}`", record.schema.kind),
                None => format!("`{}`", record.schema.kind),
            };
            diagnostics.push(
                Diagnostic::error(
                    &codes::E2102,
                    format!("{what} is missing the field `{}`", field.name),
                    Label::new(record.head, format!("`{}` is required", field.name)),
                )
                .with_help(format!(
                    "add `{} = ...`: {} ({})",
                    field.name,
                    field.doc.trim_end_matches('.'),
                    field.ty.describe()
                )),
            );
        }
    }
    for child in &record.blocks {
        check_required(child, diagnostics);
    }
}

/// Words people write for a field under another name, per block kind: a misspelling of
/// one of them suggests the field even where edit distance cannot (`retention` is `keep`).
const FIELD_SYNONYMS: &[(&str, &[&str], &str)] = &[
    (
        "backup",
        &["retention", "retain", "keep_for", "ttl"],
        "keep",
    ),
    (
        "backup",
        &["interval", "frequency", "schedule", "period"],
        "every",
    ),
    ("backup", &["encrypt", "encryption"], "encrypted"),
    ("backup", &["off_site", "remote"], "offsite"),
    ("tls", &["renew", "renewal", "renew_days"], "renew_before"),
    ("alerting", &["emails", "mail", "to"], "email"),
    ("alerting", &["when", "conditions", "alerts"], "on"),
    ("environment", &["type", "stage"], "kind"),
    ("environment", &["host", "hostname", "url"], "domain"),
    ("plan", &["version", "release", "cht_version"], "cht"),
    ("role", &["users", "number"], "count"),
];

fn ty_accepts_name(ty: &Ty, name: &str) -> bool {
    match ty {
        Ty::Enum(values) => values.iter().any(|it| it.name == name),
        Ty::Ctor(ctors) => ctors.iter().any(|it| it.name == name),
        Ty::List(item) => ty_accepts_name(item, name),
        _ => false,
    }
}

fn ty_usage(ctor: &schema::Ctor) -> String {
    format!("`{}`", ctor.usage())
}

fn describe_expr(expr: &Expr) -> String {
    match expr {
        Expr::Str(_) => "a string".into(),
        Expr::Number { .. } => "a number".into(),
        Expr::Quantity {
            unit: Some(unit), ..
        } => match unit.dimension() {
            Dimension::Duration => "a duration".into(),
            Dimension::Size => "a size".into(),
            Dimension::Percent => "a percentage".into(),
        },
        Expr::Quantity { .. } => "a quantity".into(),
        Expr::Money { .. } => "money".into(),
        Expr::Bool { .. } => "true or false".into(),
        Expr::List(_) => "a list".into(),
        Expr::Path(path) => format!("the name `{}`", path.text()),
        Expr::Call(call) => format!("`{}(...)`", call.callee.text()),
        Expr::Construct(it) => format!("`{} {{ ... }}`", it.callee.text()),
        Expr::Error(_) => "an invalid value".into(),
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

fn with_article(what: &str) -> String {
    if what.starts_with('`')
        || what.starts_with("true")
        || what == "money"
        || what.starts_with("list")
    {
        return what.to_string();
    }
    format!("{} {what}", article(what))
}

fn unit_examples(ty: &Ty) -> &'static str {
    match ty {
        Ty::Duration => "`5m`, `24h`, `35d` or `5y`",
        Ty::Size => "`512MiB`, `100GiB` or `1TB`",
        Ty::Percent => "`80%`",
        _ => "a unit",
    }
}

/// Checks a string against its format; `Err` carries the help text.
/// The version a release written as a name stands for: `v5_2_0` (or `5_2_0`) is `5.2.0`.
pub(crate) fn release_of_name(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.strip_prefix('v').unwrap_or(name).split('_').collect();
    let numeric = |part: &&str| !part.is_empty() && part.bytes().all(|it| it.is_ascii_digit());
    (parts.len() == 3 && parts.iter().all(numeric)).then(|| parts.join("."))
}

pub fn check_format(format: StrFormat, value: &str) -> Result<(), String> {
    let ok = match format {
        StrFormat::Any | StrFormat::Release => true,
        StrFormat::Domain => is_domain(value),
        StrFormat::Cidr => is_cidr(value),
        StrFormat::Email => {
            let mut parts = value.splitn(2, '@');
            let local = parts.next().unwrap_or("");
            let domain = parts.next().unwrap_or("");
            !local.is_empty()
                && !local.contains(char::is_whitespace)
                && is_domain(domain)
                && domain.contains('.')
        }
        StrFormat::Date => {
            let parts: Vec<&str> = value.split('-').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .zip([4, 2, 2])
                    .all(|(it, len)| it.len() == len && it.chars().all(|c| c.is_ascii_digit()))
                && parts
                    .get(1)
                    .and_then(|it| it.parse::<u32>().ok())
                    .is_some_and(|m| (1..=12).contains(&m))
                && parts
                    .get(2)
                    .and_then(|it| it.parse::<u32>().ok())
                    .is_some_and(|d| (1..=31).contains(&d))
        }
        StrFormat::Window => is_window(value),
        StrFormat::EnvVar => {
            !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !value.starts_with(|c: char| c.is_ascii_digit())
        }
        StrFormat::DnsLabel => {
            !value.is_empty()
                && value.len() <= 63
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !value.starts_with('-')
                && !value.ends_with('-')
        }
        StrFormat::Url => {
            value.starts_with("https://")
                && value.len() > "https://".len()
                && !value.contains(char::is_whitespace)
        }
    };
    if ok {
        return Ok(());
    }
    Err(match format {
        StrFormat::Domain => {
            "write a host name such as `cht.moh.example.org`, without `https://` or a path".into()
        }
        StrFormat::Cidr => {
            "write an address range such as `196.201.0.0/16` or `2001:db8::/32`".into()
        }
        StrFormat::Email => "write an address such as `ops@moh.example.org`".into(),
        StrFormat::Date => "write a date as `YYYY-MM-DD`".into(),
        StrFormat::Window => "write a day and a time range such as `Sun 02:00-04:00`".into(),
        StrFormat::EnvVar => {
            "variable names are upper-case letters, digits and `_`, such as `CHT_COUCHDB_PASSWORD`"
                .into()
        }
        StrFormat::DnsLabel => {
            "namespaces are lower-case letters, digits and `-`, at most 63 characters".into()
        }
        StrFormat::Url => "write an address starting with `https://`".into(),
        StrFormat::Any | StrFormat::Release => String::new(),
    })
}

fn is_domain(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_cidr(value: &str) -> bool {
    let Some((address, prefix)) = value.split_once('/') else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    if let Ok(address) = address.parse::<std::net::Ipv4Addr>() {
        let _ = address;
        return prefix <= 32;
    }
    address.parse::<std::net::Ipv6Addr>().is_ok() && prefix <= 128
}

fn is_window(value: &str) -> bool {
    let Some((day, times)) = value.split_once(' ') else {
        return false;
    };
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Daily"];
    let Some((from, to)) = times.split_once('-') else {
        return false;
    };
    let is_time = |it: &str| {
        let Some((h, m)) = it.split_once(':') else {
            return false;
        };
        h.len() == 2
            && m.len() == 2
            && h.parse::<u32>().is_ok_and(|h| h < 24)
            && m.parse::<u32>().is_ok_and(|m| m < 60)
    };
    days.contains(&day) && is_time(from) && is_time(to)
}

/// The kind of a top-level entry that is a singleton block (`plan`, `population`, `users`,
/// `assumptions`).
fn singleton_kind(entry: &Entry) -> Option<&'static str> {
    match &entry.kind {
        EntryKind::Block(block) => schema::top_level(&block.kind.name)
            .filter(|it| it.decl.is_none())
            .map(|it| it.kind),
        _ => None,
    }
}

// ----- incremental checking -----

/// What a check redid, for the stages after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recheck {
    /// Everything was checked.
    Full,
    /// Only the entries an edit reparsed were checked; the outputs of the others were kept,
    /// their spans moved by `shift`.
    Partial {
        shift: hostplan_diagnostics::Shift,
        /// The declarations whose entries were checked again.
        changed: Vec<DeclId>,
    },
}

/// Checks a workspace, reusing the previous check of the same files where an edit allows.
///
/// When one file changed, its parse was incremental, and the edited entries declare the same
/// things as before (same kinds and names, the same imports, the same singleton blocks), only
/// those entries are checked again: what the checker says about an entry depends on the
/// entry, on the kinds and names of the declarations, and on the singleton blocks before it,
/// all of which the edit left as they were. Otherwise everything is checked. The result is
/// the same as [`check`]'s either way, which a property test holds it to.
pub fn check_reusing(
    workspace: &Workspace,
    previous: Option<(Checked, Scopes)>,
) -> (Checked, Scopes, Recheck) {
    if let Some((checked, scopes)) = previous {
        if let Some(done) = recheck(workspace, checked, scopes) {
            return done;
        }
    }
    let (checked, scopes) = check_full(workspace);
    (checked, scopes, Recheck::Full)
}

/// A top-level entry's declaration: its kind, name and the range of the name.
fn declared(entry: &Entry) -> Option<(DeclKind, &str, TextRange)> {
    match &entry.kind {
        EntryKind::Block(block) => {
            let kind = schema::top_level(&block.kind.name).and_then(|it| it.decl)?;
            let label = block.label.as_ref()?;
            Some((kind, label.name(), label.range()))
        }
        EntryKind::Labelled(labelled) if labelled.kind.name == "secret" => Some((
            DeclKind::Secret,
            labelled.name.name.as_str(),
            labelled.name.range,
        )),
        _ => None,
    }
}

/// The comment lines just above an entry, without `#`: the documentation of what it
/// declares.
fn docs(entry: &Entry) -> Vec<String> {
    entry
        .comments_before
        .iter()
        .map(|it| it.text.trim_start_matches('#').trim().to_string())
        .collect()
}

fn recheck(
    workspace: &Workspace,
    mut previous: Checked,
    scopes: Scopes,
) -> Option<(Checked, Scopes, Recheck)> {
    use crate::modules::FileChange;
    if previous.marks.len() != workspace.modules.len()
        || previous.singleton_kinds.len() != workspace.modules.len()
        || scopes.0.len() != workspace.modules.len()
    {
        return None;
    }
    let mut edited = None;
    for (idx, module) in workspace.modules.iter().enumerate() {
        match &module.change {
            FileChange::Unchanged => {}
            FileChange::Edited(region) if edited.is_none() => edited = Some((idx, region)),
            _ => return None,
        }
    }
    let Some((module_idx, region)) = edited else {
        // Nothing changed: the previous check stands as it is.
        return Some((
            previous,
            scopes,
            Recheck::Partial {
                shift: hostplan_diagnostics::Shift::none(),
                changed: Vec::new(),
            },
        ));
    };
    let module = workspace.modules.get(module_idx)?;
    let file = module.file;
    let entries = &module.ast.entries;
    let old_marks = previous.marks.get(module_idx)?;
    let old_kinds = previous.singleton_kinds.get(module_idx)?;
    let old_count = entries.len() + region.old_entries.len() - region.new_entries.len();
    if old_marks.len() != old_count + 1
        || region.old_entries.len() != region.new_entries.len()
        || region.old_entries.start != region.new_entries.start
    {
        return None;
    }
    let first = region.old_entries.start;
    let old_end = region.old_entries.end;
    let new_region = entries.get(region.new_entries.clone())?;
    // The singleton blocks before an entry decide whether it is a duplicate, and imports
    // decide what names mean: an edit that changes either is checked in full.
    let new_kinds: Vec<Option<&'static str>> = new_region.iter().map(singleton_kind).collect();
    if old_kinds.get(first..old_end)? != new_kinds.as_slice() {
        return None;
    }
    let imports: BTreeMap<String, ModuleId> = module
        .imports
        .iter()
        .filter_map(|it| Some((it.alias.clone(), it.target?)))
        .collect();
    if scopes.0.get(module_idx)?.imports != imports {
        return None;
    }
    // The edited entries must declare what they declared before, in the same order, so that
    // every declaration keeps its id and every name its meaning.
    let old_decls: Vec<usize> = previous
        .decls
        .iter()
        .enumerate()
        .filter(|(_, it)| it.name_span.file == file && overlaps(it.span.range, region.old_range))
        .map(|(idx, _)| idx)
        .collect();
    let new_decls: Vec<(&Entry, (DeclKind, &str, TextRange))> = new_region
        .iter()
        .filter_map(|entry| Some((entry, declared(entry)?)))
        .collect();
    if old_decls.len() != new_decls.len()
        || old_decls
            .iter()
            .zip(&new_decls)
            .any(|(idx, (_, (kind, name, _)))| {
                previous
                    .decls
                    .get(*idx)
                    .is_none_or(|it| it.kind != *kind || it.name != *name)
            })
    {
        return None;
    }
    let modules_end = previous.marks.last()?.last()?.diagnostics;
    let region_start = *old_marks.get(first)?;
    let region_end = *old_marks.get(old_end)?;
    // The marks index the previous lists; lists that do not match them did not come from
    // the previous check of this plan.
    let lengths = previous.lengths();
    if !(region_start.all_le(region_end) && region_end.all_le(lengths)) {
        return None;
    }
    // Cycles in `extends` were broken in the previous declarations; a kept diagnostic that
    // points into the edited entries would point at text that moved.
    if previous.diagnostics.len() != modules_end
        || previous
            .diagnostics
            .iter()
            .enumerate()
            .filter(|(idx, _)| !(region_start.diagnostics..region_end.diagnostics).contains(idx))
            .any(|(_, it)| touches(it, file, region.old_range))
    {
        return None;
    }

    // From here on the previous check is taken apart and its kept parts moved.
    let shift = hostplan_diagnostics::Shift {
        file,
        from: region.old_range.end,
        delta: region.delta,
    };
    let mut changed = Vec::with_capacity(old_decls.len());
    for (idx, (entry, (_, _, name_range))) in old_decls.iter().zip(&new_decls) {
        if let Some(decl) = previous.decls.get_mut(*idx) {
            decl.name_span = Span::new(file, *name_range);
            decl.span = Span::new(file, entry.range);
            decl.docs = docs(entry);
            decl.record = None;
            decl.source = None;
            decl.extends = None;
            changed.push(DeclId(*idx as u32));
        }
    }
    for decl in previous
        .decls
        .iter_mut()
        .filter(|it| it.name_span.file == file && it.span.range.start >= region.old_range.end)
    {
        shift.span(&mut decl.name_span);
        shift.span(&mut decl.span);
        if let Some(record) = &mut decl.record {
            shift_record(&shift, record);
        }
        if let Some(source) = &mut decl.source {
            shift_value(&shift, source);
        }
        if let Some((_, span)) = &mut decl.extends {
            shift.span(span);
        }
    }

    let mut ctx = Ctx {
        workspace,
        out: Checked::default(),
        scopes: scopes.0,
        module: ModuleId(module_idx as u32),
    };

    // The output lists: what came before the edited entries, what checking them gives, and
    // what came after them, moved.
    let mut diagnostics = previous.diagnostics;
    let mut tail = cut_out(
        &mut diagnostics,
        region_start.diagnostics,
        region_end.diagnostics,
    );
    for it in &mut diagnostics {
        shift.diagnostic(it);
    }
    for it in &mut tail {
        shift.diagnostic(it);
    }
    ctx.out.diagnostics = diagnostics;

    let mut sites = previous.sites;
    let mut refs_tail = cut_out(&mut sites.refs, region_start.refs, region_end.refs);
    let mut fields_tail = cut_out(&mut sites.fields, region_start.fields, region_end.fields);
    let mut blocks_tail = cut_out(&mut sites.blocks, region_start.blocks, region_end.blocks);
    let mut values_tail = cut_out(&mut sites.values, region_start.values, region_end.values);
    for (span, _) in &mut refs_tail {
        shift.span(span);
    }
    for (span, _) in &mut fields_tail {
        shift.span(span);
    }
    for (span, head, _) in &mut blocks_tail {
        shift.span(span);
        shift.span(head);
    }
    for site in &mut values_tail {
        shift.span(&mut site.span);
    }
    sites.imports = workspace
        .modules
        .iter()
        .flat_map(|module| &module.imports)
        .filter_map(|it| Some((it.span, it.target?)))
        .collect();
    ctx.out.sites = sites;
    ctx.out.decls = previous.decls;

    let mut singletons = previous.singletons;
    let mut singletons_tail = cut_out(
        &mut singletons,
        region_start.singletons,
        region_end.singletons,
    );
    for record in &mut singletons_tail {
        shift_record(&shift, record);
    }
    ctx.out.singletons = singletons;

    let mut guesses = previous.guesses;
    let guesses_tail = cut_out(&mut guesses, region_start.guesses, region_end.guesses);
    ctx.out.guesses = guesses;

    // Check the edited entries, recording their marks as `check_module` does.
    let mut region_marks = Vec::with_capacity(new_region.len());
    for entry in new_region {
        region_marks.push(ctx.mark());
        ctx.check_entry(entry);
    }
    let after = ctx.mark();

    ctx.out.diagnostics.append(&mut tail);
    ctx.out.sites.refs.append(&mut refs_tail);
    ctx.out.sites.fields.append(&mut fields_tail);
    ctx.out.sites.blocks.append(&mut blocks_tail);
    ctx.out.sites.values.append(&mut values_tail);
    ctx.out.singletons.append(&mut singletons_tail);
    ctx.out.guesses.extend(guesses_tail);

    // Marks after the edited entries move by what checking them gave.
    let mut marks = previous.marks;
    for (idx, module_marks) in marks.iter_mut().enumerate() {
        if idx == module_idx {
            let tail_marks: Vec<Mark> = module_marks
                .get(old_end..)
                .unwrap_or_default()
                .iter()
                .map(|it| it.moved(region_end, after))
                .collect();
            module_marks.truncate(first);
            module_marks.extend(region_marks.iter().copied());
            module_marks.extend(tail_marks);
        } else if idx > module_idx {
            for mark in module_marks.iter_mut() {
                *mark = mark.moved(region_end, after);
            }
        }
    }
    ctx.out.marks = marks;
    let mut kinds = previous.singleton_kinds;
    if let Some(module_kinds) = kinds.get_mut(module_idx) {
        module_kinds.splice(first..old_end, new_kinds.iter().copied());
    }
    ctx.out.singleton_kinds = kinds;
    let (checked, scopes) = ctx.finish();
    Some((checked, scopes, Recheck::Partial { shift, changed }))
}

/// Removes `list[start..end]` and returns what followed it, so that new items can be pushed in
/// its place and the rest appended after them. `recheck` has made sure the range fits.
fn cut_out<T>(list: &mut Vec<T>, start: usize, end: usize) -> Vec<T> {
    let tail = list.split_off(end.min(list.len()));
    list.truncate(start);
    tail
}

fn overlaps(a: TextRange, b: TextRange) -> bool {
    a.start < b.end && b.start < a.end || a.start == b.start
}

/// Whether any label or fix of a diagnostic lies in `range` of `file`.
fn touches(diagnostic: &Diagnostic, file: hostplan_diagnostics::FileId, range: TextRange) -> bool {
    let hit = |span: &Span| span.file == file && overlaps(span.range, range);
    hit(&diagnostic.primary.span)
        || diagnostic.secondary.iter().any(|it| hit(&it.span))
        || diagnostic
            .fix
            .as_ref()
            .is_some_and(|fix| fix.edits.iter().any(|it| hit(&it.span)))
}

/// Moves every span of a record kept from a previous check.
fn shift_record(shift: &hostplan_diagnostics::Shift, record: &mut Record) {
    if shift.is_none() {
        return;
    }
    if let Some((_, span)) = &mut record.label {
        shift.span(span);
    }
    shift.span(&mut record.head);
    shift.span(&mut record.span);
    for field in &mut record.fields {
        shift.span(&mut field.key_span);
        shift.span(&mut field.entry_span);
        shift_value(shift, &mut field.value);
    }
    for block in &mut record.blocks {
        shift_record(shift, block);
    }
}

fn shift_value(shift: &hostplan_diagnostics::Shift, value: &mut Value) {
    shift.span(&mut value.span);
    match &mut value.kind {
        ValueKind::List(items) => {
            for item in items {
                shift_value(shift, item);
            }
        }
        ValueKind::Ctor { args, body, .. } => {
            for (_, arg) in args {
                shift_value(shift, arg);
            }
            if let Some(body) = body {
                shift_record(shift, body);
            }
        }
        _ => {}
    }
}

/// The span at which each key was first seen, for reporting a field, block or declaration set
/// twice. Keys are borrowed, not copied. A body rarely has more than a dozen entries,
/// so the keys are kept in a list and compared one by one, without hashing or copying them;
/// past [`FirstSeen::LIST`] keys they move into a hash map, so that a block with thousands of
/// entries (a generated plan) is still checked in linear time.
struct FirstSeen<K> {
    list: Vec<(K, Span)>,
    map: HashMap<K, Span>,
}

impl<K> Default for FirstSeen<K> {
    fn default() -> Self {
        FirstSeen {
            list: Vec::new(),
            map: HashMap::new(),
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash> FirstSeen<K> {
    const LIST: usize = 32;

    /// Where `key` was first seen, or `None` when this is the first time (it is then recorded
    /// at `span`).
    fn first_or_insert(&mut self, key: K, span: Span) -> Option<Span> {
        if self.map.is_empty() {
            if let Some((_, first)) = self.list.iter().find(|(seen, _)| *seen == key) {
                return Some(*first);
            }
            if self.list.len() < Self::LIST {
                self.list.push((key, span));
                return None;
            }
            self.map.extend(self.list.drain(..));
        }
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(span);
                None
            }
        }
    }
}

#[cfg(test)]
mod first_seen_tests {
    use super::FirstSeen;
    use hostplan_diagnostics::{FileId, Span, TextRange};

    fn at(offset: u32) -> Span {
        Span::new(FileId(0), TextRange::new(offset, offset + 1))
    }

    #[test]
    fn reports_the_first_span_of_a_key_in_the_list_and_in_the_map() {
        let names: Vec<String> = (0..100).map(|it| format!("field_{it}")).collect();
        let mut seen = FirstSeen::default();
        for (offset, name) in (0u32..).zip(&names) {
            assert_eq!(seen.first_or_insert(name.as_str(), at(offset)), None);
            // A repeat of an earlier key, before and after the keys moved into the map.
            if offset == 10 || offset == 60 {
                assert_eq!(seen.first_or_insert("field_3", at(1000)), Some(at(3)));
                assert_eq!(
                    seen.first_or_insert(name.as_str(), at(1000)),
                    Some(at(offset))
                );
            }
        }
        assert!(seen.list.is_empty() && seen.map.len() == 100);
        assert_eq!(seen.first_or_insert("field_99", at(2000)), Some(at(99)));
        assert_eq!(seen.first_or_insert("field_100", at(2000)), None);
    }
}
