//! `O/scan.cache`: what the last scan read from each import-bearing file (its imports), by the file's size, mtime
//! and inode — shared by gen and the scan edge, so either reads only the files that changed since. The file is the
//! JSON of [`ScanCache`] in one zstd frame. (C sources are never read at gen: their HAVE_* gates are decided by
//! their compile edges.)

use crate::base::files;
use crate::base::hash;
use crate::model::Import;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::BTreeMap;

/// The file's name in the outputs root.
pub const FILE: &str = "scan.cache";

/// Bumped whenever what the cache holds changes meaning; a cache of another version is not read. (4: imports only,
/// the guards gone to the compile edges; 3: the JSON is zstd-compressed; version 2 was the same JSON, plain.)
const VERSION: u32 = 4;

/// zstd's fastest level: a cache's JSON packs to about a sixth of it in a few milliseconds.
const LEVEL: i32 = 1;

/// The largest cache read back: 256 MiB of JSON (a foreign file that claims more is not this cache).
const LIMIT: u64 = 256 << 20;

/// A file's size, mtime (ns since 1970: a u64 reaches 2554) and inode when it was read: the trust ninja and the gate
/// place in the same three (docs/CI.md).
pub type Stamp = (u64, u64, u64);

/// An import as the scanner found it: specifier, type-only, line, column.
type Found = (String, bool, usize, usize);

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanCache {
    version: u32,
    /// path → its stamp and its imports
    #[serde(deserialize_with = "sorted_map")]
    imports: BTreeMap<String, (Stamp, Vec<Found>)>,
}

impl ScanCache {
    /// The cache at `path`; a missing, unreadable, truncated, corrupt or foreign-version one is empty (everything is
    /// read again), never an error.
    pub fn load(path: &Utf8Path) -> ScanCache {
        let packed = files::read_regular(path, LIMIT).unwrap_or_default();
        match unpack(&packed).map(|json| serde_json::from_slice::<ScanCache>(&json)) {
            Some(Ok(c)) if c.version == VERSION => c,
            _ => ScanCache::default(),
        }
    }

    /// The file's bytes: the JSON in one zstd frame that says its size.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec(self).unwrap_or_default();
        json.push(b'\n');
        let mut bytes = pack(&json).unwrap_or_default();
        // held from select to the end: not in the room made for the worst case (the JSON's size and more)
        bytes.shrink_to_fit();
        bytes
    }
}

/// `json` in one zstd frame with its size and a checksum of its content, so a byte changed on disk is a cache
/// that does not load rather than a changed answer.
fn pack(json: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut c = zstd::bulk::Compressor::new(LEVEL)?;
    c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
    c.compress(json)
}

/// The JSON in a cache file: `None` for anything but one whole zstd frame that says its size, within [`LIMIT`] (and
/// whose checksum, when it has one, matches).
fn unpack(packed: &[u8]) -> Option<Vec<u8>> {
    let size = zstd::zstd_safe::get_frame_content_size(packed).ok()??;
    if size > LIMIT {
        return None;
    }
    // zstd refuses a frame whose content is not the size it says
    zstd::bulk::decompress(packed, usize::try_from(size).ok()?).ok()
}

/// A file's stamp now; `None` when it cannot be stat'ed or is past what the cache holds.
pub fn stamp(p: &Utf8Path) -> Option<Stamp> {
    hash::stat(p).and_then(stamp_of)
}

/// `None` past 2554: such a file is read each time, never answered from the cache.
fn stamp_of(s: hash::Stat) -> Option<Stamp> {
    Some((s.size, u64::try_from(s.mtime_ns).ok()?, s.inode))
}

/// A map as the cache writes it (sorted by its keys): its entries listed, then the tree built from them at once. One
/// insert per entry, each searching the tree by comparing paths, was 40% of reading the cache (21,000 sources: 12.4
/// -> 7.2 ms, with the u64 mtime); entries out of order or repeated are sorted, the last of a key kept.
fn sorted_map<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::Deserialize<'de>,
{
    struct Entries<V>(std::marker::PhantomData<V>);
    impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Entries<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            let mut v: Vec<(String, V)> = Vec::with_capacity(m.size_hint().unwrap_or(0).min(1 << 20));
            while let Some(e) = m.next_entry()? {
                v.push(e);
            }
            Ok(v.into_iter().collect())
        }
    }
    d.deserialize_map(Entries(std::marker::PhantomData))
}

/// What a run's scan leaves for its end: the cache, when it changed, and how many files were read and reused.
#[derive(Debug, Default)]
pub struct Scanned {
    pub cache: Option<Vec<u8>>,
    pub read: usize,
    pub reused: usize,
}

/// One run's use of the cache: what the last run left, what this run saw (written back at its end), and how many
/// files it read.
#[derive(Debug, Default)]
pub struct ScanMemo {
    old: ScanCache,
    next: ScanCache,
    /// Files read this run (their stamp changed, or they were new).
    pub read: usize,
    /// Files whose answer came from the cache.
    pub reused: usize,
}

impl ScanMemo {
    pub fn new(old: ScanCache) -> ScanMemo {
        ScanMemo { old, next: ScanCache { version: VERSION, ..ScanCache::default() }, read: 0, reused: 0 }
    }

    /// Whether `next` differs from what was loaded: a file was read, or one the last run saw is gone.
    fn changed(&self) -> bool {
        self.read > 0 || !self.old.imports.is_empty()
    }

