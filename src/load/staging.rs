//! Manifest v1's target entry beyond the archive: every key known (snake_case aliases as Perry takes them),
//! `resources` and `shaderOutputs`, the graphics `backends`, and the Apple-only fields noted off Apple.

use super::fields::{boolean, check_printable, did_you_mean, object, path_list, string, string_list};
use super::json::{JPath, JsonDoc};
use super::LoadCtx;
use crate::base::diag::Diagnostic;
use crate::base::layout;
use crate::base::target;
use crate::model::{Backend, BackendPackage, Fragment, Package, SourcePath, Staging};
use anyhow::Result;
use camino::Utf8PathBuf;
use serde_json::{Map, Value};

/// The keys of `perry.nativeLibrary` (manifest v1, and `native`: SPEC §2.1's C sources).
/// (`module`: the name Perry's own first-party bindings declare, which its compiler reads past.)
pub const LIBRARY_KEYS: &[&str] = &["abiVersion", "functions", "targets", "native", "module"];

/// The keys of one `functions[]` entry.
pub const FUNCTION_KEYS: &[&str] = &["name", "params", "returns"];

/// The keys of a target entry: manifest v1's (with Perry's snake_case aliases) and `cargo_features` (SPEC §2.1).
pub const TARGET_KEYS: &[&str] = &[
    "crate",
    "lib",
    "prebuilt",
    "cargo_features",
    "frameworks",
    "optionalFrameworks",
    "optional_frameworks",
    "frameworksEnv",
    "frameworks_env",
    "libs",
    "libDirs",
    "pkgConfig",
    "available",
    "unavailableReason",
    "unavailable_reason",
    "resources",
    "shaderOutputs",
    "shader_outputs",
    "backends",
    "swift_sources",
    "metal_sources",
];

/// The keys of a `backends.<name>` block.
const BACKEND_KEYS: &[&str] = &[
    "available",
    "unavailableReason",
    "unavailable_reason",
    "prebuilt",
    "frameworks",
    "libs",
    "libDirs",
    "pkgConfig",
    "shaderSources",
    "shader_sources",
    "shaderOutputs",
    "shader_outputs",
    "resources",
    "package",
];

/// Spellings Perry does not take, and the key each means.
const ALIASES: &[(&str, &str)] = &[
    ("lib_dirs", "libDirs"),
    ("library_dirs", "libDirs"),
    ("search_paths", "libDirs"),
    ("pkg_config", "pkgConfig"),
    ("pkgconfig", "pkgConfig"),
    ("libraries", "libs"),
    ("features", "cargo_features"),
    ("cargoFeatures", "cargo_features"),
    ("swiftSources", "swift_sources"),
    ("metalSources", "metal_sources"),
];

/// The graphics backends manifest v1 knows, with the target keys (the OS part) each is allowed on.
const BACKENDS: &[(&str, &[&str])] = &[
    ("metal", &["macos", "ios", "tvos", "watchos", "visionos"]),
    ("vulkan", &["macos", "linux", "windows", "android", "harmonyos"]),
    ("d3d12", &["windows"]),
];

/// Warns (an error under `--strict-manifests`) for each key of `map` that is not in `known`, with a did-you-mean.
pub fn check_keys(
    ctx: &mut LoadCtx,
    doc: &JsonDoc,
    map: &Map<String, Value>,
    path: &JPath,
    known: &[&str],
) -> Result<()> {
    for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
        let mut msg = format!("unknown key `{key}` in `{path}`");
        if let Some(s) = did_you_mean(key, known, ALIASES).filter(|s| known.contains(s)) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        ctx.manifest_warning(
            doc.warning(&path.key(key), msg)
                .with_note("manifest v1 does not define it, so it is ignored; --strict-manifests makes it an error"),
        )?;
    }
    Ok(())
}

