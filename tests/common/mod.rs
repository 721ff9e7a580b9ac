//! Helpers for end-to-end tests: copy a fixture to a temp folder, run ninjabind and real ninja, read what they did.
#![allow(dead_code)]

pub mod daemon;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const EXE: &str = env!("CARGO_BIN_EXE_ninjabind");

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies `src` into a fresh temp folder under the name `name`; returns (guard, project path).
pub fn copy_fixture(src: &Path, name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(name);
    copy_dir(src, &dst);
    (tmp, dst)
}

pub fn example(name: &str) -> (tempfile::TempDir, PathBuf) {
    copy_fixture(&repo().join("examples").join(name), name)
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "build" || name == "build.ninja" || name == "target" || name == ".ninja_log" {
            continue;
        }
        let ty = entry.file_type().unwrap();
        if ty.is_dir() {
            copy_dir(&entry.path(), &dst.join(&name));
        } else if ty.is_symlink() {
            let to = std::fs::read_link(entry.path()).unwrap();
            std::os::unix::fs::symlink(to, dst.join(&name)).unwrap();
        } else {
            std::fs::copy(entry.path(), dst.join(&name)).unwrap();
        }
    }
}

/// A command with the environment variables ninjabind records cleared, so the test's shell cannot leak in.
pub fn clean_command(program: &str) -> Command {
    let mut c = Command::new(program);
    for k in ninjabind::options::ENV_READ {
        c.env_remove(k);
    }
    c
}

pub fn ninjabind(dir: &Path, args: &[&str]) -> Output {
    clean_command(EXE).current_dir(dir).args(args).output().unwrap()
}

/// `ninjabind ARGS` with the recorded variables cleared, then `env` set.
pub fn ninjabind_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = clean_command(EXE);
    c.current_dir(dir).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Sets a file's mtime to now without changing its content.
pub fn touch(p: &Path) {
    let f = std::fs::File::options().append(true).open(p).unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
}

pub fn ninja(dir: &Path, args: &[&str]) -> Output {
    clean_command("ninja").current_dir(dir).args(args).output().unwrap()
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[track_caller]
pub fn ok(o: Output) -> String {
    let t = text(&o);
    assert!(o.status.success(), "command failed ({:?}):\n{t}", o.status);
    t
}

#[track_caller]
pub fn fails(o: Output) -> String {
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "expected exit 1:\n{t}");
    t
}

/// The outputs ninja's status lines name (`[1/3] CC build/obj/…`), in order.
pub fn ran(ninja_output: &str) -> Vec<String> {
    ninja_output
        .lines()
        .filter(|l| l.starts_with('['))
        .filter_map(|l| l.split_once("] ").map(|(_, rest)| rest.to_string()))
        .collect()
}

/// The compile, cargo and link steps ninja ran (without the scan of imports and guards).
pub fn builds(ninja_output: &str) -> Vec<String> {
    let mut v: Vec<String> = ran(ninja_output).into_iter().filter(|s| !s.starts_with("SCAN")).collect();
    v.sort();
    v
}

pub fn run_program(path: &Path) -> String {
    let o = Command::new(path).output().unwrap();
    assert!(o.status.success(), "{} failed: {}", path.display(), text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Parses a build.ninja with the independent `ninja-build-syntax` parser, returning its build statements' rules and outputs.
pub fn parse_ninja(path: &Path) -> Vec<(String, Vec<String>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut builds = Vec::new();
    for stmt in ninja_build_syntax::parse(&bytes) {
        let stmt = stmt.unwrap_or_else(|e| panic!("{} does not parse: {e:?}", path.display()));
        if let ninja_build_syntax::Statement::Build(b) = stmt {
            let outs = b
                .outputs
                .iter()
                .map(|v| {
                    v.into_iter()
                        .map(|p| match p {
                            ninja_build_syntax::ValuePiece::Plain(b) => String::from_utf8_lossy(b).into_owned(),
                            ninja_build_syntax::ValuePiece::Reference(r) => format!("${r}"),
                        })
                        .collect::<String>()
                })
                .collect();
            builds.push((b.rule.0.to_string(), outs));
        }
    }
    builds
}

/// Sleeps past the filesystem's timestamp granularity so ninja sees an edit as newer.
pub fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

/// Replaces `from` with `to` in the file at `path` (which must hold it), past the timestamp granularity.
#[track_caller]
pub fn edit(path: &Path, from: &str, to: &str) {
    tick();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Writes `files` (path, content) under `root`.
pub fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (p, content) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// `ninjabind explain --format json` parsed (stdout only; warnings go to stderr).
pub fn explain_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["explain", "--format", "json"];
    a.extend_from_slice(args);
    let o = ninjabind(dir, &a);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

/// A Perry project at `root` whose own native block compiles `n` C files and `host/main.c`; the program prints 0+1+…+(n-1).
pub fn many_c_sources(root: &Path, n: usize) {
    let mut sources = vec!["\"host/main.c\"".to_string()];
    let mut decls = String::new();
    let mut calls = vec!["0LL".to_string()];
    for i in 0..n {
        sources.push(format!("\"src/f{i}.c\""));
        decls.push_str(&format!("long long f{i}(void);\n"));
        calls.push(format!("f{i}()"));
        write_tree(root, &[(&format!("src/f{i}.c"), &format!("long long f{i}(void) {{ return {i}; }}\n"))]);
    }
    let manifest = format!(
        r#"{{ "name": "app", "version": "1.0.0", "perry": {{ "nativeLibrary": {{ "native": {{ "sources": [{}] }} }} }} }}"#,
        sources.join(", ")
    );
    let main = format!(
        "#include <stdio.h>\n{decls}int main(void) {{ printf(\"%lld\\n\", {}); return 0; }}\n",
        calls.join(" + ")
    );
    write_tree(root, &[("package.json", &manifest), ("src/main.ts", "export {};\n"), ("host/main.c", &main)]);
}

/// The pinned Perry compiler scripts/setup.sh installs; a test fails, never skips, when it is missing.
pub fn perry() -> PathBuf {
    let p = repo().join("target/perry/node_modules/@perryts/perry-linux-x64/bin/perry");
    assert!(p.is_file(), "{} is missing: run scripts/setup.sh", p.display());
    p
}

/// How many commands of `kind` the last ninja run ran (run or cut off early), from `ninjabind stats`.
pub fn commands(dir: &Path, kind: &str) -> u64 {
    let doc: serde_json::Value = serde_json::from_str(&ok(ninjabind(dir, &["stats", "--format", "json"]))).unwrap();
    let k = &doc["by_kind"][kind];
    k["ran"].as_u64().unwrap_or(0) + k["cut_off"].as_u64().unwrap_or(0)
}
