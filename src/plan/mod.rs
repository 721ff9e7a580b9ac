//! Stage 4, plan: the build as plain data — rules, edges with their commands, defaults — checked before it is written.

pub mod cargo;
pub mod compile;
pub mod gate;
pub mod host;
pub mod link;
pub mod lock;
pub mod regen;
pub mod stage;
pub mod symbols;
pub mod template;

use crate::base::diag::Diagnostic;
use crate::base::hash::{FastMap, FastSet};
use crate::model;
use crate::options::Settings;
use crate::protocol::cache;
use crate::protocol::gate::Key;
use crate::resolve::Resolved;
use crate::select::Selected;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::Utf8PathBuf;
use std::collections::BTreeMap;
use std::hash::BuildHasher;

/// A command an edge runs: environment assignments and argv, quoted only when written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    pub env: Vec<(String, String)>,
    pub argv: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKind {
    Cc,
    Cxx,
    Cargo,
    Symdiff,
    Symcheck,
    NativeLibs,
    /// `perry compile --no-link`: the program's modules, the objects and modules learnt from Perry's record.
    Host,
    /// The Vex compiler on the program (`--emit-llvm`, then `llc`): one object, the modules learnt from its output.
    Vex,
    /// A runtime archive of the Perry compiler, unpacked.
    Unzstd,
    /// A prebuilt archive checked against perry.lock.
    Lock,
    /// A binding's resource or shader output copied beside the program.
    Stage,
    /// A backend's shader source compiled by its tool (`glslc`, `dxc`, `xcrun metal`).
    Shader,
    Link,
    Scan,
    Regen,
    Phony,
}

impl RuleKind {
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::Cc => "cc",
            RuleKind::Cxx => "cxx",
            RuleKind::Cargo => "cargo",
            RuleKind::Symdiff => "symdiff",
            RuleKind::Symcheck => "symcheck",
            RuleKind::NativeLibs => "nativelibs",
            RuleKind::Host => "perry",
            RuleKind::Vex => "vex",
            RuleKind::Unzstd => "unzstd",
            RuleKind::Lock => "lock",
            RuleKind::Stage => "stage",
            RuleKind::Shader => "shader",
            RuleKind::Link => "link",
            RuleKind::Scan => "scan",
            RuleKind::Regen => "regen",
            RuleKind::Phony => "phony",
        }
    }
}

/// One build statement. Paths are relative to the ninja file's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub rule: RuleKind,
    pub outputs: Vec<Utf8PathBuf>,
    pub inputs: Vec<Utf8PathBuf>,
    /// Boxed, like `rsp`: most edges (compile edges in their shared rules) have none (an `Edge` was 400 bytes).
    pub command: Option<Box<Command>>,
    /// Shared by a package's edges (one name for its 20 compile edges, not a copy each).
    pub package: Option<std::sync::Arc<str>>,
    /// The content key of the hash gate, when the edge runs through one.
    pub key: Option<Key>,
    /// The shared rule (`Plan::templates`) whose command this edge runs; `None`: its own `cmd`.
    pub template: Option<u32>,
    /// A response file the command reads, and its text: gen writes it with the side files (an implicit input).
    pub rsp: Option<Box<(Utf8PathBuf, String)>>,
    /// What few edges have (a compile edge has none of it): boxed, so an `Edge` is 128 bytes, not 320 (its list was
    /// the largest part of gen's heap at 21,000 sources). Read it with [`Edge::more`], set it with [`Edge::more_mut`].
    more: Option<Box<More>>,
}

/// The parts of an edge that few edges have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct More {
    pub implicit_inputs: Vec<Utf8PathBuf>,
    pub implicit_outputs: Vec<Utf8PathBuf>,
    pub order_only: Vec<Utf8PathBuf>,
    /// Per-edge variables other than the command (depfile, rsp file, description).
    pub vars: Vec<(&'static str, String)>,
    /// Indices of command words left out of the content key: a launcher or rustc wrapper, whose output is the tool's.
    pub unkeyed: Vec<usize>,
    /// A folder the command writes files into that its depfile names (cargo's target folder): its products.
    pub products: Option<Utf8PathBuf>,
    /// Where the gate keeps its record, when not beside the first output (a staged file's folder is the program's).
    pub record: Option<Utf8PathBuf>,
    /// Response files other edges write whose words are more inputs (the Perry host's object list, for the link).
    pub in_rsps: Vec<Utf8PathBuf>,
    /// An output that lists more outputs, named by the tool at build time (the objects Perry wrote).
    pub out_rsp: Option<Utf8PathBuf>,
}

