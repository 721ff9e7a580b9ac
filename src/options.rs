//! Gen options: the command line, then the environment, then `ninjabind.toml`, then defaults — and their replay.

use crate::base::diag::{Diagnostic, Span};
use crate::base::layout::{normalize, Layout};
use crate::select::features::Selection;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use clap::ValueEnum;
use std::collections::BTreeMap;

/// Every environment variable gen reads; those set are recorded and replayed, the rest unset on replay.
pub const ENV_READ: &[&str] = &[
    "AR",
    "CARGO",
    "CC",
    "CFLAGS",
    "CXX",
    "CXXFLAGS",
    "LDFLAGS",
    "NM",
    "PERRY_BINDINGS_ROOT",
    "PERRY_FFI_VERSION",
    "PKG_CONFIG",
    "PKG_CONFIG_PATH",
    "RUSTC",
    "RUSTFLAGS",
    "VEX_DB_FEATURES",
    "VEX_NATIVE_FEATURES",
    "VEX_STDLIB",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lto {
    Off,
    Thin,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Progress {
    #[default]
    Auto,
    Always,
    Never,
}

/// The options `gen` and `explain` share (SPEC §1).
#[derive(clap::Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct GenArgs {
    /// The project folder.
    #[arg(short = 'C', long = "directory", value_name = "DIR", default_value = ".")]
    pub dir: Utf8PathBuf,
    /// Write build.ninja and every output into OUT instead of the project (then run `ninja -C OUT`).
    #[arg(short = 'B', long = "build-dir", value_name = "OUT")]
    pub build_dir: Option<Utf8PathBuf>,
    /// Optimise (-O3).
    #[arg(long)]
    pub release: bool,
    /// C optimisation level, 0 to 3 (default 0; --release means 3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub opt_level: Option<u8>,
    /// Link-time optimisation of C objects (default: thin at -O2 and above).
    #[arg(long, value_enum)]
    pub lto: Option<Lto>,
    /// Comma-separated features: `feat` for every package declaring it, `pkg/feat` for one.
    #[arg(long, value_name = "LIST")]
    pub features: Option<String>,
    /// Activate every feature of every package.
    #[arg(long)]
    pub all_features: bool,
    /// Target triple (default: the host).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// The host compiler's perry-ffi version (env PERRY_FFI_VERSION; default 0.5.0).
    #[arg(long, value_name = "SEMVER")]
    pub ffi_version: Option<String>,
    /// A well-known bindings table replacing the bundled one.
    #[arg(long, value_name = "FILE")]
    pub well_known: Option<Utf8PathBuf>,
    /// Where well-known crates live (env PERRY_BINDINGS_ROOT).
    #[arg(long, value_name = "DIR")]
    pub bindings_root: Option<Utf8PathBuf>,
    /// A Vex stdlib root (repeatable; env VEX_STDLIB, `:`-separated).
    #[arg(long, value_name = "DIR")]
    pub stdlib: Vec<Utf8PathBuf>,
    /// An object or archive from the host compiler to join the link (repeatable).
    #[arg(long, value_name = "PATH")]
    pub host_object: Vec<Utf8PathBuf>,
    /// The program's name (default: the root package's name).
    #[arg(long, value_name = "NAME")]
    pub output: Option<String>,
    /// Prefix for C compile commands: ccache, sccache, distcc, icecc.
    #[arg(long, value_name = "CMD")]
    pub launcher: Option<String>,
    /// RUSTC_WRAPPER for cargo edges (sccache).
    #[arg(long, value_name = "CMD")]
    pub rustc_wrapper: Option<String>,
    /// Depth of the cargo pool (default 1).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub cargo_jobs: Option<usize>,
    /// Depth of the link pool.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub link_jobs: Option<usize>,
    /// Depth of the `local` pool for edges that never leave the machine (symbol checks, scan; the link
    /// without --link-jobs), so `ninja -j 64` with a distributing launcher stays bounded (default: cores).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub local_jobs: Option<usize>,
    /// The `nm` used by symbol checks (env NM).
    #[arg(long, value_name = "PATH")]
    pub nm: Option<String>,
    /// Unknown manifest keys are errors, not warnings.
    #[arg(long)]
    pub strict_manifests: bool,
    /// Undeclared exported `js_*` symbols are errors, not warnings.
    #[arg(long)]
    pub strict_symbols: bool,
    /// Pass --offline to cargo.
    #[arg(long)]
    pub offline: bool,
    /// Forget the options recorded in an existing build.ninja, and read every source again (not build/scan.cache).
    #[arg(long)]
    pub fresh: bool,
    /// Emit edges without the content-hash gate (for benchmarks comparing the two).
    #[arg(long, hide = true)]
    pub no_gate: bool,
    /// Print errors only.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say what was written.
    #[arg(short, long)]
    pub verbose: bool,
    /// Progress bar on a terminal.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
}

/// Resolved settings every stage reads; paths absolute.
#[derive(Debug, Clone)]
pub struct Settings {
    pub layout: Layout,
    pub opt_level: u8,
    pub lto: Lto,
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
    pub strict_manifests: bool,
    pub strict_symbols: bool,
    pub offline: bool,
    pub gate: bool,
    /// The environment variables of [`ENV_READ`] that were set.
    pub env: BTreeMap<String, String>,
    /// `ninjabind.toml`, when the project has one.
    pub project_file: Option<Utf8PathBuf>,
    /// The command-line words that shaped the graph, paths relative to the ninja file's folder.
    pub replay: Vec<String>,
}

/// A command in ninjabind.toml: one string (split like a shell would) or a list of words.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
enum Words {
    One(String),
    Many(Vec<String>),
}

impl Words {
    fn words(&self) -> Vec<String> {
        match self {
            Words::One(s) => crate::base::escape::split_shell_words(s),
            Words::Many(v) => v.clone(),
        }
    }
}

/// Whether `program` can run: itself when it names a path, else from a PATH folder.
fn runnable(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &Utf8Path| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.contains('/') {
        return is_exe(Utf8Path::new(program));
    }
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|d| is_exe(&Utf8Path::new(d).join(program)))
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

/// `ninjabind.toml`: keys named like the long options, paths relative to the file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ProjectFile {
    bindings_root: Option<Utf8PathBuf>,
    well_known: Option<Utf8PathBuf>,
    stdlib: Option<Vec<Utf8PathBuf>>,
    features: Option<toml::Spanned<toml::Value>>,
    ffi_version: Option<String>,
    host_object: Option<Vec<Utf8PathBuf>>,
    launcher: Option<Words>,
    rustc_wrapper: Option<String>,
    output: Option<String>,
    opt_level: Option<toml::Spanned<u8>>,
    lto: Option<String>,
    target: Option<String>,
    cargo_jobs: Option<toml::Spanned<usize>>,
    link_jobs: Option<toml::Spanned<usize>>,
    local_jobs: Option<toml::Spanned<usize>>,
    nm: Option<String>,
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
            Some(l) => crate::base::escape::split_shell_words(l),
            None => pf.launcher.as_ref().map(Words::words).unwrap_or_default(),
        };
        check_program("launcher", &launcher)?;
        let rustc_wrapper = self.rustc_wrapper.clone().or(pf.rustc_wrapper.clone());
        check_program("rustc-wrapper", rustc_wrapper.as_slice())?;
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
        let selection = Selection::parse(list, self.all_features);

        let ffi = self.ffi_version.clone().or_else(|| env.get("PERRY_FFI_VERSION").cloned()).or(pf.ffi_version.clone());
        let ffi_version = match ffi {
            Some(v) => semver::Version::parse(v.trim()).map_err(|e| {
                Diagnostic::error(format!("the host's perry-ffi version `{v}` is not a semver version: {e}")).into_err()
            })?,
            None => semver::Version::new(0, 5, 0),
        };
        let stdlib: Vec<Utf8PathBuf> = if !self.stdlib.is_empty() {
            self.stdlib.iter().map(|p| cli_path(p)).collect()
        } else if let Some(v) = env.get("VEX_STDLIB") {
            v.split(':').filter(|s| !s.is_empty()).map(|s| normalize(&cwd.join(s))).collect()
        } else {
            pf.stdlib.iter().flatten().map(|p| file_path(p)).collect()
        };
        let host_objects = if !self.host_object.is_empty() {
            self.host_object.iter().map(|p| cli_path(p)).collect()
        } else {
            pf.host_object.iter().flatten().map(|p| file_path(p)).collect()
        };

        let replay = self.replay_words(&layout);
        Ok(Settings {
            opt_level,
            lto,
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

    /// The graph-shaping options as words for the regeneration edge, paths relative to the ninja file's folder.
    fn replay_words(&self, layout: &Layout) -> Vec<String> {
        let rel = |p: &Utf8Path| layout.rel(&normalize(&layout.cwd.join(p))).to_string();
        let mut w = vec!["-C".to_string(), layout.rel(&layout.project).to_string()];
        if self.build_dir.is_some() {
            w.extend(["-B".to_string(), ".".to_string()]);
        }
        let mut opt = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                w.push(format!("--{flag}={v}"));
            }
        };
        opt("opt-level", self.opt_level.map(|n| n.to_string()).or(self.release.then(|| "3".to_string())));
        opt("lto", self.lto.and_then(|l| l.to_possible_value()).map(|v| v.get_name().to_string()));
        opt("features", self.features.clone());
        opt("target", self.target.clone());
        opt("ffi-version", self.ffi_version.clone());
        opt("well-known", self.well_known.as_deref().map(rel));
        opt("bindings-root", self.bindings_root.as_deref().map(rel));
        opt("output", self.output.clone());
        opt("launcher", self.launcher.clone());
        opt("rustc-wrapper", self.rustc_wrapper.clone());
        opt("cargo-jobs", self.cargo_jobs.map(|n| n.to_string()));
        opt("link-jobs", self.link_jobs.map(|n| n.to_string()));
        opt("local-jobs", self.local_jobs.map(|n| n.to_string()));
        opt("nm", self.nm.clone());
        for s in &self.stdlib {
            w.push(format!("--stdlib={}", rel(s)));
        }
        for h in &self.host_object {
            w.push(format!("--host-object={}", rel(h)));
        }
        for (on, flag) in [
            (self.all_features, "--all-features"),
            (self.strict_manifests, "--strict-manifests"),
            (self.strict_symbols, "--strict-symbols"),
            (self.offline, "--offline"),
            (self.no_gate, "--no-gate"),
        ] {
            if on {
                w.push(flag.to_string());
            }
        }
        w
    }
}

