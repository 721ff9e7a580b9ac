//! `explain` and ninjabind-graph.json: renderings of the same plan `gen` writes.

use super::gates::{views, Decided, GateView};
use crate::base::escape::push_json;
use crate::base::layout::Layout;
use crate::model;
use crate::model::FrontEnd;
use crate::pipeline::Generated;
use crate::plan::gate::record_of;
use crate::plan::RuleKind;
use crate::protocol::gate::{Key, Kind, Record};
use crate::resolve::Layer;
use crate::select::Source;
use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

pub fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::A => "a",
        Layer::B => "b",
        Layer::C => "c",
        Layer::Local => "local",
        Layer::Stdlib => "stdlib",
        Layer::Builtin => "builtin",
        Layer::TypeOnly => "type-only",
    }
}

fn layer_meaning(l: Layer) -> &'static str {
    match l {
        Layer::A => "installed native binding",
        Layer::B => "JS package, no native code",
        Layer::C => "well-known binding",
        Layer::Local => "local code",
        Layer::Stdlib => "stdlib package",
        Layer::Builtin => "served by the host compiler's runtime",
        Layer::TypeOnly => "type-only, erased by the compiler",
    }
}

/// The graph document (SPEC §1): imports, packages, edges; paths relative to the project root. Borrowed and
/// written field by field: a `serde_json::Value` of a 20,000-source graph held ~90 MiB (`statm` around it).
#[derive(Serialize)]
struct GraphDoc<'a> {
    schema: u32,
    scale_out: ScaleOut<'a>,
    imports: Vec<ImportDoc<'a>>,
    packages: Vec<PackageDoc<'a>>,
    pkg_config: BTreeMap<&'a str, ProbeDoc<'a>>,
    lto: &'a str,
    edges: Vec<EdgeDoc<'a>>,
}

#[derive(Serialize)]
struct ScaleOut<'a> {
    launcher: &'a [String],
    rustc_wrapper: &'a Option<String>,
    pools: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct ImportDoc<'a> {
    file: Utf8PathBuf,
    line: usize,
    column: usize,
    specifier: &'a str,
    package: &'a Option<String>,
    layer: &'static str,
}

#[derive(Serialize)]
struct PackageDoc<'a> {
    name: &'a str,
    version: &'a Option<String>,
    root: Utf8PathBuf,
    origin: model::Origin,
    features: FeaturesDoc<'a>,
    sources: SourcesDoc<'a>,
    archive: Option<Utf8PathBuf>,
    functions: &'a [String],
    /// What the binding stages beside the program and its backends (manifest v1); absent when it declares none.
    #[serde(skip_serializing_if = "Option::is_none")]
    staging: Option<StagingDoc<'a>>,
}

#[derive(Serialize)]
struct StagingDoc<'a> {
    folder: Utf8PathBuf,
    resources: Vec<Utf8PathBuf>,
    shader_outputs: Vec<Utf8PathBuf>,
    backends: Vec<BackendDoc<'a>>,
}

#[derive(Serialize)]
struct BackendDoc<'a> {
    name: &'a str,
    available: bool,
    reason: String,
    prebuilt: Option<Utf8PathBuf>,
    libs: &'a [String],
    lib_dirs: Vec<Utf8PathBuf>,
    pkg_config: &'a [String],
    frameworks: &'a [String],
    shader_sources: Vec<Utf8PathBuf>,
    shader_outputs: Vec<Utf8PathBuf>,
    resources: Vec<Utf8PathBuf>,
    package: Option<BackendPackageDoc<'a>>,
}

#[derive(Serialize)]
struct BackendPackageDoc<'a> {
    name: &'a Option<String>,
    version: &'a Option<String>,
    kind: &'a Option<String>,
}

/// Why a backend is linked and staged, or not: Perry takes every backend the target entry declares available.
fn backend_reason(b: &model::Backend) -> String {
    if b.available {
        "declared by the target entry and available: Perry links and stages every such backend".into()
    } else {
        format!("available: false ({})", b.unavailable_reason.as_deref().unwrap_or("no reason given"))
    }
}

