//! End-to-end: symbol diff and symcheck edges, the link built from rustc's list, `validate` and `init`.

mod common;
use common::*;

#[test]
fn a_declared_function_without_a_symbol_fails_at_symdiff_and_the_link_never_runs() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    tick();
    let lib = p.join("node_modules/greeter/src/lib.rs");
    let src = std::fs::read_to_string(&lib).unwrap().replacen(
        "#[no_mangle]\npub extern \"C\" fn js_greeter_answer",
        "pub extern \"C\" fn js_greeter_answer",
        1,
    );
    std::fs::write(&lib, src).unwrap();
    let out = ninja(&p, &[]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("FAILED: build/sym/greeter.syms"), "{t}");
    // the shape compilers print, pointing at the functions[] entry, for editors' problem matchers
    assert!(
        t.contains("\nnode_modules/greeter/package.json:10:19: error: `js_greeter_answer` is declared in functions[] but build/lib/libgreeter.a does not define it\n"),
        "{t}"
    );
    let gcc_matcher = |l: &str| {
        let mut parts = l.splitn(4, ':');
        let (file, line, col, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
        file.is_some_and(|f| !f.is_empty())
            && line.is_some_and(|n| n.parse::<u32>().is_ok())
            && col.is_some_and(|n| n.parse::<u32>().is_ok())
            && rest.is_some_and(|r| r.starts_with(" error: "))
    };
    assert_eq!(t.lines().filter(|l| gcc_matcher(l)).count(), 1, "{t}");
    assert!(!t.contains("LINK"), "{t}");
}

#[test]
fn two_bindings_exporting_one_symbol_fail_at_symcheck_naming_both() {
    let (_t, p) = example("hello-perry");
    let lib = p.join("bindings/perry-ext-nanoid/src/lib.rs");
    std::fs::write(
        &lib,
        std::fs::read_to_string(&lib).unwrap() + "\n#[no_mangle]\npub extern \"C\" fn js_x_same() -> i64 { 1 }\n",
    )
    .unwrap();
    let lib = p.join("node_modules/greeter/src/lib.rs");
    std::fs::write(
        &lib,
        std::fs::read_to_string(&lib).unwrap() + "\n#[no_mangle]\npub extern \"C\" fn js_x_same() -> i64 { 2 }\n",
    )
    .unwrap();
    // nanoid declares it (line 7, its `name` value at column 31), greeter does not
    let m = p.join("bindings/perry-ext-nanoid/package.json");
    let declared = std::fs::read_to_string(&m).unwrap().replace(
        "\"functions\": [{",
        "\"functions\": [{ \"name\": \"js_x_same\", \"params\": [], \"returns\": \"i64\" }, {",
    );
    std::fs::write(&m, declared).unwrap();
    ok(ninjabind(&p, &["gen"]));
    let out = ninja(&p, &[]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("\nnode_modules/greeter/package.json: warning: package `greeter` exports js_* symbols it does not declare: js_x_same\n"),
        "{t}"
    );
    assert!(t.contains("FAILED: build/sym/all.stamp"), "{t}");
    assert!(
        t.contains("\nbindings/perry-ext-nanoid/package.json:7:31: error: `js_x_same` is exported by both `greeter` and `perry-ext-nanoid`, so the link would pick one at random\nnode_modules/greeter/package.json: note: `greeter` exports `js_x_same` too\n"),
        "{t}"
    );
    assert!(!t.contains("LINK"), "{t}");
    // --strict-symbols turns the undeclared export into an error at symdiff
    ok(ninjabind(&p, &["gen", "--strict-symbols"]));
    let t = text(&ninja(&p, &[]));
    assert!(t.contains("node_modules/greeter/package.json: error: package `greeter` exports js_* symbols it does not declare: js_x_same"), "{t}");
}

#[test]
fn libm_comes_from_rustcs_native_static_libs_not_from_a_guess() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    let rsp = std::fs::read_to_string(p.join("build/bin/hello-perry.rsp")).unwrap();
    assert!(!rsp.contains("-lm "), "no hand-written -lm: {rsp}");
    assert!(rsp.contains("@build/lib/native-libs.rsp"), "{rsp}");
    ok(ninja(&p, &[]));
    let nsl = std::fs::read_to_string(p.join("build/lib/libgreeter.nsl")).unwrap();
    assert!(nsl.split_whitespace().any(|w| w == "-lm"), "{nsl}");
    // both bindings' lists, merged: each library once, at its last place
    let merged = std::fs::read_to_string(p.join("build/lib/native-libs.rsp")).unwrap();
    let words: Vec<&str> = merged.split_whitespace().collect();
    assert!(words.contains(&"-lm") && words.contains(&"-lc"), "{merged}");
    assert_eq!(words.len(), words.iter().collect::<std::collections::BTreeSet<_>>().len(), "{merged}");
    // greeter's wave() is f64::sin, which needs libm
    assert!(run_program(&p.join("build/bin/hello-perry")).contains("wave=0.841"));
}

