//! Reading inputs safely: regular files only (never a FIFO, a device or `/dev/zero`), and never more than a bound.

use camino::{Utf8Path, Utf8PathBuf};
use std::io::{self, Read};

/// Opens `path` for reading when it is (or links to) a regular file; a FIFO never blocks the open.
pub fn open_regular(path: &Utf8Path) -> io::Result<std::fs::File> {
    open_regular_meta(path).map(|(f, _)| f)
}

/// [`open_regular`] and the file's metadata, from the one `fstat` the check makes (a cold gen of 20,000 sources
/// asked for it three times per source).
pub fn open_regular_meta(path: &Utf8Path) -> io::Result<(std::fs::File, std::fs::Metadata)> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000;
        o.custom_flags(O_NONBLOCK);
    }
    regular(path, o.open(path)?)
}

/// `f`, opened from `path`, with its metadata when it is a regular file.
fn regular(path: &Utf8Path, f: std::fs::File) -> io::Result<(std::fs::File, std::fs::Metadata)> {
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{path} is not a regular file")));
    }
    Ok((f, meta))
}

/// Opens many files of few folders: [`open_regular_meta`] with the last folder held open, each file opened by its
/// name in it (`openat`). A cold gen opens every source; the kernel's walk of each whole path was a tenth of its
/// CPU time at 21,001 sources in 1,000 folders.
#[derive(Debug, Default)]
pub struct Folder {
    path: String,
    fd: Option<std::os::fd::OwnedFd>,
}

impl Folder {
    /// [`open_regular_meta`] of `path`; the same errors (a folder that cannot be opened: the file is opened by its
    /// whole path).
    #[cfg(target_os = "linux")]
    pub fn open_regular_meta(&mut self, path: &Utf8Path) -> io::Result<(std::fs::File, std::fs::Metadata)> {
        use std::os::fd::FromRawFd;
        let Some((dirfd, name)) = self.name_in_held(path) else { return open_regular_meta(path) };
        // SAFETY: a NUL-terminated name in a folder this value holds open; the descriptor is owned from here on
        let fd = unsafe { libc::openat(dirfd, name.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        regular(path, unsafe { std::fs::File::from_raw_fd(fd) })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn open_regular_meta(&mut self, path: &Utf8Path) -> io::Result<(std::fs::File, std::fs::Metadata)> {
        open_regular_meta(path)
    }

    /// The folder of `path` (absolute), held open (`O_PATH`) unless it already is, and `path`'s name in it; `None`
    /// when the folder cannot be opened (then the file is asked for by its whole path).
    #[cfg(target_os = "linux")]
    fn name_in_held(&mut self, path: &Utf8Path) -> Option<(std::os::fd::RawFd, std::ffi::CString)> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let (dir, name) = (path.parent().filter(|d| d.is_absolute())?, path.file_name()?);
        if self.path != dir.as_str() || self.fd.is_none() {
            self.path = dir.as_str().to_owned();
            self.fd = std::ffi::CString::new(dir.as_str()).ok().and_then(|c| {
                // SAFETY: a NUL-terminated path; the descriptor is owned from here on
                let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) };
                (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
            });
        }
        Some((self.fd.as_ref()?.as_raw_fd(), std::ffi::CString::new(name).ok()?))
    }

    /// `stat` of `path` (links followed) by its name in its folder, held open: what a warm gen asks of every source
    /// (the kernel's walk of each whole path was 14% of its samples at 21,001 sources). `None` when the folder
    /// cannot be held (then ask by the whole path) or the call fails.
    #[cfg(target_os = "linux")]
    pub fn stat(&mut self, path: &Utf8Path) -> Option<libc::stat> {
        let (dirfd, name) = self.name_in_held(path)?;
        // SAFETY: a zeroed plain-data struct the call fills; a NUL-terminated name in a folder held open
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        (unsafe { libc::fstatat(dirfd, name.as_ptr(), &mut st, 0) } == 0).then_some(st)
    }
}

/// For the tests of a held folder: `a/x.c` and `b/x.c`, a FIFO `a/fifo`, a link `a/link.c` to `b/x.c`.
#[cfg(test)]
pub fn two_folders() -> (tempfile::TempDir, camino::Utf8PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = camino::Utf8PathBuf::try_from(t.path().to_path_buf()).unwrap();
    for d in ["a", "b"] {
        std::fs::create_dir(root.join(d)).unwrap();
        std::fs::write(root.join(d).join("x.c"), format!("in {d}")).unwrap();
    }
    assert!(std::process::Command::new("mkfifo").arg(root.join("a/fifo")).status().unwrap().success());
    std::os::unix::fs::symlink(root.join("b/x.c"), root.join("a/link.c")).unwrap();
    (t, root)
}

/// The whole of a regular file of at most `limit` bytes.
pub fn read_regular(path: &Utf8Path, limit: u64) -> io::Result<Vec<u8>> {
    let f = open_regular(path)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path} is {len} bytes, more than the {limit} this tool reads"),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` bounds a file that grows while it is read
    f.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether the regular file at `path` holds exactly `bytes`, read in 64 KiB pieces (a gen compared its 11 MB
/// compile database by reading the old one whole, beside the new one).
pub fn holds(path: &Utf8Path, bytes: &[u8]) -> bool {
    let Ok(f) = open_regular(path) else { return false };
    f.metadata().is_ok_and(|m| m.len() == bytes.len() as u64) && same_stream(f, bytes)
}

/// Whether two regular files hold the same bytes, compared in 64 KiB pieces; false when either cannot be read.
pub fn same_contents(a: &Utf8Path, b: &Utf8Path) -> bool {
    let (Ok(fa), Ok(fb)) = (open_regular(a), open_regular(b)) else { return false };
    let len = |f: &std::fs::File| f.metadata().map(|m| m.len()).ok();
    len(&fa).is_some() && len(&fa) == len(&fb) && same_stream(fa, fb)
}

/// Whether `a` and `b` yield the same bytes to their ends.
fn same_stream(mut a: impl Read, mut b: impl Read) -> bool {
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = match a.read(&mut ba) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if n == 0 {
            // `a` ended: so must `b`
            return matches!(b.read(&mut bb[..1]), Ok(0));
        }
        if b.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Whether `path` is a regular file (or a link to one) some user may execute.
pub fn is_executable(path: &Utf8Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether `program` can run: itself when it names a path, else from a `PATH` folder.
pub fn runnable(program: &str) -> bool {
    if program.contains('/') {
        return is_executable(Utf8Path::new(program));
    }
    on_path(program).is_some()
}

/// Where `program` is on `PATH`: the first folder holding it as an executable file.
pub fn on_path(program: &str) -> Option<Utf8PathBuf> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Utf8Path::new(d).join(program))
        .find(|p| is_executable(p))
}

/// `f` run on a fresh folder of its own under the system's temporary folder (`ninjabind-<name>-<pid>-<ns>`), which
/// is removed afterwards: for a probe that must compile or link something real.
pub fn in_scratch_dir<T>(name: &str, f: impl FnOnce(&Utf8Path) -> T) -> io::Result<T> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("ninjabind-{name}-{}-{stamp}", std::process::id()));
    let dir = Utf8PathBuf::from_path_buf(dir).map_err(|d| io::Error::other(format!("{} is not UTF-8", d.display())))?;
    std::fs::create_dir_all(&dir)?;
    let result = f(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(result)
}

/// `read_regular` as UTF-8 text.
pub fn read_regular_text(path: &Utf8Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{path} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_contents_compares_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| camino::Utf8PathBuf::try_from(dir.path().join(n)).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut other = big.clone();
        other[199_999] ^= 1;
        std::fs::write(p("a"), &big).unwrap();
        std::fs::write(p("b"), &big).unwrap();
        std::fs::write(p("c"), &other).unwrap();
        std::fs::write(p("d"), &big[..100]).unwrap();
        assert!(same_contents(&p("a"), &p("b")));
        assert!(!same_contents(&p("a"), &p("c")));
        assert!(!same_contents(&p("a"), &p("d")));
        assert!(!same_contents(&p("a"), &p("missing")));
    }

