//! The domain model every stage shares: packages, native fragments, features, bindings, imports.

use crate::base::diag;
use crate::base::diag::Span;
use camino::Utf8PathBuf;
use serde::Serialize;

/// Where a package came from (SPEC §1, `packages[].origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Root,
    Dependency,
    Stdlib,
    Installed,
    WellKnown,
    Js,
}

/// A source file named by a manifest, resolved against the package root; as written, it is read again from the
/// manifest when a message needs it (a copy of each of 21,000 sources' names was 0.8 MB of gen's peak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePath {
    pub abs: Utf8PathBuf,
    /// Where the manifest names it, for errors about the file.
    pub span: Option<diag::Place>,
}

impl SourcePath {
    /// The path as the manifest writes it.
    pub fn written(&self) -> String {
        self.span.as_ref().and_then(diag::Place::json_string).unwrap_or_else(|| self.abs.to_string())
    }
}

/// One piece of native configuration: the base of a `native` block, or one feature's contribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fragment {
    pub sources: Vec<SourcePath>,
    pub include_dirs: Vec<Utf8PathBuf>,
    pub libraries: Vec<String>,
    pub search_paths: Vec<Utf8PathBuf>,
    pub cflags: Vec<String>,
    pub pkg_config: Vec<String>,
    /// Where each of `pkg_config` is written in the manifest, when known.
    pub pkg_config_spans: Vec<diag::Span>,
    pub pkg_config_optional: bool,
    pub frameworks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub enabled: bool,
    pub fragment: Fragment,
}

/// A Vex `native` block (also `perry.nativeLibrary.native`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeBlock {
    pub base: Fragment,
    pub features: Vec<Feature>,
}

/// How a Rust binding's archive is obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveSource {
    /// Built by a cargo edge from the crate at `manifest_dir`.
    Cargo { manifest_dir: Utf8PathBuf, lib: String, features: Vec<String> },
    /// A prebuilt static archive that exists.
    Prebuilt { path: Utf8PathBuf, lib: String },
}

/// A Perry `nativeLibrary` block with its target entry selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeLibrary {
    pub abi_version: Option<String>,
    pub functions: Vec<String>,
    /// Where each of `functions` is declared in the manifest: (line, column) of its `name`.
    pub declared_at: Vec<(usize, usize)>,
    /// The finalizer symbols of owned return handles, with the (line, column) of each `finalizer` string.
    pub finalizers: Vec<(String, (usize, usize))>,
    /// Where the target entry names the archive's `lib` (or the entry itself when the lib is inferred).
    pub lib_span: Option<Box<Span>>,
    pub archive: Option<ArchiveSource>,
    /// Link-only inputs of the target entry (`libs`, `libDirs`, `pkgConfig`), the active backends' included.
    pub link: Fragment,
    /// Files staged beside the program and the graphics backends (manifest v1).
    pub staging: Staging,
}

/// What a binding ships beside the program (manifest v1): `resources` and `shaderOutputs` copied into
/// `NativeLibraries/<package>/`, and its graphics backends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staging {
    pub resources: Vec<SourcePath>,
    pub shader_outputs: Vec<SourcePath>,
    pub backends: Vec<Backend>,
}

/// One `backends.<name>` block of the selected target entry (`metal`, `vulkan`, `d3d12`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backend {
    pub name: String,
    /// `false`: declared and skipped (`unavailableReason` says why); nothing of it is linked or staged.
    pub available: bool,
    pub unavailable_reason: Option<String>,
    /// An archive linked in addition to the target's.
    pub prebuilt: Option<Utf8PathBuf>,
    /// `libs`, `libDirs`, `pkgConfig`, `frameworks`: also merged into the library's `link`.
    pub link: Fragment,
    /// Compiled by the backend's tool (`glslc`, `dxc`, `xcrun metal`) into the backend's folder.
    pub shader_sources: Vec<SourcePath>,
    pub shader_outputs: Vec<SourcePath>,
    pub resources: Vec<SourcePath>,
    /// `package`: written to `perry-backend-package.json` as Perry writes it.
    pub package: Option<BackendPackage>,
}

/// A backend's descriptive metadata (`name`, `version`, `kind`), each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendPackage {
    pub name: Option<String>,
    pub version: Option<String>,
    pub kind: Option<String>,
}

