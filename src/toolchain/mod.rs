//! The tools the graph calls: the C/C++ drivers from the `cc` crate, nm, cargo, and the target triple.

pub mod probe_memo;
pub mod vex;

use crate::base::diag::Diagnostic;
use crate::base::files::{is_executable, on_path, runnable};
use crate::base::layout;
use crate::base::process::{output_within, probe_limit, ProbeError};
use crate::base::target::{host_triple, is_apple};
use crate::base::write;
use crate::options::{Linker, Lto, Settings};
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use probe_memo::{Memo, Probed};

#[derive(Debug, Clone)]
pub struct Toolchain {
    pub target: String,
    /// The C compiler and the `cc` crate's flags for this target (CFLAGS included).
    pub cc: Vec<String>,
    /// The C++ compiler and its flags (CXXFLAGS included).
    pub cxx: Vec<String>,
    pub cc_is_clang: bool,
    /// LDFLAGS, which the `cc` crate does not read.
    pub ldflags: Vec<String>,
    /// Flags for C objects and the link when LTO is on, and why.
    pub lto_flags: Vec<String>,
    pub lto_reason: String,
    /// The nm for symbol checks: `--nm`/`NM`, else the compiler's own (`gcc-nm`/`llvm-nm`) under LTO.
    pub nm: String,
    /// The nm for Rust archives: `--nm`/`NM`, else binutils `nm` (an older `llvm-nm` cannot read rustc's newer bitcode).
    pub archive_nm: String,
    /// The Perry compiler, searched for Perry projects only.
    pub perry: PerrySearch,
    /// The Vex compiler, searched for Vex projects only.
    pub vex: vex::VexSearch,
    /// What the C compiler says of itself (`cc --version`): part of the compile and link edges' keys.
    pub cc_identity: String,
    /// The link's `-fuse-ld=…` (mold or lld), when one is used; part of its response file, so of its key.
    pub linker_flag: Option<String>,
    /// Which linker, and why (for `explain`).
    pub linker_reason: String,
    /// Said once at gen: the linker asked for cannot be used, the default is.
    pub linker_warning: Option<String>,
}

/// Whether `driver` reaches the linker `ld` with `-fuse-ld=<ld>` (gcc 12 and clang know mold and lld; an older gcc
/// refuses mold): `driver -fuse-ld=<ld> -Wl,--version` runs that linker, which names itself (`mold 1.10.1`,
/// `Debian LLD 14.0.6`). 3 ms, where linking a one-line program took 40–80 ms of every gen (2,101 sources: cold gen
/// 0.039 → 0.086 s).
fn driver_links_with(driver: &[String], ld: &str) -> bool {
    let mut cmd = std::process::Command::new(&driver[0]);
    cmd.args(&driver[1..]).arg(format!("-fuse-ld={ld}")).arg("-Wl,--version");
    output_within(&mut cmd, probe_limit()).is_ok_and(|o| {
        let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        o.status.success() && said.to_ascii_lowercase().contains(ld)
    })
}

/// The newest LLVM's `tool` installed in Debian's folders (`/usr/lib/llvm-N/bin/<tool>`, highest N).
pub fn newest_llvm_tool(tool: &str) -> Option<Utf8PathBuf> {
    let mut installed: Vec<(u32, Utf8PathBuf)> = Utf8Path::new("/usr/lib")
        .read_dir_utf8()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|d| {
            let n: u32 = d.file_name().strip_prefix("llvm-")?.parse().ok()?;
            Some((n, d.path().join("bin").join(tool)))
        })
        .filter(|(_, t)| is_executable(t))
        .collect();
    installed.sort();
    installed.pop().map(|(_, t)| t)
}

