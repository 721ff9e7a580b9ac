//! The symbol diff (SPEC §6.3): `nm -gP` over an archive, declared `functions[]` against defined globals; symcheck across bindings.

use super::located;
use crate::base::target;
use crate::base::write;
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
        if name.is_empty() {
            continue; // a Mach-O symbol named `_` (found by fuzzing): nothing a declaration could name
        }
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
    Ok(defined_globals(&String::from_utf8_lossy(&out.stdout), target::is_apple(target)))
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
    /// A declared function, `NAME` or `NAME@LINE:COL` (where the manifest declares it).
    #[arg(long)]
    pub declared: Vec<String>,
    /// An owned handle's finalizer, `NAME@LINE:COL` (where its `finalizer` string is): a symbol the archive must
    /// define like a declared function.
    #[arg(long)]
    pub finalizer: Vec<String>,
    /// The package's manifest, named in errors (relative to the ninja file's folder).
    #[arg(long)]
    pub manifest: Option<Utf8PathBuf>,
    #[arg(long)]
    pub strict_symbols: bool,
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// C objects to read.
    pub files: Vec<Utf8PathBuf>,
}

pub fn run(a: &SymdiffArgs) -> Result<i32> {
    fn split(d: &str) -> (&str, Option<&str>) {
        d.split_once('@').map_or((d, None), |(n, at)| (n, Some(at)))
    }
    let declared: Vec<(&str, Option<&str>)> = a.declared.iter().chain(&a.finalizer).map(|d| split(d)).collect();
    let is_finalizer = |name: &str| a.finalizer.iter().any(|f| split(f).0 == name);
    let names: Vec<String> = declared.iter().map(|(n, _)| n.to_string()).collect();
    let mut symbols = BTreeSet::new();
    if !a.archive.is_empty() {
        symbols.extend(run_nm(&a.archive_nm, &a.archive, &a.target)?);
    }
    if !a.files.is_empty() {
        symbols.extend(run_nm(&a.nm, &a.files, &a.target)?);
    }
    let r = diff(&names, &symbols);
    let shown: Vec<String> = a.archive.iter().chain(&a.files).map(|f| f.to_string()).collect();
    let manifest = a.manifest.as_ref().map_or_else(|| format!("package `{}`", a.package), |m| m.to_string());
    let at = |name: &str| declared.iter().find(|(n, _)| *n == name).and_then(|(_, at)| *at);
    let mut failed = false;
    for name in &r.missing {
        let what = if is_finalizer(name) { "a handle's finalizer" } else { "declared in functions[]" };
        let message = format!("`{name}` is {what} but {} does not define it", shown.join(", "));
        eprintln!("{}", located(&manifest, at(name), "error", &message));
        failed = true;
    }
    if failed {
        eprintln!("  = help: export each with #[no_mangle] pub extern \"C\" fn, or remove it from perry.nativeLibrary.functions");
    }
    if !r.undeclared.is_empty() {
        let level = if a.strict_symbols { "error" } else { "warning" };
        let message =
            format!("package `{}` exports js_* symbols it does not declare: {}", a.package, r.undeclared.join(", "));
        eprintln!("{}", located(&manifest, None, level, &message));
        failed |= a.strict_symbols;
    }
    if failed {
        return Ok(1);
    }
    // `# package`, `# manifest`, then each exported js_* symbol with where it is declared, for symcheck's errors
    let mut text = format!("# package {}\n# manifest {manifest}\n", a.package);
    let finalizers = a.finalizer.iter().map(|f| split(f).0.to_string()).filter(|f| symbols.contains(f));
    let listed: BTreeSet<String> = r.exported_js.iter().cloned().chain(finalizers).collect();
    for s in &listed {
        text.push_str(s);
        if let Some(at) = at(s) {
            text.push(' ');
            text.push_str(at);
        }
        text.push('\n');
    }
    write::write_if_changed(&a.out, text.as_bytes())?;
    Ok(0)
}

#[derive(clap::Args, Debug)]
pub struct SymcheckArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    /// The `js_*` symbols the Perry compiler's runtime defines (`edge runtime-syms`): a binding symbol among them is
    /// a warning, since Perry's link hides the clash.
    #[arg(long)]
    pub runtime: Option<Utf8PathBuf>,
    /// A binding symbol the runtime defines too is an error.
    #[arg(long)]
    pub strict_symbols: bool,
    pub syms: Vec<Utf8PathBuf>,
}

/// One `.syms` file: its package, its manifest, and each exported symbol with where the manifest declares it.
struct Syms {
    package: String,
    manifest: String,
    symbols: Vec<(String, Option<String>)>,
}

