//! End-to-end: Vex native blocks — scope merge, features, pkg-config, HAVE_* gating — with real ninja, cc, pkg-config.

mod common;
use common::*;
use std::path::Path;

fn compiled_sources(doc: &serde_json::Value, pkg: &str) -> Vec<(String, bool, Vec<String>)> {
    let p = doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == pkg).unwrap_or_else(|| panic!("{doc}"));
    p["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let missing =
                s["missing_macros"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect();
            (s["path"].as_str().unwrap().to_string(), s["compiled"].as_bool().unwrap(), missing)
        })
        .collect()
}

#[test]
fn vex_db_default_features_build_and_run_without_optional_drivers() {
    let (_t, p) = example("vex-db");
    ok(ninjabind(&p, &["gen"]));
    let out = ok(ninja(&p, &[]));
    let steps = ran(&out);
    assert!(steps.iter().any(|s| s.ends_with("vex_sqlite.c.o")), "{out}");
    assert!(!steps.iter().any(|s| s.contains("vex_pg") || s.contains("vex_mysql")), "{out}");
    assert_eq!(run_program(&p.join("build/bin/app")), "drivers: sqlite \n40 + 2 = 42\ntables = 0\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    let doc = explain_json(&p, &[]);
    let db = doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == "db").unwrap();
    assert_eq!(db["origin"], "stdlib");
    assert_eq!(db["features"]["active"], serde_json::json!(["sqlite"]));
    let skipped: Vec<&str> =
        db["features"]["skipped"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(skipped, ["postgres", "mysql"]);
    let imp = &doc["imports"][0];
    assert_eq!(
        (imp["specifier"].as_str(), imp["layer"].as_str(), imp["line"].as_u64()),
        (Some("db"), Some("stdlib"), Some(2))
    );
}

#[test]
fn env_feature_selection_compiles_postgres_against_libpq_and_is_replayed() {
    let (_t, p) = example("vex-db");
    ok(ninjabind_with_env(&p, &["gen"], &[("VEX_NATIVE_FEATURES", "sqlite,postgres")]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("# features: sqlite,postgres (from VEX_NATIVE_FEATURES)"), "{nf}");
    assert!(nf.contains("-I/usr/include/postgresql"), "pkg-config include path merged: {nf}");
    ok(ninja(&p, &[]));
    let run = run_program(&p.join("build/bin/app"));
    assert!(run.starts_with("drivers: sqlite postgres \n40 + 2 = 42\n"), "{run}");
    assert!(run.contains("postgres client: libpq "), "{run}");
    // ninja regenerates from a shell without the variable, and keeps the selection
    tick();
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap() + "\n").unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating"), "{out}");
    assert_eq!(std::fs::read_to_string(p.join("build.ninja")).unwrap(), nf);
    // the alias and the pkg/feat form select the same
    ok(ninjabind_with_env(&p, &["gen"], &[("VEX_DB_FEATURES", "db/sqlite,db/postgres")]));
    let doc = explain_json(&p, &["--features", "db/sqlite,db/postgres"]);
    assert_eq!(compiled_sources(&doc, "db").len(), 3);
}

#[test]
fn optional_missing_pkg_config_skips_required_fails() {
    let (_t, p) = example("vex-db");
    let out = ok(ninjabind(&p, &["gen", "--features", "sqlite,mysql"]));
    assert!(
        out.contains("note: skipping feature `mysql` of package `db`: pkg-config `mysqlclient` not found (optional)"),
        "{out}"
    );
    let doc = explain_json(&p, &["--features", "sqlite,mysql"]);
    let db = doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == "db").unwrap();
    assert!(db["features"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "mysql" && s["reason"].as_str().unwrap().contains("mysqlclient")));
    ok(ninja(&p, &[]));
    // the same feature made required
    let m = p.join("vex-libs/std/db/vex.json");
    let text = std::fs::read_to_string(&m).unwrap();
    let text = text.replacen(
        "\"pkg_config_optional\": true,\n        \"pkg_config\": [\"mysqlclient\"]",
        "\"pkg_config_optional\": false,\n        \"pkg_config\": [\"mysqlclient\"]",
        1,
    );
    std::fs::write(&m, text).unwrap();
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    let err = fails(ninjabind(&p, &["gen", "--features", "sqlite,mysql"]));
    assert!(
        err.contains("error: pkg-config could not find `mysqlclient`, required by feature `mysql` of package `db`"),
        "{err}"
    );
    assert!(err.contains("PKG_CONFIG_PATH="), "{err}");
    assert!(err.contains("help: install the package that provides `mysqlclient.pc`"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
}

#[test]
fn unknown_feature_lists_the_available_ones() {
    let (_t, p) = example("vex-db");
    let err = fails(ninjabind(&p, &["gen", "--features", "sqlite,oracle"]));
    assert!(err.contains("feature `oracle` (from --features) is not declared by any package"), "{err}");
    assert!(err.contains("available features: db/sqlite, db/postgres, db/mysql"), "{err}");
    let err = fails(ninjabind_with_env(&p, &["gen"], &[("VEX_NATIVE_FEATURES", "app/sqlite")]));
    assert!(err.contains("feature `app/sqlite` (from VEX_NATIVE_FEATURES)"), "{err}");
    // --all-features activates all; the absent optional one is skipped
    let doc = explain_json(&p, &["--all-features"]);
    let db = doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == "db").unwrap();
    assert_eq!(db["features"]["active"], serde_json::json!(["sqlite", "postgres"]));
}

const GATED: &[(&str, &str)] = &[
    ("ifndef.c", "#ifndef HAVE_A\n#error need A\n#endif\nint f_ifndef(void) { return 1; }\n"),
    (
        "notdefined.c",
        "/* lead comment */\n#if !defined(HAVE_B)\n#error need B\n#endif\nint f_notdefined(void) { return 2; }\n",
    ),
    ("notdefined_bare.c", "#if !defined HAVE_A\n#error need A\n#endif\nint f_bare(void) { return 3; }\n"),
    ("ifdef_wrap.c", "#ifdef HAVE_B\nint f_wrap(void) { return 4; }\n#endif\n"),
    ("if_defined_wrap.c", "#if defined(HAVE_A)\nint f_ifdefwrap(void) { return 5; }\n#endif /* HAVE_A */\n"),
    ("if_wrap.c", "#if HAVE_B\nint f_ifwrap(void) { return 6; }\n#endif\n"),
    ("both.c", "#if !defined(HAVE_A) || !defined(HAVE_B)\n#error need both\n#endif\nint f_both(void) { return 7; }\n"),
    ("guard.c", "#ifndef GUARD_H\n#define GUARD_H\nint f_guard(void) { return 8; }\n#endif\n"),
    ("undef.c", "#ifndef HAVE_C\n#error need C\n#endif\nint f_undef(void) { return 9; }\n"),
];

#[test]
fn each_gate_form_compiles_exactly_when_its_macros_are_defined() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("gates");
    let sources: Vec<String> = GATED.iter().map(|(n, _)| format!("\"src/{n}\"")).collect();
    let manifest = format!(
        r#"{{ "name": "gates", "native": {{ "sources": [{}, "src/main.c"], "cflags": ["-DHAVE_A", "-D", "HAVE_C=1", "-UHAVE_C"] }} }}"#,
        sources.join(", ")
    );
    let mut files: Vec<(&str, String)> = GATED.iter().map(|(n, c)| (*n, c.to_string())).collect();
    files.push(("main.c", "int main(void) { return 0; }\n".into()));
    std::fs::create_dir_all(p.join("src")).unwrap();
    for (n, c) in &files {
        std::fs::write(p.join("src").join(n), c).unwrap();
    }
    std::fs::write(p.join("vex.json"), manifest).unwrap();
    let doc = explain_json(&p, &[]);
    let got: Vec<(String, bool, Vec<String>)> = compiled_sources(&doc, "gates");
    let want = [
        ("src/ifndef.c", true, vec![]),
        ("src/notdefined.c", false, vec!["HAVE_B"]),
        ("src/notdefined_bare.c", true, vec![]),
        ("src/ifdef_wrap.c", false, vec!["HAVE_B"]),
        ("src/if_defined_wrap.c", true, vec![]),
        ("src/if_wrap.c", false, vec!["HAVE_B"]),
        ("src/both.c", false, vec!["HAVE_B"]),
        ("src/guard.c", true, vec![]),
        ("src/undef.c", false, vec!["HAVE_C"]),
        ("src/main.c", true, vec![]),
    ];
    let want: Vec<(String, bool, Vec<String>)> =
        want.iter().map(|(a, b, c)| (a.to_string(), *b, c.iter().map(|s| s.to_string()).collect())).collect();
    assert_eq!(got, want);
    // gen reads no C source: every source gets its compile edge, which decides the gate at build time
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("build build/obj/gates/src/notdefined.c.o: cc"), "{nf}");
    // the program links from what was compiled: the gated-out sources' objects are empty, no compiler ran for them
    ok(ninja(&p, &[]));
    let gated: Vec<&str> = want.iter().filter(|w| !w.1).map(|w| w.0.as_str()).collect();
    let stats: serde_json::Value = serde_json::from_str(&ok(ninjabind(&p, &["stats", "--format", "json"]))).unwrap();
    assert_eq!(stats["by_kind"]["cc"]["gated_out"], gated.len(), "{stats}");
    assert_eq!(
        stats["by_kind"]["cc"]["ran"].as_u64().unwrap() + stats["by_kind"]["cc"]["cut_off"].as_u64().unwrap(),
        5
    );
    for src in &gated {
        let obj = p.join(format!("build/obj/gates/{src}.o"));
        let nm = std::process::Command::new("nm").arg(&obj).output().unwrap();
        assert!(nm.status.success() && nm.stdout.is_empty(), "{src}: {}", text(&nm));
    }
    // after the build, explain says what each compile decided
    let doc = explain_json(&p, &[]);
    let srcs = doc["packages"][0]["sources"].as_array().unwrap();
    for s in srcs {
        let want_last = if gated.contains(&s["path"].as_str().unwrap()) { "gated_out" } else { "compiled" };
        assert_eq!(s["last_build"], want_last, "{s}");
    }
    // touching every source decides nothing again
    for (n, _) in &files {
        touch(&p.join("src").join(n));
    }
    ok(ninja(&p, &[]));
    assert_eq!(commands(&p, "cc"), 0);
    // without the content gate (`gen --no-gate`), each compile still decides its gate: the same empty objects
    std::fs::remove_dir_all(p.join("build")).unwrap();
    ok(ninjabind(&p, &["gen", "--no-gate"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains(" edge have --target ") && !nf.contains(" edge gate "), "{nf}");
    ok(ninja(&p, &[]));
    for src in &gated {
        let obj = p.join(format!("build/obj/gates/{src}.o"));
        let nm = std::process::Command::new("nm").arg(&obj).output().unwrap();
        assert!(nm.status.success() && nm.stdout.is_empty(), "{src}: {}", text(&nm));
    }
}

#[test]
fn a_body_or_guard_edit_is_decided_by_the_next_ninja_with_no_regeneration() {
    let (_t, p) = example("vex-db");
    // one more source in the db package, guarded by a macro its flags lack
    let extra = p.join("vex-libs/std/db/native/src/extra.c");
    write_tree(
        &p,
        &[("vex-libs/std/db/native/src/extra.c", "#ifdef HAVE_NOPE\nint vex_db_extra(void) { return 1; }\n#endif\n")],
    );
    edit(
        &p.join("vex-libs/std/db/vex.json"),
        "\"native/src/vex_db_shim.c\"",
        "\"native/src/vex_db_shim.c\", \"native/src/extra.c\"",
    );
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    let symbols = |p: &Path| {
        let o = std::process::Command::new("nm").arg(p.join("build/obj/db/native/src/extra.c.o")).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(symbols(&p), "", "gated out: an empty object");
    assert_eq!(commands(&p, "cc"), 3, "main, shim and sqlite compiled; extra decided without a compiler");

    // a body edit: that compile only, no regeneration
    let shim = p.join("vex-libs/std/db/native/src/vex_db_shim.c");
    edit(&shim, "#include", "/* edited */\n#include");
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("Regenerating"), "a C body edit must not re-run gen: {out}");
    assert!(ran(&out).iter().any(|s| s.ends_with("vex_db_shim.c.o")), "{out}");

    // the guard now names a macro the flags define (the sqlite feature's): compiled, again with no regeneration
    edit(&extra, "HAVE_NOPE", "HAVE_SQLITE");
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("Regenerating"), "{out}");
    assert!(symbols(&p).contains("T vex_db_extra"), "{}", symbols(&p));
    assert_eq!(run_program(&p.join("build/bin/app")).lines().next(), Some("drivers: sqlite "));
    // and back: gated out again
    edit(&extra, "HAVE_SQLITE", "HAVE_NOPE");
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("Regenerating"), "{out}");
    assert_eq!(symbols(&p), "");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

