//! C and C++ compile edges: one per compiled source, `deps = gcc`, objects always inside the outputs root.

use super::gate::Wrapper;
use super::template::Sharer;
use super::{Command, CompileEntry, Edge, Objects, Plan, RuleKind};
use crate::base::diag::{Diagnostic, Place};
use crate::base::hash::FastMap;
use crate::base::layout;
use crate::base::memory;
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
    let packages: Vec<_> = sel.packages.iter().filter(|sp| !(skip_root && sp.package.origin == Origin::Root)).collect();
    // each source's object and its path from the ninja file's folder, made on every core: half of this stage's time
    // at 21,001 sources, and nothing else runs while it does
    let paths = in_two_runs(
        &packages,
        |sp| sp.config.sources.len(),
        TWO_RUNS_FROM,
        |sp| {
            let id = sp.package.id();
            let root = &sp.package.root;
            let paths: Vec<(Utf8PathBuf, Utf8PathBuf)> = sp
                .config
                .sources
                .iter()
                .map(|src| (l.out_path(object_path(&id, root, &src.path.abs)), l.rel(&src.path.abs)))
                .collect();
            paths
        },
    );
    for (sp, paths) in packages.into_iter().zip(paths) {
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
        for (src, (obj, src_rel)) in c.sources.iter().zip(paths) {
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

/// How much work (sources, edges) is split between two cores: below it a thread costs more than it saves.
const TWO_RUNS_FROM: usize = 2_000;

/// `each(item)` for every item, in order: the items split in two runs of about equal `weight`, the second on a thread
/// of its own (when there are two cores and `weight` adds up to `at_least`; else all on this one).
fn in_two_runs<I: Sync, T: Send>(
    items: &[I],
    weight: impl Fn(&I) -> usize,
    at_least: usize,
    each: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let total: usize = items.iter().map(&weight).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // where the first half of the weight ends
    let mut seen = 0;
    let split = items
        .iter()
        .position(|x| {
            seen += weight(x);
            seen * 2 >= total
        })
        .map_or(items.len(), |i| i + 1);
    if cores < 2 || total < at_least || split >= items.len() {
        return items.iter().map(&each).collect();
    }
    let (first, second) = items.split_at(split);
    std::thread::scope(|sc| {
        let later = sc.spawn(|| second.iter().map(&each).collect::<Vec<_>>());
        let mut out: Vec<T> = first.iter().map(&each).collect();
        // a panic on the other thread is this one's
        out.extend(later.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        out
    })
}

/// Makes the command of every compile edge, gated and in its shared rule. An edge whose package's rule is known gets
/// it without its command being made: the rule is the package's (the same flags, launcher and tool) unless one of
/// those words is the edge's own source or object, and its key is the package's hashed flags plus its own paths.
pub struct Commands<'a> {
    launcher: &'a [String],
    gate: bool,
    /// Per flags (by address: a package's C or C++ flags) and rule: its place in `rules`.
    known: FastMap<Slot, u32>,
    /// The shared rule and the key hashed up to the flags, with the tool's id, of each slot in `known`.
    rules: Vec<Known>,
    /// The edges placed in a known rule whose keys [`Commands::finish_keys`] makes: by index, and their rule's place
    /// in `rules` (two `u32`s: 21,000 of them are held through plan's peak).
    pending: Vec<(u32, u32)>,
}

/// A package's flags (by address) and the rule they are compiled by.
type Slot = (usize, RuleKind);

/// A package's shared rule, and (gated) its key hashed up to the flags with the tool's id.
type Known = (u32, Option<(KeyHasher, String)>);

impl<'a> Commands<'a> {
    pub fn new(launcher: &'a [String], gate: bool) -> Commands<'a> {
        Commands { launcher, gate, known: FastMap::default(), rules: Vec::new(), pending: Vec::new() }
    }

    /// Places the compile edge `e` (the plan's edge `i`), of a package with these `flags`. An edge placed in a known
    /// rule gets its key from [`Commands::finish_keys`].
    pub fn place(&mut self, i: usize, e: &mut Edge, flags: &Arc<[String]>, wrapper: &mut Wrapper, sharer: &mut Sharer) {
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
        if let (true, Some(&r)) = (lean, self.known.get(&slot)) {
            // the rule carries the command and the depfile (`$out.d`), as `Sharer::share` leaves a shared edge
            let (template, key) = &self.rules[r as usize];
            e.template = Some(*template);
            if key.is_some() {
                // (an index past `u32` would be 4 billion edges: the plan's memory gives out long before)
                self.pending.push((i as u32, r));
            }
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
            self.known.insert(slot, self.rules.len() as u32);
            self.rules.push((template, key));
        }
    }

    /// The keys of the edges placed in known rules: the rule's flags hashed once, then each edge's own words (those of
    /// `CompileEntry::tail`, hashed without making them). 21,000 hashes at 21,001 sources: split between two cores.
    pub fn finish_keys(self, edges: &mut [Edge]) {
        let rules = &self.rules;
        let key_of = |&(i, r): &(u32, u32), edges: &[Edge]| {
            let i = i as usize;
            let (_, Some((h, tool_id))) = &rules[r as usize] else { return (i, None) };
            let (input, output) = (edges[i].inputs[0].as_str(), edges[i].outputs[0].as_str());
            let mut h = h.clone();
            h.arg("-MD");
            h.arg("-MF");
            h.arg_parts(&[output, ".d"]);
            for w in ["-c", input, "-o", output] {
                h.arg(w);
            }
            (i, Some(h.finish(None, tool_id)))
        };
        let shared: &[Edge] = edges;
        let keys = in_two_runs(&self.pending, |_| 1, TWO_RUNS_FROM, |p| key_of(p, shared));
        for (i, key) in keys {
            edges[i].key = key;
        }
        if self.pending.len() >= TWO_RUNS_FROM {
            // the list's pages, half of them the other thread's, back before the rest of plan asks for more
            memory::give_back();
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
            for (i, e) in fast.iter_mut().enumerate() {
                commands.place(i, e, &flags, &mut w, &mut sh);
            }
            commands.finish_keys(&mut fast);
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

    /// Two runs give what one gives, in order: uneven weights, nothing, one heavy item, below the threshold.
    #[test]
    fn two_runs_give_the_items_in_order() {
        let items: Vec<usize> = (0..5_000).map(|i| i % 7).collect();
        let one: Vec<usize> = items.iter().map(|x| x * 3).collect();
        assert_eq!(in_two_runs(&items, |x| *x, 10, |x| x * 3), one);
        assert_eq!(in_two_runs(&items, |_| 1, 10, |x| x * 3), one);
        assert_eq!(in_two_runs(&items, |x| *x, usize::MAX, |x| x * 3), one);
        assert_eq!(in_two_runs(&[] as &[usize], |_| 1, 0, |x| *x), Vec::<usize>::new());
        assert_eq!(in_two_runs(&[9usize, 0, 0], |x| *x, 0, |x| *x), vec![9, 0, 0]);
    }

    /// 3,000 edges of one package, their keys made on two cores: the same edges as each made whole, one by one.
    #[test]
    fn keys_made_on_two_cores_are_the_keys_of_the_whole_commands() {
        let flags: Arc<[String]> = ["-O2", "-Isrc"].map(String::from).into();
        let edges = || -> Vec<Edge> {
            (0..3_000)
                .map(|i| {
                    let mut e = Edge::new(RuleKind::Cc, vec![format!("obj/s{i}.c.o").into()]);
                    e.inputs = vec![format!("src/s{i}.c").into()];
                    e
                })
                .collect()
        };
        let wrapper = || Wrapper::new("/bin/ninjabind", "cc 12", "c++", "rustc", None, "x86_64-unknown-linux-gnu");
        let (mut fast, mut slow) = (edges(), edges());
        let (mut w, mut sh) = (wrapper(), Sharer::default());
        let mut commands = Commands::new(&[], true);
        for (i, e) in fast.iter_mut().enumerate() {
            commands.place(i, e, &flags, &mut w, &mut sh);
        }
        commands.finish_keys(&mut fast);
        let (mut w2, mut sh2) = (wrapper(), Sharer::default());
        for e in &mut slow {
            let (input, output) = (e.inputs[0].to_string(), e.outputs[0].to_string());
            let argv = flags.iter().cloned().chain(CompileEntry::tail(&input, &output)).collect();
            e.command = Some(Box::new(Command { env: vec![], argv }));
            e.more_mut().vars.push(("depfile", format!("{output}.d")));
            w2.wrap(e);
            sh2.share(e);
        }
        assert!(fast == slow);
        assert!(fast.iter().all(|e| e.key.is_some()));
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
