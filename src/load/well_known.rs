//! The well-known bindings table in Perry's TOML format (SPEC §2.3): npm name → crate and lib.

use crate::base::diag::{Diagnostic, Span};
use crate::base::files;
use crate::load::fields;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The table ninjabind ships: Perry's own.
pub const BUNDLED: &str = include_str!("../../data/well-known-bindings.toml");

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct Entry {
    #[serde(rename = "crate")]
    pub crate_name: Option<String>,
    pub lib: Option<String>,
    pub tracking: Option<String>,
    pub compat: Option<String>,
    #[serde(default)]
    pub node_builtin: bool,
    pub alias_of: Option<String>,
    pub upstream: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
struct File {
    #[serde(default)]
    bindings: BTreeMap<String, Entry>,
}

/// A resolved table entry: the crate folder name and the archive's lib name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WellKnown {
    pub key: String,
    pub crate_name: String,
    pub lib: String,
    pub node_builtin: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub entries: BTreeMap<String, Entry>,
    /// The file it came from; `None` for the bundled table and the compiler's.
    pub path: Option<Utf8PathBuf>,
    /// The compiler it came from (`perry 0.5.1520`), when `perry native list` gave it.
    pub compiler: Option<String>,
}

/// One row of `perry native list --format json`.
#[derive(Debug, Deserialize)]
struct ListedRow {
    package: String,
    #[serde(rename = "crate")]
    crate_name: String,
    lib: String,
    tracking: Option<String>,
}

impl Table {
    pub fn load(path: Option<&Utf8Path>, display: Option<&Utf8Path>) -> Result<Table> {
        let (text, shown) = match path {
            Some(p) => {
                let shown = display.unwrap_or(p);
                (
                    files::read_regular_text(p, 16 << 20)
                        .with_context(|| format!("cannot read the well-known table {shown}"))?,
                    shown.to_string(),
                )
            }
            None => (BUNDLED.to_string(), "(bundled well-known table)".to_string()),
        };
        Table::parse(&text, &shown, path)
    }

