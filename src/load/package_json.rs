//! package.json and `perry.nativeLibrary` (SPEC §2.1): ABI check, functions, target entry, crate/lib/prebuilt.

use super::fields::{boolean, check_printable, did_you_mean, object, string, string_list, type_name};
use super::json::{JPath, JsonDoc};
use super::native::parse_native;
use super::staging;
use super::LoadCtx;
use crate::base::diag;
use crate::base::diag::Diagnostic;
use crate::base::files;
use crate::base::layout;
use crate::base::target;
use crate::model;
use crate::model::{ArchiveSource, Fragment, FrontEnd, NativeLibrary, Origin, Package};
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;

/// What a Perry manifest is checked against: the host's perry-ffi version and the target.
pub struct Host<'a> {
    pub ffi_version: &'a semver::Version,
    pub target: &'a str,
}

/// Loads a package.json. `None` for `library` when it has no `perry.nativeLibrary`.
/// The root of a folder with no package.json, built from the entry given (`perry compile entry.ts` builds one):
/// named by its folder, nothing native, nothing allowed.
pub fn bare_root(manifest: &Utf8Path) -> Package {
    let root = manifest.parent().expect("a manifest has a folder").to_owned();
    Package {
        name: root.file_name().unwrap_or("program").to_string(),
        version: None,
        root,
        manifest: manifest.to_owned(),
        front_end: FrontEnd::Perry,
        origin: Origin::Root,
        native: None,
        library: None,
        dependencies: vec![],
        main: None,
        perry_host: None,
        name_span: None,
    }
}

/// The keys of package.json's `perry` that shape the build (Perry reads many more: only near misses of these warn).
const PERRY_KEYS: [&str; 7] =
    ["nativeLibrary", "allow", "compilePackages", "entry", "nativeModule", "nativeAddons", "packageAliases"];
/// The keys of `perry.allow`.
const ALLOW_KEYS: [&str; 2] = ["nativeLibrary", "compilePackages"];

/// A misspelt key Perry reads is silent in Perry and here alike unless someone says so (`nativeLibary` made a
/// binding a JS package, and the link failed far from the typo): near misses of the keys that shape the build warn.
fn check_perry_keys(ctx: &mut LoadCtx, doc: &JsonDoc, map: &serde_json::Map<String, Value>) -> Result<()> {
    let top = JPath::default();
    staging::check_near_misses(ctx, doc, map, &top, &["perry"])?;
    if let Some(perry) = map.get("perry") {
        // a `perry` that is not an object would drop the native block without a word
        let pmap = object(doc, perry, &top.key("perry"))?;
        staging::check_near_misses(ctx, doc, pmap, &top.key("perry"), &PERRY_KEYS)?;
        if let Some(allow) = pmap.get("allow").and_then(Value::as_object) {
            staging::check_near_misses(ctx, doc, allow, &top.key("perry").key("allow"), &ALLOW_KEYS)?;
        }
    }
    Ok(())
}

/// An installed package without `perry.nativeLibrary` (a JS package): its near misses of Perry's keys still warn.
pub fn check_js_package(ctx: &mut LoadCtx, doc: &JsonDoc) -> Result<()> {
    match doc.value.as_object() {
        Some(map) => check_perry_keys(ctx, doc, map),
        None => Ok(()),
    }
}

pub fn load(
    ctx: &mut LoadCtx,
    host: &Host,
    manifest: &Utf8Path,
    display: &Utf8Path,
    origin: Origin,
) -> Result<Package> {
    load_doc(ctx, host, JsonDoc::read(manifest, display)?, manifest, origin)
}

/// [`load`] of a manifest already read (resolve reads an installed package's once, to see what it is).
pub fn load_doc(ctx: &mut LoadCtx, host: &Host, doc: JsonDoc, manifest: &Utf8Path, origin: Origin) -> Result<Package> {
    let root = manifest.parent().expect("a manifest has a folder").to_owned();
    let top = JPath::default();
    let map = object(&doc, &doc.value, &top)?;
    let (name, version) = super::fields::name_and_version(&doc, &root)?;
    let mut pkg = Package {
        name,
        version,
        root: root.clone(),
        manifest: manifest.to_owned(),
        front_end: FrontEnd::Perry,
        origin,
        native: None,
        library: None,
        dependencies: vec![],
        main: None,
        perry_host: None,
        name_span: Some(Box::new(doc.span(&JPath::default().key("name")))),
    };
    check_perry_keys(ctx, &doc, map)?;
    for key in ["main", "types"] {
        if let (Some(v), None) = (map.get(key), &pkg.main) {
            pkg.main = Some(string(&doc, v, &top.key(key))?.to_string());
        }
    }
    if origin == Origin::Root {
        let mut host = perry_host(&doc, map.get("perry"), &top)?;
        if host.entry_span.is_none() && map.contains_key("main") {
            host.entry_span = Some(Box::new(doc.span(&top.key("main"))));
        }
        pkg.perry_host = Some(host);
    }
    if let Some(nl) = map.get("perry").and_then(|p| p.get("nativeLibrary")) {
        let path = top.key("perry").key("nativeLibrary");
        let (library, native) = parse_native_library(ctx, host, &doc, nl, &path, &pkg)?;
        pkg.library = library;
        pkg.native = native;
    }
    Ok(pkg)
}