/// Warns (an error under `--strict-manifests`) for each key of `map` that is not one of `watched` but is close to one
/// (`nativeLibary`): in an object with keys of its own that ninjabind does not list, only a near miss of a key that
/// matters is a mistake worth a word.
pub fn check_near_misses(
    ctx: &mut LoadCtx,
    doc: &JsonDoc,
    map: &Map<String, Value>,
    path: &JPath,
    watched: &[&str],
) -> Result<()> {
    for key in map.keys().filter(|k| !watched.contains(&k.as_str())) {
        let Some(s) = did_you_mean(key, watched, &[]) else { continue };
        let what = if path.0.is_empty() { "the top level".to_string() } else { format!("`{path}`") };
        ctx.manifest_warning(
            doc.warning(&path.key(key), format!("unknown key `{key}` in {what}; did you mean `{s}`?"))
                .with_note(format!("Perry reads `{s}` and ignores `{key}`; --strict-manifests makes it an error")),
        )?;
    }
    Ok(())
}

/// A key Perry also takes in snake_case: the camelCase one wins, as in Perry (a warning when both are written).
pub fn alias<'v>(
    ctx: &mut LoadCtx,
    doc: &JsonDoc,
    map: &'v Map<String, Value>,
    path: &JPath,
    camel: &'static str,
    snake: &'static str,
) -> Result<Option<(&'static str, &'v Value)>> {
    let snake_value = if snake == camel { None } else { map.get(snake) };
    match (map.get(camel), snake_value) {
        (Some(v), Some(_)) => {
            ctx.manifest_warning(doc.warning(
                &path.key(snake),
                format!("`{path}` has both `{camel}` and `{snake}`: `{snake}` is ignored, as Perry ignores it"),
            ))?;
            Ok(Some((camel, v)))
        }
        (Some(v), None) => Ok(Some((camel, v))),
        (None, Some(v)) => Ok(Some((snake, v))),
        (None, None) => Ok(None),
    }
}

/// What the selected target entry stages and which backends it declares; each backend's link inputs are merged
/// into `link`. `os` is the target's OS key (`linux`, `macos`, …), `triple` the target.
pub struct EntryAt<'a> {
    pub doc: &'a JsonDoc,
    pub map: &'a Map<String, Value>,
    pub path: &'a JPath,
    pub os: &'a str,
    pub triple: &'a str,
}

pub fn parse(ctx: &mut LoadCtx, at: &EntryAt, pkg: &Package, link: &mut Fragment) -> Result<Staging> {
    let (doc, map, path) = (at.doc, at.map, at.path);
    check_keys(ctx, doc, map, path, TARGET_KEYS)?;
    apple_only(ctx, at, pkg)?;
    let mut staging = Staging {
        resources: staged(doc, map.get("resources").map(|v| ("resources", v)), path, pkg, "resource")?,
        ..Staging::default()
    };
    let outputs = alias(ctx, doc, map, path, "shaderOutputs", "shader_outputs")?;
    staging.shader_outputs = staged(doc, outputs, path, pkg, "shader output")?;
    if let Some(b) = map.get("backends") {
        let bpath = path.key("backends");
        for (name, body) in object(doc, b, &bpath)? {
            let backend = backend(ctx, at, name, body, &bpath.key(name), pkg)?;
            if backend.available {
                merge_link(link, &backend.link);
            }
            staging.backends.push(backend);
        }
    }
    Ok(staging)
}

