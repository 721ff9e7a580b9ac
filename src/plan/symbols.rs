//! Symbol diff edges (SPEC §6.3): each binding's declared functions checked against its archive; symcheck across bindings.

use super::cargo::Archive;
use super::{Command, Edge, Objects, Plan, RuleKind};
use crate::options::Settings;
use crate::select::Selected;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::Utf8PathBuf;

/// Plans one symdiff per binding (its archive and/or its C objects) and the symcheck over all; returns the stamp the link waits for.
pub fn plan(
    s: &Settings,
    tc: &Toolchain,
    sel: &Selected,
    archives: &[Archive],
    objects: &Objects,
    runtime: &[Utf8PathBuf],
    p: &mut Plan,
) -> Result<Option<Utf8PathBuf>> {
    let l = &s.layout;
    let exe = super::regen::exe_path()?.to_string();
    let mut syms = Vec::new();
    for sp in &sel.packages {
        let Some(lib) = &sp.package.library else { continue };
        let id = sp.package.id();
        let archive = archives.iter().find(|a| a.package == sp.package.name).map(|a| a.path.clone());
        let objs =
            if lib.functions.is_empty() { vec![] } else { objects.by_package.get(&id).cloned().unwrap_or_default() };
        let inputs: Vec<Utf8PathBuf> = archive.iter().cloned().chain(objs.iter().cloned()).collect();
        if inputs.is_empty() {
            continue;
        }
        let out = l.out_path(format!("sym/{id}.syms"));
        let mut argv = vec![exe.clone(), "edge".into(), "symdiff".into(), "--package".into(), sp.package.name.clone()];
        // each input kind has its reader: the compiler's nm for (LTO'd) C objects, one that reads rustc's archives
        argv.extend(["--nm".into(), tc.nm.clone(), "--archive-nm".into(), tc.archive_nm.clone()]);
        argv.extend(["--target".into(), tc.target.clone()]);
        if let Some(a) = &archive {
            argv.extend(["--archive".into(), a.to_string()]);
        }
        if s.strict_symbols {
            argv.push("--strict-symbols".into());
        }
        // errors point into the manifest, `path:line:col: error: …`, for editors to jump to
        argv.extend(["--out".into(), out.to_string(), "--manifest".into(), l.rel(&sp.package.manifest).to_string()]);
        for (f, (line, col)) in &lib.finalizers {
            argv.extend(["--finalizer".into(), format!("{f}@{line}:{col}")]);
        }
        for (i, f) in lib.functions.iter().enumerate() {
            let at = lib.declared_at.get(i).map(|(line, col)| format!("@{line}:{col}")).unwrap_or_default();
            argv.extend(["--declared".into(), format!("{f}{at}")]);
        }
        argv.extend(objs.iter().map(|i| i.to_string()));
        let mut e = Edge::new(RuleKind::Symdiff, vec![out.clone()]);
        e.inputs = inputs;
        e.more_mut().implicit_inputs = vec![l.rel(&sp.package.manifest)];
        e.command = Some(Box::new(Command { env: vec![], argv }));
        e.package = Some(sp.package.name.as_str().into());
        p.edges.push(e);
        syms.push(out);
    }
    if syms.is_empty() {
        return Ok(None);
    }
    let stamp = l.out_path("sym/all.stamp");
    // Perry links with --allow-multiple-definition: a binding's symbol its runtime defines too is checked here,
    // against the runtime's symbols listed once by an edge of their own
    let runtime_list = (!runtime.is_empty()).then(|| l.out_path("host/perry-runtime.syms"));
    if let Some(list) = &runtime_list {
        let mut argv = vec![exe.clone(), "edge".into(), "runtime-syms".into(), "--out".into(), list.to_string()];
        argv.extend(["--nm".into(), tc.archive_nm.clone(), "--target".into(), tc.target.clone()]);
        argv.extend(runtime.iter().map(|r| r.to_string()));
        let mut e = Edge::new(RuleKind::Symdiff, vec![list.clone()]);
        e.inputs = runtime.to_vec();
        e.command = Some(Box::new(Command { env: vec![], argv }));
        p.edges.push(e);
    }
    let mut argv = vec![exe, "edge".into(), "symcheck".into(), "--out".into(), stamp.to_string()];
    if let Some(list) = &runtime_list {
        argv.extend(["--runtime".into(), list.to_string()]);
        if s.strict_symbols {
            argv.push("--strict-symbols".into());
        }
    }
    argv.extend(syms.iter().map(|s| s.to_string()));
    let mut e = Edge::new(RuleKind::Symcheck, vec![stamp.clone()]);
    e.inputs = syms.into_iter().chain(runtime_list).collect();
    e.command = Some(Box::new(Command { env: vec![], argv }));
    p.edges.push(e);
    Ok(Some(stamp))
}
