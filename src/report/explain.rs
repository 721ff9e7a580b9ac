//! `explain` and ninjabind-graph.json: renderings of the same plan `gen` writes.

use crate::plan::RuleKind;
use crate::resolve::Layer;
use crate::Generated;
use serde_json::{json, Value};
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

/// The graph document (SPEC §1): imports, packages, edges; paths relative to the project root.
pub fn graph_value(g: &Generated) -> Value {
    let l = &g.settings.layout;
    let from_ninja = |p: &camino::Utf8Path| l.project_rel_from_ninja(p);
    let imports: Vec<_> = g
        .resolved
        .imports
        .iter()
        .map(|r| {
            json!({
                "file": l.project_rel(&r.import.file), "line": r.import.line, "column": r.import.column,
                "specifier": r.import.specifier, "package": r.package, "layer": layer_name(r.layer),
            })
        })
        .collect();
    let packages: Vec<_> = g
        .selected
        .packages
        .iter()
        .map(|sp| {
            let p = &sp.package;
            let c = &sp.config;
            let archive = g
                .plan
                .edges
                .iter()
                .find(|e| e.rule == RuleKind::Symdiff && e.package.as_deref() == Some(&p.name))
                .and_then(|e| e.inputs.first())
                .map(|a| from_ninja(a));
            json!({
                "name": p.name,
                "version": p.version,
                "root": l.project_rel(&p.root),
                "origin": p.origin,
                "features": {
                    "active": c.active.iter().map(|(n, _)| n).collect::<Vec<_>>(),
                    "skipped": c.skipped.iter().map(|s| json!({"name": s.name, "reason": s.reason})).collect::<Vec<_>>(),
                },
                "sources": c.sources.iter().map(|s| json!({
                    "path": l.project_rel(&s.path.abs), "compiled": s.compiled, "missing_macros": s.missing_macros,
                })).collect::<Vec<_>>(),
                "archive": archive,
                "functions": p.library.as_ref().map(|lib| lib.functions.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let edges: Vec<_> = g
        .plan
        .edges
        .iter()
        .filter(|e| e.rule != RuleKind::Phony)
        .map(|e| {
            json!({
                "rule": e.rule.name(),
                "outputs": e.outputs.iter().chain(&e.implicit_outputs).map(|o| from_ninja(o)).collect::<Vec<_>>(),
                "inputs": e.inputs.iter().chain(&e.implicit_inputs).map(|i| from_ninja(i)).collect::<Vec<_>>(),
                "key": e.key,
                "pool": g.plan.pool(e.rule),
            })
        })
        .collect();
    let probes: serde_json::Map<String, Value> = g
        .selected
        .probes
        .iter()
        .map(|(n, r)| {
            let v = match r {
                Ok(p) => json!({"found": true, "libs": p.libs, "include_dirs": p.include_dirs}),
                Err(m) => json!({"found": false, "message": m}),
            };
            (n.clone(), v)
        })
        .collect();
    json!({
        "schema": 1,
        "scale_out": scale_out(g),
        "imports": imports,
        "packages": packages,
        "pkg_config": probes,
        "lto": g.toolchain.lto_reason,
        "edges": edges,
    })
}

/// What may leave the machine and what stays bounded on it (SPEC §12).
fn scale_out(g: &Generated) -> Value {
    let pools: serde_json::Map<String, Value> =
        g.plan.pools().into_iter().map(|(name, depth)| (name.to_string(), json!(depth))).collect();
    json!({
        "launcher": g.settings.launcher,
        "rustc_wrapper": g.settings.rustc_wrapper,
        "pools": pools,
    })
}

pub fn graph_json(g: &Generated) -> String {
    let mut s = serde_json::to_string_pretty(&graph_value(g)).expect("JSON");
    s.push('\n');
    s
}

/// The human rendering of the same document.
pub fn human(g: &Generated) -> String {
    let l = &g.settings.layout;
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
            if s.compiled {
                let _ = writeln!(o, "    source {}: compiled", l.project_rel(&s.path.abs));
            } else {
                let _ = writeln!(
                    o,
                    "    source {}: not compiled, needs {}",
                    l.project_rel(&s.path.abs),
                    s.missing_macros.join(", ")
                );
            }
        }
        if let Some(lib) = &p.library {
            if !lib.functions.is_empty() {
                let _ = writeln!(o, "    functions: {}", lib.functions.join(", "));
            }
        }
    }
    let _ = writeln!(o, "lto: {}", g.toolchain.lto_reason);
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
