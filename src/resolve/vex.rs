//! Vex scope (SPEC §3.3): the root package, its dependencies transitively (cycles reported), stdlib packages named by imports.

use super::{import_error, push_unique, Layer, ResolvedImport};
use crate::base::diag::Diagnostic;
use crate::base::hash::FastSet;
use crate::base::layout;
use crate::base::layout::Layout;
use crate::lex::node;
use crate::load::package_json::Host;
use crate::load::{vex_json, LoadCtx};
use crate::model;
use crate::model::{DependencySpec, Import, Origin, Package};
use crate::options::Settings;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

/// Adds `root`'s dependencies, depth first, each package once.
pub fn add_dependencies(
    ctx: &mut LoadCtx,
    layout: &Layout,
    root: &Package,
    scope: &mut Vec<Package>,
    host: &Host,
) -> Result<()> {
    let mut walk = Walk {
        stack: vec![root.manifest.clone()],
        // the manifests in scope, by their canonical paths' text (looked up once per dependency: a walk of the scope
        // each time was a million comparisons at 1,000 packages)
        seen: scope.iter().map(|p| p.manifest.to_string()).collect(),
    };
    visit(ctx, layout, &Node::of(root), scope, &mut walk, host)
}

/// Where the walk is: the manifests from the root down to here (a cycle returns to one), and those in scope.
struct Walk {
    stack: Vec<Utf8PathBuf>,
    seen: FastSet<String>,
}

/// What the walk needs of a package: its name, its folder and its dependencies.
struct Node {
    name: String,
    root: Utf8PathBuf,
    dependencies: Vec<model::Dependency>,
}

impl Node {
    fn of(p: &Package) -> Node {
        Node { name: p.name.clone(), root: p.root.clone(), dependencies: p.dependencies.clone() }
    }
}

/// `d` pointing at where the manifest declares `dep`.
fn at(mut d: Diagnostic, dep: &model::Dependency) -> Diagnostic {
    d.span = dep.span.as_deref().cloned();
    d
}

fn visit(
    ctx: &mut LoadCtx,
    layout: &Layout,
    pkg: &Node,
    scope: &mut Vec<Package>,
    walk: &mut Walk,
    host: &Host,
) -> Result<()> {
    for dep in &pkg.dependencies {
        let manifest = match &dep.spec {
            DependencySpec::Path(dir) => {
                let m = dir.join("vex.json");
                if !m.is_file() {
                    return Err(at(
                        Diagnostic::error(format!(
                            "dependency `{}` of `{}` not found: no vex.json in {}",
                            dep.name,
                            pkg.name,
                            layout.display(dir)
                        )),
                        dep,
                    )
                    .into_err());
                }
                m
            }
            DependencySpec::Version(req) => {
                // an invalid range is the manifest's mistake, whether or not the package is installed
                check_requirement(dep, req, &pkg.name)?;
                find_vex_module(&pkg.root, &dep.name).ok_or_else(|| {
                    at(Diagnostic::error(format!("dependency `{}` ({req}) of `{}` not found", dep.name, pkg.name)), dep)
                        .with_note(format!(
                            "searched vex_modules/{}/vex.json upward from {}",
                            dep.name,
                            layout.display(&pkg.root)
                        ))
                        .into_err()
                })?
            }
        };
        let manifest = layout::canonical(&manifest)?;
        if let Some(pos) = walk.stack.iter().position(|m| *m == manifest) {
            let mut cycle: Vec<String> = walk.stack[pos..].iter().map(|m| name_of(scope, m)).collect();
            cycle.push(dep.name.clone());
            return Err(at(Diagnostic::error(format!("dependency cycle: {}", cycle.join(" → "))), dep).into_err());
        }
        // canonical paths on both sides: their bytes compare (a `Path` compares component by component)
        if walk.seen.contains(manifest.as_str()) {
            continue;
        }
        let dep_pkg = vex_json::load(ctx, host, &manifest, &layout.display(&manifest), Origin::Dependency)?;
        if dep_pkg.name != dep.name {
            // imports name packages, not keys: `other` naming the package `db` stands in for every `db`
            let d = Diagnostic::warning(format!(
                "dependency `{}` of `{}` is the package `{}` ({}): imports of `{}` resolve to it, not to `{}`",
                dep.name,
                pkg.name,
                dep_pkg.name,
                layout.display(&manifest),
                dep_pkg.name,
                dep.name
            ))
            .with_help(format!("key the dependency by its name, `\"{}\"`, or rename the package", dep_pkg.name));
            ctx.manifest_warning(at(d, dep))?;
        }
        if let DependencySpec::Version(req) = &dep.spec {
            check_version(&dep_pkg, dep, req, layout)?;
        }
        // what the walk below needs of the package, not a copy of all of it (its sources and their spans)
        let next = Node::of(&dep_pkg);
        let before = scope.len();
        push_unique(scope, dep_pkg, layout)?;
        if let Some(added) = scope.get(before) {
            walk.seen.insert(added.manifest.to_string());
        }
        walk.stack.push(manifest);
        visit(ctx, layout, &next, scope, walk, host)?;
        walk.stack.pop();
    }
    Ok(())
}

fn name_of(scope: &[Package], manifest: &Utf8Path) -> String {
    scope.iter().find(|p| p.manifest == manifest).map_or_else(|| manifest.to_string(), |p| p.name.clone())
}

fn find_vex_module(from: &Utf8Path, name: &str) -> Option<Utf8PathBuf> {
    from.ancestors().map(|d| d.join("vex_modules").join(name).join("vex.json")).find(|m| m.is_file())
}

