//! Where things live: the project, the ninja file's folder, the outputs root, and the one place paths are made relative.

use anyhow::{Context, Result};
use camino::{Utf8Component, Utf8Path, Utf8PathBuf};

#[derive(Debug, Clone)]
pub struct Layout {
    /// Absolute, canonical project root (`-C`).
    pub project: Utf8PathBuf,
    /// Absolute folder of build.ninja; ninja runs commands here.
    pub ninja_dir: Utf8PathBuf,
    /// Absolute outputs root `O` (`<project>/build`, or `-B OUT`).
    pub out: Utf8PathBuf,
    /// The folder the user ran ninjabind from, for displaying paths.
    pub cwd: Utf8PathBuf,
    /// The checkout: the nearest ancestor of the project holding `.git`, else the project's parent.
    /// Paths inside it (or inside the ninja file's folder) are written relative; others absolute.
    pub anchor: Utf8PathBuf,
}

impl Layout {
    /// `project` and `build_dir` as given on the command line, relative to the current folder.
    pub fn new(project: &Utf8Path, build_dir: Option<&Utf8Path>) -> Result<Layout> {
        let cwd = current_dir()?;
        let project = canonical(&cwd.join(project)).with_context(|| format!("project folder {project} not found"))?;
        let (ninja_dir, out) = match build_dir {
            Some(b) => {
                let b = normalize(&cwd.join(b));
                let b = canonical(&b).unwrap_or(b);
                (b.clone(), b)
            }
            None => (project.clone(), project.join("build")),
        };
        let anchor = project
            .ancestors()
            .find(|d| d.join(".git").exists())
            .or_else(|| project.parent())
            .unwrap_or(&project)
            .to_owned();
        Ok(Layout { project, ninja_dir, out, cwd, anchor })
    }

    /// `p` relative to the ninja file's folder: how every path in build.ninja is written.
    /// A path outside the checkout and the ninja file's folder (a system folder, the toolchain) stays absolute,
    /// so the file's bytes do not depend on where the checkout is.
    pub fn rel(&self, p: &Utf8Path) -> Utf8PathBuf {
        let n = normalized(p);
        // the common case, a normal path inside the ninja file's folder: its tail, found by one string comparison
        if let Some(tail) = tail_under(n.as_str(), self.ninja_dir.as_str()) {
            if !tail.is_empty() && !tail.starts_with('-') {
                return Utf8PathBuf::from(tail);
            }
        }
        if n.is_absolute() && !inside(&n, &self.anchor) && !inside(&n, &self.ninja_dir) {
            return n.into_owned();
        }
        let r = relative(&self.ninja_dir, &n);
        // `-DEVIL.c` would read as an option to cc and to the gate: `./-DEVIL.c` names the same file
        if r.as_str().starts_with('-') {
            return Utf8PathBuf::from(format!("./{r}"));
        }
        r
    }

    /// A path under the outputs root, relative to the ninja file's folder.
    pub fn out_path(&self, sub: impl AsRef<Utf8Path>) -> Utf8PathBuf {
        let sub = sub.as_ref();
        // the outputs root is the ninja file's folder or inside it (`build/`): a normal relative `sub` is appended
        if sub.is_relative() && is_normal(sub.as_str()) && is_normal(self.out.as_str()) {
            match tail_under(self.out.as_str(), self.ninja_dir.as_str()) {
                Some("") if !sub.as_str().starts_with('-') => return sub.to_owned(),
                Some(dir) if !dir.is_empty() => return Utf8PathBuf::from(format!("{dir}/{sub}")),
                _ => {}
            }
        }
        let p = self.rel(&self.out.join(sub));
        normalize(&p)
    }

    /// A path as build.ninja writes it (relative to the ninja file's folder), relative to the project root instead.
    pub fn project_rel_from_ninja(&self, p: &Utf8Path) -> Utf8PathBuf {
        self.project_rel_from_ninja_cow(p).into_owned()
    }

