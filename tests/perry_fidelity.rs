//! Perry fidelity: on projects shaped as Perry users shape them, `ninjabind gen [ENTRY] && ninja` builds a program
//! that prints what `perry compile`'s program prints (the oracle, built from the same sources), and the next `ninja`
//! runs nothing. The module set is Perry's, learnt from its record at build time: no test names an object.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn gen(dir: &Path, args: &[&str]) -> String {
    ok(ninjabind_with_env(dir, args, &[("PERRY", perry().to_str().unwrap())]))
}

/// What the program `perry compile ENTRY` builds in `dir` prints (its own cache and output outside the project).
fn perrys_program(dir: &Path, entry: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    run_program(&perrys_exe(dir, entry, out.path(), false))
}

/// `ninja` in `dir`, then the program it built; the next `ninja` must have nothing to do.
fn build_and_run(dir: &Path, program: &str) -> String {
    let out = ok(ninja(dir, &[]));
    let printed = run_program(&dir.join("build/bin").join(program));
    let again = ok(ninja(dir, &[]));
    assert!(again.contains("no work to do"), "the build after a build ran something:\n{again}\nfirst:\n{out}");
    printed
}

/// `hello`: one module printing `hi`, a package.json and nothing else.
fn hello() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("hello");
    write_tree(
        &p,
        &[("package.json", r#"{ "name": "hello", "version": "1.0.0" }"#), ("src/main.ts", "console.log(\"hi\");\n")],
    );
    (t, p)
}

#[test]
fn a_one_module_program_and_one_with_every_module_under_src_print_what_perrys_print() {
    let (_t, p) = hello();
    gen(&p, &["gen"]);
    assert_eq!(build_and_run(&p, "hello"), perrys_program(&p, "src/main.ts"));

    // every module under src/: Perry names their objects from the modules' common folder; gen names none
    write_tree(
        &p,
        &[
            ("src/main.ts", "import { show } from \"./lib/show\";\nshow(\"hi\", 3);\n"),
            ("src/lib/show.ts", "export function show(s: string, n: number) { console.log(s + \" x\" + n); }\n"),
        ],
    );
    let printed = build_and_run(&p, "hello");
    assert_eq!(printed, "hi x3\n");
    assert_eq!(printed, perrys_program(&p, "src/main.ts"));
    let ninja_file = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!ninja_file.contains("show_ts") && !ninja_file.contains("main_ts"), "gen named one of Perry's objects");
}

/// Whether `nm` finds a symbol table in the program at `path` (a stripped one: "no symbols").
fn has_symbols(path: &Path) -> bool {
    let o = std::process::Command::new("nm").arg(path).output().unwrap();
    assert!(o.status.success(), "nm {} failed:\n{}", path.display(), text(&o));
    let said = String::from_utf8_lossy(&o.stderr);
    match said.contains("no symbols") {
        true => false,
        false => !o.stdout.is_empty(),
    }
}

/// `perry compile ENTRY -o OUT/oracle` in `dir` with `PERRY_DEBUG_SYMBOLS` set or not; the program's path.
fn perrys_exe(dir: &Path, entry: &str, out: &Path, debug_symbols: bool) -> PathBuf {
    let exe = out.join("oracle");
    let mut c = std::process::Command::new(perry());
    c.current_dir(dir).args(["compile", entry, "-o"]).arg(&exe).arg("--cache-dir").arg(out.join("cache"));
    c.env_remove("PERRY_DEBUG_SYMBOLS");
    if debug_symbols {
        c.env("PERRY_DEBUG_SYMBOLS", "1");
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "perry compile {entry} failed:\n{}", text(&o));
    exe
}

