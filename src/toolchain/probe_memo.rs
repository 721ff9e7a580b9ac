//! The compilers' and the linker's answers kept between gens (`$XDG_CACHE_HOME/ninjabind/probes`, else
//! `~/.cache/ninjabind/probes`), as ccache keeps a compiler's identity by its size and mtime: an entry is named by
//! everything the probes are given (this program, the target, the settings, the environment) and believed only while
//! every program it depends on — the drivers the probe found and the linkers on `PATH` — is the same file.

use super::Compilers;
use crate::base::files::on_path;
use crate::base::hash::{hex, stat};
use crate::base::write::write_cache;
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

/// What the probes answered: the compilers, and the link's linker flag, why, and what gen says about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Probed {
    pub compilers: Compilers,
    pub linker_flag: Option<String>,
    pub linker_reason: String,
    pub linker_warning: Option<String>,
}

/// An entry: its key's hash (its name: the key holds the environment, which is never written out), each program as
/// it was found, and the answer.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    programs: Vec<(String, Option<String>)>,
    probed: Probed,
}

/// The linkers `--linker auto` looks for: an entry made before one was installed (or removed) is not believed.
const LINKERS: [&str; 3] = ["mold", "ld.mold", "ld.lld"];

/// Environment variables that say nothing about compilers and differ from one shell to the next: left out of the key
/// (any other variable is in it, so a miss costs a probe and a change never reuses an answer).
const VOLATILE: [&str; 17] = [
    "_",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "TERM",
    "COLORTERM",
    "COLUMNS",
    "LINES",
    "DISPLAY",
    "WINDOWID",
    "PS1",
    "LS_COLORS",
    "MAIL",
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "DBUS_SESSION_BUS_ADDRESS",
    "NINJA_STATUS",
];
const VOLATILE_PREFIXES: [&str; 4] = ["SSH_", "TERM_", "XDG_SESSION_", "WT_"];

pub struct Memo {
    file: Utf8PathBuf,
    /// The SHA-256 of the key, as hex digits.
    key: String,
}

impl Memo {
    /// The memo for probes given `words` (target, host, settings), when there is a cache folder and this program
    /// can be named; `None`: every gen probes.
    pub fn new(words: &[String]) -> Option<Memo> {
        let dir = folder()?;
        let exe = Utf8PathBuf::from_path_buf(std::env::current_exe().ok()?).ok()?;
        // another build of this program may probe differently
        let mut key = format!("ninjabind-probe 1\nexe {}\n", program(exe.as_str())?);
        for w in words {
            key.push_str(w);
            key.push('\n');
        }
        let mut env: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| !VOLATILE.contains(&k.as_str()) && !VOLATILE_PREFIXES.iter().any(|p| k.starts_with(p)))
            .collect();
        env.sort();
        for (k, v) in env {
            key.push_str(&format!("env {k}={v}\n"));
        }
        let key = hex(&Sha256::digest(key.as_bytes()));
        Some(Memo { file: dir.join(&key), key })
    }

    /// The answer kept for this key, while every program it names is the file it was.
    pub fn read(&self) -> Option<Probed> {
        let e: Entry = serde_json::from_slice(&std::fs::read(&self.file).ok()?).ok()?;
        let same = e.key == self.key && e.programs.iter().all(|(name, was)| program(name) == *was);
        same.then_some(e.probed)
    }

    /// Keeps `probed` (a cache: a folder that cannot be written is no error).
    pub fn write(&self, probed: &Probed) {
        let mut names = vec![probed.compilers.cc[0].clone(), probed.compilers.cxx[0].clone()];
        names.extend(LINKERS.map(String::from));
        names.dedup();
        let programs = names
            .into_iter()
            .map(|n| {
                let found = program(&n);
                (n, found)
            })
            .collect();
        let e = Entry { key: self.key.clone(), programs, probed: probed.clone() };
        if let Ok(text) = serde_json::to_vec(&e) {
            let _ = write_cache(&self.file, &text);
        }
    }
}

/// `$XDG_CACHE_HOME/ninjabind/probes` when that is an absolute path, else `$HOME/.cache/ninjabind/probes`.
fn folder() -> Option<Utf8PathBuf> {
    let xdg = std::env::var("XDG_CACHE_HOME").ok().map(Utf8PathBuf::from).filter(|d| d.is_absolute());
    let base = xdg.or_else(|| {
        let home = Utf8PathBuf::from(std::env::var("HOME").ok()?);
        home.is_absolute().then(|| home.join(".cache"))
    })?;
    Some(base.join("ninjabind").join("probes"))
}

/// A program as `PATH` finds it (or a path): the file it is after links, its size, mtime and inode.
fn program(name: &str) -> Option<String> {
    let found = if name.contains('/') { Utf8PathBuf::from(name) } else { on_path(name)? };
    let file = Utf8Path::canonicalize_utf8(&found).ok()?;
    let st = stat(&file)?;
    Some(format!("{file} {} {} {}", st.size, st.mtime_ns, st.inode))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry is believed for the same key while its programs are the same files: a program rewritten, another
    /// key, or an entry cut short is a miss.
    #[test]
    fn an_entry_holds_while_its_programs_are_the_same_files() {
        let t = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::try_from(t.path().to_path_buf()).unwrap();
        let cc = dir.join("my-cc");
        std::fs::write(&cc, "#!/bin/sh\n").unwrap();
        let probed = Probed {
            compilers: Compilers {
                cc: vec![cc.to_string(), "-O2".into()],
                cc_is_clang: false,
                cxx: vec![cc.to_string()],
                cc_identity: "my-cc 1.0".into(),
            },
            linker_flag: None,
            linker_reason: "default".into(),
            linker_warning: None,
        };
        let memo = |key: &str| Memo { file: dir.join("entry"), key: key.into() };
        assert_eq!(memo("k").read(), None);
        memo("k").write(&probed);
        assert_eq!(memo("k").read(), Some(probed.clone()));
        assert_eq!(memo("another key").read(), None);
        // the compiler rewritten (another size): not believed
        std::fs::write(&cc, "#!/bin/sh\nexit 0\n").unwrap();
        assert_eq!(memo("k").read(), None);
        memo("k").write(&probed);
        assert_eq!(memo("k").read(), Some(probed.clone()));
        let text = std::fs::read(dir.join("entry")).unwrap();
        std::fs::write(dir.join("entry"), &text[..text.len() / 2]).unwrap();
        assert_eq!(memo("k").read(), None);
    }
}
