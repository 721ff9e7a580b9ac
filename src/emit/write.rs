//! Writing a generated file atomically (temp file + rename) and only when its bytes changed.

use anyhow::{Context, Result};
use camino::Utf8Path;
use std::io::Write;

/// Returns whether the file was (re)written.
pub fn write_if_changed(path: &Utf8Path, bytes: &[u8]) -> Result<bool> {
    // a FIFO or a device in the way is replaced, never read
    if crate::files::read_regular(path, bytes.len() as u64).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let dir = path.parent().filter(|d| !d.as_str().is_empty()).unwrap_or(Utf8Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {dir}"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", path.file_name().unwrap_or("out"), std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {path}"));
    }
    Ok(true)
}