    /// [`Layout::project_rel_from_ninja`], borrowing `p` when it is already project-relative (the graph document's
    /// 42,000 edge paths of an in-tree build: a copy of each was a third of its edges' instructions).
    pub fn project_rel_from_ninja_cow<'p>(&self, p: &'p Utf8Path) -> std::borrow::Cow<'p, Utf8Path> {
        // build.ninja beside the project's root: a normal path that does not climb is already project-relative
        if self.ninja_dir == self.project && p.is_relative() && is_normal(p.as_str()) {
            return std::borrow::Cow::Borrowed(p);
        }
        // the ninja file's folder inside the project (`-B build`): `p` folded onto its path there, by the strings, as
        // long as no `..` climbs out of the project (then the whole walk below)
        if p.is_relative() && is_normal(self.project.as_str()) && is_normal(self.ninja_dir.as_str()) {
            if let Some(folded) = self.ninja_dir_in_project().and_then(|base| fold(base, p.as_str())) {
                return std::borrow::Cow::Owned(folded);
            }
        }
        std::borrow::Cow::Owned(self.project_rel(&normalize(&self.ninja_dir.join(p))))
    }

    /// The ninja file's folder relative to the project root, when it is the root or inside it.
    fn ninja_dir_in_project(&self) -> Option<&str> {
        tail_under(self.ninja_dir.as_str(), self.project.as_str())
    }

    /// `p` relative to the project root, for explain and the graph JSON.
    pub fn project_rel(&self, p: &Utf8Path) -> Utf8PathBuf {
        relative(&self.project, p)
    }

    /// `p` as the user should read it: relative to where they ran the command.
    pub fn display(&self, p: &Utf8Path) -> Utf8PathBuf {
        relative(&self.cwd, p)
    }

    pub fn ninja_file(&self) -> Utf8PathBuf {
        self.ninja_dir.join("build.ninja")
    }
}

pub fn current_dir() -> Result<Utf8PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    Utf8PathBuf::try_from(cwd).context("the current folder's path is not UTF-8")
}

pub fn canonical(p: &Utf8Path) -> Result<Utf8PathBuf> {
    let c = std::fs::canonicalize(p).with_context(|| format!("{p} does not exist"))?;
    Utf8PathBuf::try_from(c).with_context(|| format!("{p} is not a UTF-8 path"))
}

/// Whether `normalize` would return `p` unchanged: no `.`, `..` or empty component (a gen at 20,000 sources spent a
/// tenth of its time normalising paths that were already normal). One pass over the bytes.
fn is_normal(p: &str) -> bool {
    let body = p.strip_prefix('/').unwrap_or(p).as_bytes();
    if body.is_empty() {
        return false;
    }
    // the length of the component read so far, and whether it is all dots
    let (mut len, mut dots) = (0usize, true);
    for &b in body.iter().chain(std::iter::once(&b'/')) {
        if b == b'/' {
            if len == 0 || (dots && len <= 2) {
                return false;
            }
            (len, dots) = (0, true);
        } else {
            len += 1;
            dots &= b == b'.';
        }
    }
    true
}

/// Whether the normal path `p` is `dir` or inside it: Path's `starts_with` compared component by component, one
/// string comparison does it for normal paths.
fn inside(p: &Utf8Path, dir: &Utf8Path) -> bool {
    if !is_normal(dir.as_str()) {
        return p.starts_with(dir);
    }
    tail_under(p.as_str(), dir.as_str()).is_some()
}

/// The part of the normal path `p` below the normal folder `dir` (`""` when they are equal), found by one string
/// comparison at a `/` boundary; `None` when `p` is not inside `dir`.
fn tail_under<'a>(p: &'a str, dir: &str) -> Option<&'a str> {
    let rest = p.strip_prefix(dir)?;
    match rest.is_empty() || dir == "/" {
        true => Some(rest),
        false => rest.strip_prefix('/'),
    }
}

fn normalized(p: &Utf8Path) -> std::borrow::Cow<'_, Utf8Path> {
    if is_normal(p.as_str()) {
        std::borrow::Cow::Borrowed(p)
    } else {
        std::borrow::Cow::Owned(normalize_components(p))
    }
}

/// Removes `.` and folds `name/..` without touching the disk.
pub fn normalize(p: &Utf8Path) -> Utf8PathBuf {
    normalized(p).into_owned()
}

