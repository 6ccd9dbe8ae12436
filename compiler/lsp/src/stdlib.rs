//! The standard library as files on disk, so that editors can open its declarations.
//!
//! The standard library is embedded in the binary, but go to definition needs a URI that
//! every editor can open. Custom URI schemes (`hostplan-std:/std/cht.hplan`) would need code
//! in each client to fetch the text: VS Code can register a content provider, Neovim only
//! through `BufReadCmd` autocommands, and Helix cannot at all. Plain files work in every
//! editor with no client code, so the server writes the embedded modules, read-only, into a
//! cache directory named after a hash of their contents. A different `hostplan` version
//! gets its own directory, and a file there never shows text other than what this binary
//! checks against.

use std::path::{Path, PathBuf};

use hostplan_core::modules::STDLIB;

/// The directory for this binary's standard library under `cache_root`.
pub(crate) fn directory(cache_root: &Path) -> PathBuf {
    cache_root.join(format!("std-{:016x}", content_hash()))
}

/// The default cache root: `$XDG_CACHE_HOME/hostplan`, `~/.cache/hostplan`, or the system's
/// temporary directory.
pub(crate) fn default_cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|it| !it.is_empty()) {
        return PathBuf::from(dir).join("hostplan");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|it| !it.is_empty()) {
        return PathBuf::from(home).join(".cache").join("hostplan");
    }
    std::env::temp_dir().join("hostplan")
}

/// Writes the modules into `dir` (as `NAME.hplan`) unless they are there with the right
/// contents already.
pub(crate) fn write(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in STDLIB {
        let path = dir.join(format!("{name}.hplan"));
        if std::fs::read(&path).is_ok_and(|it| it == text.as_bytes()) {
            continue;
        }
        // Write beside the target and rename, so a concurrent server never reads half a file.
        let temp = dir.join(format!(".{name}.hplan.{}", std::process::id()));
        std::fs::write(&temp, text)?;
        let mut permissions = std::fs::metadata(&temp)?.permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, &path)?;
    }
    Ok(())
}

/// The standard-library module path (`std/cht.hplan`) of a file in `dir`, if it is one.
pub(crate) fn module_path(dir: &Path, path: &Path) -> Option<String> {
    if path.parent()? != dir {
        return None;
    }
    let name = path.file_stem()?.to_str()?;
    STDLIB
        .iter()
        .any(|(it, _)| *it == name)
        .then(|| format!("std/{name}.hplan"))
}

/// FNV-1a over the names and texts of the modules: stable across runs and platforms.
fn content_hash() -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, text) in STDLIB {
        for byte in name.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
