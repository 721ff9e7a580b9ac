//! Stage 3, select: each package's active features, pkg-config results and the sources in play (their HAVE_* gates
//! are decided by their compile edges at build time: select reads no C source).

pub mod pkg_config;

use crate::base::diag::{Diagnostic, Diagnostics, Place};
use crate::base::files;
use crate::base::hash::FastSet;
use crate::base::process::probe_limit;
use crate::lex::imports::Listed;
use crate::model::{Fragment, Package, SourcePath};
use crate::options::Selection;
use anyhow::Result;
use camino::Utf8PathBuf;
use pkg_config::Probes;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: SourcePath,
}

/// A package's effective native configuration: base fragment plus active features, merged in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeConfig {
    pub active: Vec<(String, String)>,
    pub skipped: Vec<Skipped>,
    pub sources: Vec<Source>,
    pub include_dirs: Vec<Utf8PathBuf>,
    pub cflags: Vec<String>,
    pub libraries: Vec<String>,
    pub search_paths: Vec<Utf8PathBuf>,
    pub frameworks: Vec<String>,
    /// pkg-config link flags (`-L…`, `-l…`), in the order the names were listed.
    pub pkg_link: Vec<String>,
    pub pkg_config_used: Vec<String>,
}

pub struct SelectedPackage {
    pub package: Package,
    pub config: NativeConfig,
}

pub struct Selected {
    pub packages: Vec<SelectedPackage>,
    pub probes: Probes,
}

/// One fragment that is in play for a package: the base (`feature: None`) or an active feature.
struct Part<'a> {
    feature: Option<&'a str>,
    fragment: &'a Fragment,
    /// The fragment's sources, taken out of it (see `select`).
    sources: Vec<SourcePath>,
}

pub fn select(
    mut packages: Vec<Package>,
    listed: &Listed,
    selection: &Selection,
    diags: &mut Diagnostics,
) -> Result<Selected> {
    selection.check(&packages.iter().collect::<Vec<_>>())?;
    let taken: Vec<_> = packages.iter_mut().map(|p| take_sources(p).into_iter()).collect();
    let mut parts_of = Vec::new();
    for (p, mut lists) in packages.iter().zip(taken) {
        let mut next = || lists.next().unwrap_or_default();
        let mut parts: Vec<Part> = Vec::new();
        let mut active = Vec::new();
        let mut skipped = Vec::new();
        if let Some(native) = &p.native {
            parts.push(Part { feature: None, fragment: &native.base, sources: next() });
            for f in &native.features {
                let sources = next();
                let (on, why) = selection.is_active(&p.name, &f.name, f.enabled);
                if on {
                    parts.push(Part { feature: Some(&f.name), fragment: &f.fragment, sources });
                    active.push((f.name.clone(), why));
                } else {
                    skipped.push(Skipped { name: f.name.clone(), reason: why });
                }
            }
        }
        if let Some(lib) = &p.library {
            parts.push(Part { feature: None, fragment: &lib.link, sources: next() });
        }
        parts_of.push((parts, active, skipped));
    }
    let names =
        parts_of.iter().flat_map(|(parts, ..)| parts.iter().flat_map(|x| x.fragment.pkg_config.iter().cloned()));
    let probes = pkg_config::probe_all(names).map_err(|name| {
        let limit = probe_limit().as_secs_f64();
        let program = std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
        Diagnostic::error(format!(
            "`{program}` probing `{name}` did not finish within {limit} s and was stopped (NINJABIND_PROBE_TIMEOUT sets the limit)"
        ))
        .with_help("check that pkg-config runs (`pkg-config --modversion NAME`), or raise NINJABIND_PROBE_TIMEOUT")
        .into_err()
    })?;

    let mut configs = Vec::with_capacity(packages.len());
    for (p, (parts, active, skipped)) in packages.iter().zip(parts_of) {
        configs.push(merge(p, parts, active, skipped, &probes, listed, diags)?);
    }
    let packages =
        packages.into_iter().zip(configs).map(|(package, config)| SelectedPackage { package, config }).collect();
    Ok(Selected { packages, probes })
}

