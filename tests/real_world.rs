//! End-to-end: the shapes real Perry and Vex projects publish (issue 12) — lib file names, per-target crates and
//! frameworks, module augmentations, a root that is not a binding, std-prefixed Vex imports, relocatable rpaths.

mod common;
use common::*;
use std::path::Path;

const STUB_CRATE: &str = "[package]\nname = \"perry-storekit-stub\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\nname = \"perry_storekit\"\ncrate-type = [\"staticlib\", \"rlib\"]\n\n[workspace]\n";

/// A Perry project shaped like PerryTS/storekit's consumers: the binding builds `crate-ios` on Apple targets,
/// `crate-stub` elsewhere, writes `lib` as a file name, and lists frameworks; only the stub exists here.
fn storekit_project(root: &Path) {
    write_tree(
        root,
        &[
            (
                "package.json",
                r#"{ "name": "shop", "version": "1.0.0",
  "perry": { "nativeLibrary": { "native": { "sources": ["host/main.c"] } } } }"#,
            ),
            (
                "src/main.ts",
                "import { available } from \"@perryts/storekit\";\nexport const x = available();\n\ndeclare module \"zod/v4\" {\n  interface ZodType { openapi(): this }\n}\n",
            ),
            (
                "host/main.c",
                "#include <stdio.h>\nint js_storekit_available(void);\nint main(void) { printf(\"storekit=%d\\n\", js_storekit_available()); return 0; }\n",
            ),
            (
                "node_modules/@perryts/storekit/package.json",
                r#"{ "name": "@perryts/storekit", "version": "0.3.0",
  "perry": { "nativeLibrary": {
    "functions": [ { "name": "js_storekit_available", "params": [], "returns": "i32" } ],
    "targets": {
      "ios":     { "crate": "crate-ios",  "lib": "libperry_storekit.a", "frameworks": ["StoreKit"] },
      "macos":   { "crate": "crate-ios",  "lib": "libperry_storekit.a", "frameworks": ["StoreKit", "Foundation"] },
      "android": { "crate": "crate-stub", "lib": "libperry_storekit.a" },
      "linux":   { "crate": "crate-stub", "lib": "libperry_storekit.a", "frameworks": ["StoreKit"] }
    } } } }"#,
            ),
            ("node_modules/@perryts/storekit/crate-stub/Cargo.toml", STUB_CRATE),
            (
                "node_modules/@perryts/storekit/crate-stub/src/lib.rs",
                "#[no_mangle]\npub extern \"C\" fn js_storekit_available() -> i32 { 0 }\n",
            ),
        ],
    );
}

/// A fresh storekit project whose binding manifest `edit` rewrote; returns (guard, project).
fn storekit_with(edit: impl FnOnce(String) -> String) -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("shop");
    storekit_project(&p);
    let m = p.join("node_modules/@perryts/storekit/package.json");
    std::fs::write(&m, edit(std::fs::read_to_string(&m).unwrap())).unwrap();
    (t, p)
}

#[test]
fn a_lib_file_name_per_target_crates_and_frameworks_build_for_linux() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("shop");
    storekit_project(&p);
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(
        out.contains("written as a file name, `libperry_storekit.a`: using `perry_storekit`"),
        "the normalisation is said: {out}"
    );
    assert_eq!(out.matches("written as a file name").count(), 1, "once: {out}");
    assert!(out.contains("linked on Apple targets only: ignored for"), "{out}");
    assert!(!out.contains("`shop` declares no `abiVersion`"), "the root is not a binding: {out}");
    assert!(out.contains("`@perryts/storekit` declares no `abiVersion`"), "a binding is: {out}");
    let graph = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(graph.contains("build/lib/libperry_storekit.a"), "{graph}");
    assert!(!graph.contains("liblibperry"), "{graph}");
    assert!(!graph.contains("-framework"), "{graph}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/shop")), "storekit=0\n");
    // the augmentation is a type-level reference: reported, never resolved (zod is not installed)
    let doc = explain_json(&p, &[]);
    let aug = doc["imports"].as_array().unwrap().iter().find(|i| i["specifier"] == "zod/v4").expect("listed");
    assert_eq!(aug["layer"], "type-only", "{aug}");
    assert_eq!((aug["line"].as_u64(), aug["column"].as_u64()), (Some(4), Some(16)));
}

#[test]
fn only_the_selected_targets_crate_must_exist_and_a_missing_one_points_at_the_manifest() {
    let (_t, p) = storekit_with(|text| {
        text.replace("\"linux\":   { \"crate\": \"crate-stub\"", "\"linux\":   { \"crate\": \"crate-linux\"")
    });
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("crate `crate-linux` of `@perryts/storekit` not found"), "{err}");
    assert!(err.contains("node_modules/@perryts/storekit/package.json:8:"), "{err}");
    assert!(!p.join("build.ninja").exists());
}

