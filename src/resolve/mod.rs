//! Stage 2, resolve: from the root manifest and the project's imports to every package in scope.

pub mod perry;
pub mod vex;

use crate::base::diag::{Diagnostic, Span};
use crate::base::files;
use crate::base::layout::Layout;
use crate::lex::imports;
use crate::lex::scan_cache::ScanMemo;
use crate::load::package_json::{self, Host};
use crate::load::perry_toml;
use crate::load::perry_toml::NativeOverrides;
use crate::load::well_known::Table;
use crate::load::{vex_json, LoadCtx};
use crate::model;
use crate::model::{FrontEnd, Import, Origin, Package};
use crate::options::Settings;
use crate::toolchain::Perry;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

/// Which rule resolved an import (SPEC §1, `imports[].layer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    #[serde(rename = "a")]
    A,
    #[serde(rename = "b")]
    B,
    #[serde(rename = "c")]
    C,
    Local,
    Stdlib,
    Builtin,
    TypeOnly,
}

#[derive(Debug, Clone)]
pub struct ResolvedImport {
    pub import: Import,
    pub layer: Layer,
    pub package: Option<String>,
}

pub struct Resolved {
    pub front_end: FrontEnd,
    /// The root package first. JS-only packages (layer b) are listed but have nothing native.
    pub packages: Vec<Package>,
    pub imports: Vec<ResolvedImport>,
    /// Every file gen read or whose appearance would change the graph, for the regeneration edge.
    pub watch: Vec<Utf8PathBuf>,
    /// perry.toml's `[native-library."<pkg>"]` feature choices.
    pub native_overrides: NativeOverrides,
    /// The compiler's entry module (Perry's or Vex's, when the compiler was found), when the file exists.
    pub entry: Option<Utf8PathBuf>,
    /// The scanned source files and folders, for the scan edge.
    pub scanned_files: Vec<Utf8PathBuf>,
    pub scanned_dirs: Vec<Utf8PathBuf>,
    /// The plain files the walk listed: select checks the sources manifests list against it before asking the kernel.
    pub listed: imports::Listed,
}

pub const PERRY_EXTS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
pub const VEX_EXTS: &[&str] = &[".vx"];

/// Which compiler's project this is: a vex.json makes it Vex's, else a package.json Perry's; with neither, a folder
/// holding the entry given (`gen ENTRY`) is a Perry project, as `perry compile ENTRY` builds one.
pub fn front_end(layout: &Layout, entry: Option<&Utf8Path>) -> Result<FrontEnd> {
    // present in any form: a FIFO or a folder named vex.json is then an error at reading it, not "no manifest"
    let present = |p: &Utf8PathBuf| std::fs::metadata(p).is_ok();
    if present(&layout.project.join("vex.json")) {
        Ok(FrontEnd::Vex)
    } else if present(&layout.project.join("package.json")) || entry.is_some_and(|e| e.is_file()) {
        Ok(FrontEnd::Perry)
    } else {
        Err(Diagnostic::error(format!("no vex.json or package.json in {}", layout.display(&layout.project)))
            .with_help("run ninjabind in a project folder, or point at one with -C DIR")
            .into_err())
    }
}

