//! `ninjabind edge lock`: a prebuilt archive checked against its SHA-256 in perry.lock, as `perry compile` checks it
//! (Perry's #498): a changed archive fails the build before the link; frozen, so does one the lock lacks.

use crate::base::diag::Span;
use crate::base::files::read_regular_text;
use crate::base::hash::hash_file;
use crate::base::write::write_if_changed;
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(clap::Args, Debug)]
pub struct LockArgs {
    /// The project's perry.lock (it may not exist yet).
    #[arg(long)]
    pub lock: Utf8PathBuf,
    /// The package the archive belongs to, as perry.lock names it.
    #[arg(long)]
    pub package: String,
    /// perry.lock's per-target key (`linux-x86_64`).
    #[arg(long)]
    pub target_key: String,
    /// A package the lock lacks fails too (`--frozen-lock`, `PERRY_LOCK_FROZEN`).
    #[arg(long)]
    pub frozen: bool,
    /// The stamp the link waits for: the archive's hash once accepted.
    #[arg(long)]
    pub out: Utf8PathBuf,
    pub archive: Utf8PathBuf,
}

/// perry.lock as Perry writes it (`perry lock`): `version`, then `[native_library."<pkg>".sha256_per_target]`.
#[derive(Debug, Default, Deserialize)]
struct PerryLock {
    version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    native_library: BTreeMap<String, LockedPackage>,
}

#[derive(Debug, Default, Deserialize)]
struct LockedPackage {
    #[serde(default)]
    sha256_per_target: BTreeMap<String, toml::Spanned<String>>,
}

/// The lock format this edge reads (Perry's `LOCK_VERSION`).
const LOCK_VERSION: i64 = 1;

pub fn run(a: &LockArgs) -> Result<i32> {
    super::fail_at(a.lock.as_str(), check(a))
}

/// `line:col` of byte `at` in `text`, for the one-line `path:line:col: error:` shape editors jump to.
fn line_col(text: &str, at: usize) -> String {
    let span = Span::at_offset(Utf8Path::new(""), text, at, 1);
    format!("{}:{}", span.line, span.column)
}

fn check(a: &LockArgs) -> Result<i32> {
    let actual = hash_file(&a.archive).with_context(|| format!("cannot read {}", a.archive))?;
    let located = |at: Option<usize>, text: &str, level: &str, msg: &str| {
        eprintln!("{}", super::located(a.lock.as_str(), at.map(|i| line_col(text, i)).as_deref(), level, msg));
    };
    let text = match read_regular_text(&a.lock, 16 << 20) {
        Ok(text) => text,
        // no lock yet: the first build records (Perry writes it; we warn below)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        // a folder, a FIFO, unreadable: Perry fails reading it too
        Err(e) => bail!("cannot read perry.lock: {e}"),
    };
    let lock: PerryLock = match toml::from_str(&text) {
        Ok(lock) => lock,
        Err(e) => {
            let msg = format!("not a perry.lock Perry wrote: {}", e.message());
            located(e.span().map(|s| s.start), &text, "error", &msg);
            return Ok(1);
        }
    };
    if let Some(v) = lock.version.as_ref().filter(|v| *v.get_ref() != LOCK_VERSION) {
        let msg = format!(
            "perry.lock version {} (this ninjabind reads version {LOCK_VERSION}, as Perry 0.5.1520 writes it)",
            v.get_ref()
        );
        located(Some(v.span().start), &text, "warning", &msg);
    }
    for (pkg, entry) in &lock.native_library {
        for (key, hash) in &entry.sha256_per_target {
            let h = hash.get_ref();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                let msg = format!("the hash of `{pkg}` (target `{key}`) is not a SHA-256 (64 hex digits): `{h}`");
                located(Some(hash.span().start), &text, "error", &msg);
                return Ok(1);
            }
        }
    }
    let (pkg, key) = (&a.package, &a.target_key);
    match lock.native_library.get(pkg).and_then(|e| e.sha256_per_target.get(key)).map(|h| h.get_ref()) {
        Some(expected) if expected.eq_ignore_ascii_case(&actual) => {}
        Some(expected) => bail!(
            "the archive of `{pkg}` (target `{key}`) changed since it was locked:\n    expected: sha256:{expected}\n    \
             found:    sha256:{actual}\n    path:     {}\nreview the change: a swapped prebuilt archive is what the \
             lock is there to catch; if it is intended (an upgrade), run:\n    perry lock --update {pkg}",
            a.archive
        ),
        None if a.frozen => bail!(
            "no lock entry for `{pkg}` (target `{key}`), and the lock is frozen:\n    found:    sha256:{actual}\n    \
             path:     {}\nrun `perry lock` without --frozen, then commit perry.lock",
            a.archive
        ),
        None => eprintln!(
            "{}",
            super::located(
                a.lock.as_str(),
                None,
                "warning",
                &format!("`{pkg}` (target `{key}`) is not in perry.lock: `perry lock` records sha256:{actual}")
            )
        ),
    }
    write_if_changed(&a.out, format!("{actual}\n").as_bytes())?;
    Ok(0)
}
