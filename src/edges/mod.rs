//! What ninja runs at build time (`ninjabind edge …`): the cargo wrapper, the symbol diff, symcheck. Never calls the stages.

pub mod cache;
pub mod cargo;
pub mod gate;
pub mod have_gate;
pub mod lock;
pub mod native_libs;
pub mod nm_memo;
pub mod perry;
pub mod scan;
pub mod shared_hashes;
pub mod stage;
pub mod symdiff;
pub mod thin_archive;
pub mod unzstd;
pub mod vex;

use crate::base::files::open_regular;
use crate::base::write;
use anyhow::Result;
use camino::Utf8Path;

/// `path:line:col: level: message` (or `path: level: message` without a position): the shape compilers print, which
/// editors' problem matchers (VS Code's `$gcc`, Emacs and Vim compilation mode) jump to.
pub fn located(file: &str, at: Option<&str>, level: &str, message: &str) -> String {
    match at {
        Some(at) => format!("{file}:{at}: {level}: {message}"),
        None => format!("{file}: {level}: {message}"),
    }
}

/// An edge's failure printed at the file it concerns, exit 1 (ninja shows it under `FAILED:`).
pub fn fail_at(file: &str, result: Result<i32>) -> Result<i32> {
    result.or_else(|e| {
        eprintln!("{}", located(file, None, "error", &format!("{e:#}")));
        Ok(1)
    })
}

/// Replaces `dst` with `src`'s bytes only when they differ, atomically; returns whether it wrote. A build output (a
/// Rust static archive is tens of MB): streamed, not fsynced (`write::write_output`).
pub fn copy_if_changed(src: &Utf8Path, dst: &Utf8Path) -> Result<bool> {
    let mut f = open_regular(src).map_err(|e| anyhow::anyhow!("cannot read {src}: {e}"))?;
    write::write_output(dst, |w| std::io::copy(&mut f, w).map(|_| ()))
}
