//! The real Vex compiler in the graph (built from third_party/vex by scripts/setup.sh): `ninjabind gen && ninja`
//! builds examples/vex-app — the stdlib's `math` and `cmd`, and native code of its own behind a `.vxc` — and the
//! program prints and returns what the program `vex compile` builds prints and returns. Each test has its own copy
//! of the stdlib (the compiler writes into it).

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn vex() -> PathBuf {
    let v = repo().join("target/vex/bin/vex");
    assert!(v.is_file(), "{} is missing: run scripts/setup.sh", v.display());
    v
}

/// examples/vex-app and a copy of the compiler's stdlib beside it: (guard, project, stdlib).
fn project() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (t, p) = example("vex-app");
    let std = t.path().join("std");
    copy_dir(&repo().join("target/vex/vex-libs/std"), &std);
    (t, p, std)
}

fn gen(p: &Path, std: &Path, args: &[&str]) -> String {
    let (vex, std) = (vex(), std.to_str().unwrap().to_string());
    ok(ninjabind_with_env(p, args, &[("VEX", vex.to_str().unwrap()), ("VEX_STDLIB", &std)]))
}

/// Stdout and exit code of a program run with `args`.
fn run_with(program: &Path, args: &[&str]) -> (String, i32) {
    let o = std::process::Command::new(program).args(args).output().unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned(), o.status.code().unwrap_or(-1))
}

/// What the program `vex compile src/main.vx` builds from a copy of `project` prints and returns: the compiler run
/// where `vex-libs/std` is `std`, as it must be. Its object is not position-independent and Debian's clang links
/// PIE programs by default, so the `clang` it links with is given `-no-pie` (a wrapper first on PATH).
fn vex_compiles(project: &Path, std: &Path, args: &[&str]) -> (String, i32) {
    let oracle = project.parent().unwrap().join("oracle");
    let _ = std::fs::remove_dir_all(&oracle);
    copy_dir(project, &oracle);
    std::fs::create_dir_all(oracle.join("vex-libs")).unwrap();
    std::os::unix::fs::symlink(std, oracle.join("vex-libs/std")).unwrap();
    let bin = project.parent().unwrap().join("oracle-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("clang"), "#!/bin/sh\nexec /usr/bin/clang -no-pie \"$@\"\n").unwrap();
    assert!(std::process::Command::new("chmod").arg("+x").arg(bin.join("clang")).status().unwrap().success());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let o = std::process::Command::new(vex())
        .args(["compile", "src/main.vx", "-o", "prog"])
        .current_dir(&oracle)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(o.status.success(), "vex compile failed: {}", String::from_utf8_lossy(&o.stderr));
    run_with(&oracle.join("prog"), args)
}

#[test]
fn the_example_builds_as_vex_compile_builds_it_and_an_edit_reruns_only_what_it_reaches() {
    let (_t, p, std) = project();
    gen(&p, &std, &["gen"]);
    let first = ok(ninja(&p, &[]));
    assert!(first.contains("VEX src/main.vx") && first.contains("LINK build/bin/vex-app"), "{first}");
    let program = p.join("build/bin/vex-app");
    let ours = run_with(&program, &["a", "b"]);
    assert_eq!(ours, ("args:  3\nsqrt(2):  1.41421\nscale(7):  42\nspeed:  1\n".to_string(), 3));
    assert_eq!(ours, vex_compiles(&p, &std, &["a", "b"]), "the program vex compile builds");
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));
    // gen named no module: the compiler's own lines did, at build time (its stdlib modules are the depfile's)
    let explain = ok(ninjabind(&p, &["explain"]));
    assert!(explain.contains(&format!("{}/math/src/lib.vx", std.display())), "{explain}");

    // a .vx edit: the compiler and the link, nothing else, and no regeneration of the graph
    edit(&p.join("src/main.vx"), "println(\"args: \", n);", "println(\"argc: \", n);");
    let out = ok(ninja(&p, &[]));
    assert_eq!(builds(&out), ["LINK build/bin/vex-app", "VEX src/main.vx"], "{out}");
    assert_eq!(run_with(&program, &[]).0, "argc:  1\nsqrt(2):  1.41421\nscale(7):  42\nspeed:  1\n");
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));

    // a stdlib package's native C: that compile and the link
    edit(
        &std.join("math/native/vex_math.c"),
        "#include <stdbool.h>",
        "#include <stdbool.h>\nint vex_math_edited(void) { return 7; }",
    );
    let out = ok(ninja(&p, &[]));
    assert_eq!(builds(&out), ["CC build/obj/math/native/vex_math.c.o", "LINK build/bin/vex-app"], "{out}");
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));

    // a stdlib module the program imports: the compiler learnt it from its own output
    edit(&std.join("math/src/lib.vx"), "export fn sqrt_f64", "// edited\nexport fn sqrt_f64");
    let out = ok(ninja(&p, &[]));
    assert!(builds(&out).contains(&"VEX src/main.vx".to_string()), "{out}");
}

