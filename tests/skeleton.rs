//! End-to-end: `ninjabind gen && ninja` on the hello-c example with real ninja, cc and sqlite3.

mod common;
use common::*;

#[test]
fn builds_runs_and_is_then_quiet() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let out = ok(ninja(&p, &[]));
    assert_eq!(
        builds(&out),
        ["CC build/obj/hello-c/src/main.c.o", "CC build/obj/hello-c/src/query.c.o", "LINK build/bin/hello-c"]
    );
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    // ninja -n accepts it, and an independent parser reads every statement
    ok(ninja(&p, &["-n"]));
    let builds = parse_ninja(&p.join("build.ninja"));
    assert!(builds.iter().any(|(r, o)| r == "link" && o == &["build/bin/hello-c"]), "{builds:?}");
    // both compiles share one rule (`cc_0`): their build lines differ only in paths
    assert_eq!(builds.iter().filter(|(r, _)| r == "cc_0").count(), 2);
}

#[test]
fn editing_the_manifest_regenerates_then_builds_then_is_quiet() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    tick();
    let manifest = p.join("vex.json");
    let text = std::fs::read_to_string(&manifest).unwrap().replace("hello from sqlite", "edited");
    std::fs::write(&manifest, text).unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating build.ninja"), "{out}");
    assert!(ran(&out).iter().any(|r| r.starts_with("LINK")), "{out}");
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "edited: squares = 1,4,9\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    // touching without changing regenerates at most once, never in a loop
    tick();
    touch(&manifest);
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("still dirty"), "{out}");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn editing_one_source_recompiles_it_and_relinks_only() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    tick();
    let src = p.join("src/query.c");
    // an edit that changes the object (a comment alone would be cut off by the hash gate)
    let text = std::fs::read_to_string(&src).unwrap().replace("\"sqlite: %s\\n\"", "\"sqlite says: %s\\n\"");
    std::fs::write(&src, text).unwrap();
    let out = ok(ninja(&p, &[]));
    assert_eq!(builds(&out), ["CC build/obj/hello-c/src/query.c.o", "LINK build/bin/hello-c"], "{out}");
    assert!(!out.contains("Regenerating"), "{out}");
    // a header change recompiles both sources that include it
    tick();
    let h = p.join("include/query.h");
    let text = std::fs::read_to_string(&h).unwrap() + "\n";
    std::fs::write(&h, text).unwrap();
    let out = ok(ninja(&p, &[]));
    assert_eq!(ran(&out).iter().filter(|r| r.starts_with("CC")).count(), 2, "{out}");
}

#[test]
fn environment_is_recorded_and_replayed_by_regeneration() {
    let (_t, p) = example("hello-c");
    ok(ninjabind_with_env(&p, &["gen"], &[("CFLAGS", "-DFROM_CFLAGS=1")]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("# env: CFLAGS=-DFROM_CFLAGS=1"), "{nf}");
    assert!(nf.contains("-DFROM_CFLAGS=1 -Iinclude"), "{nf}");
    // regeneration from a shell without CFLAGS still uses the recorded one
    tick();
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap().replace("\"search_paths\": []", "\"search_paths\": [ ]"))
        .unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating"), "{out}");
    let nf2 = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert_eq!(nf, nf2);
}

