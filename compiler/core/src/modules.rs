//! Loading a plan's files: the entry file, the files it imports, and the standard library.
//!
//! The core does no I/O: files arrive through a [`SourceLoader`], which the CLI backs with
//! the file system and the language server with its open buffers over the file system.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use hostplan_diagnostics::{codes, Diagnostic, FileId, Label, Sources, Span, TextRange};
use hostplan_syntax::ast::{EntryKind, File};
use hostplan_syntax::{parse, Parse};
use petgraph::graph::{DiGraph, NodeIndex};

/// Reads plan files. Paths are relative to the entry plan's directory and use `/`.
pub trait SourceLoader {
    fn load(&self, path: &str) -> Result<Arc<str>, String>;
}

/// An index into [`Workspace::modules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleId(pub u32);

/// An `import` and what it resolved to.
#[derive(Clone, Debug)]
pub struct ImportEdge {
    /// The name the import binds (`policies` for `import "std/policies"`).
    pub alias: String,
    pub target: Option<ModuleId>,
    /// The span of the import's path string.
    pub span: Span,
}

/// One loaded file.
#[derive(Clone, Debug)]
pub struct Module {
    pub file: FileId,
    /// `plan.hplan`, `shared/ops.hplan` or `std/cht.hplan`.
    pub path: String,
    pub is_std: bool,
    pub ast: Arc<File>,
    pub imports: Vec<ImportEdge>,
    /// How the file changed since the parse cache last loaded it, so that an analysis can
    /// redo only the work of the entries that changed.
    pub change: FileChange,
}

/// How a file changed since the previous load through the same [`ParseCache`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChange {
    /// Parsed in full: new to the cache, or changed too much to reparse in part.
    Parsed,
    /// The same text as at the previous load.
    Unchanged,
    /// Only the entries of a region were parsed again.
    Edited(hostplan_syntax::Region),
}

/// Every file of a plan.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    pub sources: Sources,
    pub modules: Vec<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The standard library, embedded at build time: `(name, text)`, sorted by name.
pub static STDLIB: &[(&str, &str)] = &STDLIB_MODULES;

const STDLIB_MODULES: [(&str, &str); 4] = [
    ("aws", include_str!("../../../stdlib/aws.hplan")),
    ("cht", include_str!("../../../stdlib/cht.hplan")),
    ("gcp", include_str!("../../../stdlib/gcp.hplan")),
    ("policies", include_str!("../../../stdlib/policies.hplan")),
];

/// The standard library's syntax trees, parsed when this crate was compiled (`build.rs`), in
/// the order of [`STDLIB_MODULES`]; empty for a module that had syntax errors.
const STDLIB_SNAPSHOTS: [&[u8]; STDLIB_MODULES.len()] = [
    include_bytes!(concat!(env!("OUT_DIR"), "/aws.ast")),
    include_bytes!(concat!(env!("OUT_DIR"), "/cht.ast")),
    include_bytes!(concat!(env!("OUT_DIR"), "/gcp.ast")),
    include_bytes!(concat!(env!("OUT_DIR"), "/policies.ast")),
];

/// A standard library module: its display path, text and syntax tree.
type StdModule = (String, Arc<str>, Arc<File>);

/// A cached parse: the text it was made from, the tree and the syntax diagnostics.
type CachedParse = (Arc<str>, Arc<File>, Vec<Diagnostic>);

/// Parses of the standard library modules, each made once per process and only when needed:
/// they never change, and the language server re-checks plans on every keystroke.
static STDLIB_PARSES: [OnceLock<StdModule>; STDLIB_MODULES.len()] =
    [const { OnceLock::new() }; STDLIB_MODULES.len()];

