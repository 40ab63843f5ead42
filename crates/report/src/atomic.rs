//! Atomic file writes: a temporary file beside the target, then a rename.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through `path.tmp` and a rename: readers see the old file or the
/// whole new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    replace_atomic(path, &path.with_file_name(name), |tmp| {
        let mut file = std::fs::File::create(tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })
}

/// Has `write` make `tmp`, then renames it to `path`; on failure removes `tmp`, so a failed
/// write leaves the old file or none.
pub(crate) fn replace_atomic(
    path: &Path,
    tmp: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let result = write(tmp).and_then(|()| std::fs::rename(tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomic(&path, b"{}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A target in a folder that does not exist fails and leaves nothing.
        assert!(write_atomic(&dir.path().join("missing/report.json"), b"{}").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