/// The current values of [`ENV_READ`].
pub fn read_env() -> BTreeMap<String, String> {
    ENV_READ.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect()
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

fn read_project_file(layout: &Layout) -> Result<(ProjectFile, Option<Utf8PathBuf>)> {
    let path = layout.project.join("ninjabind.toml");
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok((ProjectFile::default(), None));
    }
    let display = layout.display(&path);
    let text =
        crate::base::files::read_regular_text(&path, 1 << 20).with_context(|| format!("cannot read {display}"))?;
    Ok((parse_project_file(&text, &display)?, Some(path)))
}

/// `gen` alone, for parsing recorded options back.
#[derive(clap::Parser, Debug)]
#[command(no_binary_name = true)]
struct Recorded {
    #[command(flatten)]
    args: GenArgs,
}

impl GenArgs {
    /// The options and environment to generate with. Like meson and cmake, an existing build.ninja's recorded
    /// options are kept and the ones given now merge over them (a list given now replaces the recorded list); its
    /// recorded environment is kept, and a shell value that differs gets a note that it was not used.
    pub fn effective(&self, diags: &mut crate::base::diag::Diagnostics) -> (GenArgs, BTreeMap<String, String>) {
        let mut env = read_env();
        if self.fresh {
            return (self.clone(), env);
        }
        let Some((recorded, recorded_env)) = self.recorded() else { return (self.clone(), env) };
        let ignored: Vec<String> =
            env.iter().filter(|(k, v)| recorded_env.get(*k) != Some(*v)).map(|(k, v)| format!("{k}={v}")).collect();
        if !ignored.is_empty() {
            diags.push(Diagnostic::note(format!(
                "the environment recorded in build.ninja is kept: {} not used (`ninjabind gen --fresh` starts over)",
                ignored.join(" ")
            )));
        }
        for k in env.keys().filter(|k| !recorded_env.contains_key(*k)) {
            // the cc and pkg-config crates read the process environment themselves
            std::env::remove_var(k);
        }
        for (k, v) in &recorded_env {
            std::env::set_var(k, v);
        }
        env = recorded_env;
        (self.over(recorded), env)
    }