/// The standard library module `std/NAME`, loaded on first use: decoded from the tree made
/// when the crate was compiled, which takes a fraction of a parse, or parsed if that fails.
fn stdlib_module(name: &str) -> Option<&'static StdModule> {
    let index = STDLIB_MODULES.iter().position(|(it, _)| *it == name)?;
    let (name, text) = STDLIB_MODULES.get(index)?;
    Some(STDLIB_PARSES.get(index)?.get_or_init(|| {
        let file = STDLIB_SNAPSHOTS
            .get(index)
            .and_then(|bytes| hostplan_syntax::snapshot::decode(bytes))
            .unwrap_or_else(|| parse(FileId(0), text).file);
        (
            format!("std/{name}.hplan"),
            Arc::from(*text),
            Arc::new(file),
        )
    }))
}

/// Parses kept between loads, keyed by path and reused while the text is unchanged, so the
/// language server reparses only the files that changed.
#[derive(Default)]
pub struct ParseCache {
    entries: HashMap<String, CachedParse>,
}

impl ParseCache {
    fn parse(
        &mut self,
        path: &str,
        text: &Arc<str>,
        file: FileId,
    ) -> (Arc<File>, Vec<Diagnostic>, FileChange) {
        if let Some((cached_text, ast, diagnostics)) = self.entries.get_mut(path) {
            if cached_text == text {
                let diagnostics = diagnostics.iter().cloned().map(|mut it| {
                    retarget(&mut it, file);
                    it
                });
                return (ast.clone(), diagnostics.collect(), FileChange::Unchanged);
            }
            // An edited file: only the entries the edit touched are parsed again. The tree is
            // updated in place when the cache is its only owner, and copied first otherwise.
            for diagnostic in diagnostics.iter_mut() {
                retarget(diagnostic, file);
            }
            let change = match hostplan_syntax::reparse(
                file,
                cached_text,
                Arc::make_mut(ast),
                diagnostics,
                text,
            ) {
                hostplan_syntax::Reparse::Incremental(region) => FileChange::Edited(region),
                hostplan_syntax::Reparse::Full => FileChange::Parsed,
            };
            *cached_text = text.clone();
            return (ast.clone(), diagnostics.clone(), change);
        }
        let Parse {
            file: ast,
            diagnostics,
        } = parse(file, text);
        let ast = Arc::new(ast);
        self.entries.insert(
            path.to_string(),
            (text.clone(), ast.clone(), diagnostics.clone()),
        );
        (ast, diagnostics, FileChange::Parsed)
    }
}

/// Points a cached diagnostic at the file id of the current load.
fn retarget(diagnostic: &mut Diagnostic, file: FileId) {
    diagnostic.primary.span.file = file;
    for label in &mut diagnostic.secondary {
        label.span.file = file;
    }
    if let Some(fix) = &mut diagnostic.fix {
        for edit in &mut fix.edits {
            edit.span.file = file;
        }
    }
}

/// Loads the entry plan and everything it imports.
pub fn load(
    loader: &dyn SourceLoader,
    entry: &str,
    cache: &mut ParseCache,
) -> Result<Workspace, String> {
    let text = loader.load(entry)?;
    let mut workspace = Workspace::default();
    let mut by_path: HashMap<String, ModuleId> = HashMap::new();
    let entry_path = normalize(entry).unwrap_or_else(|| entry.to_string());
    let mut queue = vec![add_user_module(
        &mut workspace,
        &mut by_path,
        cache,
        entry_path,
        text,
    )];
    while let Some(module_id) = queue.pop() {
        let Some(module) = workspace.modules.get(module_id.0 as usize) else {
            continue;
        };
        let ast = module.ast.clone();
        let from_path = module.path.clone();
        let file = module.file;
        let is_std = module.is_std;
        let mut imports = Vec::new();
        for entry in &ast.entries {
            let EntryKind::Import(import) = &entry.kind else {
                continue;
            };
            let span = Span::new(file, import.path.range);
            let raw = import.path.value.as_str();
            let alias = match &import.alias {
                Some(alias) => alias.name.clone(),
                None => default_alias(raw),
            };
            let target = resolve_import(
                &mut workspace,
                &mut by_path,
                cache,
                loader,
                &from_path,
                is_std,
                raw,
                span,
                &mut queue,
            );
            imports.push(ImportEdge {
                alias,
                target,
                span,
            });
        }
        if let Some(module) = workspace.modules.get_mut(module_id.0 as usize) {
            module.imports = imports;
        }
    }
    report_cycles(&mut workspace);
    Ok(workspace)
}

