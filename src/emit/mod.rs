//! Stage 5, emit: build.ninja, its depfile, compile_commands.json and the graph JSON — written only when changed.

pub mod compdb;
pub mod ninja;

use crate::base::escape;
use crate::base::layout::Layout;
use crate::base::write;
use crate::base::write::FolderStamp;
use crate::lex::scan_cache;
use crate::lex::scan_cache::Scanned;
use crate::plan::{Plan, RuleKind};
use crate::protocol::runlog;
use anyhow::Result;
use camino::Utf8PathBuf;
use ninja::NinjaWriter;
use std::collections::{BTreeMap, BTreeSet};

fn rule_vars(kind: RuleKind, pool: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
    let (description, deps) = match kind {
        RuleKind::Cc => ("CC $out", true),
        RuleKind::Cxx => ("CXX $out", true),
        RuleKind::Cargo => ("CARGO $out", true),
        RuleKind::Symdiff => ("SYMDIFF $out", false),
        RuleKind::Symcheck => ("SYMCHECK $out", false),
        RuleKind::NativeLibs => ("NATIVELIBS $out", false),
        RuleKind::Host => ("PERRY $entry", true),
        RuleKind::Vex => ("VEX $entry", true),
        RuleKind::Unzstd => ("UNZSTD $out", false),
        RuleKind::Lock => ("LOCK $in", false),
        RuleKind::Stage => ("STAGE $out", false),
        RuleKind::Shader => ("SHADER $in", false),
        RuleKind::Scan => ("SCAN imports", false),
        RuleKind::Link => ("LINK $out", false),
        RuleKind::Regen => ("Regenerating build.ninja", false),
        RuleKind::Phony => return vec![],
    };
    let mut v = vec![("command", "$cmd")];
    if deps {
        v.push(("deps", "gcc"));
    }
    // the scan is gen's own check, like the regeneration: a fresh build folder (no .ninja_log) does not make it run
    // (gen wrote what it would write), and gen, not a changed command, renews it
    if matches!(kind, RuleKind::Regen | RuleKind::Scan) {
        v.push(("generator", "1"));
    }
    v.extend([("restat", "1"), ("description", description)]);
    if let Some(pool) = pool {
        v.push(("pool", pool));
    }
    v
}

