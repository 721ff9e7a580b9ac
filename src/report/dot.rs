//! `ninjabind graph`: the plan as a Graphviz picture — packages, features, sources, archives, symbol checks, the host
//! compile with the program's modules, the program.

use super::gates::views;
use crate::pipeline::Generated;
use crate::plan::RuleKind;
use std::fmt::Write;

/// A dot string literal: quotes and backslashes escaped, newlines as dot's centred line break.
fn q(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The dot text for `g`: one cluster per package with its features and sources; skipped features dashed (the
/// reason as tooltip), gated-out sources grey (the missing macro as tooltip); archives, symbol checks and the program.
pub fn render(g: &Generated) -> String {
    let l = &g.settings.layout;
    // the guards, read on demand as explain reads them
    let gates = views(g);
    let from_ninja = |p: &camino::Utf8Path| l.project_rel_from_ninja(p);
    let mut o = String::new();
    let _ = writeln!(o, "digraph ninjabind {{");
    let _ = writeln!(o, "  rankdir=LR;");
    let _ = writeln!(o, "  graph [fontname=\"Helvetica\", fontsize=12];");
    let _ = writeln!(o, "  node [fontname=\"Helvetica\", fontsize=11, shape=box, style=rounded];");
    let _ = writeln!(o, "  edge [color=\"#555555\"];");
    let program = match &g.plan.program {
        Some(p) => from_ninja(p).to_string(),
        None => l.project_rel(&l.out_path("link.rsp")).to_string(),
    };
    let program_label = q(&format!("program:{program}"));
    let _ = writeln!(o, "  {program_label} [label={}, shape=doubleoctagon, style=bold];", q(&program));
    let symcheck = g.plan.edges.iter().any(|e| e.rule == RuleKind::Symcheck);
    if symcheck {
        let _ = writeln!(o, "  \"symcheck\" [label=\"symcheck\\n(one js_* symbol, one binding)\", shape=diamond];");
        let _ = writeln!(o, "  \"symcheck\" -> {program_label};");
    }
    if let Some(host) = g.plan.edges.iter().find(|e| matches!(e.rule, RuleKind::Host | RuleKind::Vex)) {
        let (compiler, who) = if host.rule == RuleKind::Vex { ("vex", "the compiler") } else { ("perry", "Perry") };
        // the host compile and the program's modules: Perry's, as the last build learnt them from its record
        let entry = host.inputs.first().map(|e| from_ninja(e).to_string()).unwrap_or_default();
        let _ = writeln!(
            o,
            "  \"host\" [label={}, shape=component, style=bold];",
            q(&format!("{compiler} compile\n{entry}"))
        );
        let _ = writeln!(o, "  \"host\" -> {program_label};");
        let _ = writeln!(o, "  subgraph \"cluster_modules\" {{");
        match super::explain::compiled_modules(g) {
            Some(modules) => {
                let title = format!("{} modules {who} compiled in the last build", modules.len());
                let _ = writeln!(o, "    label={}; style=rounded; color=\"#888888\";", q(&title));
                for m in &modules {
                    let _ = writeln!(o, "    {} [label={}, shape=note];", q(&format!("module:{m}")), q(m.as_str()));
                }
                let _ = writeln!(o, "  }}");
                for m in &modules {
                    let _ = writeln!(o, "  {} -> \"host\";", q(&format!("module:{m}")));
                }
            }
            None => {
                let _ = writeln!(o, "    label=\"modules\"; style=rounded; color=\"#888888\";");
                let what =
                    format!("{entry} and the modules it imports:\nlearnt from {who}'s record when `ninja` builds");
                let _ = writeln!(o, "    \"modules\" [label={}, shape=note, style=dashed];", q(&what));
                let _ = writeln!(o, "  }}");
                let _ = writeln!(o, "  \"modules\" -> \"host\";");
            }
        }
    }
    let mut outside = Vec::new();
    for (i, sp) in g.selected.packages.iter().enumerate() {
        let p = &sp.package;
        let c = &sp.config;
        let origin =
            serde_json::to_value(p.origin).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let layer = g
            .resolved
            .imports
            .iter()
            .find(|r| r.package.as_deref() == Some(&p.name))
            .map(|r| format!(", layer {}", super::explain::layer_name(r.layer)))
            .unwrap_or_default();
        let _ = writeln!(o, "  subgraph {} {{", q(&format!("cluster_{i}")));
        let title = format!("{} {} ({origin}{layer})", p.name, p.version.as_deref().unwrap_or(""));
        let _ = writeln!(o, "    label={}; style=rounded; color=\"#888888\";", q(&title));
        let pkg = q(&format!("pkg:{}", p.name));
        let _ = writeln!(o, "    {pkg} [label={}, shape=folder];", q(&p.name));
        for (f, why) in &c.active {
            let id = q(&format!("feature:{}:{f}", p.name));
            let _ = writeln!(o, "    {id} [label={}, shape=note, tooltip={}];", q(&format!("feature {f}")), q(why));
            let _ = writeln!(o, "    {pkg} -> {id};");
        }
        for s in &c.skipped {
            let id = q(&format!("feature:{}:{}", p.name, s.name));
            let _ = writeln!(
                o,
                "    {id} [label={}, shape=note, style=dashed, fontcolor=\"#888888\", tooltip={}];",
                q(&format!("feature {} (skipped)", s.name)),
                q(&s.reason)
            );
            let _ = writeln!(o, "    {pkg} -> {id} [style=dashed];");
        }
        for s in &c.sources {
            let path = l.project_rel(&s.path.abs).to_string();
            let id = q(&format!("source:{path}"));
            let view = gates.get(&s.path.abs).cloned().unwrap_or_default();
            if view.missing.is_empty() {
                let _ = writeln!(o, "    {id} [label={}];", q(&path));
                let _ = writeln!(o, "    {pkg} -> {id};");
                // outside the cluster: an edge named inside a subgraph pulls its nodes into it
                outside.push(format!("  {id} -> {program_label};"));
            } else {
                let needs = format!("needs {}", view.missing.join(", "));
                let _ = writeln!(
                    o,
                    "    {id} [label={}, color=\"#aaaaaa\", fontcolor=\"#aaaaaa\", tooltip={}];",
                    q(&format!("{path}\n(not compiled: {needs})")),
                    q(&needs)
                );
                let _ = writeln!(o, "    {pkg} -> {id} [style=dotted, color=\"#aaaaaa\"];");
            }
        }
        let _ = writeln!(o, "  }}");
        for line in outside.drain(..) {
            let _ = writeln!(o, "{line}");
        }
        for e in g.plan.edges.iter().filter(|e| e.rule == RuleKind::Symdiff && e.package.as_deref() == Some(&p.name)) {
            let sym = q(&format!("symdiff:{}", p.name));
            let _ = writeln!(o, "  {sym} [label={}, shape=diamond];", q(&format!("symdiff {}", p.name)));
            if let Some(archive) = e.inputs.first().filter(|a| a.extension() == Some("a")) {
                let a = from_ninja(archive).to_string();
                let id = q(&format!("archive:{a}"));
                let _ = writeln!(o, "  {id} [label={}, shape=cylinder];", q(&a));
                let _ = writeln!(o, "  {pkg} -> {id};");
                let _ = writeln!(o, "  {id} -> {sym};");
                let _ = writeln!(o, "  {id} -> {program_label};");
            } else {
                let _ = writeln!(o, "  {pkg} -> {sym};");
            }
            if symcheck {
                let _ = writeln!(o, "  {sym} -> \"symcheck\";");
            }
        }
    }
    let _ = writeln!(o, "}}");
    o
}

/// SVG from Graphviz's `dot`; `Err` says why there is none (not installed, or it failed).
pub fn svg(dot: &str) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run Graphviz's `dot` ({e})"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for dot")?;
    let text = dot.to_string();
    // written from a thread: dot may fill its stdout pipe before it has read all of its input
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().map_err(|e| format!("`dot` failed: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!("`dot -Tsvg` failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}
