//! `ninjabind edge scan`: the import set and HAVE_* guards, summarised the same way by gen and by the edge,
//! so the stamp (and with it build.ninja) changes only when they do.

use crate::model::Import;
use crate::resolve::imports::{scan, source_files};
use crate::resolve::node::{is_builtin, is_relative, nearest_package, package_name};
use crate::select::gate::required_macros_in;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::BTreeSet;

/// What to scan, as gen writes it to `O/scan.list` (paths relative to the ninja file's folder).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSpec {
    pub root: Utf8PathBuf,
    pub exts: Vec<String>,
    pub skip: Vec<Utf8PathBuf>,
    pub perry: bool,
    pub sources: Vec<Utf8PathBuf>,
}

impl ScanSpec {
    pub fn render(&self) -> String {
        let mut s = format!(
            "root {}\nfront-end {}\nexts {}\n",
            self.root,
            if self.perry { "perry" } else { "vex" },
            self.exts.join(" ")
        );
        for k in &self.skip {
            s.push_str(&format!("skip {k}\n"));
        }
        for src in &self.sources {
            s.push_str(&format!("source {src}\n"));
        }
        s
    }

    pub fn parse(text: &str) -> ScanSpec {
        let mut spec = ScanSpec::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once(' ') else { continue };
            match k {
                "root" => spec.root = v.into(),
                "front-end" => spec.perry = v == "perry",
                "exts" => spec.exts = v.split(' ').map(str::to_string).collect(),
                "skip" => spec.skip.push(v.into()),
                "source" => spec.sources.push(v.into()),
                _ => {}
            }
        }
        spec
    }
}

/// One line per import (file, specifier, kind, and for Perry the nearest installed package) and per gated source.
pub fn summary(base: &Utf8Path, imports: &[Import], perry: bool, gates: &[(Utf8PathBuf, Vec<String>)]) -> String {
    let rel = |p: &Utf8Path| crate::layout::relative(base, p);
    let mut lines = BTreeSet::new();
    // each (folder, package) is looked up once, however many imports name it
    let mut installed: std::collections::HashMap<(Utf8PathBuf, String), String> = std::collections::HashMap::new();
    for i in imports {
        let mut line =
            format!("import {} {} {}", rel(&i.file), i.specifier, if i.type_only { "type" } else { "value" });
        if perry && !i.type_only && !is_relative(&i.specifier) && !is_builtin(&i.specifier) {
            let from = i.file.parent().unwrap_or(Utf8Path::new("/")).to_owned();
            let key = (from, package_name(&i.specifier));
            let found = installed.entry(key).or_insert_with_key(|(from, pkg)| match nearest_package(from, pkg).0 {
                Some(m) => {
                    // the reader gen uses (BOM skipped); one it cannot parse reads as "not native", the summary
                    // differs from gen's, and the regeneration reports the manifest's error with its position
                    let native = crate::load::package_json::declares_native_library(&m, &m).unwrap_or(false);
                    format!(" -> {}{}", rel(&m), if native { " native" } else { "" })
                }
                None => String::new(),
            });
            line.push_str(found);
        }
        lines.insert(line);
    }
    for (src, macros) in gates {
        if !macros.is_empty() {
            lines.insert(format!("gate {} {}", rel(src), macros.join(" ")));
        }
    }
    lines.into_iter().map(|l| l + "\n").collect()
}

/// What the scan read from each file last time, by path, with the file's stat then: a file whose size, mtime and inode
/// are unchanged is not read again (the trust ninja and the gate place in the same three; docs/CI.md).
/// A file's size, mtime (ns) and inode when it was read.
type Stamp = (u64, u128, u64);

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ScanCache {
    /// path → its stamp and its imports as (specifier, type-only)
    imports: std::collections::BTreeMap<String, (Stamp, Vec<(String, bool)>)>,
    /// path → its stamp and the HAVE_* macros its guard requires
    gates: std::collections::BTreeMap<String, (Stamp, Vec<String>)>,
}

fn stat_key(p: &Utf8Path) -> Option<Stamp> {
    crate::edges::gate::stat(p).map(|s| (s.size, s.mtime_ns, s.inode))
}

