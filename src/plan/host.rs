//! The host compiler's edges: `perry compile --no-link` for the program's modules and Perry's runtime archives
//! unpacked, or the Vex compiler's object — what the link adds to the bindings when the real compiler is found.

use super::regen::exe_path;
use super::{Command, Edge, Plan, RuleKind};
use crate::base::diag::Diagnostic;
use crate::base::layout;
use crate::model::{FrontEnd, Origin};
use crate::options::Settings;
use crate::resolve::Resolved;
use crate::select::Selected;
use crate::toolchain::vex::Vex;
use crate::toolchain::{clang_for_perry, Toolchain};
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

/// The runtime archives Perry links a program with stdlib use against, in its order (`--start-group` resolves
/// their references to each other).
pub const RUNTIME_ARCHIVES: [&str; 2] = ["libperry_stdlib", "libperry_runtime"];

/// What the link takes from the host compiler: its objects, its runtime, and its own link flags.
#[derive(Debug, Default)]
pub struct HostParts {
    /// The response file the host edge writes, naming every object Perry wrote: gen never names one.
    pub object_list: Option<Utf8PathBuf>,
    /// Objects named here (the one the Vex edge writes).
    pub objects: Vec<Utf8PathBuf>,
    /// Runtime archives linked in the group.
    pub archives: Vec<Utf8PathBuf>,
    /// After the libraries, as the compiler links (`perry compile` on Linux; the Vex runtime's arguments).
    pub flags: Vec<String>,
    /// Files the flags name (the Vex runtime archive behind `-lvex_runtime`): inputs of the link, not arguments.
    pub flag_inputs: Vec<Utf8PathBuf>,
    /// Unused sections dropped, as `perry compile` links (its runtime is large, and most of it unused).
    pub gc_sections: bool,
    /// The program linked without its symbol table and debug information (`-s`), as `perry compile` strips it on
    /// Linux unless `PERRY_DEBUG_SYMBOLS` is set (decided here whole: the link only follows it).
    pub strip: bool,
    /// The root's own native sources are a stand-in for what the compiler builds (a Perry host's `main.c`), not
    /// compiled; a Vex root's `native` block is the program's own code, which `vex compile` links too.
    pub replaces_root_sources: bool,
}

/// Everything Perry reads that is not a module (SPEC §6.5): the entry, the host package.json, every
/// `perry.nativeLibrary` package.json reached (Perry generates its FFI calls from `functions[]`), perry.toml and
/// perry.lock when present. The modules themselves are learnt from Perry's record at build time.
fn declared_inputs(l: &layout::Layout, entry: &Utf8Path, sel: &Selected) -> Vec<Utf8PathBuf> {
    let mut inputs = vec![l.rel(entry)];
    let manifests = sel
        .packages
        .iter()
        .map(|sp| &sp.package)
        .filter(|p| p.origin == Origin::Root || (p.library.is_some() && p.origin != Origin::WellKnown))
        .map(|p| p.manifest.clone())
        .filter(|m| m.is_file());
    let project_files = ["perry.toml", "perry.lock"].map(|f| l.project.join(f)).into_iter().filter(|f| f.is_file());
    for f in manifests.chain(project_files) {
        let f = l.rel(&f);
        if !inputs.contains(&f) {
            inputs.push(f);
        }
    }
    inputs
}

/// Plans the host edges when the program's compiler (Perry's or Vex's) was found; `None` leaves the link as it was
/// (a stand-in, or `link.rsp` for a host compiler to use).
pub fn plan(
    s: &Settings,
    tc: &Toolchain,
    sel: &Selected,
    resolved: &Resolved,
    p: &mut Plan,
) -> Result<Option<HostParts>> {
    match (&tc.vex.found, resolved.front_end) {
        (Some(vex), FrontEnd::Vex) => plan_vex(s, vex, sel, resolved, p),
        _ => plan_perry(s, tc, sel, resolved, p),
    }
}

