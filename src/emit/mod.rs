//! Stage 5, emit: build.ninja, its depfile, compile_commands.json and the graph JSON — written only when changed.

pub mod compdb;
pub mod escape;
pub mod ninja;
pub mod write;

use crate::layout::Layout;
use crate::plan::{Plan, RuleKind};
use anyhow::Result;
use ninja::NinjaWriter;
use std::collections::BTreeSet;

fn rule_vars(kind: RuleKind, link_pool: bool) -> Vec<(&'static str, &'static str)> {
    let (description, deps) = match kind {
        RuleKind::Cc => ("CC $out", true),
        RuleKind::Cxx => ("CXX $out", true),
        RuleKind::Cargo => ("CARGO $out", true),
        RuleKind::Symdiff => ("SYMDIFF $out", false),
        RuleKind::Symcheck => ("SYMCHECK $out", false),
        RuleKind::NativeLibs => ("NATIVELIBS $out", false),
        RuleKind::Scan => ("SCAN imports and HAVE_* guards", false),
        RuleKind::Link => ("LINK $out", false),
        RuleKind::Regen => {
            return vec![
                ("command", "$cmd"),
                ("description", "Regenerating build.ninja"),
                ("generator", "1"),
                ("restat", "1"),
            ]
        }
        RuleKind::Phony => return vec![],
    };
    let mut v = vec![("command", "$cmd")];
    if deps {
        v.push(("deps", "gcc"));
    }
    v.extend([("restat", "1"), ("description", description)]);
    // compiles may leave the machine (a distributing launcher); everything else stays bounded by a pool
    match kind {
        RuleKind::Cargo => v.push(("pool", "cargo")),
        RuleKind::Link if link_pool => v.push(("pool", "link")),
        RuleKind::Symdiff | RuleKind::Symcheck | RuleKind::NativeLibs | RuleKind::Scan | RuleKind::Link => {
            v.push(("pool", "local"))
        }
        _ => {}
    }
    v
}

/// The text of build.ninja for `plan`.
pub fn render_ninja(plan: &Plan) -> String {
    let mut w = NinjaWriter::default();
    w.variable("ninja_required_version", "1.10");
    w.comment(&plan.header.join("\n"));
    w.variable("builddir", plan.builddir.as_str());
    w.newline();
    if let Some(depth) = plan.link_pool {
        w.pool("link", depth);
    }
    w.pool("local", plan.local_pool);
    if plan.edges.iter().any(|e| e.rule == RuleKind::Cargo) {
        w.pool("cargo", plan.cargo_pool);
    }
    let used: BTreeSet<RuleKind> = plan.edges.iter().map(|e| e.rule).filter(|r| *r != RuleKind::Phony).collect();
    for kind in used {
        w.rule(kind.name(), &rule_vars(kind, plan.link_pool.is_some()));
    }
    for line in &plan.gated_out {
        w.comment(line);
    }
    if !plan.gated_out.is_empty() {
        w.newline();
    }
    for e in &plan.edges {
        let mut vars: Vec<(&str, String)> = Vec::new();
        if let Some(c) = &e.command {
            let mut words: Vec<String> = c.env.iter().map(|(k, v)| format!("{k}={}", escape::shell_word(v))).collect();
            words.push(escape::shell_command(&c.argv));
            vars.push(("cmd", words.join(" ")));
        }
        vars.extend(e.vars.iter().cloned());
        w.build(&e.outputs, &e.implicit_outputs, e.rule.name(), &e.inputs, &e.implicit_inputs, &e.order_only, &vars);
    }
    w.newline();
    w.defaults(&plan.defaults);
    w.finish()
}

/// The regeneration depfile: build.ninja depends on every existing file gen read.
pub fn render_regen_depfile(plan: &Plan, layout: &Layout) -> String {
    let target = escape::depfile_path(layout.rel(&layout.ninja_file()).as_str());
    let deps: Vec<String> = plan.regen_inputs.iter().map(|p| escape::depfile_path(layout.rel(p).as_str())).collect();
    format!("{target}: {}\n", deps.join(" \\\n  "))
}

/// What gen wrote.
pub struct Written {
    pub ninja_changed: bool,
}

/// Writes every output, build.ninja last so it is the newest.
pub fn write_all(plan: &Plan, layout: &Layout, graph_json: &str) -> Result<Written> {
    let out = &layout.out;
    write::write_if_changed(&out.join("compile_commands.json"), compdb::render(plan, &layout.ninja_dir).as_bytes())?;
    write::write_if_changed(&out.join("ninjabind-graph.json"), graph_json.as_bytes())?;
    write::write_if_changed(&out.join("build.ninja.d"), render_regen_depfile(plan, layout).as_bytes())?;
    write::write_if_changed(&out.join("scan.list"), plan.scan_list.as_bytes())?;
    write::write_if_changed(&out.join("scan.stamp"), plan.scan_stamp.as_bytes())?;
    if let Some(rsp) = &plan.link_rsp {
        write::write_if_changed(&out.join("link.rsp"), rsp.as_bytes())?;
    }
    let ninja_changed = write::write_if_changed(&layout.ninja_file(), render_ninja(plan).as_bytes())?;
    Ok(Written { ninja_changed })
}
