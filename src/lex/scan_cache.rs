//! `O/scan.cache`: what the last scan read from each source (its imports, its HAVE_* guard), by the file's size,
//! mtime and inode — shared by gen and the scan edge, so either reads only the files that changed since. The file is
//! the JSON of [`ScanCache`] in one zstd frame.

use crate::base::files;
use crate::base::hash;
use crate::model::Import;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::BTreeMap;

/// The file's name in the outputs root.
pub const FILE: &str = "scan.cache";

/// Bumped whenever what the cache holds changes meaning; a cache of another version is not read. (3: the JSON is
/// zstd-compressed; version 2 was the same JSON, plain.)
const VERSION: u32 = 3;

/// zstd's fastest level: the JSON of 21,000 sources' guards (1.5 MB, 2.1 MB when the project's path is 25 bytes
/// longer) packs to about a sixth of it (0.23 MB) in a few milliseconds, and what gen holds from select to its last
/// write shrinks with it.
const LEVEL: i32 = 1;

/// The largest cache read back: 256 MiB of JSON (a foreign file that claims more is not this cache).
const LIMIT: u64 = 256 << 20;

/// A file's size, mtime (ns since 1970: a u64 reaches 2554) and inode when it was read: the trust ninja and the gate
/// place in the same three (docs/CI.md).
pub type Stamp = (u64, u64, u64);

/// A source looked at ahead, on another thread: its stamp and what it gave.
type Ahead = (Option<Stamp>, std::io::Result<Guard>);

/// What a worker found of a source's guard.
#[derive(Debug)]
enum Guard {
    /// Its stamp is the cache's: the cache's answer stands (a stat, no read).
    Cached,
    /// It was read: the macros its guard requires.
    Read(Vec<String>),
}

/// A source handed to a worker, with its stamp in the cache when the cache knows it.
type Job = (Utf8PathBuf, Option<Stamp>);

