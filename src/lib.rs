//! ninjabind: load → resolve → select → plan → emit, turning a project's native bindings into a Ninja graph.

pub mod edges;
pub mod emit;
pub mod init;
pub mod layout;
pub mod load;
pub mod model;
pub mod options;
pub mod plan;
pub mod report;
pub mod resolve;
pub mod select;
pub mod toolchain;
pub mod validate;

use anyhow::Result;
use options::{GenArgs, Settings};
use report::diagnostic::Diagnostics;

/// Everything one run of the stages produced, before anything is written.
pub struct Generated {
    pub settings: Settings,
    pub resolved: resolve::Resolved,
    pub selected: select::Selected,
    pub plan: plan::Plan,
    pub toolchain: toolchain::Toolchain,
}

/// Runs every stage up to the plan; writes nothing.
pub fn build_plan(args: &GenArgs, diags: &mut Diagnostics) -> Result<Generated> {
    let mut env = options::read_env();
    let mut kept = None;
    if !args.fresh && !args.has_graph_options() {
        // like meson and cmake: a configured build folder keeps its options; the shell's variables still win
        if let Some((recorded, recorded_env)) = args.recorded() {
            for (k, v) in recorded_env {
                if let std::collections::btree_map::Entry::Vacant(slot) = env.entry(k) {
                    // the cc and pkg-config crates read the process environment themselves
                    std::env::set_var(slot.key(), &v);
                    slot.insert(v);
                }
            }
            kept = Some(recorded);
        }
    }
    let settings = kept.as_ref().unwrap_or(args).resolve(&env)?;
    let mut ctx = load::LoadCtx { strict_manifests: settings.strict_manifests, diags };
    let target = settings.target.clone().unwrap_or_else(toolchain::host_triple);
    let resolved = resolve::resolve(&mut ctx, &settings, &target)?;
    let mut resolved = resolved;
    // the packages move on to select; the rest of `resolved` (imports, watched files) stays for plan and explain
    let selected = select::select(std::mem::take(&mut resolved.packages), &settings.selection, diags)?;
    let toolchain = toolchain::Toolchain::detect(&settings)?;
    let plan = plan::plan(&settings, &toolchain, &selected, &resolved)?;
    Ok(Generated { settings, resolved, selected, plan, toolchain })
}

/// `ninjabind gen`: plans, then writes the files that changed.
pub fn gen(args: &GenArgs, diags: &mut Diagnostics) -> Result<(Generated, emit::Written)> {
    let g = build_plan(args, diags)?;
    let graph = report::explain::graph_json(&g);
    let written = emit::write_all(&g.plan, &g.settings.layout, &graph)?;
    Ok((g, written))
}
