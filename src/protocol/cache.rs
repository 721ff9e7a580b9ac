//! The shared cache (`--cache URL`): the stores it names, the settings gen leaves in the build folder for the gate
//! (`<builddir>/ninjabind-cache`, so turning it on or off changes no command and rebuilds nothing), and how its
//! entries are written: a first entry per key and declared inputs naming the inputs the command discovered (its
//! depfile's), a second per those files' content naming the outputs, and each output a blob named by its SHA-256.

use crate::base::hash::hex;
use camino::Utf8PathBuf;
use sha2::{Digest, Sha256};

/// The file in the build folder (beside ninja's log) that names the cache; empty: no cache.
pub const FILE: &str = "ninjabind-cache";

/// What a build does with the cache: pull-request jobs read, the main branch writes (or both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    Read,
    Write,
    #[default]
    Readwrite,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Read => "read",
            Mode::Write => "write",
            Mode::Readwrite => "readwrite",
        }
    }
    pub fn reads(self) -> bool {
        self != Mode::Write
    }
    pub fn writes(self) -> bool {
        self != Mode::Read
    }
}

/// A store the cache lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// `file:/path` (or `file:///path`): a folder, shared over NFS or between builds on one machine.
    Folder(Utf8PathBuf),
    /// `redis://host[:port][/db]`, as ccache's `remote_storage` writes it.
    Redis { host: String, port: u16, db: u32 },
    /// `http://host[:port]/path`: plain GET, PUT and HEAD under the path (nginx's WebDAV module, bazel-remote).
    Http { host: String, port: u16, path: String },
}

/// The stores this ninjabind reads and writes, for the error that names them.
pub const SCHEMES: &str = "file:/PATH, redis://HOST[:PORT][/DB], http://HOST[:PORT]/PATH";

/// `url` as a store: an error says what is wrong in a sentence (gen puts it at the option).
pub fn parse_url(url: &str) -> Result<Store, String> {
    if let Some(rest) = url.strip_prefix("file:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if !path.starts_with('/') {
            return Err(format!("`{url}` names no absolute folder (write file:/PATH)"));
        }
        return Ok(Store::Folder(Utf8PathBuf::from(path)));
    }
    if let Some(rest) = url.strip_prefix("redis://") {
        let (hostport, db) = rest.split_once('/').unwrap_or((rest, ""));
        let db = match db {
            "" => 0,
            d => d.parse().map_err(|_| format!("`{d}` in `{url}` is not a database number"))?,
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| format!("`{p}` in `{url}` is not a port"))?),
            None => (hostport, 6379),
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no host (write redis://HOST[:PORT][/DB])"));
        }
        return Ok(Store::Redis { host: host.to_string(), port, db });
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let (hostport, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| format!("`{p}` in `{url}` is not a port"))?),
            None => (hostport, 80),
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no host (write http://HOST[:PORT]/PATH)"));
        }
        let path = format!("/{}", path.trim_end_matches('/'));
        return Ok(Store::Http { host: host.to_string(), port, path: path.trim_end_matches('/').to_string() });
    }
    match url.split_once("://").map(|(s, _)| s) {
        Some(s @ "https") => Err(format!(
            "`{s}://` stores are not supported by this ninjabind yet (no TLS); it reads and writes {SCHEMES}"
        )),
        Some(s) => Err(format!("unknown store `{s}:` in `{url}`; this ninjabind reads and writes {SCHEMES}")),
        None => Err(format!("`{url}` is not a store URL; this ninjabind reads and writes {SCHEMES}")),
    }
}

/// What gen writes for the gate: the URL and the mode, one per line.
pub fn render(url: &str, mode: Mode) -> String {
    format!("{url}\n{}\n", mode.name())
}

/// The settings in `text`; `None` (no cache) for an empty or unreadable file.
pub fn parse(text: &str) -> Option<(Store, Mode)> {
    let mut lines = text.lines();
    let store = parse_url(lines.next()?.trim()).ok()?;
    let mode = match lines.next().map(str::trim) {
        Some("read") => Mode::Read,
        Some("write") => Mode::Write,
        _ => Mode::Readwrite,
    };
    Some((store, mode))
}

/// A SHA-256 of `parts`, each ended by a NUL, hex.
pub fn name_of(tag: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(tag.as_bytes());
    h.update([0]);
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_as_users_write_them() {
        assert_eq!(parse_url("file:/srv/cache"), Ok(Store::Folder("/srv/cache".into())));
        assert_eq!(parse_url("file:///srv/cache"), Ok(Store::Folder("/srv/cache".into())));
        assert!(parse_url("file:relative").unwrap_err().contains("no absolute folder"));
        assert_eq!(
            parse_url("redis://127.0.0.1:6380/2"),
            Ok(Store::Redis { host: "127.0.0.1".into(), port: 6380, db: 2 })
        );
        assert_eq!(parse_url("redis://cache"), Ok(Store::Redis { host: "cache".into(), port: 6379, db: 0 }));
        assert!(parse_url("redis://h:x").unwrap_err().contains("is not a port"));
        let http = Store::Http { host: "127.0.0.1".into(), port: 8080, path: "/cache".into() };
        assert_eq!(parse_url("http://127.0.0.1:8080/cache/"), Ok(http));
        assert_eq!(parse_url("http://c"), Ok(Store::Http { host: "c".into(), port: 80, path: "".into() }));
        assert!(parse_url("https://c/x").unwrap_err().contains("not supported by this ninjabind yet (no TLS)"));
        assert!(parse_url("ftp://x").unwrap_err().contains("unknown store `ftp:`"));
        assert!(parse_url("nonsense").unwrap_err().contains("is not a store URL"));
        assert_eq!(parse(&render("file:/c", Mode::Read)), Some((Store::Folder("/c".into()), Mode::Read)));
        assert_eq!(parse(""), None);
    }
}
