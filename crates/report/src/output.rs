//! The output folder as one unit: checked against the inputs, locked, written in a staging
//! folder beside it and swapped in whole, so that a run killed at any moment leaves the
//! previous set of files or the new one — never a mix, never an input overwritten.
//!
//! The rules (README, "Output folder"):
//! - paths are resolved first (`..`, symbolic links, the current folder); an empty path is an
//!   error;
//! - the output folder may not be, or contain, the folder of any input file; it may lie inside
//!   one only when it is new or redline's own (marked with `.redline-output`);
//! - an existing folder is replaced only when it is empty or redline's and holds nothing but
//!   redline's outputs; `--force` writes into any other folder file by file (each file whole,
//!   the set no longer one unit) and never removes what it did not write;
//! - one run at a time per folder: an exclusive lock, which the operating system releases
//!   when the process ends however it ends, on a file named after the folder in the system's
//!   temporary folder (so that no lock file lands among the user's files);
//! - temporaries have unique names and are created without following links; what a killed run
//!   left (`.NAME.staging-*`) is removed by the next run into the same folder.

use std::fs::{File, OpenOptions};
use std::path::{Component, Path, PathBuf};

/// The marker that says redline made a folder (and may replace it).
pub const MARKER: &str = ".redline-output";

/// Every file a run may write; an existing folder holding anything else is not replaced.
pub const OUTPUT_FILES: &[&str] = &[
    MARKER,
    "report.json",
    "timings.json",
    "townships.csv",
    "balance.csv",
    "counties.csv",
    "report.html",
    "townships.geojson",
    "violations.geojson",
    "pbf_loss.geojson",
    "townships.parquet",
    "violations.parquet",
    "pbf_loss.parquet",
    "townships.fgb",
    "violations.fgb",
    "pbf_loss.fgb",
    "uncovered_construction.geojson",
    "uncovered_construction.parquet",
    "uncovered_construction.fgb",
    "汇总表.xlsx",
    "layers.gpkg",
];

/// Why an output folder cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The path is empty.
    #[error("the output folder is an empty path")]
    Empty,
    /// `-`: redline writes a folder of files, not a stream.
    #[error("-o - is not supported: a run writes a folder (report.json, the tables, report.html, the layers); give a folder, and read report.json from it (or use `redline check --json` for the issues as JSON Lines on stdout)")]
    Stdout,
    /// The path names something that is not a folder.
    #[error("{0}: exists and is not a folder")]
    NotAFolder(PathBuf),
    /// The output folder is, or contains, the folder of an input.
    #[error("{output}: {relation} the folder of the input {input}; choose a folder of its own (redline never writes where its inputs live)")]
    Input {
        /// The resolved output folder.
        output: PathBuf,
        /// "is" or "contains".
        relation: &'static str,
        /// The input file.
        input: PathBuf,
    },
    /// An existing folder that redline did not make, or that holds other files.
    #[error("{folder} has files redline did not write ({}); choose an empty folder or pass --force", .names.join(", "))]
    Foreign {
        /// The folder.
        folder: PathBuf,
        /// Some of the names that are not redline's.
        names: Vec<String>,
    },
    /// Another run holds the folder's lock.
    #[error("{folder}: another redline run is writing this folder (lock {lock}); wait for it or choose another folder")]
    Locked {
        /// The folder.
        folder: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A file-system operation failed.
    #[error("{path}: {cause}")]
    Io {
        /// What was being done to.
        path: PathBuf,
        /// The OS error.
        cause: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        cause: source,
    }
}

/// Marks `folder` as redline's (an output set's, or a county's folder inside a province's): a
/// marked folder holding only redline's files may be replaced by the next run.
///
/// # Errors
/// The marker could not be written.
pub fn mark(folder: &Path) -> std::io::Result<()> {
    std::fs::write(
        folder.join(MARKER),
        "written by redline; `redline run` may replace this folder\n",
    )
}

/// How the staged files reach the target.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Commit {
    /// The staging folder takes the target's place (the whole set at once).
    Swap,
    /// `--force` into a folder with other files: each file renamed in, the rest left alone.
    FileByFile,
}

