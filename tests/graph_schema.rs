//! docs/graph.schema.json (JSON Schema 2020-12) validates every example's ninjabind-graph.json and `explain --format json`.

mod common;
use common::*;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("docs/graph.schema.json")).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema).expect("the schema itself is valid 2020-12")
}

fn check(v: &jsonschema::Validator, doc: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

#[test]
fn every_examples_graph_matches_the_published_schema() {
    let v = validator();
    for name in ["hello-c", "hello-perry", "vex-db"] {
        let (_t, p) = example(name);
        // a launcher, a wrapper and a link pool, so every optional part has a value
        ok(ninjabind(&p, &["gen", "--launcher", "env", "--rustc-wrapper", "env", "--link-jobs", "1"]));
        let graph: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("build/ninjabind-graph.json")).unwrap()).unwrap();
        check(&v, &graph, &format!("{name}: build/ninjabind-graph.json"));
        check(&v, &explain_json(&p, &["--fresh"]), &format!("{name}: explain --format json"));
    }
    // vex-db with postgres on: a found probe and skipped features on both sides
    let (_t, p) = example("vex-db");
    let o = clean_command(EXE)
        .current_dir(&p)
        .args(["explain", "--format", "json"])
        .env("VEX_NATIVE_FEATURES", "sqlite,postgres")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    check(&v, &serde_json::from_slice(&o.stdout).unwrap(), "vex-db with postgres");
}

#[test]
fn the_schema_rejects_what_it_does_not_describe() {
    let v = validator();
    let (_t, p) = example("hello-c");
    let mut doc = explain_json(&p, &[]);
    assert!(v.is_valid(&doc));
    doc["schema"] = serde_json::json!(2);
    assert!(!v.is_valid(&doc), "another version");
    doc["schema"] = serde_json::json!(1);
    doc["edges"][0]["rule"] = serde_json::json!("mystery");
    assert!(!v.is_valid(&doc), "an unknown rule");
    doc["edges"][0]["rule"] = serde_json::json!("cc");
    doc["packages"][0]["surprise"] = serde_json::json!(true);
    assert!(!v.is_valid(&doc), "an undocumented field");
}