    /// The run's reading is done: the cache to write back, as bytes, and the counts. Its tables go here, not when
    /// the files are written (at 21,000 sources they were 4.8 MB of the heap's peak, at the end of plan).
    pub fn finish(self) -> Scanned {
        let cache = self.changed().then(|| self.next.to_bytes());
        Scanned { cache, read: self.read, reused: self.reused }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(json: &str) -> Vec<u8> {
        pack(json.as_bytes()).unwrap()
    }

    impl ScanCache {
        /// `bytes` written to `p`, then loaded.
        fn load_bytes(p: &Utf8Path, bytes: &[u8]) -> ScanCache {
            std::fs::write(p, bytes).unwrap();
            ScanCache::load(p)
        }
    }

    #[test]
    fn a_foreign_or_broken_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = Utf8PathBuf::try_from(dir.path().join("scan.cache")).unwrap();
        let whole = packed(r#"{"version":4,"imports":{"a.ts":[[1,2,3],[["x",false,1,8]]]}}"#);
        assert_eq!(ScanCache::load_bytes(&p, &whole).imports.len(), 1, "the whole cache is not read");
        let v3 = r#"{"version":3,"imports":{},"gates":{"a.c":[[1,2,3],["HAVE_A"]]}}"#;
        for text in ["", "{", "not json", r#"{"version":2,"imports":{}}"#, v3, "[1,2]"] {
            // plain, as version 2 wrote it, and packed as this version does
            for bytes in [text.as_bytes().to_vec(), packed(text)] {
                assert_eq!(ScanCache::load_bytes(&p, &bytes), ScanCache::default(), "{text}");
            }
        }
        // a frame cut short, or followed by more, or with any one byte changed (its checksum)
        let mut longer = whole.clone();
        longer.extend_from_slice(&whole);
        for bytes in [whole[..whole.len() - 1].to_vec(), longer] {
            assert_eq!(ScanCache::load_bytes(&p, &bytes), ScanCache::default());
        }
        // a frame (without a checksum) whose header says one byte more than its content: zstd refuses it
        let mut plain = zstd::bulk::compress(br#"{"version":4,"imports":{}}"#, LEVEL).unwrap();
        assert_eq!(plain[4] & 0xE0, 0x20, "a small single-segment frame: its size is the byte after the descriptor");
        assert_ne!(ScanCache::load_bytes(&p, &plain), ScanCache::default(), "the frame as made loads");
        plain[5] += 1;
        assert_eq!(ScanCache::load_bytes(&p, &plain), ScanCache::default());
        for i in 0..whole.len() {
            let mut flipped = whole.clone();
            flipped[i] ^= 0x04;
            assert_eq!(ScanCache::load_bytes(&p, &flipped), ScanCache::default(), "byte {i} changed");
        }
        let mut memo = ScanMemo::new(ScanCache::default());
        let src = Utf8PathBuf::try_from(dir.path().join("a.ts")).unwrap();
        std::fs::write(&src, "import \"x\";\n").unwrap();
        let found = || {
            Ok::<_, ()>(vec![Import { file: src.clone(), line: 1, column: 8, specifier: "x".into(), type_only: false }])
        };
        memo.imports(&src, found).unwrap();
        std::fs::write(&p, memo.next.to_bytes()).unwrap();
        let back = ScanCache::load(&p);
        assert_eq!(back, memo.next);
        // the same file again: answered from the cache, the reader never called
        let mut again = ScanMemo::new(back);
        let imports = again.imports(&src, || -> Result<Vec<Import>, ()> { panic!("read although unchanged") }).unwrap();
        assert_eq!((imports.len(), again.read, again.reused), (1, 0, 1));
    }

    /// The tables are read as serde reads a map (entries in any order; a repeated key: its last entry), and a stamp
    /// past what the cache holds makes the whole cache foreign.
    #[test]
    fn a_cache_read_back_is_the_map_it_lists() {
        let dir = tempfile::tempdir().unwrap();
        let p = Utf8PathBuf::try_from(dir.path().join("scan.cache")).unwrap();
        let text = r#"{"version":4,"imports":{"b.ts":[[1,2,3],[["x",false,1,8]]],"a.ts":[[4,5,6],[]],"m.ts":[[1,1,1],[]],
            "m.ts":[[2,2,2],[["y",true,2,3]]]}}"#;
        let got = ScanCache::load_bytes(&p, &packed(text));
        assert_eq!(got.imports.keys().collect::<Vec<_>>(), ["a.ts", "b.ts", "m.ts"]);
        assert_eq!(
            got.imports["m.ts"],
            ((2, 2, 2), vec![("y".to_string(), true, 2, 3)]),
            "a repeated key: its last entry"
        );
        assert_eq!(got.imports["b.ts"].1, vec![("x".to_string(), false, 1, 8)]);
        // written back, sorted: the same bytes as a cache built entry by entry
        let mut built = ScanCache { version: VERSION, ..ScanCache::default() };
        built.imports = got.imports.clone();
        assert_eq!(got.to_bytes(), built.to_bytes());
        // an mtime past a u64's nanoseconds (the year 2554): not this cache
        let past = packed(r#"{"version":4,"imports":{"a.ts":[[1,18446744073709551616,3],[]]}}"#);
        assert_eq!(ScanCache::load_bytes(&p, &past), ScanCache::default());
    }
}