    #[test]
    fn holds_compares_whole_contents() {
        let dir = tempfile::tempdir().unwrap();
        let p = camino::Utf8PathBuf::try_from(dir.path().join("f")).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &big).unwrap();
        assert!(holds(&p, &big));
        let mut other = big.clone();
        other[150_000] ^= 1;
        assert!(!holds(&p, &other));
        assert!(!holds(&p, &big[..199_999]));
        assert!(!holds(Utf8Path::new("/nonexistent/x"), b""));
    }

    #[test]
    fn devices_and_folders_are_refused_and_limits_hold() {
        assert!(read_regular(Utf8Path::new("/dev/zero"), 1 << 20).is_err());
        assert!(read_regular(Utf8Path::new("/"), 1 << 20).is_err());
        let t = tempfile::tempdir().unwrap();
        let p = camino::Utf8PathBuf::try_from(t.path().join("f")).unwrap();
        std::fs::write(&p, "abcdef").unwrap();
        assert_eq!(read_regular(&p, 6).unwrap(), b"abcdef");
        assert!(read_regular(&p, 5).is_err());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let p = camino::Utf8PathBuf::try_from(t.path().join("fifo")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(&p).status().unwrap().success());
        assert!(read_regular(&p, 1 << 20).is_err());
    }

    /// Files opened through a held folder: the same bytes, metadata and errors as by their whole paths, across
    /// folders, a missing file, a missing folder, a folder, a FIFO (without blocking) and a link to a file.
    #[test]
    fn a_held_folder_opens_what_a_whole_path_opens() {
        let (_t, root) = two_folders();
        let mut folder = Folder::default();
        for name in ["a/x.c", "a/link.c", "b/x.c", "a/x.c", "a/missing.c", "gone/x.c", "a", "a/fifo"] {
            let p = root.join(name);
            let held = folder.open_regular_meta(&p);
            let whole = open_regular_meta(&p);
            match (held, whole) {
                (Ok((mut f, m)), Ok((mut g, n))) => {
                    let (mut a, mut b) = (String::new(), String::new());
                    f.read_to_string(&mut a).unwrap();
                    g.read_to_string(&mut b).unwrap();
                    use std::os::unix::fs::MetadataExt;
                    assert_eq!((a, m.len(), m.ino()), (b, n.len(), n.ino()), "{name}");
                }
                (Err(e), Err(f)) => assert_eq!((e.kind(), e.to_string()), (f.kind(), f.to_string()), "{name}"),
                (held, whole) => panic!("{name}: {:?} vs {:?}", held.map(|_| ()), whole.map(|_| ())),
            }
        }
        assert_eq!(folder.path, root.join("a").as_str(), "the last folder is held");
    }
}
