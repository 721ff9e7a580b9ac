//! End-to-end: Perry projects — resolution layers a–d, nativeLibrary checks, cargo edges — with real ninja and cargo.

mod common;
use common::*;
use std::path::Path;

fn layer_of(doc: &serde_json::Value, specifier: &str) -> (String, serde_json::Value) {
    let imp = doc["imports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["specifier"] == specifier)
        .unwrap_or_else(|| panic!("{doc}"));
    (imp["layer"].as_str().unwrap().to_string(), imp["package"].clone())
}

const CRATE: &str = "[package]\nname = \"NAME\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"staticlib\"]\n\n[workspace]\n";

fn binding(name: &str, lib: &str, func: &str) -> Vec<(String, String)> {
    vec![
        (
            "package.json".into(),
            format!(
                r#"{{ "name": "{name}", "version": "1.0.0", "perry": {{ "nativeLibrary": {{ "abiVersion": "0.5",
  "functions": [{{ "name": "{func}", "params": [], "returns": "i64" }}],
  "targets": {{ "linux": {{ "crate": ".", "lib": "{lib}" }} }} }} }} }}"#
            ),
        ),
        ("Cargo.toml".into(), CRATE.replace("NAME", lib)),
        ("src/lib.rs".into(), format!("#[no_mangle]\npub extern \"C\" fn {func}() -> i64 {{ 7 }}\n")),
    ]
}

fn write_binding(root: &Path, dir: &str, name: &str, lib: &str, func: &str) {
    for (p, c) in binding(name, lib, func) {
        write_tree(root, &[(&format!("{dir}/{p}"), &c)]);
    }
}

