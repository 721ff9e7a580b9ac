//! A memo of `nm` for the tools an edge runs: the Perry edge puts a link named `nm` to this program first on
//! Perry's `PATH`, and what the real `nm` printed for the same files (by content), arguments and folder is said
//! again without running it. Perry 0.5.1520 runs `nm -g` over its 173 MB of runtime archives on every compile
//! (0.7 s of a 0.8 s one-module rebuild); their content does not change between edits. ccache's masquerade: the
//! tool is found by its name, nothing about Perry is predicted, and a Perry that stops calling `nm` loses nothing.

use crate::base::files::is_executable;
use crate::base::hash::{hash_file, stat, Stat};
use crate::base::layout::current_dir;
use crate::base::write::{temp_for, write_cache};
use crate::edges::shared_hashes::SharedHashes;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};
use std::ffi::{OsStr, OsString};
use std::io::Write;

/// The memo's folder (entries, one per arguments and folder); set by [`install`] for the tool it runs.
pub const MEMO_ENV: &str = "NINJABIND_NM_MEMO";
/// The `PATH` the tool was given before the link was put first: where the real `nm` is looked up.
pub const PATH_ENV: &str = "NINJABIND_NM_PATH";

/// The first line of an entry: a newer ninjabind that changes the format reads an older entry as a miss.
const MAGIC: &[u8] = b"ninjabind-nm 1\n";

/// Makes `<dir>/bin/nm` a link to this program and returns the environment a tool runs with so that its `nm` is the
/// memo: `PATH` with `<dir>/bin` first, the memo folder and the `PATH` the real `nm` is found on.
pub fn install(dir: &Utf8Path) -> Result<Vec<(OsString, OsString)>> {
    // absolute: a relative entry on PATH would be looked up from whatever folder the tool runs its nm in
    let dir = current_dir()?.join(dir);
    let bin = dir.join("bin");
    let link = bin.join("nm");
    let exe = std::env::current_exe().context("cannot find this program to link it as nm")?;
    if std::fs::read_link(&link).ok().as_deref() != Some(exe.as_path()) {
        std::fs::create_dir_all(&bin).with_context(|| format!("cannot create {bin}"))?;
        let temp = temp_for(&link);
        let _ = std::fs::remove_file(&temp);
        std::os::unix::fs::symlink(&exe, &temp).with_context(|| format!("cannot create {temp}"))?;
        std::fs::rename(&temp, &link).with_context(|| format!("cannot create {link}"))?;
    }
    let outer = std::env::var_os("PATH").unwrap_or_default();
    let mut path = OsString::from(bin.as_str());
    if !outer.is_empty() {
        path.push(":");
        path.push(&outer);
    }
    let memo = dir.join("memo");
    Ok(vec![("PATH".into(), path), (MEMO_ENV.into(), memo.into_string().into()), (PATH_ENV.into(), outer)])
}

/// Whether this process was started as `nm` (through a link [`install`] made).
pub fn invoked_as_nm() -> bool {
    std::env::args_os().next().map(std::path::PathBuf::from).is_some_and(|p| p.file_name() == Some(OsStr::new("nm")))
}

/// Runs as `nm` with `args` (what follows the program name); returns its exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let outer = std::env::var(PATH_ENV).or_else(|_| std::env::var("PATH")).unwrap_or_default();
    let Some(real) = find_real(&outer) else {
        eprintln!("nm: ninjabind's nm memo found no nm on PATH");
        return 127;
    };
    let memo = std::env::var_os(MEMO_ENV).and_then(|m| Utf8PathBuf::from_path_buf(m.into()).ok());
    match memo {
        Some(memo) => memoized(&real, &memo, &args),
        None => passthrough(&real, &args),
    }
}

/// The first `nm` on `path` (a `PATH` value) that is not a link to this program.
fn find_real(path: &str) -> Option<Utf8PathBuf> {
    let me = std::env::current_exe().ok().and_then(|e| e.canonicalize().ok());
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Utf8Path::new(d).join("nm"))
        .find(|c| is_executable(c) && c.canonicalize().ok() != me)
}

fn passthrough(real: &Utf8Path, args: &[OsString]) -> i32 {
    match std::process::Command::new(real).args(args).status() {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            eprintln!("nm: cannot run {real}: {e}");
            127
        }
    }
}

