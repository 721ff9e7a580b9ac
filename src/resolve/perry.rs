//! Perry's resolution layers (SPEC §3.2): (a) installed binding, (b) JS package, (c) well-known table, (d) error.

use super::{import_error, push_unique, Layer, ResolvedImport};
use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::layout;
use crate::base::layout::Layout;
use crate::lex::node::{is_builtin, is_relative, nearest_package, package_name};
use crate::load::json::JsonDoc;
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
    /// The Perry compiler was found: it serves its well-known names itself (its prebuilt stdlib defines them).
    pub compiler_found: bool,
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
        // read once: whether it is a binding, its near misses, and a JS package's fields all come from it
        let doc = JsonDoc::read(&manifest, &scope.layout.display(&manifest))?;
        if package_json::declares_native_library(&doc) {
            let p = package_json::load_doc(ctx, &scope.host, doc, &manifest, Origin::Installed)?;
            let name = p.name.clone();
            push_unique(packages, p, scope.layout)?;
            return Ok((Layer::A, Some(name)));
        }
        package_json::check_js_package(ctx, &doc)?;
        // a name the compiler serves natively wins over a JS package of that name, as Perry keeps its own binding
        if scope.compiler_found && scope.bindings_root.is_none() {
            if let Some(wk) = scope.table.lookup(spec, &pkg) {
                return Ok((Layer::C, Some(add_well_known(ctx, scope, imp, &wk, packages)?)));
            }
        }
        let p = js_package(&manifest, &pkg, &doc.value);
        packages.push(p);
        return Ok((Layer::B, Some(pkg)));
    }
    if let Some(wk) = scope.table.lookup(spec, &pkg) {
        return Ok((Layer::C, Some(add_well_known(ctx, scope, imp, &wk, packages)?)));
    }
    let table = match &scope.table.path {
        Some(p) => format!("the well-known table {}", scope.layout.display(p)),
        None => scope.table.source(),
    };
    Err(import_error(scope.layout, imp, format!("cannot resolve import `{spec}`"))
        .with_note(format!(
            "searched node_modules/{pkg}/package.json in every folder from {} up to /, then {table}",
            scope.layout.display(from)
        ))
        .with_help(format!("install it (`npm install {pkg}`), or add `[bindings.\"{pkg}\"]` to a well-known table given with --well-known"))
        .into_err())
}