impl BackendPackage {
    /// `perry-backend-package.json` as Perry writes it: serde_json's pretty form of a sorted map, no newline at
    /// the end.
    pub fn to_json(&self, backend: &str) -> String {
        let mut m = serde_json::Map::new();
        m.insert("backend".into(), backend.into());
        for (k, v) in [("kind", &self.kind), ("name", &self.name), ("version", &self.version)] {
            if let Some(v) = v {
                m.insert(k.into(), v.as_str().into());
            }
        }
        serde_json::to_string_pretty(&serde_json::Value::Object(m)).expect("a map of strings serialises")
    }
}

/// Perry's folder name for a package under `NativeLibraries/`: each character but a letter, digit, `-`, `_` or `.`
/// made `_` (`@scope/demo` → `_scope_demo`).
pub fn staging_folder(package: &str) -> String {
    let s: String =
        package.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if s.is_empty() {
        "native-library".into()
    } else {
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencySpec {
    Path(Utf8PathBuf),
    Version(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub spec: DependencySpec,
    /// Where the manifest declares it.
    pub span: Option<Box<diag::Span>>,
}

/// Which front end a manifest belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    Vex,
    Perry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: Option<String>,
    /// Absolute folder holding the manifest.
    pub root: Utf8PathBuf,
    /// Absolute path of `vex.json` or `package.json`.
    pub manifest: Utf8PathBuf,
    pub front_end: FrontEnd,
    pub origin: Origin,
    pub native: Option<NativeBlock>,
    pub library: Option<NativeLibrary>,
    pub dependencies: Vec<Dependency>,
    /// package.json's `main` (else `types`): the module an import of the package loads, which Perry compiles.
    pub main: Option<String>,
    /// What a Perry host's own package.json says of its program (the root package only).
    pub perry_host: Option<PerryHost>,
    /// Where the manifest names the package (its `name`), for errors about two packages of one name.
    pub name_span: Option<Box<Span>>,
}

impl Package {
    /// The sources of the fragments select keeps when `active` says which features are on: the base's, the active
    /// features', the library's link fragment's (before select takes them out of their fragments).
    pub fn sources_in_play<'p>(
        &'p self,
        active: impl Fn(&Feature) -> bool + 'p,
    ) -> impl Iterator<Item = &'p SourcePath> {
        let (base, features) = match &self.native {
            Some(n) => (Some(&n.base), &n.features[..]),
            None => (None, &[][..]),
        };
        let features = features.iter().filter(move |f| active(f)).map(|f| &f.fragment);
        base.into_iter().chain(features).chain(self.library.iter().map(|l| &l.link)).flat_map(|f| f.sources.iter())
    }
}

/// The root package.json's `perry` settings for the program: its entry and which native bindings it allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerryHost {
    /// `perry.entry`.
    pub entry: Option<String>,
    /// Where the entry is named: `perry.entry`, else `main`.
    pub entry_span: Option<Box<Span>>,
    /// `perry.allow.nativeLibrary`: package names, `@scope/*`, or `*`; `None` when absent.
    pub allow_native: Option<Vec<String>>,
    /// Where the allow-list is (or `perry`, or the top), for errors that tell what to add.
    pub allow_span: Option<Box<Span>>,
}

impl Package {
    /// A package id safe as a path component and a target name: `@scope/name` → `scope+name`.
    pub fn id(&self) -> String {
        package_id(&self.name)
    }
}

pub fn package_id(name: &str) -> String {
    let id: String = name
        .trim_start_matches('@')
        .chars()
        .map(|c| match c {
            '/' => '+',
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+') => c,
            _ => '_',
        })
        .collect();
    if id.is_empty() || id.starts_with('.') {
        format!("_{id}")
    } else {
        id
    }
}

/// One import found in a source file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Import {
    pub file: Utf8PathBuf,
    pub line: usize,
    pub column: usize,
    pub specifier: String,
    pub type_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_names() {
        assert_eq!(package_id("@perryts/tursodb"), "perryts+tursodb");
        assert_eq!(package_id("db"), "db");
        assert_eq!(package_id("a b$c"), "a_b_c");
        assert_eq!(package_id(".."), "_..");
    }
}
