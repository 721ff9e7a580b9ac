//! `ninjabind edge vex`: runs the real Vex compiler on the program (`vex compile --emit-llvm`, in a folder of the
//! build where `vex-libs/std` is the stdlib in use), turns its IR into a position-independent object with LLVM's
//! `llc`, and learns the modules it compiled from what it prints as it resolves them (a depfile).

use crate::base::layout;
use crate::base::write::write_cache;
use crate::protocol::depfile;
use anyhow::{bail, Context, Result};
use camino::{Utf8Path, Utf8PathBuf};

#[derive(clap::Args, Debug)]
pub struct VexArgs {
    /// The compiler.
    #[arg(long)]
    pub compiler: Utf8PathBuf,
    /// The program's entry module.
    #[arg(long)]
    pub entry: Utf8PathBuf,
    /// The stdlib the compiler reads as `vex-libs/std` (linked into `--run-dir`).
    #[arg(long)]
    pub stdlib: Utf8PathBuf,
    /// The folder of the build the compiler runs in.
    #[arg(long)]
    pub run_dir: Utf8PathBuf,
    /// LLVM's `llc`.
    #[arg(long)]
    pub llc: Utf8PathBuf,
    /// The object written.
    #[arg(long)]
    pub out: Utf8PathBuf,
    #[arg(long)]
    pub depfile: Utf8PathBuf,
    /// The project folder: every module of it is a dependency when the compiler names none.
    #[arg(long)]
    pub project: Utf8PathBuf,
}

/// Every `.vx`/`.vxc` file under `dir`, skipping dot-folders (the compiler's `.vex-build`) and `skip`.
fn modules_under(dir: &Utf8Path, skip: &[Utf8PathBuf], out: &mut Vec<Utf8PathBuf>) {
    let Ok(entries) = dir.read_dir_utf8() else { return };
    for e in entries.flatten() {
        let p = e.path().to_owned();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() && !e.file_name().starts_with('.') && !skip.contains(&p) {
            modules_under(&p, skip, out);
        } else if !t.is_dir() && (e.file_name().ends_with(".vx") || e.file_name().ends_with(".vxc")) {
            out.push(p);
        }
    }
}

/// The modules the compiler's own lines name: each `📁 Resolved path: "…"` (a module imported by path), and for
/// each `🔄 Resolving import: 'pkg…'` every module of that stdlib package's folder (it prints the package, not the
/// file it chose for this platform). `None` when it printed neither: another version of the compiler.
fn printed_modules(stderr: &str, run_dir: &Utf8Path, stdlib: &Utf8Path) -> Option<Vec<Utf8PathBuf>> {
    let mut found = Vec::new();
    let mut named = false;
    for line in stderr.lines() {
        if let Some(rest) = line.split_once("Resolved path: \"").map(|(_, r)| r) {
            named = true;
            if let Some(p) = rest.strip_suffix('"') {
                let p = layout::normalize(&run_dir.join(p));
                // through the run folder's link, the stdlib's own path
                let linked = run_dir.join("vex-libs/std");
                found.push(p.strip_prefix(&linked).map_or_else(|_| p.clone(), |rest| stdlib.join(rest)));
            }
        } else if let Some(rest) = line.split_once("Resolving import: '").map(|(_, r)| r) {
            named = true;
            let spec = rest.trim_end_matches('\'').trim_start_matches("@relative:");
            if spec.starts_with('.') || spec.starts_with('/') {
                continue;
            }
            let root = spec.split(['/', ':']).next().unwrap_or("");
            let dir = stdlib.join(root);
            if !root.is_empty() && dir.is_dir() {
                modules_under(&dir, &[], &mut found);
            }
        }
    }
    named.then_some(found)
}