fn staging_doc<'a>(l: &Layout, p: &'a model::Package) -> Option<StagingDoc<'a>> {
    let st = &p.library.as_ref()?.staging;
    if st.resources.is_empty() && st.shader_outputs.is_empty() && st.backends.is_empty() {
        return None;
    }
    let paths = |v: &[model::SourcePath]| v.iter().map(|s| l.project_rel(&s.abs)).collect::<Vec<_>>();
    let backends = st
        .backends
        .iter()
        .map(|b| BackendDoc {
            name: &b.name,
            available: b.available,
            reason: backend_reason(b),
            prebuilt: b.prebuilt.as_ref().map(|a| l.project_rel(a)),
            libs: &b.link.libraries,
            lib_dirs: b.link.search_paths.iter().map(|d| l.project_rel(d)).collect(),
            pkg_config: &b.link.pkg_config,
            frameworks: &b.link.frameworks,
            shader_sources: paths(&b.shader_sources),
            shader_outputs: paths(&b.shader_outputs),
            resources: paths(&b.resources),
            package: b.package.as_ref().map(|k| BackendPackageDoc {
                name: &k.name,
                version: &k.version,
                kind: &k.kind,
            }),
        })
        .collect();
    Some(StagingDoc {
        folder: l.project_rel(&l.out.join("bin/NativeLibraries").join(model::staging_folder(&p.name))),
        resources: paths(&st.resources),
        shader_outputs: paths(&st.shader_outputs),
        backends,
    })
}

#[derive(Serialize)]
struct FeaturesDoc<'a> {
    active: Vec<&'a String>,
    skipped: Vec<SkippedDoc<'a>>,
}

#[derive(Serialize)]
struct SkippedDoc<'a> {
    name: &'a str,
    reason: &'a str,
}

/// A source as the graph shows it. gen's graph says only that its gate is decided at build time (gen reads no C
/// source); explain adds what the guard and flags say now, and what the last build decided.
#[derive(Serialize)]
struct SourceDoc<'a> {
    path: Utf8PathBuf,
    gate: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    compiled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_macros: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_build: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ProbeDoc<'a> {
    Found { found: bool, libs: &'a [String], include_dirs: &'a [String] },
    Missing { found: bool, message: &'a str },
}

/// A package's sources, each made as it is written (held whole, the 21,000 paths were 1.7 MB at gen's peak).
struct SourcesDoc<'a> {
    layout: &'a Layout,
    sources: &'a [Source],
    /// explain's gates, read on demand; `None` in the graph gen writes.
    gates: Option<&'a HashMap<Utf8PathBuf, GateView>>,
}

impl Serialize for SourcesDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.sources.iter().map(|src| {
            let view = self.gates.and_then(|g| g.get(&src.path.abs));
            SourceDoc {
                path: self.layout.project_rel(&src.path.abs),
                gate: "build",
                compiled: view.map(|v| v.missing.is_empty()),
                missing_macros: view.map(|v| v.missing.as_slice()),
                last_build: view.and_then(|v| v.last_build.as_ref()).map(|d| match d {
                    Decided::Compiled => "compiled",
                    Decided::GatedOut(_) => "gated_out",
                }),
            }
        }))
    }
}

#[derive(Serialize)]
struct EdgeDoc<'a> {
    rule: &'static str,
    outputs: Vec<Cow<'a, Utf8Path>>,
    inputs: Vec<Cow<'a, Utf8Path>>,
    key: Option<Key>,
    pool: Option<&'static str>,
}

