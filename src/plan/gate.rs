//! Wraps every edge but regen, scan and phony in the hash gate, with a content key over everything that shapes its output.

use super::{Command, Edge, RuleKind};
use crate::base::hash::hex;
use crate::protocol::gate::{compile_paths, content_key, GateArgs};
use crate::toolchain::identity;
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Where the gate keeps an edge's record: beside its first output, unless the edge names another place.
pub fn record_of(e: &Edge) -> Utf8PathBuf {
    e.more().record.clone().unwrap_or_else(|| Utf8PathBuf::from(format!("{}.nbh", e.outputs[0])))
}

/// Inputs or outputs whose `--in`/`--out` words would take more than this many bytes go into an input list file instead.
const LIST_ABOVE: usize = 16 * 1024;

/// Wraps edges one at a time (plan calls it with the template pass in one loop, so each compile's whole command is
/// held only while its edge is made into a `build` line).
pub struct Wrapper<'a> {
    exe: &'a str,
    /// What the C compiler said of itself when the toolchain was probed.
    cc_identity: &'a str,
    cxx: &'a str,
    rustc: &'a str,
    /// What the Perry compiler said of itself when gen found it (`perry --version`), not asked again.
    perry_version: Option<&'a str>,
    /// The target triple: a compile edge gated out writes an empty object for it (SPEC §5).
    target: &'a str,
    /// Per kind (and per tool, for shader compilers), a hash of what its tool says of itself: asked and hashed
    /// once, not per edge.
    tool_ids: BTreeMap<(RuleKind, String), String>,
    /// Input lists too long for a command line: written by gen beside the record.
    pub side_files: Vec<(Utf8PathBuf, String)>,
}