/// A project shaped like real Vex stdlib manifests: sources and include folders under ../../../vex-runtime/c.
fn real_shape(root: &Path, second_cflags: &str) {
    write_tree(
        root,
        &[
            ("runtime/vex-runtime/c/vex_time/src/vex_time.c", "#include \"vex_time.h\"\nint vex_time_now(void) { return 7; }\n"),
            ("runtime/vex-runtime/c/vex_time.h", "int vex_time_now(void);\n"),
            ("runtime/proj/vex.json", r#"{ "name": "proj", "native": { "sources": ["main.c"], "include_dirs": ["../vex-runtime/c"] } }"#),
            ("runtime/proj/main.vx", "import { now } from \"time\";\nimport { sleep } from \"sched\";\n"),
            (
                "runtime/proj/main.c",
                "#include <stdio.h>\n#include \"vex_time.h\"\nint main(void) { printf(\"now=%d\\n\", vex_time_now()); return 0; }\n",
            ),
            (
                "runtime/proj/vex-libs/std/time/vex.json",
                r#"{ "name": "time", "version": "0.1.0", "description": "time", "authors": ["a"], "license": "MIT", "main": "lib.vx",
  "exports": ["now"], "targets": { "linux": {} },
  "native": { "sources": ["../../../../vex-runtime/c/vex_time/src/vex_time.c"], "include_dirs": ["../../../../vex-runtime/c"],
              "search_paths": ["../../../../vex-runtime/c"], "library_dirs": ["../../../../vex-runtime/c"], "static_libs": [], "libraries": [] } }"#,
            ),
        ],
    );
    let sched = format!(
        r#"{{ "name": "sched", "version": "0.1.0", "native": {{ "sources": ["../../../../vex-runtime/c/vex_time/src/vex_time.c"], "include_dirs": ["../../../../vex-runtime/c"], "cflags": [{second_cflags}] }} }}"#
    );
    write_tree(root, &[("runtime/proj/vex-libs/std/sched/vex.json", &sched)]);
}