/// `explained`: what only explain reads (each source's gate, read on demand), given by explain, which also lists the
/// imports of the project's own modules; gen's graph has neither (no module edit regenerates it: the modules are
/// Perry's, learnt at build time).
fn graph_doc<'g>(g: &'g Generated, explained: Option<&'g HashMap<Utf8PathBuf, GateView>>) -> GraphDoc<'g> {
    let local = explained.is_some();
    let l = &g.settings.layout;
    let from_ninja = |p: &camino::Utf8Path| l.project_rel_from_ninja(p);
    let imports = g
        .resolved
        .imports
        .iter()
        .filter(|r| local || r.layer != Layer::Local)
        .map(|r| ImportDoc {
            file: l.project_rel(&r.import.file),
            line: r.import.line,
            column: r.import.column,
            specifier: &r.import.specifier,
            package: &r.package,
            layer: layer_name(r.layer),
        })
        .collect();
    // each package's archive: the first input of its symbol check, looked up once per package
    let mut archives: HashMap<&str, &camino::Utf8Path> = HashMap::new();
    for e in g.plan.edges.iter().filter(|e| e.rule == RuleKind::Symdiff) {
        if let (Some(p), Some(a)) = (e.package.as_deref(), e.inputs.first()) {
            archives.entry(p).or_insert(a);
        }
    }
    let packages = g
        .selected
        .packages
        .iter()
        .map(|sp| {
            let p = &sp.package;
            let c = &sp.config;
            PackageDoc {
                name: &p.name,
                version: &p.version,
                root: l.project_rel(&p.root),
                origin: p.origin,
                features: FeaturesDoc {
                    active: c.active.iter().map(|(n, _)| n).collect(),
                    skipped: c.skipped.iter().map(|s| SkippedDoc { name: &s.name, reason: &s.reason }).collect(),
                },
                sources: SourcesDoc { layout: l, sources: &c.sources, gates: explained },
                archive: archives.get(p.name.as_str()).map(|a| from_ninja(a)),
                functions: p.library.as_ref().map(|lib| lib.functions.as_slice()).unwrap_or_default(),
                staging: staging_doc(l, p),
            }
        })
        .collect();
    let pkg_config = g
        .selected
        .probes
        .iter()
        .map(|(n, r)| {
            let v = match r {
                Ok(p) => ProbeDoc::Found { found: true, libs: &p.libs, include_dirs: &p.include_dirs },
                Err(m) => ProbeDoc::Missing { found: false, message: m },
            };
            (n.as_str(), v)
        })
        .collect();
    GraphDoc {
        schema: 1,
        scale_out: ScaleOut {
            launcher: &g.settings.launcher,
            rustc_wrapper: &g.settings.rustc_wrapper,
            pools: g.plan.pools().into_iter().map(|(name, depth)| (name.to_string(), depth.into())).collect(),
        },
        imports,
        packages,
        pkg_config,
        lto: &g.toolchain.lto_reason,
        // written by `write_edges`, after the rest
        edges: vec![],
    }
}

/// The plan's edges as the graph document lists them (phony edges are ninja's bookkeeping, not steps).
fn edge_docs(g: &Generated) -> impl Iterator<Item = EdgeDoc<'_>> {
    let l = &g.settings.layout;
    g.plan.edges.iter().filter(|e| e.rule != RuleKind::Phony).map(move |e| EdgeDoc {
        rule: e.rule.name(),
        outputs: e.all_outputs().map(|o| l.project_rel_from_ninja_cow(o)).collect(),
        inputs: e.all_inputs().map(|i| l.project_rel_from_ninja_cow(i)).collect(),
        key: e.key,
        pool: g.plan.pool(e.rule),
    })
}

