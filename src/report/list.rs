//! `ninjabind list`: the well-known bindings table, for people and for tools.

use crate::load::well_known::Table;
use serde_json::json;
use std::fmt::Write;

pub fn render(table: &Table, as_json: bool) -> String {
    let all = table.all();
    if as_json {
        let rows: Vec<_> = all
            .iter()
            .map(|w| {
                let e = &table.entries[&w.key];
                json!({ "name": w.key, "crate": w.crate_name, "lib": w.lib, "node_builtin": w.node_builtin,
                        "alias_of": e.alias_of, "tracking": e.tracking, "compat": e.compat })
            })
            .collect();
        return serde_json::to_string_pretty(&rows).expect("JSON") + "\n";
    }
    let width = all.iter().map(|w| w.key.len()).max().unwrap_or(0);
    let mut o = String::new();
    for w in &all {
        let builtin = if w.node_builtin { "  (node builtin)" } else { "" };
        let _ = writeln!(o, "{:<width$}  {}  lib{}.a{builtin}", w.key, w.crate_name, w.lib);
    }
    let _ = writeln!(o, "{} bindings, from {}", all.len(), table.source());
    o
}
