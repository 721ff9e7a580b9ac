//! Manifest v1's staging fields with the real Perry compiler, glslc, cc and ar: a binding's `resources`,
//! `shaderOutputs` and Vulkan backend (its prebuilt archive, `libs`, `pkgConfig`, `shaderSources`, `package`) build,
//! link and land in `NativeLibraries/` beside the program; Apple and Windows targets get theirs in the graph.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// The fixture, with its backend's prebuilt archive built by the real cc and ar (a binary is not committed).
fn project() -> (tempfile::TempDir, PathBuf) {
    let (t, p) = copy_fixture(&repo().join("tests/fixtures/manifest-v1"), "manifest-v1");
    let gfx = p.join("node_modules/gfx");
    std::fs::create_dir_all(gfx.join("prebuilt")).unwrap();
    for (cmd, args) in [
        ("cc", vec!["-c", "vk/gfx_vk.c", "-o", "vk/gfx_vk.o"]),
        ("ar", vec!["rcs", "prebuilt/libgfx_vk.a", "vk/gfx_vk.o"]),
    ] {
        let o = std::process::Command::new(cmd).current_dir(&gfx).args(&args).output().unwrap();
        assert!(o.status.success(), "{cmd}: {}", text(&o));
    }
    (t, p)
}

/// Every file under `dir`, relative to it, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_binding_using_every_staging_field_builds_links_runs_and_stages_its_files() {
    let (_t, p) = project();
    let perry = perry();
    let gen = ok(ninjabind_with_env(&p, &["gen", "--strict-manifests"], &[("PERRY", perry.to_str().unwrap())]));
    assert!(!gen.contains("warning"), "a manifest v1 binding is clean under --strict-manifests:\n{gen}");
    let out = ok(ninja(&p, &[]));

    // the backend's prebuilt archive (level 42) and its system library (zlib, by `libs` and `pkgConfig`) are linked
    let program = p.join("build/bin/gfx-app");
    assert_eq!(run_program(&program), "level = 42\nzlib major = 1\n", "{out}");
    let rsp = std::fs::read_to_string(p.join("build/bin/gfx-app.rsp")).unwrap();
    assert!(rsp.contains("node_modules/gfx/prebuilt/libgfx_vk.a") && rsp.contains("-lz"), "{rsp}");

    let staged = p.join("build/bin/NativeLibraries/gfx");
    assert_eq!(
        tree(&staged),
        [
            "common.spv",
            "config.json",
            "maps/deep/level2.txt",
            "maps/level1.txt",
            "vulkan/perry-backend-package.json",
            "vulkan/sky.spv",
            "vulkan/tri.vert.spv",
            "vulkan/vk.json",
        ]
    );
    let gfx = p.join("node_modules/gfx");
    for (from, to) in [
        ("res/config.json", "config.json"),
        ("res/maps/deep/level2.txt", "maps/deep/level2.txt"),
        ("shaders/common.spv", "common.spv"),
        ("vulkan/sky.spv", "vulkan/sky.spv"),
        ("vulkan/vk.json", "vulkan/vk.json"),
    ] {
        assert_eq!(std::fs::read(gfx.join(from)).unwrap(), std::fs::read(staged.join(to)).unwrap(), "{to}");
    }
    // glslc compiled the shader source: SPIR-V's magic number, little-endian
    let spv = std::fs::read(staged.join("vulkan/tri.vert.spv")).unwrap();
    assert_eq!(&spv[..4], &[0x03, 0x02, 0x23, 0x07]);
    assert_eq!(
        std::fs::read_to_string(staged.join("vulkan/perry-backend-package.json")).unwrap(),
        "{\n  \"backend\": \"vulkan\",\n  \"kind\": \"spirv\",\n  \"name\": \"gfx-vulkan\",\n  \"version\": \"1.0.0\"\n}"
    );
    assert!(ok(ninja(&p, &[])).contains("no work to do"));

    // a resource edited: its copy again, nothing compiled or linked
    tick();
    std::fs::write(gfx.join("res/config.json"), "{\"clear\": [1, 1, 1, 1]}\n").unwrap();
    ok(ninja(&p, &[]));
    assert_eq!(std::fs::read_to_string(staged.join("config.json")).unwrap(), "{\"clear\": [1, 1, 1, 1]}\n");
    assert_eq!(
        (commands(&p, "stage"), commands(&p, "link"), commands(&p, "perry"), commands(&p, "cargo")),
        (1, 0, 0, 0)
    );

    // the shader source edited: glslc again, and only it
    tick();
    let vert = std::fs::read_to_string(gfx.join("vulkan/tri.vert")).unwrap();
    std::fs::write(gfx.join("vulkan/tri.vert"), vert.replace("0.0, 1.0", "0.5, 1.0")).unwrap();
    ok(ninja(&p, &[]));
    assert_eq!((commands(&p, "shader"), commands(&p, "stage"), commands(&p, "link")), (1, 0, 0));
    assert_ne!(std::fs::read(staged.join("vulkan/tri.vert.spv")).unwrap(), spv);

    // a file added to a staged folder reaches the graph (the folder is an input of the regeneration)
    tick();
    std::fs::write(gfx.join("res/maps/deep/level3.txt"), "level three\n").unwrap();
    let out = ok(ninja(&p, &[]));
    assert!(out.contains("Regenerating build.ninja"), "{out}");
    assert_eq!(std::fs::read_to_string(staged.join("maps/deep/level3.txt")).unwrap(), "level three\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));

    // explain and the graph name every staged file and the backend, with why it is active
    let doc = explain_json(&p, &[]);
    let pkg = doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == "gfx").unwrap();
    let st = &pkg["staging"];
    assert_eq!(st["folder"], "build/bin/NativeLibraries/gfx");
    assert_eq!(st["resources"], serde_json::json!(["node_modules/gfx/res/config.json", "node_modules/gfx/res/maps"]));
    let vk = &st["backends"][0];
    assert_eq!((vk["name"].as_str(), vk["available"].as_bool()), (Some("vulkan"), Some(true)));
    assert_eq!(vk["prebuilt"], "node_modules/gfx/prebuilt/libgfx_vk.a");
    assert_eq!(vk["shader_sources"], serde_json::json!(["node_modules/gfx/vulkan/tri.vert"]));
    assert_eq!(vk["package"]["kind"], "spirv");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("docs/graph.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the graph with staging and perry/stage/shader edges breaks the schema: {errors:?}");
    let human = ok(ninjabind(&p, &["explain"]));
    assert!(human.contains("backend vulkan: active"), "{human}");
    assert!(human.contains("staged into build/bin/NativeLibraries/gfx/:"), "{human}");
}