#[test]
fn hello_perry_builds_runs_and_rebuilds_only_the_edited_binding() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    let out = ok(ninja(&p, &[]));
    assert_eq!(ran(&out).iter().filter(|r| r.starts_with("CARGO")).count(), 2, "{out}");
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=42 wave=0.841 nanoid_size=21\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    let doc = explain_json(&p, &[]);
    assert_eq!(layer_of(&doc, "greeter").0, "a");
    assert_eq!(layer_of(&doc, "nanoid"), ("c".into(), "perry-ext-nanoid".into()));
    assert_eq!(layer_of(&doc, "left-pad").0, "b");
    assert_eq!(layer_of(&doc, "./lib/options").0, "type-only");
    assert_eq!(layer_of(&doc, "node:fs").0, "builtin");

    tick();
    let lib = p.join("node_modules/greeter/src/lib.rs");
    std::fs::write(&lib, std::fs::read_to_string(&lib).unwrap().replace("x * 7", "x * 8")).unwrap();
    let out = ok(ninja(&p, &[]));
    let steps = ran(&out);
    assert!(steps.contains(&"CARGO build/lib/libgreeter.a".to_string()), "{out}");
    assert!(steps.contains(&"LINK build/bin/hello-perry".to_string()), "{out}");
    assert!(!steps.iter().any(|s| s.starts_with("CC") || s.contains("nanoid.a")), "{out}");
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=48 wave=0.841 nanoid_size=21\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn installed_binding_wins_over_well_known_and_js_package_does_not() {
    let (_t, p) = example("hello-perry");
    write_tree(&p, &[("src/db.ts", "import { createConnection } from \"mysql2/promise\";\n")]);
    write_binding(&p.join("bindings"), "perry-ext-mysql2", "mysql2-wk", "perry_ext_mysql2", "js_mysql2_wk");
    // nothing installed: the well-known crate, through the exact subpath key
    assert_eq!(layer_of(&explain_json(&p, &[]), "mysql2/promise"), ("c".into(), "perry-ext-mysql2".into()));
    // installed without perry.nativeLibrary: a JS package
    write_tree(&p, &[("node_modules/mysql2/package.json", r#"{ "name": "mysql2", "version": "3.0.0" }"#)]);
    assert_eq!(layer_of(&explain_json(&p, &[]), "mysql2/promise"), ("b".into(), "mysql2".into()));
    // installed with it: the fork wins over the well-known table
    write_binding(&p, "node_modules/mysql2", "mysql2", "mysql2_fork", "js_mysql2_fork");
    assert_eq!(layer_of(&explain_json(&p, &[]), "mysql2/promise"), ("a".into(), "mysql2".into()));
    ok(ninjabind(&p, &["gen"]));
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("CARGO build/lib/libmysql2_fork.a"), "{out}");
    assert!(!out.contains("perry_ext_mysql2"), "{out}");
}

#[test]
fn nearest_node_modules_that_has_the_package_wins() {
    let (_t, p) = example("hello-perry");
    // a nearer node_modules without the package must not stop the walk (Perry's bug)
    write_tree(
        &p,
        &[("src/deep/er/x.ts", "import { f } from \"upper\";\n"), ("src/deep/node_modules/other/package.json", "{}")],
    );
    write_binding(&p, "node_modules/upper", "upper", "upper", "js_upper_f");
    let doc = explain_json(&p, &[]);
    assert_eq!(layer_of(&doc, "upper"), ("a".into(), "upper".into()));
    let upper = doc["packages"].as_array().unwrap().iter().find(|x| x["name"] == "upper").unwrap();
    assert_eq!(upper["root"], "node_modules/upper");
    assert_eq!(upper["origin"], "installed");
    // a hoisted monorepo node_modules above the project root is found too
    let (_t2, q) = example("hello-perry");
    let mono = q.parent().unwrap();
    write_binding(mono, "node_modules/hoisted", "hoisted", "hoisted", "js_hoisted_f");
    write_tree(&q, &[("src/h.ts", "import \"hoisted\";\n")]);
    assert_eq!(layer_of(&explain_json(&q, &[]), "hoisted").0, "a");
}

#[test]
fn unresolved_import_points_at_the_specifier() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    write_tree(&p, &[("src/bad.ts", "// first line\nconst a = 1; import x from \"nope\";\n")]);
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("error: cannot resolve import `nope`"), "{err}");
    assert!(err.contains("--> src/bad.ts:2:28"), "{err}");
    assert!(err.contains("2 | const a = 1; import x from \"nope\";"), "{err}");
    assert!(err.contains("  |                            ^^^^^^"), "{err}");
    assert!(err.contains("searched node_modules/nope/package.json"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
}

/// A minimal Perry project importing one installed binding whose package.json is `manifest`.
fn project_with(manifest: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("proj");
    write_tree(
        &p,
        &[
            ("package.json", r#"{ "name": "proj", "version": "0.1.0" }"#),
            ("src/main.ts", "import { x } from \"b\";\n"),
            ("node_modules/b/package.json", manifest),
            ("node_modules/b/Cargo.toml", &CRATE.replace("NAME", "b_rs")),
            ("node_modules/b/src/lib.rs", "#[no_mangle]\npub extern \"C\" fn js_b_x() -> i64 { 1 }\n"),
        ],
    );
    (t, p)
}

fn manifest(native_library: &str) -> String {
    format!(r#"{{ "name": "b", "version": "1.0.0", "perry": {{ "nativeLibrary": {native_library} }} }}"#)
}

const TARGETS: &str = r#""targets": { "linux": { "crate": ".", "lib": "b_rs" } }"#;

#[test]
fn abi_version_policy() {
    let f = r#""functions": [{ "name": "js_b_x", "returns": "i64" }]"#;
    // missing: a warning under 0.5.x, an error from 0.6.0
    let (_t, p) = project_with(&manifest(&format!("{{ {f}, {TARGETS} }}")));
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(out.contains("warning: package `b` declares no `abiVersion`"), "{out}");
    let err = fails(ninjabind(&p, &["gen", "--ffi-version", "0.6.0"]));
    assert!(err.contains("declares no `abiVersion`, which perry-ffi 0.6.0 requires"), "{err}");
    // mismatch: error with a recipe, pointing at the field
    let (_t, p) = project_with(&manifest(&format!("{{ \"abiVersion\": \"^1.0\", {f}, {TARGETS} }}")));
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("package `b` requires perry-ffi ^1.0, but the host compiler provides 0.5.0"), "{err}");
    assert!(err.contains("help: upgrade `b`"), "{err}");
    assert!(err.contains("node_modules/b/package.json:1:"), "{err}");
    // a bare version means ^: 0.5 accepts 0.5.7 and refuses 0.6.1 (from the environment too)
    let (_t, p) = project_with(&manifest(&format!("{{ \"abiVersion\": \"0.5\", {f}, {TARGETS} }}")));
    ok(ninjabind(&p, &["gen", "--ffi-version", "0.5.7"]));
    let o = ninjabind_with_env(&p, &["gen", "--fresh"], &[("PERRY_FFI_VERSION", "0.6.1")]);
    assert!(fails(o).contains("requires perry-ffi 0.5, but the host compiler provides 0.6.1"));
    // garbage
    let (_t, p) = project_with(&manifest(&format!("{{ \"abiVersion\": \"zero.five\", {f}, {TARGETS} }}")));
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("`abiVersion` of `b` is not a semver range: `zero.five`"), "{err}");
}

#[test]
fn descriptor_errors_name_their_json_path() {
    let cases = [
        (
            r#"[{ "name": "js_b_x", "params": ["i64", "int"] }]"#,
            "`perry.nativeLibrary.functions[0].params[1]`: unknown type descriptor `int`",
        ),
        (
            r#"[{ "name": "js_b_x", "params": ["void"] }]"#,
            "`perry.nativeLibrary.functions[0].params[0]`: `void` is only allowed as a return type",
        ),
        (
            r#"[{ "name": "js_b_x", "returns": "buffer+len" }]"#,
            "`perry.nativeLibrary.functions[0].returns`: `buffer+len` is only allowed as a parameter",
        ),
        (r#"[{ "name": "js_b_x", "returns": "pod" }]"#, "`pod` is only allowed as a parameter"),
        (r#"[{ "name": "js-b-x" }]"#, "`perry.nativeLibrary.functions[0].name` is not a C identifier: `js-b-x`"),
        (
            r#"[{ "name": "js_b_x", "params": [3] }]"#,
            "`perry.nativeLibrary.functions[0].params[0]` must be a type descriptor string or an object with a `kind`",
        ),
        (r#"{ "name": "js_b_x" }"#, "`perry.nativeLibrary.functions` must be an array"),
    ];
    for (functions, want) in cases {
        let (_t, p) =
            project_with(&manifest(&format!("{{ \"abiVersion\": \"0.5\", \"functions\": {functions}, {TARGETS} }}")));
        let err = fails(ninjabind(&p, &["gen"]));
        assert!(err.contains(want), "want {want}\ngot {err}");
        assert!(err.contains("--> node_modules/b/package.json:1:"), "{err}");
    }
    // accepted forms: aliases, generics, object descriptors (a `pod` has fields: Perry's codegen refuses an empty one)
    let good = r#"[{ "name": "js_b_x", "params": ["number", "js_value", "boolean", "handle<Conn>", {"kind": "pod", "fields": [{"name": "n", "type": "u32"}, {"name": "w", "abi": {"kind": "f32"}}]}, "buffer+len", {"kind": "handle", "type": "Conn", "nullable": true, "thread": "main"}], "returns": {"kind": "handle", "type": "Conn", "ownership": "owned", "finalizer": "js_b_close"} }]"#;
    let (_t, p) = project_with(&manifest(&format!("{{ \"abiVersion\": \"0.5\", \"functions\": {good}, {TARGETS} }}")));
    ok(ninjabind(&p, &["gen"]));
}

#[test]
fn target_selection() {
    let f = r#""abiVersion": "0.5", "functions": [{ "name": "js_b_x", "returns": "i64" }]"#;
    // <os>-<arch> wins over <os>
    let (_t, p) = project_with(&manifest(&format!(
        r#"{{ {f}, "targets": {{ "linux": {{ "crate": ".", "lib": "wrong" }}, "linux-x64": {{ "crate": ".", "lib": "b_rs" }}, "linux-arm64": {{ "crate": ".", "lib": "arm" }} }} }}"#
    )));
    ok(ninjabind(&p, &["gen", "--target", "x86_64-unknown-linux-gnu"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("build build/lib/libb_rs.a"), "{nf}");
    ok(ninjabind(&p, &["gen", "--target", "aarch64-unknown-linux-gnu"]));
    assert!(std::fs::read_to_string(p.join("build.ninja")).unwrap().contains("build build/lib/libarm.a"));
    // no entry for the target
    let err = fails(ninjabind(&p, &["gen", "--target", "x86_64-pc-windows-msvc"]));
    assert!(
        err.contains("package `b` has no target entry for x86_64-pc-windows-msvc (`windows-x64` or `windows`)"),
        "{err}"
    );
    assert!(err.contains("it declares: linux, linux-x64, linux-arm64"), "{err}");
    // available: false quotes the reason
    let (_t, p) = project_with(&manifest(&format!(
        r#"{{ {f}, "targets": {{ "linux": {{ "available": false, "unavailableReason": "needs io_uring 6.1" }} }} }}"#
    )));
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("package `b` is not available for `linux`: needs io_uring 6.1"), "{err}");
}

#[test]
fn external_binding_shape_infers_crate_and_lib_and_builds() {
    // the shape @perryts/tursodb publishes: targets with only cargo_features, Cargo.toml beside package.json
    let (_t, p) = project_with(&manifest(
        r#"{ "abiVersion": "0.5", "functions": [{ "name": "js_b_x", "returns": "i64" }], "targets": { "linux": { "cargo_features": [] }, "macos": { "frameworks": ["Security"] } } }"#,
    ));
    write_tree(&p, &[("host.c", "#include <stdint.h>\n#include <stdio.h>\nint64_t js_b_x(void);\nint main(void){ printf(\"%lld\\n\", (long long)js_b_x()); return 0; }\n")]);
    // the host compiler's object exists before gen names it
    std::fs::create_dir_all(p.join("build")).unwrap();
    let cc =
        std::process::Command::new("cc").current_dir(&p).args(["-c", "host.c", "-o", "build/host.o"]).status().unwrap();
    assert!(cc.success());
    let out = ok(ninjabind(&p, &["gen", "--host-object", "build/host.o"]));
    assert!(
        out.contains(
            "warning: package `b` names no `crate` or `prebuilt`; building the Cargo.toml beside its package.json"
        ),
        "{out}"
    );
    assert!(out.contains("warning: package `b` names no `lib`; using `b_rs` from its Cargo.toml"), "{out}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/proj")), "1\n");
}

#[test]
fn lib_inference_from_lib_name_and_crate_without_lib() {
    let (_t, p) = project_with(&manifest(
        r#"{ "abiVersion": "0.5", "functions": [], "targets": { "linux": { "crate": "." } } }"#,
    ));
    let cargo = CRATE.replace("NAME", "b-pkg").replace("[lib]\n", "[lib]\nname = \"from_lib_section\"\n");
    write_tree(&p, &[("node_modules/b/Cargo.toml", &cargo)]);
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(out.contains("using `from_lib_section` from its Cargo.toml"), "{out}");
    let cargo = CRATE.replace("NAME", "b-pkg");
    write_tree(&p, &[("node_modules/b/Cargo.toml", &cargo)]);
    assert!(ok(ninjabind(&p, &["gen"])).contains("using `b_pkg` from its Cargo.toml"));
}

#[test]
fn nothing_to_link_is_an_error_not_a_silent_undefined_reference() {
    let (_t, p) = project_with(&manifest(r#"{ "abiVersion": "0.5", "functions": [], "targets": { "linux": {} } }"#));
    std::fs::remove_file(p.join("node_modules/b/Cargo.toml")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("package `b` declares a native library with nothing to link"), "{err}");
}

#[test]
fn prebuilt_present_missing_and_missing_with_crate() {
    // present: no cargo edge, the archive joins the link
    let (_t, p) = project_with(&manifest(
        r#"{ "abiVersion": "0.5", "functions": [], "targets": { "linux": { "prebuilt": "./prebuilt/libb_pre.a" } } }"#,
    ));
    write_tree(&p, &[("node_modules/b/prebuilt/libb_pre.a", "!<arch>\n")]);
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!nf.contains("rule cargo"), "{nf}");
    assert!(nf.contains("symdiff node_modules/b/prebuilt/libb_pre.a"), "{nf}");
    // missing, no crate: error naming the path
    std::fs::remove_file(p.join("node_modules/b/prebuilt/libb_pre.a")).unwrap();
    std::fs::remove_file(p.join("node_modules/b/Cargo.toml")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("prebuilt library declared by `b` not found at ./prebuilt/libb_pre.a"), "{err}");
    // missing, crate given: a cargo edge and a note
    let (_t, p) = project_with(&manifest(
        r#"{ "abiVersion": "0.5", "functions": [], "targets": { "linux": { "crate": ".", "lib": "b_rs", "prebuilt": "./prebuilt/libb_rs.a" } } }"#,
    ));
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(
        out.contains("note: prebuilt library of `b` not found at ./prebuilt/libb_rs.a; building it from its crate"),
        "{out}"
    );
    assert!(std::fs::read_to_string(p.join("build.ninja"))
        .unwrap()
        .contains("build build/lib/libb_rs.a | build/lib/libb_rs.nsl: cargo"));
}

#[test]
fn well_known_names_sharing_a_crate_build_it_once_and_two_crates_with_one_lib_fail() {
    let (_t, p) = example("hello-perry");
    write_tree(&p, &[("src/http.ts", "import \"http\";\nimport \"https\";\nimport \"node:http2\";\n")]);
    write_binding(&p.join("bindings"), "perry-ext-http", "perry-ext-http", "perry_ext_http", "js_http_x");
    ok(ninjabind(&p, &["gen"]));
    let builds = parse_ninja(&p.join("build.ninja"));
    assert_eq!(
        builds.iter().filter(|(_, o)| o.first().is_some_and(|o| o == "build/lib/libperry_ext_http.a")).count(),
        1
    );
    // an installed package whose lib collides with a well-known crate's lib
    write_binding(&p, "node_modules/clash", "clash", "perry_ext_nanoid", "js_clash");
    write_tree(&p, &[("src/clash.ts", "import \"clash\";\n")]);
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("two different crates build the library `perry_ext_nanoid`"), "{err}");
    // at the `lib` of one, the other's in a note, both as file:line:col relative to the project
    assert!(err.contains("--> bindings/perry-ext-nanoid/package.json:8:52"), "{err}");
    assert!(err.contains("`clash` builds it too: node_modules/clash/package.json:3:48"), "{err}");
    assert!(!err.contains(&p.display().to_string()), "no absolute path: {err}");
}

#[test]
fn list_loads_perrys_real_table_unchanged() {
    let real = repo().join("../shared/real/perry-well-known-bindings.toml");
    let table = if real.exists() { real } else { repo().join("data/well-known-bindings.toml") };
    let out = ok(ninjabind(&repo(), &["list", "--well-known", table.to_str().unwrap()]));
    assert!(out.contains("48 bindings"), "{out}");
    let json = ok(ninjabind(&repo(), &["list", "--format", "json"]));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mysql = rows.as_array().unwrap().iter().find(|r| r["name"] == "mysql2/promise").unwrap();
    assert_eq!(mysql["crate"], "perry-ext-mysql2");
    assert_eq!(mysql["alias_of"], "mysql2");
}

#[test]
fn a_scoped_prebuilt_path_resolves_through_node_modules() {
    let (_t, p) = project_with(&manifest(
        r#"{ "abiVersion": "0.5", "functions": [], "targets": { "linux": { "prebuilt": "@acme/prebuilts/x86_64/libb_pre.a" } } }"#,
    ));
    write_tree(&p, &[("node_modules/@acme/prebuilts/x86_64/libb_pre.a", "!<arch>\n")]);
    std::fs::remove_file(p.join("node_modules/b/Cargo.toml")).unwrap();
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("symdiff node_modules/@acme/prebuilts/x86_64/libb_pre.a"), "{nf}");
}

#[test]
fn cargo_features_of_the_target_entry_and_the_rustc_wrapper_reach_cargo() {
    let (t, p) = project_with(&manifest(
        r#"{ "abiVersion": "0.5", "functions": [{ "name": "js_b_x", "returns": "i64" }, { "name": "js_b_extra", "returns": "i64" }],
             "targets": { "linux": { "crate": ".", "lib": "b_rs", "cargo_features": ["extra"] } } }"#,
    ));
    write_tree(
        &p,
        &[
            ("node_modules/b/Cargo.toml", &(CRATE.replace("NAME", "b_rs") + "\n[features]\nextra = []\n")),
            (
                "node_modules/b/src/lib.rs",
                "#[no_mangle]\npub extern \"C\" fn js_b_x() -> i64 { 1 }\n#[cfg(feature = \"extra\")]\n#[no_mangle]\npub extern \"C\" fn js_b_extra() -> i64 { 2 }\n",
            ),
        ],
    );
    let log = t.path().join("wrapper.log");
    let wrapper = t.path().join("rustc-wrapper");
    std::fs::write(&wrapper, format!("#!/bin/sh\necho \"$@\" >> '{}'\nexec \"$@\"\n", log.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    ok(ninjabind(&p, &["gen", "--rustc-wrapper", wrapper.to_str().unwrap()]));
    // the symbol check passes only if the feature reached cargo
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("SYMCHECK"), "{out}");
    let logged = std::fs::read_to_string(&log).unwrap();
    let line = logged.lines().find(|l| l.contains("--crate-name b_rs")).unwrap_or_else(|| panic!("{logged}"));
    assert!(line.contains("--cfg feature=\"extra\""), "{line}");
}

#[test]
fn perry_toml_native_library_features_reach_the_bindings_cargo_build() {
    let (_t, p) = example("hello-perry");
    let toml = p.join("node_modules/greeter/Cargo.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        text.replace("[workspace]", "[features]\ndefault = [\"seven\"]\nseven = []\neight = []\n\n[workspace]"),
    )
    .unwrap();
    let lib = p.join("node_modules/greeter/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        text.replace(
            "    x * 7\n",
            "    if cfg!(feature = \"eight\") {\n        x * 8\n    } else if cfg!(feature = \"seven\") {\n        x * 7\n    } else {\n        x\n    }\n",
        ),
    )
    .unwrap();
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    assert!(run_program(&p.join("build/bin/hello-perry")).starts_with("answer=42 "), "the crate's defaults");
    // as Perry reads it: the package's table in perry.toml; ninja regenerates (perry.toml is watched) and rebuilds
    tick();
    write_tree(&p, &[("perry.toml", "[build]\nmarch = \"native\"\n\n[native-library.greeter]\ndefault-features = false\nfeatures = [\"eight\"]\n")]);
    let out = ok(ninja(&p, &[]));
    assert!(ran(&out).contains(&"CARGO build/lib/libgreeter.a".to_string()), "{out}");
    assert_eq!(run_program(&p.join("build/bin/hello-perry")), "answer=48 wave=0.841 nanoid_size=21\n");
    tick();
    write_tree(&p, &[("perry.toml", "[native-library.greeter]\ndefault-features = false\n")]);
    ok(ninja(&p, &[]));
    assert!(run_program(&p.join("build/bin/hello-perry")).starts_with("answer=6 "), "no feature at all");
    // a wrong type is an error at its place, and the graph stays
    write_tree(&p, &[("perry.toml", "[native-library.greeter]\nfeatures = \"eight\"\n")]);
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("perry.toml: `features` of `greeter` must be an array of strings"), "{err}");
    assert!(err.contains("--> perry.toml:1:"), "{err}");
}

#[test]
fn object_descriptors_are_validated_as_perry_validates_them_each_at_its_place() {
    let cases = [
        (
            r#"{ "name": "js_b_x", "params": [{ "kind": "pod", "fields": [{ "name": "s", "type": "string" }] }], "returns": "i64" }"#,
            "`string` is no numeric scalar: a POD field is one of i32, i64, u32, u64, usize, f32, f64, number, buffer_len",
        ),
        (
            r#"{ "name": "js_b_x", "params": [{ "kind": "pod", "fields": [{ "name": "n", "type": "u32", "abi": { "kind": "u32" } }] }], "returns": "i64" }"#,
            "needs exactly one of `type` and `abi`",
        ),
        (
            r#"{ "name": "js_b_x", "params": [{ "kind": "pod", "fields": [{ "name": "", "type": "u32" }] }], "returns": "i64" }"#,
            "needs a non-empty `name`",
        ),
        (r#"{ "name": "js_b_x", "params": [], "returns": { "kind": "pod", "fields": [{ "name": "n", "type": "u32" }] } }"#, "`pod` is only allowed as a parameter"),
        (r#"{ "name": "js_b_x", "params": [{ "kind": "handle", "ownership": "mine" }], "returns": "i64" }"#, "`ownership` is `borrowed` or `owned`, not `mine`"),
        (r#"{ "name": "js_b_x", "params": [{ "kind": "handle", "thread": "ui" }], "returns": "i64" }"#, "`thread` is `any`, `main` or `creator`, not `ui`"),
        (r#"{ "name": "js_b_x", "params": [{ "kind": "handle", "nullable": "yes" }], "returns": "i64" }"#, "`nullable` must be true or false"),
        (
            r#"{ "name": "js_b_x", "params": [{ "kind": "handle", "ownership": "owned", "finalizer": "js_b_free" }], "returns": "i64" }"#,
            "a `finalizer` is allowed only on an owned return handle",
        ),
        (
            r#"{ "name": "js_b_x", "params": [], "returns": { "kind": "handle", "finalizer": "js_b_free" } }"#,
            "a `finalizer` is allowed only on an owned return handle",
        ),
        (r#"{ "name": "js_b_x", "params": [{ "kind": "void" }], "returns": "i64" }"#, "`void` is only allowed as a return type"),
    ];
    for (function, want) in cases {
        let (_t, p) =
            project_with(&manifest(&format!(r#"{{ "abiVersion": "0.5", "functions": [{function}], {TARGETS} }}"#)));
        let err = fails(ninjabind(&p, &["gen"]));
        assert!(err.contains(want), "{function}\n{err}");
        assert!(err.contains("--> node_modules/b/package.json:1:"), "at its place: {err}");
    }
}

#[test]
fn a_finalizer_the_archive_lacks_fails_its_symbol_check_at_the_finalizer() {
    let (_t, p) = project_with(&manifest(&format!(
        r#"{{ "abiVersion": "0.5", "functions": [
  {{ "name": "js_b_x", "params": [], "returns": {{ "kind": "handle", "type": "Thing", "ownership": "owned", "finalizer": "js_b_free" }} }}
], {TARGETS} }}"#
    )));
    ok(ninjabind(&p, &["gen"]));
    let out = text(&ninja(&p, &["build/sym/b.syms"]));
    assert!(out.contains("FAILED: build/sym/b.syms"), "{out}");
    assert!(
        out.contains("node_modules/b/package.json:2:120: error: `js_b_free` is a handle's finalizer but build/lib/libb_rs.a does not define it"),
        "{out}"
    );
    // defined: the check passes, and the finalizer is listed for the cross-binding duplicate check
    write_tree(
        &p,
        &[(
            "node_modules/b/src/lib.rs",
            "#[no_mangle]\npub extern \"C\" fn js_b_x() -> i64 { 1 }\n#[no_mangle]\npub extern \"C\" fn js_b_free(_a: *mut u8, _b: *mut u8) {}\n",
        )],
    );
    ok(ninja(&p, &["build/sym/b.syms"]));
    assert!(std::fs::read_to_string(p.join("build/sym/b.syms")).unwrap().contains("js_b_free 2:120\n"));
}