/// Whether an installed package declares `perry.nativeLibrary`; a package.json that cannot be read or parsed
/// is an error at its position, never a silent "no" (that demoted bindings to JS packages, and the link failed later).
pub fn declares_native_library(doc: &JsonDoc) -> bool {
    doc.value.get("perry").and_then(|p| p.get("nativeLibrary")).is_some()
}

/// The host's `perry.entry` and `perry.allow.nativeLibrary` (names, `@scope/*`, `*`).
fn perry_host(doc: &JsonDoc, perry: Option<&Value>, top: &JPath) -> Result<model::PerryHost> {
    let mut host = model::PerryHost::default();
    let Some(perry) = perry else {
        return Ok(host);
    };
    let at = top.key("perry");
    if let Some(e) = perry.get("entry") {
        host.entry = Some(string(doc, e, &at.key("entry"))?.to_string());
        host.entry_span = Some(Box::new(doc.span(&at.key("entry"))));
    }
    host.allow_span = Some(Box::new(doc.span(&at)));
    if let Some(allow) = perry.get("allow") {
        object(doc, allow, &at.key("allow"))?;
        if let Some(list) = allow.get("nativeLibrary") {
            let path = at.key("allow").key("nativeLibrary");
            host.allow_native = Some(string_list(doc, list, &path)?);
            host.allow_span = Some(Box::new(doc.span(&path)));
        }
    }
    Ok(host)
}

/// Parses a `nativeLibrary` block (also found in vex.json) for the package `pkg`.
pub fn parse_native_library(
    ctx: &mut LoadCtx,
    host: &Host,
    doc: &JsonDoc,
    v: &Value,
    path: &JPath,
    pkg: &Package,
) -> Result<(Option<NativeLibrary>, Option<model::NativeBlock>)> {
    let map = object(doc, v, path)?;
    staging::check_keys(ctx, doc, map, path, staging::LIBRARY_KEYS)?;
    // a root project declaring only its own C sources is not a binding: no ABI to check
    let own_sources_only = pkg.origin == Origin::Root && map.keys().all(|k| k == "native");
    let abi_version = if own_sources_only {
        None
    } else {
        check_abi(ctx, host, doc, map.get("abiVersion"), &path.key("abiVersion"), &pkg.name)?
    };
    let (functions, declared_at, finalizers) = match map.get("functions") {
        Some(f) => {
            let (declared, finalizers) = parse_functions(ctx, doc, f, &path.key("functions"))?;
            let (names, at) = declared.into_iter().unzip();
            (names, at, finalizers)
        }
        // Perry refuses an installed binding without `functions` ("perry.nativeLibrary.functions must be an array")
        None if pkg.origin == Origin::Installed && pkg.front_end == FrontEnd::Perry => {
            let mut d = doc.error(path, format!("`{path}` has no `functions`: Perry requires an array of them"));
            if let Some(near) = map.keys().find(|k| did_you_mean(k, &["functions"], &[]).is_some()) {
                d = doc.error(
                    &path.key(near),
                    format!("`{path}` has no `functions`; did you mean `functions` for `{near}`?"),
                );
            }
            return Err(d.with_help("declare every exported `js_*` function: `\"functions\": [{ \"name\": …, \"params\": […], \"returns\": … }]`").into_err());
        }
        None => (vec![], vec![], vec![]),
    };
    let native = match map.get("native") {
        Some(n) => Some(parse_native(ctx, doc, n, &path.key("native"), &pkg.root)?),
        None => None,
    };
    let tpath = path.key("targets");
    let (entry, epath) = match map.get("targets") {
        Some(t) => select_target(doc, t, &tpath, host.target, &pkg.name)?,
        None => (None, tpath.clone()),
    };
    let empty = serde_json::Map::new();
    let entry = match entry {
        Some(e) => object(doc, e, &epath)?,
        None => &empty,
    };
    let at = Entry { doc, map: entry, path: &epath };
    let lib = at.string("lib")?.map(|l| lib_name(ctx, doc, &epath.key("lib"), &l, &pkg.name)).transpose()?;
    let prebuilt = at.string("prebuilt")?;
    if let Some(p) = &prebuilt {
        super::fields::check_path(doc, p, &epath.key("prebuilt"))?;
        super::fields::perry_spelling(ctx, doc, p, &epath.key("prebuilt"));
    }
    let features = at.list("cargo_features")?;
    let mut link = link_fragment(ctx, host, &at, pkg)?;
    let (_, os) = target_keys(host.target);
    let staging = if entry.is_empty() {
        model::Staging::default()
    } else {
        let at = staging::EntryAt { doc, map: entry, path: &epath, os: &os, triple: host.target };
        staging::parse(ctx, &at, pkg, &mut link)?
    };
    let crate_dir = crate_folder(ctx, &at, at.string("crate")?, prebuilt.is_some(), pkg)?;
    let fields = ArchiveFields { crate_dir, lib, prebuilt, features };
    let archive = archive_source(ctx, &at, path, fields, native.is_some(), pkg)?;
    let lib_span = Some(Box::new(doc.span(&if entry.contains_key("lib") { epath.key("lib") } else { epath.clone() })));
    let library = NativeLibrary { abi_version, functions, declared_at, finalizers, lib_span, archive, link, staging };
    Ok((Some(library), native))
}

