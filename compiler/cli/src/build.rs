//! Writing a build's outputs: atomically, removing what the build no longer produces, and
//! touching nothing it does not own.
//!
//! The build writes the complete new tree into a staging directory beside the output
//! directory (same parent, so the same file system), carries over every file the previous
//! build did not write (hard links, so their contents and times are untouched) and, with
//! `--env`, the previous outputs of the other environments, then swaps the two directories
//! with two renames. A failure before the swap removes the staging directory and leaves the
//! output as it was; the swap itself is two `rename` calls, and if the process dies between
//! them the next build finds the previous output under its backup name and puts it back.
//!
//! The files a build owns are listed in `.hostplan-manifest` inside the output directory.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The list of files the last build wrote, relative to the output directory.
pub const MANIFEST: &str = ".hostplan-manifest";

/// One file to write, relative to the output directory with `/` separators.
pub struct Output {
    pub path: String,
    pub contents: String,
}

/// What a build changed, for the command's summary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub written: usize,
    pub unchanged: usize,
    pub removed: Vec<String>,
}

/// An I/O failure, with the path it concerns.
#[derive(Debug)]
pub struct Error {
    pub path: PathBuf,
    pub action: &'static str,
    pub source: io::Error,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot {} `{}`: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

fn fail<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Writes `outputs` as the new content of `out`. `owned_prefixes`, when given, limits which
/// previously owned files this build replaces (`--env NAME` gives `NAME/`); the others are kept.
pub fn write(
    out: &Path,
    outputs: &[Output],
    owned_prefixes: Option<&[String]>,
) -> Result<Summary, Error> {
    let parent = out
        .parent()
        .filter(|it| !it.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let base = out
        .file_name()
        .map(|it| it.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    recover(&parent, &base, out)?;
    if let Ok(meta) = fs::symlink_metadata(out) {
        if !meta.is_dir() {
            return Err(Error {
                path: out.to_path_buf(),
                action: "write into",
                source: io::Error::other("it exists and is not a directory"),
            });
        }
    }
    fs::create_dir_all(&parent).map_err(fail("create", &parent))?;
    let previous = read_manifest(out);
    let replaced = |path: &str| {
        owned_prefixes
            .is_none_or(|prefixes| prefixes.iter().any(|it| path.starts_with(it.as_str())))
    };
    let mut kept: Vec<String> = previous
        .iter()
        .filter(|it| !replaced(it))
        .cloned()
        .collect();
    for output in outputs {
        if !is_safe_relative(&output.path) {
            return Err(Error {
                path: PathBuf::from(&output.path),
                action: "write",
                source: io::Error::other("not a relative path inside the output directory"),
            });
        }
    }
    if let Some(summary) = up_to_date(out, outputs, &previous, &kept) {
        return Ok(summary);
    }
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{base}.hostplan-staging-"))
        .tempdir_in(&parent)
        .map_err(fail("create a staging directory in", &parent))?;
    let stage = staging.path();
    let mut summary = Summary::default();
    for output in outputs {
        let target = stage.join(&output.path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(fail("create", dir))?;
        }
        // A file whose bytes did not change is hard-linked from the previous output instead of
        // written again: removing the previous tree then only drops names, and a rebuild of
        // an unchanged plan frees no disk blocks at all. There is no fsync per file: the
        // guarantee is against failed and interrupted builds (the swap happens only after
        // every file is written), and an fsync per file made a build 10 times slower.
        let previous_file = out.join(&output.path);
        let unchanged = fs::read(&previous_file).is_ok_and(|old| old == output.contents.as_bytes());
        if unchanged && fs::hard_link(&previous_file, &target).is_ok() {
            summary.unchanged += 1;
            continue;
        }
        let mut file = fs::File::create(&target).map_err(fail("write", &target))?;
        file.write_all(output.contents.as_bytes())
            .map_err(fail("write", &target))?;
        if unchanged {
            summary.unchanged += 1;
        } else {
            summary.written += 1;
        }
    }
    // Sets for the lookups below, which run once per file (never iterated, so their order
    // cannot reach the output).
    let new_paths: HashSet<&str> = outputs.iter().map(|it| it.path.as_str()).collect();
    let previous_set: HashSet<&str> = previous.iter().map(String::as_str).collect();
    let kept_set: HashSet<&str> = kept.iter().map(String::as_str).collect();
    if out.is_dir() {
        carry_over(
            out,
            stage,
            Path::new(""),
            &previous_set,
            &kept_set,
            &new_paths,
        )?;
    }
    for path in &previous {
        if replaced(path) && !new_paths.contains(&path.as_str()) {
            summary.removed.push(path.clone());
        }
    }
    let mut manifest: Vec<String> = outputs.iter().map(|it| it.path.clone()).collect();
    manifest.append(&mut kept);
    manifest.sort();
    manifest.dedup();
    let manifest_text = manifest_text(&manifest);
    let manifest_path = stage.join(MANIFEST);
    fs::write(&manifest_path, manifest_text).map_err(fail("write", &manifest_path))?;
    swap(&parent, &base, out, staging)?;
    Ok(summary)
}

fn manifest_text(paths: &[String]) -> String {
    format!(
        "# Files written by `hostplan build` into this directory; the next build replaces or removes them.\n# Other files here are left alone.\n{}\n",
        paths.join("\n")
    )
}

/// When the output already holds exactly these files with these bytes and nothing stale, the
/// build has nothing to do and does not touch the directory at all.
fn up_to_date(
    out: &Path,
    outputs: &[Output],
    previous: &[String],
    kept: &[String],
) -> Option<Summary> {
    let mut manifest: Vec<String> = outputs
        .iter()
        .map(|it| it.path.clone())
        .chain(kept.iter().cloned())
        .collect();
    manifest.sort();
    manifest.dedup();
    let mut expected = previous.to_vec();
    expected.sort();
    if manifest != expected {
        return None;
    }
    if fs::read(out.join(MANIFEST)).ok()? != manifest_text(&manifest).into_bytes() {
        return None;
    }
    for output in outputs {
        if fs::read(out.join(&output.path)).ok()? != output.contents.as_bytes() {
            return None;
        }
    }
    Some(Summary {
        written: 0,
        unchanged: outputs.len(),
        removed: Vec::new(),
    })
}

/// Copies (as hard links) into the staging tree every file of the old output that the build
/// does not replace: files it never wrote, and with `--env`, other environments' outputs.
fn carry_over(
    out: &Path,
    stage: &Path,
    rel: &Path,
    previous: &HashSet<&str>,
    kept: &HashSet<&str>,
    new_paths: &HashSet<&str>,
) -> Result<(), Error> {
    let dir = out.join(rel);
    let entries = fs::read_dir(&dir).map_err(fail("read", &dir))?;
    let mut names: Vec<fs::DirEntry> = entries.filter_map(Result::ok).collect();
    names.sort_by_key(|it| it.file_name());
    for entry in names {
        let rel_path = rel.join(entry.file_name());
        let key = rel_path.to_string_lossy().replace('\\', "/");
        if key == MANIFEST {
            continue;
        }
        let meta = fs::symlink_metadata(entry.path()).map_err(fail("read", &entry.path()))?;
        let target = stage.join(&rel_path);
        if meta.is_dir() {
            if target.exists() && !target.is_dir() {
                return Err(conflict(&out.join(&rel_path)));
            }
            carry_over(out, stage, &rel_path, previous, kept, new_paths)?;
            // Directories are created for the files they hold; an empty directory is the
            // user's (the build writes none), so it is kept too.
            let empty = fs::read_dir(entry.path())
                .map(|mut it| it.next().is_none())
                .unwrap_or(false);
            if empty {
                fs::create_dir_all(&target).map_err(fail("create", &target))?;
            }
            continue;
        }
        let owned = previous.contains(key.as_str());
        let keep = !owned || kept.contains(key.as_str());
        if !keep {
            continue;
        }
        if new_paths.contains(&key.as_str()) {
            // A file the previous build did not write sits where this build writes one.
            return Err(conflict(&out.join(&rel_path)));
        }
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(fail("create", dir))?;
        }
        link_or_copy(&entry.path(), &target, &meta)?;
    }
    Ok(())
}

fn conflict(path: &Path) -> Error {
    Error {
        path: path.to_path_buf(),
        action: "replace",
        source: io::Error::other("the build would overwrite it, but the previous build did not write it; move it away or choose another --out"),
    }
}

fn link_or_copy(from: &Path, to: &Path, meta: &fs::Metadata) -> Result<(), Error> {
    if meta.file_type().is_symlink() {
        let link = fs::read_link(from).map_err(fail("read", from))?;
        return make_symlink(&link, to);
    }
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to).map(|_| ()).map_err(fail("copy", from))
}

#[cfg(unix)]
fn make_symlink(link: &Path, to: &Path) -> Result<(), Error> {
    std::os::unix::fs::symlink(link, to).map_err(fail("create", to))
}

#[cfg(not(unix))]
fn make_symlink(link: &Path, to: &Path) -> Result<(), Error> {
    fs::copy(link, to).map(|_| ()).map_err(fail("copy", link))
}

/// Replaces `out` with the staging directory.
fn swap(parent: &Path, base: &str, out: &Path, staging: tempfile::TempDir) -> Result<(), Error> {
    let stage = staging.keep();
    if !out.exists() {
        return fs::rename(&stage, out).map_err(|source| {
            let _ = fs::remove_dir_all(&stage);
            Error {
                path: out.to_path_buf(),
                action: "create",
                source,
            }
        });
    }
    let backup = parent.join(format!(".{base}.hostplan-previous"));
    if backup.exists() {
        fs::remove_dir_all(&backup).map_err(fail("remove", &backup))?;
    }
    if let Err(source) = fs::rename(out, &backup) {
        let _ = fs::remove_dir_all(&stage);
        return Err(Error {
            path: out.to_path_buf(),
            action: "replace",
            source,
        });
    }
    if let Err(source) = fs::rename(&stage, out) {
        // Put the previous output back; the new one is lost, the old one intact.
        let _ = fs::rename(&backup, out);
        let _ = fs::remove_dir_all(&stage);
        return Err(Error {
            path: out.to_path_buf(),
            action: "replace",
            source,
        });
    }
    fs::remove_dir_all(&backup).map_err(fail("remove", &backup))
}

/// Undoes what an interrupted build left: a previous output moved aside but not replaced is
/// put back, and staging directories of dead builds are removed.
fn recover(parent: &Path, base: &str, out: &Path) -> Result<(), Error> {
    let backup = parent.join(format!(".{base}.hostplan-previous"));
    if backup.is_dir() && !out.exists() {
        fs::rename(&backup, out).map_err(fail("restore", &backup))?;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let prefix = format!(".{base}.hostplan-staging-");
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

fn read_manifest(out: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|it| !it.is_empty() && !it.starts_with('#'))
        .filter(|it| is_safe_relative(it))
        .map(str::to_string)
        .collect()
}

/// A relative path of normal components only: no `..`, no root, no drive.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|it| matches!(it, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::{write, Output, MANIFEST};
    use std::fs;

    fn output(path: &str, contents: &str) -> Output {
        Output {
            path: path.to_string(),
            contents: contents.to_string(),
        }
    }

    #[test]
    fn an_interrupted_swap_is_repaired_by_the_next_build() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        write(&out, &[output("a/one.yml", "1\n")], None).expect("first build");
        // A build killed between its two renames leaves the previous output under its backup
        // name and no output directory; a dead build's staging directory is left too.
        fs::rename(&out, temp.path().join(".out.hostplan-previous")).expect("rename");
        fs::create_dir(temp.path().join(".out.hostplan-staging-dead")).expect("mkdir");
        fs::write(temp.path().join("bystander"), "x").expect("write");
        let summary = write(
            &out,
            &[output("a/one.yml", "1\n"), output("b/two.yml", "2\n")],
            None,
        )
        .expect("second build");
        assert_eq!(
            (summary.written, summary.unchanged),
            (1, 1),
            "the previous output was found again"
        );
        assert_eq!(
            fs::read_to_string(out.join("a/one.yml")).ok().as_deref(),
            Some("1\n")
        );
        let mut names: Vec<String> = fs::read_dir(temp.path())
            .expect("read")
            .filter_map(Result::ok)
            .map(|it| it.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["bystander", "out"]);
        let manifest = fs::read_to_string(out.join(MANIFEST)).expect("manifest");
        assert!(manifest.ends_with("a/one.yml\nb/two.yml\n"), "{manifest}");
    }

    #[test]
    fn paths_outside_the_output_directory_are_refused() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        for path in ["../escape.yml", "/etc/passwd", ""] {
            assert!(write(&out, &[output(path, "x")], None).is_err(), "{path:?}");
        }
        assert!(!out.exists() && !temp.path().join("escape.yml").exists());
    }
}
