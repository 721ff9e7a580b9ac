//! `ninjabind edge lock`: a prebuilt archive checked against its SHA-256 in perry.lock, as `perry compile` checks it
//! (Perry's #498): a changed archive fails the build before the link; frozen, so does one the lock lacks.

use crate::base::files::read_regular_text;
use crate::base::hash::hash_file;
use crate::base::write::write_if_changed;
use anyhow::{bail, Context, Result};
use camino::Utf8PathBuf;
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
    #[serde(default)]
    native_library: BTreeMap<String, LockedPackage>,
}

#[derive(Debug, Default, Deserialize)]
struct LockedPackage {
    #[serde(default)]
    sha256_per_target: BTreeMap<String, String>,
}

pub fn run(a: &LockArgs) -> Result<i32> {
    super::fail_at(a.lock.as_str(), check(a))
}

fn check(a: &LockArgs) -> Result<i32> {
    let actual = hash_file(&a.archive).with_context(|| format!("cannot read {}", a.archive))?;
    let lock: PerryLock = match read_regular_text(&a.lock, 16 << 20) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("{} is not a perry.lock Perry wrote", a.lock))?,
        Err(_) => PerryLock::default(),
    };
    let (pkg, key) = (&a.package, &a.target_key);
    match lock.native_library.get(pkg).and_then(|e| e.sha256_per_target.get(key)) {
        Some(expected) if *expected == actual => {}
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