/// Each fragment's sources, taken out of it, in the order `select` makes the parts: the base, every feature, the
/// library's link fragment. They move on into the configs (a copy of each was 5 MB at 21,000 sources): nothing reads
/// them from a fragment after `select`.
fn take_sources(p: &mut Package) -> Vec<Vec<SourcePath>> {
    let mut lists = Vec::new();
    if let Some(native) = &mut p.native {
        lists.push(std::mem::take(&mut native.base.sources));
        lists.extend(native.features.iter_mut().map(|f| std::mem::take(&mut f.fragment.sources)));
    }
    if let Some(lib) = &mut p.library {
        lists.push(std::mem::take(&mut lib.link.sources));
    }
    lists
}

fn merge(
    p: &Package,
    parts: Vec<Part>,
    mut active: Vec<(String, String)>,
    mut skipped: Vec<Skipped>,
    probes: &Probes,
    listed: &Listed,
    diags: &mut Diagnostics,
) -> Result<NativeConfig> {
    let mut c = NativeConfig::default();
    let mut sources: Vec<SourcePath> = Vec::new();
    for part in parts {
        let what = match part.feature {
            Some(f) => format!("feature `{f}` of package `{}`", p.name),
            None => format!("package `{}`", p.name),
        };
        let Some(found) = probed(&part, &what, probes, &mut active, &mut skipped, diags)? else { continue };
        let f = part.fragment;
        sources.extend(part.sources);
        c.include_dirs.extend(f.include_dirs.iter().cloned());
        c.cflags.extend(f.cflags.iter().cloned());
        c.libraries.extend(f.libraries.iter().cloned());
        c.search_paths.extend(f.search_paths.iter().cloned());
        c.frameworks.extend(f.frameworks.iter().cloned());
        for (name, probe) in found {
            c.include_dirs.extend(probe.include_dirs.iter().map(Utf8PathBuf::from));
            c.cflags.extend(probe.defines.iter().cloned());
            c.pkg_link.extend(probe.link_dirs.iter().map(|d| format!("-L{d}")));
            c.pkg_link.extend(probe.libs.iter().map(|l| format!("-l{l}")));
            c.pkg_config_used.push(name.clone());
        }
    }
    // by the path's text (a `Path` hashes component by component), borrowed (a copy of each was 21,000 allocations)
    let keep: Vec<bool> = {
        let mut seen: FastSet<&str> = FastSet::with_capacity_and_hasher(sources.len(), Default::default());
        sources.iter().map(|s| seen.insert(s.abs.as_str())).collect()
    };
    let mut keep = keep.into_iter();
    sources.retain(|_| keep.next().unwrap_or(true));
    dedup(&mut c.include_dirs);
    dedup(&mut c.libraries);
    dedup(&mut c.search_paths);
    dedup(&mut c.frameworks);
    dedup(&mut c.pkg_link);
    dedup(&mut c.pkg_config_used);
    c.cflags = dedup_flags(&c.cflags);
    c.active = active;
    c.skipped = skipped;

    for d in c.include_dirs.iter().chain(&c.search_paths) {
        if !d.is_dir() {
            diags.push(Diagnostic::warning(format!("folder {d} named by package `{}` does not exist", p.name)));
        }
    }
    c.sources = existing(p, sources, listed)?;
    Ok(c)
}

