//! `--linker auto|mold|lld|default` (issue 35 item 1) with the real mold, GNU ld, the real Perry compiler and cc:
//! programs linked each way behave the same, the link says which linker made it (`.comment`), switching re-runs the
//! link only, and a linker asked for that is not installed is an error at gen with the install hint.

mod common;
use common::*;
use std::path::Path;

/// The linkers named in a program's `.comment` section (mold and lld write theirs there; GNU ld writes none).
fn linked_by(program: &Path) -> String {
    let o = std::process::Command::new("readelf").arg("-p").arg(".comment").arg(program).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    if text.contains("mold") {
        "mold".into()
    } else if text.contains("LLD") {
        "lld".into()
    } else {
        "default".into()
    }
}

#[test]
fn a_c_program_linked_by_mold_lld_and_the_default_behaves_the_same() {
    let (_t, p) = example("hello-c");
    let program = p.join("build/bin/hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    // auto: mold, installed by scripts/setup.sh
    assert_eq!(linked_by(&program), "mold");
    let explain = ok(ninjabind(&p, &["explain"]));
    assert!(explain.contains("linker: mold (") && explain.contains("auto"), "{explain}");
    let printed = run_program(&program);
    for (linker, expect) in [("default", "default"), ("lld", "lld"), ("mold", "mold")] {
        ok(ninjabind(&p, &["gen", "--linker", linker]));
        let out = ok(ninja(&p, &[]));
        // the linker is part of the link's key: only the link runs again
        assert_eq!(builds(&out), ["LINK build/bin/hello-c"], "{linker}: {out}");
        assert_eq!(linked_by(&program), expect, "{linker}");
        assert_eq!(run_program(&program), printed, "{linker}");
        // recorded: a bare regeneration keeps it
        ok(ninjabind(&p, &["gen"]));
        assert!(ok(ninja(&p, &["-n"])).contains("no work to do"), "{linker}");
    }
}

#[test]
fn the_real_perry_program_linked_by_mold_keeps_perrys_flags_and_prints_the_same() {
    let (_t, p) = example("perry-app");
    let perry = perry();
    let env = [("PERRY", perry.to_str().unwrap())];
    ok(ninjabind_with_env(&p, &["gen", "--linker", "default"], &env));
    ok(ninja(&p, &[]));
    let program = p.join("build/bin/perry-app");
    let by_ld = run_program(&program);
    assert_eq!(linked_by(&program), "default");
    ok(ninjabind_with_env(&p, &["gen", "--linker", "mold"], &env));
    let out = ok(ninja(&p, &[]));
    assert_eq!(builds(&out), ["LINK build/bin/perry-app"], "{out}");
    assert_eq!(linked_by(&program), "mold");
    assert_eq!(run_program(&program), by_ld);
    let rsp = std::fs::read_to_string(p.join("build/bin/perry-app.rsp")).unwrap();
    for flag in ["-fuse-ld=mold", "-Wl,--gc-sections", "-Wl,--allow-multiple-definition", "-Wl,--start-group"] {
        assert!(rsp.contains(flag), "{flag} missing: {rsp}");
    }
}

#[test]
fn a_linker_asked_for_that_is_not_installed_is_an_error_at_gen() {
    let (t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    // PATH as it is, less mold
    let bin = t.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for dir in std::env::var("PATH").unwrap().split(':').filter(|d| !d.is_empty()) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name();
            if name != "mold" && name != "ld.mold" && !bin.join(&name).exists() {
                let _ = std::os::unix::fs::symlink(e.path(), bin.join(&name));
            }
        }
    }
    let o = clean_command(EXE).current_dir(&p).args(["gen", "--linker", "mold"]).env("PATH", &bin).output().unwrap();
    let e = fails(o);
    assert!(e.contains("--linker mold: mold is not installed"), "{e}");
    assert!(e.contains("sudo apt-get install mold"), "{e}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before, "build.ninja kept");
    // auto without mold: lld, the next one
    let o = clean_command(EXE).current_dir(&p).args(["gen", "--linker", "auto"]).env("PATH", &bin).output().unwrap();
    ok(o);
    let explain = clean_command(EXE).current_dir(&p).arg("explain").env("PATH", &bin).output().unwrap();
    assert!(ok(explain).contains("linker: lld ("), "auto falls to lld");
}

#[test]
fn the_linker_named_in_ninjabind_toml() {
    let (_t, p) = example("hello-c");
    std::fs::write(p.join("ninjabind.toml"), "linker = \"default\"\n").unwrap();
    ok(ninjabind(&p, &["gen"]));
    assert!(ok(ninjabind(&p, &["explain"])).contains("linker: default: the compiler's own (--linker default)"));
    ok(ninja(&p, &[]));
    assert_eq!(linked_by(&p.join("build/bin/hello-c")), "default");
    std::fs::write(p.join("ninjabind.toml"), "linker = \"gold-plated\"\n").unwrap();
    let e = fails(ninjabind(&p, &["gen", "--fresh"]));
    assert!(e.contains("`linker` must be auto, mold, lld or default, not `gold-plated`"), "{e}");
}
