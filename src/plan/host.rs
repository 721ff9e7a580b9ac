//! The Perry host's edges: `perry compile --no-link` for the program's modules, and the compiler's runtime archives
//! unpacked — what the link adds to the bindings when the real compiler is found.

use super::regen::exe_path;
use super::{Command, Edge, Plan, RuleKind};
use crate::base::diag::Diagnostic;
use crate::base::layout;
use crate::options::Settings;
use crate::resolve::Resolved;
use crate::toolchain::Toolchain;
use anyhow::Result;
use camino::{Utf8Path, Utf8PathBuf};

/// The runtime archives Perry links a program with stdlib use against, in its order (`--start-group` resolves
/// their references to each other).
pub const RUNTIME_ARCHIVES: [&str; 2] = ["libperry_stdlib", "libperry_runtime"];

/// What the link takes from the host: the modules' objects, the runtime archives, and Perry's own link flags.
#[derive(Debug, Default)]
pub struct HostParts {
    pub objects: Vec<Utf8PathBuf>,
    pub archives: Vec<Utf8PathBuf>,
    /// After the archives, as `perry compile` links on Linux.
    pub flags: Vec<String>,
}

/// The object Perry writes for a module: its path from the project folder, each character but a letter or digit
/// made `_` (`node_modules/left-pad/index.js` → `node_modules_left_pad_index_js.o`).
pub fn object_name(project: &Utf8Path, module: &Utf8Path) -> String {
    let rel = layout::relative(project, module);
    let stem: String = rel.as_str().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    format!("{stem}.o")
}

/// Plans the host edges when the Perry compiler was found; `None` leaves the link as it was (a stand-in, or
/// `link.rsp` for a host compiler to use).
pub fn plan(s: &Settings, tc: &Toolchain, resolved: &Resolved, p: &mut Plan) -> Result<Option<HostParts>> {
    let Some(perry) = &tc.perry.found else { return Ok(None) };
    let l = &s.layout;
    let Some(entry) = &resolved.entry else {
        return Err(Diagnostic::error("the Perry compiler was found, but not the program's entry module")
            .with_note("looked for `perry.entry`, then `main` in package.json, then src/main.ts")
            .with_help("name it with `--entry FILE` or `\"perry\": { \"entry\": \"src/app.ts\" }` in package.json")
            .into_err());
    };
    let host_dir = l.out.join("host");
    let objects: Vec<Utf8PathBuf> =
        resolved.modules.iter().map(|m| l.rel(&host_dir.join(object_name(&l.project, m)))).collect();
    // Perry resolves a relative --cache-dir against the project folder, not the folder it runs in
    let cache = layout::relative(&l.project, &host_dir.join("perry-cache"));
    let argv = vec![
        perry.exe.to_string(),
        "compile".into(),
        "--no-link".into(),
        l.rel(entry).to_string(),
        "-o".into(),
        l.rel(&host_dir.join("main.o")).to_string(),
        "--cache-dir".into(),
        cache.to_string(),
        "-q".into(),
    ];
    let mut e = Edge::new(RuleKind::Host, objects.clone());
    e.inputs = resolved.modules.iter().map(|m| l.rel(m)).collect();
    e.command = Some(Box::new(Command { env: vec![], argv }));
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
    Ok(Some(HostParts { objects, archives, flags: flags.map(String::from).to_vec() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_named_as_perry_names_them() {
        let project = Utf8Path::new("/p");
        assert_eq!(object_name(project, Utf8Path::new("/p/src/main.ts")), "src_main_ts.o");
        assert_eq!(
            object_name(project, Utf8Path::new("/p/node_modules/left-pad/index.js")),
            "node_modules_left_pad_index_js.o"
        );
    }
}
