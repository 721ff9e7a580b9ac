//! Incremental gen (issue 10): gen and the scan edge keep `build/scan.cache` and read only the files whose size, mtime
//! or inode changed. Whatever the cache holds — nothing, something stale, something broken — a gen writes the same
//! bytes as a cold gen (no build folder at all).

mod common;
use common::*;
use std::path::Path;

/// build.ninja, compile_commands.json and ninjabind-graph.json, as bytes.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["build.ninja", "build/compile_commands.json", "build/ninjabind-graph.json", "build/scan.stamp"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))))
        .collect()
}

/// What a cold gen with `args` writes in `dir`: the build folder and build.ninja are moved aside first and the cold
/// one stays (its cache is the next step's starting point).
fn cold(dir: &Path, args: &[&str]) -> Vec<(String, Vec<u8>)> {
    let _ = std::fs::remove_dir_all(dir.join("build.warm"));
    std::fs::rename(dir.join("build"), dir.join("build.warm")).unwrap();
    std::fs::rename(dir.join("build.ninja"), dir.join("build.warm/build.ninja")).unwrap();
    let mut a = vec!["gen"];
    a.extend_from_slice(args);
    ok(ninjabind(dir, &a));
    std::fs::remove_dir_all(dir.join("build.warm")).unwrap();
    outputs(dir)
}

#[track_caller]
fn assert_same(warm: &[(String, Vec<u8>)], cold: &[(String, Vec<u8>)], step: &str) {
    for ((name, w), (_, c)) in warm.iter().zip(cold) {
        assert!(w == c, "after {step}: {name} of the warm gen differs from a cold gen's");
    }
}

/// `ninjabind gen -v ARGS`: how many scanned files it read and how many came from the cache.
#[track_caller]
fn gen_counts(dir: &Path, args: &[&str]) -> (usize, usize) {
    let mut a = vec!["gen", "-v"];
    a.extend_from_slice(args);
    let out = ok(ninjabind(dir, &a));
    let line = out.lines().find(|l| l.starts_with("scanned ")).unwrap_or_else(|| panic!("no scan line:\n{out}"));
    let num = |before: &str| -> usize {
        let head = line.split(before).next().unwrap();
        head.rsplit(' ').find(|w| !w.is_empty()).unwrap().parse().unwrap()
    };
    (num(" read"), num(" unchanged"))
}

#[test]
fn every_example_gens_the_same_bytes_warm_and_cold() {
    for name in ["hello-c", "hello-perry", "vex-db"] {
        let (_t, dir) = example(name);
        ok(ninjabind(&dir, &["gen"]));
        let (read, reused) = gen_counts(&dir, &[]);
        assert_eq!(read, 0, "{name}: nothing changed, yet the warm gen read {read} files");
        // hello-c has no import-bearing file: nothing to cache (C sources are never read at gen)
        assert!(reused > 0 || name == "hello-c", "{name}: the warm gen took nothing from the cache");
        let warm = outputs(&dir);
        assert_same(&warm, &cold(&dir, &[]), name);
    }
}

