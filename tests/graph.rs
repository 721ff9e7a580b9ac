//! End-to-end: `ninjabind graph` — a dot picture Graphviz renders, with every package and every gated-out source.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;

fn render_svg(dot: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("Graphviz's dot: scripts/setup.sh installs it");
    child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "dot rejected:\n{dot}");
    // Graphviz writes `-` as an entity
    String::from_utf8(out.stdout).unwrap().replace("&#45;", "-")
}

#[test]
fn the_graph_of_each_example_renders_and_names_every_package() {
    for name in ["hello-c", "hello-perry", "vex-db"] {
        let (_t, p) = example(name);
        let dot = ok(ninjabind(&p, &["graph"]));
        let svg = render_svg(&dot);
        let doc = explain_json(&p, &[]);
        for pkg in doc["packages"].as_array().unwrap() {
            let name = pkg["name"].as_str().unwrap();
            assert!(dot.contains(&format!("\"pkg:{name}\" [label=\"{name}\", shape=folder]")), "{name}:\n{dot}");
            assert!(svg.contains(&format!(">{name}</text>")), "{name} is drawn:\n{svg}");
        }
    }
    // skipped features dashed, with the reason as the tooltip
    let (_t, p) = example("vex-db");
    let dot = ok(ninjabind(&p, &["graph"]));
    assert!(dot.contains("\"feature:db:mysql\" [label=\"feature mysql (skipped)\", shape=note, style=dashed, fontcolor=\"#888888\", tooltip=\"not enabled\"]"), "{dot}");
    let (_t, p) = example("hello-perry");
    let dot = ok(ninjabind(&p, &["graph"]));
    assert!(dot.contains("(installed, layer a)") && dot.contains("(well-known, layer c)"), "{dot}");
    assert!(dot.contains("\"archive:build/lib/libgreeter.a\" -> \"symdiff:greeter\""), "{dot}");
}

#[test]
fn a_gated_out_source_is_grey_and_names_the_missing_macro() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("gates");
    write_tree(
        &p,
        &[
            (
                "vex.json",
                r#"{ "name": "gates", "native": { "sources": ["src/main.c", "src/pg.c", "src/\"odd\" name.c"] } }"#,
            ),
            ("src/main.c", "int main(void) { return 0; }\n"),
            ("src/pg.c", "#ifndef HAVE_PG\n#error needs pg\n#endif\nint pg(void) { return 1; }\n"),
            ("src/\"odd\" name.c", "#ifdef HAVE_ODD\nint odd(void) { return 2; }\n#endif\n"),
        ],
    );
    let dot = ok(ninjabind(&p, &["graph"]));
    assert!(
        dot.contains("\"source:src/pg.c\" [label=\"src/pg.c\\n(not compiled: needs HAVE_PG)\", color=\"#aaaaaa\", fontcolor=\"#aaaaaa\", tooltip=\"needs HAVE_PG\"]"),
        "{dot}"
    );
    assert!(dot.contains("\"source:src/\\\"odd\\\" name.c\""), "quotes escaped: {dot}");
    assert!(dot.contains("\"source:src/main.c\" -> \"program:build/bin/gates\""), "{dot}");
    assert!(!dot.contains("\"source:src/pg.c\" -> \"program:"), "{dot}");
    let svg = render_svg(&dot);
    assert!(svg.contains("<title>needs HAVE_PG</title>") || svg.contains("xlink:title=\"needs HAVE_PG\""), "{svg}");
    // --format svg: dot run by ninjabind
    let o = ninjabind(&p, &["graph", "--format", "svg"]);
    assert!(o.status.success(), "{}", text(&o));
    let svg = String::from_utf8(o.stdout).unwrap();
    assert!(svg.contains("<svg") && svg.contains("src/pg.c"), "{svg}");
    // a dot that fails: the dot text and a warning, exit 0
    let tools = t.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    std::fs::write(tools.join("dot"), "#!/bin/sh\necho 'dot: broken' >&2\nexit 3\n").unwrap();
    std::fs::set_permissions(tools.join("dot"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());
    let o = clean_command(EXE).current_dir(&p).args(["graph", "--format", "svg"]).env("PATH", path).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("digraph ninjabind {"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning: `dot -Tsvg` failed: dot: broken: printed the dot text instead"), "{err}");
}
