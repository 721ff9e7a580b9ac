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
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("shop");
    storekit_project(&p);
    let m = p.join("node_modules/@perryts/storekit/package.json");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("\"linux\":   { \"crate\": \"crate-stub\"", "\"linux\":   { \"crate\": \"crate-linux\"")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("crate `crate-linux` of `@perryts/storekit` not found"), "{err}");
    assert!(err.contains("node_modules/@perryts/storekit/package.json:8:"), "{err}");
    assert!(!p.join("build.ninja").exists());
}

#[test]
fn a_package_without_an_entry_for_the_target_lists_its_entries_and_helps() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("shop");
    storekit_project(&p);
    let m = p.join("node_modules/@perryts/storekit/package.json");
    let text = std::fs::read_to_string(&m).unwrap();
    let start = text.find("      \"linux\":").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let without_linux = format!("{}{}", text[..start].trim_end().trim_end_matches(','), &text[end..]);
    std::fs::write(&m, without_linux).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("has no target entry for"), "{err}");
    assert!(err.contains("it declares: ios, macos, android"), "{err}");
    assert!(err.contains("add a `linux-x64` or `linux` entry, or build for one of those targets"), "{err}");
}

#[test]
fn a_lib_that_is_not_a_library_name_is_an_error_at_its_position() {
    for bad in ["../../ESCAPED", "a\\nb", "x|y", ""] {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("shop");
        storekit_project(&p);
        let m = p.join("node_modules/@perryts/storekit/package.json");
        let text = std::fs::read_to_string(&m).unwrap();
        std::fs::write(&m, text.replace("\"crate-stub\", \"lib\": \"libperry_storekit.a\"", &format!("\"crate-stub\", \"lib\": \"{bad}\""))).unwrap();
        let err = fails(ninjabind(&p, &["gen"]));
        assert!(err.contains("is not a library name"), "{bad}: {err}");
        assert!(err.contains("package.json:8:"), "{bad}: {err}");
        assert!(!p.join("build.ninja").exists());
    }
}
