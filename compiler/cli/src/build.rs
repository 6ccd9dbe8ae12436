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
//! Staging directories live in one directory of their own beside the output,
//! `.NAME.hostplan-staging/`, which a build removes once its swap is done. Finding what a killed
//! build left behind is then one `stat` of a known name, not a scan of the parent directory,
//! which may be large (a shared temporary directory, a repository's root).
//!
//! The files a build owns are listed in `.hostplan-manifest` inside the output directory, each
//! with the BLAKE3 hash of the contents the build wrote. The next build hashes the contents it
//! is about to write instead of reading the previous files: a file whose recorded hash is that
//! of the new contents, whose size is theirs, and that was not modified after the manifest was
//! written, is the same file, and is neither read nor written. Any other file is read and
//! compared as before. The comparison happens as each file is generated ([`Target::output`]),
//! on the thread that generated it: a file found unchanged is linked later, any other is
//! written into the staging tree there and then, so that writing overlaps generating, and
//! either way its bytes are dropped (a rebuild of an unchanged plan holds no file's contents in
//! memory, and makes no staging tree). The trade-off: a file changed by hand to another content
//! of the same size while keeping a modification time no later than the manifest's (restored on
//! purpose with `touch -d` or `cp -p`, or edited within the file system's clock tick, a few
//! milliseconds, of the build that wrote it) is taken for unchanged until the plan changes it.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

/// The list of files the last build wrote, relative to the output directory.
pub const MANIFEST: &str = ".hostplan-manifest";

/// One file to write, relative to the output directory with `/` separators.
pub struct Output {
    pub path: String,
    /// The bytes to write; `None` once they are written into the staging tree, or known to be
    /// exactly those of the previous build's file at `path` (see [`Target::output`]).
    contents: Option<String>,
    /// The length of the contents.
    len: u64,
    /// The BLAKE3 hash of the contents, recorded in the manifest.
    pub hash: blake3::Hash,
    /// Where the file stands.
    state: State,
}

/// Where a file of the build stands.
enum State {
    /// Still to be placed when the outputs are written.
    Pending,
    /// The previous build's file holds these bytes: it is linked into the new tree.
    Unchanged,
    /// Written into the staging tree already, by the thread that generated it.
    Written,
    /// Writing it failed: the build fails, and the previous output stays.
    Failed(Error),
}

impl Output {
    pub fn new(path: String, contents: String) -> Output {
        let hash = blake3::hash(contents.as_bytes());
        Output {
            path,
            len: contents.len() as u64,
            contents: Some(contents),
            hash,
            state: State::Pending,
        }
    }
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

impl Error {
    /// The same failure once more, for a second place that reports it (an `io::Error` cannot
    /// be cloned): the operating system's error code when there is one, so that the copy
    /// reads and compares as the original does, its kind and message otherwise.
    fn again(&self) -> Error {
        let source = match self.source.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.source.kind(), self.source.to_string()),
        };
        Error {
            path: self.path.clone(),
            action: self.action,
            source,
        }
    }
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
#[cfg(test)]
pub fn write(
    out: &Path,
    outputs: &[Output],
    owned_prefixes: Option<&[String]>,
) -> Result<Summary, Error> {
    Target::prepare(out, owned_prefixes)?.write(outputs)
}

/// The output directory, made ready for a build before its files are generated: what a killed
/// build left is repaired and the previous build's manifest is read, so that each file can be
/// compared with the previous one on the thread that generated it, and the bytes of an
/// unchanged file dropped there (a rebuild of an unchanged plan then holds no file's contents).
pub struct Target<'a> {
    out: &'a Path,
    parent: PathBuf,
    base: String,
    owned_prefixes: Option<&'a [String]>,
    manifest: Manifest,
    /// Whether `out` held a previous output when the build started.
    previous_output: bool,
    /// The staging tree, made when the first file that differs from the previous build's is
    /// generated: a rebuild of an unchanged plan never makes one.
    staging: OnceLock<Result<Staging, Error>>,
}