/// The link's linker (SPEC §6.4's `--linker`): `auto` takes mold, then lld, the first the driver links with; one
/// named must be installed (an error with the install hint), and one the driver cannot use is said once and the
/// default used. Cross links keep the driver's default.
fn choose_linker(linker: Linker, driver: &[String], cross: bool) -> Result<(Option<String>, String, Option<String>)> {
    let candidates: &[(&str, &[&str])] = match linker {
        Linker::Default => return Ok((None, "default: the compiler's own (--linker default)".into(), None)),
        Linker::Auto => &[("mold", &["mold", "ld.mold"]), ("lld", &["ld.lld"])],
        Linker::Mold => &[("mold", &["mold", "ld.mold"])],
        Linker::Lld => &[("lld", &["ld.lld"])],
    };
    if cross && linker == Linker::Auto {
        return Ok((None, "default: the compiler's own (auto keeps it for a cross link)".into(), None));
    }
    let mut refused = Vec::new();
    for (ld, names) in candidates {
        let Some(found) = names.iter().find_map(|n| on_path(n)) else {
            if linker != Linker::Auto {
                return Err(Diagnostic::error(format!(
                    "--linker {ld}: {ld} is not installed (no {} on PATH)",
                    names.join(" or ")
                ))
                .with_help(format!(
                    "install it (`sudo apt-get install {ld}` on Debian and Ubuntu), or use --linker auto"
                ))
                .into_err());
            }
            continue;
        };
        if driver_links_with(driver, ld) {
            let how = if linker == Linker::Auto { "auto: the first of mold, lld installed" } else { "--linker" };
            return Ok((Some(format!("-fuse-ld={ld}")), format!("{ld} ({found}; {how})"), None));
        }
        refused.push(format!("{} cannot link with -fuse-ld={ld} ({found})", driver[0]));
    }
    let warning = (linker != Linker::Auto && !refused.is_empty())
        .then(|| format!("{}: the link uses the compiler's default linker", refused.join("; ")));
    let why = if refused.is_empty() { "no mold or lld installed".to_string() } else { refused.join("; ") };
    Ok((None, format!("default: the compiler's own ({why})"), warning))
}

/// What a tool says of itself (`cc --version`, `rustc -vV`): part of a content key, so a new compiler rebuilds.
pub fn identity(argv0: &str, flag: &str) -> String {
    // bounded like every probe: a tool that never answers is "unavailable", and its edges fail when they run it
    output_within(std::process::Command::new(argv0).arg(flag), probe_limit())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|e| format!("{argv0}: unavailable ({e})"))
}

/// `s` with its control characters escaped (`\u{1b}`), so a tool's answer printed or written never moves a cursor
/// or ends a line.
fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// The C (or C++) driver and the `cc` crate's flags for `target`, and whether it is clang.
pub fn compiler(cpp: bool, target: &str, host: &str, opt_level: u8) -> Result<(Vec<String>, bool)> {
    let t = cc::Build::new()
        .cpp(cpp)
        .target(target)
        .host(host)
        .opt_level(opt_level.into())
        .debug(false)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .try_get_compiler()
        .with_context(|| format!("cannot find a {} compiler for {target}", if cpp { "C++" } else { "C" }))?;
    let mut argv = vec![t.path().to_string_lossy().into_owned()];
    argv.extend(t.args().iter().map(|a| a.to_string_lossy().into_owned()));
    Ok((argv, t.is_like_clang()))
}

/// What probing the compilers finds: the C and C++ drivers with the `cc` crate's flags for the target, whether the
/// C driver is clang, and what it says of itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Compilers {
    pub cc: Vec<String>,
    pub cc_is_clang: bool,
    pub cxx: Vec<String>,
    pub cc_identity: String,
}

/// The internal command that probes the compilers in a process of its own: `ninjabind __probe-compilers TARGET HOST
/// OPT_LEVEL` prints [`Compilers`] as JSON (see [`probe_apart`]).
pub const PROBE_COMMAND: &str = "__probe-compilers";

