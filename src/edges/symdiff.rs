//! The symbol diff (SPEC §6.3): `nm -gP` over an archive, declared `functions[]` against defined globals; symcheck across bindings.

use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};

/// Defined global symbols in `nm -gP` (POSIX format) output; one leading `_` stripped on Mach-O.
pub fn defined_globals(nm_output: &str, macho: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in nm_output.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else { continue };
        if name.ends_with(':') || kind.len() != 1 || !"TRDSBCWVi".contains(kind) {
            continue;
        }
        let name = if macho { name.strip_prefix('_').unwrap_or(name) } else { name };
        out.insert(name.to_string());
    }
    out
}

/// The outcome of comparing declared functions with an archive's symbols.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub missing: Vec<String>,
    pub undeclared: Vec<String>,
    pub exported_js: Vec<String>,
}

pub fn diff(declared: &[String], symbols: &BTreeSet<String>) -> Report {
    let declared_set: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
    let missing = declared.iter().filter(|d| !symbols.contains(*d)).cloned().collect();
    let exported_js: Vec<String> = symbols.iter().filter(|s| s.starts_with("js_")).cloned().collect();
    let undeclared = exported_js.iter().filter(|s| !declared_set.contains(s.as_str())).cloned().collect();
    Report { missing, undeclared, exported_js }
}

pub fn run_nm(nm: &str, files: &[Utf8PathBuf], target: &str) -> Result<BTreeSet<String>> {
    let out = std::process::Command::new(nm)
        .arg("-gP")
        .args(files)
        .output()
        .with_context(|| format!("cannot run {nm} (set NM or --nm)"))?;
    if !out.status.success() {
        bail!("{nm} -gP failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(defined_globals(&String::from_utf8_lossy(&out.stdout), crate::toolchain::is_apple(target)))
}

#[derive(clap::Args, Debug)]
pub struct SymdiffArgs {
    #[arg(long)]
    pub package: String,
    /// The reader for C objects (the compiler's own under LTO).
    #[arg(long, default_value = "nm")]
    pub nm: String,
    /// The reader for Rust archives (binutils `nm` reads rustc's members, an older `llvm-nm` may not).
    #[arg(long, default_value = "nm")]
    pub archive_nm: String,
    /// A Rust (or prebuilt) archive of the binding.
    #[arg(long)]
    pub archive: Vec<Utf8PathBuf>,
    #[arg(long, default_value = "")]
    pub target: String,
    #[arg(long)]
    pub declared: Vec<String>,
    #[arg(long)]
    pub strict_symbols: bool,
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// C objects to read.
    pub files: Vec<Utf8PathBuf>,
}

pub fn run(a: &SymdiffArgs) -> Result<i32> {
    let mut symbols = BTreeSet::new();
    if !a.archive.is_empty() {
        symbols.extend(run_nm(&a.archive_nm, &a.archive, &a.target)?);
    }
    if !a.files.is_empty() {
        symbols.extend(run_nm(&a.nm, &a.files, &a.target)?);
    }
    let r = diff(&a.declared, &symbols);
    let shown: Vec<String> = a.archive.iter().chain(&a.files).map(|f| f.to_string()).collect();
    let mut failed = false;
    if !r.missing.is_empty() {
        eprintln!(
            "error: package `{}` declares functions that {} does not define: {}\n  = help: export each with #[no_mangle] pub extern \"C\" fn, or remove it from perry.nativeLibrary.functions",
            a.package,
            shown.join(", "),
            r.missing.join(", ")
        );
        failed = true;
    }
    if !r.undeclared.is_empty() {
        let level = if a.strict_symbols { "error" } else { "warning" };
        eprintln!(
            "{level}: package `{}` exports js_* symbols it does not declare: {}",
            a.package,
            r.undeclared.join(", ")
        );
        failed |= a.strict_symbols;
    }
    if failed {
        return Ok(1);
    }
    let mut text = format!("# package {}\n", a.package);
    for s in &r.exported_js {
        text.push_str(s);
        text.push('\n');
    }
    crate::emit::write::write_if_changed(&a.out, text.as_bytes())?;
    Ok(0)
}

#[derive(clap::Args, Debug)]
pub struct SymcheckArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    pub syms: Vec<Utf8PathBuf>,
}

/// Fails when two bindings export one `js_*` symbol, naming both.
pub fn symcheck(a: &SymcheckArgs) -> Result<i32> {
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut clashes = Vec::new();
    for f in &a.syms {
        let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {f}"))?;
        let pkg = package_of(&text, f);
        for sym in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            if let Some(prev) = owner.insert(sym.to_string(), pkg.clone()) {
                if prev != pkg {
                    clashes.push(format!("`{sym}` is exported by both `{prev}` and `{pkg}`"));
                }
            }
        }
    }
    if !clashes.is_empty() {
        eprintln!(
            "error: two bindings export the same symbol, so the link would pick one at random:\n  {}",
            clashes.join("\n  ")
        );
        return Ok(1);
    }
    let stamp: String = owner.iter().map(|(s, p)| format!("{s} {p}\n")).collect();
    crate::emit::write::write_if_changed(&a.out, stamp.as_bytes())?;
    Ok(0)
}

fn package_of(text: &str, f: &Utf8Path) -> String {
    text.lines().next().and_then(|l| l.strip_prefix("# package ")).map_or_else(|| f.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NM: &str = "libx.a[x.o]:\njs_x_open T 0000000000000000 0000000000000010\njs_x_close T 10 5\nmalloc U\nsome_data D 20 8\nweak_fn W 30 4\nlocal_looking r 40 4\n";

    #[test]
    fn keeps_defined_globals_only() {
        let s = defined_globals(NM, false);
        assert_eq!(s.into_iter().collect::<Vec<_>>(), ["js_x_close", "js_x_open", "some_data", "weak_fn"]);
    }

    #[test]
    fn strips_one_underscore_on_macho_only() {
        let s = defined_globals("__js_a T 0 1\n_js_b T 0 1\n", true);
        assert_eq!(s.into_iter().collect::<Vec<_>>(), ["_js_a", "js_b"]);
        assert!(defined_globals("_js_b T 0 1\n", false).contains("_js_b"));
    }

    #[test]
    fn reports_missing_and_undeclared() {
        let s = defined_globals(NM, false);
        let r = diff(&["js_x_open".into(), "js_x_query".into()], &s);
        assert_eq!(r.missing, ["js_x_query"]);
        assert_eq!(r.undeclared, ["js_x_close"]);
        assert_eq!(r.exported_js, ["js_x_close", "js_x_open"]);
    }
}
