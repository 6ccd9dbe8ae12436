//! The server's state: open documents, the analyses that cover them, and what was published.
//!
//! A plan is analysed from its entry file (the one with the `plan` block), which imports the
//! others. An open file is therefore covered by the analysis of a *root*: itself when it is
//! an entry, or an entry plan nearby that imports it (found among the open files and the
//! `.hplan` files of its directory and the directories above it), or, failing both, itself.
//! Open buffers shadow the disk for every file a root loads, imports included. After a
//! change only the roots that load a changed file are analysed again, and each root keeps a
//! `ParseCache`, so only the changed files are parsed again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hostplan_core::modules::{ParseCache, SourceLoader};
use hostplan_core::{Analysis, MemoryLoader};
use hostplan_diagnostics::FileId;
use lsp_types::Uri;

use crate::convert::{path_to_uri, FileText};

/// How many directories above an open file are searched for the plan that imports it.
const ROOT_SEARCH_DEPTH: usize = 4;

/// An open buffer.
pub(crate) struct Document {
    pub(crate) version: i32,
    pub(crate) text: Arc<str>,
}

/// One analysed plan.
pub(crate) struct Root {
    /// The directory of the entry file: paths in the analysis are relative to it.
    pub(crate) dir: PathBuf,
    /// The entry file's name within `dir`.
    pub(crate) entry: String,
    pub(crate) analysis: Analysis,
    cache: ParseCache,
    /// The absolute path of each file of the analysis, by `FileId`; `None` for the standard
    /// library.
    pub(crate) paths: Vec<Option<PathBuf>>,
    /// A view that only loads a standard-library module, for requests in its file.
    pub(crate) std_view: Option<String>,
}

impl Root {
    pub(crate) fn file_of(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|it| it.as_deref() == Some(path))
            .map(|idx| FileId(idx as u32))
    }

    pub(crate) fn file_text(&self, file: FileId) -> Option<FileText<'_>> {
        let source = self.analysis.workspace.sources.get(file)?;
        Some(FileText {
            text: &source.text,
            index: source.line_index(),
        })
    }

    fn covers(&self, path: &Path) -> bool {
        self.file_of(path).is_some()
    }
}

/// The server's state.
pub(crate) struct Session {
    pub(crate) documents: BTreeMap<PathBuf, Document>,
    pub(crate) roots: Vec<Root>,
    /// Files changed since the last analysis.
    pub(crate) changed: BTreeSet<PathBuf>,
    /// The files among them that changed on disk (created, deleted, saved, or closed so
    /// that the disk counts again). A plan may import a file that does not exist yet, so
    /// these concern every plan in a directory above them, not only the plans that load
    /// them.
    pub(crate) changed_on_disk: BTreeSet<PathBuf>,
    /// The last diagnostics published per URI, to publish only what changed.
    pub(crate) published: BTreeMap<String, (Uri, Vec<lsp_types::Diagnostic>)>,
    /// Where the standard library is written for navigation, if anywhere.
    pub(crate) stdlib_dir: Option<PathBuf>,
    /// The workspace folder the client opened, which bounds the search for entry plans.
    pub(crate) workspace_root: Option<PathBuf>,
}

impl Session {
    pub(crate) fn new(stdlib_dir: Option<PathBuf>) -> Session {
        Session {
            documents: BTreeMap::new(),
            roots: Vec::new(),
            changed: BTreeSet::new(),
            changed_on_disk: BTreeSet::new(),
            published: BTreeMap::new(),
            stdlib_dir,
            workspace_root: None,
        }
    }

    /// Whether a path is a file of the written standard library; its module path if so.
    pub(crate) fn std_module(&self, path: &Path) -> Option<String> {
        crate::stdlib::module_path(self.stdlib_dir.as_deref()?, path)
    }

