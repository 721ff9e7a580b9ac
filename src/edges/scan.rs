//! `ninjabind edge scan`: the import set and HAVE_* guards, summarised the same way by gen and by the edge,
//! so the stamp (and with it build.ninja) changes only when they do.

use crate::lex::have::required_macros_in;
use crate::lex::imports::{scan, source_files};
use crate::lex::node::{is_builtin, is_relative, nearest_package, package_name};
use crate::lex::scan_cache::{ScanCache, ScanMemo};
use crate::model::Import;
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
    let rel = |p: &Utf8Path| crate::base::layout::relative(base, p);
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

/// The scan edge's work in the folder ninja runs in: walk again, and read only what changed since `memo`'s cache.
pub fn rescan(spec: &ScanSpec, base: &Utf8Path, memo: &mut ScanMemo) -> Result<String> {
    let root = crate::base::layout::normalize(&base.join(&spec.root));
    let exts: Vec<&str> = spec.exts.iter().map(String::as_str).collect();
    let skip: Vec<Utf8PathBuf> = spec.skip.iter().map(|s| crate::base::layout::normalize(&base.join(s))).collect();
    let files = source_files(&root, &exts, &skip).files;
    let mut imports = Vec::new();
    for f in &files {
        imports.extend(memo.imports(f, || -> Result<Vec<Import>> {
            let text = crate::base::files::read_regular(f, 256 << 20).with_context(|| format!("cannot read {f}"))?;
            Ok(scan(f, &String::from_utf8_lossy(&text)))
        })?);
    }
    let mut gates = Vec::new();
    for s in &spec.sources {
        let abs = crate::base::layout::normalize(&base.join(s));
        let required = memo.gates(&abs, || required_macros_in(&abs)).with_context(|| format!("cannot read {abs}"))?;
        gates.push((abs, required));
    }
    Ok(summary(base, &imports, spec.perry, &gates))
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
    let Ok(text) = crate::base::files::read_regular_text(&a.list, 256 << 20) else {
        // the build folder was deleted: a stamp that differs from any summary makes ninja regenerate
        crate::base::write::write_if_changed(&a.out, b"the scan list is missing: regenerate\n")?;
        return Ok(0);
    };
    let timer = crate::protocol::runlog::Timer::start();
    let spec = ScanSpec::parse(&text);
    // what the last scan read, beside the list; unreadable or missing: read everything
    let cache_path = a.list.with_file_name(crate::lex::scan_cache::FILE);
    let mut memo = ScanMemo::new(ScanCache::load(&cache_path));
    let summary = rescan(&spec, &crate::base::layout::current_dir()?, &mut memo)?;
    let changed = crate::base::write::write_if_changed(&a.out, summary.as_bytes())?;
    // rewritten only when it changed: a file was read, or one is gone
    if memo.changed() {
        let _ = crate::base::write::write_cache(&cache_path, &memo.next.to_bytes());
    }
    let decision =
        if changed { crate::protocol::runlog::Decision::Ran } else { crate::protocol::runlog::Decision::CutOff };
    timer.finish(decision, a.out.as_str());
    Ok(0)
}