impl<'a> Target<'a> {
    /// Prepares `out` for a build. `owned_prefixes`, when given, limits which previously owned
    /// files this build replaces (`--env NAME` gives `NAME/`); the others are kept.
    pub fn prepare(
        out: &'a Path,
        owned_prefixes: Option<&'a [String]>,
    ) -> Result<Target<'a>, Error> {
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
        let manifest = Manifest::read(out);
        Ok(Target {
            out,
            parent,
            base,
            owned_prefixes,
            manifest,
            previous_output: out.is_dir(),
            staging: OnceLock::new(),
        })
    }

    /// The file `path` with `contents`, hashed for the manifest, and placed as far as it can be
    /// before every file is known, on the calling thread (the one that generated it): when the
    /// previous build's file holds exactly these bytes (see [`Manifest::unchanged`]), it is to
    /// be hard-linked from the previous output; otherwise it is written into the staging tree
    /// now, so that writing the files overlaps generating the others. Either way the contents
    /// are dropped.
    pub fn output(&self, path: String, contents: String) -> Output {
        let mut output = Output::new(path, contents);
        if !is_safe_relative(&output.path) {
            // Refused by `write`, before anything is moved into place.
            return output;
        }
        if self.previous_output
            && self
                .manifest
                .unchanged(&self.out.join(&output.path), &output)
        {
            output.contents = None;
            output.state = State::Unchanged;
            return output;
        }
        let written = self.staging().and_then(|staging| {
            staging.make_parents(&output.path)?;
            let target = staging.dir.path().join(&output.path);
            let contents = output.contents.as_deref().unwrap_or_default();
            write_file(&target, contents.as_bytes())
        });
        output.state = match written {
            Ok(()) => {
                output.contents = None;
                State::Written
            }
            Err(error) => State::Failed(error),
        };
        output
    }

    /// The staging tree, made on first use.
    fn staging(&self) -> Result<&Staging, Error> {
        match self
            .staging
            .get_or_init(|| Staging::create(&self.parent, &self.base))
        {
            Ok(staging) => Ok(staging),
            Err(error) => Err(error.again()),
        }
    }

    /// Writes `outputs` as the new content of the output directory.
    pub fn write(self, outputs: &[Output]) -> Result<Summary, Error> {
        let Target {
            out,
            parent,
            base,
            owned_prefixes,
            manifest,
            previous_output,
            staging,
        } = self;
        let previous: Vec<String> = manifest.entries.iter().map(|it| it.path.clone()).collect();
        let replaced = |path: &str| {
            owned_prefixes
                .is_none_or(|prefixes| prefixes.iter().any(|it| path.starts_with(it.as_str())))
        };
        // Files of other environments are carried over as they are; the new manifest vouches for
        // their recorded hashes only while they are untouched since the previous one.
        let mut kept: Vec<Entry> = manifest
            .entries
            .iter()
            .filter(|it| !replaced(&it.path))
            .map(|it| Entry {
                path: it.path.clone(),
                hash: it
                    .hash
                    .filter(|_| manifest.untouched(&out.join(&it.path), None)),
            })
            .collect();
        for output in outputs {
            if !is_safe_relative(&output.path) {
                return Err(Error {
                    path: PathBuf::from(&output.path),
                    action: "write",
                    source: io::Error::other("not a relative path inside the output directory"),
                });
            }
            if let State::Failed(error) = &output.state {
                return Err(error.again());
            }
        }
        let mut entries: Vec<Entry> = outputs
            .iter()
            .map(|output| Entry {
                path: output.path.clone(),
                hash: Some(output.hash),
            })
            .collect();
        entries.append(&mut kept);
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        entries.dedup_by(|a, b| a.path == b.path);
        let manifest_text = manifest_text(&entries);
        if staging.get().is_none() && up_to_date(out, outputs, &manifest, &manifest_text) {
            return Ok(Summary {
                written: 0,
                unchanged: outputs.len(),
                removed: Vec::new(),
            });
        }
        let staging = match staging.into_inner() {
            Some(made) => made?,
            None => Staging::create(&parent, &base)?,
        };
        let stage = staging.dir.path();
        // The files not written yet (unchanged ones, to be linked) are independent of each
        // other, and are placed on all cores.
        let mut summary = Summary::default();
        let rest: Vec<&Output> = outputs
            .iter()
            .filter(|it| {
                let written = matches!(it.state, State::Written);
                summary.written += usize::from(written);
                !written
            })
            .collect();
        let placed = map_files(&rest, |output| {
            staging.make_parents(&output.path)?;
            place(out, stage, output, &manifest, previous_output)
        });
        for unchanged in placed {
            if unchanged? {
                summary.unchanged += 1;
            } else {
                summary.written += 1;
            }
        }
        // Sets for the lookups below, which run once per file (never iterated, so their order
        // cannot reach the output).
        let new_paths: HashSet<&str> = outputs.iter().map(|it| it.path.as_str()).collect();
        let previous_set: HashSet<&str> = previous.iter().map(String::as_str).collect();
        let kept_set: HashSet<&str> = previous
            .iter()
            .filter(|it| !replaced(it))
            .map(String::as_str)
            .collect();
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
        let manifest_path = stage.join(MANIFEST);
        fs::write(&manifest_path, manifest_text).map_err(fail("write", &manifest_path))?;
        let Staging { dir, root, .. } = staging;
        swap(&parent, &base, out, dir)?;
        drop(root);
        Ok(summary)
    }
}