fn normalize_components(p: &Utf8Path) -> Utf8PathBuf {
    let mut out: Vec<Utf8Component> = Vec::new();
    for c in p.components() {
        match c {
            Utf8Component::CurDir => {}
            Utf8Component::ParentDir => match out.last() {
                Some(Utf8Component::Normal(_)) => {
                    out.pop();
                }
                Some(Utf8Component::RootDir) | Some(Utf8Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return Utf8PathBuf::from(".");
    }
    out.iter().map(|c| c.as_str()).collect()
}

/// The relative path `p` appended to the normal relative folder `base`, `.` and `..` folded; `None` when a `..`
/// would climb above `base`'s root.
fn fold(base: &str, p: &str) -> Option<Utf8PathBuf> {
    // the usual shapes, by string: leading `..`s taken off `base`, then a normal rest appended
    let (mut base, mut rest) = (base, p);
    loop {
        let after = match rest.strip_prefix("../") {
            Some(r) => r,
            None if rest == ".." => "",
            None => break,
        };
        if base.is_empty() {
            return None;
        }
        (base, rest) = (base.rfind('/').map_or("", |i| &base[..i]), after);
    }
    if rest.is_empty() || is_normal(rest) {
        return Some(Utf8PathBuf::from(match (base.is_empty(), rest.is_empty()) {
            (true, true) => ".".to_string(),
            (true, false) => rest.to_string(),
            (false, true) => base.to_string(),
            (false, false) => format!("{base}/{rest}"),
        }));
    }
    fold_parts(base, rest)
}

/// [`fold`] part by part, for any relative `p`.
fn fold_parts(base: &str, p: &str) -> Option<Utf8PathBuf> {
    let mut parts: Vec<&str> = base.split('/').filter(|c| !c.is_empty()).collect();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(match parts.is_empty() {
        true => Utf8PathBuf::from("."),
        false => Utf8PathBuf::from(parts.join("/")),
    })
}

/// `to` relative to the folder `from` (both absolute), with `..` where needed.
pub fn relative(from: &Utf8Path, to: &Utf8Path) -> Utf8PathBuf {
    let from = normalized(from);
    let to = normalized(to);
    if !to.is_absolute() {
        return to.into_owned();
    }
    // the common case, a path inside `from`: its tail (both are normal, so a `/` after the prefix is a boundary)
    match tail_under(to.as_str(), from.as_str()) {
        Some("") => return Utf8PathBuf::from("."),
        Some(tail) => return Utf8PathBuf::from(tail),
        None => {}
    }
    // both normal and absolute (a normal path has no empty, `.` or `..` part): the common folders by string
    if from.is_absolute() && is_normal(from.as_str()) && is_normal(to.as_str()) {
        return climb(from.as_str(), to.as_str());
    }
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = Utf8PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_str());
    }
    if out.as_str().is_empty() {
        Utf8PathBuf::from(".")
    } else {
        out
    }
}

/// `to` relative to `from`, both normal absolute paths: `..` for each of `from`'s folders below the common ones.
fn climb(from: &str, to: &str) -> Utf8PathBuf {
    let (f, t) = (from.as_bytes(), to.as_bytes());
    let same = f.iter().zip(t).take_while(|(a, b)| a == b).count();
    // the common part ends at a `/` both share, or where one path ends and the other has a `/`
    let ends_at = |p: &[u8], i: usize| i == p.len() || p[i] == b'/';
    let common = if ends_at(f, same) && ends_at(t, same) {
        same
    } else {
        f[..same].iter().rposition(|&b| b == b'/').unwrap_or(0)
    };
    let ups = from[common..].split('/').filter(|c| !c.is_empty()).count();
    let rest = to[common..].trim_start_matches('/');
    let mut out = String::with_capacity(ups * 3 + rest.len());
    for i in 0..ups {
        out.push_str(if i == 0 { ".." } else { "/.." });
    }
    if !rest.is_empty() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(rest);
    }
    Utf8PathBuf::from(if out.is_empty() { ".".to_string() } else { out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative("/a/b".into(), "/a/b/c/d.c".into()), "c/d.c");
        assert_eq!(relative("/a/b/out".into(), "/a/b/src/x.c".into()), "../src/x.c");
        assert_eq!(relative("/a/b".into(), "/a/b".into()), ".");
        assert_eq!(relative("/a/b".into(), "/x/../a/y".into()), "../y");
    }

    #[test]
    fn relative_inside_the_checkout_absolute_outside() {
        let l = Layout {
            project: "/w/repo/apps/web".into(),
            ninja_dir: "/w/repo/apps/web".into(),
            out: "/w/repo/apps/web/build".into(),
            cwd: "/w/repo".into(),
            anchor: "/w/repo".into(),
        };
        assert_eq!(l.rel("/w/repo/apps/web/src/a.c".into()), "src/a.c");
        assert_eq!(l.rel("/w/repo/node_modules/x/lib.rs".into()), "../../node_modules/x/lib.rs");
        assert_eq!(l.rel("/w/other/include".into()), "/w/other/include");
        assert_eq!(l.rel("/usr/include/postgresql".into()), "/usr/include/postgresql");
        assert_eq!(l.out_path("obj/x.o"), "build/obj/x.o");
    }

    #[test]
    fn the_fast_paths_agree_with_the_component_walk() {
        for p in [
            "/a/b", "a/b", "/", "", ".", "..", "a/./b", "a//b", "a/b/", "/a/../b", "../x", "x/..", "./-x.c", "é/ü",
            "a/.../b", ".a/b..", "/.x",
        ] {
            assert_eq!(normalize(p.into()), normalize_components(p.into()), "{p:?}");
        }
        let cases = [
            ("/a/b/out", "/a/b/src/x.c"),
            ("/a/bc/out", "/a/b/x"),
            ("/a/b", "/a/bc/x"),
            ("/a/bc", "/a/b"),
            ("/x/y/z", "/a"),
            ("/a/b/c", "/a/b"),
            ("/a", "/a/b/c/d"),
            ("/", "/"),
            ("/x", "/"),
            ("/é/ü/v", "/é/w"),
            ("/a/b", "/a/b/c"),
            ("/a/b", "/a/bc/x"),
            ("/a/b", "/a/b"),
            ("/", "/x/y"),
            ("/a/b/", "/a/b/c"),
            ("/a/./b", "/a/b/c/../d"),
            ("/a/b", "/a"),
        ];
        for (from, to) in cases {
            let (nf, nt) = (normalize(from.into()), normalize(to.into()));
            let f: Vec<_> = nf.components().collect();
            let t: Vec<_> = nt.components().collect();
            let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
            let mut slow: Utf8PathBuf = (common..f.len()).map(|_| "..").collect();
            for c in &t[common..] {
                slow.push(c.as_str());
            }
            let slow = if slow.as_str().is_empty() { Utf8PathBuf::from(".") } else { slow };
            assert_eq!(relative(from.into(), to.into()), slow, "{from} -> {to}");
        }
    }

    #[test]
    fn paths_from_the_ninja_folder_agree_with_the_component_walk() {
        for (project, ninja_dir) in [("/w/p", "/w/p"), ("/w/p", "/w/p/build"), ("/w/p", "/w/p/a/b"), ("/w/p", "/w/out")]
        {
            let l = Layout {
                project: project.into(),
                ninja_dir: ninja_dir.into(),
                out: format!("{ninja_dir}/o").into(),
                cwd: "/w".into(),
                anchor: "/w".into(),
            };
            for p in [
                "x.o",
                "obj/a/b.o",
                "../src/a.c",
                "../../p/src/a.c",
                "../../../x",
                "./a//b/",
                "..",
                ".",
                "/abs/x",
                "../..",
                "../a/../b",
                "a/..",
                "../../",
                "a/./b",
                "../x/",
            ] {
                let slow = l.project_rel(&normalize(&l.ninja_dir.join(p)));
                assert_eq!(l.project_rel_from_ninja(p.into()), slow, "{project} {ninja_dir} {p}");
            }
        }
    }

    #[test]
    fn out_paths_agree_with_the_component_walk() {
        for (ninja_dir, out) in
            [("/w/p", "/w/p/build"), ("/w/p/o", "/w/p/o"), ("/w/p", "/w/elsewhere"), ("/w/p", "/w/p/b/c")]
        {
            let l = Layout {
                project: "/w/p".into(),
                ninja_dir: ninja_dir.into(),
                out: out.into(),
                cwd: "/w".into(),
                anchor: "/w".into(),
            };
            for sub in ["obj/x.o", "-x", "", "a/../b", "/abs/y", "scan.stamp"] {
                assert_eq!(l.out_path(sub), normalize(&l.rel(&l.out.join(sub))), "{ninja_dir} {out} {sub}");
            }
        }
    }

    #[test]
    fn rel_agrees_with_the_component_walk() {
        let l = Layout {
            project: "/w/repo/app".into(),
            ninja_dir: "/w/repo/app/out".into(),
            out: "/w/repo/app/out".into(),
            cwd: "/w".into(),
            anchor: "/w/repo".into(),
        };
        for p in
            ["/w/repo/app/out/obj/x.o", "/w/repo/app/out/-x.c", "/w/repo/app/outside/x", "/w/repo/app/out", "/w/rep"]
        {
            let n = normalize(p.into());
            let slow = match n.is_absolute() && !n.starts_with(&l.anchor) && !n.starts_with(&l.ninja_dir) {
                true => n.clone(),
                false => relative(&l.ninja_dir, &n),
            };
            let slow = if slow.as_str().starts_with('-') { format!("./{slow}").into() } else { slow };
            assert_eq!(l.rel(p.into()), slow, "{p}");
        }
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize("/p/std/db/../../../vex-runtime/c".into()), "/vex-runtime/c");
        assert_eq!(normalize("a/./b/../c".into()), "a/c");
        assert_eq!(normalize("../x".into()), "../x");
    }
}
