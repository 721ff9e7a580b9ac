//! End-to-end: launchers and rustc wrappers (SPEC §12) — what they may change, how they are given, when they are missing.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn counting_cc(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let log = dir.join("cc.log");
    let cc = dir.join("cc");
    std::fs::write(
        &cc,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -c ] && echo \"$*\" >> '{}'; done\nexec /usr/bin/cc \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    (cc, log)
}

fn lines(p: &Path) -> usize {
    std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn switching_the_launcher_on_or_off_rebuilds_nothing_and_keeps_the_compile_database() {
    let (t, p) = example("hello-c");
    let (cc, log) = counting_cc(&t.path().join("tools"));
    let cc = cc.to_str().unwrap();
    ok(ninjabind_with_env(&p, &["gen"], &[("CC", cc)]));
    ok(ninja(&p, &[]));
    let compiles = lines(&log);
    assert_eq!(compiles, 2);
    let db = std::fs::read(p.join("build/compile_commands.json")).unwrap();
    ok(ninjabind_with_env(&p, &["gen", "--launcher", "env"], &[("CC", cc)]));
    assert!(std::fs::read_to_string(p.join("build.ninja")).unwrap().contains(" -- env "));
    let on = ok(ninja(&p, &[]));
    assert_eq!(lines(&log), compiles, "the launcher changed the key: {on}");
    assert_eq!(std::fs::read(p.join("build/compile_commands.json")).unwrap(), db);
    ok(ninjabind_with_env(&p, &["gen", "--fresh"], &[("CC", cc)]));
    let off = ok(ninja(&p, &[]));
    assert_eq!(lines(&log), compiles, "{off}");
    assert_eq!(std::fs::read(p.join("build/compile_commands.json")).unwrap(), db);
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn a_launcher_or_wrapper_not_on_path_is_an_error_at_gen() {
    let (_t, p) = example("hello-c");
    let err = fails(ninjabind(&p, &["gen", "--launcher", "no-such-launcher-xyz --flag"]));
    assert!(err.contains("launcher `no-such-launcher-xyz` not found on PATH"), "{err}");
    assert!(!p.join("build.ninja").exists());
    let err = fails(ninjabind(&p, &["gen", "--rustc-wrapper", "/nowhere/sccache"]));
    assert!(err.contains("rustc-wrapper `/nowhere/sccache` not found on PATH"), "{err}");
    assert!(!p.join("build.ninja").exists());
}

#[test]
fn a_launcher_with_arguments_is_split_into_words_and_shell_syntax_stays_data() {
    let (t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen", "--launcher", "env -u NINJABIND_UNSET_ME"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains(" -- env -u NINJABIND_UNSET_ME cc "), "{nf}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
    // the list form of ninjabind.toml, with a word a shell would run
    let marker = t.path().join("ran");
    let evil = format!("X=$(touch {0});touch {0}", marker.display());
    std::fs::write(p.join("ninjabind.toml"), format!("launcher = [\"env\", {}]\n", toml_string(&evil))).unwrap();
    ok(ninjabind(&p, &["gen", "--fresh"]));
    tick();
    touch(&p.join("src/main.c"));
    let out = ok(ninja(&p, &[]));
    assert!(!marker.exists(), "a launcher word ran as shell: {out}");
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn local_edges_never_exceed_the_local_pool_under_ninja_j64() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("app");
    let n = 6;
    let mut imports = String::new();
    let mut decls = String::new();
    let mut calls = Vec::new();
    for i in 0..n {
        imports.push_str(&format!("import {{ f }} from \"b{i}\";\n"));
        decls.push_str(&format!("long long js_b{i}(void);\n"));
        calls.push(format!("js_b{i}()"));
        write_tree(
            &p,
            &[
                (
                    &format!("node_modules/b{i}/package.json"),
                    &format!(
                        r#"{{ "name": "b{i}", "version": "1.0.0", "perry": {{ "nativeLibrary": {{ "abiVersion": "0.5",
  "functions": [ {{ "name": "js_b{i}", "params": [], "returns": "i64" }} ], "native": {{ "sources": ["b.c"] }} }} }} }}"#
                    ),
                ),
                (&format!("node_modules/b{i}/b.c"), &format!("long long js_b{i}(void) {{ return {i}; }}\n")),
            ],
        );
    }
    write_tree(
        &p,
        &[
            (
                "package.json",
                r#"{ "name": "app", "version": "1.0.0", "perry": { "nativeLibrary": { "native": { "sources": ["host/main.c"] } } } }"#,
            ),
            ("src/main.ts", &imports),
            (
                "host/main.c",
                &format!(
                    "#include <stdio.h>\n{decls}int main(void) {{ printf(\"%lld\\n\", {}); return 0; }}\n",
                    calls.join(" + ")
                ),
            ),
        ],
    );
    // an nm that notes how many symbol checks run at once
    let tools = t.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let nm = tools.join("nm");
    let d = tools.display();
    std::fs::write(
        &nm,
        format!("#!/bin/sh\nmkdir '{d}/run.'$$\nls -d '{d}'/run.* | wc -l >> '{d}/peak.log'\nsleep 0.4\nrmdir '{d}/run.'$$\nexec nm \"$@\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&nm, std::fs::Permissions::from_mode(0o755)).unwrap();
    ok(ninjabind(&p, &["gen", "--local-jobs", "2", "--nm", nm.to_str().unwrap()]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("pool local\n  depth = 2"), "{nf}");
    ok(ninja(&p, &["-j", "64"]));
    let peaks: Vec<usize> =
        std::fs::read_to_string(tools.join("peak.log")).unwrap().lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(peaks.len(), n, "{peaks:?}");
    assert_eq!(peaks.iter().max(), Some(&2), "at most the pool's depth, and the pool was used: {peaks:?}");
    assert_eq!(run_program(&p.join("build/bin/app")), "15\n");
}

#[test]
fn explain_shows_the_launcher_the_rustc_wrapper_and_the_pools() {
    let (_t, p) = example("hello-perry");
    let args = ["--launcher", "env -u X", "--rustc-wrapper", "env", "--local-jobs", "3", "--link-jobs", "1"];
    let with = |cmd: &'static str| -> Vec<&str> { std::iter::once(cmd).chain(args).collect() };
    let human = ok(ninjabind(&p, &with("explain")));
    assert!(human.contains("launcher: env -u X (C and C++ compiles; not part of any content key)\n"), "{human}");
    assert!(human.contains("rustc wrapper: env (cargo edges)\n"), "{human}");
    assert!(human.contains("pools: link=1 local=3 cargo=1 "), "{human}");
    assert!(human.contains("build/lib/libgreeter.a ←   [pool cargo]\n"), "{human}");
    assert!(human.contains("build/bin/hello-perry ← "), "{human}");
    assert!(human.lines().any(|l| l.starts_with("  link ") && l.ends_with("[pool link]")), "{human}");
    assert!(human.lines().any(|l| l.starts_with("  cc ") && !l.contains("[pool")), "{human}");
    let j = explain_json(&p, &args);
    assert_eq!(j["scale_out"]["launcher"], serde_json::json!(["env", "-u", "X"]));
    assert_eq!(j["scale_out"]["rustc_wrapper"], "env");
    assert_eq!(j["scale_out"]["pools"], serde_json::json!({"link": 1, "local": 3, "cargo": 1}));
    let pool_of =
        |rule: &str| j["edges"].as_array().unwrap().iter().find(|e| e["rule"] == rule).unwrap()["pool"].clone();
    assert_eq!(pool_of("cc"), serde_json::Value::Null);
    assert_eq!(pool_of("symdiff"), "local");
    assert_eq!(pool_of("cargo"), "cargo");
    // and build.ninja says the same
    ok(ninjabind(&p, &with("gen")));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("pool local\n  depth = 3\n") && nf.contains("pool link\n  depth = 1\n"), "{nf}");
}

#[test]
fn a_link_of_many_objects_passes_its_inputs_through_a_list_file() {
    // `/bin/sh -c` gets a command as one argument of at most 128 KiB: 21,000 objects' `--in` words broke the link
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("many");
    let n = 260;
    let mut sources = vec!["\"src/main.c\"".to_string()];
    for i in 0..n {
        let name = format!("src/a_source_file_with_a_rather_long_name_{i:04}.c");
        write_tree(&p, &[(&name, &format!("int f{i}(void) {{ return {i}; }}\n"))]);
        sources.push(format!("\"{name}\""));
    }
    write_tree(
        &p,
        &[
            ("vex.json", &format!(r#"{{ "name": "many", "native": {{ "sources": [{}] }} }}"#, sources.join(", "))),
            (
                "src/main.c",
                "#include <stdio.h>\nint f7(void);\nint main(void) { printf(\"%d\\n\", f7()); return 0; }\n",
            ),
        ],
    );
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    let link = nf.lines().skip_while(|l| !l.starts_with("build build/bin/many:")).nth(1).unwrap();
    assert!(link.contains("--in-list build/bin/many.inputs") && !link.contains("--in "), "{link}");
    let list = std::fs::read_to_string(p.join("build/bin/many.inputs")).unwrap();
    // every object, and the response file gen wrote (its text is the link's arguments)
    assert_eq!(list.lines().count(), n + 2, "{list}");
    assert_eq!(list.lines().last(), Some("build/bin/many.rsp"), "{list}");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/many")), "7\n");
    // the list's objects are the link's inputs: a changed object relinks, an untouched tree does nothing
    tick();
    std::fs::write(p.join("src/a_source_file_with_a_rather_long_name_0007.c"), "int f7(void) { return 70; }\n")
        .unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("LINK build/bin/many"), "{out}");
    assert_eq!(run_program(&p.join("build/bin/many")), "70\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}