#[test]
fn real_vex_stdlib_manifest_shapes_load_and_build() {
    let t = tempfile::tempdir().unwrap();
    real_shape(t.path(), "");
    let p = t.path().join("runtime/proj");
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(out.contains("warning: unknown key `library_dirs` in `native`; did you mean `search_paths`?"), "{out}");
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    // one source shared by two packages with the same flags: compiled once, never outside build/
    let shared: Vec<&str> = nf.lines().filter(|l| l.starts_with("build ") && l.contains("vex_time.c.o: cc")).collect();
    assert_eq!(shared, ["build build/obj/time/__/__/__/__/vex-runtime/c/vex_time/src/vex_time.c.o: cc_0 ../vex-runtime/c/vex_time/src/vex_time.c"]);
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/proj")), "now=7\n");
    let err = fails(ninjabind(&p, &["gen", "--strict-manifests"]));
    assert!(err.contains("error: unknown key `library_dirs`"), "{err}");
    assert!(err.contains("--> vex-libs/std/time/vex.json:4:"), "{err}");
}

#[test]
fn one_source_with_two_different_flag_sets_is_an_error_naming_both() {
    let t = tempfile::tempdir().unwrap();
    real_shape(t.path(), "\"-DFAST\"");
    let err = fails(ninjabind(&t.path().join("runtime/proj"), &["gen"]));
    assert!(err.contains("is compiled by packages `time` and `sched` with different flags"), "{err}");
}

