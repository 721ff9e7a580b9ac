//! vex.json (SPEC §2.2): name, version, main, dependencies and the `native` block; other top-level keys are ignored.

use super::fields::{object, string};
use super::json::{JPath, JsonDoc};
use super::native::parse_native;
use super::package_json::{parse_native_library, Host};
use super::LoadCtx;
use crate::base::layout;
use crate::model::{Dependency, DependencySpec, FrontEnd, Origin, Package};
use anyhow::Result;
use camino::Utf8Path;

/// Loads the vex.json at `manifest` (absolute); `display` is how the user sees its path.
pub fn load(
    ctx: &mut LoadCtx,
    host: &Host,
    manifest: &Utf8Path,
    display: &Utf8Path,
    origin: Origin,
) -> Result<Package> {
    let doc = JsonDoc::read(manifest, display)?;
    let root = manifest.parent().expect("a manifest has a folder").to_owned();
    let top = JPath::default();
    let map = object(&doc, &doc.value, &top)?;
    let (name, version) = super::fields::name_and_version(&doc, &root)?;
    let mut dependencies = Vec::new();
    if let Some(deps) = map.get("dependencies") {
        let dpath = top.key("dependencies");
        let mut spans = doc.member_spans(&dpath);
        for (dep, spec) in object(&doc, deps, &dpath)? {
            let p = dpath.key(dep);
            let spec = match spec {
                serde_json::Value::String(req) => DependencySpec::Version(req.clone()),
                serde_json::Value::Object(o) if o.contains_key("path") => {
                    let s = string(&doc, &o["path"], &p.key("path"))?;
                    DependencySpec::Path(layout::normalize(&root.join(s)))
                }
                _ => {
                    return Err(doc
                        .error(&p, format!("dependency `{dep}` must be a version string or {{ \"path\": \"…\" }}"))
                        .into_err())
                }
            };
            let span = spans.remove(dep.as_str()).unwrap_or_else(|| doc.span(&p));
            dependencies.push(Dependency { name: dep.clone(), spec, span: Some(Box::new(span)) });
        }
    }
    let native = match map.get("native") {
        Some(v) => Some(parse_native(ctx, &doc, v, &top.key("native"), &root)?),
        None => None,
    };
    let mut pkg = Package {
        name,
        version,
        root,
        manifest: manifest.to_owned(),
        front_end: FrontEnd::Vex,
        origin,
        native,
        library: None,
        dependencies,
        // the program's entry module when the compiler builds it (`vex compile`'s input)
        main: match map.get("main") {
            Some(m) => Some(string(&doc, m, &top.key("main"))?.to_string()),
            None => None,
        },
        perry_host: None,
        name_span: Some(Box::new(doc.span(&JPath::default().key("name")))),
    };
    if let Some(nl) = map.get("nativeLibrary") {
        let (library, extra) = parse_native_library(ctx, host, &doc, nl, &top.key("nativeLibrary"), &pkg)?;
        pkg.library = library;
        if pkg.native.is_none() {
            pkg.native = extra;
        }
    }
    Ok(pkg)
}