#[test]
fn a_sequence_of_edits_regenerates_what_a_cold_gen_writes() {
    let (_t, dir) = example("hello-perry");
    ok(ninjabind(&dir, &["gen"]));

    // a manifest edit, regenerated the way a user meets it: ninja's regeneration edge
    tick();
    let root = dir.join("package.json");
    let manifest = std::fs::read_to_string(&root).unwrap();
    std::fs::write(&root, manifest.replace("\"cflags\": []", "\"cflags\": [\"-DEDITED=1\"]")).unwrap();
    ok(ninja(&dir, &["build.ninja"]));
    let warm = outputs(&dir);
    assert!(String::from_utf8_lossy(&warm[0].1).contains("-DEDITED=1"), "the edit did not reach build.ninja");
    assert_same(&warm, &cold(&dir, &[]), "a manifest edit");

    // an import added, in a new file the program imports
    tick();
    write_tree(&dir, &[("src/lib/extra.ts", "import { wave } from \"greeter\";\nexport const w = wave(1);\n")]);
    let main = std::fs::read_to_string(dir.join("src/main.ts")).unwrap();
    std::fs::write(dir.join("src/main.ts"), format!("import {{ w }} from \"./lib/extra\";\n{main}")).unwrap();
    ok(ninja(&dir, &["build.ninja"]));
    let warm = outputs(&dir);
    assert!(String::from_utf8_lossy(&warm[2].1).contains("src/lib/extra.ts"), "the new import is not in the graph");
    assert_same(&warm, &cold(&dir, &[]), "an import added");

    // a package installed into node_modules and imported
    tick();
    write_tree(
        &dir,
        &[
            (
                "node_modules/pad2/package.json",
                "{ \"name\": \"pad2\", \"version\": \"2.0.0\", \"main\": \"index.js\" }\n",
            ),
            ("node_modules/pad2/index.js", "module.exports = (s) => s;\n"),
            ("src/lib/pad.ts", "import pad2 from \"pad2\";\nexport const p = pad2;\n"),
        ],
    );
    ok(ninja(&dir, &["build.ninja"]));
    let warm = outputs(&dir);
    assert!(String::from_utf8_lossy(&warm[2].1).contains("\"pad2\""), "the installed package is not in the graph");
    assert_same(&warm, &cold(&dir, &[]), "a package installed");

    // only one file changed since the last gen: the cache answers for the rest
    tick();
    std::fs::write(dir.join("src/lib/pad.ts"), "import pad2 from \"pad2\";\nexport const p = pad2; // edited\n")
        .unwrap();
    let (read, reused) = gen_counts(&dir, &[]);
    assert_eq!(read, 1, "one file changed, yet the gen read {read}");
    assert!(reused >= 3, "the cache answered for only {reused} files");
    assert_same(&outputs(&dir), &cold(&dir, &[]), "one .ts edit");
}

#[test]
fn a_feature_switched_regenerates_what_a_cold_gen_writes_and_a_guard_edit_changes_nothing_gen_writes() {
    let (_t, dir) = example("vex-db");
    ok(ninjabind(&dir, &["gen"]));
    // a feature switched on the command line: every later gen of this test is given the same options, so the cold
    // gens (which have no recorded options) match
    let args = ["--features", "db/postgres"];
    let (read, _) = gen_counts(&dir, &args);
    assert_eq!(read, 0, "switching a feature on reads no file: C sources are not gen's to read, not {read}");
    let warm = outputs(&dir);
    assert!(String::from_utf8_lossy(&warm[0].1).contains("vex_pg.c"), "the postgres source is not compiled");
    assert_same(&warm, &cold(&dir, &args), "a feature switched");

    // the shim's guard now needs a macro nothing defines: the compile edge decides that at build time, so gen
    // writes the same bytes as before, warm as cold
    tick();
    let shim = dir.join("vex-libs/std/db/native/src/vex_db_shim.c");
    let text = std::fs::read_to_string(&shim).unwrap();
    std::fs::write(&shim, format!("#ifndef HAVE_NOTHING\n#error off\n#endif\n{text}")).unwrap();
    assert_eq!(gen_counts(&dir, &args).0, 0);
    assert_eq!(outputs(&dir), warm, "a guard edit changed what gen writes");
    assert_same(&warm, &cold(&dir, &args), "a guard edited");
}

