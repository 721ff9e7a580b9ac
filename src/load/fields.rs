//! Typed reads of manifest fields from JSON, each failure pointing at its JSON path.

use super::json::{JPath, JsonDoc};
use super::LoadCtx;
use crate::base::escape::NOT_IN_PATHS;
use crate::base::layout;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::{Map, Value};

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn object<'v>(doc: &JsonDoc, v: &'v Value, path: &JPath) -> Result<&'v Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| doc.error(path, format!("`{path}` must be an object, found {}", type_name(v))).into_err())
}

pub fn string<'v>(doc: &JsonDoc, v: &'v Value, path: &JPath) -> Result<&'v str> {
    v.as_str().ok_or_else(|| doc.error(path, format!("`{path}` must be a string, found {}", type_name(v))).into_err())
}

pub fn boolean(doc: &JsonDoc, v: &Value, path: &JPath) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| doc.error(path, format!("`{path}` must be true or false, found {}", type_name(v))).into_err())
}

pub fn string_list(doc: &JsonDoc, v: &Value, path: &JPath) -> Result<Vec<String>> {
    let items = v.as_array().ok_or_else(|| {
        doc.error(path, format!("`{path}` must be an array of strings, found {}", type_name(v))).into_err()
    })?;
    // an element's path is made only for its error (a manifest's 20 sources made 20 copies of it)
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_str() {
            Some(s) => Ok(s.to_string()),
            None => string(doc, item, &path.index(i)).map(str::to_string),
        })
        .collect()
}

/// A string that will become a path or a command-line word: no newline, no NUL (SPEC §6.1).
pub fn check_printable(doc: &JsonDoc, s: &str, path: &JPath) -> Result<()> {
    if s.contains(['\n', '\r', '\0']) {
        return Err(doc
            .error(path, format!("`{path}` holds a newline or NUL character, which no path or flag may contain"))
            .into_err());
    }
    Ok(())
}

/// An archive name (`perry_ext_x` for `libperry_ext_x.a`) or a crate folder name: letters, digits and `_ - . +`,
/// not starting with `.` or `-` — what a file name and a ninja target carry, and never a path.
pub fn is_file_stem(s: &str) -> bool {
    !s.is_empty() && !s.starts_with(['.', '-']) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-.+".contains(c))
}

/// A path build.ninja will name: besides [`check_printable`], no tab (`.ninja_log` is tab-separated, so ninja would
/// rebuild it forever) and no `|` (ninja has no escape for it in a path).
pub fn check_path(doc: &JsonDoc, s: &str, path: &JPath) -> Result<()> {
    check_printable(doc, s, path)?;
    // (newline and carriage return were named above: what is left of what no path may hold)
    if let Some(c) = s.chars().find(|c| NOT_IN_PATHS.contains(c)) {
        let what = if c == '\t' { "a tab" } else { "`|`" };
        return Err(doc
            .error(path, format!("`{path}` holds {what}, which ninja cannot carry in a file name"))
            .with_help("rename the file")
            .into_err());
    }
    Ok(())
}

/// A list of paths relative to `base` (absolute ones kept), normalised without touching the disk.
pub fn path_list(doc: &JsonDoc, v: &Value, path: &JPath, base: &Utf8Path) -> Result<Vec<(String, Utf8PathBuf)>> {
    let list = string_list(doc, v, path)?;
    list.into_iter()
        .enumerate()
        .map(|(i, s)| {
            // the element's path only for an error (what `check_path` refuses, or an empty path)
            if s.is_empty() || s.contains(['\n', '\r', '\0', '\t', '|']) {
                check_path(doc, &s, &path.index(i))?;
                return Err(doc.error(&path.index(i), format!("`{}` is an empty path", path.index(i))).into_err());
            }
            let abs = layout::normalize(&base.join(&s));
            Ok((s, abs))
        })
        .collect()
}

/// A manifest's `name` (the folder's name when absent; never empty) and `version`.
pub fn name_and_version(doc: &JsonDoc, root: &Utf8Path) -> Result<(String, Option<String>)> {
    let top = JPath::default();
    let map = object(doc, &doc.value, &top)?;
    let name = match map.get("name") {
        Some(v) => string(doc, v, &top.key("name"))?.to_string(),
        None => root.file_name().unwrap_or("project").to_string(),
    };
    if name.is_empty() {
        return Err(doc.error(&top.key("name"), "`name` must not be empty").into_err());
    }
    // npm's and Vex's names: `name` or `@scope/name`, never a path, never a control character
    let bare = name.strip_prefix('@').and_then(|n| n.split_once('/')).map_or(name.as_str(), |(_, n)| n);
    if name.chars().any(|c| c.is_control() || c == '\\' || c == '|')
        || bare.contains('/')
        || bare.starts_with('.')
        || bare.is_empty()
    {
        return Err(doc
            .error(&top.key("name"), format!("`name` is not a package name: {name:?}"))
            .with_note(
                "a name is `name` or `@scope/name`: no path separator, no leading dot, no control character, no `|`",
            )
            .into_err());
    }
    let version = map.get("version").map(|v| string(doc, v, &top.key("version")).map(str::to_string)).transpose()?;
    Ok((name, version))
}

/// The closest known key to `unknown`, for a did-you-mean.
pub fn did_you_mean<'a>(unknown: &str, known: &[&'a str], aliases: &[(&str, &'a str)]) -> Option<&'a str> {
    if let Some((_, to)) = aliases.iter().find(|(from, _)| *from == unknown) {
        return Some(to);
    }
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Perry reads a `prebuilt` that starts with neither `./`, `../` nor `/` as a package in node_modules (`dist/x.a`
/// is package `dist`): a warning when ours is read as a relative path instead, so the compiler is not the one to find it.
pub fn perry_spelling(ctx: &mut LoadCtx, doc: &JsonDoc, pre: &str, path: &JPath) {
    if pre.starts_with(['.', '/', '@']) {
        return;
    }
    ctx.diags.push(
        doc.warning(path, format!("`{pre}` is read as a path relative to package.json here, but Perry reads it as package `{}` in node_modules", pre.split('/').next().unwrap_or(pre)))
            .with_help(format!("write `./{pre}`")),
    );
}

/// A `prebuilt` that exists: a path relative to package.json (or absolute), or `@scope/pkg/sub/file.a` through the
/// nearest node_modules that holds it.
pub fn resolve_prebuilt(root: &Utf8Path, pre: &str) -> Option<Utf8PathBuf> {
    let candidates: Vec<Utf8PathBuf> = if pre.starts_with('@') {
        root.ancestors().map(|d| d.join("node_modules").join(pre)).collect()
    } else {
        vec![layout::normalize(&root.join(pre))]
    };
    candidates.into_iter().find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_by_alias_then_by_distance() {
        let known = ["sources", "include_dirs", "search_paths"];
        assert_eq!(did_you_mean("library_dirs", &known, &[("library_dirs", "search_paths")]), Some("search_paths"));
        assert_eq!(did_you_mean("include_dir", &known, &[]), Some("include_dirs"));
        assert_eq!(did_you_mean("zzz", &known, &[]), None);
    }
}
