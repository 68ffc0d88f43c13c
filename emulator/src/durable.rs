//! What the emulator's files that are saved through a temporary file share.

use std::fs;
use std::io;
use std::path::Path;

/// Removes what a save that failed or was killed before its rename left beside `path`
/// (`<name>.<pid>-<n>.tmp`): it was never answered. Used by every store that saves a
/// file through a temporary one (verification, the collections).
pub(crate) fn remove_unfinished(path: &Path) -> io::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let mut prefix = name.to_string_lossy().into_owned();
    prefix.push('.');
    for entry in entries {
        let entry = entry?;
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            tracing::info!(path = %entry.path().display(), "removing an unfinished write");
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