/// An edge without any of [`More`].
static NONE_MORE: More = More {
    implicit_inputs: Vec::new(),
    implicit_outputs: Vec::new(),
    order_only: Vec::new(),
    vars: Vec::new(),
    unkeyed: Vec::new(),
    products: None,
    record: None,
    in_rsps: Vec::new(),
    out_rsp: None,
};

impl Edge {
    pub fn new(rule: RuleKind, outputs: Vec<Utf8PathBuf>) -> Edge {
        Edge {
            rule,
            outputs,
            inputs: vec![],
            command: None,
            package: None,
            key: None,
            template: None,
            rsp: None,
            more: None,
        }
    }

    /// Its implicit outputs, order-only inputs, unkeyed words, products and record (all empty for most edges).
    pub fn more(&self) -> &More {
        self.more.as_deref().unwrap_or(&NONE_MORE)
    }

    /// The same, to set: made when first asked for. (Ask only to set something: an edge with an empty `More` is
    /// not equal to one without.)
    pub fn more_mut(&mut self) -> &mut More {
        self.more.get_or_insert_with(Default::default)
    }

    /// Its outputs, then its implicit outputs: every file it writes.
    pub fn all_outputs(&self) -> impl Iterator<Item = &Utf8PathBuf> {
        self.outputs.iter().chain(&self.more().implicit_outputs)
    }

    /// Its inputs, then its implicit inputs: every file it reads.
    pub fn all_inputs(&self) -> impl Iterator<Item = &Utf8PathBuf> + Clone {
        self.inputs.iter().chain(&self.more().implicit_inputs)
    }

    /// Drops its per-edge variables (a shared rule carries them), and with them a `More` left empty.
    pub fn clear_vars(&mut self) {
        if let Some(more) = &mut self.more {
            more.vars = Vec::new();
            if **more == NONE_MORE {
                self.more = None;
            }
        }
    }
}

/// One entry of compile_commands.json: the package's flags (shared by its sources) and its compile edge in
/// `Plan::edges`, whose input and output are the source and the object (not copied: 40,000 paths at 20,000 sources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileEntry {
    pub edge: usize,
    pub flags: std::sync::Arc<[String]>,
}

impl CompileEntry {
    /// The source and the object, from the entry's edge.
    pub fn paths<'p>(&self, plan: &'p Plan) -> (&'p str, &'p str) {
        let e = &plan.edges[self.edge];
        (e.inputs[0].as_str(), e.outputs[0].as_str())
    }

    /// The compiler's words after the flags: depfile, source, object.
    pub fn tail(file: &str, output: &str) -> [String; 7] {
        ["-MD".into(), "-MF".into(), format!("{output}.d"), "-c".into(), file.into(), "-o".into(), output.into()]
    }
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub header: Vec<String>,
    pub builddir: Utf8PathBuf,
    pub edges: Vec<Edge>,
    pub link_pool: Option<usize>,
    pub cargo_pool: usize,
    /// Depth of the `local` pool: edges that never leave the machine.
    pub local_pool: usize,
    /// Without a link edge: the arguments a host compiler appends to its own link (`O/link.rsp`).
    pub link_rsp: Option<String>,
    pub defaults: Vec<Utf8PathBuf>,
    pub compdb: Vec<CompileEntry>,
    /// Absolute paths the regeneration edge depends on (each exists).
    pub regen_inputs: Vec<Utf8PathBuf>,
    /// `O/scan.list` and `O/scan.stamp` as gen writes them.
    pub scan_list: String,
    pub scan_stamp: String,
    /// The program, when there is a link edge.
    pub program: Option<Utf8PathBuf>,
    /// Rules shared by compile edges that differ only in their paths.
    pub templates: Vec<template::Template>,
    /// Files gen writes for edges to read (a gate's input list), relative to the ninja file's folder.
    pub side_files: Vec<(Utf8PathBuf, String)>,
    /// A file gen writes listing every compiled object, one per line (the link's thin archive's members), made from
    /// the compile edges as it is written: held as text, it was 0.7 MB through plan's peak at 21,000 sources.
    pub objects_list: Option<Utf8PathBuf>,
}

impl Plan {
    /// Every object compiled, once, in plan order: the outputs of the compile edges, which their
    /// compile_commands.json entries name.
    pub fn compiled(&self) -> impl Iterator<Item = &Utf8PathBuf> {
        self.compdb.iter().map(|c| &self.edges[c.edge].outputs[0])
    }

