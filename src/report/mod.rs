//! What the user reads: diagnostics and the `explain` rendering of a plan.

pub mod dot;
pub mod explain;
pub mod gates;
pub mod list;
pub mod stats;