#[test]
fn apple_and_windows_targets_get_their_backends_and_staged_files_in_the_graph() {
    let (_t, p) = project();
    // macOS: the metal backend with its frameworks and package file, vulkan declared unavailable
    let o = ok(ninjabind(&p, &["gen", "--target", "aarch64-apple-darwin"]));
    assert!(o.contains("`metal_sources` of `gfx` is not compiled by ninjabind"), "{o}");
    let rsp = std::fs::read_to_string(p.join("build/link.rsp")).unwrap();
    assert!(rsp.contains("-Wl,-framework,Metal") && rsp.contains("-Wl,-framework,QuartzCore"), "{rsp}");
    let graph = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    for out in [
        "build build/bin/NativeLibraries/gfx/config.json: stage",
        "build build/bin/NativeLibraries/gfx/metal/common.spv: stage",
        "build build/bin/NativeLibraries/gfx/metal/perry-backend-package.json: stage",
    ] {
        assert!(graph.contains(out), "{out} missing:\n{graph}");
    }
    assert!(!graph.contains("NativeLibraries/gfx/vulkan"), "an unavailable backend stages nothing");
    let doc = explain_json(&p, &["--target", "aarch64-apple-darwin"]);
    let backends = &doc["packages"][1]["staging"]["backends"];
    assert_eq!(backends[1]["name"], "vulkan");
    assert_eq!(backends[1]["available"], false);
    assert!(backends[1]["reason"].as_str().unwrap().contains("MoltenVK is not bundled"));

    // Windows: d3d12 and vulkan both active, their libraries linked; swift_sources noted as Apple's only
    let o = ok(ninjabind(&p, &["gen", "--fresh", "--target", "x86_64-pc-windows-msvc"]));
    assert!(o.contains("`swift_sources` of `gfx` is for Apple targets only: skipped"), "{o}");
    let rsp = std::fs::read_to_string(p.join("build/link.rsp")).unwrap();
    for lib in ["-ld3d12", "-ldxgi", "-ldxguid", "-lvulkan-1"] {
        assert!(rsp.contains(lib), "{lib}: {rsp}");
    }
    let graph = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(graph.contains("build build/bin/NativeLibraries/gfx/d3d12/common.spv: stage"), "{graph}");
    assert!(graph.contains("build build/bin/NativeLibraries/gfx/vulkan/vk.json: stage"), "{graph}");

    // a d3d12 shader source needs dxc, which this machine lacks: an error naming it, the graph kept
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    let manifest = p.join("node_modules/gfx/package.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("\"libs\": [\"d3d12\"", "\"shaderSources\": [\"vulkan/tri.vert\"], \"libs\": [\"d3d12\""),
    )
    .unwrap();
    let e = fails(ninjabind(&p, &["gen", "--target", "x86_64-pc-windows-msvc"]));
    assert!(e.contains("`dxc` not found: the d3d12 backend of `gfx` has shaderSources to compile"), "{e}");
    assert!(e.contains("PERRY_DXC"), "{e}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
}

