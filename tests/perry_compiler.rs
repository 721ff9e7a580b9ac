//! The real Perry compiler (installed from npm by scripts/setup.sh) in the graph: `ninjabind gen && ninja` builds a
//! TypeScript program with a Rust binding, as `perry compile` builds it, and rebuilds only what an edit reaches.

mod common;
use common::*;
use std::path::Path;

fn gen_with_perry(dir: &Path, args: &[&str]) -> std::process::Output {
    let perry = perry();
    ninjabind_with_env(dir, args, &[("PERRY", perry.to_str().unwrap())])
}

#[test]
fn perry_app_prints_what_perrys_own_program_prints_and_each_edit_reruns_only_what_it_reaches() {
    // Perry's own build of the same sources, in its own copy
    let (_t0, theirs) = example("perry-app");
    let o = std::process::Command::new(perry())
        .current_dir(&theirs)
        .args(["compile", "src/main.ts", "-o", "app", "--cache-dir"])
        .arg(theirs.join("perry-cache"))
        .output()
        .unwrap();
    assert!(o.status.success(), "perry compile failed:\n{}", text(&o));
    let expected = run_program(&theirs.join("app"));
    assert_eq!(expected, "weigh(6) = 42\ncount = 34\n");

    let (_t, p) = example("perry-app");
    ok(gen_with_perry(&p, &["gen"]));
    let out = ok(ninja(&p, &[]));
    let program = p.join("build/bin/perry-app");
    assert_eq!(run_program(&program), expected, "{out}");
    for (kind, n) in [("perry", 1), ("unzstd", 2), ("cargo", 1), ("link", 1)] {
        assert_eq!(commands(&p, kind), n, "{kind} in the first build:\n{out}");
    }
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    // Perry's object cache is inside the build folder: removing it leaves nothing of the build behind
    assert!(p.join("build/host/perry-cache").is_dir());
    assert!(!p.join("node_modules/.cache").exists());

    // the app's own TypeScript: Perry again and the link, no cargo, no unpacking
    edit(&p.join("src/lib/label.ts"), "\" = \"", "\": \"");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&program), "weigh(6): 42\ncount: 34\n");
    assert_eq!((commands(&p, "perry"), commands(&p, "cargo"), commands(&p, "unzstd")), (1, 0, 0));
    assert_eq!(commands(&p, "link"), 1);

    // the binding's TypeScript face
    edit(&p.join("node_modules/tally/src/index.ts"), "return js_tally_count(a, b);", "return js_tally_count(b, a);");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&program), "weigh(6): 42\ncount: 43\n");
    assert_eq!((commands(&p, "perry"), commands(&p, "cargo")), (1, 0));

    // the binding's Rust: cargo and the link, not Perry
    edit(&p.join("node_modules/tally/src/lib.rs"), "x * 7.0", "x * 8.0");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&program), "weigh(6): 48\ncount: 43\n");
    assert_eq!((commands(&p, "perry"), commands(&p, "cargo"), commands(&p, "link")), (0, 1, 1));
    assert!(ok(ninja(&p, &[])).contains("no work to do"));

    // a new import of another installed binding: ninja regenerates, builds it, links it
    write_tree(
        &p,
        &[
            (
                "node_modules/doubler/package.json",
                r#"{ "name": "doubler", "version": "0.1.0", "main": "src/index.ts",
  "perry": { "nativeLibrary": { "abiVersion": "0.5",
    "functions": [{ "name": "js_doubler_twice", "params": ["f64"], "returns": "f64" }],
    "targets": { "linux": { "crate": ".", "lib": "doubler" } } } } }"#,
            ),
            (
                "node_modules/doubler/src/index.ts",
                "declare function js_doubler_twice(x: number): number;\nexport function twice(x: number): number { return js_doubler_twice(x); }\n",
            ),
            (
                "node_modules/doubler/Cargo.toml",
                "[package]\nname = \"doubler\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"staticlib\"]\n\n[workspace]\n",
            ),
            (
                "node_modules/doubler/src/lib.rs",
                "#[no_mangle]\npub extern \"C\" fn js_doubler_twice(x: f64) -> f64 {\n    x * 2.0\n}\n",
            ),
        ],
    );
    std::fs::copy(p.join("node_modules/tally/Cargo.lock"), p.join("node_modules/doubler/Cargo.lock")).unwrap();
    let lock = std::fs::read_to_string(p.join("node_modules/doubler/Cargo.lock")).unwrap();
    std::fs::write(
        p.join("node_modules/doubler/Cargo.lock"),
        lock.replace("\"tally\"", "\"doubler\"").replace("1.0.0", "0.1.0"),
    )
    .unwrap();
    edit(&p.join("package.json"), "[\"tally\"]", "[\"tally\", \"doubler\"]");
    edit(
        &p.join("src/main.ts"),
        "import { label } from \"./lib/label\";",
        "import { label } from \"./lib/label\";\nimport { twice } from \"doubler\";\nconsole.log(label(\"twice\", twice(21)));",
    );
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating build.ninja"), "{out}");
    assert_eq!(run_program(&program), "twice: 42\nweigh(6): 48\ncount: 43\n", "{out}");
    assert!(ran(&out).contains(&"CARGO build/lib/libdoubler.a".to_string()), "{out}");
}