#[test]
fn static_libs_unknown_keys_and_wrong_types_are_reported() {
    let (_t, p) = example("hello-c");
    let m = p.join("vex.json");
    let orig = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, orig.replace("\"static_libs\": []", "\"static_libs\": [\"libfoo.a\"]")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(
        err.contains("`native.static_libs` is not supported: this pipeline links system libraries dynamically"),
        "{err}"
    );
    assert!(err.contains("help: declare it under `libraries`, or ship it as a binding's prebuilt archive"), "{err}");
    assert!(err.contains("--> vex.json:11:20"), "{err}");
    std::fs::write(&m, orig.replace("\"include_dirs\"", "\"include_dir\": [], \"include_dirs\"")).unwrap();
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(out.contains("unknown key `include_dir` in `native`; did you mean `include_dirs`?"), "{out}");
    std::fs::write(
        &m,
        orig.replace("\"cflags\": [", "\"features\": { \"x\": { \"enabled\": \"yes\" } }, \"cflags\": ["),
    )
    .unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("`native.features.x.enabled` must be true or false, found a string"), "{err}");
    std::fs::write(&m, orig.replace("src/query.c", "src/missing file.c")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("source `src/missing file.c` of package `hello-c` not found"), "{err}");
    assert!(err.contains("--> vex.json:6:31"), "{err}");
    // the name as the manifest means it, read back from the manifest: its JSON escape decoded
    std::fs::write(&m, orig.replace("src/query.c", "src/missing\\u0020\\\"quoted\\\".c")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("source `src/missing \"quoted\".c` of package `hello-c` not found"), "{err}");
}