/// The selected target entry of a `nativeLibrary`, with its JSON path for errors.
struct Entry<'a> {
    doc: &'a JsonDoc,
    map: &'a serde_json::Map<String, Value>,
    path: &'a JPath,
}

impl Entry<'_> {
    fn string(&self, k: &str) -> Result<Option<String>> {
        self.map.get(k).map(|v| string(self.doc, v, &self.path.key(k)).map(str::to_string)).transpose()
    }

    /// A list of printable strings.
    fn list(&self, k: &str) -> Result<Vec<String>> {
        let list =
            self.map.get(k).map(|v| string_list(self.doc, v, &self.path.key(k))).transpose()?.unwrap_or_default();
        for (i, s) in list.iter().enumerate() {
            check_printable(self.doc, s, &self.path.key(k).index(i))?;
        }
        Ok(list)
    }
}

/// What the target entry links besides the archive: libraries, their folders, pkg-config names, frameworks (Apple's
/// only: a note elsewhere).
fn link_fragment(ctx: &mut LoadCtx, host: &Host, at: &Entry, pkg: &Package) -> Result<Fragment> {
    let mut frameworks = at.list("frameworks")?;
    if !frameworks.is_empty() && !target::is_apple(host.target) {
        ctx.diags.push(at.doc.note(
            &at.path.key("frameworks"),
            format!(
                "frameworks of `{}` ({}) are linked on Apple targets only: ignored for {}",
                pkg.name,
                frameworks.join(", "),
                host.target
            ),
        ));
        frameworks.clear();
    }
    let pkg_config = at.list("pkgConfig")?;
    let pkg_config_spans = (0..pkg_config.len()).map(|i| at.doc.span(&at.path.key("pkgConfig").index(i))).collect();
    Ok(Fragment {
        libraries: at.list("libs")?,
        search_paths: at.list("libDirs")?.iter().map(|d| layout::normalize(&pkg.root.join(d))).collect(),
        pkg_config,
        pkg_config_spans,
        frameworks,
        ..Fragment::default()
    })
}

/// The crate's folder: `crate` (which must hold a Cargo.toml unless a prebuilt stands in), else a Cargo.toml beside
/// package.json (with a warning), else none.
fn crate_folder(
    ctx: &mut LoadCtx,
    at: &Entry,
    crate_dir: Option<String>,
    has_prebuilt: bool,
    pkg: &Package,
) -> Result<Option<Utf8PathBuf>> {
    let (doc, epath) = (at.doc, at.path);
    let cargo_beside = pkg.root.join("Cargo.toml").is_file();
    Ok(match (crate_dir, has_prebuilt) {
        (Some(c), _) => {
            super::fields::check_path(doc, &c, &epath.key("crate"))?;
            let dir = layout::normalize(&pkg.root.join(&c));
            // a missing crate is the manifest's mistake, said here rather than by ninja later
            if !has_prebuilt && !dir.join("Cargo.toml").is_file() {
                return Err(doc
                    .error(
                        &epath.key("crate"),
                        format!("crate `{c}` of `{}` not found: it holds no Cargo.toml", pkg.name),
                    )
                    .with_help(
                        "point `crate` at the folder holding the binding's Cargo.toml (relative to package.json)",
                    )
                    .into_err());
            }
            Some(dir)
        }
        (None, false) if cargo_beside => {
            ctx.diags.push(
                doc.warning(
                    epath,
                    format!(
                        "package `{}` names no `crate` or `prebuilt`; building the Cargo.toml beside its package.json",
                        pkg.name
                    ),
                )
                .with_help("add `\"crate\": \".\"` and `\"lib\": \"…\"` to the target entry to say so"),
            );
            Some(pkg.root.clone())
        }
        _ => None,
    })
}