    /// Analyses again whatever the changed files affect, and makes sure every open file is
    /// covered by a root.
    pub(crate) fn refresh(&mut self) -> BTreeSet<PathBuf> {
        let changed = std::mem::take(&mut self.changed);
        let on_disk = std::mem::take(&mut self.changed_on_disk);
        // Roots are kept while they cover an open file; the others are dropped.
        let documents = &self.documents;
        self.roots.retain(|root| {
            root.std_view.is_some() || documents.keys().any(|path| root.covers(path))
        });
        for idx in 0..self.roots.len() {
            let Some(root) = self.roots.get(idx) else {
                continue;
            };
            let entry_path = root.dir.join(&root.entry);
            let affected = changed
                .iter()
                .any(|path| root.covers(path) || *path == entry_path)
                || on_disk.iter().any(|path| path.starts_with(&root.dir));
            if affected && root.std_view.is_none() {
                if let Some(root) = self.roots.get_mut(idx) {
                    reanalyze(root, &self.documents);
                }
            }
        }
        let uncovered: Vec<PathBuf> = self
            .documents
            .keys()
            .filter(|path| self.std_module(path).is_none())
            .filter(|path| {
                !self
                    .roots
                    .iter()
                    .any(|root| root.std_view.is_none() && root.covers(path))
            })
            .cloned()
            .collect();
        for path in uncovered {
            if self
                .roots
                .iter()
                .any(|root| root.std_view.is_none() && root.covers(&path))
            {
                continue;
            }
            if let Some(root) = self.discover_root(&path) {
                self.roots.push(root);
            }
        }
        changed
    }

    /// The root for an open file that no root covers yet.
    fn discover_root(&self, path: &Path) -> Option<Root> {
        let own = new_root(path, &self.documents)?;
        if own.analysis.checked.singleton("plan").is_some() {
            return Some(own);
        }
        // Not an entry plan: look for one that imports it, nearest directory first.
        for dir in path.ancestors().skip(1).take(ROOT_SEARCH_DEPTH) {
            for candidate in plan_files(dir, &self.documents) {
                if candidate == path {
                    continue;
                }
                let mentions = match self.documents.get(&candidate) {
                    Some(doc) => doc.text.contains("import"),
                    None => {
                        std::fs::read_to_string(&candidate).is_ok_and(|it| it.contains("import"))
                    }
                };
                if !mentions {
                    continue;
                }
                if let Some(root) = new_root(&candidate, &self.documents) {
                    if root.covers(path) {
                        return Some(root);
                    }
                }
            }
            if self.workspace_root.as_deref() == Some(dir) {
                break;
            }
        }
        Some(own)
    }

    /// The root and file for a path: the first root that covers it, or a view of the
    /// standard library for its files.
    pub(crate) fn locate(&mut self, path: &Path) -> Option<(usize, FileId)> {
        for (idx, root) in self.roots.iter().enumerate() {
            if let Some(file) = root.file_of(path) {
                return Some((idx, file));
            }
        }
        let module = self.std_module(path)?;
        for (idx, root) in self.roots.iter().enumerate() {
            if let Some(file) = root.analysis.workspace.sources.find(&module) {
                if root.std_view.is_some()
                    || root
                        .analysis
                        .workspace
                        .modules
                        .iter()
                        .any(|it| it.file == file && it.is_std)
                {
                    return Some((idx, file));
                }
            }
        }
        let root = std_view(&module)?;
        let file = root.analysis.workspace.sources.find(&module)?;
        self.roots.push(root);
        Some((self.roots.len() - 1, file))
    }

    /// The URI of a file of a root: its path, or its file in the written standard library.
    pub(crate) fn uri_of(&self, root: &Root, file: FileId) -> Option<Uri> {
        match root.paths.get(file.0 as usize) {
            Some(Some(path)) => path_to_uri(path),
            _ => {
                let module = root.analysis.workspace.sources.path(file);
                let name = module.strip_prefix("std/")?;
                path_to_uri(&self.stdlib_dir.as_ref()?.join(name))
            }
        }
    }
}

