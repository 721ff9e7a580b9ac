//! The stages in order — load → resolve → select → plan — run on the effective options; writes nothing.

use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::memory;
use crate::base::target::host_triple;
use crate::lex::scan_cache::{ScanCache, ScanMemo, Scanned, FILE as SCAN_CACHE};
use crate::load::LoadCtx;
use crate::model::FrontEnd;
use crate::options::{Effective, Settings};
use crate::resolve::perry::check_allowed;
use crate::toolchain::vex::{find_vex, VexSearch};
use crate::toolchain::{find_perry, PerrySearch, Toolchain};
use crate::{plan, resolve, select};
use anyhow::Result;

/// Everything one run of the stages produced, before anything is written.
pub struct Generated {
    pub settings: Settings,
    pub resolved: resolve::Resolved,
    pub selected: select::Selected,
    pub plan: plan::Plan,
    pub toolchain: Toolchain,
    /// What the scans read and reused; its cache is written with the other outputs.
    pub scan: Scanned,
}

/// Runs every stage up to the plan; writes nothing.
pub fn build_plan(eff: &Effective, diags: &mut Diagnostics) -> Result<Generated> {
    memory::purge_at_once();
    let fresh = eff.args.fresh;
    let mut settings = eff.args.resolve(&eff.env)?;
    // what the last gen or scan edge read, by stamp; `--fresh` reads every file again
    let cache = match fresh {
        true => ScanCache::default(),
        false => ScanCache::load(&settings.layout.out.join(SCAN_CACHE)),
    };
    let mut scan = ScanMemo::new(cache);
    let mut ctx = LoadCtx { strict_manifests: settings.strict_manifests, diags };
    let target = settings.target.clone().unwrap_or_else(host_triple);
    let (perry, vex) = match resolve::front_end(&settings.layout, settings.entry.as_deref())? {
        FrontEnd::Perry => (find_perry(&settings)?, VexSearch::default()),
        FrontEnd::Vex => {
            let l = &settings.layout;
            let vex = find_vex(settings.vex.as_deref(), &settings.stdlib, &settings.env, |p| l.display(p).to_string())?;
            // the stdlib the compiler reads is the one gen resolves imports in
            if let (Some(v), true) = (&vex.found, settings.stdlib.is_empty()) {
                settings.stdlib = vec![v.stdlib.clone()];
            }
            (PerrySearch::default(), vex)
        }
    };
    // the compilers are probed (eight runs of them, most of it waiting; or their answers kept from an earlier gen are
    // read) while the manifests and sources are read
    let (mut toolchain, resolved, selected, scan) = std::thread::scope(|sc| -> Result<_> {
        let probe = sc.spawn(|| Toolchain::detect(&settings, fresh));
        let mut resolved =
            resolve::resolve(&mut ctx, &settings, &target, perry.found.as_ref(), vex.found.is_some(), &mut scan)?;
        // the packages move on to select; the rest of `resolved` (imports, watched files) stays for plan and explain
        let packages = std::mem::take(&mut resolved.packages);
        let listed = std::mem::take(&mut resolved.listed);
        let selected = select::select(packages, &listed, &settings.selection, ctx.diags)?;
        drop(listed);
        // nothing is read after select: the cache's tables become the bytes written at the end
        let scan = scan.finish();
        // what resolve's and select's threads freed goes back before plan, which would reuse only part of it
        memory::give_back();
        let toolchain = probe.join().map_err(|_| anyhow::anyhow!("the compiler probe panicked"))??;
        Ok((toolchain, resolved, selected, scan))
    })?;
    if let Some(w) = &toolchain.linker_warning {
        diags.push(Diagnostic::warning(w.clone()));
    }
    toolchain.perry = perry;
    toolchain.vex = vex;
    if resolved.front_end == FrontEnd::Perry {
        let root = &selected.packages[0].package;
        let found = toolchain.perry.found.is_some();
        check_allowed(&resolved.imports, root, found, settings.allow_all_native, &settings.layout, diags)?;
    }
    let plan = plan::plan(&settings, &toolchain, &selected, &resolved)?;
    // and what plan freed (its transient lists), before emit's threads ask for pages of their own
    memory::give_back();
    Ok(Generated { settings, resolved, selected, plan, toolchain, scan })
}