    /// These options merged over recorded ones: what is given now wins, the rest is kept.
    fn over(&self, r: GenArgs) -> GenArgs {
        let list = |now: &Vec<Utf8PathBuf>, then: Vec<Utf8PathBuf>| if now.is_empty() { then } else { now.clone() };
        GenArgs {
            dir: r.dir,
            build_dir: r.build_dir,
            release: false,
            opt_level: self.opt_level.or(self.release.then_some(3)).or(r.opt_level),
            lto: self.lto.or(r.lto),
            features: self.features.clone().or(r.features),
            all_features: self.all_features || r.all_features,
            target: self.target.clone().or(r.target),
            ffi_version: self.ffi_version.clone().or(r.ffi_version),
            well_known: self.well_known.clone().or(r.well_known),
            bindings_root: self.bindings_root.clone().or(r.bindings_root),
            stdlib: list(&self.stdlib, r.stdlib),
            host_object: list(&self.host_object, r.host_object),
            output: self.output.clone().or(r.output),
            launcher: self.launcher.clone().or(r.launcher),
            rustc_wrapper: self.rustc_wrapper.clone().or(r.rustc_wrapper),
            cargo_jobs: self.cargo_jobs.or(r.cargo_jobs),
            link_jobs: self.link_jobs.or(r.link_jobs),
            local_jobs: self.local_jobs.or(r.local_jobs),
            nm: self.nm.clone().or(r.nm),
            strict_manifests: self.strict_manifests || r.strict_manifests,
            strict_symbols: self.strict_symbols || r.strict_symbols,
            offline: self.offline || r.offline,
            fresh: false,
            no_gate: self.no_gate || r.no_gate,
            quiet: self.quiet,
            verbose: self.verbose,
            progress: self.progress,
        }
    }

