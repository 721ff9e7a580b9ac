//! `ninjabind watch [--run]`: the loop `tsc --watch` and `perry dev` users know — ninja again on each change of the
//! project's files, one status line per build, and with `--run` the program restarted after each good build.

use crate::base::diag::Diagnostic;
use crate::base::files::read_regular_text;
use crate::base::layout;
use crate::protocol::header;
use anyhow::{Context, Result};
use camino::{Utf8Path, Utf8PathBuf};
use notify::event::{EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Set by SIGINT and SIGTERM: the loop stops the program it started and returns.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

pub struct Options {
    /// The folder holding build.ninja.
    pub dir: Utf8PathBuf,
    /// Restart the built program after each successful build.
    pub run: bool,
    /// The program's arguments (`watch --run -- ARGS`).
    pub args: Vec<String>,
}

/// What one build did: how many steps ninja ran, whether it succeeded, how long it took, and its output.
struct Build {
    steps: usize,
    ok: bool,
    took: Duration,
    output: String,
}

fn build(dir: &Utf8Path) -> Result<Build> {
    let started = Instant::now();
    let out = Command::new("ninja").current_dir(dir).output().context("cannot run ninja")?;
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let steps = output.lines().filter(|l| l.starts_with('[') && !l.contains("] SCAN ")).count();
    Ok(Build { steps, ok: out.status.success(), took: started.elapsed(), output })
}

/// The program build.ninja builds by default, if it has one (`default build/bin/<name>`).
fn program(ninja: &str, dir: &Utf8Path) -> Option<Utf8PathBuf> {
    let target = ninja.lines().find_map(|l| l.strip_prefix("default "))?.trim();
    (target != "all").then(|| dir.join(target))
}

/// The project folder build.ninja was generated for (its header's `-C`), and its build folder (`builddir`).
fn folders(ninja: &str, dir: &Utf8Path) -> (Utf8PathBuf, Utf8PathBuf) {
    let project = header::parse(ninja)
        .and_then(|h| h.options.windows(2).find(|w| w[0] == "-C").map(|w| w[1].clone()))
        .map_or_else(|| dir.to_owned(), |p| layout::normalize(&dir.join(p)));
    let builddir = ninja.lines().find_map(|l| l.strip_prefix("builddir = ")).unwrap_or("build");
    (project, layout::normalize(&dir.join(builddir)))
}

fn start(program: &Utf8Path, args: &[String]) -> Option<Child> {
    match Command::new(program).args(args).stdin(Stdio::null()).spawn() {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("watch: cannot start {program}: {e}");
            None
        }
    }
}

fn stop(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// One line per build: when, what changed, what ran, how long.
fn status(changed: &str, b: &Build) -> String {
    let verdict = if b.ok { "ok" } else { "FAILED (watching on)" };
    let steps = if b.steps == 1 { "1 step".to_string() } else { format!("{} steps", b.steps) };
    format!("watch: {changed}: {steps} in {:.2} s, {verdict}", b.took.as_secs_f64())
}

/// Content written, a file made, removed or renamed: not a read (a compile opening a header) nor attributes.
fn is_edit(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any)
    )
}

/// Whether a changed path is one of the user's files: not in the build folder, not ninja's, gen's or a tool's
/// bookkeeping (build.ninja, gen's `.build.ninja.<pid>.tmp`, `.git`), not an editor's scratch file (a hidden file,
/// `file~`, vim's `.swp` and its `4913` probe).
fn relevant(p: &Utf8Path, out: &Utf8Path, dir: &Utf8Path) -> bool {
    let name = p.file_name().unwrap_or("");
    let scratch = name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp") || name == "4913";
    let bookkeeping = p.starts_with(out)
        || p.components().any(|c| matches!(c.as_str(), "target" | ".git" | ".cache"))
        || (p.parent() == Some(dir) && name == "build.ninja");
    !(bookkeeping || scratch)
}