#[test]
fn a_native_binding_the_host_does_not_allow_is_an_error_at_its_import() {
    let (_t, p) = example("perry-app");
    edit(&p.join("package.json"), "[\"tally\"]", "[\"@other/*\"]");
    let err = fails(gen_with_perry(&p, &["gen"]));
    assert!(err.contains("package `tally` declares `perry.nativeLibrary`"), "{err}");
    assert!(err.contains("src/main.ts:2:"), "the error points at the import: {err}");
    assert!(
        err.contains("\"nativeLibrary\": [\n") && err.contains("\"@other/*\",\n") && err.contains("\"tally\""),
        "{err}"
    );
    assert!(!p.join("build.ninja").exists(), "nothing written");
    // one build's escape hatch, as Perry's
    let perry = perry();
    let o =
        ninjabind_with_env(&p, &["gen"], &[("PERRY", perry.to_str().unwrap()), ("PERRY_ALLOW_PERRY_FEATURES", "1")]);
    let out = ok(o);
    assert!(out.contains("warning: PERRY_ALLOW_PERRY_FEATURES=1: native binding `tally` is linked"), "{out}");
    // never recorded: the replayed gen does not carry it
    let ninja_file = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!ninja_file.contains("PERRY_ALLOW_PERRY_FEATURES"));
}

#[test]
fn a_compiler_or_entry_that_is_not_there_is_an_error_at_gen() {
    let (_t, p) = example("perry-app");
    let err = fails(ninjabind(&p, &["gen", "--perry", "nope/perry"]));
    assert!(
        err.contains("the Perry compiler nope/perry (from --perry, PERRY or ninjabind.toml) is not an executable file"),
        "{err}"
    );
    let err = fails(gen_with_perry(&p, &["gen", "--entry", "src/missing.ts"]));
    assert!(err.contains("not the program's entry module"), "{err}");
    assert!(err.contains("the ENTRY given, src/missing.ts, is not a file"), "{err}");
    assert!(!p.join("build.ninja").exists());
    // named by package.json: the error points at the field, and says only what was asked
    edit(&p.join("package.json"), "\"entry\": \"src/main.ts\"", "\"entry\": \"src/gone.ts\"");
    let err = fails(gen_with_perry(&p, &["gen"]));
    assert!(err.contains("`perry.entry` in package.json names src/gone.ts, which is not a file"), "{err}");
    assert!(err.contains("--> package.json:6:14"), "{err}");
    assert!(!err.contains("src/main.ts"), "{err}");
}

#[test]
fn without_a_compiler_a_perry_project_links_nothing_and_explain_says_where_it_looked() {
    let (_t, p) = example("perry-app");
    // PATH without perry, no node_modules/.bin/perry: today's behaviour, the link arguments for a host to use
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(out.contains("no program of its own to link"), "{out}");
    assert!(p.join("build/link.rsp").is_file());
    let explain = ok(ninjabind(&p, &["explain"]));
    assert!(explain.contains("Perry compiler: not found; searched"), "{explain}");
    assert!(explain.contains("node_modules/.bin/perry"), "{explain}");
}

