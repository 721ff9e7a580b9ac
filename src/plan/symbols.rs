//! Symbol diff edges (SPEC §6.3): each binding's declared functions checked against its archive; symcheck across bindings.

use super::cargo::Archive;
use super::{Command, Edge, Plan, RuleKind};
use crate::options::Settings;
use crate::select::Selected;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::Utf8PathBuf;

/// Plans one symdiff per binding archive and the symcheck over all; returns the stamp the link waits for.
pub fn plan(
    s: &Settings,
    tc: &Toolchain,
    sel: &Selected,
    archives: &[Archive],
    p: &mut Plan,
) -> Result<Option<Utf8PathBuf>> {
    let l = &s.layout;
    if archives.is_empty() {
        return Ok(None);
    }
    let exe = super::regen::exe_path()?.to_string();
    let mut syms = Vec::new();
    for a in archives {
        let sp = sel.packages.iter().find(|sp| sp.package.name == a.package).expect("archive of a selected package");
        let lib = sp.package.library.as_ref().expect("a binding has a library");
        let out = l.out_path(format!("sym/{}.syms", a.id));
        let mut argv = vec![exe.clone(), "edge".into(), "symdiff".into(), "--package".into(), a.package.clone()];
        argv.extend(["--nm".into(), tc.nm.clone(), "--target".into(), tc.target.clone()]);
        if s.strict_symbols {
            argv.push("--strict-symbols".into());
        }
        argv.extend(["--out".into(), out.to_string()]);
        for f in &lib.functions {
            argv.extend(["--declared".into(), f.clone()]);
        }
        argv.push(a.path.to_string());
        let mut e = Edge::new(RuleKind::Symdiff, vec![out.clone()]);
        e.inputs = vec![a.path.clone()];
        e.implicit_inputs = vec![l.rel(&sp.package.manifest)];
        e.command = Some(Command { env: vec![], argv });
        e.package = Some(a.package.clone());
        p.edges.push(e);
        syms.push(out);
    }
    let stamp = l.out_path("sym/all.stamp");
    let mut argv = vec![exe, "edge".into(), "symcheck".into(), "--out".into(), stamp.to_string()];
    argv.extend(syms.iter().map(|s| s.to_string()));
    let mut e = Edge::new(RuleKind::Symcheck, vec![stamp.clone()]);
    e.inputs = syms;
    e.command = Some(Command { env: vec![], argv });
    p.edges.push(e);
    Ok(Some(stamp))
}
