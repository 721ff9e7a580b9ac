//! `O/scan.cache`: what the last scan read from each source (its imports, its HAVE_* guard), by the file's size,
//! mtime and inode — shared by gen and the scan edge, so either reads only the files that changed since.

use crate::base::files;
use crate::base::hash;
use crate::model::Import;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::BTreeMap;

/// The file's name in the outputs root.
pub const FILE: &str = "scan.cache";

/// Bumped whenever what the cache holds changes meaning; a cache of another version is not read.
const VERSION: u32 = 2;

/// A file's size, mtime (ns) and inode when it was read: the trust ninja and the gate place in the same three
/// (docs/CI.md).
pub type Stamp = (u64, u128, u64);

/// A source's stamp and, when the cache could not answer, what reading it gave.
type Ahead = (Option<Stamp>, Option<std::io::Result<Vec<String>>>);

/// An import as the scanner found it: specifier, type-only, line, column.
type Found = (String, bool, usize, usize);

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanCache {
    version: u32,
    /// path → its stamp and its imports
    imports: BTreeMap<String, (Stamp, Vec<Found>)>,
    /// path → its stamp and the HAVE_* macros its guard requires
    gates: BTreeMap<String, (Stamp, Vec<String>)>,
}

impl ScanCache {
    /// The cache at `path`; a missing, unreadable, truncated, corrupt or foreign-version one is empty (everything is
    /// read again), never an error.
    pub fn load(path: &Utf8Path) -> ScanCache {
        let bytes = files::read_regular(path, 256 << 20).unwrap_or_default();
        match serde_json::from_slice::<ScanCache>(&bytes) {
            Ok(c) if c.version == VERSION => c,
            _ => ScanCache::default(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

pub fn stamp(p: &Utf8Path) -> Option<Stamp> {
    hash::stat(p).map(|s| (s.size, s.mtime_ns, s.inode))
}

/// Reads a source's HAVE_* guard, returning the metadata of the file it opened (its stamp).
pub type GuardRead = fn(&mut files::Folder, &Utf8Path) -> std::io::Result<(std::fs::Metadata, Vec<String>)>;

/// One run's use of the cache: what the last run left, what this run saw (written back at its end), and how many
/// files it read.
#[derive(Debug, Default)]
pub struct ScanMemo {
    old: ScanCache,
    pub next: ScanCache,
    /// Guards the cache knew nothing of, read ahead on several threads: path → its stamp and the read's result
    /// (`None` would mean the cache's answer holds).
    /// (Keyed by the path's text: a `Path` key hashes component by component.)
    ahead: std::collections::HashMap<String, Ahead>,
    /// Files read this run (their stamp changed, or they were new).
    pub read: usize,
    /// Files whose answer came from the cache.
    pub reused: usize,
}

impl ScanMemo {
    pub fn new(old: ScanCache) -> ScanMemo {
        ScanMemo {
            old,
            next: ScanCache { version: VERSION, ..ScanCache::default() },
            ahead: Default::default(),
            read: 0,
            reused: 0,
        }
    }

    /// Whether `next` differs from what was loaded: a file was read, or one the last run saw is gone.
    pub fn changed(&self) -> bool {
        self.read > 0 || !self.old.imports.is_empty() || !self.old.gates.is_empty()
    }

    /// The imports of `file`: from the cache when its stamp is unchanged, else from `read`.
    pub fn imports<E>(
        &mut self,
        file: &Utf8Path,
        read: impl FnOnce() -> Result<Vec<Import>, E>,
    ) -> Result<Vec<Import>, E> {
        let st = stamp(file);
        let found: Vec<Found> = match (st, self.old.imports.remove(file.as_str())) {
            (Some(st), Some((was, found))) if st == was => {
                self.reused += 1;
                found
            }
            _ => {
                self.read += 1;
                read()?.into_iter().map(|i| (i.specifier, i.type_only, i.line, i.column)).collect()
            }
        };
        let imports = found
            .iter()
            .map(|(specifier, type_only, line, column)| Import {
                file: Utf8PathBuf::from(file),
                line: *line,
                column: *column,
                specifier: specifier.clone(),
                type_only: *type_only,
            })
            .collect();
        if let Some(st) = st {
            self.next.imports.insert(file.to_string(), (st, found));
        }
        Ok(imports)
    }

    /// Reads the guards of the `sources` the cache knows nothing of on up to `threads` threads (a cold gen of 20,000
    /// sources spent a sixth of its time reading them one after another); `gates` then takes what was found. Sources
    /// the cache knows are left to `gates`: a stat each, cheaper than a thread's share of a map.
    pub fn read_gates_ahead(&mut self, sources: &[&Utf8Path], threads: usize, read: GuardRead) {
        let sources: Vec<&Utf8Path> =
            sources.iter().copied().filter(|p| !self.old.gates.contains_key(p.as_str())).collect();
        if sources.len() < 64 {
            return;
        }
        let chunk = sources.len().div_ceil(threads.max(1)).max(1);
        let work = move |part: &[&Utf8Path]| -> Vec<(String, Ahead)> {
            // the stamp comes from the open file read (no stat of its own): one open and one fstat per source
            // sources come folder by folder: each is opened by its name in the folder held open
            let mut folder = files::Folder::default();
            let mut one = |p: &&Utf8Path| match read(&mut folder, p) {
                Ok((meta, macros)) => (hash::stat_of(&meta).map(|s| (s.size, s.mtime_ns, s.inode)), Some(Ok(macros))),
                Err(e) => (None, Some(Err(e))),
            };
            part.iter().map(|p| (p.to_string(), one(p))).collect()
        };
        let mut parts = sources.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let found = std::thread::scope(|s| {
            let workers: Vec<_> = parts.map(|part| s.spawn(move || work(part))).collect();
            // this thread takes the first share
            let mut found = Vec::with_capacity(sources.len());
            found.extend(work(first));
            // a worker that panicked leaves its sources to be read one by one
            for w in workers {
                found.extend(w.join().unwrap_or_default());
            }
            found
        });
        self.ahead.extend(found);
    }

    /// The HAVE_* macros the guard of `source` requires: from the cache when its stamp is unchanged, else from `read`.
    pub fn gates(
        &mut self,
        source: &Utf8Path,
        read: impl FnOnce() -> std::io::Result<Vec<String>>,
    ) -> std::io::Result<Vec<String>> {
        let (st, read_ahead) = match self.ahead.remove(source.as_str()) {
            Some((st, result)) => {
                if self.ahead.is_empty() {
                    // the last one read ahead: its table goes (a slot per source, 1 MB at 20,000 sources)
                    self.ahead = Default::default();
                }
                (st, result)
            }
            None => (stamp(source), None),
        };
        // a source listed twice (two packages sharing it) was moved to `next` the first time
        let cached = self.old.gates.remove(source.as_str()).or_else(|| self.next.gates.get(source.as_str()).cloned());
        let macros = match (st, cached, read_ahead) {
            (Some(st), Some((was, macros)), None) if st == was => {
                self.reused += 1;
                macros
            }
            (_, _, Some(result)) => {
                self.read += 1;
                result?
            }
            _ => {
                self.read += 1;
                read()?
            }
        };
        if let Some(st) = st {
            self.next.gates.insert(source.to_string(), (st, macros.clone()));
        }
        Ok(macros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_or_broken_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = Utf8PathBuf::try_from(dir.path().join("scan.cache")).unwrap();
        for text in ["", "{", "not json", r#"{"version":1,"imports":{},"gates":{}}"#, "[1,2]"] {
            std::fs::write(&p, text).unwrap();
            assert_eq!(ScanCache::load(&p), ScanCache::default(), "{text}");
        }
        let mut memo = ScanMemo::new(ScanCache::default());
        let src = Utf8PathBuf::try_from(dir.path().join("a.c")).unwrap();
        std::fs::write(&src, "#ifdef HAVE_X\n#endif\n").unwrap();
        memo.gates(&src, || Ok(vec!["HAVE_X".into()])).unwrap();
        std::fs::write(&p, memo.next.to_bytes()).unwrap();
        let back = ScanCache::load(&p);
        assert_eq!(back, memo.next);
        // the same file again: answered from the cache, the reader never called
        let mut again = ScanMemo::new(back);
        let macros = again.gates(&src, || panic!("read although unchanged")).unwrap();
        assert_eq!((macros, again.read, again.reused), (vec!["HAVE_X".to_string()], 0, 1));
    }
}
