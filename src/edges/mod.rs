//! What ninja runs at build time (`ninjabind edge …`): the cargo wrapper, the symbol diff, symcheck. Never calls the stages.

pub mod cargo;
pub mod depfile;
pub mod gate;
pub mod symdiff;

use anyhow::Result;
use camino::Utf8Path;

/// Replaces `dst` with `src`'s bytes only when they differ, atomically; returns whether it wrote.
pub fn copy_if_changed(src: &Utf8Path, dst: &Utf8Path) -> Result<bool> {
    let bytes = std::fs::read(src).map_err(|e| anyhow::anyhow!("cannot read {src}: {e}"))?;
    crate::emit::write::write_if_changed(dst, &bytes)
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// The list gen wrote: project root, extensions, skipped folders, C sources.
    #[arg(long)]
    pub list: camino::Utf8PathBuf,
    #[arg(long)]
    pub out: camino::Utf8PathBuf,
}

/// `ninjabind edge scan`: rewrites the stamp only when imports or HAVE_* guards changed, so ninja regenerates only then.
pub fn scan(a: &ScanArgs) -> Result<i32> {
    let text = std::fs::read_to_string(&a.list).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", a.list))?;
    let spec = crate::resolve::scan::ScanSpec::parse(&text);
    let summary = crate::resolve::scan::rescan(&spec, &crate::layout::current_dir()?)?;
    crate::emit::write::write_if_changed(&a.out, summary.as_bytes())?;
    Ok(0)
}