#[test]
fn dependencies_by_path_and_version_cycles_and_duplicates() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write_tree(
        r,
        &[
            (
                "app/vex.json",
                r#"{ "name": "app", "dependencies": { "util": { "path": "../util" }, "net": "^1.2" }, "native": { "sources": ["main.c"] } }"#,
            ),
            ("app/main.c", "int util_f(void); int net_f(void);\nint main(void) { return util_f() + net_f() - 3; }\n"),
            ("util/vex.json", r#"{ "name": "util", "version": "0.1.0", "native": { "sources": ["u.c"] } }"#),
            ("util/u.c", "int util_f(void) { return 1; }\n"),
            ("vex_modules/net/vex.json", r#"{ "name": "net", "version": "1.4.0", "native": { "sources": ["n.c"] } }"#),
            ("vex_modules/net/n.c", "int net_f(void) { return 2; }\n"),
        ],
    );
    let app = r.join("app");
    ok(ninjabind(&app, &["gen"]));
    ok(ninja(&app, &[]));
    let status = std::process::Command::new(app.join("build/bin/app")).status().unwrap();
    assert!(status.success());
    let doc = explain_json(&app, &[]);
    let origins: Vec<(&str, &str)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(origins, [("app", "root"), ("util", "dependency"), ("net", "dependency")]);
    // a version that does not match
    write_tree(
        r,
        &[("vex_modules/net/vex.json", r#"{ "name": "net", "version": "2.0.0", "native": { "sources": ["n.c"] } }"#)],
    );
    let err = fails(ninjabind(&app, &["gen"]));
    assert!(err.contains("dependency `net` requires ^1.2, but"), "{err}");
    assert!(err.contains("--> vex.json:1:"), "at the dependency in app/vex.json: {err}");
    // a range that is no range says so, with semver's reason, installed or not
    let manifest = app.join("vex.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("\"^1.2\"", "\"banana!!\"")).unwrap();
    let err = fails(ninjabind(&app, &["gen"]));
    assert!(err.contains("dependency `net` of `app`: `banana!!` is not a version range: "), "{err}");
    assert!(err.contains("--> vex.json:1:"), "{err}");
    assert!(!err.contains("not found"), "{err}");
    std::fs::write(&manifest, text).unwrap();
    // a cycle is shown
    write_tree(
        r,
        &[
            (
                "vex_modules/net/vex.json",
                r#"{ "name": "net", "version": "1.4.0", "dependencies": { "util": { "path": "../../util" } } }"#,
            ),
            ("util/vex.json", r#"{ "name": "util", "dependencies": { "net": "1" } }"#),
        ],
    );
    let err = fails(ninjabind(&app, &["gen"]));
    assert!(err.contains("error: dependency cycle: util → net → util"), "{err}");
    // two packages with one name from different folders
    write_tree(
        r,
        &[
            ("util/vex.json", r#"{ "name": "net", "version": "1.4.0" }"#),
            ("vex_modules/net/vex.json", r#"{ "name": "net", "version": "1.4.0" }"#),
        ],
    );
    let err = fails(ninjabind(&app, &["gen"]));
    assert!(err.contains("error: two packages are named `net`"), "{err}");
    // at the `name` of one, the other's place in a note: file, line and column, never an absolute path
    assert!(err.contains("vex.json:1:11") && err.contains("note: the other is named at "), "{err}");
    assert!(!err.contains(&r.display().to_string()), "no absolute path: {err}");
}

#[test]
fn cxx_sources_use_the_cxx_rule_and_driver() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("mixed");
    write_tree(
        &p,
        &[
            ("vex.json", r#"{ "name": "mixed", "native": { "sources": ["main.c", "lib.cpp"] } }"#),
            (
                "main.c",
                "#include <stdio.h>\nint twice(int);\nint main(void) { printf(\"%d\\n\", twice(21)); return 0; }\n",
            ),
            (
                "lib.cpp",
                "#include <vector>\nextern \"C\" int twice(int x) { std::vector<int> v{x, x}; return v[0] + v[1]; }\n",
            ),
        ],
    );
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("build build/obj/mixed/lib.cpp.o: cxx_1 lib.cpp"), "{nf}");
    assert!(nf.contains("rule cxx_1\n  command = ") && nf.contains(" -- c++ "), "{nf}");
    assert!(nf.contains(" -- c++ @build/bin/mixed.rsp -o build/bin/mixed"), "{nf}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/mixed")), "42\n");
}

#[test]
fn stdlib_roots_from_the_flag_and_the_environment() {
    let (t, p) = example("vex-db");
    // move the stdlib out of the project: only --stdlib or VEX_STDLIB can find it now
    let outside = t.path().join("std-elsewhere");
    std::fs::rename(p.join("vex-libs/std"), &outside).unwrap();
    std::fs::write(
        p.join("vex.json"),
        std::fs::read_to_string(p.join("vex.json"))
            .unwrap()
            .replace("vex-libs/std/db/native/include", "../std-elsewhere/db/native/include"),
    )
    .unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("cannot resolve import `db`"), "{err}");
    assert!(err.contains("--> src/main.vx:2:28"), "{err}");
    ok(ninjabind(&p, &["gen", "--stdlib", "../std-elsewhere"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("--stdlib=../std-elsewhere"), "{nf}");
    ok(ninjabind_with_env(&p, &["gen", "--fresh"], &[("VEX_STDLIB", outside.to_str().unwrap())]));
    ok(ninja(&p, &[]));
    assert!(run_program(&p.join("build/bin/app")).contains("40 + 2 = 42"));
}

#[test]
fn a_root_without_a_name_is_named_by_its_folder() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("my-tool");
    write_tree(
        &p,
        &[("vex.json", r#"{ "native": { "sources": ["m.c"] } }"#), ("m.c", "int main(void) { return 0; }\n")],
    );
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    assert!(p.join("build/bin/my-tool").is_file());
    assert!(p.join("build/obj/my-tool/m.c.o").is_file());
}

#[test]
fn a_dependency_keyed_other_than_its_package_name_is_named_in_a_warning_and_strict_makes_it_an_error() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write_tree(
        r,
        &[
            (
                "app/vex.json",
                r#"{ "name": "app", "dependencies": { "other": { "path": "../dbfork" } }, "native": { "sources": ["main.c"] } }"#,
            ),
            ("app/main.c", "int main(void) { return 0; }\n"),
            ("dbfork/vex.json", r#"{ "name": "db", "version": "9.0.0" }"#),
        ],
    );
    let app = r.join("app");
    let out = ok(ninjabind(&app, &["gen"]));
    assert!(
        out.contains("warning: dependency `other` of `app` is the package `db` (../dbfork/vex.json): imports of `db` resolve to it, not to `other`"),
        "{out}"
    );
    assert!(out.contains("--> vex.json:1:"), "at the dependency: {out}");
    let err = fails(ninjabind(&app, &["gen", "--strict-manifests"]));
    assert!(err.contains("error: dependency `other` of `app` is the package `db`"), "{err}");
}

/// A pkg-config that never answers hangs no gen (issue 38 item 1): past `NINJABIND_PROBE_TIMEOUT` the probe is
/// stopped, gen fails naming pkg-config, the package and the limit, the hung child is gone and build.ninja is kept.
#[test]
fn a_pkg_config_that_never_answers_is_stopped_and_named() {
    let (t, p) = example("vex-db");
    ok(ninjabind(&p, &["gen", "--features", "sqlite"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    let pid_file = t.path().join("hung.pid");
    let script = t.path().join("pkg-config");
    std::fs::write(&script, format!("#!/bin/sh\necho $$ > '{}'\nexec sleep 600\n", pid_file.display())).unwrap();
    assert!(std::process::Command::new("chmod").arg("+x").arg(&script).status().unwrap().success());
    let started = std::time::Instant::now();
    let o = ninjabind_with_env(
        &p,
        &["gen", "--fresh", "--features", "sqlite"],
        &[("PKG_CONFIG", script.to_str().unwrap()), ("NINJABIND_PROBE_TIMEOUT", "1")],
    );
    let err = fails(o);
    assert!(err.contains("probing `sqlite3` did not finish within 1 s and was stopped"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "gen waited {:?}", started.elapsed());
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "the hung pkg-config {pid} is still running");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before, "build.ninja kept");
}
