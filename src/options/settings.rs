//! The resolved settings every stage reads: the command line over the environment over `ninjabind.toml` over defaults.

use super::args::{GenArgs, Linker, Lto};
use super::project_file::{read_project_file, ProjectFile, Words};
use super::selection::Selection;
use crate::base::diag::Diagnostic;
use crate::base::escape::split_shell_words;
use crate::base::files::runnable;
use crate::base::layout::{normalize, Layout};
use crate::protocol::cache::{parse_url, Mode};
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};
use clap::ValueEnum;
use std::collections::BTreeMap;

/// Resolved settings every stage reads; paths absolute.
#[derive(Debug, Clone)]
pub struct Settings {
    pub layout: Layout,
    pub opt_level: u8,
    pub lto: Lto,
    /// `--linker`, `linker` in ninjabind.toml, else auto.
    pub linker: Linker,
    /// The shared cache: `--cache`, `NINJABIND_CACHE`, `cache` in ninjabind.toml (its URL, checked), and the mode.
    pub cache: Option<(String, Mode)>,
    pub selection: Selection,
    pub target: Option<String>,
    pub ffi_version: semver::Version,
    pub well_known: Option<Utf8PathBuf>,
    pub bindings_root: Option<Utf8PathBuf>,
    pub stdlib: Vec<Utf8PathBuf>,
    pub host_objects: Vec<Utf8PathBuf>,
    pub output: Option<String>,
    /// The launcher's words (`ccache`, `distcc`, `icecc`, with any arguments).
    pub launcher: Vec<String>,
    pub rustc_wrapper: Option<String>,
    pub cargo_jobs: usize,
    pub link_jobs: Option<usize>,
    pub local_jobs: usize,
    pub nm: Option<String>,
    /// The Perry compiler the project asked for (`--perry`, `PERRY`, `perry` in ninjabind.toml); else it is searched.
    pub perry: Option<Utf8PathBuf>,
    /// The Vex compiler the project asked for (`--vex`, `VEX`, `vex` in ninjabind.toml); else `vex` on PATH.
    pub vex: Option<Utf8PathBuf>,
    /// The entry module given with `--entry` or in ninjabind.toml (else package.json says, else src/main.ts).
    pub entry: Option<Utf8PathBuf>,
    /// perry.lock is frozen: an archive it lacks fails too (`--frozen-lock`, `PERRY_LOCK_FROZEN`).
    pub frozen_lock: bool,
    /// `PERRY_ALLOW_PERRY_FEATURES=1`: every native binding allowed for this gen (never recorded, as in Perry).
    pub allow_all_native: bool,
    pub strict_manifests: bool,
    pub strict_symbols: bool,
    pub offline: bool,
    pub gate: bool,
    /// The environment variables of [`super::ENV_READ`] that were set.
    pub env: BTreeMap<String, String>,
    /// `ninjabind.toml`, when the project has one.
    pub project_file: Option<Utf8PathBuf>,
    /// The command-line words that shaped the graph, paths relative to the ninja file's folder.
    pub replay: Vec<String>,
}

/// A launcher or wrapper must exist at gen time: naming it now beats a failure deep inside ninja.
fn check_program(what: &str, words: &[String]) -> Result<()> {
    let Some(program) = words.first() else { return Ok(()) };
    if !runnable(program) {
        return Err(Diagnostic::error(format!("{what} `{program}` not found on PATH"))
            .with_help(format!("install it, or give its full path with --{what}"))
            .into_err());
    }
    Ok(())
}

/// `--output` names the program inside `<build>/bin/`: a file name, never a path out of the build folder.
fn check_output(name: String) -> Result<String> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '|', '\t'])
        || name.chars().any(char::is_control);
    if bad {
        return Err(Diagnostic::error(format!("--output must be a file name, not {name:?}"))
            .with_note(
                "the program is written to <build folder>/bin/<name>; no path separator, no `|`, no control character",
            )
            .into_err());
    }
    Ok(name)
}

