//! The regeneration edge: build.ninja depends on every file gen read and replays the options and environment that shaped it.

use super::{Command, Edge, Plan, RuleKind};
use crate::base::hash;
use crate::model::FrontEnd;
use crate::options::{Settings, ENV_READ};
use crate::protocol::header::render;
use crate::protocol::scan::{self, ScanSpec};
use crate::resolve;
use crate::resolve::Resolved;
use anyhow::{Context, Result};
use camino::Utf8PathBuf;
use sha2::Digest;

/// The header comment: what generated the file, from which options and environment.
pub fn header(s: &Settings) -> Vec<String> {
    let features = s.selection.list.as_ref().map(|(list, from)| (list.as_slice(), from.as_str()));
    render(&s.replay, features, &s.env)
}

/// Sorted by their text (cheaper than by components, and just as deterministic), without repeats.
fn sort_paths(v: &mut Vec<Utf8PathBuf>) {
    v.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    v.dedup();
}

/// [`sort_paths`] for paths made by `Layout::rel` (normalized: equal paths are equal texts), deduplicated by their
/// text: a `Path` compares component by component, 1% of a cold gen's instructions over 21,000 watched paths.
fn sort_rel_paths(v: &mut Vec<Utf8PathBuf>) {
    v.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    v.dedup_by(|a, b| a.as_str() == b.as_str());
}

/// This ninjabind, as every edge that runs it names it (found once per process).
pub fn exe_path() -> Result<Utf8PathBuf> {
    static EXE: std::sync::OnceLock<Option<Utf8PathBuf>> = std::sync::OnceLock::new();
    let found = EXE.get_or_init(|| {
        let exe = std::env::current_exe().ok()?;
        Utf8PathBuf::try_from(std::fs::canonicalize(&exe).unwrap_or(exe)).ok()
    });
    found.clone().context("cannot find the ninjabind executable (or its path is not UTF-8)")
}

/// The command ninja runs to regenerate: the recorded environment restored exactly, then `gen` with the recorded options.
pub fn regen_command(s: &Settings) -> Result<Command> {
    let mut argv = vec!["env".to_string()];
    for k in ENV_READ.iter().filter(|k| !s.env.contains_key(**k)) {
        argv.extend(["-u".to_string(), k.to_string()]);
    }
    argv.extend(s.env.iter().map(|(k, v)| format!("{k}={v}")));
    argv.push(exe_path()?.to_string());
    argv.push("gen".into());
    argv.extend(s.replay.iter().cloned());
    Ok(Command { env: vec![], argv })
}

pub fn plan(s: &Settings, resolved: &Resolved, p: &mut Plan) -> Result<()> {
    let l = &s.layout;
    let perry = resolved.front_end == FrontEnd::Perry;
    // the scan edge: re-reads the imports, touching its stamp only when they changed; C sources are not its business
    // (their compile edges decide their HAVE_* gates, SPEC §5)
    let imports: Vec<_> = resolved.imports.iter().map(|r| r.import.clone()).collect();
    let present = scan::present_project_files(&l.project);
    p.scan_stamp = scan::summary(&l.ninja_dir, &imports, perry, &present);
    let exts = if perry { resolve::PERRY_EXTS } else { resolve::VEX_EXTS };
    let spec = ScanSpec {
        root: l.rel(&l.project),
        exts: exts.iter().map(|e| e.to_string()).collect(),
        skip: vec![l.rel(&l.out), l.rel(&l.ninja_dir)],
        perry,
    };
    p.scan_list = spec.render();
    let stamp = l.out_path("scan.stamp");
    let list = l.out_path("scan.list");
    let mut scan_edge = Edge::new(RuleKind::Scan, vec![stamp.clone()]);
    let mut watched: Vec<Utf8PathBuf> =
        resolved.scanned_files.iter().chain(&resolved.scanned_dirs).map(|f| l.rel(f)).collect();
    sort_rel_paths(&mut watched);
    // a scanned file or folder deleted is a change to scan, not a missing input: each gets a `phony` edge of its
    // own, as CMake gives its regeneration inputs, so ninja reads a missing one as dirty
    p.edges.extend(watched.iter().map(|w| Edge::new(RuleKind::Phony, vec![w.clone()])));
    // the list is not an input (after `rm -rf build` ninja could not make it): its hash is in the command instead,
    // so a new list re-runs the scan, and a missing one makes the scan ask for regeneration
    scan_edge.more_mut().implicit_inputs = watched;
    let list_hash = hash::hex(&sha2::Sha256::digest(p.scan_list.as_bytes())[..8]);
    scan_edge.command = Some(Box::new(Command {
        env: vec![],
        argv: vec![
            exe_path()?.to_string(),
            "edge".into(),
            "scan".into(),
            "--list".into(),
            list.to_string(),
            "--out".into(),
            stamp.to_string(),
            "--list-hash".into(),
            list_hash,
        ],
    }));
    p.edges.push(scan_edge);

    // what earlier planning asked for (a staged resource folder) and every file gen read
    let mut inputs: Vec<Utf8PathBuf> = std::mem::take(&mut p.regen_inputs);
    inputs.extend(resolved.watch.iter().cloned());
    inputs.extend(s.project_file.iter().cloned());
    inputs.extend(s.well_known.iter().cloned());
    inputs.push(exe_path()?);
    inputs.retain(|i| i.exists());
    sort_paths(&mut inputs);
    p.regen_inputs = inputs;
    let mut e = Edge::new(RuleKind::Regen, vec![l.rel(&l.ninja_file())]);
    e.more_mut().implicit_inputs = vec![stamp];
    e.command = Some(Box::new(regen_command(s)?));
    e.more_mut().vars.push(("depfile", l.out_path("build.ninja.d").to_string()));
    p.edges.push(e);
    Ok(())
}

/// Every file gen writes into the build folder that no edge makes is an output of the regeneration edge (as GN's
/// and CMake's generators own theirs): `rm -rf build/bin` or a lost response file makes ninja regenerate, never stop
/// with "missing and no known rule to make it". The rule's `restat` keeps an unchanged file from looking stale.
pub fn own_written_files(s: &Settings, p: &mut Plan) {
    let l = &s.layout;
    let mut written: Vec<Utf8PathBuf> =
        ["scan.list", "compile_commands.json", "ninjabind-graph.json"].into_iter().map(|f| l.out_path(f)).collect();
    written.extend(p.link_rsp.as_ref().map(|_| l.out_path("link.rsp")));
    written.extend(p.side_files.iter().map(|(f, _)| f.clone()));
    written.extend(p.objects_list.iter().cloned());
    written.extend(p.edges.iter().filter_map(|e| e.rsp.as_deref()).map(|(f, _)| f.clone()));
    sort_rel_paths(&mut written);
    if let Some(regen) = p.edges.iter_mut().find(|e| e.rule == RuleKind::Regen) {
        regen.more_mut().implicit_outputs = written;
    }
}