#[test]
fn the_program_is_stripped_as_perry_strips_it_and_keeps_its_symbols_under_perry_debug_symbols() {
    let (_t, p) = hello();
    let ours = p.join("build/bin/hello");
    let compiler = perry();
    for debug_symbols in [false, true] {
        let mut env = vec![("PERRY", compiler.to_str().unwrap())];
        if debug_symbols {
            env.push(("PERRY_DEBUG_SYMBOLS", "1"));
        }
        // (a gen keeps the environment build.ninja recorded: `--fresh` takes this one)
        ok(ninjabind_with_env(&p, &["gen", "--fresh"], &env));
        assert_eq!(build_and_run(&p, "hello"), "hi\n");
        let out = tempfile::tempdir().unwrap();
        let theirs = perrys_exe(&p, "src/main.ts", out.path(), debug_symbols);
        assert_eq!(run_program(&theirs), "hi\n");
        assert_eq!(has_symbols(&theirs), debug_symbols, "Perry's own program, PERRY_DEBUG_SYMBOLS {debug_symbols}");
        assert_eq!(has_symbols(&ours), debug_symbols, "our program, PERRY_DEBUG_SYMBOLS {debug_symbols}");
        // within a few percent of Perry's size either way (Perry's own objects differ a little)
        let (a, b) = (std::fs::metadata(&ours).unwrap().len(), std::fs::metadata(&theirs).unwrap().len());
        assert!(a.abs_diff(b) * 20 < b, "ours {a} bytes, Perry's {b} (PERRY_DEBUG_SYMBOLS {debug_symbols})");
    }
    // the choice is recorded: a regeneration (ninja runs without the variable) keeps the symbols
    let manifest = p.join("package.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("1.0.0", "1.0.1")).unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating"), "the manifest edit did not regenerate:\n{out}");
    assert!(has_symbols(&ours), "a regeneration dropped PERRY_DEBUG_SYMBOLS");
}

/// `app`: src/main.ts calls `show(5)` from src/show.ts; generated and built once (it prints `n=5`).
fn two_module_app() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("app");
    write_tree(
        &p,
        &[
            ("package.json", r#"{ "name": "app", "version": "1.0.0" }"#),
            ("src/main.ts", "import { show } from \"./show\";\nshow(5);\n"),
            ("src/show.ts", "export function show(n: number) { console.log(\"n=\" + n); }\n"),
        ],
    );
    gen(&p, &["gen"]);
    assert_eq!(build_and_run(&p, "app"), "n=5\n");
    (t, p)
}

#[test]
fn a_module_added_and_one_dropped_reach_the_program_with_no_regeneration() {
    let (_t, p) = two_module_app();

    tick();
    write_tree(&p, &[("src/twice.ts", "export function twice(n: number): number { return n * 2; }\n")]);
    edit(&p.join("src/main.ts"), "show(5);", "import { twice } from \"./twice\";\nshow(twice(5));");
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("Regenerating"), "a new module regenerated the graph:\n{out}");
    assert_eq!(run_program(&p.join("build/bin/app")), "n=10\n");
    assert_eq!(perrys_program(&p, "src/main.ts"), "n=10\n");
    // the new module is an input now: editing it alone rebuilds
    edit(&p.join("src/twice.ts"), "n * 2", "n * 3");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/app")), "n=15\n");
    assert_eq!(commands(&p, "perry"), 1);

    // dropped and deleted: ninja neither stops on the missing file nor links its object
    edit(&p.join("src/main.ts"), "import { twice } from \"./twice\";\nshow(twice(5));", "show(7);");
    std::fs::remove_file(p.join("src/twice.ts")).unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("Regenerating"), "{out}");
    assert_eq!(run_program(&p.join("build/bin/app")), "n=7\n");
    assert_eq!(build_and_run(&p, "app"), perrys_program(&p, "src/main.ts"));
}

