//! Atomic file writes: a uniquely named temporary file beside the target, then a rename.

use std::io::Write;
use std::path::Path;

/// The folder a file goes to (`.` for a bare name) and its name.
fn folder_and_name(path: &Path) -> (&Path, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename: readers
/// see the old file or the whole new one, never a part. The temporary has a unique name and is
/// created exclusively (a link planted in the folder is never followed); a failed write
/// removes it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (dir, name) = folder_and_name(path);
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        // As `File::create` would: read-write for all, less the umask (not tempfile's 0600).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map(|_| ()).map_err(|e| e.error)
}

/// Has `write` make a uniquely named temporary beside `path`, then renames it to `path`; on
/// failure removes the temporary, so a failed write leaves the old file or none.
#[cfg(feature = "gdal")]
pub(crate) fn replace_atomic(
    path: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (dir, name) = folder_and_name(path);
    // A unique folder holds the temporary: writers such as GDAL create the file themselves.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempdir_in(dir)?;
    let file = tmp.path().join(&name);
    write(&file)?;
    std::fs::rename(&file, path)
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

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.txt");
        std::fs::write(&elsewhere, "precious").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        for name in ["report.json", "report.json.tmp", ".report.json.tmp"] {
            std::os::unix::fs::symlink(&elsewhere, out.join(name)).unwrap();
        }
        write_atomic(&out.join("report.json"), b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "precious");
        assert_eq!(std::fs::read(out.join("report.json")).unwrap(), b"{}");
        assert!(!out.join("report.json").is_symlink());
    }
}
