//! Writing a generated file atomically (temp file + rename) and only when its bytes changed.

use crate::base::files;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use std::io::Write;

/// The temp file `path` is staged in: `.<name>.<pid>.tmp` beside it.
pub fn temp_for(path: &Utf8Path) -> Utf8PathBuf {
    let dir = path.parent().filter(|d| !d.as_str().is_empty()).unwrap_or(Utf8Path::new("."));
    dir.join(format!(".{}.{}.tmp", path.file_name().unwrap_or("out"), std::process::id()))
}

/// Files written as one unit: every one is staged in a temp file first, and only when all are staged are they
/// renamed into place, in order (build.ninja last). A failure before that leaves every old file as it was; dropping
/// an uncommitted batch removes its temp files.
#[derive(Default)]
pub struct Batch {
    staged: Vec<(Utf8PathBuf, Utf8PathBuf)>,
    /// Skip the fsync of each staged file: for files that are caches checked when read (see `write_cache`).
    unsynced: bool,
}

impl Batch {
    /// Stages `bytes` for `path` unless the file already holds them; returns whether it will be written.
    pub fn stage(&mut self, path: &Utf8Path, bytes: &[u8]) -> Result<bool> {
        if files::holds(path, bytes) {
            return Ok(false);
        }
        let tmp = self.write_temp(path, |w| w.write_all(bytes))?;
        self.staged.push((tmp, path.to_owned()));
        Ok(true)
    }

    /// Stages what `write` writes for `path`, streamed into the temp file (the compile database and the graph JSON
    /// of 20,000 sources are 10 MB each: never held whole), unless the file already holds the same bytes.
    pub fn stage_with(
        &mut self,
        path: &Utf8Path,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<bool> {
        let tmp = self.write_temp(path, write)?;
        if files::same_contents(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Ok(false);
        }
        self.staged.push((tmp, path.to_owned()));
        Ok(true)
    }

    /// Writes the temp file for `path` (synced unless this batch holds caches); removes it on failure.
    fn write_temp(
        &self,
        path: &Utf8Path,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<Utf8PathBuf> {
        // a folder in the way would only fail the rename, after other files were already renamed
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            let e = std::io::Error::new(std::io::ErrorKind::IsADirectory, "Is a directory");
            return Err(e).with_context(|| format!("cannot write {path}"));
        }
        let tmp = temp_for(path);
        let dir = tmp.parent().unwrap_or(Utf8Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {dir}"))?;
        let result = (|| -> std::io::Result<()> {
            let mut f = std::io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(&tmp)?);
            write(&mut f)?;
            let f = f.into_inner().map_err(|e| e.into_error())?;
            if self.unsynced {
                return Ok(());
            }
            f.sync_all()
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write {path}"));
        }
        Ok(tmp)
    }

    /// A batch whose files are not fsynced: caches and files a later gen rewrites (see `write_cache`).
    pub fn unsynced() -> Batch {
        Batch { staged: Vec::new(), unsynced: true }
    }

    /// Takes over what `other` staged (staged on another thread), after what this batch staged so far.
    pub fn append(&mut self, mut other: Batch) {
        self.staged.append(&mut other.staged);
    }

    /// Renames every staged file into place, in staging order.
    pub fn commit(mut self) -> Result<()> {
        for (tmp, path) in std::mem::take(&mut self.staged) {
            if let Err(e) = std::fs::rename(&tmp, &path) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot write {path}"));
            }
        }
        Ok(())
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Removes temp files a killed writer left for `names` in `dir` (`.<name>.<pid>.tmp` whose process is gone; a live
/// one — an edge writing scan.stamp while gen runs — keeps its file).
pub fn remove_stale_temps(dir: &Utf8Path, names: &[&str]) {
    let Ok(entries) = dir.read_dir_utf8() else { return };
    for e in entries.flatten() {
        let f = e.file_name();
        let stale = names.iter().any(|n| {
            f.strip_prefix('.')
                .and_then(|r| r.strip_prefix(n))
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.strip_suffix(".tmp"))
                .and_then(|pid| pid.parse::<i32>().ok())
                .is_some_and(|pid| !alive(pid))
        });
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}

/// An exclusive lock on `path` (created if missing), held until the returned file is dropped: one gen writes a
/// build folder at a time.
pub fn lock(path: &Utf8Path) -> Result<std::fs::File> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create folder {d}"))?;
    }
    let f = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open the lock {path}"))?;
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor this function owns
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error()).with_context(|| format!("cannot lock {path}"));
    }
    Ok(f)
}

/// Returns whether the file was (re)written: a batch of one.
pub fn write_if_changed(path: &Utf8Path, bytes: &[u8]) -> Result<bool> {
    let mut batch = Batch::default();
    let written = batch.stage(path, bytes)?;
    batch.commit()?;
    Ok(written)
}

/// `write_if_changed` without the fsync, for what the gate writes on every run: its record and the depfile ninja
/// reads and deletes at once. Both still replace the old file by rename, so a crash leaves the old file, the new one
/// or (on a filesystem without ordered data) one that does not parse — and a record that does not parse is no record:
/// the edge runs. The fsync was 12% of a restored build's wall time (228 gated edges, 0.50-0.54 s -> 0.43-0.47 s).
pub fn write_cache(path: &Utf8Path, bytes: &[u8]) -> Result<bool> {
    let mut batch = Batch::unsynced();
    let written = batch.stage(path, bytes)?;
    batch.commit()?;
    Ok(written)
}

/// A build output an edge writes: what `write` writes, streamed into a temp file and renamed into place unless the
/// file already holds those bytes (it keeps its mtime then, for `restat`); not fsynced, as no compiler fsyncs its
/// object. Returns whether it was written.
pub fn write_output(path: &Utf8Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<bool> {
    let mut batch = Batch::unsynced();
    let written = batch.stage_with(path, write)?;
    batch.commit()?;
    Ok(written)
}

/// A folder's entry names and mtime, taken before gen renames its outputs over the old ones.
pub struct FolderStamp {
    names: std::collections::BTreeSet<std::ffi::OsString>,
    mtime: std::time::SystemTime,
}

impl FolderStamp {
    pub fn take(dir: &Utf8Path) -> Option<FolderStamp> {
        let mtime = std::fs::metadata(dir).and_then(|m| m.modified()).ok()?;
        let names = std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
        Some(FolderStamp { names, mtime })
    }

    /// Gives `dir` its old mtime back when it holds the same names but `own` (the files gen itself writes there:
    /// build.ninja, new on a first gen): replacing build.ninja by rename changes the folder's mtime, which the scan
    /// edge watches for new sources, so the first `ninja` after every gen (and the reload after every regeneration)
    /// ran the scan again (0.35 s at 21,001 sources). Any other name that came or went meanwhile leaves the new
    /// mtime.
    pub fn restore(&self, dir: &Utf8Path, own: &[&str]) {
        let others = |names: &std::collections::BTreeSet<std::ffi::OsString>| -> Vec<std::ffi::OsString> {
            names.iter().filter(|n| !own.iter().any(|o| n.as_os_str() == std::ffi::OsStr::new(o))).cloned().collect()
        };
        if FolderStamp::take(dir).is_some_and(|now| others(&now.names) == others(&self.names)) {
            if let Ok(f) = std::fs::File::open(dir) {
                let _ = f.set_modified(self.mtime);
            }
        }
    }
}