/// `compiler`: the Perry compiler found, whose own well-known table replaces the bundled one.
pub fn resolve(
    ctx: &mut LoadCtx,
    s: &Settings,
    target: &str,
    compiler: Option<&Perry>,
    vex_found: bool,
    memo: &mut ScanMemo,
) -> Result<Resolved> {
    let layout = &s.layout;
    let vex_manifest = layout.project.join("vex.json");
    let perry_manifest = layout.project.join("package.json");
    let front_end = front_end(layout, s.entry.as_deref())?;
    let host = Host { ffi_version: &s.ffi_version, target };
    let root = match front_end {
        FrontEnd::Vex => vex_json::load(ctx, &host, &vex_manifest, &layout.display(&vex_manifest), Origin::Root)?,
        FrontEnd::Perry if std::fs::metadata(&perry_manifest).is_err() => package_json::bare_root(&perry_manifest),
        FrontEnd::Perry => {
            package_json::load(ctx, &host, &perry_manifest, &layout.display(&perry_manifest), Origin::Root)?
        }
    };
    let mut packages = vec![root.clone()];
    let exts = if front_end == FrontEnd::Vex { VEX_EXTS } else { PERRY_EXTS };
    // the project's folders are listed while the dependencies' manifests are read (each mostly waits on the disk)
    let skip = [layout.out.clone(), layout.ninja_dir.clone()];
    // each package's guards are read on other cores from when its manifest is (select takes what they found)
    let mut walked = std::thread::scope(|sc| -> Result<imports::Walked> {
        let walk = sc.spawn(|| imports::source_files(&layout.project, exts, &skip, true));
        vex::add_dependencies(ctx, layout, &root, &mut packages, &host)?;
        walk.join().map_err(|_| anyhow::anyhow!("listing the project's sources panicked"))
    })?;
    let listed = std::mem::take(&mut walked.listed);
    let (found, scanned_files, scanned_dirs) = scan_project(ctx, layout, walked, memo)?;
    let mut watch: Vec<Utf8PathBuf> = Vec::new();
    let resolved = match front_end {
        FrontEnd::Vex => vex::resolve_imports(ctx, s, &host, &found, &mut packages, &mut watch)?,
        FrontEnd::Perry => {
            let t = well_known_table(s, compiler, &mut watch)?;
            let scope = perry::PerryScope {
                layout,
                host,
                table: &t,
                bindings_root: s.bindings_root.as_deref(),
                compiler_found: compiler.is_some(),
            };
            perry::resolve(ctx, &scope, &found, &mut packages, &mut watch)?
        }
    };
    check_lib_names(&packages, layout)?;
    // a folder built from its entry alone has no package.json to watch: the scan notices one appearing
    watch.extend(packages.iter().map(|p| p.manifest.clone()).filter(|m| m.is_file()));
    watch.extend(packages.iter().filter_map(|p| match &p.library.as_ref()?.archive {
        Some(model::ArchiveSource::Cargo { manifest_dir, .. }) => Some(manifest_dir.join("Cargo.toml")),
        _ => None,
    }));
    let native_overrides = match front_end {
        FrontEnd::Perry => perry_toml_overrides(layout, &mut watch)?,
        FrontEnd::Vex => NativeOverrides::default(),
    };
    // the entry is Perry's to compile from; which modules it reaches is learnt from Perry's record at build time
    let entry = match front_end {
        FrontEnd::Perry if compiler.is_some() => perry::entry(s.entry.as_deref(), &root, layout)?,
        FrontEnd::Vex if vex_found => vex::entry(s.entry.as_deref(), &root, layout)?,
        _ => None,
    };
    Ok(Resolved {
        front_end,
        packages,
        imports: resolved,
        watch,
        native_overrides,
        entry,
        scanned_files,
        scanned_dirs,
        listed,
    })
}

/// Every source of the project (the walk skips node_modules, dot-folders and build folders) and its imports, read
/// through the scan cache; an unreadable folder is named in a warning.
fn scan_project(
    ctx: &mut LoadCtx,
    layout: &Layout,
    walked: imports::Walked,
    memo: &mut ScanMemo,
) -> Result<(Vec<Import>, Vec<Utf8PathBuf>, Vec<Utf8PathBuf>)> {
    for (path, why) in &walked.skipped {
        ctx.diags.push(Diagnostic::warning(format!("not scanned for imports: {} ({why})", layout.display(path))));
    }
    if let Some(bad) = walked.unnamable.first() {
        // watched by the scan edge, such a name would end build.ninja's line: ninja could not parse it
        return Err(Diagnostic::error(format!(
            "{:?} holds a newline, carriage return, tab or `|`, which build.ninja cannot carry in a path",
            layout.display(bad).as_str()
        ))
        .with_note(format!("{} such name(s) in the project's source folders", walked.unnamable.len()))
        .with_help("rename it, or move it into a dot-folder (the scan skips those)")
        .into_err());
    }
    let (scanned_files, scanned_dirs) = (walked.files, walked.dirs);
    let mut found: Vec<Import> = Vec::new();
    for f in &scanned_files {
        found.extend(memo.imports(f, || -> Result<Vec<Import>> {
            // the scan holds about one byte per input byte; past 256 MiB a file is no source anyone imports from
            let bytes = files::read_regular(f, 256 << 20).map_err(|e| {
                Diagnostic::error(format!("cannot scan {} for imports: {e}", layout.display(f)))
                    .with_help("move generated bundles out of the project's source folders, or into a dot-folder")
                    .into_err()
            })?;
            Ok(imports::scan(f, &String::from_utf8_lossy(&bytes)))
        })?);
    }
    Ok((found, scanned_files, scanned_dirs))
}

