//! End-to-end: the content gate never keeps a stale object — an input saved while its command runs,
//! a header ninja cannot track, and outputs or records that are not regular files.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn exec_script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Polls (bounded: 60 s) until `p` exists.
fn wait_for(p: &Path) {
    for _ in 0..3000 {
        if p.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} never appeared", p.display());
}

/// A wrapper that runs its command, then, while `<dir>/hold` exists, says `<dir>/done` and waits
/// (at most 60 s) for `<dir>/go`: the window in which the test saves a source.
fn holding_wrapper(dir: &Path, name: &str, runs: &str) -> PathBuf {
    let w = dir.join(name);
    let d = dir.display();
    exec_script(
        &w,
        &format!(
            "#!/bin/sh\n{runs}\nrc=$?\nif [ -e '{d}/hold' ]; then rm -f '{d}/hold'; touch '{d}/done'; i=0; while [ ! -e '{d}/go' ] && [ $i -lt 3000 ]; do sleep 0.02; i=$((i+1)); done; fi\nexit $rc\n"
        ),
    );
    w
}

/// Runs `ninja` while `edit` saves a file once the held command has finished its real work.
fn build_while_editing(p: &Path, tools: &Path, edit: impl FnOnce()) -> String {
    std::fs::write(tools.join("hold"), "").unwrap();
    let child = clean_command("ninja")
        .current_dir(p)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&tools.join("done"));
    tick();
    edit();
    std::fs::write(tools.join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    std::fs::remove_file(tools.join("done")).unwrap();
    std::fs::remove_file(tools.join("go")).unwrap();
    ok(out)
}

#[test]
fn a_c_source_saved_while_it_compiles_is_compiled_by_the_next_build() {
    let (t, p) = example("hello-c");
    let tools = t.path().join("tools");
    let launcher = holding_wrapper(&tools, "launcher", "\"$@\"");
    ok(ninjabind(&p, &["gen", "--launcher", launcher.to_str().unwrap()]));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
    // main.c changes; its compile finishes, then the source is saved again while the launcher still runs
    let main = p.join("src/main.c");
    let v1 = std::fs::read_to_string(&main).unwrap().replace("squares = %s", "squares (v1) = %s");
    tick();
    std::fs::write(&main, &v1).unwrap();
    build_while_editing(&p, &tools, || std::fs::write(&main, v1.replace("(v1)", "(v2)")).unwrap());
    // the next build compiles what the file says now
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares (v2) = 1,4,9\n");
    touch(&main);
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares (v2) = 1,4,9\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn a_header_saved_while_an_includer_compiles_is_compiled_by_the_next_build() {
    let (t, p) = example("hello-c");
    let tools = t.path().join("tools");
    let launcher = holding_wrapper(&tools, "launcher", "\"$@\"");
    let h = p.join("include/query.h");
    let header = std::fs::read_to_string(&h).unwrap().replace("#endif", "#define HEADER_WORD \"v0\"\n#endif");
    std::fs::write(&h, &header).unwrap();
    let main = p.join("src/main.c");
    let m = std::fs::read_to_string(&main).unwrap().replace("GREETING, answer", "HEADER_WORD, answer");
    std::fs::write(&main, m).unwrap();
    ok(ninjabind(&p, &["gen", "--launcher", launcher.to_str().unwrap()]));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "v0: squares = 1,4,9\n");
    tick();
    std::fs::write(&h, header.replace("v0", "v1")).unwrap();
    build_while_editing(&p, &tools, || std::fs::write(&h, header.replace("v0", "v2")).unwrap());
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "v2: squares = 1,4,9\n");
}

