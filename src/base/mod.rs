//! The ground floor: diagnostics, files, escaping, layout, hashing and target facts. Imports nothing else in the crate.

pub mod color;
pub mod diag;
pub mod escape;
pub mod files;
pub mod hash;
pub mod layout;
pub mod target;
pub mod write;