/// Puts `output` into the staging tree `stage`, whose directories exist: hard-linked from the
/// previous output `out` when that holds the same bytes, written otherwise. True when the bytes
/// are unchanged.
fn place(
    out: &Path,
    stage: &Path,
    output: &Output,
    manifest: &Manifest,
    previous_output: bool,
) -> Result<bool, Error> {
    let target = stage.join(&output.path);
    // A file whose bytes did not change is hard-linked from the previous output instead of
    // written again: removing the previous tree then only drops names, and a rebuild of an
    // unchanged plan frees no disk blocks at all. There is no fsync per file: the guarantee is
    // against failed and interrupted builds (the swap happens only after every file is
    // written), and an fsync per file made a build 10 times slower.
    let previous_file = out.join(&output.path);
    let unchanged = previous_output && manifest.unchanged(&previous_file, output);
    if unchanged && fs::hard_link(&previous_file, &target).is_ok() {
        return Ok(true);
    }
    match &output.contents {
        Some(contents) => write_file(&target, contents.as_bytes())?,
        // The previous file holds these very bytes (it was checked when they were dropped),
        // but could not be linked, on a file system without hard links for example.
        None => {
            fs::copy(&previous_file, &target).map_err(fail("write", &target))?;
        }
    }
    Ok(unchanged)
}

/// One line of the manifest: a file the build owns and, when known, the hash of the contents it
/// wrote (manifests of earlier versions list paths alone).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    path: String,
    hash: Option<blake3::Hash>,
}

/// The manifest the previous build left, as read.
#[derive(Default)]
struct Manifest {
    /// The previous build's files, in the order listed.
    entries: Vec<Entry>,
    /// The recorded hash of each file, for lookups (never iterated).
    hashes: HashMap<String, blake3::Hash>,
    /// The manifest's bytes, to compare with the one this build would write.
    text: Vec<u8>,
    /// When the manifest was written: a file of the previous build not modified since is as
    /// that build left it.
    written: Option<SystemTime>,
}

impl Manifest {
    fn read(out: &Path) -> Manifest {
        let path = out.join(MANIFEST);
        let Ok(text) = fs::read(&path) else {
            return Manifest::default();
        };
        let written = fs::metadata(&path).and_then(|it| it.modified()).ok();
        let entries: Vec<Entry> = String::from_utf8_lossy(&text)
            .lines()
            .map(str::trim)
            .filter(|it| !it.is_empty() && !it.starts_with('#'))
            .filter_map(parse_entry)
            .collect();
        let hashes = entries
            .iter()
            .filter_map(|it| Some((it.path.clone(), it.hash?)))
            .collect();
        Manifest {
            entries,
            hashes,
            text,
            written,
        }
    }

