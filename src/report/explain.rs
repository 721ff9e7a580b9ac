//! `explain` and ninjabind-graph.json: renderings of the same plan `gen` writes.

use crate::Generated;
use serde_json::json;

pub fn graph_json(g: &Generated) -> String {
    let l = &g.settings.layout;
    let packages: Vec<_> = g
        .selected
        .packages
        .iter()
        .map(|sp| {
            let p = &sp.package;
            let c = &sp.config;
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
                "archive": null,
                "functions": p.library.as_ref().map(|lib| lib.functions.clone()).unwrap_or_default(),
            })
        })
        .collect();
    let edges: Vec<_> = g
        .plan
        .edges
        .iter()
        .map(|e| {
            json!({
                "rule": e.rule.name(),
                "outputs": e.outputs.iter().chain(&e.implicit_outputs).map(|o| l.project_rel(&l.ninja_dir.join(o))).collect::<Vec<_>>(),
                "inputs": e.inputs.iter().chain(&e.implicit_inputs).map(|i| l.project_rel(&l.ninja_dir.join(i))).collect::<Vec<_>>(),
                "key": serde_json::Value::Null,
            })
        })
        .collect();
    let doc = json!({ "schema": 1, "imports": [], "packages": packages, "edges": edges });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON");
    s.push('\n');
    s
}
