//! ninjabind: load → resolve → select → plan → emit, turning a project's native bindings into a Ninja graph.

pub mod base;
pub mod edges;
pub mod emit;
pub mod fuzzing;
pub mod init;
pub mod lex;
pub mod load;
pub mod model;
pub mod options;
pub mod pipeline;
pub mod plan;
pub mod protocol;
pub mod report;
pub mod resolve;
pub mod select;
pub mod toolchain;
pub mod validate;
pub mod watch;

use anyhow::Result;
use base::diag::Diagnostics;
use options::Effective;
pub use pipeline::{build_plan, Generated};

/// `ninjabind gen`: plans, then writes the files that changed.
pub fn gen(eff: &Effective, diags: &mut Diagnostics) -> Result<(Generated, emit::Written)> {
    let g = build_plan(eff, diags)?;
    let written = emit::write_all(&g.plan, &g.settings.layout, |w| report::explain::write_graph_json(&g, w), &g.scan)?;
    Ok((g, written))
}
