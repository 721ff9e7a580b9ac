//! `ninjabind.toml` at the project root: keys named like the long options, paths relative to the file.

use crate::base::diag::{Diagnostic, Span};
use crate::base::escape::split_shell_words;
use crate::base::files::read_regular_text;
use crate::base::layout::Layout;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

/// A command in ninjabind.toml: one string (split like a shell would) or a list of words.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub(super) enum Words {
    One(String),
    Many(Vec<String>),
}

impl Words {
    pub(super) fn words(&self) -> Vec<String> {
        match self {
            Words::One(s) => split_shell_words(s),
            Words::Many(v) => v.clone(),
        }
    }
}

/// `ninjabind.toml`: keys named like the long options, paths relative to the file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct ProjectFile {
    pub(super) bindings_root: Option<Utf8PathBuf>,
    pub(super) well_known: Option<Utf8PathBuf>,
    pub(super) stdlib: Option<Vec<Utf8PathBuf>>,
    pub(super) features: Option<toml::Spanned<toml::Value>>,
    pub(super) ffi_version: Option<String>,
    pub(super) host_object: Option<Vec<Utf8PathBuf>>,
    pub(super) launcher: Option<Words>,
    pub(super) rustc_wrapper: Option<String>,
    pub(super) output: Option<String>,
    pub(super) opt_level: Option<toml::Spanned<u8>>,
    pub(super) lto: Option<String>,
    pub(super) linker: Option<String>,
    pub(super) cache: Option<String>,
    pub(super) target: Option<String>,
    pub(super) cargo_jobs: Option<toml::Spanned<usize>>,
    pub(super) link_jobs: Option<toml::Spanned<usize>>,
    pub(super) local_jobs: Option<toml::Spanned<usize>>,
    pub(super) nm: Option<String>,
    pub(super) perry: Option<Utf8PathBuf>,
    pub(super) vex: Option<Utf8PathBuf>,
    pub(super) entry: Option<Utf8PathBuf>,
}

impl ProjectFile {
    /// Values of the right type that no build can use are errors at their place, never clamped or dropped.
    fn check(&self, display: &Utf8Path, text: &str) -> Result<()> {
        let at = |span: std::ops::Range<usize>, message: String| {
            Diagnostic::error(format!("{display}: {message}"))
                .with_span(Span::at_offset(display, text, span.start, span.len().max(1)))
                .into_err()
        };
        if let Some(o) = &self.opt_level {
            if *o.get_ref() > 3 {
                return Err(at(o.span(), format!("`opt-level` is 0 to 3, not {}", o.get_ref())));
            }
        }
        for (name, v) in
            [("cargo-jobs", &self.cargo_jobs), ("link-jobs", &self.link_jobs), ("local-jobs", &self.local_jobs)]
        {
            if let Some(v) = v.as_ref().filter(|v| *v.get_ref() == 0) {
                return Err(at(v.span(), format!("`{name}` is a pool depth: at least 1")));
            }
        }
        if let Some(f) = &self.features {
            let ok = match f.get_ref() {
                toml::Value::String(_) => true,
                toml::Value::Array(a) => a.iter().all(toml::Value::is_str),
                _ => false,
            };
            if !ok {
                return Err(at(
                    f.span(),
                    format!("`features` must be a string (\"a,b\") or an array of strings, found {}", f.get_ref()),
                ));
            }
        }
        Ok(())
    }
}

/// Parses and checks a ninjabind.toml's text (the fuzz target's entry; `gen` reads the file through the same steps).
pub fn check_project_file(text: &str) -> Result<()> {
    parse_project_file(text, Utf8Path::new("ninjabind.toml")).map(|_| ())
}

fn parse_project_file(text: &str, display: &Utf8Path) -> Result<ProjectFile> {
    match toml::from_str::<ProjectFile>(text) {
        Ok(pf) => {
            pf.check(display, text)?;
            Ok(pf)
        }
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            Err(Diagnostic::error(format!("{display}: {}", e.message()))
                .with_span(Span::at_offset(display, text, offset, 1))
                .into_err())
        }
    }
}

pub(super) fn read_project_file(layout: &Layout) -> Result<(ProjectFile, Option<Utf8PathBuf>)> {
    let path = layout.project.join("ninjabind.toml");
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok((ProjectFile::default(), None));
    }
    let display = layout.display(&path);
    let text = read_regular_text(&path, 1 << 20).with_context(|| format!("cannot read {display}"))?;
    Ok((parse_project_file(&text, &display)?, Some(path)))
}