fn add_user_module(
    workspace: &mut Workspace,
    by_path: &mut HashMap<String, ModuleId>,
    cache: &mut ParseCache,
    path: String,
    text: Arc<str>,
) -> ModuleId {
    let file = workspace.sources.add(path.clone(), text.clone());
    let (ast, mut diagnostics, change) = cache.parse(&path, &text, file);
    workspace.diagnostics.append(&mut diagnostics);
    let id = ModuleId(workspace.modules.len() as u32);
    workspace.modules.push(Module {
        file,
        path: path.clone(),
        is_std: false,
        ast,
        imports: Vec::new(),
        change,
    });
    by_path.insert(path, id);
    id
}

#[allow(clippy::too_many_arguments)]
fn resolve_import(
    workspace: &mut Workspace,
    by_path: &mut HashMap<String, ModuleId>,
    cache: &mut ParseCache,
    loader: &dyn SourceLoader,
    from_path: &str,
    from_std: bool,
    raw: &str,
    span: Span,
    queue: &mut Vec<ModuleId>,
) -> Option<ModuleId> {
    if let Some(name) = raw.strip_prefix("std/") {
        let path = format!("std/{name}.hplan");
        if let Some(id) = by_path.get(&path) {
            return Some(*id);
        }
        let Some((_, text, ast)) = stdlib_module(name) else {
            let modules: Vec<String> = STDLIB
                .iter()
                .map(|(name, _)| format!("`std/{name}`"))
                .collect();
            workspace.diagnostics.push(
                Diagnostic::error(
                    &codes::E1001,
                    format!("no standard library module `{raw}`"),
                    Label::new(span, "unknown module"),
                )
                .with_value(raw)
                .with_help(format!("the standard library has {}", modules.join(", "))),
            );
            return None;
        };
        let file = workspace.sources.add(path.clone(), text.clone());
        let id = ModuleId(workspace.modules.len() as u32);
        workspace.modules.push(Module {
            file,
            path: path.clone(),
            is_std: true,
            ast: ast.clone(),
            imports: Vec::new(),
            // The standard library is embedded and never changes.
            change: FileChange::Unchanged,
        });
        by_path.insert(path, id);
        queue.push(id);
        return Some(id);
    }
    if from_std {
        return None;
    }
    if !(raw.starts_with("./") || raw.starts_with("../")) || !raw.ends_with(".hplan") {
        workspace.diagnostics.push(
            Diagnostic::error(
                &codes::E1001,
                format!("cannot import `{raw}`"),
                Label::new(span, "not a module path"),
            )
            .with_value(raw)
            .with_help(
                "import the standard library as `std/NAME` and plan files as `./file.hplan`",
            ),
        );
        return None;
    }
    let dir = match from_path.rfind('/') {
        Some(idx) => from_path.get(..idx).unwrap_or(""),
        None => "",
    };
    let joined = if dir.is_empty() {
        raw.to_string()
    } else {
        format!("{dir}/{raw}")
    };
    let Some(path) = normalize(&joined) else {
        workspace.diagnostics.push(
            Diagnostic::error(
                &codes::E1004,
                format!("`{raw}` is outside the plan's directory"),
                Label::new(span, "leaves the directory of the entry plan"),
            )
            .with_value(raw)
            .with_help("keep every file of a plan inside the directory of the plan file you build"),
        );
        return None;
    };
    if let Some(id) = by_path.get(&path) {
        return Some(*id);
    }
    match loader.load(&path) {
        Ok(text) => {
            let id = add_user_module(workspace, by_path, cache, path, text);
            queue.push(id);
            Some(id)
        }
        Err(error) => {
            workspace.diagnostics.push(
                Diagnostic::error(
                    &codes::E1001,
                    format!("cannot read `{raw}`"),
                    Label::new(span, error),
                )
                .with_value(raw)
                .with_help("the path is relative to the importing file"),
            );
            None
        }
    }
}

