//! The link edge (SPEC §6.4): objects, archives in a group, search paths with rpath, libraries, through a response file.

use super::cargo::Archive;
use super::host::HostParts;
use super::regen::exe_path;
use super::{Command, Edge, Objects, Plan, RuleKind};
use crate::base::escape;
use crate::base::layout;
use crate::base::layout::Layout;
use crate::base::target;
use crate::options::Settings;
use crate::select::{dedup, Selected};
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

/// Folders the dynamic loader searches anyway; others get an rpath.
fn is_system_lib_dir(d: &Utf8Path) -> bool {
    let s = d.as_str().trim_end_matches('/');
    ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"].contains(&s)
        || ["/lib/", "/usr/lib/"]
            .iter()
            .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.contains('/') && rest.contains("-linux-")))
}

/// An rpath for `dir`: relative to the program (`$ORIGIN`) inside the checkout, so the project and its build
/// folder can move together and build.ninja holds no absolute project path; absolute outside it.
fn rpath(l: &layout::Layout, program_dir: &Utf8Path, dir: &Utf8Path, target: &str) -> String {
    if l.rel(dir).is_absolute() {
        return dir.to_string();
    }
    let origin = if target::is_apple(target) { "@loader_path" } else { "$ORIGIN" };
    match layout::relative(program_dir, dir).as_str() {
        "." => origin.to_string(),
        r => format!("{origin}/{r}"),
    }
}

/// The program's name: `--output`, else the root package's unscoped name, else the folder's.
pub fn program_name(s: &Settings, sel: &Selected) -> String {
    if let Some(o) = &s.output {
        return o.clone();
    }
    let root = sel.packages.first().map(|p| p.package.name.rsplit('/').next().unwrap_or("").to_string());
    root.filter(|n| !n.is_empty()).unwrap_or_else(|| s.layout.project.file_name().unwrap_or("program").to_string())
}

/// What the link takes from the edges planned before it.
pub struct Parts<'a> {
    pub objects: &'a Objects,
    pub archives: &'a [Archive],
    /// The host compiler's objects and runtime (Perry's or Vex's), when it was found.
    pub from_perry: Option<&'a HostParts>,
    /// The cross-binding symbol check the link waits for.
    pub symcheck: Option<&'a Utf8PathBuf>,
    /// The perry.lock checks of prebuilt archives the link waits for.
    pub locked: &'a [Utf8PathBuf],
    /// The files staged beside the program: made before it, not inputs of its link.
    pub staged: &'a [Utf8PathBuf],
}

