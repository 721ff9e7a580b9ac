//! perry.toml's `[native-library."<pkg>"]` tables: the cargo features (and `default-features`) an app picks for a
//! binding, forwarded to its cargo build as `perry compile` forwards them.

use crate::base::diag::{Diagnostic, Span};
use crate::base::files;
use anyhow::{Context, Result};
use camino::Utf8Path;
use std::collections::BTreeMap;

/// One package's override: `features = [...]`, `default-features = false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureOverride {
    pub features: Vec<String>,
    pub default_features: bool,
}

/// The overrides by package name; empty without a perry.toml or its `native-library` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeOverrides(pub BTreeMap<String, FeatureOverride>);

impl NativeOverrides {
    /// The override for `package`: its own key, or the longest key it is a sub-path of (as Perry matches them).
    pub fn get(&self, package: &str) -> Option<&FeatureOverride> {
        self.0
            .iter()
            .filter(|(k, _)| package == k.as_str() || package.starts_with(&format!("{k}/")))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, v)| v)
    }
}

/// Reads `perry.toml` (`display` names it in errors). Other tables are Perry's own and are not read.
pub fn load(path: &Utf8Path, display: &Utf8Path) -> Result<NativeOverrides> {
    let text = files::read_regular_text(path, 1 << 20).with_context(|| format!("cannot read {display}"))?;
    parse(&text, display)
}

pub fn parse(text: &str, display: &Utf8Path) -> Result<NativeOverrides> {
    let at = |span: Option<std::ops::Range<usize>>, message: String| {
        let span = span.unwrap_or(0..1);
        Diagnostic::error(format!("{display}: {message}"))
            .with_span(Span::at_offset(display, text, span.start, span.len().max(1)))
            .into_err()
    };
    let doc: toml::Table = toml::from_str(text).map_err(|e| at(e.span(), e.message().trim().to_string()))?;
    let mut out = NativeOverrides::default();
    let Some(libs) = doc.get("native-library") else { return Ok(out) };
    let table_at = |needle: &str| text.find(needle).map(|o| o..o + needle.len());
    let Some(libs) = libs.as_table() else {
        return Err(at(table_at("native-library"), "`native-library` must be a table of packages".into()));
    };
    for (pkg, v) in libs {
        // the package's table header, as written with or without quotes
        let span = [format!("[native-library.\"{pkg}\"]"), format!("[native-library.{pkg}]")]
            .iter()
            .find_map(|h| table_at(h))
            .or_else(|| table_at(pkg));
        let Some(t) = v.as_table() else {
            return Err(at(span, format!("`[native-library.\"{pkg}\"]` must be a table")));
        };
        let mut o = FeatureOverride { features: vec![], default_features: true };
        for (k, v) in t {
            match (k.as_str(), v.clone()) {
                ("features", toml::Value::Array(a)) if a.iter().all(toml::Value::is_str) => {
                    o.features = a.iter().filter_map(|f| f.as_str().map(str::to_string)).collect();
                }
                ("default-features", toml::Value::Boolean(b)) => o.default_features = b,
                ("features" | "default-features", v) => {
                    let want = if k == "features" { "an array of strings" } else { "true or false" };
                    return Err(at(span, format!("`{k}` of `{pkg}` must be {want}, not {v}")));
                }
                (other, _) => {
                    return Err(at(
                        span.clone(),
                        format!("unknown key `{other}` for `{pkg}`: perry.toml's native-library tables take `features` and `default-features`"),
                    ))
                }
            }
        }
        out.0.insert(pkg.clone(), o);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_features_and_matches_the_longest_key() {
        let o = parse(
            "[build]\nmarch = \"native\"\n\n[native-library.\"@bloomengine/engine\"]\ndefault-features = false\nfeatures = [\"renderer2d\", \"mp3\"]\n\n[native-library.tally]\nfeatures = [\"fast\"]\n",
            Utf8Path::new("perry.toml"),
        )
        .unwrap();
        let e = o.get("@bloomengine/engine").unwrap();
        assert_eq!((e.features.clone(), e.default_features), (vec!["renderer2d".into(), "mp3".into()], false));
        assert_eq!(o.get("tally").unwrap().features, ["fast"]);
        assert!(o.get("tally2").is_none());
    }

    #[test]
    fn a_wrong_type_is_an_error_at_its_table() {
        let text = "[native-library.tally]\nfeatures = \"fast\"\n";
        let e = format!("{:#}", parse(text, Utf8Path::new("perry.toml")).unwrap_err());
        assert!(e.contains("`features` of `tally` must be an array of strings"), "{e}");
    }
}