/// Writes the text of build.ninja for `plan` into `sink`.
pub fn render_ninja(plan: &Plan, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut w = NinjaWriter::new(sink);
    w.variable("ninja_required_version", "1.10");
    w.comment(&plan.header.join("\n"))?;
    w.variable("builddir", plan.builddir.as_str());
    w.newline();
    for (name, depth) in plan.pools() {
        w.pool(name, depth);
    }
    let used: BTreeSet<RuleKind> =
        plan.edges.iter().filter(|e| e.template.is_none()).map(|e| e.rule).filter(|r| *r != RuleKind::Phony).collect();
    for kind in used {
        w.rule(kind.name(), &rule_vars(kind, plan.pool(kind)));
    }
    for t in &plan.templates {
        let mut vars = rule_vars(t.kind, plan.pool(t.kind));
        vars.retain(|(k, _)| *k != "command");
        vars.insert(0, ("command", t.command.as_str()));
        vars.insert(2, ("depfile", "$out.d"));
        w.rule(&t.name, &vars);
    }
    for e in &plan.edges {
        if let Some(t) = e.template {
            // the shared rule carries the command and the depfile
            w.build(&e.outputs, &[], &plan.templates[t as usize].name, &e.inputs, &[], &e.more().order_only, &[])?;
            continue;
        }
        let mut vars: Vec<(&str, String)> = Vec::new();
        if let Some(c) = &e.command {
            let mut words: Vec<String> = c.env.iter().map(|(k, v)| format!("{k}={}", escape::shell_word(v))).collect();
            words.push(escape::shell_command(&c.argv));
            vars.push(("cmd", words.join(" ")));
        }
        let more = e.more();
        vars.extend(more.vars.iter().cloned());
        w.build(
            &e.outputs,
            &more.implicit_outputs,
            e.rule.name(),
            &e.inputs,
            &more.implicit_inputs,
            &more.order_only,
            &vars,
        )?;
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

/// The files gen writes into the build folder (build.ninja goes to the ninja file's folder).
const OUT_FILES: [&str; 7] = [
    "compile_commands.json",
    "ninjabind-graph.json",
    "build.ninja.d",
    "scan.list",
    "scan.stamp",
    scan_cache::FILE,
    "link.rsp",
];

/// Writes every output as one unit under the build folder's lock: all staged, then all renamed, build.ninja last
/// (so it is the newest and never describes files that were not written); temp files a killed gen left are removed.
pub fn write_all(
    plan: &Plan,
    layout: &Layout,
    graph_json: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    scan: &Scanned,
) -> Result<Written> {
    let out = &layout.out;
    let _lock = write::lock(&out.join(runlog::GEN_LOCK))?;
    write::remove_stale_temps(out, &OUT_FILES[..]);
    write::remove_stale_temps(&layout.ninja_dir, &["build.ninja"]);
    // the ninja file's folder keeps its mtime (see `FolderStamp`): taken before build.ninja's temp file is made there
    let folder = FolderStamp::take(&layout.ninja_dir);
    // the small files first: build.ninja, written after them, is never older than the files it depends on
    // (build.ninja.d, scan.stamp), so the first `ninja` does not regenerate it
    let mut small = write::Batch::default();
    // (scan.stamp, an input of the regeneration edge, before every file that edge owns: none is older than it)
    small.stage(&out.join("scan.stamp"), plan.scan_stamp.as_bytes())?;
    small.stage(&out.join("build.ninja.d"), render_regen_depfile(plan, layout).as_bytes())?;
    small.stage(&out.join("scan.list"), plan.scan_list.as_bytes())?;
    if let Some(bytes) = &scan.cache {
        // a cache: renamed into place with the rest, not synced
        let mut cache = write::Batch::unsynced();
        cache.stage(&out.join(scan_cache::FILE), bytes)?;
        small.append(cache);
    }
    if let Some(rsp) = &plan.link_rsp {
        small.stage(&out.join("link.rsp"), rsp.as_bytes())?;
    }
    // input lists, and the response files edges read; a killed gen's temp files beside them go first
    let side: Vec<&(Utf8PathBuf, String)> =
        plan.side_files.iter().chain(plan.edges.iter().filter_map(|e| e.rsp.as_deref())).collect();
    let mut by_folder: BTreeMap<Utf8PathBuf, Vec<&str>> = BTreeMap::new();
    for path in side.iter().map(|(path, _)| path).chain(&plan.objects_list) {
        let abs = layout.ninja_dir.join(path);
        if let (Some(dir), Some(name)) = (abs.parent(), path.file_name()) {
            by_folder.entry(dir.to_owned()).or_default().push(name);
        }
    }
    for (dir, names) in &by_folder {
        write::remove_stale_temps(dir, names);
    }
    for (path, text) in side {
        small.stage(&layout.ninja_dir.join(path), text.as_bytes())?;
    }
    if let Some(path) = &plan.objects_list {
        small.stage_with(&layout.ninja_dir.join(path), |w| {
            plan.compiled().try_for_each(|o| w.write_all(o.as_str().as_bytes()).and_then(|_| w.write_all(b"\n")))
        })?;
    }
    // the three largest files are streamed into their temp files, never held whole, on two threads (at 20,000 sources
    // each took a tenth of gen); the two views of build.ninja that every gen rewrites are not fsynced (a first gen
    // after deleting a build folder spent up to a second of system time syncing their 20 MB)
    // build.ninja is written after compile_commands.json on its thread (the graph JSON takes longest), and renamed
    // into place last
    let (compdb, graph) = std::thread::scope(|s| {
        let compdb = s.spawn(|| -> Result<_> {
            let mut b = write::Batch::unsynced();
            b.stage_with(&out.join("compile_commands.json"), |w| compdb::write(plan, &layout.ninja_dir, w))?;
            let mut ninja = write::Batch::default();
            let changed = ninja.stage_with(&layout.ninja_file(), |w| render_ninja(plan, w))?;
            Ok((b, ninja, changed))
        });
        let mut b = write::Batch::unsynced();
        let graph = b.stage_with(&out.join("ninjabind-graph.json"), graph_json).map(|_| b);
        (compdb.join(), graph)
    });
    let (compdb, ninja, ninja_changed) =
        compdb.map_err(|_| anyhow::anyhow!("writing compile_commands.json failed"))??;
    let mut batch = write::Batch::default();
    batch.append(compdb);
    batch.append(graph?);
    batch.append(small);
    batch.append(ninja);
    batch.commit()?;
    if let Some(folder) = folder {
        folder.restore(&layout.ninja_dir, &["build.ninja"]);
    }
    // the edges' run log only grows: past its limit the next gen moves it aside (one old copy kept)
    let log = out.join(runlog::FILE);
    if std::fs::metadata(&log).is_ok_and(|m| m.len() > runlog::LIMIT) {
        let _ = std::fs::rename(&log, out.join(format!("{}.old", runlog::FILE)));
    }
    Ok(Written { ninja_changed })
}
