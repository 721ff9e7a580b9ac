//! perry.lock checks: one edge per prebuilt archive of a Perry project, which the link waits for (Perry's #498).

use super::regen::exe_path;
use super::{Command, Edge, Plan, RuleKind};
use crate::model::{ArchiveSource, FrontEnd};
use crate::options::Settings;
use crate::resolve::Resolved;
use crate::select::Selected;
use anyhow::Result;
use camino::Utf8PathBuf;

/// perry.lock's key for this host's target, as Perry derives it (`linux-x86_64`, `macos-arm64`).
pub fn target_key() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        "x86" => "i686",
        arch => arch,
    };
    format!("{os}-{arch}")
}

/// Plans the checks when the project has a perry.lock or the lock is frozen; returns their stamps.
pub fn plan(s: &Settings, resolved: &Resolved, sel: &Selected, p: &mut Plan) -> Result<Vec<Utf8PathBuf>> {
    let l = &s.layout;
    let lock = l.project.join("perry.lock");
    if resolved.front_end != FrontEnd::Perry || !(s.frozen_lock || lock.is_file()) {
        return Ok(vec![]);
    }
    let exe = exe_path()?.to_string();
    let mut stamps = Vec::new();
    for sp in &sel.packages {
        let pkg = &sp.package;
        let Some(ArchiveSource::Prebuilt { path, .. }) = pkg.library.as_ref().and_then(|lib| lib.archive.as_ref())
        else {
            continue;
        };
        let out = l.out_path(format!("lock/{}.ok", pkg.id()));
        let mut argv = vec![exe.clone(), "edge".into(), "lock".into(), "--lock".into(), l.rel(&lock).to_string()];
        argv.extend(["--package".into(), pkg.name.clone(), "--target-key".into(), target_key()]);
        if s.frozen_lock {
            argv.push("--frozen".into());
        }
        argv.extend(["--out".into(), out.to_string(), l.rel(path).to_string()]);
        let mut e = Edge::new(RuleKind::Lock, vec![out.clone()]);
        e.inputs = vec![l.rel(path)];
        e.more_mut().implicit_inputs = lock.is_file().then(|| l.rel(&lock)).into_iter().collect();
        e.command = Some(Box::new(Command { env: vec![], argv }));
        e.package = Some(pkg.name.as_str().into());
        p.edges.push(e);
        stamps.push(out);
    }
    Ok(stamps)
}