/// The target entry's archive fields, each checked on its own.
struct ArchiveFields {
    crate_dir: Option<Utf8PathBuf>,
    lib: Option<String>,
    prebuilt: Option<String>,
    features: Vec<String>,
}

/// Where the binding's archive comes from: a prebuilt that exists, else its crate (a note when a prebuilt was
/// named), else nothing when the package has its own C sources; anything else is an error at the manifest.
fn archive_source(
    ctx: &mut LoadCtx,
    at: &Entry,
    path: &JPath,
    fields: ArchiveFields,
    has_native: bool,
    pkg: &Package,
) -> Result<Option<ArchiveSource>> {
    let (doc, epath) = (at.doc, at.path);
    let ArchiveFields { crate_dir, mut lib, prebuilt, features } = fields;
    Ok(match (&crate_dir, prebuilt) {
        (_, Some(pre)) => {
            let found = super::fields::resolve_prebuilt(&pkg.root, &pre);
            match (found, &crate_dir) {
                (Some(path), _) => {
                    let lib = lib.clone().unwrap_or_else(|| lib_from_archive(&path));
                    Some(ArchiveSource::Prebuilt { path, lib })
                }
                (None, Some(dir)) => {
                    ctx.diags.push(Diagnostic::note(format!(
                        "prebuilt library of `{}` not found at {pre}; building it from its crate",
                        pkg.name
                    )));
                    let l = infer_lib(ctx, doc, epath, dir, lib.take(), &pkg.name)?;
                    Some(ArchiveSource::Cargo { manifest_dir: dir.clone(), lib: l, features })
                }
                (None, None) => {
                    return Err(doc
                        .error(
                            &epath.key("prebuilt"),
                            format!("prebuilt library declared by `{}` not found at {pre}", pkg.name),
                        )
                        .with_help(
                            "build it (the package's release workflow), or add `crate` so ninjabind can build it",
                        )
                        .into_err())
                }
            }
        }
        (Some(dir), None) => {
            let l = infer_lib(ctx, doc, epath, dir, lib.take(), &pkg.name)?;
            Some(ArchiveSource::Cargo { manifest_dir: dir.clone(), lib: l, features })
        }
        (None, None) if has_native => None,
        (None, None) => {
            return Err(doc
                .error(path, format!("package `{}` declares a native library with nothing to link", pkg.name))
                .with_note("no `crate`, no `prebuilt`, no Cargo.toml beside package.json and no `native` C sources")
                .with_help("add `\"crate\": \".\", \"lib\": \"<name>\"` to the target entry, or a `prebuilt` archive")
                .into_err())
        }
    })
}

fn check_abi(
    ctx: &mut LoadCtx,
    host: &Host,
    doc: &JsonDoc,
    v: Option<&Value>,
    path: &JPath,
    pkg: &str,
) -> Result<Option<String>> {
    let Some(v) = v else {
        let msg = format!("package `{pkg}` declares no `abiVersion`");
        if *host.ffi_version >= semver::Version::new(0, 6, 0) {
            return Err(Diagnostic::error(format!("{msg}, which perry-ffi {} requires", host.ffi_version))
                .with_span(doc.span(&path_parent(path)))
                .with_help(format!(
                    "add `\"abiVersion\": \"{}.{}\"` after checking the binding builds against it",
                    host.ffi_version.major, host.ffi_version.minor
                ))
                .into_err());
        }
        ctx.diags.push(
            Diagnostic::warning(format!("{msg}; accepted under perry-ffi 0.5.x, an error from 0.6.0"))
                .with_span(doc.span(&path_parent(path))),
        );
        return Ok(None);
    };
    let s = string(doc, v, path)?;
    let req = semver::VersionReq::parse(s.trim()).map_err(|e| {
        doc.error(path, format!("`abiVersion` of `{pkg}` is not a semver range: `{s}` ({e})")).into_err()
    })?;
    if !req.matches(host.ffi_version) {
        return Err(doc
            .error(path, format!("package `{pkg}` requires perry-ffi {s}, but the host compiler provides {}", host.ffi_version))
            .with_help(format!("upgrade `{pkg}` to a release built for perry-ffi {}.{}, or use a compiler whose perry-ffi matches {s} (--ffi-version)", host.ffi_version.major, host.ffi_version.minor))
            .into_err());
    }
    Ok(Some(s.to_string()))
}

