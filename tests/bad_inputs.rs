//! SPEC §8: inputs every build must survive — clear error, exit 1, the previous build.ninja untouched, never a panic.

mod common;
use common::*;
use std::path::Path;

#[test]
fn a_50_mb_manifest_is_refused_before_parsing() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    let padding = " ".repeat(50 * 1024 * 1024);
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap() + &padding).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("larger than the 16777216-byte limit for a manifest"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
}

/// The compilers are probed in a process of gen's own: its error comes back as gen's, and nothing is written.
#[test]
fn a_target_no_compiler_knows_is_an_error_and_build_ninja_stays_untouched() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    let err = fails(ninjabind(&p, &["gen", "--fresh", "--target", "nonsense-target"]));
    assert!(err.contains("error: cannot find a C compiler for nonsense-target"), "{err}");
    assert!(err.contains("unknown architecture"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
    // a first word that is not UTF-8 is clap's to refuse (the probe's own word is looked for before clap), no panic
    use std::os::unix::ffi::OsStrExt;
    let out = clean_command(EXE).current_dir(&p).arg(std::ffi::OsStr::from_bytes(b"\xffgen")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unrecognized subcommand"), "{}", text(&out));
}

#[test]
fn a_symlink_loop_in_node_modules_is_not_followed() {
    let (_t, p) = example("hello-perry");
    std::os::unix::fs::symlink("loop", p.join("node_modules/loop")).unwrap();
    std::os::unix::fs::symlink("..", p.join("node_modules/left-pad/up")).unwrap();
    ok(ninjabind(&p, &["gen"]));
    write_tree(&p, &[("src/l.ts", "import \"loop\";\n")]);
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("cannot resolve import `loop`"), "{err}");
}

#[test]
fn an_unwritable_build_folder_is_an_error_and_build_ninja_stays_untouched() {
    // (chmod cannot stop root, who runs CI; a folder where a file must go stops everyone)
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    std::fs::remove_file(p.join("build/compile_commands.json")).unwrap();
    std::fs::create_dir_all(p.join("build/compile_commands.json/blocker")).unwrap();
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap().replace("hello from sqlite", "changed")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("error: cannot write ") && err.contains("compile_commands.json: Is a directory"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before);
}

#[test]
fn source_names_with_spaces_dollars_colons_quotes_and_unicode_build() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("odd names");
    let names = ["a b.c", "d$e.c", "f:g.c", "h'i.c", "ünï.c"];
    let mut files: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("src/{n}"), format!("int f{i}(void) {{ return {i}; }}\n")))
        .collect();
    files.push((
        "src/main.c".into(),
        "#include <stdio.h>\nint f0(void); int f1(void); int f2(void); int f3(void); int f4(void);\nint main(void) { printf(\"%d\\n\", f0()+f1()+f2()+f3()+f4()); return 0; }\n".into(),
    ));
    let sources: Vec<String> = files.iter().map(|(n, _)| serde_json::to_string(n).unwrap()).collect();
    files.push((
        "vex.json".into(),
        format!(r#"{{ "name": "odd", "native": {{ "sources": [{}] }} }}"#, sources.join(", ")),
    ));
    for (n, c) in &files {
        write_tree(&p, &[(n.as_str(), c.as_str())]);
    }
    ok(ninjabind(&p, &["gen"]));
    parse_ninja(&p.join("build.ninja"));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/odd")), "10\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn a_newline_in_a_path_is_an_error_at_load() {
    let (_t, p) = example("hello-c");
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap().replace("\"include\"", "\"inc\\nlude\"")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("`native.include_dirs[0]` holds a newline or NUL character"), "{err}");
}