/// The well-known table: `--well-known`, else the compiler's own (`perry native list`, cached by its version), else
/// the bundled one.
fn well_known_table(s: &Settings, compiler: Option<&Perry>, watch: &mut Vec<Utf8PathBuf>) -> Result<Table> {
    let layout = &s.layout;
    match (compiler, &s.well_known) {
        (Some(c), None) => {
            let list = c.native_list(Some(&layout.out.join("perry-native-list.json")))?;
            // a new compiler brings a new table: regenerate
            watch.push(c.exe.clone());
            Table::from_compiler_list(&list, &c.version)
        }
        (_, given) => Table::load(given.as_deref(), given.as_deref().map(|p| layout.display(p)).as_deref()),
    }
}

/// perry.toml's per-binding cargo features, when the project has one (then a regeneration input).
fn perry_toml_overrides(layout: &Layout, watch: &mut Vec<Utf8PathBuf>) -> Result<NativeOverrides> {
    let perry_toml = layout.project.join("perry.toml");
    if std::fs::symlink_metadata(&perry_toml).is_err() {
        return Ok(NativeOverrides::default());
    }
    watch.push(perry_toml.clone());
    perry_toml::load(&perry_toml, &layout.display(&perry_toml))
}

/// `file:line:col` of a span, for a note that points at a second place.
fn place(span: Option<&Span>, or: &Utf8Path, layout: &Layout) -> String {
    span.map_or_else(|| layout.display(or).to_string(), |s| format!("{}:{}:{}", s.file, s.line, s.column))
}

/// Two different crates (or prebuilt archives) with one `lib` name would overwrite each other's archive.
fn check_lib_names(packages: &[Package], layout: &Layout) -> Result<()> {
    let mut seen: Vec<(&str, &Package)> = Vec::new();
    for p in packages {
        let Some(lib) = p.library.as_ref().and_then(|l| l.archive.as_ref()) else { continue };
        let name = match lib {
            model::ArchiveSource::Cargo { lib, .. } | model::ArchiveSource::Prebuilt { lib, .. } => lib.as_str(),
        };
        if let Some((_, other)) = seen.iter().find(|(n, _)| *n == name) {
            let lib_span = |p: &Package| p.library.as_ref().and_then(|l| l.lib_span.as_deref()).cloned();
            let mut d = Diagnostic::error(format!("two different crates build the library `{name}`"))
                .with_note(format!(
                    "`{}` builds it too: {}",
                    other.name,
                    place(lib_span(other).as_ref(), &other.manifest, layout)
                ))
                .with_help("rename one crate's [lib] name (and its `lib` in package.json)");
            d.span = lib_span(p);
            return Err(d.into_err());
        }
        seen.push((name, p));
    }
    Ok(())
}

/// Adds `p` unless the same folder is already in scope; two folders with one name is an error.
pub fn push_unique(scope: &mut Vec<Package>, p: Package, layout: &Layout) -> Result<()> {
    if let Some(other) = scope.iter().find(|o| o.name == p.name) {
        if other.root == p.root {
            return Ok(());
        }
        let mut d = Diagnostic::error(format!("two packages are named `{}`", p.name))
            .with_note(format!("the other is named at {}", place(other.name_span.as_deref(), &other.manifest, layout)));
        d.span = p.name_span.as_deref().cloned();
        return Err(d.into_err());
    }
    scope.push(p);
    Ok(())
}

/// An error with a caret under the import's specifier.
pub fn import_error(layout: &Layout, imp: &Import, message: String) -> Diagnostic {
    let display = layout.display(&imp.file);
    let text = std::fs::read_to_string(&imp.file).unwrap_or_default();
    let line_start: usize = text.split_inclusive('\n').take(imp.line - 1).map(str::len).sum();
    let col_offset: usize = text[line_start..].chars().take(imp.column - 1).map(char::len_utf8).sum();
    let len = imp.specifier.chars().count() + 2;
    Diagnostic::error(message).with_span(Span::at_offset(&display, &text, line_start + col_offset, len))
}