fn path_parent(p: &JPath) -> JPath {
    let mut q = p.clone();
    q.0.pop();
    q
}

const PARAM_AND_RETURN: &[&str] = &[
    "jsvalue",
    "string",
    "bool",
    "i32",
    "i64",
    "i64_str",
    "u32",
    "u64",
    "usize",
    "f32",
    "f64",
    "ptr",
    "buffer_len",
    "handle",
    "promise",
];
const PARAM_ONLY: &[&str] = &["buffer+len", "pod", "json"];

/// Checks one type descriptor; `Err` is the reason.
pub fn check_descriptor(d: &str, is_return: bool) -> Result<(), String> {
    // Perry reads descriptors trimmed and in any case (`" JSON "` is `json`)
    let lower = d.trim().to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "number" => "f64",
        "js_value" => "jsvalue",
        "boolean" => "bool",
        other => other,
    };
    if canonical == "void" {
        return if is_return { Ok(()) } else { Err("`void` is only allowed as a return type".into()) };
    }
    if PARAM_ONLY.contains(&canonical) {
        return if is_return { Err(format!("`{canonical}` is only allowed as a parameter")) } else { Ok(()) };
    }
    if PARAM_AND_RETURN.contains(&canonical) {
        return Ok(());
    }
    for generic in ["handle<", "promise<"] {
        if let Some(inner) = canonical.strip_prefix(generic).and_then(|r| r.strip_suffix('>')) {
            if !inner.trim().is_empty() {
                return Ok(());
            }
        }
    }
    Err(format!("unknown type descriptor `{d}`"))
}

/// POD fields hold numeric scalars with a stable C layout, nothing pointerful (manifest v1).
const POD_SCALARS: &[&str] = &["i32", "i64", "u32", "u64", "usize", "f32", "f64", "number", "buffer_len"];

/// An object descriptor, as Perry's manifest v1 validates it: `handle` (`ownership`, `nullable`, `thread`, a
/// `finalizer` only on owned return handles), `promise`, `buffer+len` and `pod` (parameters only; `fields` with
/// non-empty names and exactly one of `type`/`abi`, numeric scalars only), or a scalar by its `kind`. `Err` is the
/// key at fault (if one) and the reason.
pub fn check_object_descriptor(
    o: &serde_json::Map<String, Value>,
    is_return: bool,
) -> Result<(), (Option<&'static str>, String)> {
    let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
    let str_of = |k: &'static str| o.get(k).map(|v| v.as_str().ok_or((Some(k), format!("`{k}` must be a string"))));
    match kind {
        "handle" => {
            let ownership = str_of("ownership").transpose()?.unwrap_or("borrowed");
            if !["borrowed", "owned"].contains(&ownership) {
                return Err((Some("ownership"), format!("`ownership` is `borrowed` or `owned`, not `{ownership}`")));
            }
            if o.get("nullable").is_some_and(|v| !v.is_boolean()) {
                return Err((Some("nullable"), "`nullable` must be true or false".into()));
            }
            let thread = str_of("thread").transpose()?.unwrap_or("any");
            if !["any", "main", "creator"].contains(&thread) {
                return Err((Some("thread"), format!("`thread` is `any`, `main` or `creator`, not `{thread}`")));
            }
            str_of("type").transpose()?;
            str_of("debugName").transpose()?;
            if let Some(f) = str_of("finalizer").transpose()? {
                if !is_return || ownership != "owned" {
                    return Err((Some("finalizer"), "a `finalizer` is allowed only on an owned return handle".into()));
                }
                if !is_c_identifier(f) {
                    return Err((Some("finalizer"), format!("`finalizer` is not a C identifier: `{f}`")));
                }
            }
            Ok(())
        }
        "promise" => {
            if let Some(r) = str_of("result").transpose()? {
                check_descriptor(r, true).map_err(|why| (Some("result"), why))?;
            }
            Ok(())
        }
        "buffer+len" | "pod" | "pod+count" if is_return => {
            Err((Some("kind"), format!("`{kind}` is only allowed as a parameter")))
        }
        "buffer+len" => Ok(()),
        // `pod+count`: a view of pod records and their count, two slots (Perry's manifest, as its compiler reads it)
        "pod" | "pod+count" => {
            let fields = o.get("fields").and_then(Value::as_array).filter(|f| !f.is_empty());
            let Some(fields) = fields else {
                return Err((Some("fields"), "a `pod` needs `fields`: a non-empty array of { name, type }".into()));
            };
            for (i, f) in fields.iter().enumerate() {
                let field = |why: String| (Some("fields"), format!("field {i}: {why}"));
                let Some(f) = f.as_object() else { return Err(field("must be an object".into())) };
                if f.get("name").and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(field("needs a non-empty `name`".into()));
                }
                let scalar = match (f.get("type"), f.get("abi")) {
                    (Some(t), None) => t.as_str(),
                    (None, Some(a)) => a.get("kind").and_then(Value::as_str),
                    _ => return Err(field("needs exactly one of `type` and `abi`".into())),
                };
                match scalar {
                    Some(s) if POD_SCALARS.contains(&s) || s == "handle_id" => {}
                    // a nested record (`"abi": { "kind": "pod", … }`), laid out inline
                    Some("pod") if f.contains_key("abi") => {}
                    other => {
                        return Err(field(format!(
                            "`{}` is no numeric scalar: a POD field is one of {}",
                            other.unwrap_or("?"),
                            POD_SCALARS.join(", ")
                        )))
                    }
                }
            }
            Ok(())
        }
        scalar => check_descriptor(scalar, is_return).map_err(|why| (Some("kind"), why)),
    }
}