#[test]
fn release_builds_use_lto_and_the_compilers_nm() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen", "--release", "--output", "hp"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    assert!(nf.contains("# options: -C . --opt-level=3 --output=hp"), "{nf}");
    assert!(nf.contains(" -O3 ") && nf.contains("-flto=auto"), "{nf}");
    assert!(nf.contains("--nm gcc-nm"), "{nf}");
    let out = ok(ninjabind(&p, &["explain", "--release"]));
    assert!(
        out.contains("lto: thin requested; gcc has no ThinLTO (it rejects -flto=thin), so gcc's parallel -flto=auto"),
        "{out}"
    );
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hp")), "answer=42 wave=0.841 nanoid_size=21\n");
    ok(ninjabind(&p, &["gen", "--release", "--lto", "off"]));
    assert!(!std::fs::read_to_string(p.join("build.ninja")).unwrap().contains("-flto"));
}

#[test]
fn a_malformed_ninjabind_toml_and_well_known_table_point_at_the_line() {
    let (_t, p) = example("hello-perry");
    std::fs::write(p.join("ninjabind.toml"), "bindings-root = \"bindings\"\nfeatures = [1, \n").unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("--> ninjabind.toml:"), "{err}");
    std::fs::write(p.join("ninjabind.toml"), "bindings-rot = \"bindings\"\n").unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("unknown field `bindings-rot`"), "{err}");
    std::fs::write(p.join("ninjabind.toml"), "bindings-root = \"bindings\"\n").unwrap();
    std::fs::write(p.join("wk.toml"), "[bindings.x]\ncrate = \"a\"\nlib = [\n").unwrap();
    let err = fails(ninjabind(&p, &["gen", "--well-known", "wk.toml"]));
    assert!(err.contains("error: wk.toml: invalid array") && err.contains("--> wk.toml:4:1"), "{err}");
}

#[test]
fn concurrent_gens_leave_a_valid_build_ninja() {
    let (_t, p) = example("hello-c");
    let kids: Vec<_> = (0..4).map(|_| clean_command(EXE).current_dir(&p).arg("gen").spawn().unwrap()).collect();
    for mut k in kids {
        assert!(k.wait().unwrap().success());
    }
    parse_ninja(&p.join("build.ninja"));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/hello-c")), "hello from sqlite: squares = 1,4,9\n");
}