/// A dependency's version range, parsed; an error at the dependency with semver's reason when it is not one.
fn check_requirement(dep: &model::Dependency, req: &str, of: &str) -> Result<semver::VersionReq> {
    semver::VersionReq::parse(req).map_err(|e| {
        at(Diagnostic::error(format!("dependency `{}` of `{of}`: `{req}` is not a version range: {e}", dep.name)), dep)
            .with_help("a semver range: `1.2`, `^1.2.3`, `>=1, <2`, `*`")
            .into_err()
    })
}

fn check_version(p: &Package, dep: &model::Dependency, req: &str, layout: &Layout) -> Result<()> {
    let parsed = check_requirement(dep, req, &p.name)?;
    let version = p.version.as_deref().unwrap_or("");
    match semver::Version::parse(version) {
        Ok(v) if parsed.matches(&v) => Ok(()),
        _ => Err(at(
            Diagnostic::error(format!(
                "dependency `{}` requires {req}, but {} has version `{version}`",
                p.name,
                layout.display(&p.manifest)
            )),
            dep,
        )
        .into_err()),
    }
}

/// The package a Vex import names, as the Vex compiler's module resolver reads it: `io`, `std/io`, `std::io`,
/// `std::http::client` (package `http`, module `client` inside it), `vex-libs/std/io`; `None` for `std` itself.
pub fn vex_package(spec: &str) -> Option<String> {
    let s = spec.strip_prefix("vex-libs/").unwrap_or(spec);
    let parts: Vec<&str> = s.split("::").flat_map(|p| p.split('/')).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        ["std"] | [] => None,
        ["std", pkg, ..] | [pkg, ..] => Some(pkg.to_string()),
    }
}

/// Vex imports: relative ones are local, names in scope are the packages', others are stdlib packages.
pub fn resolve_imports(
    ctx: &mut LoadCtx,
    s: &Settings,
    host: &Host,
    imports: &[Import],
    packages: &mut Vec<Package>,
    watch: &mut Vec<Utf8PathBuf>,
) -> Result<Vec<ResolvedImport>> {
    let layout = &s.layout;
    let mut roots = s.stdlib.clone();
    roots.push(layout.project.join("vex-libs/std"));
    roots.push(layout.project.join("stdlib"));
    watch.extend(roots.iter().filter(|r| r.is_dir()).cloned());
    let mut out = Vec::new();
    for imp in imports {
        let spec = imp.specifier.as_str();
        let (layer, package) = if imp.type_only {
            (Layer::TypeOnly, None)
        } else if node::is_relative(spec) {
            (Layer::Local, None)
        } else if let Some(name) = vex_package(spec) {
            if let Some(p) = packages.iter().find(|p| p.name == name && p.origin != Origin::Stdlib) {
                (Layer::Local, Some(p.name.clone()))
            } else if let Some(p) = packages.iter().find(|p| p.name == name) {
                (Layer::Stdlib, Some(p.name.clone()))
            } else {
                let Some(manifest) = roots.iter().map(|r| r.join(&name).join("vex.json")).find(|m| m.is_file()) else {
                    let searched: Vec<String> =
                        roots.iter().map(|r| layout.display(&r.join(&name)).to_string()).collect();
                    return Err(import_error(layout, imp, format!("cannot resolve import `{spec}`"))
                        .with_note(format!("no dependency is named `{name}`, and no stdlib package at: {}", searched.join(", ")))
                        .with_help("add the stdlib folder with --stdlib DIR or VEX_STDLIB, or declare the package under `dependencies`")
                        .into_err());
                };
                let manifest = layout::canonical(&manifest)?;
                let p = vex_json::load(ctx, host, &manifest, &layout.display(&manifest), Origin::Stdlib)?;
                push_unique(packages, p.clone(), layout)?;
                add_dependencies(ctx, layout, &p, packages, host)?;
                (Layer::Stdlib, Some(p.name))
            }
        } else {
            // `std` itself: the standard library as a whole, no one package to build
            (Layer::Stdlib, None)
        };
        out.push(ResolvedImport { import: imp.clone(), layer, package });
    }
    Ok(out)
}

/// The program's entry for the Vex compiler: the ENTRY given, else `main` of the root vex.json, else `main.vx`, else
/// `src/main.vx`; `None` when none is a file (the host edge is then not planned, and gen says so).
pub fn entry(given: Option<&Utf8Path>, root: &Package, layout: &Layout) -> Result<Option<Utf8PathBuf>> {
    let candidates: Vec<Utf8PathBuf> = match (given, &root.main) {
        (Some(e), _) => vec![e.to_owned()],
        (None, Some(m)) => vec![layout::normalize(&root.root.join(m))],
        (None, None) => vec![root.root.join("main.vx"), root.root.join("src/main.vx")],
    };
    let Some(file) = candidates.into_iter().find(|c| c.is_file()) else { return Ok(None) };
    if !layout::canonical(&file)?.starts_with(layout::canonical(&root.root)?) {
        return Err(Diagnostic::error(format!(
            "the entry module {} is outside the project {}",
            layout.display(&file),
            layout.display(&root.root)
        ))
        .with_help("build that program from its own folder (`ninjabind gen -C DIR`), or move the entry into this one")
        .into_err());
    }
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::vex_package;

    #[test]
    fn every_import_form_of_the_vex_compiler_names_its_package() {
        for (spec, want) in [
            ("io", Some("io")),
            ("std/io", Some("io")),
            ("std::io", Some("io")),
            ("std::http::client", Some("http")),
            ("std/http/client", Some("http")),
            ("vex-libs/std/io", Some("io")),
            ("util/sub", Some("util")),
            ("std", None),
        ] {
            assert_eq!(vex_package(spec).as_deref(), want, "{spec}");
        }
    }
}