#[test]
fn the_installed_compilers_well_known_table_replaces_the_bundled_one() {
    let perry = perry();
    let out = ok(ninjabind_with_env(&repo(), &["list"], &[("PERRY", perry.to_str().unwrap())]));
    assert!(out.contains("from the well-known table of perry 0.5.1520 (`perry native list`)"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("@parcel/watcher ")), "{out}");
    assert!(ok(ninjabind(&repo(), &["list"])).contains("from the bundled well-known table"));

    // `@parcel/watcher` is in 0.5.1520's table, not in the bundled one
    let (_t, p) = example("perry-app");
    edit(
        &p.join("src/main.ts"),
        "import { label }",
        "import { subscribe } from \"@parcel/watcher\";\nimport { label }",
    );
    // the compiler serves it from its prebuilt stdlib, as `perry compile` does: no bindings root needed
    let with = ok(gen_with_perry(&p, &["gen"]));
    // in the generated project, `list` uses the compiler gen recorded, as explain there does
    let listed = ok(ninjabind(&p, &["list"]));
    assert!(listed.contains("from the well-known table of perry 0.5.1520"), "{listed}");
    let explain = ok(ninjabind_with_env(&p, &["explain"], &[("PERRY", perry.to_str().unwrap())]));
    assert!(explain.contains("\"@parcel/watcher\" → perry-ext-parcel-watcher  [layer c"), "{with}\n{explain}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/perry-app")), "weigh(6) = 42\ncount = 34\n");
    let cache = std::fs::read_to_string(p.join("build/perry-native-list.json")).unwrap();
    assert!(cache.starts_with("perry 0.5.1520\n["), "cached by version: {}", &cache[..40.min(cache.len())]);
    let without = fails(ninjabind(&p, &["gen", "--fresh"]));
    assert!(without.contains("cannot resolve import `@parcel/watcher`"), "{without}");
    assert!(without.contains("the bundled well-known table"), "{without}");
}

/// A static archive with one function, made by the real cc and ar.
fn archive(dir: &Path, name: &str, body: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("x.c"), body).unwrap();
    let cc = std::process::Command::new("cc").current_dir(dir).args(["-c", "x.c", "-o", "x.o"]).output().unwrap();
    assert!(cc.status.success(), "{}", text(&cc));
    let _ = std::fs::remove_file(dir.join(name));
    let ar = std::process::Command::new("ar").current_dir(dir).args(["crs", name, "x.o"]).output().unwrap();
    assert!(ar.status.success(), "{}", text(&ar));
}

#[test]
fn perry_lock_written_by_perry_fails_a_changed_prebuilt_archive_before_the_link() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("proj");
    write_tree(
        &p,
        &[
            (
                "package.json",
                r#"{ "name": "proj", "version": "0.1.0", "perry": { "allow": { "nativeLibrary": ["b"] } } }"#,
            ),
            ("src/main.ts", "import { x } from \"b\";\n"),
            (
                "node_modules/b/package.json",
                r#"{ "name": "b", "version": "1.0.0", "perry": { "nativeLibrary": { "abiVersion": "0.5",
  "functions": [{ "name": "js_b_x", "params": [], "returns": "i64" }],
  "targets": { "linux": { "prebuilt": "./prebuilt/libb.a" } } } } }"#,
            ),
        ],
    );
    let pre = p.join("node_modules/b/prebuilt");
    archive(&pre, "libb.a", "long js_b_x(void) { return 1; }\n");
    // Perry's own lock: the format and the key are Perry's
    let o = std::process::Command::new(perry()).current_dir(&p).arg("lock").output().unwrap();
    assert!(o.status.success(), "perry lock: {}", text(&o));
    let lock = std::fs::read_to_string(p.join("perry.lock")).unwrap();
    assert!(lock.contains("sha256_per_target"), "{lock}");

    ok(ninjabind(&p, &["gen"]));
    let out = ok(ninja(&p, &[]));
    assert!(ran(&out).iter().any(|r| r.starts_with("LOCK ")), "{out}");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));

    // a swapped archive: the check fails with both hashes and Perry's recipe
    tick();
    archive(&pre, "libb.a", "long js_b_x(void) { return 2; }\n");
    let out = text(&ninja(&p, &[]));
    assert!(out.contains("FAILED: build/lock/b.ok"), "{out}");
    assert!(out.contains("the archive of `b` (target `linux-x86_64`) changed since it was locked"), "{out}");
    let expected = lock.split('"').find(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).expect(&lock);
    assert!(out.contains(&format!("expected: sha256:{expected}")), "{out}");
    assert!(out.contains("found:    sha256:") && out.contains("perry lock --update b"), "{out}");
    // accepted the way Perry accepts it
    let o = std::process::Command::new(perry()).current_dir(&p).args(["lock", "--update", "b"]).output().unwrap();
    assert!(o.status.success(), "perry lock --update: {}", text(&o));
    ok(ninja(&p, &[]));

    // an entry the lock lacks: a warning, and under --frozen-lock an error
    tick();
    std::fs::write(p.join("perry.lock"), "version = 1\n").unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("warning: `b` (target `linux-x86_64`) is not in perry.lock"), "{out}");
    ok(ninjabind(&p, &["gen", "--frozen-lock"]));
    let out = text(&ninja(&p, &[]));
    assert!(out.contains("no lock entry for `b` (target `linux-x86_64`), and the lock is frozen"), "{out}");

    // a lock that is no lock: each in the one-line shape editors jump to, at its place
    ok(ninjabind(&p, &["gen", "--fresh"]));
    for (bad, expect) in [
        ("version = 1\n[native_library.b\n", "perry.lock:2:"),
        (
            "version = 1\n[native_library.b.sha256_per_target]\nlinux-x86_64 = \"abc\"\n",
            "perry.lock:3:16: error: the hash of `b` (target `linux-x86_64`) is not a SHA-256",
        ),
    ] {
        tick();
        std::fs::write(p.join("perry.lock"), bad).unwrap();
        let out = text(&ninja(&p, &[]));
        assert!(out.contains(expect) && out.contains("FAILED: build/lock/b.ok"), "{bad}:\n{out}");
    }
    // another format's version: a warning at it (Perry reads past it)
    tick();
    std::fs::remove_file(p.join("perry.lock")).unwrap();
    let o = std::process::Command::new(perry()).current_dir(&p).arg("lock").output().unwrap();
    assert!(o.status.success(), "perry lock: {}", text(&o));
    let good = std::fs::read_to_string(p.join("perry.lock")).unwrap();
    std::fs::write(p.join("perry.lock"), good.replace("version = 1", "version = 99")).unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("perry.lock:1:11: warning: perry.lock version 99"), "{out}");
    // a folder where the lock should be: an error, as in Perry, never "no lock"
    std::fs::remove_file(p.join("perry.lock")).unwrap();
    std::fs::create_dir(p.join("perry.lock")).unwrap();
    let out = text(&ninja(&p, &[]));
    assert!(out.contains("cannot read perry.lock"), "{out}");
}

