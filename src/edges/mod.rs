//! What ninja runs at build time (`ninjabind edge …`): the cargo wrapper, the symbol diff, symcheck. Never calls the stages.

pub mod cargo;
pub mod depfile;
pub mod gate;
pub mod native_libs;
pub mod scan;
pub mod symdiff;

use anyhow::Result;
use camino::Utf8Path;

/// Replaces `dst` with `src`'s bytes only when they differ, atomically; returns whether it wrote.
pub fn copy_if_changed(src: &Utf8Path, dst: &Utf8Path) -> Result<bool> {
    let bytes = std::fs::read(src).map_err(|e| anyhow::anyhow!("cannot read {src}: {e}"))?;
    crate::emit::write::write_if_changed(dst, &bytes)
}