#[test]
fn unknown_keys_warn_and_perrys_spellings_do_not() {
    let (_t, p) = project();
    let manifest = p.join("node_modules/gfx/package.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    // a misspelt key: a warning with the right spelling, the build goes on; an error under --strict-manifests
    std::fs::write(&manifest, text.replace("\"shader_outputs\"", "\"shaderOutput\"")).unwrap();
    let o = ok(ninjabind(&p, &["gen"]));
    assert!(o.contains("warning: unknown key `shaderOutput` in `perry.nativeLibrary.targets.linux`"), "{o}");
    assert!(o.contains("did you mean `shaderOutputs`?"), "{o}");
    let e = fails(ninjabind(&p, &["gen", "--strict-manifests"]));
    assert!(e.contains("error: unknown key `shaderOutput`") && e.contains("package.json:"), "{e}");
    // both spellings of one key: Perry reads the camelCase one, and so do we, with a word
    std::fs::write(&manifest, text.replace("\"shader_outputs\"", "\"shaderOutputs\": [], \"shader_outputs\"")).unwrap();
    let o = ok(ninjabind(&p, &["gen"]));
    assert!(o.contains("has both `shaderOutputs` and `shader_outputs`: `shader_outputs` is ignored"), "{o}");
    assert!(!std::fs::read_to_string(p.join("build.ninja")).unwrap().contains("NativeLibraries/gfx/common.spv"));
    // a prebuilt Perry would read as a package in node_modules (`prebuilt/…`, not `./prebuilt/…`): said at gen
    std::fs::write(&manifest, text.replace("\"./prebuilt/libgfx_vk.a\"", "\"prebuilt/libgfx_vk.a\"")).unwrap();
    let o = ok(ninjabind(&p, &["gen"]));
    assert!(o.contains("Perry reads it as package `prebuilt` in node_modules"), "{o}");
    assert!(o.contains("help: write `./prebuilt/libgfx_vk.a`"), "{o}");
}

#[test]
fn a_link_looping_back_up_a_resource_folder_is_staged_once_and_gen_ends() {
    let (_t, p) = project();
    let maps = p.join("node_modules/gfx/res/maps");
    std::os::unix::fs::symlink("..", maps.join("up")).unwrap();
    let o = ninjabind(&p, &["gen"]);
    let graph = std::fs::read_to_string(p.join("build.ninja")).unwrap_or_default();
    assert!(o.status.success(), "{}", text(&o));
    // `maps/up` is `res`: its files once under that name, and nothing below `up/maps/up/…`
    assert!(graph.contains("NativeLibraries/gfx/maps/up/config.json"), "{graph}");
    assert!(!graph.contains("maps/up/maps/up"), "{graph}");
}

/// Issue 38 item 10: a resource folder of thousands of files is one staging edge (one process, not one per file),
/// every file still an output ninja and the gate know: an edit restages only that file, a new file reaches the
/// program's folder, a deleted staged file comes back.
#[test]
fn a_resource_folder_of_thousands_of_files_is_one_edge_and_an_edit_rewrites_one_file() {
    let (_t, p) = project();
    let bulk = p.join("node_modules/gfx/res/maps/bulk");
    for i in 0..3000 {
        let sub = bulk.join(format!("d{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("tile{i:04}.txt")), format!("tile {i}\n")).unwrap();
    }
    ok(ninjabind_with_env(&p, &["gen"], &[("PERRY", perry().to_str().unwrap())]));
    let first = ok(ninja(&p, &[]));
    let staged = p.join("build/bin/NativeLibraries/gfx/maps");
    let folder_stages = |out: &str| ran(out).into_iter().filter(|s| s.starts_with("STAGE") && s.ends_with('/')).count();
    assert_eq!(folder_stages(&first), 1, "`res/maps`, one edge:\n{first}");
    assert_eq!(tree(&staged).len(), 3002, "every file of the folder staged");
    assert_eq!(std::fs::read_to_string(staged.join("bulk/d7/tile2347.txt")).unwrap(), "tile 2347\n");
    assert_eq!(commands(&p, "stage"), 6, "the folder and five single files, one command each");
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));

    let mtimes = || -> Vec<(String, std::time::SystemTime)> {
        tree(&staged)
            .into_iter()
            .map(|f| (f.clone(), staged.join(&f).metadata().unwrap().modified().unwrap()))
            .collect()
    };
    let before = mtimes();
    edit(&bulk.join("d3/tile0123.txt"), "tile 123", "tile 123 edited");
    let out = ok(ninja(&p, &[]));
    assert_eq!(ran(&out), ["STAGE build/bin/NativeLibraries/gfx/maps/"], "{out}");
    let after = mtimes();
    let rewritten: Vec<&String> = before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).map(|(b, _)| &b.0).collect();
    assert_eq!(rewritten, ["bulk/d3/tile0123.txt"], "only the edited file is written again");
    assert_eq!(std::fs::read_to_string(staged.join("bulk/d3/tile0123.txt")).unwrap(), "tile 123 edited\n");

    // a file added reaches the graph (its folder is watched) and the program's folder; one deleted comes back
    tick();
    std::fs::write(bulk.join("d0/new.txt"), "new\n").unwrap();
    std::fs::remove_file(staged.join("bulk/d9/tile0009.txt")).unwrap();
    ok(ninja(&p, &[]));
    assert_eq!(std::fs::read_to_string(staged.join("bulk/d0/new.txt")).unwrap(), "new\n");
    assert_eq!(std::fs::read_to_string(staged.join("bulk/d9/tile0009.txt")).unwrap(), "tile 9\n");
    assert!(ok(ninja(&p, &["-n"])).contains("no work to do"));
}