/// The `edges` array as serde_json's pretty printer writes it one level into the document, written by hand into
/// `w` in 64 KiB pieces (through serde, 20,000 edges took a third of the graph's time in small writes).
fn write_edges<'a>(edges: impl Iterator<Item = EdgeDoc<'a>>, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    // a list is handed on in pieces as it goes (the link's and the scan edge's are 0.6 MB each at 21,000 sources)
    let paths = |buf: &mut Vec<u8>, v: &[Cow<Utf8Path>], w: &mut dyn std::io::Write| -> std::io::Result<()> {
        if v.is_empty() {
            buf.extend_from_slice(b"[]");
            return Ok(());
        }
        buf.push(b'[');
        for (i, p) in v.iter().enumerate() {
            buf.extend_from_slice(if i == 0 { b"\n        " } else { b",\n        " });
            push_json(buf, p.as_str());
            if buf.len() >= 1 << 16 {
                w.write_all(buf)?;
                buf.clear();
            }
        }
        buf.extend_from_slice(b"\n      ]");
        Ok(())
    };
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut any = false;
    for e in edges {
        buf.extend_from_slice(if any { b",\n    {\n      \"rule\": " } else { b"[\n    {\n      \"rule\": " });
        any = true;
        push_json(&mut buf, e.rule);
        buf.extend_from_slice(b",\n      \"outputs\": ");
        paths(&mut buf, &e.outputs, w)?;
        buf.extend_from_slice(b",\n      \"inputs\": ");
        paths(&mut buf, &e.inputs, w)?;
        buf.extend_from_slice(b",\n      \"key\": ");
        match e.key {
            // hex digits: nothing in them to escape
            Some(k) => {
                buf.push(b'"');
                buf.extend_from_slice(&k.digits());
                buf.push(b'"');
            }
            None => buf.extend_from_slice(b"null"),
        }
        buf.extend_from_slice(b",\n      \"pool\": ");
        match e.pool {
            Some(p) => push_json(&mut buf, p),
            None => buf.extend_from_slice(b"null"),
        }
        buf.extend_from_slice(b"\n    }");
        if buf.len() >= 1 << 16 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(if any { b"\n  ]" } else { b"[]" });
    w.write_all(&buf)
}

/// The end serde writes for the graph document with no edges: `edges` is its last field.
const NO_EDGES: &[u8] = b"\"edges\": []\n}";

/// Writes the graph document to `w`, as ninjabind-graph.json holds it.
pub fn write_graph_json(g: &Generated, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    write_doc(g, false, w)
}

fn write_doc(g: &Generated, local: bool, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    // everything but the edges through serde, streamed in 64 KiB pieces (the packages' 20,000 sources are 4 MB);
    // its end, `"edges": []` and the document's `}`, is held back and the edges are written by hand in its place
    let mut head = HoldBack { inner: w, buf: Vec::with_capacity(1 << 17) };
    // explain reads the guards on demand (and the last build's records); gen's graph says they are decided at build
    let gates = local.then(|| views(g));
    serde_json::to_writer_pretty(&mut head, &graph_doc(g, gates.as_ref()))?;
    let HoldBack { inner: w, buf } = head;
    let Some(rest) = buf.strip_suffix(b"[]\n}").filter(|_| buf.ends_with(NO_EDGES)) else {
        let msg = "the graph document does not end with its edges";
        return Err(std::io::Error::other(msg));
    };
    w.write_all(rest)?;
    write_edges(edge_docs(g), w)?;
    w.write_all(b"\n}\n")
}

/// A writer that passes on its bytes in 64 KiB pieces but always keeps the last `NO_EDGES.len()` of them.
struct HoldBack<'w> {
    inner: &'w mut dyn std::io::Write,
    buf: Vec<u8>,
}

