//! compile_commands.json for clangd and IDEs: plain compiler commands (no gate, no launcher), absolute `directory`.

use crate::plan::Plan;
use camino::Utf8Path;
use serde_json::json;

pub fn render(plan: &Plan, ninja_dir: &Utf8Path) -> String {
    let entries: Vec<_> = plan
        .compdb
        .iter()
        .map(|e| json!({ "directory": ninja_dir, "file": e.file, "output": e.output, "arguments": e.argv }))
        .collect();
    let mut s = serde_json::to_string_pretty(&entries).expect("JSON of strings");
    s.push('\n');
    s
}