/// A Rust binding `rsq` shaped as `perry native init` shapes one: its TypeScript face declares the symbol and wraps it.
fn rsq(dir: &Path, ty: &str, ts_ty: &str) {
    let manifest = format!(
        r#"{{ "name": "rsq", "version": "0.1.0", "main": "src/index.ts", "types": "src/index.ts",
  "perry": {{ "nativeLibrary": {{ "abiVersion": "0.5",
    "functions": [{{ "name": "js_rsq_hello", "params": ["{ty}"], "returns": "{ty}" }}],
    "targets": {{ "linux": {{ "crate": ".", "lib": "rsq" }} }} }} }} }}"#
    );
    let ty_rs = if ty == "f64" { "f64" } else { "i64" };
    let half = if ty == "f64" { "0.5" } else { "0" };
    write_tree(
        dir,
        &[
            ("package.json", &manifest),
            (
                "src/index.ts",
                &format!("declare function js_rsq_hello(x: {ts_ty}): {ts_ty};\nexport function sq(x: number): number {{ return js_rsq_hello(x); }}\n"),
            ),
            ("Cargo.toml", "[package]\nname = \"rsq\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"staticlib\"]\n\n[workspace]\n"),
            (
                "Cargo.lock",
                "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"rsq\"\nversion = \"0.1.0\"\n",
            ),
            ("src/lib.rs", &format!("#[no_mangle]\npub extern \"C\" fn js_rsq_hello(x: {ty_rs}) -> {ty_rs} {{\n    x * x + {half}\n}}\n")),
        ],
    );
}

const APP_MAIN: &str = "import { sq } from \"rsq\";\nconsole.log(\"sq(7) = \" + sq(7));\n";

/// `npm install ../pkgs/rsq` as a user runs it (npm links a folder dependency), then `perry.allow` for it.
fn npm_install(app: &Path, what: &[&str]) {
    let o = std::process::Command::new("npm")
        .current_dir(app)
        .args(["install", "--no-audit", "--no-fund", "--offline"])
        .args(what)
        .output()
        .unwrap();
    assert!(o.status.success(), "npm install {what:?}:\n{}", text(&o));
}