fn read_syms(f: &Utf8Path) -> Result<Syms> {
    let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {f}"))?;
    let mut s = Syms { package: f.to_string(), manifest: f.to_string(), symbols: vec![] };
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("# package ") {
            s.package = p.to_string();
        } else if let Some(m) = line.strip_prefix("# manifest ") {
            s.manifest = m.to_string();
        } else if !line.is_empty() && !line.starts_with('#') {
            let (sym, at) = line.split_once(' ').map_or((line, None), |(s, at)| (s, Some(at.to_string())));
            s.symbols.push((sym.to_string(), at));
        }
    }
    Ok(s)
}

#[derive(clap::Args, Debug)]
pub struct RuntimeSymsArgs {
    #[arg(long)]
    pub out: Utf8PathBuf,
    #[arg(long)]
    pub nm: String,
    #[arg(long)]
    pub target: String,
    pub archives: Vec<Utf8PathBuf>,
}

/// The `js_*` symbols the Perry runtime archives define, one per line: read once per compiler (nm over 170 MB takes
/// a second), not at every symbol check.
pub fn runtime_syms(a: &RuntimeSymsArgs) -> Result<i32> {
    let defined = run_nm(&a.nm, &a.archives, &a.target)?;
    let names: Vec<&str> = a.archives.iter().filter_map(|r| r.file_name()).collect();
    let mut text = format!("# archives {}\n", names.join(", "));
    for s in defined.iter().filter(|s| s.starts_with("js_")) {
        text.push_str(s);
        text.push('\n');
    }
    write::write_if_changed(&a.out, text.as_bytes())?;
    Ok(0)
}

/// Each binding symbol the runtime archives define too: Perry links with `--allow-multiple-definition`, so one of
/// the two would be dropped without a word. A warning naming both (an error under `--strict-symbols`); returns the
/// number of errors.
fn runtime_clashes(a: &SymcheckArgs, list: &Utf8Path, owner: &BTreeMap<&str, (&Syms, Option<&str>)>) -> Result<usize> {
    let text = std::fs::read_to_string(list).with_context(|| format!("cannot read {list}"))?;
    let mut lines = text.lines();
    let archives = lines.next().and_then(|l| l.strip_prefix("# archives ")).unwrap_or("its archives").to_string();
    let defined: BTreeSet<&str> = lines.collect();
    let level = if a.strict_symbols { "error" } else { "warning" };
    let mut errors = 0;
    for (sym, (f, at)) in owner.iter().filter(|(s, _)| defined.contains(**s)) {
        let message = format!(
            "`{sym}` of `{}` is also defined by the Perry runtime ({}): its link allows multiple definitions, so one \
             of the two would be dropped without a word",
            f.package, archives
        );
        eprintln!("{}", located(&f.manifest, *at, level, &message));
        errors += usize::from(a.strict_symbols);
    }
    Ok(errors)
}

/// Fails when two bindings export one `js_*` symbol, naming both, each at its declaration.
pub fn symcheck(a: &SymcheckArgs) -> Result<i32> {
    let files: Vec<Syms> = a.syms.iter().map(|f| read_syms(f)).collect::<Result<_>>()?;
    let mut owner: BTreeMap<&str, (&Syms, Option<&str>)> = BTreeMap::new();
    let mut clashes = 0;
    for f in &files {
        for (sym, at) in &f.symbols {
            if let Some((prev, prev_at)) = owner.insert(sym, (f, at.as_deref())) {
                if prev.package != f.package {
                    let message = format!(
                        "`{sym}` is exported by both `{}` and `{}`, so the link would pick one at random",
                        prev.package, f.package
                    );
                    eprintln!("{}", located(&f.manifest, at.as_deref(), "error", &message));
                    let also = format!("`{}` exports `{sym}` too", prev.package);
                    eprintln!("{}", located(&prev.manifest, prev_at, "note", &also));
                    clashes += 1;
                }
            }
        }
    }
    if let Some(list) = &a.runtime {
        clashes += runtime_clashes(a, list, &owner)?;
    }
    if clashes > 0 {
        return Ok(1);
    }
    let stamp: String = owner.iter().map(|(s, (f, _))| format!("{s} {}\n", f.package)).collect();
    write::write_if_changed(&a.out, stamp.as_bytes())?;
    Ok(0)
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
    fn a_macho_symbol_of_one_underscore_is_no_symbol() {
        assert!(defined_globals("_ T 0 1\n", true).is_empty());
        assert_eq!(defined_globals("_ T 0 1\n", false).into_iter().collect::<Vec<_>>(), ["_"]);
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