fn is_c_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A symbol with the (line, column) where the manifest names it.
type Located = (String, (usize, usize));

/// Each declared function's name with the (line, column) of its `name` in the manifest, and each owned return
/// handle's finalizer with the position of its `finalizer` string.
fn parse_functions(ctx: &mut LoadCtx, doc: &JsonDoc, v: &Value, path: &JPath) -> Result<(Vec<Located>, Vec<Located>)> {
    let items = v
        .as_array()
        .ok_or_else(|| doc.error(path, format!("`{path}` must be an array, found {}", type_name(v))).into_err())?;
    let mut names = Vec::new();
    let mut finalizers = Vec::new();
    let name_spans = doc.element_member_spans(path, "name");
    for (i, f) in items.iter().enumerate() {
        let p = path.index(i);
        let map = object(doc, f, &p)?;
        if map.keys().any(|k| !staging::FUNCTION_KEYS.contains(&k.as_str())) {
            staging::check_keys(ctx, doc, map, &p, staging::FUNCTION_KEYS)?;
        }
        let name = string(doc, map.get("name").unwrap_or(&Value::Null), &p.key("name"))?;
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(doc.error(&p.key("name"), format!("`{p}.name` is not a C identifier: `{name}`")).into_err());
        }
        let check = |d: &Value, dp: JPath, is_return: bool| -> Result<()> {
            match d {
                Value::String(s) => {
                    check_descriptor(s, is_return).map_err(|why| doc.error(&dp, format!("`{dp}`: {why}")).into_err())
                }
                Value::Object(o) if o.get("kind").is_some_and(Value::is_string) => {
                    check_object_descriptor(o, is_return).map_err(|(key, why)| {
                        let at = key.map_or_else(|| dp.clone(), |k| dp.key(k));
                        doc.error(&at, format!("`{dp}`: {why}")).into_err()
                    })
                }
                other => Err(doc
                    .error(
                        &dp,
                        format!(
                            "`{dp}` must be a type descriptor string or an object with a `kind`, found {}",
                            type_name(other)
                        ),
                    )
                    .into_err()),
            }
        };
        if let Some(params) = map.get("params") {
            let pp = p.key("params");
            let list =
                params.as_array().ok_or_else(|| doc.error(&pp, format!("`{pp}` must be an array")).into_err())?;
            for (j, d) in list.iter().enumerate() {
                check(d, pp.index(j), false)?;
            }
        }
        if let Some(r) = map.get("returns") {
            check(r, p.key("returns"), true)?;
            // checked above: a finalizer only on an owned return handle
            if let Some(f) = r.get("finalizer").and_then(Value::as_str) {
                let at = doc.span(&p.key("returns").key("finalizer"));
                finalizers.push((f.to_string(), (at.line, at.column)));
            }
        }
        let at = name_spans.get(i).cloned().flatten().unwrap_or_else(|| doc.span(&p.key("name")));
        names.push((name.to_string(), (at.line, at.column)));
    }
    Ok((names, finalizers))
}

