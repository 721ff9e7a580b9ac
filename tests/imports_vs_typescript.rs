//! SPEC §3.1: the import scanner agrees with TypeScript's own `ts.preProcessFile` (same specifiers, same lines and columns).
//! TypeScript is installed by scripts/setup.sh into target/ts-oracle.

mod common;
use common::*;

const ORACLE: &str = r#"
const ts = require(process.env.TS_PATH);
const fs = require("fs");
const out = [];
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  const info = ts.preProcessFile(text, true, true);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  for (const r of info.importedFiles) {
    const lc = sf.getLineAndCharacterOfPosition(r.pos);
    out.push([file, r.fileName, lc.line + 1, lc.character + 1]);
  }
}
console.log(JSON.stringify(out));
"#;

#[test]
fn scanner_agrees_with_ts_preprocessfile() {
    let ts = repo().join("target/ts-oracle/node_modules/typescript");
    assert!(
        ts.join("package.json").is_file(),
        "TypeScript is missing: run scripts/setup.sh (it installs the oracle into target/ts-oracle)"
    );
    let files = [
        repo().join("tests/fixtures/imports/tricky.ts"),
        repo().join("tests/fixtures/imports/augment_module.ts"),
        repo().join("tests/fixtures/imports/augment_script.ts"),
        repo().join("examples/hello-perry/src/main.ts"),
    ];
    let t = tempfile::tempdir().unwrap();
    let script = t.path().join("oracle.js");
    std::fs::write(&script, ORACLE).unwrap();
    let o = std::process::Command::new("node").arg(&script).args(&files).env("TS_PATH", &ts).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let theirs: Vec<(String, String, usize, usize)> = serde_json::from_slice(&o.stdout).unwrap();
    let mut ours = Vec::new();
    for f in &files {
        let path = camino::Utf8PathBuf::from_path_buf(f.clone()).unwrap();
        let src = std::fs::read_to_string(f).unwrap();
        for i in ninjabind::lex::imports::scan(&path, &src) {
            ours.push((f.display().to_string(), i.specifier, i.line, i.column));
        }
    }
    assert_eq!(ours, theirs);
    assert!(ours.len() >= 20, "the corpus exercises every form: {ours:?}");
}
