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
pub mod plan;
pub mod protocol;
pub mod report;
pub mod resolve;
pub mod select;
pub mod toolchain;
pub mod validate;

use anyhow::Result;
use base::diag::Diagnostics;
use options::{GenArgs, Settings};

/// Everything one run of the stages produced, before anything is written.
pub struct Generated {
    pub settings: Settings,
    pub resolved: resolve::Resolved,
    pub selected: select::Selected,
    pub plan: plan::Plan,
    pub toolchain: toolchain::Toolchain,
    /// What the scans read and reused; its cache is written with the other outputs.
    pub scan: lex::scan_cache::ScanMemo,
}

/// Runs every stage up to the plan; writes nothing.
pub fn build_plan(args: &GenArgs, diags: &mut Diagnostics) -> Result<Generated> {
    let fresh = args.fresh;
    let (args, env) = args.effective(diags);
    let settings = args.resolve(&env)?;
    // what the last gen or scan edge read, by stamp; `--fresh` reads every file again
    let cache = match fresh {
        true => lex::scan_cache::ScanCache::default(),
        false => lex::scan_cache::ScanCache::load(&settings.layout.out.join(lex::scan_cache::FILE)),
    };
    let mut scan = lex::scan_cache::ScanMemo::new(cache);
    let mut ctx = load::LoadCtx { strict_manifests: settings.strict_manifests, diags };
    let target = settings.target.clone().unwrap_or_else(base::target::host_triple);
    let mut resolved = resolve::resolve(&mut ctx, &settings, &target, &mut scan)?;
    // the packages move on to select; the rest of `resolved` (imports, watched files) stays for plan and explain
    let selected = select::select(std::mem::take(&mut resolved.packages), &settings.selection, &mut scan, diags)?;
    let toolchain = toolchain::Toolchain::detect(&settings)?;
    let plan = plan::plan(&settings, &toolchain, &selected, &resolved)?;
    Ok(Generated { settings, resolved, selected, plan, toolchain, scan })
}

/// `ninjabind gen`: plans, then writes the files that changed.
pub fn gen(args: &GenArgs, diags: &mut Diagnostics) -> Result<(Generated, emit::Written)> {
    let g = build_plan(args, diags)?;
    let written = emit::write_all(&g.plan, &g.settings.layout, |w| report::explain::write_graph_json(&g, w), &g.scan)?;
    Ok((g, written))
}