    /// True when the file at `path`, which the previous build wrote as `output.path`, holds
    /// exactly `output`'s contents. The file is read only when the manifest cannot tell: no
    /// recorded hash, or the file was replaced or modified since.
    fn unchanged(&self, path: &Path, output: &Output) -> bool {
        let Some(contents) = &output.contents else {
            // Dropped by `Target::output`, which found the file unchanged.
            return true;
        };
        match self.hashes.get(&output.path) {
            // Untouched, the file holds the contents of the recorded hash, and so the new
            // contents exactly when the hashes are equal; its size must then be theirs too.
            Some(recorded) if *recorded == output.hash => {
                self.untouched(path, Some(output.len))
                    || fs::read(path).is_ok_and(|old| old == contents.as_bytes())
            }
            Some(_) if self.untouched(path, None) => false,
            _ => fs::read(path).is_ok_and(|old| old == contents.as_bytes()),
        }
    }

    /// True when the file at `path` is still the one the previous build wrote: a regular file
    /// (of `len` bytes, when known) not modified after the manifest was written.
    fn untouched(&self, path: &Path, len: Option<u64>) -> bool {
        let Some(written) = self.written else {
            return false;
        };
        let Ok(meta) = fs::symlink_metadata(path) else {
            return false;
        };
        meta.is_file()
            && meta.modified().is_ok_and(|modified| modified <= written)
            && len.is_none_or(|len| meta.len() == len)
    }
}

/// Reads a manifest line: `HASH  PATH` as this version writes it, or a bare path as earlier
/// versions did. Paths that leave the output directory are ignored.
fn parse_entry(line: &str) -> Option<Entry> {
    let (hash, path) = match line.split_once("  ") {
        Some((hex, path)) if hex.len() == 64 => match blake3::Hash::from_hex(hex) {
            Ok(hash) => (Some(hash), path),
            Err(_) => (None, line),
        },
        _ => (None, line),
    };
    is_safe_relative(path).then(|| Entry {
        path: path.to_string(),
        hash,
    })
}

fn manifest_text(entries: &[Entry]) -> String {
    let mut text = String::from(
        "# Files written by `hostplan build` into this directory; the next build replaces or removes them.\n\
         # Other files here are left alone. Each file is listed with the BLAKE3 hash of the contents the build wrote.\n",
    );
    for entry in entries {
        if let Some(hash) = &entry.hash {
            text.push_str(hash.to_hex().as_str());
            text.push_str("  ");
        }
        text.push_str(&entry.path);
        text.push('\n');
    }
    text
}

/// When the output already holds exactly these files with these bytes and nothing stale, the
/// build has nothing to do and does not touch the directory at all. `manifest_text` is the
/// manifest this build would write, hashes included, so an equal manifest on disk says that the
/// previous build wrote these very contents; each file must then have been found unchanged
/// (by [`Target::output`], on the thread that generated it, or here for files given without a
/// `Target`).
fn up_to_date(out: &Path, outputs: &[Output], manifest: &Manifest, manifest_text: &str) -> bool {
    manifest.text == manifest_text.as_bytes()
        && outputs.iter().all(|output| match output.state {
            State::Unchanged => true,
            State::Written | State::Failed(_) => false,
            State::Pending => manifest.unchanged(&out.join(&output.path), output),
        })
}

/// `work` on every file, on all cores when there are at least [`MANY_WRITES`]: for fewer,
/// another thread costs more than it saves (starting it, and waking a second core).
fn map_files<T: Sync, R: Send>(outputs: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if outputs.len() < MANY_WRITES {
        outputs.iter().map(work).collect()
    } else {
        crate::parallel::map(outputs, work)
    }
}

/// From how many files placing them runs on all cores: creating and writing a file, or
/// linking it, costs about ten times a `stat`, so a few dozen are worth a second thread (a
/// national plan's 50 files were written about 0.2 ms sooner on two cores).
const MANY_WRITES: usize = 24;

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

/// The directory beside the output that holds the builds' staging directories.
fn staging_root_name(base: &str) -> String {
    format!(".{base}.hostplan-staging")
}