/// Whether this program answers [`PROBE_COMMAND`] (the `ninjabind` binary says so at its start); not, as for a
/// library user, the compilers are probed in this process.
static PROBE_IN_CHILD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes gen probe the compilers through `<this program> PROBE_COMMAND …` (found only when gen probes: the gate,
/// run 20,000 times a build, never asks where it is).
pub fn probe_in_child() {
    PROBE_IN_CHILD.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Probes the C and C++ drivers for `target` at once (each probe runs the compiler twice), and `cc --version` beside
/// the C++ probe: a cold gen waited for five compiler runs one after another.
pub fn probe_compilers(target: &str, host: &str, opt_level: u8) -> Result<Compilers> {
    let (c, cpp) = std::thread::scope(|sc| {
        let cpp = sc.spawn(|| compiler(true, target, host, opt_level));
        let c = compiler(false, target, host, opt_level).map(|(cc, clang)| (identity(&cc[0], "--version"), cc, clang));
        (c, cpp.join())
    });
    let (cc_identity, cc, cc_is_clang) = c?;
    let (cxx, _) = cpp.map_err(|_| anyhow::anyhow!("the C++ compiler probe panicked"))??;
    Ok(Compilers { cc, cc_is_clang, cxx, cc_identity })
}

/// [`PROBE_COMMAND`]'s side: `args` are TARGET HOST OPT_LEVEL; prints the JSON, or the error on stderr (exit 1).
pub fn probe_main(args: &[String]) -> i32 {
    let answer = match args {
        [target, host, opt] => opt
            .parse()
            .map_err(|_| anyhow::anyhow!("{PROBE_COMMAND}: `{opt}` is not an optimisation level"))
            .and_then(|opt| probe_compilers(target, host, opt))
            .and_then(|c| Ok(serde_json::to_string(&c)?)),
        _ => Err(anyhow::anyhow!("usage: ninjabind {PROBE_COMMAND} TARGET HOST OPT_LEVEL")),
    };
    match answer {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

/// [`probe_compilers`] in a child process when this program answers [`PROBE_COMMAND`], else here. The `cc` crate
/// starts its probes with `fork()`: in gen — 20 MiB and four threads by then at 21,000 sources — each of its four
/// forks copied the page tables and write-protected every page, and gen's next write to each faulted (a cold gen
/// with the probes run before anything else took 1,500 faults and 50 ms of CPU less). The child is small and alone;
/// gen starts it with `posix_spawn`, which shares the memory until the child's exec. A child that cannot be started
/// leaves the probes to this process.
fn probe_apart(target: &str, host: &str, opt_level: u8) -> Result<Compilers> {
    if !PROBE_IN_CHILD.load(std::sync::atomic::Ordering::Relaxed) {
        return probe_compilers(target, host, opt_level);
    }
    let Ok(exe) = std::env::current_exe() else { return probe_compilers(target, host, opt_level) };
    let out = output_within(
        std::process::Command::new(&exe).args([PROBE_COMMAND, target, host, &opt_level.to_string()]),
        probe_limit(),
    );
    match out {
        Err(e @ ProbeError::TimedOut(_)) => {
            Err(anyhow::anyhow!("the compiler probe (`cc --version` and the `cc` crate's checks) {e}"))
        }
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout)
            .map_err(|e| anyhow::anyhow!("the compiler probe's answer cannot be read: {e}")),
        // the child's error is the probe's, as probing here would give it
        Ok(o) => match String::from_utf8_lossy(&o.stderr).trim() {
            "" => Err(anyhow::anyhow!("the compiler probe (`{} {PROBE_COMMAND}`) failed: {}", exe.display(), o.status)),
            why => Err(anyhow::anyhow!("{why}")),
        },
        Err(ProbeError::Start(_)) => probe_compilers(target, host, opt_level),
    }
}

impl Toolchain {
    /// The toolchain for `s`: the compilers and the linker probed, or their answers kept from an earlier gen with
    /// the same programs and environment ([`probe_memo`]); `fresh` probes again.
    pub fn detect(s: &Settings, fresh: bool) -> Result<Toolchain> {
        let host = host_triple();
        let target = s.target.clone().unwrap_or_else(|| host.clone());
        let memo = Memo::new(&[
            format!("target {target}"),
            format!("host {host}"),
            format!("opt {}", s.opt_level),
            format!("linker {:?}", s.linker),
        ]);
        let kept = memo.as_ref().filter(|_| !fresh).and_then(Memo::read);
        let probed = match kept {
            Some(p) => p,
            None => {
                let compilers = probe_apart(&target, &host, s.opt_level)?;
                let (linker_flag, linker_reason, linker_warning) =
                    choose_linker(s.linker, &compilers.cc, target != host)?;
                let p = Probed { compilers, linker_flag, linker_reason, linker_warning };
                if let Some(m) = &memo {
                    m.write(&p);
                }
                p
            }
        };
        let Probed { compilers, linker_flag, linker_reason, linker_warning } = probed;
        let Compilers { cc, cc_is_clang, cxx, cc_identity } = compilers;
        let ldflags =
            s.env.get("LDFLAGS").map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
        let (lto_flags, lto_reason) = match s.lto {
            Lto::Off => (vec![], "off".to_string()),
            Lto::Full => (vec!["-flto".to_string()], "full: -flto".to_string()),
            Lto::Thin if cc_is_clang => (vec!["-flto=thin".to_string()], "thin: clang's -flto=thin".to_string()),
            Lto::Thin => (
                vec!["-flto=auto".to_string()],
                "thin requested; gcc has no ThinLTO (it rejects -flto=thin), so gcc's parallel -flto=auto".to_string(),
            ),
        };
        let nm = match (&s.nm, s.lto) {
            (Some(nm), _) => nm.clone(),
            (None, Lto::Off) => "nm".to_string(),
            (None, _) if cc_is_clang => "llvm-nm".to_string(),
            (None, _) => "gcc-nm".to_string(),
        };
        let archive_nm = s.nm.clone().unwrap_or_else(|| "nm".to_string());
        let perry = PerrySearch::default();
        Ok(Toolchain {
            target,
            cc,
            cxx,
            cc_is_clang,
            ldflags,
            lto_flags,
            lto_reason,
            nm,
            archive_nm,
            perry,
            vex: vex::VexSearch::default(),
            cc_identity,
            linker_flag,
            linker_reason,
            linker_warning,
        })
    }

    pub fn is_gnu_ld(&self) -> bool {
        !is_apple(&self.target) && !self.target.contains("msvc")
    }
}

/// The Perry compiler: its executable, what it says of itself, and the folder of its runtime archives (`*.a.zst`).
#[derive(Debug, Clone)]
pub struct Perry {
    pub exe: Utf8PathBuf,
    /// `perry --version`'s first line (`perry 0.5.1520`): part of the host edge's key.
    pub version: String,
    pub lib_dir: Utf8PathBuf,
}

/// Where gen looked for the Perry compiler, in order, and what it found (for `explain`).
#[derive(Debug, Clone, Default)]
pub struct PerrySearch {
    pub found: Option<Perry>,
    pub searched: Vec<String>,
}

/// npm's name of this platform's Perry package: `@perryts/perry-linux-x64`.
pub fn perry_platform_package() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        os => os,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        arch => arch,
    };
    format!("@perryts/perry-{os}-{arch}")
}

/// Finds the Perry compiler: the one asked for (`--perry`, `PERRY`, ninjabind.toml: an error when it is not there),
/// else the nearest `node_modules/.bin/perry`, the nearest `node_modules/@perryts/perry-<os>-<arch>/bin/perry`, `PATH`.
pub fn find_perry(s: &Settings) -> Result<PerrySearch> {
    search_perry(s.perry.as_deref(), &s.layout.project, |p| s.layout.display(p).to_string())
}

/// [`find_perry`] from `project`, paths shown by `display`; `asked` is the compiler named by the user.
pub fn search_perry(
    asked: Option<&Utf8Path>,
    project: &Utf8Path,
    display: impl Fn(&Utf8Path) -> String,
) -> Result<PerrySearch> {
    let mut search = PerrySearch::default();
    let platform = perry_platform_package();
    let mut candidates: Vec<Utf8PathBuf> = Vec::new();
    if let Some(p) = asked {
        if !is_executable(p) {
            return Err(Diagnostic::error(format!(
                "the Perry compiler {} (from --perry, PERRY or ninjabind.toml) is not an executable file",
                display(p)
            ))
            .with_help(format!("install it (`npm install {platform}`), or leave --perry out to search for one"))
            .into_err());
        }
        candidates.push(p.to_owned());
    } else {
        let ancestors: Vec<&Utf8Path> = project.ancestors().collect();
        candidates.extend(ancestors.iter().map(|d| d.join("node_modules/.bin/perry")));
        candidates.extend(ancestors.iter().map(|d| d.join("node_modules").join(&platform).join("bin/perry")));
        let path = std::env::var("PATH").unwrap_or_default();
        candidates.extend(path.split(':').filter(|d| !d.is_empty()).map(|d| Utf8Path::new(d).join("perry")));
    }
    for c in candidates {
        search.searched.push(display(&c));
        if !is_executable(&c) {
            continue;
        }
        let exe = layout::canonical(&c).unwrap_or(c);
        let out = output_within(std::process::Command::new(&exe).arg("--version"), probe_limit());
        let version = match out {
            // what it says of itself, its control characters escaped: it is printed and written into build.ninja
            Ok(o) if o.status.success() => printable(String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("")),
            // a hang is an error whoever found it: gen must not wait for ever
            Err(e @ ProbeError::TimedOut(_)) => {
                return Err(Diagnostic::error(format!("`{exe} --version` {e}")).into_err());
            }
            // a `perry` found on the way that does not run is not the compiler; one asked for by name must run
            _ if asked.is_none() => continue,
            _ => {
                return Err(Diagnostic::error(format!("`{exe} --version` failed: is it the Perry compiler?")).into_err())
            }
        };
        // the platform package holds bin/perry and lib/*.a.zst; a launcher elsewhere has them beside the nearest one
        let beside = exe.parent().and_then(Utf8Path::parent).map(|d| d.join("lib"));
        let nearest = project.ancestors().map(|d| d.join("node_modules").join(&platform).join("lib"));
        let has_runtime = |d: &Utf8PathBuf| d.join("libperry_runtime.a.zst").is_file();
        let Some(lib_dir) = beside.into_iter().chain(nearest).find(has_runtime) else {
            return Err(Diagnostic::error(format!(
                "the Perry compiler {exe} has no runtime archives (lib/libperry_runtime.a.zst) beside it"
            ))
            .with_help(format!("install the platform package: `npm install {platform}`"))
            .into_err());
        };
        search.found = Some(Perry { exe, version, lib_dir });
        break;
    }
    Ok(search)
}

/// The clang Perry assembles its statepoint rewrite with (0.5.1520 fails without one: "no clang was found"), where
/// Perry looks: `PERRY_LLVM_CLANG`, `clang` on `PATH`, then the LLVM install folders (`/usr/lib/llvm-N/bin`).
pub fn clang_for_perry(env: &std::collections::BTreeMap<String, String>) -> Option<String> {
    if let Some(c) = env.get("PERRY_LLVM_CLANG") {
        return runnable(c).then(|| c.clone());
    }
    if runnable("clang") {
        return Some("clang".into());
    }
    newest_llvm_tool("clang").map(String::from)
}

impl Perry {
    /// The well-known bindings table this compiler ships (`perry native list --format json`), kept in `cache` with
    /// the compiler's version on its first line: asked again only when the version changes.
    pub fn native_list(&self, cache: Option<&Utf8Path>) -> Result<String> {
        if let Ok(text) = cache.map_or(Err(std::io::ErrorKind::NotFound.into()), std::fs::read_to_string) {
            if let Some(json) = text.strip_prefix(&format!("{}\n", self.version)) {
                return Ok(json.to_string());
            }
        }
        let out = output_within(
            std::process::Command::new(&self.exe).args(["native", "list", "--format", "json"]),
            probe_limit(),
        )
        .map_err(|e| Diagnostic::error(format!("`{} native list --format json` {e}", self.exe)).into_err())?;
        if !out.status.success() {
            return Err(Diagnostic::error(format!(
                "`{} native list --format json` failed: {}",
                self.exe,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
            .into_err());
        }
        let json = String::from_utf8_lossy(&out.stdout).into_owned();
        // a cache: a failure to write it costs the next gen 30 ms, nothing else
        if let Some(cache) = cache {
            let _ = cache.parent().map(std::fs::create_dir_all);
            let _ = write::write_cache(cache, format!("{}\n{json}", self.version).as_bytes());
        }
        Ok(json)
    }
}

/// The tool a graphics backend compiles its `shaderSources` with, and the variable that names another (Perry's).
pub fn shader_tool(backend: &str) -> (&'static str, &'static str) {
    match backend {
        "metal" => ("xcrun", "PERRY_XCRUN"),
        "d3d12" => ("dxc", "PERRY_DXC"),
        _ => ("glslc", "PERRY_GLSLC"),
    }
}

/// Finds a backend's shader compiler: its variable (`PERRY_GLSLC`, …), else the tool on `PATH`; an error naming
/// the tool when neither is there, since the backend's shaders cannot be built.
pub fn find_shader_tool(s: &Settings, backend: &str, package: &str) -> Result<String> {
    let (tool, var) = shader_tool(backend);
    if let Some(v) = s.env.get(var) {
        if !runnable(v) {
            return Err(Diagnostic::error(format!("{var}={v} is not an executable file")).into_err());
        }
        return Ok(v.clone());
    }
    if runnable(tool) {
        return Ok(tool.to_string());
    }
    Err(Diagnostic::error(format!("`{tool}` not found: the {backend} backend of `{package}` has shaderSources to compile"))
        .with_help(format!("install `{tool}` (the {backend} SDK's shader compiler), or name it with {var}=PATH; a package can ship compiled `shaderOutputs` instead"))
        .into_err())
}