/// An output folder being written: the files go to [`OutputSet::dir`], and
/// [`OutputSet::commit`] puts them in place. Dropped without a commit, it leaves the target
/// as it was and removes the staging folder.
#[derive(Debug)]
pub struct OutputSet {
    target: PathBuf,
    staging: tempfile::TempDir,
    commit: Commit,
    /// Held until the set is committed or dropped.
    _lock: File,
}

impl OutputSet {
    /// Checks `target` against the rules above and the `inputs` (files the run reads), takes
    /// the folder's lock and makes a staging folder beside it.
    ///
    /// # Errors
    /// Any broken rule, a held lock, or a failed file-system operation.
    pub fn begin(target: &Path, inputs: &[PathBuf], force: bool) -> Result<OutputSet, OutputError> {
        let target = resolve(target)?;
        for input in inputs {
            let folder = resolve(input)?
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let relation = if folder == target {
                "is"
            } else if folder.starts_with(&target) {
                "contains"
            } else {
                continue;
            };
            return Err(OutputError::Input {
                output: target,
                relation,
                input: input.clone(),
            });
        }
        let commit = match std::fs::symlink_metadata(&target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Commit::Swap,
            Err(e) => return Err(io(&target)(e)),
            Ok(m) if !m.is_dir() => return Err(OutputError::NotAFolder(target)),
            Ok(_) => existing_folder(&target, force)?,
        };
        let (parent, name) = parent_and_name(&target)?;
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let lock = lock(&target)?;
        remove_stale(&parent, &name);
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(&parent)
            .map_err(io(&parent))?;
        mark(staging.path()).map_err(io(staging.path()))?;
        Ok(OutputSet {
            target,
            staging,
            commit,
            _lock: lock,
        })
    }

    /// Where the files of this run are written until the commit.
    pub fn dir(&self) -> &Path {
        self.staging.path()
    }

    /// The resolved output folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Puts the staged files in place: the whole folder at once (the previous set is removed
    /// after the swap), or, with `--force` into a foreign folder, file by file.
    ///
    /// # Errors
    /// A failed rename or sync; the target then holds the previous set (or, file by file,
    /// whole files of one set or the other).
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        sync_dir(self.staging.path())?;
        match self.commit {
            Commit::Swap => swap_in(self.staging.path(), &self.target)?,
            Commit::FileByFile => {
                for entry in std::fs::read_dir(self.staging.path()).map_err(io(self.dir()))? {
                    let entry = entry.map_err(io(self.dir()))?;
                    if entry.file_name() == MARKER {
                        continue; // the folder is still not redline's
                    }
                    let to = self.target.join(entry.file_name());
                    std::fs::rename(entry.path(), &to).map_err(io(&to))?;
                }
                sync_dir(&self.target)?;
            }
        }
        // The staging folder now holds the previous set (or nothing): dropping it removes it.
        Ok(self.target.clone())
    }
}

/// The names in `folder` that redline did not write: anything but its output files and, where
/// `nested`, folders of its own (a province's county folders, marked and holding only
/// redline's files); and whether the folder carries the marker.
fn foreign_names(folder: &Path, nested: bool) -> Result<(Vec<String>, bool, bool), OutputError> {
    let mut foreign = Vec::new();
    let (mut marked, mut empty) = (false, true);
    for entry in std::fs::read_dir(folder).map_err(io(folder))? {
        let entry = entry.map_err(io(folder))?;
        empty = false;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(io(folder))?;
        let ours = if kind.is_file() {
            name == MARKER || OUTPUT_FILES.contains(&name.as_str())
        } else {
            nested && kind.is_dir() && {
                let (inner, inner_marked, _) = foreign_names(&entry.path(), false)?;
                inner_marked && inner.is_empty()
            }
        };
        if name == MARKER && kind.is_file() {
            marked = true;
        } else if !ours {
            foreign.push(name);
        }
    }
    Ok((foreign, marked, empty))
}