/// Creates `path` with `bytes`. There is no fsync: the guarantee is against failed and
/// interrupted builds (the swap happens only after every file is written), and an fsync per
/// file made a build 10 times slower.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = fs::File::create(path).map_err(fail("write", path))?;
    file.write_all(bytes).map_err(fail("write", path))
}

/// A build's staging tree, in the staging directories' directory.
struct Staging {
    /// Removed when dropped, unless the swap took it.
    dir: tempfile::TempDir,
    /// Declared after `dir`, so that it is dropped after it.
    root: StagingRoot,
    /// The directories of the tree made so far, relative to it.
    made: Mutex<HashSet<PathBuf>>,
}

impl Staging {
    fn create(parent: &Path, base: &str) -> Result<Staging, Error> {
        let root = StagingRoot::create(parent, base)?;
        let dir = tempfile::Builder::new()
            .prefix("build-")
            .tempdir_in(&root.0)
            .map_err(fail("create a staging directory in", &root.0))?;
        Ok(Staging {
            dir,
            root,
            made: Mutex::new(HashSet::new()),
        })
    }

    /// Makes the directories above the file `path` (relative to the tree) that are not made
    /// yet, each with one `mkdir`, parents first. Threads placing files call it at the same
    /// time; the lock makes each directory once.
    fn make_parents(&self, path: &str) -> Result<(), Error> {
        let Some(parent) = Path::new(path).parent() else {
            return Ok(());
        };
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if parent.as_os_str().is_empty() || made.contains(parent) {
            return Ok(());
        }
        let missing: Vec<&Path> = parent
            .ancestors()
            .take_while(|it| !it.as_os_str().is_empty() && !made.contains(*it))
            .collect();
        for dir in missing.into_iter().rev() {
            let full = self.dir.path().join(dir);
            match fs::create_dir(&full) {
                Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(fail("create", &full)(error));
                }
                _ => {
                    made.insert(dir.to_path_buf());
                }
            }
        }
        Ok(())
    }
}

/// The staging directories' directory, removed when the build is done with it, whether it
/// succeeded or not, after the build's own staging directory.
struct StagingRoot(PathBuf);

impl StagingRoot {
    fn create(parent: &Path, base: &str) -> Result<StagingRoot, Error> {
        let root = parent.join(staging_root_name(base));
        match fs::create_dir(&root) {
            Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                Err(fail("create a staging directory in", parent)(error))
            }
            _ => Ok(StagingRoot(root)),
        }
    }
}

impl Drop for StagingRoot {
    fn drop(&mut self) {
        // Empty by now, unless another build is staging beside this one: its directory stays,
        // and so does this one then.
        let _ = fs::remove_dir(&self.0);
    }
}

