//! Lexers gen and the scan edge share: imports and the source walk, HAVE_* guards, Node's module paths, the scan cache.

pub mod have;
pub mod imports;
pub mod node;
pub mod scan_cache;