pub fn plan(s: &Settings, tc: &Toolchain, sel: &Selected, parts: Parts, p: &mut Plan) -> Result<()> {
    let Parts { objects, archives, from_perry, symcheck, locked, staged } = parts;
    let l = &s.layout;
    let host: Vec<Utf8PathBuf> = s.host_objects.iter().map(|h| l.rel(h)).collect();
    let (host_archives, host_objects): (Vec<_>, Vec<_>) =
        host.iter().cloned().partition(|h| h.extension() == Some("a"));

    // Perry's objects through the list its edge writes: their names are Perry's, learnt at build time
    let perry = from_perry.map_or((&[][..], &[][..]), |h| (h.object_list.as_slice(), h.archives.as_slice()));
    let compiler_objects = from_perry.map_or(&[][..], |h| h.objects.as_slice());
    let mut args: Vec<String> = Vec::new();
    args.extend(host_objects.iter().map(|o| o.to_string()));
    args.extend(compiler_objects.iter().map(|o| o.to_string()));
    args.extend(perry.0.iter().map(|list| format!("@{list}")));
    let program = l.out_path(Utf8PathBuf::from("bin").join(program_name(s, sel)));
    // a Linux program's compiled objects go to the linker through one thin archive its link edge writes (see
    // edges/thin_archive.rs): the same objects, in the same order, taken whole
    // (with no program of ours, the host compiler links with these words itself: the objects are named one by one)
    let root_has_objects = sel.packages.first().is_some_and(|r| objects.by_package.contains_key(&r.package.id()));
    let links_a_program = !s.host_objects.is_empty() || root_has_objects || from_perry.is_some();
    let thin = (links_a_program && tc.target.contains("-linux") && p.compiled().next().is_some())
        .then(|| (Utf8PathBuf::from(format!("{program}.objects.a")), Utf8PathBuf::from(format!("{program}.objects"))));
    match &thin {
        Some((archive, _)) => {
            args.extend(["-Wl,--whole-archive".to_string(), archive.to_string(), "-Wl,--no-whole-archive".into()])
        }
        None => args.extend(p.compiled().map(|o| o.to_string())),
    }
    if from_perry.is_some_and(|h| h.gc_sections) {
        // as `perry compile` links: its runtime is large, and most of it unused by one program
        args.push("-Wl,--gc-sections".into());
    }
    if from_perry.is_some_and(|h| h.strip) {
        args.push("-s".into());
    }
    // host archives first: a runtime must see the bindings' references, and the group resolves cycles
    let group: Vec<String> =
        host_archives.iter().chain(perry.1).chain(archives.iter().map(|a| &a.path)).map(|a| a.to_string()).collect();
    let use_group = tc.is_gnu_ld() && group.len() > 1;
    if use_group {
        args.push("-Wl,--start-group".into());
    }
    args.extend(group);
    if use_group {
        args.push("-Wl,--end-group".into());
    }
    args.extend(search_paths(l, tc, sel));
    args.extend(libraries(tc, sel));
    args.extend(from_perry.iter().flat_map(|h| h.flags.iter().cloned()));
    // the system libraries the Rust archives need, as rustc listed them, merged at build time (a nested response file)
    let merged = native_libs(s, archives, p)?;
    args.extend(merged.iter().map(|m| format!("@{m}")));
    args.extend(tc.lto_flags.iter().cloned());
    args.extend(tc.linker_flag.iter().cloned());
    args.extend(tc.ldflags.iter().cloned());

    if !links_a_program {
        let mut rsp = escape::rsp_words(&args);
        rsp.push('\n');
        p.link_rsp = Some(rsp);
        return Ok(());
    }
    let rsp = Utf8PathBuf::from(format!("{program}.rsp"));
    let driver = if objects.any_cxx { &tc.cxx[0] } else { &tc.cc[0] };
    let mut argv = vec![driver.clone(), format!("@{rsp}"), "-o".into(), program.to_string()];
    if let Some((archive, members)) = &thin {
        let mut wrapped = vec![exe_path()?.to_string(), "edge".into(), "link".into()];
        wrapped.extend(["--thin-archive".into(), archive.to_string(), "--members".into(), members.to_string()]);
        wrapped.push("--".into());
        wrapped.append(&mut argv);
        argv = wrapped;
        p.objects_list = Some(members.clone());
    }
    let mut e = Edge::new(RuleKind::Link, vec![program.clone()]);
    e.inputs = host
        .iter()
        .chain(compiler_objects)
        .chain(from_perry.map_or(&[][..], |h| h.flag_inputs.as_slice()))
        .chain(perry.0)
        .chain(perry.1)
        .cloned()
        .chain(p.compiled().cloned())
        .chain(archives.iter().map(|a| a.path.clone()))
        .collect();
    // the response file is written by gen, not by ninja from build.ninja: there its list of every object was an
    // eighth of the file at 20,000 sources, and ninja deleted it after each link (`ninja -t commands` named a file
    // that was gone)
    let content = escape::rsp_words(&args);
    e.more_mut().implicit_inputs =
        merged.into_iter().chain(symcheck.cloned()).chain(locked.iter().cloned()).chain([rsp.clone()]).collect();
    e.command = Some(Box::new(Command { env: vec![], argv }));
    e.rsp = Some(Box::new((rsp, content)));
    e.more_mut().in_rsps = perry.0.to_vec();
    if !staged.is_empty() {
        e.more_mut().order_only = staged.to_vec();
    }
    p.edges.push(e);
    p.program = Some(program);
    Ok(())
}

/// `-L` for every package's library folders, and an rpath for each outside the system's (pkg-config's too).
fn search_paths(l: &Layout, tc: &Toolchain, sel: &Selected) -> Vec<String> {
    let mut args = Vec::new();
    let mut dirs: Vec<Utf8PathBuf> =
        sel.packages.iter().flat_map(|sp| sp.config.search_paths.iter().cloned()).collect();
    dedup(&mut dirs);
    let program_dir = l.out.join("bin");
    for d in &dirs {
        args.push(format!("-L{}", l.rel(d)));
    }
    // pkg-config's -L folders need an rpath as much as search_paths do
    let mut rpath_dirs = dirs.clone();
    rpath_dirs.extend(
        sel.packages
            .iter()
            .flat_map(|sp| sp.config.pkg_link.iter())
            .filter_map(|f| f.strip_prefix("-L"))
            .map(|d| layout::normalize(Utf8Path::new(d))),
    );
    dedup(&mut rpath_dirs);
    for d in rpath_dirs.iter().filter(|d| !is_system_lib_dir(d)) {
        args.push(format!("-Wl,-rpath,{}", rpath(l, &program_dir, d, &tc.target)));
    }
    args
}

