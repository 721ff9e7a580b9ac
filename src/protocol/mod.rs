//! Files gen writes and an edge (or gen again) reads: each format's writer beside its parser, with a round-trip test.

pub mod cache;
pub mod depfile;
pub mod gate;
pub mod header;
pub mod runlog;
pub mod scan;