/// The pkg-config results a fragment asks for; `None` when an optional one is missing (the fragment, or its feature,
/// is skipped with a note), an error at the name when a required one is.
fn probed<'a>(
    part: &Part<'a>,
    what: &str,
    probes: &'a Probes,
    active: &mut Vec<(String, String)>,
    skipped: &mut Vec<Skipped>,
    diags: &mut Diagnostics,
) -> Result<Option<Vec<(&'a String, &'a pkg_config::Probe)>>> {
    let mut found = Vec::new();
    let mut failed = None;
    for name in &part.fragment.pkg_config {
        match &probes[name] {
            Ok(probe) => found.push((name, probe)),
            Err(msg) => {
                failed = Some((name, msg));
                break;
            }
        }
    }
    if let Some((name, msg)) = failed {
        if part.fragment.pkg_config_optional {
            let reason = format!("pkg-config `{name}` not found (optional): {msg}");
            diags.push(Diagnostic::note(format!("skipping {what}: {reason}")));
            match part.feature {
                Some(f) => {
                    active.retain(|(a, _)| a != f);
                    skipped.push(Skipped { name: f.to_string(), reason });
                }
                None => skipped.push(Skipped { name: "(base)".to_string(), reason }),
            }
            return Ok(None);
        }
        let search = std::env::var("PKG_CONFIG_PATH").unwrap_or_else(|_| "(unset)".to_string());
        let mut d = Diagnostic::error(format!("pkg-config could not find `{name}`, required by {what}"));
        let index = part.fragment.pkg_config.iter().position(|n| n == name);
        d.span = index.and_then(|i| part.fragment.pkg_config_spans.get(i)).cloned();
        return Err(d
            .with_note(msg.clone())
            .with_note(format!("PKG_CONFIG_PATH={search}"))
            .with_help(format!(
                "install the package that provides `{name}.pc` (on Debian, its -dev package), point PKG_CONFIG_PATH at it, or mark the fragment `\"pkg_config_optional\": true`"
            ))
            .into_err());
    }
    Ok(Some(found))
}

/// Each source, once it is known to exist as a regular file: named so by the walk's folder listing, or by a stat (gen
/// reads no C source, SPEC §5).
fn existing(p: &Package, sources: Vec<SourcePath>, listed: &Listed) -> Result<Vec<Source>> {
    let mut out = Vec::with_capacity(sources.len());
    // each by its name in its folder, held open: a package's sources share one (the kernel's walk of every whole
    // path was 14% of a cold gen's samples at 21,001 sources)
    let mut folder = files::Folder::default();
    for s in sources {
        if listed.has(&s.abs) || is_regular(&mut folder, &s.abs) {
            out.push(Source { path: s });
            continue;
        }
        let found = std::fs::metadata(&s.abs).and_then(|m| match m.is_file() {
            true => Ok(()),
            false => Err(std::io::Error::other("is not a regular file")),
        });
        if let Err(e) = found {
            let what = match e.kind() {
                std::io::ErrorKind::NotFound => "not found".to_string(),
                std::io::ErrorKind::Other => e.to_string(),
                _ => "cannot be read".to_string(),
            };
            let mut d = Diagnostic::error(format!("source `{}` of package `{}` {what}", s.written(), p.name))
                .with_note(format!("looked for {}: {e}", s.abs))
                .with_note(format!("paths are relative to the manifest's folder, {}", p.root));
            d.span = s.span.as_ref().map(Place::span);
            return Err(d.into_err());
        }
        out.push(Source { path: s });
    }
    Ok(out)
}

/// Whether `path` is a regular file (links followed), asked in its folder held open where the platform allows.
fn is_regular(folder: &mut files::Folder, path: &camino::Utf8Path) -> bool {
    #[cfg(target_os = "linux")]
    if let Some(st) = folder.stat(path) {
        return st.st_mode & libc::S_IFMT == libc::S_IFREG;
    }
    let _ = folder;
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Keeps the first of equal items, in order.
pub fn dedup<T: std::hash::Hash + Eq + Clone>(v: &mut Vec<T>) {
    let mut seen = HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

/// Deduplicates flags but keeps two-word flags (`-D X`, `-include f`) together.
fn dedup_flags(flags: &[String]) -> Vec<String> {
    let mut words: Vec<Vec<String>> = Vec::new();
    let mut it = flags.iter();
    while let Some(f) = it.next() {
        let mut w = vec![f.clone()];
        if matches!(f.as_str(), "-D" | "-U" | "-I" | "-include" | "-isystem" | "-x") {
            w.extend(it.next().cloned());
        }
        words.push(w);
    }
    dedup(&mut words);
    words.concat()
}
