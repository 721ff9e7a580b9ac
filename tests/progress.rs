//! SPEC §7: a progress spinner on a terminal once gen passes ~200 ms; nothing on a pipe or with `--progress never`.

mod common;
use common::*;

/// A Vex project big enough that gen takes well over 200 ms.
fn big_project(root: &std::path::Path) {
    let mut deps = Vec::new();
    for i in 0..300 {
        deps.push(format!("\"p{i}\": {{ \"path\": \"pkgs/p{i}\" }}"));
        let sources: Vec<String> = (0..8).map(|j| format!("\"f{j}.c\"")).collect();
        write_tree(
            root,
            &[(
                &format!("pkgs/p{i}/vex.json"),
                &format!(r#"{{ "name": "p{i}", "native": {{ "sources": [{}] }} }}"#, sources.join(", ")),
            )],
        );
        for j in 0..8 {
            write_tree(root, &[(&format!("pkgs/p{i}/f{j}.c"), &format!("int p{i}_f{j}(void) {{ return {j}; }}\n"))]);
        }
    }
    write_tree(
        root,
        &[
            (
                "vex.json",
                &format!(
                    r#"{{ "name": "big", "dependencies": {{ {} }}, "native": {{ "sources": ["m.c"], "pkg_config": ["sqlite3"] }} }}"#,
                    deps.join(", ")
                ),
            ),
            ("m.c", "int main(void) { return 0; }\n"),
        ],
    );
}

/// A pkg-config that answers after 0.6 s: gen takes longer than the spinner's 200 ms however fast it gets (the
/// project alone stopped being enough once gen got faster).
fn slow_pkg_config(dir: &std::path::Path) -> std::path::PathBuf {
    let script = dir.join("slow-pkg-config");
    std::fs::write(&script, "#!/bin/sh\nsleep 0.6\nexec pkg-config \"$@\"\n").unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    script
}

/// Runs `ninjabind ARGS` under a pseudo-terminal (util-linux `script`), returning what the terminal showed.
fn on_a_terminal(dir: &std::path::Path, args: &str) -> String {
    let o = clean_command("script")
        .env("PKG_CONFIG", slow_pkg_config(dir.parent().unwrap()))
        .current_dir(dir)
        .args(["-qec", &format!("{EXE} {args}"), "/dev/null"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn spinner_on_a_terminal_only() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("big");
    big_project(&p);
    let shown = on_a_terminal(&p, "gen");
    assert!(shown.contains("ninjabind: scanning imports, probing pkg-config, planning the graph"), "{shown:?}");
    let shown = on_a_terminal(&p, "gen --progress never");
    assert!(!shown.contains("ninjabind:"), "{shown:?}");
    // on a pipe: nothing but what gen has to say (here: nothing)
    let o = ninjabind(&p, &["gen"]);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}