/// `--> PATH:L:C` with PATH inside `cwd` made relative to it: the folder ninja runs in, where editors resolve it.
fn relative_arrows(text: &str, cwd: &Utf8Path) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.split_once("--> ") {
            Some((lead, at)) if at.starts_with(cwd.as_str()) => {
                let rest = at[cwd.as_str().len()..].trim_start_matches('/');
                out.push_str(&format!("{lead}--> {rest}\n"));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// The compiler's diagnostics out of its output, which at this version holds thousands of progress lines: each
/// `error…`/`warning…`/`Error:`/`note:`/`help:` line with the ` --> file:line:col`, source and caret lines after it,
/// and a panic's message. Its last lines when none is found.
fn diagnostics(text: &str) -> String {
    let mut out = String::new();
    let mut in_block = false;
    let mut panic = false;
    for line in text.lines() {
        let t = line.trim_start();
        let opens = ["error", "Error", "warning", "note:", "help:", "thread '"].iter().any(|p| t.starts_with(p));
        let caret = !t.is_empty() && t.chars().all(|c| matches!(c, ' ' | '^' | '-' | '~'));
        let source = t.split_once(" |").is_some_and(|(n, _)| n.trim().chars().all(|c| c.is_ascii_digit()));
        if opens {
            panic = t.starts_with("thread '");
        } else if !(in_block && (t.starts_with("-->") || t.starts_with('|') || caret || source || panic)) {
            in_block = false;
            continue;
        }
        in_block = true;
        out.push_str(line);
        out.push('\n');
    }
    if out.is_empty() {
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines[lines.len().saturating_sub(20)..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// The stdlib linked as `<run_dir>/vex-libs/std` (the compiler resolves it from its working folder).
fn link_stdlib(run_dir: &Utf8Path, stdlib: &Utf8Path) -> Result<()> {
    let libs = run_dir.join("vex-libs");
    std::fs::create_dir_all(&libs).with_context(|| format!("cannot create {libs}"))?;
    let link = libs.join("std");
    if std::fs::read_link(&link).ok().as_deref() == Some(stdlib.as_std_path()) {
        return Ok(());
    }
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(stdlib, &link).with_context(|| format!("cannot link {link} to {stdlib}"))
}

pub fn run(a: &VexArgs) -> Result<i32> {
    super::fail_at(a.out.as_str(), compile(a))
}

fn compile(a: &VexArgs) -> Result<i32> {
    let cwd = layout::current_dir()?;
    let abs = |p: &Utf8Path| layout::normalize(&cwd.join(p));
    let (run_dir, stdlib, entry) = (abs(&a.run_dir), abs(&a.stdlib), abs(&a.entry));
    link_stdlib(&run_dir, &stdlib)?;
    let ir_dir = run_dir.join("ir");
    std::fs::create_dir_all(&ir_dir).with_context(|| format!("cannot create {ir_dir}"))?;
    let ir = ir_dir.join("main.ll");
    // an IR file left by an earlier run must not pass for this one's
    let _ = std::fs::remove_file(&ir);
    let out = std::process::Command::new(abs(&a.compiler))
        .args(["compile", "--emit-llvm"])
        .arg(&entry)
        .args(["-o", "ir/main"])
        .current_dir(&run_dir)
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .output()
        .with_context(|| format!("cannot run {}", a.compiler))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        // the object of the last good run stays; the compiler's diagnostics, in rustc's shape, as it wrote them
        eprint!("{}", relative_arrows(&diagnostics(&stderr), &cwd));
        return Ok(out.status.code().unwrap_or(1));
    }
    // on success only its warnings reach ninja's output: its progress lines are noise there
    if stderr.lines().any(|l| l.trim_start().starts_with("warning")) {
        eprint!("{}", relative_arrows(&diagnostics(&stderr), &cwd));
    }
    if !ir.is_file() {
        bail!("{} wrote no LLVM IR at {ir} (`compile --emit-llvm … -o ir/main`)", a.compiler);
    }
    let tmp = Utf8PathBuf::from(format!("{}.tmp", a.out));
    let llc = std::process::Command::new(&a.llc)
        .args(["-filetype=obj", "-relocation-model=pic", "-o"])
        .arg(abs(&tmp))
        .arg(&ir)
        .output()
        .with_context(|| format!("cannot run {}", a.llc))?;
    if !llc.status.success() {
        eprint!("{}", String::from_utf8_lossy(&llc.stderr));
        let _ = std::fs::remove_file(&tmp);
        return Ok(llc.status.code().unwrap_or(1));
    }
    std::fs::rename(&tmp, &a.out).with_context(|| format!("cannot write {}", a.out))?;
    let project = abs(&a.project);
    let mut modules = vec![entry.clone()];
    match printed_modules(&stderr, &run_dir, &stdlib) {
        Some(m) => modules.extend(m),
        // a compiler that says nothing of what it resolved: every module it could read is a dependency
        None => {
            modules_under(&stdlib, &[], &mut modules);
            modules_under(&project, &[run_dir.clone(), cwd.join("build")], &mut modules);
        }
    }
    modules.sort();
    modules.dedup();
    let deps: Vec<String> = modules
        .iter()
        .filter(|m| m.is_file())
        .map(|m| if m.starts_with(&project) { layout::relative(&cwd, m).to_string() } else { m.to_string() })
        .collect();
    write_cache(&a.depfile, depfile::render(a.out.as_str(), &deps).as_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modules_the_compiler_names_as_it_resolves_them() {
        let dir = tempfile::tempdir().unwrap();
        let std = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
        for f in ["math/src/lib.vx", "math/src/native.vxc", "math/.vex-build/x.vx", "cmd/src/lib.vx"] {
            std::fs::create_dir_all(std.join(f).parent().unwrap()).unwrap();
            std::fs::write(std.join(f), "").unwrap();
        }
        let printed = "🔄 Resolving import: 'math'\n   📁 Resolved path: \"/p/./lib/util.vx\"\n🔄 Resolving import: '@relative:math/./native.vxc'\n";
        let mut m = printed_modules(printed, Utf8Path::new("/p/build/vex"), &std).unwrap();
        m.sort();
        m.dedup();
        assert_eq!(
            m,
            [Utf8PathBuf::from("/p/lib/util.vx"), std.join("math/src/lib.vx"), std.join("math/src/native.vxc")]
        );
        assert!(printed_modules("nothing it resolved", Utf8Path::new("/p"), &std).is_none());
    }

    #[test]
    fn the_diagnostics_out_of_the_progress_lines() {
        let text = "🔄 Resolving import: 'math'\n📝 Parser: x\nerror[E0001]: Expected ';'\n --> m.vx:5:5\n  5 |     let x = ;\n              ^^^\n🔍 more\nthread 'main' panicked at a.rs:1:2:\nFound X but expected Y\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            diagnostics(text),
            "error[E0001]: Expected ';'\n --> m.vx:5:5\n  5 |     let x = ;\n              ^^^\nthread 'main' panicked at a.rs:1:2:\nFound X but expected Y\nnote: run with `RUST_BACKTRACE=1`\n"
        );
        assert_eq!(diagnostics("a\nb\n"), "a\nb\n", "nothing recognised: its last lines");
    }

    #[test]
    fn diagnostics_point_from_the_folder_ninja_runs_in() {
        let t = "error[E0001]: Expected ';'\n --> /w/app/src/main.vx:5:5\n --> /elsewhere/x.vx:1:1\n";
        assert_eq!(
            relative_arrows(t, Utf8Path::new("/w/app")),
            "error[E0001]: Expected ';'\n --> src/main.vx:5:5\n --> /elsewhere/x.vx:1:1\n"
        );
    }
}