    /// The table in `text`; `shown` names it in errors, `path` is where it came from.
    pub fn parse(text: &str, shown: &str, path: Option<&Utf8Path>) -> Result<Table> {
        let file: File = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            Diagnostic::error(format!("{shown}: {}", e.message().trim()))
                .with_span(Span::at_offset(Utf8Path::new(shown), text, offset, 1))
                .into_err()
        })?;
        let table = Table { entries: file.bindings, path: path.map(Utf8Path::to_owned), compiler: None };
        table.check(text, shown)?;
        Ok(table)
    }

    /// The table the installed compiler ships, from `perry native list --format json`.
    pub fn from_compiler_list(json: &str, compiler: &str) -> Result<Table> {
        let shown = format!("`perry native list` of {compiler}");
        let rows: Vec<ListedRow> = serde_json::from_str(json)
            .map_err(|e| Diagnostic::error(format!("{shown} is not the JSON list it should be: {e}")).into_err())?;
        let entries = rows
            .into_iter()
            .map(|r| {
                let e = Entry {
                    crate_name: Some(r.crate_name),
                    lib: Some(r.lib),
                    tracking: r.tracking,
                    compat: None,
                    node_builtin: false,
                    alias_of: None,
                    upstream: None,
                };
                (r.package, e)
            })
            .collect();
        let table = Table { entries, path: None, compiler: Some(compiler.to_string()) };
        table.check(json, &shown)?;
        Ok(table)
    }

    /// Where the table came from, in words.
    pub fn source(&self) -> String {
        match (&self.path, &self.compiler) {
            (Some(p), _) => format!("the well-known table {p}"),
            (None, Some(c)) => format!("the well-known table of {c} (`perry native list`)"),
            (None, None) => "the bundled well-known table".to_string(),
        }
    }

    /// Every entry resolves (`alias-of` included) to a crate and a lib that are names, never paths.
    fn check(&self, text: &str, shown: &str) -> Result<()> {
        let table = self;
        for key in table.entries.keys() {
            let at = |message: String| {
                let offset = [format!("[bindings.{key}]"), format!("[bindings.\"{key}\"]")]
                    .iter()
                    .find_map(|h| text.find(h.as_str()))
                    .unwrap_or(0);
                Diagnostic::error(format!("{shown}: {message}"))
                    .with_span(Span::at_offset(Utf8Path::new(shown), text, offset, 1))
                    .into_err()
            };
            let wk = table.resolve_key(key).map_err(at)?;
            // both become file names in the build (bindings/<crate>/, build/lib/lib<lib>.a): never a path
            for (field, value) in [("crate", &wk.crate_name), ("lib", &wk.lib)] {
                if !fields::is_file_stem(value) {
                    return Err(at(format!(
                        "`{field}` of `{key}` is not a name: `{}` (letters, digits and `_ - . +`, not starting with `.` or `-`)",
                        value.escape_debug()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Follows `alias-of` to an entry with a crate and a lib.
    fn resolve_key(&self, key: &str) -> Result<WellKnown, String> {
        let mut k = key.to_string();
        for _ in 0..16 {
            let e =
                self.entries.get(&k).ok_or_else(|| format!("`{key}` is an alias of `{k}`, which the table lacks"))?;
            match (&e.crate_name, &e.lib) {
                (Some(c), Some(l)) => {
                    let builtin = self.entries[key].node_builtin || e.node_builtin;
                    return Ok(WellKnown {
                        key: key.to_string(),
                        crate_name: c.clone(),
                        lib: l.clone(),
                        node_builtin: builtin,
                    });
                }
                _ => match &e.alias_of {
                    Some(a) => k = a.clone(),
                    None => return Err(format!("binding `{k}` needs `crate` and `lib`")),
                },
            }
        }
        Err(format!("`alias-of` entries loop at `{key}`"))
    }

    /// The exact specifier first (`mysql2/promise`), then its package name; `node:` is stripped.
    pub fn lookup(&self, specifier: &str, package: &str) -> Option<WellKnown> {
        let spec = specifier.strip_prefix("node:").unwrap_or(specifier);
        let pkg = package.strip_prefix("node:").unwrap_or(package);
        [spec, pkg].into_iter().find(|k| self.entries.contains_key(*k)).and_then(|k| self.resolve_key(k).ok())
    }

    pub fn all(&self) -> Vec<WellKnown> {
        self.entries.keys().filter_map(|k| self.resolve_key(k).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perrys_real_table_loads_unchanged() {
        let t = Table::load(Some(Utf8Path::new("../shared/real/perry-well-known-bindings.toml")), None)
            .or_else(|_| Table::load(None, None))
            .unwrap();
        assert_eq!(t.entries.len(), 48);
        let m = t.lookup("mysql2/promise", "mysql2").unwrap();
        assert_eq!(
            (m.key.as_str(), m.crate_name.as_str(), m.lib.as_str()),
            ("mysql2/promise", "perry-ext-mysql2", "perry_ext_mysql2")
        );
        assert_eq!(t.lookup("decimal.js", "decimal.js").unwrap().crate_name, "perry-ext-decimal");
        assert_eq!(t.lookup("@perryts/pdf", "@perryts/pdf").unwrap().lib, "perry_ext_pdf");
        assert_eq!(t.lookup("perry/ads", "perry").unwrap().crate_name, "perry-ext-ads");
        assert!(t.lookup("node:zlib", "node:zlib").unwrap().node_builtin);
        assert_eq!(t.lookup("fetch", "fetch").unwrap().crate_name, "perry-ext-fetch");
        assert!(t.lookup("left-pad", "left-pad").is_none());
        let http: Vec<_> = ["http", "https", "http2"].iter().map(|n| t.lookup(n, n).unwrap().crate_name).collect();
        assert_eq!(http, ["perry-ext-http"; 3]);
    }

    #[test]
    fn bundled_table_is_perrys() {
        assert_eq!(Table::load(None, None).unwrap().entries.len(), 48);
    }

    #[test]
    fn malformed_table_has_a_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = Utf8PathBuf::from_path_buf(dir.path().join("wk.toml")).unwrap();
        std::fs::write(&p, "[bindings.x]\ncrate = \"a\"\nlib = 3\n").unwrap();
        let err = Table::load(Some(&p), Some(Utf8Path::new("wk.toml"))).unwrap_err();
        let d = err.downcast_ref::<Diagnostic>().unwrap();
        assert_eq!(d.span.as_ref().unwrap().line, 3, "{d}");
    }
}