/// A cache that cannot be trusted is read as empty: the gen reads every file, says nothing, and writes what a cold
/// gen writes.
#[test]
fn a_corrupt_truncated_foreign_or_stale_cache_falls_back_to_a_cold_gen() {
    let (_t, dir) = example("vex-db");
    ok(ninjabind(&dir, &["gen"]));
    let expected = cold(&dir, &[]);
    let cache = dir.join("build/scan.cache");
    // the file is the cache's JSON in one zstd frame
    let packed = std::fs::read(&cache).unwrap();
    let good = String::from_utf8(zstd::decode_all(&packed[..]).unwrap()).unwrap();
    let pack = |json: &str| zstd::bulk::compress(json.as_bytes(), 1).unwrap();
    let stale_stamps = {
        // every entry's size moved by one, and its answer emptied: a cache that trusted these would import nothing
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        for (_, entry) in v["imports"].as_object_mut().unwrap().iter_mut() {
            let size = entry[0][0].as_u64().unwrap();
            entry[0][0] = (size + 1).into();
            entry[1] = serde_json::json!([]);
        }
        v.to_string()
    };
    let foreign = good.replacen("\"version\":4", "\"version\":999", 1);
    assert_ne!(foreign, good, "the cache no longer starts with its version");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("corrupt", b"\x00\xffnot json at all".to_vec()),
        ("truncated", packed[..packed.len() / 2].to_vec()),
        ("truncated JSON", pack(&good[..good.len() / 2])),
        ("plain JSON (version 2's form)", good.clone().into_bytes()),
        ("foreign version", pack(&foreign)),
        ("stale", pack(&stale_stamps)),
        ("empty", Vec::new()),
    ];
    let total = gen_counts(&dir, &[]).1;
    for (what, bytes) in cases {
        std::fs::write(&cache, &bytes).unwrap();
        let o = ninjabind(&dir, &["gen", "-v"]);
        let out = ok(o);
        assert!(!out.contains("error") && !out.contains("warning"), "{what}: the gen complained:\n{out}");
        assert!(out.contains(&format!("{total} read, 0 unchanged")), "{what}: not every file was read:\n{out}");
        assert_same(&outputs(&dir), &expected, what);
        // and the cache is whole again
        assert_eq!(gen_counts(&dir, &[]), (0, total), "{what}: the cache was not rewritten");
    }
    // `--fresh` reads everything whatever the cache holds
    assert_eq!(gen_counts(&dir, &["--fresh"]), (total, 0));
}

/// The scan edge and gen share the cache: after a gen, the scan edge of the next `ninja` reads nothing it has not
/// seen change.
#[test]
fn the_scan_edge_reads_only_what_changed_since_gen() {
    let (_t, dir) = example("hello-perry");
    ok(ninjabind(&dir, &["gen"]));
    let cache = dir.join("build/scan.cache");
    let before = std::fs::read(&cache).unwrap();
    tick();
    // a new folder makes the scan edge run; nothing it reads changed, so neither stamp nor cache is rewritten
    std::fs::create_dir(dir.join("src/empty")).unwrap();
    let out = ok(ninja(&dir, &["build/scan.stamp"]));
    assert!(out.contains("SCAN"), "the scan edge did not run:\n{out}");
    assert_eq!(std::fs::read(&cache).unwrap(), before, "the scan edge rewrote a cache it had no news for");
    // one edited file: read, and the cache says so
    tick();
    std::fs::write(dir.join("src/lib/options.ts"), "export type Options = { width: number; fill?: string };\n")
        .unwrap();
    ok(ninja(&dir, &["build/scan.stamp"]));
    let after = std::fs::read(&cache).unwrap();
    assert_ne!(after, before, "the edited file's new stamp is not in the cache");
    // and gen takes it from there
    assert_eq!(gen_counts(&dir, &[]).0, 0);
}

/// gen reads no C source (SPEC §5): at 120 sources, one of them gated out, strace sees gen open none of them — it
/// only checks that each exists — and a missing one is still the positioned error.
#[test]
fn gen_opens_no_c_source() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("many");
    many_c_sources(&p, 120);
    write_tree(&p, &[("src/f7.c", "#ifndef HAVE_NOTHING\n#error off\n#endif\nlong long f7(void) { return 7; }\n")]);
    let trace = t.path().join("trace");
    let o = clean_command("strace")
        .args(["-f", "-e", "trace=open,openat,openat2", "-o"])
        .arg(&trace)
        .arg(EXE)
        .args(["gen"])
        .current_dir(&p)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let opened = std::fs::read_to_string(&trace).unwrap();
    // (the cc crate's compiler probe writes and reads a C file of its own in the temp folder: not a source)
    let c_opens: Vec<&str> =
        opened.lines().filter(|l| l.contains(".c\"") && (l.contains("src/f") || l.contains("host/main.c"))).collect();
    assert!(c_opens.is_empty(), "gen opened C sources:\n{}", c_opens.join("\n"));
    assert!(opened.contains("src/main.ts"), "the trace saw gen open nothing at all:\n{opened}");
    let nf = String::from_utf8(outputs(&p)[0].1.clone()).unwrap();
    assert!(nf.contains("build build/obj/app/src/f7.c.o: cc"), "{nf}");
    assert_same(&outputs(&p), &cold(&p, &[]), "120 sources");
    // a source that is gone: the error names it at its place in the manifest
    std::fs::remove_file(p.join("src/f90.c")).unwrap();
    std::fs::remove_dir_all(p.join("build")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("source `src/f90.c` of package `app` not found"), "{err}");
    assert!(err.contains("package.json:1:"), "{err}");
}