impl std::io::Write for HoldBack<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= (1 << 16) + NO_EDGES.len() {
            let keep = self.buf.len() - NO_EDGES.len();
            self.inner.write_all(&self.buf[..keep])?;
            self.buf.drain(..keep);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn graph_json(g: &Generated) -> String {
    let mut bytes = Vec::new();
    // writing into memory cannot fail, and serde_json writes UTF-8
    let _ = write_doc(g, true, &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A binding's staged files and backends, as explain prints them.
fn staging_human(o: &mut String, st: &StagingDoc) {
    let list = |v: &[Utf8PathBuf]| v.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(o, "    staged into {}/:", st.folder);
    if !st.resources.is_empty() {
        let _ = writeln!(o, "      resources: {}", list(&st.resources));
    }
    if !st.shader_outputs.is_empty() {
        let _ = writeln!(o, "      shader outputs: {}", list(&st.shader_outputs));
    }
    for b in &st.backends {
        let state = if b.available { "active" } else { "skipped" };
        let _ = writeln!(o, "    backend {}: {state} ({})", b.name, b.reason);
        let mut links: Vec<String> = b.prebuilt.iter().map(|p| format!("prebuilt {p}")).collect();
        links.extend(b.libs.iter().map(|x| format!("-l{x}")));
        links.extend(b.lib_dirs.iter().map(|d| format!("-L{d}")));
        links.extend(b.pkg_config.iter().map(|n| format!("pkg-config {n}")));
        links.extend(b.frameworks.iter().map(|f| format!("framework {f}")));
        if !links.is_empty() {
            let _ = writeln!(o, "      links: {}", links.join(", "));
        }
        if !b.shader_sources.is_empty() {
            let _ = writeln!(o, "      shader sources (compiled into {}/): {}", b.name, list(&b.shader_sources));
        }
        let staged: Vec<Utf8PathBuf> = b.resources.iter().chain(&b.shader_outputs).cloned().collect();
        if !staged.is_empty() {
            let _ = writeln!(o, "      staged into {}/: {}", b.name, list(&staged));
        }
        if let Some(k) = &b.package {
            let parts: Vec<&str> = [k.name, k.version, k.kind].iter().filter_map(|v| v.as_deref()).collect();
            let _ = writeln!(o, "      package: {} (perry-backend-package.json)", parts.join(" "));
        }
    }
}

/// The human rendering of the same document.
pub fn human(g: &Generated) -> String {
    let l = &g.settings.layout;
    let gates = views(g);
    let mut o = String::new();
    let _ = writeln!(o, "imports:");
    if g.resolved.imports.is_empty() {
        let _ = writeln!(o, "  (none)");
    }
    for r in &g.resolved.imports {
        let i = &r.import;
        let pkg = r.package.as_deref().map(|p| format!(" → {p}")).unwrap_or_default();
        let _ = writeln!(
            o,
            "  {}:{}:{}  \"{}\"{pkg}  [layer {}: {}]",
            l.project_rel(&i.file),
            i.line,
            i.column,
            i.specifier,
            layer_name(r.layer),
            layer_meaning(r.layer)
        );
    }
    if g.resolved.front_end == FrontEnd::Perry {
        let search = &g.toolchain.perry;
        match &search.found {
            Some(c) => {
                let _ = writeln!(o, "Perry compiler: {} ({}), runtime archives in {}", c.exe, c.version, c.lib_dir);
                let entry = g.resolved.entry.as_ref().map_or("(none)".to_string(), |e| l.project_rel(e).to_string());
                let learnt = compiled_modules(g);
                match learnt {
                    Some(modules) => {
                        let _ = writeln!(
                            o,
                            "  entry {entry}; {} modules compiled by Perry in the last build:",
                            modules.len()
                        );
                        for m in modules {
                            let _ = writeln!(o, "    {m}");
                        }
                    }
                    None => {
                        let _ = writeln!(
                            o,
                            "  entry {entry}; the modules are Perry's: the build learns them from its record"
                        );
                    }
                }
            }
            None => {
                let _ = writeln!(o, "Perry compiler: not found; searched, in order:");
                for s in &search.searched {
                    let _ = writeln!(o, "  {s}");
                }
                let _ = writeln!(o, "  (the host's program is not built: --perry PATH, PERRY, or `npm install` one)");
            }
        }
    }
    if g.resolved.front_end == FrontEnd::Vex {
        let search = &g.toolchain.vex;
        match &search.found {
            Some(c) => {
                let _ = writeln!(o, "Vex compiler: {} ({}), stdlib {}, llc {}", c.exe, c.version, c.stdlib, c.llc);
                let _ = writeln!(o, "  runtime, as the compiler links it: {}", c.runtime_args.join(" "));
                let entry = g.resolved.entry.as_ref().map_or("(none)".to_string(), |e| l.project_rel(e).to_string());
                match compiled_modules(g) {
                    Some(modules) => {
                        let _ = writeln!(o, "  entry {entry}; {} modules the compiler resolved in the last build (a stdlib package: each of its modules):", modules.len());
                        for m in modules {
                            let _ = writeln!(o, "    {m}");
                        }
                    }
                    None => {
                        let _ = writeln!(
                            o,
                            "  entry {entry}; the modules are learnt from the compiler's output at build time"
                        );
                    }
                }
            }
            None => {
                let _ = writeln!(o, "Vex compiler: not found; searched, in order:");
                for s in &search.searched {
                    let _ = writeln!(o, "  {s}");
                }
                let _ = writeln!(o, "  (the program's .vx modules are not compiled: --vex PATH or VEX)");
            }
        }
    }
    let _ = writeln!(o, "packages:");
    for sp in &g.selected.packages {
        let p = &sp.package;
        let c = &sp.config;
        let origin =
            serde_json::to_value(p.origin).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let _ = writeln!(
            o,
            "  {} {} ({origin}) at {}",
            p.name,
            p.version.as_deref().unwrap_or("-"),
            l.project_rel(&p.root)
        );
        for (f, why) in &c.active {
            let _ = writeln!(o, "    feature {f}: active ({why})");
        }
        for s in &c.skipped {
            let _ = writeln!(o, "    feature {}: skipped ({})", s.name, s.reason);
        }
        for name in &c.pkg_config_used {
            let _ = writeln!(o, "    pkg-config {name}: found");
        }
        for s in &c.sources {
            let view = gates.get(&s.path.abs).cloned().unwrap_or_default();
            let last = match &view.last_build {
                Some(Decided::Compiled) => " (last build: compiled)",
                Some(Decided::GatedOut(_)) => " (last build: gated out)",
                None => "",
            };
            let rel = l.project_rel(&s.path.abs);
            if view.unreadable {
                let _ = writeln!(o, "    source {rel}: cannot be read (its compile fails naming it){last}");
            } else if view.missing.is_empty() {
                let _ = writeln!(o, "    source {rel}: compiled{last}");
            } else {
                let _ = writeln!(o, "    source {rel}: not compiled, needs {}{last}", view.missing.join(", "));
            }
        }
        if let Some(lib) = &p.library {
            if !lib.functions.is_empty() {
                let _ = writeln!(o, "    functions: {}", lib.functions.join(", "));
            }
        }
        if let Some(st) = staging_doc(l, p) {
            staging_human(&mut o, &st);
        }
    }
    let _ = writeln!(o, "lto: {}", g.toolchain.lto_reason);
    let _ = writeln!(o, "linker: {}", g.toolchain.linker_reason);
    match &g.settings.cache {
        Some((url, mode)) => {
            let _ = writeln!(o, "shared cache: {url} ({}; every gated edge but staging asks it first)", mode.name());
        }
        None => {
            let _ = writeln!(o, "shared cache: none (--cache file:/PATH)");
        }
    }
    let s = &g.settings;
    let launcher = if s.launcher.is_empty() { "none".to_string() } else { s.launcher.join(" ") };
    let _ = writeln!(o, "launcher: {launcher} (C and C++ compiles; not part of any content key)");
    let _ = writeln!(o, "rustc wrapper: {} (cargo edges)", s.rustc_wrapper.as_deref().unwrap_or("none"));
    let pools: Vec<String> = g.plan.pools().iter().map(|(n, d)| format!("{n}={d}")).collect();
    let _ = writeln!(o, "pools: {} (compiles take what `ninja -j` gives)", pools.join(" "));
    let _ = writeln!(o, "edges:");
    for e in g.plan.edges.iter().filter(|e| e.rule != RuleKind::Phony) {
        let outs: Vec<&str> = e.outputs.iter().map(|p| p.as_str()).collect();
        let ins: Vec<&str> = e.inputs.iter().map(|p| p.as_str()).collect();
        let pool = g.plan.pool(e.rule).map(|p| format!("  [pool {p}]")).unwrap_or_default();
        let _ = writeln!(o, "  {:<8} {} ← {}{pool}", e.rule.name(), outs.join(" "), ins.join(" "));
    }
    o
}

/// The modules the program's compiler (Perry's or Vex's) compiled in the last build, project-relative: the entry (the
/// host edge's first input) and those its depfile named, from the edge's record. The module set is the compiler's:
/// learnt by the host edge, never predicted here. `None` before a build.
pub fn compiled_modules(g: &Generated) -> Option<Vec<camino::Utf8PathBuf>> {
    let l = &g.settings.layout;
    let host = g.plan.edges.iter().find(|e| matches!(e.rule, RuleKind::Host | RuleKind::Vex))?;
    let record = std::fs::read_to_string(l.ninja_dir.join(record_of(host))).ok()?;
    let r = Record::parse(&record)?;
    let entry = r.entries.iter().find(|e| e.kind == Kind::In);
    let deps = r.entries.iter().filter(|e| e.kind == Kind::Dep);
    // a module outside the project (a stdlib's) keeps the absolute path its depfile gave it
    let shown = |p: &camino::Utf8Path| if p.is_absolute() { p.to_owned() } else { l.project_rel_from_ninja(p) };
    Some(entry.into_iter().chain(deps).map(|e| shown(&e.path)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document holding only the edges puts them where the graph document does: one level in.
    #[derive(Serialize)]
    struct Edges<'a> {
        edges: Vec<EdgeDoc<'a>>,
    }

    #[test]
    fn the_hand_written_edges_are_serde_jsons_pretty_json() {
        let key = Some(crate::protocol::gate::content_key("cc", &[], &["cc".into()], &[], None, "t"));
        // a list longer than a piece (64 KiB) is handed on part-way through
        let long: Vec<Utf8PathBuf> =
            (0..5000).map(|i| Utf8PathBuf::from(format!("build/obj/p{i}/src/f{i}.c.o"))).collect();
        let edges = || {
            vec![
                EdgeDoc {
                    rule: "cc",
                    outputs: vec![Cow::Borrowed("o/a b.o".into())],
                    inputs: vec![Cow::Borrowed("é/\\a.c".into())],
                    key,
                    pool: None,
                },
                EdgeDoc {
                    rule: "link",
                    outputs: vec![],
                    inputs: vec![Cow::Borrowed("x".into()), Cow::Owned("y".into())],
                    key: None,
                    pool: Some("local"),
                },
                EdgeDoc {
                    rule: "link",
                    outputs: vec![Cow::Borrowed("bin/app".into())],
                    inputs: long.iter().map(|p| Cow::Borrowed(p.as_path())).collect(),
                    key,
                    pool: Some("link"),
                },
            ]
        };
        for n in [0, 1, 2, 3] {
            let mut ours = b"{\n  \"edges\": ".to_vec();
            write_edges(edges().into_iter().take(n), &mut ours).unwrap();
            ours.extend_from_slice(b"\n}");
            let theirs = serde_json::to_vec_pretty(&Edges { edges: edges().into_iter().take(n).collect() }).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap(), "{n} edges");
        }
    }

    #[test]
    fn the_held_back_writer_passes_on_all_but_its_last_bytes() {
        // 200,000 bytes in writes of 1 to 70,000 bytes: what got through and what is held make the whole, and the
        // held part is the last NO_EDGES.len() bytes
        let all: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        let mut h = HoldBack { inner: &mut out, buf: Vec::new() };
        let mut at = 0;
        for size in [1, 70_000, 13, 65_536, 7].iter().cycle() {
            let end = (at + size).min(all.len());
            std::io::Write::write_all(&mut h, &all[at..end]).unwrap();
            at = end;
            if at == all.len() {
                break;
            }
        }
        let held = h.buf;
        assert!(held.len() >= NO_EDGES.len(), "{}", held.len());
        assert!(out.len() >= 1 << 16, "pieces go through before the end: {}", out.len());
        assert_eq!(held[held.len() - NO_EDGES.len()..], all[all.len() - NO_EDGES.len()..]);
        out.extend_from_slice(&held);
        assert_eq!(out, all);
    }
}