/// Analyses the plan whose entry file is `path`.
fn new_root(path: &Path, documents: &BTreeMap<PathBuf, Document>) -> Option<Root> {
    let dir = path.parent()?.to_path_buf();
    let entry = path.file_name()?.to_str()?.to_string();
    let loader = OverlayLoader {
        dir: &dir,
        documents,
    };
    let mut cache = ParseCache::default();
    let analysis = hostplan_core::analyze(&loader, &entry, &mut cache).ok()?;
    let paths = paths_of(&analysis, &dir);
    Some(Root {
        dir,
        entry,
        analysis,
        cache,
        paths,
        std_view: None,
    })
}

fn reanalyze(root: &mut Root, documents: &BTreeMap<PathBuf, Document>) {
    // The previous analysis is taken apart first: its files go, so the parse cache owns the
    // trees of the plan's files and updates an edited one in place, and what the edit did
    // not touch (checked entries, policies, environments) moves into the new analysis.
    let previous = std::mem::take(&mut root.analysis).into_previous();
    root.paths.clear();
    let loader = OverlayLoader {
        dir: &root.dir,
        documents,
    };
    // When the entry file cannot be read (deleted from disk, and not open), the root covers
    // no file any more and the next refresh drops it.
    if let Ok(analysis) =
        hostplan_core::analyze_reusing(&loader, &root.entry, &mut root.cache, Some(previous))
    {
        root.paths = paths_of(&analysis, &root.dir);
        root.analysis = analysis;
    }
}

/// An analysis that loads only one standard-library module, for navigation inside it.
fn std_view(module: &str) -> Option<Root> {
    let name = module.strip_prefix("std/")?.strip_suffix(".hplan")?;
    let entry = "<standard library>.hplan".to_string();
    let loader = MemoryLoader {
        files: vec![(entry.clone(), Arc::from(format!("import \"std/{name}\"\n")))],
    };
    let mut cache = ParseCache::default();
    let analysis = hostplan_core::analyze(&loader, &entry, &mut cache).ok()?;
    let paths = vec![None; analysis.workspace.sources.ids().count()];
    Some(Root {
        dir: PathBuf::new(),
        entry,
        analysis,
        cache,
        paths,
        std_view: Some(module.to_string()),
    })
}

fn paths_of(analysis: &Analysis, dir: &Path) -> Vec<Option<PathBuf>> {
    analysis
        .workspace
        .sources
        .ids()
        .map(|file| {
            let is_std = analysis
                .workspace
                .modules
                .iter()
                .any(|it| it.file == file && it.is_std);
            (!is_std).then(|| dir.join(analysis.workspace.sources.path(file)))
        })
        .collect()
}

/// The `.hplan` files directly in `dir`, on disk or open, sorted.
fn plan_files(dir: &Path, documents: &BTreeMap<PathBuf, Document>) -> Vec<PathBuf> {
    let mut files: BTreeSet<PathBuf> = documents
        .keys()
        .filter(|it| it.parent() == Some(dir) && it.extension().is_some_and(|ext| ext == "hplan"))
        .cloned()
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "hplan") && path.is_file() {
                files.insert(path);
            }
        }
    }
    files.into_iter().collect()
}

/// Loads files relative to a directory, preferring open buffers to the disk.
struct OverlayLoader<'a> {
    dir: &'a Path,
    documents: &'a BTreeMap<PathBuf, Document>,
}

impl SourceLoader for OverlayLoader<'_> {
    fn load(&self, path: &str) -> Result<Arc<str>, String> {
        let full = self.dir.join(path);
        if let Some(doc) = self.documents.get(&full) {
            return Ok(doc.text.clone());
        }
        match std::fs::read(&full) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Arc::from(text)),
                Err(_) => Err("the file is not UTF-8 text".to_string()),
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err("no such file".to_string())
            }
            Err(_) if full.is_dir() => Err("is a directory".to_string()),
            Err(error) => Err(error.to_string()),
        }
    }
}