/// The name an import binds by default: the file or module name without extension.
fn default_alias(raw: &str) -> String {
    let last = raw.rsplit('/').next().unwrap_or(raw);
    last.strip_suffix(".hplan")
        .unwrap_or(last)
        .replace(['-', '.'], "_")
}

/// Resolves `.` and `..` in a relative path; `None` when it climbs above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Reports each import cycle once, with every import that takes part in it.
fn report_cycles(workspace: &mut Workspace) {
    let mut graph: DiGraph<ModuleId, Span> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..workspace.modules.len())
        .map(|idx| graph.add_node(ModuleId(idx as u32)))
        .collect();
    for (idx, module) in workspace.modules.iter().enumerate() {
        for import in &module.imports {
            if let (Some(target), Some(from)) = (import.target, nodes.get(idx)) {
                if let Some(to) = nodes.get(target.0 as usize) {
                    graph.add_edge(*from, *to, import.span);
                }
            }
        }
    }
    for component in petgraph::algo::tarjan_scc(&graph) {
        let is_cycle = component.len() > 1
            || component
                .first()
                .is_some_and(|node| graph.find_edge(*node, *node).is_some());
        if !is_cycle {
            continue;
        }
        let mut members: Vec<ModuleId> = component.iter().map(|node| graph[*node]).collect();
        members.sort();
        // Walk the cycle from its first module so that the report reads in import order.
        let mut edges: Vec<Span> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let Some(&start) = members.first() else {
            continue;
        };
        let mut current = start;
        for _ in 0..members.len() {
            let Some(module) = workspace.modules.get(current.0 as usize) else {
                break;
            };
            names.push(module.path.clone());
            let Some(next) = module
                .imports
                .iter()
                .find(|it| it.target.is_some_and(|t| members.contains(&t)))
            else {
                break;
            };
            edges.push(next.span);
            match next.target {
                Some(target) => current = target,
                None => break,
            }
        }
        names.push(
            workspace
                .modules
                .get(start.0 as usize)
                .map(|it| it.path.clone())
                .unwrap_or_default(),
        );
        let Some(first) = edges.first().copied() else {
            continue;
        };
        let mut diagnostic = Diagnostic::error(
            &codes::E1003,
            format!("import cycle: {}", names.join(" -> ")),
            Label::new(first, "this import starts the cycle"),
        )
        .with_help("move what these files share into a file that imports none of them");
        for span in edges.iter().skip(1) {
            diagnostic = diagnostic.with_secondary(Label::new(
                *span,
                "which imports the next file of the cycle",
            ));
        }
        workspace.diagnostics.push(diagnostic);
    }
}

/// An empty range at the start of a file, for diagnostics about a file as a whole.
pub fn file_start(file: FileId) -> Span {
    Span::new(file, TextRange::empty(0))
}

#[cfg(test)]
mod tests {
    use super::{parse, FileId, STDLIB_MODULES, STDLIB_SNAPSHOTS};

    #[test]
    fn the_embedded_standard_library_trees_are_those_of_its_text() {
        for ((name, text), bytes) in STDLIB_MODULES.iter().zip(STDLIB_SNAPSHOTS) {
            let parse = parse(FileId(0), text);
            assert!(parse.diagnostics.is_empty(), "std/{name} has syntax errors");
            let decoded = hostplan_syntax::snapshot::decode(bytes);
            assert_eq!(decoded.as_ref(), Some(&parse.file), "std/{name}");
        }
    }
}
