//! Reading inputs as text with a clear error, and writing outputs so that nothing is ever left
//! half-written: a temporary file beside the target, then a rename.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::{Source, Span};
use crate::syntax::MAX_FILE_BYTES;
use crate::syntax::error::SyntaxError;

/// Reads a file into a [`Source`]. A file that is not UTF-8 is a diagnostic, not a panic.
/// Only the first [`MAX_FILE_BYTES`] and a few bytes more are read: a longer file is refused
/// at the first byte past the limit, so reading the rest of it would be time spent for nothing.
/// The error for a file or folder the system would not let `attend` read.
pub fn unreadable(name: &dyn std::fmt::Display, e: &dyn std::fmt::Display) -> Box<Diagnostic> {
    Box::new(Diagnostic {
        code: "input::unreadable".into(),
        severity: crate::diagnostic::Severity::Error,
        message: format!("cannot read `{name}`: {e}"),
        loc: None,
        label: None,
        related: Vec::new(),
        help: None,
        url: None,
        source: None,
        fix: None,
    })
}

pub fn read_source(path: &Path) -> Result<Source, Box<Diagnostic>> {
    let name = path.display().to_string();
    let read = || -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        std::io::Read::take(std::fs::File::open(path)?, MAX_FILE_BYTES as u64 + 4)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let mut bytes = read().map_err(|e| unreadable(&name, &e))?;
    // A character cut where the reading stopped is past the limit: the file is refused for
    // its size, not for that.
    if let Err(e) = std::str::from_utf8(&bytes)
        && e.valid_up_to() > MAX_FILE_BYTES
    {
        bytes.truncate(e.valid_up_to());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(name, text)),
        Err(e) => {
            // Show where the text stops being UTF-8, in the part that is.
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let src = Source::new(name, text);
            Err(Box::new(
                SyntaxError::NotText.at(&src.loc(Span::new(valid, valid + 1))),
            ))
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old file or the new one, never a part. A new file gets the mode any
/// program's new file gets (0666 less the user's umask): the temporary file is created with
/// that mode and the kernel applies the umask, as it would to `open(2)`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, &mut |w| w.write_all(bytes), None)
}

/// [`write_atomically`] of what `write` writes, through a buffer: an output of a million
/// rows is written as it is made, never held whole in memory.
pub fn write_atomically_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_with_mode(path, write, None)
}

/// [`write_atomically`], keeping the mode of the file it replaces (`attend fmt --write`
/// rewrites a policy without changing who may read it).
pub fn replace_keeping_mode(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    write_with_mode(path, &mut |w| w.write_all(bytes), existing)
}

fn write_with_mode(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    keep: Option<std::fs::Permissions>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".attend-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush()?;
    }
    if let Some(permissions) = keep {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// An output folder being made: every file goes into a new sibling folder, which replaces
/// the old one only when the run has written everything, so the folder holds exactly what
/// one run produced (no letter of an earlier run survives) and a failed run leaves the last
/// one's outputs as they were.
pub struct Staged {
    target: PathBuf,
    /// Dropped (removed, when not committed) before the lock is let go.
    dir: tempfile::TempDir,
    /// `<dir>.lock`, locked while this run uses the folder: a later run removes a staging
    /// folder whose lock no one holds (the run that made it was killed).
    _lock: StagingLock,
}

/// The prefix of a staging folder's name.
const STAGING: &str = ".attend-out-";

/// How old a staging folder without a lock file must be to be left behind by a killed run
/// rather than one just starting (it makes the folder, then its lock).
const UNLOCKED_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

struct StagingLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl Drop for StagingLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `<dir>.lock`, beside the staging folder `dir` (inside it, it would become an output).
fn lock_path(dir: &Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Removes the staging folders in `parent` that runs killed before finishing left behind:
/// those whose lock file no process holds locked, and those with none that are over an hour
/// old. A folder in use, or of another name, is left alone.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_staging = name
            .to_str()
            .is_some_and(|n| n.starts_with(STAGING) && !n.ends_with(".lock"));
        if !is_staging || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        let lock = lock_path(&dir);
        let stale = match std::fs::OpenOptions::new().write(true).open(&lock) {
            // Held by a live run: `WouldBlock`. A file system without locks: left alone.
            Ok(file) => file.try_lock().is_ok(),
            Err(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > UNLOCKED_AGE),
        };
        if stale {
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::remove_file(&lock);
        }
    }
}

impl Staged {
    /// Starts a new output folder for `target`. An existing `target` must be empty or an
    /// earlier run's output (it has `actions.csv`): `attend` never replaces a folder it did
    /// not make.
    pub fn new(target: &Path) -> Result<Staged, String> {
        if target.exists() {
            let entries = std::fs::read_dir(target)
                .map_err(|e| format!("cannot read `{}`: {e}", target.display()))?;
            let mut empty = true;
            let mut ours = false;
            for entry in entries.flatten() {
                empty = false;
                ours |= entry.file_name() == "actions.csv";
            }
            if !empty && !ours {
                return Err(format!(
                    "`{}` is not empty and is not an earlier run's output (it has no actions.csv), so it is not replaced\n  = help: give `--out` a new or empty folder",
                    target.display()
                ));
            }
        }
        let parent = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        remove_stale(&parent);
        let mut builder = tempfile::Builder::new();
        builder.prefix(STAGING);
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let dir = builder
            .tempdir_in(&parent)
            .map_err(|e| format!("cannot create a folder in `{}`: {e}", parent.display()))?;
        let path = lock_path(dir.path());
        let file = std::fs::File::create(&path)
            .and_then(|f| f.lock().map(|()| f))
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        Ok(Staged {
            target: target.to_path_buf(),
            dir,
            _lock: StagingLock { path, _file: file },
        })
    }

    /// Where this run's files go until [`Staged::commit`].
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Swaps the new folder in for the old, which is then removed. Dropping a `Staged`
    /// without committing removes the new folder and leaves the old one alone.
    pub fn commit(self) -> Result<(), String> {
        let staged = self.dir.keep();
        let old = if self.target.exists() {
            let mut builder = tempfile::Builder::new();
            builder.prefix(".attend-old-");
            let parent = staged.parent().unwrap_or(Path::new("."));
            let old = builder
                .tempdir_in(parent)
                .map_err(|e| format!("cannot create a folder in `{}`: {e}", parent.display()))?
                .keep();
            // Rename the old output over an empty folder of our own, then the new one over
            // the target: between the two renames the target is briefly absent, never mixed.
            std::fs::rename(&self.target, &old).map_err(|e| {
                let _ = std::fs::remove_dir_all(&staged);
                format!("cannot move `{}` aside: {e}", self.target.display())
            })?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&staged, &self.target) {
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.target);
            }
            let _ = std::fs::remove_dir_all(&staged);
            return Err(format!("cannot write `{}`: {e}", self.target.display()));
        }
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(())
    }
}
