//! A file's stat (size, mtime, inode) and its sha256, and hex digits: what the gate and the shared hash cache compare.

use crate::base::files::open_regular;
use camino::Utf8Path;
use sha2::{Digest, Sha256};
use std::io::Read;
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

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}
