//! C and C++ compile edges: one per compiled source, `deps = gcc`, objects always inside the outputs root.

use super::{CompileEntry, Edge, Objects, Plan, RuleKind};
use crate::base::diag::Diagnostic;
use crate::base::layout;
use crate::model::Origin;
use crate::options::Settings;
use crate::select::Selected;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use std::collections::HashMap;
use std::sync::Arc;

pub fn is_cxx(path: &Utf8Path) -> bool {
    matches!(path.extension(), Some("cc" | "cpp" | "cxx" | "C" | "c++"))
}

/// `O/obj/<id>/<path>.o`: `..` becomes `__` and an absolute path goes under `_abs`, so nothing leaves `O`.
pub fn object_path(id: &str, pkg_root: &Utf8Path, src: &Utf8Path) -> Utf8PathBuf {
    let rel = layout::relative(pkg_root, src);
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
pub fn plan(s: &Settings, tc: &Toolchain, sel: &Selected, skip_root: bool, p: &mut Plan) -> Result<Objects> {
    let l = &s.layout;
    let mut objects = Objects::default();
    // source → (compile flags, package, object) for sharing one object between packages
    let mut compiled: HashMap<String, (Arc<[String]>, String, Utf8PathBuf)> = HashMap::new();
    for sp in sel.packages.iter().filter(|sp| !(skip_root && sp.package.origin == Origin::Root)) {
        let pkg = &sp.package;
        let c = &sp.config;
        let id = pkg.id();
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
        for src in &c.sources {
            if !src.compiled {
                p.gated_out.push(format!(
                    "{} (package {}) not compiled: its guard needs {}, which the flags do not define",
                    l.project_rel(&src.path.abs),
                    pkg.name,
                    src.missing_macros.join(", ")
                ));
                continue;
            }
            let cxx = is_cxx(&src.path.abs);
            objects.any_cxx |= cxx;
            let flags = match cxx {
                true => cxx_flags.get_or_insert_with(|| flags_for(&tc.cxx)).clone(),
                false => cc_flags.get_or_insert_with(|| flags_for(&tc.cc)).clone(),
            };
            if let Some((prev_flags, prev_pkg, obj)) = compiled.get(src.path.abs.as_str()) {
                if *prev_flags != flags {
                    let mut d = Diagnostic::error(format!(
                        "{} is compiled by packages `{prev_pkg}` and `{}` with different flags",
                        l.project_rel(&src.path.abs),
                        pkg.name
                    ));
                    d.span = src.path.span.as_deref().cloned();
                    return Err(d
                    .with_help(
                        "give both packages the same cflags and include_dirs for it, or let one package own the source",
                    )
                    .into_err());
                }
                objects.by_package.entry(id.clone()).or_default().push(obj.clone());
                continue;
            }
            let obj = l.out_path(object_path(&id, &pkg.root, &src.path.abs));
            let src_rel = l.rel(&src.path.abs);
            let depfile = Utf8PathBuf::from(format!("{obj}.d"));
            let mut argv: Vec<String> = Vec::with_capacity(s.launcher.len() + flags.len() + 7);
            argv.extend(s.launcher.iter().cloned());
            argv.extend(flags.iter().cloned());
            argv.extend(CompileEntry::tail(src_rel.as_str(), obj.as_str()));
            p.compdb.push(CompileEntry { file: src_rel.clone(), output: obj.clone(), flags: flags.clone() });
            let mut e = Edge::new(if cxx { RuleKind::Cxx } else { RuleKind::Cc }, vec![obj.clone()]);
            e.unkeyed = (0..s.launcher.len()).collect();
            e.inputs = vec![src_rel];
            e.command = Some(super::Command { env: vec![], argv });
            e.vars.push(("depfile", depfile.to_string()));
            e.package = Some(pkg.name.clone());
            p.edges.push(e);
            compiled.insert(src.path.abs.to_string(), (flags, pkg.name.clone(), obj.clone()));
            objects.by_package.entry(id.clone()).or_default().push(obj.clone());
            objects.all.push(obj);
        }
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_never_leave_the_build_folder() {
        assert_eq!(object_path("db", "/p/std/db".into(), "/p/std/db/native/src/a.c".into()), "obj/db/native/src/a.c.o");
        assert_eq!(
            object_path("db", "/p/std/db".into(), "/p/vex-runtime/c/x.c".into()),
            "obj/db/__/__/vex-runtime/c/x.c.o"
        );
        assert_eq!(object_path("db", "/p/db".into(), "/usr/src/z.c".into()), "obj/db/__/__/usr/src/z.c.o");
    }
}