impl GenArgs {
    pub fn resolve(&self, env: &BTreeMap<String, String>) -> Result<Settings> {
        let layout = Layout::new(&self.dir, self.build_dir.as_deref())?;
        let (pf, project_file) = read_project_file(&layout)?;
        let pf_dir = layout.project.clone();
        let cwd = layout.cwd.clone();
        let cli_path = |p: &Utf8Path| normalize(&cwd.join(p));
        let file_path = |p: &Utf8Path| normalize(&pf_dir.join(p));
        let env_path = |k: &str| env.get(k).map(|v| normalize(&cwd.join(v)));

        let launcher = match &self.launcher {
            Some(l) => split_shell_words(l),
            None => pf.launcher.as_ref().map(Words::words).unwrap_or_default(),
        };
        check_program("launcher", &launcher)?;
        let rustc_wrapper = self.rustc_wrapper.clone().or(pf.rustc_wrapper.clone());
        check_program("rustc-wrapper", rustc_wrapper.as_slice())?;
        let (opt_level, lto) = self.optimisation(&pf)?;
        let linker = match (self.linker, pf.linker.as_deref()) {
            (Some(l), _) => l,
            (None, Some(s)) => Linker::from_str(s, true).map_err(|_| {
                Diagnostic::error(format!("ninjabind.toml: `linker` must be auto, mold, lld or default, not `{s}`"))
                    .into_err()
            })?,
            (None, None) => Linker::Auto,
        };
        let cache_url = self.cache.clone().or_else(|| env.get("NINJABIND_CACHE").cloned()).or(pf.cache.clone());
        let cache = match cache_url.filter(|u| !u.is_empty()) {
            Some(url) => {
                parse_url(&url).map_err(|why| {
                    Diagnostic::error(format!("--cache (or NINJABIND_CACHE, or `cache` in ninjabind.toml): {why}"))
                        .with_help("a shared folder: --cache file:/srv/ninjabind-cache")
                        .into_err()
                })?;
                Some((url, self.cache_mode.unwrap_or_default()))
            }
            None => None,
        };
        let selection = self.selection(env, &pf);
        let ffi_version = self.ffi_version(env, &pf)?;
        let stdlib: Vec<Utf8PathBuf> = if !self.stdlib.is_empty() {
            self.stdlib.iter().map(|p| cli_path(p)).collect()
        } else if let Some(v) = env.get("VEX_STDLIB") {
            v.split(':').filter(|s| !s.is_empty()).map(|s| normalize(&cwd.join(s))).collect()
        } else {
            pf.stdlib.iter().flatten().map(|p| file_path(p)).collect()
        };
        let host_objects: Vec<Utf8PathBuf> = if !self.host_object.is_empty() {
            self.host_object.iter().map(|p| cli_path(p)).collect()
        } else {
            pf.host_object.iter().flatten().map(|p| file_path(p)).collect()
        };
        // said now, like a missing source, rather than by ninja as "missing and no known rule"
        if let Some(missing) = host_objects.iter().find(|h| !h.is_file()) {
            return Err(Diagnostic::error(format!(
                "host object {} (from --host-object or ninjabind.toml) not found",
                layout.display(missing)
            ))
            .with_help("build it first (the host compiler's object or archive), or leave it out")
            .into_err());
        }

        let replay = self.replay_words(&layout);
        Ok(Settings {
            opt_level,
            lto,
            linker,
            cache,
            selection,
            target: self.target.clone().or(pf.target.clone()),
            ffi_version,
            well_known: self.well_known.as_deref().map(cli_path).or_else(|| pf.well_known.as_deref().map(file_path)),
            bindings_root: self
                .bindings_root
                .as_deref()
                .map(cli_path)
                .or_else(|| env_path("PERRY_BINDINGS_ROOT"))
                .or_else(|| pf.bindings_root.as_deref().map(file_path)),
            stdlib,
            host_objects,
            output: self.output.clone().or(pf.output.clone()).map(check_output).transpose()?,
            launcher,
            rustc_wrapper,
            cargo_jobs: self.cargo_jobs.or(pf.cargo_jobs.map(|v| v.into_inner())).unwrap_or(1),
            link_jobs: self.link_jobs.or(pf.link_jobs.map(|v| v.into_inner())),
            local_jobs: self
                .local_jobs
                .or(pf.local_jobs.map(|v| v.into_inner()))
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
            nm: self.nm.clone().or_else(|| env.get("NM").cloned()).or(pf.nm.clone()),
            perry: self
                .perry
                .as_deref()
                .map(cli_path)
                .or_else(|| env_path("PERRY"))
                .or_else(|| pf.perry.as_deref().map(file_path)),
            vex: self
                .vex
                .as_deref()
                .map(cli_path)
                .or_else(|| env_path("VEX"))
                .or_else(|| pf.vex.as_deref().map(file_path)),
            entry: self.entry.as_deref().map(cli_path).or_else(|| pf.entry.as_deref().map(file_path)),
            frozen_lock: self.frozen_lock || env.contains_key("PERRY_LOCK_FROZEN"),
            allow_all_native: std::env::var("PERRY_ALLOW_PERRY_FEATURES").is_ok_and(|v| v == "1"),
            strict_manifests: self.strict_manifests,
            strict_symbols: self.strict_symbols,
            offline: self.offline,
            gate: !self.no_gate,
            env: env.clone(),
            project_file,
            replay,
            layout,
        })
    }