/// Whether an existing folder may be written, and how.
fn existing_folder(target: &Path, force: bool) -> Result<Commit, OutputError> {
    let (mut foreign, marked, empty) = foreign_names(target, true)?;
    if empty || (marked && foreign.is_empty()) {
        return Ok(Commit::Swap);
    }
    if force {
        return Ok(Commit::FileByFile);
    }
    if foreign.is_empty() {
        // redline's file names, but no marker: someone else's files of the same names.
        foreign.push(format!("no {MARKER} marker"));
    }
    foreign.sort();
    foreign.truncate(5);
    Err(OutputError::Foreign {
        folder: target.to_path_buf(),
        names: foreign,
    })
}

/// The folder's parent and its name.
fn parent_and_name(target: &Path) -> Result<(PathBuf, String), OutputError> {
    match (target.parent(), target.file_name()) {
        (Some(p), Some(n)) => Ok((p.to_path_buf(), n.to_string_lossy().into_owned())),
        _ => Err(OutputError::NotAFolder(target.to_path_buf())),
    }
}

/// The file whose lock stands for the output folder's: in the system's temporary folder,
/// named after the resolved folder's path (FNV-1a, 64 bits).
pub fn lock_path(target: &Path) -> PathBuf {
    let hash = target
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    std::env::temp_dir().join(format!("redline-{hash:016x}.lock"))
}

/// The exclusive lock of the output folder.
fn lock(target: &Path) -> Result<File, OutputError> {
    let path = lock_path(target);
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A link planted under the lock's name is not followed.
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let file = options.open(&path).map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OutputError::Locked {
            folder: target.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
    }
}

/// Removes what killed runs into the same folder left: their staging folders (redline's own
/// names, under the lock, so no live run owns them).
fn remove_stale(parent: &Path, name: &str) {
    let prefix = format!(".{name}.staging-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && entry.file_name().to_string_lossy().starts_with(&prefix) {
            // Best effort: a leftover that cannot be removed does not stop the run.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Puts `staging` at `target`: an atomic exchange where the OS has one (Linux), else a rename
/// of the old folder aside and of the new one in.
fn swap_in(staging: &Path, target: &Path) -> Result<(), OutputError> {
    if !target.exists() {
        std::fs::rename(staging, target).map_err(io(target))?;
    } else {
        exchange(staging, target)?;
    }
    if let Some(parent) = target.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(staging: &Path, target: &Path) -> Result<(), OutputError> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE)
        .map_err(|e| io(target)(e.into()))
}

#[cfg(not(target_os = "linux"))]
fn exchange(staging: &Path, target: &Path) -> Result<(), OutputError> {
    // Two renames: between them the target is briefly absent (the old set is beside it).
    let aside = staging.with_extension("previous");
    std::fs::rename(target, &aside).map_err(io(target))?;
    std::fs::rename(staging, target).map_err(io(target))?;
    std::fs::rename(&aside, staging).map_err(io(staging))
}

fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

/// An absolute path with `.`, `..` and symbolic links resolved as far as the path exists; the
/// part that does not exist yet (it cannot hold links) is resolved lexically. So
/// `C/newdir/..` is `C`, and a link to an input folder is that folder.
pub fn resolve(path: &Path) -> Result<PathBuf, OutputError> {
    if path.as_os_str().is_empty() {
        return Err(OutputError::Empty);
    }
    if path.as_os_str() == "-" {
        return Err(OutputError::Stdout);
    }
    let absolute = std::path::absolute(path).map_err(io(path))?;
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = std::fs::canonicalize(&out) {
                    out = real;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_handles_dot_dot_links_and_new_folders() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(resolve(&dir.path().join("new/..")).unwrap(), real);
        assert_eq!(
            resolve(&dir.path().join("a/./b")).unwrap(),
            real.join("a/b")
        );
        #[cfg(unix)]
        {
            std::fs::create_dir(real.join("inputs")).unwrap();
            std::os::unix::fs::symlink(real.join("inputs"), real.join("link")).unwrap();
            assert_eq!(resolve(&real.join("link")).unwrap(), real.join("inputs"));
        }
        assert!(matches!(resolve(Path::new("")), Err(OutputError::Empty)));
        assert!(matches!(resolve(Path::new("-")), Err(OutputError::Stdout)));
    }
}