#[test]
fn a_package_without_an_entry_for_the_target_lists_its_entries_and_helps() {
    let (_t, p) = storekit_with(|text| {
        let start = text.find("      \"linux\":").unwrap();
        let end = start + text[start..].find('\n').unwrap();
        format!("{}{}", text[..start].trim_end().trim_end_matches(','), &text[end..])
    });
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("has no target entry for"), "{err}");
    assert!(err.contains("it declares: ios, macos, android"), "{err}");
    assert!(err.contains("add a `linux-x64` or `linux` entry, or build for one of those targets"), "{err}");
}

#[test]
fn a_lib_that_is_not_a_library_name_is_an_error_at_its_position() {
    for bad in ["../../ESCAPED", "a\\nb", "x|y", ""] {
        let (_t, p) = storekit_with(|text| {
            text.replace(
                "\"crate-stub\", \"lib\": \"libperry_storekit.a\"",
                &format!("\"crate-stub\", \"lib\": \"{bad}\""),
            )
        });
        let err = fails(ninjabind(&p, &["gen"]));
        assert!(err.contains("is not a library name"), "{bad}: {err}");
        assert!(err.contains("package.json:8:"), "{bad}: {err}");
        assert!(!p.join("build.ninja").exists());
    }
}

/// A stdlib shaped like the real `vex-libs/std`: packages importing each other as `std/…`.
fn vex_stdlib(std: &Path) {
    write_tree(
        std,
        &[
            ("contracts/vex.json", r#"{ "name": "contracts", "version": "0.1.0", "main": "src/lib.vx" }"#),
            ("contracts/src/lib.vx", "export contract Display { fn show(): string; }\n"),
            (
                "io/vex.json",
                r#"{ "name": "io", "version": "0.1.0", "main": "src/lib.vx", "native": { "sources": ["native/io.c"] } }"#,
            ),
            ("io/src/lib.vx", "import { Display } from \"std/contracts\";\nimport \"std::contracts\";\n"),
            ("io/native/io.c", "int vex_io_answer(void) { return 42; }\n"),
            ("http/vex.json", r#"{ "name": "http", "version": "0.1.0", "main": "src/lib.vx" }"#),
            ("http/src/lib.vx", "import { println } from \"std/io\";\n"),
            ("http/src/client.vx", "import \"std::io\";\nimport \"./lib\";\n"),
        ],
    );
}

#[test]
fn every_vex_import_form_resolves_to_its_stdlib_package() {
    let t = tempfile::tempdir().unwrap();
    let std = t.path().join("vex/vex-libs/std");
    vex_stdlib(&std);
    let p = t.path().join("app");
    write_tree(
        &p,
        &[
            ("vex.json", r#"{ "name": "app", "version": "0.1.0", "native": { "sources": ["main.c"] } }"#),
            (
                "src/main.vx",
                "import \"io\";\nimport \"std/io\";\nimport \"std::io\";\nimport \"std::http::client\";\nimport \"vex-libs/std/io\";\nimport \"std\";\nimport \"./x\";\nimport \"../src/a.vx\";\n",
            ),
            ("src/x.vx", ""),
            ("src/a.vx", ""),
            ("main.c", "#include <stdio.h>\nint vex_io_answer(void);\nint main(void) { printf(\"io=%d\\n\", vex_io_answer()); return 0; }\n"),
        ],
    );
    let env = [("VEX_STDLIB", std.to_str().unwrap())];
    ok(ninjabind_with_env(&p, &["gen"], &env));
    let o = ninjabind_with_env(&p, &["explain", "--format", "json"], &env);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    let layer = |spec: &str| {
        let i = doc["imports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["specifier"] == spec)
            .unwrap_or_else(|| panic!("{spec}: {doc}"));
        (i["layer"].as_str().unwrap().to_string(), i["package"].as_str().map(str::to_string))
    };
    for spec in ["io", "std/io", "std::io", "vex-libs/std/io"] {
        assert_eq!(layer(spec), ("stdlib".to_string(), Some("io".to_string())), "{spec}");
    }
    assert_eq!(layer("std::http::client"), ("stdlib".to_string(), Some("http".to_string())));
    assert_eq!(layer("std"), ("stdlib".to_string(), None));
    assert_eq!(layer("./x").0, "local");
    assert_eq!(layer("../src/a.vx").0, "local");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/app")), "io=42\n");
}

#[test]
fn every_stdlib_package_loads_as_a_root() {
    let t = tempfile::tempdir().unwrap();
    let std = t.path().join("vex/vex-libs/std");
    vex_stdlib(&std);
    for pkg in ["contracts", "io", "http"] {
        let dir = std.join(pkg);
        let out = ninjabind_with_env(&dir, &["gen", "-B", "../../../out"], &[("VEX_STDLIB", std.to_str().unwrap())]);
        ok(out);
        assert!(t.path().join("vex/out/build.ninja").is_file(), "{pkg}");
        std::fs::remove_dir_all(t.path().join("vex/out")).unwrap();
    }
}

fn shared_library(dir: &Path, name: &str, body: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, body).unwrap();
    let so = dir.join(format!("lib{name}.so"));
    let st = std::process::Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(&so).arg(&src).status().unwrap();
    assert!(st.success());
}

#[test]
fn a_library_folder_inside_the_project_gets_a_relocatable_rpath() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("first/app");
    write_tree(
        &p,
        &[
            (
                "vex.json",
                r#"{ "name": "app", "version": "0.1.0", "native": { "sources": ["main.c"], "search_paths": ["extlib"], "libraries": ["ext"] } }"#,
            ),
            ("main.c", "#include <stdio.h>\nint ext_value(void);\nint main(void) { printf(\"ext=%d\\n\", ext_value()); return 0; }\n"),
        ],
    );
    shared_library(&p.join("extlib"), "ext", "int ext_value(void) { return 5; }\n");
    ok(ninjabind(&p, &["gen"]));
    let graph = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!graph.contains(t.path().to_str().unwrap()), "no absolute project path: {graph}");
    // the link's arguments are in the response file gen writes beside the program
    let rsp = std::fs::read_to_string(p.join("build/bin/app.rsp")).unwrap();
    assert!(!rsp.contains(t.path().to_str().unwrap()), "no absolute project path: {rsp}");
    assert!(rsp.contains("-Wl,-rpath,$ORIGIN/../../extlib"), "{rsp}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/app")), "ext=5\n");
    // the same project elsewhere: the same bytes; and the built tree still runs after moving
    let (_t2, copy) = copy_fixture(&p, "app");
    ok(ninjabind(&copy, &["gen"]));
    assert_eq!(std::fs::read(copy.join("build.ninja")).unwrap(), graph.as_bytes());
    assert_eq!(std::fs::read(copy.join("build/bin/app.rsp")).unwrap(), rsp.as_bytes());
    let moved = t.path().join("second/app");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&p, &moved).unwrap();
    assert_eq!(run_program(&moved.join("build/bin/app")), "ext=5\n");
}