#[test]
fn link_order_groups_and_rpath() {
    let (_t, p) = example("hello-perry");
    let extra = p.parent().unwrap().join("extra-libs");
    std::fs::create_dir_all(&extra).unwrap();
    let m = p.join("package.json");
    let manifest = std::fs::read_to_string(&m)
        .unwrap()
        .replace("\"cflags\": []", "\"cflags\": [], \"search_paths\": [\"../extra-libs\"], \"libraries\": [\"m\"]");
    std::fs::write(&m, manifest).unwrap();
    // the compiler's own linker: a `-fuse-ld=` is tests/linker.rs's
    ok(ninjabind(&p, &["gen", "--linker", "default"]));
    // gen writes the link's response file itself; build.ninja names it as an input and does not carry its text
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!nf.contains("rspfile"), "{nf}");
    let rsp = std::fs::read_to_string(p.join("build/bin/hello-perry.rsp")).unwrap();
    // inside the checkout (here the project's parent): an rpath relative to the program, so the tree can move
    // the compiled objects through one thin archive the link edge writes, taken whole (edges/thin_archive.rs)
    let want = "-Wl,--whole-archive build/bin/hello-perry.objects.a -Wl,--no-whole-archive -Wl,--start-group build/lib/libgreeter.a build/lib/libperry_ext_nanoid.a -Wl,--end-group -L../extra-libs -Wl,-rpath,$ORIGIN/../../../extra-libs -lm @build/lib/native-libs.rsp";
    assert_eq!(rsp, want);
    ok(ninja(&p, &[]));
    // the file is still there after the link, so `ninja -t commands` shows a command that runs
    assert_eq!(std::fs::read_to_string(p.join("build/bin/hello-perry.rsp")).unwrap(), want);
    // the archive names the objects relative to its folder (GNU ar lists them from here)
    let t = std::process::Command::new("ar").current_dir(&p).args(["t", "build/bin/hello-perry.objects.a"]).output();
    assert_eq!(text(&t.unwrap()).trim(), "build/bin/../obj/hello-perry/host/main.c.o");
    assert!(run_program(&p.join("build/bin/hello-perry")).contains("wave=0.841"));
}

#[test]
fn without_objects_of_its_own_gen_writes_link_rsp_instead_of_a_link_edge() {
    let (_t, p) = example("hello-perry");
    let m = p.join("package.json");
    std::fs::write(&m, r#"{ "name": "hello-perry", "version": "0.1.0" }"#).unwrap();
    let out = ok(ninjabind(&p, &["gen"]));
    assert!(out.contains("wrote build/link.rsp"), "{out}");
    let rsp = std::fs::read_to_string(p.join("build/link.rsp")).unwrap();
    assert!(rsp.contains("build/lib/libgreeter.a"), "{rsp}");
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(!nf.contains("rule link"), "{nf}");
    assert!(nf.contains("default all"), "{nf}");
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("SYMCHECK build/sym/all.stamp"), "{out}");
    // the host compiler's link: its object plus @link.rsp
    let c = std::process::Command::new("cc")
        .current_dir(&p)
        .args(["host/main.c", "@build/link.rsp", "-o", "build/by-host"])
        .status()
        .unwrap();
    assert!(c.success());
    assert_eq!(run_program(&p.join("build/by-host")), "answer=42 wave=0.841 nanoid_size=21\n");
}

#[test]
fn init_scaffolds_a_binding_that_validates_and_links_into_a_project() {
    let (_t, p) = example("hello-perry");
    let nm = p.join("node_modules");
    ok(ninjabind(&nm, &["init", "demo"]));
    let out = ok(ninjabind(&nm, &["validate", "demo"]));
    assert!(out.contains("ok: the manifest matches the library"), "{out}");
    let json = ok(ninjabind(&nm, &["validate", "demo", "--no-build", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json[json.find('{').unwrap()..]).unwrap();
    assert_eq!(v["package"], "demo");
    assert_eq!(v["abiVersion"], "0.5");
    assert_eq!(v["archive"], "demo/target/release/libdemo.a");
    assert_eq!(v["declared"], serde_json::json!(["js_demo_hello", "js_demo_version"]));
    assert_eq!(v["missing"], serde_json::json!([]));
    assert_eq!(v["undeclared"], serde_json::json!([]));
    assert_eq!(v["ok"], true);
    // the project imports the scaffold unchanged and its host object calls it
    write_tree(&p, &[("src/demo.ts", "import { hello } from \"demo\";\n")]);
    let host = p.join("host/main.c");
    let c = std::fs::read_to_string(&host)
        .unwrap()
        .replace("int main(void) {", "int64_t js_demo_hello(int64_t);\nint main(void) {\n    printf(\"demo=%lld\\n\", (long long)js_demo_hello(41));");
    std::fs::write(&host, c).unwrap();
    std::fs::remove_dir_all(nm.join("demo/target")).unwrap();
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    assert!(run_program(&p.join("build/bin/hello-perry")).starts_with("demo=42\n"));
    // the C kind validates too
    let t = tempfile::tempdir().unwrap();
    ok(ninjabind(t.path(), &["init", "@acme/cshim", "--kind", "c"]));
    let out = ok(ninjabind(t.path(), &["validate", "cshim"]));
    assert!(out.contains("object cshim/target/ninjabind-validate/cshim.c.o"), "{out}");
    assert!(out.contains("ok: the manifest matches the library"), "{out}");
}

#[test]
fn validate_fails_with_exit_1_listing_the_missing_function() {
    let t = tempfile::tempdir().unwrap();
    ok(ninjabind(t.path(), &["init", "broken"]));
    let lib = t.path().join("broken/src/lib.rs");
    std::fs::write(&lib, std::fs::read_to_string(&lib).unwrap().replacen("#[no_mangle]\n", "", 1)).unwrap();
    let o = ninjabind(t.path(), &["validate", "broken", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["missing"], serde_json::json!(["js_broken_hello"]));
    assert_eq!(v["ok"], false);
    let o = ninjabind(t.path(), &["validate", "broken"]);
    assert!(text(&o).contains("missing (declared, not in the archive): js_broken_hello"));
    // names init refuses
    assert!(fails(ninjabind(t.path(), &["init", "Bad Name"])).contains("is not a package name"));
    assert!(fails(ninjabind(t.path(), &["init", "broken"])).contains("already exists"));
}
