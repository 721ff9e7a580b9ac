//! A file's stat (size, mtime, inode) and its sha256, and hex digits: what the gate and the shared hash cache compare.

use crate::base::files::{open_regular, Folder};
use camino::Utf8Path;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::time::UNIX_EPOCH;

/// A map for gen's per-source loops (paths, pointers): foldhash, not SipHash, which was 5% of a cold gen's
/// instructions at 21,000 sources. Keys come from the project, not from an attacker; nothing iterates these in order.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
/// The set of [`FastMap`].
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: u128,
    pub inode: u64,
}

/// A file's size, mtime and inode; `None` for anything but a regular file (or a link to one), which is never trusted.
pub fn stat(path: &Utf8Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    stat_of(&m)
}

/// [`stat`] of `path` by its name in its folder, which `folder` holds open (sources come folder by folder); by the
/// whole path when that cannot be (no folder, another system, a failed call: a missing file is asked twice).
pub fn stat_in(folder: &mut Folder, path: &Utf8Path) -> Option<Stat> {
    #[cfg(target_os = "linux")]
    if let Some(st) = folder.stat(path) {
        // what `stat_of` takes of `Metadata`: a regular file (links followed), its mtime from the epoch on
        if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_mtime < 0 {
            return None;
        }
        let mtime_ns = st.st_mtime as u128 * 1_000_000_000 + st.st_mtime_nsec as u128;
        return Some(Stat { size: st.st_size as u64, mtime_ns, inode: st.st_ino });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = folder;
    stat(path)
}

/// [`stat`] of metadata already in hand (an open file's).
pub fn stat_of(m: &std::fs::Metadata) -> Option<Stat> {
    let mtime_ns = m.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(m);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stat { size: m.len(), mtime_ns, inode })
}

/// The sha256 of a regular file, streamed; a FIFO or a device is an error, never a hang.
pub fn hash_file(path: &Utf8Path) -> std::io::Result<String> {
    let mut f = open_regular(path)?;
    if f.metadata()?.len() >= PIPELINED_FROM {
        return copy_hashed(&mut f, None);
    }
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Files from this size are read on one thread while the last chunk is hashed on another.
const PIPELINED_FROM: u64 = 4 << 20;

/// Copies `r` into `w` (when there is one) and returns the sha256 of what passed, hashing each 1 MiB chunk on a
/// second thread while the next is read and written: the copy of a 125 MB archive was a fifth of its fetch, spent
/// with the other core idle.
pub fn copy_hashed(r: &mut dyn Read, mut w: Option<&mut dyn Write>) -> std::io::Result<String> {
    const CHUNK: usize = 1 << 20;
    let (to_hash, hashing) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(2);
    let (to_fill, free) = std::sync::mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        let _ = to_fill.send(vec![0u8; CHUNK]);
    }
    let gone = || std::io::Error::other("the hashing thread stopped");
    std::thread::scope(|s| {
        let hasher = s.spawn(move || {
            let mut h = Sha256::new();
            for (buf, n) in hashing {
                h.update(&buf[..n]);
                let _ = to_fill.send(buf);
            }
            hex(&h.finalize())
        });
        let copied = (|| loop {
            let mut buf = free.recv().map_err(|_| gone())?;
            // a whole piece before it is handed on: a socket gives 64 KiB or less a read, and a piece per read made
            // the two threads meet 3,700 times over a 238 MB fetch
            let mut n = 0;
            while n < buf.len() {
                match r.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if n == 0 {
                return Ok(());
            }
            if let Some(w) = w.as_mut() {
                w.write_all(&buf[..n])?;
            }
            to_hash.send((buf, n)).map_err(|_| gone())?;
        })();
        drop(to_hash);
        let hash = hasher.join().map_err(|_| gone())?;
        copied.map(|()| hash)
    })
}

pub fn hex(bytes: &[u8]) -> String {
    let mut digits = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut digits);
    // hex digits are ASCII
    String::from_utf8(digits).unwrap_or_default()
}

/// `bytes` as lowercase hex digits, two per byte, into the start of `out` (at least twice as long).
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[(b >> 4) as usize];
        pair[1] = DIGITS[(b & 15) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::files::two_folders;

    /// A stat by the name in a held folder gives what one by the whole path gives: files in two folders and back, a
    /// link to a file, a folder, a FIFO, a missing file, a missing folder, a file dated before 1970.
    #[test]
    fn a_stat_in_a_held_folder_is_the_stat_of_the_whole_path() {
        let (_t, root) = two_folders();
        std::fs::write(root.join("a/old.c"), "old").unwrap();
        assert!(std::process::Command::new("touch")
            .args(["-d", "1960-01-01 00:00:00.5"])
            .arg(root.join("a/old.c"))
            .status()
            .unwrap()
            .success());
        let mut folder = Folder::default();
        let mut seen = 0;
        for name in ["a/x.c", "a/link.c", "b/x.c", "a/x.c", "a/missing.c", "gone/x.c", "a", "a/fifo", "a/old.c"] {
            let p = root.join(name);
            let (held, whole) = (stat_in(&mut folder, &p), stat(&p));
            assert_eq!(held, whole, "{name}");
            seen += usize::from(held.is_some());
        }
        assert_eq!(seen, 4, "the regular files and the link to one");
    }

    /// The pipelined copy gives the sha256 and the bytes a plain read gives, for a reader that hands out odd-sized
    /// pieces, an empty one, and a file past the size where `hash_file` pipelines.
    #[test]
    fn a_pipelined_copy_hashes_and_copies_what_it_reads() {
        struct Pieces<'a>(&'a [u8], usize);
        impl Read for Pieces<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for (bytes, piece) in [(&data[..], 70_001), (&data[..], 1 << 20), (&data[..0], 10)] {
            let mut copy = Vec::new();
            let h = copy_hashed(&mut Pieces(bytes, piece), Some(&mut copy)).unwrap();
            assert_eq!(h, hex(&Sha256::digest(bytes)));
            assert_eq!(copy, bytes);
        }
        let (_t, root) = two_folders();
        let big = root.join("a/big.bin");
        std::fs::write(&big, data.repeat(2)).unwrap();
        assert!(std::fs::metadata(&big).unwrap().len() >= PIPELINED_FROM);
        assert_eq!(hash_file(&big).unwrap(), hex(&Sha256::digest(data.repeat(2))));
    }
}