/// The scan edge's work in the folder ninja runs in: walk again, and read what changed since `cache`.
pub fn rescan_cached(spec: &ScanSpec, base: &Utf8Path, cache: &ScanCache) -> Result<(String, ScanCache)> {
    let root = crate::layout::normalize(&base.join(&spec.root));
    let exts: Vec<&str> = spec.exts.iter().map(String::as_str).collect();
    let skip: Vec<Utf8PathBuf> = spec.skip.iter().map(|s| crate::layout::normalize(&base.join(s))).collect();
    let files = source_files(&root, &exts, &skip).files;
    let mut next = ScanCache::default();
    let mut imports = Vec::new();
    for f in &files {
        let st = stat_key(f);
        let found: Vec<(String, bool)> = match (st, cache.imports.get(f.as_str())) {
            (Some(st), Some((was, found))) if st == *was => found.clone(),
            _ => {
                let text = crate::files::read_regular(f, 256 << 20).with_context(|| format!("cannot read {f}"))?;
                scan(f, &String::from_utf8_lossy(&text)).into_iter().map(|i| (i.specifier, i.type_only)).collect()
            }
        };
        imports.extend(found.iter().map(|(specifier, type_only)| Import {
            file: f.clone(),
            line: 0,
            column: 0,
            specifier: specifier.clone(),
            type_only: *type_only,
        }));
        if let Some(st) = st {
            next.imports.insert(f.to_string(), (st, found));
        }
    }
    let mut gates = Vec::new();
    for s in &spec.sources {
        let abs = crate::layout::normalize(&base.join(s));
        let st = stat_key(&abs);
        let required = match (st, cache.gates.get(abs.as_str())) {
            (Some(st), Some((was, macros))) if st == *was => macros.clone(),
            _ => required_macros_in(&abs).with_context(|| format!("cannot read {abs}"))?,
        };
        if let Some(st) = st {
            next.gates.insert(abs.to_string(), (st, required.clone()));
        }
        gates.push((abs, required));
    }
    Ok((summary(base, &imports, spec.perry, &gates), next))
}

/// The scan edge's work with nothing remembered: every file read.
pub fn rescan(spec: &ScanSpec, base: &Utf8Path) -> Result<String> {
    rescan_cached(spec, base, &ScanCache::default()).map(|(summary, _)| summary)
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// The list gen wrote: project root, extensions, skipped folders, C sources.
    #[arg(long)]
    pub list: camino::Utf8PathBuf,
    #[arg(long)]
    pub out: camino::Utf8PathBuf,
    /// The list's hash when gen wrote it: only in the command, so a new list re-runs the scan.
    #[arg(long)]
    pub list_hash: Option<String>,
}

/// `ninjabind edge scan`: rewrites the stamp only when imports or HAVE_* guards changed, so ninja regenerates only then.
pub fn run(a: &ScanArgs) -> Result<i32> {
    let Ok(text) = crate::files::read_regular_text(&a.list, 256 << 20) else {
        // the build folder was deleted: a stamp that differs from any summary makes ninja regenerate
        crate::emit::write::write_if_changed(&a.out, b"the scan list is missing: regenerate\n")?;
        return Ok(0);
    };
    let timer = super::runlog::Timer::start();
    let spec = ScanSpec::parse(&text);
    // what the last scan read, beside the list; unreadable or missing: read everything
    let cache_path = a.list.with_extension("cache");
    let cached = crate::files::read_regular(&cache_path, 256 << 20).unwrap_or_default();
    let cache: ScanCache = serde_json::from_slice(&cached).unwrap_or_default();
    let (summary, next) = rescan_cached(&spec, &crate::layout::current_dir()?, &cache)?;
    let changed = crate::emit::write::write_if_changed(&a.out, summary.as_bytes())?;
    // compared with the bytes just read: an unchanged cache is not read again nor rewritten
    let bytes = serde_json::to_vec(&next).unwrap_or_default();
    if !bytes.is_empty() && bytes != cached {
        let _ = crate::emit::write::write_if_changed(&cache_path, &bytes);
    }
    let decision = if changed { super::runlog::Decision::Ran } else { super::runlog::Decision::CutOff };
    timer.finish(decision, a.out.as_str());
    Ok(0)
}