/// `swift_sources`, `metal_sources`, `optionalFrameworks` and `frameworksEnv` are Apple's: noted and skipped
/// elsewhere; on Apple targets the sources are Perry's app-bundle work, said so rather than dropped in silence.
fn apple_only(ctx: &mut LoadCtx, at: &EntryAt, pkg: &Package) -> Result<()> {
    let apple = target::is_apple(at.triple);
    let mut present = Vec::new();
    for (camel, snake) in [
        ("swift_sources", "swift_sources"),
        ("metal_sources", "metal_sources"),
        ("optionalFrameworks", "optional_frameworks"),
        ("frameworksEnv", "frameworks_env"),
    ] {
        if let Some((key, v)) = alias(ctx, at.doc, at.map, at.path, camel, snake)? {
            let kpath = at.path.key(key);
            match v {
                Value::String(s) => check_printable(at.doc, s, &kpath)?,
                other => {
                    for (i, s) in string_list(at.doc, other, &kpath)?.iter().enumerate() {
                        check_printable(at.doc, s, &kpath.index(i))?;
                    }
                }
            }
            present.push((key, kpath));
        }
    }
    for (key, kpath) in present {
        let why = if !apple {
            format!("`{key}` of `{}` is for Apple targets only: skipped for {}", pkg.name, at.triple)
        } else if key.contains("sources") {
            format!(
                "`{key}` of `{}` is not compiled by ninjabind: `perry compile` builds it into the app bundle",
                pkg.name
            )
        } else {
            format!("`{key}` of `{}`: vendored frameworks are not linked by ninjabind yet", pkg.name)
        };
        ctx.diags.push(at.doc.note(&kpath, why));
    }
    Ok(())
}

/// A list of files or folders relative to package.json, each of which must exist.
fn staged(
    doc: &JsonDoc,
    field: Option<(&str, &Value)>,
    path: &JPath,
    pkg: &Package,
    what: &str,
) -> Result<Vec<SourcePath>> {
    let Some((key, v)) = field else { return Ok(vec![]) };
    let kpath = path.key(key);
    let mut out = Vec::new();
    for (i, (written, abs)) in path_list(doc, v, &kpath, &pkg.root)?.into_iter().enumerate() {
        let ipath = kpath.index(i);
        if !abs.exists() {
            return Err(doc
                .error(&ipath, format!("{what} `{written}` of `{}` not found at {abs}", pkg.name))
                .with_help("paths are relative to the package.json that names them")
                .into_err());
        }
        if abs.file_name().is_none() {
            return Err(doc.error(&ipath, format!("{what} `{written}` of `{}` has no file name", pkg.name)).into_err());
        }
        out.push(SourcePath { abs, span: Some(doc.place(&ipath)) });
    }
    Ok(out)
}

fn backend(ctx: &mut LoadCtx, at: &EntryAt, name: &str, body: &Value, bpath: &JPath, pkg: &Package) -> Result<Backend> {
    let doc = at.doc;
    let Some((_, allowed)) = BACKENDS.iter().find(|(b, _)| *b == name) else {
        return Err(doc
            .error(bpath, format!("`{name}` is not a backend of manifest v1 (declared by `{}`)", pkg.name))
            .with_note("the backends are `metal`, `vulkan` and `d3d12`")
            .into_err());
    };
    if !allowed.contains(&at.os) {
        return Err(doc
            .error(bpath, format!("backend `{name}` of `{}` is not supported on target `{}`", pkg.name, at.os))
            .with_note(
                "Metal is Apple-only, Vulkan is supported on macos/linux/windows/android/harmonyos, D3D12 on windows",
            )
            .into_err());
    }
    let map = object(doc, body, bpath)?;
    check_keys(ctx, doc, map, bpath, BACKEND_KEYS)?;
    let available = map.get("available").map(|v| boolean(doc, v, &bpath.key("available"))).transpose()?.unwrap_or(true);
    let reason = match alias(ctx, doc, map, bpath, "unavailableReason", "unavailable_reason")? {
        Some((k, v)) => Some(string(doc, v, &bpath.key(k))?.to_string()),
        None => None,
    };
    let mut b = Backend { name: name.to_string(), available, unavailable_reason: reason, ..Backend::default() };
    if !available {
        return Ok(b);
    }
    if let Some(v) = map.get("prebuilt") {
        let ppath = bpath.key("prebuilt");
        let pre = string(doc, v, &ppath)?;
        super::fields::check_path(doc, pre, &ppath)?;
        super::fields::perry_spelling(ctx, doc, pre, &ppath);
        b.prebuilt = Some(super::fields::resolve_prebuilt(&pkg.root, pre).ok_or_else(|| {
            doc.error(&ppath, format!("prebuilt library of the `{name}` backend of `{}` not found at {pre}", pkg.name))
                .into_err()
        })?);
    }
    b.link = backend_link(ctx, at, map, bpath, pkg)?;
    let sources = alias(ctx, doc, map, bpath, "shaderSources", "shader_sources")?;
    b.shader_sources = staged(doc, sources, bpath, pkg, "shader source")?;
    if let Some(dir) = b.shader_sources.iter().find(|s| s.abs.is_dir()) {
        let mut d = Diagnostic::error(format!(
            "shader source `{}` of `{}` is a folder: name each shader",
            dir.written(),
            pkg.name
        ));
        if let Some(place) = &dir.span {
            d = d.with_span(place.span());
        }
        return Err(d.into_err());
    }
    let outputs = alias(ctx, doc, map, bpath, "shaderOutputs", "shader_outputs")?;
    b.shader_outputs = staged(doc, outputs, bpath, pkg, "shader output")?;
    b.resources = staged(doc, map.get("resources").map(|v| ("resources", v)), bpath, pkg, "resource")?;
    if let Some(v) = map.get("package") {
        let ppath = bpath.key("package");
        let pmap = object(doc, v, &ppath)?;
        check_keys(ctx, doc, pmap, &ppath, &["name", "version", "kind"])?;
        let field = |k: &str| -> Result<Option<String>> {
            pmap.get(k).map(|v| string(doc, v, &ppath.key(k)).map(str::to_string)).transpose()
        };
        let package = BackendPackage { name: field("name")?, version: field("version")?, kind: field("kind")? };
        b.package = (package != BackendPackage::default()).then_some(package);
    }
    Ok(b)
}