impl<'a> Wrapper<'a> {
    pub fn new(
        exe: &'a str,
        cc_identity: &'a str,
        cxx: &'a str,
        rustc: &'a str,
        perry_version: Option<&'a str>,
        target: &'a str,
    ) -> Wrapper<'a> {
        Wrapper {
            exe,
            cc_identity,
            cxx,
            rustc,
            perry_version,
            target,
            tool_ids: BTreeMap::new(),
            side_files: Vec::new(),
        }
    }

    /// A compile edge without the content gate (`gen --no-gate`): its HAVE_* gate is still decided at build time,
    /// by `ninjabind edge have` around the compiler.
    pub fn have_only(&mut self, e: &mut Edge) {
        let Some(inner) = e.command.take() else { return };
        let mut argv = vec![self.exe.to_string(), "edge".into(), "have".into(), "--target".into(), self.target.into()];
        argv.extend(["--source".into(), e.inputs[0].to_string(), "--out".into(), e.outputs[0].to_string()]);
        if let Some((_, d)) = e.more().vars.iter().find(|(k, _)| *k == "depfile") {
            argv.extend(["--depfile".into(), d.clone()]);
        }
        argv.push("--".into());
        argv.extend(inner.argv);
        e.command = Some(Box::new(Command { env: inner.env, argv }));
    }

    /// A hash of what the tool of `rule` (a shader compiler: `tool`) says of itself: asked once per kind and tool.
    pub fn tool_id(&mut self, rule: RuleKind, tool: &str) -> String {
        let (cc_identity, cxx, rustc, perry_version) = (self.cc_identity, self.cxx, self.rustc, self.perry_version);
        if let Some(id) = self.tool_ids.get(&(rule, tool.to_string())) {
            return id.clone();
        }
        let id = match rule {
            RuleKind::Cc | RuleKind::Link => cc_identity.to_string(),
            RuleKind::Cxx => identity(cxx, "--version"),
            RuleKind::Cargo => identity(rustc, "-vV"),
            RuleKind::Host => perry_version.unwrap_or_default().to_string(),
            RuleKind::Shader => identity(tool, "--version"),
            _ => String::new(),
        };
        let id = hex(&Sha256::digest(id.as_bytes()))[..16].to_string();
        self.tool_ids.insert((rule, tool.to_string()), id.clone());
        id
    }

    /// `paths` in a side file `<record>.<ext>` when their words would not fit the command, its name; else `None`.
    /// (Read from the edge, not from a copy: a link's 21,000 objects were copied once more for this.)
    fn listed<'p>(
        &mut self,
        record: &Utf8Path,
        ext: &str,
        paths: impl Iterator<Item = &'p Utf8PathBuf> + Clone,
    ) -> Option<Utf8PathBuf> {
        if paths.clone().map(|i| i.as_str().len() + 6).sum::<usize>() <= LIST_ABOVE {
            return None;
        }
        let list = record.with_extension(ext);
        let mut text = String::with_capacity(paths.clone().map(|i| i.as_str().len() + 1).sum());
        for p in paths {
            text.push_str(p.as_str());
            text.push('\n');
        }
        self.side_files.push((list.clone(), text));
        Some(list)
    }

    pub fn wrap(&mut self, e: &mut Edge) {
        if !matches!(
            e.rule,
            RuleKind::Cc
                | RuleKind::Cxx
                | RuleKind::Cargo
                | RuleKind::Symdiff
                | RuleKind::Symcheck
                | RuleKind::NativeLibs
                | RuleKind::Host
                | RuleKind::Vex
                | RuleKind::Unzstd
                | RuleKind::Lock
                | RuleKind::Stage
                | RuleKind::Shader
                | RuleKind::Link
        ) {
            return;
        }
        let Some(inner) = e.command.take() else { return };
        let tool = if e.rule == RuleKind::Shader { inner.argv[0].as_str() } else { "" };
        let tool_id = self.tool_id(e.rule, tool);
        let rsp = e.rsp.as_deref().map(|(_, text)| text.as_str());
        let key = content_key(e.rule.name(), &inner.env, &inner.argv, &e.more().unkeyed, rsp, &tool_id);
        let mut gate = GateArgs {
            rule: e.rule.name().into(),
            tool_id,
            unkeyed: e.more().unkeyed.clone(),
            env: inner.env.iter().map(|(k, _)| k.clone()).collect(),
            rsp: e.rsp.as_deref().map(|(f, _)| f.clone()),
            // the gate computes the key itself from what ninja runs: build.ninja carries how, not the key
            record: record_of(e),
            depfile: e.more().vars.iter().find(|(k, _)| *k == "depfile").map(|(_, d)| d.into()),
            products: e.more().products.clone(),
            outputs: e.all_outputs().cloned().collect(),
            in_rsps: e.more().in_rsps.clone(),
            out_rsp: e.more().out_rsp.clone(),
            // a compile decides its source's HAVE_* gate where it reads the source anyway (SPEC §5)
            have_target: matches!(e.rule, RuleKind::Cc | RuleKind::Cxx).then(|| self.target.to_string()),
            command: inner.argv,
            ..GateArgs::default()
        };
        // a compile's source, object, depfile and record are its command's own words, which the gate reads there
        // (`GateArgs::completed`): each `$out` and `$in` more in a rule is expanded for every edge on every `ninja`
        if terse(&gate, e) {
            gate.record = Utf8PathBuf::new();
            gate.depfile = None;
            gate.outputs.clear();
            let argv = gate.to_argv(self.exe);
            e.command = Some(Box::new(Command { env: inner.env, argv }));
            e.key = Some(key);
            return;
        }
        // `/bin/sh -c` gets the whole command as one argument, at most 128 KiB on Linux: a long list of inputs (a
        // link's objects) or outputs (a staged resource folder) goes into a file gen writes beside the record
        match self.listed(&gate.record, "inputs", e.all_inputs()) {
            Some(list) => {
                gate.in_list = Some(list.clone());
                e.more_mut().implicit_inputs.push(list);
            }
            None => gate.inputs = e.all_inputs().cloned().collect(),
        }
        if let Some(list) = self.listed(&gate.record, "outputs", gate.outputs.iter()) {
            gate.outputs.clear();
            gate.out_list = Some(list.clone());
            e.more_mut().implicit_inputs.push(list);
        }
        let argv = gate.to_argv(self.exe);
        e.command = Some(Box::new(Command { env: inner.env, argv }));
        e.key = Some(key);
    }
}

/// Whether the compile edge `e` is what [`GateArgs::completed`] reads from its command alone: one source and one
/// object, its depfile `<object>.d` as the command's `-MF`, its record `<object>.nbh`.
fn terse(gate: &GateArgs, e: &Edge) -> bool {
    let ([input], [output], []) = (&e.inputs[..], &e.outputs[..], &e.more().implicit_inputs[..]) else { return false };
    let (out, dep) = (output.as_str(), format!("{output}.d"));
    gate.have_target.is_some()
        && gate.outputs.len() == 1
        && gate.record.as_str().strip_suffix(".nbh") == Some(out)
        && gate.depfile.as_ref().is_some_and(|d| d.as_str() == dep)
        && compile_paths(&gate.command) == Some((dep.as_str(), input.as_str(), out))
}