/// `<os>-<arch>` and `<os>` for a target triple, in Perry's naming.
pub fn target_keys(triple: &str) -> (String, String) {
    let arch = match triple.split('-').next().unwrap_or("") {
        "x86_64" => "x64",
        "aarch64" | "arm64" => "arm64",
        "i686" | "i586" | "i386" => "ia32",
        a if a.starts_with("armv7") || a == "arm" => "arm",
        a if a.starts_with("riscv64") => "riscv64",
        a => a,
    };
    let os = if triple.contains("android") {
        "android"
    } else if triple.contains("linux") {
        "linux"
    } else if triple.contains("darwin") {
        "macos"
    } else if triple.contains("ios") {
        "ios"
    } else if triple.contains("windows") {
        "windows"
    } else if triple.contains("freebsd") {
        "freebsd"
    } else {
        "unknown"
    };
    (format!("{os}-{arch}"), os.to_string())
}

fn select_target<'v>(
    doc: &JsonDoc,
    v: &'v Value,
    path: &JPath,
    triple: &str,
    pkg: &str,
) -> Result<(Option<&'v Value>, JPath)> {
    let map = object(doc, v, path)?;
    let (os_arch, os) = target_keys(triple);
    let Some((key, entry)) = [&os_arch, &os].into_iter().find_map(|k| map.get(k.as_str()).map(|e| (k.clone(), e)))
    else {
        let have: Vec<&str> = map.keys().map(String::as_str).collect();
        return Err(doc
            .error(path, format!("package `{pkg}` has no target entry for {triple} (`{os_arch}` or `{os}`)"))
            .with_note(format!("it declares: {}", have.join(", ")))
            .with_help(format!(
                "add a `{os_arch}` or `{os}` entry, or build for one of those targets (--target TRIPLE)"
            ))
            .into_err());
    };
    let epath = path.key(&key);
    if let Some(a) = entry.get("available") {
        if !boolean(doc, a, &epath.key("available"))? {
            let reason = entry
                .get("unavailableReason")
                .or_else(|| entry.get("unavailable_reason"))
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            return Err(doc
                .error(&epath.key("available"), format!("package `{pkg}` is not available for `{key}`: {reason}"))
                .into_err());
        }
    }
    Ok((Some(entry), epath))
}

fn infer_lib(
    ctx: &mut LoadCtx,
    doc: &JsonDoc,
    epath: &JPath,
    crate_dir: &Utf8Path,
    lib: Option<String>,
    pkg: &str,
) -> Result<String> {
    if let Some(l) = lib {
        return Ok(l);
    }
    let cargo = crate_dir.join("Cargo.toml");
    let text = files::read_regular_text(&cargo, 16 << 20)
        .map_err(|e| doc.error(epath, format!("crate of `{pkg}` not found: cannot read {cargo}: {e}")).into_err())?;
    let toml: toml::Value = toml::from_str(&text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        Diagnostic::error(format!("{cargo} is not valid TOML: {}", e.message().trim()))
            .with_span(diag::Span::at_offset(&cargo, &text, offset, 1))
            .into_err()
    })?;
    let name = toml
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .or_else(|| {
            toml.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str()).map(|n| n.replace('-', "_"))
        })
        .ok_or_else(|| {
            doc.error(epath, format!("{cargo} names no `[package] name` and no `[lib] name` to take `lib` from"))
                .into_err()
        })?;
    ctx.diags.push(
        doc.warning(epath, format!("package `{pkg}` names no `lib`; using `{name}` from its Cargo.toml"))
            .with_help(format!("add `\"lib\": \"{name}\"` to the target entry")),
    );
    Ok(name)
}

/// A `lib` as real manifests write it: `perry_x`, or the file name `libperry_x.a` / `perry_x.lib` / `libperry_x.so`,
/// normalised to the bare name (with a note); a name that cannot be a file name is an error.
fn lib_name(ctx: &mut LoadCtx, doc: &JsonDoc, at: &JPath, written: &str, pkg: &str) -> Result<String> {
    let mut name = written;
    for suffix in [".a", ".lib", ".so", ".dylib", ".dll"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            name = if suffix == ".lib" || suffix == ".dll" { stem } else { stem.strip_prefix("lib").unwrap_or(stem) };
            break;
        }
    }
    if !super::fields::is_file_stem(name) {
        return Err(doc
            .error(at, format!("`lib` of `{pkg}` is not a library name: `{}`", written.escape_debug()))
            .with_help(
                "write the archive's name without `lib` and `.a` (`perry_ext_x`), using letters, digits and `_ - . +`",
            )
            .into_err());
    }
    if name != written {
        ctx.diags
            .push(doc.note(at, format!("`lib` of `{pkg}` is written as a file name, `{written}`: using `{name}`")));
    }
    Ok(name.to_string())
}