#[test]
fn a_pkg_config_library_outside_the_system_folders_runs_without_ld_library_path() {
    let t = tempfile::tempdir().unwrap();
    let prefix = t.path().join("opt/ext2");
    shared_library(&prefix.join("lib"), "ext2", "int ext2_value(void) { return 9; }\n");
    write_tree(
        &prefix,
        &[(
            "pc/ext2.pc",
            &format!(
                "prefix={}\nName: ext2\nDescription: test\nVersion: 1.0\nLibs: -L${{prefix}}/lib -lext2\nCflags:\n",
                prefix.display()
            ),
        )],
    );
    let p = t.path().join("app");
    write_tree(
        &p,
        &[
            ("vex.json", r#"{ "name": "app", "version": "0.1.0", "native": { "sources": ["main.c"], "pkg_config": ["ext2"] } }"#),
            ("main.c", "#include <stdio.h>\nint ext2_value(void);\nint main(void) { printf(\"ext2=%d\\n\", ext2_value()); return 0; }\n"),
        ],
    );
    ok(ninjabind_with_env(&p, &["gen"], &[("PKG_CONFIG_PATH", prefix.join("pc").to_str().unwrap())]));
    ok(ninja(&p, &[]));
    let o = std::process::Command::new(p.join("build/bin/app")).env_remove("LD_LIBRARY_PATH").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "ext2=9\n", "{}", text(&o));
}

#[test]
fn symbol_checks_read_rust_archives_and_c_objects_with_gcc_and_clang_with_and_without_release() {
    for (cc, release) in [("gcc", false), ("gcc", true), ("clang", false), ("clang", true)] {
        let (_t, p) = example("hello-perry");
        let mut args = vec!["gen"];
        if release {
            args.push("--release");
        }
        ok(ninjabind_with_env(&p, &args, &[("CC", cc)]));
        let out = ninja(&p, &[]);
        assert!(out.status.success(), "CC={cc} release={release}:\n{}", text(&out));
        assert_eq!(
            run_program(&p.join("build/bin/hello-perry")),
            "answer=42 wave=0.841 nanoid_size=21\n",
            "CC={cc} release={release}"
        );
    }
}