/// An import as the scanner found it: specifier, type-only, line, column.
type Found = (String, bool, usize, usize);

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanCache {
    version: u32,
    /// path → its stamp and its imports
    #[serde(deserialize_with = "sorted_map")]
    imports: BTreeMap<String, (Stamp, Vec<Found>)>,
    /// path → its stamp and the HAVE_* macros its guard requires
    #[serde(deserialize_with = "sorted_map")]
    gates: BTreeMap<String, (Stamp, Vec<String>)>,
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

/// How many threads read guards: the machine's cores, up to 8.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

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

/// Reads a source's HAVE_* guard, returning the metadata of the file it opened (its stamp).
pub type GuardRead = fn(&mut files::Folder, &Utf8Path) -> std::io::Result<(std::fs::Metadata, Vec<String>)>;

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
    /// Guards looked at ahead on several threads (read, or their stamp found unchanged): path → its stamp and what
    /// was found.
    /// (Keyed by the path's text: a `Path` key hashes component by component.)
    ahead: hash::FastMap<String, Ahead>,
    /// Workers reading the guards of each package's sources while the stages before select still run.
    early: Option<Early>,
    /// The folder of the last source stamped here, held open (the cache's answers cost a `stat` each).
    folder: files::Folder,
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
            early: None,
            folder: files::Folder::default(),
            read: 0,
            reused: 0,
        }
    }

    /// Whether `next` differs from what was loaded: a file was read, or one the last run saw is gone.
    fn changed(&self) -> bool {
        self.read > 0 || !self.old.imports.is_empty() || !self.old.gates.is_empty()
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

    /// Starts `threads - 1` workers (none on one core) that read the guards of the sources [`ScanMemo::read_soon`]
    /// hands them while this thread goes on loading manifests; [`ScanMemo::read_gates_ahead`] takes what they found.
    pub fn start_reading(&mut self, threads: usize, read: GuardRead) {
        if threads < 2 {
            return;
        }
        let shared = std::sync::Arc::new(Shared::default());
        let workers = (1..threads)
            .map(|_| {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let mut found = Vec::new();
                    while let Some(batch) = shared.next(true) {
                        found.extend(read_all(&batch, read));
                    }
                    found
                })
            })
            .collect();
        self.early = Some(Early { shared, workers, read });
    }

    /// Hands the early workers a package's sources: those the cache knows with their stamp in it (a stat tells
    /// whether its answer stands), the others to be read; nothing when no workers were started.
    pub fn read_soon<'p>(&self, sources: impl IntoIterator<Item = &'p Utf8Path>) {
        let Some(early) = &self.early else { return };
        let batch: Vec<Job> = sources.into_iter().map(|p| self.job(p)).collect();
        if !batch.is_empty() {
            early.shared.push(batch);
        }
    }

    /// Collects what the early workers read: this thread reads the batches they have not started, then waits for
    /// them. A worker that panicked leaves its sources to be read one by one.
    fn finish_early(&mut self) {
        let Some(mut early) = self.early.take() else { return };
        early.shared.close();
        let mut found = Vec::new();
        while let Some(batch) = early.shared.next(false) {
            found.extend(read_all(&batch, early.read));
        }
        for w in std::mem::take(&mut early.workers) {
            found.extend(w.join().unwrap_or_default());
        }
        self.ahead.extend(found);
    }

    /// A source as a worker gets it: with its stamp in the cache, when the cache knows it.
    fn job(&self, p: &Utf8Path) -> Job {
        (p.to_owned(), self.old.gates.get(p.as_str()).map(|(st, _)| *st))
    }

    /// Looks at the guards of the `sources` the early workers did not, on up to `threads` threads: those the cache
    /// knows are a stat each, the others are read (a cold gen of 20,000 sources spent a sixth of its time reading
    /// them one after another, a warm one a fifth stating them); `gates` then takes what was found.
    pub fn read_gates_ahead(&mut self, sources: &[&Utf8Path], threads: usize, read: GuardRead) {
        // a slot for every source at once (grown by doubling, its rehashes were a tenth of select's main thread)
        self.ahead.reserve(sources.len());
        self.finish_early();
        let sources: Vec<Job> =
            sources.iter().filter(|p| !self.ahead.contains_key(p.as_str())).map(|p| self.job(p)).collect();
        if sources.len() < 64 {
            return;
        }
        let chunk = sources.len().div_ceil(threads.max(1)).max(1);
        let work = move |part: &[Job]| read_all(part, read);
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
        let (st, macros) = match self.ahead.remove(source.as_str()) {
            Some((st, result)) => {
                if self.ahead.is_empty() {
                    // the last one looked at ahead: its table goes (a slot per source, 1 MB at 20,000 sources)
                    self.ahead = Default::default();
                }
                // out of `old` either way: a stale answer must not serve a second listing (that finds it in `next`)
                let was = self.old.gates.remove(source.as_str());
                match (result?, was) {
                    (Guard::Cached, Some((_, macros))) => {
                        self.reused += 1;
                        (st, macros)
                    }
                    (Guard::Read(macros), _) => {
                        self.read += 1;
                        (st, macros)
                    }
                    // the worker saw its stamp in the cache, so the cache has it; were it gone, it is read
                    (Guard::Cached, None) => {
                        self.read += 1;
                        (st, read()?)
                    }
                }
            }
            None => {
                let st = hash::stat_in(&mut self.folder, source).and_then(stamp_of);
                // a source listed twice (two packages sharing it) was moved to `next` the first time
                let cached =
                    self.old.gates.remove(source.as_str()).or_else(|| self.next.gates.get(source.as_str()).cloned());
                let macros = match (st, cached) {
                    (Some(st), Some((was, macros))) if st == was => {
                        self.reused += 1;
                        macros
                    }
                    _ => {
                        self.read += 1;
                        read()?
                    }
                };
                (st, macros)
            }
        };
        Ok(self.remember(source, st, macros))
    }

    /// What the next cache keeps of a source's guard (nothing without a stamp: it could not be stated).
    fn remember(&mut self, source: &Utf8Path, st: Option<Stamp>, macros: Vec<String>) -> Vec<String> {
        if let Some(st) = st {
            self.next.gates.insert(source.to_string(), (st, macros.clone()));
        }
        macros
    }
}