    /// The pool an edge of `kind` runs in (SPEC §12): compiles may leave the machine (a distributing launcher) and
    /// take what `ninja -j` gives; everything else runs here, bounded whatever `-j` says.
    pub fn pool(&self, kind: RuleKind) -> Option<&'static str> {
        match kind {
            RuleKind::Cc | RuleKind::Cxx | RuleKind::Phony => None,
            RuleKind::Cargo => Some("cargo"),
            RuleKind::Link if self.link_pool.is_some() => Some("link"),
            RuleKind::Symdiff
            | RuleKind::Host
            | RuleKind::Vex
            | RuleKind::Unzstd
            | RuleKind::Lock
            | RuleKind::Stage
            | RuleKind::Shader
            | RuleKind::Symcheck
            | RuleKind::NativeLibs
            | RuleKind::Scan
            | RuleKind::Link
            | RuleKind::Regen => Some("local"),
        }
    }

    /// The pools build.ninja declares, with their depths.
    pub fn pools(&self) -> Vec<(&'static str, usize)> {
        let mut v: Vec<(&'static str, usize)> = self.link_pool.map(|d| ("link", d)).into_iter().collect();
        v.push(("local", self.local_pool));
        if self.edges.iter().any(|e| e.rule == RuleKind::Cargo) {
            v.push(("cargo", self.cargo_pool));
        }
        v
    }
}

pub fn plan(s: &Settings, tc: &Toolchain, sel: &Selected, resolved: &Resolved) -> Result<Plan> {
    let l = &s.layout;
    let mut p = Plan { builddir: l.out_path(""), link_pool: s.link_jobs, ..Plan::default() };
    // the shared cache is named in a file the gate reads, not in any command: turning it on or off rebuilds nothing
    let cache = s.cache.as_ref().map_or_else(String::new, |(url, mode)| cache::render(url, *mode));
    p.side_files.push((l.out_path(cache::FILE), cache));
    p.header = regen::header(s);
    p.cargo_pool = s.cargo_jobs;
    p.local_pool = s.local_jobs;
    let host = host::plan(s, tc, sel, resolved, &mut p)?;
    let skip_root = host.as_ref().is_some_and(|h| h.replaces_root_sources);
    let mut objects = compile::plan(s, tc, sel, skip_root, &mut p)?;
    let archives = cargo::plan(s, tc, sel, &resolved.native_overrides, &mut p)?;
    let runtime = host.as_ref().map_or(&[][..], |h| h.archives.as_slice());
    let stamp = symbols::plan(s, tc, sel, &archives, &objects, runtime, &mut p)?;
    let locked = lock::plan(s, resolved, sel, &mut p)?;
    let staged = stage::plan(s, sel, &mut p)?;
    let parts = link::Parts {
        objects: &objects,
        archives: &archives,
        from_perry: host.as_ref(),
        symcheck: stamp.as_ref(),
        locked: &locked,
        staged: &staged,
    };
    link::plan(s, tc, sel, parts, &mut p)?;
    regen::plan(s, resolved, &mut p)?;
    let rustc = s.env.get("RUSTC").map_or("rustc", String::as_str);
    let exe = regen::exe_path()?;
    let perry_version = tc.perry.found.as_ref().map(|p| p.version.as_str());
    let mut wrapper = gate::Wrapper::new(exe.as_str(), &tc.cc_identity, &tc.cxx[0], rustc, perry_version, &tc.target);
    let mut sharer = template::Sharer::default();
    let mut commands = compile::Commands::new(&s.launcher, s.gate);
    // one pass: each edge is gated and moved into its shared rule before the next is looked at; a compile edge's
    // flags are its compile_commands.json entry's (the entries are in the order of their edges)
    let mut compiles = p.compdb.iter().peekable();
    for (i, e) in p.edges.iter_mut().enumerate() {
        if let Some(c) = compiles.next_if(|c| c.edge == i) {
            commands.place(i, e, &c.flags, &mut wrapper, &mut sharer);
            continue;
        }
        if s.gate {
            wrapper.wrap(e);
        }
        sharer.share(e);
    }
    commands.finish_keys(&mut p.edges);
    p.side_files.extend(wrapper.side_files);
    p.templates = sharer.templates;
    let mut all: Vec<Utf8PathBuf> = Vec::new();
    // the objects' last use: moved into their packages' phony targets (a copy was 20,000 paths)
    let mut per_package = std::mem::take(&mut objects.by_package);
    for e in p.edges.iter().filter(|e| matches!(e.rule, RuleKind::Cargo | RuleKind::Symdiff)) {
        let id = model::package_id(e.package.as_deref().unwrap_or_default());
        per_package.entry(id).or_default().extend(e.outputs.iter().cloned());
    }
    let first_target = p.edges.len();
    for (id, outs) in per_package {
        let target = Utf8PathBuf::from(format!("pkg/{id}"));
        let mut e = Edge::new(RuleKind::Phony, vec![target.clone()]);
        e.inputs = outs;
        p.edges.push(e);
        all.push(target);
    }
    link_through_package_targets(&mut p, first_target);
    all.extend(p.program.iter().cloned());
    all.extend(p.edges.iter().filter(|e| e.rule == RuleKind::NativeLibs).flat_map(|e| e.outputs.iter().cloned()));
    all.extend(stamp);
    all.extend(locked);
    all.extend(staged);
    let mut e = Edge::new(RuleKind::Phony, vec!["all".into()]);
    e.inputs = all;
    p.edges.push(e);
    p.defaults = match &p.program {
        Some(prog) => vec![prog.clone()],
        None => vec!["all".into()],
    };
    regen::own_written_files(s, &mut p);
    check_unique_outputs(&p)?;
    Ok(p)
}