#[test]
fn a_feature_of_the_root_native_block_and_its_have_gated_source() {
    let (_t, p, std) = project();
    // `fast` on: its source compiles (HAVE_FAST in its flags) and the program takes its app_speed
    gen(&p, &std, &["gen", "--features", "fast"]);
    ok(ninja(&p, &[]));
    assert_eq!(
        run_with(&p.join("build/bin/vex-app"), &[]).0,
        "args:  1\nsqrt(2):  1.41421\nscale(7):  42\nspeed:  2\n"
    );
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));
    // off (the manifest's default): the compile edge gates native/speed_fast.c out, no compiler run
    gen(&p, &std, &["gen", "--fresh"]);
    ok(ninja(&p, &[]));
    assert_eq!(
        run_with(&p.join("build/bin/vex-app"), &[]).0,
        "args:  1\nsqrt(2):  1.41421\nscale(7):  42\nspeed:  1\n"
    );
    let explain = ok(ninjabind(&p, &["explain", "--features", "fast"]));
    assert!(explain.contains("source native/speed_fast.c: compiled"), "{explain}");
    let explain = ok(ninjabind(&p, &["explain"]));
    assert!(explain.contains("feature fast: skipped (not enabled)"), "{explain}");
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));
}

#[test]
fn the_compilers_errors_reach_ninja_at_their_place_and_the_last_object_stays() {
    let (_t, p, std) = project();
    gen(&p, &std, &["gen"]);
    ok(ninja(&p, &[]));
    let object = std::fs::read(p.join("build/vex/main.o")).unwrap();
    edit(&p.join("src/main.vx"), "let speed: i64 = app_speed();", "let speed: i64 = ;");
    let err = fails(ninja(&p, &[]));
    assert!(err.contains("FAILED: build/vex/main.o"), "{err}");
    assert!(err.contains("error[E0001]") && err.contains(" --> src/main.vx:11:22"), "{err}");
    assert!(!err.contains("📝 Parser"), "the compiler's progress lines stay out: {err}");
    assert_eq!(std::fs::read(p.join("build/vex/main.o")).unwrap(), object, "the last good object is kept");
    edit(&p.join("src/main.vx"), "let speed: i64 = ;", "let speed: i64 = app_speed();");
    ok(ninja(&p, &[]));
    assert_eq!(run_with(&p.join("build/bin/vex-app"), &[]).1, 1);
}

#[test]
fn a_stdlib_without_the_package_and_a_compiler_without_emit_llvm_are_errors_at_gen() {
    let (t, p, _std) = project();
    // the stdlib named holds no `math`: an error at the import, naming where gen looked
    let empty = t.path().join("empty-std");
    std::fs::create_dir_all(&empty).unwrap();
    let vex = vex();
    let e = fails(ninjabind_with_env(
        &p,
        &["gen"],
        &[("VEX", vex.to_str().unwrap()), ("VEX_STDLIB", empty.to_str().unwrap())],
    ));
    assert!(e.contains("cannot resolve import `math`") && e.contains("src/main.vx:3:"), "{e}");
    assert!(e.contains("empty-std/math"), "{e}");
    // another version of the compiler, without `compile --emit-llvm`
    let other = t.path().join("bin/vex");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'vex 9.9.9'; else echo 'Usage: vex compile [OPTIONS] <INPUT>'; fi\n").unwrap();
    assert!(std::process::Command::new("chmod").arg("+x").arg(&other).status().unwrap().success());
    let e = fails(ninjabind_with_env(&p, &["gen"], &[("VEX", other.to_str().unwrap())]));
    assert!(e.contains("(vex 9.9.9) has no `compile --emit-llvm`"), "{e}");
    assert!(!p.join("build.ninja").exists());
}