/// `-l` for every package's libraries, pkg-config's link flags and (on Apple) frameworks, each at its last place.
fn libraries(tc: &Toolchain, sel: &Selected) -> Vec<String> {
    let mut libs: Vec<String> = Vec::new();
    for sp in &sel.packages {
        libs.extend(sp.config.libraries.iter().map(|x| format!("-l{x}")));
        libs.extend(sp.config.pkg_link.iter().cloned());
        // `-framework` means something only to Apple's linker; one word each, so deduplication keeps the pair whole
        for f in sp.config.frameworks.iter().filter(|_| target::is_apple(&tc.target)) {
            libs.push(format!("-Wl,-framework,{f}"));
        }
    }
    dedup_keep_last(libs)
}

/// The system libraries the Rust archives need, as rustc listed them, merged at build time into a nested response
/// file by an edge; `None` without Rust archives.
fn native_libs(s: &Settings, archives: &[Archive], p: &mut Plan) -> Result<Option<Utf8PathBuf>> {
    let nsl: Vec<Utf8PathBuf> = archives.iter().filter_map(|a| a.nsl.clone()).collect();
    let merged = (!nsl.is_empty()).then(|| s.layout.out_path("lib/native-libs.rsp"));
    if let Some(m) = &merged {
        let mut argv = vec![
            super::regen::exe_path()?.to_string(),
            "edge".into(),
            "native-libs".into(),
            "--out".into(),
            m.to_string(),
        ];
        argv.extend(nsl.iter().map(|n| n.to_string()));
        let mut e = Edge::new(RuleKind::NativeLibs, vec![m.clone()]);
        e.inputs = nsl;
        e.command = Some(Box::new(Command { env: vec![], argv }));
        p.edges.push(e);
    }
    Ok(merged)
}

/// Deduplicates link flags keeping the last occurrence (a later archive may need an earlier library).
fn dedup_keep_last(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in v.into_iter().rev() {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_of_duplicate_libraries() {
        let v = ["-lm", "-lz", "-lm", "-lc"].map(String::from).to_vec();
        assert_eq!(dedup_keep_last(v), ["-lz", "-lm", "-lc"]);
    }

    #[test]
    fn rpaths_are_relative_to_the_program_inside_the_checkout_and_absolute_outside() {
        let l = crate::base::layout::Layout {
            project: "/w/repo/app".into(),
            ninja_dir: "/w/repo/app".into(),
            out: "/w/repo/app/build".into(),
            cwd: "/w/repo".into(),
            anchor: "/w/repo".into(),
        };
        let bin = Utf8Path::new("/w/repo/app/build/bin");
        let linux = "x86_64-unknown-linux-gnu";
        assert_eq!(rpath(&l, bin, "/w/repo/app/extlib".into(), linux), "$ORIGIN/../../extlib");
        assert_eq!(rpath(&l, bin, "/w/repo/vendor/lib".into(), linux), "$ORIGIN/../../../vendor/lib");
        assert_eq!(rpath(&l, bin, "/w/repo/app/build/bin".into(), linux), "$ORIGIN");
        assert_eq!(rpath(&l, bin, "/opt/pg/lib".into(), linux), "/opt/pg/lib");
        assert_eq!(rpath(&l, bin, "/w/repo/app/extlib".into(), "aarch64-apple-darwin"), "@loader_path/../../extlib");
    }

    #[test]
    fn system_library_folders() {
        assert!(is_system_lib_dir("/usr/lib/x86_64-linux-gnu".into()));
        assert!(is_system_lib_dir("/usr/lib".into()));
        assert!(!is_system_lib_dir("/opt/pg/lib".into()));
        assert!(!is_system_lib_dir("/usr/lib/postgresql/15/lib".into()));
    }
}