/// Gen replaces build.ninja by rename, which changes the project folder's mtime — a folder the scan edge watches for
/// new sources. With no name come or gone, gen gives the folder its mtime back: a regeneration does not run the scan
/// again after ninja reloads, and a gen on a built tree leaves ninja nothing to do.
#[test]
fn gen_does_not_wake_the_scan_by_replacing_build_ninja() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    tick();
    let m = p.join("vex.json");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("\"sources\"", "\"cflags\": [\"-DREGEN=1\"], \"sources\"")).unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating build.ninja"), "{out}");
    // the manifest was edited in place (no folder changed): the scan has no cause to run, before or after the reload
    assert!(!out.contains("SCAN"), "the scan ran after the reload:\n{out}");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
    // a gen by hand with another option: build.ninja is rewritten, the scan has nothing new to look at
    tick();
    ok(ninjabind(&p, &["gen", "--opt-level", "1"]));
    let out = ok(ninja(&p, &[]));
    assert!(!out.contains("SCAN"), "{out}");
    // a new file in the project folder still wakes it
    tick();
    std::fs::write(p.join("notes.txt"), "x\n").unwrap();
    ok(ninjabind(&p, &["gen", "--opt-level", "1"]));
    assert!(ok(ninja(&p, &[])).contains("SCAN"));
}

/// The compilers are asked once: a second gen — a cold one, the build folder gone — takes their answers from the
/// user's cache folder, runs no compiler and writes the same build.ninja; a compiler rewritten, or `gen --fresh`, is
/// asked again.
#[test]
fn the_compilers_are_asked_once_until_they_change() {
    use std::os::unix::fs::PermissionsExt;
    let (t, p) = example("hello-c");
    let log = t.path().join("cc.log");
    let cache = t.path().join("xdg-cache");
    let cc = t.path().join("bin/my-cc");
    std::fs::create_dir_all(cc.parent().unwrap()).unwrap();
    let write_cc = |extra: &str| {
        std::fs::write(&cc, format!("#!/bin/sh\necho \"$@\" >> '{}'\n{extra}exec cc \"$@\"\n", log.display())).unwrap();
        std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write_cc("");
    let env = [("CC", cc.to_str().unwrap()), ("XDG_CACHE_HOME", cache.to_str().unwrap())];
    let runs = || std::fs::read_to_string(&log).map(|s| s.lines().count()).unwrap_or(0);
    ok(ninjabind_with_env(&p, &["gen"], &env));
    let first = runs();
    assert!(first >= 2, "the first gen asks the compiler who it is ({first} runs)");
    let ninja_file = std::fs::read(p.join("build.ninja")).unwrap();
    std::fs::remove_dir_all(p.join("build")).unwrap();
    std::fs::remove_file(p.join("build.ninja")).unwrap();
    ok(ninjabind_with_env(&p, &["gen"], &env));
    assert_eq!(runs(), first, "a cold gen asked the compiler again");
    assert!(std::fs::read(p.join("build.ninja")).unwrap() == ninja_file, "the kept answers give another build.ninja");
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");

    // another compiler at the same path: asked again
    write_cc(": rebuilt\n");
    let before = runs();
    ok(ninjabind_with_env(&p, &["gen"], &env));
    assert!(runs() > before, "a rewritten compiler was not asked");
    let before = runs();
    ok(ninjabind_with_env(&p, &["gen"], &env));
    assert_eq!(runs(), before);
    ok(ninjabind_with_env(&p, &["gen", "--fresh"], &env));
    assert!(runs() > before, "gen --fresh did not ask the compiler");
}
