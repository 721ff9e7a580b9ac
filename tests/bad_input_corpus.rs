//! The bad-input corpus (SPEC §8, issue 13): each case one hostile but fair input. gen must exit 1 with a clear
//! message, never panic, never hang, and leave the previous build.ninja byte for byte.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

enum Edit {
    /// Sets the value at a JSON pointer of a JSON file, creating objects on the way.
    Json(&'static str, &'static str, Value),
    /// Writes a file.
    Write(&'static str, &'static [u8]),
    /// Replaces text in a file.
    Replace(&'static str, &'static str, &'static str),
    /// Makes a FIFO.
    Fifo(&'static str),
    /// Makes a symlink at the first path to the second.
    Link(&'static str, &'static str),
    Remove(&'static str),
    /// A file of this size, almost all a hole.
    Sparse(&'static str, u64),
}
use Edit::*;

struct Case {
    name: &'static str,
    example: &'static str,
    edits: Vec<Edit>,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    expect: &'static str,
}

fn case(name: &'static str, example: &'static str, edits: Vec<Edit>, expect: &'static str) -> Case {
    Case { name, example, edits, args: &[], env: &[], expect }
}

fn set(v: &mut Value, pointer: &str, new: Value) {
    let mut cur = v;
    let keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, k) in keys.iter().enumerate() {
        let last = i == keys.len() - 1;
        match cur {
            Value::Array(a) => {
                let n: usize = k.parse().unwrap();
                if last {
                    a[n] = new;
                    return;
                }
                cur = &mut a[n];
            }
            _ => {
                if !cur.is_object() {
                    *cur = json!({});
                }
                let o = cur.as_object_mut().unwrap();
                if last {
                    o.insert(k.to_string(), new);
                    return;
                }
                cur = o.entry(k.to_string()).or_insert_with(|| json!({}));
            }
        }
    }
}

fn apply(p: &Path, e: &Edit) {
    match e {
        Json(f, pointer, v) => {
            let path = p.join(f);
            let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            set(&mut doc, pointer, v.clone());
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        }
        Write(f, bytes) => {
            let path = p.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        Replace(f, from, to) => {
            let path = p.join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains(from), "{f} lacks {from:?}");
            std::fs::write(path, text.replacen(from, to, 1)).unwrap();
        }
        Fifo(f) => {
            let path = p.join(f);
            let _ = std::fs::remove_file(&path);
            assert!(std::process::Command::new("mkfifo").arg(&path).status().unwrap().success());
        }
        Link(f, to) => {
            let path = p.join(f);
            let _ = std::fs::remove_file(&path);
            std::os::unix::fs::symlink(to, path).unwrap();
        }
        Remove(f) => std::fs::remove_file(p.join(f)).unwrap(),
        Sparse(f, len) => {
            let file = std::fs::File::create(p.join(f)).unwrap();
            file.set_len(*len).unwrap();
        }
    }
}

const GREETER: &str = "node_modules/greeter/package.json";
const ENTRY: &str = "/perry/nativeLibrary/targets/linux-x64";

fn corpus() -> Vec<Case> {
    let src = |s: &'static str| json!(["src/main.c", s]);
    vec![
        // vex.json: types, names, paths
        case("name a number", "hello-c", vec![Json("vex.json", "/name", json!(3))], "`name` must be a string"),
        case("name empty", "hello-c", vec![Json("vex.json", "/name", json!(""))], "`name` must not be empty"),
        case("name a path", "hello-c", vec![Json("vex.json", "/name", json!("../x"))], "`name` is not a package name"),
        case(
            "name absolute",
            "hello-c",
            vec![Json("vex.json", "/name", json!("/abs"))],
            "`name` is not a package name",
        ),
        case(
            "name with newline",
            "hello-c",
            vec![Json("vex.json", "/name", json!("a\nb"))],
            "`name` is not a package name",
        ),
        case("name ..", "hello-c", vec![Json("vex.json", "/name", json!(".."))], "`name` is not a package name"),
        case(
            "name with pipe",
            "hello-c",
            vec![Json("vex.json", "/name", json!("a|b"))],
            "`name` is not a package name",
        ),
        case("native a number", "hello-c", vec![Json("vex.json", "/native", json!(5))], "must be an object"),
        case(
            "sources a string",
            "hello-c",
            vec![Json("vex.json", "/native/sources", json!("src/main.c"))],
            "must be an array",
        ),
        case(
            "sources item a number",
            "hello-c",
            vec![Json("vex.json", "/native/sources", json!([3]))],
            "must be a string",
        ),
        case("missing source", "hello-c", vec![Json("vex.json", "/native/sources", src("src/nope.c"))], "not found"),
        case(
            "tab in a source name",
            "hello-c",
            vec![Write("src/a\tb.c", b"int x;\n"), Json("vex.json", "/native/sources", src("src/a\tb.c"))],
            "holds a tab",
        ),
        case(
            "pipe in a source name",
            "hello-c",
            vec![Write("src/a|b.c", b"int x;\n"), Json("vex.json", "/native/sources", src("src/a|b.c"))],
            "holds `|`",
        ),
        case(
            "newline in a source name",
            "hello-c",
            vec![Json("vex.json", "/native/sources", src("src/a\nb.c"))],
            "holds a newline or NUL",
        ),
        case("empty source path", "hello-c", vec![Json("vex.json", "/native/sources", src(""))], "is an empty path"),
        case(
            "source is a FIFO",
            "hello-c",
            vec![Fifo("src/fifo.c"), Json("vex.json", "/native/sources", src("src/fifo.c"))],
            "is not a regular file",
        ),
        case(
            "source links to /dev/zero",
            "hello-c",
            vec![Link("src/zero.c", "/dev/zero"), Json("vex.json", "/native/sources", src("src/zero.c"))],
            "is not a regular file",
        ),
        case(
            "source is a folder",
            "hello-c",
            vec![Json("vex.json", "/native/sources", src("src"))],
            "is not a regular file",
        ),
        case(
            "include_dirs item a number",
            "hello-c",
            vec![Json("vex.json", "/native/include_dirs", json!([1]))],
            "must be a string",
        ),
        case("cflags a string", "hello-c", vec![Json("vex.json", "/native/cflags", json!("-O2"))], "must be an array"),
        case(
            "static_libs not empty",
            "hello-c",
            vec![Json("vex.json", "/native/static_libs", json!(["foo"]))],
            "static_libs",
        ),
        case(
            "features an array",
            "hello-c",
            vec![Json("vex.json", "/native/features", json!([]))],
            "must be an object",
        ),
        case(
            "a feature a number",
            "hello-c",
            vec![Json("vex.json", "/native/features/x", json!(3))],
            "must be an object",
        ),
        case(
            "enabled a string",
            "hello-c",
            vec![Json("vex.json", "/native/features/x", json!({"enabled": "yes"}))],
            "must be true or false",
        ),
        case(
            "pkg-config name missing",
            "hello-c",
            vec![Json("vex.json", "/native/pkg_config", json!(["no-such-package-xyz"]))],
            "no-such-package-xyz",
        ),
        case(
            "dependency folder missing",
            "hello-c",
            vec![Json("vex.json", "/dependencies/util", json!({"path": "../nowhere"}))],
            "nowhere",
        ),
        case(
            "dependency cycle",
            "hello-c",
            vec![
                Json("vex.json", "/dependencies/a", json!({"path": "a"})),
                Write("a/vex.json", br#"{ "name": "a", "dependencies": { "hello-c": { "path": ".." } } }"#),
            ],
            "cycle",
        ),
        case(
            "a source shared with different flags",
            "hello-c",
            vec![
                Json("vex.json", "/dependencies/a", json!({"path": "a"})),
                Write(
                    "a/vex.json",
                    br#"{ "name": "a", "native": { "sources": ["../src/query.c"], "cflags": ["-DOTHER"] } }"#,
                ),
            ],
            "with different flags\n --> a/vex.json:1:",
        ),
        case("manifest an array", "hello-c", vec![Write("vex.json", b"[]")], "must be an object"),
        case(
            "trailing comma",
            "hello-c",
            vec![Replace("vex.json", "\"static_libs\": []", "\"static_libs\": [],")],
            "--> vex.json:",
        ),
        case("trailing garbage", "hello-c", vec![Write("vex.json", b"{ \"name\": \"x\" } }")], "--> vex.json:1:"),
        case("non-UTF-8 manifest", "hello-c", vec![Write("vex.json", b"{ \"name\": \"\xff\" }")], "UTF-8"),
        case("manifest a FIFO", "hello-c", vec![Fifo("vex.json")], "is not a regular file"),
        case(
            "unknown feature selected",
            "hello-c",
            vec![Write("ninjabind.toml", b"features = [\"nope\"]\n")],
            "feature `nope`",
        ),
        // ninjabind.toml: wrong types are errors, never clamped or dropped
        case(
            "toml features a number",
            "hello-c",
            vec![Write("ninjabind.toml", b"features = 3\n")],
            "`features` must be a string",
        ),
        case(
            "toml features with a number",
            "hello-c",
            vec![Write("ninjabind.toml", b"features = [\"a\", 3]\n")],
            "`features` must be a string",
        ),
        case(
            "toml opt-level 9",
            "hello-c",
            vec![Write("ninjabind.toml", b"opt-level = 9\n")],
            "`opt-level` is 0 to 3, not 9",
        ),
        case(
            "toml opt-level a string",
            "hello-c",
            vec![Write("ninjabind.toml", b"opt-level = \"fast\"\n")],
            "invalid type",
        ),
        case(
            "toml local-jobs 0",
            "hello-c",
            vec![Write("ninjabind.toml", b"local-jobs = 0\n")],
            "`local-jobs` is a pool depth",
        ),
        case(
            "toml cargo-jobs 0",
            "hello-c",
            vec![Write("ninjabind.toml", b"cargo-jobs = 0\n")],
            "`cargo-jobs` is a pool depth",
        ),
        case(
            "toml link-jobs 0",
            "hello-c",
            vec![Write("ninjabind.toml", b"link-jobs = 0\n")],
            "`link-jobs` is a pool depth",
        ),
        case(
            "toml jobs negative",
            "hello-c",
            vec![Write("ninjabind.toml", b"local-jobs = -1\n")],
            "--> ninjabind.toml:1:",
        ),
        case(
            "toml unknown key",
            "hello-c",
            vec![Write("ninjabind.toml", b"bindings-rot = \"x\"\n")],
            "unknown field `bindings-rot`",
        ),
        case(
            "toml lto unknown",
            "hello-c",
            vec![Write("ninjabind.toml", b"lto = \"medium\"\n")],
            "`lto` must be off, thin or full",
        ),
        case(
            "toml launcher missing",
            "hello-c",
            vec![Write("ninjabind.toml", b"launcher = \"no-such-launcher-xyz\"\n")],
            "not found on PATH",
        ),
        case(
            "toml launcher a number",
            "hello-c",
            vec![Write("ninjabind.toml", b"launcher = 5\n")],
            "--> ninjabind.toml:1:",
        ),
        case(
            "toml output a path",
            "hello-c",
            vec![Write("ninjabind.toml", b"output = \"../x\"\n")],
            "--output must be a file name",
        ),
        case(
            "toml output ..",
            "hello-c",
            vec![Write("ninjabind.toml", b"output = \"..\"\n")],
            "--output must be a file name",
        ),
        case("toml syntax", "hello-c", vec![Write("ninjabind.toml", b"features = [\n")], "--> ninjabind.toml:"),
        case("toml a FIFO", "hello-c", vec![Fifo("ninjabind.toml")], "is not a regular file"),
        // package.json of the root
        case(
            "perry a number",
            "hello-perry",
            vec![Json("package.json", "/perry", json!(5))],
            "`perry` must be an object",
        ),
        case(
            "nativeLibrary a number",
            "hello-perry",
            vec![Json("package.json", "/perry/nativeLibrary", json!(5))],
            "must be an object",
        ),
        case(
            "root native source a number",
            "hello-perry",
            vec![Json("package.json", "/perry/nativeLibrary/native/sources", json!([3]))],
            "must be a string",
        ),
        case(
            "root name a path",
            "hello-perry",
            vec![Json("package.json", "/name", json!("../up"))],
            "`name` is not a package name",
        ),
        // an installed binding's package.json
        case(
            "binding trailing comma",
            "hello-perry",
            vec![Replace(GREETER, "\"main\": \"src/index.ts\",", "\"main\": \"src/index.ts\",,")],
            "--> node_modules/greeter/package.json:",
        ),
        case(
            "binding non-UTF-8",
            "hello-perry",
            vec![Write(GREETER, b"{ \"name\": \"greeter\", \"x\": \"\xff\", \"perry\": { \"nativeLibrary\": {} } }")],
            "UTF-8",
        ),
        case(
            "binding abiVersion too new",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/abiVersion", json!("9.0"))],
            "9.0",
        ),
        case(
            "binding abiVersion a number",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/abiVersion", json!(5))],
            "must be a string",
        ),
        case(
            "functions a number",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions", json!(3))],
            "must be an array",
        ),
        case(
            "function name not an identifier",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/name", json!("js-bad"))],
            "is not a C identifier",
        ),
        case(
            "unknown type descriptor",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/params", json!(["wat"]))],
            "unknown type descriptor `wat`",
        ),
        case(
            "void as a parameter",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/params", json!(["void"]))],
            "void",
        ),
        case(
            "no target entry",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets", json!({"windows": {"crate": "."}}))],
            "linux",
        ),
        case(
            "target unavailable",
            "hello-perry",
            vec![
                Json(GREETER, ENTRY, json!({"available": false, "unavailableReason": "not ported yet"})),
                Json(
                    GREETER,
                    "/perry/nativeLibrary/targets/linux",
                    json!({"available": false, "unavailableReason": "not ported yet"}),
                ),
            ],
            "not ported yet",
        ),
        case(
            "crate folder missing",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": "nope", "lib": "greeter"}))],
            "nope",
        ),
        case(
            "lib escapes the build folder",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": ".", "lib": "../../ESCAPED"}))],
            "is not a library name",
        ),
        case(
            "lib with pipe",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": ".", "lib": "a|b"}))],
            "is not a library name",
        ),
        case(
            "lib empty",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": ".", "lib": ""}))],
            "is not a library name",
        ),
        case(
            "lib absolute",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": ".", "lib": "/tmp/x"}))],
            "is not a library name",
        ),
        case(
            "crate with a tab",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": "a\tb", "lib": "greeter"}))],
            "holds a tab",
        ),
        case(
            "crate with a newline",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"crate": ".\n", "lib": "greeter"}))],
            "holds a newline or NUL",
        ),
        case(
            "prebuilt with a pipe",
            "hello-perry",
            vec![
                Write("node_modules/greeter/p/a|b.a", b"!<arch>\n"),
                Json(GREETER, ENTRY, json!({"prebuilt": "p/a|b.a"})),
            ],
            "holds `|`",
        ),
        case(
            "prebuilt missing, no crate",
            "hello-perry",
            vec![Json(GREETER, ENTRY, json!({"prebuilt": "nope.a"}))],
            "not found at nope.a",
        ),
        case(
            "binding name with a newline",
            "hello-perry",
            vec![Json(GREETER, "/name", json!("gr\neeter"))],
            "`name` is not a package name",
        ),
        case(
            "binding name ..",
            "hello-perry",
            vec![Json(GREETER, "/name", json!(".."))],
            "`name` is not a package name",
        ),
        case(
            "binding with nothing to link",
            "hello-perry",
            vec![
                Json(GREETER, ENTRY, json!({})),
                Json(GREETER, "/perry/nativeLibrary/targets/linux", json!({})),
                Remove("node_modules/greeter/Cargo.toml"),
            ],
            "nothing to link",
        ),
        // the well-known table
        case(
            "well-known lib escapes",
            "hello-perry",
            vec![
                Write("wk.toml", b"[bindings.nanoid]\ncrate = \"perry-ext-nanoid\"\nlib = \"../../ESC\"\n"),
                Write("ninjabind.toml", b"bindings-root = \"bindings\"\nwell-known = \"wk.toml\"\n"),
            ],
            "`lib` of `nanoid` is not a name",
        ),
        case(
            "well-known crate a path",
            "hello-perry",
            vec![
                Write("wk.toml", b"[bindings.nanoid]\ncrate = \"../x\"\nlib = \"x\"\n"),
                Write("ninjabind.toml", b"bindings-root = \"bindings\"\nwell-known = \"wk.toml\"\n"),
            ],
            "`crate` of `nanoid` is not a name",
        ),
        case(
            "well-known lib a number",
            "hello-perry",
            vec![
                Write("wk.toml", b"[bindings.nanoid]\ncrate = \"a\"\nlib = 3\n"),
                Write("ninjabind.toml", b"bindings-root = \"bindings\"\nwell-known = \"wk.toml\"\n"),
            ],
            "--> wk.toml:",
        ),
        case(
            "well-known alias of nothing",
            "hello-perry",
            vec![
                Write("wk.toml", b"[bindings.nanoid]\nalias-of = \"ghost\"\n"),
                Write("ninjabind.toml", b"bindings-root = \"bindings\"\nwell-known = \"wk.toml\"\n"),
            ],
            "ghost",
        ),
        case(
            "well-known alias loop",
            "hello-perry",
            vec![
                Write("wk.toml", b"[bindings.nanoid]\nalias-of = \"b\"\n[bindings.b]\nalias-of = \"nanoid\"\n"),
                Write("ninjabind.toml", b"bindings-root = \"bindings\"\nwell-known = \"wk.toml\"\n"),
            ],
            "loop",
        ),
        case(
            "well-known a FIFO",
            "hello-perry",
            vec![Fifo("wk.toml"), Write("ninjabind.toml", b"bindings-root = \"bindings\"\nwell-known = \"wk.toml\"\n")],
            "is not a regular file",
        ),
        // manifest v1 (issue 23): backends, staged files, every key known
        case(
            "backend not in manifest v1",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/backends/opengl", json!({}))],
            "`opengl` is not a backend of manifest v1",
        ),
        case(
            "d3d12 backend on linux",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/backends/d3d12", json!({}))],
            "backend `d3d12` of `greeter` is not supported on target `linux`",
        ),
        case(
            "metal backend on linux",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/backends/metal", json!({}))],
            "backend `metal` of `greeter` is not supported on target `linux`",
        ),
        case(
            "backend a number",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/backends/vulkan", json!(3))],
            "must be an object",
        ),
        case(
            "resource missing",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/resources", json!(["res/nope.json"]))],
            "resource `res/nope.json` of `greeter` not found",
        ),
        case(
            "resource climbing out of its package",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/targets/linux-x64/resources",
                json!(["../../../../../../../../../../etc/passwd"]),
            )],
            "is outside the package: a package may stage only its own files",
        ),
        case(
            "resource an absolute host file",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/resources", json!(["/etc/passwd"]))],
            "is outside the package: a package may stage only its own files",
        ),
        case(
            "resource folder holding a link out of the package",
            "hello-perry",
            vec![
                Write("node_modules/greeter/res/ok.txt", b"ok\n"),
                Link("node_modules/greeter/res/ssl", "/etc/ssl"),
                Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/resources", json!(["res"])),
            ],
            "it leads outside the package (a link)",
        ),
        case(
            "resource file whose name holds a newline",
            "hello-perry",
            vec![
                Write("node_modules/greeter/res/two\nlines.txt", b"x\n"),
                Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/resources", json!(["res"])),
            ],
            "which build.ninja cannot carry",
        ),
        case(
            "module whose name holds a newline",
            "hello-perry",
            vec![Write("src/lib/two\nlines.ts", b"export const x = 1;\n")],
            "which build.ninja cannot carry in a path",
        ),
        case(
            "shader output missing (snake_case)",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/shader_outputs", json!(["x.spv"]))],
            "shader output `x.spv` of `greeter` not found",
        ),
        case(
            "backend resource missing",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/backends/vulkan", json!({"resources": ["vk"]}))],
            "resource `vk` of `greeter` not found",
        ),
        case(
            "backend prebuilt missing",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/targets/linux-x64/backends/vulkan",
                json!({"prebuilt": "./prebuilt/libvk.a"}),
            )],
            "prebuilt library of the `vulkan` backend of `greeter` not found",
        ),
        case(
            "backend package name a number",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/targets/linux-x64/backends/vulkan",
                json!({"package": {"name": 1}}),
            )],
            "must be a string",
        ),
        case(
            "backend unavailableReason a number",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/targets/linux-x64/backends/vulkan",
                json!({"available": false, "unavailable_reason": 7}),
            )],
            "must be a string",
        ),
        Case {
            name: "shader compiler named by PERRY_GLSLC is not there",
            example: "hello-perry",
            edits: vec![Json(
                GREETER,
                "/perry/nativeLibrary/targets/linux-x64/backends/vulkan",
                json!({"shaderSources": ["src/lib.rs"]}),
            )],
            args: &["--fresh"],
            env: &[("PERRY_GLSLC", "/nonexistent/glslc")],
            expect: "PERRY_GLSLC=/nonexistent/glslc is not an executable file",
        },
        Case {
            name: "unknown key in a target entry, strict",
            example: "hello-perry",
            edits: vec![Json(GREETER, "/perry/nativeLibrary/targets/linux-x64/lib_dirs", json!([]))],
            args: &["--strict-manifests"],
            env: &[],
            expect: "unknown key `lib_dirs` in `perry.nativeLibrary.targets.linux-x64`; did you mean `libDirs`?",
        },
        Case {
            name: "unknown key in nativeLibrary, strict",
            example: "hello-perry",
            edits: vec![Json(GREETER, "/perry/nativeLibrary/funtions", json!([]))],
            args: &["--strict-manifests"],
            env: &[],
            expect: "unknown key `funtions` in `perry.nativeLibrary`; did you mean `functions`?",
        },
        Case {
            name: "unknown key in a backend, strict",
            example: "hello-perry",
            edits: vec![Json(
                GREETER,
                "/perry/nativeLibrary/targets/linux-x64/backends/vulkan",
                json!({"shaders": []}),
            )],
            args: &["--strict-manifests"],
            env: &[],
            expect: "unknown key `shaders`",
        },
        Case {
            name: "unknown key in a function, strict",
            example: "hello-perry",
            edits: vec![Json(GREETER, "/perry/nativeLibrary/functions/0/return", json!("i64"))],
            args: &["--strict-manifests"],
            env: &[],
            expect: "unknown key `return` in `perry.nativeLibrary.functions[0]`",
        },
        // descriptors, as Perry validates them (issue 23 item 4)
        case(
            "void as a parameter",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/params", json!(["void"]))],
            "`void` is only allowed as a return type",
        ),
        case(
            "buffer+len as a return",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/returns", json!("buffer+len"))],
            "is only allowed as a parameter",
        ),
        case(
            "pod as a return",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/returns",
                json!({"kind": "pod", "fields": [{"name": "a", "type": "i32"}]}),
            )],
            "is only allowed as a parameter",
        ),
        case(
            "pod without fields",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/params", json!([{"kind": "pod", "fields": []}]))],
            "a `pod` needs `fields`",
        ),
        case(
            "pod field a string",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/params",
                json!([{"kind": "pod", "fields": [{"name": "s", "type": "string"}]}]),
            )],
            "field 0",
        ),
        case(
            "pod field with type and abi",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/params",
                json!([{"kind": "pod", "fields": [{"name": "a", "type": "i32", "abi": {"kind": "i32"}}]}]),
            )],
            "exactly one of `type` and `abi`",
        ),
        case(
            "pod field without a name",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/params",
                json!([{"kind": "pod", "fields": [{"name": "", "type": "i32"}]}]),
            )],
            "needs a non-empty `name`",
        ),
        case(
            "handle ownership unknown",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/returns",
                json!({"kind": "handle", "ownership": "shared"}),
            )],
            "`ownership` is `borrowed` or `owned`",
        ),
        case(
            "handle thread unknown",
            "hello-perry",
            vec![Json(GREETER, "/perry/nativeLibrary/functions/0/returns", json!({"kind": "handle", "thread": "ui"}))],
            "`thread` is `any`, `main` or `creator`",
        ),
        case(
            "handle nullable a string",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/params",
                json!([{"kind": "handle", "nullable": "yes"}]),
            )],
            "`nullable` must be true or false",
        ),
        case(
            "finalizer on a parameter handle",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/params",
                json!([{"kind": "handle", "ownership": "owned", "finalizer": "js_greeter_free"}]),
            )],
            "a `finalizer` is allowed only on an owned return handle",
        ),
        case(
            "finalizer on a borrowed return handle",
            "hello-perry",
            vec![Json(
                GREETER,
                "/perry/nativeLibrary/functions/0/returns",
                json!({"kind": "handle", "finalizer": "js_greeter_free"}),
            )],
            "a `finalizer` is allowed only on an owned return handle",
        ),
        // imports
        case(
            "a 300 MB .ts file",
            "hello-perry",
            vec![Sparse("src/huge.ts", 300 << 20)],
            "more than the 268435456 this tool reads",
        ),
        case(
            "import of nothing",
            "hello-perry",
            vec![Write("src/more.ts", b"import x from \"no-such-package-xyz\";\n")],
            "cannot resolve import `no-such-package-xyz`",
        ),
        case(
            "stdlib package missing",
            "vex-db",
            vec![Write("src/more.vx", b"import { X } from \"nosuchstd\";\n")],
            "nosuchstd",
        ),
        Case {
            name: "feature selected by env that no package has",
            example: "vex-db",
            edits: vec![],
            args: &["--fresh"],
            env: &[("VEX_NATIVE_FEATURES", "nope")],
            expect: "feature `nope`",
        },
        case(
            "required pkg-config feature missing",
            "vex-db",
            vec![Json(
                "vex-libs/std/db/vex.json",
                "/native/features/mysql",
                json!({"enabled": true, "pkg_config": ["mysqlclient-xyz"], "sources": []}),
            )],
            "mysqlclient-xyz",
        ),
    ]
}

#[test]
fn every_bad_input_is_a_clear_error_and_build_ninja_stays() {
    let cases = corpus();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let (_t, p) = example(c.example);
        ok(ninjabind(&p, &["gen"]));
        let before = std::fs::read(p.join("build.ninja")).unwrap();
        for e in &c.edits {
            apply(&p, e);
        }
        let mut args = vec!["gen"];
        args.extend_from_slice(c.args);
        let started = Instant::now();
        let o = ninjabind_with_env(&p, &args, c.env);
        let took = started.elapsed();
        let t = text(&o);
        let problems = [
            (o.status.code() != Some(1), "exit code is not 1"),
            (!t.contains(c.expect), "message lacks the expected words"),
            (t.contains("panicked"), "panicked"),
            (std::fs::read(p.join("build.ninja")).unwrap() != before, "build.ninja changed"),
            (took > Duration::from_secs(20), "took more than 20 s"),
        ];
        for (bad, why) in problems {
            if bad {
                failures.push(format!("{}: {why} (want {:?}, exit {:?}):\n{t}", c.name, c.expect, o.status.code()));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n"));
}
