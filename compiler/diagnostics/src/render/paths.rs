//! How machine formats name source files.

use crate::{FileId, Sources};

/// Where the files of a plan are, for formats read by tools in another directory (CI,
/// code-scanning): source paths are relative to the entry plan's directory, and `base` is
/// that directory relative to where the tool runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Artifacts<'a> {
    /// The plan's directory, relative, with `/` separators; empty for the current directory.
    pub base: &'a str,
    /// Files that are not on disk: the standard library embedded in the binary.
    pub embedded: &'a [FileId],
}

impl Artifacts<'_> {
    /// Whether the file is embedded in the binary rather than on disk.
    pub fn is_embedded(&self, file: FileId) -> bool {
        self.embedded.contains(&file)
    }

    /// The file's path for a tool: `base/path` for files on disk, the module path (such as
    /// `std/policies.hplan`) for embedded ones. Always relative and with `/`.
    pub fn path(&self, sources: &Sources, file: FileId) -> String {
        let path = sources.path(file).replace('\\', "/");
        let path = path.trim_start_matches("./");
        if self.is_embedded(file) {
            return path.to_string();
        }
        let base = self.base.replace('\\', "/");
        let base = base.trim_start_matches("./").trim_end_matches('/');
        if base.is_empty() || base == "." {
            path.to_string()
        } else {
            format!("{base}/{path}")
        }
    }
}