fn allow_rsq(app: &Path) {
    let path = app.join("package.json");
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["perry"] = serde_json::json!({ "allow": { "nativeLibrary": ["rsq"] } });
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

#[test]
fn a_binding_installed_from_outside_the_project_builds_and_a_changed_signature_rebuilds_the_modules() {
    let t = tempfile::tempdir().unwrap();
    let (app, pkg) = (t.path().join("myapp"), t.path().join("pkgs/rsq"));
    rsq(&pkg, "i64", "number");
    write_tree(&app, &[("package.json", r#"{ "name": "myapp", "version": "1.0.0" }"#), ("src/main.ts", APP_MAIN)]);
    npm_install(&app, &["../pkgs/rsq"]);
    assert!(std::fs::symlink_metadata(app.join("node_modules/rsq")).unwrap().file_type().is_symlink());
    allow_rsq(&app);
    gen(&app, &["gen"]);
    let printed = build_and_run(&app, "myapp");
    assert_eq!(printed, "sq(7) = 49\n");
    assert_eq!(printed, perrys_program(&app, "src/main.ts"));

    // the signature changes in the Rust and in functions[] together: Perry generates its FFI calls from
    // functions[], so the modules are compiled again, not only the crate
    tick();
    rsq(&pkg, "f64", "number");
    let out = ok(ninja(&app, &[]));
    assert_eq!(commands(&app, "perry"), 1, "{out}");
    let printed = run_program(&app.join("build/bin/myapp"));
    assert_eq!(printed, perrys_program(&app, "src/main.ts"));
    assert_eq!(printed, "sq(7) = 49.5\n");
    assert!(ok(ninja(&app, &[])).contains("no work to do"));
}

#[test]
fn a_workspace_binding_linked_into_node_modules_builds() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("mono");
    write_tree(
        &root,
        &[
            ("package.json", r#"{ "name": "mono", "version": "1.0.0", "private": true, "workspaces": ["pkgs/*"] }"#),
            ("src/main.ts", APP_MAIN),
        ],
    );
    rsq(&root.join("pkgs/rsq"), "i64", "number");
    // npm links every workspace into node_modules
    npm_install(&root, &[]);
    assert!(std::fs::symlink_metadata(root.join("node_modules/rsq")).unwrap().file_type().is_symlink());
    allow_rsq(&root);
    gen(&root, &["gen"]);
    let printed = build_and_run(&root, "mono");
    assert_eq!(printed, "sq(7) = 49\n");
    assert_eq!(printed, perrys_program(&root, "src/main.ts"));
}

#[test]
fn an_entry_named_as_perry_takes_it_builds_a_folder_with_no_package_json() {
    let t = tempfile::tempdir().unwrap();
    let p: PathBuf = t.path().join("loose");
    write_tree(&p, &[("entry.ts", "const xs = [3, 1, 2].sort();\nconsole.log(\"sorted \" + xs.join(\",\"));\n")]);
    gen(&p, &["gen", "entry.ts"]);
    let ninja_file = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(ninja_file.contains("--entry=entry.ts"), "the entry is replayed on regeneration");
    let printed = build_and_run(&p, "loose");
    assert_eq!(printed, "sorted 1,2,3\n");
    assert_eq!(printed, perrys_program(&p, "entry.ts"));

    // an entry outside the project is an error at gen, before any build, and build.ninja stays as it was
    write_tree(t.path(), &[("elsewhere.ts", "console.log(1);\n")]);
    let o = ninjabind_with_env(&p, &["gen", "../elsewhere.ts"], &[("PERRY", perry().to_str().unwrap())]);
    let e = fails(o);
    assert!(e.contains("error: the entry module ../elsewhere.ts is outside the project"), "{e}");
    assert_eq!(std::fs::read_to_string(p.join("build.ninja")).unwrap(), ninja_file);
}

#[test]
fn real_npm_packages_compiled_through_compile_packages_build_as_perry_builds_them() {
    let (_t, p) = copy_fixture(&repo().join("tests/fixtures/compile-packages"), "compile-packages");
    let installed = repo().join("target/npm/compile-packages/node_modules");
    assert!(installed.is_dir(), "{} is missing: run scripts/setup.sh", installed.display());
    copy_dir(&installed, &p.join("node_modules"));
    // no bindings root: the compiler serves `ws` and `node:http` itself, though a JS `ws` is installed
    gen(&p, &["gen"]);
    let perry_env = [("PERRY", perry().to_str().unwrap().to_string())];
    let perry_env: Vec<(&str, &str)> = perry_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // the picture before a build: the host compile, its modules to be learnt from Perry's record
    let dot = ok(ninjabind_with_env(&p, &["graph"], &perry_env));
    assert!(dot.contains("\"host\" [label=\"perry compile\\nsrc/main.ts\", shape=component"), "{dot}");
    assert!(
        dot.contains("learnt from Perry's record when `ninja` builds") && dot.contains("\"host\" -> \"program:"),
        "{dot}"
    );
    let printed = build_and_run(&p, "compile-packages");
    assert_eq!(printed, "a b d\nping 3\nws function, http function\n");
    // after it: the modules Perry compiled, each drawn into the host compile
    let dot = ok(ninjabind_with_env(&p, &["graph"], &perry_env));
    assert!(dot.contains("\"module:node_modules/clsx/dist/clsx.mjs\" -> \"host\""), "{dot}");
    assert!(
        dot.contains("\"module:src/main.ts\" -> \"host\"") && dot.contains("modules Perry compiled in the last build"),
        "{dot}"
    );
    assert_eq!(printed, perrys_program(&p, "src/main.ts"));
    // the modules are the ones Perry compiled: each package's ESM build (its `exports`), not its `main`
    let explain = ok(ninjabind_with_env(&p, &["explain"], &[("PERRY", perry().to_str().unwrap())]));
    for m in [
        "node_modules/clsx/dist/clsx.mjs",
        "node_modules/mitt/dist/mitt.mjs",
        "node_modules/tiny-invariant/dist/esm/tiny-invariant.js",
    ] {
        assert!(explain.contains(&format!("    {m}\n")), "{m} not among the modules Perry compiled:\n{explain}");
    }
    assert!(!explain.contains("node_modules/ws/"), "ws is the compiler's, not compiled from JS:\n{explain}");
    // a touch compiles nothing; an edit to a compiled package's module reaches the program
    touch(&p.join("node_modules/tiny-invariant/dist/esm/tiny-invariant.js"));
    ok(ninja(&p, &[]));
    assert_eq!(commands(&p, "perry"), 0, "a touch compiles nothing");
    edit(
        &p.join("node_modules/mitt/dist/mitt.mjs"),
        "i.slice().map(function(n){n(e)})",
        "i.slice().map(function(n){n(e+1)})",
    );
    ok(ninja(&p, &[]));
    assert_eq!(commands(&p, "perry"), 1);
    let printed = run_program(&p.join("build/bin/compile-packages"));
    assert_eq!(printed, "a b d\nping 4\nws function, http function\n");
    assert_eq!(printed, perrys_program(&p, "src/main.ts"));
}

/// A project whose installed `rsq` binding's manifest is `manifest`.
fn app_with_binding_manifest(manifest: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    rsq(&app.join("node_modules/rsq"), "i64", "number");
    write_tree(
        &app,
        &[
            ("package.json", r#"{ "name": "app", "perry": { "allow": { "nativeLibrary": ["rsq"] } } }"#),
            ("src/main.ts", APP_MAIN),
            ("node_modules/rsq/package.json", manifest),
        ],
    );
    (t, app)
}

#[test]
fn manifests_as_perry_reads_them_accepted_refused_and_misspelt() {
    // what Perry's own repository ships: a `module` name and a `pod+count` parameter
    let shipped = r#"{ "name": "rsq", "version": "0.1.0", "main": "src/index.ts",
  "perry": { "nativeLibrary": { "module": "rsq", "abiVersion": "0.5",
    "functions": [
      { "name": "js_rsq_hello", "params": ["i64"], "returns": "i64" },
      { "name": "js_rsq_batch", "params": [{ "kind": "pod+count", "name": "Batch",
          "fields": [{ "name": "tag", "type": "u32" }, { "name": "owner", "type": "handle_id" }] }], "returns": "void" }
    ],
    "targets": { "linux": { "crate": ".", "lib": "rsq" } } } } }"#;
    let (_t, app) = app_with_binding_manifest(shipped);
    let o = ninjabind_with_env(&app, &["gen", "--strict-manifests"], &[("PERRY", perry().to_str().unwrap())]);
    let out = text(&o);
    assert!(o.status.success(), "a manifest Perry accepts is refused:\n{out}");
    assert!(!out.contains("unknown key `module`") && !out.contains("pod+count"), "{out}");

    // `functions` misspelt: Perry refuses the binding, and so does gen, at the key
    let (_t, app) = app_with_binding_manifest(&shipped.replace("\"functions\"", "\"fucntions\""));
    let e = fails(ninjabind_with_env(&app, &["gen"], &[("PERRY", perry().to_str().unwrap())]));
    assert!(e.contains("did you mean `functions`") && e.contains("--> node_modules/rsq/package.json:"), "{e}");

    // `nativeLibrary` misspelt: the package reads as JS to Perry; gen says where the typo is (an error when strict)
    let (_t, app) = app_with_binding_manifest(&shipped.replace("\"nativeLibrary\"", "\"nativeLibary\""));
    let o = ninjabind_with_env(&app, &["gen"], &[("PERRY", perry().to_str().unwrap())]);
    let out = text(&o);
    assert!(out.contains("warning: unknown key `nativeLibary` in `perry`; did you mean `nativeLibrary`?"), "{out}");
    assert!(out.contains("--> node_modules/rsq/package.json:2:30"), "{out}");
    let e = fails(ninjabind_with_env(&app, &["gen", "--strict-manifests"], &[("PERRY", perry().to_str().unwrap())]));
    assert!(e.contains("error: unknown key `nativeLibary`"), "{e}");

    // and in the host's own package.json
    let (_t, app) = app_with_binding_manifest(shipped);
    write_tree(&app, &[("package.json", r#"{ "name": "app", "perry": { "alow": { "nativeLibrary": ["rsq"] } } }"#)]);
    let e = text(&ninjabind_with_env(&app, &["gen"], &[("PERRY", perry().to_str().unwrap())]));
    assert!(e.contains("unknown key `alow` in `perry`; did you mean `allow`?"), "{e}");
}

#[test]
fn without_the_clang_perry_needs_gen_says_so_before_any_build() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("hello");
    write_tree(&p, &[("package.json", r#"{ "name": "hello" }"#), ("src/main.ts", "console.log(1);\n")]);
    let compiler = perry();
    let env = [("PERRY", compiler.to_str().unwrap()), ("PERRY_LLVM_CLANG", "/nowhere/clang")];
    let e = fails(ninjabind_with_env(&p, &["gen"], &env));
    assert!(e.contains("error: perry 0.5.1520 needs clang to build a program, and none was found"), "{e}");
    assert!(
        e.contains("PERRY_LLVM_CLANG=/nowhere/clang is not an executable") && e.contains("apt-get install clang"),
        "{e}"
    );
    assert!(!p.join("build.ninja").exists());
}

#[test]
fn a_binding_from_init_installed_and_allowed_builds_and_prints_what_perrys_program_prints() {
    let t = tempfile::tempdir().unwrap();
    let out = ok(ninjabind(t.path(), &["init", "mathx"]));
    assert!(
        out.contains("npm install ./mathx") && out.contains(r#"{"perry":{"allow":{"nativeLibrary":["mathx"]}}}"#),
        "{out}"
    );
    let app = t.path().join("app");
    write_tree(
        &app,
        &[
            ("package.json", r#"{ "name": "app", "version": "1.0.0" }"#),
            ("src/main.ts", "import { hello, version } from \"mathx\";\nconsole.log(\"hello(41) = \" + hello(41) + \", v\" + version());\n"),
        ],
    );
    // the two steps init printed, as a user follows them
    npm_install(&app, &["../mathx"]);
    allow_rsq(&app);
    let path = app.join("package.json");
    std::fs::write(&path, std::fs::read_to_string(&path).unwrap().replace("\"rsq\"", "\"mathx\"")).unwrap();
    gen(&app, &["gen"]);
    let printed = build_and_run(&app, "app");
    assert_eq!(printed, "hello(41) = 42, v0.1\n");
    assert_eq!(printed, perrys_program(&app, "src/main.ts"));
}

#[test]
fn a_module_perry_refuses_fails_the_edge_with_its_message_and_keeps_the_last_good_objects() {
    let (_t, p) = two_module_app();
    let objects = std::fs::read_to_string(p.join("build/host/objects.rsp")).unwrap();

    edit(&p.join("src/show.ts"), "console.log(", "console.log((");
    let o = ninja(&p, &[]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("FAILED: build/host/objects.rsp") && out.contains("show.ts"),
        "Perry's message names the module:\n{out}"
    );
    // and in the shape editors jump to: the path from ninja's folder, a line and a column (Perry gives byte offsets)
    assert!(out.contains("src/show.ts:1:") && out.contains(": error: Perry cannot parse this module"), "{out}");
    // the objects of the last good run are still where the link reads them
    assert_eq!(std::fs::read_to_string(p.join("build/host/objects.rsp")).unwrap(), objects);
    for o in objects.lines() {
        assert!(p.join(o).is_file(), "{o} is gone");
    }
    edit(&p.join("src/show.ts"), "console.log((", "console.log(");
    assert_eq!(build_and_run(&p, "app"), "n=5\n");
}
