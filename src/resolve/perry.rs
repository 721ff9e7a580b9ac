//! Perry's resolution layers (SPEC §3.2): (a) installed binding, (b) JS package, (c) well-known table, (d) error.

use super::{import_error, push_unique, Layer, ResolvedImport};
use crate::base::layout;
use crate::base::layout::Layout;
use crate::lex::node::{is_builtin, is_relative, nearest_package, package_name};
use crate::load::package_json::{self, Host};
use crate::load::well_known::{Table, WellKnown};
use crate::load::LoadCtx;
use crate::model::{ArchiveSource, FrontEnd, Import, NativeLibrary, Origin, Package};
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

pub struct PerryScope<'a> {
    pub layout: &'a Layout,
    pub host: Host<'a>,
    pub table: &'a Table,
    pub bindings_root: Option<&'a Utf8Path>,
}

/// Resolves every import; adds the packages they need to `packages` (each folder once).
pub fn resolve(
    ctx: &mut LoadCtx,
    scope: &PerryScope,
    imports: &[Import],
    packages: &mut Vec<Package>,
    watch: &mut Vec<Utf8PathBuf>,
) -> Result<Vec<ResolvedImport>> {
    let mut out = Vec::new();
    for imp in imports {
        let (layer, package) = resolve_one(ctx, scope, imp, packages, watch)?;
        out.push(ResolvedImport { import: imp.clone(), layer, package });
    }
    Ok(out)
}

fn resolve_one(
    ctx: &mut LoadCtx,
    scope: &PerryScope,
    imp: &Import,
    packages: &mut Vec<Package>,
    watch: &mut Vec<Utf8PathBuf>,
) -> Result<(Layer, Option<String>)> {
    let spec = imp.specifier.as_str();
    if imp.type_only {
        return Ok((Layer::TypeOnly, None));
    }
    if is_relative(spec) {
        return Ok((Layer::Local, None));
    }
    let pkg = package_name(spec);
    if is_builtin(spec) || pkg == "perry" {
        // the host's runtime serves these, unless the well-known table binds them
        return match scope.table.lookup(spec, &pkg) {
            Some(wk) => Ok((Layer::C, Some(add_well_known(ctx, scope, imp, &wk, packages)?))),
            None => Ok((Layer::Builtin, None)),
        };
    }
    let from = imp.file.parent().unwrap_or(Utf8Path::new("/"));
    let (found, passed) = nearest_package(from, &pkg);
    watch.extend(passed);
    if let Some(manifest) = found {
        let manifest = layout::canonical(&manifest)?;
        let root = manifest.parent().expect("manifest folder").to_owned();
        watch.push(manifest.clone());
        if let Some(p) = packages.iter().find(|p| p.root == root) {
            let layer = if p.origin == Origin::Js { Layer::B } else { Layer::A };
            return Ok((layer, Some(p.name.clone())));
        }
        if package_json::declares_native_library(&manifest, &scope.layout.display(&manifest))? {
            let p =
                package_json::load(ctx, &scope.host, &manifest, &scope.layout.display(&manifest), Origin::Installed)?;
            let name = p.name.clone();
            push_unique(packages, p, scope.layout)?;
            return Ok((Layer::A, Some(name)));
        }
        let p = js_package(&manifest, &pkg);
        packages.push(p);
        return Ok((Layer::B, Some(pkg)));
    }
    if let Some(wk) = scope.table.lookup(spec, &pkg) {
        return Ok((Layer::C, Some(add_well_known(ctx, scope, imp, &wk, packages)?)));
    }
    let table = scope.table.path.as_ref().map_or("the bundled well-known table".to_string(), |p| {
        format!("the well-known table {}", scope.layout.display(p))
    });
    Err(import_error(scope.layout, imp, format!("cannot resolve import `{spec}`"))
        .with_note(format!(
            "searched node_modules/{pkg}/package.json in every folder from {} up to /, then {table}",
            scope.layout.display(from)
        ))
        .with_help(format!("install it (`npm install {pkg}`), or add `[bindings.\"{pkg}\"]` to a well-known table given with --well-known"))
        .into_err())
}

fn js_package(manifest: &Utf8Path, name: &str) -> Package {
    let version = std::fs::read(manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("version").and_then(|x| x.as_str()).map(str::to_string));
    Package {
        name: name.to_string(),
        version,
        root: manifest.parent().expect("manifest folder").to_owned(),
        manifest: manifest.to_owned(),
        front_end: FrontEnd::Perry,
        origin: Origin::Js,
        native: None,
        library: None,
        dependencies: vec![],
    }
}

/// The binding a well-known entry names, keyed by its crate folder: several names share one.
fn add_well_known(
    ctx: &mut LoadCtx,
    scope: &PerryScope,
    imp: &Import,
    wk: &WellKnown,
    packages: &mut Vec<Package>,
) -> Result<String> {
    let Some(root) = scope.bindings_root else {
        return Err(import_error(scope.layout, imp, format!("`{}` is a well-known binding (crate {}), but no bindings root is set", imp.specifier, wk.crate_name))
            .with_help("point --bindings-root, PERRY_BINDINGS_ROOT or `bindings-root` in ninjabind.toml at the folder holding the perry-ext-* crates")
            .into_err());
    };
    let dir = root.join(&wk.crate_name);
    if !dir.join("Cargo.toml").is_file() {
        return Err(import_error(
            scope.layout,
            imp,
            format!("well-known binding `{}` needs crate {}, not found", imp.specifier, wk.crate_name),
        )
        .with_note(format!("looked for {}", scope.layout.display(&dir.join("Cargo.toml"))))
        .into_err());
    }
    let dir = layout::canonical(&dir)?;
    if let Some(p) = packages.iter().find(|p| p.root == dir) {
        return Ok(p.name.clone());
    }
    let manifest = dir.join("package.json");
    let mut p =
        if manifest.is_file() && package_json::declares_native_library(&manifest, &scope.layout.display(&manifest))? {
            package_json::load(ctx, &scope.host, &manifest, &scope.layout.display(&manifest), Origin::WellKnown)?
        } else {
            let mut p = js_package(&dir.join("Cargo.toml"), &wk.crate_name);
            p.version = None;
            p.library = Some(NativeLibrary {
                abi_version: None,
                functions: vec![],
                declared_at: vec![],
                archive: None,
                link: Default::default(),
            });
            p
        };
    p.name = wk.crate_name.clone();
    p.origin = Origin::WellKnown;
    if let Some(lib) = &mut p.library {
        if !matches!(lib.archive, Some(ArchiveSource::Prebuilt { .. })) {
            let features = match &lib.archive {
                Some(ArchiveSource::Cargo { features, .. }) => features.clone(),
                _ => vec![],
            };
            lib.archive = Some(ArchiveSource::Cargo { manifest_dir: dir.clone(), lib: wk.lib.clone(), features });
        }
    }
    let name = p.name.clone();
    push_unique(packages, p, scope.layout)?;
    Ok(name)
}
