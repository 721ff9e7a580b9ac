//! End-to-end: the content-hashed gate — no rebuild on touch, early cutoff, restored caches, headers, SIGKILL.
//! Real compiler and cargo runs are counted through wrapper scripts given as CC and CARGO.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

struct Counters {
    cc_log: PathBuf,
    cargo_log: PathBuf,
    cc: PathBuf,
    cargo: PathBuf,
}

/// Wrapper `cc` and `cargo` that log each real run; `cc` sleeps while `<dir>/slow` exists, after writing garbage.
fn counters(dir: &Path) -> Counters {
    std::fs::create_dir_all(dir).unwrap();
    let cc_log = dir.join("cc.log");
    let cargo_log = dir.join("cargo.log");
    let cc = dir.join("cc-wrapper");
    let cargo = dir.join("cargo-wrapper");
    let slow = dir.join("slow");
    std::fs::write(
        &cc,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -c ] && echo \"$*\" >> '{}'; done\nprev=\nfor a in \"$@\"; do [ \"$prev\" = -o ] && out=\"$a\"; prev=\"$a\"; done\nif [ -e '{}' ] && [ -n \"$out\" ]; then echo half-written > \"$out\"; touch '{}.started'; sleep 60; fi\nexec cc \"$@\"\n",
            cc_log.display(),
            slow.display(),
            slow.display()
        ),
    )
    .unwrap();
    std::fs::write(
        &cargo,
        format!("#!/bin/sh\n[ \"$1\" = rustc ] && echo \"$*\" >> '{}'\nexec cargo \"$@\"\n", cargo_log.display()),
    )
    .unwrap();
    for f in [&cc, &cargo] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    Counters { cc_log, cargo_log, cc, cargo }
}

fn count(log: &Path) -> usize {
    std::fs::read_to_string(log).map(|t| t.lines().count()).unwrap_or(0)
}

fn gen_with(p: &Path, c: &Counters, extra: &[&str]) {
    let mut args = vec!["gen"];
    args.extend_from_slice(extra);
    ok(ninjabind_with_env(p, &args, &[("CC", c.cc.to_str().unwrap()), ("CARGO", c.cargo.to_str().unwrap())]));
}

fn touch_all(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let path = e.path();
        if e.file_name() == "build" || e.file_name() == "target" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            touch_all(&path);
        } else if e.file_type().unwrap().is_file() {
            touch(&path);
        }
    }
}

#[test]
fn touching_everything_runs_no_compiler_no_cargo_and_no_link() {
    let (t, p) = example("hello-perry");
    let c = counters(&t.path().join("tools"));
    gen_with(&p, &c, &[]);
    ok(ninja(&p, &[]));
    let (cc0, cargo0) = (count(&c.cc_log), count(&c.cargo_log));
    assert_eq!((cc0, cargo0), (1, 2));
    tick();
    touch_all(&p);
    let out = ok(ninja(&p, &[]));
    assert_eq!((count(&c.cc_log), count(&c.cargo_log)), (cc0, cargo0), "{out}");
    assert!(!out.contains("LINK"), "{out}");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
}

#[test]
fn a_comment_in_a_function_body_recompiles_but_does_not_relink() {
    let (t, p) = example("hello-c");
    let c = counters(&t.path().join("tools"));
    gen_with(&p, &c, &[]);
    ok(ninja(&p, &[]));
    tick();
    let src = p.join("src/query.c");
    let text = std::fs::read_to_string(&src).unwrap().replace("int rc = 1;", "int rc = 1; /* a comment */");
    std::fs::write(&src, text).unwrap();
    let before = count(&c.cc_log);
    let out = ok(ninja(&p, &[]));
    assert_eq!(count(&c.cc_log), before + 1, "{out}");
    assert!(ran(&out).contains(&"CC build/obj/hello-c/src/query.c.o".to_string()), "{out}");
    assert!(!out.contains("LINK"), "identical object must not relink: {out}");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    // a change to the object's bytes does relink
    tick();
    let text = std::fs::read_to_string(&src).unwrap().replace("\"sqlite: %s\\n\"", "\"sqlite error: %s\\n\"");
    std::fs::write(&src, text).unwrap();
    assert!(ok(ninja(&p, &[])).contains("LINK"));
}

/// Copies a tree keeping file mtimes (what a cache restore does).
fn copy_preserving(src: &Path, dst: &Path) {
    let st = std::process::Command::new("cp").args(["-a"]).arg(src).arg(dst).status().unwrap();
    assert!(st.success());
}