/// The Vex compiler's edge: `ninjabind edge vex` (the compiler's IR through llc into one object, its modules learnt
/// from what it prints), and the runtime it links with, as it prints it.
fn plan_vex(s: &Settings, vex: &Vex, sel: &Selected, resolved: &Resolved, p: &mut Plan) -> Result<Option<HostParts>> {
    let l = &s.layout;
    let Some(entry) = &resolved.entry else {
        let root = sel.packages.first().map(|sp| &sp.package);
        let note = match (&s.entry, root.and_then(|r| r.main.as_ref())) {
            (Some(given), _) => format!("the ENTRY given, {}, is not a file", l.display(given)),
            (None, Some(m)) => format!("`main` in vex.json names {m}, which is not a file"),
            (None, None) => {
                "no ENTRY was given, vex.json names no `main`, and neither main.vx nor src/main.vx is a file".into()
            }
        };
        return Err(Diagnostic::error("the Vex compiler was found, but not the program's entry module")
            .with_note(note)
            .with_help("name it as `vex compile` takes it, `ninjabind gen src/app.vx`, or with `\"main\": \"src/app.vx\"` in vex.json")
            .into_err());
    };
    let dir = l.out.join("vex");
    let out = l.rel(&dir.join("main.o"));
    let argv = vec![
        exe_path()?.to_string(),
        "edge".into(),
        "vex".into(),
        "--compiler".into(),
        vex.exe.to_string(),
        "--entry".into(),
        l.rel(entry).to_string(),
        "--stdlib".into(),
        l.rel(&vex.stdlib).to_string(),
        "--run-dir".into(),
        l.rel(&dir).to_string(),
        "--llc".into(),
        vex.llc.to_string(),
        "--out".into(),
        out.to_string(),
        "--depfile".into(),
        format!("{out}.d"),
        "--project".into(),
        l.rel(&l.project).to_string(),
    ];
    let mut e = Edge::new(RuleKind::Vex, vec![out.clone()]);
    // the compiler's own file: `vex --version` is the same for every build of a version, its bytes are not
    let mut inputs = vec![l.rel(entry), l.rel(&vex.exe)];
    let manifests = sel.packages.iter().map(|sp| sp.package.manifest.clone()).filter(|m| m.is_file());
    for m in manifests {
        let m = l.rel(&m);
        if !inputs.contains(&m) {
            inputs.push(m);
        }
    }
    e.inputs = inputs;
    e.command = Some(Box::new(Command { env: vec![], argv }));
    e.more_mut().vars.push(("depfile", format!("{out}.d")));
    e.more_mut().vars.push(("entry", l.rel(entry).to_string()));
    p.edges.push(e);
    Ok(Some(HostParts {
        object_list: None,
        objects: vec![out],
        archives: Vec::new(),
        flags: vex.runtime_args.clone(),
        flag_inputs: vex.runtime.iter().map(|r| l.rel(r)).collect(),
        gc_sections: false,
        strip: false,
        replaces_root_sources: false,
    }))
}