fn lib_from_archive(path: &Utf8Path) -> String {
    let stem = path.file_stem().unwrap_or("");
    stem.strip_prefix("lib").unwrap_or(stem).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The work of reading `functions[]` with each entry's position grows with the entries, not their square
    /// (10,000 functions took 34 s: each position was looked up from the document's start).
    #[test]
    fn functions_positions_are_found_in_linear_work() {
        let work = |n: usize| {
            let fs: Vec<String> = (0..n)
                .map(|i| format!("{{\"name\": \"js_f{i}\", \"params\": [\"i64\"], \"returns\": \"i64\"}}"))
                .collect();
            let text = format!("{{\"perry\": {{\"nativeLibrary\": {{\"functions\": [\n{}\n]}}}}}}", fs.join(",\n"));
            let doc = JsonDoc::parse("package.json".into(), text).unwrap();
            let path = JPath::default().key("perry").key("nativeLibrary").key("functions");
            let v = doc.value["perry"]["nativeLibrary"]["functions"].clone();
            super::super::json::SKIPPED.with(|c| c.set(0));
            let mut diags = crate::base::diag::Diagnostics::default();
            let mut ctx = LoadCtx { strict_manifests: true, diags: &mut diags };
            let (names, _) = parse_functions(&mut ctx, &doc, &v, &path).unwrap();
            assert_eq!(names[n - 1], (format!("js_f{}", n - 1), (n + 1, 10)), "the last one's line and column");
            super::super::json::SKIPPED.with(|c| c.get())
        };
        let (small, large) = (work(1_000), work(4_000));
        assert!(large <= small * 5, "4x the functions cost {}x the work ({small} -> {large})", large / small.max(1));
    }

    /// The same on one line, as `JSON.stringify` writes a manifest: each span keeps a window of the line, not the
    /// line (10,000 spans each held the 669 KB line: 6.6 GB), and the last one's column is right.
    #[test]
    fn one_line_functions_keep_a_window_of_the_line_each() {
        let n = 4_000;
        let fs: Vec<String> =
            (0..n).map(|i| format!("{{\"name\": \"js_f{i}\", \"params\": [\"i64\"], \"returns\": \"i64\"}}")).collect();
        let text = format!("{{\"perry\": {{\"nativeLibrary\": {{\"functions\": [{}]}}}}}}", fs.join(","));
        let last = text.find(&format!("\"js_f{}\"", n - 1)).unwrap();
        let doc = JsonDoc::parse("package.json".into(), text).unwrap();
        let path = JPath::default().key("perry").key("nativeLibrary").key("functions");
        let spans = doc.element_member_spans(&path, "name");
        let s = spans[n - 1].clone().unwrap();
        assert_eq!((s.line, s.column), (1, last + 1));
        assert!(spans.iter().flatten().all(|s| s.text.as_ref().is_some_and(|t| t.len() < 400)));
        let shown = crate::base::diag::Diagnostic::error("x").with_span(s).to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let caret_at = lines[4].find('^').unwrap() - lines[4].find('|').unwrap() - 2;
        let code = lines[3].split_once("| ").unwrap().1;
        assert!(code.chars().skip(caret_at).collect::<String>().starts_with(&format!("\"js_f{}\"", n - 1)), "{shown}");
    }

    #[test]
    fn descriptors() {
        for ok in [
            "i64",
            "string",
            "number",
            "js_value",
            "boolean",
            "promise",
            "handle<Conn>",
            "promise<string>",
            "buffer_len",
        ] {
            assert_eq!(check_descriptor(ok, false), Ok(()), "{ok}");
        }
        assert!(check_descriptor("void", true).is_ok());
        assert!(check_descriptor("void", false).unwrap_err().contains("only allowed as a return"));
        assert!(check_descriptor("buffer+len", true).unwrap_err().contains("only allowed as a parameter"));
        assert!(check_descriptor("json", false).is_ok());
        assert!(check_descriptor("pod", true).is_err());
        assert!(check_descriptor("int", false).unwrap_err().contains("unknown type descriptor `int`"));
        assert!(check_descriptor("handle<>", false).is_err());
    }

    #[test]
    fn target_keys_from_triples() {
        assert_eq!(target_keys("x86_64-unknown-linux-gnu"), ("linux-x64".into(), "linux".into()));
        assert_eq!(target_keys("aarch64-apple-darwin"), ("macos-arm64".into(), "macos".into()));
        assert_eq!(target_keys("aarch64-linux-android"), ("android-arm64".into(), "android".into()));
        assert_eq!(target_keys("x86_64-unknown-linux-musl"), ("linux-x64".into(), "linux".into()));
    }
}