#[test]
fn out_of_tree_build_dir() {
    let (_t, p) = example("hello-c");
    let out_dir = p.parent().unwrap().join("out");
    ok(ninjabind(&p, &["gen", "-B", "../out"]));
    assert!(!p.join("build.ninja").exists());
    assert!(out_dir.join("build.ninja").is_file());
    let nf = std::fs::read_to_string(out_dir.join("build.ninja")).unwrap();
    assert!(nf.contains("build obj/hello-c/src/main.c.o: cc_0 ../hello-c/src/main.c"), "{nf}");
    ok(ninja(&out_dir, &[]));
    assert!(out_dir.join("compile_commands.json").is_file());
    assert_eq!(run_program(&out_dir.join("bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
    assert!(ok(ninja(&out_dir, &[])).contains("no work to do"));
    tick();
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap().replace("hello from sqlite", "oot")).unwrap();
    let out = ok(ninja(&out_dir, &[]));
    assert!(out.contains("Regenerating"), "{out}");
    assert_eq!(run_program(&out_dir.join("bin/hello-c")), "oot: squares = 1,4,9\n");
    assert!(ok(ninja(&out_dir, &[])).contains("no work to do"));
}

#[test]
fn same_project_in_another_folder_gives_the_same_bytes() {
    let (_a, p1) = example("hello-c");
    let (_b, p2) = example("hello-c");
    ok(ninjabind(&p1, &["gen"]));
    ok(ninjabind(&p2, &["gen"]));
    let a = std::fs::read(p1.join("build.ninja")).unwrap();
    let b = std::fs::read(p2.join("build.ninja")).unwrap();
    assert_eq!(a, b);
    // and gen from another working folder, with -C, writes the same bytes too
    ok(ninjabind(p1.parent().unwrap(), &["gen", "-C", "hello-c"]));
    assert_eq!(std::fs::read(p1.join("build.ninja")).unwrap(), a);
}

#[test]
fn malformed_manifest_is_an_error_with_position_and_keeps_build_ninja() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    std::fs::write(
        p.join("vex.json"),
        "{\n  \"name\": \"hello-c\",\n  \"native\": { \"sources\": [\"src/main.c\",] }\n}\n",
    )
    .unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("error: vex.json is not valid JSON"), "{err}");
    assert!(err.contains("--> vex.json:3:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
    // a wrong type points at the value
    std::fs::write(p.join("vex.json"), "{\n  \"native\": {\n    \"sources\": \"src/main.c\"\n  }\n}\n").unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("`native.sources` must be an array of strings, found a string"), "{err}");
    assert!(err.contains("--> vex.json:3:16"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
}

#[test]
fn shell_syntax_in_a_manifest_never_runs() {
    let (_t, p) = example("hello-c");
    let m = p.join("vex.json");
    let marker = p.join("pwned");
    let evil = format!("-DX=$(touch {0}) ; touch {0} `touch {0}`", marker.display());
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replace("\"cflags\": [", &format!("\"cflags\": [{}, ", serde_json::to_string(&evil).unwrap()));
    std::fs::write(&m, text).unwrap();
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    assert!(!marker.exists(), "a manifest string ran a command");
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn gen_again_keeps_recorded_options_until_fresh() {
    let (_t, p) = example("vex-db");
    ok(ninjabind_with_env(&p, &["gen", "--features", "sqlite,postgres"], &[("CFLAGS", "-DKEPT=1")]));
    let first = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(first.contains("# options: -C . --features=sqlite,postgres"), "{first}");
    // plain gen from a shell without CFLAGS: the same graph
    ok(ninjabind(&p, &["gen"]));
    assert_eq!(std::fs::read_to_string(p.join("build.ninja")).unwrap(), first);
    // new options replace the recorded ones
    ok(ninjabind(&p, &["gen", "--features", "sqlite"]));
    let second = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(second.contains("# options: -C . --features=sqlite\n"), "{second}");
    // --fresh starts over: no options, no recorded CFLAGS
    ok(ninjabind(&p, &["gen", "--fresh"]));
    let fresh = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(fresh.contains("# options: -C .\n") && fresh.contains("# env: (none set)"), "{fresh}");
    assert!(!fresh.contains("KEPT"), "{fresh}");
}

#[test]
fn launcher_prefixes_compiles_but_never_the_compile_database() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen", "--launcher", "env"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("# options: -C . --launcher=env"), "{nf}");
    assert!(nf.contains(" -- env cc "), "{nf}");
    let db: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("build/compile_commands.json")).unwrap()).unwrap();
    let entries = db.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let canon = p.canonicalize().unwrap();
    for e in entries {
        assert_eq!(e["directory"].as_str().unwrap(), canon.to_str().unwrap());
        let args: Vec<&str> = e["arguments"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert_eq!(args[0], "cc", "{args:?}");
        assert!(!args.contains(&"env") && !args.iter().any(|a| a.contains("ninjabind")), "{args:?}");
        assert_eq!(
            args[args.len() - 4..],
            ["-c", e["file"].as_str().unwrap(), "-o", e["output"].as_str().unwrap()],
            "{args:?}"
        );
    }
    // the launcher really runs the compile
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn the_graph_json_is_the_explain_document_less_what_only_explain_reads() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    let written = std::fs::read(p.join("build/ninjabind-graph.json")).unwrap();
    let o = ninjabind(&p, &["explain", "--format", "json"]);
    assert!(o.status.success());
    // explain adds what gen never reads: each source's guard (and after a build, what its compile decided) and the
    // imports of the project's own modules; without those, the same document
    let mut explained: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    explained["imports"].as_array_mut().unwrap().retain(|i| i["layer"] != "local");
    for p in explained["packages"].as_array_mut().unwrap() {
        for s in p["sources"].as_array_mut().unwrap() {
            let s = s.as_object_mut().unwrap();
            assert_eq!(s.remove("compiled"), Some(serde_json::json!(true)), "{s:?}");
            assert_eq!(s.remove("missing_macros"), Some(serde_json::json!([])));
        }
    }
    let doc: serde_json::Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(explained, doc);
    assert_eq!(doc["schema"], 1);
    let cc = doc["edges"].as_array().unwrap().iter().find(|e| e["rule"] == "cc").unwrap();
    assert_eq!(cc["outputs"], serde_json::json!(["build/obj/hello-perry/host/main.c.o"]));
    assert_eq!(cc["inputs"], serde_json::json!(["host/main.c"]));
    assert_eq!(cc["key"].as_str().unwrap().len(), 64);
    // the gate computes the key from what ninja runs: the record it writes holds the key the graph JSON shows
    ok(ninja(&p, &[]));
    let record = std::fs::read_to_string(p.join("build/obj/hello-perry/host/main.c.o.nbh")).unwrap();
    assert!(
        record.lines().any(|l| l == format!("key {}", cc["key"].as_str().unwrap())),
        "the key in the graph JSON is the one the gate computed:\n{record}"
    );
}

#[test]
fn pool_depths_for_cargo_and_link() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen", "--cargo-jobs", "2", "--link-jobs", "1"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("pool cargo\n  depth = 2\n"), "{nf}");
    assert!(nf.contains("pool link\n  depth = 1\n"), "{nf}");
    assert!(
        nf.contains("rule link\n  command = $cmd\n  restat = 1\n  description = LINK $out\n  pool = link\n"),
        "{nf}"
    );
    ok(ninjabind(&p, &["gen", "--fresh"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("pool cargo\n  depth = 1\n") && !nf.contains("pool link"), "{nf}");
}

#[test]
fn quiet_and_verbose() {
    let (_t, p) = example("hello-c");
    let out = ok(ninjabind(&p, &["gen", "-v"]));
    assert_eq!(
        out,
        "wrote build.ninja: 1 packages, 2 compiles, 0 cargo builds, 0 symbol checks, program build/bin/hello-c\n\
         scanned 0 files for imports: 0 read, 0 unchanged since build/scan.cache\n"
    );
    let out = ok(ninjabind(&p, &["gen", "-v"]));
    assert!(out.starts_with("unchanged build.ninja:"), "{out}");
    let m = p.join("vex.json");
    std::fs::write(
        &m,
        std::fs::read_to_string(&m).unwrap().replace("\"include_dirs\"", "\"library_dirs\": [], \"include_dirs\""),
    )
    .unwrap();
    assert!(ok(ninjabind(&p, &["gen"])).contains("warning: unknown key `library_dirs`"));
    assert_eq!(ok(ninjabind(&p, &["gen", "-q"])), "");
    // -q and -v do not shape the graph: not recorded, and gen without them still keeps the options
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("# options: -C .\n"), "{nf}");
}

/// A file ninja watches or gen wrote, deleted, never stops ninja: the scan's paths have phony edges, and the
/// regeneration edge owns what gen writes into the build folder (ninja makes them again by regenerating).
#[test]
fn a_deleted_source_or_build_file_never_stops_ninja() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    for gone in ["build/bin", "build/scan.list", "build/compile_commands.json", "build/ninjabind-graph.json"] {
        let path = p.join(gone);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
        let out = ok(ninja(&p, &[]));
        assert!(p.join(gone).exists(), "{gone} was not made again:\n{out}");
        assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
        assert!(ok(ninja(&p, &[])).contains("no work to do"), "after {gone}");
    }
    // a scanned module deleted (its import removed first): a change to scan, not a missing input
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    write_tree(&p, &[("src/twice.ts", "export const twice = (n: number) => n * 2;\n")]);
    ok(ninja(&p, &[]));
    std::fs::remove_file(p.join("src/twice.ts")).unwrap();
    ok(ninja(&p, &[]));
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

/// The first `ninja` after a fresh gen builds, and only builds: gen leaves what the scan edge would write, and
/// gives the project folder its mtime back after creating build.ninja in it.
#[test]
fn the_first_ninja_after_gen_neither_scans_nor_regenerates() {
    for name in ["hello-c", "hello-perry", "vex-db"] {
        let (_t, p) = example(name);
        ok(ninjabind(&p, &["gen"]));
        let out = ok(ninja(&p, &["-n"]));
        assert!(!out.contains("SCAN") && !out.contains("Regenerating"), "{name}:\n{out}");
    }
}

/// Every command that prints ends quietly when its reader goes away (`ninjabind stats | head -2`), as `ls` does:
/// no panic, no "Broken pipe" message.
#[test]
fn a_closed_stdout_is_no_panic() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    let commands: [&[&str]; 7] = [
        &["stats", "--format", "json"],
        &["stats"],
        &["explain"],
        &["explain", "--format", "json"],
        &["list"],
        &["graph"],
        &["completions", "bash"],
    ];
    for args in commands {
        let mut child = clean_command(EXE)
            .current_dir(&p)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // the reader leaves before reading a byte
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
        assert_ne!(o.status.code(), Some(101), "{args:?}");
    }
}
