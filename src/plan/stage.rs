//! Staging edges (manifest v1): each binding's `resources` and `shaderOutputs` copied into
//! `NativeLibraries/<package>/` beside the program, a backend's into `NativeLibraries/<package>/<backend>/`, its
//! `shaderSources` compiled there by the backend's tool, and its `package` written as `perry-backend-package.json`.

use super::{Command, Edge, Plan, RuleKind};
use crate::base::diag::Diagnostic;
use crate::base::escape::NOT_IN_PATHS;
use crate::base::layout::Layout;
use crate::model;
use crate::model::SourcePath;
use crate::options::Settings;
use crate::select::Selected;
use crate::toolchain;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

/// The file Perry writes a backend's `package` metadata into.
pub const BACKEND_PACKAGE_FILE: &str = "perry-backend-package.json";

/// Plans the staging edges of every binding; returns the staged files (the program's order-only inputs).
pub fn plan(s: &Settings, sel: &Selected, p: &mut Plan) -> Result<Vec<Utf8PathBuf>> {
    let l = &s.layout;
    let exe = super::regen::exe_path()?.to_string();
    let mut st = Stager { l, exe: &exe, p, staged: Vec::new() };
    for sp in &sel.packages {
        let Some(lib) = &sp.package.library else { continue };
        let staging = &lib.staging;
        let name = &sp.package.name;
        let dir = l.out.join("bin/NativeLibraries").join(model::staging_folder(name));
        let root = &sp.package.root;
        for item in staging.resources.iter().chain(&staging.shader_outputs) {
            st.copy_entry(name, root, item, &dir)?;
        }
        for b in staging.backends.iter().filter(|b| b.available) {
            let bdir = dir.join(&b.name);
            if !b.shader_sources.is_empty() {
                let tool = toolchain::find_shader_tool(s, &b.name, name)?;
                for src in &b.shader_sources {
                    st.shader(name, &tool, &b.name, src, &bdir);
                }
            }
            for item in b.resources.iter().chain(&b.shader_outputs) {
                st.copy_entry(name, root, item, &bdir)?;
            }
            if let Some(pkg) = &b.package {
                // gen writes the metadata beside the build's other side files; an edge stages it like any file
                let side = l.out.join("stage").join(sp.package.id()).join(&b.name).join(BACKEND_PACKAGE_FILE);
                st.p.side_files.push((l.rel(&side), pkg.to_json(&b.name)));
                st.copy(name, &side, &bdir.join(BACKEND_PACKAGE_FILE));
            }
        }
    }
    Ok(st.staged)
}

struct Stager<'a> {
    l: &'a Layout,
    exe: &'a str,
    p: &'a mut Plan,
    staged: Vec<Utf8PathBuf>,
}

