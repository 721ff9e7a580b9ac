//! `ninjabind edge scan`: the import set read again, summarised as gen summarises it, so the stamp (and with it
//! build.ninja) changes only when it does. C sources are not its business: their compile edges decide their gates.

use crate::base::files::{read_regular, read_regular_text};
use crate::base::layout::{current_dir, normalize};
use crate::base::write::{write_cache, write_if_changed};
use crate::lex::imports::{scan, source_files};
use crate::lex::scan_cache::{ScanCache, ScanMemo, FILE as CACHE_FILE};
use crate::model::Import;
use crate::protocol::runlog::{Decision, Timer};
use crate::protocol::scan::{present_project_files, summary, ScanSpec};
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// The scan edge's work in the folder ninja runs in: walk again, and read only what changed since the cache at
/// `cache` (loaded here, while the walk runs).
pub fn rescan(spec: &ScanSpec, base: &Utf8Path, cache: &Utf8Path) -> Result<(String, ScanMemo)> {
    let root = normalize(&base.join(&spec.root));
    let exts: Vec<&str> = spec.exts.iter().map(String::as_str).collect();
    let skip: Vec<Utf8PathBuf> = spec.skip.iter().map(|s| normalize(&base.join(s))).collect();
    // the project's folders are listed on another core while the cache is read
    let (files, mut memo) = std::thread::scope(|sc| -> Result<_> {
        let walk = sc.spawn(|| source_files(&root, &exts, &skip, false).files);
        let memo = ScanMemo::new(ScanCache::load(cache));
        let files = walk.join().map_err(|_| anyhow::anyhow!("listing the project's sources panicked"))?;
        Ok((files, memo))
    })?;
    let mut imports = Vec::new();
    for f in &files {
        imports.extend(memo.imports(f, || -> Result<Vec<Import>> {
            let text = read_regular(f, 256 << 20).with_context(|| format!("cannot read {f}"))?;
            Ok(scan(f, &String::from_utf8_lossy(&text)))
        })?);
    }
    Ok((summary(base, &imports, spec.perry, &present_project_files(&root)), memo))
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// The list gen wrote: project root, extensions, skipped folders.
    #[arg(long)]
    pub list: camino::Utf8PathBuf,
    #[arg(long)]
    pub out: camino::Utf8PathBuf,
    /// The list's hash when gen wrote it: only in the command, so a new list re-runs the scan.
    #[arg(long)]
    pub list_hash: Option<String>,
}

/// `ninjabind edge scan`: rewrites the stamp only when the imports changed, so ninja regenerates only then.
pub fn run(a: &ScanArgs) -> Result<i32> {
    let Ok(text) = read_regular_text(&a.list, 256 << 20) else {
        // the build folder was deleted: a stamp that differs from any summary makes ninja regenerate
        write_if_changed(&a.out, b"the scan list is missing: regenerate\n")?;
        return Ok(0);
    };
    let timer = Timer::start();
    let spec = ScanSpec::parse(&text);
    // what the last scan read, beside the list; unreadable or missing: read everything
    let cache_path = a.list.with_file_name(CACHE_FILE);
    let (summary, memo) = rescan(&spec, &current_dir()?, &cache_path)?;
    let changed = write_if_changed(&a.out, summary.as_bytes())?;
    // rewritten only when it changed: a file was read, or one is gone
    if let Some(cache) = memo.finish().cache {
        let _ = write_cache(&cache_path, &cache);
    }
    let decision = if changed { Decision::Ran } else { Decision::CutOff };
    timer.finish(decision, a.out.as_str());
    Ok(0)
}