#[test]
fn recorded_options_and_environment_are_kept_and_new_options_merge() {
    let (_t, p) = example("hello-c");
    ok(ninjabind_with_env(&p, &["gen", "--release"], &[("CC", "clang")]));
    let first = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(first.contains("CC=clang") && first.contains("--opt-level=3"), "{first}");
    // a shell without CC: nothing changes
    ok(ninjabind(&p, &["gen", "--release"]));
    assert_eq!(std::fs::read_to_string(p.join("build.ninja")).unwrap(), first);
    // a shell whose CC differs: kept, and said
    let out = ok(ninjabind_with_env(&p, &["gen"], &[("CC", "gcc")]));
    assert!(out.contains("note: the environment recorded in build.ninja is kept: CC=gcc not used"), "{out}");
    assert!(out.contains("--fresh"), "{out}");
    assert_eq!(std::fs::read_to_string(p.join("build.ninja")).unwrap(), first);
    // a new option merges with the recorded ones
    ok(ninjabind(&p, &["gen", "--lto", "off"]));
    let merged = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(merged.contains("--opt-level=3 --lto=off") && merged.contains("CC=clang"), "{merged}");
    // --fresh starts over
    ok(ninjabind(&p, &["gen", "--fresh"]));
    let fresh = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!fresh.contains("CC=clang") && !fresh.contains("opt-level"), "{fresh}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn deleting_the_build_folder_then_ninja_regenerates_and_rebuilds_everything() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    std::fs::remove_dir_all(p.join("build")).unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating build.ninja"), "{out}");
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn every_edge_subcommand_is_described_in_one_line() {
    let o = std::process::Command::new(EXE).args(["edge", "--help"]).output().unwrap();
    let help = ok(o);
    for cmd in ["cargo", "symdiff", "symcheck", "scan", "gate", "native-libs"] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{cmd} ")))
            .unwrap_or_else(|| panic!("{cmd}: {help}"));
        let description = line.trim_start()[cmd.len()..].trim();
        assert!(description.split_whitespace().count() >= 5, "{cmd} has no description: {line}");
    }
}

#[test]
fn an_installed_package_json_that_does_not_parse_is_an_error_never_a_js_package() {
    for (case, bytes) in [
        ("trailing comma", b"{ \"name\": \"greeter\", \"version\": \"1.2.0\", }".to_vec()),
        ("trailing garbage", b"{ \"name\": \"greeter\", \"version\": \"1.2.0\" } x".to_vec()),
        ("non-UTF-8 byte", b"{ \"name\": \"gr\xffeter\", \"version\": \"1.2.0\" }".to_vec()),
    ] {
        let (_t, p) = example("hello-perry");
        ok(ninjabind(&p, &["gen"]));
        let before = std::fs::read(p.join("build.ninja")).unwrap();
        std::fs::write(p.join("node_modules/greeter/package.json"), &bytes).unwrap();
        let err = fails(ninjabind(&p, &["gen"]));
        assert!(err.contains("node_modules/greeter/package.json"), "{case}: {err}");
        assert!(err.contains("-->") || err.contains("not UTF-8"), "{case}: a position: {err}");
        assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before, "{case}: build.ninja untouched");
    }
    // a byte order mark is skipped, as npm does: the binding stays a binding
    let (_t, p) = example("hello-perry");
    let m = p.join("node_modules/greeter/package.json");
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(std::fs::read(&m).unwrap());
    std::fs::write(&m, bom).unwrap();
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
}

#[test]
fn frameworks_reach_the_link_line_on_apple_targets() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("shop");
    write_tree(
        &p,
        &[
            (
                "package.json",
                r#"{ "name": "shop", "version": "1.0.0", "perry": { "nativeLibrary": { "native": { "sources": ["main.c"] } } } }"#,
            ),
            ("main.c", "int main(void) { return 0; }\n"),
            ("main.ts", "import \"fw\";\n"),
            (
                "node_modules/fw/package.json",
                r#"{ "name": "fw", "version": "1.0.0", "perry": { "nativeLibrary": { "abiVersion": "0.5", "functions": [],
  "targets": { "macos": { "prebuilt": "libfw.a", "frameworks": ["StoreKit", "Foundation"] } } } } }"#,
            ),
            ("node_modules/fw/libfw.a", "!<arch>\n"),
        ],
    );
    // gen only: linking for macOS needs Apple's linker, which this machine lacks
    let out = ok(ninjabind(&p, &["gen", "--target", "aarch64-apple-darwin"]));
    assert!(!out.contains("Apple targets only"), "{out}");
    let rsp = std::fs::read_to_string(p.join("build/bin/shop.rsp")).unwrap();
    assert!(rsp.contains("-Wl,-framework,StoreKit -Wl,-framework,Foundation"), "{rsp}");
}
