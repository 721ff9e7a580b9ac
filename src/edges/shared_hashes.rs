//! `.ninjabind_hashes` beside ninja's `.ninja_log`: content hashes of large files, shared by every gate of a build
//! folder, so a 20 MB archive is hashed once per change — not by its cargo edge, then its symbol check, then the link.
//!
//! One line per hash, `<size> <mtime ns> <inode> <sha256> <path>`, appended with one `write` (O_APPEND: concurrent
//! gates do not interleave a short line). A line is trusted only while the file's size, mtime and inode are the ones
//! it names — the trust the gate's own records place in the same three (docs/CI.md). Only files of at least
//! `SHARED_FROM` bytes are shared: a small file hashes faster than the log can be read. The log is a cache: a line
//! that does not parse is skipped, and past `COMPACT_ABOVE` bytes the next gate rewrites it with one line per path.

use crate::base::files;
use crate::base::hash::{hash_file, stat, Stat};
use crate::base::write;
use crate::protocol::runlog;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::HashMap;
use std::io::Write;

pub const FILE: &str = ".ninjabind_hashes";

/// Files below this size are hashed by each gate itself.
pub const SHARED_FROM: u64 = 64 * 1024;

/// Past this size the log is rewritten with the last line of each path.
const COMPACT_ABOVE: u64 = 1 << 20;

/// The shared hashes one gate sees: read on first use.
pub struct SharedHashes {
    /// `None` outside a ninja build: nothing is shared.
    path: Option<Utf8PathBuf>,
    known: Option<HashMap<String, (Stat, String)>>,
}

impl SharedHashes {
    /// The log of the build folder `output` is in (ninja's `builddir`, found by its `.ninja_log`).
    pub fn for_output(output: &str) -> SharedHashes {
        SharedHashes { path: runlog::beside_ninja_log(output, FILE), known: None }
    }

    fn known(&mut self, path: &Utf8Path) -> &HashMap<String, (Stat, String)> {
        self.known.get_or_insert_with(|| {
            let text = files::read_regular(path, 64 << 20).unwrap_or_default();
            let known: HashMap<String, (Stat, String)> =
                String::from_utf8_lossy(&text).split('\n').filter_map(parse_line).collect();
            if text.len() as u64 > COMPACT_ABOVE {
                let mut lines: Vec<String> = known.iter().map(|(p, (st, h))| line(p, st, h)).collect();
                lines.sort_unstable();
                let _ = write::write_cache(path, lines.concat().as_bytes());
            }
            known
        })
    }

    /// The hash of `path`, whose stat is `st`: from the log when it names the same three, else computed (and, for
    /// a large file, appended to the log).
    pub fn hash(&mut self, path: &Utf8Path, st: &Stat) -> std::io::Result<String> {
        let Some(log) = self.path.as_ref().filter(|_| st.size >= SHARED_FROM).cloned() else {
            return hash_file(path);
        };
        if let Some((_, h)) = self.known(&log).get(path.as_str()).filter(|(known, _)| known == st) {
            return Ok(h.clone());
        }
        let h = hash_file(path)?;
        // the file may have changed while it was read: only a stat that still holds is vouched for
        if stat(path).as_ref() == Some(st) {
            self.vouch(path, st, &h);
        }
        Ok(h)
    }

    /// Records that `path`, whose stat is `st`, holds content `hash` — known without reading it again (a blob the
    /// shared cache handed over, checked against its hash before it was written). A small file is not recorded.
    pub fn vouch(&mut self, path: &Utf8Path, st: &Stat, hash: &str) {
        let Some(log) = self.path.as_ref().filter(|_| st.size >= SHARED_FROM) else { return };
        if let Ok(mut f) = std::fs::File::options().create(true).append(true).open(log) {
            let _ = f.write_all(line(path.as_str(), st, hash).as_bytes());
        }
        if let Some(k) = self.known.as_mut() {
            k.insert(path.to_string(), (*st, hash.to_string()));
        }
    }
}

fn line(path: &str, st: &Stat, hash: &str) -> String {
    format!("{} {} {} {hash} {path}\n", st.size, st.mtime_ns, st.inode)
}