#[test]
fn a_source_named_like_an_option_is_passed_as_a_path() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("ev");
    write_tree(
        &p,
        &[
            ("vex.json", r#"{ "name": "ev", "native": { "sources": ["src/main.c", "-DEVIL.c"] } }"#),
            (
                "src/main.c",
                "#include <stdio.h>\nint evil(void);\nint main(void) { printf(\"%d\\n\", evil()); return 0; }\n",
            ),
            ("-DEVIL.c", "int evil(void) { return 7; }\n"),
        ],
    );
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    // (the gate takes a compile's source from the command's own `-c`: no `--in` repeats it)
    assert!(nf.contains(" -c ./-DEVIL.c ") && !nf.contains("--in ./-DEVIL.c"), "{nf}");
    parse_ninja(&p.join("build.ninja"));
    ok(ninja(&p, &[]));
    assert_eq!(run_program(&p.join("build/bin/ev")), "7\n");
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn a_huge_sparse_source_is_gated_from_its_head_and_tail_only() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("big");
    write_tree(
        &p,
        &[
            ("vex.json", r#"{ "name": "big", "native": { "sources": ["src/main.c", "src/big.c", "src/big_neg.c"] } }"#),
            ("src/main.c", "int main(void) { return 0; }\n"),
        ],
    );
    // 1 GiB each, almost all a hole: a wrapping positive guard, and a negative one at the top
    for (name, head, tail) in [
        ("big.c", "#ifdef HAVE_BIG\n", "\nint big;\n#endif\n"),
        ("big_neg.c", "#ifndef HAVE_NEG\n#error\n#endif\n", "\n"),
    ] {
        let path = p.join("src").join(name);
        std::fs::write(&path, head).unwrap();
        let f = std::fs::File::options().append(true).open(&path).unwrap();
        f.set_len(1 << 30).unwrap();
        drop(f);
        let mut f = std::fs::File::options().append(true).open(&path).unwrap();
        std::io::Write::write_all(&mut f, tail.as_bytes()).unwrap();
    }
    let out = ok(ninjabind(&p, &["explain"]));
    assert!(out.contains("source src/big.c: not compiled, needs HAVE_BIG"), "{out}");
    assert!(out.contains("source src/big_neg.c: not compiled, needs HAVE_NEG"), "{out}");
}

#[test]
fn diagnostics_cut_a_long_line_and_count_columns_in_characters() {
    let (_t, p) = example("hello-c");
    let m = p.join("vex.json");
    // a 10 MB one-line manifest with a type error at its end: the quoted line is a window, not 10 MB twice
    let long = format!(r#"{{ "name": "x", "pad": "{}", "native": {{ "sources": 5 }} }}"#, "a".repeat(10_000_000));
    std::fs::write(&m, long).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.len() < 2_000, "{} bytes of diagnostic", err.len());
    assert!(err.contains("--> vex.json:1:10000050") && err.contains("…"), "{}", &err[..err.len().min(800)]);
    // a syntax error after non-ASCII text: serde's byte column shown as the character column
    std::fs::write(&m, "{ \"name\": \"ünïcødé\", \"x\": [1,], \"native\": {} }").unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("--> vex.json:1:30\n"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let caret = lines.iter().position(|l| l.trim_end().ends_with('^')).unwrap();
    let col = lines[caret].find('^').unwrap() - "  | ".len();
    assert_eq!(lines[caret - 1]["1 | ".len()..].chars().nth(col), Some(']'), "{err}");
}

#[test]
fn gen_writes_all_its_files_or_none_and_clears_what_a_killed_gen_left() {
    let (_t, p) = example("hello-c");
    ok(ninjabind(&p, &["gen"]));
    let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap();
    let (ninja0, db0) = (read("build.ninja"), read("build/compile_commands.json"));
    // the graph cannot be written (a folder in its place): the compile database and build.ninja stay as they were
    std::fs::remove_file(p.join("build/ninjabind-graph.json")).unwrap();
    std::fs::create_dir_all(p.join("build/ninjabind-graph.json/blocker")).unwrap();
    let m = p.join("vex.json");
    std::fs::write(&m, std::fs::read_to_string(&m).unwrap().replace("hello from sqlite", "changed")).unwrap();
    let err = fails(ninjabind(&p, &["gen"]));
    assert!(err.contains("ninjabind-graph.json"), "{err}");
    assert_eq!(read("build.ninja"), ninja0);
    assert_eq!(read("build/compile_commands.json"), db0, "a new compile database beside the old build.ninja");
    let leftovers: Vec<String> = std::fs::read_dir(p.join("build"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // temp files of a gen that was killed (its pid long gone) are removed by the next
    std::fs::remove_dir_all(p.join("build/ninjabind-graph.json")).unwrap();
    std::fs::write(p.join("build/.compile_commands.json.999999999.tmp"), "half").unwrap();
    std::fs::write(p.join(".build.ninja.999999998.tmp"), "half").unwrap();
    ok(ninjabind(&p, &["gen"]));
    assert!(!p.join("build/.compile_commands.json.999999999.tmp").exists());
    assert!(!p.join(".build.ninja.999999998.tmp").exists());
    assert!(read("build/compile_commands.json").contains("changed"));
}

#[test]
fn racing_gens_with_different_options_leave_files_that_agree() {
    let (_t, p) = example("hello-c");
    for round in 0..8 {
        let kids: Vec<_> = ["1", "2"]
            .iter()
            .map(|o| clean_command(EXE).current_dir(&p).args(["gen", "--fresh", "--opt-level", o]).spawn().unwrap())
            .collect();
        for mut k in kids {
            assert!(k.wait().unwrap().success());
        }
        let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
        let db = std::fs::read_to_string(p.join("build/compile_commands.json")).unwrap();
        let level = if nf.contains(" -O1 ") { "-O1" } else { "-O2" };
        assert!(nf.contains(&format!("# options: -C . --opt-level={}", &level[2..])), "round {round}: {nf}");
        assert!(
            db.contains(&format!("\"{level}\"")),
            "round {round}: build.ninja has {level}, the database does not:\n{db}"
        );
    }
}

/// Makes `dir` unwritable for this process: immutable for root (who ignores permissions), mode 0555 otherwise.
fn make_read_only(dir: &Path) -> bool {
    let immutable = std::process::Command::new("chattr").arg("+i").arg(dir).status().is_ok_and(|s| s.success());
    if !immutable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    immutable
}

#[test]
fn a_read_only_binding_without_cargo_lock_is_an_error_at_gen() {
    let (_t, p) = example("hello-perry");
    let crate_dir = p.join("node_modules/greeter");
    std::fs::remove_file(crate_dir.join("Cargo.lock")).unwrap();
    let immutable = make_read_only(&crate_dir);
    let o = ninjabind(&p, &["gen"]);
    if immutable {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&crate_dir).status();
    }
    let err = fails(o);
    assert!(
        err.contains("binding `greeter` has no Cargo.lock and its crate folder node_modules/greeter is read-only"),
        "{err}"
    );
    assert!(err.contains("cargo generate-lockfile --manifest-path node_modules/greeter/Cargo.toml"), "{err}");
    assert!(!p.join("build.ninja").exists());
    // writable again: gen and the build go through, cargo writing the lock
    if !immutable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&crate_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    ok(ninjabind(&p, &["gen"]));
    ok(ninja(&p, &[]));
    assert!(crate_dir.join("Cargo.lock").is_file());
}

#[test]
fn the_import_scan_follows_links_and_names_what_it_cannot_scan() {
    let (t, p) = example("hello-perry");
    let outside = t.path().join("outside");
    write_tree(
        &outside,
        &[("linked.ts", "import leftPad from \"left-pad\";\n"), ("dir/more.ts", "import \"left-pad\";\n")],
    );
    std::os::unix::fs::symlink(outside.join("linked.ts"), p.join("src/linked.ts")).unwrap();
    std::os::unix::fs::symlink(outside.join("dir"), p.join("src/ext")).unwrap();
    std::os::unix::fs::symlink(".", p.join("src/loop")).unwrap();
    let bad = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"bad\xff.ts");
    std::fs::write(p.join("src").join(bad), "import \"left-pad\";\n").unwrap();
    let out = ok(ninjabind(&p, &["explain"]));
    assert!(out.contains("src/linked.ts:1:21  \"left-pad\""), "a linked file is scanned: {out}");
    assert!(
        out.contains("warning: not scanned for imports: src/ext (a link to a folder outside the project)"),
        "{out}"
    );
    assert!(out.contains("warning: not scanned for imports: src/bad\u{fffd}.ts (its name is not UTF-8)"), "{out}");
    assert_eq!(out.matches("src/main.ts:3:24").count(), 1, "the loop read once: {out}");
}

#[test]
fn other_build_folders_in_the_project_are_neither_scanned_nor_watched() {
    let (_t, p) = example("hello-perry");
    // a meson and a cmake build folder beside ours, each holding sources a scan would pick up
    write_tree(
        &p,
        &[
            ("mb/build.ninja", "# meson\n"),
            ("mb/meson-private/x.ts", "import \"no-such-package-xyz\";\n"),
            ("mb/gen.ts", "import \"no-such-package-xyz\";\n"),
            ("cb/CMakeCache.txt", "# cmake\n"),
            ("cb/CMakeFiles/y.ts", "import \"no-such-package-xyz\";\n"),
        ],
    );
    ok(ninjabind(&p, &["gen"]));
    let nf = std::fs::read_to_string(p.join("build.ninja")).unwrap();
    let scan_line = nf.lines().find(|l| l.starts_with("build build/scan.stamp")).unwrap();
    assert!(!scan_line.contains("mb") && !scan_line.contains("cb"), "{scan_line}");
    ok(ninja(&p, &[]));
    tick();
    write_tree(&p, &[("cb/CMakeFiles/z.ts", "import \"no-such-package-xyz\";\n"), ("mb/more.ts", "x\n")]);
    assert!(ok(ninja(&p, &[])).contains("no work to do"));
}

#[test]
fn a_host_object_that_does_not_exist_is_an_error_at_gen() {
    let (_t, p) = example("hello-perry");
    ok(ninjabind(&p, &["gen"]));
    let before = std::fs::read(p.join("build.ninja")).unwrap();
    let err = fails(ninjabind(&p, &["gen", "--host-object", "nope.o"]));
    assert!(err.contains("error: host object nope.o (from --host-object or ninjabind.toml) not found"), "{err}");
    assert_eq!(std::fs::read(p.join("build.ninja")).unwrap(), before, "the previous build.ninja stays");
}

#[test]
fn an_unreadable_folder_in_the_project_is_named_in_a_warning() {
    let (t, p) = example("hello-perry");
    write_tree(&p, &[("src/lib/more.ts", "import \"left-pad\";\n")]);
    let chmod = |mode: &str, path: &Path| {
        assert!(std::process::Command::new("chmod").arg(mode).arg(path).status().unwrap().success());
    };
    // root reads any folder: gen then runs as nobody, over a project nobody may read and write
    let as_nobody = common::daemon::is_root();
    if as_nobody {
        chmod("a+rwx", t.path());
        assert!(std::process::Command::new("chmod").args(["-R", "a+rwX"]).arg(&p).status().unwrap().success());
    }
    chmod("000", &p.join("src/lib"));
    let mut c = if as_nobody {
        let mut c = clean_command("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", EXE]);
        c
    } else {
        clean_command(EXE)
    };
    let o = c.current_dir(&p).arg("gen").output().unwrap();
    chmod("755", &p.join("src/lib"));
    let out = ok(o);
    assert!(out.contains("warning: not scanned for imports: src/lib (the folder cannot be read)"), "{out}");
}

/// The temp files in `dirs` (`.<name>.<pid>.tmp`).
fn temps(dirs: &[&Path]) -> Vec<std::path::PathBuf> {
    dirs.iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".tmp")))
        .collect()
}

