//! The ground floor: diagnostics, files, escaping, layout, hashing, memory, bounded probes and target facts. Imports nothing else
//! in the crate.

pub mod color;
pub mod diag;
pub mod escape;
pub mod files;
pub mod hash;
pub mod layout;
pub mod memory;
pub mod process;
pub mod target;
pub mod write;