pub fn watch(o: &Options) -> Result<i32> {
    let dir = layout::canonical(&layout::current_dir()?.join(&o.dir))?;
    let ninja = read_regular_text(&dir.join("build.ninja"), 1 << 30).map_err(|_| {
        Diagnostic::error(format!("no build.ninja in {dir}"))
            .with_help("run `ninjabind gen` first (or point at the build folder with -C)")
            .into_err()
    })?;
    let (project, out) = folders(&ninja, &dir);
    let program = program(&ninja, &dir).filter(|_| o.run);
    // SAFETY: the handler only stores to an atomic
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).context("cannot watch files")?;
    watcher
        .watch(project.as_std_path(), RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {project}"))?;
    let mut child = None;
    let run = |changed: &str, child: &mut Option<Child>| -> Result<()> {
        if changed != "start" {
            println!("watch: {changed} changed, building");
        }
        let b = build(&dir)?;
        if !b.ok && child.is_some() {
            // as `perry dev` does not: the old program's output would scroll the error away, and what runs would
            // not be what was saved
            stop(child);
        }
        if !b.ok {
            eprint!("{}", b.output);
        }
        println!("{}", status(changed, &b));
        if !b.ok && program.is_some() {
            println!("watch: the program is stopped until a build succeeds");
        }
        // restarted when something was built (or it is not running): an edit that builds nothing keeps it
        if let (true, Some(p)) = (b.ok && (b.steps > 0 || child.is_none()), &program) {
            stop(child);
            *child = start(p, &o.args);
        }
        Ok(())
    };
    println!("watch: watching {project} (Ctrl-C stops)");
    run("start", &mut child)?;
    while !STOP.load(Ordering::SeqCst) {
        let mut changed: Vec<Utf8PathBuf> = Vec::new();
        // the first edit, then whatever else comes within 150 ms: one build for a save that writes several files
        let mut wait = Duration::from_millis(100);
        while !STOP.load(Ordering::SeqCst) {
            match rx.recv_timeout(wait) {
                Ok(Ok(event)) if is_edit(&event.kind) => {
                    changed.extend(
                        event
                            .paths
                            .into_iter()
                            .filter_map(|p| Utf8PathBuf::from_path_buf(p).ok())
                            // a folder's own event is its mtime or attributes: not an edit
                            .filter(|p| relevant(p, &out, &dir) && !p.is_dir()),
                    );
                    if !changed.is_empty() {
                        wait = Duration::from_millis(150);
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => eprintln!("watch: {e}"),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => STOP.store(true, Ordering::SeqCst),
            }
        }
        changed.sort();
        changed.dedup();
        let Some(first) = changed.first() else { continue };
        let shown = layout::relative(&project, first);
        let what = match changed.len() {
            1 => shown.to_string(),
            n => format!("{shown} and {} more", n - 1),
        };
        run(&what, &mut child)?;
    }
    stop(&mut child);
    println!("watch: stopped");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_folder_and_ninjas_files_are_not_changes() {
        let (out, dir) = (Utf8Path::new("/p/build"), Utf8Path::new("/p"));
        assert!(relevant(Utf8Path::new("/p/src/main.c"), out, dir));
        assert!(relevant(Utf8Path::new("/p/vex.json"), out, dir));
        assert!(!relevant(Utf8Path::new("/p/build/obj/x.o"), out, dir));
        assert!(!relevant(Utf8Path::new("/p/.ninja_log"), out, dir));
        assert!(!relevant(Utf8Path::new("/p/build.ninja"), out, dir));
        assert!(!relevant(Utf8Path::new("/p/node_modules/b/target/release/x"), out, dir));
        // gen's temporary build.ninja and editors' scratch files are not the user's edits
        for scratch in ["/p/.build.ninja.20744.tmp", "/p/src/.main.ts.swp", "/p/src/main.ts~", "/p/src/4913"] {
            assert!(!relevant(Utf8Path::new(scratch), out, dir), "{scratch}");
        }
    }
}