/// A backend's `libs`, `libDirs`, `pkgConfig` and (on Apple) `frameworks`.
fn backend_link(
    ctx: &mut LoadCtx,
    at: &EntryAt,
    map: &Map<String, Value>,
    bpath: &JPath,
    pkg: &Package,
) -> Result<Fragment> {
    let doc = at.doc;
    let list = |k: &str| -> Result<Vec<String>> {
        let Some(v) = map.get(k) else { return Ok(vec![]) };
        let list = string_list(doc, v, &bpath.key(k))?;
        for (i, s) in list.iter().enumerate() {
            check_printable(doc, s, &bpath.key(k).index(i))?;
        }
        Ok(list)
    };
    let mut frameworks = list("frameworks")?;
    if !frameworks.is_empty() && !target::is_apple(at.triple) {
        ctx.diags.push(doc.note(
            &bpath.key("frameworks"),
            format!("frameworks of `{}` are linked on Apple targets only: ignored for {}", pkg.name, at.triple),
        ));
        frameworks.clear();
    }
    let pkg_config = list("pkgConfig")?;
    let search_paths: Vec<Utf8PathBuf> = match map.get("libDirs") {
        Some(v) => path_list(doc, v, &bpath.key("libDirs"), &pkg.root)?.into_iter().map(|(_, abs)| abs).collect(),
        None => vec![],
    };
    Ok(Fragment {
        libraries: list("libs")?,
        search_paths: search_paths.iter().map(|d| layout::normalize(d)).collect(),
        pkg_config_spans: (0..pkg_config.len()).map(|i| doc.span(&bpath.key("pkgConfig").index(i))).collect(),
        pkg_config,
        frameworks,
        ..Fragment::default()
    })
}

/// Adds a backend's link inputs after the target entry's.
fn merge_link(link: &mut Fragment, more: &Fragment) {
    link.libraries.extend(more.libraries.iter().cloned());
    link.search_paths.extend(more.search_paths.iter().cloned());
    link.pkg_config.extend(more.pkg_config.iter().cloned());
    link.pkg_config_spans.extend(more.pkg_config_spans.iter().cloned());
    link.frameworks.extend(more.frameworks.iter().cloned());
}