    /// The options and environment recorded in an existing build.ninja, paths made absolute against its folder.
    fn recorded(&self) -> Option<(GenArgs, BTreeMap<String, String>)> {
        let cwd = crate::base::layout::current_dir().ok()?;
        let ninja_dir = match &self.build_dir {
            Some(b) => normalize(&cwd.join(b)),
            None => normalize(&cwd.join(&self.dir)),
        };
        let text = std::fs::read_to_string(ninja_dir.join("build.ninja")).ok()?;
        let header: Vec<&str> =
            text.lines().take_while(|l| l.starts_with('#') || l.starts_with("ninja_required")).collect();
        if !header.iter().any(|l| l.starts_with("# generated by ninjabind")) {
            return None;
        }
        let words = crate::base::escape::split_shell_words(header.iter().find_map(|l| l.strip_prefix("# options: "))?);
        let mut args = <Recorded as clap::Parser>::try_parse_from(words).ok()?.args;
        let abs = |p: &Utf8Path| normalize(&ninja_dir.join(p));
        args.dir = abs(&args.dir);
        args.build_dir = args.build_dir.as_deref().map(abs);
        args.well_known = args.well_known.as_deref().map(abs);
        args.bindings_root = args.bindings_root.as_deref().map(abs);
        args.stdlib = args.stdlib.iter().map(|p| abs(p)).collect();
        args.host_object = args.host_object.iter().map(|p| abs(p)).collect();
        let env_line = header.iter().find_map(|l| l.strip_prefix("# env: ")).unwrap_or("");
        let env = crate::base::escape::split_shell_words(env_line)
            .into_iter()
            .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .filter(|(k, _)| ENV_READ.contains(&k.as_str()))
            .collect();
        Some((args, env))
    }
}