impl Stager<'_> {
    /// A file into `dir`; a folder into `dir/<its name>/`, file by file (its folders become the regeneration's
    /// inputs, so a file added or removed there reaches the graph).
    fn copy_entry(&mut self, package: &str, root: &Utf8Path, item: &SourcePath, dir: &Utf8Path) -> Result<()> {
        let name = item.abs.file_name().expect("checked at load");
        // an installed package ships its own files into the program's folder, never the host's (`../../etc/passwd`,
        // `/etc/passwd`, a link to `/etc/ssl`)
        let inside = std::fs::canonicalize(root).unwrap_or_else(|_| root.into());
        let leaves = |p: &Utf8Path| std::fs::canonicalize(p).is_ok_and(|real| !real.starts_with(&inside));
        if leaves(&item.abs) {
            let mut d = Diagnostic::error(format!(
                "resource `{}` of `{package}` is outside the package: a package may stage only its own files",
                item.written()
            ))
            .with_help("ship the file inside the package and name it relative to its package.json");
            d.span = item.span.as_ref().map(|s| s.span());
            return Err(d.into_err());
        }
        if !item.abs.is_dir() {
            self.copy(package, &item.abs, &dir.join(name));
            return Ok(());
        }
        let mut folders = vec![item.abs.clone()];
        let mut pairs = Vec::new();
        // a link back up the tree (`res/loop -> ..`) is walked once, never forever
        let mut seen = std::collections::HashSet::new();
        while let Some(folder) = folders.pop() {
            if !seen.insert(std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone().into())) {
                continue;
            }
            self.p.regen_inputs.push(folder.clone());
            let mut entries: Vec<Utf8PathBuf> = Vec::new();
            let read = folder.read_dir_utf8().map_err(|e| {
                Diagnostic::error(format!(
                    "cannot read resource folder {} of `{package}`: {e}",
                    self.l.display(&folder)
                ))
                .into_err()
            })?;
            for entry in read {
                let path = entry?.path().to_owned();
                let bad_name = path.file_name().is_some_and(|n| n.contains(NOT_IN_PATHS));
                if bad_name || leaves(&path) {
                    let why = if bad_name {
                        "its name holds a newline, carriage return, tab or `|`, which build.ninja cannot carry"
                    } else {
                        "it leads outside the package (a link): a package may stage only its own files"
                    };
                    return Err(Diagnostic::error(format!(
                        "cannot stage {:?} from resource folder `{}` of `{package}`: {why}",
                        self.l.display(&path).as_str(),
                        item.written()
                    ))
                    .into_err());
                }
                entries.push(path);
            }
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    folders.push(path);
                } else if path.is_file() {
                    let rel = path.strip_prefix(&item.abs).expect("walked from it");
                    let to = self.l.rel(&dir.join(name).join(rel));
                    pairs.push((self.l.rel(&path), to));
                }
            }
        }
        pairs.sort();
        self.copy_folder(package, &dir.join(name), pairs);
        Ok(())
    }

    /// A resource folder's files staged by one edge (one process for the folder, not one per file: 5,000 files took
    /// 22 s one process each): every file is an output of it, so ninja and the gate still see each one, and the
    /// edge rewrites only those whose bytes changed.
    fn copy_folder(&mut self, package: &str, to_dir: &Utf8Path, pairs: Vec<(Utf8PathBuf, Utf8PathBuf)>) {
        if pairs.is_empty() {
            return;
        }
        let to_dir = self.l.rel(to_dir);
        let under_bin = to_dir.strip_prefix(self.l.out_path("bin")).unwrap_or(&to_dir);
        let stage = self.l.out_path("stage").join(under_bin);
        let list = Utf8PathBuf::from(format!("{stage}.pairs"));
        let text: String = pairs.iter().map(|(from, to)| format!("{from}\t{to}\n")).collect();
        self.p.side_files.push((list.clone(), text));
        let argv = vec![self.exe.into(), "edge".into(), "stage".into(), "--pairs".into(), list.to_string()];
        let (inputs, outputs): (Vec<Utf8PathBuf>, Vec<Utf8PathBuf>) = pairs.into_iter().unzip();
        let mut e = Edge::new(RuleKind::Stage, outputs.clone());
        let more = e.more_mut();
        more.record = Some(Utf8PathBuf::from(format!("{stage}.nbh")));
        more.implicit_inputs.push(list);
        more.vars.push(("description", format!("STAGE {to_dir}/")));
        e.inputs = inputs;
        e.command = Some(Box::new(Command { env: vec![], argv }));
        e.package = Some(package.into());
        self.p.edges.push(e);
        self.staged.extend(outputs);
    }

    fn copy(&mut self, package: &str, from: &Utf8Path, to: &Utf8Path) {
        let (from, to) = (self.l.rel(from), self.l.rel(to));
        let argv =
            vec![self.exe.into(), "edge".into(), "stage".into(), "--out".into(), to.to_string(), from.to_string()];
        self.push(RuleKind::Stage, package, from, to, argv);
    }

    /// `glslc SRC -o DIR/SRC.spv`, `dxc SRC -Fo DIR/SRC.dxil`, `xcrun -sdk macosx metal SRC -o DIR/SRC.metallib`: the
    /// names Perry gives them.
    fn shader(&mut self, package: &str, tool: &str, backend: &str, src: &SourcePath, dir: &Utf8Path) {
        let name = src.abs.file_name().expect("checked at load");
        let (ext, flag) = match backend {
            "metal" => ("metallib", "-o"),
            "d3d12" => ("dxil", "-Fo"),
            _ => ("spv", "-o"),
        };
        let (from, to) = (self.l.rel(&src.abs), self.l.rel(&dir.join(format!("{name}.{ext}"))));
        let mut argv = vec![tool.to_string()];
        if backend == "metal" {
            argv.extend(["-sdk".into(), "macosx".into(), "metal".into()]);
        }
        argv.extend([from.to_string(), flag.into(), to.to_string()]);
        self.push(RuleKind::Shader, package, from, to, argv);
    }

    fn push(&mut self, rule: RuleKind, package: &str, from: Utf8PathBuf, to: Utf8PathBuf, argv: Vec<String>) {
        let mut e = Edge::new(rule, vec![to.clone()]);
        // the gate's record stays in the build folder, out of what the program ships
        let under_bin = to.strip_prefix(self.l.out_path("bin")).unwrap_or(&to);
        e.more_mut().record = Some(self.l.out_path("stage").join(format!("{under_bin}.nbh")));
        e.inputs = vec![from];
        e.command = Some(Box::new(Command { env: vec![], argv }));
        e.package = Some(package.into());
        self.p.edges.push(e);
        self.staged.push(to);
    }
}