/// Looks at the guards of `part`: a source whose stamp is the cache's is a stat; any other is read, with the stamp of
/// the file it opened (no stat of its own: one open and one fstat). Sources come folder by folder: each is stated or
/// opened by its name in the folder held open.
fn read_all(part: &[Job], read: GuardRead) -> Vec<(String, Ahead)> {
    let mut folder = files::Folder::default();
    let mut one = |p: &Utf8Path, known: Option<Stamp>| {
        if let Some(was) = known {
            let st = hash::stat_in(&mut folder, p).and_then(stamp_of);
            if st == Some(was) {
                return (st, Ok(Guard::Cached));
            }
        }
        match read(&mut folder, p) {
            Ok((meta, macros)) => (hash::stat_of(&meta).and_then(stamp_of), Ok(Guard::Read(macros))),
            Err(e) => (None, Err(e)),
        }
    };
    part.iter().map(|(p, known)| (p.to_string(), one(p, *known))).collect()
}

/// The early workers and what they share.
#[derive(Debug)]
struct Early {
    shared: std::sync::Arc<Shared>,
    workers: Vec<std::thread::JoinHandle<Vec<(String, Ahead)>>>,
    read: GuardRead,
}

/// A run that ends before select (an error in a manifest) lets its workers go: they finish their batch and return.
impl Drop for Early {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// The batches of sources not yet read, and whether more may come.
#[derive(Debug, Default)]
struct Shared {
    queue: std::sync::Mutex<(std::collections::VecDeque<Vec<Job>>, bool)>,
    ready: std::sync::Condvar,
}

impl Shared {
    fn push(&self, batch: Vec<Job>) {
        let Ok(mut q) = self.queue.lock() else { return };
        q.0.push_back(batch);
        self.ready.notify_one();
    }

    /// No more batches will come: waiting workers return once the queue is empty.
    fn close(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.1 = true;
        }
        self.ready.notify_all();
    }

