//! `ninjabind validate`: one binding on its own — build it, then the same symbol diff the graph's symdiff edge runs.

use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::layout;
use crate::base::target;
use crate::edges::symdiff::{diff, run_nm};
use crate::load::package_json::{self, Host};
use crate::load::LoadCtx;
use crate::model::{ArchiveSource, Origin};
use crate::toolchain;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Validation {
    pub package: String,
    #[serde(rename = "abiVersion")]
    pub abi_version: Option<String>,
    pub archive: Option<Utf8PathBuf>,
    pub objects: Vec<Utf8PathBuf>,
    pub declared: Vec<String>,
    pub missing: Vec<String>,
    pub undeclared: Vec<String>,
    pub ok: bool,
}

pub struct Options<'a> {
    pub dir: &'a Utf8Path,
    pub build: bool,
    pub strict_symbols: bool,
    pub nm: Option<String>,
}

pub fn validate(o: &Options, diags: &mut Diagnostics) -> Result<Validation> {
    let cwd = layout::current_dir()?;
    let dir = layout::canonical(&cwd.join(o.dir))?;
    let manifest = dir.join("package.json");
    let ffi = std::env::var("PERRY_FFI_VERSION").unwrap_or_else(|_| "0.5.0".into());
    let ffi = semver::Version::parse(&ffi)
        .map_err(|e| Diagnostic::error(format!("PERRY_FFI_VERSION `{ffi}`: {e}")).into_err())?;
    let host_triple = target::host_triple();
    let host = Host { ffi_version: &ffi, target: &host_triple };
    let mut ctx = LoadCtx { strict_manifests: false, diags };
    let display = layout::relative(&cwd, &manifest);
    let pkg = package_json::load(&mut ctx, &host, &manifest, &display, Origin::Root)?;
    let Some(lib) = &pkg.library else {
        return Err(Diagnostic::error(format!("{display} has no `perry.nativeLibrary` block")).into_err());
    };
    let archive = match &lib.archive {
        Some(ArchiveSource::Prebuilt { path, .. }) => Some(path.clone()),
        Some(ArchiveSource::Cargo { manifest_dir, lib: name, features }) => {
            Some(cargo_archive(manifest_dir, name, features, o.build)?)
        }
        None => None,
    };
    let mut objects = Vec::new();
    if let Some(native) = &pkg.native {
        let (cc, _) = toolchain::compiler(false, &host_triple, &host_triple, 0)?;
        let out = dir.join("target/ninjabind-validate");
        std::fs::create_dir_all(&out).with_context(|| format!("cannot create {out}"))?;
        for src in native
            .base
            .sources
            .iter()
            .chain(native.features.iter().filter(|f| f.enabled).flat_map(|f| &f.fragment.sources))
        {
            let obj = out.join(format!("{}.o", src.abs.file_name().unwrap_or("src")));
            let mut cmd = std::process::Command::new(&cc[0]);
            cmd.args(&cc[1..])
                .args(native.base.include_dirs.iter().map(|d| format!("-I{d}")))
                .args(&native.base.cflags);
            let st = cmd
                .arg("-c")
                .arg(&src.abs)
                .arg("-o")
                .arg(&obj)
                .status()
                .with_context(|| format!("cannot run {}", cc[0]))?;
            if !st.success() {
                return Err(Diagnostic::error(format!("compiling {} failed", src.written())).into_err());
            }
            objects.push(obj);
        }
    }
    let files: Vec<Utf8PathBuf> = archive.iter().cloned().chain(objects.iter().cloned()).collect();
    if files.is_empty() {
        return Err(
            Diagnostic::error(format!("package `{}` has no archive and no C sources to check", pkg.name)).into_err()
        );
    }
    let nm = o.nm.clone().or_else(|| std::env::var("NM").ok()).unwrap_or_else(|| "nm".into());
    let symbols = run_nm(&nm, &files, &host_triple)?;
    let r = diff(&lib.functions, &symbols);
    let ok = r.missing.is_empty() && (!o.strict_symbols || r.undeclared.is_empty());
    let rel = |p: &Utf8Path| layout::relative(&cwd, p);
    Ok(Validation {
        package: pkg.name.clone(),
        abi_version: lib.abi_version.clone(),
        archive: archive.as_deref().map(rel),
        objects: objects.iter().map(|p| rel(p)).collect(),
        declared: lib.functions.clone(),
        missing: r.missing,
        undeclared: r.undeclared,
        ok,
    })
}

/// Builds the crate with `cargo build --release` (unless `build` is false) and returns its archive.
fn cargo_archive(manifest_dir: &Utf8Path, lib: &str, features: &[String], build: bool) -> Result<Utf8PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = manifest_dir.join("Cargo.toml");
    let meta = std::process::Command::new(&cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(&manifest)
        .output()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !meta.status.success() {
        return Err(Diagnostic::error(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&meta.stderr).trim()
        ))
        .into_err());
    }
    let v: serde_json::Value = serde_json::from_slice(&meta.stdout).context("cargo metadata output")?;
    let target_dir = Utf8PathBuf::from(v["target_directory"].as_str().unwrap_or("target"));
    if build {
        let mut cmd = std::process::Command::new(&cargo);
        cmd.args(["build", "--release", "--lib", "--manifest-path"]).arg(&manifest);
        if !features.is_empty() {
            cmd.args(["--features", &features.join(",")]);
        }
        let st = cmd.status().with_context(|| format!("cannot run {cargo}"))?;
        if !st.success() {
            return Err(Diagnostic::error(format!("cargo build --release failed for {manifest}")).into_err());
        }
    }
    let archive = target_dir.join("release").join(format!("lib{lib}.a"));
    if !archive.is_file() {
        return Err(Diagnostic::error(format!("no archive at {archive}"))
            .with_help(if build {
                "check that the crate's [lib] has crate-type = [\"staticlib\"]"
            } else {
                "run without --no-build"
            })
            .into_err());
    }
    Ok(archive)
}

pub fn human(v: &Validation) -> String {
    let mut o = format!("package {} (abiVersion {})\n", v.package, v.abi_version.as_deref().unwrap_or("none"));
    if let Some(a) = &v.archive {
        o.push_str(&format!("archive {a}\n"));
    }
    for obj in &v.objects {
        o.push_str(&format!("object {obj}\n"));
    }
    o.push_str(&format!("declared {}: {}\n", v.declared.len(), v.declared.join(", ")));
    if !v.missing.is_empty() {
        o.push_str(&format!("missing (declared, not in the archive): {}\n", v.missing.join(", ")));
    }
    if !v.undeclared.is_empty() {
        o.push_str(&format!("undeclared (exported js_* not in functions[]): {}\n", v.undeclared.join(", ")));
    }
    o.push_str(if v.ok {
        "ok: the manifest matches the library\n"
    } else {
        "FAILED: the manifest does not match the library\n"
    });
    o
}
