//! The file-system side of the command line: the loader that reads plan files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hostplan_core::modules::SourceLoader;

/// Loads plan files relative to a root directory (the entry plan's directory).
pub struct FsLoader {
    pub root: PathBuf,
}

impl SourceLoader for FsLoader {
    fn load(&self, path: &str) -> Result<Arc<str>, String> {
        let full = self.root.join(path);
        match std::fs::read(&full) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Arc::from(text)),
                Err(_) => Err("the file is not UTF-8 text".to_string()),
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err("no such file".to_string())
            }
            Err(error) if full.is_dir() => Err(format!("is a directory ({error})")),
            Err(error) => Err(error.to_string()),
        }
    }
}

/// Splits a plan path into its directory (the loader's root) and its file name.
pub fn split_plan_path(plan: &Path) -> (PathBuf, String) {
    let root = plan
        .parent()
        .map(Path::to_path_buf)
        .filter(|it| !it.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let name = plan
        .file_name()
        .map(|it| it.to_string_lossy().into_owned())
        .unwrap_or_default();
    (root, name)
}
