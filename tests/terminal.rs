//! What a user at a terminal meets around the core: completions, the man page, colours, `--progress always`.

mod common;
use common::*;

fn bad_project() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("bad");
    write_tree(&p, &[("vex.json", "{ \"name\": 3 }\n")]);
    (t, p)
}

#[test]
fn bash_completes_a_subcommand_from_the_generated_script() {
    let script = ok(ninjabind(&std::env::temp_dir(), &["completions", "bash"]));
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("ninjabind.bash");
    std::fs::write(&file, script).unwrap();
    let complete = |line: &str| -> String {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT={}; _ninjabind ninjabind '{}' '{}'; echo \"${{COMPREPLY[@]}}\"",
            file.display(),
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            line.len(),
            words[words.len() - 1],
            words[words.len() - 2],
        );
        ok(clean_command("bash").args(["--norc", "-c", &program]).output().unwrap()).trim().to_string()
    };
    assert_eq!(complete("ninjabind ge"), "gen");
    assert_eq!(complete("ninjabind g"), "gen graph");
    assert_eq!(complete("ninjabind ex"), "explain");
    let edge = complete("ninjabind e");
    assert_eq!(edge, "explain", "the hidden `edge` subcommand is not offered");
    let color = complete("ninjabind gen --color ");
    assert_eq!(color, "auto always never");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let s = ok(ninjabind(&std::env::temp_dir(), &["completions", shell]));
        assert!(s.contains("ninjabind") && s.contains("explain"), "{shell}: {s}");
    }
}

#[test]
fn the_man_page_renders_with_man() {
    let t = tempfile::tempdir().unwrap();
    let page = t.path().join("ninjabind.1");
    std::fs::write(&page, ok(ninjabind(t.path(), &["man"]))).unwrap();
    let o = clean_command("man").arg("-l").arg(&page).env("MANPAGER", "cat").env("MANWIDTH", "100").output().unwrap();
    let shown = ok(o);
    for part in ["NAME", "ninjabind - Turns a project", "SYNOPSIS", "--color", "SUBCOMMANDS", "ninjabind gen"] {
        assert!(shown.contains(part), "`{part}` missing:\n{shown}");
    }
    // one page is shipped: it refers to no other (`ninjabind-gen(1)` named a page that does not exist)
    assert!(!shown.contains("ninjabind-gen(1)") && !shown.contains("-explain(1)"), "{shown}");
}

#[test]
fn colour_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
    let (_t, p) = bad_project();
    let red = "\x1b[1;31merror\x1b[0m";
    let plain = "error: `name` must be a string, found a number\n --> vex.json:1:11\n";
    let stderr = |args: &[&str], env: &[(&str, &str)]| -> String {
        let mut c = clean_command(EXE);
        c.current_dir(&p).args(args).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        fails(c.output().unwrap())
    };
    // on a pipe: plain unless forced
    assert!(stderr(&["gen"], &[]).starts_with(plain));
    let forced = stderr(&["gen"], &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.starts_with(red) && forced.contains("\x1b[1;34m-->\x1b[0m vex.json:1:11"), "{forced:?}");
    assert!(stderr(&["gen"], &[("CLICOLOR_FORCE", "0")]).starts_with(plain));
    assert!(stderr(&["gen"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).starts_with(plain));
    // the flag wins over both
    assert!(stderr(&["gen", "--color", "always"], &[("NO_COLOR", "1")]).starts_with(red));
    assert!(stderr(&["--color", "never", "gen"], &[("CLICOLOR_FORCE", "1")]).starts_with(plain));
    // on a terminal: colour by default, none with NO_COLOR
    let on_terminal = |env: &str| -> String {
        let o = clean_command("script")
            .current_dir(&p)
            .args(["-qc", &format!("env -u NO_COLOR -u CLICOLOR_FORCE TERM=xterm {env} {EXE} gen"), "/dev/null"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(on_terminal("").contains(red), "{:?}", on_terminal(""));
    let no_color = on_terminal("NO_COLOR=1");
    assert!(no_color.contains("error: `name` must be a string") && !no_color.contains('\x1b'), "{no_color:?}");
}

#[test]
fn progress_always_shows_on_a_pipe_and_auto_does_not() {
    let (_t, p) = example("hello-c");
    let o = ninjabind(&p, &["gen", "--progress", "always"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ninjabind: scanning imports, probing pkg-config, planning the graph"), "{err:?}");
    assert!(!err.contains('\x1b'), "no cursor movement in a log: {err:?}");
    let o = ninjabind(&p, &["gen", "--fresh"]);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}
