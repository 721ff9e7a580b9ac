//! The Vex `native` block (SPEC §2.2), shared by vex.json and `perry.nativeLibrary.native`.

use super::fields::{boolean, check_printable, did_you_mean, object, path_list, string_list};
use super::json::{JPath, JsonDoc};
use super::LoadCtx;
use crate::model::{Feature, Fragment, NativeBlock, SourcePath};
use anyhow::Result;
use camino::Utf8Path;
use serde_json::Value;

const FRAGMENT_KEYS: &[&str] = &[
    "sources",
    "include_dirs",
    "libraries",
    "search_paths",
    "cflags",
    "pkg_config",
    "pkg_config_optional",
    "static_libs",
    "frameworks",
];
const ALIASES: &[(&str, &str)] = &[
    ("library_dirs", "search_paths"),
    ("lib_dirs", "search_paths"),
    ("libDirs", "search_paths"),
    ("link_dirs", "search_paths"),
    ("include_paths", "include_dirs"),
    ("includes", "include_dirs"),
    ("libs", "libraries"),
    ("pkgConfig", "pkg_config"),
    ("pkgconfig", "pkg_config"),
    ("cxxflags", "cflags"),
    ("defines", "cflags"),
];

/// Parses the block at `path` of `doc`; paths are relative to `root`.
pub fn parse_native(ctx: &mut LoadCtx, doc: &JsonDoc, v: &Value, path: &JPath, root: &Utf8Path) -> Result<NativeBlock> {
    let base = parse_fragment(ctx, doc, v, path, root, false)?;
    let mut features = Vec::new();
    if let Some(fv) = v.get("features") {
        let fpath = path.key("features");
        for (name, body) in object(doc, fv, &fpath)? {
            let p = fpath.key(name);
            let enabled = match body.get("enabled") {
                Some(e) => boolean(doc, e, &p.key("enabled"))?,
                None => false,
            };
            let fragment = parse_fragment(ctx, doc, body, &p, root, true)?;
            features.push(Feature { name: name.clone(), enabled, fragment });
        }
    }
    Ok(NativeBlock { base, features })
}

fn parse_fragment(
    ctx: &mut LoadCtx,
    doc: &JsonDoc,
    v: &Value,
    path: &JPath,
    root: &Utf8Path,
    in_feature: bool,
) -> Result<Fragment> {
    let map = object(doc, v, path)?;
    let mut known: Vec<&str> = FRAGMENT_KEYS.to_vec();
    known.push(if in_feature { "enabled" } else { "features" });
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            let mut msg = format!("unknown key `{key}` in `{path}`");
            if let Some(s) = did_you_mean(key, &known, ALIASES) {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
            ctx.manifest_warning(
                doc.warning(&path.key(key), msg)
                    .with_note("unknown keys are ignored; --strict-manifests makes them errors"),
            )?;
        }
    }
    let mut f = Fragment::default();
    let strings = |key: &str| -> Result<Vec<String>> {
        match map.get(key) {
            Some(v) => {
                let list = string_list(doc, v, &path.key(key))?;
                for (i, s) in list.iter().enumerate() {
                    // the element's path only for the error
                    if s.contains(['\n', '\r', '\0']) {
                        check_printable(doc, s, &path.key(key).index(i))?;
                    }
                }
                Ok(list)
            }
            None => Ok(vec![]),
        }
    };
    let paths = |key: &str| match map.get(key) {
        Some(v) => path_list(doc, v, &path.key(key), root),
        None => Ok(vec![]),
    };
    let mut places = doc.element_places(&path.key("sources")).into_iter();
    f.sources = paths("sources")?
        .into_iter()
        .enumerate()
        .map(|(i, (_, abs))| SourcePath {
            abs,
            span: Some(places.next().unwrap_or_else(|| doc.place(&path.key("sources").index(i)))),
        })
        .collect();
    f.include_dirs = paths("include_dirs")?.into_iter().map(|(_, abs)| abs).collect();
    f.search_paths = paths("search_paths")?.into_iter().map(|(_, abs)| abs).collect();
    f.libraries = strings("libraries")?;
    f.cflags = strings("cflags")?;
    f.pkg_config = strings("pkg_config")?;
    f.pkg_config_spans = doc.element_spans(&path.key("pkg_config"));
    f.frameworks = strings("frameworks")?;
    if let Some(o) = map.get("pkg_config_optional") {
        f.pkg_config_optional = boolean(doc, o, &path.key("pkg_config_optional"))?;
    }
    if !strings("static_libs")?.is_empty() {
        return Err(doc
            .error(
                &path.key("static_libs"),
                format!("`{path}.static_libs` is not supported: this pipeline links system libraries dynamically"),
            )
            .with_help("declare it under `libraries`, or ship it as a binding's prebuilt archive")
            .into_err());
    }
    Ok(f)
}