#[test]
fn a_fresh_clone_with_a_restored_build_folder_runs_no_compiler_and_no_cargo() {
    let (t, p) = example("hello-perry");
    let c = counters(&t.path().join("tools"));
    gen_with(&p, &c, &[]);
    ok(ninja(&p, &[]));
    let cache = t.path().join("cache");
    copy_preserving(&p.join("build"), &cache);
    let (cc0, cargo0) = (count(&c.cc_log), count(&c.cargo_log));
    // a new clone elsewhere: same content, fresh mtimes, new inodes
    tick();
    let (_t2, clone) = example("hello-perry");
    copy_preserving(&cache, &clone.join("build"));
    let restored_hashes = std::fs::read_to_string(clone.join("build/.ninjabind_hashes")).unwrap_or_default();
    gen_with(&clone, &c, &[]);
    let out = ok(ninja(&clone, &[]));
    assert_eq!((count(&c.cc_log), count(&c.cargo_log)), (cc0, cargo0), "{out}");
    assert_eq!(run_program(&clone.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
    let again = ok(ninja(&clone, &["-d", "explain"]));
    assert!(again.contains("no work to do"), "{again}");
    // each binding archive (new inode: its cargo record no longer vouches for it) was hashed once and shared: its
    // cargo edge, its symbol check and the link all read that one hash (a gate that hashed it again would append)
    let all = std::fs::read_to_string(clone.join("build/.ninjabind_hashes")).unwrap();
    let shared = all.strip_prefix(restored_hashes.as_str()).unwrap_or_else(|| panic!("rewritten:\n{all}"));
    for lib in ["build/lib/libgreeter.a", "build/lib/libperry_ext_nanoid.a"] {
        let lines = shared.lines().filter(|l| l.ends_with(&format!(" {lib}"))).count();
        assert_eq!(lines, 1, "{lib} hashed {lines} times in the restored build:\n{shared}");
    }
}

#[test]
fn a_header_change_rebuilds_exactly_its_includers_even_after_gated_skips() {
    let (t, p) = example("hello-c");
    let c = counters(&t.path().join("tools"));
    // a third source that does not include the header
    let m = p.join("vex.json");
    std::fs::write(
        &m,
        std::fs::read_to_string(&m).unwrap().replace("\"src/query.c\"", "\"src/query.c\", \"src/other.c\""),
    )
    .unwrap();
    std::fs::write(p.join("src/other.c"), "int other(void) { return 3; }\n").unwrap();
    gen_with(&p, &c, &[]);
    ok(ninja(&p, &[]));
    // touch everything: every compile is skipped by the gate, which must rewrite the depfiles ninja reads
    tick();
    touch_all(&p);
    let before = count(&c.cc_log);
    ok(ninja(&p, &[]));
    assert_eq!(count(&c.cc_log), before);
    tick();
    let h = p.join("include/query.h");
    std::fs::write(&h, std::fs::read_to_string(&h).unwrap().replace("#endif", "int unused_decl(void);\n#endif"))
        .unwrap();
    let out = ok(ninja(&p, &[]));
    let compiled: Vec<String> =
        std::fs::read_to_string(&c.cc_log).unwrap().lines().skip(before).map(|l| l.to_string()).collect();
    assert_eq!(compiled.len(), 2, "{out}\n{compiled:?}");
    assert!(compiled.iter().all(|l| !l.contains("other.c")), "{compiled:?}");
}

#[test]
fn killing_ninja_mid_build_then_running_again_ends_correct() {
    let (t, p) = example("hello-c");
    let tools = t.path().join("tools");
    let c = counters(&tools);
    gen_with(&p, &c, &[]);
    std::fs::write(tools.join("slow"), "").unwrap();
    let mut child =
        clean_command("ninja").current_dir(&p).args(["-j1"]).stdout(std::process::Stdio::null()).spawn().unwrap();
    let started = tools.join("slow.started");
    for _ in 0..600 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(started.exists(), "the slow compile never started");
    // SIGKILL ninja and everything it started
    let st = std::process::Command::new("pkill").args(["-KILL", "-f", &tools.display().to_string()]).status().unwrap();
    assert!(st.success());
    child.kill().ok();
    child.wait().unwrap();
    // the half-written object has no record claiming it
    let obj =
        std::fs::read_dir(p.join("build/obj/hello-c/src")).unwrap().flatten().map(|e| e.path()).find(|f| {
            f.extension().is_some_and(|x| x == "o") && std::fs::read(f).is_ok_and(|b| b == b"half-written\n")
        });
    let obj = obj.expect("the killed compile left a half-written object");
    let record = PathBuf::from(format!("{}.nbh", obj.display()));
    assert!(!record.exists(), "a record claims the half-written {}", obj.display());
    std::fs::remove_file(tools.join("slow")).unwrap();
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
    assert!(record.exists());
}

/// The gate's own argument parser (a fast path past the full command tree) still refuses what it does not know, and
/// `--help` still reaches the full parser.
#[test]
fn the_gate_refuses_unknown_arguments_and_explains_itself() {
    let o = std::process::Command::new(EXE).args(["edge", "gate", "--rule", "cc", "--bogus", "x"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unexpected argument '--bogus'"), "{}", text(&o));
    let o = std::process::Command::new(EXE).args(["edge", "gate", "--rule", "cc", "--help"]).output().unwrap();
    assert!(o.status.success() && text(&o).contains("--record"), "{}", text(&o));
}

/// A gate run by hand, outside any ninja build (no `.ninja_log` above its output), runs and records, and leaves no
/// run log or shared-hash file in the folder it was run from.
#[test]
fn a_gate_run_by_hand_leaves_no_log_behind() {
    let t = tempfile::tempdir().unwrap();
    let big = vec![b'x'; 100_000];
    std::fs::write(t.path().join("in.txt"), &big).unwrap();
    let o = std::process::Command::new(EXE)
        .current_dir(t.path())
        .args(["edge", "gate", "--rule", "cc", "--tool-id", "t", "--record", "out.nbh", "--in", "in.txt"])
        .args(["--out", "out.txt", "--", "cp", "in.txt", "out.txt"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(t.path().join("out.txt")).unwrap(), big);
    assert!(t.path().join("out.nbh").is_file());
    for f in [".ninjabind_log", ".ninjabind_hashes"] {
        assert!(!t.path().join(f).exists(), "{f} left in the folder");
    }
}