fn parse_line(l: &str) -> Option<(String, (Stat, String))> {
    let f: Vec<&str> = l.splitn(5, ' ').collect();
    if f.len() != 5 || f[3].len() != 64 || !f[3].bytes().all(|b| b.is_ascii_hexdigit()) || f[4].is_empty() {
        return None;
    }
    let st = Stat { size: f[0].parse().ok()?, mtime_ns: f[1].parse().ok()?, inode: f[2].parse().ok()? };
    Some((f[4].to_string(), (st, f[3].to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_is_hashed_once_and_a_changed_one_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        std::fs::write(d.join(".ninja_log"), "# ninja log v6\n").unwrap();
        let big = d.join("lib.a");
        std::fs::write(&big, vec![7u8; 100_000]).unwrap();
        let st = super::stat(&big).unwrap();
        let out = d.join("out.o");
        let mut one = SharedHashes::for_output(out.as_str());
        let h = one.hash(&big, &st).unwrap();
        assert_eq!(h, super::hash_file(&big).unwrap());
        let log = std::fs::read_to_string(d.join(FILE)).unwrap();
        assert_eq!(log.lines().count(), 1, "{log}");
        // a second gate finds it: the same hash, no new line
        let mut two = SharedHashes::for_output(out.as_str());
        assert_eq!(two.hash(&big, &st).unwrap(), h);
        assert_eq!(std::fs::read_to_string(d.join(FILE)).unwrap(), log);
        // a line naming other stats is not trusted: a rewritten file is hashed again
        std::fs::write(&big, vec![8u8; 100_001]).unwrap();
        let st2 = super::stat(&big).unwrap();
        let mut three = SharedHashes::for_output(out.as_str());
        assert_ne!(three.hash(&big, &st2).unwrap(), h);
        assert_eq!(std::fs::read_to_string(d.join(FILE)).unwrap().lines().count(), 2);
        // garbage lines are skipped
        assert!(parse_line("1 2 3 nothex x").is_none() && parse_line("").is_none());
    }

    /// A vouched hash is taken without reading the file (a hash the file does not have proves it), by this gate and
    /// by the next; a small file is not vouched for.
    #[test]
    fn a_vouched_hash_is_believed_while_the_stat_holds() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        std::fs::write(d.join(".ninja_log"), "# ninja log v6\n").unwrap();
        let (big, small) = (d.join("lib.a"), d.join("small.o"));
        std::fs::write(&big, vec![7u8; 100_000]).unwrap();
        std::fs::write(&small, b"tiny").unwrap();
        let said = "cd".repeat(32);
        let mut one = SharedHashes::for_output(d.join("x.o").as_str());
        for f in [&big, &small] {
            one.vouch(f, &super::stat(f).unwrap(), &said);
        }
        assert_eq!(one.hash(&big, &super::stat(&big).unwrap()).unwrap(), said);
        let mut two = SharedHashes::for_output(d.join("x.o").as_str());
        assert_eq!(two.hash(&big, &super::stat(&big).unwrap()).unwrap(), said);
        assert_eq!(two.hash(&small, &super::stat(&small).unwrap()).unwrap(), super::hash_file(&small).unwrap());
    }

    #[test]
    fn a_log_past_its_limit_is_rewritten_with_one_line_per_path() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        std::fs::write(d.join(".ninja_log"), "# ninja log v6\n").unwrap();
        let hash = "ab".repeat(32);
        // 20,000 lines for two paths, older stats first: over 1 MiB
        let mut log = String::new();
        for i in 0..10_000u64 {
            log.push_str(&line("a.a", &Stat { size: 70_000, mtime_ns: i as u128, inode: 1 }, &hash));
            log.push_str(&line("b.a", &Stat { size: 70_000, mtime_ns: i as u128, inode: 2 }, &hash));
        }
        assert!(log.len() as u64 > COMPACT_ABOVE);
        std::fs::write(d.join(FILE), &log).unwrap();
        let mut s = SharedHashes::for_output(d.join("x.o").as_str());
        let known = s.known(&d.join(FILE)).clone();
        assert_eq!(known.len(), 2);
        assert_eq!(known["a.a"].0.mtime_ns, 9_999, "the last line of a path wins");
        let rewritten = std::fs::read_to_string(d.join(FILE)).unwrap();
        assert_eq!(rewritten.lines().count(), 2, "{rewritten}");
    }
}
