//! Reading inputs safely: regular files only (never a FIFO, a device or `/dev/zero`), and never more than a bound.

use camino::Utf8Path;
use std::io::{self, Read};

/// Opens `path` for reading when it is (or links to) a regular file; a FIFO never blocks the open.
pub fn open_regular(path: &Utf8Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000;
        o.custom_flags(O_NONBLOCK);
    }
    let f = o.open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{path} is not a regular file")));
    }
    Ok(f)
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

/// `read_regular` as UTF-8 text.
pub fn read_regular_text(path: &Utf8Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{path} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