/// Undoes what an interrupted build left: a previous output moved aside but not replaced is
/// put back, and staging directories of dead builds are removed.
fn recover(parent: &Path, base: &str, out: &Path) -> Result<(), Error> {
    let backup = parent.join(format!(".{base}.hostplan-previous"));
    if backup.is_dir() && !out.exists() {
        fs::rename(&backup, out).map_err(fail("restore", &backup))?;
    }
    let staging_root = parent.join(staging_root_name(base));
    if fs::symlink_metadata(&staging_root).is_ok_and(|it| it.is_dir()) {
        let _ = fs::remove_dir_all(&staging_root);
    }
    Ok(())
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
    use super::{write, Output, State, Target, MANIFEST};
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    /// Sets a file's modification time, as `touch -d` does.
    fn set_modified(path: &Path, time: SystemTime) {
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(time))
            .expect("set the modification time");
    }

    fn modified(path: &Path) -> SystemTime {
        fs::metadata(path)
            .and_then(|it| it.modified())
            .expect("modification time")
    }

    fn counts(summary: &super::Summary) -> (usize, usize) {
        (summary.written, summary.unchanged)
    }

    #[test]
    fn a_file_changed_by_hand_is_written_again_even_at_the_same_size() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        let outputs = [output("a/one.yml", "one\n"), output("b/two.yml", "two\n")];
        write(&out, &outputs, None).expect("first build");
        // Edited after the build: the same size, a later modification time.
        let edited = out.join("a/one.yml");
        fs::write(&edited, "ONE\n").expect("edit");
        set_modified(
            &edited,
            modified(&out.join(MANIFEST)) + Duration::from_secs(2),
        );
        let summary = write(&out, &outputs, None).expect("second build");
        assert_eq!(counts(&summary), (1, 1));
        assert_eq!(fs::read_to_string(&edited).expect("read"), "one\n");
    }

    #[test]
    fn a_file_of_another_size_is_written_again_whatever_its_time() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        let outputs = [output("a/one.yml", "one\n")];
        write(&out, &outputs, None).expect("first build");
        // Edited, then its time put back to before the manifest was written.
        let edited = out.join("a/one.yml");
        fs::write(&edited, "one, edited\n").expect("edit");
        set_modified(
            &edited,
            modified(&out.join(MANIFEST)) - Duration::from_secs(60),
        );
        let summary = write(&out, &outputs, None).expect("second build");
        assert_eq!(counts(&summary), (1, 0));
        assert_eq!(fs::read_to_string(&edited).expect("read"), "one\n");
    }

    #[test]
    fn a_manifest_without_hashes_is_checked_by_reading_and_then_gets_them() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        let outputs = [output("a/one.yml", "one\n"), output("b/two.yml", "two\n")];
        write(&out, &outputs, None).expect("first build");
        // The manifest as earlier versions wrote it: paths only.
        fs::write(
            out.join(MANIFEST),
            "# Files written by `hostplan build` into this directory; the next build replaces or removes them.\n# Other files here are left alone.\na/one.yml\nb/two.yml\n",
        )
        .expect("write");
        let summary = write(&out, &outputs, None).expect("second build");
        assert_eq!(counts(&summary), (0, 2));
        let manifest = fs::read_to_string(out.join(MANIFEST)).expect("manifest");
        let hash = blake3::hash(b"one\n").to_hex();
        assert!(
            manifest.contains(&format!("\n{hash}  a/one.yml\n")),
            "{manifest}"
        );
        let summary = write(&out, &outputs, None).expect("third build");
        assert_eq!(counts(&summary), (0, 2));
        assert_eq!(
            fs::read_to_string(out.join(MANIFEST)).expect("manifest"),
            manifest
        );
    }

    #[test]
    fn a_kept_file_changed_by_hand_is_checked_by_the_next_full_build() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        let outputs = [output("a/one.yml", "one\n"), output("b/two.yml", "two\n")];
        write(&out, &outputs, None).expect("first build");
        // `b/two.yml` is edited by hand after the build (same size) and then `a/` alone is
        // rebuilt with new contents: the file is carried over as it is, and the manifest
        // written after the edit must not vouch for its old hash.
        let now = SystemTime::now();
        set_modified(&out.join(MANIFEST), now - Duration::from_secs(60));
        let edited = out.join("b/two.yml");
        fs::write(&edited, "TWO\n").expect("edit");
        set_modified(&edited, now - Duration::from_secs(30));
        let prefixes = ["a/".to_string()];
        let summary =
            write(&out, &[output("a/one.yml", "uno\n")], Some(&prefixes[..])).expect("build of a/");
        assert_eq!(counts(&summary), (1, 0));
        assert_eq!(fs::read_to_string(&edited).expect("read"), "TWO\n");
        let summary = write(&out, &outputs, None).expect("full build");
        assert_eq!(counts(&summary), (2, 0));
        assert_eq!(fs::read_to_string(&edited).expect("read"), "two\n");
    }

    #[test]
    fn files_are_placed_as_they_are_generated_and_moved_into_place_together() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        let outputs = [output("a/one.yml", "one\n"), output("b/two.yml", "two\n")];
        write(&out, &outputs, None).expect("first build");
        let target = Target::prepare(&out, None).expect("prepare");
        let same = target.output("a/one.yml".to_string(), "one\n".to_string());
        let changed = target.output("b/two.yml".to_string(), "TWO\n".to_string());
        let new = target.output("c/d/three.yml".to_string(), "three\n".to_string());
        // No bytes are kept: the unchanged file is to be linked, the others are staged.
        assert!(matches!(same.state, State::Unchanged) && same.contents.is_none());
        assert!(matches!(changed.state, State::Written) && changed.contents.is_none());
        assert!(matches!(new.state, State::Written) && new.contents.is_none());
        // Until the build is written, the output directory is the previous build's.
        assert_eq!(
            fs::read_to_string(out.join("b/two.yml")).ok().as_deref(),
            Some("two\n")
        );
        assert!(!out.join("c").exists());
        let summary = target.write(&[same, changed, new]).expect("second build");
        assert_eq!(counts(&summary), (2, 1));
        for (path, contents) in [
            ("a/one.yml", "one\n"),
            ("b/two.yml", "TWO\n"),
            ("c/d/three.yml", "three\n"),
        ] {
            assert_eq!(
                fs::read_to_string(out.join(path)).ok().as_deref(),
                Some(contents)
            );
        }
        let siblings = fs::read_dir(temp.path()).expect("read").count();
        assert_eq!(siblings, 1, "no staging directory is left behind");
    }

    #[test]
    fn a_rebuild_of_unchanged_files_makes_no_staging_tree() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        write(&out, &[output("a/one.yml", "one\n")], None).expect("first build");
        let target = Target::prepare(&out, None).expect("prepare");
        let same = target.output("a/one.yml".to_string(), "one\n".to_string());
        assert!(target.staging.get().is_none());
        let summary = target.write(&[same]).expect("second build");
        assert_eq!(counts(&summary), (0, 1));
    }

    #[test]
    fn a_file_that_cannot_be_staged_fails_the_build_and_leaves_the_output() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        write(&out, &[output("a/one.yml", "one\n")], None).expect("first build");
        let target = Target::prepare(&out, None).expect("prepare");
        // A file where the next one needs a directory.
        let blocking = target.output("a/two".to_string(), "file\n".to_string());
        let blocked = target.output("a/two/three.yml".to_string(), "3\n".to_string());
        assert!(matches!(blocked.state, State::Failed(_)));
        let error = target
            .write(&[blocking, blocked])
            .expect_err("the build fails");
        assert!(error.path.ends_with("a/two/three.yml"), "{error}");
        assert_eq!(
            fs::read_to_string(out.join("a/one.yml")).ok().as_deref(),
            Some("one\n")
        );
        let siblings = fs::read_dir(temp.path()).expect("read").count();
        assert_eq!(siblings, 1, "no staging directory is left behind");
    }

    fn output(path: &str, contents: &str) -> Output {
        Output::new(path.to_string(), contents.to_string())
    }

    #[test]
    fn an_interrupted_swap_is_repaired_by_the_next_build() {
        let temp = tempfile::tempdir().expect("temp dir");
        let out = temp.path().join("out");
        write(&out, &[output("a/one.yml", "1\n")], None).expect("first build");
        // A build killed between its two renames leaves the previous output under its backup
        // name and no output directory; a dead build's staging directory is left too.
        fs::rename(&out, temp.path().join(".out.hostplan-previous")).expect("rename");
        fs::create_dir_all(temp.path().join(".out.hostplan-staging/build-dead")).expect("mkdir");
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
        let expected = format!(
            "\n{}  a/one.yml\n{}  b/two.yml\n",
            blake3::hash(b"1\n").to_hex(),
            blake3::hash(b"2\n").to_hex()
        );
        assert!(manifest.ends_with(&expected), "{manifest}");
    }

    #[test]
    fn a_failure_reported_twice_keeps_its_code_and_message() {
        let failure = super::Error {
            path: PathBuf::from("out/a.yml"),
            action: "write",
            source: std::io::Error::from_raw_os_error(28),
        };
        let again = failure.again();
        assert_eq!(again.source.raw_os_error(), Some(28));
        assert_eq!(again.source.kind(), failure.source.kind());
        assert_eq!(again.to_string(), failure.to_string());
        let other = super::Error {
            path: PathBuf::from("out"),
            action: "write into",
            source: std::io::Error::other("it exists and is not a directory"),
        };
        assert_eq!(other.again().to_string(), other.to_string());
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
