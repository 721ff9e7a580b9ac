//! Cargo edges (SPEC §6.1): one per Rust binding, shared target folder, cargo's dep-info as depfile, archive copied only when changed.

use super::{Command, Edge, Plan, RuleKind};
use crate::base::diag;
use crate::load::perry_toml::NativeOverrides;
use crate::model::ArchiveSource;
use crate::options::Settings;
use crate::select::Selected;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

/// A binding archive the link and the symbol diff read, with the package it belongs to.
#[derive(Debug, Clone)]
pub struct Archive {
    pub package: String,
    pub id: String,
    pub path: Utf8PathBuf,
    /// The native-static-libs file its cargo edge writes (none for prebuilt archives).
    pub nsl: Option<Utf8PathBuf>,
}

/// Cargo.lock of the crate, or of the workspace whose root lists it.
fn lock_file(crate_dir: &Utf8Path) -> Option<Utf8PathBuf> {
    let own = crate_dir.join("Cargo.lock");
    if own.is_file() {
        return Some(own);
    }
    crate_dir.ancestors().skip(1).find_map(|d| {
        let is_ws = std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]"));
        (is_ws && d.join("Cargo.lock").is_file()).then(|| d.join("Cargo.lock"))
    })
}

/// Whether this process may create files in `dir` (a read-only mount, an immutable folder and missing permissions
/// all say no; `access` asks the kernel, which knows all three).
fn writable(dir: &Utf8Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_str()) else { return false };
    // SAFETY: a NUL-terminated path and a mode constant
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// `overrides`: perry.toml's feature choices per binding, added to its target entry's `cargo_features`.
pub fn plan(
    s: &Settings,
    tc: &Toolchain,
    sel: &Selected,
    overrides: &NativeOverrides,
    p: &mut Plan,
) -> Result<Vec<Archive>> {
    let l = &s.layout;
    let mut archives = Vec::new();
    for sp in &sel.packages {
        let pkg = &sp.package;
        let Some(source) = pkg.library.as_ref().and_then(|lib| lib.archive.as_ref()) else { continue };
        match source {
            ArchiveSource::Prebuilt { path, .. } => {
                archives.push(Archive { package: pkg.name.clone(), id: pkg.id(), path: l.rel(path), nsl: None });
            }
            ArchiveSource::Cargo { manifest_dir, lib, features } => {
                if lock_file(manifest_dir).is_none() && !writable(manifest_dir) {
                    return Err(diag::Diagnostic::error(format!(
                        "binding `{}` has no Cargo.lock and its crate folder {} is read-only: cargo must write the lock there",
                        pkg.name,
                        l.display(manifest_dir)
                    ))
                    .with_help(format!(
                        "publish the binding with its Cargo.lock, or run `cargo generate-lockfile --manifest-path {}` where the folder is writable",
                        l.display(&manifest_dir.join("Cargo.toml"))
                    ))
                    .into_err());
                }
                let out = l.out_path(format!("lib/lib{lib}.a"));
                let nsl = l.out_path(format!("lib/lib{lib}.nsl"));
                let target_dir = l.out_path("cargo");
                let manifest = manifest_dir.join("Cargo.toml");
                let mut argv = vec![
                    super::regen::exe_path()?.to_string(),
                    "edge".into(),
                    "cargo".into(),
                    "--manifest-path".into(),
                    l.rel(&manifest).to_string(),
                    "--lib".into(),
                    lib.clone(),
                    "--target".into(),
                    tc.target.clone(),
                    "--target-dir".into(),
                    target_dir.to_string(),
                    "--out".into(),
                    out.to_string(),
                    "--nsl".into(),
                    nsl.to_string(),
                ];
                let chosen = overrides.get(&pkg.name);
                let mut features = features.clone();
                features.extend(chosen.iter().flat_map(|o| o.features.iter().cloned()));
                if !features.is_empty() {
                    argv.extend(["--features".into(), features.join(",")]);
                }
                if chosen.is_some_and(|o| !o.default_features) {
                    argv.push("--no-default-features".into());
                }
                if s.offline {
                    argv.push("--offline".into());
                }
                if let Some(c) = s.env.get("CARGO") {
                    argv.extend(["--cargo".into(), c.clone()]);
                }
                let mut unkeyed = vec![];
                if let Some(w) = &s.rustc_wrapper {
                    unkeyed.extend([argv.len(), argv.len() + 1]);
                    argv.extend(["--rustc-wrapper".into(), w.clone()]);
                }
                let mut e = Edge::new(RuleKind::Cargo, vec![out.clone()]);
                let more = e.more_mut();
                more.unkeyed = unkeyed;
                more.products = Some(target_dir.clone());
                more.implicit_outputs = vec![nsl.clone()];
                e.more_mut().implicit_inputs =
                    std::iter::once(manifest.clone()).chain(lock_file(manifest_dir)).map(|f| l.rel(&f)).collect();
                let env = ["RUSTC", "RUSTFLAGS"]
                    .iter()
                    .filter_map(|k| s.env.get(*k).map(|v| (k.to_string(), v.clone())))
                    .collect();
                e.command = Some(Box::new(Command { env, argv }));
                e.more_mut().vars.push(("depfile", format!("{target_dir}/{}/release/lib{lib}.d", tc.target)));
                e.package = Some(pkg.name.as_str().into());
                p.edges.push(e);
                archives.push(Archive { package: pkg.name.clone(), id: pkg.id(), path: out, nsl: Some(nsl) });
            }
        }
    }
    // an active backend's prebuilt is linked in addition to its target's archive (manifest v1), after them all
    for sp in &sel.packages {
        let backends = sp.package.library.iter().flat_map(|lib| lib.staging.backends.iter()).filter(|b| b.available);
        for path in backends.filter_map(|b| b.prebuilt.as_ref()) {
            let (package, id) = (sp.package.name.clone(), sp.package.id());
            archives.push(Archive { package, id, path: l.rel(path), nsl: None });
        }
    }
    Ok(archives)
}