#[test]
fn a_gen_killed_while_its_temp_files_exist_leaves_them_to_the_next_gen_which_removes_them() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("app");
    many_c_sources(&p, 3000);
    ok(ninjabind(&p, &["gen"]));
    let build = p.join("build");
    // stop a gen the moment one of its temp files appears, then kill it: a real SIGKILL mid-write
    let mut caught = Vec::new();
    for attempt in 0..40 {
        let mut child = clean_command(EXE).current_dir(&p).args(["gen", "--fresh"]).spawn().unwrap();
        let pid = child.id() as i32;
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < std::time::Duration::from_secs(20) {
            let found = temps(&[&build, &p]);
            if !found.is_empty() {
                // SAFETY: signals to our own child, by its pid
                unsafe { libc::kill(pid, libc::SIGSTOP) };
                caught = temps(&[&build, &p]);
                unsafe { libc::kill(pid, libc::SIGKILL) };
                break;
            }
        }
        let _ = child.wait();
        if !caught.is_empty() {
            break;
        }
        assert!(attempt < 39, "no gen was caught with its temp files in 40 tries");
    }
    assert!(caught.iter().all(|f| f.exists()), "the killed gen's temp files stay: {caught:?}");
    // a side file's temp left by a process that is gone (a real pid, reaped): swept like the rest
    let dead = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    let _ = { dead }.wait();
    let side = build.join(format!("bin/.app.rsp.{dead_pid}.tmp"));
    std::fs::create_dir_all(side.parent().unwrap()).unwrap();
    std::fs::write(&side, "half").unwrap();
    ok(ninjabind(&p, &["gen"]));
    let left = temps(&[&build, &p, &build.join("bin")]);
    assert!(left.is_empty(), "the next gen removed {caught:?} and the side file's; left: {left:?}");
}
