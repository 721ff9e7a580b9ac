//! `gen`'s command-line arguments: their replay into build.ninja, and their merge over the recorded ones.

use super::{read_env, ENV_READ};
use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::layout::{current_dir, normalize, Layout};
use crate::protocol::cache::Mode as CacheMode;
use crate::protocol::header;
use camino::{Utf8Path, Utf8PathBuf};
use clap::ValueEnum;
use std::collections::BTreeMap;

/// The options to generate with and the environment they were recorded with. The `cc` and `pkg-config` crates read
/// the process environment themselves: `main.rs` applies `env` and `unset` to it before the stages run (the library
/// never changes the process environment).
#[derive(Debug, Clone)]
pub struct Effective {
    pub args: GenArgs,
    /// The values of [`ENV_READ`] to generate with: the recorded ones when build.ninja has them.
    pub env: BTreeMap<String, String>,
    /// Variables set in the shell but not recorded: unset for this run.
    pub unset: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lto {
    Off,
    Thin,
    Full,
}

/// Which linker the link edge asks the compiler driver for (`-fuse-ld=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Linker {
    /// mold, else lld, else the compiler's default: the first the compiler can use.
    #[default]
    Auto,
    Mold,
    Lld,
    /// The compiler's own default (GNU ld on Debian).
    Default,
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
    /// The build folder OUT, out of the project: gen writes build.ninja and every output there (then `ninja -C
    /// OUT`); explain and graph describe the build gen wrote there.
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
    /// The program's linker (default auto: mold, else lld, else the compiler's own, the first it can use).
    #[arg(long, value_enum)]
    pub linker: Option<Linker>,
    /// A shared cache of every edge's outputs (env NINJABIND_CACHE): `file:/PATH`, a folder. Turning it on or off
    /// rebuilds nothing.
    #[arg(long, value_name = "URL")]
    pub cache: Option<String>,
    /// What the build does with the cache: read (pull requests), write, readwrite (default).
    #[arg(long, value_enum)]
    pub cache_mode: Option<CacheMode>,
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
    /// The Perry compiler (env PERRY; default: the nearest node_modules/.bin/perry or
    /// node_modules/@perryts/perry-<os>-<arch>/bin/perry, then PATH).
    #[arg(long, value_name = "PATH")]
    pub perry: Option<Utf8PathBuf>,
    /// The Vex compiler (env VEX; default: `vex` on PATH); its stdlib is the `vex-libs/std` beside it unless
    /// --stdlib or VEX_STDLIB names one.
    #[arg(long, value_name = "PATH")]
    pub vex: Option<Utf8PathBuf>,
    /// Fail on a prebuilt archive perry.lock has no entry for, not only on a changed one (env PERRY_LOCK_FROZEN).
    #[arg(long)]
    pub frozen_lock: bool,
    /// The program's entry module for Perry, as `perry compile ENTRY` takes it (default: `perry.entry` or `main` in
    /// package.json, else src/main.ts); a folder with the entry and no package.json is a project of its own.
    #[arg(value_name = "ENTRY", conflicts_with = "entry")]
    pub entry_file: Option<Utf8PathBuf>,
    /// The entry module, as an option (`gen ENTRY` says the same).
    #[arg(long, value_name = "FILE")]
    pub entry: Option<Utf8PathBuf>,
    /// Unknown manifest keys are errors, not warnings.
    #[arg(long)]
    pub strict_manifests: bool,
    /// Undeclared exported `js_*` symbols are errors, not warnings.
    #[arg(long)]
    pub strict_symbols: bool,
    /// Pass --offline to cargo.
    #[arg(long)]
    pub offline: bool,
    /// Forget the options recorded in an existing build.ninja, read every source again (not build/scan.cache), and
    /// probe the compilers again (not the answers kept in ~/.cache/ninjabind/probes).
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

impl GenArgs {
    /// The graph-shaping options as words for the regeneration edge, paths relative to the ninja file's folder.
    pub(super) fn replay_words(&self, layout: &Layout) -> Vec<String> {
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
        opt("linker", self.linker.and_then(|l| l.to_possible_value()).map(|v| v.get_name().to_string()));
        opt("cache", self.cache.clone());
        opt("cache-mode", self.cache_mode.map(|m| m.name().to_string()));
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
        opt("perry", self.perry.as_deref().map(rel));
        opt("vex", self.vex.as_deref().map(rel));
        opt("entry", self.entry.as_deref().map(rel));
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
            (self.frozen_lock, "--frozen-lock"),
        ] {
            if on {
                w.push(flag.to_string());
            }
        }
        w
    }
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
    pub fn effective(&self, diags: &mut Diagnostics) -> Effective {
        let env = read_env();
        let unchanged = |args: GenArgs| Effective { args, env: env.clone(), unset: vec![] };
        // `gen ENTRY` is `--entry ENTRY`, replayed as that
        let given = GenArgs { entry_file: None, entry: self.entry.clone().or(self.entry_file.clone()), ..self.clone() };
        if self.fresh {
            return unchanged(given);
        }
        let Some((recorded, recorded_env)) = given.recorded() else { return unchanged(given) };
        let ignored: Vec<String> =
            env.iter().filter(|(k, v)| recorded_env.get(*k) != Some(*v)).map(|(k, v)| format!("{k}={v}")).collect();
        if !ignored.is_empty() {
            diags.push(Diagnostic::note(format!(
                "the environment recorded in build.ninja is kept: {} not used (`ninjabind gen --fresh` starts over)",
                ignored.join(" ")
            )));
        }
        let unset = env.keys().filter(|k| !recorded_env.contains_key(*k)).cloned().collect();
        Effective { args: given.over(recorded), env: recorded_env, unset }
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
            linker: self.linker.or(r.linker),
            cache: self.cache.clone().or(r.cache),
            cache_mode: self.cache_mode.or(r.cache_mode),
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
            perry: self.perry.clone().or(r.perry),
            vex: self.vex.clone().or(r.vex),
            entry_file: None,
            entry: self.entry.clone().or(r.entry),
            strict_manifests: self.strict_manifests || r.strict_manifests,
            strict_symbols: self.strict_symbols || r.strict_symbols,
            offline: self.offline || r.offline,
            fresh: false,
            no_gate: self.no_gate || r.no_gate,
            frozen_lock: self.frozen_lock || r.frozen_lock,
            quiet: self.quiet,
            verbose: self.verbose,
            progress: self.progress,
        }
    }

    /// The options and environment recorded in an existing build.ninja, paths made absolute against its folder.
    fn recorded(&self) -> Option<(GenArgs, BTreeMap<String, String>)> {
        let cwd = current_dir().ok()?;
        let ninja_dir = match &self.build_dir {
            Some(b) => normalize(&cwd.join(b)),
            None => normalize(&cwd.join(&self.dir)),
        };
        let text = std::fs::read_to_string(ninja_dir.join("build.ninja")).ok()?;
        let recorded = header::parse(&text)?;
        let mut args = <Recorded as clap::Parser>::try_parse_from(recorded.options).ok()?.args;
        let abs = |p: &Utf8Path| normalize(&ninja_dir.join(p));
        args.dir = abs(&args.dir);
        args.build_dir = args.build_dir.as_deref().map(abs);
        args.well_known = args.well_known.as_deref().map(abs);
        args.bindings_root = args.bindings_root.as_deref().map(abs);
        args.stdlib = args.stdlib.iter().map(|p| abs(p)).collect();
        args.host_object = args.host_object.iter().map(|p| abs(p)).collect();
        args.perry = args.perry.as_deref().map(abs);
        args.vex = args.vex.as_deref().map(abs);
        args.entry = args.entry.as_deref().map(abs);
        let env = recorded.env.into_iter().filter(|(k, _)| ENV_READ.contains(&k.as_str())).collect();
        Some((args, env))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Options that shape no graph, so build.ninja does not replay them (`--release` is replayed as `--opt-level=3`).
    const NOT_REPLAYED: &[&str] = &["directory", "build-dir", "release", "fresh", "quiet", "verbose", "progress"];
    // (the positional ENTRY has no long name: it is replayed as `--entry`)

    /// Every option of `gen`, set to a value that is not its default, as words on a command line.
    fn every_option(project: &Utf8Path) -> Vec<String> {
        let mut words = vec!["-C".to_string(), project.to_string(), "-B".to_string(), project.join("out").to_string()];
        for a in Recorded::command().get_arguments() {
            let Some(long) = a.get_long() else { continue };
            if ["directory", "build-dir", "help", "quiet"].contains(&long) {
                continue;
            }
            let value = match (a.get_possible_values().as_slice(), a.get_value_names()) {
                _ if !a.get_action().takes_values() => None,
                ([_, second, ..], _) => Some(second.get_name().to_string()),
                (_, Some(names)) if names[0] == "N" => Some("2".to_string()),
                (_, Some(names)) if names[0] == "SEMVER" => Some("0.6.1".to_string()),
                (_, Some(names)) if ["DIR", "FILE", "PATH"].contains(&names[0].as_str()) => {
                    Some(project.join(format!("{long}-value")).to_string())
                }
                _ => Some(format!("{long}-value")),
            };
            words.push(format!("--{long}"));
            words.extend(value);
        }
        words
    }

    #[test]
    fn every_option_that_shapes_the_graph_survives_a_regeneration() {
        let project = current_dir().unwrap();
        let given = <Recorded as clap::Parser>::try_parse_from(every_option(&project)).unwrap().args;
        let layout = Layout::new(&given.dir, given.build_dir.as_deref()).unwrap();
        let replay = given.replay_words(&layout);
        for a in Recorded::command().get_arguments() {
            let Some(long) = a.get_long().filter(|l| *l != "help" && !NOT_REPLAYED.contains(l)) else { continue };
            let flag = format!("--{long}");
            assert!(
                replay.iter().any(|w| *w == flag || w.starts_with(&format!("{flag}="))),
                "`{flag}` is not replayed into build.ninja: {replay:?}"
            );
        }
        // read back as `recorded` reads it (paths against the ninja file's folder), then merged under a bare `gen`
        let mut back = <Recorded as clap::Parser>::try_parse_from(&replay).unwrap().args;
        let abs = |p: &Utf8Path| normalize(&layout.ninja_dir.join(p));
        back.dir = abs(&back.dir);
        back.build_dir = back.build_dir.as_deref().map(abs);
        back.well_known = back.well_known.as_deref().map(abs);
        back.bindings_root = back.bindings_root.as_deref().map(abs);
        back.stdlib = back.stdlib.iter().map(|p| abs(p)).collect();
        back.host_object = back.host_object.iter().map(|p| abs(p)).collect();
        back.perry = back.perry.as_deref().map(abs);
        back.vex = back.vex.as_deref().map(abs);
        back.entry = back.entry.as_deref().map(abs);
        let merged = GenArgs::default().over(back);
        assert_eq!(merged.replay_words(&layout), replay, "an option is lost when a bare `gen` merges over it");
        for (k, v) in [("opt-level", "2"), ("lto", "thin"), ("local-jobs", "2")] {
            assert!(replay.contains(&format!("--{k}={v}")), "--{k} replays its value: {replay:?}");
        }
    }
}