/// The link names each object's package target (`pkg/<id>`, the phony edges from `first_target` on) instead of the
/// object: 1,000 targets instead of 21,000 objects in its build line. Its gate keeps every object: it was given them
/// when it was wrapped, in its input list.
fn link_through_package_targets(p: &mut Plan, first_target: usize) {
    let Some(link) = p.edges.iter().position(|e| e.rule == RuleKind::Link) else { return };
    // each object's first package target, by the object's text (borrowed: no copy of 21,000 paths)
    let mut owner: FastMap<&str, usize> = FastMap::default();
    for (k, e) in p.edges[first_target..].iter().enumerate() {
        for o in &e.inputs {
            owner.entry(o.as_str()).or_insert(first_target + k);
        }
    }
    let mut named = std::collections::HashSet::new();
    let inputs: Vec<Utf8PathBuf> = p.edges[link]
        .inputs
        .iter()
        .filter_map(|i| match owner.get(i.as_str()) {
            Some(&t) => named.insert(t).then(|| p.edges[t].outputs[0].clone()),
            None => Some(i.clone()),
        })
        .collect();
    p.edges[link].inputs = inputs;
}

/// Objects per package, in plan order. (Every object once, in plan order, is what the compile edges write: see
/// `Plan::compdb`.)
#[derive(Debug, Default)]
pub struct Objects {
    pub by_package: BTreeMap<String, Vec<Utf8PathBuf>>,
    pub any_cxx: bool,
}

/// Two edges producing one file is a planning bug or two packages colliding: refuse it. Outputs are told apart by a
/// hash of their text first (8 bytes each: the map of paths to edges was 1.2 MB at the end of plan, gen's peak at
/// 21,000 sources); only a repeated hash looks for the two edges.
fn check_unique_outputs(p: &Plan) -> Result<()> {
    let outputs = p.edges.iter().flat_map(Edge::all_outputs);
    let state = foldhash::fast::FixedState::default();
    let mut hashes: FastSet<u64> = FastSet::with_capacity_and_hasher(p.edges.len(), Default::default());
    if outputs.map(|o| state.hash_one(o.as_str())).all(|h| hashes.insert(h)) {
        return Ok(());
    }
    let mut seen: FastMap<&str, &Edge> = Default::default();
    for e in &p.edges {
        for o in e.all_outputs() {
            if let Some(prev) = seen.insert(o.as_str(), e) {
                return Err(Diagnostic::error(format!("two build steps would write {o}"))
                    .with_note(format!(
                        "from {} (package {}) and {} (package {})",
                        prev.rule.name(),
                        prev.package.as_deref().unwrap_or("-"),
                        e.rule.name(),
                        e.package.as_deref().unwrap_or("-")
                    ))
                    .into_err());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs told apart by their hashes pass; one written twice (an implicit output of one edge, the output of
    /// another) is refused with both edges named.
    #[test]
    fn an_output_written_twice_is_refused() {
        let mut p = Plan::default();
        for i in 0..1000 {
            let mut e = Edge::new(RuleKind::Cc, vec![format!("obj/a{i}.o").into()]);
            e.package = Some(format!("p{i}").into());
            p.edges.push(e);
        }
        assert!(check_unique_outputs(&p).is_ok());
        let mut cargo = Edge::new(RuleKind::Cargo, vec!["lib/libx.a".into()]);
        cargo.package = Some("x".into());
        cargo.more_mut().implicit_outputs = vec!["obj/a500.o".into()];
        p.edges.push(cargo);
        let err = format!("{:#}", check_unique_outputs(&p).unwrap_err());
        assert!(err.contains("two build steps would write obj/a500.o"), "{err}");
        assert!(err.contains("from cc (package p500) and cargo (package x)"), "{err}");
    }
}