#[test]
fn a_binding_symbol_the_perry_runtime_defines_too_is_a_warning_naming_both_and_strict_an_error() {
    let (_t, p) = example("perry-app");
    // tally also exports a symbol Perry's runtime defines: Perry's link (--allow-multiple-definition) would hide it
    edit(
        &p.join("node_modules/tally/src/lib.rs"),
        "#[no_mangle]\npub extern \"C\" fn js_tally_count",
        "#[no_mangle]\npub extern \"C\" fn js_abort_controller_new() -> i64 {\n    0\n}\n\n#[no_mangle]\npub extern \"C\" fn js_tally_count",
    );
    edit(
        &p.join("node_modules/tally/package.json"),
        "{ \"name\": \"js_tally_count\"",
        "{ \"name\": \"js_abort_controller_new\", \"params\": [], \"returns\": \"i64\" },\n        { \"name\": \"js_tally_count\"",
    );
    ok(gen_with_perry(&p, &["gen"]));
    let out = ok(ninja(&p, &["build/sym/all.stamp"]));
    assert!(
        out.contains("node_modules/tally/package.json:11:19: warning: `js_abort_controller_new` of `tally` is also defined by the Perry runtime (libperry_stdlib.a, libperry_runtime.a)"),
        "{out}"
    );
    ok(gen_with_perry(&p, &["gen", "--strict-symbols"]));
    let out = text(&ninja(&p, &["build/sym/all.stamp"]));
    assert!(out.contains("FAILED: build/sym/all.stamp"), "{out}");
    assert!(out.contains("error: `js_abort_controller_new` of `tally` is also defined by the Perry runtime"), "{out}");
}

#[test]
fn a_new_compiler_version_recompiles_the_modules_and_nothing_else_is_rebuilt_for_a_touch() {
    let real = perry();
    let (t, p) = example("perry-app");
    // a compiler that says another version: a wrapper around the real one, its runtime archives beside it
    let wrapper = wrapper_beside_runtime(t.path());
    let write_wrapper = |version: &str| {
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo '{version}'; exit 0; fi\nexec '{}' \"$@\"\n",
            real.display()
        );
        write_script(&wrapper, &script);
    };
    write_wrapper("perry 0.5.1520");
    ok(ninjabind_with_env(&p, &["gen"], &[("PERRY", wrapper.to_str().unwrap())]));
    ok(ninja(&p, &[]));
    // touching the modules runs nothing: the gate sees the same content and the same compiler
    for m in ["src/main.ts", "src/lib/label.ts"] {
        touch(&p.join(m));
    }
    ok(ninja(&p, &[]));
    assert_eq!(commands(&p, "perry"), 0, "a touch recompiles nothing");
    // another version of the compiler: its modules are compiled again (the version is part of the edge's key)
    tick();
    write_wrapper("perry 0.5.1521");
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating build.ninja"), "the compiler is a regeneration input: {out}");
    assert_eq!(commands(&p, "perry"), 1, "{out}");
    assert_eq!(run_program(&p.join("build/bin/perry-app")), "weigh(6) = 42\ncount = 34\n");
}

