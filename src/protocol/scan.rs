//! The scan edge's protocol: the list gen writes (`O/scan.list`) and the summary both gen and the edge make of the
//! imports — one function, so the stamp gen writes and the one the edge writes agree byte for byte.

use crate::base::layout::relative;
use crate::lex::node::{declares_native_library, is_builtin, is_relative, nearest_package, package_name};
use crate::model::Import;
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeSet, HashMap};

/// What to scan, as gen writes it to `O/scan.list` (paths relative to the ninja file's folder).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSpec {
    pub root: Utf8PathBuf,
    pub exts: Vec<String>,
    pub skip: Vec<Utf8PathBuf>,
    pub perry: bool,
}

impl ScanSpec {
    pub fn render(&self) -> String {
        let mut s = format!(
            "root {}\nfront-end {}\nexts {}\n",
            self.root,
            if self.perry { "perry" } else { "vex" },
            self.exts.join(" ")
        );
        for p in &self.skip {
            s.push_str("skip ");
            s.push_str(p.as_str());
            s.push('\n');
        }
        s
    }

    pub fn parse(text: &str) -> ScanSpec {
        let mut spec = ScanSpec::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once(' ') else { continue };
            match k {
                "root" => spec.root = v.into(),
                "front-end" => spec.perry = v == "perry",
                "exts" => spec.exts = v.split(' ').map(str::to_string).collect(),
                "skip" => spec.skip.push(v.into()),
                _ => {}
            }
        }
        spec
    }
}

/// Project files whose appearance or removal changes the graph: a gen that read none must regenerate when one
/// appears (a package.json added to a folder built from its entry alone), so the summary names those present.
pub const PROJECT_FILES: [&str; 5] = ["ninjabind.toml", "package.json", "perry.lock", "perry.toml", "vex.json"];

/// Which of [`PROJECT_FILES`] are in `root`.
pub fn present_project_files(root: &Utf8Path) -> Vec<&'static str> {
    PROJECT_FILES.into_iter().filter(|f| std::fs::symlink_metadata(root.join(f)).is_ok()).collect()
}

/// One line per import (file, specifier, kind, and for Perry the nearest installed package) and per project file
/// present.
pub fn summary(base: &Utf8Path, imports: &[Import], perry: bool, present: &[&str]) -> String {
    let rel = |p: &Utf8Path| relative(base, p);
    let mut lines = BTreeSet::new();
    // each (folder, package) is looked up once, however many imports name it
    let mut installed: HashMap<(Utf8PathBuf, String), String> = HashMap::new();
    // a relative import names one of the project's own modules: which of them the compiler builds is learnt at
    // build time (the host edge's depfile), so adding or dropping one regenerates nothing
    for i in imports.iter().filter(|i| !is_relative(&i.specifier)) {
        let mut line =
            format!("import {} {} {}", rel(&i.file), i.specifier, if i.type_only { "type" } else { "value" });
        if perry && !i.type_only && !is_relative(&i.specifier) && !is_builtin(&i.specifier) {
            let from = i.file.parent().unwrap_or(Utf8Path::new("/")).to_owned();
            let key = (from, package_name(&i.specifier));
            let found = installed.entry(key).or_insert_with_key(|(from, pkg)| match nearest_package(from, pkg).0 {
                Some(m) => {
                    // the reader gen uses (BOM skipped); one it cannot parse reads as "not native", the summary
                    // differs from gen's, and the regeneration reports the manifest's error with its position
                    let native = declares_native_library(&m);
                    format!(" -> {}{}", rel(&m), if native { " native" } else { "" })
                }
                None => String::new(),
            });
            line.push_str(found);
        }
        lines.insert(line);
    }
    lines.extend(present.iter().map(|f| format!("present {f}")));
    lines.into_iter().map(|l| l + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_round_trips() {
        let spec = ScanSpec {
            root: "..".into(),
            exts: vec!["ts".into(), "tsx".into()],
            skip: vec!["build".into(), "dir with space".into()],
            perry: true,
        };
        assert_eq!(ScanSpec::parse(&spec.render()), spec);
        let vex = ScanSpec { exts: vec!["vx".into()], ..ScanSpec::default() };
        assert_eq!(ScanSpec::parse(&vex.render()), vex);
    }
}
