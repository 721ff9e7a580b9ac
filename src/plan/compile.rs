//! C and C++ compile edges: one per compiled source, `deps = gcc`, objects always inside the outputs root.

use super::gate::Wrapper;
use super::template::Sharer;
use super::{Command, CompileEntry, Edge, Objects, Plan, RuleKind};
use crate::base::diag::{Diagnostic, Place};
use crate::base::hash::FastMap;
use crate::base::layout;
use crate::model::Origin;
use crate::options::Settings;
use crate::protocol::gate::KeyHasher;
use crate::select::Selected;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use std::sync::Arc;

pub fn is_cxx(path: &Utf8Path) -> bool {
    matches!(path.extension(), Some("cc" | "cpp" | "cxx" | "C" | "c++"))
}

/// `O/obj/<id>/<path>.o`: `..` becomes `__` and an absolute path goes under `_abs`, so nothing leaves `O`.
pub fn object_path(id: &str, pkg_root: &Utf8Path, src: &Utf8Path) -> Utf8PathBuf {
    let rel = layout::relative(pkg_root, src);
    // a source inside its package, by a normal path (no `..`): the path as it stands
    // (`relative` gives a normal path, where `..` can only lead)
    let r = rel.as_str();
    if rel.is_relative() && !r.is_empty() && r != "." && r != ".." && !r.starts_with("../") {
        return Utf8PathBuf::from(format!("obj/{id}/{rel}.o"));
    }
    let mut out = Utf8PathBuf::from("obj").join(id);
    if rel.is_absolute() {
        out.push("_abs");
    }
    for c in rel.components() {
        match c {
            Utf8Component::ParentDir => out.push("__"),
            Utf8Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    let name = format!("{}.o", out.file_name().unwrap_or("src"));
    out.set_file_name(name);
    out
}

/// `skip_root`: the real host compiler builds the program, so the root's own sources (its stand-in) are not compiled.
/// A compile edge has no command yet: [`Commands::place`] makes it from the package's flags, which its
/// compile_commands.json entry holds (SPEC's argv is the launcher, the flags and [`CompileEntry::tail`]).
pub fn plan(s: &Settings, tc: &Toolchain, sel: &Selected, skip_root: bool, p: &mut Plan) -> Result<Objects> {
    let l = &s.layout;
    let mut objects = Objects::default();
    // an edge and a compile_commands.json entry per source, at most: their lists are made at their size once (the
    // edges with room for a package's few others — its build, symbol check and phony target — and the link's)
    let most: usize = sel.packages.iter().map(|sp| sp.config.sources.len()).sum();
    p.edges.reserve(most + 4 * sel.packages.len() + 16);
    p.compdb.reserve(most);
    // source → (compile flags, package, its edge in `p.edges`) for sharing one object between packages; at its size
    // once (grown by doubling, its rehashes and their fresh pages were 5% of plan at 21,000 sources)
    let mut compiled: FastMap<&str, (Arc<[String]>, &str, usize)> =
        FastMap::with_capacity_and_hasher(most, Default::default());
    for sp in sel.packages.iter().filter(|sp| !(skip_root && sp.package.origin == Origin::Root)) {
        let pkg = &sp.package;
        let c = &sp.config;
        let id = pkg.id();
        let name: Arc<str> = pkg.name.as_str().into();
        // the package's flags for C and for C++, made once and shared by its sources and their compdb entries
        let flags_for = |base: &[String]| -> Arc<[String]> {
            let mut flags: Vec<String> = base.to_vec();
            flags.extend(c.include_dirs.iter().map(|d| format!("-I{}", l.rel(d))));
            flags.extend(c.cflags.iter().cloned());
            flags.extend(tc.lto_flags.iter().cloned());
            flags.into()
        };
        let mut cc_flags: Option<Arc<[String]>> = None;
        let mut cxx_flags: Option<Arc<[String]>> = None;
        let mut mine: Vec<Utf8PathBuf> = Vec::new();
        for src in &c.sources {
            let cxx = is_cxx(&src.path.abs);
            objects.any_cxx |= cxx;
            let flags = match cxx {
                true => cxx_flags.get_or_insert_with(|| flags_for(&tc.cxx)).clone(),
                false => cc_flags.get_or_insert_with(|| flags_for(&tc.cc)).clone(),
            };
            if let Some(&(ref prev_flags, prev_pkg, edge)) = compiled.get(src.path.abs.as_str()) {
                if *prev_flags != flags {
                    let mut d = Diagnostic::error(format!(
                        "{} is compiled by packages `{prev_pkg}` and `{}` with different flags",
                        l.project_rel(&src.path.abs),
                        pkg.name
                    ));
                    d.span = src.path.span.as_ref().map(Place::span);
                    return Err(d
                    .with_help(
                        "give both packages the same cflags and include_dirs for it, or let one package own the source",
                    )
                    .into_err());
                }
                mine.push(p.edges[edge].outputs[0].clone());
                continue;
            }
            let obj = l.out_path(object_path(&id, &pkg.root, &src.path.abs));
            let src_rel = l.rel(&src.path.abs);
            p.compdb.push(CompileEntry { edge: p.edges.len(), flags: flags.clone() });
            let mut e = Edge::new(if cxx { RuleKind::Cxx } else { RuleKind::Cc }, vec![obj.clone()]);
            if !s.launcher.is_empty() {
                e.more_mut().unkeyed = (0..s.launcher.len()).collect();
            }
            e.inputs = vec![src_rel];
            e.package = Some(name.clone());
            compiled.insert(src.path.abs.as_str(), (flags, pkg.name.as_str(), p.edges.len()));
            p.edges.push(e);
            mine.push(obj);
        }
        if !mine.is_empty() {
            objects.by_package.entry(id).or_default().extend(mine);
        }
    }
    Ok(objects)
}

/// Makes the command of every compile edge, gated and in its shared rule. An edge whose package's rule is known gets
/// it without its command being made: the rule is the package's (the same flags, launcher and tool) unless one of
/// those words is the edge's own source or object, and its key is the package's hashed flags plus its own paths.
pub struct Commands<'a> {
    launcher: &'a [String],
    gate: bool,
    /// Per flags (by address: a package's C or C++ flags) and rule: the shared rule and the key hashed up to the
    /// flags, with the tool's id.
    known: FastMap<(usize, RuleKind), Known>,
}

/// A package's shared rule, and (gated) its key hashed up to the flags with the tool's id.
type Known = (u32, Option<(KeyHasher, String)>);

impl<'a> Commands<'a> {
    pub fn new(launcher: &'a [String], gate: bool) -> Commands<'a> {
        Commands { launcher, gate, known: FastMap::default() }
    }

    /// Places the compile edge `e`, of a package with these `flags`.
    pub fn place(&mut self, e: &mut Edge, flags: &Arc<[String]>, wrapper: &mut Wrapper, sharer: &mut Sharer) {
        let (input, output) = (e.inputs[0].as_str(), e.outputs[0].as_str());
        // a word equal to a path of this edge would become `$in`/`$out` in its rule; a `./` path keeps its own
        // command (ninja rewrites it); an input list past the command line's limit is written to a file
        let own = |w: &String| {
            w == input || w == output || w.strip_suffix(".d") == Some(output) || w.strip_suffix(".nbh") == Some(output)
        };
        let lean = !input.starts_with("./")
            && !output.starts_with("./")
            && input.len() < 1024
            && (e.inputs.len(), e.outputs.len()) == (1, 1)
            && e.more().implicit_inputs.is_empty()
            && e.more().implicit_outputs.is_empty()
            && e.more().vars.is_empty()
            && e.rsp.is_none()
            && e.more().record.is_none()
            && e.more().products.is_none()
            && !self.launcher.iter().chain(flags.iter()).any(own);
        let slot = (Arc::as_ptr(flags) as *const String as usize, e.rule);
        if let (true, Some((template, key))) = (lean, self.known.get(&slot)) {
            // the rule carries the command and the depfile (`$out.d`), as `Sharer::share` leaves a shared edge
            e.template = Some(*template);
            e.key = key.as_ref().map(|(h, tool_id)| {
                // the words of `CompileEntry::tail`, hashed without making them
                let mut h = h.clone();
                h.arg("-MD");
                h.arg("-MF");
                h.arg_parts(&[output, ".d"]);
                for w in ["-c", input, "-o", output] {
                    h.arg(w);
                }
                h.finish(None, tool_id)
            });
            return;
        }
        let mut argv: Vec<String> = Vec::with_capacity(self.launcher.len() + flags.len() + 7);
        argv.extend(self.launcher.iter().cloned());
        argv.extend(flags.iter().cloned());
        argv.extend(CompileEntry::tail(input, output));
        e.command = Some(Box::new(Command { env: vec![], argv }));
        let depfile = format!("{output}.d");
        e.more_mut().vars.push(("depfile", depfile));
        if self.gate {
            wrapper.wrap(e);
        } else {
            wrapper.have_only(e);
        }
        sharer.share(e);
        if let (true, Some(template)) = (lean, e.template) {
            let key = self.gate.then(|| {
                let mut h = KeyHasher::new(e.rule.name(), &[]);
                for w in flags.iter() {
                    h.arg(w);
                }
                (h, wrapper.tool_id(e.rule, ""))
            });
            self.known.insert(slot, (template, key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three compile edges of one package, the last with a flag that is its own source: placed by `Commands`, and
    /// with their commands made first and gated and shared one by one as every other edge is.
    #[test]
    fn a_known_rule_gives_the_bytes_the_whole_command_gives() {
        let flags: Arc<[String]> = ["-O2", "-Isrc", "src/c.c"].map(String::from).into();
        let launcher = vec!["ccache".to_string()];
        let edges = || -> Vec<Edge> {
            ["src/a.c", "src/b.c", "src/c.c"]
                .iter()
                .map(|src| {
                    let mut e = Edge::new(RuleKind::Cc, vec![format!("obj/{src}.o").into()]);
                    e.inputs = vec![Utf8PathBuf::from(*src)];
                    e.more_mut().unkeyed = vec![0];
                    e
                })
                .collect()
        };
        for gate in [true, false] {
            let (mut fast, mut slow) = (edges(), edges());
            let mut w = Wrapper::new("/bin/ninjabind", "cc 12", "c++", "rustc", None, "x86_64-unknown-linux-gnu");
            let mut sh = Sharer::default();
            let mut commands = Commands::new(&launcher, gate);
            for e in &mut fast {
                commands.place(e, &flags, &mut w, &mut sh);
            }
            let (mut w2, mut sh2) = (
                Wrapper::new("/bin/ninjabind", "cc 12", "c++", "rustc", None, "x86_64-unknown-linux-gnu"),
                Sharer::default(),
            );
            for e in &mut slow {
                let (input, output) = (e.inputs[0].to_string(), e.outputs[0].to_string());
                let argv = launcher.iter().chain(flags.iter()).cloned().chain(CompileEntry::tail(&input, &output));
                e.command = Some(Box::new(Command { env: vec![], argv: argv.collect() }));
                e.more_mut().vars.push(("depfile", format!("{output}.d")));
                if gate {
                    w2.wrap(e);
                } else {
                    w2.have_only(e);
                }
                sh2.share(e);
            }
            assert_eq!(fast, slow, "gate {gate}");
            assert_eq!(sh.templates, sh2.templates);
            // a and b share the package's rule; c's own source among the flags gives it another
            assert_eq!((fast[0].template, fast[1].template, fast[2].template), (Some(0), Some(0), Some(1)));
            assert!(sh.templates[1].command.contains("-Isrc $in"), "{}", sh.templates[1].command);
            assert_eq!(fast[1].key.is_some(), gate);
            if gate {
                // one rule, but each edge's own paths in its key
                assert_ne!(fast[0].key, fast[1].key);
            }
        }
    }

    #[test]
    fn objects_never_leave_the_build_folder() {
        assert_eq!(object_path("db", "/p/std/db".into(), "/p/std/db/native/src/a.c".into()), "obj/db/native/src/a.c.o");
        assert_eq!(
            object_path("db", "/p/std/db".into(), "/p/vex-runtime/c/x.c".into()),
            "obj/db/__/__/vex-runtime/c/x.c.o"
        );
        assert_eq!(object_path("db", "/p/db".into(), "/usr/src/z.c".into()), "obj/db/__/__/usr/src/z.c.o");
        assert_eq!(object_path("db", "/p/db".into(), "/p/db/a//b/./c.c".into()), "obj/db/a/b/c.c.o");
    }
}