/// A package with no native code, named `name`, its `version` and `main` (else `types`) from its manifest `doc`.
fn js_package(manifest: &Utf8Path, name: &str, doc: &serde_json::Value) -> Package {
    let field = |k: &str| doc.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let version = field("version");
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
        main: field("main").or_else(|| field("types")),
        perry_host: None,
        name_span: None,
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
        if scope.compiler_found {
            // the compiler's prebuilt stdlib archive defines it: nothing to build (SPEC §6.5)
            return Ok(wk.crate_name.clone());
        }
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
    let doc = manifest.is_file().then(|| JsonDoc::read(&manifest, &scope.layout.display(&manifest))).transpose()?;
    let mut p = match doc {
        Some(doc) if package_json::declares_native_library(&doc) => {
            package_json::load_doc(ctx, &scope.host, doc, &manifest, Origin::WellKnown)?
        }
        _ => {
            let mut p = js_package(&dir.join("Cargo.toml"), &wk.crate_name, &serde_json::Value::Null);
            p.library = Some(NativeLibrary {
                abi_version: None,
                functions: vec![],
                declared_at: vec![],
                finalizers: vec![],
                lib_span: None,
                archive: None,
                link: Default::default(),
                staging: Default::default(),
            });
            p
        }
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

/// The program's entry module: `--entry`, else `perry.entry` or `main` in the root package.json, else `src/main.ts`;
/// `None` when that file does not exist.
pub fn entry(s_entry: Option<&Utf8Path>, root: &Package, layout: &Layout) -> Result<Option<Utf8PathBuf>> {
    let host = root.perry_host.as_ref();
    let from_manifest = host.and_then(|h| h.entry.as_deref().map(|e| ("perry.entry", e)));
    let named = from_manifest.or(root.main.as_deref().map(|m| ("main", m)));
    let file = s_entry.map_or_else(
        || layout::normalize(&root.root.join(named.map_or("src/main.ts", |(_, n)| n))),
        Utf8Path::to_owned,
    );
    // the program is the project's: an entry elsewhere would build another folder's program into this one
    if file.is_file() && !layout::canonical(&file)?.starts_with(layout::canonical(&root.root)?) {
        let how = match (s_entry, named) {
            (Some(_), _) => "the ENTRY given".to_string(),
            (None, Some((field, _))) => format!("`{field}` in {}", layout.display(&root.manifest)),
            (None, None) => "the entry".to_string(),
        };
        let mut d = Diagnostic::error(format!(
            "the entry module {} is outside the project {}",
            layout.display(&file),
            layout.display(&root.root)
        ));
        if s_entry.is_none() {
            d.span = host.and_then(|h| h.entry_span.as_deref()).cloned();
        }
        return Err(d
            .with_note(format!("named by {how}"))
            .with_help(
                "build that program from its own folder (`ninjabind gen -C DIR`), or move the entry into this one",
            )
            .into_err());
    }
    Ok(file.is_file().then_some(file))
}

/// Whether `allow` (`perry.allow.nativeLibrary`: names, `@scope/*`, `*`) lets `package` link native code.
fn allowed(allow: &[String], package: &str) -> bool {
    allow.iter().any(|a| {
        a == "*" || a == package || a.strip_suffix("/*").is_some_and(|scope| package.starts_with(&format!("{scope}/")))
    })
}

/// Perry's supply-chain gate: an import of an installed native binding the host's `perry.allow.nativeLibrary` does
/// not allow is an error at the import, as `perry compile` makes it. Enforced when the real compiler builds the
/// program or the host declares an allow-list; `PERRY_ALLOW_PERRY_FEATURES=1` allows everything for this gen.
pub fn check_allowed(
    imports: &[ResolvedImport],
    root: &Package,
    compiler_found: bool,
    allow_all: bool,
    layout: &Layout,
    diags: &mut Diagnostics,
) -> Result<()> {
    let host = root.perry_host.clone().unwrap_or_default();
    if !compiler_found && host.allow_native.is_none() {
        return Ok(());
    }
    let allow = host.allow_native.unwrap_or_default();
    let mut warned: Vec<&str> = Vec::new();
    for r in imports.iter().filter(|r| r.layer == Layer::A) {
        let Some(pkg) = r.package.as_deref().filter(|p| !allowed(&allow, p)) else { continue };
        if allow_all {
            if !warned.contains(&pkg) {
                warned.push(pkg);
                diags.push(Diagnostic::warning(format!(
                    "PERRY_ALLOW_PERRY_FEATURES=1: native binding `{pkg}` is linked for this build, though the host's \
                     `perry.allow.nativeLibrary` does not allow it"
                )));
            }
            continue;
        }
        let mut list = allow.clone();
        list.push(pkg.to_string());
        let json = serde_json::json!({ "perry": { "allow": { "nativeLibrary": list } } });
        return Err(import_error(
            layout,
            &r.import,
            format!(
                "package `{pkg}` declares `perry.nativeLibrary` (it links native code into the program) but the host's \
                 `perry.allow.nativeLibrary` does not allow it"
            ),
        )
        .with_note(format!(
            "review the package, then add it to {}:\n{}",
            layout.display(&root.manifest),
            serde_json::to_string_pretty(&json).unwrap_or_default()
        ))
        .with_help(
            "`@scope/*` allows a scope and `*` every package; PERRY_ALLOW_PERRY_FEATURES=1 allows it for one build",
        )
        .into_err());
    }
    Ok(())
}