#[test]
fn a_rust_source_saved_while_cargo_builds_is_built_by_the_next_build() {
    let (t, p) = example("hello-perry");
    let tools = t.path().join("tools");
    let cargo = holding_wrapper(&tools, "cargo", "cargo \"$@\"");
    ok(ninjabind_with_env(&p, &["gen"], &[("CARGO", cargo.to_str().unwrap())]));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
    let lib = p.join("node_modules/greeter/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    assert!(text.contains("x * 7"), "{text}");
    let v1 = text.replace("x * 7", "x * 8");
    tick();
    std::fs::write(&lib, &v1).unwrap();
    // the nanoid crate does not change, so the one held cargo run is the greeter's
    build_while_editing(&p, &tools, || std::fs::write(&lib, v1.replace("x * 8", "x * 9")).unwrap());
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=54 wave=0.841 nanoid_size=21\n");
}

/// `ninja` with a bound, so a hang fails the test instead of the suite.
fn ninja_bounded(p: &Path) -> std::process::Output {
    clean_command("timeout").current_dir(p).args(["-s", "KILL", "120", "ninja"]).output().unwrap()
}

#[test]
fn a_header_ninja_cannot_track_is_checked_by_the_gate_on_every_build() {
    let (t, p) = example("hello-c");
    let tools = t.path().join("tools");
    let log = tools.join("cc.log");
    let launcher = tools.join("launcher");
    exec_script(&launcher, &format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec \"$@\"\n", log.display()));
    std::fs::write(p.join("include/it's.h"), "#define HEADER_WORD \"q0\"\n").unwrap();
    let main = p.join("src/main.c");
    let m = std::fs::read_to_string(&main)
        .unwrap()
        .replace("#include \"query.h\"", "#include \"query.h\"\n#include \"it's.h\"")
        .replace("GREETING, answer", "HEADER_WORD, answer");
    std::fs::write(&main, m).unwrap();
    ok(ninjabind(&p, &["gen", "--launcher", launcher.to_str().unwrap()]));
    let first = ok(ninja(&p, &[]));
    assert!(first.contains("include/it's.h: warning: ninja cannot track it"), "{first}");
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "q0: squares = 1,4,9\n");
    let compiles = std::fs::read_to_string(&log).unwrap().lines().count();
    // nothing changed: the gate runs, finds the same content, and compiles nothing
    let again = ok(ninja(&p, &[]));
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), compiles, "{again}");
    assert!(!again.contains("LINK"), "{again}");
    tick();
    std::fs::write(p.join("include/it's.h"), "#define HEADER_WORD \"q1\"\n").unwrap();
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "q1: squares = 1,4,9\n");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), compiles + 1);
}

/// hello-c built, then `file` under its folder replaced by what `replace` makes, and query.c touched.
fn built_then_replaced(file: &str, replace: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let (t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    let f = p.join(file);
    std::fs::remove_file(&f).unwrap();
    replace(&f);
    tick();
    touch(&p.join("src/query.c"));
    (t, p)
}

#[test]
fn a_record_that_is_a_fifo_is_treated_as_no_record() {
    let (_t, p) = built_then_replaced("build/obj/hello-c/src/query.c.o.nbh", |f| {
        assert!(std::process::Command::new("mkfifo").arg(f).status().unwrap().success());
    });
    let record = p.join("build/obj/hello-c/src/query.c.o.nbh");
    ok(ninja_bounded(&p));
    assert!(std::fs::metadata(&record).unwrap().is_file());
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn an_output_linked_to_a_device_is_never_read_without_bound() {
    let (_t, p) = built_then_replaced("build/obj/hello-c/src/query.c.o", |f| {
        std::os::unix::fs::symlink("/dev/zero", f).unwrap();
    });
    let obj = p.join("build/obj/hello-c/src/query.c.o");
    let out = ninja_bounded(&p);
    let t = text(&out);
    // the compiler writes through the link into the device: a clear error naming the output, no hang
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("\nbuild/obj/hello-c/src/query.c.o: error: the command did not write build/obj/hello-c/src/query.c.o as a regular file"),
        "the compilers' shape, at the output: {t}"
    );
    std::fs::remove_file(&obj).unwrap();
    ok(ninja_bounded(&p));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn sources_a_build_script_generates_during_cargo_are_products_not_edits() {
    let (_t, p) = example("hello-perry");
    let g = p.join("node_modules/greeter");
    std::fs::write(
        g.join("build.rs"),
        "fn main() {\n    let out = std::env::var(\"OUT_DIR\").unwrap();\n    std::fs::write(format!(\"{out}/factor.rs\"), \"pub const FACTOR: i64 = 7;\\n\").unwrap();\n    println!(\"cargo:rerun-if-changed=build.rs\");\n}\n",
    )
    .unwrap();
    let lib = g.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap().replace("x * 7", "x * factor::FACTOR")
        + "\nmod factor {\n    include!(concat!(env!(\"OUT_DIR\"), \"/factor.rs\"));\n}\n";
    std::fs::write(&lib, text).unwrap();
    ok(ninjabind(&p, &["gen"]));
    let first = ok(ninja(&p, &[]));
    assert!(!first.contains("changed while"), "a generated file read as an edit: {first}");
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
    let again = ok(ninja(&p, &[]));
    assert!(again.contains("no work to do"), "{again}");
}