    /// The next batch; `wait`: until one comes or the queue is closed, else `None` when it is empty now.
    fn next(&self, wait: bool) -> Option<Vec<Job>> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if let Some(b) = q.0.pop_front() {
                return Some(b);
            }
            if q.1 || !wait {
                return None;
            }
            q = self.ready.wait(q).ok()?;
        }
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
        let whole = packed(r#"{"version":3,"imports":{},"gates":{"a.c":[[1,2,3],["HAVE_A"]]}}"#);
        assert_eq!(ScanCache::load_bytes(&p, &whole).gates.len(), 1, "the whole cache is not read");
        for text in ["", "{", "not json", r#"{"version":2,"imports":{},"gates":{}}"#, "[1,2]"] {
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
        let mut plain = zstd::bulk::compress(br#"{"version":3,"imports":{},"gates":{}}"#, LEVEL).unwrap();
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

    /// The tables are read as serde reads a map (entries in any order; a repeated key: its last entry), and a stamp
    /// past what the cache holds makes the whole cache foreign.
    #[test]
    fn a_cache_read_back_is_the_map_it_lists() {
        let dir = tempfile::tempdir().unwrap();
        let p = Utf8PathBuf::try_from(dir.path().join("scan.cache")).unwrap();
        let text = r#"{"version":3,"imports":{"b.ts":[[1,2,3],[["x",false,1,8]]],"a.ts":[[4,5,6],[]]},
            "gates":{"z.c":[[1,2,3],["HAVE_Z"]],"m.c":[[1,1,1],[]],"a.c":[[7,8,9],["HAVE_A"]],"m.c":[[2,2,2],["HAVE_M"]]}}"#;
        let got = ScanCache::load_bytes(&p, &packed(text));
        let mut gates = BTreeMap::new();
        gates.insert("a.c".to_string(), ((7, 8, 9), vec!["HAVE_A".to_string()]));
        gates.insert("m.c".to_string(), ((2, 2, 2), vec!["HAVE_M".to_string()]));
        gates.insert("z.c".to_string(), ((1, 2, 3), vec!["HAVE_Z".to_string()]));
        assert_eq!(got.gates, gates);
        assert_eq!(got.imports.keys().collect::<Vec<_>>(), ["a.ts", "b.ts"]);
        assert_eq!(got.imports["b.ts"].1, vec![("x".to_string(), false, 1, 8)]);
        // written back, sorted: the same bytes as a cache built entry by entry
        let mut built = ScanCache { version: VERSION, ..ScanCache::default() };
        built.gates = gates;
        built.imports = got.imports.clone();
        assert_eq!(got.to_bytes(), built.to_bytes());
        // an mtime past a u64's nanoseconds (the year 2554): not this cache
        let past = packed(r#"{"version":3,"imports":{},"gates":{"a.c":[[1,18446744073709551616,3],[]]}}"#);
        assert_eq!(ScanCache::load_bytes(&p, &past), ScanCache::default());
    }

    /// Guards read early (20 while "resolve" runs, the other 80 read ahead at select, one file missing) give what
    /// reading each at select gives; the cache's files are left to it; a memo dropped mid-way lets its workers go.
    #[test]
    fn guards_read_early_are_the_guards_read_late() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        let paths: Vec<Utf8PathBuf> = (0..100).map(|i| root.join(format!("s{i}.c"))).collect();
        for (i, p) in paths.iter().enumerate().skip(1) {
            std::fs::write(p, format!("#ifndef HAVE_N{i}\n#error no\n#endif\nint f{i};\n")).unwrap();
        }
        let read = crate::lex::have::required_macros_with_meta;
        let late =
            |p: &Utf8Path| -> std::io::Result<Vec<String>> { read(&mut files::Folder::default(), p).map(|(_, m)| m) };
        // s1 and s2 in the cache with their stamps; s2 then rewritten (a new size: a new stamp), s50 too
        let mut known = ScanMemo::new(ScanCache::default());
        for i in [1, 2, 50] {
            known.gates(&paths[i], || late(&paths[i])).unwrap();
        }
        for i in [2, 50] {
            std::fs::write(&paths[i], format!("#ifndef HAVE_NEW{i}\n#error no\n#endif\nint f{i}, g;\n")).unwrap();
        }
        let mut memo = ScanMemo::new(known.next);
        memo.start_reading(3, read);
        memo.read_soon(paths[..10].iter().map(|p| p.as_path()));
        memo.read_soon(paths[10..20].iter().map(|p| p.as_path()));
        let all: Vec<&Utf8Path> = paths.iter().map(|p| p.as_path()).collect();
        memo.finish_early();
        assert_eq!(memo.ahead.len(), 20, "the 20 handed over, the cached ones stated");
        assert!(matches!(memo.ahead[paths[1].as_str()].1, Ok(Guard::Cached)));
        assert!(memo.early.is_none());
        memo.read_gates_ahead(&all, 2, read);
        assert_eq!(memo.ahead.len(), 100, "every source looked at ahead");
        for (i, p) in paths.iter().enumerate() {
            let got = memo.gates(p, || panic!("{p} read at select"));
            match i {
                0 => assert_eq!(got.unwrap_err().kind(), std::io::ErrorKind::NotFound),
                2 | 50 => assert_eq!(got.unwrap(), vec![format!("HAVE_NEW{i}")], "{p} changed: read again"),
                _ => assert_eq!(got.unwrap(), vec![format!("HAVE_N{i}")]),
            }
        }
        assert_eq!((memo.read, memo.reused), (98, 1));
        // the next cache holds every source's stamp and answer, the rewritten ones' new ones
        let next = memo.finish().cache.expect("files were read");
        let next: ScanCache = serde_json::from_slice(&unpack(&next).expect("one zstd frame")).unwrap();
        assert_eq!(next.gates.len(), 99);
        assert_eq!(next.gates[paths[50].as_str()], (stamp(&paths[50]).unwrap(), vec!["HAVE_NEW50".to_string()]));
        // started, handed a batch, dropped before select: the drop returns (the workers are told no more will come)
        let mut dropped = ScanMemo::new(ScanCache::default());
        dropped.start_reading(2, read);
        dropped.read_soon(all[..10].iter().copied());
        drop(dropped);
        // one core: no workers, nothing read early
        let mut single = ScanMemo::new(ScanCache::default());
        single.start_reading(1, read);
        single.read_soon(all.iter().copied());
        assert!(single.early.is_none() && single.ahead.is_empty());
    }
}
