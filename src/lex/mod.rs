//! Lexers gen and the scan edge share: imports and the source walk, Node's module paths, the scan cache; and HAVE_*
//! guards, which the compile edges and explain read (never gen).

pub mod have;
pub mod imports;
pub mod node;
pub mod scan_cache;