/// Perry runs `nm -g` over its runtime archives at every compile (0.7 s of a one-module rebuild); the Perry edge
/// puts ninjabind's memo of `nm` on its PATH, so after the first build an edit reads what nm said from the memo.
/// Counted with a wrapper in front of the real nm, which the memo runs on a miss.
#[test]
fn an_edit_runs_no_nm_over_perrys_runtime_archives_and_the_program_is_the_same() {
    let (_t, p) = example("perry-app");
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("nm.log");
    let path = std::env::var("PATH").unwrap();
    let real = std::env::split_paths(&path).map(|d| d.join("nm")).find(|c| c.is_file()).expect("nm on PATH");
    write_script(
        &tools.path().join("nm"),
        &format!("#!/bin/sh\necho \"$@\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), real.display()),
    );
    let path = format!("{}:{path}", tools.path().display());
    let build = || {
        let _ = std::fs::remove_file(&log);
        ok(clean_command("ninja").current_dir(&p).env("PATH", &path).output().unwrap());
        std::fs::read_to_string(&log).unwrap_or_default()
    };
    let archives = |nm_log: &str| nm_log.lines().filter(|l| l.contains("libperry_")).count();
    ok(gen_with_perry(&p, &["gen"]));
    let first = build();
    assert!(archives(&first) >= 1, "the first build reads the runtime archives' symbols once:\n{first}");
    let program = p.join("build/bin/perry-app");
    assert_eq!(run_program(&program), "weigh(6) = 42\ncount = 34\n");

    edit(&p.join("src/lib/label.ts"), "\" = \"", "\": \"");
    let second = build();
    assert_eq!(archives(&second), 0, "an edit reads them from the memo:\n{second}");
    assert_eq!(commands(&p, "perry"), 1);
    assert_eq!(run_program(&program), "weigh(6): 42\ncount: 34\n");

    // the memo is a cache: without it the archives are read again and the program is the same
    std::fs::remove_dir_all(p.join("build/host/nm-memo")).unwrap();
    edit(&p.join("src/lib/label.ts"), "\": \"", "\" = \"");
    let third = build();
    assert!(archives(&third) >= 1, "{third}");
    assert_eq!(run_program(&program), "weigh(6) = 42\ncount = 34\n");
}

/// A compiler that never answers hangs no gen: each probe (`perry --version`, `perry native list`) has a time limit
/// (`NINJABIND_PROBE_TIMEOUT`); past it the child is killed and gen fails naming the command.
#[test]
fn a_compiler_that_never_answers_is_stopped_and_named() {
    let real = perry();
    let (t, p) = example("perry-app");
    let wrapper = wrapper_beside_runtime(t.path());
    let pid_file = t.path().join("hung.pid");
    for (hangs_on, expect) in [
        ("--version", "--version` did not finish within 1 s"),
        ("native", "native list --format json` did not finish within 1 s"),
    ] {
        let script = format!(
            "#!/bin/sh\nif [ \"$1\" = {hangs_on} ]; then echo $$ > '{}'; exec sleep 600; fi\nexec '{}' \"$@\"\n",
            pid_file.display(),
            real.display()
        );
        write_script(&wrapper, &script);
        let started = std::time::Instant::now();
        let o = ninjabind_with_env(
            &p,
            &["gen", "--fresh"],
            &[("PERRY", wrapper.to_str().unwrap()), ("NINJABIND_PROBE_TIMEOUT", "1")],
        );
        let e = fails(o);
        assert!(e.contains(expect), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "gen waited {:?}", started.elapsed());
        // the hung child is gone, not left running
        let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "the hung probe {pid} is still running");
        assert!(!p.join("build.ninja").exists());
    }
}

/// Where a wrapper of the real compiler goes (`DIR/tool/bin/perry`), its runtime archives linked beside it as the
/// platform package holds them.
fn wrapper_beside_runtime(dir: &Path) -> std::path::PathBuf {
    let tool = dir.join("tool");
    std::fs::create_dir_all(tool.join("bin")).unwrap();
    std::os::unix::fs::symlink(perry().parent().unwrap().parent().unwrap().join("lib"), tool.join("lib")).unwrap();
    tool.join("bin/perry")
}

/// An executable shell script at `path`.
fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    assert!(std::process::Command::new("chmod").arg("+x").arg(path).status().unwrap().success());
}