    /// `-O` level and LTO: the command line, else ninjabind.toml; LTO thin from -O2 up unless asked.
    fn optimisation(&self, pf: &ProjectFile) -> Result<(u8, Lto)> {
        let opt_level = match (self.opt_level, self.release) {
            (Some(n), _) => n,
            (None, true) => 3,
            (None, false) => pf.opt_level.as_ref().map_or(0, |o| *o.get_ref()),
        };
        let lto = match (self.lto, pf.lto.as_deref()) {
            (Some(l), _) => l,
            (None, Some(s)) => Lto::from_str(s, true).map_err(|_| {
                Diagnostic::error(format!("ninjabind.toml: `lto` must be off, thin or full, not `{s}`")).into_err()
            })?,
            (None, None) if opt_level >= 2 => Lto::Thin,
            (None, None) => Lto::Off,
        };
        Ok((opt_level, lto))
    }

    /// The feature list and where it came from: `--features`, `VEX_NATIVE_FEATURES`, `VEX_DB_FEATURES`, ninjabind.toml.
    fn selection(&self, env: &BTreeMap<String, String>, pf: &ProjectFile) -> Selection {
        // checked at load: a string or an array of strings
        let toml_features = match pf.features.as_ref().map(toml::Spanned::get_ref) {
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Array(a)) => Some(a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(",")),
            _ => None,
        };
        let list = if let Some(f) = &self.features {
            Some((f.as_str(), "--features"))
        } else if let Some(f) = env.get("VEX_NATIVE_FEATURES") {
            Some((f.as_str(), "VEX_NATIVE_FEATURES"))
        } else if let Some(f) = env.get("VEX_DB_FEATURES") {
            Some((f.as_str(), "VEX_DB_FEATURES"))
        } else {
            toml_features.as_deref().map(|f| (f, "ninjabind.toml"))
        };
        Selection::parse(list, self.all_features)
    }

    /// The host's perry-ffi version: `--ffi-version`, `PERRY_FFI_VERSION`, ninjabind.toml, else 0.5.0.
    fn ffi_version(&self, env: &BTreeMap<String, String>, pf: &ProjectFile) -> Result<semver::Version> {
        let ffi = self.ffi_version.clone().or_else(|| env.get("PERRY_FFI_VERSION").cloned()).or(pf.ffi_version.clone());
        match ffi {
            Some(v) => semver::Version::parse(v.trim()).map_err(|e| {
                Diagnostic::error(format!("the host's perry-ffi version `{v}` is not a semver version: {e}")).into_err()
            }),
            None => Ok(semver::Version::new(0, 5, 0)),
        }
    }
}