/// Perry's edges: `perry compile --no-link` with its modules and objects learnt from its record, and its runtime
/// archives unpacked.
fn plan_perry(
    s: &Settings,
    tc: &Toolchain,
    sel: &Selected,
    resolved: &Resolved,
    p: &mut Plan,
) -> Result<Option<HostParts>> {
    let Some(perry) = &tc.perry.found else { return Ok(None) };
    let l = &s.layout;
    let Some(entry) = &resolved.entry else {
        // the one place that was asked, and failed: the ENTRY given, the manifest's field (at its position), or the
        // default
        let root = sel.packages.first().map(|sp| &sp.package);
        let host = root.and_then(|r| r.perry_host.as_ref());
        let named = host.and_then(|h| h.entry.clone().map(|e| ("perry.entry", e)));
        let named = named.or_else(|| root.and_then(|r| r.main.clone()).map(|m| ("main", m)));
        let mut d = Diagnostic::error("the Perry compiler was found, but not the program's entry module");
        let note = match (&s.entry, &named) {
            (Some(given), _) => format!("the ENTRY given, {}, is not a file", l.display(given)),
            (None, Some((field, value))) => {
                d.span = host.and_then(|h| h.entry_span.as_deref()).cloned();
                format!("`{field}` in package.json names {value}, which is not a file")
            }
            (None, None) => "no ENTRY was given, package.json names none, and src/main.ts is not a file".to_string(),
        };
        return Err(d
            .with_note(note)
            .with_help("name it as Perry takes it, `ninjabind gen src/app.ts`, or with `\"perry\": { \"entry\": \"src/app.ts\" }` in package.json")
            .into_err());
    };
    if clang_for_perry(&s.env).is_none() {
        let given = s.env.get("PERRY_LLVM_CLANG").map(|c| format!("PERRY_LLVM_CLANG={c} is not an executable; "));
        return Err(Diagnostic::error(format!("{} needs clang to build a program, and none was found", perry.version))
            .with_note(format!("{}looked for `clang` on PATH and in /usr/lib/llvm-*/bin (Perry assembles its statepoint rewrite with it)", given.unwrap_or_default()))
            .with_help("install clang (`sudo apt-get install clang` on Debian and Ubuntu), or name one with PERRY_LLVM_CLANG=PATH")
            .into_err());
    }
    let host_dir = l.out.join("host");
    let list = l.rel(&host_dir.join("objects.rsp"));
    // Perry resolves a relative --cache-dir against the project folder, not the folder it runs in
    let cache = host_dir.join("perry-cache");
    let next = l.rel(&host_dir.join("next"));
    let mut argv = vec![
        exe_path()?.to_string(),
        "edge".into(),
        "perry".into(),
        "--objects".into(),
        l.rel(&host_dir.join("obj")).to_string(),
        "--next".into(),
        next.to_string(),
        "--list".into(),
        list.to_string(),
        "--depfile".into(),
        format!("{list}.d"),
        "--audit".into(),
        l.rel(&cache.join("audit.json")).to_string(),
        "--project".into(),
        l.rel(&l.project).to_string(),
        "--compiler".into(),
        perry.version.clone(),
        "--".into(),
    ];
    argv.extend([
        perry.exe.to_string(),
        "compile".into(),
        "--no-link".into(),
        l.rel(entry).to_string(),
        "-o".into(),
        next.join("main.o").to_string(),
        "--cache-dir".into(),
        layout::relative(&l.project, &cache).to_string(),
        "-q".into(),
    ]);
    let mut e = Edge::new(RuleKind::Host, vec![list.clone()]);
    e.inputs = declared_inputs(l, entry, sel);
    // the clang Perry is told to use shapes its objects: set for the edge and part of its key
    let env = s.env.get("PERRY_LLVM_CLANG").map(|c| ("PERRY_LLVM_CLANG".to_string(), c.clone())).into_iter().collect();
    e.command = Some(Box::new(Command { env, argv }));
    e.more_mut().vars.push(("depfile", format!("{list}.d")));
    e.more_mut().vars.push(("entry", l.rel(entry).to_string()));
    e.more_mut().out_rsp = Some(list.clone());
    p.edges.push(e);

    let exe = exe_path()?.to_string();
    let mut archives = Vec::new();
    for name in RUNTIME_ARCHIVES {
        let out = l.rel(&host_dir.join(format!("{name}.a")));
        let input = l.rel(&perry.lib_dir.join(format!("{name}.a.zst")));
        let argv =
            vec![exe.clone(), "edge".into(), "unzstd".into(), "--out".into(), out.to_string(), input.to_string()];
        let mut e = Edge::new(RuleKind::Unzstd, vec![out.clone()]);
        e.inputs = vec![input];
        e.command = Some(Box::new(Command { env: vec![], argv }));
        p.edges.push(e);
        archives.push(out);
    }
    let flags = ["-lc", "-Wl,--allow-multiple-definition", "-lm", "-lpthread", "-ldl", "-lssl", "-lcrypto"];
    Ok(Some(HostParts {
        object_list: Some(list),
        objects: Vec::new(),
        archives,
        flags: flags.map(String::from).to_vec(),
        flag_inputs: Vec::new(),
        gc_sections: true,
        // Perry runs `strip` on the program it linked unless PERRY_DEBUG_SYMBOLS is set (its `--debug-symbols` sets
        // it): 43.5 MB -> 30.7 MB for examples/perry-app. `-s` at the link drops the same sections without a second
        // pass over the file; on Linux only (Apple's linker ignores `-s`, and Perry strips no Android program).
        strip: !s.env.contains_key("PERRY_DEBUG_SYMBOLS")
            && tc.target.contains("-linux")
            && !tc.target.contains("android"),
        replaces_root_sources: true,
    }))
}