/// What one run said: exit code, standard output, standard error.
struct Said {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Said {
    fn say(&self) -> i32 {
        let _ = std::io::stdout().lock().write_all(&self.stdout);
        let _ = std::io::stderr().lock().write_all(&self.stderr);
        self.code
    }
}

/// The files among `args` (every argument not starting with `-`), with their stats; `None` when one is not a
/// regular file (nm then reads something this memo cannot key: a folder, a missing path, `a.out` by default).
fn files_of(args: &[OsString]) -> Option<Vec<(Utf8PathBuf, Stat)>> {
    let mut files = Vec::new();
    for a in args {
        let a = a.to_str()?;
        if a.starts_with('-') {
            continue;
        }
        let p = Utf8PathBuf::from(a);
        let st = stat(&p)?;
        files.push((p, st));
    }
    (!files.is_empty()).then_some(files)
}

/// The entry's name: the real `nm` (path, size, mtime), the folder, the arguments and the locale nm prints in.
fn entry_name(real: &Utf8Path, args: &[OsString]) -> Option<String> {
    let mut h = Sha256::new();
    let tool = stat(real)?;
    h.update(format!("{real}\0{}\0{}\0", tool.size, tool.mtime_ns));
    h.update(current_dir().ok()?.as_str());
    for a in args {
        h.update(b"\0");
        h.update(a.to_str()?);
    }
    for var in ["LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LANG", "LANGUAGE"] {
        h.update(format!("\0{var}={}", std::env::var(var).unwrap_or_default()));
    }
    Some(format!("{:x}", h.finalize()))
}

/// `MAGIC`, the files' content hashes on one line, `<code> <stdout bytes>`, then stdout and stderr.
fn encode(hashes: &str, said: &Said) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(format!("{hashes}\n{} {}\n", said.code, said.stdout.len()).as_bytes());
    out.extend_from_slice(&said.stdout);
    out.extend_from_slice(&said.stderr);
    out
}

fn decode(bytes: &[u8], hashes: &str) -> Option<Said> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (line, rest) = split_line(rest)?;
    if line != hashes.as_bytes() {
        return None;
    }
    let (line, rest) = split_line(rest)?;
    let (code, len) = std::str::from_utf8(line).ok()?.split_once(' ')?;
    let len: usize = len.parse().ok()?;
    let (stdout, stderr) = (rest.get(..len)?, rest.get(len..)?);
    Some(Said { code: code.parse().ok()?, stdout: stdout.to_vec(), stderr: stderr.to_vec() })
}

fn split_line(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = b.iter().position(|&c| c == b'\n')?;
    Some((&b[..at], &b[at + 1..]))
}

fn memoized(real: &Utf8Path, memo: &Utf8Path, args: &[OsString]) -> i32 {
    let (Some(files), Some(name)) = (files_of(args), entry_name(real, args)) else {
        return passthrough(real, args);
    };
    let entry = memo.join(&name);
    // content hashes; a large archive's from the build folder's shared log while its stat holds
    let mut shared = SharedHashes::for_output(entry.as_str());
    let mut hashes = Vec::with_capacity(files.len());
    for (p, st) in &files {
        match shared.hash(p, st).or_else(|_| hash_file(p)) {
            Ok(h) => hashes.push(h),
            Err(_) => return passthrough(real, args),
        }
    }
    let hashes = hashes.join(" ");
    if let Some(said) = std::fs::read(&entry).ok().and_then(|b| decode(&b, &hashes)) {
        return said.say();
    }
    let out = match std::process::Command::new(real).args(args).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("nm: cannot run {real}: {e}");
            return 127;
        }
    };
    let Some(code) = out.status.code() else {
        // killed by a signal: said as it was, never remembered
        let _ = std::io::stderr().write_all(&out.stderr);
        return 1;
    };
    let said = Said { code, stdout: out.stdout, stderr: out.stderr };
    // remembered only when no file changed while nm read it
    if files.iter().all(|(p, st)| stat(p).as_ref() == Some(st)) {
        let _ = std::fs::create_dir_all(memo)
            .map_err(anyhow::Error::from)
            .and_then(|_| write_cache(&entry, &encode(&hashes, &said)));
    }
    said.say()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_read_back_only_for_the_same_contents() {
        let said = Said { code: 1, stdout: b"0000 T f\n".to_vec(), stderr: b"nm: x.o: no symbols\n".to_vec() };
        let bytes = encode("aa bb", &said);
        let back = decode(&bytes, "aa bb").unwrap();
        assert_eq!((back.code, &back.stdout, &back.stderr), (said.code, &said.stdout, &said.stderr));
        assert!(decode(&bytes, "aa cc").is_none());
        // an entry cut inside its standard output is not read
        assert!(decode(&bytes[..bytes.len() - said.stderr.len() - 1], "aa bb").is_none());
        assert!(decode(b"ninjabind-nm 0\naa bb\n0 0\n", "aa bb").is_none());
    }

    #[test]
    fn only_regular_files_are_keyed() {
        let dir = tempfile::tempdir().unwrap();
        let d = Utf8PathBuf::try_from(dir.path().to_path_buf()).unwrap();
        std::fs::write(d.join("a.o"), b"x").unwrap();
        let a = OsString::from(d.join("a.o").as_str());
        assert_eq!(files_of(&["-g".into(), a.clone()]).unwrap().len(), 1);
        assert!(files_of(&["-g".into()]).is_none(), "nm's default a.out is not keyed");
        assert!(files_of(&[a, OsString::from(d.as_str())]).is_none(), "a folder is not keyed");
    }
}
